//! The file format contract: Arrow record batches in, bytes out (and back).

use std::io::Write;

use arrow_array::RecordBatchReader;
use arrow_schema::SchemaRef;

use crate::Result;
use crate::backend::ObjectReader;
use crate::options::Options;

/// What a format can do.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FormatCapabilities {
    /// Arrow → bytes.
    pub write: bool,
    /// Bytes → Arrow.
    pub read: bool,
    /// Output is gzip-compressed by default (`disable_compression` turns it off).
    pub gzip: bool,
    /// Nested Arrow types (struct/list) are stored natively.
    pub nested: bool,
}

impl FormatCapabilities {
    /// The ABI bit set.
    pub const fn bits(self) -> u64 {
        use stowage_plugin_abi::*;
        let mut b = 0;
        if self.write {
            b |= FORMAT_CAP_WRITE;
        }
        if self.read {
            b |= FORMAT_CAP_READ;
        }
        if self.gzip {
            b |= FORMAT_CAP_GZIP;
        }
        if self.nested {
            b |= FORMAT_CAP_NESTED;
        }
        b
    }

    /// From the ABI bit set.
    pub const fn from_bits(b: u64) -> FormatCapabilities {
        use stowage_plugin_abi::*;
        FormatCapabilities {
            write: b & FORMAT_CAP_WRITE != 0,
            read: b & FORMAT_CAP_READ != 0,
            gzip: b & FORMAT_CAP_GZIP != 0,
            nested: b & FORMAT_CAP_NESTED != 0,
        }
    }

    /// Names of the supported capabilities, for listings.
    pub fn names(self) -> Vec<&'static str> {
        let all = [
            (self.write, "write"),
            (self.read, "read"),
            (self.gzip, "gzip"),
            (self.nested, "nested"),
        ];
        all.iter().filter(|(on, _)| *on).map(|(_, n)| *n).collect()
    }
}

/// Counts of one written file.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WriteSummary {
    /// Rows written.
    pub rows: u64,
    /// Batches written.
    pub batches: u64,
    /// Bytes written to the sink (after compression).
    pub bytes: u64,
}

/// An opened format (options applied).
pub trait Format: Send + Sync {
    /// Full file extension with these options, e.g. `jsonl.gz`.
    fn file_extension(&self) -> &str;
    /// Writes every batch of `batches` to `sink` (streamed; memory bounded by one batch).
    /// `bytes` in the summary may be left 0: the SDK counts it.
    fn write(
        &self,
        batches: &mut dyn RecordBatchReader,
        sink: &mut (dyn Write + Send),
    ) -> Result<WriteSummary>;
    /// Decodes `source`; with `schema` the batches have exactly that schema.
    fn read(
        &self,
        source: Box<dyn ObjectReader>,
        schema: Option<SchemaRef>,
    ) -> Result<Box<dyn RecordBatchReader + Send>>;
}

/// A format a plugin exports.
pub trait FormatPlugin: 'static {
    /// Short name, e.g. `jsonl`.
    const NAME: &'static str;
    /// One line for `stowage plugins`.
    const DESCRIPTION: &'static str;
    /// Extensions without compression suffix; the first is canonical.
    const EXTENSIONS: &'static [&'static str];
    /// Declared capabilities.
    const CAPABILITIES: FormatCapabilities;
    /// Opens the format with resolved `options` (reject unknown keys).
    fn open(options: Options) -> Result<Box<dyn Format>>;
}
