//! CSV with a header row (RFC 4180: `,` separated, `"` quoting, `\n` or `\r\n` line ends).
//!
//! The header's names become the record keys as written (the normalizer makes them
//! snake_case); an empty name becomes `Unnamed: <index>` and a repeated one `<name>.1`,
//! `<name>.2`, … as pandas names them. Values are typed per field (see [`typing`]). Read one
//! record at a time; blank lines are skipped; a row with fewer fields than the header leaves
//! the rest null, one with more is an error naming the file and line.

mod record;
mod typing;

use std::collections::HashSet;
use std::io::{BufRead, BufReader, Read};

use self::record::{Issue, RecordParser};
use self::typing::typed_value;
use super::diag::{bad_input, read_failed};
use super::{Record, RecordSource};
use crate::{Error, Result};

/// Buffer between the byte source and the parser.
const READ_BUFFER: usize = 64 << 10;

/// UTF-8 byte order mark (Excel writes one).
const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Streams records from a CSV file or stdin.
pub struct CsvReader {
    input: BufReader<Box<dyn Read + Send>>,
    source: String,
    /// Physical lines read so far.
    line: u64,
    header: Option<Vec<String>>,
    parser: RecordParser,
    line_buf: Vec<u8>,
}

impl std::fmt::Debug for CsvReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CsvReader")
            .field("source", &self.source)
            .field("line", &self.line)
            .field("columns", &self.header.as_ref().map(Vec::len))
            .finish()
    }
}

impl CsvReader {
    /// Reads from any byte source named `source` in errors.
    pub fn from_reader(input: Box<dyn Read + Send>, source: String) -> Self {
        CsvReader {
            input: BufReader::with_capacity(READ_BUFFER, input),
            source,
            line: 0,
            header: None,
            parser: RecordParser::default(),
            line_buf: Vec::new(),
        }
    }

    /// The next record; `None` at the end (an input without rows has no records).
    pub fn next_record(&mut self) -> Result<Option<Record>> {
        loop {
            let Some(start_line) = self.read_fields()? else {
                return Ok(None);
            };
            if self.is_blank_line() {
                continue;
            }
            match &self.header {
                None => self.header = Some(self.header_names()),
                Some(header) => {
                    if self.parser.fields.len() > header.len() {
                        let what = format!(
                            "the row has {} fields but the header has {}",
                            self.parser.fields.len(),
                            header.len()
                        );
                        return Err(bad_input(&self.source, start_line, &what));
                    }
                    return Ok(Some(self.record()));
                }
            }
        }
    }

    /// Splits the next record into `self.parser.fields`; returns its first line, `None` at
    /// the end of the input.
    fn read_fields(&mut self) -> Result<Option<u64>> {
        self.parser.start();
        let start_line = self.line + 1;
        loop {
            self.line_buf.clear();
            let n = self
                .input
                .read_until(b'\n', &mut self.line_buf)
                .map_err(|e| read_failed(&self.source, self.line, &e))?;
            if n == 0 {
                if self.parser.untouched() {
                    return Ok(None);
                }
                self.parser.finish_at_eof().map_err(|i| self.issue(&i))?;
                return Ok(Some(start_line));
            }
            self.line += 1;
            let bytes = match self.line == 1 {
                true => self.line_buf.strip_prefix(BOM).unwrap_or(&self.line_buf),
                false => &self.line_buf,
            };
            match self.parser.feed(bytes, self.line) {
                Ok(true) => return Ok(Some(start_line)),
                Ok(false) => {}
                Err(issue) => return Err(self.issue(&issue)),
            }
        }
    }

    fn is_blank_line(&self) -> bool {
        match self.parser.fields.as_slice() {
            [only] => !only.quoted && only.text.is_empty(),
            _ => false,
        }
    }

    /// The header's names, made unique the way pandas does.
    fn header_names(&mut self) -> Vec<String> {
        let mut seen = HashSet::new();
        let mut names = Vec::with_capacity(self.parser.fields.len());
        for (index, field) in self.parser.fields.drain(..).enumerate() {
            let base = match field.text.is_empty() {
                true => format!("Unnamed: {index}"),
                false => field.text,
            };
            let mut name = base.clone();
            let mut n = 0;
            while !seen.insert(name.clone()) {
                n += 1;
                name = format!("{base}.{n}");
            }
            names.push(name);
        }
        names
    }

    /// The current row as a record (nulls left out).
    fn record(&mut self) -> Record {
        let header = self.header.as_deref().unwrap_or_default();
        let mut record = Record::new();
        for (name, field) in header.iter().zip(self.parser.fields.drain(..)) {
            if let Some(value) = typed_value(field) {
                record.insert(name.clone(), value);
            }
        }
        record
    }

    fn issue(&self, issue: &Issue) -> Error {
        let (what, line) = issue.describe();
        bad_input(&self.source, line.unwrap_or(self.line), &what)
    }
}

impl RecordSource for CsvReader {
    fn next_record(&mut self) -> Result<Option<Record>> {
        CsvReader::next_record(self)
    }
}

#[cfg(test)]
mod tests;
