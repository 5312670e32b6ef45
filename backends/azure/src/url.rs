//! Bucket URLs: `az://`, `azure://`, `abfs://` and `abfss://`, in the forms dlt and adlfs accept
//! (spec §8), and the canonical object URLs dlt writes into reference files and metrics.
//!
//! | form | container | host (account) | root |
//! |---|---|---|---|
//! | `az://data/raw` | `data` | from options | `raw` |
//! | `abfss://data@acct.dfs.core.windows.net/raw` | `data` | `acct.dfs.core.windows.net` | `raw` |
//! | `abfss://<ws>@onelake.dfs.fabric.microsoft.com/<item>/Files` | `<ws>` | OneLake | `<item>/Files` |
//!
//! The path is taken literally (no percent-decoding), as fsspec does. Which endpoint a host
//! means is decided in [`crate::endpoint`].

use stowage_plugin_sdk::{PluginError, Result};

/// URL schemes served by this plugin.
pub const SCHEMES: &[&str] = &["az", "azure", "abfs", "abfss"];

/// A parsed bucket URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BucketUrl {
    /// Lower-cased scheme (`az`, `azure`, `abfs`, `abfss`).
    pub scheme: String,
    /// Container (OneLake: the workspace).
    pub container: String,
    /// The host after `container@`, lower-cased (`acct.dfs.core.windows.net`), if any.
    pub host: Option<String>,
    /// Path below the container without leading or trailing `/` (may be empty).
    pub root: String,
}

impl BucketUrl {
    /// Parses `url`; fails with `InvalidArgument` naming what is wrong.
    pub fn parse(url: &str) -> Result<BucketUrl> {
        parse(url).map_err(|e| e.with_context("url", url))
    }

    /// The blob name of `key` (relative to the root).
    pub fn blob_name(&self, key: &str) -> String {
        if self.root.is_empty() {
            key.to_string()
        } else {
            format!("{}/{key}", self.root)
        }
    }

    /// The prefix every blob of this bucket starts with (`root/`, or empty).
    pub fn root_prefix(&self) -> String {
        if self.root.is_empty() {
            String::new()
        } else {
            format!("{}/", self.root)
        }
    }

    /// The URL of `key` the way dlt's `make_url` writes it (reference files, metrics): the
    /// bucket URL's form is kept, `container@host` included when the bucket URL had it.
    pub fn object_url(&self, key: &str) -> String {
        let path = self.blob_name(key);
        match &self.host {
            Some(host) => format!("{}://{}@{host}/{path}", self.scheme, self.container),
            None => format!("{}://{}/{path}", self.scheme, self.container),
        }
    }

    /// dlt's `ensure_canonical_az_url`: `{target_scheme}://<container>@<host>/<path>`, where the
    /// host is the URL's own, else `account_host`, else `<account>.dfs.core.windows.net`.
    pub fn canonical_url(
        &self,
        target_scheme: &str,
        account_name: Option<&str>,
        account_host: Option<&str>,
    ) -> Result<String> {
        let host = match (&self.host, account_host, account_name) {
            (Some(host), _, _) => host.clone(),
            (None, Some(host), _) => host.to_string(),
            (None, None, Some(account)) => format!("{account}.dfs.core.windows.net"),
            (None, None, None) => {
                return Err(PluginError::invalid(format!(
                    "cannot write `{}://{}/…` in the canonical form \
                     ({target_scheme}://<container>@<account>.dfs.core.windows.net/<path>): \
                     the storage account name is not known",
                    self.scheme, self.container
                )));
            }
        };
        let path = if self.root.is_empty() {
            String::new()
        } else {
            format!("/{}", self.root)
        };
        Ok(format!("{target_scheme}://{}@{host}{path}", self.container))
    }
}

fn parse(url: &str) -> Result<BucketUrl> {
    let (scheme, rest) = url
        .split_once("://")
        .ok_or_else(|| PluginError::invalid("not an Azure URL (expected `az://<container>/…`)"))?;
    let scheme = scheme.to_ascii_lowercase();
    if !SCHEMES.contains(&scheme.as_str()) {
        return Err(PluginError::invalid(format!(
            "scheme `{scheme}` is not served by the azure backend (use one of {})",
            SCHEMES.join(", ")
        )));
    }
    if rest.contains(['?', '#']) {
        return Err(PluginError::invalid(
            "Azure bucket URLs take no query or fragment (`?`, `#`)",
        ));
    }
    let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
    let (container, host) = match authority.split_once('@') {
        Some((container, host)) => (container, Some(parse_host(host)?)),
        None => (authority, None),
    };
    check_container(container)?;
    Ok(BucketUrl {
        scheme,
        container: container.to_string(),
        host,
        root: parse_root(path)?,
    })
}

fn parse_host(host: &str) -> Result<String> {
    let ok = !host.is_empty()
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'));
    if !ok {
        return Err(PluginError::invalid(format!(
            "`{host}` is not a valid account host (expected e.g. `<account>.dfs.core.windows.net`)"
        )));
    }
    Ok(host.to_ascii_lowercase())
}

fn check_container(container: &str) -> Result<()> {
    if container.is_empty() {
        return Err(PluginError::invalid(
            "the URL names no container (expected `az://<container>/…`)",
        ));
    }
    if container.chars().any(|c| c.is_control() || c == ':') {
        return Err(PluginError::invalid(format!(
            "`{container}` is not a valid container name"
        )));
    }
    Ok(())
}

/// The path below the container: surrounding `/` removed; empty, `.` and `..` segments are
/// errors (they would name other blobs than the ones written).
fn parse_root(path: &str) -> Result<String> {
    let root = path.trim_matches('/');
    if root.is_empty() {
        return Ok(String::new());
    }
    for segment in root.split('/') {
        if segment.is_empty()
            || segment == "."
            || segment == ".."
            || segment.contains(char::is_control)
        {
            return Err(PluginError::invalid(format!(
                "the path `{root}` has an empty, `.`, `..` or control-character segment"
            )));
        }
    }
    Ok(root.to_string())
}

#[cfg(test)]
mod tests;
