//! Staged loads end to end through real plugins (dlopen): a local staging bucket (and the S3
//! server when configured) into embedded DuckDB and the real PostgreSQL; append, replace (both
//! strategies) and merge (both strategies) with duplicates in the input and updated child
//! rows; the staging dataset layouts; staged files truncated per load and no `_dlt_*` files on
//! the staging bucket; and a failure in the middle of a merge that leaves the destination
//! unchanged.
//!
//! Needs `STOWAGE_TEST_PLUGIN_DIR` (built plugins) and, for PostgreSQL, `DATABASE_URL`; without
//! them the tests are skipped locally and fail under `CI=true`.

mod staging_support;

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

use staging_support::{
    FIRST, Intercepted, Staged, Target, duckdb, items_with_kids, postgres, registry,
};
use stowage::disposition::WriteDisposition;
use stowage::pipeline::{RunOptions, run};
use stowage::plugins::Registry;
use stowage::staging::{MergeStrategy, ReplaceStrategy, StagingOptions, run_with_destination};
use stowage_plugin_sdk::{Destination, PluginError};

/// `tweak` after keying the rows on `id` (every load of these tests is keyed).
fn keyed(tweak: impl FnOnce(&mut StagingOptions)) -> impl FnOnce(&mut StagingOptions) {
    move |s| {
        s.primary_key = vec!["id".into()];
        tweak(s);
    }
}

/// A keyed staged run; panics on failure.
fn load(staged: &Staged<'_>, registry: &Registry, rows: &str, d: WriteDisposition) {
    load_with(staged, registry, rows, d, |_| {});
}

/// A keyed staged run with `tweak` applied to its staging options; panics on failure.
fn load_with(
    staged: &Staged<'_>,
    registry: &Registry,
    rows: &str,
    d: WriteDisposition,
    tweak: impl FnOnce(&mut StagingOptions),
) {
    staged.load(registry, rows, d, keyed(tweak));
}

/// Options of a keyed staged run.
fn options(
    staged: &Staged<'_>,
    rows: &str,
    d: WriteDisposition,
    tweak: impl FnOnce(&mut StagingOptions),
) -> RunOptions {
    staged.options(rows, d, keyed(tweak))
}

const SECOND: &str = concat!(
    r#"{"id":2,"name":"B","kids":[{"k":7},{"k":8},{"k":9}]}"#,
    "\n",
    r#"{"id":3,"name":"c"}"#,
    "\n",
);

fn merge_replace_append(registry: &Registry, target: Target, strategy: MergeStrategy) {
    let dir = tempfile::tempdir().unwrap();
    let run = Staged::new(dir.path(), "stg", target);
    let merge = |s: &mut StagingOptions| s.merge_strategy = strategy;
    load_with(&run, registry, FIRST, WriteDisposition::Merge, merge);
    assert_eq!(
        run.count(registry, "items"),
        2,
        "duplicates are merged away"
    );
    assert_eq!(run.count(registry, "items__kids"), 3);
    load_with(&run, registry, SECOND, WriteDisposition::Merge, merge);
    assert_eq!(run.count(registry, "items"), 3);
    assert_eq!(
        run.count(registry, "items__kids"),
        5,
        "id 2's kids were replaced"
    );
    let ds = &run.dataset;
    let flat = items_with_kids(&run, registry);
    assert_eq!(
        flat,
        [
            (1, "a".into(), Some(1)),
            (1, "a".into(), Some(2)),
            (2, "B".into(), Some(7)),
            (2, "B".into(), Some(8)),
            (2, "B".into(), Some(9)),
            (3, "c".into(), None),
        ],
        "{}: row-for-row",
        run.target.name
    );
    let loads = run.rows(
        registry,
        &format!("SELECT COUNT(*) AS n FROM \"{ds}\"._dlt_loads"),
    );
    assert_eq!(loads[0]["n"], 2);

    load(
        &run,
        registry,
        r#"{"id":9,"name":"z"}"#,
        WriteDisposition::Replace,
    );
    assert_eq!(run.count(registry, "items"), 1);
    assert_eq!(
        run.count(registry, "items__kids"),
        0,
        "replace empties the chain"
    );
    load_with(
        &run,
        registry,
        "{\"id\":10}\n{\"id\":11,\"kids\":[{\"k\":1}]}\n",
        WriteDisposition::Replace,
        |s| s.replace_strategy = ReplaceStrategy::InsertFromStaging,
    );
    assert_eq!(run.count(registry, "items"), 2);
    assert_eq!(run.count(registry, "items__kids"), 1);
    load(
        &run,
        registry,
        "{\"id\":12}\n{\"id\":13}\n",
        WriteDisposition::Append,
    );
    assert_eq!(run.count(registry, "items"), 4);

    // The staging bucket: only init and data, and only this load's files of `items`.
    let staged = files(&dir.path().join("bucket").join(ds));
    assert!(staged.iter().any(|f| f == "init"), "{staged:?}");
    assert!(
        staged
            .iter()
            .all(|f| !f.starts_with("_dlt_loads") && !f.starts_with("_dlt_version")),
        "{staged:?}"
    );
    let items: Vec<&String> = staged.iter().filter(|f| f.starts_with("items/")).collect();
    assert_eq!(
        items.len(),
        1,
        "earlier staged files are truncated: {staged:?}"
    );
    run.cleanup(registry);
}

fn files(root: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p.strip_prefix(root).unwrap().to_str().unwrap().to_string());
            }
        }
    }
    out.sort();
    out
}

#[test]
fn duckdb_merge_replace_append_delete_insert() {
    let Some(registry) = registry() else { return };
    let dir = tempfile::tempdir().unwrap();
    merge_replace_append(&registry, duckdb(dir.path()), MergeStrategy::DeleteInsert);
}

#[test]
fn duckdb_merge_upsert() {
    let Some(registry) = registry() else { return };
    let dir = tempfile::tempdir().unwrap();
    merge_replace_append(&registry, duckdb(dir.path()), MergeStrategy::Upsert);
}

#[test]
fn postgres_merge_replace_append_delete_insert() {
    let Some(registry) = registry() else { return };
    let Some(pg) = postgres() else { return };
    merge_replace_append(&registry, pg, MergeStrategy::DeleteInsert);
}

#[test]
fn postgres_merge_upsert() {
    let Some(registry) = registry() else { return };
    let Some(pg) = postgres() else { return };
    merge_replace_append(&registry, pg, MergeStrategy::Upsert);
}

/// Fails the first `INSERT INTO` of the final dataset that follows a `DELETE` (the middle of a
/// merge); everything else goes to the real session.
fn fail_mid_merge(
    inner: std::sync::Arc<dyn Destination>,
) -> Intercepted<impl Fn(&dyn Destination, &str) -> stowage_plugin_sdk::Result<()>> {
    let deleted = AtomicBool::new(false);
    Intercepted::new(inner, move |inner: &dyn Destination, sql: &str| {
        if sql.starts_with("DELETE FROM") && sql.contains("_dlt_id\" IN") {
            deleted.store(true, Ordering::SeqCst);
        }
        if sql.starts_with("INSERT INTO") && deleted.load(Ordering::SeqCst) {
            inner.execute(sql)?;
            return Err(PluginError::unexpected(
                "injected failure in the middle of a merge",
            ));
        }
        inner.execute(sql)
    })
}

fn failure_mid_merge(registry: &Registry, target: Target) {
    let dir = tempfile::tempdir().unwrap();
    let run = Staged::new(dir.path(), "fail", target);
    load(&run, registry, FIRST, WriteDisposition::Merge);
    let before = run.rows(
        registry,
        &format!("SELECT id, name FROM \"{}\".items ORDER BY id", run.dataset),
    );
    let options = options(&run, SECOND, WriteDisposition::Merge, |_| {});
    let failing = fail_mid_merge(run.session(registry));
    let staging = options.staging.clone().unwrap();
    let err =
        run_with_destination(registry, &options, &staging, &failing).expect_err("the merge fails");
    assert!(err.to_string().contains("injected failure"), "{err}");
    assert!(err.to_string().contains("rolled back"), "{err}");
    let after = run.rows(
        registry,
        &format!("SELECT id, name FROM \"{}\".items ORDER BY id", run.dataset),
    );
    assert_eq!(before, after, "the destination is unchanged");
    assert_eq!(run.count(registry, "items__kids"), 3);
    let loads = run.rows(
        registry,
        &format!("SELECT COUNT(*) AS n FROM \"{}\"._dlt_loads", run.dataset),
    );
    assert_eq!(loads[0]["n"], 1, "no _dlt_loads row for the failed load");
    run.cleanup(registry);
}

#[test]
fn duckdb_failure_mid_merge_changes_nothing() {
    let Some(registry) = registry() else { return };
    let dir = tempfile::tempdir().unwrap();
    failure_mid_merge(&registry, duckdb(dir.path()));
}

#[test]
fn postgres_failure_mid_merge_changes_nothing() {
    let Some(registry) = registry() else { return };
    let Some(pg) = postgres() else { return };
    failure_mid_merge(&registry, pg);
}

#[test]
fn staging_dataset_layouts() {
    let Some(registry) = registry() else { return };
    let dir = tempfile::tempdir().unwrap();
    let run = Staged::new(dir.path(), "lay", duckdb(dir.path()));
    load_with(
        &run,
        registry_ref(&registry),
        FIRST,
        WriteDisposition::Merge,
        |s| s.staging_dataset_layout = "stg_%s_x".into(),
    );
    let name = format!("stg_{}_x", run.dataset);
    let r = run.rows(
        &registry,
        &format!("SELECT COUNT(*) AS n FROM \"{name}\".items"),
    );
    assert_eq!(r[0]["n"], 3, "the staging dataset keeps the staged rows");
    let options = options(&run, FIRST, WriteDisposition::Merge, |s| {
        s.staging_dataset_layout = "%s".into()
    });
    let err = run_ref(&registry, &options).expect_err("same name as the dataset");
    assert!(err.to_string().contains("equals the dataset"), "{err}");
}

fn registry_ref(r: &Registry) -> &Registry {
    r
}

fn run_ref(registry: &Registry, options: &RunOptions) -> Result<(), PluginError> {
    run(registry, options).map(|_| ())
}
