//! The tables of the test matrix: every dlt type with nulls and extreme values, the SDK's
//! standard table in bulk, and small batch helpers.

use std::collections::HashMap;
use std::sync::Arc;

use arrow_array::*;
use arrow_schema::{DataType, Field, Schema, SchemaRef, TimeUnit};
use serde_json::Value;
use stowage_plugin_sdk::types::{DATA_TYPE_METADATA_KEY, JSON_DATA_TYPE, is_json_field};

/// A nullable field.
pub fn f(name: &str, dt: DataType) -> Field {
    Field::new(name, dt, true)
}

/// A nullable `json` field (Utf8 with the dlt type metadata).
pub fn json_field(name: &str) -> Field {
    f(name, DataType::Utf8).with_metadata(HashMap::from([(
        DATA_TYPE_METADATA_KEY.to_string(),
        JSON_DATA_TYPE.to_string(),
    )]))
}

const ROWS: usize = 12;
/// 2024-01-02T03:04:05.123456Z in microseconds.
const T: i64 = 1_704_164_645_123_456;
const YEAR_1: i64 = -62_135_596_800_000_000;
const YEAR_9999_END: i64 = 253_402_300_799_999_999;

fn utf8(values: [Option<&str>; ROWS]) -> ArrayRef {
    Arc::new(StringArray::from(values.to_vec()))
}

/// Every dlt type of `stowage_plugin_sdk::types`, with nulls (row 1 is all nulls), unicode,
/// special characters and extreme values: the matrix's main table.
pub fn all_types_batch() -> RecordBatch {
    let d38 = |v: [Option<i128>; ROWS], p: u8, s: i8| -> ArrayRef {
        Arc::new(
            Decimal128Array::from(v.to_vec())
                .with_precision_and_scale(p, s)
                .unwrap(),
        )
    };
    let e75 = arrow_buffer::i256::from_i128(10).pow_wrapping(75);
    let big = "99999999999999999999999999999999999999"
        .parse::<i128>()
        .unwrap();
    let columns: Vec<(Field, ArrayRef)> = vec![
        (
            Field::new("row_id", DataType::Int64, false),
            Arc::new(Int64Array::from_iter_values(0..ROWS as i64)),
        ),
        (
            f("text", DataType::Utf8),
            utf8([
                Some("Alice"),
                None,
                Some(""),
                Some("zürich 表 🦀"),
                Some("quote \" back\\slash"),
                Some("new\nline\ttab\r\ncrlf"),
                Some("comma, semi; pipe| hash#"),
                Some("'single' quotes ''"),
                Some("\u{1}ctrl\u{1f}\u{7f}"),
                Some("  padded  "),
                Some("E'x' {} \\x41"),
                Some("NULL"),
            ]),
        ),
        (
            f("double", DataType::Float64),
            Arc::new(Float64Array::from(vec![
                Some(1.5),
                None,
                Some(0.0),
                Some(-0.0),
                Some(1e16),
                Some(1e-7),
                Some(0.1 + 0.2),
                Some(f64::MAX),
                Some(5e-324),
                Some(f64::NAN),
                Some(f64::INFINITY),
                Some(f64::NEG_INFINITY),
            ])),
        ),
        (
            f("bool", DataType::Boolean),
            Arc::new(BooleanArray::from(vec![
                Some(true),
                None,
                Some(false),
                Some(true),
                Some(false),
                None,
                Some(true),
                Some(true),
                Some(false),
                Some(false),
                Some(true),
                Some(false),
            ])),
        ),
        (
            f("bigint", DataType::Int64),
            Arc::new(Int64Array::from(vec![
                Some(1),
                None,
                Some(0),
                Some(i64::MIN),
                Some(i64::MAX),
                Some(-1),
                Some(4_611_686_018_427_387_904),
                Some(42),
                None,
                Some(7),
                Some(-9_007_199_254_740_993),
                Some(100),
            ])),
        ),
        (
            f("small", DataType::Int16),
            Arc::new(Int16Array::from(vec![
                Some(1),
                None,
                Some(i16::MIN),
                Some(i16::MAX),
                Some(0),
                Some(-5),
                Some(5),
                Some(6),
                Some(7),
                Some(8),
                Some(9),
                Some(10),
            ])),
        ),
        (
            f("medium", DataType::Int32),
            Arc::new(Int32Array::from(vec![
                Some(1),
                None,
                Some(i32::MIN),
                Some(i32::MAX),
                Some(0),
                Some(-5),
                Some(5),
                Some(6),
                Some(7),
                Some(8),
                Some(9),
                Some(10),
            ])),
        ),
        (
            f("decimal", DataType::Decimal128(38, 9)),
            d38(
                [
                    Some(10_500_000_000),
                    None,
                    Some(0),
                    Some(-1),
                    Some(big),
                    Some(-big),
                    Some(1),
                    Some(123_456_789_012_345_678_901_234_567),
                    Some(-10_500_000_000),
                    Some(3_000_000_000),
                    Some(999_999_999),
                    Some(1_000_000_000_000),
                ],
                38,
                9,
            ),
        ),
        (
            f("amount", DataType::Decimal128(10, 2)),
            d38(
                [
                    Some(1050),
                    None,
                    Some(0),
                    Some(-1),
                    Some(9_999_999_999),
                    Some(-9_999_999_999),
                    Some(5),
                    Some(100),
                    Some(12_345),
                    Some(1),
                    Some(-100),
                    Some(99),
                ],
                10,
                2,
            ),
        ),
        (
            f("wei", DataType::Decimal256(76, 0)),
            Arc::new(
                Decimal256Array::from(vec![
                    Some(arrow_buffer::i256::ONE),
                    None,
                    Some(arrow_buffer::i256::ZERO),
                    Some(e75),
                    Some(e75.wrapping_neg()),
                    Some(arrow_buffer::i256::from_i128(big)),
                    Some(arrow_buffer::i256::from_i128(-7)),
                    Some(arrow_buffer::i256::from_i128(i128::MAX)),
                    Some(arrow_buffer::i256::from_i128(12)),
                    Some(arrow_buffer::i256::from_i128(13)),
                    Some(arrow_buffer::i256::from_i128(14)),
                    Some(arrow_buffer::i256::from_i128(15)),
                ])
                .with_precision_and_scale(76, 0)
                .unwrap(),
            ),
        ),
        (
            f(
                "created",
                DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
            ),
            Arc::new(
                TimestampMicrosecondArray::from(vec![
                    Some(T),
                    None,
                    Some(0),
                    Some(-1),
                    Some(YEAR_1),
                    Some(YEAR_9999_END),
                    Some(T - T % 1_000_000),
                    Some(1_000),
                    Some(-86_400_000_000 * 365 * 100),
                    Some(T + 1),
                    Some(T + 999_999),
                    Some(951_782_400_000_000),
                ])
                .with_timezone("UTC"),
            ),
        ),
        (
            f("naive", DataType::Timestamp(TimeUnit::Microsecond, None)),
            Arc::new(TimestampMicrosecondArray::from(vec![
                Some(T),
                None,
                Some(0),
                Some(-1),
                Some(YEAR_1),
                Some(YEAR_9999_END),
                Some(T - T % 1_000_000),
                None,
                Some(1),
                Some(2),
                Some(3),
                Some(4),
            ])),
        ),
        (
            f(
                "ms_ts",
                DataType::Timestamp(TimeUnit::Millisecond, Some("UTC".into())),
            ),
            Arc::new(
                TimestampMillisecondArray::from(vec![
                    Some(T / 1000),
                    None,
                    Some(0),
                    Some(-1),
                    Some(1),
                    Some(999),
                    Some(1000),
                    Some(T / 1000 + 1),
                    None,
                    Some(5),
                    Some(6),
                    Some(7),
                ])
                .with_timezone("UTC"),
            ),
        ),
        (
            f("tm", DataType::Time64(TimeUnit::Microsecond)),
            Arc::new(Time64MicrosecondArray::from(vec![
                Some(3_723_000_000),
                None,
                Some(0),
                Some(86_399_999_999),
                Some(86_399_000_999),
                Some(1),
                Some(43_200_000_000),
                Some(5),
                Some(6),
                Some(7),
                Some(8),
                Some(9),
            ])),
        ),
        (
            f("day", DataType::Date32),
            Arc::new(Date32Array::from(vec![
                Some(19_724),
                None,
                Some(0),
                Some(-1),
                Some(-719_162),
                Some(2_932_896),
                Some(11_016),
                Some(1),
                Some(2),
                Some(3),
                Some(4),
                Some(5),
            ])),
        ),
        (
            f("blob", DataType::Binary),
            Arc::new(BinaryArray::from(vec![
                Some(&b"\x00\x01hi"[..]),
                None,
                Some(&b""[..]),
                Some(&b"\xff\xfe\x00"[..]),
                Some(&b"plain text"[..]),
                Some(&b"\\x41"[..]),
                Some("zürich".as_bytes()),
                Some(&b"'quote\""[..]),
                Some(&b"\n"[..]),
                Some(&b"\x80"[..]),
                Some(&b"a,b"[..]),
                Some(&b"x"[..]),
            ])),
        ),
        (
            json_field("payload"),
            utf8([
                Some(r#"{"free":"form","n":[1,2]}"#),
                None,
                Some("[]"),
                Some(r#""str""#),
                Some("1.5"),
                Some("true"),
                Some(r#"{"é":"a\nb","q":"'\"","nested":{"x":[{},[]]}}"#),
                Some("{}"),
                Some("[1,2.5,-3]"),
                Some(r#"{"a":null}"#),
                Some("0"),
                Some(r#"["🦀"]"#),
            ]),
        ),
        (
            Field::new("_dlt_load_id", DataType::Utf8, false),
            Arc::new(StringArray::from(vec!["1795310773.1276467"; ROWS])),
        ),
        (
            Field::new("_dlt_id", DataType::Utf8, false),
            Arc::new(StringArray::from(
                (0..ROWS).map(|i| format!("id{i:012}")).collect::<Vec<_>>(),
            )),
        ),
    ];
    let (fields, arrays): (Vec<Field>, Vec<ArrayRef>) = columns.into_iter().unzip();
    RecordBatch::try_new(Arc::new(Schema::new(fields)), arrays).expect("valid batch")
}

/// `batch` without the named columns.
pub fn without(batch: &RecordBatch, names: &[&str]) -> RecordBatch {
    let keep: Vec<usize> = (0..batch.num_columns())
        .filter(|&i| !names.contains(&batch.schema().field(i).name().as_str()))
        .collect();
    batch.project(&keep).expect("projection")
}

/// `batch` with every row where `keep(row)` is false removed.
pub fn rows_where(batch: &RecordBatch, keep: impl Fn(usize) -> bool) -> RecordBatch {
    let mask = BooleanArray::from((0..batch.num_rows()).map(keep).collect::<Vec<_>>());
    arrow_select_filter(batch, &mask)
}

fn arrow_select_filter(batch: &RecordBatch, mask: &BooleanArray) -> RecordBatch {
    let indices: Vec<u32> = (0..mask.len())
        .filter(|&i| mask.value(i))
        .map(|i| i as u32)
        .collect();
    let columns = batch
        .columns()
        .iter()
        .map(|c| {
            let data = c.to_data();
            let mut m =
                arrow_data::transform::MutableArrayData::new(vec![&data], false, indices.len());
            for &i in &indices {
                m.try_extend(0, i as usize, i as usize + 1).expect("extend");
            }
            make_array(m.freeze())
        })
        .collect();
    RecordBatch::try_new(batch.schema(), columns).expect("filtered batch")
}

/// One batch of all `batches` (same schema).
pub fn concat(schema: &SchemaRef, batches: &[RecordBatch]) -> RecordBatch {
    let columns = (0..schema.fields().len())
        .map(|i| {
            let datas: Vec<arrow_data::ArrayData> =
                batches.iter().map(|b| b.column(i).to_data()).collect();
            let refs: Vec<&arrow_data::ArrayData> = datas.iter().collect();
            let total = datas.iter().map(|d| d.len()).sum();
            let mut m = arrow_data::transform::MutableArrayData::new(refs, false, total);
            for (idx, d) in datas.iter().enumerate() {
                m.try_extend(idx, 0, d.len()).expect("extend");
            }
            make_array(m.freeze())
        })
        .collect();
    RecordBatch::try_new(schema.clone(), columns).expect("concatenated batch")
}

/// The tag of a column for readers that need to be told the type (Python's csv module).
pub fn type_tag(field: &Field) -> &'static str {
    if is_json_field(field) {
        return "json";
    }
    match field.data_type() {
        DataType::Boolean => "bool",
        DataType::Int8 | DataType::Int16 | DataType::Int32 | DataType::Int64 => "int",
        DataType::Float64 | DataType::Float32 => "double",
        DataType::Decimal128(..) | DataType::Decimal256(..) => "decimal",
        DataType::Timestamp(_, Some(_)) => "timestamp_tz",
        DataType::Timestamp(_, None) => "timestamp",
        DataType::Date32 => "date",
        DataType::Time64(_) => "time",
        DataType::Binary => "binary",
        _ => "text",
    }
}

/// `[[name, tag], …]` of a schema, as JSON text (an argument for Python scripts).
pub fn column_tags(schema: &SchemaRef) -> String {
    let tags: Vec<Value> = schema
        .fields()
        .iter()
        .map(|f| Value::from(vec![f.name().clone(), type_tag(f).to_string()]))
        .collect();
    Value::from(tags).to_string()
}

/// The standard table of the SDK suite, `rows` rows in batches of `batch_rows`.
pub fn large_batches(rows: usize, batch_rows: usize) -> Vec<RecordBatch> {
    (0..rows)
        .step_by(batch_rows)
        .map(|start| {
            stowage_plugin_sdk::testing::format::standard_batch(
                start as i64,
                batch_rows.min(rows - start),
            )
        })
        .collect()
}

/// Null count per column over `batches`.
pub fn null_counts(schema: &SchemaRef, batches: &[RecordBatch]) -> Vec<(String, usize)> {
    schema
        .fields()
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let n = batches.iter().map(|b| b.column(i).null_count()).sum();
            (f.name().clone(), n)
        })
        .collect()
}
