//! The `parquet` file format plugin: Arrow record batches to the parquet files dlt's filesystem
//! destination writes with pyarrow (same types, nullability, column order, snappy by default),
//! and back.
//!
//! - [`config`]: options (dlt's `[data_writer]` parquet keys).
//! - [`writer`]: batches → row groups, streamed into the sink.
//! - [`stored`]: the stored schema (timestamp units per format version, no engine metadata).
//! - [`reader`]: parquet → Arrow over positional reads ([`chunks`]); the `columns` read option
//!   ([`projection`]) decodes only some columns, fetching only their column chunks.
//!
//! The type map and the options are listed in this crate's `README.md`.

pub mod chunks;
pub mod config;
pub mod projection;
pub mod reader;
pub mod stored;
pub mod writer;

use std::io::Write;

use arrow_array::RecordBatchReader;
use arrow_schema::SchemaRef;
use stowage_plugin_sdk::{
    Format, FormatCapabilities, FormatPlugin, ObjectReader, Options, Result, WriteSummary,
};

pub use config::ParquetConfig;

/// The parquet format as the plugin exports it.
#[derive(Debug, Clone, Default)]
pub struct ParquetFormat {
    config: ParquetConfig,
    /// The `columns` read option: decode only these columns (`None`: all).
    columns: Option<Vec<String>>,
}

impl ParquetFormat {
    /// A format with resolved settings.
    pub fn new(config: ParquetConfig) -> Self {
        ParquetFormat {
            config,
            columns: None,
        }
    }

    /// Reads decode only `columns` (see [`projection`]).
    pub fn with_columns(mut self, columns: Option<Vec<String>>) -> Self {
        self.columns = columns;
        self
    }
}

impl Format for ParquetFormat {
    fn file_extension(&self) -> &str {
        "parquet"
    }

    fn write(
        &self,
        batches: &mut dyn RecordBatchReader,
        sink: &mut (dyn Write + Send),
    ) -> Result<WriteSummary> {
        writer::write_parquet(&self.config, batches, sink)
    }

    fn read(
        &self,
        source: Box<dyn ObjectReader>,
        schema: Option<SchemaRef>,
    ) -> Result<Box<dyn RecordBatchReader + Send>> {
        reader::read_parquet(source, schema, self.columns.as_deref())
    }
}

impl FormatPlugin for ParquetFormat {
    const NAME: &'static str = "parquet";
    const DESCRIPTION: &'static str = "dlt-compatible parquet (snappy by default; compression, \
         row_group_size, data_page_size, version, use_dictionary; columns when reading)";
    const EXTENSIONS: &'static [&'static str] = &["parquet"];
    const CAPABILITIES: FormatCapabilities = FormatCapabilities {
        write: true,
        read: true,
        gzip: false,
        nested: true,
    };

    fn open(mut options: Options) -> Result<Box<dyn Format>> {
        let columns = projection::take_columns(&mut options)?;
        let config = ParquetConfig::from_options(options)?;
        Ok(Box::new(ParquetFormat::new(config).with_columns(columns)))
    }
}

stowage_plugin_sdk::export_plugin! {
    name: "parquet",
    version: env!("CARGO_PKG_VERSION"),
    backends: [],
    formats: [ParquetFormat],
}
