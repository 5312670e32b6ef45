//! Exact bytes of the encoder, checked against lines dlt 1.31 / orjson 3.13 wrote.

mod common;

use std::sync::Arc;

use arrow_array::builder::{Int64Builder, ListBuilder, MapBuilder, StringBuilder};
use arrow_array::types::Int32Type;
use arrow_array::*;
use arrow_buffer::i256;
use arrow_schema::{DataType, Field, TimeUnit};
use common::{batch, col, encode, f, json_field};

const UTC: Option<&str> = Some("UTC");

fn ts_us_utc(v: i64) -> ArrayRef {
    col(TimestampMicrosecondArray::from(vec![v]).with_timezone("UTC"))
}

fn ts_type(unit: TimeUnit, tz: Option<&str>) -> DataType {
    DataType::Timestamp(unit, tz.map(Into::into))
}

#[test]
fn spec_section_4_2_line() {
    let b = batch(vec![
        (f("id", DataType::Int64), col(Int64Array::from(vec![1]))),
        (
            f("name", DataType::Utf8),
            col(StringArray::from(vec!["Alice"])),
        ),
        (
            f("amount", DataType::Decimal128(38, 2)),
            col(Decimal128Array::from(vec![1050])
                .with_precision_and_scale(38, 2)
                .unwrap()),
        ),
        (
            f("score", DataType::Float64),
            col(Float64Array::from(vec![1.5])),
        ),
        (
            f("active", DataType::Boolean),
            col(BooleanArray::from(vec![true])),
        ),
        (
            f("created", ts_type(TimeUnit::Microsecond, UTC)),
            ts_us_utc(1_704_164_645_123_456),
        ),
        (
            f("naive", ts_type(TimeUnit::Microsecond, UTC)),
            ts_us_utc(1_704_164_645_000_000),
        ),
        (
            f("day", DataType::Date32),
            col(Date32Array::from(vec![19_724])),
        ),
        (
            f("tm", DataType::Time64(TimeUnit::Microsecond)),
            col(Time64MicrosecondArray::from(vec![3_723_000_000])),
        ),
        (
            f("blob", DataType::Binary),
            col(BinaryArray::from(vec![&b"\x00\x01hi"[..]])),
        ),
        (
            f("uid", DataType::Utf8),
            col(StringArray::from(vec![
                "12345678-1234-5678-1234-567812345678",
            ])),
        ),
        (
            f("weird_namex", DataType::Utf8),
            col(StringArray::from(vec!["w"])),
        ),
        (
            f("camel_case", DataType::Int64),
            col(Int64Array::from(vec![1])),
        ),
        (
            json_field("payload"),
            col(StringArray::from(vec![r#"{"free": "form", "n": [1, 2]}"#])),
        ),
        (
            f("address__city", DataType::Utf8),
            col(StringArray::from(vec!["Berlin"])),
        ),
        (
            f("address__zip_code", DataType::Utf8),
            col(StringArray::from(vec!["10115"])),
        ),
        (
            f("address__geo__lat", DataType::Float64),
            col(Float64Array::from(vec![52.5])),
        ),
        (
            f("address__geo__lng", DataType::Float64),
            col(Float64Array::from(vec![13.4])),
        ),
        (
            f("_dlt_load_id", DataType::Utf8),
            col(StringArray::from(vec!["1795310773.1276467"])),
        ),
        (
            f("_dlt_id", DataType::Utf8),
            col(StringArray::from(vec!["b8BhIcqNW+EUKQ"])),
        ),
    ]);
    let expected = concat!(
        r#"{"id":1,"name":"Alice","amount":"10.50","score":1.5,"active":true,"#,
        r#""created":"2024-01-02T03:04:05.123456+00:00","naive":"2024-01-02T03:04:05+00:00","#,
        r#""day":"2024-01-02","tm":"01:02:03","blob":"AAFoaQ==","#,
        r#""uid":"12345678-1234-5678-1234-567812345678","weird_namex":"w","camel_case":1,"#,
        r#""payload":{"free":"form","n":[1,2]},"address__city":"Berlin","#,
        r#""address__zip_code":"10115","address__geo__lat":52.5,"address__geo__lng":13.4,"#,
        r#""_dlt_load_id":"1795310773.1276467","_dlt_id":"b8BhIcqNW+EUKQ"}"#,
        "\n"
    );
    assert_eq!(encode(&b), expected);
}

#[test]
fn spec_appendix_a7_line() {
    // 2024-01-01 12:00:00.123456+01:00
    let us = 1_704_106_800_123_456;
    let b = batch(vec![
        (
            f("naive_col", ts_type(TimeUnit::Microsecond, None)),
            col(TimestampMicrosecondArray::from(vec![us])),
        ),
        (f("p3", ts_type(TimeUnit::Microsecond, UTC)), ts_us_utc(us)),
        (
            f(
                "aware",
                ts_type(TimeUnit::Nanosecond, Some("Europe/Berlin")),
            ),
            col(TimestampNanosecondArray::from(vec![us * 1000 + 999])
                .with_timezone("Europe/Berlin")),
        ),
        (
            f("iso_str", ts_type(TimeUnit::Second, UTC)),
            col(TimestampSecondArray::from(vec![1_704_106_800]).with_timezone("UTC")),
        ),
        (
            f("f", DataType::Float64),
            col(Float64Array::from(vec![1.0])),
        ),
        (
            f("big", DataType::Int64),
            col(Int64Array::from(vec![4_611_686_018_427_387_904])),
        ),
        (
            f("u", DataType::Utf8),
            col(StringArray::from(vec!["é\u{1}/\t"])),
        ),
    ]);
    let expected = concat!(
        r#"{"naive_col":"2024-01-01T11:00:00.123456","p3":"2024-01-01T11:00:00.123456+00:00","#,
        r#""aware":"2024-01-01T11:00:00.123456+00:00","iso_str":"2024-01-01T11:00:00+00:00","#,
        r#""f":1.0,"big":4611686018427387904,"u":"é\u0001/\t"}"#,
        "\n"
    );
    assert_eq!(encode(&b), expected);
}

#[test]
fn nulls_nan_and_json_null_are_dropped() {
    let b = batch(vec![
        (
            f("a", DataType::Int32),
            col(Int32Array::from(vec![Some(1), None, None])),
        ),
        (
            f("x", DataType::Float64),
            col(Float64Array::from(vec![
                Some(f64::NAN),
                Some(f64::INFINITY),
                Some(-0.5),
            ])),
        ),
        (
            json_field("j"),
            col(StringArray::from(vec![Some(" null "), None, Some("[]")])),
        ),
        (f("n", DataType::Null), col(NullArray::new(3))),
    ]);
    assert_eq!(encode(&b), "{\"a\":1}\n{}\n{\"x\":-0.5,\"j\":[]}\n");
}

#[test]
fn integers_and_floats() {
    let b = batch(vec![
        (f("i8", DataType::Int8), col(Int8Array::from(vec![i8::MIN]))),
        (
            f("i16", DataType::Int16),
            col(Int16Array::from(vec![i16::MAX])),
        ),
        (
            f("u8", DataType::UInt8),
            col(UInt8Array::from(vec![u8::MAX])),
        ),
        (f("u16", DataType::UInt16), col(UInt16Array::from(vec![7]))),
        (
            f("u32", DataType::UInt32),
            col(UInt32Array::from(vec![u32::MAX])),
        ),
        (
            f("u64", DataType::UInt64),
            col(UInt64Array::from(vec![u64::MAX])),
        ),
        (
            f("f16", DataType::Float16),
            col(Float16Array::from(vec![half_one()])),
        ),
        (
            f("f32", DataType::Float32),
            col(Float32Array::from(vec![0.1f32])),
        ),
        (
            f("small", DataType::Float64),
            col(Float64Array::from(vec![1e-7])),
        ),
        (
            f("large", DataType::Float64),
            col(Float64Array::from(vec![1e16])),
        ),
        (
            f("mid", DataType::Float64),
            col(Float64Array::from(vec![12345.678])),
        ),
    ]);
    assert_eq!(
        encode(&b),
        concat!(
            r#"{"i8":-128,"i16":32767,"u8":255,"u16":7,"u32":4294967295,"u64":18446744073709551615,"#,
            r#""f16":1.0,"f32":0.10000000149011612,"small":1e-7,"large":1e+16,"mid":12345.678}"#,
            "\n"
        )
    );
}

fn half_one() -> <arrow_array::types::Float16Type as arrow_array::ArrowPrimitiveType>::Native {
    <arrow_array::types::Float16Type as arrow_array::ArrowPrimitiveType>::Native::from_f64(1.0)
}

#[test]
fn strings_escaped_like_orjson() {
    let s = "q\"b\\s/\u{8}\u{c}\n\r\t\u{0}\u{1f}\u{7f}é😀";
    let b = batch(vec![
        (f("s", DataType::Utf8), col(StringArray::from(vec![s]))),
        (
            f("l", DataType::LargeUtf8),
            col(LargeStringArray::from(vec![s])),
        ),
        (
            f("v", DataType::Utf8View),
            col(StringViewArray::from(vec![s])),
        ),
        (
            f("key \"q\"", DataType::Utf8),
            col(StringArray::from(vec![""])),
        ),
    ]);
    let esc = "\"q\\\"b\\\\s/\\b\\f\\n\\r\\t\\u0000\\u001f\u{7f}é😀\"";
    assert_eq!(
        encode(&b),
        format!("{{\"s\":{esc},\"l\":{esc},\"v\":{esc},\"key \\\"q\\\"\":\"\"}}\n")
    );
}

#[test]
fn temporal_types() {
    let b = batch(vec![
        (f("d32", DataType::Date32), col(Date32Array::from(vec![-1]))),
        (
            f("d64", DataType::Date64),
            col(Date64Array::from(vec![19_724 * 86_400_000])),
        ),
        (
            f("t32s", DataType::Time32(TimeUnit::Second)),
            col(Time32SecondArray::from(vec![3723])),
        ),
        (
            f("t32ms", DataType::Time32(TimeUnit::Millisecond)),
            col(Time32MillisecondArray::from(vec![1])),
        ),
        (
            f("t64us", DataType::Time64(TimeUnit::Microsecond)),
            col(Time64MicrosecondArray::from(vec![86_399_000_999])),
        ),
        (
            f("t64ns", DataType::Time64(TimeUnit::Nanosecond)),
            col(Time64NanosecondArray::from(vec![86_399_000_999_999])),
        ),
        (
            f("ts_ms", ts_type(TimeUnit::Millisecond, None)),
            col(TimestampMillisecondArray::from(vec![1_704_164_645_100])),
        ),
        (
            f("ts_ns", ts_type(TimeUnit::Nanosecond, UTC)),
            col(TimestampNanosecondArray::from(vec![-1]).with_timezone("UTC")),
        ),
    ]);
    assert_eq!(
        encode(&b),
        concat!(
            r#"{"d32":"1969-12-31","d64":"2024-01-02","t32s":"01:02:03","t32ms":"00:00:00.001000","#,
            r#""t64us":"23:59:59.000999","t64ns":"23:59:59.000999","ts_ms":"2024-01-02T03:04:05.100000","#,
            r#""ts_ns":"1969-12-31T23:59:59.999999+00:00"}"#,
            "\n"
        )
    );
}

#[test]
fn decimals_as_python_str() {
    let d128 = Decimal128Array::from(vec![1050, 3, 0, -5, 1])
        .with_precision_and_scale(38, 2)
        .unwrap();
    let d0 = Decimal128Array::from(vec![3, 0, -7, 10, 1])
        .with_precision_and_scale(10, 0)
        .unwrap();
    let d256 = Decimal256Array::from(vec![i256::from_i128(1050); 5])
        .with_precision_and_scale(76, 10)
        .unwrap();
    let d64 = Decimal64Array::from(vec![1050; 5])
        .with_precision_and_scale(18, 2)
        .unwrap();
    let b = batch(vec![
        (f("d", DataType::Decimal128(38, 2)), col(d128)),
        (f("z", DataType::Decimal128(10, 0)), col(d0)),
        (f("w", DataType::Decimal256(76, 10)), col(d256)),
        (f("s", DataType::Decimal64(18, 2)), col(d64)),
    ]);
    let lines: Vec<&str> = encode(&b).leak().lines().collect();
    assert_eq!(
        lines[0],
        r#"{"d":"10.50","z":"3","w":"1.050E-7","s":"10.50"}"#
    );
    assert_eq!(
        lines[1],
        r#"{"d":"0.03","z":"0","w":"1.050E-7","s":"10.50"}"#
    );
    assert_eq!(
        lines[2],
        r#"{"d":"0.00","z":"-7","w":"1.050E-7","s":"10.50"}"#
    );
    assert_eq!(
        lines[3],
        r#"{"d":"-0.05","z":"10","w":"1.050E-7","s":"10.50"}"#
    );
}

#[test]
fn binary_types_base64() {
    let data: Vec<&[u8]> = vec![b"", b"\x00\x01hi", b"\xff\xfe\xfd"];
    let b = batch(vec![
        (
            f("b", DataType::Binary),
            col(BinaryArray::from(data.clone())),
        ),
        (
            f("l", DataType::LargeBinary),
            col(LargeBinaryArray::from(data.clone())),
        ),
        (
            f("v", DataType::BinaryView),
            col(BinaryViewArray::from(data.clone())),
        ),
    ]);
    assert_eq!(
        encode(&b),
        concat!(
            r#"{"b":"","l":"","v":""}"#,
            "\n",
            r#"{"b":"AAFoaQ==","l":"AAFoaQ==","v":"AAFoaQ=="}"#,
            "\n",
            r#"{"b":"//79","l":"//79","v":"//79"}"#,
            "\n",
        )
    );
    let fixed = FixedSizeBinaryArray::try_from_iter(vec![b"ab", b"cd"].into_iter()).unwrap();
    let b = batch(vec![(f("x", DataType::FixedSizeBinary(2)), col(fixed))]);
    assert_eq!(encode(&b), "{\"x\":\"YWI=\"}\n{\"x\":\"Y2Q=\"}\n");
}

#[test]
fn json_column_reemitted_compactly() {
    let b = batch(vec![(
        json_field("j"),
        col(StringArray::from(vec![
            r#" { "a" : 1.50, "b": [true, null, "\u00e9\/"], "c": {} } "#,
            r#""just a string""#,
            "1e400",
        ])),
    )]);
    assert_eq!(
        encode(&b),
        "{\"j\":{\"a\":1.5,\"b\":[true,null,\"é/\"],\"c\":{}}}\n{\"j\":\"just a string\"}\n{\"j\":null}\n"
    );
}

#[test]
fn invalid_json_text_is_an_error_naming_the_column() {
    let b = batch(vec![(
        json_field("payload"),
        col(StringArray::from(vec!["{\"a\":"])),
    )]);
    let mut out = Vec::new();
    let err = stowage_plugin_jsonl::encoder::encode_batch(&b, &mut out).unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("payload") && msg.contains("row=0"), "{msg}");
}

#[test]
fn nested_struct_and_list_keep_inner_nulls() {
    let inner = StructArray::from(vec![
        (
            Arc::new(Field::new("x", DataType::Float64, true)),
            col(Float64Array::from(vec![Some(1.0), Some(f64::NAN)])),
        ),
        (
            Arc::new(Field::new("s", DataType::Utf8, true)),
            col(StringArray::from(vec![None, Some("é")])),
        ),
    ]);
    let mut lb = ListBuilder::new(Int64Builder::new());
    lb.append_value([Some(1), None, Some(3)]);
    lb.append_null();
    let list = lb.finish();
    let fsl = FixedSizeListArray::from_iter_primitive::<Int32Type, _, _>(
        vec![Some(vec![Some(1), Some(2)]), Some(vec![None, Some(4)])],
        2,
    );
    let b = batch(vec![
        (f("st", inner.data_type().clone()), col(inner)),
        (f("l", list.data_type().clone()), col(list)),
        (f("fl", fsl.data_type().clone()), col(fsl)),
    ]);
    assert_eq!(
        encode(&b),
        concat!(
            r#"{"st":{"x":1.0,"s":null},"l":[1,null,3],"fl":[1,2]}"#,
            "\n",
            r#"{"st":{"x":null,"s":"é"},"fl":[null,4]}"#,
            "\n",
        )
    );
}

#[test]
fn map_as_list_of_pairs() {
    let mut mb = MapBuilder::new(None, StringBuilder::new(), Int64Builder::new());
    mb.keys().append_value("a");
    mb.values().append_value(1);
    mb.keys().append_value("b");
    mb.values().append_null();
    mb.append(true).unwrap();
    let map = mb.finish();
    let b = batch(vec![(f("m", map.data_type().clone()), col(map))]);
    assert_eq!(encode(&b), "{\"m\":[[\"a\",1],[\"b\",null]]}\n");
}

#[test]
fn dictionary_columns_are_decoded() {
    let dict: DictionaryArray<Int32Type> = vec![Some("x"), None, Some("x"), Some("y")]
        .into_iter()
        .collect();
    let b = batch(vec![(f("d", dict.data_type().clone()), col(dict))]);
    assert_eq!(
        encode(&b),
        "{\"d\":\"x\"}\n{}\n{\"d\":\"x\"}\n{\"d\":\"y\"}\n"
    );
}

#[test]
fn unsupported_types_are_rejected() {
    let b = batch(vec![(
        f("dur", DataType::Duration(TimeUnit::Second)),
        col(DurationSecondArray::from(vec![1])),
    )]);
    let err = stowage_plugin_jsonl::encoder::encode_batch(&b, &mut Vec::new()).unwrap_err();
    assert_eq!(err.kind(), stowage_plugin_sdk::ErrorKind::Unsupported);
    assert!(err.to_string().contains("dur"), "{err}");
}

#[test]
fn out_of_range_timestamp_is_an_error() {
    let b = batch(vec![(
        f("t", ts_type(TimeUnit::Second, None)),
        col(TimestampSecondArray::from(vec![i64::MAX])),
    )]);
    assert!(stowage_plugin_jsonl::encoder::encode_batch(&b, &mut Vec::new()).is_err());
}

#[test]
fn sliced_batches_encode_only_their_rows() {
    let b = batch(vec![
        (
            f("i", DataType::Int64),
            col(Int64Array::from(vec![1, 2, 3, 4])),
        ),
        (
            f("s", DataType::Utf8),
            col(StringArray::from(vec!["a", "b", "c", "d"])),
        ),
    ]);
    assert_eq!(
        encode(&b.slice(1, 2)),
        "{\"i\":2,\"s\":\"b\"}\n{\"i\":3,\"s\":\"c\"}\n"
    );
}
