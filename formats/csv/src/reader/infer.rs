//! Column types of a csv file read without a schema, from its first rows.
//!
//! A column is `Int64` when every non-empty cell is an unquoted integer, `Float64` when every
//! one is an unquoted number (incl. `nan`/`inf`), `Boolean` when every one is an unquoted
//! `True`/`False`, and `Utf8` otherwise: a quoted cell is text, as `quote_needed` quotes
//! every non-number. Dates and timestamps stay strings.

use arrow_schema::DataType;

/// The type of one column, narrowed cell by cell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Inferred {
    /// No value seen yet.
    #[default]
    Unknown,
    /// Integers only.
    Int,
    /// Numbers.
    Float,
    /// `True`/`False`.
    Bool,
    /// Anything else.
    Text,
}

impl Inferred {
    /// Narrows the type with one cell.
    pub fn observe(self, text: &[u8], quoted: bool) -> Inferred {
        if text.is_empty() {
            return self;
        }
        let cell = if quoted {
            Inferred::Text
        } else {
            classify(text)
        };
        match (self, cell) {
            (Inferred::Unknown, c) => c,
            (a, b) if a == b => a,
            (Inferred::Int, Inferred::Float) | (Inferred::Float, Inferred::Int) => Inferred::Float,
            _ => Inferred::Text,
        }
    }

    /// The Arrow type (an all-empty column is text).
    pub fn data_type(self) -> DataType {
        match self {
            Inferred::Int => DataType::Int64,
            Inferred::Float => DataType::Float64,
            Inferred::Bool => DataType::Boolean,
            Inferred::Unknown | Inferred::Text => DataType::Utf8,
        }
    }
}

fn classify(text: &[u8]) -> Inferred {
    let Ok(text) = std::str::from_utf8(text) else {
        return Inferred::Text;
    };
    if text.parse::<i64>().is_ok() {
        Inferred::Int
    } else if text == "True" || text == "False" {
        Inferred::Bool
    } else if looks_numeric(text) && text.parse::<f64>().is_ok() {
        Inferred::Float
    } else {
        Inferred::Text
    }
}

/// Rust parses `infinity`, `NaN` and friends; only Python's spellings count as numbers.
fn looks_numeric(text: &str) -> bool {
    let body = text.strip_prefix('-').unwrap_or(text);
    body == "nan" || body == "inf" || body.starts_with(|c: char| c.is_ascii_digit() || c == '.')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn infer(cells: &[(&str, bool)]) -> DataType {
        cells
            .iter()
            .fold(Inferred::default(), |t, (v, q)| t.observe(v.as_bytes(), *q))
            .data_type()
    }

    #[test]
    fn narrowing() {
        assert_eq!(
            infer(&[("1", false), ("", false), ("-2", false)]),
            DataType::Int64
        );
        assert_eq!(
            infer(&[("1", false), ("1.5", false), ("nan", false)]),
            DataType::Float64
        );
        assert_eq!(
            infer(&[("True", false), ("False", false)]),
            DataType::Boolean
        );
        assert_eq!(infer(&[("1", true)]), DataType::Utf8);
        assert_eq!(infer(&[("1", false), ("True", false)]), DataType::Utf8);
        assert_eq!(infer(&[("infinity", false)]), DataType::Utf8);
        assert_eq!(infer(&[]), DataType::Utf8);
    }
}
