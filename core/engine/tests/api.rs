//! The Rust API: a pipeline built with `stowage::api` loads rows through the real plugins, with
//! a layout placeholder computed by a callback.

use std::path::PathBuf;

use serde_json::json;
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

fn files_under(dir: &std::path::Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.push(path.strip_prefix(dir).unwrap().display().to_string());
            }
        }
    }
    out.sort();
    out
}

#[test]
fn rows_load_with_a_callback_placeholder() {
    let Some(plugins) = plugin_dir() else { return };
    let work = tempfile::tempdir().unwrap();
    let bucket = work.path().join("lake");
    let rows = vec![
        json!({"id": 1, "Name": "Alice", "tags": ["a", "b"]}),
        json!({"id": 2, "Name": "Bob", "created": "2024-01-02T03:04:05+02:00"}),
    ];
    let summary = Pipeline::new("api_test")
        .plugin_dir(&plugins)
        .pipelines_dir(work.path().join("pipelines"))
        .destination(
            filesystem(format!("file://{}", bucket.display()))
                .layout("{table_name}/{env}/{load_id}.{file_id}.{ext}")
                .extra_placeholder("env", |_schema, table, _load, _file, _ext| {
                    format!("env-{table}")
                }),
        )
        .dataset("api_data")
        .run("Events", rows)
        .unwrap();
    assert_eq!(summary.rows, 2);
    let files = files_under(&bucket.join("api_data"));
    assert!(
        files.iter().any(|f| f.starts_with("events/env-events/")),
        "{files:?}"
    );
    assert!(
        files
            .iter()
            .any(|f| f.starts_with("events__tags/env-events__tags/")),
        "{files:?}"
    );
    assert_eq!(
        files
            .iter()
            .filter(|f| f.starts_with("_dlt_loads/"))
            .count(),
        1,
        "{files:?}"
    );

    let not_an_object = Pipeline::new("api_test_bad")
        .plugin_dir(&plugins)
        .pipelines_dir(work.path().join("pipelines"))
        .destination(filesystem(format!("file://{}", bucket.display())))
        .run("bad", vec![json!([1, 2])]);
    let err = not_an_object.unwrap_err().to_string();
    assert!(err.contains("row 1 is not a JSON object"), "{err}");
}
