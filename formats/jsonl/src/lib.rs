//! The `jsonl` file format plugin: Arrow record batches to the jsonl files dlt's filesystem
//! destination writes (byte-compatible after decompression), and back.
//!
//! - [`config`]: options (`disable_compression`, `compression_level`).
//! - [`encoder`]: rows → one orjson-compact JSON object per line, optionally gzip-compressed.
//! - [`decoder`]: jsonl or jsonl.gz → Arrow, with or without a schema.
//!
//! The output rules are listed in this crate's `README.md`.

pub mod config;
pub mod decoder;
pub mod encoder;
mod key_order;
mod render;
mod tape_decoders;
mod temporal;

use std::io::Write;

use arrow_array::RecordBatchReader;
use arrow_schema::SchemaRef;
use stowage_plugin_sdk::{
    Format, FormatCapabilities, FormatPlugin, ObjectReader, Options, Result, WriteSummary,
};

pub use config::JsonlConfig;
pub use render::{DATA_TYPE_METADATA_KEY, JSON_DATA_TYPE};

/// The jsonl format as the plugin exports it.
#[derive(Debug, Clone, Copy, Default)]
pub struct JsonlFormat {
    config: JsonlConfig,
}

impl JsonlFormat {
    /// A format with resolved settings.
    pub fn new(config: JsonlConfig) -> Self {
        JsonlFormat { config }
    }
}

impl Format for JsonlFormat {
    fn file_extension(&self) -> &str {
        self.config.file_extension()
    }

    fn write(
        &self,
        batches: &mut dyn RecordBatchReader,
        sink: &mut (dyn Write + Send),
    ) -> Result<WriteSummary> {
        encoder::write_jsonl(batches, sink, self.config.gzip_level)
    }

    fn read(
        &self,
        source: Box<dyn ObjectReader>,
        schema: Option<SchemaRef>,
    ) -> Result<Box<dyn RecordBatchReader + Send>> {
        decoder::read_jsonl(source, schema)
    }
}

impl FormatPlugin for JsonlFormat {
    const NAME: &'static str = "jsonl";
    const DESCRIPTION: &'static str =
        "dlt-compatible JSON lines (gzip by default; disable_compression, compression_level)";
    const EXTENSIONS: &'static [&'static str] = &["jsonl"];
    const CAPABILITIES: FormatCapabilities = FormatCapabilities {
        write: true,
        read: true,
        gzip: true,
        nested: false,
    };

    fn open(options: Options) -> Result<Box<dyn Format>> {
        Ok(Box::new(JsonlFormat::new(JsonlConfig::from_options(
            options,
        )?)))
    }
}

stowage_plugin_sdk::export_plugin! {
    name: "jsonl",
    version: env!("CARGO_PKG_VERSION"),
    backends: [],
    formats: [JsonlFormat],
}
