//! JSON documents: an array of objects (`[ {...}, {...} ]`), or one or more top-level objects
//! (`{...}` alone, or objects one after another as `mongoexport` writes them).
//!
//! Streamed element by element: a small scanner finds where each element ends (tracking
//! strings and brackets, not parsing), then serde_json parses just that element. Memory holds one
//! element, never the whole array. Errors name the file, the line and the element index.

use std::io::{BufRead, BufReader, Read};

use serde_json::Value;

use super::diag::{bad_input, kind_of, read_failed};
use super::{Record, RecordSource};
use crate::{Error, Result};

/// Buffer between the byte source and the scanner.
const READ_BUFFER: usize = 64 << 10;

/// Deeper nesting is cut short (serde_json refuses it anyway), so the stack stays small.
const MAX_DEPTH: usize = 128;

/// Where the document is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Layout {
    /// Nothing read yet.
    Start,
    /// Inside `[ … ]`.
    Array,
    /// After the closing `]`: only whitespace may follow.
    AfterArray,
    /// Top-level objects one after another.
    Objects,
    /// Done.
    Finished,
}

/// How an element's bytes ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum End {
    /// A `,` at depth 0 inside the array (not part of the element).
    Comma,
    /// The array's closing `]` (not part of the element).
    Close,
    /// A top-level object's closing `}` (part of the element).
    ValueClosed,
    /// A bracket that does not match (part of the element, so serde_json reports it).
    Malformed,
    /// The input ended first.
    Eof,
}

/// Position of the next unread byte.
#[derive(Debug, Clone, Copy)]
struct Position {
    offset: u64,
    line: u64,
    line_start: u64,
}

impl Position {
    /// 0-based column of the next unread byte.
    fn column0(&self) -> u64 {
        self.offset - self.line_start
    }
}

/// Finds element boundaries without parsing.
#[derive(Debug, Default)]
struct Scanner {
    stack: Vec<u8>,
    in_string: bool,
    escaped: bool,
}

impl Scanner {
    fn reset(&mut self) {
        self.stack.clear();
        self.in_string = false;
        self.escaped = false;
    }

    /// Scans `buf`; returns (bytes consumed, bytes belonging to the element, how it ended).
    fn run(
        &mut self,
        buf: &[u8],
        in_array: bool,
        pos: &mut Position,
    ) -> (usize, usize, Option<End>) {
        for (i, &b) in buf.iter().enumerate() {
            if b == b'\n' {
                pos.line += 1;
                pos.line_start = pos.offset + i as u64 + 1;
            }
            if self.in_string {
                match (self.escaped, b) {
                    (true, _) => self.escaped = false,
                    (false, b'\\') => self.escaped = true,
                    (false, b'"') => self.in_string = false,
                    _ => {}
                }
                continue;
            }
            let end = match b {
                b'"' => {
                    self.in_string = true;
                    None
                }
                b'{' | b'[' if self.stack.len() >= MAX_DEPTH => Some((i + 1, End::Malformed)),
                b'{' | b'[' => {
                    self.stack.push(b);
                    None
                }
                b'}' | b']' => self.close(b, i, in_array),
                b',' if in_array && self.stack.is_empty() => Some((i, End::Comma)),
                _ => None,
            };
            if let Some((element_len, end)) = end {
                pos.offset += i as u64 + 1;
                return (i + 1, element_len, Some(end));
            }
        }
        pos.offset += buf.len() as u64;
        (buf.len(), buf.len(), None)
    }

    /// A closing bracket at index `i`: (element length, end) if it ends the element.
    fn close(&mut self, b: u8, i: usize, in_array: bool) -> Option<(usize, End)> {
        let opener = if b == b'}' { b'{' } else { b'[' };
        match self.stack.pop() {
            Some(open) if open == opener => {
                (!in_array && self.stack.is_empty()).then_some((i + 1, End::ValueClosed))
            }
            None if in_array && b == b']' => Some((i, End::Close)),
            _ => Some((i + 1, End::Malformed)),
        }
    }
}

/// Streams records from a JSON array (or top-level objects) in a file or stdin.
pub struct JsonArrayReader {
    input: BufReader<Box<dyn Read + Send>>,
    source: String,
    layout: Layout,
    index: u64,
    pos: Position,
    scanner: Scanner,
    element: Vec<u8>,
}

impl std::fmt::Debug for JsonArrayReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JsonArrayReader")
            .field("source", &self.source)
            .field("line", &self.pos.line)
            .field("index", &self.index)
            .finish()
    }
}

impl JsonArrayReader {
    /// Reads from any byte source named `source` in errors.
    pub fn from_reader(input: Box<dyn Read + Send>, source: String) -> Self {
        JsonArrayReader {
            input: BufReader::with_capacity(READ_BUFFER, input),
            source,
            layout: Layout::Start,
            index: 0,
            pos: Position {
                offset: 0,
                line: 1,
                line_start: 0,
            },
            scanner: Scanner::default(),
            element: Vec::new(),
        }
    }

    /// The next record; `None` at the end.
    pub fn next_record(&mut self) -> Result<Option<Record>> {
        loop {
            match self.layout {
                Layout::Start => self.read_start()?,
                Layout::Array => {
                    if let Some(record) = self.next_array_element()? {
                        return Ok(Some(record));
                    }
                }
                Layout::Objects => return self.next_top_level_object(),
                Layout::AfterArray => {
                    if let Some(b) = self.skip_whitespace()? {
                        let what = format!("unexpected {} after the array's closing `]`", shown(b));
                        return Err(self.error_here(&what));
                    }
                    self.layout = Layout::Finished;
                }
                Layout::Finished => return Ok(None),
            }
        }
    }

    /// Reads up to the first `[` or `{` and picks the layout (an empty input has no records).
    fn read_start(&mut self) -> Result<()> {
        self.skip_bom()?;
        self.layout = match self.skip_whitespace()? {
            None => Layout::Finished,
            Some(b'[') => {
                self.input.consume(1);
                self.pos.offset += 1;
                Layout::Array
            }
            Some(b'{') => Layout::Objects,
            Some(b) => {
                let what = format!(
                    "expected a JSON array of objects or an object, found {}",
                    shown(b)
                );
                return Err(self.error_here(&what));
            }
        };
        Ok(())
    }

    /// The next element of the array; `None` when the array was empty.
    fn next_array_element(&mut self) -> Result<Option<Record>> {
        let start = self.pos;
        let end = self.collect(true)?;
        let blank = self.element.iter().all(u8::is_ascii_whitespace);
        match end {
            End::Close if blank && self.index == 0 => {
                self.layout = Layout::AfterArray;
                return Ok(None);
            }
            End::Close if blank => {
                return Err(self.error_at(self.pos.line, "trailing `,` before the closing `]`"));
            }
            End::Comma if blank => {
                return Err(self.error_at(self.pos.line, "missing value before `,`"));
            }
            End::Eof => {
                let what = "the input ends inside the array (missing `]`?)";
                return Err(self.error_at(self.pos.line, what));
            }
            End::Close => self.layout = Layout::AfterArray,
            _ => {}
        }
        self.parse_element(start, end).map(Some)
    }

    fn next_top_level_object(&mut self) -> Result<Option<Record>> {
        match self.skip_whitespace()? {
            None => {
                self.layout = Layout::Finished;
                Ok(None)
            }
            Some(b'{') => {
                let start = self.pos;
                let end = self.collect(false)?;
                if end == End::Eof {
                    let what = "the input ends inside the object (missing `}`?)";
                    return Err(self.error_at(self.pos.line, what));
                }
                self.parse_element(start, end).map(Some)
            }
            Some(b) => {
                let what = format!(
                    "expected `{{` starting the next top-level object, found {} \
                     (a .json input holds an array of objects or objects one after another)",
                    shown(b)
                );
                Err(self.error_here(&what))
            }
        }
    }

    /// Fills `self.element` with the next element's bytes; consumes its terminator.
    fn collect(&mut self, in_array: bool) -> Result<End> {
        self.element.clear();
        self.scanner.reset();
        loop {
            let buf = match self.input.fill_buf() {
                Ok(buf) => buf,
                Err(e) => return Err(read_failed(&self.source, self.pos.line, &e)),
            };
            if buf.is_empty() {
                return Ok(End::Eof);
            }
            let (consumed, element_len, end) = self.scanner.run(buf, in_array, &mut self.pos);
            self.element.extend_from_slice(&buf[..element_len]);
            self.input.consume(consumed);
            if let Some(end) = end {
                return Ok(end);
            }
        }
    }

    /// Parses `self.element`, which started at `start` and ended by `end`, into a record.
    fn parse_element(&mut self, start: Position, end: End) -> Result<Record> {
        let index = self.index;
        self.index += 1;
        let leading = self
            .element
            .iter()
            .take_while(|b| b.is_ascii_whitespace())
            .filter(|&&b| b == b'\n')
            .count() as u64;
        match serde_json::from_slice::<Value>(&self.element) {
            Ok(_) if end == End::Malformed => {
                Err(self.element_error(self.pos.line, index, "unbalanced brackets"))
            }
            Ok(Value::Object(map)) => Ok(map),
            Ok(other) => {
                let what = format!("expected a JSON object, got {}", kind_of(&other));
                Err(self.element_error(start.line + leading, index, &what))
            }
            Err(e) => {
                let line = start.line + (e.line() as u64).saturating_sub(1);
                let column = match e.line() {
                    1 => start.column0() + e.column() as u64,
                    _ => e.column() as u64,
                };
                let message = e.to_string();
                let message = message
                    .rsplit_once(" at line ")
                    .map_or(&*message, |(m, _)| m);
                let what = format!("invalid JSON at column {column}: {message}");
                Err(self.element_error(line, index, &what))
            }
        }
    }

    /// Consumes whitespace; returns the next byte without consuming it (`None` at the end).
    fn skip_whitespace(&mut self) -> Result<Option<u8>> {
        loop {
            let buf = match self.input.fill_buf() {
                Ok(buf) => buf,
                Err(e) => return Err(read_failed(&self.source, self.pos.line, &e)),
            };
            let Some(&first) = buf.first() else {
                return Ok(None);
            };
            let n = buf.iter().take_while(|b| b.is_ascii_whitespace()).count();
            for (i, &b) in buf[..n].iter().enumerate() {
                if b == b'\n' {
                    self.pos.line += 1;
                    self.pos.line_start = self.pos.offset + i as u64 + 1;
                }
            }
            self.pos.offset += n as u64;
            self.input.consume(n);
            if n == 0 {
                return Ok(Some(first));
            }
        }
    }

    /// Drops a UTF-8 byte order mark at the very start.
    fn skip_bom(&mut self) -> Result<()> {
        const BOM: &[u8] = b"\xEF\xBB\xBF";
        let buf = self
            .input
            .fill_buf()
            .map_err(|e| read_failed(&self.source, 0, &e))?;
        if buf.starts_with(BOM) {
            self.input.consume(BOM.len());
            self.pos.offset += BOM.len() as u64;
            self.pos.line_start = self.pos.offset;
        }
        Ok(())
    }

    fn label(&self) -> &'static str {
        match self.layout {
            Layout::Objects => "object",
            _ => "element",
        }
    }

    fn element_error(&self, line: u64, index: u64, what: &str) -> Error {
        let what = format!("{} [{index}]: {what}", self.label());
        bad_input(&self.source, line, &what).with_context("element", index.to_string())
    }

    /// An error about the element being read now, at `line`.
    fn error_at(&self, line: u64, what: &str) -> Error {
        self.element_error(line, self.index, what)
    }

    /// An error at the current position, outside any element.
    fn error_here(&self, what: &str) -> Error {
        bad_input(&self.source, self.pos.line, what)
    }
}

/// A byte for messages: `` `x` `` for printable ASCII, else its hex value.
fn shown(b: u8) -> String {
    if b.is_ascii_graphic() {
        format!("`{}`", b as char)
    } else {
        format!("byte 0x{b:02x}")
    }
}

impl RecordSource for JsonArrayReader {
    fn next_record(&mut self) -> Result<Option<Record>> {
        JsonArrayReader::next_record(self)
    }
}

#[cfg(test)]
mod tests;
