//! `stowage run data.ndjson --table t --destination duckdb --staging filesystem` in a fresh
//! project: the staged files land in `./_storage` (no `_dlt_*` files there), the rows land in
//! `./stowage.duckdb`, and DuckDB itself (the tests' Python venv, an independent reader) reads
//! them back; `--primary-key` with `--write-disposition merge` deduplicates; a `--format` that
//! cannot be staged is refused with the allowed list.

mod common;

use std::path::Path;
use std::process::Command;

use common::{files_under, plugin_dir, run, stowage, text};

fn python() -> Option<String> {
    match std::env::var("STOWAGE_TEST_PYTHON")
        .ok()
        .filter(|v| !v.is_empty())
    {
        Some(p) => Some(p),
        None if std::env::var("CI").as_deref() == Ok("true") => {
            panic!("STOWAGE_TEST_PYTHON is not set (run cargo xtask test-all)")
        }
        None => {
            eprintln!("skipped: STOWAGE_TEST_PYTHON is not set (cargo xtask python)");
            None
        }
    }
}

fn duckdb_rows(python: &str, db: &Path, sql: &str) -> String {
    let script = format!(
        "import duckdb, json; c = duckdb.connect({db:?}, read_only=True); \
         print(json.dumps(c.sql({sql:?}).fetchall(), default=str))",
        db = db.to_str().unwrap()
    );
    let out = Command::new(python).args(["-c", &script]).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

#[test]
fn run_into_duckdb_through_a_filesystem_staging_bucket() {
    let Some(plugins) = plugin_dir() else { return };
    let Some(python) = python() else { return };
    let work = tempfile::tempdir().unwrap();
    std::fs::write(
        work.path().join("data.ndjson"),
        "{\"id\":1,\"name\":\"a\",\"tags\":[\"x\",\"y\"]}\n{\"id\":2,\"name\":\"b\"}\n{\"id\":2,\"name\":\"b\"}\n",
    )
    .unwrap();
    let out = run(stowage(&plugins, work.path()).args([
        "run",
        "data.ndjson",
        "--table",
        "t",
        "--destination",
        "duckdb",
        "--staging",
        "filesystem",
    ]));
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    let db = work.path().join("stowage.duckdb");
    assert!(
        db.is_file(),
        "the database is <pipeline>.duckdb in the project dir"
    );
    let staged = files_under(&work.path().join("_storage"));
    assert!(
        staged.iter().any(|f| f.ends_with("stowage_dataset/init")),
        "{staged:?}"
    );
    assert!(
        staged.iter().all(|f| !f.contains("/_dlt_")),
        "no dlt bookkeeping on the staging bucket: {staged:?}"
    );
    assert_eq!(
        duckdb_rows(
            &python,
            &db,
            "SELECT id, name FROM stowage_dataset.t ORDER BY id"
        ),
        r#"[[1, "a"], [2, "b"], [2, "b"]]"#
    );
    assert_eq!(
        duckdb_rows(
            &python,
            &db,
            "SELECT value FROM stowage_dataset.t__tags ORDER BY value"
        ),
        r#"[["x"], ["y"]]"#
    );

    // merge on a primary key: duplicates collapse, the updated row wins.
    std::fs::write(
        work.path().join("more.ndjson"),
        "{\"id\":2,\"name\":\"B\"}\n",
    )
    .unwrap();
    let out = run(stowage(&plugins, work.path()).args([
        "run",
        "more.ndjson",
        "--table",
        "t",
        "--destination",
        "duckdb",
        "--write-disposition",
        "merge",
        "--primary-key",
        "id",
    ]));
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert_eq!(
        duckdb_rows(
            &python,
            &db,
            "SELECT id, name FROM stowage_dataset.t ORDER BY id"
        ),
        r#"[[1, "a"], [2, "B"]]"#
    );
}

#[test]
fn a_format_that_cannot_be_staged_is_refused_with_the_allowed_list() {
    let Some(plugins) = plugin_dir() else { return };
    let work = tempfile::tempdir().unwrap();
    std::fs::write(work.path().join("d.ndjson"), "{\"id\":1}\n").unwrap();
    let out = run(stowage(&plugins, work.path()).args([
        "run",
        "d.ndjson",
        "--table",
        "t",
        "--destination",
        "postgres",
        "--format",
        "parquet",
    ]));
    let (stdout, stderr) = text(&out);
    assert!(!out.status.success(), "{stdout}");
    assert!(
        stderr.contains("cannot be staged") && stderr.contains("jsonl"),
        "{stderr}"
    );
}
