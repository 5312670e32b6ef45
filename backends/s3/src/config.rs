//! Settings of one S3 bucket, built from the engine's resolved [`Options`].
//!
//! Keys are dlt's `AwsCredentials` fields, plus the fsspec/s3fs dict settings the engine
//! flattens to `kwargs.<key>` and `client_kwargs.<key>`:
//!
//! | option | meaning |
//! |---|---|
//! | `aws_access_key_id`, `aws_secret_access_key`, `aws_session_token` | static credentials (the first two together) |
//! | `profile_name` | a profile of `~/.aws/credentials` / `~/.aws/config` (SSO, assume-role, `credential_process`, …) |
//! | `region_name`, `client_kwargs.region_name` | the bucket's region (default: environment or profile, else `us-east-1`) |
//! | `endpoint_url`, `client_kwargs.endpoint_url`, `kwargs.endpoint_url` | an S3-compatible endpoint (MinIO, R2, …); path-style addressing |
//! | `kwargs.use_ssl`, `client_kwargs.use_ssl` | `false`: plain HTTP when the endpoint has no scheme or none is set |
//! | `client_kwargs.verify` | `false` (no certificate check) or the path of a PEM CA bundle |
//! | `kwargs.anon` | `true`: unsigned requests (public buckets) |
//! | `kwargs.default_block_size` | multipart part size in bytes (default 8 MiB, 5 MiB–5 GiB) |
//! | `kwargs.max_concurrency` | parts uploaded at once per object (default 4, 1–64) |
//! | `kwargs.use_listings_cache`, `kwargs.listings_expiry_time`, `kwargs.skip_instance_cache` | fsspec cache knobs: accepted and ignored |
//!
//! With nothing set, the default AWS chain applies (environment, profile files, SSO, web
//! identity, container and instance credentials). Empty values count as unset. Any other key is
//! an error naming it.

use std::path::PathBuf;

use stowage_plugin_sdk::{Options, PluginError, Result};

use crate::secret::Secret;

/// Default multipart part size.
pub const DEFAULT_PART_SIZE: u64 = 8 << 20;
/// Smallest part S3 accepts (every part but the last).
pub const MIN_PART_SIZE: u64 = 5 << 20;
/// Largest part S3 accepts.
pub const MAX_PART_SIZE: u64 = 5 << 30;
/// Default number of parts in flight per object.
pub const DEFAULT_CONCURRENCY: usize = 4;
/// Upper bound of `kwargs.max_concurrency`.
pub const MAX_CONCURRENCY: usize = 64;

/// fsspec options that tune caches Stowage does not have: accepted and ignored.
const IGNORED_FSSPEC_KEYS: &[&str] = &[
    "kwargs.use_listings_cache",
    "kwargs.listings_expiry_time",
    "kwargs.skip_instance_cache",
];

/// Where requests get their credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CredentialSource {
    /// `aws_access_key_id` + `aws_secret_access_key` (+ `aws_session_token`).
    Static {
        /// The access key id (not a secret; shown in errors).
        access_key_id: String,
        /// The secret access key.
        secret_access_key: Secret,
        /// The session token of temporary credentials.
        session_token: Option<Secret>,
    },
    /// `kwargs.anon`: unsigned requests.
    Anonymous,
    /// The default AWS chain (honouring `profile_name`).
    DefaultChain,
}

/// How server certificates are checked (`client_kwargs.verify`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TlsVerify {
    /// The system's trusted roots.
    System,
    /// The system's roots plus the certificates of this PEM bundle.
    CaBundle(PathBuf),
    /// No check at all (`verify=false`).
    Disabled,
}

/// How objects are uploaded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UploadSettings {
    /// Size of each multipart part (objects up to this size go up in one PUT).
    pub part_size: u64,
    /// Parts uploaded at once; memory per writer is at most `(max_concurrency + 1) × part_size`.
    pub max_concurrency: usize,
}

impl Default for UploadSettings {
    fn default() -> Self {
        UploadSettings {
            part_size: DEFAULT_PART_SIZE,
            max_concurrency: DEFAULT_CONCURRENCY,
        }
    }
}

/// Resolved settings of one bucket. `Debug` never shows a secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Config {
    /// Credentials.
    pub credentials: CredentialSource,
    /// `profile_name`.
    pub profile_name: Option<String>,
    /// `region_name`.
    pub region: Option<String>,
    /// The endpoint, with its scheme (`None`: AWS).
    pub endpoint_url: Option<String>,
    /// `use_ssl` (only matters when no endpoint scheme says otherwise).
    pub use_ssl: bool,
    /// Certificate checks.
    pub verify: TlsVerify,
    /// Multipart settings.
    pub upload: UploadSettings,
}

impl S3Config {
    /// Takes the known keys from `options` and rejects the rest.
    pub fn from_options(mut options: Options) -> Result<S3Config> {
        options.accept(IGNORED_FSSPEC_KEYS);
        let credentials = credential_source(&mut options)?;
        let profile_name = take_text(&mut options, "profile_name");
        let region = first_of(&mut options, &["region_name", "client_kwargs.region_name"]);
        let use_ssl = take_use_ssl(&mut options)?;
        let endpoint = first_of(
            &mut options,
            &[
                "endpoint_url",
                "client_kwargs.endpoint_url",
                "kwargs.endpoint_url",
            ],
        );
        let endpoint_url = endpoint
            .map(|e| normalize_endpoint(&e, use_ssl))
            .transpose()?;
        let verify = take_verify(&mut options);
        let upload = take_upload_settings(&mut options)?;
        options.finish("s3 backend")?;
        Ok(S3Config {
            credentials,
            profile_name,
            region,
            endpoint_url,
            use_ssl,
            verify,
            upload,
        })
    }
}

/// A trimmed, non-empty value.
fn take_text(options: &mut Options, key: &str) -> Option<String> {
    options
        .take(key)
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

/// The first of `keys` that is set (every key is marked known).
fn first_of(options: &mut Options, keys: &[&str]) -> Option<String> {
    let values: Vec<Option<String>> = keys.iter().map(|k| take_text(options, k)).collect();
    values.into_iter().flatten().next()
}

fn credential_source(options: &mut Options) -> Result<CredentialSource> {
    let key_id = take_text(options, "aws_access_key_id");
    let secret = options
        .take("aws_secret_access_key")
        .filter(|s| !s.is_empty());
    let token = options.take("aws_session_token").filter(|s| !s.is_empty());
    if options.take_bool("kwargs.anon")?.unwrap_or(false) {
        if key_id.is_some() || secret.is_some() || token.is_some() {
            return Err(PluginError::invalid(
                "kwargs.anon=true cannot be combined with aws_access_key_id, \
                 aws_secret_access_key or aws_session_token",
            ));
        }
        return Ok(CredentialSource::Anonymous);
    }
    match (key_id, secret) {
        (Some(access_key_id), Some(secret)) => Ok(CredentialSource::Static {
            access_key_id,
            secret_access_key: Secret::new(secret),
            session_token: token.map(Secret::new),
        }),
        (Some(_), None) => Err(PluginError::invalid(
            "aws_access_key_id is set but aws_secret_access_key is not: set both, or neither \
             to use profile_name or the default AWS credential chain",
        )),
        (None, Some(_)) => Err(PluginError::invalid(
            "aws_secret_access_key is set but aws_access_key_id is not: set both",
        )),
        (None, None) if token.is_some() => Err(PluginError::invalid(
            "aws_session_token is set without aws_access_key_id and aws_secret_access_key",
        )),
        (None, None) => Ok(CredentialSource::DefaultChain),
    }
}

/// `kwargs.use_ssl` / `client_kwargs.use_ssl` (default true; either one false wins).
fn take_use_ssl(options: &mut Options) -> Result<bool> {
    let a = options.take_bool("kwargs.use_ssl")?;
    let b = options.take_bool("client_kwargs.use_ssl")?;
    Ok(a.unwrap_or(true) && b.unwrap_or(true))
}

/// Adds a scheme from `use_ssl` when the endpoint has none; checks it is http(s).
fn normalize_endpoint(endpoint: &str, use_ssl: bool) -> Result<String> {
    let with_scheme = if endpoint.contains("://") {
        endpoint.to_string()
    } else {
        let scheme = if use_ssl { "https" } else { "http" };
        format!("{scheme}://{endpoint}")
    };
    let lower = with_scheme.to_ascii_lowercase();
    if !(lower.starts_with("http://") || lower.starts_with("https://")) {
        return Err(PluginError::invalid(format!(
            "endpoint_url `{endpoint}` must be an http:// or https:// URL"
        )));
    }
    Ok(with_scheme.trim_end_matches('/').to_string())
}

/// `client_kwargs.verify`: a boolean, or the path of a CA bundle.
fn take_verify(options: &mut Options) -> TlsVerify {
    match take_text(options, "client_kwargs.verify") {
        None => TlsVerify::System,
        Some(v) => match v.to_ascii_lowercase().as_str() {
            "false" | "0" | "no" | "off" => TlsVerify::Disabled,
            "true" | "1" | "yes" | "on" => TlsVerify::System,
            _ => TlsVerify::CaBundle(PathBuf::from(v)),
        },
    }
}

fn take_upload_settings(options: &mut Options) -> Result<UploadSettings> {
    let part_size = options
        .take_u64("kwargs.default_block_size")?
        .unwrap_or(DEFAULT_PART_SIZE);
    if !(MIN_PART_SIZE..=MAX_PART_SIZE).contains(&part_size) {
        return Err(PluginError::invalid(format!(
            "kwargs.default_block_size (the multipart part size) must be between {MIN_PART_SIZE} \
             (5 MiB) and {MAX_PART_SIZE} (5 GiB) bytes, got {part_size}"
        )));
    }
    let max_concurrency = options
        .take_u64("kwargs.max_concurrency")?
        .unwrap_or(DEFAULT_CONCURRENCY as u64);
    if !(1..=MAX_CONCURRENCY as u64).contains(&max_concurrency) {
        return Err(PluginError::invalid(format!(
            "kwargs.max_concurrency must be between 1 and {MAX_CONCURRENCY}, got {max_concurrency}"
        )));
    }
    Ok(UploadSettings {
        part_size,
        max_concurrency: max_concurrency as usize,
    })
}

#[cfg(test)]
mod tests;
