//! Input readers: records from files or stdin, streamed (memory does not grow with input size).
//!
//! Every reader yields [`Record`]s (JSON objects with keys in input order) through
//! [`RecordSource`]; errors name the file and the line (or row / row group) at fault.

mod arrow_records;
mod arrow_values;
mod csv;
mod diag;
mod file_object;
mod json_array;
mod ndjson;
mod open;
mod parquet;
mod prefetch;

pub use arrow_records::ArrowRecords;
pub use csv::CsvReader;
pub use file_object::FileObjectReader;
pub use json_array::JsonArrayReader;
pub use ndjson::NdjsonReader;
pub use open::{ACCEPTED_EXTENSIONS, InputFormat, open};
pub use parquet::PARQUET_FORMAT;
pub use prefetch::Prefetch;

use serde_json::{Map, Value};

use crate::Result;

/// One input record (a JSON object, keys in input order).
pub type Record = Map<String, Value>;

/// A stream of records.
pub trait RecordSource: Send {
    /// The next record; `None` at the end.
    fn next_record(&mut self) -> Result<Option<Record>>;
}

impl RecordSource for NdjsonReader {
    fn next_record(&mut self) -> Result<Option<Record>> {
        NdjsonReader::next_record(self)
    }
}
