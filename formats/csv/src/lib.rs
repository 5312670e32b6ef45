//! The `csv` file format plugin: Arrow record batches to the csv files dlt's filesystem
//! destination writes for records (Python's csv module, `quote_needed` quoting), and back.
//!
//! - [`config`]: options (`delimiter`, `include_header`, `quoting`, `lineterminator`,
//!   `encoding`, `disable_compression`, `compression_level`).
//! - [`writer`]: rows → csv lines, optionally gzip-compressed.
//! - [`reader`]: csv or csv.gz → Arrow, with or without a schema.
//! - [`python`], [`temporal`]: values as Python's `str()` writes them (from
//!   `stowage-format-support`, shared with the other format plugins).
//!
//! The output rules are listed in this crate's `README.md`.

pub mod config;
pub mod reader;
pub mod writer;

use std::io::Write;

use arrow_array::RecordBatchReader;
use arrow_schema::SchemaRef;
use stowage_plugin_sdk::{
    Format, FormatCapabilities, FormatPlugin, ObjectReader, Options, Result, WriteSummary,
};

pub use config::{CsvConfig, Quoting};
pub use stowage_format_support::{python, temporal};

/// The csv format as the plugin exports it.
#[derive(Debug, Clone, Copy, Default)]
pub struct CsvFormat {
    config: CsvConfig,
}

impl CsvFormat {
    /// A format with resolved settings.
    pub fn new(config: CsvConfig) -> Self {
        CsvFormat { config }
    }
}

impl Format for CsvFormat {
    fn file_extension(&self) -> &str {
        self.config.file_extension()
    }

    fn write(
        &self,
        batches: &mut dyn RecordBatchReader,
        sink: &mut (dyn Write + Send),
    ) -> Result<WriteSummary> {
        writer::write_csv(&self.config, batches, sink)
    }

    fn read(
        &self,
        source: Box<dyn ObjectReader>,
        schema: Option<SchemaRef>,
    ) -> Result<Box<dyn RecordBatchReader + Send>> {
        reader::read_csv(&self.config, source, schema)
    }
}

impl FormatPlugin for CsvFormat {
    const NAME: &'static str = "csv";
    const DESCRIPTION: &'static str = "dlt-compatible csv (gzip by default; delimiter, \
         include_header, quoting, disable_compression)";
    const EXTENSIONS: &'static [&'static str] = &["csv"];
    const CAPABILITIES: FormatCapabilities = FormatCapabilities {
        write: true,
        read: true,
        gzip: true,
        nested: false,
    };

    fn open(options: Options) -> Result<Box<dyn Format>> {
        Ok(Box::new(CsvFormat::new(CsvConfig::from_options(options)?)))
    }
}

stowage_plugin_sdk::export_plugin! {
    name: "csv",
    version: env!("CARGO_PKG_VERSION"),
    backends: [],
    formats: [CsvFormat],
}
