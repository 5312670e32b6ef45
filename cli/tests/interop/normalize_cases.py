"""Runs the normalization cases through dlt 1.31 and dumps dlt's and Stowage's schemas alike.

usage: normalize_cases.py prepare CASES.jsonl WORKDIR
       normalize_cases.py compare CASES.jsonl WORKDIR

`prepare` writes each case's rows to WORKDIR/i/rows.ndjson exactly as written in the cases file
(Python keeps big integers and `2.0` vs `2` apart) and prints {"index", "name", "table"} per case.

`compare`, for case number i (0-based, counting non-empty lines of CASES.jsonl), in WORKDIR/i/:
* dlt: `dlt.pipeline("case_<i>", filesystem(bucket_url=dlt_bucket), dataset_name="ds",
  pipelines_dir=dlt_pipes).run(rows, table_name=table)`; its schema is read back from the newest
  `_dlt_version` file of its bucket;
* Stowage (already run by the Rust test into stowage_bucket / stowage_pipes): the newest
  `stowage_bucket/ds/_dlt_version` file, else `stowage_pipes/case_<i>/schemas/*.schema.json`;
  also whether dlt's `Schema.from_dict` accepts that document.

Prints one JSON line per case: {"index", "name", "dlt": {...}, "stowage": {...},
"schema_differences": [...]} where each side is {"source", "version_hash", "tables": [{name, parent,
columns: [{name, data_type, nullable, variant}]}]} or {"error": "..."}, and schema_differences
lists where the two whole stored schemas differ (key order included), when both exist.
"""

import copy
import glob
import json
import os
import sys
import traceback

from dlt_common import (
    data_tables_dump,
    differences,
    filesystem_pipeline,
    newest_version_file,
    print_json,
    stored_schema_from_version_file,
)

DATASET = "ds"
DEFAULT_TABLE = "items"


def error_text(exc):
    """The exception and its causes, one line each (no traceback noise)."""
    lines = []
    while exc is not None:
        lines.append(f"{type(exc).__name__}: {exc}".strip())
        exc = exc.__cause__ or exc.__context__
    return " <- ".join(lines)[:2000]


def dlt_side(index, case, case_dir):
    bucket = os.path.join(case_dir, "dlt_bucket")
    try:
        p = filesystem_pipeline(
            f"case_{index}", "file://" + bucket, DATASET, os.path.join(case_dir, "dlt_pipes")
        )
        info = p.run(case["rows"], table_name=case.get("table", DEFAULT_TABLE))
        info.raise_on_failed_jobs()
    except Exception as exc:  # the case may be one dlt rejects: that is the expectation
        return {"error": error_text(exc)}
    path = newest_version_file(os.path.join(bucket, DATASET, "_dlt_version"))
    if path is None:
        return {"error": "dlt wrote no _dlt_version file"}
    return side_of(path, stored_schema_from_version_file(path))


def side_of(path, stored):
    """One side's report; `stored` (the whole stored schema) is kept for the diff, not printed."""
    return {
        "source": path,
        "version_hash": stored.get("version_hash"),
        "tables": data_tables_dump(stored["tables"]),
        "stored": stored,
    }


def stowage_schema_source(index, case_dir):
    path = newest_version_file(os.path.join(case_dir, "stowage_bucket", DATASET, "_dlt_version"))
    if path is not None:
        return path, stored_schema_from_version_file
    local = sorted(glob.glob(os.path.join(case_dir, "stowage_pipes", f"case_{index}", "schemas", "*.schema.json")))
    if local:
        return local[0], lambda p: json.load(open(p, encoding="utf-8"))
    return None, None


def stowage_side(index, case_dir):
    path, read = stowage_schema_source(index, case_dir)
    if path is None:
        return {"error": "no _dlt_version file on the bucket and no schemas/*.schema.json in the pipeline dir"}
    try:
        side = side_of(path, read(path))
    except Exception as exc:
        return {"source": path, "error": "unreadable schema: " + error_text(exc)}
    stored = side["stored"]
    from dlt.common.schema import Schema

    try:
        Schema.from_dict(copy.deepcopy(stored))
    except Exception as exc:
        side["dlt_rejects"] = error_text(exc)
    return side


def read_cases(cases_path):
    with open(cases_path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def prepare(cases_path, workdir):
    for index, case in enumerate(read_cases(cases_path)):
        case_dir = os.path.join(workdir, str(index))
        os.makedirs(case_dir, exist_ok=True)
        with open(os.path.join(case_dir, "rows.ndjson"), "w", encoding="utf-8") as f:
            for row in case["rows"]:
                f.write(json.dumps(row, ensure_ascii=False) + "\n")
        print_json({"index": index, "name": case["name"], "table": case.get("table", DEFAULT_TABLE)})


def compare(cases_path, workdir):
    for index, case in enumerate(read_cases(cases_path)):
        case_dir = os.path.join(workdir, str(index))
        os.makedirs(case_dir, exist_ok=True)
        try:
            dlt = dlt_side(index, case, case_dir)
            stowage = stowage_side(index, case_dir)
        except Exception:
            traceback.print_exc()
            raise
        result = {"index": index, "name": case["name"], "dlt": dlt, "stowage": stowage}
        if "stowage_differs" in case:
            result["stowage_differs"] = case["stowage_differs"]
        if "stored" in dlt and "stored" in stowage:
            result["schema_differences"] = differences(dlt.pop("stored"), stowage.pop("stored"))
        dlt.pop("stored", None)
        stowage.pop("stored", None)
        print_json(result)


if __name__ == "__main__":
    {"prepare": prepare, "compare": compare}[sys.argv[1]](sys.argv[2], sys.argv[3])
