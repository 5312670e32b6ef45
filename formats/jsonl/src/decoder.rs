//! Reading jsonl (plain or gzip, detected by the magic bytes) back into Arrow, streamed.
//!
//! With a schema, arrow-json decodes each column; binary columns are base64-decoded and `json`
//! columns receive their nested values as JSON text (module `tape_decoders`). Without one,
//! the schema is inferred from the first [`INFER_LINES`] lines, which are kept in memory and
//! then decoded like the rest.

use std::io::{BufRead, Cursor, Read};
use std::sync::Arc;

use arrow_array::RecordBatchReader;
use arrow_json::ReaderBuilder;
use arrow_json::reader::infer_json_schema;
use arrow_schema::SchemaRef;
use stowage_format_support::input;
use stowage_plugin_sdk::{ObjectReader, PluginError, Result};

use crate::key_order;
use crate::tape_decoders::DltDecoderFactory;

/// Rows per decoded batch.
pub const BATCH_SIZE: usize = 8192;
/// Lines used to infer a schema when none is given.
pub const INFER_LINES: usize = 1000;

type Input = Box<dyn BufRead + Send>;

/// Opens a streaming reader of record batches over `source`.
pub fn read_jsonl(
    source: Box<dyn ObjectReader>,
    schema: Option<SchemaRef>,
) -> Result<Box<dyn RecordBatchReader + Send>> {
    read_from(input::open_input(source, "reading jsonl")?, schema)
}

/// Decodes plain jsonl from `input` (used by [`read_jsonl`] after gunzip detection).
pub fn read_from(
    input: Input,
    schema: Option<SchemaRef>,
) -> Result<Box<dyn RecordBatchReader + Send>> {
    let (schema, input) = match schema {
        Some(schema) => (schema, input),
        None => infer(input)?,
    };
    let reader = ReaderBuilder::new(schema)
        .with_batch_size(BATCH_SIZE)
        .with_coerce_primitive(true)
        .with_decoder_factory(Arc::new(DltDecoderFactory))
        .build(input)?;
    Ok(Box::new(reader))
}

/// Infers a schema from the first [`INFER_LINES`] non-blank lines; returns it and an input
/// that still yields every line.
fn infer(mut input: Input) -> Result<(SchemaRef, Input)> {
    let mut prefix = Vec::new();
    let mut lines = 0;
    while lines < INFER_LINES {
        let start = prefix.len();
        let n = input
            .read_until(b'\n', &mut prefix)
            .map_err(|e| PluginError::from_io_error(e, "reading jsonl"))?;
        if n == 0 {
            break;
        }
        if !prefix[start..].trim_ascii().is_empty() {
            lines += 1;
        }
    }
    let (schema, _) = infer_json_schema(Cursor::new(&prefix), None)?;
    let schema = key_order::reorder(schema, &key_order::first_seen_keys(&prefix));
    Ok((schema, Box::new(Cursor::new(prefix).chain(input))))
}
