//! Write → read round trips through the public `Format` API, plain and gzip.

mod common;

use std::io::Read;
use std::sync::Arc;

use arrow_array::builder::{Int64Builder, ListBuilder, StringBuilder, StructBuilder};
use arrow_array::*;
use arrow_buffer::i256;
use arrow_schema::{DataType, Field, Fields, Schema, SchemaRef, TimeUnit};
use common::{batch, col, f, json_field, reader};
use stowage_plugin_jsonl::JsonlFormat;
use stowage_plugin_sdk::io::MemoryReader;
use stowage_plugin_sdk::{Format, FormatPlugin, Options};

fn open(pairs: &[(&str, &str)]) -> Box<dyn Format> {
    JsonlFormat::open(Options::new(pairs.iter().copied())).unwrap()
}

fn write(format: &dyn Format, schema: SchemaRef, batches: Vec<RecordBatch>) -> Vec<u8> {
    let mut out = Vec::new();
    let summary = format
        .write(&mut reader(schema, batches.clone()), &mut out)
        .unwrap();
    assert_eq!(
        summary.rows,
        batches.iter().map(|b| b.num_rows() as u64).sum::<u64>()
    );
    assert_eq!(summary.batches, batches.len() as u64);
    assert_eq!(summary.bytes, out.len() as u64);
    out
}

fn read(format: &dyn Format, bytes: Vec<u8>, schema: Option<SchemaRef>) -> Vec<RecordBatch> {
    let r = format
        .read(Box::new(MemoryReader::new(bytes)), schema)
        .unwrap();
    r.collect::<Result<Vec<_>, _>>().unwrap()
}

fn gunzip(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::MultiGzDecoder::new(bytes)
        .read_to_end(&mut out)
        .unwrap();
    out
}

/// One column of every supported type, three rows, with nulls.
fn all_types() -> RecordBatch {
    let utc = |a: TimestampMicrosecondArray| a.with_timezone("UTC");
    let bins: Vec<Option<&[u8]>> = vec![Some(b"\x00\x01hi"), None, Some(b"")];
    let mut sb = StructBuilder::from_fields(
        vec![
            Field::new("k", DataType::Int64, true),
            Field::new("v", DataType::Utf8, true),
        ],
        3,
    );
    for (k, v, valid) in [
        (Some(1), Some("a"), true),
        (None, None, false),
        (None, Some("c"), true),
    ] {
        sb.field_builder::<Int64Builder>(0)
            .unwrap()
            .append_option(k);
        sb.field_builder::<StringBuilder>(1)
            .unwrap()
            .append_option(v);
        sb.append(valid);
    }
    let st = sb.finish();
    let mut lb = ListBuilder::new(Int64Builder::new());
    lb.append_value([Some(1), None]);
    lb.append_value([]);
    lb.append_null();
    let list = lb.finish();
    batch(vec![
        (
            f("i8", DataType::Int8),
            col(Int8Array::from(vec![Some(-8), None, Some(8)])),
        ),
        (
            f("i16", DataType::Int16),
            col(Int16Array::from(vec![Some(-16), Some(0), None])),
        ),
        (
            f("i32", DataType::Int32),
            col(Int32Array::from(vec![None, Some(i32::MIN), Some(1)])),
        ),
        (
            f("i64", DataType::Int64),
            col(Int64Array::from(vec![Some(i64::MAX), Some(i64::MIN), None])),
        ),
        (
            f("u8", DataType::UInt8),
            col(UInt8Array::from(vec![Some(255), None, Some(0)])),
        ),
        (
            f("u16", DataType::UInt16),
            col(UInt16Array::from(vec![Some(65535), None, Some(0)])),
        ),
        (
            f("u32", DataType::UInt32),
            col(UInt32Array::from(vec![Some(u32::MAX), None, Some(0)])),
        ),
        (
            f("u64", DataType::UInt64),
            col(UInt64Array::from(vec![Some(u64::MAX), None, Some(0)])),
        ),
        (
            f("f32", DataType::Float32),
            col(Float32Array::from(vec![Some(0.1), None, Some(-3.5e-9)])),
        ),
        (
            f("f64", DataType::Float64),
            col(Float64Array::from(vec![Some(1e16), Some(1e-7), None])),
        ),
        (
            f("b", DataType::Boolean),
            col(BooleanArray::from(vec![Some(true), Some(false), None])),
        ),
        (
            f("s", DataType::Utf8),
            col(StringArray::from(vec![
                Some("é\u{1}/\t\"\\"),
                None,
                Some(""),
            ])),
        ),
        (
            f("ls", DataType::LargeUtf8),
            col(LargeStringArray::from(vec![Some("x"), None, Some("🦀")])),
        ),
        (
            f("vs", DataType::Utf8View),
            col(StringViewArray::from(vec![
                Some("a long string view value!"),
                None,
                Some(""),
            ])),
        ),
        (
            f("bin", DataType::Binary),
            col(BinaryArray::from(bins.clone())),
        ),
        (
            f("lbin", DataType::LargeBinary),
            col(LargeBinaryArray::from(bins.clone())),
        ),
        (
            f("vbin", DataType::BinaryView),
            col(BinaryViewArray::from(bins.clone())),
        ),
        (
            f("fbin", DataType::FixedSizeBinary(2)),
            col(FixedSizeBinaryArray::try_from_sparse_iter_with_size(
                vec![Some(b"ab"), None, Some(b"\xff\x00")].into_iter(),
                2,
            )
            .unwrap()),
        ),
        (
            f("d32", DataType::Date32),
            col(Date32Array::from(vec![Some(19_724), None, Some(-1)])),
        ),
        (
            f("t32s", DataType::Time32(TimeUnit::Second)),
            col(Time32SecondArray::from(vec![Some(3723), None, Some(0)])),
        ),
        (
            f("t32ms", DataType::Time32(TimeUnit::Millisecond)),
            col(Time32MillisecondArray::from(vec![
                Some(1),
                None,
                Some(86_399_999),
            ])),
        ),
        (
            f("t64us", DataType::Time64(TimeUnit::Microsecond)),
            col(Time64MicrosecondArray::from(vec![
                Some(86_399_000_999),
                None,
                Some(0),
            ])),
        ),
        (
            f("t64ns", DataType::Time64(TimeUnit::Nanosecond)),
            col(Time64NanosecondArray::from(vec![
                Some(1_000),
                None,
                Some(0),
            ])),
        ),
        (
            f(
                "ts_us_utc",
                DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
            ),
            col(utc(TimestampMicrosecondArray::from(vec![
                Some(1_704_164_645_123_456),
                None,
                Some(-1),
            ]))),
        ),
        (
            f(
                "ts_s_utc",
                DataType::Timestamp(TimeUnit::Second, Some("UTC".into())),
            ),
            col(
                TimestampSecondArray::from(vec![Some(1_704_164_645), None, Some(0)])
                    .with_timezone("UTC"),
            ),
        ),
        (
            f("ts_ms", DataType::Timestamp(TimeUnit::Millisecond, None)),
            col(TimestampMillisecondArray::from(vec![
                Some(1_704_164_645_100),
                None,
                Some(0),
            ])),
        ),
        (
            f(
                "ts_ns",
                DataType::Timestamp(TimeUnit::Nanosecond, Some("+00:00".into())),
            ),
            col(TimestampNanosecondArray::from(vec![
                Some(1_704_164_645_123_456_000),
                None,
                Some(0),
            ])
            .with_timezone("+00:00")),
        ),
        (
            f("dec", DataType::Decimal128(10, 2)),
            col(Decimal128Array::from(vec![Some(1050), None, Some(-3)])
                .with_precision_and_scale(10, 2)
                .unwrap()),
        ),
        (
            f("dec0", DataType::Decimal128(10, 0)),
            col(Decimal128Array::from(vec![Some(3), None, Some(0)])
                .with_precision_and_scale(10, 0)
                .unwrap()),
        ),
        (
            f("dec_small", DataType::Decimal128(20, 10)),
            col(Decimal128Array::from(vec![Some(1), Some(0), Some(1050)])
                .with_precision_and_scale(20, 10)
                .unwrap()),
        ),
        (
            f("dec256", DataType::Decimal256(40, 2)),
            col(
                Decimal256Array::from(vec![Some(i256::from_i128(-1050)), None, Some(i256::ZERO)])
                    .with_precision_and_scale(40, 2)
                    .unwrap(),
            ),
        ),
        (
            json_field("j"),
            col(StringArray::from(vec![
                Some(r#"{"free":"form","n":[1,2.5,null]}"#),
                None,
                Some("\"s\""),
            ])),
        ),
        (f("st", st.data_type().clone()), col(st)),
        (f("l", list.data_type().clone()), col(list)),
    ])
}

fn assert_batches_eq(want: &RecordBatch, got: &[RecordBatch]) {
    assert_eq!(got.len(), 1, "one batch expected");
    let got = &got[0];
    assert_eq!(got.schema(), want.schema());
    for (i, field) in want.schema().fields().iter().enumerate() {
        assert_eq!(
            got.column(i).to_data(),
            want.column(i).to_data(),
            "column {}",
            field.name()
        );
    }
}

#[test]
fn every_type_round_trips_plain_and_gzip() {
    let b = all_types();
    for opts in [
        &[("disable_compression", "true")][..],
        &[][..],
        &[("compression_level", "9")][..],
    ] {
        let format = open(opts);
        let bytes = write(format.as_ref(), b.schema(), vec![b.clone()]);
        let back = read(format.as_ref(), bytes, Some(b.schema()));
        assert_batches_eq(&b, &back);
    }
}

#[test]
fn gzip_decompresses_to_the_plain_bytes() {
    let b = all_types();
    let plain = write(
        open(&[("disable_compression", "true")]).as_ref(),
        b.schema(),
        vec![b.clone()],
    );
    let gz = write(open(&[]).as_ref(), b.schema(), vec![b.clone()]);
    assert_eq!(&gz[..2], &[0x1f, 0x8b]);
    assert_eq!(gunzip(&gz), plain);
    assert!(plain.ends_with(b"\n"));
    assert_eq!(plain.iter().filter(|&&c| c == b'\n').count(), 3);
}

#[test]
fn extensions() {
    assert_eq!(open(&[]).file_extension(), "jsonl.gz");
    assert_eq!(
        open(&[("disable_compression", "1")]).file_extension(),
        "jsonl"
    );
}

#[test]
fn empty_stream_is_an_empty_file_or_empty_gzip_member() {
    let schema = Arc::new(Schema::new(vec![f("a", DataType::Int64)]));
    let plain = write(
        open(&[("disable_compression", "true")]).as_ref(),
        schema.clone(),
        vec![],
    );
    assert!(plain.is_empty());
    let gz = write(open(&[]).as_ref(), schema.clone(), vec![]);
    assert!(!gz.is_empty());
    assert!(gunzip(&gz).is_empty());
    let empty_batch = RecordBatch::new_empty(schema.clone());
    let gz2 = write(open(&[]).as_ref(), schema.clone(), vec![empty_batch]);
    assert!(gunzip(&gz2).is_empty());
    assert!(read(open(&[]).as_ref(), gz, Some(schema.clone())).is_empty());
    assert!(read(open(&[]).as_ref(), plain, None).is_empty());
}

#[test]
fn many_batches_stream_through_in_order() {
    let schema = Arc::new(Schema::new(vec![
        f("i", DataType::Int64),
        f("s", DataType::Utf8),
    ]));
    let batches: Vec<RecordBatch> = (0..30)
        .map(|k| {
            let ids: Vec<i64> = (k * 1000..(k + 1) * 1000).collect();
            let s: Vec<String> = ids.iter().map(|i| format!("row {i} ").repeat(10)).collect();
            RecordBatch::try_new(
                schema.clone(),
                vec![col(Int64Array::from(ids)), col(StringArray::from(s))],
            )
            .unwrap()
        })
        .collect();
    let format = open(&[]);
    let bytes = write(format.as_ref(), schema.clone(), batches);
    let back = read(format.as_ref(), bytes, Some(schema));
    assert_eq!(
        back.iter().map(|b| b.num_rows()).collect::<Vec<_>>(),
        vec![8192, 8192, 8192, 5424]
    );
    let ids: Vec<i64> = back
        .iter()
        .flat_map(|b| {
            b.column(0)
                .as_any()
                .downcast_ref::<Int64Array>()
                .unwrap()
                .values()
                .to_vec()
        })
        .collect();
    assert_eq!(ids, (0..30_000).collect::<Vec<_>>());
}

#[test]
fn reads_dlt_lines_without_a_schema() {
    let text = concat!(
        r#"{"id":1,"name":"Alice","score":1.5,"active":true,"payload":{"free":"form","n":[1,2]},"_dlt_id":"x"}"#,
        "\n",
        r#"{"id":2,"name":"Bob","_dlt_id":"y"}"#,
        "\n",
    );
    let back = read(open(&[]).as_ref(), text.as_bytes().to_vec(), None);
    let b = &back[0];
    let names: Vec<&str> = b
        .schema_ref()
        .fields()
        .iter()
        .map(|f| f.name().as_str())
        .collect();
    assert_eq!(
        names,
        ["id", "name", "score", "active", "payload", "_dlt_id"]
    );
    assert_eq!(b.schema_ref().field(0).data_type(), &DataType::Int64);
    assert_eq!(b.num_rows(), 2);
    assert!(b.column(2).is_null(1));
}

#[test]
fn inference_sees_only_the_first_lines_but_reads_all() {
    let mut text = String::new();
    for i in 0..1500 {
        text.push_str(&format!("{{\"i\":{i}}}\n"));
    }
    let back = read(open(&[]).as_ref(), text.into_bytes(), None);
    assert_eq!(back.iter().map(|b| b.num_rows()).sum::<usize>(), 1500);
}

#[test]
fn reads_dlt_decimal_time_and_json_columns() {
    let schema: SchemaRef = Arc::new(Schema::new(vec![
        f("amount", DataType::Decimal128(12, 2)),
        f(
            "created",
            DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
        ),
        f("tm", DataType::Time64(TimeUnit::Microsecond)),
        f("blob", DataType::Binary),
        json_field("payload"),
        f("extra_as_text", DataType::Utf8),
    ]));
    let text = concat!(
        r#"{"amount":"10.50","created":"2024-01-02T03:04:05.123456+00:00","tm":"01:02:03","blob":"AAFoaQ==","#,
        r#""payload":{"free": "form","n":[1,2]},"extra_as_text":12,"ignored":[1]}"#,
        "\n",
        "\n",
        r#"{"payload":null}"#,
        "\n",
    );
    let gz = {
        use std::io::Write;
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(text.as_bytes()).unwrap();
        e.finish().unwrap()
    };
    let back = read(open(&[]).as_ref(), gz, Some(schema.clone()));
    let b = &back[0];
    assert_eq!(b.schema(), schema);
    assert_eq!(b.num_rows(), 2);
    let amount = b
        .column(0)
        .as_any()
        .downcast_ref::<Decimal128Array>()
        .unwrap();
    assert_eq!(amount.value(0), 1050);
    let created = b
        .column(1)
        .as_any()
        .downcast_ref::<TimestampMicrosecondArray>()
        .unwrap();
    assert_eq!(created.value(0), 1_704_164_645_123_456);
    let tm = b
        .column(2)
        .as_any()
        .downcast_ref::<Time64MicrosecondArray>()
        .unwrap();
    assert_eq!(tm.value(0), 3_723_000_000);
    let blob = b.column(3).as_any().downcast_ref::<BinaryArray>().unwrap();
    assert_eq!(blob.value(0), b"\x00\x01hi");
    let payload = b.column(4).as_any().downcast_ref::<StringArray>().unwrap();
    assert_eq!(payload.value(0), r#"{"free":"form","n":[1,2]}"#);
    assert!(payload.is_null(1));
    let extra = b.column(5).as_any().downcast_ref::<StringArray>().unwrap();
    assert_eq!(extra.value(0), "12");
}

#[test]
fn bad_base64_and_bad_json_lines_are_errors() {
    let schema: SchemaRef = Arc::new(Schema::new(vec![f("blob", DataType::Binary)]));
    let r = open(&[])
        .read(
            Box::new(MemoryReader::new(b"{\"blob\":\"***\"}\n".to_vec())),
            Some(schema.clone()),
        )
        .unwrap();
    assert!(r.collect::<Result<Vec<_>, _>>().is_err());
    let r = open(&[])
        .read(
            Box::new(MemoryReader::new(b"{\"blob\":\n".to_vec())),
            Some(schema),
        )
        .unwrap();
    assert!(r.collect::<Result<Vec<_>, _>>().is_err());
}

#[test]
fn struct_fields_schema_with_nested_binary() {
    let fields = Fields::from(vec![Field::new("raw", DataType::Binary, true)]);
    let schema: SchemaRef = Arc::new(Schema::new(vec![f("s", DataType::Struct(fields))]));
    let back = read(
        open(&[]).as_ref(),
        b"{\"s\":{\"raw\":\"aGk=\"}}\n".to_vec(),
        Some(schema),
    );
    let s = back[0]
        .column(0)
        .as_any()
        .downcast_ref::<StructArray>()
        .unwrap();
    let raw = s.column(0).as_any().downcast_ref::<BinaryArray>().unwrap();
    assert_eq!(raw.value(0), b"hi");
}

#[test]
fn gzip_header_has_no_name_and_zero_mtime() {
    let schema = Arc::new(Schema::new(vec![f("a", DataType::Int64)]));
    let gz = write(open(&[]).as_ref(), schema, vec![]);
    // magic, deflate, no flags, mtime 0
    assert_eq!(&gz[..8], &[0x1f, 0x8b, 8, 0, 0, 0, 0, 0]);
}
