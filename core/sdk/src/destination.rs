//! The destination contract: a database that runs SQL written by the host and copies staged
//! files into its tables.
//!
//! # Behavior (every destination)
//! - One opened [`Destination`] is one database session. The host sends `BEGIN`, `COMMIT` and
//!   `ROLLBACK` through [`Destination::execute`]; with [`DestinationCapabilities::transactions`]
//!   everything in between — DDL, DML and [`Destination::copy_file`] — commits or rolls back as
//!   one unit. Dropping the instance rolls back an open transaction.
//! - [`Destination::copy_file`] streams one staged file (read through the staging bucket's
//!   backend, never opened by the destination itself) into an existing table, in bulk (`COPY`,
//!   a native file reader), never row by row. The file may hold a subset of the table's
//!   columns; the others are NULL.
//! - [`Destination::query`] returns small results (metadata, inspection) as JSON lines.
//! - Errors never contain credentials.

use crate::Result;
use crate::backend::ObjectReader;
use crate::options::Options;

/// What a destination can do (declared, not guessed).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DestinationCapabilities {
    /// `BEGIN`/`COMMIT`/`ROLLBACK` cover DDL, DML and `copy_file`.
    pub transactions: bool,
    /// `MERGE INTO` is supported (the `upsert` merge strategy).
    pub merge_into: bool,
}

impl DestinationCapabilities {
    /// The ABI bit set.
    pub const fn bits(self) -> u64 {
        use stowage_plugin_abi::*;
        let mut b = 0;
        if self.transactions {
            b |= DESTINATION_CAP_TRANSACTIONS;
        }
        if self.merge_into {
            b |= DESTINATION_CAP_MERGE_INTO;
        }
        b
    }

    /// From the ABI bit set.
    pub const fn from_bits(b: u64) -> DestinationCapabilities {
        use stowage_plugin_abi::*;
        DestinationCapabilities {
            transactions: b & DESTINATION_CAP_TRANSACTIONS != 0,
            merge_into: b & DESTINATION_CAP_MERGE_INTO != 0,
        }
    }

    /// Names of the supported capabilities, for listings.
    pub fn names(self) -> Vec<&'static str> {
        let all = [
            (self.transactions, "transactions"),
            (self.merge_into, "merge-into"),
        ];
        all.iter().filter(|(on, _)| *on).map(|(_, n)| *n).collect()
    }
}

/// One column of the table a file is copied into.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopyColumn {
    /// Column name (unquoted).
    pub name: String,
    /// dlt data type (`text`, `bigint`, `double`, `bool`, `decimal`, `timestamp`, `date`,
    /// `time`, `binary`, `json`, `wei`).
    pub data_type: String,
    /// Accepts NULL.
    pub nullable: bool,
}

/// One staged file to load into one existing table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopyRequest {
    /// Schema (dataset) of the table, unquoted.
    pub dataset: String,
    /// Table name, unquoted.
    pub table: String,
    /// Loader file format (`jsonl`, `csv`, `parquet`).
    pub format: String,
    /// Full extension of the staged file (`jsonl.gz`).
    pub extension: String,
    /// Every column of the table, in table order.
    pub columns: Vec<CopyColumn>,
    /// Remote URL of the staged file (for messages only).
    pub url: String,
}

impl CopyRequest {
    /// True if the staged file is gzip-compressed (its extension ends in `.gz`).
    pub fn is_gzip(&self) -> bool {
        self.extension.ends_with(".gz")
    }
}

/// An opened destination: one database session.
pub trait Destination: Send + Sync {
    /// Runs a SQL script (one or more `;`-separated statements).
    fn execute(&self, sql: &str) -> Result<()>;
    /// Runs one query; its rows as JSON lines (one object per row, columns in result order).
    fn query(&self, sql: &str) -> Result<String>;
    /// Loads the staged file read from `source` into the request's table; returns rows loaded.
    fn copy_file(&self, request: &CopyRequest, source: Box<dyn ObjectReader>) -> Result<u64>;
}

/// A destination kind a plugin exports.
pub trait DestinationPlugin: 'static {
    /// Short name, e.g. `duckdb`.
    const NAME: &'static str;
    /// One line for `stowage plugins`.
    const DESCRIPTION: &'static str;
    /// Loader file formats `copy_file` accepts, preferred first.
    const STAGING_FORMATS: &'static [&'static str];
    /// SQL type of each dlt data type, used by the host's DDL.
    const TYPE_MAP: &'static [(&'static str, &'static str)];
    /// Declared capabilities.
    const CAPABILITIES: DestinationCapabilities;
    /// Opens a session with resolved `options` (reject unknown keys).
    fn open(options: Options) -> Result<Box<dyn Destination>>;
}
