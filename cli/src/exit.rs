//! Exit codes and how errors are reported.
//!
//! | code | meaning |
//! |---|---|
//! | 0 | success |
//! | 1 | the operation failed (input, bucket, plugin or load error) |
//! | 2 | invalid usage (clap's own code for bad arguments; also used for bad `init` arguments) |
//! | 3 | configuration error (missing or invalid setting, secret in config.toml, invalid TOML) |

use std::fmt;

use serde_json::json;

use crate::output::{errln, outln};

/// The operation failed.
pub const FAILED: i32 = 1;
/// Invalid usage.
pub const USAGE: i32 = 2;
/// Configuration error.
pub const CONFIG: i32 = 3;

/// An error with the exit code it maps to.
#[derive(Debug)]
pub struct CliError {
    /// The exit code.
    pub code: i32,
    /// What went wrong (never holds a secret value).
    pub error: stowage::Error,
}

impl CliError {
    /// A failed operation (exit 1).
    pub fn failed(error: stowage::Error) -> Self {
        CliError {
            code: FAILED,
            error,
        }
    }

    /// A configuration error (exit 3).
    pub fn config(error: stowage::Error) -> Self {
        CliError {
            code: CONFIG,
            error,
        }
    }

    /// Invalid usage (exit 2).
    pub fn usage(message: impl Into<String>) -> Self {
        CliError {
            code: USAGE,
            error: stowage::Error::invalid(message),
        }
    }

    /// Prints the error: text on stderr, and a JSON object on stdout for `--json` callers.
    pub fn report(&self, json: bool) {
        errln!("error: {}", self.error);
        if json {
            let doc = json!({
                "status": "error",
                "exit_code": self.code,
                "kind": self.error.kind().to_string(),
                "error": self.error.to_string(),
            });
            outln!("{doc}");
        }
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.error, f)
    }
}

/// Result of a subcommand.
pub type CliResult<T = ()> = Result<T, CliError>;

/// Maps engine errors of the run itself to exit 1.
pub trait Failed<T> {
    /// Exit 1 on error.
    fn or_failed(self) -> CliResult<T>;
    /// Exit 3 on error.
    fn or_config(self) -> CliResult<T>;
}

impl<T> Failed<T> for stowage::Result<T> {
    fn or_failed(self) -> CliResult<T> {
        self.map_err(CliError::failed)
    }

    fn or_config(self) -> CliResult<T> {
        self.map_err(CliError::config)
    }
}
