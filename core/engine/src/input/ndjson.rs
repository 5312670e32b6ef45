//! Newline-delimited JSON: one object per line, read line by line; errors name the file and line.

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use serde_json::Value;

use super::Record;

use crate::{Error, Result};

/// Streams records from an NDJSON file or stdin (`-`).
pub struct NdjsonReader {
    lines: BufReader<Box<dyn Read + Send>>,
    source: String,
    line_no: u64,
    buf: String,
}

impl std::fmt::Debug for NdjsonReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NdjsonReader")
            .field("source", &self.source)
            .field("line", &self.line_no)
            .finish()
    }
}

impl NdjsonReader {
    /// Opens `path` (`-` is stdin).
    pub fn open(path: &Path) -> Result<Self> {
        let source = path.display().to_string();
        let input: Box<dyn Read + Send> = if source == "-" {
            Box::new(std::io::stdin())
        } else {
            Box::new(
                File::open(path)
                    .map_err(|e| Error::from_io(&e, format!("opening input {source}")))?,
            )
        };
        Ok(Self::from_reader(
            input,
            if source == "-" {
                "<stdin>".into()
            } else {
                source
            },
        ))
    }

    /// Reads from any byte source named `source` in errors.
    pub fn from_reader(input: Box<dyn Read + Send>, source: String) -> Self {
        NdjsonReader {
            lines: BufReader::with_capacity(1 << 20, input),
            source,
            line_no: 0,
            buf: String::new(),
        }
    }

    /// The next record, skipping blank lines; `None` at the end.
    pub fn next_record(&mut self) -> Result<Option<Record>> {
        loop {
            self.buf.clear();
            let n = self
                .lines
                .read_line(&mut self.buf)
                .map_err(|e| self.io_error(&e))?;
            if n == 0 {
                return Ok(None);
            }
            self.line_no += 1;
            let line = self.buf.trim();
            if line.is_empty() {
                continue;
            }
            return match serde_json::from_str::<Value>(line) {
                Ok(Value::Object(map)) => Ok(Some(map)),
                Ok(other) => {
                    Err(self.bad_line(&format!("expected a JSON object, got {}", kind_of(&other))))
                }
                Err(e) => Err(self.bad_line(&format!("invalid JSON: {e}"))),
            };
        }
    }

    fn bad_line(&self, what: &str) -> Error {
        Error::invalid(format!("{}:{}: {what}", self.source, self.line_no))
            .with_context("file", &self.source)
            .with_context("line", self.line_no.to_string())
            .with_retryable(false)
    }

    fn io_error(&self, e: &std::io::Error) -> Error {
        Error::from_io(
            e,
            format!("reading {} after line {}", self.source, self.line_no),
        )
    }
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reader(text: &str) -> NdjsonReader {
        NdjsonReader::from_reader(
            Box::new(std::io::Cursor::new(text.as_bytes().to_vec())),
            "in.ndjson".into(),
        )
    }

    #[test]
    fn reads_objects_and_skips_blank_lines() {
        let mut r = reader("{\"a\":1}\n\n{\"a\":2}\n");
        assert_eq!(r.next_record().unwrap().unwrap()["a"], 1);
        assert_eq!(r.next_record().unwrap().unwrap()["a"], 2);
        assert!(r.next_record().unwrap().is_none());
    }

    #[test]
    fn malformed_line_names_file_and_line() {
        let mut r = reader("{\"a\":1}\n{\"a\":2}\n{oops\n");
        r.next_record().unwrap();
        r.next_record().unwrap();
        let err = r.next_record().unwrap_err().to_string();
        assert!(err.starts_with("in.ndjson:3: invalid JSON"), "{err}");
        let mut r = reader("[1,2]\n");
        assert!(
            r.next_record()
                .unwrap_err()
                .to_string()
                .contains("in.ndjson:1: expected a JSON object")
        );
    }
}
