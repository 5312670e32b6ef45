//! Pending staged packages (`stowage load`): a run whose destination copy fails leaves its
//! package pending; `staging::load_pending` finishes it into the same destination with the
//! keys and strategies recorded in the package (whatever the later command's settings), the
//! rows land exactly once, and a second `load_pending` finds nothing. A package staged for
//! another destination is refused with the command that finishes it, and a plain filesystem
//! package of the same pipeline is loaded into the bucket, not the database.

mod staging_support;

use std::sync::atomic::Ordering;

use staging_support::{Recording, Staged, Target, duckdb, items_with_kids, postgres, registry};
use stowage::disposition::WriteDisposition;
use stowage::package::Package;
use stowage::pipeline::{PlanInput, plan};
use stowage::plugins::Registry;
use stowage::staging::{
    MergeStrategy, StagingOptions, load_pending, load_pending_with_destination,
    pending_destination, run_with_destination,
};

const FIRST: &str = concat!(
    r#"{"id":1,"name":"a","kids":[{"k":1},{"k":2}]}"#,
    "\n",
    r#"{"id":2,"name":"b","kids":[{"k":3}]}"#,
    "\n",
);
const SECOND: &str = concat!(
    r#"{"id":2,"name":"B","kids":[{"k":7}]}"#,
    "\n",
    r#"{"id":2,"name":"B","kids":[{"k":7}]}"#,
    "\n",
    r#"{"id":3,"name":"c"}"#,
    "\n",
);

fn pending(staged: &Staged<'_>) -> usize {
    Package::pending(&staged.dir.join("pipelines/stage_test"))
        .unwrap()
        .len()
}

fn failed_copy_then_load(registry: &Registry, target: Target) {
    let dir = tempfile::tempdir().unwrap();
    let staged = Staged::new(dir.path(), "resume", target);
    let keyed = |s: &mut StagingOptions| s.primary_key = vec!["id".into()];
    staged.load(registry, FIRST, WriteDisposition::Merge, keyed);

    let options = staged.options(SECOND, WriteDisposition::Merge, keyed);
    let staging = options.staging.clone().unwrap();
    let failing = Recording::new(staged.session(registry));
    failing.fail_copies.store(true, Ordering::SeqCst);
    let err = run_with_destination(registry, &options, &staging, &failing)
        .expect_err("the copy fails")
        .to_string();
    assert!(err.contains("injected copy failure"), "{err}");
    assert_eq!(pending(&staged), 1, "the package stays pending");
    assert_eq!(
        items_with_kids(&staged, registry).len(),
        3,
        "nothing applied"
    );
    assert_eq!(
        pending_destination(&options).unwrap().as_deref(),
        Some(staged.target.name)
    );

    // `stowage load` has no keys and another strategy: the package's own are used.
    let mut later = StagingOptions::new(staged.target.name);
    later.destination_options = staged.target.options.clone();
    later.merge_strategy = MergeStrategy::Upsert;
    let done = load_pending(registry, &options, &later).unwrap();
    assert_eq!(done.len(), 1);
    assert_eq!(pending(&staged), 0);
    assert_eq!(
        items_with_kids(&staged, registry),
        [
            (1, "a".into(), Some(1)),
            (1, "a".into(), Some(2)),
            (2, "B".into(), Some(7)),
            (3, "c".into(), None),
        ],
        "{}: merged once, deduplicated on the recorded key",
        staged.target.name
    );
    assert_eq!(staged.count(registry, "_dlt_loads"), 2);
    assert!(load_pending(registry, &options, &later).unwrap().is_empty());
    assert_eq!(staged.count(registry, "_dlt_loads"), 2);
    staged.cleanup(registry);
}

#[test]
fn duckdb_failed_copy_is_finished_by_load() {
    let Some(registry) = registry() else { return };
    let dir = tempfile::tempdir().unwrap();
    failed_copy_then_load(&registry, duckdb(dir.path()));
}

#[test]
fn postgres_failed_copy_is_finished_by_load() {
    let Some(registry) = registry() else { return };
    let Some(pg) = postgres() else { return };
    failed_copy_then_load(&registry, pg);
}

#[test]
fn packages_load_where_they_were_meant_to() {
    let Some(registry) = registry() else { return };
    let dir = tempfile::tempdir().unwrap();
    let staged = Staged::new(dir.path(), "where", duckdb(dir.path()));
    let options = staged.options(FIRST, WriteDisposition::Append, |_| {});
    let staging = options.staging.clone().unwrap();
    let failing = Recording::new(staged.session(&registry));
    failing.fail_copies.store(true, Ordering::SeqCst);
    run_with_destination(&registry, &options, &staging, &failing).expect_err("copy fails");
    drop(failing);

    // Staged for duckdb: loading it as postgres is refused with the way out.
    let mut other = staging.clone();
    other.destination = "postgres".into();
    let session = staged.session(&registry);
    let err = load_pending_with_destination(&registry, &options, &other, session.as_ref())
        .expect_err("another destination")
        .to_string();
    assert!(
        err.contains("was staged for destination `duckdb`, not `postgres`")
            && err.contains("stowage load --destination duckdb"),
        "{err}"
    );
    drop(session);
    load_pending(&registry, &options, &staging).unwrap();
    assert_eq!(staged.count(&registry, "items"), 2);

    // A plain filesystem package of the same pipeline goes to the bucket.
    let mut plain = staged.options("{\"id\":5}\n", WriteDisposition::Append, |_| {});
    plain.staging = None;
    plan(&registry, &plain, PlanInput::Keep).unwrap();
    assert_eq!(pending(&staged), 1);
    assert_eq!(pending_destination(&plain).unwrap(), None);
    let done = load_pending(&registry, &options, &staging).unwrap();
    assert_eq!(done.len(), 1);
    let loads = dir
        .path()
        .join("bucket")
        .join(&staged.dataset)
        .join("_dlt_loads");
    assert!(
        loads.is_dir(),
        "the plain package wrote its marker to the bucket"
    );
    assert_eq!(
        staged.count(&registry, "items"),
        2,
        "the database did not get it"
    );
}
