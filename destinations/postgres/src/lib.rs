//! The `postgres` Stowage destination: a PostgreSQL database that runs the host's SQL and loads
//! staged files with `COPY … FROM STDIN`, streamed from the staging bucket's reader.
//!
//! - [`config`]: options (`credentials` as a connection string, or its fields).
//! - [`session`]: one connection; `execute`, `query` (rows as JSON lines) and `copy_file`.
//! - [`copy`]: csv files are passed to `COPY … CSV` as they are; jsonl files are transcoded
//!   line by line into `COPY`'s text format. Never row-by-row inserts.
//! - [`errors`]: driver errors → `PluginError`, with secrets scrubbed.

#![forbid(unsafe_code)]

pub mod config;
pub mod copy;
pub mod errors;
pub mod session;
pub mod sql;

use stowage_plugin_sdk::{
    Destination, DestinationCapabilities, DestinationPlugin, Options, Result,
};

pub use config::PostgresConfig;
pub use session::PostgresSession;

/// The `postgres` destination kind exported by this plugin.
#[derive(Debug)]
pub struct PostgresDestination;

impl DestinationPlugin for PostgresDestination {
    const NAME: &'static str = "postgres";
    const DESCRIPTION: &'static str = "PostgreSQL (COPY FROM STDIN from staged jsonl or csv files)";
    const STAGING_FORMATS: &'static [&'static str] = &["jsonl", "csv"];
    const TYPE_MAP: &'static [(&'static str, &'static str)] = &[
        ("text", "varchar"),
        ("double", "double precision"),
        ("bool", "boolean"),
        ("bigint", "bigint"),
        ("decimal", "numeric(38,9)"),
        ("wei", "numeric"),
        ("timestamp", "timestamp with time zone"),
        ("date", "date"),
        ("time", "time without time zone"),
        ("binary", "bytea"),
        ("json", "jsonb"),
    ];
    const CAPABILITIES: DestinationCapabilities = DestinationCapabilities {
        transactions: true,
        merge_into: true,
    };

    fn open(options: Options) -> Result<Box<dyn Destination>> {
        let config = PostgresConfig::from_options(options)?;
        Ok(Box::new(PostgresSession::connect(&config)?))
    }
}

stowage_plugin_sdk::export_plugin! {
    name: "postgres",
    version: env!("CARGO_PKG_VERSION"),
    backends: [],
    formats: [],
    destinations: [PostgresDestination],
}
