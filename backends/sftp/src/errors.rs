//! libssh2 errors as [`PluginError`]s: SFTP status codes become `NotFound`, `PermissionDenied`
//! …; everything that breaks the connection (socket errors, closed channels, timeouts) becomes a
//! retryable `Io`/`Timeout` error that says so, and marks the connection as unusable.
//!
//! libssh2's messages never contain credentials; callers add only keys, paths and addresses.

use std::io;

use ssh2::ErrorCode;
use stowage_plugin_sdk::{ErrorKind, PluginError};

/// SFTP status codes (draft-ietf-secsh-filexfer-02 and later; libssh2's `LIBSSH2_FX_*`).
mod fx {
    pub const NO_SUCH_FILE: i32 = 2;
    pub const PERMISSION_DENIED: i32 = 3;
    pub const NO_CONNECTION: i32 = 6;
    pub const CONNECTION_LOST: i32 = 7;
    pub const OP_UNSUPPORTED: i32 = 8;
    pub const NO_SUCH_PATH: i32 = 10;
    pub const FILE_ALREADY_EXISTS: i32 = 11;
    pub const WRITE_PROTECT: i32 = 12;
    pub const NOT_A_DIRECTORY: i32 = 19;
}

/// libssh2 session error codes (`LIBSSH2_ERROR_*`) that leave the connection usable or need
/// their own kind.
mod session {
    pub const TIMEOUT: i32 = -9;
    pub const FILE: i32 = -16;
    pub const AUTHENTICATION_FAILED: i32 = -18;
    pub const PUBLICKEY_UNVERIFIED: i32 = -19;
    pub const SOCKET_TIMEOUT: i32 = -30;
    pub const METHOD_NOT_SUPPORTED: i32 = -33;
    pub const INVAL: i32 = -34;
    pub const BAD_USE: i32 = -39;
    pub const KEYFILE_AUTH_FAILED: i32 = -48;
}

/// Marks retryable network errors in messages (the flag itself travels with the error).
pub const RETRYABLE_NOTE: &str = "(network error, retryable)";

/// True if the error means the SSH connection can no longer be used.
pub fn breaks_connection(err: &ssh2::Error) -> bool {
    match err.code() {
        ErrorCode::SFTP(code) => matches!(code, fx::NO_CONNECTION | fx::CONNECTION_LOST),
        ErrorCode::Session(code) => !matches!(
            code,
            session::FILE
                | session::AUTHENTICATION_FAILED
                | session::PUBLICKEY_UNVERIFIED
                | session::METHOD_NOT_SUPPORTED
                | session::INVAL
                | session::BAD_USE
                | session::KEYFILE_AUTH_FAILED
        ),
    }
}

/// True if the error is an SFTP "no such file" (or a missing or non-directory parent).
pub fn is_not_found(err: &ssh2::Error) -> bool {
    matches!(
        err.code(),
        ErrorCode::SFTP(fx::NO_SUCH_FILE | fx::NO_SUCH_PATH | fx::NOT_A_DIRECTORY)
    )
}

/// True if the server does not support the request (e.g. an OpenSSH extension).
pub fn is_unsupported(err: &ssh2::Error) -> bool {
    matches!(err.code(), ErrorCode::SFTP(fx::OP_UNSUPPORTED))
}

/// True if the server rejected a credential (as opposed to a broken connection).
pub fn is_auth_rejection(err: &ssh2::Error) -> bool {
    matches!(
        err.code(),
        ErrorCode::Session(
            session::AUTHENTICATION_FAILED
                | session::PUBLICKEY_UNVERIFIED
                | session::KEYFILE_AUTH_FAILED
        )
    )
}

/// True if a key file could not be read or decrypted.
pub fn is_key_file_error(err: &ssh2::Error) -> bool {
    matches!(err.code(), ErrorCode::Session(session::FILE))
}

/// An error of the operation `what` on the server at `address`.
pub fn ssh_error(err: &ssh2::Error, what: &str, address: &str) -> PluginError {
    let detail = err.message();
    match err.code() {
        ErrorCode::SFTP(code) => status_error(code, what, detail),
        ErrorCode::Session(session::TIMEOUT | session::SOCKET_TIMEOUT) => timeout(what, address),
        ErrorCode::Session(session::INVAL | session::BAD_USE) => {
            PluginError::invalid(format!("{what}: {detail}"))
        }
        ErrorCode::Session(_) if breaks_connection(err) => connection_lost(what, address, detail),
        ErrorCode::Session(_) => PluginError::unexpected(format!("{what}: {detail}")),
    }
}

fn status_error(code: i32, what: &str, detail: &str) -> PluginError {
    let kind = match code {
        fx::NO_SUCH_FILE | fx::NO_SUCH_PATH | fx::NOT_A_DIRECTORY => ErrorKind::NotFound,
        fx::PERMISSION_DENIED | fx::WRITE_PROTECT => ErrorKind::PermissionDenied,
        fx::FILE_ALREADY_EXISTS => ErrorKind::AlreadyExists,
        fx::OP_UNSUPPORTED => ErrorKind::Unsupported,
        fx::NO_CONNECTION | fx::CONNECTION_LOST => ErrorKind::Io,
        _ => ErrorKind::Unexpected,
    };
    let detail = if detail.is_empty() { "failure" } else { detail };
    PluginError::new(kind, format!("{what}: the server said: {detail}"))
}

/// A broken connection: retryable.
pub fn connection_lost(what: &str, address: &str, detail: &str) -> PluginError {
    PluginError::new(
        ErrorKind::Io,
        format!("{what}: the SFTP connection to {address} failed: {detail} {RETRYABLE_NOTE}"),
    )
    .with_retryable(true)
}

/// A timeout: retryable.
pub fn timeout(what: &str, address: &str) -> PluginError {
    PluginError::new(
        ErrorKind::Timeout,
        format!("{what}: timed out waiting for {address} {RETRYABLE_NOTE}"),
    )
    .with_retryable(true)
}

/// SFTP status messages libssh2 puts into `io::Error`s of file reads and writes (see
/// `ssh2::Error::from_errno`); any other message there is a connection failure.
const STATUS_MESSAGES: &[(&str, ErrorKind)] = &[
    ("permission denied", ErrorKind::PermissionDenied),
    ("file is write protected", ErrorKind::PermissionDenied),
    ("no space on filesystem", ErrorKind::Unexpected),
    ("quota exceeded", ErrorKind::Unexpected),
    ("failure", ErrorKind::Unexpected),
    ("invalid handle", ErrorKind::Unexpected),
    ("operation unsupported", ErrorKind::Unsupported),
];

/// An error of reading or writing an open remote file; `.1` is true if it broke the connection.
pub fn file_io_error(err: &io::Error, what: &str, address: &str) -> (PluginError, bool) {
    let detail = err.to_string();
    match err.kind() {
        io::ErrorKind::NotFound => (PluginError::not_found(format!("{what}: {detail}")), false),
        io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => (timeout(what, address), true),
        _ => match STATUS_MESSAGES.iter().find(|(m, _)| *m == detail) {
            Some((_, kind)) => (
                PluginError::new(*kind, format!("{what}: the server said: {detail}")),
                false,
            ),
            None => (connection_lost(what, address, &detail), true),
        },
    }
}

/// An error of establishing the TCP connection: retryable (the server may come back).
pub fn connect_error(err: &io::Error, address: &str) -> PluginError {
    if err.kind() == io::ErrorKind::TimedOut {
        return timeout("connecting", address);
    }
    connection_lost("connecting", address, &err.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sftp(code: i32) -> ssh2::Error {
        ssh2::Error::from_errno(ErrorCode::SFTP(code))
    }

    fn sess(code: i32) -> ssh2::Error {
        ssh2::Error::from_errno(ErrorCode::Session(code))
    }

    #[test]
    fn sftp_statuses_keep_the_connection() {
        let e = ssh_error(&sftp(fx::NO_SUCH_FILE), "head", "h:22");
        assert_eq!((e.kind(), e.is_retryable()), (ErrorKind::NotFound, false));
        assert!(!breaks_connection(&sftp(fx::NO_SUCH_FILE)));
        let e = ssh_error(&sftp(fx::PERMISSION_DENIED), "write", "h:22");
        assert_eq!(e.kind(), ErrorKind::PermissionDenied);
        assert!(e.to_string().contains("permission denied"), "{e}");
    }

    #[test]
    fn socket_errors_are_retryable_and_break_the_connection() {
        let err = sess(-43); // LIBSSH2_ERROR_SOCKET_RECV
        assert!(breaks_connection(&err));
        let e = ssh_error(&err, "uploading x", "h:22");
        assert_eq!((e.kind(), e.is_retryable()), (ErrorKind::Io, true));
        assert!(e.to_string().contains("retryable") && e.to_string().contains("h:22"));
        let e = ssh_error(&sess(session::TIMEOUT), "reading", "h:22");
        assert_eq!((e.kind(), e.is_retryable()), (ErrorKind::Timeout, true));
        assert!(breaks_connection(&sftp(fx::CONNECTION_LOST)));
    }

    #[test]
    fn auth_errors_are_recognized() {
        assert!(is_auth_rejection(&sess(session::AUTHENTICATION_FAILED)));
        assert!(is_key_file_error(&sess(session::FILE)));
        assert!(!breaks_connection(&sess(session::AUTHENTICATION_FAILED)));
    }

    #[test]
    fn file_io_errors_by_message() {
        let status = io::Error::other("no space on filesystem");
        let (e, broken) = file_io_error(&status, "writing", "h:22");
        assert!(!broken && !e.is_retryable(), "{e}");
        let socket = io::Error::other("Unable to send FXP_WRITE");
        let (e, broken) = file_io_error(&socket, "writing", "h:22");
        assert!(broken && e.is_retryable(), "{e}");
        let (e, broken) = file_io_error(&io::Error::from(io::ErrorKind::TimedOut), "r", "h:22");
        assert!(broken && e.kind() == ErrorKind::Timeout);
    }
}
