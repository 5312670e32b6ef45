//! Logging from plugins through the host's log callback (and the panic hook that uses it).

use std::sync::OnceLock;

use stowage_plugin_abi as abi;

static HOST_LOG: OnceLock<abi::LogFn> = OnceLock::new();
static PLUGIN_NAME: OnceLock<&'static str> = OnceLock::new();

/// Log levels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// Errors.
    Error = 1,
    /// Warnings.
    Warn = 2,
    /// Informational.
    Info = 3,
    /// Debugging.
    Debug = 4,
}

/// Remembers the host's log callback (first call wins) and installs the panic hook.
pub(crate) fn init(name: &'static str, log: Option<abi::LogFn>) {
    let _ = PLUGIN_NAME.set(name);
    if let Some(f) = log {
        let _ = HOST_LOG.set(f);
    }
    install_panic_hook();
}

/// Sends a message to the host log (stderr if the host gave no callback).
pub fn log(level: Level, message: &str) {
    let target = PLUGIN_NAME.get().copied().unwrap_or("plugin");
    match HOST_LOG.get() {
        // SAFETY: the host guarantees the callback is valid for the life of the process and
        // copies the borrowed strings before returning.
        Some(f) => unsafe {
            f(
                level as u8,
                abi::StrRef::new(target),
                abi::StrRef::new(message),
            )
        },
        None => eprintln!("[{target}] {message}"),
    }
}

/// Logs a warning.
pub fn warn(message: &str) {
    log(Level::Warn, message);
}

/// Logs an informational message.
pub fn info(message: &str) {
    log(Level::Info, message);
}

fn install_panic_hook() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        std::panic::set_hook(Box::new(|info| {
            let location = info
                .location()
                .map(|l| format!(" at {}:{}", l.file(), l.line()));
            let msg = crate::ffi::panic_message(info.payload());
            log(
                Level::Error,
                &format!("panic: {msg}{}", location.unwrap_or_default()),
            );
        }));
    });
}
