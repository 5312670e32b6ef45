//! Staged loads end to end through real plugins (dlopen): a local staging bucket (and the S3
//! server when configured) into embedded DuckDB and the real PostgreSQL; append, replace (both
//! strategies) and merge (both strategies) with duplicates in the input and updated child
//! rows; the staging dataset layouts; staged files truncated per load and no `_dlt_*` files on
//! the staging bucket; and a failure in the middle of a merge that leaves the destination
//! unchanged.
//!
//! Needs `STOWAGE_TEST_PLUGIN_DIR` (built plugins) and, for PostgreSQL, `DATABASE_URL`; without
//! them the tests are skipped locally and fail under `CI=true`.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use serde_json::Value;
use stowage::disposition::WriteDisposition;
use stowage::pipeline::{RunOptions, run};
use stowage::plugins::{DiscoveryConfig, Registry};
use stowage::staging::{
    MergeStrategy, ReplaceStrategy, StagingOptions, count_rows, query_rows, run_with_destination,
};
use stowage_plugin_sdk::{CopyRequest, Destination, ObjectReader, Options, PluginError};

fn env(var: &str) -> Option<String> {
    match std::env::var(var).ok().filter(|v| !v.is_empty()) {
        Some(v) => Some(v),
        None if std::env::var("CI").as_deref() == Ok("true") => {
            panic!("{var} is not set (run through cargo xtask test-all)")
        }
        None => {
            eprintln!("skipped: {var} is not set");
            None
        }
    }
}

fn registry() -> Option<Registry> {
    let dir = PathBuf::from(env("STOWAGE_TEST_PLUGIN_DIR")?);
    Some(Registry::discover(&DiscoveryConfig::only_dirs(vec![dir])))
}

fn unique(prefix: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("{prefix}_{}_{}", std::process::id(), nanos % 1_000_000_000)
}

/// One destination under test: name and options.
#[derive(Clone)]
struct Target {
    name: &'static str,
    options: Options,
}

fn duckdb(dir: &Path) -> Target {
    let file = dir.join("t.duckdb").to_str().unwrap().to_string();
    Target {
        name: "duckdb",
        options: Options::new([("credentials", file)]),
    }
}

fn postgres() -> Option<Target> {
    Some(Target {
        name: "postgres",
        options: Options::new([("credentials", env("DATABASE_URL")?)]),
    })
}

struct Run<'a> {
    dir: &'a Path,
    dataset: String,
    target: Target,
}

impl Run<'_> {
    fn options(
        &self,
        rows: &str,
        disposition: WriteDisposition,
        tweak: impl FnOnce(&mut StagingOptions),
    ) -> RunOptions {
        let input = self.dir.join(format!("{}.ndjson", unique("in")));
        std::fs::write(&input, rows).unwrap();
        let mut options = RunOptions::new(&input, "items");
        options.pipeline = "stage_test".into();
        options.dataset = Some(self.dataset.clone());
        options.bucket_url = Some(self.dir.join("bucket").to_str().unwrap().to_string());
        options.pipelines_dir = Some(self.dir.join("pipelines"));
        options.write_disposition = disposition;
        let mut staging = StagingOptions::new(self.target.name);
        staging.destination_options = self.target.options.clone();
        staging.primary_key = vec!["id".into()];
        tweak(&mut staging);
        options.staging = Some(staging);
        options
    }

    fn load(&self, registry: &Registry, rows: &str, d: WriteDisposition) {
        self.load_with(registry, rows, d, |_| {});
    }

    fn load_with(
        &self,
        registry: &Registry,
        rows: &str,
        d: WriteDisposition,
        tweak: impl FnOnce(&mut StagingOptions),
    ) {
        let options = self.options(rows, d, tweak);
        run(registry, &options).unwrap_or_else(|e| panic!("{} {d}: {e}", self.target.name));
    }

    fn session(&self, registry: &Registry) -> std::sync::Arc<dyn Destination> {
        registry
            .open_destination(self.target.name, &self.target.options)
            .expect("opens")
    }

    fn count(&self, registry: &Registry, table: &str) -> i64 {
        count_rows(self.session(registry).as_ref(), &self.dataset, table).unwrap()
    }

    fn rows(&self, registry: &Registry, sql: &str) -> Vec<Value> {
        query_rows(self.session(registry).as_ref(), sql).unwrap()
    }
}

const FIRST: &str = concat!(
    r#"{"id":1,"name":"a","kids":[{"k":1},{"k":2}]}"#,
    "\n",
    r#"{"id":2,"name":"b","kids":[{"k":3}]}"#,
    "\n",
    r#"{"id":2,"name":"b","kids":[{"k":3}]}"#,
    "\n",
);
const SECOND: &str = concat!(
    r#"{"id":2,"name":"B","kids":[{"k":7},{"k":8},{"k":9}]}"#,
    "\n",
    r#"{"id":3,"name":"c"}"#,
    "\n",
);

fn merge_replace_append(registry: &Registry, target: Target, strategy: MergeStrategy) {
    let dir = tempfile::tempdir().unwrap();
    let run = Run {
        dir: dir.path(),
        dataset: unique("stg"),
        target,
    };
    let merge = |s: &mut StagingOptions| s.merge_strategy = strategy;
    run.load_with(registry, FIRST, WriteDisposition::Merge, merge);
    assert_eq!(
        run.count(registry, "items"),
        2,
        "duplicates are merged away"
    );
    assert_eq!(run.count(registry, "items__kids"), 3);
    run.load_with(registry, SECOND, WriteDisposition::Merge, merge);
    assert_eq!(run.count(registry, "items"), 3);
    assert_eq!(
        run.count(registry, "items__kids"),
        5,
        "id 2's kids were replaced"
    );
    let ds = &run.dataset;
    let got = run.rows(
        registry,
        &format!(
            "SELECT i.id, i.name, k.k FROM \"{ds}\".items i LEFT JOIN \"{ds}\".items__kids k \
             ON k._dlt_root_id = i._dlt_id ORDER BY i.id, k.k"
        ),
    );
    let flat: Vec<(i64, String, Option<i64>)> = got
        .iter()
        .map(|r| {
            (
                r["id"].as_i64().unwrap(),
                r["name"].as_str().unwrap().to_string(),
                r["k"].as_i64(),
            )
        })
        .collect();
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

    run.load(
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
    run.load_with(
        registry,
        "{\"id\":10}\n{\"id\":11,\"kids\":[{\"k\":1}]}\n",
        WriteDisposition::Replace,
        |s| s.replace_strategy = ReplaceStrategy::InsertFromStaging,
    );
    assert_eq!(run.count(registry, "items"), 2);
    assert_eq!(run.count(registry, "items__kids"), 1);
    run.load(
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
    cleanup(registry, &run);
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

fn cleanup(registry: &Registry, run: &Run<'_>) {
    if run.target.name == "postgres" {
        let s = run.session(registry);
        let _ = s.execute(&format!(
            "DROP SCHEMA IF EXISTS \"{}\" CASCADE",
            run.dataset
        ));
        let _ = s.execute(&format!(
            "DROP SCHEMA IF EXISTS \"{}_staging\" CASCADE",
            run.dataset
        ));
    }
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
struct FailMidMerge {
    inner: std::sync::Arc<dyn Destination>,
    deleted: AtomicBool,
}

impl Destination for FailMidMerge {
    fn execute(&self, sql: &str) -> stowage_plugin_sdk::Result<()> {
        if sql.starts_with("DELETE FROM") && sql.contains("_dlt_id\" IN") {
            self.deleted.store(true, Ordering::SeqCst);
        }
        if sql.starts_with("INSERT INTO") && self.deleted.load(Ordering::SeqCst) {
            self.inner.execute(sql)?;
            return Err(PluginError::unexpected(
                "injected failure in the middle of a merge",
            ));
        }
        self.inner.execute(sql)
    }
    fn query(&self, sql: &str) -> stowage_plugin_sdk::Result<String> {
        self.inner.query(sql)
    }
    fn copy_file(
        &self,
        request: &CopyRequest,
        source: Box<dyn ObjectReader>,
    ) -> stowage_plugin_sdk::Result<u64> {
        self.inner.copy_file(request, source)
    }
}

fn failure_mid_merge(registry: &Registry, target: Target) {
    let dir = tempfile::tempdir().unwrap();
    let run = Run {
        dir: dir.path(),
        dataset: unique("fail"),
        target,
    };
    run.load(registry, FIRST, WriteDisposition::Merge);
    let before = run.rows(
        registry,
        &format!("SELECT id, name FROM \"{}\".items ORDER BY id", run.dataset),
    );
    let options = run.options(SECOND, WriteDisposition::Merge, |_| {});
    let failing = FailMidMerge {
        inner: run.session(registry),
        deleted: AtomicBool::new(false),
    };
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
    cleanup(registry, &run);
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
    let run = Run {
        dir: dir.path(),
        dataset: unique("lay"),
        target: duckdb(dir.path()),
    };
    run.load_with(
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
    let options = run.options(FIRST, WriteDisposition::Merge, |s| {
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
