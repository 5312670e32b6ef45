//! The `local` Stowage plugin: buckets that are directories on a local or mounted filesystem,
//! addressed by `file:` URLs or bare paths (see [`url`] for every accepted form).
//!
//! Writes are atomic (temporary file in the target directory, `fsync`, rename), reads support
//! ranges, listings stream. Unix only: Windows drive and extended-length paths are parsed but
//! rejected as `Unsupported` when opened.

#![forbid(unsafe_code)]

pub mod backend;
pub mod config;
pub mod lister;
pub mod reader;
pub mod url;
pub mod writer;

use std::fs;

use stowage_plugin_sdk::{
    Backend, BackendCapabilities, BackendPlugin, Options, PluginError, Result,
};

pub use backend::LocalStore;
pub use config::LocalConfig;
pub use url::{LocalRoot, parse_bucket_url, to_file_url};

/// The URL scheme served.
pub const SCHEME: &str = "file";

/// The `local` backend kind exported by this plugin.
#[derive(Debug)]
pub struct LocalBackend;

impl BackendPlugin for LocalBackend {
    const NAME: &'static str = "local";
    const DESCRIPTION: &'static str = "local and mounted directories (file:// URLs and paths)";
    const SCHEMES: &'static [&'static str] = &[SCHEME];
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

/// Opens the bucket at `url`: parses it, checks the options, and checks that the root, if it
/// exists, is a directory (a missing root is created by the first write).
pub fn open_store(url: &str, options: Options) -> Result<LocalStore> {
    let _config = LocalConfig::from_options(options)?;
    let root = parse_bucket_url(url)?
        .native_path()
        .map_err(|e| e.while_doing(format_args!("opening bucket `{url}`")))?;
    if fs::metadata(&root).is_ok_and(|meta| !meta.is_dir()) {
        return Err(PluginError::invalid(format!(
            "bucket root `{}` is not a directory",
            root.display()
        ))
        .with_context("url", url));
    }
    Ok(LocalStore::new(root))
}

stowage_plugin_sdk::export_plugin! {
    name: "local",
    version: env!("CARGO_PKG_VERSION"),
    backends: [LocalBackend],
    formats: [],
}
