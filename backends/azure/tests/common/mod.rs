//! Helpers for the Azurite tests: server settings, unique containers, SAS tokens, the built
//! plugins and binary.

#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use stowage_plugin_azure::{AzureStore, open_store};
use stowage_plugin_sdk::Options;

/// Azurite's settings from `cargo xtask servers env`.
#[derive(Debug, Clone)]
pub struct Azurite {
    /// `http://127.0.0.1:10000/devstoreaccount1`.
    pub endpoint: String,
    /// `devstoreaccount1`.
    pub account: String,
    /// The account key (base64).
    pub key: String,
}

fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

/// An environment variable, or a skip (`None`) outside CI and a panic in CI.
pub fn required_env(name: &str, what: &str) -> Option<String> {
    match std::env::var(name) {
        Ok(v) if !v.is_empty() => Some(v),
        _ if in_ci() => panic!("{name} is not set in CI ({what})"),
        _ => {
            eprintln!(
                "skipped: {name} is not set ({what}; run `cargo xtask servers start` and export `cargo xtask servers env`)"
            );
            None
        }
    }
}

/// Azurite's settings, or `None` to skip.
pub fn azurite() -> Option<Azurite> {
    let what = "Azurite";
    Some(Azurite {
        endpoint: required_env("AZURITE_BLOB_ENDPOINT", what)?,
        account: required_env("AZURITE_ACCOUNT", what)?,
        key: required_env("AZURITE_KEY", what)?,
    })
}

/// The plugin directory built by `cargo xtask build`, or `None` to skip.
pub fn plugin_dir() -> Option<PathBuf> {
    required_env("STOWAGE_TEST_PLUGIN_DIR", "built plugins").map(PathBuf::from)
}

/// A container name no other test (or run) uses: `stw-<tag>-<pid>-<n>-<nanos>`, ≤ 63 chars.
pub fn unique_container(tag: &str) -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let mut name = format!("stw-{tag}-{:x}-{n}-{nanos:x}", std::process::id());
    name.truncate(63);
    name.to_ascii_lowercase()
}

impl Azurite {
    /// Options with the account key, pointed at Azurite.
    pub fn key_options(&self) -> Vec<(String, String)> {
        vec![
            ("azure_storage_account_name".into(), self.account.clone()),
            ("azure_storage_account_key".into(), self.key.clone()),
            ("azure_account_host".into(), self.endpoint.clone()),
        ]
    }

    /// Options with a SAS token, pointed at Azurite.
    pub fn sas_options(&self, sas: &str) -> Vec<(String, String)> {
        vec![
            ("azure_storage_account_name".into(), self.account.clone()),
            ("azure_storage_sas_token".into(), sas.to_string()),
            ("azure_account_host".into(), self.endpoint.clone()),
        ]
    }

    /// An account SAS (blob service, all resource types, read/write/delete/list/add/create)
    /// valid until `expiry` (`2099-01-01T00:00:00Z`), signed with the account key.
    pub fn account_sas(&self, expiry: &str) -> String {
        let (version, permissions, services, types, start, protocol) = (
            "2021-06-08",
            "rwdlac",
            "b",
            "sco",
            "2000-01-01T00:00:00Z",
            "https,http",
        );
        // Account SAS string-to-sign for versions from 2020-12-06 (with encryption scope).
        let string_to_sign = format!(
            "{}\n{permissions}\n{services}\n{types}\n{start}\n{expiry}\n\n{protocol}\n{version}\n\n",
            self.account
        );
        let key = STANDARD.decode(&self.key).expect("base64 account key");
        let mut mac = Hmac::<Sha256>::new_from_slice(&key).expect("any key length");
        mac.update(string_to_sign.as_bytes());
        let signature = STANDARD.encode(mac.finalize().into_bytes());
        format!(
            "sv={version}&ss={services}&srt={types}&sp={permissions}&st={}&se={}&spr={}&sig={}",
            encode(start),
            encode(expiry),
            encode(protocol),
            encode(&signature)
        )
    }

    /// Opens `url` with `options`.
    pub fn open(&self, url: &str, options: &[(String, String)]) -> AzureStore {
        open_store(url, Options::new(options.iter().cloned())).expect("open the bucket")
    }
}

fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// A container created for one test and deleted (with its blobs) when dropped.
#[derive(Debug)]
pub struct TestContainer {
    /// Container name.
    pub name: String,
    admin: AzureStore,
}

impl TestContainer {
    /// Creates a fresh container with the account key.
    pub fn create(azurite: &Azurite, tag: &str) -> TestContainer {
        let name = unique_container(tag);
        let admin = azurite.open(&format!("az://{name}"), &azurite.key_options());
        assert!(
            admin.create_container().expect("create the container"),
            "{name} existed"
        );
        TestContainer { name, admin }
    }

    /// A store over the whole container, with the account key.
    pub fn admin(&self) -> &AzureStore {
        &self.admin
    }
}

impl Drop for TestContainer {
    fn drop(&mut self) {
        if let Err(e) = self.admin.delete_container() {
            eprintln!("could not delete container {}: {e}", self.name);
        }
    }
}
