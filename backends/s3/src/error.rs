//! Turns AWS SDK errors into [`PluginError`]s a user can act on: the kind, whether a retry may
//! help, the bucket, and the setting to fix. Secrets never appear: the SDK's errors do not carry
//! them, and the hints name settings, not values.
//!
//! | failure | kind | retryable | hint |
//! |---|---|---|---|
//! | 404 / `NoSuchKey` | NotFound | no | – |
//! | `NoSuchBucket` | InvalidArgument | no | `bucket_url`, `endpoint_url`, `region_name` |
//! | 403, `SignatureDoesNotMatch`, `InvalidAccessKeyId`, expired token … | PermissionDenied | no | the credential settings in use |
//! | 301 / wrong region | InvalidArgument | no | `region_name` (with the bucket's region when the server says) |
//! | 429, 5xx, `SlowDown`, throttling, `RequestTimeout` | Io | yes | – (already retried with backoff by the SDK) |
//! | connection refused / reset, DNS | Io | yes | `endpoint_url`, `kwargs.use_ssl` |
//! | TLS certificate rejected | InvalidArgument | no | `client_kwargs.verify` |
//! | timeout | Timeout | yes | – |

use aws_sdk_s3::config::http::HttpResponse;
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use stowage_plugin_sdk::{ErrorKind, PluginError};

use crate::config::{CredentialSource, S3Config};

/// Error codes meaning "slow down" (retryable).
const THROTTLING_CODES: &[&str] = &[
    "SlowDown",
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestThrottled",
    "RequestThrottledException",
    "TooManyRequestsException",
    "RequestLimitExceeded",
    "ProvisionedThroughputExceededException",
    "BandwidthLimitExceeded",
    "ServiceUnavailable",
    "RequestTimeout",
    "InternalError",
];

/// Error codes of rejected credentials.
const AUTH_CODES: &[&str] = &[
    "AccessDenied",
    "SignatureDoesNotMatch",
    "InvalidAccessKeyId",
    "NotSignedUp",
    "InvalidToken",
    "ExpiredToken",
    "TokenRefreshRequired",
    "AllAccessDisabled",
    "AccountProblem",
    "InvalidSecurity",
    "InvalidClientTokenId",
];

/// Error codes of a request sent to the wrong region.
const REGION_CODES: &[&str] = &[
    "PermanentRedirect",
    "AuthorizationHeaderMalformed",
    "IllegalLocationConstraintException",
    "TemporaryRedirect",
];

/// What errors of one bucket are about: names for messages, never secrets.
#[derive(Debug, Clone)]
pub struct ErrorTarget {
    bucket: String,
    endpoint: String,
    credentials: String,
}

/// The parts of a server's error response that matter.
#[derive(Debug, Default)]
struct Response<'a> {
    status: Option<u16>,
    code: Option<&'a str>,
    message: Option<&'a str>,
    bucket_region: Option<&'a str>,
}

impl ErrorTarget {
    /// Names for errors of `bucket` as configured by `config`, talking to `region`.
    pub fn new(bucket: &str, config: &S3Config, region: &str) -> ErrorTarget {
        let endpoint = match &config.endpoint_url {
            Some(url) => url.clone(),
            None => format!("AWS S3 in region {region}"),
        };
        ErrorTarget {
            bucket: bucket.to_string(),
            endpoint,
            credentials: credentials_hint(config),
        }
    }

    /// The bucket name.
    pub fn bucket(&self) -> &str {
        &self.bucket
    }

    /// Maps an SDK error of operation `op` (e.g. "reading") on `key`.
    pub fn map<E>(&self, err: SdkError<E, HttpResponse>, op: &str, key: Option<&str>) -> PluginError
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        let error = match &err {
            SdkError::ServiceError(_) | SdkError::ResponseError(_) => {
                let raw = err.raw_response();
                let response = Response {
                    status: raw.map(|r| r.status().as_u16()),
                    code: err.code(),
                    message: err.message(),
                    bucket_region: raw.and_then(|r| r.headers().get("x-amz-bucket-region")),
                };
                self.classify_response(&response, op)
            }
            SdkError::TimeoutError(_) => PluginError::new(
                ErrorKind::Timeout,
                format!("{op}: timed out talking to {}", self.endpoint),
            ),
            SdkError::DispatchFailure(failure) => {
                let chain = error_chain(&err);
                self.classify_dispatch(&chain, failure.is_io(), failure.is_timeout(), op)
            }
            _ => self.classify_other(&error_chain(&err), op),
        };
        self.with_context(error, key)
    }

    /// Adds the bucket, key and endpoint as context.
    pub fn with_context(&self, error: PluginError, key: Option<&str>) -> PluginError {
        let error = error.with_context("bucket", &self.bucket);
        let error = match key {
            Some(key) => error.with_context("key", key),
            None => error,
        };
        error.with_context("endpoint", &self.endpoint)
    }

    fn classify_response(&self, r: &Response<'_>, op: &str) -> PluginError {
        let status = r.status.unwrap_or(0);
        let code = r.code.unwrap_or("");
        let detail = describe_response(r);
        if code == "NoSuchBucket" {
            return PluginError::invalid(format!(
                "{op}: bucket `{}` does not exist at {} ({detail}): check bucket_url, and \
                 endpoint_url / region_name",
                self.bucket, self.endpoint
            ));
        }
        if status == 404 || code == "NoSuchKey" || code == "NotFound" {
            return PluginError::not_found(format!("{op}: no such object ({detail})"));
        }
        if REGION_CODES.contains(&code) || status == 301 {
            return self.wrong_region(r, op, &detail);
        }
        if status == 403 || AUTH_CODES.contains(&code) {
            return self.denied(code, op, &detail);
        }
        if status == 429 || status >= 500 || THROTTLING_CODES.contains(&code) {
            return PluginError::new(
                ErrorKind::Io,
                format!(
                    "{op}: {} is busy or failing ({detail}), still after retries with backoff",
                    self.endpoint
                ),
            );
        }
        PluginError::unexpected(format!("{op}: the server refused the request ({detail})"))
    }

    fn wrong_region(&self, r: &Response<'_>, op: &str, detail: &str) -> PluginError {
        let region = match r.bucket_region {
            Some(region) => format!("bucket `{}` is in region `{region}`", self.bucket),
            None => format!("bucket `{}` is in another region", self.bucket),
        };
        PluginError::invalid(format!(
            "{op}: {region} ({detail}): set region_name to the bucket's region"
        ))
    }

    fn denied(&self, code: &str, op: &str, detail: &str) -> PluginError {
        let what = match code {
            "SignatureDoesNotMatch" => "the secret key does not match the access key".to_string(),
            "InvalidAccessKeyId" | "NotSignedUp" | "InvalidClientTokenId" => {
                "the server does not know the access key".to_string()
            }
            "ExpiredToken" | "InvalidToken" | "TokenRefreshRequired" => {
                "the session token is invalid or expired".to_string()
            }
            _ => format!("access to bucket `{}` was denied", self.bucket),
        };
        PluginError::new(
            ErrorKind::PermissionDenied,
            format!(
                "{op}: {what} ({detail}): check {}, and the bucket's permissions",
                self.credentials
            ),
        )
    }

    fn classify_dispatch(&self, chain: &str, io: bool, timeout: bool, op: &str) -> PluginError {
        if crate::retry::is_certificate_error(chain) {
            return PluginError::invalid(format!(
                "{op}: the TLS certificate of {} was rejected ({chain}): set \
                 client_kwargs.verify to the path of the server's CA bundle (or false), or \
                 check endpoint_url",
                self.endpoint
            ));
        }
        if timeout {
            return PluginError::new(
                ErrorKind::Timeout,
                format!("{op}: timed out connecting to {} ({chain})", self.endpoint),
            );
        }
        let kind = if io {
            ErrorKind::Io
        } else {
            ErrorKind::Unexpected
        };
        PluginError::new(
            kind,
            format!(
                "{op}: cannot reach {} for bucket `{}` ({chain}): check endpoint_url (and \
                 kwargs.use_ssl) and that the server is running",
                self.endpoint, self.bucket
            ),
        )
        .with_retryable(true)
    }

    fn classify_other(&self, chain: &str, op: &str) -> PluginError {
        if chain.to_ascii_lowercase().contains("credential") {
            return PluginError::new(
                ErrorKind::PermissionDenied,
                format!(
                    "{op}: no usable AWS credentials ({chain}): check {}",
                    self.credentials
                ),
            );
        }
        PluginError::unexpected(format!("{op}: {chain}"))
    }
}

/// The messages of `err` and its sources, joined with `: ` (a level whose text the previous one
/// already shows is left out).
pub fn error_chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut next = Some(err);
    while let Some(e) = next {
        let text = e.to_string();
        if !parts.last().is_some_and(|last| last.contains(&text)) {
            parts.push(text);
        }
        next = e.source();
    }
    parts.join(": ")
}

/// `HTTP 403 SignatureDoesNotMatch: The request signature …`.
fn describe_response(r: &Response<'_>) -> String {
    let mut text = match r.status {
        Some(status) => format!("HTTP {status}"),
        None => "no HTTP status".to_string(),
    };
    if let Some(code) = r.code {
        text.push(' ');
        text.push_str(code);
    }
    if let Some(message) = r.message.filter(|m| !m.is_empty()) {
        text.push_str(": ");
        text.push_str(message);
    }
    text
}

/// The settings that supply credentials in this configuration (names only).
fn credentials_hint(config: &S3Config) -> String {
    match &config.credentials {
        CredentialSource::Static {
            session_token: Some(_),
            ..
        } => "aws_access_key_id, aws_secret_access_key and aws_session_token".into(),
        CredentialSource::Static { .. } => "aws_access_key_id and aws_secret_access_key".into(),
        CredentialSource::Anonymous => {
            "kwargs.anon (requests are unsigned; set credentials for a private bucket)".into()
        }
        CredentialSource::DefaultChain => match &config.profile_name {
            Some(profile) => format!(
                "profile_name `{profile}` (its credentials in ~/.aws/credentials or \
                 ~/.aws/config)"
            ),
            None => "aws_access_key_id and aws_secret_access_key, or profile_name (none is \
                     set: the default AWS credential chain was used)"
                .into(),
        },
    }
}

#[cfg(test)]
mod tests;
