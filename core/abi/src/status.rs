//! Status codes returned by every ABI function. New codes are only appended.

/// Status code returned by every fallible ABI function (`i32`).
pub type Status = i32;

/// Success.
pub const STATUS_OK: Status = 0;
/// An error that fits no other code.
pub const STATUS_ERROR: Status = 1;
/// The object, key or symbol does not exist.
pub const STATUS_NOT_FOUND: Status = 2;
/// The object already exists.
pub const STATUS_ALREADY_EXISTS: Status = 3;
/// Authentication or authorization failed.
pub const STATUS_PERMISSION: Status = 4;
/// An argument or option is invalid (bad URL, unknown option key, …).
pub const STATUS_INVALID_ARGUMENT: Status = 5;
/// The operation is not supported by this plugin.
pub const STATUS_UNSUPPORTED: Status = 6;
/// The plugin cannot work with the host's ABI minor (or the reverse).
pub const STATUS_UNSUPPORTED_VERSION: Status = 7;
/// The operation was cancelled.
pub const STATUS_CANCELLED: Status = 8;
/// The operation timed out.
pub const STATUS_TIMEOUT: Status = 9;
/// A transient I/O or network failure; retrying may succeed.
pub const STATUS_RETRYABLE_IO: Status = 10;
/// The plugin panicked. The instance that panicked is poisoned: every later call fails.
pub const STATUS_PANIC: Status = 11;

/// A short, stable name for a status code (for logs and error messages).
pub const fn status_name(status: Status) -> &'static str {
    match status {
        STATUS_OK => "ok",
        STATUS_ERROR => "error",
        STATUS_NOT_FOUND => "not found",
        STATUS_ALREADY_EXISTS => "already exists",
        STATUS_PERMISSION => "permission denied",
        STATUS_INVALID_ARGUMENT => "invalid argument",
        STATUS_UNSUPPORTED => "unsupported",
        STATUS_UNSUPPORTED_VERSION => "unsupported ABI version",
        STATUS_CANCELLED => "cancelled",
        STATUS_TIMEOUT => "timeout",
        STATUS_RETRYABLE_IO => "retryable I/O error",
        STATUS_PANIC => "plugin panicked",
        _ => "unknown status",
    }
}
