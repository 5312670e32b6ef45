//! Builds the AWS SDK client of one bucket from its [`S3Config`]: credentials, region, endpoint
//! (path-style addressing), TLS, retries and checksum behaviour.
//!
//! - Region: `region_name` → `AWS_REGION`/`AWS_DEFAULT_REGION` → the profile's `region` →
//!   `us-east-1` (like botocore: no instance-metadata lookup for the region).
//! - Credentials: static keys, unsigned (`kwargs.anon`), or the default chain honouring
//!   `profile_name`. The default chain is resolved once at open, so "no credentials" is a clear
//!   error there rather than on the first request.
//! - An endpoint (option, or `AWS_ENDPOINT_URL`/profile `endpoint_url`) switches to path-style
//!   addressing and, as dlt does for S3-compatible stores, to checksums only where required.
//! - Retries: the SDK's standard mode (exponential backoff with jitter) with 5 attempts; it
//!   retries throttling, 5xx, timeouts and connection errors, but not a rejected certificate.

use aws_config::meta::region::RegionProviderChain;
use aws_config::profile::ProfileFileRegionProvider;
use aws_config::retry::RetryConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_s3::config::{
    Credentials, ProvideCredentials, RequestChecksumCalculation, ResponseChecksumValidation,
};
use stowage_plugin_sdk::{ErrorKind, PluginError, Result};

use crate::config::{CredentialSource, S3Config};
use crate::retry::NoRetryOnCertificateErrors;
use crate::tls;

/// Attempts per request (first try included).
const MAX_ATTEMPTS: u32 = 5;
/// Region when none is configured anywhere (what botocore uses for S3).
const FALLBACK_REGION: &str = "us-east-1";

/// A ready client and what it talks to. `Debug` leaves the client (and its credentials) out.
#[derive(Clone)]
pub struct Connection {
    /// The SDK client.
    pub client: aws_sdk_s3::Client,
    /// The region requests are signed for.
    pub region: String,
    /// Payloads go unsigned (`UNSIGNED-PAYLOAD`): the endpoint is HTTPS, so TLS protects them
    /// (botocore does the same); over plain HTTP they are signed.
    pub unsigned_payload: bool,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("region", &self.region)
            .field("unsigned_payload", &self.unsigned_payload)
            .finish_non_exhaustive()
    }
}

/// Builds the client for `bucket` (the name only appears in errors).
pub async fn connect(bucket: &str, config: &S3Config) -> Result<Connection> {
    let region = resolve_region(config).await;
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new(region.clone()))
        .retry_config(RetryConfig::standard().with_max_attempts(MAX_ATTEMPTS));
    if let Some(profile) = &config.profile_name {
        loader = loader.profile_name(profile);
    }
    loader = match &config.credentials {
        CredentialSource::Static {
            access_key_id,
            secret_access_key,
            session_token,
        } => loader.credentials_provider(Credentials::new(
            access_key_id,
            secret_access_key.expose(),
            session_token.as_ref().map(|t| t.expose().to_string()),
            None,
            "stowage-options",
        )),
        CredentialSource::Anonymous => loader.no_credentials(),
        CredentialSource::DefaultChain => loader,
    };
    if let Some(http_client) = tls::http_client(&config.verify)? {
        loader = loader.http_client(http_client);
    }
    let sdk = loader.load().await;
    if config.credentials == CredentialSource::DefaultChain {
        check_default_credentials(&sdk, bucket, config).await?;
    }
    Ok(client_for(&sdk, config, region))
}

/// The S3 client settings on top of the shared SDK settings.
fn client_for(sdk: &SdkConfig, config: &S3Config, region: String) -> Connection {
    let mut builder =
        aws_sdk_s3::config::Builder::from(sdk).retry_classifier(NoRetryOnCertificateErrors);
    let endpoint = config.endpoint_url.clone().or_else(|| {
        (!config.use_ssl && sdk.endpoint_url().is_none())
            .then(|| format!("http://s3.{region}.amazonaws.com"))
    });
    if let Some(url) = &endpoint {
        builder = builder.endpoint_url(url);
    }
    let custom_endpoint = config.endpoint_url.as_deref().or(sdk.endpoint_url());
    if custom_endpoint.is_some() {
        builder = builder
            .force_path_style(true)
            .request_checksum_calculation(RequestChecksumCalculation::WhenRequired)
            .response_checksum_validation(ResponseChecksumValidation::WhenRequired);
    }
    let effective = endpoint.as_deref().or(sdk.endpoint_url());
    let unsigned_payload =
        effective.is_none_or(|url| url.to_ascii_lowercase().starts_with("https://"));
    Connection {
        client: aws_sdk_s3::Client::from_conf(builder.build()),
        region,
        unsigned_payload,
    }
}

/// `region_name`, else the environment or profile, else `us-east-1`.
async fn resolve_region(config: &S3Config) -> String {
    if let Some(region) = &config.region {
        return region.clone();
    }
    let mut profile = ProfileFileRegionProvider::builder();
    if let Some(name) = &config.profile_name {
        profile = profile.profile_name(name);
    }
    let chain = RegionProviderChain::first_try(
        aws_config::environment::EnvironmentVariableRegionProvider::new(),
    )
    .or_else(profile.build())
    .or_else(Region::new(FALLBACK_REGION));
    chain
        .region()
        .await
        .map_or_else(|| FALLBACK_REGION.to_string(), |r| r.to_string())
}

/// Resolves the default chain once, so missing credentials fail at open with a clear error.
async fn check_default_credentials(sdk: &SdkConfig, bucket: &str, config: &S3Config) -> Result<()> {
    let Some(provider) = sdk.credentials_provider() else {
        return Ok(());
    };
    let source = match &config.profile_name {
        Some(profile) => format!("profile_name `{profile}`"),
        None => "the default AWS credential chain (no credentials are set)".to_string(),
    };
    provider
        .provide_credentials()
        .await
        .map(|_| ())
        .map_err(|e| {
            PluginError::new(
                ErrorKind::PermissionDenied,
                format!(
                    "no usable AWS credentials for bucket `{bucket}` from {source}: {}: set \
                 aws_access_key_id and aws_secret_access_key, or a valid profile_name",
                    crate::error::error_chain(&e)
                ),
            )
        })
}
