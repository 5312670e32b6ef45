//! Settings of the azure backend, built from the engine's resolved [`Options`]: dlt's Azure
//! credential fields plus the `kwargs.*` settings this backend understands. Unknown keys are
//! rejected with an error naming them; secret values live in [`Secret`] and never reach `Debug`
//! output or error messages.

use std::fmt;
use std::time::Duration;

use stowage_plugin_sdk::{Options, PluginError, Result};

/// Upload block size when `kwargs.blocksize` is not set.
pub const DEFAULT_BLOCK_SIZE: usize = 8 << 20;
/// Smallest accepted `kwargs.blocksize`.
pub const MIN_BLOCK_SIZE: usize = 64 << 10;
/// Largest block Azure accepts (4000 MiB).
pub const MAX_BLOCK_SIZE: usize = 4000 << 20;
/// Blocks uploaded at once per blob when `kwargs.max_concurrency` is not set (dlt's default).
pub const DEFAULT_MAX_CONCURRENCY: usize = 1;
/// Largest accepted `kwargs.max_concurrency`.
pub const MAX_CONCURRENCY: usize = 64;

/// fsspec settings dlt itself puts into `kwargs`; meaningless here, accepted and ignored.
const IGNORED_KWARGS: &[&str] = &[
    "kwargs.use_listings_cache",
    "kwargs.listings_expiry_time",
    "kwargs.skip_instance_cache",
];

/// A secret value: `Debug` prints `***`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret.
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// The value, for handing to the client library only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// How requests are authorized.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credential {
    /// Shared Key (`azure_storage_account_key`).
    AccountKey(Secret),
    /// Shared access signature (`azure_storage_sas_token`).
    SasToken(Secret),
    /// Microsoft Entra service principal with a client secret.
    ServicePrincipal {
        /// `azure_tenant_id`.
        tenant_id: String,
        /// `azure_client_id`.
        client_id: String,
        /// `azure_client_secret`.
        client_secret: Secret,
    },
    /// Unsigned requests to a public container (`kwargs.anon = true`).
    Anonymous,
    /// No secret given: environment, workload identity, managed identity, Azure CLI.
    DefaultChain,
}

/// Resolved settings of one Azure bucket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AzureConfig {
    /// `azure_storage_account_name` (may also come from the URL).
    pub account_name: Option<String>,
    /// `azure_account_host`: custom host or account URL (see [`crate::endpoint`]).
    pub account_host: Option<String>,
    /// How requests are authorized.
    pub credential: Credential,
    /// `kwargs.max_concurrency`: blocks of one blob uploaded at once.
    pub max_concurrency: usize,
    /// `kwargs.blocksize`: bytes per uploaded block.
    pub block_size: usize,
    /// `kwargs.connection_timeout`: seconds to establish a connection.
    pub connect_timeout: Option<Duration>,
    /// `kwargs.timeout`: seconds for one request, body included.
    pub request_timeout: Option<Duration>,
}

impl AzureConfig {
    /// Takes the known keys from `options` and rejects the rest.
    pub fn from_options(mut options: Options) -> Result<AzureConfig> {
        let credential = take_credential(&mut options)?;
        let config = AzureConfig {
            account_name: take_text(&mut options, "azure_storage_account_name"),
            account_host: take_text(&mut options, "azure_account_host"),
            credential,
            max_concurrency: take_bounded(
                &mut options,
                "kwargs.max_concurrency",
                DEFAULT_MAX_CONCURRENCY,
                1..=MAX_CONCURRENCY,
            )?,
            block_size: take_bounded(
                &mut options,
                "kwargs.blocksize",
                DEFAULT_BLOCK_SIZE,
                MIN_BLOCK_SIZE..=MAX_BLOCK_SIZE,
            )?,
            connect_timeout: take_seconds(&mut options, "kwargs.connection_timeout")?,
            request_timeout: take_seconds(&mut options, "kwargs.timeout")?,
        };
        options.accept(IGNORED_KWARGS);
        options.finish("azure backend")?;
        Ok(config)
    }

    /// Every secret value, for scrubbing error texts.
    pub fn secrets(&self) -> Vec<String> {
        match &self.credential {
            Credential::AccountKey(s) | Credential::SasToken(s) => vec![s.expose().to_string()],
            Credential::ServicePrincipal { client_secret, .. } => {
                vec![client_secret.expose().to_string()]
            }
            Credential::Anonymous | Credential::DefaultChain => Vec::new(),
        }
    }
}

/// A non-empty trimmed value (empty values count as unset, like empty env vars).
fn take_text(options: &mut Options, key: &str) -> Option<String> {
    options
        .take(key)
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

fn take_credential(options: &mut Options) -> Result<Credential> {
    let key = take_text(options, "azure_storage_account_key");
    let sas = take_text(options, "azure_storage_sas_token");
    let tenant = take_text(options, "azure_tenant_id");
    let client = take_text(options, "azure_client_id");
    let secret = take_text(options, "azure_client_secret");
    let anonymous = options.take_bool("kwargs.anon")?.unwrap_or(false);
    if let Some(key) = key {
        return Ok(Credential::AccountKey(Secret::new(key)));
    }
    if let Some(sas) = sas {
        return Ok(Credential::SasToken(Secret::new(sas)));
    }
    match (tenant, client, secret) {
        (Some(tenant_id), Some(client_id), Some(secret)) => Ok(Credential::ServicePrincipal {
            tenant_id,
            client_id,
            client_secret: Secret::new(secret),
        }),
        (None, None, None) if anonymous => Ok(Credential::Anonymous),
        (None, None, None) => Ok(Credential::DefaultChain),
        (tenant, client, secret) => {
            let missing: Vec<&str> = [
                (tenant.is_none(), "azure_tenant_id"),
                (client.is_none(), "azure_client_id"),
                (secret.is_none(), "azure_client_secret"),
            ]
            .iter()
            .filter(|(absent, _)| *absent)
            .map(|(_, name)| *name)
            .collect();
            Err(PluginError::invalid(format!(
                "incomplete service principal: {} not set (a service principal needs \
                 azure_tenant_id, azure_client_id and azure_client_secret)",
                missing.join(", ")
            )))
        }
    }
}

fn take_bounded(
    options: &mut Options,
    key: &str,
    default: usize,
    range: std::ops::RangeInclusive<usize>,
) -> Result<usize> {
    let Some(value) = options.take_u64(key)? else {
        return Ok(default);
    };
    usize::try_from(value)
        .ok()
        .filter(|v| range.contains(v))
        .ok_or_else(|| {
            PluginError::invalid(format!(
                "option `{key}` must be between {} and {}, got {value}",
                range.start(),
                range.end()
            ))
        })
}

fn take_seconds(options: &mut Options, key: &str) -> Result<Option<Duration>> {
    let Some(text) = options.take(key) else {
        return Ok(None);
    };
    text.trim()
        .parse::<f64>()
        .ok()
        .filter(|s| s.is_finite() && *s > 0.0)
        .map(|s| Some(Duration::from_secs_f64(s)))
        .ok_or_else(|| {
            PluginError::invalid(format!(
                "option `{key}` must be a positive number of seconds, got `{text}`"
            ))
        })
}

#[cfg(test)]
mod tests;
