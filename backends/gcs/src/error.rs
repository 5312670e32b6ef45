//! Maps gcloud-storage, gcloud-auth and reqwest errors to [`PluginError`]s: a kind a user can act
//! on and the retry flag (408/429/5xx, network failures and timeouts are retryable).
//!
//! URLs are stripped from HTTP-client errors (a resumable session URL is a bearer capability),
//! and auth errors pass through the [`Redactor`], so no secret reaches a message.

use std::error::Error as StdError;

use gcloud_storage::client::google_cloud_auth::error::Error as AuthError;
use gcloud_storage::http::Error as StorageError;
use stowage_plugin_sdk::{ErrorKind, PluginError};

use crate::secret::Redactor;

/// An error of a storage request.
pub fn from_storage(err: StorageError, redactor: &Redactor) -> PluginError {
    match err {
        StorageError::Response(resp) => from_status(resp.code, &resp.message),
        StorageError::HttpClient(e) => from_reqwest(e),
        StorageError::RawResponse(e, detail) => match e.status() {
            Some(status) => from_status(status.as_u16(), &detail),
            None => from_reqwest(e),
        },
        StorageError::TokenSource(inner) => from_token_source(inner.as_ref(), redactor),
        StorageError::HttpMiddleware(e) => PluginError::unexpected(format!("HTTP middleware: {e}")),
        StorageError::InvalidRangeHeader(range) => PluginError::unexpected(format!(
            "GCS answered a resumable upload with an invalid Range header `{range}`"
        )),
    }
}

/// An error answer with HTTP status `code`.
pub fn from_status(code: u16, message: &str) -> PluginError {
    let kind = match code {
        404 => ErrorKind::NotFound,
        401 | 403 => ErrorKind::PermissionDenied,
        400 | 411 | 416 => ErrorKind::InvalidArgument,
        408 => ErrorKind::Timeout,
        429 | 500..=599 => ErrorKind::Io,
        _ => ErrorKind::Unexpected,
    };
    let message = message.trim();
    let text = if message.is_empty() {
        format!("GCS answered HTTP {code}")
    } else {
        format!("GCS answered HTTP {code}: {message}")
    };
    PluginError::new(kind, text).with_retryable(is_retryable_status(code))
}

/// Statuses worth retrying (GCS retry strategy).
pub fn is_retryable_status(code: u16) -> bool {
    matches!(code, 408 | 429 | 500..=599)
}

/// An HTTP-client error (connection, timeout, body), without its URL.
pub fn from_reqwest(err: reqwest::Error) -> PluginError {
    let (kind, retryable) = reqwest_kind(&err);
    let text = match err.status() {
        Some(status) => format!("GCS answered HTTP {}", status.as_u16()),
        None => chain(&err.without_url()),
    };
    PluginError::new(kind, text).with_retryable(retryable)
}

/// The kind and retry flag of an HTTP-client error.
fn reqwest_kind(err: &reqwest::Error) -> (ErrorKind, bool) {
    if let Some(status) = err.status() {
        let mapped = from_status(status.as_u16(), "");
        (mapped.kind(), mapped.is_retryable())
    } else if err.is_timeout() {
        (ErrorKind::Timeout, true)
    } else if err.is_connect() || err.is_request() || err.is_body() || err.is_decode() {
        (ErrorKind::Io, true)
    } else {
        (ErrorKind::Unexpected, false)
    }
}

/// A failure to get an access token, as reported through the storage client.
fn from_token_source(
    inner: &(dyn StdError + Send + Sync + 'static),
    redactor: &Redactor,
) -> PluginError {
    if let Some(err) = inner.downcast_ref::<PluginError>() {
        return err.clone().while_doing("getting a GCS access token");
    }
    match inner.downcast_ref::<AuthError>() {
        Some(auth) => auth_error_kind(auth, redactor),
        None => PluginError::new(ErrorKind::PermissionDenied, redactor.scrub(&chain(inner))),
    }
    .while_doing("getting a GCS access token")
}

/// An error of the auth library (opening credentials, fetching a token).
pub fn from_auth(err: AuthError, redactor: &Redactor) -> PluginError {
    auth_error_kind(&err, redactor)
}

fn auth_error_kind(err: &AuthError, redactor: &Redactor) -> PluginError {
    let text = redactor.scrub(&chain(err));
    match err {
        AuthError::HttpError(e) => {
            let (kind, retryable) = reqwest_kind(e);
            PluginError::new(kind, redactor.scrub(&without_url(e))).with_retryable(retryable)
        }
        AuthError::TokenErrorResponse { status, .. } => {
            let retryable = is_retryable_status(*status);
            let kind = if retryable {
                ErrorKind::Io
            } else {
                ErrorKind::PermissionDenied
            };
            PluginError::new(kind, text).with_retryable(retryable)
        }
        AuthError::JwtError(_) => PluginError::invalid(format!(
            "the service account's `private_key` is not a usable RSA key in PEM form ({text})"
        )),
        AuthError::JsonError(_) => {
            PluginError::invalid(format!("the credentials JSON is invalid ({text})"))
        }
        AuthError::CredentialsIOError(_)
        | AuthError::NoHomeDirectoryFound
        | AuthError::VarError(_) => PluginError::new(
            ErrorKind::PermissionDenied,
            format!(
                "no GCS credentials given and none found by Application Default Credentials \
                     (GOOGLE_APPLICATION_CREDENTIALS, the gcloud ADC file, the metadata server): {text}"
            ),
        ),
        _ => PluginError::new(ErrorKind::PermissionDenied, text),
    }
}

/// A copy of a reqwest error's description without its URL (the error itself is borrowed).
fn without_url(err: &reqwest::Error) -> String {
    let text = chain(err);
    match err.url() {
        Some(url) => text.replace(url.as_str(), "<url>"),
        None => text,
    }
}

/// An error and its sources, `outer: inner: innermost`, without repeats.
pub fn chain(err: &(dyn StdError + 'static)) -> String {
    let mut parts: Vec<String> = vec![err.to_string()];
    let mut source = err.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        source = s.source();
    }
    parts.join(": ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_map_to_kinds_and_retry_flags() {
        let cases = [
            (404, ErrorKind::NotFound, false),
            (403, ErrorKind::PermissionDenied, false),
            (401, ErrorKind::PermissionDenied, false),
            (400, ErrorKind::InvalidArgument, false),
            (412, ErrorKind::Unexpected, false),
            (408, ErrorKind::Timeout, true),
            (429, ErrorKind::Io, true),
            (500, ErrorKind::Io, true),
            (503, ErrorKind::Io, true),
        ];
        for (code, kind, retryable) in cases {
            let e = from_status(code, "why");
            assert_eq!((e.kind(), e.is_retryable()), (kind, retryable), "{code}");
            assert_eq!(e.message(), format!("GCS answered HTTP {code}: why"));
        }
    }

    #[test]
    fn token_endpoint_errors_are_scrubbed() {
        let mut redactor = Redactor::default();
        redactor.add(&crate::secret::Secret::new("my-refresh-token-xyz"));
        let err = AuthError::TokenErrorResponse {
            status: 400,
            error: "invalid_grant".into(),
            error_description: "bad token my-refresh-token-xyz".into(),
        };
        let e = from_auth(err, &redactor);
        assert_eq!(e.kind(), ErrorKind::PermissionDenied);
        assert!(!e.is_retryable());
        assert!(!e.to_string().contains("my-refresh-token-xyz"), "{e}");
        let e = from_auth(
            AuthError::TokenErrorResponse {
                status: 503,
                error: "unavailable".into(),
                error_description: String::new(),
            },
            &redactor,
        );
        assert!(e.is_retryable());
    }
}
