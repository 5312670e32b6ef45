//! The `azure` Stowage plugin: buckets in Azure Blob Storage, ADLS Gen2 accounts and Microsoft
//! Fabric OneLake, addressed by `az://`, `azure://`, `abfs://` and `abfss://` URLs (see [`url`]
//! and [`endpoint`]), with every credential form of dlt's Azure credentials (see [`config`] and
//! [`credentials`]).
//!
//! Built on `object_store`'s Azure client, driven from the plugin's own tokio runtime
//! ([`runtime`]). Uploads stream as block blobs with bounded memory ([`writer`]), listings are
//! paged ([`lister`]), reads stream or fetch ranges ([`reader`]). Everything goes through the
//! Blob REST API; Data Lake (`dfs`) hosts are served through their Blob endpoint.

#![forbid(unsafe_code)]

pub mod backend;
pub mod config;
pub mod container;
pub mod credentials;
pub mod default_chain;
pub mod endpoint;
pub mod errors;
pub mod lister;
pub mod reader;
pub mod redact;
pub mod rest;
pub mod runtime;
pub mod url;
pub mod writer;

use stowage_plugin_sdk::{Backend, BackendCapabilities, BackendPlugin, Options, Result};

pub use backend::AzureStore;
pub use config::AzureConfig;
pub use endpoint::Endpoint;
pub use url::{BucketUrl, SCHEMES};

use crate::credentials::{ClientSettings, build_client};
use crate::errors::ErrorContext;
use crate::redact::Redactor;
use crate::writer::UploadSettings;

/// The `azure` backend kind exported by this plugin.
#[derive(Debug)]
pub struct AzureBackend;

impl BackendPlugin for AzureBackend {
    const NAME: &'static str = "azure";
    const DESCRIPTION: &'static str =
        "Azure Blob Storage, ADLS Gen2 and OneLake (az://, azure://, abfs://, abfss://)";
    const SCHEMES: &'static [&'static str] = SCHEMES;
    const CAPABILITIES: BackendCapabilities = BackendCapabilities {
        read: true,
        write: true,
        list: true,
        delete: true,
        read_with_range: true,
        copy: false,
        rename: false,
        atomic_write: true,
    };

    fn open(url: &str, options: Options) -> Result<Box<dyn Backend>> {
        Ok(Box::new(open_store(url, options)?))
    }
}

/// Opens the bucket at `url`: parses the URL and options, resolves the endpoint and builds the
/// client. No request is sent; credentials are first used (and checked) by the first operation.
pub fn open_store(url: &str, options: Options) -> Result<AzureStore> {
    let config = AzureConfig::from_options(options)?;
    let bucket = BucketUrl::parse(url)?;
    let endpoint = Endpoint::resolve(
        &bucket,
        config.account_name.as_deref(),
        config.account_host.as_deref(),
    )
    .map_err(|e| e.with_context("url", url))?;
    let settings = ClientSettings::new(endpoint.clone(), &bucket.container, &config);
    let redactor = Redactor::new(config.secrets());
    let client =
        build_client(&settings, &config.credential).map_err(|e| e.with_context("url", url))?;
    let errors = ErrorContext {
        bucket: url.to_string(),
        account: endpoint.account.clone(),
        container: bucket.container.clone(),
        redactor,
        auth_hint: errors::auth_hint(&config.credential),
    };
    let upload = UploadSettings {
        block_size: config.block_size,
        max_concurrency: config.max_concurrency,
    };
    Ok(AzureStore::new(client, bucket, settings, upload, errors))
}

stowage_plugin_sdk::export_plugin! {
    name: "azure",
    version: env!("CARGO_PKG_VERSION"),
    backends: [AzureBackend],
    formats: [],
}
