//! Exact bytes: the statement layout of spec §4.5 in both dialects, and string, binary and
//! temporal literals equal to dlt 1.31's own `escape_postgres_literal` /
//! `escape_duckdb_literal` (run in the tests' venv).

#[path = "../../parquet/tests/shared/interop.rs"]
mod interop;

use std::sync::Arc;

use arrow_array::*;
use arrow_schema::{DataType, Field, Schema, TimeUnit};
use interop::*;
use stowage_plugin_insert_values::writer::literals::LiteralWriter;
use stowage_plugin_insert_values::{Dialect, InsertValuesFormat};
use stowage_plugin_sdk::{FormatPlugin, Options};

fn sql(dialect: &str, batches: Vec<RecordBatch>) -> String {
    let format = InsertValuesFormat::open(Options::new([
        ("dialect", dialect),
        ("disable_compression", "true"),
    ]))
    .unwrap();
    let schema = batches[0].schema();
    let mut reader = RecordBatchIterator::new(batches.into_iter().map(Ok), schema);
    let mut out = Vec::new();
    format.write(&mut reader, &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

fn small_table() -> RecordBatch {
    let cols: Vec<(Field, ArrayRef)> = vec![
        (
            Field::new("id", DataType::Int64, false),
            Arc::new(Int64Array::from(vec![1, 2])),
        ),
        (
            f("name", DataType::Utf8),
            Arc::new(StringArray::from(vec![Some("it's"), None])),
        ),
        (
            f("amount", DataType::Decimal128(38, 9)),
            Arc::new(
                Decimal128Array::from(vec![Some(10_500_000_000), Some(-1)])
                    .with_precision_and_scale(38, 9)
                    .unwrap(),
            ),
        ),
        (
            f("score", DataType::Float64),
            Arc::new(Float64Array::from(vec![Some(1.5), Some(f64::NAN)])),
        ),
        (
            f("active", DataType::Boolean),
            Arc::new(BooleanArray::from(vec![Some(true), Some(false)])),
        ),
        (
            f(
                "created",
                DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
            ),
            Arc::new(
                TimestampMicrosecondArray::from(vec![Some(1_704_164_645_123_456), None])
                    .with_timezone("UTC"),
            ),
        ),
        (
            f("blob", DataType::Binary),
            Arc::new(BinaryArray::from(vec![Some(&b"\x00\x01hi"[..]), None])),
        ),
        (
            json_field("payload"),
            Arc::new(StringArray::from(vec![Some(r#"{"a":"b'c"}"#), None])),
        ),
        (
            Field::new("weird \"name\"", DataType::Int64, true),
            Arc::new(Int64Array::from(vec![None, Some(7)])),
        ),
    ];
    let (fields, arrays): (Vec<Field>, Vec<ArrayRef>) = cols.into_iter().unzip();
    RecordBatch::try_new(Arc::new(Schema::new(fields)), arrays).unwrap()
}

#[test]
fn postgres_statement() {
    let b = small_table();
    assert_eq!(
        sql("postgres", vec![b.slice(0, 1), b.slice(1, 1)]),
        concat!(
            "INSERT INTO {}(\"id\",\"name\",\"amount\",\"score\",\"active\",\"created\",\"blob\",\"payload\",\"weird \"\"name\"\"\")\n",
            "VALUES\n",
            "(1,E'it''s',10.500000000,1.5,TRUE,'2024-01-02T03:04:05.123456+00:00','\\x00016869',E'{\"a\":\"b''c\"}',NULL),\n",
            "(2,NULL,-0.000000001,'NaN',FALSE,NULL,NULL,NULL,7);"
        )
    );
}

#[test]
fn duckdb_statement() {
    assert_eq!(
        sql("duckdb", vec![small_table()]),
        concat!(
            "INSERT INTO {}(\"id\",\"name\",\"amount\",\"score\",\"active\",\"created\",\"blob\",\"payload\",\"weird \"\"name\"\"\")\n",
            "VALUES\n",
            "(1,E'it''s','10.500000000',1.5e0,TRUE,'2024-01-02T03:04:05.123456+00:00',from_base64('AAFoaQ=='),E'{\"a\":\"b''c\"}',NULL),\n",
            "(2,NULL,'-0.000000001','NaN',FALSE,NULL,NULL,NULL,7);"
        )
    );
}

#[test]
fn no_rows_is_an_empty_script() {
    let b = small_table();
    assert_eq!(sql("postgres", vec![b.slice(0, 0)]), "");
}

/// dlt's literal escaping of the values given as canonical JSON on stdin (one per line).
const DLT_LITERALS: &str = r#"
from dlt.common.data_writers.escape import escape_postgres_literal, escape_duckdb_literal
escape = {"postgres": escape_postgres_literal, "duckdb": escape_duckdb_literal}[sys.argv[1]]
for line in sys.stdin:
    v = json.loads(line)["v"]
    kind, _, text = v.partition(":")
    if kind == "s":
        py = text
    elif kind == "b":
        py = bytes.fromhex(text)
    elif kind == "tz":
        py = EPOCH + int(text) * US
    elif kind == "t":
        py = NAIVE_EPOCH + int(text) * US
    elif kind == "date":
        py = datetime.date(1970, 1, 1) + datetime.timedelta(days=int(text))
    elif kind == "time":
        us = int(text)
        py = datetime.time(us // 3600000000, us // 60000000 % 60, us // 1000000 % 60, us % 1000000)
    print(json.dumps(escape(py), ensure_ascii=False))
"#;

#[test]
fn string_binary_and_temporal_literals_equal_dlts() {
    let Some(python) = python() else { return };
    let all = all_types_batch();
    for (dialect_name, dialect) in [("postgres", Dialect::Postgres), ("duckdb", Dialect::Duckdb)] {
        for name in ["text", "blob", "created", "naive", "tm", "day"] {
            let column = all.column_by_name(name).unwrap();
            let field = all.schema().field_with_name(name).unwrap().clone();
            let writer = LiteralWriter::new(&field, column, dialect).unwrap();
            let mut stdin = String::new();
            let mut ours = Vec::new();
            for row in (0..all.num_rows()).filter(|&r| column.is_valid(r)) {
                let v = canonical_value(&field, column.as_ref(), row);
                stdin.push_str(&serde_json::json!({ "v": v }).to_string());
                stdin.push('\n');
                let mut out = Vec::new();
                writer.write(row, &mut out).unwrap();
                ours.push(String::from_utf8(out).unwrap());
            }
            let dlt: Vec<String> = run_python_stdin(&python, DLT_LITERALS, &[dialect_name], &stdin)
                .lines()
                .map(|l| serde_json::from_str(l).unwrap())
                .collect();
            assert_eq!(ours, dlt, "{dialect_name} {name}");
        }
    }
}
