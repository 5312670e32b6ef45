//! Exact bytes: the spec's csv examples (§4.4, A.2), and dlt 1.31's own object csv writer
//! (`CsvWriter`, run in the tests' venv) on the same values.

#[path = "../../parquet/tests/shared/interop.rs"]
mod interop;

use std::sync::Arc;

use arrow_array::*;
use arrow_schema::{DataType, Field, Schema, TimeUnit};
use interop::*;
use stowage_plugin_csv::{CsvConfig, Quoting, writer};

fn csv(config: &CsvConfig, batch: &RecordBatch) -> String {
    let mut out = Vec::new();
    writer::write_header(config, batch.schema_ref(), &mut out).unwrap();
    writer::encode_rows(config, batch, &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

fn batch(cols: Vec<(Field, ArrayRef)>) -> RecordBatch {
    let (fields, arrays): (Vec<Field>, Vec<ArrayRef>) = cols.into_iter().unzip();
    RecordBatch::try_new(Arc::new(Schema::new(fields)), arrays).unwrap()
}

#[test]
fn spec_section_4_4_object_path_row() {
    let b = batch(vec![
        (
            json_field("payload"),
            Arc::new(StringArray::from(vec![r#"{"free": "form", "n": [1, 2]}"#])),
        ),
        (
            Field::new("id", DataType::Int64, true),
            Arc::new(Int64Array::from(vec![101])),
        ),
        (
            f("name", DataType::Utf8),
            Arc::new(StringArray::from(vec!["Alice"])),
        ),
        (
            f("amount", DataType::Decimal128(38, 2)),
            Arc::new(
                Decimal128Array::from(vec![1050])
                    .with_precision_and_scale(38, 2)
                    .unwrap(),
            ),
        ),
        (
            f("score", DataType::Float64),
            Arc::new(Float64Array::from(vec![1.5])),
        ),
        (
            f("active", DataType::Boolean),
            Arc::new(BooleanArray::from(vec![true])),
        ),
        (
            f(
                "created",
                DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
            ),
            Arc::new(
                TimestampMicrosecondArray::from(vec![1_704_164_645_123_456]).with_timezone("UTC"),
            ),
        ),
    ]);
    assert_eq!(
        csv(&CsvConfig::default(), &b),
        concat!(
            r#""payload","id","name","amount","score","active","created""#,
            "\n",
            r#""{""free"":""form"",""n"":[1,2]}",101,"Alice",10.50,1.5,True,"2024-01-02 03:04:05.123456+00:00""#,
            "\n"
        )
    );
}

#[test]
fn spec_appendix_a2_nested_table() {
    let b = batch(vec![
        (
            f("value", DataType::Utf8),
            Arc::new(StringArray::from(vec!["a", "b"])),
        ),
        (
            Field::new("_dlt_parent_id", DataType::Utf8, false),
            Arc::new(StringArray::from(vec!["ry6wtodPJ2BIww"; 2])),
        ),
        (
            Field::new("_dlt_list_idx", DataType::Int64, false),
            Arc::new(Int64Array::from(vec![0, 1])),
        ),
        (
            Field::new("_dlt_id", DataType::Utf8, false),
            Arc::new(StringArray::from(vec!["ZGkAP99Xgkcu8w", "egghCrve5ZSLpw"])),
        ),
    ]);
    assert_eq!(
        csv(&CsvConfig::default(), &b),
        "\"value\",\"_dlt_parent_id\",\"_dlt_list_idx\",\"_dlt_id\"\n\
         \"a\",\"ry6wtodPJ2BIww\",0,\"ZGkAP99Xgkcu8w\"\n\
         \"b\",\"ry6wtodPJ2BIww\",1,\"egghCrve5ZSLpw\"\n"
    );
}

#[test]
fn nulls_are_empty_unquoted_and_empty_strings_are_quoted() {
    let b = batch(vec![
        (
            f("s", DataType::Utf8),
            Arc::new(StringArray::from(vec![Some(""), None])),
        ),
        (
            f("n", DataType::Int64),
            Arc::new(Int64Array::from(vec![None, Some(1)])),
        ),
    ]);
    assert_eq!(csv(&CsvConfig::default(), &b), "\"s\",\"n\"\n\"\",\n,1\n");
    let all = CsvConfig {
        quoting: Quoting::QuoteAll,
        ..CsvConfig::default()
    };
    assert_eq!(csv(&all, &b), "\"s\",\"n\"\n\"\",\n,\"1\"\n");
}

#[test]
fn binary_is_utf8_text_or_hex() {
    let b = batch(vec![(
        f("blob", DataType::Binary),
        Arc::new(BinaryArray::from(vec![
            &b"hi"[..],
            &b"\xff\x00"[..],
            &b"\\x41"[..],
        ])),
    )]);
    let config = CsvConfig {
        include_header: false,
        ..CsvConfig::default()
    };
    assert_eq!(
        csv(&config, &b).replace("\"blob\"\n", ""),
        "\"hi\"\n\"\\xff00\"\n\"\\x5c783431\"\n"
    );
}

/// Runs dlt's `CsvWriter` over rows given as canonical JSON, with the column types given.
const DLT_CSV_WRITER: &str = r#"
import io
from dlt.common.data_writers.writers import CsvWriter

columns = json.loads(sys.argv[1])
quoting, delimiter = sys.argv[2], sys.argv[3]
DLT_TYPE = {"text": "text", "json": "json", "double": "double", "bool": "bool", "int": "bigint",
            "decimal": "decimal", "timestamp_tz": "timestamp", "timestamp": "timestamp",
            "date": "date", "time": "time", "binary": "binary"}

def value(tag, v):
    if v is None or isinstance(v, (bool, int)):
        return v
    kind, _, text = v.partition(":")
    if kind == "s":
        return json.loads(text) if tag == "json" else text
    if kind == "f":
        return float(text)
    if kind == "d":
        return decimal.Decimal(text)
    if kind == "tz":
        return EPOCH + int(text) * US
    if kind == "t":
        return NAIVE_EPOCH + int(text) * US
    if kind == "date":
        return datetime.date(1970, 1, 1) + datetime.timedelta(days=int(text))
    if kind == "time":
        us = int(text)
        return datetime.time(us // 3600000000, us // 60000000 % 60, us // 1000000 % 60, us % 1000000)
    if kind == "b":
        return bytes.fromhex(text)
    raise ValueError(v)

rows = []
for line in sys.stdin:
    d = json.loads(line)
    rows.append({n: value(t, d[n]) for n, t in columns})
schema = {n: {"name": n, "data_type": DLT_TYPE[t]} for n, t in columns}
f = io.BytesIO()
w = CsvWriter(f, quoting=quoting, delimiter=delimiter)
w.write_header(schema)
w.write_data(rows)
w.close()
sys.stdout.write(f.getvalue().hex())
"#;

/// The all-types rows dlt can write: no nulls (dlt writes `""`, we write an empty field) and
/// binary values that are UTF-8 (dlt cannot write others; we write hex).
fn dlt_writable_tables() -> Vec<RecordBatch> {
    let all = all_types_batch();
    let no_nulls = rows_where(&all, |r| {
        (0..all.num_columns()).all(|c| all.column(c).is_valid(r))
    });
    let utf8_blobs = |b: &RecordBatch| {
        let blob = b
            .column_by_name("blob")
            .unwrap()
            .as_any()
            .downcast_ref::<BinaryArray>()
            .unwrap();
        let blob = blob.clone();
        rows_where(b, move |r| {
            std::str::from_utf8(blob.value(r)).is_ok() && !blob.value(r).starts_with(b"\\x")
        })
    };
    // Every string of the text and json columns (some rows have nulls elsewhere).
    let strings = all.project(&[0, 1, 16]).unwrap();
    let strings = rows_where(&strings, |r| {
        strings.column(1).is_valid(r) && strings.column(2).is_valid(r)
    });
    vec![utf8_blobs(&no_nulls), strings]
}

#[test]
fn same_bytes_as_dlts_csv_writer_for_every_type() {
    let Some(python) = python() else { return };
    for b in dlt_writable_tables() {
        assert!(b.num_rows() >= 5, "enough rows left: {}", b.num_rows());
        let lines = canonical_lines(&b);
        for (quoting, q, delimiter) in [
            ("quote_needed", Quoting::QuoteNeeded, ","),
            ("quote_all", Quoting::QuoteAll, ","),
            ("quote_minimal", Quoting::QuoteMinimal, "|"),
        ] {
            let config = CsvConfig {
                quoting: q,
                delimiter: delimiter.as_bytes()[0],
                ..CsvConfig::default()
            };
            let ours = csv(&config, &b);
            let dlt = run_python_stdin(
                &python,
                DLT_CSV_WRITER,
                &[&column_tags(&b.schema()), quoting, delimiter],
                &lines,
            );
            let dlt = String::from_utf8(from_hex(dlt.trim())).unwrap();
            // quote_minimal: we quote empty strings (`""`) so that they do not read back as
            // null; Python writes nothing for them.
            let ours = match q {
                Quoting::QuoteMinimal => ours.replace("|\"\"|", "||"),
                _ => ours,
            };
            assert_eq!(ours, dlt, "{quoting}");
        }
    }
}
