//! Turning client-library errors into [`PluginError`]s a user can act on: the HTTP status and
//! Azure error code (`403 AuthenticationFailed: …`) instead of a raw response body, a hint for
//! authorization failures, the retry flag for throttling, 5xx and network failures, and every
//! text scrubbed of secrets.

use std::error::Error as StdError;

use object_store::client::{HttpError, HttpErrorKind};
use stowage_plugin_sdk::{ErrorKind, PluginError};

use crate::config::Credential;
use crate::default_chain::NoCredentialError;
use crate::redact::Redactor;

/// What an operation was about, for error messages and context.
#[derive(Debug, Clone)]
pub struct ErrorContext {
    /// `az://container/root`, for context.
    pub bucket: String,
    /// Account, for messages.
    pub account: String,
    /// Container, for messages.
    pub container: String,
    /// Secrets to scrub.
    pub redactor: Redactor,
    /// What to check when Azure refuses a request (depends on the credential form).
    pub auth_hint: &'static str,
}

/// What to check when Azure refuses a request, by credential form.
pub fn auth_hint(credential: &Credential) -> &'static str {
    match credential {
        Credential::AccountKey(_) => {
            "check azure_storage_account_key and azure_storage_account_name"
        }
        Credential::SasToken(_) => {
            "check that azure_storage_sas_token is valid, not expired, and grants this operation"
        }
        Credential::ServicePrincipal { .. } => {
            "check the service principal and its role on the container (e.g. Storage Blob Data \
             Contributor)"
        }
        Credential::Anonymous => "the container does not allow anonymous access",
        Credential::DefaultChain => {
            "check the identity found by the default credential chain and its role on the \
             container (e.g. Storage Blob Data Contributor)"
        }
    }
}

impl ErrorContext {
    /// Maps `err` from `what` (e.g. "uploading") on `key`.
    pub fn map(&self, err: &object_store::Error, what: &str, key: &str) -> PluginError {
        let (kind, detail) = self.classify(err);
        PluginError::new(kind, format!("{what}: {detail}"))
            .with_retryable(kind.retryable_by_default())
            .with_context("bucket", &self.bucket)
            .with_context("key", key)
    }

    /// The kind and the (scrubbed) description of `err`.
    fn classify(&self, err: &object_store::Error) -> (ErrorKind, String) {
        use object_store::Error as E;
        if let Some(text) = no_credential_text(err) {
            return (ErrorKind::PermissionDenied, self.redactor.scrub(&text));
        }
        let text = self.redactor.scrub(&full_text(err));
        let status = http_status(&text);
        let summary = summary(status, &text);
        let kind = match (err, status) {
            _ if summary.contains("ContainerNotFound") => {
                let message = format!(
                    "container `{}` does not exist in storage account `{}` ({summary})",
                    self.container, self.account
                );
                return (ErrorKind::NotFound, message);
            }
            (E::NotFound { .. }, _) => return (ErrorKind::NotFound, "not found".into()),
            (E::PermissionDenied { .. } | E::Unauthenticated { .. }, _) | (_, Some(401 | 403)) => {
                let message = format!("Azure refused the request ({summary}); {}", self.auth_hint);
                return (ErrorKind::PermissionDenied, message);
            }
            (_, Some(404)) => ErrorKind::NotFound,
            (E::AlreadyExists { .. }, _) => ErrorKind::AlreadyExists,
            (E::NotImplemented { .. } | E::NotSupported { .. }, _) => ErrorKind::Unsupported,
            (E::InvalidPath { .. }, _) => ErrorKind::InvalidArgument,
            _ => transient_kind(err, status),
        };
        (kind, summary)
    }
}

/// The text of a [`NoCredentialError`] inside `err`, if any.
fn no_credential_text(err: &object_store::Error) -> Option<String> {
    find_source::<NoCredentialError>(err).map(ToString::to_string)
}

/// The error and all its sources, joined.
fn full_text(err: &object_store::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(inner) = source {
        let part = inner.to_string();
        if !text.contains(&part) {
            text.push_str(": ");
            text.push_str(&part);
        }
        source = inner.source();
    }
    text
}

/// The HTTP status in an error text (`… status code: 403 Forbidden …`).
pub fn http_status(text: &str) -> Option<u16> {
    let at = text.find("status code: ")? + "status code: ".len();
    text[at..].get(..3)?.parse().ok()
}

/// `HTTP 403 AuthenticationFailed: <first line of the message>`, or the whole text when the
/// response had no Azure error document.
pub fn summary(status: Option<u16>, text: &str) -> String {
    let code = between(text, "<Code>", "</Code>");
    let message = between(text, "<Message>", "</Message>")
        .map(|m| m.lines().next().unwrap_or_default().trim().to_string());
    match (status, code, message) {
        (Some(s), Some(code), Some(message)) => format!("HTTP {s} {code}: {message}"),
        (Some(s), Some(code), None) => format!("HTTP {s} {code}"),
        (Some(s), None, _) => format!("HTTP {s}: {}", short(text)),
        (None, _, _) => short(text),
    }
}

fn between<'a>(text: &'a str, open: &str, close: &str) -> Option<&'a str> {
    let start = text.find(open)? + open.len();
    let len = text[start..].find(close)?;
    Some(&text[start..start + len])
}

/// At most 400 characters of `text`.
fn short(text: &str) -> String {
    const LIMIT: usize = 400;
    match text.char_indices().nth(LIMIT) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_string(),
    }
}

/// Throttling, 5xx and transport failures are transient (the client already retried them).
fn transient_kind(err: &object_store::Error, status: Option<u16>) -> ErrorKind {
    if let Some(http) = find_source::<HttpError>(err) {
        return match http.kind() {
            HttpErrorKind::Timeout => ErrorKind::Timeout,
            HttpErrorKind::Connect | HttpErrorKind::Request | HttpErrorKind::Interrupted => {
                ErrorKind::Io
            }
            _ => ErrorKind::Unexpected,
        };
    }
    match status {
        Some(408 | 429 | 500..=599) => ErrorKind::Io,
        _ => ErrorKind::Unexpected,
    }
}

fn find_source<T: StdError + 'static>(err: &object_store::Error) -> Option<&T> {
    let mut current: Option<&(dyn StdError + 'static)> = Some(err);
    while let Some(e) = current {
        if let Some(found) = e.downcast_ref::<T>() {
            return Some(found);
        }
        current = e.source();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_and_azure_code_are_extracted() {
        let text = "Error performing PUT http://h/c/b in 2ms - Server returned non-2xx status \
                    code: 403 Forbidden: <?xml version=\"1.0\"?><Error><Code>AuthorizationFailure\
                    </Code><Message>Server failed to authenticate the request.\nRequestId:1\
                    </Message></Error>";
        assert_eq!(http_status(text), Some(403));
        assert_eq!(
            summary(http_status(text), text),
            "HTTP 403 AuthorizationFailure: Server failed to authenticate the request."
        );
        assert_eq!(
            summary(Some(403), "status code: 403 Forbidden: "),
            "HTTP 403: status code: 403 Forbidden: "
        );
        assert_eq!(http_status("connection refused"), None);
    }

    #[test]
    fn long_texts_are_cut() {
        let long = "x".repeat(1000);
        assert_eq!(summary(None, &long).chars().count(), 401);
    }

    #[test]
    fn not_found_and_generic_errors_map_to_kinds() {
        let ctx = ErrorContext {
            bucket: "az://c/r".into(),
            account: "a".into(),
            container: "c".into(),
            redactor: Redactor::new(["secret-value".to_string()]),
            auth_hint: auth_hint(&Credential::AccountKey(crate::config::Secret::new("k"))),
        };
        let nf = object_store::Error::NotFound {
            path: "r/k".into(),
            source: "status code: 404 Not Found: <Code>ContainerNotFound</Code>".into(),
        };
        let e = ctx.map(&nf, "uploading", "k");
        assert_eq!(e.kind(), ErrorKind::NotFound);
        assert!(
            e.to_string()
                .contains("container `c` does not exist in storage account `a`"),
            "{e}"
        );
        let generic = object_store::Error::Generic {
            store: "MicrosoftAzure",
            source: "Server returned non-2xx status code: 503 Service Unavailable: secret-value"
                .into(),
        };
        let e = ctx.map(&generic, "reading", "k");
        assert_eq!(e.kind(), ErrorKind::Io);
        assert!(e.is_retryable());
        assert!(!e.to_string().contains("secret-value"), "{e}");
        let denied = object_store::Error::PermissionDenied {
            path: "r/k".into(),
            source: "status code: 403 Forbidden".into(),
        };
        let e = ctx.map(&denied, "reading", "k");
        assert_eq!(e.kind(), ErrorKind::PermissionDenied);
        assert!(!e.is_retryable());
        assert!(
            e.to_string()
                .contains("Azure refused the request (HTTP 403"),
            "{e}"
        );
    }
}
