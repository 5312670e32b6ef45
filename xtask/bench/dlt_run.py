#!/usr/bin/env python3
"""Load one NDJSON file with dlt into the filesystem destination on a local bucket, the way
`shared/bench/dlt_run.py` does, for `cargo xtask bench`.

  dlt_run.py INPUT.ndjson RUN_DIR --format {jsonl,parquet,csv} [--tuned] [--table items]

The bucket (RUN_DIR/bucket) and pipelines dir (RUN_DIR/pipelines) are created fresh; the caller
deletes RUN_DIR after measuring, so no cleanup time is counted here.

Default: dlt's own defaults (one normalize worker, pages of 1,000 items, gzip for jsonl/csv).
--tuned: the settings of dlt's "Optimizing dlt" page, as in the reference harness: extract-file
rotation so normalize can use a process pool (SOURCES__DATA_WRITER__FILE_MAX_ITEMS; dlt 1.31
ignores EXTRACT__DATA_WRITER__*), one normalize worker per CPU, normalize-file rotation so the
loader copies in parallel, bigger writer buffers, pages of 10,000 items.

Prints one JSON line: rows (input records), tables (dlt's per-table counts; for csv dlt 1.31
counts values, not rows), t_import / t_extract / t_normalize / t_load (seconds), dlt version.
"""
import argparse
import json
import os
import sys
import time

TUNED = {
    "SOURCES__DATA_WRITER__FILE_MAX_ITEMS": "100000",
    "NORMALIZE__DATA_WRITER__FILE_MAX_ITEMS": "250000",
    "DATA_WRITER__BUFFER_MAX_ITEMS": "50000",
}


def arguments():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("input")
    ap.add_argument("run_dir")
    ap.add_argument("--format", choices=["jsonl", "parquet", "csv"], required=True)
    ap.add_argument("--tuned", action="store_true")
    ap.add_argument("--table", default="items")
    return ap.parse_args()


def pages(path, size, loads, counter):
    page = []
    with open(path, "rb") as f:
        for line in f:
            if line.strip():
                page.append(loads(line))
                if len(page) >= size:
                    counter[0] += len(page)
                    yield page
                    page = []
    if page:
        counter[0] += len(page)
        yield page


def main():
    a = arguments()
    bucket = os.path.join(a.run_dir, "bucket")
    os.makedirs(bucket, exist_ok=True)
    os.environ["RUNTIME__DLTHUB_TELEMETRY"] = "false"
    os.environ["RUNTIME__LOG_LEVEL"] = "WARNING"
    workers = 1
    if a.tuned:
        os.environ.update(TUNED)
        workers = os.cpu_count() or 1
        os.environ["NORMALIZE__WORKERS"] = str(workers)
    page_size = 10_000 if a.tuned else 1_000

    t0 = time.perf_counter()
    import dlt
    from dlt.common import json as dlt_json
    t_import = time.perf_counter() - t0

    counter = [0]
    resource = dlt.resource(
        pages(a.input, page_size, dlt_json.loadb, counter), name=a.table, table_name=a.table
    )
    pipeline = dlt.pipeline(
        pipeline_name="bench",
        pipelines_dir=os.path.join(a.run_dir, "pipelines"),
        destination=dlt.destinations.filesystem(bucket_url="file://" + os.path.abspath(bucket)),
        dataset_name="bench",
        progress=None,
    )
    t1 = time.perf_counter()
    pipeline.extract(resource, loader_file_format=a.format)
    t2 = time.perf_counter()
    info = pipeline.normalize(workers=workers)
    t3 = time.perf_counter()
    pipeline.load().raise_on_failed_jobs()
    t4 = time.perf_counter()
    tables = {t: n for t, n in dict(info.row_counts).items() if not t.startswith("_dlt")}
    print(json.dumps({
        "rows": counter[0],
        "tables": tables,
        "t_import": round(t_import, 3),
        "t_extract": round(t2 - t1, 3),
        "t_normalize": round(t3 - t2, 3),
        "t_load": round(t4 - t3, 3),
        "dlt": dlt.__version__,
    }))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
