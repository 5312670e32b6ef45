//! One error type for plugins and host: a kind, a message, key/value context and a retry flag.

use std::fmt;

use stowage_plugin_abi as abi;

/// What went wrong, in terms a retry layer and a user can act on.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// Anything that fits no other kind.
    Unexpected,
    /// The object, key or plugin does not exist.
    NotFound,
    /// The object already exists.
    AlreadyExists,
    /// Authentication or authorization failed.
    PermissionDenied,
    /// A URL, option or argument is invalid.
    InvalidArgument,
    /// The operation is not supported.
    Unsupported,
    /// ABI versions are incompatible.
    UnsupportedVersion,
    /// The operation was cancelled.
    Cancelled,
    /// The operation timed out.
    Timeout,
    /// A transient I/O or network failure.
    Io,
    /// A plugin panicked (the instance is poisoned).
    Panic,
}

impl ErrorKind {
    /// The ABI status code for this kind.
    pub fn status(self) -> abi::Status {
        match self {
            ErrorKind::Unexpected => abi::STATUS_ERROR,
            ErrorKind::NotFound => abi::STATUS_NOT_FOUND,
            ErrorKind::AlreadyExists => abi::STATUS_ALREADY_EXISTS,
            ErrorKind::PermissionDenied => abi::STATUS_PERMISSION,
            ErrorKind::InvalidArgument => abi::STATUS_INVALID_ARGUMENT,
            ErrorKind::Unsupported => abi::STATUS_UNSUPPORTED,
            ErrorKind::UnsupportedVersion => abi::STATUS_UNSUPPORTED_VERSION,
            ErrorKind::Cancelled => abi::STATUS_CANCELLED,
            ErrorKind::Timeout => abi::STATUS_TIMEOUT,
            ErrorKind::Io => abi::STATUS_RETRYABLE_IO,
            ErrorKind::Panic => abi::STATUS_PANIC,
        }
    }

    /// The kind for an ABI status code (unknown codes map to `Unexpected`).
    pub fn from_status(status: abi::Status) -> ErrorKind {
        match status {
            abi::STATUS_NOT_FOUND => ErrorKind::NotFound,
            abi::STATUS_ALREADY_EXISTS => ErrorKind::AlreadyExists,
            abi::STATUS_PERMISSION => ErrorKind::PermissionDenied,
            abi::STATUS_INVALID_ARGUMENT => ErrorKind::InvalidArgument,
            abi::STATUS_UNSUPPORTED => ErrorKind::Unsupported,
            abi::STATUS_UNSUPPORTED_VERSION => ErrorKind::UnsupportedVersion,
            abi::STATUS_CANCELLED => ErrorKind::Cancelled,
            abi::STATUS_TIMEOUT => ErrorKind::Timeout,
            abi::STATUS_RETRYABLE_IO => ErrorKind::Io,
            abi::STATUS_PANIC => ErrorKind::Panic,
            _ => ErrorKind::Unexpected,
        }
    }

    /// Whether errors of this kind are retryable unless said otherwise.
    pub fn retryable_by_default(self) -> bool {
        matches!(self, ErrorKind::Io | ErrorKind::Timeout)
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(abi::status_name(self.status()))
    }
}

/// The error of every SDK and engine operation.
///
/// Messages and context must never contain secrets: backends put bucket names, keys and setting
/// names in context, never credential values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PluginError {
    kind: ErrorKind,
    message: String,
    retryable: bool,
    context: Vec<(String, String)>,
}

/// Result with [`PluginError`].
pub type Result<T, E = PluginError> = std::result::Result<T, E>;

impl PluginError {
    /// A new error; retryable if the kind is retryable by default.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> PluginError {
        PluginError {
            kind,
            message: message.into(),
            retryable: kind.retryable_by_default(),
            context: Vec::new(),
        }
    }

    /// Adds a context entry (e.g. `("key", "users/1.jsonl")`).
    pub fn with_context(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.context.push((key.into(), value.into()));
        self
    }

    /// Overrides the retry flag.
    pub fn with_retryable(mut self, retryable: bool) -> Self {
        self.retryable = retryable;
        self
    }

    /// Prefixes the message with what was being done (`"reading init: …"`).
    pub fn while_doing(mut self, what: impl fmt::Display) -> Self {
        self.message = format!("{what}: {}", self.message);
        self
    }

    /// The kind.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The message without context.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// Whether retrying may succeed.
    pub fn is_retryable(&self) -> bool {
        self.retryable
    }

    /// Context entries.
    pub fn context(&self) -> &[(String, String)] {
        &self.context
    }

    /// Maps an I/O error, keeping transient kinds retryable.
    pub fn from_io(err: &std::io::Error, what: impl fmt::Display) -> PluginError {
        use std::io::ErrorKind as Io;
        let kind = match err.kind() {
            Io::NotFound | Io::NotADirectory => ErrorKind::NotFound,
            Io::AlreadyExists => ErrorKind::AlreadyExists,
            Io::PermissionDenied => ErrorKind::PermissionDenied,
            Io::InvalidInput | Io::InvalidData => ErrorKind::InvalidArgument,
            Io::TimedOut => ErrorKind::Timeout,
            Io::Unsupported => ErrorKind::Unsupported,
            Io::Interrupted
            | Io::ConnectionReset
            | Io::ConnectionAborted
            | Io::ConnectionRefused
            | Io::BrokenPipe
            | Io::WouldBlock => ErrorKind::Io,
            _ => ErrorKind::Unexpected,
        };
        PluginError::new(kind, format!("{what}: {err}"))
    }

    /// Converts to `std::io::Error` (for `Read`/`Write` adapters), keeping the message.
    pub fn into_io(self) -> std::io::Error {
        let kind = match self.kind {
            ErrorKind::NotFound => std::io::ErrorKind::NotFound,
            ErrorKind::PermissionDenied => std::io::ErrorKind::PermissionDenied,
            ErrorKind::Timeout => std::io::ErrorKind::TimedOut,
            _ => std::io::ErrorKind::Other,
        };
        std::io::Error::new(kind, self)
    }

    /// Recovers a `PluginError` carried inside an I/O error, or wraps it.
    pub fn from_io_error(err: std::io::Error, what: impl fmt::Display) -> PluginError {
        if err.get_ref().is_some_and(|inner| inner.is::<PluginError>()) {
            let inner = err.into_inner().expect("checked above");
            return *inner.downcast::<PluginError>().expect("checked above");
        }
        PluginError::from_io(&err, what)
    }
}

impl fmt::Display for PluginError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.message)?;
        if !self.context.is_empty() {
            let ctx: Vec<String> = self
                .context
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            write!(f, " ({})", ctx.join(", "))?;
        }
        Ok(())
    }
}

impl std::error::Error for PluginError {}

impl From<arrow_schema::ArrowError> for PluginError {
    fn from(err: arrow_schema::ArrowError) -> Self {
        match err {
            arrow_schema::ArrowError::ExternalError(inner) => match inner.downcast::<PluginError>()
            {
                Ok(plugin) => *plugin,
                Err(other) => PluginError::new(ErrorKind::Unexpected, other.to_string()),
            },
            arrow_schema::ArrowError::IoError(msg, io) => PluginError::from_io_error(io, msg),
            other => PluginError::new(ErrorKind::InvalidArgument, other.to_string()),
        }
    }
}

/// Shorthand constructors.
impl PluginError {
    /// `InvalidArgument` error.
    pub fn invalid(message: impl Into<String>) -> PluginError {
        PluginError::new(ErrorKind::InvalidArgument, message)
    }
    /// `Unsupported` error.
    pub fn unsupported(message: impl Into<String>) -> PluginError {
        PluginError::new(ErrorKind::Unsupported, message)
    }
    /// `NotFound` error.
    pub fn not_found(message: impl Into<String>) -> PluginError {
        PluginError::new(ErrorKind::NotFound, message)
    }
    /// `Unexpected` error.
    pub fn unexpected(message: impl Into<String>) -> PluginError {
        PluginError::new(ErrorKind::Unexpected, message)
    }
}
