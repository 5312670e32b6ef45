//! Driver errors → [`PluginError`]: the server's message and SQLSTATE, a kind a retry layer can
//! act on, and every secret scrubbed from the text.

use postgres::error::SqlState;
use stowage_plugin_sdk::{ErrorKind, PluginError};

use crate::config::scrub;

/// Converts a driver error that happened while doing `what`.
pub fn from_pg(err: &postgres::Error, what: &str, secrets: &[String]) -> PluginError {
    let (kind, retryable, text) = match err.as_db_error() {
        Some(db) => {
            let code = db.code();
            let (kind, retryable) = classify(code);
            let mut text = format!(
                "{}: {} (SQLSTATE {})",
                db.severity(),
                db.message(),
                code.code()
            );
            if let Some(detail) = db.detail() {
                text.push_str(&format!("; {detail}"));
            }
            (kind, retryable, text)
        }
        None if err.is_closed() => (ErrorKind::Io, true, "the connection is closed".to_string()),
        None => {
            let text = full_text(err);
            let io = std::error::Error::source(err)
                .is_some_and(|s| s.downcast_ref::<std::io::Error>().is_some());
            match io {
                true => (ErrorKind::Io, true, text),
                false => (ErrorKind::Unexpected, false, text),
            }
        }
    };
    PluginError::new(kind, format!("postgres: {what}: {}", scrub(&text, secrets)))
        .with_retryable(retryable)
}

/// The error and its sources, one line.
fn full_text(err: &postgres::Error) -> String {
    let mut text = err.to_string();
    let mut source = std::error::Error::source(err);
    while let Some(s) = source {
        let part = s.to_string();
        if !text.contains(&part) {
            text.push_str(&format!(": {part}"));
        }
        source = s.source();
    }
    text
}

/// Kind and retry flag of a SQLSTATE.
fn classify(code: &SqlState) -> (ErrorKind, bool) {
    let class = &code.code()[..2];
    match class {
        "08" | "53" | "57" | "40" => (ErrorKind::Io, true),
        "28" | "42" if *code == SqlState::INSUFFICIENT_PRIVILEGE => {
            (ErrorKind::PermissionDenied, false)
        }
        "28" => (ErrorKind::PermissionDenied, false),
        "42" if *code == SqlState::UNDEFINED_TABLE || *code == SqlState::INVALID_SCHEMA_NAME => {
            (ErrorKind::NotFound, false)
        }
        "22" | "23" | "42" => (ErrorKind::InvalidArgument, false),
        _ => (ErrorKind::Unexpected, false),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlstates_map_to_kinds() {
        assert_eq!(classify(&SqlState::UNDEFINED_TABLE).0, ErrorKind::NotFound);
        assert_eq!(
            classify(&SqlState::T_R_SERIALIZATION_FAILURE),
            (ErrorKind::Io, true)
        );
        assert_eq!(
            classify(&SqlState::UNIQUE_VIOLATION).0,
            ErrorKind::InvalidArgument
        );
        assert_eq!(
            classify(&SqlState::INVALID_PASSWORD).0,
            ErrorKind::PermissionDenied
        );
    }
}
