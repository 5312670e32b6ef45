//! The `sftp` Stowage plugin: buckets that are directories on an SSH/SFTP server, addressed as
//! `sftp://[user@]host[:port]/path` (see [`url`]).
//!
//! Built on libssh2 (the `ssh2` crate): blocking calls fit the blocking plugin ABI. Every
//! connection checks the server's host key against known_hosts ([`host_key`]) before it
//! authenticates with a key file, the SSH agent, the default keys or a password ([`auth`]).
//! Connections are pooled ([`pool`]); writes go to a temporary file renamed over the target
//! ([`writer`]); network failures are retryable errors ([`errors`]).

#![forbid(unsafe_code)]

pub mod auth;
pub mod backend;
pub mod config;
pub mod connection;
pub mod errors;
pub mod host_key;
pub mod known_hosts;
pub mod lister;
pub mod paths;
pub mod pool;
pub mod reader;
pub mod url;
pub mod writer;

use stowage_plugin_sdk::{Backend, BackendCapabilities, BackendPlugin, Options, Result};

pub use backend::SftpStore;
pub use config::{ClientEnv, SftpConfig};
pub use url::{SftpUrl, parse_bucket_url};

/// The URL scheme served.
pub const SCHEME: &str = "sftp";

/// The `sftp` backend kind exported by this plugin.
#[derive(Debug)]
pub struct SftpBackend;

impl BackendPlugin for SftpBackend {
    const NAME: &'static str = "sftp";
    const DESCRIPTION: &'static str =
        "SFTP servers (sftp:// URLs): password, key, agent; verified host keys";
    const SCHEMES: &'static [&'static str] = &[SCHEME];
    const CAPABILITIES: BackendCapabilities = BackendCapabilities {
        read: true,
        write: true,
        list: true,
        delete: true,
        read_with_range: true,
        copy: false,
        rename: true,
        atomic_write: true,
    };

    fn open(url: &str, options: Options) -> Result<Box<dyn Backend>> {
        Ok(Box::new(open_store(
            url,
            options,
            &ClientEnv::from_process(),
        )?))
    }
}

/// Opens the bucket at `url`: checks the settings, then connects (host key and credentials are
/// checked now, so a bad setting fails before any data is prepared).
pub fn open_store(url: &str, options: Options, env: &ClientEnv) -> Result<SftpStore> {
    let config = SftpConfig::new(parse_bucket_url(url)?, options, env)?;
    let root = config.root.clone();
    let connector = connection::Connector::new(config)?;
    let pool = pool::Pool::open(connector)?;
    Ok(SftpStore::new(pool, root))
}

stowage_plugin_sdk::export_plugin! {
    name: "sftp",
    version: env!("CARGO_PKG_VERSION"),
    backends: [SftpBackend],
    formats: [],
}
