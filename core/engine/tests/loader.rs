//! The loader against an in-memory bucket: replace never deletes another table's files with any
//! layout, the plan is exactly what the load does, transient errors are retried, permanent ones
//! fail the job (kept in the package) until the cause is fixed, parallel uploads put the marker
//! last, and legacy datasets drop `.gz`.

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use stowage::layout::{FileName, Layout, LayoutSettings, Placeholder, RenderContext};
use stowage::loader::{LoadTarget, load_package};
use stowage::package::Package;
use stowage::plan::{LiveBucket, TIME_PLACEHOLDER, plan_package, plan_packages};
use stowage::retry::RetryPolicy;
use stowage::{Error, ErrorKind, inspect};
use support::{MemoryBackend, package, rows, schema};

const OLD_LOAD: &str = "1795310000.5";
const NEW_LOAD: &str = "1795310773.1276467";

fn target(layout: LayoutSettings) -> LoadTarget {
    let mut t = LoadTarget::new("ds", "pl");
    t.layout = Layout::new(&layout).unwrap();
    t.retry = RetryPolicy::immediate(3);
    t
}

/// Keys an earlier load wrote for `table` with `layout`.
fn old_key(t: &LoadTarget, table: &str, file_id: &str) -> String {
    let created = chrono::DateTime::parse_from_rfc3339("2026-11-20T10:00:00Z")
        .unwrap()
        .to_utc();
    let ctx = RenderContext::new("pl", OLD_LOAD, created);
    let rel = t
        .layout
        .render(&FileName::new(table, file_id, "jsonl"), &ctx);
    format!("ds/{rel}")
}

/// Layouts whose table prefix also selects `event<sep>log` files when replacing `event` (so dlt
/// deletes them), with the name of that other table.
fn layouts_where_dlt_over_deletes() -> Vec<(LayoutSettings, &'static str)> {
    let static_env = LayoutSettings {
        extra_placeholders: vec![("env".into(), Placeholder::Value("prod".into()))],
        ..LayoutSettings::with_layout("{table_name}_{env}/{file_id}.{ext}")
    };
    let callback = LayoutSettings {
        extra_placeholders: vec![(
            "cb".into(),
            Placeholder::Callback(Arc::new(|_, _, _, _, _| "v1".into())),
        )],
        ..LayoutSettings::with_layout("{table_name}_{cb}_{file_id}.{ext}")
    };
    vec![
        (
            LayoutSettings::with_layout("{table_name}_{load_id}_{file_id}.{ext}"),
            "event_log",
        ),
        (
            LayoutSettings::with_layout("{table_name}_{load_id}.{file_id}.{ext}"),
            "event_log",
        ),
        (
            LayoutSettings::with_layout("{schema_name}/{table_name}_{file_id}.{ext}"),
            "event_log",
        ),
        (
            LayoutSettings::with_layout("{table_name}_{YYYY}{MM}{DD}/{load_id}.{file_id}.{ext}"),
            "event_log",
        ),
        (
            LayoutSettings::with_layout("{table_name}_{ddd}/{file_id}"),
            "event_log",
        ),
        (
            LayoutSettings::with_layout("{table_name}_{timestamp}.{file_id}.{ext}"),
            "event_log",
        ),
        (
            LayoutSettings::with_layout("{schema_name}_{table_name}_{load_id}.{file_id}.{ext}"),
            "event_log",
        ),
        (
            LayoutSettings::with_layout("{table_name}88{load_id}-u-{file_id}.{ext}"),
            "event8log",
        ),
        (static_env, "event_log"),
        (callback, "event_log"),
    ]
}

#[test]
fn replacing_event_leaves_event_log_intact_with_every_layout_where_dlt_would_delete_it() {
    for (settings, other) in layouts_where_dlt_over_deletes() {
        let work = tempfile::tempdir().unwrap();
        let bucket = MemoryBackend::new();
        let t = target(settings.clone());
        let layout = settings.layout.clone();
        let old_event = old_key(&t, "event", "00000000e1");
        let old_kids = old_key(&t, "event__kids", "00000000c1");
        let others = [
            old_key(&t, other, "00000000f1"),
            old_key(&t, other, "00000000f2"),
        ];
        for key in [&old_event, &old_kids].into_iter().chain(&others) {
            bucket.put(key, b"{\"i\":0}\n");
        }
        // dlt selects by prefix alone: the other table's files start with `event`'s prefix.
        let prefix = format!("ds/{}", t.layout.table_prefix("event", "pl"));
        assert!(
            others.iter().all(|k| k.starts_with(&prefix)),
            "{layout}: {others:?}"
        );

        let s = schema("replace", &[other]);
        let jobs = [("event", "aaaaaaaaaa", 3), ("event__kids", "bbbbbbbbbb", 2)];
        let mut p = package(work.path(), NEW_LOAD, &s, &jobs, false);
        let summary = load_package(&bucket, &t, &mut p, work.path()).unwrap();

        let keys = bucket.keys();
        for key in &others {
            assert!(keys.contains(key), "{layout}: {key} was deleted; {keys:?}");
        }
        assert!(!keys.contains(&old_event), "{layout}: old event file kept");
        assert!(!keys.contains(&old_kids), "{layout}: old nested file kept");
        assert_eq!(summary.deleted.len(), 2, "{layout}: {:?}", summary.deleted);
        assert_eq!(summary.files.len(), 2, "{layout}");
        assert!(summary.files.iter().all(|k| keys.contains(k)), "{layout}");
        assert!(
            summary
                .warnings
                .iter()
                .any(|w| w.contains("separates {table_name}")),
            "{layout}: unsafe separator warning"
        );
        assert!(
            summary
                .warnings
                .iter()
                .any(|w| w.contains("keeps 2 object(s)")),
            "{layout}: {:?}",
            summary.warnings
        );
    }
}

#[test]
fn replace_with_safe_separators_deletes_exactly_like_dlt() {
    for layout in [
        "{table_name}/{load_id}.{file_id}.{ext}",
        "{table_name}.{load_id}.{file_id}.{ext}",
        "{schema_name}/{table_name}/{YYYY}/{MM}/{file_id}",
    ] {
        let work = tempfile::tempdir().unwrap();
        let bucket = MemoryBackend::new();
        let t = target(LayoutSettings::with_layout(layout));
        let old_event = old_key(&t, "event", "00000000e1");
        let log = old_key(&t, "event_log", "00000000f1");
        // dlt skips files named `init` inside a table folder
        let prefix = t.layout.table_prefix("event", "pl");
        let init_like = match prefix.ends_with('/') {
            true => format!("ds/{prefix}init"),
            false => log.clone(),
        };
        for key in [&old_event, &log, &init_like] {
            bucket.put(key, b"x\n");
        }
        let s = schema("replace", &["event_log"]);
        let mut p = package(
            work.path(),
            NEW_LOAD,
            &s,
            &[("event", "aaaaaaaaaa", 1)],
            false,
        );
        let summary = load_package(&bucket, &t, &mut p, work.path()).unwrap();
        assert_eq!(
            summary.deleted,
            std::slice::from_ref(&old_event),
            "{layout}"
        );
        let keys = bucket.keys();
        assert!(
            keys.contains(&log) && keys.contains(&init_like),
            "{layout}: {keys:?}"
        );
        assert!(
            summary.warnings.is_empty(),
            "{layout}: {:?}",
            summary.warnings
        );
    }
}

#[test]
fn the_plan_is_exactly_what_the_load_writes_and_deletes() {
    let work = tempfile::tempdir().unwrap();
    let bucket = MemoryBackend::new();
    let t = target(LayoutSettings::with_layout(
        "{table_name}/{YYYY}-{MM}/{load_id}.{file_id}",
    ));
    let old = old_key(&t, "event", "00000000e1");
    bucket.put(&old, b"x\n");
    let s = schema("replace", &[]);
    let jobs = [
        ("event", "aaaaaaaaa1", 3),
        ("event", "aaaaaaaaa2", 3),
        ("event__kids", "bbbbbbbbbb", 2),
    ];
    let mut p = package(work.path(), NEW_LOAD, &s, &jobs, true);
    let plan = plan_package(&LiveBucket(&bucket), &t, &p).unwrap();
    assert_eq!(bucket.log(), Vec::<String>::new(), "planning wrote nothing");

    let summary = load_package(&bucket, &t, &mut p, work.path()).unwrap();
    let planned: Vec<&String> = plan.uploads.iter().map(|u| &u.key).collect();
    assert_eq!(summary.files.iter().collect::<Vec<_>>(), planned);
    assert_eq!(
        summary.deleted,
        plan.deletes
            .iter()
            .map(|d| d.key.clone())
            .collect::<Vec<_>>()
    );
    assert_eq!(summary.deleted, [old]);
    assert_eq!(summary.state_file, plan.state_file);
    assert_eq!(summary.marker, plan.marker);
    assert_eq!(summary.init.as_deref(), Some("ds/init"));
    let (before, after) = plan
        .schema_version
        .as_deref()
        .unwrap()
        .split_once(TIME_PLACEHOLDER)
        .unwrap();
    let written = summary.schema_version.as_deref().unwrap();
    assert!(
        written.starts_with(before) && written.ends_with(after),
        "{written}"
    );
    // The log holds exactly the plan: init, version, deletes, data, state, marker (last).
    let log = bucket.log();
    let mut expected: Vec<String> = vec!["put ds/init".into(), format!("put {written}")];
    expected.extend(summary.deleted.iter().map(|k| format!("delete {k}")));
    let mut data: Vec<String> = summary.files.iter().map(|k| format!("put {k}")).collect();
    let mut logged_data: Vec<String> = log[expected.len()..expected.len() + data.len()].to_vec();
    data.sort();
    logged_data.sort();
    assert_eq!(logged_data, data);
    assert_eq!(&log[..expected.len()], &expected[..]);
    assert_eq!(
        &log[expected.len() + data.len()..],
        &[
            format!("put {}", summary.state_file.clone().unwrap()),
            format!("put {}", summary.marker)
        ]
    );
    assert!(summary.files[0].starts_with("ds/event/2026-11/1795310773.1276467.aaaaaaaaa1.jsonl"));
}

#[test]
fn plans_of_several_pending_packages_see_each_other() {
    let work = tempfile::tempdir().unwrap();
    let bucket = MemoryBackend::new();
    let t = target(LayoutSettings::default());
    let s = schema("replace", &[]);
    package(
        work.path(),
        "1795310001.1",
        &s,
        &[("event", "aaaaaaaaaa", 1)],
        false,
    );
    package(
        work.path(),
        "1795310002.1",
        &s,
        &[("event", "bbbbbbbbbb", 1)],
        false,
    );
    let pending = Package::pending(work.path()).unwrap();
    let plans = plan_packages(&LiveBucket(&bucket), &t, &pending).unwrap();
    assert_eq!(plans[0].init.action, stowage::plan::InitAction::Create);
    assert_eq!(plans[1].init.action, stowage::plan::InitAction::Keep);
    assert!(plans[1].schema_version.is_none(), "same schema hash");
    assert_eq!(
        plans[1].deletes.iter().map(|d| &d.key).collect::<Vec<_>>(),
        [&plans[0].uploads[0].key]
    );
    for mut p in pending {
        load_package(&bucket, &t, &mut p, work.path()).unwrap();
    }
    let data: Vec<String> = bucket
        .keys()
        .into_iter()
        .filter(|k| k.starts_with("ds/event/"))
        .collect();
    assert_eq!(data, [plans[1].uploads[0].key.clone()]);
}

#[test]
fn transient_errors_are_retried_under_the_same_key() {
    let work = tempfile::tempdir().unwrap();
    let bucket = MemoryBackend::new();
    let failures = Arc::new(AtomicUsize::new(0));
    let counter = failures.clone();
    bucket.fail_with(move |op, key| {
        (op == "finish" && key.contains("aaaaaaaaaa") && counter.fetch_add(1, Ordering::SeqCst) < 2)
            .then(|| Error::new(ErrorKind::Io, "connection reset"))
    });
    let t = target(LayoutSettings::default());
    let s = schema("append", &[]);
    let mut p = package(
        work.path(),
        NEW_LOAD,
        &s,
        &[("event", "aaaaaaaaaa", 4)],
        false,
    );
    let summary = load_package(&bucket, &t, &mut p, work.path()).unwrap();
    assert_eq!(failures.load(Ordering::SeqCst), 3);
    assert_eq!(
        summary.files,
        ["ds/event/1795310773.1276467.aaaaaaaaaa.jsonl"]
    );
    let info = inspect::package(work.path(), NEW_LOAD).unwrap();
    assert_eq!(info.stage, "loaded");
    assert_eq!(info.jobs[0].file_name, "event.aaaaaaaaaa.2.jsonl");
    assert_eq!(info.jobs[0].earlier_errors.len(), 2);
    assert!(info.jobs[0].earlier_errors[0].contains("connection reset"));
}

#[test]
fn permanent_errors_fail_the_job_keep_it_in_the_package_and_write_no_marker() {
    let work = tempfile::tempdir().unwrap();
    let bucket = MemoryBackend::new();
    bucket.fail_with(|op, key| {
        (op == "put" && key.contains("event__kids"))
            .then(|| Error::new(ErrorKind::PermissionDenied, "access denied to the prefix"))
    });
    let mut t = target(LayoutSettings::default());
    t.workers = 4;
    let s = schema("append", &[]);
    let jobs = [("event", "aaaaaaaaaa", 3), ("event__kids", "bbbbbbbbbb", 2)];
    let mut p = package(work.path(), NEW_LOAD, &s, &jobs, true);
    let err = load_package(&bucket, &t, &mut p, work.path()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::PermissionDenied);
    assert!(err.message().contains("1 of 2 job(s) failed"), "{err}");
    assert!(err.message().contains("access denied"), "{err}");
    assert!(
        !bucket.keys().iter().any(|k| k.contains("_dlt_loads")),
        "no marker"
    );
    assert!(
        !bucket
            .keys()
            .iter()
            .any(|k| k.contains("_dlt_pipeline_state"))
    );

    let info = inspect::package(work.path(), NEW_LOAD).unwrap();
    assert_eq!(
        (info.stage.as_str(), info.status()),
        ("normalized", "failed")
    );
    let failed: Vec<_> = info
        .jobs
        .iter()
        .filter(|j| j.state == "failed_jobs")
        .collect();
    assert_eq!(failed.len(), 1);
    assert!(
        failed[0]
            .error
            .as_deref()
            .unwrap()
            .contains("access denied")
    );
    assert_eq!(info.count("completed_jobs"), 1);

    // The cause is fixed: the next load retries the failed job and finishes the package.
    bucket.heal();
    bucket.clear_log();
    let mut p = Package::pending(work.path()).unwrap().remove(0);
    let summary = load_package(&bucket, &t, &mut p, work.path()).unwrap();
    assert_eq!(
        summary.files,
        ["ds/event__kids/1795310773.1276467.bbbbbbbbbb.jsonl"]
    );
    let keys = bucket.keys();
    assert_eq!(keys.iter().filter(|k| k.contains("_dlt_loads")).count(), 1);
    assert_eq!(keys.iter().filter(|k| k.starts_with("ds/event")).count(), 2);
    let info = inspect::package(work.path(), NEW_LOAD).unwrap();
    assert_eq!(info.status(), "loaded");
    assert_eq!(
        info.jobs
            .iter()
            .find(|j| j.table == "event__kids")
            .unwrap()
            .retry,
        1
    );
}

#[test]
fn many_workers_upload_everything_and_the_marker_last() {
    let work = tempfile::tempdir().unwrap();
    let bucket = MemoryBackend::new();
    let mut t = target(LayoutSettings::default());
    t.workers = 8;
    let s = schema("append", &[]);
    let ids: Vec<String> = (0..40).map(|i| format!("{i:010x}")).collect();
    let jobs: Vec<(&str, &str, usize)> = ids.iter().map(|id| ("event", id.as_str(), 5)).collect();
    let mut p = package(work.path(), NEW_LOAD, &s, &jobs, true);
    let summary = load_package(&bucket, &t, &mut p, work.path()).unwrap();
    assert_eq!(summary.files.len(), 40);
    let log = bucket.log();
    assert_eq!(log.last().unwrap(), &format!("put {}", summary.marker));
    let total: usize = summary
        .files
        .iter()
        .map(|k| rows(&bucket.get(k).unwrap()))
        .sum();
    assert_eq!(total, 200);
}

#[test]
fn a_legacy_dataset_keeps_gzip_content_without_the_gz_suffix() {
    let work = tempfile::tempdir().unwrap();
    let bucket = MemoryBackend::new();
    bucket.put("ds/init", b"");
    let t = target(LayoutSettings::default());
    let s = schema("append", &[]);
    let mut p = Package::create(work.path(), NEW_LOAD).unwrap();
    std::fs::write(
        p.state_dir("new_jobs").join("event.aaaaaaaaaa.0.jsonl.gz"),
        b"gz",
    )
    .unwrap();
    p.write_file("schema.json", s.to_json().to_string().as_bytes())
        .unwrap();
    p.write_file(
        "load_package_state.json",
        br#"{"created_at":"2026-11-22T01:26:13+00:00"}"#,
    )
    .unwrap();
    p.move_to(work.path(), "normalized").unwrap();
    let summary = load_package(&bucket, &t, &mut p, work.path()).unwrap();
    assert_eq!(
        summary.files,
        ["ds/event/1795310773.1276467.aaaaaaaaaa.jsonl"]
    );
    assert_eq!(summary.init.as_deref(), Some("ds/init"));
    assert_eq!(
        bucket.get("ds/init").unwrap(),
        br#"{"initial_version":1,"current_version":2}"#
    );
}

#[test]
fn merge_loads_as_append_with_a_warning() {
    let work = tempfile::tempdir().unwrap();
    let bucket = MemoryBackend::new();
    let t = target(LayoutSettings::default());
    let old = old_key(&t, "event", "00000000e1");
    bucket.put(&old, b"x\n");
    let s = schema("merge", &[]);
    let mut p = package(
        work.path(),
        NEW_LOAD,
        &s,
        &[("event", "aaaaaaaaaa", 1)],
        false,
    );
    let summary = load_package(&bucket, &t, &mut p, work.path()).unwrap();
    assert!(summary.deleted.is_empty());
    assert!(bucket.keys().contains(&old));
    assert_eq!(summary.warnings.len(), 1);
    assert!(
        summary.warnings[0].contains("falling back to `append`"),
        "{:?}",
        summary.warnings
    );
}
