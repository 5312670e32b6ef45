//! Which table a file belongs to when table names may contain the layout's separator.
//!
//! dlt selects a table's files by prefix alone, so with `{table_name}_…` replacing `event` also
//! deletes `event_log_…` (spec §2.4, §10). Stowage additionally requires that the rest of the
//! key, after the table prefix, reads as a file name of the layout: every placeholder stands for
//! what it can render to (digits for `{load_id}` and date tokens, 10 hex characters for
//! `{file_id}`, the known text of static extra placeholders, anything for callbacks).

use super::template::{Segment, Template};

/// What a placeholder may render to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pattern {
    /// Exactly this text.
    Literal(String),
    /// Characters of a class, between `min` and `max` (inclusive) of them.
    Class {
        /// The character class.
        class: CharClass,
        /// Fewest characters.
        min: usize,
        /// Most characters.
        max: usize,
    },
    /// Any text (callbacks).
    Any,
}

/// Character classes of rendered placeholders.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CharClass {
    /// `0-9`.
    Digit,
    /// `0-9` and `-` (epoch values may be negative).
    SignedDigit,
    /// `0-9` and `.` (load ids).
    Decimal,
    /// `0-9a-f`.
    Hex,
    /// `a-z`.
    Lower,
    /// `A-Za-z0-9_.` (file extensions such as `jsonl.gz`).
    Extension,
    /// `0-9` and `-` of a date (`2024-04-14`).
    Date,
}

impl CharClass {
    fn accepts(self, c: char) -> bool {
        match self {
            CharClass::Digit => c.is_ascii_digit(),
            CharClass::SignedDigit => c.is_ascii_digit() || c == '-',
            CharClass::Decimal => c.is_ascii_digit() || c == '.',
            CharClass::Hex => c.is_ascii_digit() || ('a'..='f').contains(&c),
            CharClass::Lower => c.is_ascii_lowercase(),
            CharClass::Extension => c.is_ascii_alphanumeric() || c == '_' || c == '.',
            CharClass::Date => c.is_ascii_digit() || c == '-',
        }
    }
}

const UNBOUNDED: usize = usize::MAX;

fn class(class: CharClass, min: usize, max: usize) -> Pattern {
    Pattern::Class { class, min, max }
}

/// The pattern of a standard placeholder (`None` for names that are not standard).
pub fn standard_pattern(name: &str) -> Option<Pattern> {
    use CharClass::*;
    Some(match name {
        "load_id" => class(Decimal, 1, UNBOUNDED),
        "file_id" => class(Hex, 10, 10),
        "ext" => class(Extension, 1, UNBOUNDED),
        "curr_date" => class(Date, 10, 10),
        "timestamp" | "timestamp_ms" | "load_package_timestamp" | "load_package_timestamp_ms" => {
            class(SignedDigit, 1, UNBOUNDED)
        }
        "YYYY" | "SSSS" => class(Digit, 4, 4),
        "YY" | "MM" | "DD" | "HH" | "mm" | "ss" | "SS" => class(Digit, 2, 2),
        "SSS" => class(Digit, 3, 3),
        "S" | "d" | "Q" => class(Digit, 1, 1),
        "Y" => class(Digit, 1, UNBOUNDED),
        "M" | "D" | "H" | "m" | "s" => class(Digit, 1, 2),
        "MMMM" | "dddd" => class(Lower, 3, 9),
        "MMM" | "ddd" => class(Lower, 3, 3),
        "dd" => class(Lower, 2, 2),
        _ => return None,
    })
}

/// A compiled file-name pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Matcher {
    parts: Vec<Pattern>,
}

impl Matcher {
    /// Compiles `template`; `pattern_of` gives each placeholder's pattern.
    pub fn new(template: &Template, mut pattern_of: impl FnMut(&str) -> Pattern) -> Matcher {
        let parts = template
            .segments()
            .iter()
            .map(|s| match s {
                Segment::Literal(text) => Pattern::Literal(text.clone()),
                Segment::Placeholder(name) => pattern_of(name),
            })
            .collect();
        Matcher { parts }
    }

    /// True if all of `text` matches.
    pub fn matches(&self, text: &str) -> bool {
        match_parts(&self.parts, text)
    }
}

fn match_parts(parts: &[Pattern], text: &str) -> bool {
    let Some((first, rest)) = parts.split_first() else {
        return text.is_empty();
    };
    match first {
        Pattern::Literal(lit) => text
            .strip_prefix(lit.as_str())
            .is_some_and(|after| match_parts(rest, after)),
        Pattern::Any => text
            .char_indices()
            .map(|(i, _)| i)
            .chain([text.len()])
            .any(|i| match_parts(rest, &text[i..])),
        Pattern::Class { class, min, max } => {
            let run = text
                .chars()
                .take_while(|c| class.accepts(*c))
                .take(*max)
                .count();
            // Class characters are ASCII, so char counts are byte offsets.
            (*min..=run).rev().any(|n| match_parts(rest, &text[n..]))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matcher(layout: &str) -> Matcher {
        let t = Template::parse(layout).unwrap();
        Matcher::new(&t, |name| match name {
            "cb" => Pattern::Any,
            "env" => Pattern::Literal("prod".into()),
            other => standard_pattern(other).unwrap(),
        })
    }

    #[test]
    fn file_names_of_the_layout_match() {
        let m = matcher("{load_id}_{file_id}.{ext}");
        assert!(m.matches("1795310832.3063953_fa2d3a4ecf.jsonl.gz"));
        assert!(m.matches("1795310832.3063953_fa2d3a4ecf.jsonl"));
        assert!(!m.matches("log_1795310832.3063953_fa2d3a4ecf.jsonl.gz"));
        assert!(!m.matches("_kids_1795310832.3063953_fa2d3a4ecf.jsonl.gz"));
        let dated = matcher("{YYYY}{MM}{DD}/{ddd}/{file_id}.{ext}");
        assert!(dated.matches("20240414/sun/0123456789.parquet"));
        assert!(!dated.matches("log_20240414/sun/0123456789.parquet"));
    }

    #[test]
    fn static_values_are_literal_and_callbacks_match_anything() {
        assert!(matcher("{env}_{file_id}.{ext}").matches("prod_0123456789.csv"));
        assert!(!matcher("{env}_{file_id}.{ext}").matches("log_prod_0123456789.csv"));
        assert!(matcher("{cb}_{file_id}.{ext}").matches("log_x_0123456789.csv"));
    }
}
