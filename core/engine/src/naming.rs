//! dlt's default `snake_case` naming convention (spec §5.1) for tables and columns, with
//! `max_identifier_length` shortening (a shake_128 tag in the middle).

use base64::Engine;
use sha3::Shake128;
use sha3::digest::{ExtendableOutput, Update, XofReader};

use crate::{Error, Result};

/// Separator of nested names (`parent__child`).
pub const PATH_SEPARATOR: &str = "__";

/// The snake_case convention with an optional maximum identifier length.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Naming {
    /// `max_identifier_length` (`None`: no shortening; the filesystem destination's default).
    pub max_length: Option<usize>,
}

impl Naming {
    /// Naming with identifiers shortened to `max_length`.
    pub fn with_max_length(max_length: Option<usize>) -> Self {
        Naming { max_length }
    }

    /// One identifier, normalized and shortened (tag from the original identifier).
    pub fn identifier(&self, identifier: &str) -> Result<String> {
        let normalized = normalize_identifier(identifier)?;
        Ok(self.shorten(normalized, identifier.trim()))
    }

    /// A `__` path: each part normalized, re-joined and shortened as a whole (dlt's
    /// `normalize_path`; also `normalize_tables_path`).
    pub fn path(&self, path: &str) -> Result<String> {
        let parts = path
            .split(PATH_SEPARATOR)
            .filter(|p| !p.trim().is_empty())
            .map(|p| self.identifier(p))
            .collect::<Result<Vec<String>>>()?;
        if parts.is_empty() {
            return Err(Error::invalid(format!(
                "name {path:?} is empty after normalization"
            )));
        }
        Ok(self.shorten(parts.join(PATH_SEPARATOR), path))
    }

    /// Joins already normalized fragments and shortens the result (dlt's `shorten_fragments`).
    pub fn fragments(&self, fragments: &[&str]) -> String {
        let joined = fragments
            .iter()
            .filter(|f| !f.trim().is_empty())
            .copied()
            .collect::<Vec<&str>>()
            .join(PATH_SEPARATOR);
        self.shorten(joined.clone(), &joined)
    }

    fn shorten(&self, normalized: String, original: &str) -> String {
        match self.max_length {
            Some(max) if normalized.chars().count() > max => {
                trim_and_tag(&normalized, original, max)
            }
            _ => normalized,
        }
    }
}

/// Length of the shortening tag in bytes of shake_128 output (collision probability 0.001).
const TAG_BYTES: usize = 4;

/// base64(shake_128(original)[..4]) without `=`, `/`→`a`, `+`→`b`, lowercased.
fn shortening_tag(original: &str) -> String {
    let mut hasher = Shake128::default();
    hasher.update(original.as_bytes());
    let mut digest = [0u8; TAG_BYTES];
    hasher.finalize_xof().read(&mut digest);
    base64::engine::general_purpose::STANDARD
        .encode(digest)
        .trim_end_matches('=')
        .replace('/', "a")
        .replace('+', "b")
        .to_lowercase()
}

/// First `ceil((max-tag)/2)` chars + tag + last `floor((max-tag)/2)` chars.
fn trim_and_tag(normalized: &str, original: &str, max: usize) -> String {
    let tag = shortening_tag(original);
    let chars: Vec<char> = normalized.chars().collect();
    let remaining = max.saturating_sub(tag.len());
    let head = remaining / 2 + remaining % 2;
    let tail = remaining / 2;
    let mut out: String = chars[..head].iter().collect();
    out.push_str(&tag);
    out.extend(chars[chars.len() - tail..].iter());
    out
}

/// Normalizes one identifier (`Weird Name!` → `weird_namex`, `HTTPServer` → `http_server`).
pub fn normalize_identifier(identifier: &str) -> Result<String> {
    let trimmed = identifier.trim();
    if trimmed.is_empty() {
        return Err(Error::invalid(format!(
            "identifier {identifier:?} is empty after trimming"
        )));
    }
    let reduced = replace_non_word_runs(&translate(trimmed));
    let snake = camel_break_2(&camel_break_1(&reduced)).to_lowercase();
    let prefixed = if snake.starts_with(is_digit) {
        format!("_{snake}")
    } else {
        snake
    };
    let stripped = prefixed.trim_end_matches('_');
    let fixed = format!("{stripped}{}", "x".repeat(prefixed.len() - stripped.len()));
    Ok(collapse_underscores(&fixed))
}

/// Normalizes a `__`-separated path (each part on its own), e.g. table names.
pub fn normalize_path(path: &str) -> Result<String> {
    let parts: Result<Vec<String>> = path
        .split("__")
        .filter(|p| !p.is_empty())
        .map(normalize_identifier)
        .collect();
    let parts = parts?;
    if parts.is_empty() {
        return Err(Error::invalid(format!(
            "name {path:?} is empty after normalization"
        )));
    }
    Ok(parts.join("__"))
}

fn translate(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '+' | '*' => 'x',
            '-' => '_',
            '@' => 'a',
            '|' => 'l',
            c => c,
        })
        .collect()
}

/// Python's `[a-zA-Z\d_]` with Unicode `\d` (decimal digits of any script).
fn is_word(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || is_digit(c)
}

/// Python's Unicode `\d` (approximated by Rust's numeric class minus letter-like numerals).
fn is_digit(c: char) -> bool {
    c.is_ascii_digit() || (c.is_numeric() && !c.is_alphabetic())
}

fn replace_non_word_runs(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut in_run = false;
    for c in s.chars() {
        if is_word(c) {
            out.push(c);
            in_run = false;
        } else if !in_run {
            out.push('_');
            in_run = true;
        }
    }
    out
}

/// `([^_])([A-Z][a-z]+)` → `\1_\2`, left to right, non-overlapping.
fn camel_break_1(s: &str) -> String {
    let c: Vec<char> = s.chars().collect();
    let mut out = String::with_capacity(s.len() + 4);
    let mut i = 0;
    while i < c.len() {
        let matches = i + 2 < c.len()
            && c[i] != '_'
            && c[i + 1].is_ascii_uppercase()
            && c[i + 2].is_ascii_lowercase();
        if !matches {
            out.push(c[i]);
            i += 1;
            continue;
        }
        out.push(c[i]);
        out.push('_');
        out.push(c[i + 1]);
        i += 2;
        while i < c.len() && c[i].is_ascii_lowercase() {
            out.push(c[i]);
            i += 1;
        }
    }
    out
}

/// `([a-z0-9])([A-Z])` → `\1_\2`, left to right, non-overlapping.
fn camel_break_2(s: &str) -> String {
    let c: Vec<char> = s.chars().collect();
    let mut out = String::with_capacity(s.len() + 4);
    let mut i = 0;
    while i < c.len() {
        if i + 1 < c.len()
            && (c[i].is_ascii_lowercase() || c[i].is_ascii_digit())
            && c[i + 1].is_ascii_uppercase()
        {
            out.push(c[i]);
            out.push('_');
            out.push(c[i + 1]);
            i += 2;
        } else {
            out.push(c[i]);
            i += 1;
        }
    }
    out
}

fn collapse_underscores(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if !(c == '_' && out.ends_with('_')) {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_examples() {
        let cases = [
            ("Weird Name!", "weird_namex"),
            ("CamelCase", "camel_case"),
            ("HTTPServer", "http_server"),
            ("getHTTPResponseCode", "get_http_response_code"),
            ("1st", "_1st"),
            ("a--b", "a_b"),
            ("x+y*z@w|q", "xxyxzawlq"),
            ("Zürich", "z_rich"),
            ("trailing__", "trailingxx"),
            ("a.b", "a_b"),
            ("ümlaut_Ö", "_mlautxx"),
            ("  id ", "id"),
            ("_dlt_id", "_dlt_id"),
        ];
        for (input, want) in cases {
            assert_eq!(
                normalize_identifier(input).unwrap(),
                want,
                "input {input:?}"
            );
        }
    }

    #[test]
    fn shortening_matches_dlt() {
        // spec §5.1, observed with max_identifier_length=20
        let naming = Naming::with_max_length(Some(20));
        assert_eq!(
            naming.path("a_rather_long_table_name_here").unwrap(),
            "a_rathe43y5ngme_here"
        );
        let child = naming.identifier("children_with_long_names").unwrap();
        assert_eq!(child, "childresthwaqg_names");
        assert_eq!(
            naming.fragments(&["a_rathe43y5ngme_here", &child]),
            "a_rathesgjbaqg_names"
        );
        assert_eq!(Naming::default().path("Some Table").unwrap(), "some_table");
    }

    #[test]
    fn paths_and_errors() {
        assert_eq!(normalize_path("Some Table").unwrap(), "some_table");
        assert_eq!(normalize_path("users__Orders").unwrap(), "users__orders");
        assert!(normalize_identifier("   ").is_err());
    }
}
