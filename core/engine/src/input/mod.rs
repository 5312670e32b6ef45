//! Input readers: records from files or stdin, streamed (memory does not grow with input size).

mod ndjson;

pub use ndjson::{NdjsonReader, Record};
