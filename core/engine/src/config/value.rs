//! Reading raw values (JSON from TOML, text from env vars and flags) as typed settings, and
//! flattening dict settings into backend options.
//!
//! Error messages name the setting and where it came from; they quote the value only when the
//! setting is not a secret.

use serde_json::{Map, Value};

use super::source::Source;
use crate::{Error, Result};

/// What the value is, for error messages.
pub(crate) struct Origin<'a> {
    pub key: &'a str,
    pub source: &'a Source,
    pub secret: bool,
}

impl Origin<'_> {
    fn error(&self, expected: &str, value: &Value) -> Error {
        let got = match self.secret {
            true => String::new(),
            false => format!(", got `{}`", text_of(value)),
        };
        Error::invalid(format!(
            "`{}` ({}) must be {expected}{got}",
            self.key, self.source
        ))
    }
}

/// A scalar as text (strings unquoted, numbers and booleans as written, nested values as JSON).
pub(crate) fn text_of(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Text: strings, numbers and booleans.
pub(crate) fn as_text(value: &Value, origin: &Origin<'_>) -> Result<String> {
    match value {
        Value::String(_) | Value::Number(_) | Value::Bool(_) => Ok(text_of(value)),
        other => Err(origin.error("text", other)),
    }
}

/// A boolean (dlt's `str2bool` spellings for text).
pub(crate) fn as_bool(value: &Value, origin: &Origin<'_>) -> Result<bool> {
    match value {
        Value::Bool(b) => Ok(*b),
        Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
            "true" | "t" | "yes" | "y" | "on" | "1" => Ok(true),
            "false" | "f" | "no" | "n" | "off" | "0" => Ok(false),
            _ => Err(origin.error("true or false", value)),
        },
        Value::Number(n) if n.as_u64() == Some(0) => Ok(false),
        Value::Number(n) if n.as_u64() == Some(1) => Ok(true),
        other => Err(origin.error("true or false", other)),
    }
}

/// A whole number ≥ 0.
pub(crate) fn as_u64(value: &Value, origin: &Origin<'_>) -> Result<u64> {
    match value {
        Value::Number(n) => n
            .as_u64()
            .ok_or_else(|| origin.error("a whole number ≥ 0", value)),
        Value::String(s) => s
            .trim()
            .parse()
            .map_err(|_| origin.error("a whole number ≥ 0", value)),
        other => Err(origin.error("a whole number ≥ 0", other)),
    }
}

/// A whole number (may be negative).
pub(crate) fn as_i64(value: &Value, origin: &Origin<'_>) -> Result<i64> {
    match value {
        Value::Number(n) => n
            .as_i64()
            .ok_or_else(|| origin.error("a whole number", value)),
        Value::String(s) => s
            .trim()
            .parse()
            .map_err(|_| origin.error("a whole number", value)),
        other => Err(origin.error("a whole number", other)),
    }
}

/// A dict: a TOML table, or a string holding a JSON object.
pub(crate) fn as_dict(value: &Value, origin: &Origin<'_>) -> Result<Map<String, Value>> {
    match value {
        Value::Object(map) => Ok(map.clone()),
        Value::String(text) => match serde_json::from_str::<Value>(text) {
            Ok(Value::Object(map)) => Ok(map),
            Ok(_) => Err(origin.error("a JSON object or a TOML table", value)),
            Err(e) => Err(Error::invalid(format!(
                "`{}` ({}) must be a JSON object or a TOML table: {} (line {}, column {})",
                origin.key,
                origin.source,
                json_error_kind(&e),
                e.line(),
                e.column()
            ))),
        },
        other => Err(origin.error("a JSON object or a TOML table", other)),
    }
}

fn json_error_kind(e: &serde_json::Error) -> &'static str {
    match e.classify() {
        serde_json::error::Category::Eof => "the JSON ends early",
        serde_json::error::Category::Syntax => "invalid JSON",
        _ => "invalid JSON data",
    }
}

/// Flattens a dict into `<prefix>.<key>` option pairs: scalars as text, nested values as
/// compact JSON (the backend options contract).
pub fn flatten_dict(prefix: &str, dict: &Map<String, Value>) -> Vec<(String, String)> {
    dict.iter()
        .map(|(key, value)| (format!("{prefix}.{key}"), text_of(value)))
        .collect()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn origin(secret: bool) -> Origin<'static> {
        static SOURCE: Source = Source::Default;
        Origin {
            key: "k",
            source: &SOURCE,
            secret,
        }
    }

    #[test]
    fn dicts_from_json_strings_and_tables_flatten_alike() {
        let from_text = as_dict(
            &json!(r#"{"auto_mkdir": true, "n": 2, "s": "x", "nested": {"a": [1]}}"#),
            &origin(false),
        )
        .unwrap();
        let from_table = as_dict(
            &json!({"auto_mkdir": true, "n": 2, "s": "x", "nested": {"a": [1]}}),
            &origin(false),
        )
        .unwrap();
        assert_eq!(from_text, from_table);
        assert_eq!(
            flatten_dict("kwargs", &from_text),
            [
                ("kwargs.auto_mkdir".to_string(), "true".to_string()),
                ("kwargs.n".into(), "2".into()),
                ("kwargs.s".into(), "x".into()),
                ("kwargs.nested".into(), r#"{"a":[1]}"#.into()),
            ]
        );
    }

    #[test]
    fn bad_values_are_quoted_unless_secret() {
        let err = as_bool(&json!("maybe"), &origin(false)).unwrap_err();
        assert!(err.to_string().contains("`maybe`"), "{err}");
        let err = as_u64(&json!("hunter2"), &origin(true)).unwrap_err();
        assert!(!err.to_string().contains("hunter2"), "{err}");
        let err = as_dict(&json!("{\"a\": "), &origin(false)).unwrap_err();
        assert!(err.to_string().contains("JSON"), "{err}");
        assert!(as_bool(&json!("Yes"), &origin(false)).unwrap());
    }
}
