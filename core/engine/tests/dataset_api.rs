//! Reading a dataset back through the Rust API: `Pipeline::open_dataset`, tables as streamed
//! Arrow batches (format plugins, no SQL engine), SQL as Arrow batches (duckdb plugin), with a
//! custom layout and several loads in several formats.

use std::path::{Path, PathBuf};

use arrow_array::RecordBatch;
use arrow_array::cast::AsArray;
use arrow_array::types::Int64Type;
use serde_json::{Value, json};
use stowage::api::{Pipeline, filesystem};

fn plugin_dir() -> Option<PathBuf> {
    match std::env::var_os("STOWAGE_TEST_PLUGIN_DIR") {
        Some(dir) => Some(PathBuf::from(dir)),
        None if std::env::var("CI").is_ok_and(|v| v == "true") => {
            panic!("STOWAGE_TEST_PLUGIN_DIR not set in CI")
        }
        None => {
            eprintln!("skipped: plugins not built (run `cargo xtask test-all`)");
            None
        }
    }
}

fn pipeline(plugins: &Path, work: &Path, format: &str) -> Pipeline {
    Pipeline::new("api_read")
        .plugin_dir(plugins)
        .pipelines_dir(work.join("pipelines"))
        .destination(
            filesystem(work.join("lake").display().to_string())
                .layout("{table_name}/{YYYY}/{load_id}_{file_id}"),
        )
        .dataset("api_read_data")
        .format(format)
}

fn rows(offset: i64) -> Vec<Value> {
    (0..5)
        .map(|i| json!({"id": offset + i, "name": format!("n{}", offset + i), "tags": ["x", "y"]}))
        .collect()
}

fn ids(batches: &[RecordBatch], column: &str) -> Vec<i64> {
    let mut out: Vec<i64> = batches
        .iter()
        .flat_map(|b| {
            let col = b
                .column_by_name(column)
                .unwrap()
                .as_primitive::<Int64Type>();
            (0..col.len()).map(|i| col.value(i)).collect::<Vec<_>>()
        })
        .collect();
    out.sort();
    out
}

#[test]
fn tables_stream_as_arrow_and_sql_returns_typed_batches() {
    let Some(plugins) = plugin_dir() else { return };
    let work = tempfile::tempdir().unwrap();
    pipeline(&plugins, work.path(), "jsonl")
        .run("items", rows(0))
        .unwrap();
    pipeline(&plugins, work.path(), "parquet")
        .run("items", rows(10))
        .unwrap();
    pipeline(&plugins, work.path(), "csv")
        .run("items", rows(20))
        .unwrap();

    let dataset = pipeline(&plugins, work.path(), "jsonl")
        .open_dataset()
        .unwrap();
    assert_eq!(dataset.committed_loads().len(), 3);
    assert_eq!(dataset.tables(), vec!["items", "items__tags"]);
    assert_eq!(dataset.files("items").len(), 3, "{:?}", dataset.all_files());

    let batches: Vec<RecordBatch> = dataset
        .table("items")
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let expected: Vec<i64> = (0..5).chain(10..15).chain(20..25).collect();
    assert_eq!(ids(&batches, "id"), expected);
    let schema = batches[0].schema();
    assert!(schema.field_with_name("_dlt_load_id").is_ok());
    let tags: usize = dataset
        .table("items__tags")
        .unwrap()
        .map(|b| b.unwrap().num_rows())
        .sum();
    assert_eq!(tags, 30);

    let joined = dataset
        .sql(
            "SELECT i.id, count(*) AS n FROM items i \
             JOIN items__tags t ON t._dlt_parent_id = i._dlt_id GROUP BY i.id ORDER BY i.id",
        )
        .unwrap();
    assert_eq!(ids(&joined, "id"), expected);
    let counts = ids(&joined, "n");
    assert!(counts.iter().all(|n| *n == 2), "{counts:?}");

    let err = dataset.table("nope").unwrap_err().to_string();
    assert!(
        err.contains("no table `nope`") && err.contains("items__tags"),
        "{err}"
    );
    let err = dataset
        .sql("SELECT missing FROM items")
        .unwrap_err()
        .to_string();
    assert!(err.contains("missing"), "{err}");
}

#[test]
fn an_empty_dataset_location_names_bucket_and_dataset() {
    let Some(plugins) = plugin_dir() else { return };
    let work = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(work.path().join("lake")).unwrap();
    let err = pipeline(&plugins, work.path(), "jsonl")
        .open_dataset()
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("api_read_data") && err.contains("_dlt_version"),
        "{err}"
    );
}

#[test]
fn the_layout_of_the_last_load_is_used_when_none_is_configured() {
    let Some(plugins) = plugin_dir() else { return };
    let work = tempfile::tempdir().unwrap();
    pipeline(&plugins, work.path(), "parquet")
        .run("items", rows(0))
        .unwrap();
    let plain = Pipeline::new("api_read")
        .plugin_dir(&plugins)
        .pipelines_dir(work.path().join("pipelines"))
        .destination(filesystem(work.path().join("lake").display().to_string()))
        .dataset("api_read_data");
    let dataset = plain.open_dataset().unwrap();
    assert_eq!(dataset.files("items").len(), 1, "{:?}", dataset.all_files());
    assert_eq!(
        dataset
            .table("items")
            .unwrap()
            .map(|b| b.unwrap().num_rows())
            .sum::<usize>(),
        5
    );
}
