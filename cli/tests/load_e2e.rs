//! End-to-end loading through the built binary: SIGKILL at 20 points of the load phase followed
//! by `stowage load`, `stowage plan --keep` being exactly what `stowage load` then does, replace
//! keeping another table's files, a failed job kept in the package (`info`, `show`, exit 1) and
//! retried after the fix, rotation and layout from config, `--quiet` and `--json`.

mod common;

use std::collections::BTreeSet;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;
use serde_json::Value;

const DATASET: &str = "stowage_dataset";

/// `n` events, each with two tags (a nested table).
fn write_events(path: &Path, n: usize) {
    let body: String = (0..n)
        .map(|i| format!("{{\"id\":{i},\"name\":\"event {i}\",\"tags\":[\"a{i}\",\"b{i}\"]}}\n"))
        .collect();
    std::fs::write(path, body).unwrap();
}

fn bucket_url(work: &Path) -> String {
    work.join("bucket").display().to_string()
}

fn json_line(stdout: &str) -> Value {
    serde_json::from_str(stdout.lines().last().unwrap()).unwrap()
}

/// The first run: 100 events (append), 40 rows per file.
fn first_run(plugins: &Path, work: &Path) {
    write_events(&work.join("in.ndjson"), 100);
    ok(stowage(plugins, work).args([
        "run",
        "in.ndjson",
        "--table",
        "event",
        "--bucket-url",
        &bucket_url(work),
        "--file-max-items",
        "40",
    ]));
}

/// The second run: replace, 25 rows per file, one worker (a deterministic order of crash points).
fn replace_run(plugins: &Path, work: &Path) -> Command {
    let mut cmd = stowage(plugins, work);
    cmd.args([
        "run",
        "in.ndjson",
        "--table",
        "event",
        "--bucket-url",
        &bucket_url(work),
        "--write-disposition",
        "replace",
        "--file-max-items",
        "25",
        "--workers",
        "1",
    ]);
    cmd
}

/// Rows of the (gzip) jsonl files under `dir`.
fn rows_under(dir: &Path) -> usize {
    files_under(dir)
        .iter()
        .map(|f| {
            let mut text = String::new();
            flate2::read::GzDecoder::new(std::fs::File::open(dir.join(f)).unwrap())
                .read_to_string(&mut text)
                .unwrap();
            text.lines().count()
        })
        .sum()
}

/// The crash points of the replace run, from a traced run: (n, label).
fn crash_points(plugins: &Path) -> Vec<(u64, String)> {
    let work = tempfile::tempdir().unwrap();
    first_run(plugins, work.path());
    let trace = work.path().join("trace.txt");
    traced_crash_points(&mut replace_run(plugins, work.path()), &trace)
}

/// 20 distinct points: the first of every kind, the last, then evenly spread.
fn pick_twenty(points: &[(u64, String)]) -> Vec<u64> {
    let mut chosen = BTreeSet::new();
    let mut kinds = BTreeSet::new();
    for (n, label) in points {
        if kinds.insert(label.clone()) {
            chosen.insert(*n);
        }
    }
    chosen.insert(points.last().unwrap().0);
    let total = points.len();
    let mut i = 0;
    while chosen.len() < 20 {
        chosen.insert(points[(i * 7 + 3) % total].0);
        i += 1;
    }
    chosen.into_iter().take(20).collect()
}

/// Runs the replace run until crash point `n` and kills it with SIGKILL there.
fn kill_at(plugins: &Path, work: &Path, n: u64) {
    kill_at_crash_point(
        &mut replace_run(plugins, work),
        &work.join("fault-reached"),
        n,
    );
}

#[test]
fn sigkill_at_twenty_points_of_the_load_phase_then_load_completes_exactly() {
    let Some(plugins) = plugin_dir() else { return };
    let points = crash_points(&plugins);
    assert!(points.len() >= 40, "{points:?}");
    let chosen = pick_twenty(&points);
    assert_eq!(chosen.len(), 20);
    for n in chosen {
        let label = &points[(n - 1) as usize].1;
        let work = tempfile::tempdir().unwrap();
        let work = work.path();
        first_run(&plugins, work);
        kill_at(&plugins, work, n);

        let (info, _) = ok(stowage(&plugins, work).args(["info", "--json"]));
        let info = json_line(&info);
        let pending: Vec<&Value> = info["packages"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|p| p["stage"] == "normalized")
            .collect();
        assert_eq!(pending.len(), 1, "point {n} ({label}): {info}");

        let (out, _) =
            ok(stowage(&plugins, work).args(["load", "--json", "--bucket-url", &bucket_url(work)]));
        let loads = json_line(&out)["loads"].as_array().unwrap().clone();
        assert_eq!(loads.len(), 1, "point {n} ({label})");
        let load_id = loads[0]["load_id"].as_str().unwrap().to_string();
        check_bucket(work, &load_id, &format!("point {n} ({label})"));
    }
}

/// The bucket holds exactly the replace load's data files (keys fixed in its package), one
/// marker per load, and every row once.
fn check_bucket(work: &Path, load_id: &str, what: &str) {
    let plan_file = work
        .join("pipelines/stowage/load/loaded")
        .join(load_id)
        .join("load_plan.json");
    let plan: Value = serde_json::from_slice(&std::fs::read(plan_file).unwrap()).unwrap();
    let expected: BTreeSet<String> = plan["keys"]
        .as_object()
        .unwrap()
        .values()
        .map(|k| k.as_str().unwrap().to_string())
        .collect();
    assert_eq!(expected.len(), 12, "{what}: 4 event + 8 tag files");
    let dataset = work.join("bucket").join(DATASET);
    let files = files_under(&dataset);
    let data: BTreeSet<String> = files
        .iter()
        .filter(|f| f.starts_with("event"))
        .map(|f| format!("{DATASET}/{f}"))
        .collect();
    assert_eq!(data, expected, "{what}");
    let markers: Vec<&String> = files
        .iter()
        .filter(|f| f.starts_with("_dlt_loads/"))
        .collect();
    assert_eq!(markers.len(), 2, "{what}: {markers:?}");
    assert!(markers.iter().any(|m| m.contains(load_id)), "{what}");
    assert_eq!(rows_under(&dataset.join("event")), 100, "{what}");
    assert_eq!(rows_under(&dataset.join("event__tags")), 200, "{what}");
    let known = |f: &String| {
        f == "init" || f.starts_with("_dlt_") || data.contains(&format!("{DATASET}/{f}"))
    };
    assert!(files.iter().all(known), "{what}: stray files {files:?}");
}

#[test]
fn a_kept_plan_is_what_load_writes_and_deletes() {
    let Some(plugins) = plugin_dir() else { return };
    let work = tempfile::tempdir().unwrap();
    let work = work.path();
    first_run(&plugins, work);
    let before = files_under(&work.join("bucket"));
    let (out, _) = ok(stowage(&plugins, work).args([
        "plan",
        "in.ndjson",
        "--table",
        "event",
        "--bucket-url",
        &bucket_url(work),
        "--write-disposition",
        "replace",
        "--file-max-items",
        "30",
        "--keep",
        "--json",
    ]));
    assert_eq!(
        files_under(&work.join("bucket")),
        before,
        "plan wrote nothing"
    );
    let plan = json_line(&out);
    let load = &plan["loads"][0];
    let planned_deletes: Vec<&str> = load["deletes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["key"].as_str().unwrap())
        .collect();
    assert_eq!(planned_deletes.len(), 3 + 5, "{plan}");

    let (out, _) =
        ok(stowage(&plugins, work).args(["load", "--json", "--bucket-url", &bucket_url(work)]));
    let done = &json_line(&out)["loads"][0];
    assert_eq!(done["load_id"], load["load_id"]);
    assert_eq!(
        done["deleted"].as_array().unwrap().len(),
        planned_deletes.len()
    );
    for (d, p) in done["deleted"]
        .as_array()
        .unwrap()
        .iter()
        .zip(&planned_deletes)
    {
        assert_eq!(d.as_str().unwrap(), *p);
    }
    let written: Vec<&str> = done["written"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    let planned: Vec<&str> = load["writes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(written.len(), planned.len(), "{written:?} vs {planned:?}");
    for (w, p) in written.iter().zip(&planned) {
        match p.split_once("<time>") {
            Some((head, tail)) => assert!(w.starts_with(head) && w.ends_with(tail), "{w} vs {p}"),
            None => assert_eq!(w, p),
        }
    }
    let after: BTreeSet<String> = files_under(&work.join("bucket")).into_iter().collect();
    let expected: BTreeSet<String> = before
        .iter()
        .filter(|f| !planned_deletes.contains(&f.as_str()))
        .cloned()
        .chain(written.iter().map(|w| w.to_string()))
        .collect();
    assert_eq!(after, expected);
}

#[test]
fn replace_keeps_another_tables_files_that_share_the_prefix() {
    let Some(plugins) = plugin_dir() else { return };
    let work = tempfile::tempdir().unwrap();
    let work = work.path();
    write_events(&work.join("in.ndjson"), 10);
    let layout = "{table_name}_{load_id}_{file_id}.{ext}";
    for table in ["event_log", "event", "event"] {
        let mut cmd = stowage(&plugins, work);
        cmd.args([
            "run",
            "in.ndjson",
            "--table",
            table,
            "--bucket-url",
            &bucket_url(work),
            "--layout",
            layout,
            "--write-disposition",
            "replace",
        ]);
        let (_, stderr) = ok(&mut cmd);
        assert!(stderr.contains("warning: layout"), "{stderr}");
    }
    let files = files_under(&work.join("bucket").join(DATASET));
    // files of `<table>_<load id>_…`: load ids start with a digit
    let count = |table: &str| {
        files
            .iter()
            .filter(|f| {
                f.strip_prefix(table)
                    .and_then(|rest| rest.strip_prefix('_'))
                    .is_some_and(|rest| rest.starts_with(|c: char| c.is_ascii_digit()))
            })
            .count()
    };
    // dlt's prefix `event_` would also have deleted event_log's files
    assert_eq!(count("event_log"), 1, "{files:?}");
    assert_eq!(count("event_log__tags"), 1, "{files:?}");
    assert_eq!(count("event"), 1, "{files:?}");
    assert_eq!(count("event__tags"), 1, "{files:?}");
}

#[test]
fn a_failed_job_is_kept_with_its_error_and_loads_after_the_fix() {
    let Some(plugins) = plugin_dir() else { return };
    let work = tempfile::tempdir().unwrap();
    let work = work.path();
    write_events(&work.join("in.ndjson"), 10);
    // A file where the table's folder must go: every upload of `blocked` fails for good.
    let dataset = work.join("bucket").join(DATASET);
    std::fs::create_dir_all(&dataset).unwrap();
    std::fs::write(dataset.join("blocked"), b"in the way").unwrap();
    let out = run(stowage(&plugins, work)
        .env("LOAD__RAISE_ON_MAX_RETRIES", "0")
        .args([
            "run",
            "in.ndjson",
            "--table",
            "blocked",
            "--bucket-url",
            &bucket_url(work),
        ]));
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("job(s) failed"), "{stderr}");
    assert!(!dataset.join("_dlt_loads").exists(), "no marker");

    let (info, _) = ok(stowage(&plugins, work).args(["info", "--json"]));
    let info = json_line(&info);
    let package = &info["packages"][0];
    assert_eq!(package["status"], "failed", "{info}");
    let load_id = package["load_id"].as_str().unwrap().to_string();
    let (shown, _) = ok(stowage(&plugins, work).args(["show", &load_id, "--json"]));
    let shown = json_line(&shown);
    let jobs = shown["package"]["job_list"].as_array().unwrap();
    let failed: Vec<&Value> = jobs
        .iter()
        .filter(|j| j["state"] == "failed_jobs")
        .collect();
    assert_eq!(failed.len(), 1, "{shown}");
    assert!(
        failed[0]["error"].as_str().unwrap().contains("blocked"),
        "{shown}"
    );
    let (text_info, _) = ok(stowage(&plugins, work).args(["info"]));
    assert!(text_info.contains("failed"), "{text_info}");

    std::fs::remove_file(dataset.join("blocked")).unwrap();
    let (out, _) =
        ok(stowage(&plugins, work).args(["load", "--json", "--bucket-url", &bucket_url(work)]));
    let done = &json_line(&out)["loads"][0];
    assert_eq!(done["load_id"], load_id.as_str());
    assert_eq!(done["files"].as_array().unwrap().len(), 1);
    assert!(
        dataset
            .join(format!("_dlt_loads/stowage__{load_id}.jsonl"))
            .exists()
    );
    assert_eq!(rows_under(&dataset.join("blocked")), 10);
}

#[test]
fn rotation_and_layout_come_from_config() {
    let Some(plugins) = plugin_dir() else { return };
    let work = tempfile::tempdir().unwrap();
    let work = work.path();
    write_events(&work.join("in.ndjson"), 25);
    std::fs::create_dir_all(work.join(".dlt")).unwrap();
    std::fs::write(
        work.join(".dlt/config.toml"),
        "[destination.filesystem]\n\
         layout = \"{table_name}/{env}/{YYYY}-{MM}/{load_id}.{file_id}\"\n\
         extra_placeholders = { env = \"prod\" }\n\
         current_datetime = \"2024-04-14T08:32:00+02:00\"\n\
         [normalize.data_writer]\nfile_max_items = 10\ndisable_compression = true\n",
    )
    .unwrap();
    let (out, stderr) = ok(stowage(&plugins, work).args([
        "run",
        "in.ndjson",
        "--table",
        "event",
        "--bucket-url",
        &bucket_url(work),
        "--json",
    ]));
    assert!(!stderr.contains("does not apply"), "{stderr}");
    let summary = json_line(&out);
    let files: Vec<&str> = summary["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    let events: Vec<&&str> = files
        .iter()
        .filter(|f| f.starts_with("stowage_dataset/event/"))
        .collect();
    assert_eq!(events.len(), 3, "{files:?}");
    for f in &events {
        assert!(f.starts_with("stowage_dataset/event/prod/2024-04/"), "{f}");
        assert!(f.ends_with(".jsonl"), "{f}");
    }
}

#[test]
fn quiet_prints_nothing_and_json_prints_one_line_with_log_lines_on_stderr() {
    let Some(plugins) = plugin_dir() else { return };
    let work = tempfile::tempdir().unwrap();
    let work = work.path();
    write_events(&work.join("in.ndjson"), 5);
    let (stdout, stderr) = ok(stowage(&plugins, work).args([
        "run",
        "in.ndjson",
        "--table",
        "event",
        "--bucket-url",
        &bucket_url(work),
        "--quiet",
    ]));
    assert_eq!((stdout.as_str(), stderr.as_str()), ("", ""));
    let (stdout, stderr) = ok(stowage(&plugins, work).args([
        "run",
        "in.ndjson",
        "--table",
        "event",
        "--bucket-url",
        &bucket_url(work),
        "--json",
    ]));
    assert_eq!(stdout.lines().count(), 1, "{stdout}");
    assert_eq!(json_line(&stdout)["status"], "ok");
    assert!(stderr.contains("loading "), "{stderr}");
    assert!(stderr.contains("marker written"), "{stderr}");
    let (_, stderr) = ok(stowage(&plugins, work).env("STOWAGE_LOG", "debug").args([
        "run",
        "in.ndjson",
        "--table",
        "event",
        "--bucket-url",
        &bucket_url(work),
    ]));
    assert!(
        stderr.contains("uploaded stowage_dataset/event/"),
        "{stderr}"
    );
}

#[test]
fn unknown_layout_placeholders_fail_before_anything_is_created() {
    let Some(plugins) = plugin_dir() else { return };
    let work = tempfile::tempdir().unwrap();
    let work = work.path();
    write_events(&work.join("in.ndjson"), 5);
    let out = run(stowage(&plugins, work).args([
        "run",
        "in.ndjson",
        "--table",
        "event",
        "--bucket-url",
        &bucket_url(work),
        "--layout",
        "{table_name}/{foo}/{bar}.{ext}",
    ]));
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("{foo}, {bar}"), "{stderr}");
    assert!(!work.join("bucket").exists());
    assert!(!PathBuf::from(work).join("pipelines/stowage/load").exists());
}

/// dlt 1.31 through the tests' venv: writes, or reads row counts of, a dataset with a layout.
const DLT_LAYOUT_SCRIPT: &str = r#"
import sys, dlt
layout, bucket, pipelines_dir, mode = sys.argv[1:5]
dest = dlt.destinations.filesystem(bucket_url=bucket, layout=layout)
p = dlt.pipeline(pipeline_name="ip", destination=dest, dataset_name="ip_dataset",
                 pipelines_dir=pipelines_dir)
if mode == "write":
    p.run([{"id": i, "tags": ["x", "y"]} for i in range(7)], table_name="event",
          loader_file_format="jsonl")
else:
    p.sync_destination()
    print(len(p.dataset()["event"].arrow()), len(p.dataset()["event__tags"].arrow()))
"#;

fn python() -> Option<PathBuf> {
    match std::env::var_os("STOWAGE_TEST_PYTHON") {
        Some(p) => Some(PathBuf::from(p)),
        None if std::env::var("CI").is_ok_and(|v| v == "true") => {
            panic!("STOWAGE_TEST_PYTHON is not set in CI (`cargo xtask python`)")
        }
        None => {
            eprintln!("skipped: STOWAGE_TEST_PYTHON is not set (`cargo xtask python`)");
            None
        }
    }
}

#[test]
fn replace_with_a_layout_deletes_dlts_files_and_dlt_reads_the_result() {
    let Some(plugins) = plugin_dir() else { return };
    let Some(python) = python() else { return };
    let work = tempfile::tempdir().unwrap();
    let work = work.path();
    let layout = "{table_name}/{YYYY}/{MM}/{load_id}.{file_id}.{ext}";
    let script = work.join("dlt_layout.py");
    std::fs::write(&script, DLT_LAYOUT_SCRIPT).unwrap();
    let bucket = format!("file://{}", work.join("bucket").display());
    let dlt = |mode: &str, dir: &str| {
        let out = Command::new(&python)
            .arg(&script)
            .args([layout, &bucket, &work.join(dir).display().to_string(), mode])
            .output()
            .unwrap();
        let (stdout, stderr) = text(&out);
        assert!(out.status.success(), "dlt {mode}: {stdout}\n{stderr}");
        stdout
    };
    dlt("write", "dlt_writer");
    let dataset = work.join("bucket/ip_dataset");
    let dlt_files = files_under(&dataset.join("event"));
    assert_eq!(dlt_files.len(), 1, "{dlt_files:?}");

    write_events(&work.join("in.ndjson"), 50);
    ok(stowage(&plugins, work).args([
        "run",
        "in.ndjson",
        "--table",
        "event",
        "--pipeline",
        "ip",
        "--bucket-url",
        &bucket,
        "--layout",
        layout,
        "--write-disposition",
        "replace",
        "--file-max-items",
        "20",
    ]));
    let ours = files_under(&dataset.join("event"));
    assert_eq!(ours.len(), 3, "{ours:?}");
    assert!(
        ours.iter().all(|f| !dlt_files.contains(f)),
        "dlt's file was replaced"
    );
    assert_eq!(dlt("read", "dlt_reader").trim(), "50 100");
}
