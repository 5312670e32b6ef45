"""Loads an NDJSON file with dlt 1.31 to a filesystem bucket.

usage: dlt_load.py PIPELINE BUCKET_URL DATASET PIPELINES_DIR TABLE LOADER_FILE_FORMAT INPUT.ndjson

LOADER_FILE_FORMAT `default` passes none (dlt then stores no `file_format` hint on the table).

Prints one JSON document: the load ids, the schema version hash and the data tables of the
resulting schema.
"""

import json
import sys

from dlt_common import data_tables_dump, filesystem_pipeline, print_json


def main(pipeline_name, bucket_url, dataset_name, pipelines_dir, table, file_format, path):
    with open(path, encoding="utf-8") as f:
        rows = [json.loads(line) for line in f if line.strip()]
    p = filesystem_pipeline(pipeline_name, bucket_url, dataset_name, pipelines_dir)
    options = {} if file_format == "default" else {"loader_file_format": file_format}
    info = p.run(rows, table_name=table, **options)
    info.raise_on_failed_jobs()
    print_json(
        {
            "load_ids": info.loads_ids,
            "schema_version_hash": p.default_schema.version_hash,
            "tables": data_tables_dump(p.default_schema.to_dict()["tables"]),
        }
    )


if __name__ == "__main__":
    main(*sys.argv[1:8])
