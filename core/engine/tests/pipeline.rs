//! Whole runs through the built plugins (dlopen): rotation by `file_max_items` and
//! `file_max_bytes`, progress events, and `plan` (with its package kept) being exactly what the
//! following load writes and deletes.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use stowage::Options;
use stowage::disposition::WriteDisposition;
use stowage::pipeline::{PlanInput, RunOptions, load_pending, plan, run};
use stowage::plugins::{DiscoveryConfig, Registry};
use stowage::progress::{Event, Progress, ProgressHandle};

fn registry() -> Option<Registry> {
    let dir = match std::env::var_os("STOWAGE_TEST_PLUGIN_DIR") {
        Some(d) => PathBuf::from(d),
        None if std::env::var("CI").is_ok_and(|v| v == "true") => {
            panic!("STOWAGE_TEST_PLUGIN_DIR not set in CI")
        }
        None => {
            eprintln!("skipped: plugins not built (run `cargo xtask test-all`)");
            return None;
        }
    };
    Some(Registry::discover(&DiscoveryConfig::only_dirs(vec![dir])))
}

fn ndjson(path: &Path, n: usize) {
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    for i in 0..n {
        writeln!(
            f,
            r#"{{"id":{i},"name":"row number {i}","tags":["a","b"]}}"#
        )
        .unwrap();
    }
}

fn options(work: &Path, rows: usize) -> RunOptions {
    let input = work.join("in.ndjson");
    ndjson(&input, rows);
    let mut o = RunOptions::new(&input, "events");
    o.pipeline = "rot".into();
    o.bucket_url = Some(work.join("bucket").display().to_string());
    o.pipelines_dir = Some(work.join("pipelines"));
    o.format_options = Options::new([("disable_compression", "true")]);
    o
}

fn data_files(work: &Path, table: &str) -> Vec<(String, usize, u64)> {
    let dir = work.join("bucket/rot_dataset").join(table);
    let mut out: Vec<(String, usize, u64)> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .map(|p| {
            let text = std::fs::read_to_string(&p).unwrap();
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, text.lines().count(), text.len() as u64)
        })
        .collect();
    out.sort();
    out
}

#[test]
fn file_max_items_rotates_like_dlt() {
    let Some(reg) = registry() else { return };
    let work = tempfile::tempdir().unwrap();
    let mut o = options(work.path(), 10);
    o.file_max_items = Some(3);
    let summary = run(&reg, &o).unwrap();
    let mut counts: Vec<usize> = data_files(work.path(), "events")
        .iter()
        .map(|f| f.1)
        .collect();
    counts.sort_unstable();
    assert_eq!(counts, [1, 3, 3, 3]); // dlt: 10 rows, file_max_items=3 → 3,3,3,1
    let mut nested: Vec<usize> = data_files(work.path(), "events__tags")
        .iter()
        .map(|f| f.1)
        .collect();
    nested.sort_unstable();
    assert_eq!(nested.iter().sum::<usize>(), 20);
    assert!(nested.iter().all(|n| *n <= 3));
    assert_eq!(summary.load.files.len(), 4 + nested.len());
}

#[test]
fn file_max_bytes_starts_a_new_file_once_the_limit_is_written() {
    let Some(reg) = registry() else { return };
    let work = tempfile::tempdir().unwrap();
    let mut o = options(work.path(), 30_000);
    o.buffer_max_items = 500;
    o.file_max_bytes = Some(300_000);
    run(&reg, &o).unwrap();
    let files = data_files(work.path(), "events");
    assert!(files.len() >= 2, "{files:?}");
    assert_eq!(files.iter().map(|f| f.1).sum::<usize>(), 30_000);
    let full = files.iter().filter(|f| f.2 >= 300_000).count();
    assert!(
        full >= files.len() - 1,
        "every file but the last reached the limit: {files:?}"
    );
}

#[derive(Default)]
struct Recorder(Mutex<Vec<String>>);

impl Progress for Recorder {
    fn on_event(&self, event: &Event<'_>) {
        let line = match event {
            Event::Normalized { rows, jobs, .. } => format!("normalized {rows} {jobs}"),
            Event::LoadStarted { files, deletes, .. } => format!("start {files} {deletes}"),
            Event::Uploaded { .. } => "uploaded".into(),
            Event::Deleted { .. } => "deleted".into(),
            Event::LoadFinished { files, .. } => format!("finished {files}"),
            Event::Warning { .. } => "warning".into(),
            _ => return,
        };
        self.0.lock().unwrap().push(line);
    }
}

#[test]
fn a_kept_plan_is_exactly_what_the_next_load_does_and_progress_is_reported() {
    let Some(reg) = registry() else { return };
    let work = tempfile::tempdir().unwrap();
    let mut o = options(work.path(), 50);
    run(&reg, &o).unwrap();
    o.write_disposition = WriteDisposition::Replace;
    o.file_max_items = Some(20);
    let recorder = Arc::new(Recorder::default());
    o.progress = ProgressHandle::new(recorder.clone());
    let before: Vec<String> = bucket_keys(&work.path().join("bucket"));

    let planned = plan(&reg, &o, PlanInput::Keep).unwrap();
    assert_eq!(
        bucket_keys(&work.path().join("bucket")),
        before,
        "plan wrote nothing"
    );
    let [p] = planned.plans.as_slice() else {
        panic!("{:?}", planned.plans)
    };
    assert_eq!(p.uploads.len(), 3 + 5); // 50 rows → 20,20,10; 100 tags → 5 files of 20
    assert_eq!(p.deletes.len(), 2); // the first run's events and events__tags files

    let loads = load_pending(&reg, &o).unwrap();
    let [load] = loads.as_slice() else { panic!() };
    assert_eq!(
        load.files,
        p.uploads.iter().map(|u| u.key.clone()).collect::<Vec<_>>()
    );
    assert_eq!(
        load.deleted,
        p.deletes.iter().map(|d| d.key.clone()).collect::<Vec<_>>()
    );
    assert_eq!(load.marker, p.marker);
    assert_eq!(load.state_file, p.state_file);
    let after = bucket_keys(&work.path().join("bucket"));
    for key in &load.deleted {
        assert!(!after.contains(key));
    }
    for key in load.written() {
        assert!(after.contains(&key), "{key}");
    }
    let events = recorder.0.lock().unwrap().clone();
    assert_eq!(events.first().unwrap(), "normalized 50 8");
    assert_eq!(events.iter().filter(|e| *e == "uploaded").count(), 8);
    assert_eq!(events.iter().filter(|e| *e == "deleted").count(), 2);
    assert_eq!(events.last().unwrap(), "finished 8");
}

#[test]
fn a_discarded_plan_leaves_nothing_pending() {
    let Some(reg) = registry() else { return };
    let work = tempfile::tempdir().unwrap();
    let o = options(work.path(), 5);
    let planned = plan(&reg, &o, PlanInput::Discard).unwrap();
    assert_eq!(planned.plans.len(), 1);
    assert_eq!(planned.plans[0].uploads.len(), 2);
    assert!(load_pending(&reg, &o).unwrap().is_empty());
    assert!(
        !work.path().join("bucket").exists(),
        "the bucket was never written"
    );
}

fn bucket_keys(root: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p.strip_prefix(root).unwrap().to_string_lossy().into_owned());
            }
        }
    }
    out.sort();
    out
}
