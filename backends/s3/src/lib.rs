//! The `s3` Stowage plugin: buckets on AWS S3 and S3-compatible stores (MinIO, Cloudflare R2,
//! GCS interoperability, Ceph, …), addressed as `s3://bucket/path` or `s3a://bucket/path`.
//!
//! Built on the official AWS SDK for Rust, with its own tokio runtime inside ([`runtime`]): the
//! plugin ABI is blocking, so every method blocks on that runtime.
//!
//! - [`config`]: dlt's credential fields and the `kwargs`/`client_kwargs` settings.
//! - [`client`]: the SDK client (credentials, region, endpoint, retries); [`tls`] for
//!   `client_kwargs.verify`; [`retry`] for what is not worth retrying.
//! - [`backend`], [`reader`], [`writer`], [`lister`], [`copy`]: the storage operations;
//!   [`writer`] streams multipart uploads with bounded memory.
//! - [`error`]: SDK errors as actionable [`PluginError`]s without secrets.

pub mod backend;
pub mod budget;
pub mod client;
pub mod config;
pub mod copy;
pub mod error;
pub mod lister;
pub mod reader;
pub mod retry;
pub mod runtime;
pub mod secret;
pub mod tls;
pub mod url;
pub mod writer;

use aws_sdk_s3::primitives::DateTime;
use stowage_plugin_sdk::{Backend, BackendCapabilities, BackendPlugin, Options, Result};

pub use backend::S3Store;
pub use config::{S3Config, UploadSettings};
pub use url::{S3Url, parse_bucket_url};

/// The `s3` backend kind exported by this plugin.
#[derive(Debug)]
pub struct S3Backend;

impl BackendPlugin for S3Backend {
    const NAME: &'static str = "s3";
    const DESCRIPTION: &'static str = "AWS S3 and S3-compatible stores (s3:// and s3a:// URLs)";
    const SCHEMES: &'static [&'static str] = url::SCHEMES;
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

/// Opens the bucket at `url`: parses the URL and options and builds the client. No request is
/// sent, except that credentials from the default chain or a profile are resolved once.
pub fn open_store(url: &str, options: Options) -> Result<S3Store> {
    let s3_url = parse_bucket_url(url)?;
    let config = S3Config::from_options(options)?;
    let conn = runtime::block_on(client::connect(&s3_url.bucket, &config))??;
    let errors = error::ErrorTarget::new(&s3_url.bucket, &config, &conn.region);
    Ok(S3Store::new(conn, s3_url, errors, config.upload))
}

/// Milliseconds since the Unix epoch.
pub(crate) fn timestamp_ms(t: &DateTime) -> Option<i64> {
    t.to_millis().ok()
}

stowage_plugin_sdk::export_plugin! {
    name: "s3",
    version: env!("CARGO_PKG_VERSION"),
    backends: [S3Backend],
    formats: [],
}
