//! insert_values (plain or gzip, detected by the magic bytes) → Arrow record batches, streamed
//! row by row through a small SQL reader ([`lexer`]) that understands what [`crate::writer`]
//! writes in either dialect.
//!
//! With a schema, columns are matched by name (a schema column missing from the statement
//! reads as nulls when nullable). Without one, the first [`INFER_ROWS`] rows are held in
//! memory to infer the types ([`values::Inferred`]).

pub mod lexer;
pub mod values;

use std::collections::VecDeque;
use std::io::BufRead;
use std::sync::Arc;

use arrow_array::{RecordBatch, RecordBatchOptions, RecordBatchReader};
use arrow_schema::{Field, Schema, SchemaRef};
use stowage_format_support::batches::{BatchSource, Batches};
use stowage_format_support::input;
use stowage_plugin_sdk::{ObjectReader, PluginError, Result};

use lexer::{Literal, SqlInput};
use values::Inferred;

/// Rows per decoded batch.
pub const BATCH_SIZE: usize = 8192;
/// Rows used to infer a schema when none is given.
pub const INFER_ROWS: usize = 1000;

/// Opens a streaming reader of record batches over `source`.
pub fn read_insert_values(
    source: Box<dyn ObjectReader>,
    schema: Option<SchemaRef>,
) -> Result<Box<dyn RecordBatchReader + Send>> {
    read_from(input::open_input(source, "reading insert_values")?, schema)
}

/// Decodes plain SQL text from `input`.
pub fn read_from(
    input: Box<dyn BufRead + Send>,
    schema: Option<SchemaRef>,
) -> Result<Box<dyn RecordBatchReader + Send>> {
    let mut rows = Rows {
        sql: SqlInput::new(input),
        columns: Vec::new(),
        state: State::NeedStatement,
    };
    rows.start_statement()?;
    let mut reader = Statements {
        rows,
        schema: Arc::new(Schema::empty()),
        mapping: Vec::new(),
        pending: VecDeque::new(),
    };
    match schema {
        Some(schema) => {
            reader.mapping = map_columns(&schema, &reader.rows.columns)?;
            reader.schema = schema;
        }
        None => reader.infer()?,
    }
    Ok(Box::new(Batches::new(reader)))
}

/// For each schema column, the index of its statement column.
fn map_columns(schema: &SchemaRef, columns: &[String]) -> Result<Vec<Option<usize>>> {
    schema
        .fields()
        .iter()
        .map(|field| {
            let index = columns.iter().position(|c| c == field.name());
            if index.is_none() && !field.is_nullable() && !columns.is_empty() {
                return Err(PluginError::invalid(format!(
                    "required column `{}` is not in the INSERT column list",
                    field.name()
                )));
            }
            Ok(index)
        })
        .collect()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    NeedStatement,
    NeedRow,
    AfterRow,
    Done,
}

/// The rows of every statement in the file, in order.
struct Rows {
    sql: SqlInput,
    /// Column list of the first statement (every statement must have the same).
    columns: Vec<String>,
    state: State,
}

impl Rows {
    /// Reads `INSERT INTO … (cols) VALUES`, or notes the end of the file.
    fn start_statement(&mut self) -> Result<()> {
        if self.sql.skip_space()?.is_none() {
            self.state = State::Done;
            return Ok(());
        }
        self.sql.keyword("INSERT")?;
        self.sql.keyword("INTO")?;
        self.sql.skip_table()?;
        let columns = self.sql.column_list()?;
        self.sql.keyword("VALUES")?;
        if self.columns.is_empty() {
            self.columns = columns;
        } else if self.columns != columns {
            return Err(self
                .sql
                .error("a later statement has a different column list"));
        }
        self.state = State::NeedRow;
        Ok(())
    }

    /// The next row's literals, or `None` at the end of the file.
    fn next_row(&mut self) -> Result<Option<Vec<Literal>>> {
        loop {
            match self.state {
                State::Done => return Ok(None),
                State::NeedStatement => self.start_statement()?,
                State::NeedRow => {
                    let row = self.row()?;
                    self.state = State::AfterRow;
                    return Ok(Some(row));
                }
                State::AfterRow => self.after_row()?,
            }
        }
    }

    fn after_row(&mut self) -> Result<()> {
        match self.sql.skip_space()? {
            Some(b',') => {
                self.sql.expect(b',')?;
                self.state = State::NeedRow;
            }
            Some(b';') => {
                self.sql.expect(b';')?;
                self.state = State::NeedStatement;
            }
            None => self.state = State::Done,
            Some(_) => return Err(self.sql.error("expected `,` or `;` after a row")),
        }
        Ok(())
    }

    fn row(&mut self) -> Result<Vec<Literal>> {
        self.sql.expect(b'(')?;
        let mut row = Vec::with_capacity(self.columns.len());
        loop {
            row.push(self.sql.literal()?);
            match self.sql.skip_space()? {
                Some(b',') => self.sql.expect(b',')?,
                Some(b')') => {
                    self.sql.expect(b')')?;
                    break;
                }
                _ => return Err(self.sql.error("expected `,` or `)` in a row")),
            }
        }
        if row.len() != self.columns.len() {
            return Err(self.sql.error(format!(
                "a row has {} values for {} columns",
                row.len(),
                self.columns.len()
            )));
        }
        Ok(row)
    }
}

struct Statements {
    rows: Rows,
    schema: SchemaRef,
    /// Schema column → statement column.
    mapping: Vec<Option<usize>>,
    /// Rows read ahead for inference.
    pending: VecDeque<Vec<Literal>>,
}

impl Statements {
    fn infer(&mut self) -> Result<()> {
        let mut types = vec![Inferred::default(); self.rows.columns.len()];
        while self.pending.len() < INFER_ROWS {
            let Some(row) = self.rows.next_row()? else {
                break;
            };
            for (t, v) in types.iter_mut().zip(&row) {
                *t = t.observe(v);
            }
            self.pending.push_back(row);
        }
        let fields: Vec<Field> = self
            .rows
            .columns
            .iter()
            .zip(&types)
            .map(|(name, t)| Field::new(name, t.data_type(), true))
            .collect();
        self.mapping = (0..fields.len()).map(Some).collect();
        self.schema = Arc::new(Schema::new(fields));
        Ok(())
    }

    fn next_row(&mut self) -> Result<Option<Vec<Literal>>> {
        match self.pending.pop_front() {
            Some(row) => Ok(Some(row)),
            None => self.rows.next_row(),
        }
    }
}

impl BatchSource for Statements {
    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }

    fn next_batch(&mut self) -> Result<Option<RecordBatch>> {
        let mut columns: Vec<Vec<Literal>> = vec![Vec::new(); self.mapping.len()];
        let mut rows = 0;
        while rows < BATCH_SIZE {
            let Some(mut row) = self.next_row()? else {
                break;
            };
            for (column, source) in columns.iter_mut().zip(&self.mapping) {
                let value = source.map_or(Literal::Null, |s| {
                    std::mem::replace(&mut row[s], Literal::Null)
                });
                column.push(value);
            }
            rows += 1;
        }
        if rows == 0 {
            return Ok(None);
        }
        let arrays = self
            .schema
            .fields()
            .iter()
            .zip(&columns)
            .map(|(field, values)| {
                values::decode(values, field.data_type())
                    .map_err(|e| e.with_context("column", field.name().as_str()))
            })
            .collect::<Result<Vec<_>>>()?;
        let options = RecordBatchOptions::new().with_row_count(Some(rows));
        RecordBatch::try_new_with_options(self.schema.clone(), arrays, &options)
            .map(Some)
            .map_err(PluginError::from)
    }
}
