//! Re-emits JSON text (a `json` column) the way dlt writes the parsed value with orjson:
//! compact, keys in input order, strings re-escaped like orjson, integers as written (`-0` →
//! `0`), and other numbers as Python floats (`1.50` → `1.5`, `1E2` → `100.0`, overflow →
//! `null`). Parsing and writing happen in one pass straight into the output buffer.

use super::escape;
use super::number;

/// Deepest nesting accepted (keeps recursion bounded).
const MAX_DEPTH: usize = 1024;

/// A syntax error: what was expected and the byte offset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonTextError {
    pub pos: usize,
    pub what: &'static str,
}

impl std::fmt::Display for JsonTextError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} at byte {}", self.what, self.pos)
    }
}

type Res<T = ()> = std::result::Result<T, JsonTextError>;

/// True if the text is the JSON literal `null` (the column value is then treated as null).
pub fn is_null_literal(text: &str) -> bool {
    text.trim_matches(is_ws_char) == "null"
}

fn is_ws_char(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r')
}

/// Validates `text` as one JSON value and appends its compact orjson form to `out`.
/// On error `out` may hold a partial value (callers discard the buffer).
pub fn transcode(text: &str, out: &mut Vec<u8>) -> Res {
    let mut t = Transcoder {
        src: text.as_bytes(),
        pos: 0,
        out,
    };
    t.skip_ws();
    t.value(0)?;
    t.skip_ws();
    if t.pos != t.src.len() {
        return Err(t.err("end of input"));
    }
    Ok(())
}

struct Transcoder<'a, 'o> {
    src: &'a [u8],
    pos: usize,
    out: &'o mut Vec<u8>,
}

impl Transcoder<'_, '_> {
    fn err(&self, what: &'static str) -> JsonTextError {
        JsonTextError {
            pos: self.pos,
            what,
        }
    }

    fn peek(&self) -> Option<u8> {
        self.src.get(self.pos).copied()
    }

    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.pos += 1;
        }
    }

    fn value(&mut self, depth: usize) -> Res {
        if depth > MAX_DEPTH {
            return Err(self.err("nesting not deeper than 1024"));
        }
        match self.peek() {
            Some(b'{') => self.object(depth),
            Some(b'[') => self.array(depth),
            Some(b'"') => self.string(),
            Some(b't') => self.literal(b"true"),
            Some(b'f') => self.literal(b"false"),
            Some(b'n') => self.literal(b"null"),
            Some(b'-' | b'0'..=b'9') => self.number(),
            _ => Err(self.err("a JSON value")),
        }
    }

    fn literal(&mut self, word: &'static [u8]) -> Res {
        if !self.src[self.pos..].starts_with(word) {
            return Err(self.err("true, false or null"));
        }
        self.pos += word.len();
        self.out.extend_from_slice(word);
        Ok(())
    }

    fn object(&mut self, depth: usize) -> Res {
        self.pos += 1;
        self.out.push(b'{');
        self.skip_ws();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            self.out.push(b'}');
            return Ok(());
        }
        loop {
            if self.peek() != Some(b'"') {
                return Err(self.err("an object key"));
            }
            self.string()?;
            self.skip_ws();
            self.expect(b':', "`:`")?;
            self.skip_ws();
            self.value(depth + 1)?;
            self.skip_ws();
            if self.separator(b'}', "`,` or `}`")? {
                return Ok(());
            }
            self.skip_ws();
        }
    }

    fn array(&mut self, depth: usize) -> Res {
        self.pos += 1;
        self.out.push(b'[');
        self.skip_ws();
        if self.peek() == Some(b']') {
            self.pos += 1;
            self.out.push(b']');
            return Ok(());
        }
        loop {
            self.value(depth + 1)?;
            self.skip_ws();
            if self.separator(b']', "`,` or `]`")? {
                return Ok(());
            }
            self.skip_ws();
        }
    }

    /// Consumes `,` (returns false) or `close` (returns true), copying it.
    fn separator(&mut self, close: u8, what: &'static str) -> Res<bool> {
        match self.peek() {
            Some(b',') => {
                self.pos += 1;
                self.out.push(b',');
                Ok(false)
            }
            Some(c) if c == close => {
                self.pos += 1;
                self.out.push(close);
                Ok(true)
            }
            _ => Err(self.err(what)),
        }
    }

    fn expect(&mut self, byte: u8, what: &'static str) -> Res {
        if self.peek() != Some(byte) {
            return Err(self.err(what));
        }
        self.pos += 1;
        self.out.push(byte);
        Ok(())
    }

    /// A string: raw runs are copied, escapes decoded and re-escaped the orjson way.
    fn string(&mut self) -> Res {
        self.pos += 1;
        self.out.push(b'"');
        let mut run = self.pos;
        loop {
            let Some(b) = self.peek() else {
                return Err(self.err("closing `\"`"));
            };
            match b {
                b'"' => {
                    self.out.extend_from_slice(&self.src[run..self.pos]);
                    self.pos += 1;
                    self.out.push(b'"');
                    return Ok(());
                }
                b'\\' => {
                    self.out.extend_from_slice(&self.src[run..self.pos]);
                    self.escape()?;
                    run = self.pos;
                }
                0..=0x1f => return Err(self.err("no raw control characters in strings")),
                _ => self.pos += 1,
            }
        }
    }

    /// Decodes one escape sequence at `pos` (a backslash) and writes the character.
    fn escape(&mut self) -> Res {
        let c = match self.src.get(self.pos + 1) {
            Some(b'"') => '"',
            Some(b'\\') => '\\',
            Some(b'/') => '/',
            Some(b'b') => '\u{8}',
            Some(b'f') => '\u{c}',
            Some(b'n') => '\n',
            Some(b'r') => '\r',
            Some(b't') => '\t',
            Some(b'u') => return self.unicode_escape(),
            _ => return Err(self.err("a valid escape")),
        };
        self.pos += 2;
        self.write_char(c);
        Ok(())
    }

    fn unicode_escape(&mut self) -> Res {
        let hi = self.hex4(self.pos + 2)?;
        self.pos += 6;
        let code = if (0xD800..0xDC00).contains(&hi) {
            if !self.src[self.pos..].starts_with(b"\\u") {
                return Err(self.err("a low surrogate after a high surrogate"));
            }
            let lo = self.hex4(self.pos + 2)?;
            if !(0xDC00..0xE000).contains(&lo) {
                return Err(self.err("a low surrogate after a high surrogate"));
            }
            self.pos += 6;
            0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)
        } else {
            hi
        };
        let c = char::from_u32(code).ok_or_else(|| self.err("no lone surrogates"))?;
        self.write_char(c);
        Ok(())
    }

    fn hex4(&self, at: usize) -> Res<u32> {
        let digits = self
            .src
            .get(at..at + 4)
            .ok_or_else(|| self.err("four hex digits"))?;
        let text = std::str::from_utf8(digits).map_err(|_| self.err("four hex digits"))?;
        if !text.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(self.err("four hex digits"));
        }
        u32::from_str_radix(text, 16).map_err(|_| self.err("four hex digits"))
    }

    fn write_char(&mut self, c: char) {
        let mut buf = [0u8; 4];
        escape::write_escaped(self.out, c.encode_utf8(&mut buf).as_bytes());
    }

    fn number(&mut self) -> Res {
        let start = self.pos;
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        match self.peek() {
            Some(b'0') => self.pos += 1,
            Some(b'1'..=b'9') => self.digits(),
            _ => return Err(self.err("a digit")),
        }
        let mut is_float = false;
        if self.peek() == Some(b'.') {
            self.pos += 1;
            self.required_digits()?;
            is_float = true;
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.pos += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.pos += 1;
            }
            self.required_digits()?;
            is_float = true;
        }
        let text = &self.src[start..self.pos];
        self.write_number(text, is_float);
        Ok(())
    }

    fn write_number(&mut self, text: &[u8], is_float: bool) {
        if !is_float {
            // Python int: written as is, except that `-0` is 0.
            self.out
                .extend_from_slice(if text == b"-0" { b"0" } else { text });
            return;
        }
        let value: f64 = std::str::from_utf8(text)
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(f64::NAN);
        number::write_f64_or_null(self.out, value);
    }

    fn digits(&mut self) {
        while let Some(b'0'..=b'9') = self.peek() {
            self.pos += 1;
        }
    }

    fn required_digits(&mut self) -> Res {
        if !matches!(self.peek(), Some(b'0'..=b'9')) {
            return Err(self.err("a digit"));
        }
        self.digits();
        Ok(())
    }
}

#[cfg(test)]
mod tests;
