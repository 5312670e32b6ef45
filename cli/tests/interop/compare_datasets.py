"""Compares a dataset dlt wrote with one Stowage wrote from the same input, file by file.

usage: compare_datasets.py DLT_DATASET_DIR STOWAGE_DATASET_DIR

Both datasets hold one load of the same rows with the same pipeline, dataset and table names.
Prints one JSON document {"differences": [...], "dlt_files": [...], "stowage_files": [...]}:
* the file layout with load ids, times and file ids masked (schema hashes kept);
* `init` bytes;
* the newest `_dlt_version` document (inserted_at masked) and its `schema` string, byte for byte
  and structurally (key order included);
* the newest `_dlt_pipeline_state` document (created_at, _dlt_load_id masked) and its decoded state
  (key order ignored: dlt's own order varies between runs);
* the `_dlt_loads` marker (load_id, inserted_at masked);
* every data file's decompressed lines, with `_dlt_id`, `_dlt_parent_id` and `_dlt_load_id` values
  masked (root ids are random), compared as JSON objects: key order is ignored, because Stowage
  writes a row's keys in the table's column order while dlt keeps each row's own order (variant
  columns land where their source key was) — a documented difference no JSON reader sees.
"""

import base64
import gzip
import json
import os
import re
import sys
import zlib

from dlt_common import differences, newest_version_file, print_json

LOAD_ID = r"\d+\.\d+"
ID_KEYS = re.compile(r'"(_dlt_id|_dlt_parent_id|_dlt_load_id)":"[^"]*"')


def files(root):
    out = []
    for d, _, names in os.walk(root):
        for n in names:
            out.append(os.path.relpath(os.path.join(d, n), root).replace(os.sep, "/"))
    return sorted(out)


def masked_name(rel):
    rel = re.sub(rf"__{LOAD_ID}__", "__<t>__", rel)
    rel = re.sub(rf"__{LOAD_ID}\.jsonl$", "__<load_id>.jsonl", rel)
    return re.sub(rf"/{LOAD_ID}\.[0-9a-f]{{10}}\.", "/<load_id>.<file_id>.", rel)


def ordered(text):
    """JSON with objects as dicts in file order (Python dicts keep insertion order)."""
    return json.loads(text)


def newest(root, table):
    if table == "_dlt_loads":
        d = os.path.join(root, table)
        names = sorted(n for n in os.listdir(d) if n != "init") if os.path.isdir(d) else []
        return os.path.join(d, names[-1]) if names else None
    return newest_version_file(os.path.join(root, table))


def compare_doc(what, a_path, b_path, masked, out):
    """Compares two special-file documents; returns both parsed (or None)."""
    if a_path is None or b_path is None:
        out.append(f"{what}: dlt file {a_path}, stowage file {b_path}")
        return None, None
    a, b = ordered(open(a_path, encoding="utf-8").read()), ordered(open(b_path, encoding="utf-8").read())
    am = {k: ("<masked>" if k in masked else v) for k, v in a.items()}
    bm = {k: ("<masked>" if k in masked else v) for k, v in b.items()}
    out.extend(f"{what} {d}" for d in differences(am, bm))
    return a, b


def compare_version(dlt_root, st_root, out):
    a, b = compare_doc(
        "_dlt_version",
        newest(dlt_root, "_dlt_version"),
        newest(st_root, "_dlt_version"),
        {"inserted_at", "schema"},
        out,
    )
    if a is None:
        return
    if a.get("schema") != b.get("schema"):
        sa, sb = ordered(a["schema"]), ordered(b["schema"])
        diffs = differences(sa, sb)
        out.extend(f"_dlt_version schema {d}" for d in diffs)
        if not diffs:
            out.append("_dlt_version: the schema strings differ only in formatting")


def sorted_keys(value):
    if isinstance(value, dict):
        return {k: sorted_keys(value[k]) for k in sorted(value)}
    if isinstance(value, list):
        return [sorted_keys(v) for v in value]
    return value


def decode_state(doc):
    return ordered(zlib.decompress(base64.b64decode(doc["state"])).decode("utf-8"))


def compare_state(dlt_root, st_root, out):
    a, b = compare_doc(
        "_dlt_pipeline_state",
        newest(dlt_root, "_dlt_pipeline_state"),
        newest(st_root, "_dlt_pipeline_state"),
        {"created_at", "_dlt_load_id", "state"},
        out,
    )
    if a is None:
        return
    try:
        # dlt's own key order of the state varies from run to run: compare with sorted keys
        sa, sb = sorted_keys(decode_state(a)), sorted_keys(decode_state(b))
        out.extend(f"_dlt_pipeline_state state {d}" for d in differences(sa, sb))
    except Exception as exc:
        out.append(f"_dlt_pipeline_state: cannot decode state: {exc}")


def data_lines(path):
    raw = open(path, "rb").read()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    text = raw.decode("utf-8")
    masked = [ID_KEYS.sub(lambda m: f'"{m.group(1)}":"*"', line) for line in text.splitlines()]
    return [json.dumps(json.loads(line), sort_keys=True, ensure_ascii=False) for line in masked]


def compare_data(dlt_root, st_root, dlt_files, st_files, out):
    def by_table(root, names):
        tables = {}
        for n in names:
            if n.startswith("_dlt") or "/" not in n:
                continue
            tables.setdefault(n.split("/")[0], []).extend(data_lines(os.path.join(root, n)))
        return tables

    a, b = by_table(dlt_root, dlt_files), by_table(st_root, st_files)
    for table in sorted(set(a) & set(b)):
        la, lb = a[table], b[table]
        if la == lb:
            continue
        if sorted(la) == sorted(lb):
            out.append(f"data {table}: same lines in another order")
            continue
        only_a = [line for line in la if line not in lb][:3]
        only_b = [line for line in lb if line not in la][:3]
        out.append(f"data {table}: dlt {len(la)} lines, stowage {len(lb)}; only dlt: {only_a}; only stowage: {only_b}")


def main(dlt_root, st_root):
    out = []
    dlt_files, st_files = files(dlt_root), files(st_root)
    a_layout = sorted(masked_name(f) for f in dlt_files)
    b_layout = sorted(masked_name(f) for f in st_files)
    if a_layout != b_layout:
        out.append(f"layout: only dlt {sorted(set(a_layout) - set(b_layout))}, only stowage {sorted(set(b_layout) - set(a_layout))}")
    init_a = open(os.path.join(dlt_root, "init"), "rb").read() if "init" in dlt_files else None
    init_b = open(os.path.join(st_root, "init"), "rb").read() if "init" in st_files else None
    if init_a != init_b:
        out.append(f"init: dlt {init_a!r} vs stowage {init_b!r}")
    compare_version(dlt_root, st_root, out)
    compare_state(dlt_root, st_root, out)
    compare_doc("_dlt_loads", newest(dlt_root, "_dlt_loads"), newest(st_root, "_dlt_loads"), {"load_id", "inserted_at"}, out)
    compare_data(dlt_root, st_root, dlt_files, st_files, out)
    print_json({"differences": out, "dlt_files": dlt_files, "stowage_files": st_files})


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
