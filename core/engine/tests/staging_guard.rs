//! A staged package is never loaded as a plain filesystem load: `pipeline::load_pending` and
//! the filesystem `pipeline::run` refuse it (naming the destination and the command that
//! finishes it) and leave it pending; `pipeline::load_pending` with `RunOptions::staging` set
//! routes it to the staging loader, which copies it into the database exactly once. The
//! package record (`staging.json`) is written before the package becomes pending.

mod staging_support;

use std::sync::atomic::Ordering;

use staging_support::{Recording, Staged, duckdb, registry};
use stowage::disposition::WriteDisposition;
use stowage::package::Package;
use stowage::pipeline;
use stowage::staging::{PackageRecord, run_with_destination};

const ROWS: &str = "{\"id\":1,\"name\":\"a\"}\n{\"id\":2,\"name\":\"b\"}\n";

#[test]
fn plain_loads_refuse_a_staged_package_and_staged_options_finish_it() {
    let Some(registry) = registry() else { return };
    let dir = tempfile::tempdir().unwrap();
    let staged = Staged::new(dir.path(), "guard", duckdb(dir.path()));
    let options = staged.options(ROWS, WriteDisposition::Append, |_| {});
    let staging = options.staging.clone().unwrap();
    let failing = Recording::new(staged.session(&registry));
    failing.fail_copies.store(true, Ordering::SeqCst);
    run_with_destination(&registry, &options, &staging, &failing).expect_err("the copy fails");
    drop(failing);
    let workdir = dir.path().join("pipelines/stage_test");
    let pending = Package::pending(&workdir).unwrap();
    assert_eq!(pending.len(), 1);
    let record = PackageRecord::read(&pending[0]).unwrap().expect("recorded");
    assert_eq!(record.destination, "duckdb");

    // The Rust API without staging settings: refused, nothing written to the bucket.
    let mut plain = options.clone();
    plain.staging = None;
    let err = pipeline::load_pending(&registry, &plain)
        .expect_err("a staged package is not a filesystem load")
        .to_string();
    assert!(
        err.contains("was staged for destination `duckdb`")
            && err.contains("stowage load --destination duckdb"),
        "{err}"
    );
    let loads = dir
        .path()
        .join("bucket")
        .join(&staged.dataset)
        .join("_dlt_loads");
    assert!(!loads.exists(), "no filesystem marker was written");

    // A filesystem run refuses before normalizing anything.
    let err = pipeline::run(&registry, &plain)
        .expect_err("a filesystem run over a staged package")
        .to_string();
    assert!(err.contains("was staged for destination `duckdb`"), "{err}");
    assert_eq!(
        Package::pending(&workdir).unwrap().len(),
        1,
        "still pending"
    );
    assert!(!loads.exists());

    // With staging settings, `pipeline::load_pending` finishes it into the database.
    let done = pipeline::load_pending(&registry, &options).unwrap();
    assert_eq!(done.len(), 1);
    assert!(Package::pending(&workdir).unwrap().is_empty());
    assert_eq!(staged.count(&registry, "items"), 2);
    assert_eq!(staged.count(&registry, "_dlt_loads"), 1);
    assert!(!loads.exists(), "the bucket got no filesystem load");
}

#[test]
fn a_failed_schema_check_leaves_no_package_and_no_stored_schema_change() {
    let Some(registry) = registry() else { return };
    let dir = tempfile::tempdir().unwrap();
    let staged = Staged::new(dir.path(), "guard_keys", duckdb(dir.path()));
    // merge on a key column that the data does not have: refused before the package is pending.
    let options = staged.options(ROWS, WriteDisposition::Merge, |s| {
        s.primary_key = vec!["no_such_column".into()];
    });
    let err = pipeline::run(&registry, &options).expect_err("unknown key column");
    let workdir = dir.path().join("pipelines/stage_test");
    assert!(
        Package::all(&workdir).unwrap().is_empty(),
        "no package left behind: {err}"
    );
    assert!(
        !workdir.join("schemas").exists(),
        "the pipeline's schema did not move: {err}"
    );
}
