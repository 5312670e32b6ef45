//! The `duckdb` Stowage destination: an embedded DuckDB database file that runs the host's SQL
//! and loads staged parquet, jsonl or csv files with DuckDB's own readers.
//!
//! The plugin links the prebuilt `libduckdb.so` 1.5.6 (fetched by `cargo xtask duckdb`, see
//! `build.rs`); the `duckdb` crate's C API bindings are generated for the same release, and
//! [`session`] refuses to run against any other library version.
//!
//! - [`config`]: options (`credentials` = the database file, or `:memory:`).
//! - [`session`]: one connection; `execute`, `query` (rows as JSON lines) and `copy_file`.
//! - [`copy`]: the staged file is spooled from the staging bucket's reader to a local
//!   temporary file and inserted with `read_parquet` / `read_json` / `read_csv`, casting every
//!   column to the table's type. Never row by row.

#![forbid(unsafe_code)]

pub mod config;
pub mod copy;
pub mod session;
pub mod sql;

use stowage_plugin_sdk::{
    Destination, DestinationCapabilities, DestinationPlugin, Options, Result,
};

pub use config::DuckDbConfig;
pub use session::DuckDbSession;

/// The `duckdb` destination kind exported by this plugin.
#[derive(Debug)]
pub struct DuckDbDestination;

impl DestinationPlugin for DuckDbDestination {
    const NAME: &'static str = "duckdb";
    const DESCRIPTION: &'static str =
        "DuckDB 1.5.6, embedded (a database file loaded from staged parquet, jsonl or csv)";
    const STAGING_FORMATS: &'static [&'static str] = &["parquet", "jsonl", "csv"];
    const TYPE_MAP: &'static [(&'static str, &'static str)] = &[
        ("text", "VARCHAR"),
        ("double", "DOUBLE"),
        ("bool", "BOOLEAN"),
        ("bigint", "BIGINT"),
        ("decimal", "DECIMAL(38,9)"),
        ("wei", "DECIMAL(38,0)"),
        ("timestamp", "TIMESTAMP WITH TIME ZONE"),
        ("date", "DATE"),
        ("time", "TIME"),
        ("binary", "BLOB"),
        ("json", "JSON"),
    ];
    const CAPABILITIES: DestinationCapabilities = DestinationCapabilities {
        transactions: true,
        merge_into: true,
    };

    fn open(options: Options) -> Result<Box<dyn Destination>> {
        let config = DuckDbConfig::from_options(options)?;
        Ok(Box::new(DuckDbSession::open(&config)?))
    }
}

impl DuckDbDestination {
    /// The SQL type of a dlt type (`VARCHAR` for unknown ones).
    pub fn type_of(dlt: &str) -> &'static str {
        Self::TYPE_MAP
            .iter()
            .find(|(k, _)| *k == dlt)
            .map_or("VARCHAR", |(_, v)| v)
    }
}

stowage_plugin_sdk::export_plugin! {
    name: "duckdb",
    version: env!("CARGO_PKG_VERSION"),
    backends: [],
    formats: [],
    destinations: [DuckDbDestination],
}
