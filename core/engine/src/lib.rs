//! Stowage: load records into buckets and folders the way dlt's filesystem destination does.
//!
//! The engine owns everything that is not storage- or format-specific: bucket URLs, naming,
//! normalization into Arrow, the crash-safe load package, the loader with dlt's bookkeeping on
//! the bucket, and the plugin host. Storage backends and file formats are plugins
//! (`libstowage_plugin_*.so`) loaded at runtime through a stable C ABI.
//!
//! ```no_run
//! use stowage::pipeline::{RunOptions, run};
//! use stowage::plugins::{DiscoveryConfig, Registry};
//!
//! let registry = Registry::discover(&DiscoveryConfig::standard(&[]));
//! let mut options = RunOptions::new("events.ndjson", "events");
//! options.bucket_url = Some("file:///tmp/bucket".into());
//! let summary = run(&registry, &options)?;
//! println!("loaded {} rows as load {}", summary.rows, summary.load_id);
//! # Ok::<(), stowage::Error>(())
//! ```

pub mod api;
pub mod bucket_url;
pub mod config;
pub mod dataset;
pub mod disposition;
pub mod fault;
pub mod history;
pub mod ids;
pub mod input;
pub mod inspect;
pub mod job_writer;
pub mod layout;
pub mod loader;
pub mod naming;
pub mod normalize;
pub mod package;
pub mod pipeline;
pub mod plan;
pub mod plugins;
pub mod progress;
pub mod retry;
pub mod schema;
pub mod special_files;
pub mod staging;
pub mod state;
mod upload;

/// The error of every engine operation: a kind, a message, context and a retry flag.
pub use stowage_plugin_sdk::PluginError as Error;
pub use stowage_plugin_sdk::{ErrorKind, Options};

/// Result with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
