//! Error helpers shared by the readers: every input error names the file and where in it.

use serde_json::Value;

use crate::Error;

/// An invalid-input error at `source:line` (not retryable: the bytes will not change).
pub(crate) fn bad_input(source: &str, line: u64, what: &str) -> Error {
    Error::invalid(format!("{source}:{line}: {what}"))
        .with_context("file", source)
        .with_context("line", line.to_string())
        .with_retryable(false)
}

/// An I/O error while reading `source` after `line` complete lines.
pub(crate) fn read_failed(source: &str, line: u64, err: &std::io::Error) -> Error {
    Error::from_io(err, format!("reading {source} after line {line}"))
}

/// "a number", "an array", … for messages about a value of the wrong kind.
pub(crate) fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}
