#!/usr/bin/env python3
"""The C++ ceiling for NDJSON -> parquet (`cargo xtask bench` anchor): pyarrow's
json.read_json of the whole file, then parquet.write_table with its defaults (snappy).

  pyarrow_run.py INPUT.ndjson OUTPUT.parquet

Prints {"rows": N, "bytes_written": B, "pyarrow": version} as one JSON line.
"""
import json
import os
import sys

import pyarrow
import pyarrow.json as pa_json
import pyarrow.parquet as pa_parquet


def main():
    source, target = sys.argv[1], sys.argv[2]
    table = pa_json.read_json(source)
    pa_parquet.write_table(table, target)
    print(json.dumps({
        "rows": table.num_rows,
        "bytes_written": os.path.getsize(target),
        "pyarrow": pyarrow.__version__,
    }))


if __name__ == "__main__":
    main()
