//! dlt's default `snake_case` naming convention (spec §5.1) for tables and columns.

use crate::{Error, Result};

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
    let prefixed = if snake.starts_with(|c: char| c.is_ascii_digit()) {
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

fn is_word(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
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
    fn paths_and_errors() {
        assert_eq!(normalize_path("Some Table").unwrap(), "some_table");
        assert_eq!(normalize_path("users__Orders").unwrap(), "users__orders");
        assert!(normalize_identifier("   ").is_err());
    }
}
