//! The Stowage plugin SDK: write a storage backend or a file format as a safe Rust trait
//! implementation and export it as a `cdylib` with [`export_plugin!`].
//!
//! - [`Backend`] / [`BackendPlugin`]: storage (keys, streaming readers and writers, listing).
//! - [`Format`] / [`FormatPlugin`]: Arrow record batches to file bytes and back.
//! - [`Destination`] / [`DestinationPlugin`]: a database that runs the host's SQL and copies
//!   staged files into its tables.
//! - [`Options`]: resolved settings from the host; unknown keys are rejected.
//! - [`PluginError`]: one error type with a kind, context and a retry flag.
//! - [`testing`]: the behaviour suite every backend and format runs.
//! - [`types`]: how dlt's data types are represented in Arrow (normalizer ↔ formats).
//!
//! The SDK hides the C ABI (`stowage-plugin-abi`): every exported function runs inside a panic
//! guard, owned data is released by the side that allocated it, and Arrow data moves as C
//! streams, so plugins may use a different arrow-rs major than the host.

pub mod backend;
pub mod destination;
mod error;
pub mod ffi;
pub mod format;
pub mod io;
pub mod log;
mod options;
pub mod testing;
pub mod types;

pub use backend::{
    Backend, BackendCapabilities, BackendPlugin, ListEntry, Lister, ObjectMeta, ObjectReader,
    ObjectWriter,
};
pub use destination::{
    CopyColumn, CopyRequest, Destination, DestinationCapabilities, DestinationPlugin,
};
pub use error::{ErrorKind, PluginError, Result};
pub use format::{Format, FormatCapabilities, FormatPlugin, WriteSummary};
pub use options::{Options, is_secret_key};

/// The ABI crate, re-exported for the [`export_plugin!`] macro and for hosts.
pub use stowage_plugin_abi as abi;
/// arrow-rs crates this SDK is built with.
pub use {arrow_array, arrow_schema};

/// rustc that built the SDK (diagnostics in the manifest).
pub const RUSTC_VERSION: &str = env!("STOWAGE_SDK_RUSTC_VERSION");
/// arrow-rs major/minor the SDK is built with (diagnostics in the manifest).
pub const ARROW_VERSION: &str = "60.1";
