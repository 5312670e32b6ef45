//! The `gcs` Stowage plugin: buckets in Google Cloud Storage, addressed as `gs://bucket/path` or
//! `gcs://bucket/path`, through the JSON API (`gcloud-storage`).
//!
//! - Credentials ([`config`]): service-account fields, OAuth user credentials, an access token, a
//!   credentials file, anonymous, or Application Default Credentials when nothing is given.
//! - Uploads ([`writer`]) use at most one chunk of memory: simple uploads for small objects,
//!   resumable uploads in chunks for large ones. Reads ([`reader`]) stream or fetch ranges;
//!   listings ([`lister`]) are paged.
//! - Every request has a timeout and bounded retries with backoff ([`retry`]); errors say whether
//!   a retry may help ([`error`]). The plugin runs its own Tokio runtime ([`runtime`]).

#![forbid(unsafe_code)]

pub mod auth;
pub mod backend;
pub mod config;
pub mod core;
pub mod error;
pub mod lister;
pub mod reader;
pub mod retry;
pub mod runtime;
pub mod secret;
pub mod url;
pub mod user_token;
pub mod writer;

use stowage_plugin_sdk::{Backend, BackendCapabilities, BackendPlugin, Options, Result};

pub use backend::GcsStore;
pub use config::{Credentials, GcsConfig};
pub use url::{BucketLocation, SCHEMES, parse_bucket_url};

/// The `gcs` backend kind exported by this plugin.
#[derive(Debug)]
pub struct GcsBackend;

impl BackendPlugin for GcsBackend {
    const NAME: &'static str = "gcs";
    const DESCRIPTION: &'static str = "Google Cloud Storage (gs:// and gcs:// URLs, JSON API)";
    const SCHEMES: &'static [&'static str] = SCHEMES;
    const CAPABILITIES: BackendCapabilities = BackendCapabilities {
        read: true,
        write: true,
        list: true,
        delete: true,
        read_with_range: true,
        copy: true,
        rename: true,
        atomic_write: true,
    };

    fn open(url: &str, options: Options) -> Result<Box<dyn Backend>> {
        Ok(Box::new(open_store(url, options)?))
    }
}

/// Opens the bucket at `url` with the engine's options.
pub fn open_store(url: &str, options: Options) -> Result<GcsStore> {
    let config = GcsConfig::from_options(options)?;
    open_with_config(url, config)
}

/// Opens the bucket at `url` with settings built in code (tests, embedding).
pub fn open_with_config(url: &str, config: GcsConfig) -> Result<GcsStore> {
    let location = parse_bucket_url(url)?;
    let mut redactor = config.redactor();
    let client = runtime::block_on(auth::build_client(&config, &mut redactor))?
        .map_err(|e| e.with_context("url", url))?;
    Ok(GcsStore::new(core::GcsCore {
        client,
        location,
        config,
        redactor,
    }))
}

stowage_plugin_sdk::export_plugin! {
    name: "gcs",
    version: env!("CARGO_PKG_VERSION"),
    backends: [GcsBackend],
    formats: [],
}
