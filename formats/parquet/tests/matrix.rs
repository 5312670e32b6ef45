//! The test matrix for parquet: the all-types table, an empty table and 1M rows, written by the
//! plugin and read back through the plugin, pyarrow and DuckDB.

#[path = "shared/interop.rs"]
mod interop;

use std::sync::Arc;

use arrow_array::{RecordBatch, RecordBatchIterator};
use arrow_schema::SchemaRef;
use interop::*;
use stowage_plugin_parquet::ParquetFormat;
use stowage_plugin_sdk::io::MemoryReader;
use stowage_plugin_sdk::{Format, FormatPlugin, Options};

fn format(pairs: &[(&str, &str)]) -> Box<dyn Format> {
    ParquetFormat::open(Options::new(pairs.iter().copied())).expect("options are valid")
}

fn write(
    format: &dyn Format,
    schema: SchemaRef,
    batches: Vec<RecordBatch>,
    out: &mut (dyn std::io::Write + Send),
) {
    let mut reader = RecordBatchIterator::new(batches.into_iter().map(Ok), schema);
    format.write(&mut reader, out).expect("written");
}

fn to_bytes(format: &dyn Format, schema: SchemaRef, batches: Vec<RecordBatch>) -> Vec<u8> {
    let mut out = Vec::new();
    write(format, schema, batches, &mut out);
    out
}

fn read(format: &dyn Format, bytes: Vec<u8>, schema: Option<SchemaRef>) -> Vec<RecordBatch> {
    format
        .read(Box::new(MemoryReader::new(bytes)), schema)
        .expect("readable")
        .collect::<Result<_, _>>()
        .expect("batches decode")
}

#[test]
fn all_types_round_trip_through_the_plugin_with_every_option_set() {
    let batch = all_types_batch();
    let schema = batch.schema();
    for options in [
        &[][..],
        &[("compression", "zstd"), ("use_dictionary", "false")],
        &[
            ("compression", "gzip"),
            ("data_page_version", "2.0"),
            ("version", "1.0"),
        ],
        &[
            ("compression", "lz4"),
            ("row_group_size", "5"),
            ("write_page_index", "true"),
        ],
        &[
            ("compression", "none"),
            ("version", "2.6"),
            ("data_page_size", "64"),
        ],
    ] {
        let f = format(options);
        let bytes = to_bytes(
            f.as_ref(),
            schema.clone(),
            vec![batch.clone(), batch.slice(3, 4)],
        );
        let back = concat(
            &schema,
            &read(f.as_ref(), bytes.clone(), Some(schema.clone())),
        );
        let want = concat(&schema, &[batch.clone(), batch.slice(3, 4)]);
        assert_eq!(back, want, "{options:?}");
        // Without a schema, the embedded Arrow schema gives back every type and nullability.
        let free = read(f.as_ref(), bytes, None);
        let free_schema = free[0].schema();
        for (got, wrote) in free_schema.fields().iter().zip(schema.fields()) {
            assert_eq!(
                (got.name(), got.data_type(), got.is_nullable()),
                (wrote.name(), wrote.data_type(), wrote.is_nullable()),
                "{options:?}"
            );
        }
    }
}

#[test]
fn a_schema_selects_casts_and_fills_columns() {
    use arrow_schema::{DataType, Field, Schema, TimeUnit};
    let batch = all_types_batch();
    let f = format(&[]);
    let bytes = to_bytes(f.as_ref(), batch.schema(), vec![batch.clone()]);
    let wanted = Arc::new(Schema::new(vec![
        Field::new(
            "created",
            DataType::Timestamp(TimeUnit::Microsecond, Some("+00:00".into())),
            true,
        ),
        Field::new("text", DataType::LargeUtf8, true),
        Field::new("not_in_file", DataType::Int64, true),
    ]));
    let back = read(f.as_ref(), bytes.clone(), Some(wanted.clone()));
    assert_eq!(back[0].schema(), wanted);
    assert_eq!(back[0].num_rows(), batch.num_rows());
    assert_eq!(back[0].column(2).null_count(), batch.num_rows());
    let required = Arc::new(Schema::new(vec![Field::new(
        "missing",
        DataType::Int64,
        false,
    )]));
    let err = f
        .read(Box::new(MemoryReader::new(bytes)), Some(required))
        .err()
        .expect("a required column must exist")
        .to_string();
    assert!(err.contains("`missing`"), "{err}");
}

#[test]
fn empty_tables_keep_their_schema() {
    let schema = all_types_batch().schema();
    let f = format(&[]);
    for batches in [vec![], vec![all_types_batch().slice(0, 0)]] {
        let bytes = to_bytes(f.as_ref(), schema.clone(), batches);
        assert_eq!(&bytes[..4], b"PAR1");
        let back = read(f.as_ref(), bytes.clone(), Some(schema.clone()));
        assert_eq!(back.iter().map(|b| b.num_rows()).sum::<usize>(), 0);
        let reader = f.read(Box::new(MemoryReader::new(bytes)), None).unwrap();
        assert_eq!(reader.schema().fields().len(), schema.fields().len());
    }
}

const PYARROW_ROWS: &str = r#"
import pyarrow.parquet as pq
t = pq.read_table(sys.argv[1])
print(json.dumps({"schema": [[f.name, str(f.type), f.nullable] for f in t.schema]}))
emit(t.column_names, (tuple(r.values()) for r in t.to_pylist()))
"#;

const DUCKDB_ROWS: &str = r#"
import duckdb
con = duckdb.connect()
con.execute("SET TimeZone = 'UTC'")
cur = con.execute(f"SELECT * EXCLUDE (wei) FROM read_parquet('{sys.argv[1]}') ORDER BY row_id")
emit([d[0] for d in cur.description], cur.fetchall())
"#;

#[test]
fn pyarrow_and_duckdb_read_every_type() {
    let Some(python) = python() else { return };
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("all.parquet");
    let batch = all_types_batch();
    let mut file = std::fs::File::create(&path).unwrap();
    write(
        format(&[]).as_ref(),
        batch.schema(),
        vec![batch.slice(0, 5), batch.slice(5, 7)],
        &mut file,
    );
    drop(file);
    let arg = path.to_str().unwrap();

    let out = json_lines(&run_python(&python, PYARROW_ROWS, &[arg]));
    let (meta, rows) = out.split_first().unwrap();
    let schema: Vec<String> = meta["schema"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            format!(
                "{}: {}{}",
                c[0].as_str().unwrap(),
                c[1].as_str().unwrap(),
                if c[2] == true { "" } else { " not null" }
            )
        })
        .collect();
    assert_eq!(
        schema,
        [
            "row_id: int64 not null",
            "text: string",
            "double: double",
            "bool: bool",
            "bigint: int64",
            "small: int16",
            "medium: int32",
            "decimal: decimal128(38, 9)",
            "amount: decimal128(10, 2)",
            "wei: decimal256(76, 0)",
            "created: timestamp[us, tz=UTC]",
            "naive: timestamp[us]",
            "ms_ts: timestamp[ms, tz=UTC]",
            "tm: time64[us]",
            "day: date32[day]",
            "blob: binary",
            "payload: string",
            "_dlt_load_id: string not null",
            "_dlt_id: string not null",
        ]
    );
    assert_rows(&batch, rows, Leniency::default());

    // DuckDB has no decimal wider than 38 digits (it would read `wei` as a double).
    let rows = json_lines(&run_python(&python, DUCKDB_ROWS, &[arg]));
    assert_rows(&without(&batch, &["wei"]), &rows, Leniency::default());
}

const LARGE_PYARROW: &str = r#"
import pyarrow.parquet as pq, pyarrow.compute as pc
f = pq.ParquetFile(sys.argv[1])
t = f.read()
print(json.dumps({
    "rows": t.num_rows,
    "row_groups": f.metadata.num_row_groups,
    "nulls": [[n, t.column(n).null_count] for n in t.column_names],
    "id_sum": pc.sum(t.column("id")).as_py(),
}))
ids = t.column("id").to_pylist()
keep = [i for i, v in enumerate(ids) if v % 9973 == 0]
emit(t.column_names, (tuple(r.values()) for r in t.take(keep).to_pylist()))
"#;

const LARGE_DUCKDB: &str = r#"
import duckdb
con = duckdb.connect()
r = con.execute(f"SELECT count(*), sum(id), count(name), count(blob), count(created) FROM read_parquet('{sys.argv[1]}')").fetchone()
print(json.dumps({"duckdb": [int(x) for x in r]}))
"#;

const MILLION: usize = 1_000_000;

#[test]
fn one_million_rows_stream_through_plugin_pyarrow_and_duckdb() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("large.parquet");
    let schema = stowage_plugin_sdk::testing::format::standard_schema();
    let f = format(&[]);
    let mut file = std::fs::File::create(&path).unwrap();
    write(
        f.as_ref(),
        schema.clone(),
        large_batches(MILLION, 10_000),
        &mut file,
    );
    drop(file);

    // Through the plugin, batch by batch against the regenerated rows.
    let bytes = std::fs::read(&path).unwrap();
    let reader = f
        .read(Box::new(MemoryReader::new(bytes)), Some(schema.clone()))
        .unwrap();
    let mut next_id = 0usize;
    for batch in reader {
        let batch = batch.unwrap();
        let want =
            stowage_plugin_sdk::testing::format::standard_batch(next_id as i64, batch.num_rows());
        assert_eq!(batch, want, "rows from {next_id}");
        next_id += batch.num_rows();
    }
    assert_eq!(next_id, MILLION);

    let Some(python) = python() else { return };
    let arg = path.to_str().unwrap();
    let out = json_lines(&run_python(&python, LARGE_PYARROW, &[arg]));
    let (meta, rows) = out.split_first().unwrap();
    assert_eq!(meta["rows"], MILLION);
    assert_eq!(meta["row_groups"], 100, "one row group per written batch");
    assert_eq!(meta["id_sum"], (MILLION * (MILLION - 1) / 2) as u64);
    let all = large_batches(MILLION, 10_000);
    let want_nulls: Vec<serde_json::Value> = null_counts(&schema, &all)
        .into_iter()
        .map(|(n, c)| serde_json::json!([n, c]))
        .collect();
    assert_eq!(meta["nulls"], serde_json::Value::from(want_nulls));
    let sample = rows_where(&concat(&schema, &all), |i| i % 9973 == 0);
    assert_rows(&sample, rows, Leniency::default());

    let out = json_lines(&run_python(&python, LARGE_DUCKDB, &[arg]));
    let nulls = |name: &str| {
        null_counts(&schema, &all)
            .into_iter()
            .find(|(n, _)| n == name)
            .unwrap()
            .1
    };
    assert_eq!(
        out[0]["duckdb"],
        serde_json::json!([
            MILLION,
            MILLION * (MILLION - 1) / 2,
            MILLION - nulls("name"),
            MILLION - nulls("blob"),
            MILLION - nulls("created")
        ])
    );
}

#[test]
fn nested_columns_are_stored_natively() {
    use arrow_array::builder::{Int64Builder, ListBuilder};
    use arrow_array::{Array, ArrayRef, Int64Array, StructArray};
    use arrow_schema::{DataType, Field, Schema};
    let mut list = ListBuilder::new(Int64Builder::new());
    list.append_value([Some(1), None, Some(3)]);
    list.append_null();
    list.append_value([]);
    let list = list.finish();
    let point = StructArray::from(vec![(
        Arc::new(Field::new("x", DataType::Int64, true)),
        Arc::new(Int64Array::from(vec![Some(1), None, Some(2)])) as ArrayRef,
    )]);
    let schema = Arc::new(Schema::new(vec![
        Field::new("tags", list.data_type().clone(), true),
        Field::new("point", point.data_type().clone(), true),
    ]));
    let batch =
        RecordBatch::try_new(schema.clone(), vec![Arc::new(list), Arc::new(point)]).unwrap();
    let f = format(&[]);
    let bytes = to_bytes(f.as_ref(), schema.clone(), vec![batch.clone()]);
    assert_eq!(read(f.as_ref(), bytes, Some(schema)), vec![batch]);
}
