//! Everything the CLI prints goes through here: secret values registered while resolving the
//! configuration are scrubbed from every line (a safety net below the typed masking, for
//! messages that quote a URL or a value verbatim), and a closed stdout pipe (`stowage … | head`)
//! ends the process quietly instead of panicking.

use std::io::Write;
use std::sync::Mutex;

use stowage::config::MASK;

/// Secret values seen in this process.
static SECRETS: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// Values shorter than this are not scrubbed (they would garble unrelated text).
const MIN_SCRUB_LEN: usize = 4;

/// Remembers a secret value so that no later output shows it.
pub fn register_secret(value: &str) {
    if value.len() < MIN_SCRUB_LEN {
        return;
    }
    let mut secrets = SECRETS.lock().unwrap_or_else(|e| e.into_inner());
    if !secrets.iter().any(|s| s == value) {
        secrets.push(value.to_string());
        // Longest first, so a secret containing another is masked whole.
        secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
    }
}

/// `text` with every registered secret replaced by `***`.
pub fn scrub(text: &str) -> String {
    let secrets = SECRETS.lock().unwrap_or_else(|e| e.into_inner());
    secrets.iter().fold(text.to_string(), |acc, secret| {
        acc.replace(secret.as_str(), MASK)
    })
}

/// Writes one line to stdout; a closed pipe ends the process with exit 0 instead of a panic.
pub fn line(text: std::fmt::Arguments<'_>) {
    let text = scrub(&text.to_string());
    let mut out = std::io::stdout().lock();
    if let Err(e) = writeln!(out, "{text}") {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        eline(format_args!("error: writing to stdout: {e}"));
        std::process::exit(crate::exit::FAILED);
    }
}

/// Writes one line to stderr (scrubbed).
pub fn eline(text: std::fmt::Arguments<'_>) {
    let _ = writeln!(std::io::stderr().lock(), "{}", scrub(&text.to_string()));
}

/// `println!` through [`line`].
macro_rules! outln {
    ($($arg:tt)*) => {
        $crate::output::line(format_args!($($arg)*))
    };
}

/// `eprintln!` through [`eline`].
macro_rules! errln {
    ($($arg:tt)*) => {
        $crate::output::eline(format_args!($($arg)*))
    };
}

pub(crate) use {errln, outln};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registered_secrets_are_scrubbed_longest_first() {
        register_secret("abcd");
        register_secret("xxabcdxx");
        register_secret("no");
        assert_eq!(
            scrub("a xxabcdxx b abcd c no"),
            format!("a {MASK} b {MASK} c no")
        );
    }
}
