//! `_dlt_pipeline_state` rows of staged loads: a load whose pipeline state changed (when a
//! filesystem load writes a `_dlt_pipeline_state/` file) inserts one row with dlt 1.31's
//! columns and values, the state encoded exactly as the filesystem state file encodes it; a
//! load with an unchanged state inserts none; the row is written in the transaction of the
//! load's `_dlt_loads` row (a failure of that insert leaves no state row, and finishing the
//! pending load writes it once); and dlt 1.31 itself restores the state from the DuckDB file
//! with `sync_destination`.
//!
//! Needs `STOWAGE_TEST_PLUGIN_DIR` (built plugins), `DATABASE_URL` for PostgreSQL and
//! `STOWAGE_TEST_PYTHON` for the dlt check; without them the tests are skipped locally and fail
//! under `CI=true`.

mod staging_support;

use std::path::{Path, PathBuf};

use serde_json::{Value, json};
use staging_support::{Intercepted, Staged, Target, duckdb, env, postgres, registry};
use stowage::disposition::WriteDisposition;
use stowage::plugins::Registry;
use stowage::staging::{load_pending_with_destination, run_with_destination};
use stowage::state::PipelineState;
use stowage_plugin_sdk::{Destination, PluginError};

const FIRST: &str = concat!(
    r#"{"id":1,"name":"a"}"#,
    "\n",
    r#"{"id":2,"name":"b"}"#,
    "\n"
);
const SECOND: &str = concat!(r#"{"id":3,"name":"c"}"#, "\n");

/// The pipeline's working-dir state file.
fn state_path(staged: &Staged<'_>) -> PathBuf {
    staged
        .dir
        .join("pipelines")
        .join("stage_test")
        .join("state.json")
}

fn local_state(staged: &Staged<'_>) -> PipelineState {
    let text = std::fs::read_to_string(state_path(staged)).unwrap();
    PipelineState::from_json(serde_json::from_str(&text).unwrap()).unwrap()
}

/// Changes the local state the way a source's incremental cursor would.
fn set_cursor(staged: &Staged<'_>, cursor: i64) {
    let mut state = local_state(staged);
    state.set("sources", json!({"items": {"last_id": cursor}}));
    std::fs::write(state_path(staged), state.to_json().to_string()).unwrap();
}

/// One staged append run; returns its load id.
fn run_once(staged: &Staged<'_>, registry: &Registry, rows: &str) -> String {
    let options = staged.options(rows, WriteDisposition::Append, |_| {});
    stowage::pipeline::run(registry, &options)
        .unwrap_or_else(|e| panic!("{}: {e}", staged.target.name))
        .load_id
}

/// The `_dlt_pipeline_state` rows with the number of completed `_dlt_loads` rows of their load,
/// oldest first.
fn state_rows(staged: &Staged<'_>, registry: &Registry) -> Vec<Value> {
    let ds = &staged.dataset;
    staged.rows(
        registry,
        &format!(
            "SELECT s.version, s.engine_version, s.pipeline_name, s.state, s.version_hash, \
             s._dlt_load_id, s._dlt_id, s.created_at IS NOT NULL AS has_created_at, \
             (SELECT COUNT(*) FROM \"{ds}\"._dlt_loads l WHERE l.load_id = s._dlt_load_id \
             AND l.status = 0) AS loads FROM \"{ds}\"._dlt_pipeline_state s ORDER BY s.version"
        ),
    )
}

/// The row holds dlt's values for the load and the current local state.
fn assert_row(row: &Value, staged: &Staged<'_>, load_id: &str, version: u64) {
    let local = local_state(staged);
    let name = staged.target.name;
    assert_eq!(row["version"].as_u64(), Some(version), "{name}: {row}");
    assert_eq!(row["engine_version"].as_u64(), Some(4), "{name}: {row}");
    assert_eq!(row["pipeline_name"], "stage_test", "{name}: {row}");
    assert_eq!(row["_dlt_load_id"], load_id, "{name}: {row}");
    assert_eq!(row["loads"].as_i64(), Some(1), "{name}: its load completed");
    assert_eq!(row["has_created_at"], true, "{name}: {row}");
    assert_eq!(row["_dlt_id"].as_str().map(str::len), Some(14), "{name}");
    let decoded = PipelineState::decode(row["state"].as_str().unwrap()).unwrap();
    assert_eq!(decoded.version(), version, "{name}");
    assert_eq!(row["version_hash"], decoded.version_hash(), "{name}");
    assert_eq!(decoded.without_local(), local.without_local(), "{name}");
    // As dlt records them: the database as the destination, the bucket as staging.
    let doc = decoded.to_json();
    let destination = format!("dlt.destinations.{name}");
    assert_eq!(doc["destination_type"], destination.as_str(), "{name}");
    assert_eq!(doc["staging_type"], "dlt.destinations.filesystem", "{name}");
    assert_eq!(
        row["state"].as_str().unwrap(),
        local.encode().unwrap(),
        "{name}: the filesystem state file's encoding"
    );
}

/// Three staged runs: the first writes state version 1, the second (state unchanged) writes
/// nothing, the third (cursor changed) writes version 2.
fn state_rows_follow_state_changes(registry: &Registry, target: Target) {
    let dir = tempfile::tempdir().unwrap();
    let staged = Staged::new(dir.path(), "st_state", target);
    let first = run_once(&staged, registry, FIRST);
    let rows = state_rows(&staged, registry);
    assert_eq!(rows.len(), 1, "{}: {rows:?}", staged.target.name);
    assert_row(&rows[0], &staged, &first, 1);

    run_once(&staged, registry, SECOND);
    assert_eq!(
        state_rows(&staged, registry).len(),
        1,
        "{}: an unchanged state adds no row",
        staged.target.name
    );

    set_cursor(&staged, 3);
    let third = run_once(&staged, registry, SECOND);
    let rows = state_rows(&staged, registry);
    assert_eq!(rows.len(), 2, "{}: {rows:?}", staged.target.name);
    assert_row(&rows[1], &staged, &third, 2);
    assert_ne!(rows[0]["_dlt_id"], rows[1]["_dlt_id"]);
    assert_eq!(staged.count(registry, "items"), 4);
    staged.cleanup(registry);
}

#[test]
fn duckdb_gets_a_state_row_per_changed_state() {
    let Some(registry) = registry() else { return };
    let dir = tempfile::tempdir().unwrap();
    state_rows_follow_state_changes(&registry, duckdb(dir.path()));
}

#[test]
fn postgres_gets_a_state_row_per_changed_state() {
    let Some(registry) = registry() else { return };
    let Some(target) = postgres() else { return };
    state_rows_follow_state_changes(&registry, target);
}

/// Fails the `_dlt_loads` insert (after the state row was inserted in the same transaction);
/// every other statement goes to the real session.
fn fail_the_loads_row(inner: &dyn Destination, sql: &str) -> stowage_plugin_sdk::Result<()> {
    if sql.starts_with("INSERT INTO") && sql.contains("\"_dlt_loads\"(") {
        return Err(PluginError::unexpected("injected _dlt_loads failure"));
    }
    inner.execute(sql)
}

fn state_row_shares_the_loads_transaction(registry: &Registry, target: Target) {
    let dir = tempfile::tempdir().unwrap();
    let staged = Staged::new(dir.path(), "st_state_tx", target);
    let options = staged.options(FIRST, WriteDisposition::Append, |_| {});
    let staging = options.staging.clone().unwrap();
    // Every session is closed before the next one opens (one DuckDB file, one open instance).
    let err = {
        let failing = Intercepted::new(staged.session(registry), fail_the_loads_row);
        run_with_destination(registry, &options, &staging, &failing).unwrap_err()
    };
    assert!(err.to_string().contains("injected"), "{err}");
    let name = staged.target.name;
    assert_eq!(
        state_rows(&staged, registry).len(),
        0,
        "{name}: rolled back"
    );
    assert_eq!(staged.count(registry, "items"), 0, "{name}: rolled back");

    let done = {
        let session = staged.session(registry);
        load_pending_with_destination(registry, &options, &staging, session.as_ref()).unwrap()
    };
    assert_eq!(done.len(), 1, "{name}");
    let rows = state_rows(&staged, registry);
    assert_eq!(rows.len(), 1, "{name}: {rows:?}");
    assert_row(&rows[0], &staged, &done[0].load_id, 1);
    assert_eq!(staged.count(registry, "items"), 2);
    staged.cleanup(registry);
}

#[test]
fn duckdb_state_row_is_rolled_back_with_the_load() {
    let Some(registry) = registry() else { return };
    let dir = tempfile::tempdir().unwrap();
    state_row_shares_the_loads_transaction(&registry, duckdb(dir.path()));
}

#[test]
fn postgres_state_row_is_rolled_back_with_the_load() {
    let Some(registry) = registry() else { return };
    let Some(target) = postgres() else { return };
    state_row_shares_the_loads_transaction(&registry, target);
}

/// dlt 1.31's `sync_destination` into a fresh pipelines dir, then `pipeline.state` as JSON.
const DLT_RESTORE: &str = r#"
import json, sys
import dlt
name, db, dataset, pipelines_dir = sys.argv[1:5]
p = dlt.pipeline(pipeline_name=name, destination=dlt.destinations.duckdb(db),
                 dataset_name=dataset, pipelines_dir=pipelines_dir)
p.sync_destination()
print(json.dumps(p.state, default=str))
"#;

fn dlt_restored_state(python: &str, db: &Path, dataset: &str, pipelines_dir: &Path) -> Value {
    let out = std::process::Command::new(python)
        .args(["-c", DLT_RESTORE, "stage_test"])
        .arg(db)
        .arg(dataset)
        .arg(pipelines_dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "dlt sync_destination failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    let last = stdout.lines().last().unwrap_or_default();
    serde_json::from_str(last).unwrap_or_else(|e| panic!("{e}: {stdout}"))
}

#[test]
fn dlt_restores_the_state_from_the_duckdb_file() {
    let Some(registry) = registry() else { return };
    let Some(python) = env("STOWAGE_TEST_PYTHON") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let target = duckdb(dir.path());
    let db = dir.path().join("t.duckdb");
    let staged = Staged::new(dir.path(), "st_state_dlt", target);
    run_once(&staged, &registry, FIRST);
    set_cursor(&staged, 2);
    run_once(&staged, &registry, SECOND);
    let local = local_state(&staged);

    let restored = dlt_restored_state(
        &python,
        &db,
        &staged.dataset,
        &dir.path().join("dlt_pipelines"),
    );
    // dlt bumps the restored state's version when it records its own destination in it.
    let restored_version = restored["_state_version"].as_u64().unwrap_or_default();
    assert!(restored_version >= local.version(), "{restored}");
    assert_eq!(
        restored["sources"],
        json!({"items": {"last_id": 2}}),
        "{restored}"
    );
    assert_eq!(restored["pipeline_name"], "stage_test");
    assert_eq!(restored["dataset_name"], staged.dataset.as_str());
}
