//! Direct Blob REST calls that `object_store` does not offer: Create/Delete Container, and a
//! single Delete Blob (its own deletes always go through Blob Batch, which some SAS tokens and
//! emulators refuse). Requests are signed with the bucket's own credential.

use std::sync::OnceLock;

use http::{Method, Request, StatusCode};
use object_store::azure::{AzureAuthorizer, MicrosoftAzure};
use object_store::client::{HttpClient, HttpConnector, HttpRequestBody, ReqwestConnector};
use stowage_plugin_sdk::{ErrorKind, PluginError, Result};

use crate::credentials::ClientSettings;
use crate::errors::ErrorContext;
use crate::runtime::block_on;

/// Sends signed requests to one container.
pub struct RestClient {
    settings: ClientSettings,
    http: OnceLock<HttpClient>,
}

impl std::fmt::Debug for RestClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RestClient")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl RestClient {
    /// A client for the container of `settings` (the HTTP client is made on first use).
    pub fn new(settings: ClientSettings) -> RestClient {
        RestClient {
            settings,
            http: OnceLock::new(),
        }
    }

    /// Endpoint, container and HTTP settings.
    pub fn settings(&self) -> &ClientSettings {
        &self.settings
    }

    fn http(&self) -> Result<&HttpClient> {
        if let Some(http) = self.http.get() {
            return Ok(http);
        }
        let http = ReqwestConnector::default()
            .connect(&self.settings.client_options)
            .map_err(|e| PluginError::unexpected(format!("cannot create the HTTP client: {e}")))?;
        Ok(self.http.get_or_init(|| http))
    }

    /// `method` on the container (`blob` = None, with `?restype=container`) or on a blob;
    /// returns the status and the `x-ms-error-code`.
    pub fn send(
        &self,
        store: &MicrosoftAzure,
        errors: &ErrorContext,
        method: Method,
        blob: Option<&str>,
        what: &str,
    ) -> Result<(StatusCode, String)> {
        let url = self.url_of(blob);
        let http = self.http()?;
        let key = blob.unwrap_or_default();
        block_on(async {
            let mut request = Request::builder()
                .method(method)
                .uri(url)
                .header("content-length", "0")
                .body(HttpRequestBody::empty())
                .map_err(|e| PluginError::unexpected(format!("{what}: {e}")))?;
            if !self.settings.anonymous {
                let credential = store
                    .credentials()
                    .get_credential()
                    .await
                    .map_err(|e| errors.map(&e, what, key))?;
                AzureAuthorizer::new(&credential, &self.settings.endpoint.account)
                    .try_authorize(&mut request)
                    .map_err(|e| PluginError::unexpected(format!("{what}: {e}")))?;
            }
            let response = http.execute(request).await.map_err(|e| {
                PluginError::new(
                    ErrorKind::Io,
                    errors.redactor.scrub(&format!("{what}: {e}")),
                )
                .with_context("bucket", &errors.bucket)
                .with_context("key", key)
            })?;
            let code = response
                .headers()
                .get("x-ms-error-code")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_string();
            Ok((response.status(), code))
        })?
    }

    fn url_of(&self, blob: Option<&str>) -> String {
        let base = format!(
            "{}/{}",
            self.settings.endpoint.account_url,
            encode_segment(&self.settings.container)
        );
        match blob {
            None => format!("{base}?restype=container"),
            Some(name) => {
                let segments: Vec<String> = name.split('/').map(encode_segment).collect();
                format!("{base}/{}", segments.join("/"))
            }
        }
    }
}

/// An error for an unexpected status of a direct call.
pub fn status_error(
    status: StatusCode,
    code: &str,
    what: &str,
    errors: &ErrorContext,
) -> PluginError {
    let kind = match status.as_u16() {
        401 | 403 => ErrorKind::PermissionDenied,
        404 => ErrorKind::NotFound,
        408 | 429 | 500..=599 => ErrorKind::Io,
        _ => ErrorKind::Unexpected,
    };
    let code = if code.is_empty() {
        String::new()
    } else {
        format!(" {code}")
    };
    let hint = if kind == ErrorKind::PermissionDenied {
        format!(
            "Azure refused the request (HTTP {}{code}); {}",
            status.as_u16(),
            errors.auth_hint
        )
    } else {
        format!("HTTP {}{code}", status.as_u16())
    };
    PluginError::new(kind, format!("{what}: {hint}")).with_context("bucket", &errors.bucket)
}

/// Percent-encodes everything but unreserved characters.
fn encode_segment(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
