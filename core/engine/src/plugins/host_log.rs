//! The host services table handed to plugins: identity and a log callback.

use std::panic::{AssertUnwindSafe, catch_unwind};

use stowage_plugin_abi as abi;

/// The host services every plugin receives (static for the process).
pub(crate) static HOST_API: abi::HostApiV1 = abi::HostApiV1 {
    struct_size: size_of::<abi::HostApiV1>(),
    host_name: abi::StrRef::new("stowage"),
    host_version: abi::StrRef::new(env!("CARGO_PKG_VERSION")),
    log: Some(host_log),
};

/// Plugin log messages go to stderr with the plugin name; warnings and errors always, the rest
/// only with `STOWAGE_LOG=debug`.
unsafe extern "C" fn host_log(level: u8, target: abi::StrRef, message: abi::StrRef) {
    let _ = catch_unwind(AssertUnwindSafe(|| {
        // SAFETY: borrowed for the call per the ABI.
        let (target, message) = unsafe {
            (
                String::from_utf8_lossy(target.as_bytes()),
                String::from_utf8_lossy(message.as_bytes()),
            )
        };
        let label = match level {
            abi::LOG_ERROR => "error",
            abi::LOG_WARN => "warning",
            abi::LOG_INFO => "info",
            _ => "debug",
        };
        if level <= abi::LOG_WARN || verbose() {
            eprintln!("{label}: [plugin {target}] {message}");
        }
    }));
}

fn verbose() -> bool {
    std::env::var("STOWAGE_LOG").is_ok_and(|v| v.eq_ignore_ascii_case("debug"))
}
