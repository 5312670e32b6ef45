//! RFC 4180 record splitting, fed one physical line at a time (a quoted field may span lines).
//!
//! Fields are separated by `,`; records end with `\n` or `\r\n` outside quotes; `"` opens a
//! quoted field in which `""` is a literal quote and line breaks are data. A `"` inside an
//! unquoted field is kept as data (as Python's csv module does); anything but `,` or a line end
//! after a closing quote is an error.

/// One field and whether it was quoted (quoted fields are always text).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Field {
    pub text: String,
    pub quoted: bool,
}

/// Why a record could not be split; field numbers are 1-based.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Issue {
    /// A character other than `,` or a line end follows a closing quote.
    AfterClosingQuote { field: usize, found: char },
    /// The field's bytes are not UTF-8.
    NotUtf8 { field: usize },
    /// The input ended inside a quoted field opened at `line`.
    UnclosedQuote { field: usize, line: u64 },
}

impl Issue {
    /// The message, and the line it is about (`None`: the line being read).
    pub fn describe(&self) -> (String, Option<u64>) {
        match self {
            Issue::AfterClosingQuote { field, found } => (
                format!(
                    "field {field}: unexpected {found:?} after the closing quote (a quote inside a quoted field is written `\"\"`)"
                ),
                None,
            ),
            Issue::NotUtf8 { field } => (format!("field {field}: not valid UTF-8"), None),
            Issue::UnclosedQuote { field, line } => (
                format!("field {field}: the quote opened on this line is never closed"),
                Some(*line),
            ),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    FieldStart,
    Unquoted,
    Quoted,
    /// A `"` seen inside a quoted field: either `""` or the closing quote.
    QuoteInQuoted,
}

/// Splits one record; reused across records.
#[derive(Debug)]
pub(super) struct RecordParser {
    /// The fields of the record, once complete.
    pub fields: Vec<Field>,
    current: Vec<u8>,
    state: State,
    quoted: bool,
    quote_line: u64,
    touched: bool,
}

impl Default for RecordParser {
    fn default() -> Self {
        RecordParser {
            fields: Vec::new(),
            current: Vec::new(),
            state: State::FieldStart,
            quoted: false,
            quote_line: 0,
            touched: false,
        }
    }
}

impl RecordParser {
    /// Prepares for the next record.
    pub fn start(&mut self) {
        self.fields.clear();
        self.current.clear();
        self.state = State::FieldStart;
        self.quoted = false;
        self.touched = false;
    }

    /// Nothing was fed since [`start`](Self::start).
    pub fn untouched(&self) -> bool {
        !self.touched
    }

    /// Feeds physical line number `line` (with its line break, if any); true when the record
    /// is complete.
    pub fn feed(&mut self, bytes: &[u8], line: u64) -> Result<bool, Issue> {
        self.touched = true;
        for (i, &b) in bytes.iter().enumerate() {
            let crlf = b == b'\r' && bytes.get(i + 1) == Some(&b'\n');
            match (self.state, b) {
                (State::Quoted, b'"') => self.state = State::QuoteInQuoted,
                (State::Quoted, _) => self.current.push(b),
                (State::QuoteInQuoted, b'"') => {
                    self.current.push(b'"');
                    self.state = State::Quoted;
                }
                (State::FieldStart, b'"') => {
                    self.state = State::Quoted;
                    self.quoted = true;
                    self.quote_line = line;
                }
                (_, b',') => self.end_field()?,
                (_, b'\n') => {
                    self.end_field()?;
                    return Ok(true);
                }
                _ if crlf => {}
                (State::QuoteInQuoted, _) => {
                    let found = String::from_utf8_lossy(&bytes[i..]).chars().next();
                    return Err(Issue::AfterClosingQuote {
                        field: self.fields.len() + 1,
                        found: found.unwrap_or('\u{fffd}'),
                    });
                }
                (State::FieldStart | State::Unquoted, _) => {
                    self.current.push(b);
                    self.state = State::Unquoted;
                }
            }
        }
        Ok(false)
    }

    /// Completes the last record of an input that does not end with a line break.
    pub fn finish_at_eof(&mut self) -> Result<(), Issue> {
        if self.state == State::Quoted {
            return Err(Issue::UnclosedQuote {
                field: self.fields.len() + 1,
                line: self.quote_line,
            });
        }
        self.end_field()
    }

    fn end_field(&mut self) -> Result<(), Issue> {
        let bytes = std::mem::take(&mut self.current);
        let text = String::from_utf8(bytes).map_err(|_| Issue::NotUtf8 {
            field: self.fields.len() + 1,
        })?;
        self.fields.push(Field {
            text,
            quoted: self.quoted,
        });
        self.state = State::FieldStart;
        self.quoted = false;
        Ok(())
    }
}
