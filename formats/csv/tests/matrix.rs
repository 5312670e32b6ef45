//! The test matrix for csv: the all-types table, an empty table and 1M rows, written by the
//! plugin and read back through the plugin and Python's csv module.

#[path = "../../parquet/tests/shared/interop.rs"]
mod interop;

use std::sync::Arc;

use arrow_array::{RecordBatch, RecordBatchIterator, RecordBatchReader};
use arrow_schema::{DataType, Field, Schema, SchemaRef};
use interop::*;
use stowage_plugin_csv::CsvFormat;
use stowage_plugin_sdk::io::MemoryReader;
use stowage_plugin_sdk::{Format, FormatPlugin, Options};

fn format(pairs: &[(&str, &str)]) -> Box<dyn Format> {
    CsvFormat::open(Options::new(pairs.iter().copied())).expect("options are valid")
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

fn open(
    format: &dyn Format,
    bytes: Vec<u8>,
    schema: Option<SchemaRef>,
) -> Box<dyn RecordBatchReader + Send> {
    format
        .read(Box::new(MemoryReader::new(bytes)), schema)
        .expect("readable")
}

fn read(format: &dyn Format, bytes: Vec<u8>, schema: Option<SchemaRef>) -> Vec<RecordBatch> {
    open(format, bytes, schema)
        .collect::<Result<_, _>>()
        .expect("batches decode")
}

const OPTION_SETS: &[&[(&str, &str)]] = &[
    &[],
    &[("disable_compression", "true")],
    &[("quoting", "quote_all"), ("delimiter", ";")],
    &[
        ("quoting", "quote_minimal"),
        ("delimiter", "\\t"),
        ("lineterminator", "\\r\\n"),
    ],
    &[("include_header", "false"), ("delimiter", "|")],
    &[("compression_level", "9")],
];

#[test]
fn all_types_round_trip_through_the_plugin_with_every_option_set() {
    let batch = all_types_batch();
    let schema = batch.schema();
    for options in OPTION_SETS {
        let f = format(options);
        let bytes = to_bytes(
            f.as_ref(),
            schema.clone(),
            vec![batch.slice(0, 7), batch.slice(7, 5)],
        );
        let compressed = bytes.starts_with(&[0x1f, 0x8b]);
        assert_eq!(compressed, f.file_extension() == "csv.gz", "{options:?}");
        let back = concat(&schema, &read(f.as_ref(), bytes, Some(schema.clone())));
        assert_eq!(back, batch, "{options:?}");
    }
}

#[test]
fn quote_none_writes_plain_values_and_refuses_special_characters() {
    let f = format(&[("quoting", "quote_none"), ("disable_compression", "true")]);
    let batch = all_types_batch();
    let plain = batch.project(&[0, 2, 4, 7, 10, 14]).unwrap();
    let bytes = to_bytes(f.as_ref(), plain.schema(), vec![plain.clone()]);
    assert!(!bytes.contains(&b'"'));
    assert_eq!(
        concat(
            &plain.schema(),
            &read(f.as_ref(), bytes, Some(plain.schema()))
        ),
        plain
    );
    let mut reader = RecordBatchIterator::new(vec![Ok(batch.clone())], batch.schema());
    let err = f
        .write(&mut reader, &mut Vec::new())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("quote_none") && err.contains("column=payload"),
        "{err}"
    );
}

#[test]
fn a_new_column_is_refused_within_a_file() {
    let batch = all_types_batch();
    let grown = {
        let mut fields: Vec<Field> = batch
            .schema()
            .fields()
            .iter()
            .map(|f| f.as_ref().clone())
            .collect();
        fields.push(Field::new("extra", DataType::Int64, true));
        let mut columns = batch.columns().to_vec();
        columns.push(Arc::new(arrow_array::Int64Array::from(vec![
            1;
            batch
                .num_rows()
        ])));
        RecordBatch::try_new(Arc::new(Schema::new(fields)), columns).unwrap()
    };
    let f = format(&[]);
    let mut reader = RecordBatchIterator::new(vec![Ok(batch.clone()), Ok(grown)], batch.schema());
    let err = f
        .write(&mut reader, &mut Vec::new())
        .unwrap_err()
        .to_string();
    assert!(err.contains("cannot add columns"), "{err}");
}

#[test]
fn empty_tables_are_a_header_line() {
    let schema = all_types_batch().schema();
    let f = format(&[("disable_compression", "true")]);
    for batches in [vec![], vec![all_types_batch().slice(0, 0)]] {
        let bytes = to_bytes(f.as_ref(), schema.clone(), batches);
        let text = String::from_utf8(bytes.clone()).unwrap();
        assert!(
            text.starts_with("\"row_id\",\"text\",") && text.ends_with("\"_dlt_id\"\n"),
            "{text}"
        );
        assert_eq!(text.lines().count(), 1);
        assert!(read(f.as_ref(), bytes.clone(), Some(schema.clone())).is_empty());
        let inferred = open(f.as_ref(), bytes, None).schema();
        assert_eq!(inferred.fields().len(), schema.fields().len());
    }
    let gz = format(&[]);
    let bytes = to_bytes(gz.as_ref(), schema.clone(), vec![]);
    assert_eq!(&bytes[..2], &[0x1f, 0x8b]);
    assert!(read(gz.as_ref(), bytes, Some(schema)).is_empty());
}

#[test]
fn reading_without_a_schema_infers_numbers_and_booleans() {
    let batch = all_types_batch();
    let f = format(&[]);
    let bytes = to_bytes(f.as_ref(), batch.schema(), vec![batch.clone()]);
    let back = read(f.as_ref(), bytes, None);
    let types: Vec<(String, DataType)> = back[0]
        .schema()
        .fields()
        .iter()
        .map(|f| (f.name().clone(), f.data_type().clone()))
        .collect();
    let get = |n: &str| types.iter().find(|(name, _)| name == n).unwrap().1.clone();
    assert_eq!(get("row_id"), DataType::Int64);
    assert_eq!(get("double"), DataType::Float64);
    assert_eq!(get("bool"), DataType::Boolean);
    assert_eq!(get("decimal"), DataType::Float64);
    assert_eq!(get("created"), DataType::Utf8);
    assert_eq!(get("text"), DataType::Utf8);
    assert_eq!(back[0].num_rows(), batch.num_rows());
}

/// Reads a csv(.gz) with Python's csv module and converts each cell by its column's tag.
const PYTHON_CSV: &str = r#"
import csv, gzip
path, tags, delimiter = sys.argv[1], json.loads(sys.argv[2]), sys.argv[3]
with open(path, "rb") as fh:
    gz = fh.read(2) == b"\x1f\x8b"
fh = gzip.open(path, "rt", encoding="utf-8", newline="") if gz else open(path, encoding="utf-8", newline="")

def conv(tag, cell):
    if cell == "":
        return cell if tag in ("text", "json") else (b"" if tag == "binary" else None)
    if tag == "bool":
        return {"True": True, "False": False}[cell]
    if tag == "int":
        return int(cell)
    if tag == "double":
        return float(cell)
    if tag == "decimal":
        return decimal.Decimal(cell)
    if tag == "timestamp_tz":
        v = datetime.datetime.fromisoformat(cell)
        assert v.tzinfo is not None, cell
        return v
    if tag == "timestamp":
        v = datetime.datetime.fromisoformat(cell)
        assert v.tzinfo is None, cell
        return v
    if tag == "date":
        return datetime.date.fromisoformat(cell)
    if tag == "time":
        return datetime.time.fromisoformat(cell)
    if tag == "binary":
        return bytes.fromhex(cell[2:]) if cell.startswith("\\x") else cell.encode("utf-8")
    return cell

with fh:
    reader = csv.reader(fh, delimiter=delimiter)
    header = next(reader)
    assert header == [n for n, _ in tags], header
    count = 0
    rows = []
    sample = len(sys.argv) > 4
    for row in reader:
        if sample and int(row[0]) % 9973 != 0:
            count += 1
            continue
        count += 1
        rows.append([conv(t, c) for (_, t), c in zip(tags, row)])
    print(json.dumps({"rows": count}))
    emit(header, rows)
"#;

#[test]
fn pythons_csv_module_reads_every_type() {
    let Some(python) = python() else { return };
    let batch = all_types_batch();
    let dir = tempfile::tempdir().unwrap();
    for (options, delimiter) in [
        (&[][..], ","),
        (
            &[("quoting", "quote_all"), ("disable_compression", "true")][..],
            ",",
        ),
        (&[("quoting", "quote_minimal"), ("delimiter", ";")][..], ";"),
    ] {
        let path = dir.path().join("all.csv");
        let mut file = std::fs::File::create(&path).unwrap();
        write(
            format(options).as_ref(),
            batch.schema(),
            vec![batch.clone()],
            &mut file,
        );
        drop(file);
        let tags = column_tags(&batch.schema());
        let out = json_lines(&run_python(
            &python,
            PYTHON_CSV,
            &[path.to_str().unwrap(), &tags, delimiter],
        ));
        let (meta, rows) = out.split_first().unwrap();
        assert_eq!(meta["rows"], batch.num_rows());
        // Python's csv module reads `""` and an empty field alike.
        let lenient = Leniency {
            empty_is_null: true,
            ..Leniency::default()
        };
        assert_rows(&batch, rows, lenient);
    }
}

const MILLION: usize = 1_000_000;

#[test]
fn one_million_rows_stream_through_plugin_and_python() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("large.csv.gz");
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

    let bytes = std::fs::read(&path).unwrap();
    let mut next_id = 0usize;
    for batch in open(f.as_ref(), bytes, Some(schema.clone())) {
        let batch = batch.unwrap();
        let want =
            stowage_plugin_sdk::testing::format::standard_batch(next_id as i64, batch.num_rows());
        assert_eq!(batch, want, "rows from {next_id}");
        next_id += batch.num_rows();
    }
    assert_eq!(next_id, MILLION);

    let Some(python) = python() else { return };
    let tags = column_tags(&schema);
    let out = json_lines(&run_python(
        &python,
        PYTHON_CSV,
        &[path.to_str().unwrap(), &tags, ",", "sample"],
    ));
    let (meta, rows) = out.split_first().unwrap();
    assert_eq!(meta["rows"], MILLION);
    let all = concat(&schema, &large_batches(MILLION, 10_000));
    let sample = rows_where(&all, |i| i % 9973 == 0);
    let lenient = Leniency {
        empty_is_null: true,
        ..Leniency::default()
    };
    assert_rows(&sample, rows, lenient);
}
