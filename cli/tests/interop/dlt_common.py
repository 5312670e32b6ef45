"""Shared helpers of the interop scripts: quiet dlt, JSON output of Arrow values, schema dumps.

Imported by dlt_read.py, dlt_load.py and normalize_cases.py (run with the tests' venv python,
dlt 1.31). Everything printed on stdout is JSON for the Rust tests; logs go to stderr.
"""

import base64
import datetime
import decimal
import json
import os
import sys

os.environ.setdefault("RUNTIME__LOG_LEVEL", "WARNING")
os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")


def filesystem_pipeline(pipeline_name, bucket_url, dataset_name, pipelines_dir):
    """A dlt pipeline on the filesystem destination, isolated in `pipelines_dir`."""
    import dlt  # imported here: preparing inputs does not need dlt's slow import

    return dlt.pipeline(
        pipeline_name=pipeline_name,
        destination=dlt.destinations.filesystem(bucket_url=bucket_url),
        dataset_name=dataset_name,
        pipelines_dir=pipelines_dir,
    )


def json_value(value):
    """A JSON-able form of a value read back through Arrow: timestamps as ISO-8601 in UTC."""
    if isinstance(value, datetime.datetime):
        if value.tzinfo is None:
            return "naive:" + value.isoformat()
        return value.astimezone(datetime.timezone.utc).isoformat()
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return "decimal:" + str(value)
    if isinstance(value, (bytes, bytearray)):
        return "base64:" + base64.b64encode(bytes(value)).decode()
    if isinstance(value, float) and value != value:
        return "NaN"
    raise TypeError(f"cannot render {type(value).__name__}: {value!r}")


def print_json(doc):
    """The one JSON document this script reports, on its own line."""
    sys.stdout.write(json.dumps(doc, default=json_value, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def column_dump(column):
    """name, data_type, nullable, variant of one stored-schema column."""
    return {
        "name": column.get("name"),
        "data_type": column.get("data_type"),
        "nullable": column.get("nullable", True),
        "variant": bool(column.get("variant", False)),
    }


def data_tables_dump(stored_tables):
    """The data tables of a stored schema's `tables` dict, in order, like `Schema.data_tables()`.

    dlt tables (`_dlt` prefix) and tables without any column that has a data type are left out.
    """
    out = []
    for name, table in stored_tables.items():
        if name.startswith("_dlt"):
            continue
        columns = [c for c in table.get("columns", {}).values() if c.get("data_type")]
        if not columns:
            continue
        out.append(
            {
                "name": name,
                "parent": table.get("parent"),
                "columns": [column_dump(c) for c in columns],
            }
        )
    return out


def newest_version_file(version_dir):
    """The newest `_dlt_version` file the way dlt picks it: string-max of the time part."""
    if not os.path.isdir(version_dir):
        return None
    best = None
    for fname in os.listdir(version_dir):
        parts = fname.rsplit("__", 2)
        if fname == "init" or len(parts) != 3:
            continue
        if best is None or parts[1] > best[0]:
            best = (parts[1], fname)
    return os.path.join(version_dir, best[1]) if best else None


def stored_schema_from_version_file(path):
    """The stored-schema dict inside a `_dlt_version` file (its `schema` field is a JSON string)."""
    with open(path, encoding="utf-8") as f:
        doc = json.load(f)
    return json.loads(doc["schema"])


def differences(dlt_value, stowage_value, path="$", limit=12):
    """Where two JSON values differ, key order included, as short lines (at most `limit`)."""
    out = []
    _diff(dlt_value, stowage_value, path, out, limit)
    return out[:limit]


def _short(value):
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 160 else text[:157] + "..."


def _diff(a, b, path, out, limit):
    if len(out) >= limit:
        return
    if isinstance(a, dict) and isinstance(b, dict):
        only_a = [k for k in a if k not in b]
        only_b = [k for k in b if k not in a]
        if only_a:
            out.append(f"{path}: only dlt has {only_a}")
        if only_b:
            out.append(f"{path}: only stowage has {only_b}")
        common_a = [k for k in a if k in b]
        common_b = [k for k in b if k in a]
        if common_a != common_b:
            out.append(f"{path}: key order dlt {common_a} vs stowage {common_b}")
        for k in common_a:
            _diff(a[k], b[k], f"{path}.{k}", out, limit)
    elif isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            out.append(f"{path}: dlt has {len(a)} items {_short(a)}, stowage {len(b)} {_short(b)}")
            return
        for i, (x, y) in enumerate(zip(a, b)):
            _diff(x, y, f"{path}[{i}]", out, limit)
    elif a != b or type(a) is not type(b):
        out.append(f"{path}: dlt {_short(a)} vs stowage {_short(b)}")
