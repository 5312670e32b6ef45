//! Which storage account and Blob endpoint a bucket talks to, from the URL's host, the
//! `azure_storage_account_name` option and the `azure_account_host` option.
//!
//! - `azure_account_host` wins. It is a host (`acct.blob.core.chinacloudapi.cn`,
//!   `onelake.blob.fabric.microsoft.com`) used as `https://<host>`; an IP address or `localhost`
//!   (`127.0.0.1:10000`) means an emulator, used as `http://<host>/<account>` (path style); a
//!   value starting with `http://` or `https://` is the account URL itself
//!   (`http://127.0.0.1:10000/devstoreaccount1`).
//! - Else the URL's `container@host`, read the same way, with Data Lake hosts mapped to their Blob
//!   endpoint (`dfs` → `blob`): `acct.dfs.core.usgovcloudapi.net` →
//!   `https://acct.blob.core.usgovcloudapi.net`, `onelake.dfs.fabric.microsoft.com` →
//!   `https://onelake.blob.fabric.microsoft.com`.
//! - Else `https://<account>.blob.core.windows.net`.
//!
//! The account name comes from the option, else from the host's leading label(s); when both are
//! known they must agree. Data Lake (`dfs`) hosts are served through their Blob endpoint: this
//! backend speaks the Blob REST API only.

use object_store::azure::authority_hosts;
use stowage_plugin_sdk::{PluginError, Result};

use crate::url::BucketUrl;

/// Where one bucket lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// Storage account name (`onelake` for OneLake, `devstoreaccount1` for Azurite).
    pub account: String,
    /// The Blob service URL requests are built on: `<account_url>/<container>/<blob>`.
    pub account_url: String,
    /// Microsoft Entra authority for token credentials, when not the public cloud.
    pub authority_host: Option<&'static str>,
    /// Microsoft Fabric / OneLake endpoint (Entra ID tokens only).
    pub fabric: bool,
}

impl Endpoint {
    /// Resolves the endpoint of `url` with the account name and account host options.
    pub fn resolve(
        url: &BucketUrl,
        account_name: Option<&str>,
        account_host: Option<&str>,
    ) -> Result<Endpoint> {
        let url_account = url.host.as_deref().and_then(|h| account_of_host(h).ok());
        let account = agree(account_name, url_account.as_deref())?;
        let account_url = match (account_host.map(str::trim), &url.host) {
            (Some(custom), _) => custom_account_url(custom, account.as_deref())?,
            (None, Some(host)) => custom_account_url(host, account.as_deref())?,
            (None, None) => format!(
                "https://{}.blob.core.windows.net",
                account.as_deref().ok_or_else(missing_account)?
            ),
        };
        let host = host_of(&account_url);
        let account = match account {
            Some(account) => account,
            None => account_of_host(&host).map_err(|_| missing_account())?,
        };
        Ok(Endpoint {
            account,
            authority_host: authority_for(&host),
            fabric: host.ends_with(".fabric.microsoft.com"),
            account_url,
        })
    }
}

/// The account named by both the option and the URL, which must agree.
fn agree(option: Option<&str>, from_url: Option<&str>) -> Result<Option<String>> {
    match (option.map(str::trim).filter(|a| !a.is_empty()), from_url) {
        (Some(a), Some(b)) if !a.eq_ignore_ascii_case(b) => Err(PluginError::invalid(format!(
            "the bucket URL names storage account `{b}` but azure_storage_account_name is `{a}`"
        ))),
        (Some(a), _) => Ok(Some(a.to_string())),
        (None, b) => Ok(b.map(str::to_string)),
    }
}

fn missing_account() -> PluginError {
    PluginError::invalid(
        "azure_storage_account_name is required: the bucket URL names no account \
         (use `abfss://<container>@<account>.dfs.core.windows.net/…` or set the option)",
    )
}

/// The account URL for an `azure_account_host` value.
fn custom_account_url(value: &str, account: Option<&str>) -> Result<String> {
    let lower = value.to_ascii_lowercase();
    if lower.starts_with("http://") || lower.starts_with("https://") {
        return Ok(value.trim_end_matches('/').to_string());
    }
    let host = value.trim_end_matches('/');
    if host.is_empty() || host.contains(['/', '?', '#', '@']) {
        return Err(PluginError::invalid(format!(
            "azure_account_host `{value}` is not a host name (use e.g. \
             `<account>.blob.core.windows.net`, or a full `http://…` account URL)"
        )));
    }
    if is_local_or_ip(host) {
        let account = account.ok_or_else(missing_account)?;
        return Ok(format!("http://{host}/{account}"));
    }
    Ok(format!("https://{}", blob_host(&host.to_ascii_lowercase())))
}

/// `localhost`, an IPv4 or a bracketed IPv6 address, with or without a port.
fn is_local_or_ip(host: &str) -> bool {
    if host.starts_with('[') {
        return true;
    }
    let name = host.rsplit_once(':').map_or(host, |(name, _)| name);
    name.eq_ignore_ascii_case("localhost") || name.parse::<std::net::Ipv4Addr>().is_ok()
}

/// The Blob endpoint host for a Blob or Data Lake host: the `dfs` label becomes `blob`.
pub fn blob_host(host: &str) -> String {
    let labels: Vec<&str> = host.split('.').collect();
    labels
        .iter()
        .enumerate()
        .map(|(i, label)| {
            if i > 0 && *label == "dfs" {
                "blob"
            } else {
                label
            }
        })
        .collect::<Vec<_>>()
        .join(".")
}

/// The account name in a service host: the labels before `blob`/`dfs`
/// (`acct.dfs.core.windows.net` → `acct`; workspace private links keep two labels:
/// `<ws>.z12.blob.fabric.microsoft.com` → `<ws>.z12`).
pub fn account_of_host(host: &str) -> Result<String> {
    let labels: Vec<&str> = host.split('.').collect();
    let service = labels
        .iter()
        .skip(1)
        .position(|l| *l == "blob" || *l == "dfs")
        .map(|i| i + 1);
    match service {
        Some(i) if i + 2 <= labels.len() => Ok(labels[..i].join(".")),
        _ => Err(PluginError::invalid(format!(
            "cannot tell the storage account from host `{host}` (expected \
             `<account>.dfs.<domain>` or `<account>.blob.<domain>`)"
        ))),
    }
}

/// The host (no port) of an account URL.
fn host_of(account_url: &str) -> String {
    let rest = account_url
        .split_once("://")
        .map_or(account_url, |(_, r)| r);
    let authority = rest.split('/').next().unwrap_or_default();
    let host = authority.rsplit_once(':').map_or(authority, |(h, port)| {
        if port.chars().all(|c| c.is_ascii_digit()) {
            h
        } else {
            authority
        }
    });
    host.to_ascii_lowercase()
}

/// The Entra authority of a sovereign cloud, by the storage domain.
fn authority_for(host: &str) -> Option<&'static str> {
    if host.ends_with(".chinacloudapi.cn") {
        Some(authority_hosts::AZURE_CHINA)
    } else if host.ends_with(".usgovcloudapi.net") {
        Some(authority_hosts::AZURE_GOVERNMENT)
    } else {
        None
    }
}

#[cfg(test)]
mod tests;
