//! The host-key policy: every connection's server key is checked against known_hosts before
//! any credential is sent.
//!
//! - `strict` (default): the key must be in known_hosts; an unknown host or a changed key is an
//!   error that says how to trust the host.
//! - `accept-new`: a host missing from known_hosts is trusted on first sight (with a warning) and
//!   pinned for the life of the bucket; a changed or revoked key is still an error.
//! - `off`: no check (a warning is logged once). Open to man-in-the-middle attacks.

use std::path::PathBuf;
use std::sync::Mutex;

use stowage_plugin_sdk::{ErrorKind, PluginError, Result, log};

use crate::config::{HostKeyPolicy, KnownHostsSource, SftpConfig};
use crate::known_hosts::{HostKeyCheck, KnownHosts, algorithms_for, blob_key_type, lookup_name};

/// The key a server presented.
#[derive(Debug, Clone, Copy)]
pub struct PresentedKey<'a> {
    /// The public key blob.
    pub blob: &'a [u8],
    /// `SHA256:…` as OpenSSH prints it.
    pub fingerprint: &'a str,
}

/// Checks server keys for one bucket.
#[derive(Debug)]
pub struct HostKeyVerifier {
    policy: HostKeyPolicy,
    known: KnownHosts,
    source: KnownHostsSource,
    host: String,
    port: u16,
    /// `host:port` for messages.
    address: String,
    /// The key accepted on first sight under `accept-new`.
    pinned: Mutex<Option<Vec<u8>>>,
}

impl HostKeyVerifier {
    /// Loads known_hosts (unless the policy is `off`, which is logged as a warning).
    pub fn new(config: &SftpConfig) -> Result<HostKeyVerifier> {
        let known = match config.host_key_policy {
            HostKeyPolicy::Off => {
                log::warn(&format!(
                    "host key checking is off (`sftp_host_key_policy = off`): the identity of {} \
                     is not verified, so the connection is open to man-in-the-middle attacks",
                    config.address()
                ));
                KnownHosts::default()
            }
            _ => {
                let required = matches!(config.known_hosts, KnownHostsSource::Configured(_));
                KnownHosts::load(&config.known_hosts.files(), required)?
            }
        };
        Ok(HostKeyVerifier {
            policy: config.host_key_policy,
            known,
            source: config.known_hosts.clone(),
            host: config.host.clone(),
            port: config.port,
            address: config.address(),
            pinned: Mutex::new(None),
        })
    }

    /// Host-key algorithms to prefer (those known_hosts has keys for), so the server presents a
    /// key that can be checked even when it has several.
    pub fn preferred_algorithms(&self) -> Vec<String> {
        let types = self.known.key_types(&self.host, self.port);
        types
            .iter()
            .flat_map(|t| algorithms_for(t))
            .map(str::to_string)
            .collect()
    }

    /// Accepts or rejects the key a server presented.
    pub fn verify(&self, key: PresentedKey<'_>) -> Result<()> {
        if self.policy == HostKeyPolicy::Off {
            return Ok(());
        }
        match self.known.check(&self.host, self.port, key.blob) {
            HostKeyCheck::Trusted(_) => Ok(()),
            HostKeyCheck::Unknown if self.policy == HostKeyPolicy::AcceptNew => {
                self.accept_new(key)
            }
            HostKeyCheck::Unknown => Err(self.unknown(key)),
            HostKeyCheck::OtherTypesKnown(types) => Err(self.other_types(key, &types)),
            HostKeyCheck::Changed(at) => Err(self.changed(key, &at.to_string(), at.file)),
            HostKeyCheck::Revoked(at) => Err(rejected(format!(
                "the host key of {} ({}) is marked @revoked in {at}; refusing to connect",
                self.address(),
                describe(key)
            ))),
        }
    }

    fn accept_new(&self, key: PresentedKey<'_>) -> Result<()> {
        let mut pinned = self.pinned.lock().unwrap_or_else(|p| p.into_inner());
        match pinned.as_deref() {
            Some(blob) if blob == key.blob => Ok(()),
            Some(_) => Err(self.changed(
                key,
                "the key accepted earlier in this run",
                self.suggested_file(),
            )),
            None => {
                log::warn(&format!(
                    "trusting the host key of {} seen for the first time ({}) because \
                     `sftp_host_key_policy = accept-new`; add it to known_hosts to verify it: {}",
                    self.address(),
                    describe(key),
                    self.keyscan(None),
                ));
                *pinned = Some(key.blob.to_vec());
                Ok(())
            }
        }
    }

    fn unknown(&self, key: PresentedKey<'_>) -> PluginError {
        rejected(format!(
            "the host key of {} is not known: the server presented {}, and no line for `{}` is in \
             {}. If that fingerprint is right, trust the host with `{}`, or point \
             `sftp_known_hosts` at a file that has it; `sftp_host_key_policy = accept-new` trusts \
             hosts seen for the first time (not recommended)",
            self.address(),
            describe(key),
            lookup_name(&self.host, self.port),
            self.files_text(),
            self.keyscan(None),
        ))
    }

    fn other_types(&self, key: PresentedKey<'_>, types: &[String]) -> PluginError {
        let key_type = blob_key_type(key.blob).unwrap_or_else(|| "unknown".into());
        rejected(format!(
            "the host key of {} is not known: the server presented {}, but known_hosts ({}) has \
             only {} keys for `{}`. If that fingerprint is right, add it with `{}`",
            self.address(),
            describe(key),
            self.files_text(),
            types.join(", "),
            lookup_name(&self.host, self.port),
            self.keyscan(Some(&key_type)),
        ))
    }

    fn changed(&self, key: PresentedKey<'_>, where_known: &str, file: PathBuf) -> PluginError {
        rejected(format!(
            "HOST KEY CHANGED for {}: the server presented {}, but {} has a different key for \
             this host. Someone may be intercepting the connection (man-in-the-middle), or the \
             host key was replaced. If the change is expected, remove the old key with \
             `ssh-keygen -R '{}' -f {}` and add the new one with `{}`",
            self.address(),
            describe(key),
            where_known,
            lookup_name(&self.host, self.port),
            file.display(),
            self.keyscan(None),
        ))
    }

    fn address(&self) -> &str {
        &self.address
    }

    fn files_text(&self) -> String {
        let files: Vec<String> = self
            .source
            .files()
            .iter()
            .map(|f| f.display().to_string())
            .collect();
        files.join(" or ")
    }

    /// The file a user would add the key to.
    fn suggested_file(&self) -> PathBuf {
        match &self.source {
            KnownHostsSource::Configured(path) => path.clone(),
            KnownHostsSource::Default(files) => files.first().cloned().unwrap_or_default(),
        }
    }

    fn keyscan(&self, key_type: Option<&str>) -> String {
        let types = key_type.map(|t| format!("-t {t} ")).unwrap_or_default();
        format!(
            "ssh-keyscan {types}-p {} {} >> {}",
            self.port,
            self.host,
            self.suggested_file().display()
        )
    }
}

fn describe(key: PresentedKey<'_>) -> String {
    let key_type = blob_key_type(key.blob).unwrap_or_else(|| "unknown-type".into());
    format!("{key_type} key {}", key.fingerprint)
}

fn rejected(message: String) -> PluginError {
    PluginError::new(ErrorKind::PermissionDenied, message).with_retryable(false)
}

#[cfg(test)]
mod tests;
