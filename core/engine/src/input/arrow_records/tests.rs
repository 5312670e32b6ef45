use std::sync::Arc;

use arrow_array::{
    ArrayRef, DurationSecondArray, Int64Array, RecordBatch, RecordBatchIterator, StringArray,
};
use arrow_schema::{ArrowError, DataType, Field, Schema};
use serde_json::{Value, json};

use super::*;

fn batch(ids: Vec<Option<i64>>, names: Vec<Option<&str>>) -> RecordBatch {
    let schema = Schema::new(vec![
        Field::new("name", DataType::Utf8, true),
        Field::new("id", DataType::Int64, true),
    ]);
    let columns: Vec<ArrayRef> = vec![
        Arc::new(StringArray::from(names)),
        Arc::new(Int64Array::from(ids)),
    ];
    RecordBatch::try_new(Arc::new(schema), columns).unwrap()
}

fn records(batches: Vec<Result<RecordBatch, ArrowError>>) -> ArrowRecords {
    let schema = batch(vec![], vec![]).schema();
    let reader = RecordBatchIterator::new(batches, schema);
    ArrowRecords::new(Box::new(reader), "t.parquet".into())
}

fn next_value(r: &mut ArrowRecords) -> Result<Option<Value>> {
    r.next_record().map(|o| o.map(Value::Object))
}

#[test]
fn rows_of_every_batch_in_order_with_schema_key_order_and_nulls_left_out() {
    let mut r = records(vec![
        Ok(batch(vec![Some(1), None], vec![Some("a"), Some("b")])),
        Ok(batch(vec![], vec![])),
        Ok(batch(vec![Some(3)], vec![None])),
    ]);
    let first = r.next_record().unwrap().unwrap();
    assert_eq!(first.keys().collect::<Vec<_>>(), ["name", "id"]);
    assert_eq!(Value::Object(first), json!({"name": "a", "id": 1}));
    assert_eq!(next_value(&mut r).unwrap(), Some(json!({"name": "b"})));
    assert_eq!(next_value(&mut r).unwrap(), Some(json!({"id": 3})));
    assert_eq!(next_value(&mut r).unwrap(), None);
}

#[test]
fn a_failing_batch_names_the_file_and_batch_number() {
    let mut r = records(vec![
        Ok(batch(vec![Some(1)], vec![Some("a")])),
        Err(ArrowError::ParseError("bad page".into())),
    ]);
    r.next_record().unwrap().unwrap();
    let err = r.next_record().unwrap_err();
    assert!(err.to_string().starts_with("t.parquet: batch 2: "), "{err}");
    assert!(err.to_string().contains("bad page"), "{err}");
    assert!(!err.is_retryable());
}

#[test]
fn an_unconvertible_column_names_batch_row_and_column() {
    let schema = Arc::new(Schema::new(vec![Field::new(
        "wait",
        DataType::Duration(arrow_schema::TimeUnit::Second),
        true,
    )]));
    let durations: ArrayRef = Arc::new(DurationSecondArray::from(vec![Some(1), Some(2)]));
    let odd = RecordBatch::try_new(schema, vec![durations]).unwrap();
    let mut r = records(vec![Ok(batch(vec![Some(1)], vec![None])), Ok(odd)]);
    r.next_record().unwrap().unwrap();
    let err = r.next_record().unwrap_err().to_string();
    assert!(
        err.starts_with("t.parquet: batch 2 (row 2): column `wait`: unsupported Arrow type"),
        "{err}"
    );
}

#[test]
fn a_missing_format_plugin_is_named_with_the_input() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x.parquet");
    std::fs::write(&path, b"PAR1").unwrap();
    let err = ArrowRecords::from_format_plugin(&path, "parquet", &Registry::default())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("x.parquet") && err.contains("no format plugin named `parquet`"),
        "{err}"
    );
}
