use std::sync::Arc;

use arrow_array::builder::{Int32Builder, MapBuilder, StringBuilder};
use arrow_array::types::Int32Type;
use arrow_array::*;
use arrow_schema::{DataType, Field};
use serde_json::json;

use super::*;

fn first(array: &dyn Array) -> Option<Value> {
    value_at(array, 0).unwrap()
}

#[test]
fn scalars_map_naturally() {
    assert_eq!(first(&Int8Array::from(vec![-8])), Some(json!(-8)));
    assert_eq!(
        first(&Int64Array::from(vec![i64::MIN])),
        Some(json!(i64::MIN))
    );
    assert_eq!(
        first(&UInt64Array::from(vec![u64::MAX])),
        Some(json!(u64::MAX))
    );
    assert_eq!(first(&Float32Array::from(vec![0.1f32])), Some(json!(0.1)));
    assert_eq!(first(&Float64Array::from(vec![2.5])), Some(json!(2.5)));
    assert_eq!(first(&Float64Array::from(vec![f64::NAN])), None);
    assert_eq!(first(&BooleanArray::from(vec![true])), Some(json!(true)));
    assert_eq!(first(&StringArray::from(vec!["é"])), Some(json!("é")));
    assert_eq!(first(&LargeStringArray::from(vec!["l"])), Some(json!("l")));
    assert_eq!(first(&StringViewArray::from(vec!["v"])), Some(json!("v")));
    assert_eq!(first(&NullArray::new(1)), None);
    assert_eq!(first(&Int32Array::from(vec![None::<i32>])), None);
}

#[test]
fn binary_is_base64_and_decimals_are_exact_strings() {
    let bytes: &[u8] = &[0, 1, 2, 255];
    assert_eq!(
        first(&BinaryArray::from(vec![bytes])),
        Some(json!("AAEC/w=="))
    );
    assert_eq!(
        first(&LargeBinaryArray::from(vec![bytes])),
        Some(json!("AAEC/w=="))
    );
    let fixed = FixedSizeBinaryArray::try_from_iter(vec![vec![0u8, 1, 2]].into_iter()).unwrap();
    assert_eq!(first(&fixed), Some(json!("AAEC")));
    let dec = Decimal128Array::from(vec![1050, -5])
        .with_precision_and_scale(10, 2)
        .unwrap();
    assert_eq!(value_at(&dec, 0).unwrap(), Some(json!("10.50")));
    assert_eq!(value_at(&dec, 1).unwrap(), Some(json!("-0.05")));
}

#[test]
fn timestamps_are_rfc3339_in_utc() {
    let micros = 1_704_164_645_123_456i64;
    let with_tz = TimestampMicrosecondArray::from(vec![micros]).with_timezone("Europe/Berlin");
    assert_eq!(
        first(&with_tz),
        Some(json!("2024-01-02T03:04:05.123456+00:00"))
    );
    let naive = TimestampMicrosecondArray::from(vec![micros, -1]);
    assert_eq!(
        first(&naive),
        Some(json!("2024-01-02T03:04:05.123456+00:00"))
    );
    assert_eq!(
        value_at(&naive, 1).unwrap(),
        Some(json!("1969-12-31T23:59:59.999999+00:00"))
    );
    let secs = TimestampSecondArray::from(vec![0]).with_timezone("UTC");
    assert_eq!(first(&secs), Some(json!("1970-01-01T00:00:00+00:00")));
    let millis = TimestampMillisecondArray::from(vec![1_704_164_645_123]);
    assert_eq!(
        first(&millis),
        Some(json!("2024-01-02T03:04:05.123000+00:00"))
    );
    let nanos = TimestampNanosecondArray::from(vec![1_704_164_645_000_000_001]);
    assert_eq!(
        first(&nanos),
        Some(json!("2024-01-02T03:04:05.000000001+00:00"))
    );
}

#[test]
fn dates_and_times() {
    assert_eq!(
        first(&Date32Array::from(vec![19_724])),
        Some(json!("2024-01-02"))
    );
    assert_eq!(
        first(&Date32Array::from(vec![-1])),
        Some(json!("1969-12-31"))
    );
    assert_eq!(
        first(&Date64Array::from(vec![1_704_153_600_000])),
        Some(json!("2024-01-02"))
    );
    let t = Time64MicrosecondArray::from(vec![3_723_000_500]);
    assert_eq!(first(&t), Some(json!("01:02:03.000500")));
    assert_eq!(
        first(&Time32SecondArray::from(vec![59])),
        Some(json!("00:00:59"))
    );
}

#[test]
fn nested_values_become_objects_and_arrays() {
    let list = ListArray::from_iter_primitive::<Int32Type, _, _>(vec![Some(vec![Some(1), None])]);
    assert_eq!(first(&list), Some(json!([1, null])));
    let s = StructArray::from(vec![
        (
            Arc::new(Field::new("a", DataType::Int32, true)),
            Arc::new(Int32Array::from(vec![Some(1)])) as ArrayRef,
        ),
        (
            Arc::new(Field::new("b", DataType::Utf8, true)),
            Arc::new(StringArray::from(vec![None::<&str>])) as ArrayRef,
        ),
        (
            Arc::new(Field::new(
                "c",
                DataType::new_list(DataType::Int32, true),
                true,
            )),
            Arc::new(list) as ArrayRef,
        ),
    ]);
    assert_eq!(first(&s), Some(json!({"a": 1, "c": [1, null]})));
    let mut map = MapBuilder::new(None, StringBuilder::new(), Int32Builder::new());
    map.keys().append_value("k");
    map.values().append_value(7);
    map.keys().append_value("gone");
    map.values().append_null();
    map.append(true).unwrap();
    assert_eq!(first(&map.finish()), Some(json!({"k": 7})));
    let dict: DictionaryArray<Int32Type> = vec!["x", "y", "x"].into_iter().collect();
    assert_eq!(value_at(&dict, 2).unwrap(), Some(json!("x")));
    assert_eq!(value_at(&dict, 1).unwrap(), Some(json!("y")));
}

#[test]
fn unsupported_types_are_named() {
    let err = value_at(&DurationSecondArray::from(vec![1]), 0).unwrap_err();
    assert!(err.contains("unsupported Arrow type Duration"), "{err}");
}
