//! Where a resolved value came from: a flag, an environment variable, a line of a TOML file, or
//! the built-in default. Every [`Resolved`] value carries one, so errors and `stowage config
//! show` can point at the exact place to change.

use std::fmt;
use std::path::PathBuf;

/// The origin of a resolved setting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A command-line flag (explicit arguments override every provider).
    Flag {
        /// The flag as typed, e.g. `--bucket-url`.
        flag: String,
    },
    /// An environment variable.
    Env {
        /// The variable name, e.g. `DESTINATION__FILESYSTEM__BUCKET_URL`.
        var: String,
    },
    /// A TOML file (`secrets.toml` or `config.toml`).
    File {
        /// The file.
        path: PathBuf,
        /// 1-based line of the key.
        line: usize,
        /// The dotted key where the value was found (after section fallbacks).
        key: String,
    },
    /// The built-in default.
    Default,
}

impl Source {
    /// A short kind name for machine-readable output (`flag`, `env`, `file`, `default`).
    pub fn kind(&self) -> &'static str {
        match self {
            Source::Flag { .. } => "flag",
            Source::Env { .. } => "env",
            Source::File { .. } => "file",
            Source::Default => "default",
        }
    }

    /// The source as JSON (`{"kind": "file", "path": …, "line": …, "key": …}`).
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Source::Flag { flag } => serde_json::json!({"kind": "flag", "flag": flag}),
            Source::Env { var } => serde_json::json!({"kind": "env", "var": var}),
            Source::File { path, line, key } => {
                serde_json::json!({"kind": "file", "path": path, "line": line, "key": key})
            }
            Source::Default => serde_json::json!({"kind": "default"}),
        }
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Flag { flag } => write!(f, "flag {flag}"),
            Source::Env { var } => write!(f, "env {var}"),
            Source::File { path, line, key } => write!(f, "{}:{line} ({key})", path.display()),
            Source::Default => f.write_str("default"),
        }
    }
}

/// A resolved value and where it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Resolved<T> {
    /// The value.
    pub value: T,
    /// Where it came from.
    pub source: Source,
}

impl<T> Resolved<T> {
    /// A value with its source.
    pub fn new(value: T, source: Source) -> Self {
        Resolved { value, source }
    }

    /// Maps the value, keeping the source.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Resolved<U> {
        Resolved {
            value: f(self.value),
            source: self.source,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_the_place() {
        let file = Source::File {
            path: ".dlt/config.toml".into(),
            line: 3,
            key: "destination.bucket_url".into(),
        };
        assert_eq!(
            file.to_string(),
            ".dlt/config.toml:3 (destination.bucket_url)"
        );
        let env = Source::Env {
            var: "DESTINATION__FILESYSTEM__BUCKET_URL".into(),
        };
        assert_eq!(env.to_string(), "env DESTINATION__FILESYSTEM__BUCKET_URL");
        assert_eq!(file.to_json()["line"], 3);
    }
}
