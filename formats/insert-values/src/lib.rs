//! The `insert_values` file format plugin: Arrow record batches to one executable SQL
//! `INSERT INTO {}(cols) VALUES (…),(…);` statement in the literal syntax of PostgreSQL or
//! DuckDB (dlt's `insert_values` layout, with the `{}` table-name placeholder), and back.
//!
//! - [`config`]: options (`dialect`, `disable_compression`, `compression_level`).
//! - [`writer`]: rows → SQL literals, optionally gzip-compressed.
//! - [`reader`]: the statements → Arrow, with or without a schema.
//!
//! The literal rules are listed in [`writer::literals`] and this crate's `README.md`.

pub mod config;
pub mod reader;
pub mod writer;

use std::io::Write;

use arrow_array::RecordBatchReader;
use arrow_schema::SchemaRef;
use stowage_plugin_sdk::{
    Format, FormatCapabilities, FormatPlugin, ObjectReader, Options, Result, WriteSummary,
};

pub use config::{Dialect, InsertValuesConfig};
pub use stowage_format_support::{python, temporal};

/// The insert_values format as the plugin exports it.
#[derive(Debug, Clone, Copy, Default)]
pub struct InsertValuesFormat {
    config: InsertValuesConfig,
}

impl InsertValuesFormat {
    /// A format with resolved settings.
    pub fn new(config: InsertValuesConfig) -> Self {
        InsertValuesFormat { config }
    }
}

impl Format for InsertValuesFormat {
    fn file_extension(&self) -> &str {
        self.config.file_extension()
    }

    fn write(
        &self,
        batches: &mut dyn RecordBatchReader,
        sink: &mut (dyn Write + Send),
    ) -> Result<WriteSummary> {
        writer::write_insert_values(&self.config, batches, sink)
    }

    fn read(
        &self,
        source: Box<dyn ObjectReader>,
        schema: Option<SchemaRef>,
    ) -> Result<Box<dyn RecordBatchReader + Send>> {
        reader::read_insert_values(source, schema)
    }
}

impl FormatPlugin for InsertValuesFormat {
    const NAME: &'static str = "insert_values";
    const DESCRIPTION: &'static str = "executable INSERT … VALUES statements for PostgreSQL or \
         DuckDB (gzip by default; dialect, disable_compression)";
    const EXTENSIONS: &'static [&'static str] = &["insert_values"];
    const CAPABILITIES: FormatCapabilities = FormatCapabilities {
        write: true,
        read: true,
        gzip: true,
        nested: false,
    };

    fn open(options: Options) -> Result<Box<dyn Format>> {
        Ok(Box::new(InsertValuesFormat::new(
            InsertValuesConfig::from_options(options)?,
        )))
    }
}

stowage_plugin_sdk::export_plugin! {
    name: "insert_values",
    version: env!("CARGO_PKG_VERSION"),
    backends: [],
    formats: [InsertValuesFormat],
}
