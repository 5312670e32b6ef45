//! The `columns` read option: only the named columns are decoded, with the file's own types,
//! and only their column chunks (plus the footer) are read from the source.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use arrow_array::{Array, Int64Array, RecordBatch, RecordBatchIterator, StringArray};
use arrow_schema::{DataType, Field, Schema};
use stowage_plugin_parquet::ParquetFormat;
use stowage_plugin_sdk::io::MemoryReader;
use stowage_plugin_sdk::{FormatPlugin, ObjectReader, Options, Result};

const ROWS: usize = 20_000;

/// An id column and three wide text columns that do not compress.
fn wide_batch() -> RecordBatch {
    let text = |seed: u64| {
        let values: Vec<String> = (0..ROWS as u64)
            .map(|i| {
                let x = (i + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ seed;
                format!(
                    "{x:016x}{:016x}{:016x}",
                    x.rotate_left(17),
                    x.rotate_left(41)
                )
            })
            .collect();
        Arc::new(StringArray::from(values)) as Arc<dyn Array>
    };
    let schema = Schema::new(vec![
        Field::new("id", DataType::Int64, false),
        Field::new("a", DataType::Utf8, true),
        Field::new("b", DataType::Utf8, true),
        Field::new("c", DataType::Utf8, true),
    ]);
    let ids = Arc::new(Int64Array::from_iter_values(0..ROWS as i64));
    RecordBatch::try_new(Arc::new(schema), vec![ids, text(1), text(2), text(3)]).unwrap()
}

fn parquet_bytes(batch: &RecordBatch) -> Vec<u8> {
    let format = ParquetFormat::open(Options::new([("row_group_size", "5000")])).unwrap();
    let mut reader = RecordBatchIterator::new(vec![Ok(batch.clone())], batch.schema());
    let mut bytes = Vec::new();
    format.write(&mut reader, &mut bytes).unwrap();
    bytes
}

/// The bytes of column `leaf`'s chunks and of the footer.
fn chunk_bytes(bytes: &[u8], leaf: usize) -> (u64, u64) {
    use parquet::file::reader::{FileReader, SerializedFileReader};
    let reader = SerializedFileReader::new(bytes::Bytes::from(bytes.to_vec())).unwrap();
    let metadata = reader.metadata();
    let chunks = metadata
        .row_groups()
        .iter()
        .map(|g| g.column(leaf).byte_range().1)
        .sum();
    let tail = &bytes[bytes.len() - 8..];
    let footer = u32::from_le_bytes(tail[..4].try_into().unwrap()) as u64 + 8;
    (chunks, footer)
}

/// Counts the bytes read through it.
struct Counting(MemoryReader, Arc<AtomicU64>);

impl ObjectReader for Counting {
    fn size(&mut self) -> Result<u64> {
        self.0.size()
    }
    fn read(&mut self, buf: &mut [u8]) -> Result<usize> {
        let n = self.0.read(buf)?;
        self.1.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
    fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> Result<usize> {
        let n = self.0.read_at(offset, buf)?;
        self.1.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// Reads `bytes` with the `columns` option; the batches and the bytes read.
fn read_columns(
    bytes: &[u8],
    columns: &str,
    schema: Option<Arc<Schema>>,
) -> (Vec<RecordBatch>, u64) {
    let format = ParquetFormat::open(Options::new([("columns", columns)])).unwrap();
    let read = Arc::new(AtomicU64::new(0));
    let source = Counting(MemoryReader::new(bytes.to_vec()), read.clone());
    let batches = format
        .read(Box::new(source), schema)
        .unwrap()
        .collect::<std::result::Result<Vec<_>, _>>()
        .unwrap();
    (batches, read.load(Ordering::Relaxed))
}

#[test]
fn one_column_reads_only_its_chunks() {
    let batch = wide_batch();
    let bytes = parquet_bytes(&batch);
    let (batches, read) = read_columns(&bytes, r#"["b"]"#, None);
    let (chunks, footer) = chunk_bytes(&bytes, 2);
    assert!(
        read >= chunks && read <= chunks + footer,
        "read {read} bytes; the column's chunks are {chunks}, the footer {footer} (file: {})",
        bytes.len()
    );
    let rows: usize = batches.iter().map(RecordBatch::num_rows).sum();
    assert_eq!(rows, ROWS);
    let got: Vec<&str> = batches
        .iter()
        .flat_map(|b| {
            assert_eq!(b.num_columns(), 1);
            assert_eq!(b.schema().field(0).name(), "b");
            let col = b.column(0).as_any().downcast_ref::<StringArray>().unwrap();
            (0..col.len()).map(|i| col.value(i)).collect::<Vec<_>>()
        })
        .collect();
    let want = batch
        .column_by_name("b")
        .unwrap()
        .as_any()
        .downcast_ref::<StringArray>()
        .unwrap();
    assert!(got.iter().enumerate().all(|(i, v)| *v == want.value(i)));
}

#[test]
fn no_columns_keeps_the_row_count_from_the_footer() {
    let bytes = parquet_bytes(&wide_batch());
    let (batches, read) = read_columns(&bytes, "[]", None);
    let rows: usize = batches.iter().map(RecordBatch::num_rows).sum();
    assert_eq!(rows, ROWS);
    assert!(batches.iter().all(|b| b.num_columns() == 0));
    assert!(read * 20 < bytes.len() as u64, "read {read} bytes");
}

#[test]
fn a_schema_is_narrowed_to_the_columns_and_unknown_names_are_skipped() {
    let batch = wide_batch();
    let bytes = parquet_bytes(&batch);
    let (batches, _) = read_columns(&bytes, r#"["c", "id", "nope"]"#, Some(batch.schema()));
    let schema = batches[0].schema();
    let names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
    assert_eq!(names, ["id", "c"], "schema order, only the named columns");
    let (batches, _) = read_columns(&bytes, r#"["nope"]"#, None);
    assert_eq!(
        batches.iter().map(RecordBatch::num_rows).sum::<usize>(),
        ROWS
    );
}

#[test]
fn a_bad_columns_value_is_rejected() {
    let err = match ParquetFormat::open(Options::new([("columns", "id,name")])) {
        Ok(_) => panic!("accepted a bad `columns` value"),
        Err(e) => e.to_string(),
    };
    assert!(err.contains("`columns`"), "{err}");
}
