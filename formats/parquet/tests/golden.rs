//! The file's layout against dlt's parquet writer (spec §4.3): for the same Arrow table,
//! pyarrow with dlt's settings (`version="2.4"`, snappy, one row group per buffer flush)
//! must describe every column the same way (logical type, nullability), and the file must
//! carry only the `ARROW:schema` key, one row group per written batch and snappy pages.

#[path = "shared/interop.rs"]
mod interop;

use arrow_array::RecordBatchIterator;
use interop::*;
use serde_json::Value;
use stowage_plugin_parquet::ParquetFormat;
use stowage_plugin_sdk::{FormatPlugin, Options};

/// Describes a parquet file; with a second path, first rewrites the first file's table with
/// pyarrow and dlt's writer settings (3 row groups like dlt's buffer flushes) and describes it.
const DESCRIBE: &str = r#"
import pyarrow.parquet as pq

def describe(path):
    f = pq.ParquetFile(path)
    md = f.metadata
    cols = []
    for i in range(md.num_columns):
        c = f.schema.column(i)
        chunk = md.row_group(0).column(i) if md.num_row_groups else None
        cols.append({
            "path": c.path,
            "logical": str(c.logical_type),
            "max_def": c.max_definition_level,
            "compression": chunk.compression if chunk else None,
        })
    return {
        "kv_keys": sorted(k.decode() for k in (md.metadata or {}).keys()),
        "row_groups": [md.row_group(i).num_rows for i in range(md.num_row_groups)],
        "columns": cols,
        "arrow_schema": [[fl.name, str(fl.type), fl.nullable, {k.decode(): v.decode() for k, v in (fl.metadata or {}).items()}] for fl in f.schema_arrow],
    }

ours = describe(sys.argv[1])
table = pq.read_table(sys.argv[1])
w = pq.ParquetWriter(sys.argv[2], table.schema, version="2.4", compression="snappy", use_compliant_nested_type=True)
for b in table.to_batches(max_chunksize=5000):
    w.write_batch(b, row_group_size=None)
w.close()
print(json.dumps({"ours": ours, "dlt": describe(sys.argv[2])}))
"#;

#[test]
fn layout_matches_dlts_pyarrow_writer() {
    let Some(python) = python() else { return };
    let dir = tempfile::tempdir().unwrap();
    let (ours, dlts) = (
        dir.path().join("ours.parquet"),
        dir.path().join("dlt.parquet"),
    );
    // 12,000 rows in three buffer flushes of 5000, 5000, 2000 (spec §4.3).
    let one = all_types_batch();
    let rows: Vec<_> = (0..1000).map(|_| one.clone()).collect();
    let table = concat(&one.schema(), &rows);
    let batches = vec![
        table.slice(0, 5000),
        table.slice(5000, 5000),
        table.slice(10_000, 2000),
    ];
    let format = ParquetFormat::open(Options::default()).unwrap();
    let mut reader = RecordBatchIterator::new(batches.into_iter().map(Ok), one.schema());
    let mut file = std::fs::File::create(&ours).unwrap();
    format.write(&mut reader, &mut file).unwrap();
    drop(file);

    let out = run_python(
        &python,
        DESCRIBE,
        &[ours.to_str().unwrap(), dlts.to_str().unwrap()],
    );
    let doc: Value = serde_json::from_str(out.trim()).unwrap();
    let (ours, dlt) = (&doc["ours"], &doc["dlt"]);
    assert_eq!(ours["kv_keys"], serde_json::json!(["ARROW:schema"]));
    assert_eq!(ours["kv_keys"], dlt["kv_keys"]);
    assert_eq!(ours["row_groups"], serde_json::json!([5000, 5000, 2000]));
    assert_eq!(ours["row_groups"], dlt["row_groups"]);
    assert_eq!(
        ours["arrow_schema"], dlt["arrow_schema"],
        "same Arrow schema, no field metadata"
    );
    let columns = |d: &Value| d["columns"].as_array().unwrap().clone();
    for (o, d) in columns(ours).iter().zip(columns(dlt).iter()) {
        assert_eq!(o["path"], d["path"]);
        assert_eq!(o["max_def"], d["max_def"], "nullability of {}", o["path"]);
        assert_eq!(o["compression"], "SNAPPY", "{}", o["path"]);
        assert_eq!(o["logical"], d["logical"], "logical type of {}", o["path"]);
    }

    // The plugin reads the file pyarrow wrote with dlt's settings back to the same values.
    let bytes = std::fs::read(&dlts).unwrap();
    let back = format
        .read(
            Box::new(stowage_plugin_sdk::io::MemoryReader::new(bytes)),
            Some(one.schema()),
        )
        .unwrap()
        .collect::<Result<Vec<_>, _>>()
        .unwrap();
    assert_eq!(concat(&one.schema(), &back), table);
}

#[test]
fn engine_annotations_are_not_stored() {
    let batch = all_types_batch();
    let format = ParquetFormat::open(Options::default()).unwrap();
    let mut reader = RecordBatchIterator::new(vec![Ok(batch.clone())], batch.schema());
    let mut bytes = Vec::new();
    format.write(&mut reader, &mut bytes).unwrap();
    let text = String::from_utf8_lossy(&bytes);
    assert!(
        !text.contains("stowage.data_type"),
        "internal metadata leaked into the file"
    );
}
