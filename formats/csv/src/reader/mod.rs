//! csv (plain or gzip, detected by the magic bytes) → Arrow record batches, streamed.
//!
//! With a schema, columns are matched to header names (or by position when the format has no
//! header); a schema column missing from the file reads as nulls when nullable, and file
//! columns not in the schema are skipped. Without a schema, the first [`INFER_ROWS`] rows are
//! held in memory to infer the types ([`infer`]).

pub mod cells;
pub mod infer;
pub mod parser;

use std::collections::VecDeque;
use std::io::BufRead;
use std::sync::Arc;

use arrow_array::{RecordBatch, RecordBatchOptions, RecordBatchReader};
use arrow_schema::{Field, Schema, SchemaRef};
use stowage_format_support::batches::{BatchSource, Batches};
use stowage_format_support::input;
use stowage_plugin_sdk::{ObjectReader, PluginError, Result};

use crate::config::CsvConfig;
use cells::CellBatch;
use infer::Inferred;
use parser::{CsvParser, Record};

/// Rows per decoded batch.
pub const BATCH_SIZE: usize = 8192;
/// Rows used to infer a schema when none is given.
pub const INFER_ROWS: usize = 1000;

/// Opens a streaming reader of record batches over `source`.
pub fn read_csv(
    config: &CsvConfig,
    source: Box<dyn ObjectReader>,
    schema: Option<SchemaRef>,
) -> Result<Box<dyn RecordBatchReader + Send>> {
    read_from(config, input::open_input(source, "reading csv")?, schema)
}

/// Decodes plain csv from `input`.
pub fn read_from(
    config: &CsvConfig,
    input: Box<dyn BufRead + Send>,
    schema: Option<SchemaRef>,
) -> Result<Box<dyn RecordBatchReader + Send>> {
    let mut parser = CsvParser::new(input, config.delimiter);
    let header = if config.include_header {
        read_header(&mut parser)?
    } else {
        None
    };
    let mut reader = CsvBatches {
        parser,
        schema: Arc::new(Schema::empty()),
        mapping: Vec::new(),
        width: 0,
        pending: VecDeque::new(),
        record: Record::default(),
    };
    match schema {
        Some(schema) => {
            reader.mapping = map_columns(&schema, header.as_deref())?;
            reader.width = header.map_or(schema.fields().len(), |h| h.len());
            reader.schema = schema;
        }
        None => reader.infer(header)?,
    }
    Ok(Box::new(Batches::new(reader)))
}

/// The header names, or `None` for an empty file.
fn read_header(parser: &mut CsvParser) -> Result<Option<Vec<String>>> {
    let mut rec = Record::default();
    if !parser.next_record(&mut rec)? {
        return Ok(None);
    }
    let names = (0..rec.len())
        .map(|i| {
            String::from_utf8(rec.field(i).0.to_vec())
                .map_err(|_| PluginError::invalid("csv header is not valid UTF-8"))
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(Some(names))
}

/// For each schema column, the index of its file column.
fn map_columns(schema: &SchemaRef, header: Option<&[String]>) -> Result<Vec<Option<usize>>> {
    schema
        .fields()
        .iter()
        .enumerate()
        .map(|(i, field)| {
            let index = match header {
                Some(names) => names.iter().position(|n| n == field.name()),
                None => Some(i),
            };
            if index.is_none() && !field.is_nullable() && header.is_some_and(|h| !h.is_empty()) {
                return Err(PluginError::invalid(format!(
                    "required column `{}` is not in the csv header",
                    field.name()
                )));
            }
            Ok(index)
        })
        .collect()
}

struct CsvBatches {
    parser: CsvParser,
    schema: SchemaRef,
    /// Schema column → file column.
    mapping: Vec<Option<usize>>,
    /// Columns of the file.
    width: usize,
    /// Rows read ahead for inference.
    pending: VecDeque<Record>,
    record: Record,
}

impl CsvBatches {
    /// Reads up to [`INFER_ROWS`] rows and builds the schema from them.
    fn infer(&mut self, header: Option<Vec<String>>) -> Result<()> {
        let mut types: Vec<Inferred> = Vec::new();
        while self.pending.len() < INFER_ROWS {
            let mut rec = Record::default();
            if !self.parser.next_record(&mut rec)? {
                break;
            }
            if types.len() < rec.len() {
                types.resize(rec.len(), Inferred::Unknown);
            }
            for (i, t) in types.iter_mut().enumerate().take(rec.len()) {
                let (text, quoted) = rec.field(i);
                *t = t.observe(text, quoted);
            }
            self.pending.push_back(rec);
        }
        let names = header.unwrap_or_default();
        let count = names.len().max(types.len());
        let fields: Vec<Field> = (0..count)
            .map(|i| {
                let name = names
                    .get(i)
                    .cloned()
                    .unwrap_or_else(|| format!("column_{}", i + 1));
                let data_type = types.get(i).copied().unwrap_or_default().data_type();
                Field::new(name, data_type, true)
            })
            .collect();
        self.mapping = (0..count).map(Some).collect();
        self.width = count;
        self.schema = Arc::new(Schema::new(fields));
        Ok(())
    }

    /// The next record (read-ahead first); false at the end.
    fn next_record(&mut self) -> Result<bool> {
        if let Some(rec) = self.pending.pop_front() {
            self.record = rec;
            return Ok(true);
        }
        self.parser.next_record(&mut self.record)
    }

    fn push_record(&self, cells: &mut CellBatch) -> Result<()> {
        let rec = &self.record;
        if rec.len() > self.width.max(1) {
            return Err(PluginError::invalid(format!(
                "csv line {}: the row has {} fields, the file has {} columns",
                rec.line,
                rec.len(),
                self.width
            )));
        }
        cells.start_row(rec.line);
        for (column, source) in self.mapping.iter().enumerate() {
            let value = source.filter(|&s| s < rec.len()).map(|s| rec.field(s));
            cells.push(column, value);
        }
        Ok(())
    }
}

impl BatchSource for CsvBatches {
    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }

    fn next_batch(&mut self) -> Result<Option<RecordBatch>> {
        let columns = self.mapping.len();
        let mut cells = CellBatch::new(columns);
        while cells.rows() < BATCH_SIZE && self.next_record()? {
            self.push_record(&mut cells)?;
        }
        if cells.rows() == 0 {
            return Ok(None);
        }
        let arrays = self
            .schema
            .fields()
            .iter()
            .enumerate()
            .map(|(i, field)| cells.decode(i, field))
            .collect::<Result<Vec<_>>>()?;
        let options = RecordBatchOptions::new().with_row_count(Some(cells.rows()));
        RecordBatch::try_new_with_options(self.schema.clone(), arrays, &options)
            .map(Some)
            .map_err(PluginError::from)
    }
}
