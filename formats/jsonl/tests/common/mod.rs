//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::collections::HashMap;
use std::sync::Arc;

use arrow_array::{ArrayRef, RecordBatch, RecordBatchIterator};
use arrow_schema::{DataType, Field, Schema, SchemaRef};
use stowage_plugin_jsonl::{DATA_TYPE_METADATA_KEY, JSON_DATA_TYPE, encoder};

/// A batch from `(field, column)` pairs.
pub fn batch(cols: Vec<(Field, ArrayRef)>) -> RecordBatch {
    let (fields, arrays): (Vec<Field>, Vec<ArrayRef>) = cols.into_iter().unzip();
    RecordBatch::try_new(Arc::new(Schema::new(fields)), arrays).unwrap()
}

/// A nullable field.
pub fn f(name: &str, dt: DataType) -> Field {
    Field::new(name, dt, true)
}

/// A nullable `json` string field.
pub fn json_field(name: &str) -> Field {
    f(name, DataType::Utf8).with_metadata(HashMap::from([(
        DATA_TYPE_METADATA_KEY.to_string(),
        JSON_DATA_TYPE.to_string(),
    )]))
}

/// The jsonl text of one batch (no compression).
pub fn encode(batch: &RecordBatch) -> String {
    let mut out = Vec::new();
    encoder::encode_batch(batch, &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

/// A record batch reader over `batches`.
pub fn reader(
    schema: SchemaRef,
    batches: Vec<RecordBatch>,
) -> RecordBatchIterator<std::vec::IntoIter<Result<RecordBatch, arrow_schema::ArrowError>>> {
    RecordBatchIterator::new(
        batches.into_iter().map(Ok).collect::<Vec<_>>().into_iter(),
        schema,
    )
}

/// A column from anything convertible into an array.
pub fn col<A: arrow_array::Array + 'static>(a: A) -> ArrayRef {
    Arc::new(a)
}
