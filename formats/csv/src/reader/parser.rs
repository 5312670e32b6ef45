//! A streaming csv tokenizer (RFC 4180 and Python's csv reader with `doublequote=True`) that
//! remembers whether each field was quoted, so that an empty unquoted field (null) can be told
//! from `""` (an empty string).
//!
//! Records end at `\n`, `\r\n` or `\r` outside quotes. A blank line is a record with one empty
//! field (a one-column table's null). Text after a closing quote is kept, as Python does.

use std::io::BufRead;

use stowage_plugin_sdk::{PluginError, Result};

/// The span of one field inside [`Record::data`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldSpan {
    start: usize,
    end: usize,
    /// The field was written in quotes.
    pub quoted: bool,
}

/// One parsed record; reused between records to keep allocations down.
#[derive(Debug, Default, Clone)]
pub struct Record {
    data: Vec<u8>,
    fields: Vec<FieldSpan>,
    /// Line (1-based) the record starts on.
    pub line: u64,
}

impl Record {
    /// Number of fields.
    pub fn len(&self) -> usize {
        self.fields.len()
    }

    /// True if the record has no fields.
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    /// The unescaped bytes of field `i` and whether it was quoted.
    pub fn field(&self, i: usize) -> (&[u8], bool) {
        let f = self.fields[i];
        (&self.data[f.start..f.end], f.quoted)
    }

    fn clear(&mut self) {
        self.data.clear();
        self.fields.clear();
    }

    fn end_field(&mut self, start: &mut usize, quoted: bool) {
        self.fields.push(FieldSpan {
            start: *start,
            end: self.data.len(),
            quoted,
        });
        *start = self.data.len();
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    StartField,
    Unquoted,
    Quoted,
    /// A `"` inside a quoted field: either the end or the first of a doubled quote.
    QuoteInQuoted,
    /// Text after the closing quote (kept, the field still counts as quoted).
    AfterQuote,
}

/// Reads records from a buffered input.
pub struct CsvParser {
    input: Box<dyn BufRead + Send>,
    delimiter: u8,
    /// Lines consumed so far.
    line: u64,
    /// A record ended with `\r`: a `\n` right after it belongs to that line end.
    skip_lf: bool,
}

impl std::fmt::Debug for CsvParser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CsvParser")
            .field("line", &self.line)
            .finish_non_exhaustive()
    }
}

impl CsvParser {
    /// A parser over `input`.
    pub fn new(input: Box<dyn BufRead + Send>, delimiter: u8) -> CsvParser {
        CsvParser {
            input,
            delimiter,
            line: 0,
            skip_lf: false,
        }
    }

    /// Reads the next record into `rec`; false at the end of the input.
    pub fn next_record(&mut self, rec: &mut Record) -> Result<bool> {
        rec.clear();
        rec.line = self.line + 1;
        let mut state = State::StartField;
        let mut start = 0;
        let mut started = false;
        loop {
            let buf = self
                .input
                .fill_buf()
                .map_err(|e| PluginError::from_io_error(e, "reading csv"))?;
            if buf.is_empty() {
                return self.at_end(rec, state, &mut start, started);
            }
            let mut used = 0;
            let mut done = false;
            for &b in buf {
                used += 1;
                if self.skip_lf {
                    self.skip_lf = false;
                    if b == b'\n' {
                        continue;
                    }
                }
                started = true;
                if b == b'\n' {
                    self.line += 1;
                }
                let line_end = b == b'\n' || b == b'\r';
                match state {
                    State::StartField | State::Unquoted if b == self.delimiter => {
                        rec.end_field(&mut start, false);
                        state = State::StartField;
                    }
                    State::StartField | State::Unquoted if line_end => {
                        rec.end_field(&mut start, false);
                        done = true;
                    }
                    State::StartField if b == b'"' => state = State::Quoted,
                    State::StartField | State::Unquoted => {
                        rec.data.push(b);
                        state = State::Unquoted;
                    }
                    State::Quoted if b == b'"' => state = State::QuoteInQuoted,
                    State::Quoted => rec.data.push(b),
                    State::QuoteInQuoted if b == b'"' => {
                        rec.data.push(b'"');
                        state = State::Quoted;
                    }
                    State::QuoteInQuoted | State::AfterQuote if b == self.delimiter => {
                        rec.end_field(&mut start, true);
                        state = State::StartField;
                    }
                    State::QuoteInQuoted | State::AfterQuote if line_end => {
                        rec.end_field(&mut start, true);
                        done = true;
                    }
                    State::QuoteInQuoted | State::AfterQuote => {
                        rec.data.push(b);
                        state = State::AfterQuote;
                    }
                }
                if done {
                    if b == b'\r' {
                        self.skip_lf = true;
                        self.line += 1;
                    }
                    break;
                }
            }
            self.input.consume(used);
            if done {
                return Ok(true);
            }
        }
    }

    fn at_end(
        &mut self,
        rec: &mut Record,
        state: State,
        start: &mut usize,
        started: bool,
    ) -> Result<bool> {
        match state {
            State::StartField if !started => Ok(false),
            State::Quoted => Err(PluginError::invalid(format!(
                "csv line {}: a quoted field is not closed before the end of the file",
                rec.line
            ))),
            State::StartField | State::Unquoted => {
                rec.end_field(start, false);
                Ok(true)
            }
            State::QuoteInQuoted | State::AfterQuote => {
                rec.end_field(start, true);
                Ok(true)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Vec<Vec<(String, bool)>> {
        parse_with(text, b',', 1)
    }

    /// Parses with a tiny read buffer so that records straddle buffer ends.
    fn parse_with(text: &str, delimiter: u8, capacity: usize) -> Vec<Vec<(String, bool)>> {
        let input = std::io::BufReader::with_capacity(
            capacity,
            std::io::Cursor::new(text.to_string().into_bytes()),
        );
        let mut parser = CsvParser::new(Box::new(input), delimiter);
        let mut rec = Record::default();
        let mut out = Vec::new();
        while parser.next_record(&mut rec).unwrap() {
            out.push(
                (0..rec.len())
                    .map(|i| {
                        let (v, q) = rec.field(i);
                        (String::from_utf8(v.to_vec()).unwrap(), q)
                    })
                    .collect(),
            );
        }
        out
    }

    fn f(v: &str, quoted: bool) -> (String, bool) {
        (v.to_string(), quoted)
    }

    #[test]
    fn quoted_unquoted_and_empty() {
        assert_eq!(
            parse("\"a\",1,,\"\",\"x\"\"y\"\n"),
            vec![vec![
                f("a", true),
                f("1", false),
                f("", false),
                f("", true),
                f("x\"y", true)
            ]]
        );
    }

    #[test]
    fn line_breaks_inside_quotes_and_every_line_end() {
        for cap in [1, 3, 8192] {
            assert_eq!(
                parse_with("\"a\nb\",\"c\r\nd\"\r\n1,2\r3,4", b',', cap),
                vec![
                    vec![f("a\nb", true), f("c\r\nd", true)],
                    vec![f("1", false), f("2", false)],
                    vec![f("3", false), f("4", false)],
                ]
            );
        }
    }

    #[test]
    fn blank_lines_are_one_empty_field() {
        assert_eq!(
            parse("\"h\"\n\n\"x\"\n"),
            vec![vec![f("h", true)], vec![f("", false)], vec![f("x", true)]]
        );
        assert!(parse("").is_empty());
    }

    #[test]
    fn other_delimiters_and_text_after_quote() {
        assert_eq!(
            parse_with("a|\"b\"c|d\n", b'|', 2),
            vec![vec![f("a", false), f("bc", true), f("d", false)]]
        );
        assert_eq!(parse("a,\n"), vec![vec![f("a", false), f("", false)]]);
    }

    #[test]
    fn unclosed_quote_is_an_error() {
        let input = std::io::Cursor::new(b"1\n\"abc".to_vec());
        let mut parser = CsvParser::new(Box::new(input), b',');
        let mut rec = Record::default();
        assert!(parser.next_record(&mut rec).unwrap());
        let err = parser.next_record(&mut rec).unwrap_err().to_string();
        assert!(err.contains("line 2"), "{err}");
    }
}
