//! End to end: `stowage run` into a local bucket, then dlt 1.31 reads the dataset back.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::python::{json_lines, run_python};
use super::{plugin_dir, python, required_env};

/// The `stowage` binary built by the xtask.
pub fn stowage_bin() -> Option<PathBuf> {
    required_env(
        "STOWAGE_BIN",
        "run `cargo xtask build` and point it at target/debug/stowage",
    )
}

/// `examples/data/events.ndjson` of the workspace.
pub fn example_events() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/data/events.ndjson")
}

/// One `stowage run` of the end-to-end tests.
#[derive(Debug, Clone, Copy)]
pub struct StowageRun<'a> {
    /// NDJSON input file.
    pub input: &'a Path,
    /// `--format`.
    pub format: &'a str,
    /// `--pipeline`.
    pub pipeline: &'a str,
    /// `--bucket-url` (the dataset is `ds`, the table `events`).
    pub bucket_url: &'a str,
    /// More arguments.
    pub extra: &'a [&'a str],
}

/// Runs `stowage run <input> --table events --format <format>` with an isolated plugin path,
/// pipelines dir (under `work`) and environment; panics with the output on failure.
pub fn stowage_run(bin: &Path, plugins: &Path, work: &Path, run: &StowageRun<'_>) -> String {
    let mut cmd = Command::new(bin);
    for (key, _) in std::env::vars_os() {
        let key = key.to_string_lossy().into_owned();
        let dlt_setting = [
            "DESTINATION__",
            "DATA_WRITER__",
            "NORMALIZE__",
            "LOAD__",
            "RUNTIME__",
        ]
        .iter()
        .any(|p| key.starts_with(p));
        if dlt_setting || key.starts_with("STOWAGE_") || key == "DLT_PROJECT_DIR" {
            cmd.env_remove(&key);
        }
    }
    cmd.current_dir(work)
        .env("STOWAGE_PLUGIN_NO_CWD", "1")
        .env("STOWAGE_PIPELINES_DIR", work.join("pipelines"))
        .arg("run")
        .arg(run.input)
        .args(["--plugin-dir"])
        .arg(plugins)
        .args([
            "--table",
            "events",
            "--format",
            run.format,
            "--pipeline",
            run.pipeline,
        ])
        .args(["--dataset", "ds", "--bucket-url", run.bucket_url])
        .args(run.extra);
    let out = cmd.output().expect("stowage runs");
    let text = format!(
        "stdout:\n{}\nstderr:\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "stowage run failed\n{text}");
    text
}

/// Reads dataset `ds` of `bucket_url` with a fresh dlt 1.31 pipeline (spec §0.0) and prints the
/// `events` rows (canonical, by `event_id`) and each event's tags (from `events__tags`, by
/// `_dlt_list_idx`); then prints the same from the NDJSON input, normalized the way dlt names
/// and flattens it.
pub const DLT_READ_EVENTS: &str = r#"
import os
os.environ["RUNTIME__LOG_LEVEL"] = "WARNING"
import dlt
pipeline_name, bucket_url, pipelines_dir, input_path = sys.argv[1:5]
p = dlt.pipeline(pipeline_name=pipeline_name, destination=dlt.destinations.filesystem(bucket_url=bucket_url), dataset_name="ds", pipelines_dir=pipelines_dir)
p.sync_destination()
events = p.dataset()["events"].arrow().to_pylist()
tags = p.dataset()["events__tags"].arrow().to_pylist()
by_parent = {}
for t in sorted(tags, key=lambda t: t["_dlt_list_idx"]):
    by_parent.setdefault(t["_dlt_parent_id"], []).append(t["value"])
events.sort(key=lambda r: r["event_id"])
got_tags = {str(r["event_id"]): by_parent.get(r["_dlt_id"], []) for r in events}
want_tags = {}
want = []
for line in open(input_path, encoding="utf-8"):
    d = json.loads(line)
    want_tags[str(d["EventId"])] = d["tags"]
    want.append({
        "event_id": d["EventId"], "kind": d["Kind"], "user_name": d["user Name"],
        "amount": d["amount"], "is_mobile": d["isMobile"],
        "ts": datetime.datetime.fromisoformat(d["ts"]), "note": d.get("note"),
        "props__page": d["props"]["page"], "props__ref": d["props"]["ref"],
    })
want.sort(key=lambda r: r["event_id"])
print(json.dumps({"columns": sorted(events[0].keys()) if events else [], "tags_match": got_tags == want_tags, "tag_rows": len(tags)}))
names = list(want[0].keys())
emit(["dlt:" + n for n in names], ([r.get(n) for n in names] for r in events))
emit(["input:" + n for n in names], ([r[n] for n in names] for r in want))
"#;

/// A dataset written by `stowage run` (kept until dropped).
pub struct Loaded {
    /// The temp dir holding the bucket.
    pub work: tempfile::TempDir,
    /// The data files of the `events` table.
    pub files: Vec<PathBuf>,
}

/// `examples/data/events.ndjson` with the line breaks inside strings replaced by spaces, in
/// `dir`. dlt 1.31 cannot read csv files with quoted line breaks (its DuckDB `read_csv` uses
/// `null_padding` with the parallel scanner, which refuses them), not even its own.
pub fn example_events_without_line_breaks(dir: &Path) -> PathBuf {
    let text = std::fs::read_to_string(example_events()).expect("example events");
    let path = dir.join("events_single_line_strings.ndjson");
    std::fs::write(&path, text.replace("\\n", " ")).expect("input written");
    path
}

/// Loads `input` (default `examples/data/events.ndjson`) with `--format <format>` and asserts
/// that dlt reads the same values back (`pipeline.dataset()`); returns the bucket's data files
/// of `events`.
pub fn assert_dlt_reads_stowage_dataset(
    format: &str,
    input: Option<&Path>,
    extra: &[&str],
) -> Option<Loaded> {
    let bin = stowage_bin()?;
    let plugins = plugin_dir()?;
    let python = python()?;
    let work = tempfile::tempdir().unwrap();
    let bucket = work.path().join("bucket");
    let url = format!("file://{}", bucket.display());
    let pipeline = format!("e2e_{format}");
    let input = input.map_or_else(example_events, Path::to_path_buf);
    let run = StowageRun {
        input: &input,
        format,
        pipeline: &pipeline,
        bucket_url: &url,
        extra,
    };
    stowage_run(&bin, &plugins, work.path(), &run);
    let files: Vec<PathBuf> = std::fs::read_dir(bucket.join("ds/events"))
        .expect("events table folder")
        .map(|e| e.unwrap().path())
        .collect();

    let dlt_dir = work.path().join("dlt_pipelines");
    let out = json_lines(&run_python(
        &python,
        DLT_READ_EVENTS,
        &[
            &pipeline,
            &url,
            dlt_dir.to_str().unwrap(),
            input.to_str().unwrap(),
        ],
    ));
    let (meta, rows) = out.split_first().unwrap();
    assert_eq!(meta["tags_match"], true, "tags differ: {meta:?}");
    assert_eq!(
        rows.len(),
        2000,
        "1000 rows read by dlt and 1000 input rows"
    );
    let (got, want) = rows.split_at(1000);
    for (row, (g, w)) in got.iter().zip(want).enumerate() {
        for (key, wv) in w {
            let name = key.strip_prefix("input:").unwrap();
            let gv = &g[&format!("dlt:{name}")];
            let same = match (gv.as_str(), wv.as_str()) {
                (Some(a), Some(b)) if a.starts_with("f:") && b.starts_with("f:") => {
                    a[2..].parse::<f64>().ok() == b[2..].parse::<f64>().ok()
                }
                _ => gv == wv,
            };
            assert!(
                same,
                "row {row} column `{name}`: dlt read {gv}, input has {wv}"
            );
        }
    }
    Some(Loaded { work, files })
}
