//! Input readers: records from files or stdin, streamed (memory does not grow with input size).
//!
//! Every reader yields [`Record`]s (JSON objects with keys in input order) through
//! [`RecordSource`]; errors name the file and the line (or row / row group) at fault.

mod ndjson;

pub use ndjson::NdjsonReader;

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
