"""Generates layout_cases.json: expected layout renderings and table prefixes from dlt 1.31 itself.

The layouts are those of dlt's `test_layout_validity` (read from a dlt checkout's
tests/destinations/test_path_utils.py, only the layout strings) plus Stowage's own cases for
every placeholder, extra placeholders, `current_datetime` in another offset, the missing-`{ext}`
rule and the prefix rules. Every expected value is computed by calling dlt 1.31's
`dlt.destinations.path_utils` functions; nothing is written by hand.

Usage (from the repo root):
    $(cargo xtask python) core/engine/tests/data/gen_layout_cases.py \
        /work/.mirror/dlt-hub+dlt/repo > core/engine/tests/data/layout_cases.json
"""

import ast
import json
import subprocess
import sys
from datetime import timedelta, timezone

import dlt
import pendulum
from dlt.common.normalizers.naming.snake_case import NamingConvention as SnakeCase
from dlt.destinations import path_utils
from dlt.destinations.exceptions import CantExtractTablePrefix, InvalidFilesystemLayout


def dlt_test_layouts(repo):
    """The first element of every ALL_LAYOUTS tuple in dlt's test_path_utils.py."""
    source = subprocess.run(
        ["git", "-C", repo, "show", "HEAD:tests/destinations/test_path_utils.py"],
        check=True, capture_output=True, text=True,
    ).stdout
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Assign) and any(
            getattr(t, "id", None) == "ALL_LAYOUTS" for t in node.targets
        ):
            return [elt.elts[0].value for elt in node.value.elts]
    raise SystemExit("ALL_LAYOUTS not found")


def join_callback(*args):
    return "-".join(args)


def const_callback(*args):
    return "random-value"


CALLBACKS = {"join": join_callback, "const": const_callback}

FROZEN = pendulum.datetime(2024, 4, 14, 8, 32, 0, 0, tz="UTC")
# 01:05 at +02:00 is the previous day in UTC: tokens must use the moment's own offset
OTHER_OFFSET = pendulum.datetime(
    2024, 3, 9, 1, 5, 7, 123456, tz=pendulum.FixedTimezone(2 * 3600)
)

# Contexts: everything create_path receives besides the layout.
CONTEXTS = {
    # dlt's test_layout_validity
    "dlt_test": {
        "schema_name": "schema-name",
        "table": "mocked-table",
        "load_id": "mocked-load-id",
        "file_id": "mocked-file-id",
        "ext": "jsonl",
        "package_created_at": FROZEN,
        "current_datetime": None,
        "current_datetime_callback": False,
        "extra_placeholders": {
            "type": {"value": "one-for-all"},
            "vm": {"value": "beam"},
            "module": {"value": "__MODULE__"},
            "bobo": {"value": "is-name"},
            "callback": {"callback": "join"},
            "random_value": {"callback": "const"},
        },
    },
    # a real-looking file, a current_datetime at +02:00 (not converted to UTC)
    "fixed_offset": {
        "schema_name": "pl",
        "table": "event",
        "load_id": "1795310828.446",
        "file_id": "a9d303e9dc",
        "ext": "jsonl.gz",
        "package_created_at": pendulum.datetime(2026, 11, 22, 1, 27, 8, 446000, tz="UTC"),
        "current_datetime": OTHER_OFFSET,
        "current_datetime_callback": False,
        "extra_placeholders": {"Env": {"value": "Prod"}, "cbv": {"callback": "join"}},
    },
    # the same moment from a callback
    "callback_datetime": {
        "schema_name": "pl",
        "table": "event",
        "load_id": "1795310828.446",
        "file_id": "a9d303e9dc",
        "ext": "parquet",
        "package_created_at": pendulum.datetime(2026, 11, 22, 1, 27, 8, 446000, tz="UTC"),
        "current_datetime": OTHER_OFFSET,
        "current_datetime_callback": True,
        "extra_placeholders": {},
    },
    # the package time with microseconds renders every token; `ext` overridden to ""
    "package_time": {
        "schema_name": "pl",
        "table": "users__orders",
        "load_id": "1795310773.1276467",
        "file_id": "4e4f868a53",
        "ext": "csv.gz",
        "package_created_at": pendulum.datetime(2026, 11, 22, 1, 26, 13, 127647, tz="UTC"),
        "current_datetime": None,
        "current_datetime_callback": False,
        "extra_placeholders": {"ext": {"value": ""}, "region": {"value": "EU-West"}},
    },
}

ALL_TOKENS = "-".join("{%s}" % t for t in sorted(path_utils.DATETIME_PLACEHOLDERS))

OWN_LAYOUTS = [
    "{table_name}/{load_id}.{file_id}.{ext}",
    "{table_name}/{load_id}.{file_id}",
    "{table_name}/" + ALL_TOKENS + "/{file_id}.{ext}",
    "{table_name}/{timestamp}-{timestamp_ms}-{curr_date}/{load_package_timestamp}-{load_package_timestamp_ms}/{file_id}",
    "{schema_name}/{table_name}/{YYYY}-{MM}-{DD}/{HH}{mm}{ss}.{SSSS}/{file_id}.{ext}",
    "{table_name}.{load_id}.{file_id}.{ext}",
    "{table_name}_{load_id}_{file_id}.{ext}",
    "{table_name}",
    "{table_name}/{Env}-{cbv}.{file_id}.{ext}",
    "{table_name}/{region}/{file_id}.{ext}",
    "{table_name}/{file_id}{ext}",
    "{table_name}/{foo}.{ext}",
    "{table_name}/{Region}/{file_id}",
    "{table_name}/{}/{file_id}",
    "{table_name",
    "{table_name}/}",
]

PREFIX_LAYOUTS = [
    "{table_name}/{load_id}.{file_id}.{ext}",
    "{schema_name}/{table_name}/{load_id}.{file_id}.{ext}",
    "some_random{schema_name}/stuff_in_between/{table_name}/{load_id}",
    "{schema_name}.{table_name}/{load_id}.{file_id}.{ext}",
    "{schema_name}_{table_name}/{load_id}.{file_id}.{ext}",
    "{schema_name}{table_name}/{file_id}",
    "{table_name}.{load_id}.{file_id}.{ext}",
    "{table_name}_{load_id}_{file_id}.{ext}",
    "{table_name}-{load_id}.{ext}",
    "{table_name}88{load_id}-u-{file_id}.{ext}",
    "{table_name}",
    "{table_name}/{YYYY}/{MM}/{DD}/{load_id}.{file_id}",
    "some_random{schema_name}/stuff_in_between/",
    "{file_id}some_random{table_name}/stuff_in_between/",
    "{load_id}/{table_name}/{file_id}.{ext}",
    "{schema_name}/{table_name}{load_id}.{file_id}.{ext}",
    "{table_name}{load_id}.{ext}",
    "{timestamp}{table_name}",
]

# (layout, schema_name, table, static extra placeholders) → the table prefix dlt's client builds
TABLE_PREFIX_CASES = [
    ("{table_name}/{load_id}.{file_id}.{ext}", "pl", "event", {}),
    ("{schema_name}/{table_name}/{load_id}.{file_id}.{ext}", "pl", "event", {}),
    ("{schema_name}/{table_name}/{load_id}.{file_id}.{ext}", "pl", "event", {"schema_name": "other"}),
    ("{table_name}.{load_id}.{file_id}.{ext}", "pl", "event", {}),
    ("{table_name}_{load_id}_{file_id}.{ext}", "pl", "event__kids", {}),
    ("{table_name}", "pl", "event", {}),
    ("{table_name}/{env}/{file_id}", "pl", "event", {"env": "prod", "table_name": "renamed"}),
]


def to_iso(moment):
    return None if moment is None else moment.isoformat()


def extras_for(context):
    out = {}
    for name, spec in context["extra_placeholders"].items():
        out[name] = spec["value"] if "value" in spec else CALLBACKS[spec["callback"]]
    return out


def render_case(context_name, layout):
    c = CONTEXTS[context_name]
    current = c["current_datetime"]
    if c["current_datetime_callback"]:
        moment = current
        current = lambda: moment  # noqa: E731
    file_name = f"{c['table']}.{c['file_id']}.0.{c['ext']}"
    case = {"context": context_name, "layout": layout}
    try:
        case["path"] = path_utils.create_path(
            layout,
            file_name=file_name,
            schema_name=c["schema_name"],
            load_id=c["load_id"],
            load_package_timestamp=c["package_created_at"],
            current_datetime=current,
            extra_placeholders=extras_for(c),
        )
    except InvalidFilesystemLayout as e:
        case["error"] = "invalid_layout"
        case["invalid"] = sorted(set(e.invalid_placeholders))
    except ValueError as e:
        case["error"] = "format"
        case["message"] = str(e)
    if "path" in case:
        # dlt's client also extracts the table prefix; layouts failing here never load
        try:
            path_utils.get_table_prefix_layout(layout)
            case["prefix_error"] = False
        except CantExtractTablePrefix:
            case["prefix_error"] = True
    return case


def prefix_case(layout):
    case = {"layout": layout}
    try:
        prefix = path_utils.get_table_prefix_layout(layout)
    except CantExtractTablePrefix as e:
        case["error"] = "cant_extract"
        case["message"] = str(e)
        return case
    case["prefix_layout"] = prefix
    case["unsafe_separators"] = path_utils.get_unsafe_prefix_separators(prefix, SnakeCase())
    return case


def table_prefix_case(layout, schema_name, table, extra):
    prefix_layout = path_utils.get_table_prefix_layout(layout)
    placeholders = set(path_utils.get_placeholders(prefix_layout))
    params = path_utils.prepare_params(
        extra_placeholders={k: v for k, v in extra.items() if k in placeholders},
        schema_name=schema_name,
        table_name=table,
    )
    prefix = prefix_layout.format(
        schema_name=params.get("schema_name", schema_name),
        table_name=params.get("table_name", table),
    )
    return {
        "layout": layout,
        "schema_name": schema_name,
        "table": table,
        "extra_placeholders": extra,
        "prefix": prefix,
    }


def main():
    repo = sys.argv[1]
    contexts = {}
    for name, c in CONTEXTS.items():
        contexts[name] = dict(
            c,
            package_created_at=to_iso(c["package_created_at"]),
            current_datetime=to_iso(c["current_datetime"]),
        )
    renders = [render_case("dlt_test", layout) for layout in dlt_test_layouts(repo)]
    for context_name in ["fixed_offset", "callback_datetime", "package_time"]:
        renders += [render_case(context_name, layout) for layout in OWN_LAYOUTS]
    doc = {
        "generated_by": "core/engine/tests/data/gen_layout_cases.py",
        "dlt_version": dlt.__version__,
        "contexts": contexts,
        "render_cases": renders,
        "prefix_cases": [prefix_case(layout) for layout in PREFIX_LAYOUTS],
        "table_prefix_cases": [table_prefix_case(*case) for case in TABLE_PREFIX_CASES],
    }
    json.dump(doc, sys.stdout, indent=1, ensure_ascii=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
