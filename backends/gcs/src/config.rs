//! Settings of a GCS bucket, built from the engine's resolved [`Options`].
//!
//! Option keys are dlt's credential field names (`[destination.filesystem.credentials]`) plus the
//! gcsfs constructor arguments dlt passes as `kwargs` (flattened to `kwargs.<name>`):
//!
//! | key | meaning |
//! |---|---|
//! | `client_email`, `private_key`, `private_key_id`, `project_id`, `token_uri` | service account |
//! | `client_id`, `client_secret`, `refresh_token` (+ `token_uri`) | OAuth user credentials |
//! | `token` | a ready OAuth access token (dlt's `GcpOAuthCredentials.token`), used as is |
//! | `credentials_file` | path of a service-account or `authorized_user` JSON file |
//! | `kwargs.token` | gcsfs `token=`: `anon`, `google_default`, a JSON file path, or a JSON object |
//! | `endpoint_url`, `kwargs.endpoint_url` | storage endpoint (emulators, private endpoints) |
//! | `kwargs.project` | the project (same as `project_id`) |
//! | `kwargs.requests_timeout` | seconds one request may take (default 120) |
//! | `kwargs.block_size` | resumable-upload chunk in bytes, a multiple of 256 KiB (default 8 MiB) |
//! | `type`, `auth_uri`, `scopes`, `client_type` | accepted for dlt compatibility, not needed |
//!
//! With no credentials at all, Application Default Credentials are used. Any other key is
//! rejected with an error naming it.

use std::path::PathBuf;
use std::time::Duration;

use stowage_plugin_sdk::{Options, PluginError, Result};

use crate::retry::RetryPolicy;
use crate::secret::{Redactor, Secret};

/// Name used in option errors.
const PLUGIN: &str = "gcs backend";
/// Resumable uploads move data in multiples of this (a GCS rule).
pub const CHUNK_GRANULARITY: usize = 256 << 10;
/// Default resumable-upload chunk, and the largest object sent in a single request.
pub const DEFAULT_CHUNK_BYTES: usize = 8 << 20;
/// Largest accepted chunk (memory per open writer is about one chunk).
const MAX_CHUNK_BYTES: usize = 256 << 20;
/// Keys accepted for dlt compatibility that the backend does not need.
const IGNORED_KEYS: &[&str] = &["auth_uri", "scopes", "client_type"];

/// How requests are authenticated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credentials {
    /// A service-account key given field by field.
    ServiceAccount(ServiceAccountKey),
    /// OAuth user credentials (refresh-token flow).
    AuthorizedUser(UserCredentials),
    /// A ready access token, sent as is.
    AccessToken(Secret),
    /// A service-account or `authorized_user` JSON file.
    File(PathBuf),
    /// The contents of such a JSON file (gcsfs `token=` given as a dict).
    Json(Secret),
    /// No `Authorization` header at all (public buckets, emulators).
    Anonymous,
    /// `GOOGLE_APPLICATION_CREDENTIALS`, the gcloud ADC file, then the metadata server.
    ApplicationDefault,
}

/// Service-account fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceAccountKey {
    /// `client_email`.
    pub client_email: String,
    /// `private_key` (PEM).
    pub private_key: Secret,
    /// `private_key_id`, if given.
    pub private_key_id: Option<String>,
    /// `token_uri`; Google's token endpoint when absent.
    pub token_uri: Option<String>,
}

/// OAuth user-credential fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserCredentials {
    /// `client_id`.
    pub client_id: String,
    /// `client_secret`.
    pub client_secret: Secret,
    /// `refresh_token`.
    pub refresh_token: Secret,
    /// `token_uri`; Google's token endpoint when absent.
    pub token_uri: Option<String>,
}

/// Everything needed to open a bucket, besides its URL.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct GcsConfig {
    /// Authentication.
    pub credentials: Credentials,
    /// `project_id` / `kwargs.project` (informational: object operations need no project).
    pub project_id: Option<String>,
    /// Storage endpoint without a trailing `/`; Google's when `None`.
    pub endpoint: Option<String>,
    /// Longest time one request (one attempt) may take before it is retried.
    pub requests_timeout: Duration,
    /// Longest time to establish a connection.
    pub connect_timeout: Duration,
    /// Longest pause while a response body streams in.
    pub read_idle_timeout: Duration,
    /// Resumable-upload chunk; objects up to this size go in one simple upload.
    pub chunk_bytes: usize,
    /// Objects per listing page.
    pub list_page_size: u32,
    /// Retries of every request.
    pub retry: RetryPolicy,
}

impl GcsConfig {
    /// Defaults with the given credentials.
    pub fn new(credentials: Credentials) -> GcsConfig {
        GcsConfig {
            credentials,
            project_id: None,
            endpoint: None,
            requests_timeout: Duration::from_secs(120),
            connect_timeout: Duration::from_secs(10),
            read_idle_timeout: Duration::from_secs(60),
            chunk_bytes: DEFAULT_CHUNK_BYTES,
            list_page_size: 1000,
            retry: RetryPolicy::default(),
        }
    }

    /// Takes the known keys from `options` and rejects the rest.
    pub fn from_options(mut options: Options) -> Result<GcsConfig> {
        let credentials = take_credentials(&mut options)?;
        let mut config = GcsConfig::new(credentials);
        config.project_id = take_same(&mut options, "project_id", "kwargs.project")?;
        config.endpoint = take_same(&mut options, "endpoint_url", "kwargs.endpoint_url")?
            .map(|e| normalize_endpoint(&e))
            .transpose()?;
        if let Some(secs) = take_nonempty(&mut options, "kwargs.requests_timeout") {
            config.requests_timeout = parse_seconds("kwargs.requests_timeout", &secs)?;
        }
        if let Some(size) = take_nonempty(&mut options, "kwargs.block_size") {
            config.chunk_bytes = parse_chunk_bytes(&size)?;
        }
        options.accept(IGNORED_KEYS);
        options.finish(PLUGIN)?;
        Ok(config)
    }

    /// A redactor that knows every secret value of these credentials.
    pub fn redactor(&self) -> Redactor {
        let mut redactor = Redactor::default();
        match &self.credentials {
            Credentials::ServiceAccount(key) => redactor.add(&key.private_key),
            Credentials::AuthorizedUser(user) => {
                redactor.add(&user.client_secret);
                redactor.add(&user.refresh_token);
            }
            Credentials::AccessToken(token) => redactor.add(token),
            Credentials::Json(json) => redactor.add(json),
            Credentials::File(_) | Credentials::Anonymous | Credentials::ApplicationDefault => {}
        }
        redactor
    }
}

/// An option's value, with empty values counting as absent.
fn take_nonempty(options: &mut Options, key: &str) -> Option<String> {
    options.take(key).filter(|v| !v.trim().is_empty())
}

/// One setting that may be given under either of two keys (they must agree).
fn take_same(options: &mut Options, key: &str, alias: &str) -> Result<Option<String>> {
    match (take_nonempty(options, key), take_nonempty(options, alias)) {
        (Some(a), Some(b)) if a != b => Err(PluginError::invalid(format!(
            "options `{key}` and `{alias}` disagree: give one of them"
        ))),
        (a, b) => Ok(a.or(b)),
    }
}

/// Picks the one credential source given; with none, Application Default Credentials.
fn take_credentials(options: &mut Options) -> Result<Credentials> {
    let token_uri = take_nonempty(options, "token_uri")
        .map(|uri| validate_http_url("token_uri", &uri))
        .transpose()?;
    let declared_type = take_nonempty(options, "type");
    let mut found: Vec<(&str, Credentials)> = Vec::new();
    if let Some(key) = take_service_account(options, token_uri.clone())? {
        check_type(declared_type.as_deref(), "service_account")?;
        found.push(("service-account fields", Credentials::ServiceAccount(key)));
    }
    let access_token = take_nonempty(options, "token").map(Secret::new);
    if let Some(user) = take_user(options, token_uri)? {
        check_type(declared_type.as_deref(), "authorized_user")?;
        found.push(("OAuth user fields", Credentials::AuthorizedUser(user)));
    } else if let Some(token) = access_token {
        found.push(("`token`", Credentials::AccessToken(token)));
    }
    if let Some(path) = take_nonempty(options, "credentials_file") {
        found.push(("`credentials_file`", Credentials::File(PathBuf::from(path))));
    }
    if let Some(value) = take_nonempty(options, "kwargs.token") {
        found.push(("`kwargs.token`", parse_gcsfs_token(&value)?));
    }
    match found.len() {
        0 => Ok(Credentials::ApplicationDefault),
        1 => Ok(found.remove(0).1),
        _ => {
            let names: Vec<&str> = found.iter().map(|(name, _)| *name).collect();
            Err(PluginError::invalid(format!(
                "conflicting GCS credentials: {}; give only one kind",
                names.join(" and ")
            )))
        }
    }
}

/// `type` must match the kind of fields given (dlt copies it from the key file).
fn check_type(declared: Option<&str>, expected: &str) -> Result<()> {
    match declared {
        Some(t) if t != expected => Err(PluginError::invalid(format!(
            "option `type` is `{t}` but the fields given are for `{expected}`"
        ))),
        _ => Ok(()),
    }
}

/// Service-account fields, if any is given (then `client_email` and `private_key` are required).
fn take_service_account(
    options: &mut Options,
    token_uri: Option<String>,
) -> Result<Option<ServiceAccountKey>> {
    let client_email = take_nonempty(options, "client_email");
    let private_key = take_nonempty(options, "private_key");
    let private_key_id = take_nonempty(options, "private_key_id");
    if client_email.is_none() && private_key.is_none() && private_key_id.is_none() {
        return Ok(None);
    }
    let client_email = client_email.ok_or_else(|| missing("client_email", "service account"))?;
    let private_key = private_key.ok_or_else(|| missing("private_key", "service account"))?;
    Ok(Some(ServiceAccountKey {
        client_email,
        private_key: Secret::new(normalize_pem(&private_key)),
        private_key_id,
        token_uri,
    }))
}

/// OAuth user fields, if any is given (then all three are required).
fn take_user(options: &mut Options, token_uri: Option<String>) -> Result<Option<UserCredentials>> {
    let client_id = take_nonempty(options, "client_id");
    let client_secret = take_nonempty(options, "client_secret");
    let refresh_token = take_nonempty(options, "refresh_token");
    if client_id.is_none() && client_secret.is_none() && refresh_token.is_none() {
        return Ok(None);
    }
    let what = "OAuth user credentials";
    Ok(Some(UserCredentials {
        client_id: client_id.ok_or_else(|| missing("client_id", what))?,
        client_secret: Secret::new(client_secret.ok_or_else(|| missing("client_secret", what))?),
        refresh_token: Secret::new(refresh_token.ok_or_else(|| missing("refresh_token", what))?),
        token_uri,
    }))
}

fn missing(key: &str, what: &str) -> PluginError {
    PluginError::invalid(format!("option `{key}` is required for {what}"))
}

/// A PEM key pasted into one line with literal `\n` sequences gets its newlines back.
fn normalize_pem(key: &str) -> String {
    if key.contains('\n') {
        key.to_string()
    } else {
        key.replace("\\n", "\n")
    }
}

/// gcsfs `token=` values: `anon`, `google_default`, a JSON object, or a file path.
fn parse_gcsfs_token(value: &str) -> Result<Credentials> {
    let value = value.trim();
    match value {
        "anon" => Ok(Credentials::Anonymous),
        "google_default" => Ok(Credentials::ApplicationDefault),
        "cloud" | "cache" | "browser" => Err(PluginError::unsupported(format!(
            "`kwargs.token = \"{value}\"` is not supported; use `google_default` (which includes \
             the metadata server), a credentials file, or credential fields"
        ))),
        json if json.starts_with('{') => Ok(Credentials::Json(Secret::new(json))),
        path => Ok(Credentials::File(PathBuf::from(path))),
    }
}

/// `http(s)://host[:port][/path]` without a trailing `/`; a bare `host:port` (the
/// `STORAGE_EMULATOR_HOST` style) means plain http.
fn normalize_endpoint(endpoint: &str) -> Result<String> {
    let endpoint = endpoint.trim().trim_end_matches('/');
    let with_scheme = if endpoint.contains("://") {
        endpoint.to_string()
    } else {
        format!("http://{endpoint}")
    };
    validate_http_url("endpoint_url", &with_scheme)
}

fn validate_http_url(key: &str, url: &str) -> Result<String> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"));
    match rest {
        Some(host) if !host.is_empty() && !host.starts_with('/') => Ok(url.to_string()),
        _ => Err(PluginError::invalid(format!(
            "option `{key}` must be an http:// or https:// URL, got `{url}`"
        ))),
    }
}

fn parse_seconds(key: &str, value: &str) -> Result<Duration> {
    value
        .trim()
        .parse::<f64>()
        .ok()
        .filter(|s| s.is_finite() && *s > 0.0)
        .map(Duration::from_secs_f64)
        .ok_or_else(|| {
            PluginError::invalid(format!(
                "option `{key}` must be a positive number of seconds, got `{value}`"
            ))
        })
}

fn parse_chunk_bytes(value: &str) -> Result<usize> {
    let bytes: usize = value.trim().parse().map_err(|_| {
        PluginError::invalid(format!(
            "option `kwargs.block_size` must be a whole number of bytes, got `{value}`"
        ))
    })?;
    if bytes == 0 || !bytes.is_multiple_of(CHUNK_GRANULARITY) || bytes > MAX_CHUNK_BYTES {
        return Err(PluginError::invalid(format!(
            "option `kwargs.block_size` must be a multiple of {CHUNK_GRANULARITY} bytes \
             (256 KiB) up to {MAX_CHUNK_BYTES}, got {bytes}"
        )));
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests;
