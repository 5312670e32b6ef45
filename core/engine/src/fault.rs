//! **Test-only** crash points of the load phase.
//!
//! With `STOWAGE_FAULT_AT=<n>` in the environment, the n-th crash point reached by the process
//! (counted from 1, in the order the loader passes them) writes its label to the file named by
//! `STOWAGE_FAULT_FILE` (if set) and then blocks forever, so a test can kill the process with
//! SIGKILL at exactly that point and check that `stowage load` recovers. Without the variable a
//! crash point costs one atomic load. With `STOWAGE_FAULT_TRACE=<file>`, every crash point
//! passed appends `<n> <label>` to that file (how tests learn how many points a load has).
//! Never set these in production.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

/// The environment variable selecting the crash point.
pub const FAULT_AT_ENV: &str = "STOWAGE_FAULT_AT";
/// The environment variable naming the file written when the crash point is reached.
pub const FAULT_FILE_ENV: &str = "STOWAGE_FAULT_FILE";
/// The environment variable naming the file every crash point passed is appended to.
pub const FAULT_TRACE_ENV: &str = "STOWAGE_FAULT_TRACE";

struct Settings {
    at: Option<u64>,
    trace: Option<std::ffi::OsString>,
}

static SETTINGS: OnceLock<Settings> = OnceLock::new();
static PASSED: AtomicU64 = AtomicU64::new(0);

/// A crash point called `label`.
pub fn point(label: &str) {
    let settings = SETTINGS.get_or_init(|| Settings {
        at: std::env::var(FAULT_AT_ENV)
            .ok()
            .and_then(|v| v.trim().parse().ok()),
        trace: std::env::var_os(FAULT_TRACE_ENV),
    });
    if settings.at.is_none() && settings.trace.is_none() {
        return;
    }
    let n = PASSED.fetch_add(1, Ordering::SeqCst) + 1;
    if let Some(trace) = &settings.trace {
        use std::io::Write;
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(trace);
        if let Ok(mut file) = file {
            let _ = writeln!(file, "{n} {label}");
        }
    }
    if settings.at != Some(n) {
        return;
    }
    if let Some(path) = std::env::var_os(FAULT_FILE_ENV) {
        let tmp = std::path::PathBuf::from(&path).with_extension("tmp");
        if std::fs::write(&tmp, label).is_ok() {
            let _ = std::fs::rename(&tmp, &path);
        }
    }
    loop {
        std::thread::park();
    }
}
