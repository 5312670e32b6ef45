//! Format behaviour suite: write record batches, read them back, compare values.
//!
//! It runs against an in-process [`Format`] (a plugin's own `cargo test`) or a format loaded
//! through dlopen ([`crate::ffi::client::ForeignFormat`]), both seen through [`FormatUnderTest`].

use std::sync::Arc;

use arrow_array::{
    Array, ArrayRef, BinaryArray, BooleanArray, Date32Array, Float64Array, Int64Array, RecordBatch,
    RecordBatchIterator, RecordBatchReader, StringArray, TimestampMicrosecondArray,
};
use arrow_schema::{DataType, Field, Schema, SchemaRef, TimeUnit};

use crate::ffi::client::ForeignFormat;
use crate::format::{Format, WriteSummary};
use crate::io::{MemoryReader, MemoryWriter};
use crate::{PluginError, Result};

/// A format seen by the suite: batches → bytes → batches.
pub trait FormatUnderTest {
    /// Full file extension.
    fn extension(&self) -> String;
    /// Encodes `batches` into bytes.
    fn encode(
        &self,
        schema: SchemaRef,
        batches: Vec<RecordBatch>,
    ) -> Result<(Vec<u8>, WriteSummary)>;
    /// Decodes bytes with the expected schema.
    fn decode(&self, bytes: Vec<u8>, schema: SchemaRef) -> Result<Vec<RecordBatch>>;
}

fn reader_of(
    schema: SchemaRef,
    batches: Vec<RecordBatch>,
) -> RecordBatchIterator<Vec<std::result::Result<RecordBatch, arrow_schema::ArrowError>>> {
    RecordBatchIterator::new(batches.into_iter().map(Ok).collect::<Vec<_>>(), schema)
}

impl FormatUnderTest for &dyn Format {
    fn extension(&self) -> String {
        self.file_extension().to_string()
    }

    fn encode(
        &self,
        schema: SchemaRef,
        batches: Vec<RecordBatch>,
    ) -> Result<(Vec<u8>, WriteSummary)> {
        let sink = MemoryWriter::new();
        let buf = sink.buf.clone();
        let mut reader = reader_of(schema, batches);
        let summary = crate::ffi::encode_into(*self, &mut reader, Box::new(sink))?;
        let bytes = std::mem::take(&mut *buf.lock().expect("not poisoned"));
        Ok((bytes, summary))
    }

    fn decode(&self, bytes: Vec<u8>, schema: SchemaRef) -> Result<Vec<RecordBatch>> {
        let reader = self.read(Box::new(MemoryReader::new(bytes)), Some(schema))?;
        collect(reader)
    }
}

impl FormatUnderTest for ForeignFormat {
    fn extension(&self) -> String {
        self.file_extension().to_string()
    }

    fn encode(
        &self,
        schema: SchemaRef,
        batches: Vec<RecordBatch>,
    ) -> Result<(Vec<u8>, WriteSummary)> {
        let sink = MemoryWriter::new();
        let buf = sink.buf.clone();
        let summary = self.write_stream(Box::new(reader_of(schema, batches)), Box::new(sink))?;
        let bytes = std::mem::take(&mut *buf.lock().expect("not poisoned"));
        Ok((bytes, summary))
    }

    fn decode(&self, bytes: Vec<u8>, schema: SchemaRef) -> Result<Vec<RecordBatch>> {
        let reader = self.read_stream(Box::new(MemoryReader::new(bytes)), Some(&schema))?;
        collect(reader)
    }
}

fn collect(reader: Box<dyn RecordBatchReader + Send>) -> Result<Vec<RecordBatch>> {
    reader.map(|b| b.map_err(PluginError::from)).collect()
}

/// Settings of one suite run.
#[derive(Debug, Clone)]
pub struct FormatSuiteConfig {
    /// Rows of the large case (spread over many batches).
    pub large_rows: usize,
    /// Rows per batch in the large case.
    pub batch_rows: usize,
}

impl Default for FormatSuiteConfig {
    fn default() -> Self {
        FormatSuiteConfig {
            large_rows: 200_000,
            batch_rows: 10_000,
        }
    }
}

/// The schema of the suite's standard table: one column per common type, all nullable.
pub fn standard_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("id", DataType::Int64, false),
        Field::new("score", DataType::Float64, true),
        Field::new("name", DataType::Utf8, true),
        Field::new("active", DataType::Boolean, true),
        Field::new(
            "created",
            DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
            true,
        ),
        Field::new("day", DataType::Date32, true),
        Field::new("blob", DataType::Binary, true),
    ]))
}

const NAMES: [&str; 6] = [
    "Alice",
    "zürich 表 🦀",
    "quote \" back\\slash",
    "new\nline\ttab",
    "",
    "/slash",
];

/// A batch of the standard table with `rows` rows starting at id `start` (every 7th cell null).
pub fn standard_batch(start: i64, rows: usize) -> RecordBatch {
    let ids: Vec<i64> = (start..start + rows as i64).collect();
    let null_every = |i: i64| i % 7 == 3;
    let score: Float64Array = ids
        .iter()
        .map(|&i| (!null_every(i)).then_some(i as f64 * 0.25 - 3.5))
        .collect();
    let name: StringArray = ids
        .iter()
        .map(|&i| (!null_every(i)).then_some(NAMES[(i % 6) as usize]))
        .collect();
    let active: BooleanArray = ids
        .iter()
        .map(|&i| (!null_every(i)).then_some(i % 2 == 0))
        .collect();
    let created = TimestampMicrosecondArray::from(
        ids.iter()
            .map(|&i| (!null_every(i)).then_some(1_704_067_200_000_000 + i * 1_000_123))
            .collect::<Vec<_>>(),
    )
    .with_timezone("UTC");
    let day: Date32Array = ids
        .iter()
        .map(|&i| (!null_every(i)).then_some(19_700 + (i % 400) as i32))
        .collect();
    let blob_values: Vec<Option<Vec<u8>>> = ids
        .iter()
        .map(|&i| (!null_every(i)).then(|| vec![(i % 256) as u8, 0, 255, 10]))
        .collect();
    let blob: BinaryArray = blob_values.iter().map(|v| v.as_deref()).collect();
    let columns: Vec<ArrayRef> = vec![
        Arc::new(Int64Array::from(ids)),
        Arc::new(score),
        Arc::new(name),
        Arc::new(active),
        Arc::new(created),
        Arc::new(day),
        Arc::new(blob),
    ];
    RecordBatch::try_new(standard_schema(), columns).expect("standard batch is valid")
}

type Case = fn(&dyn FormatUnderTest, &FormatSuiteConfig) -> Result<()>;

/// Every case by name.
pub fn cases() -> Vec<(&'static str, Case)> {
    vec![
        ("small_table_round_trip", small_table_round_trip),
        ("empty_stream_round_trip", empty_stream_round_trip),
        ("many_batches_round_trip", many_batches_round_trip),
        (
            "summary_counts_rows_and_bytes",
            summary_counts_rows_and_bytes,
        ),
    ]
}

/// Runs every case; panics listing the failures (for use in `#[test]`).
pub fn run_suite(format: &dyn FormatUnderTest, config: &FormatSuiteConfig) {
    let failed: Vec<String> = cases()
        .into_iter()
        .filter_map(|(name, case)| case(format, config).err().map(|e| format!("  {name}: {e}")))
        .collect();
    assert!(
        failed.is_empty(),
        "format behaviour suite failed:\n{}",
        failed.join("\n")
    );
}

fn compare(expected: &[RecordBatch], actual: &[RecordBatch], schema: &SchemaRef) -> Result<()> {
    let want = arrow_select_concat(schema, expected)?;
    let got = arrow_select_concat(schema, actual)?;
    if want.num_rows() != got.num_rows() {
        return Err(PluginError::unexpected(format!(
            "row count differs: wrote {}, read {}",
            want.num_rows(),
            got.num_rows()
        )));
    }
    for (i, field) in schema.fields().iter().enumerate() {
        let (w, g) = (want.column(i), got.column(i));
        if w.to_data() != g.to_data() {
            let row = (0..w.len()).find(|&r| w.slice(r, 1).to_data() != g.slice(r, 1).to_data());
            return Err(PluginError::unexpected(format!(
                "column `{}` differs (first at row {row:?}): wrote {:?}, read {:?}",
                field.name(),
                row.map(|r| w.slice(r, 1)),
                row.map(|r| g.slice(r, 1)),
            )));
        }
    }
    Ok(())
}

/// Concatenates batches column by column (no arrow-select dependency).
fn arrow_select_concat(schema: &SchemaRef, batches: &[RecordBatch]) -> Result<RecordBatch> {
    let mut columns = Vec::with_capacity(schema.fields().len());
    for i in 0..schema.fields().len() {
        let datas: Vec<arrow_data::ArrayData> =
            batches.iter().map(|b| b.column(i).to_data()).collect();
        let data = if datas.is_empty() {
            arrow_data::ArrayData::new_empty(schema.field(i).data_type())
        } else {
            let refs: Vec<&arrow_data::ArrayData> = datas.iter().collect();
            let total: usize = datas.iter().map(|d| d.len()).sum();
            let mut mutable = arrow_data::transform::MutableArrayData::new(refs, true, total);
            for (idx, d) in datas.iter().enumerate() {
                mutable.try_extend(idx, 0, d.len())?;
            }
            mutable.freeze()
        };
        columns.push(arrow_array::make_array(data));
    }
    Ok(RecordBatch::try_new(schema.clone(), columns)?)
}

fn round_trip(format: &dyn FormatUnderTest, batches: Vec<RecordBatch>) -> Result<()> {
    let schema = standard_schema();
    let (bytes, _) = format.encode(schema.clone(), batches.clone())?;
    let back = format.decode(bytes, schema.clone())?;
    compare(&batches, &back, &schema)
}

fn small_table_round_trip(format: &dyn FormatUnderTest, _: &FormatSuiteConfig) -> Result<()> {
    round_trip(format, vec![standard_batch(0, 50)])
}

fn empty_stream_round_trip(format: &dyn FormatUnderTest, _: &FormatSuiteConfig) -> Result<()> {
    round_trip(format, vec![])?;
    round_trip(format, vec![standard_batch(0, 0)])
}

fn many_batches_round_trip(format: &dyn FormatUnderTest, config: &FormatSuiteConfig) -> Result<()> {
    let step = config.batch_rows.max(1);
    let batches = (0..config.large_rows)
        .step_by(step)
        .map(|start| standard_batch(start as i64, step.min(config.large_rows - start)))
        .collect();
    round_trip(format, batches)
}

fn summary_counts_rows_and_bytes(
    format: &dyn FormatUnderTest,
    _: &FormatSuiteConfig,
) -> Result<()> {
    let batches = vec![standard_batch(0, 10), standard_batch(10, 15)];
    let (bytes, summary) = format.encode(standard_schema(), batches)?;
    if summary.rows != 25 || summary.bytes != bytes.len() as u64 {
        return Err(PluginError::unexpected(format!(
            "summary {summary:?} does not match 25 rows / {} bytes",
            bytes.len()
        )));
    }
    Ok(())
}
