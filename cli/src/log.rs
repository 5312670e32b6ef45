//! Debug logging on stderr with `STOWAGE_LOG=debug` (the same switch as plugin logs). Values
//! are logged through their `Display`, so secrets (typed `Secret`) print masked.

use std::fmt::Display;

use stowage::config::Resolved;

use crate::output::errln;

/// True with `STOWAGE_LOG=debug`.
pub fn enabled() -> bool {
    std::env::var("STOWAGE_LOG").is_ok_and(|v| v.eq_ignore_ascii_case("debug"))
}

/// Prints `debug: <message>` when enabled.
pub fn debug(message: &str) {
    if enabled() {
        errln!("debug: {message}");
    }
}

/// Logs a resolved setting and passes it on.
pub fn used<T: Display>(name: &str, resolved: Resolved<T>) -> Resolved<T> {
    debug(&format!(
        "setting {name} = {} (from {})",
        resolved.value, resolved.source
    ));
    resolved
}
