"""Reads a dataset on a filesystem bucket with a fresh dlt pipeline, as a new machine would.

usage: dlt_read.py PIPELINE BUCKET_URL DATASET PIPELINES_DIR

Restores state and schema from the bucket (`sync_destination`), then prints one JSON document:
the schema name and version hash, and for every table of `default_schema.data_tables()` its
name, parent, columns (name, data_type, nullable, variant), row count, all rows (read through
`pipeline.dataset()[table].arrow()`, timestamps as ISO-8601 UTC), and for nested tables the rows
whose `_dlt_id` differs from dlt's deterministic nested row id.
"""

import sys

from dlt.common.normalizers.json.helpers import get_nested_row_hash

from dlt_common import data_tables_dump, filesystem_pipeline, print_json


def nested_id_errors(table_name, rows):
    """Rows whose `_dlt_id` is not digest128("{parent_id}_{table}_{list_idx}")."""
    errors = []
    for row in rows:
        if "_dlt_parent_id" not in row:
            continue
        want = get_nested_row_hash(row["_dlt_parent_id"], table_name, row.get("_dlt_list_idx"))
        if row.get("_dlt_id") != want:
            errors.append({"row": row, "expected_dlt_id": want})
    return errors[:5]


def main(pipeline_name, bucket_url, dataset_name, pipelines_dir):
    p = filesystem_pipeline(pipeline_name, bucket_url, dataset_name, pipelines_dir)
    p.sync_destination()
    schema = p.default_schema
    tables = data_tables_dump(schema.to_dict()["tables"])
    dataset = p.dataset()
    for table in tables:
        rows = dataset[table["name"]].arrow().to_pylist()
        table["row_count"] = len(rows)
        table["rows"] = rows
        table["nested_id_errors"] = nested_id_errors(table["name"], rows)
    print_json(
        {
            "schema_name": schema.name,
            "schema_version_hash": schema.version_hash,
            "state_dataset_name": p.dataset_name,
            "tables": tables,
        }
    )


if __name__ == "__main__":
    main(*sys.argv[1:5])
