//! A small SQL reader for the statements this format writes (in either dialect):
//! `INSERT INTO <table>(<columns>) VALUES (<literals>),…;`, repeated.
//!
//! Literals: `NULL`, `TRUE`/`FALSE`, numbers, `'…'` (with `''`), `E'…'` (backslash escapes as
//! PostgreSQL reads them), `X'…'`, `from_base64('…')`, and a trailing `::type` cast, which is
//! skipped. `--` comments and any whitespace are allowed between tokens.

use std::io::BufRead;

use base64::Engine as _;
use stowage_plugin_sdk::{PluginError, Result};

/// One literal value.
#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    /// `NULL`.
    Null,
    /// `TRUE` / `FALSE`.
    Bool(bool),
    /// A number as written.
    Number(String),
    /// A string literal, unescaped.
    Text(String),
    /// `from_base64('…')` or `X'…'`.
    Bytes(Vec<u8>),
}

/// Byte-wise reading with one byte of look-ahead and line counting.
pub struct SqlInput {
    input: Box<dyn BufRead + Send>,
    line: u64,
}

impl std::fmt::Debug for SqlInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqlInput")
            .field("line", &self.line)
            .finish_non_exhaustive()
    }
}

impl SqlInput {
    /// Reads from `input`.
    pub fn new(input: Box<dyn BufRead + Send>) -> SqlInput {
        SqlInput { input, line: 1 }
    }

    /// An error naming the current line.
    pub fn error(&self, what: impl std::fmt::Display) -> PluginError {
        PluginError::invalid(format!("insert_values line {}: {what}", self.line))
    }

    fn peek(&mut self) -> Result<Option<u8>> {
        let buf = self
            .input
            .fill_buf()
            .map_err(|e| PluginError::from_io_error(e, "reading insert_values"))?;
        Ok(buf.first().copied())
    }

    fn bump(&mut self) -> Result<Option<u8>> {
        let b = self.peek()?;
        if let Some(b) = b {
            self.input.consume(1);
            if b == b'\n' {
                self.line += 1;
            }
        }
        Ok(b)
    }

    fn next_byte(&mut self, what: &str) -> Result<u8> {
        self.bump()?
            .ok_or_else(|| self.error(format!("the file ended inside {what}")))
    }

    /// Skips whitespace and `--` comments; returns the next byte without consuming it.
    pub fn skip_space(&mut self) -> Result<Option<u8>> {
        loop {
            match self.peek()? {
                Some(b' ' | b'\t' | b'\n' | b'\r') => {
                    self.bump()?;
                }
                Some(b'-') => {
                    let buf = self
                        .input
                        .fill_buf()
                        .map_err(|e| PluginError::from_io_error(e, "reading insert_values"))?;
                    if buf.len() >= 2 && buf[1] == b'-' {
                        while !matches!(self.bump()?, None | Some(b'\n')) {}
                    } else {
                        return Ok(Some(b'-'));
                    }
                }
                other => return Ok(other),
            }
        }
    }

    /// Consumes `byte` after optional space, or fails naming what was expected.
    pub fn expect(&mut self, byte: u8) -> Result<()> {
        match self.skip_space()? {
            Some(b) if b == byte => {
                self.bump()?;
                Ok(())
            }
            Some(b) => Err(self.error(format!(
                "expected `{}`, found `{}`",
                byte as char,
                (b as char).escape_debug()
            ))),
            None => Err(self.error(format!("expected `{}`, found the end", byte as char))),
        }
    }

    /// A bare word (letters, digits, `_`), after optional space.
    pub fn word(&mut self) -> Result<String> {
        self.skip_space()?;
        let mut w = String::new();
        while let Some(b) = self.peek()? {
            if !(b.is_ascii_alphanumeric() || b == b'_') {
                break;
            }
            w.push(b as char);
            self.bump()?;
        }
        Ok(w)
    }

    /// Consumes the keyword `kw` (case-insensitive).
    pub fn keyword(&mut self, kw: &str) -> Result<()> {
        let w = self.word()?;
        if !w.eq_ignore_ascii_case(kw) {
            return Err(self.error(format!("expected `{kw}`, found `{w}`")));
        }
        Ok(())
    }

    /// The table reference up to the column list's `(`: skipped (`{}` or a name).
    pub fn skip_table(&mut self) -> Result<()> {
        self.skip_space()?;
        loop {
            match self.peek()? {
                Some(b'(') => return Ok(()),
                Some(b'"') => {
                    self.quoted_identifier()?;
                }
                Some(_) => {
                    self.bump()?;
                }
                None => return Err(self.error("the file ended before the column list")),
            }
        }
    }

    /// `(name, "name", …)`.
    pub fn column_list(&mut self) -> Result<Vec<String>> {
        self.expect(b'(')?;
        let mut names = Vec::new();
        loop {
            let name = match self.skip_space()? {
                Some(b'"') => self.quoted_identifier()?,
                _ => self.word()?,
            };
            if name.is_empty() {
                return Err(self.error("expected a column name"));
            }
            names.push(name);
            match self.skip_space()? {
                Some(b',') => {
                    self.bump()?;
                }
                Some(b')') => {
                    self.bump()?;
                    return Ok(names);
                }
                _ => return Err(self.error("expected `,` or `)` in the column list")),
            }
        }
    }

    fn quoted_identifier(&mut self) -> Result<String> {
        self.bump()?;
        let mut bytes = Vec::new();
        loop {
            match self.next_byte("a quoted name")? {
                b'"' if self.peek()? == Some(b'"') => {
                    self.bump()?;
                    bytes.push(b'"');
                }
                b'"' => break,
                b => bytes.push(b),
            }
        }
        String::from_utf8(bytes).map_err(|_| self.error("a column name is not valid UTF-8"))
    }

    /// One literal (after optional space).
    pub fn literal(&mut self) -> Result<Literal> {
        let lit = match self.skip_space()? {
            Some(b'\'') => Literal::Text(self.string(false)?),
            Some(b'-' | b'+' | b'.' | b'0'..=b'9') => Literal::Number(self.number()?),
            Some(b) if b.is_ascii_alphabetic() => self.word_literal()?,
            Some(b) => {
                return Err(self.error(format!("unexpected `{}`", (b as char).escape_debug())));
            }
            None => return Err(self.error("the file ended inside a row")),
        };
        self.skip_cast()?;
        Ok(lit)
    }

    fn word_literal(&mut self) -> Result<Literal> {
        let w = self.word()?;
        if self.peek()? == Some(b'\'') {
            return match w.as_str() {
                "E" | "e" => Ok(Literal::Text(self.string(true)?)),
                "X" | "x" => {
                    let hex = self.string(false)?;
                    decode_hex(hex.as_bytes())
                        .map(Literal::Bytes)
                        .ok_or_else(|| self.error("invalid hex in X'…'"))
                }
                other => Err(self.error(format!("unknown string prefix `{other}`"))),
            };
        }
        match w.to_ascii_uppercase().as_str() {
            "NULL" => Ok(Literal::Null),
            "TRUE" => Ok(Literal::Bool(true)),
            "FALSE" => Ok(Literal::Bool(false)),
            "FROM_BASE64" => {
                self.expect(b'(')?;
                self.skip_space()?;
                let text = match self.literal()? {
                    Literal::Text(t) => t,
                    _ => return Err(self.error("from_base64 takes a string")),
                };
                self.expect(b')')?;
                base64::engine::general_purpose::STANDARD
                    .decode(text.trim())
                    .map(Literal::Bytes)
                    .map_err(|e| self.error(format!("invalid base64: {e}")))
            }
            _ => Err(self.error(format!("unknown literal `{w}`"))),
        }
    }

    /// A quoted string after its prefix; `extended` applies backslash escapes.
    fn string(&mut self, extended: bool) -> Result<String> {
        self.bump()?;
        let mut bytes = Vec::new();
        loop {
            match self.next_byte("a string literal")? {
                b'\'' if self.peek()? == Some(b'\'') => {
                    self.bump()?;
                    bytes.push(b'\'');
                }
                b'\'' => break,
                b'\\' if extended => self.escape(&mut bytes)?,
                b => bytes.push(b),
            }
        }
        String::from_utf8(bytes).map_err(|_| self.error("a string literal is not valid UTF-8"))
    }

    /// One backslash escape of an `E'…'` string (the backslash is consumed).
    fn escape(&mut self, out: &mut Vec<u8>) -> Result<()> {
        let b = self.next_byte("a string literal")?;
        match b {
            b'b' => out.push(8),
            b'f' => out.push(12),
            b'n' => out.push(b'\n'),
            b'r' => out.push(b'\r'),
            b't' => out.push(b'\t'),
            b'0'..=b'7' => {
                let mut v = u32::from(b - b'0');
                for _ in 0..2 {
                    match self.peek()? {
                        Some(d @ b'0'..=b'7') => {
                            v = v * 8 + u32::from(d - b'0');
                            self.bump()?;
                        }
                        _ => break,
                    }
                }
                out.push(v as u8);
            }
            b'x' => {
                let mut v = 0u32;
                for _ in 0..2 {
                    match self.peek()?.and_then(|d| (d as char).to_digit(16)) {
                        Some(d) => {
                            v = v * 16 + d;
                            self.bump()?;
                        }
                        None => break,
                    }
                }
                out.push(v as u8);
            }
            b'u' | b'U' => {
                let n = if b == b'u' { 4 } else { 8 };
                let mut v = 0u32;
                for _ in 0..n {
                    let d = self.next_byte("a unicode escape")?;
                    v = v * 16
                        + (d as char)
                            .to_digit(16)
                            .ok_or_else(|| self.error("invalid unicode escape"))?;
                }
                let c = char::from_u32(v).ok_or_else(|| self.error("invalid unicode escape"))?;
                out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes());
            }
            other => out.push(other),
        }
        Ok(())
    }

    fn number(&mut self) -> Result<String> {
        let mut text = String::new();
        while let Some(b) = self.peek()? {
            let sign_after_exp =
                matches!(b, b'+' | b'-') && (text.is_empty() || text.ends_with(['e', 'E']));
            if !(b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E') || sign_after_exp) {
                break;
            }
            text.push(b as char);
            self.bump()?;
        }
        Ok(text)
    }

    /// Skips `::type` (e.g. `::DECIMAL(38,9)`) after a literal.
    fn skip_cast(&mut self) -> Result<()> {
        while self.skip_space()? == Some(b':') {
            self.bump()?;
            self.expect(b':')?;
            if self.word()?.is_empty() {
                return Err(self.error("expected a type after `::`"));
            }
            if self.skip_space()? == Some(b'(') {
                while self.next_byte("a type")? != b')' {}
            }
        }
        Ok(())
    }
}

/// Decodes hex digits (an even count).
pub fn decode_hex(hex: &[u8]) -> Option<Vec<u8>> {
    if !hex.len().is_multiple_of(2) {
        return None;
    }
    hex.chunks_exact(2)
        .map(|p| {
            let d = |b: u8| (b as char).to_digit(16);
            Some((d(p[0])? * 16 + d(p[1])?) as u8)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(text: &str) -> SqlInput {
        SqlInput::new(Box::new(std::io::Cursor::new(text.as_bytes().to_vec())))
    }

    fn literals(text: &str) -> Vec<Literal> {
        let mut i = input(text);
        let mut out = Vec::new();
        loop {
            out.push(i.literal().unwrap());
            if i.skip_space().unwrap() != Some(b',') {
                return out;
            }
            i.bump().unwrap();
        }
    }

    #[test]
    fn every_literal_form() {
        use Literal::*;
        assert_eq!(
            literals(
                "NULL, true, FALSE, -1.5e+16, 42, 'it''s', E'a\\\\b\\nc''d\\x41\\101\\u00e9', \
                 from_base64('AAFoaQ=='), X'0aff', '10.50'::DECIMAL(38,9), 'NaN'"
            ),
            vec![
                Null,
                Bool(true),
                Bool(false),
                Number("-1.5e+16".into()),
                Number("42".into()),
                Text("it's".into()),
                Text("a\\b\nc'dAAé".into()),
                Bytes(b"\x00\x01hi".to_vec()),
                Bytes(vec![10, 255]),
                Text("10.50".into()),
                Text("NaN".into()),
            ]
        );
    }

    #[test]
    fn header_parts() {
        let mut i = input("INSERT INTO {}(\"a\",\"b\"\"c\", d)\n-- note\nVALUES\n");
        i.keyword("INSERT").unwrap();
        i.keyword("INTO").unwrap();
        i.skip_table().unwrap();
        assert_eq!(i.column_list().unwrap(), vec!["a", "b\"c", "d"]);
        i.keyword("VALUES").unwrap();
        assert_eq!(i.skip_space().unwrap(), None);
    }

    #[test]
    fn errors_name_the_line() {
        let mut i = input("\n\n'abc");
        let err = i.literal().unwrap_err().to_string();
        assert!(err.contains("line 3"), "{err}");
    }
}
