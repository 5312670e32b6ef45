//! Helpers of the dlt interop tests: prerequisites (built plugins, the tests' Python venv),
//! `stowage` and the Python scripts under `tests/interop/` run in per-test temp dirs, and small
//! bucket inspection tools.
//!
//! Prerequisites follow the workspace rule: when `STOWAGE_TEST_PLUGIN_DIR` or
//! `STOWAGE_TEST_PYTHON` is missing a test prints a skip line and returns, unless `CI=true`, where
//! it panics (never a silent skip in CI).

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

/// What an interop test needs: the built plugins and, for dlt, the venv's python.
pub struct Prereqs {
    /// `STOWAGE_TEST_PLUGIN_DIR`.
    pub plugins: PathBuf,
    /// `STOWAGE_TEST_PYTHON` (dlt 1.31, pyarrow, duckdb), when asked for.
    pub python: Option<PathBuf>,
}

fn required_env(var: &str, how: &str) -> Option<PathBuf> {
    match std::env::var_os(var) {
        Some(v) => Some(PathBuf::from(v)),
        None if std::env::var("CI").is_ok_and(|v| v == "true") => {
            panic!("{var} is not set in CI: {how}")
        }
        None => {
            eprintln!("skipped: {var} is not set ({how})");
            None
        }
    }
}

/// The built plugins, or `None` (skip) outside CI.
pub fn plugins_only() -> Option<Prereqs> {
    let plugins = required_env(
        "STOWAGE_TEST_PLUGIN_DIR",
        "run `cargo xtask build` and point it at target/debug/plugins",
    )?;
    Some(Prereqs {
        plugins,
        python: None,
    })
}

/// The built plugins and the dlt venv, or `None` (skip) outside CI.
pub fn plugins_and_dlt() -> Option<Prereqs> {
    let mut p = plugins_only()?;
    p.python = Some(required_env(
        "STOWAGE_TEST_PYTHON",
        "`cargo xtask python` prints the venv's python",
    )?);
    Some(p)
}

/// A finished process: exit status and text output, printable in assertion messages.
pub struct Ran {
    /// What was run (for messages).
    pub what: String,
    /// The raw output.
    pub output: Output,
    /// How long it took.
    pub took: Duration,
}

impl Ran {
    /// True when the exit code is 0.
    pub fn ok(&self) -> bool {
        self.output.status.success()
    }

    /// Stdout as text.
    pub fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.output.stdout).into_owned()
    }

    /// Stderr as text.
    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.output.stderr).into_owned()
    }

    /// Everything about the run, for an assertion message.
    pub fn report(&self) -> String {
        format!(
            "$ {}\nexit: {:?} after {:.1?}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.what,
            self.output.status.code(),
            self.took,
            self.stdout(),
            tail(&self.stderr(), 12_000)
        )
    }

    /// Panics with the report unless the process succeeded.
    pub fn expect_ok(&self) -> &Ran {
        assert!(self.ok(), "command failed:\n{}", self.report());
        self
    }

    /// The last non-empty stdout line parsed as JSON (the scripts' one document).
    pub fn json(&self) -> serde_json::Value {
        let out = self.stdout();
        let line = out.lines().rev().find(|l| !l.trim().is_empty());
        line.and_then(|l| serde_json::from_str(l).ok())
            .unwrap_or_else(|| panic!("no JSON document on stdout:\n{}", self.report()))
    }

    /// Every stdout line parsed as JSON.
    pub fn json_lines(&self) -> Vec<serde_json::Value> {
        self.stdout()
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| {
                serde_json::from_str(l)
                    .unwrap_or_else(|e| panic!("bad JSON line ({e}): {l}\n{}", self.report()))
            })
            .collect()
    }
}

fn tail(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut start = text.len() - max;
    while !text.is_char_boundary(start) {
        start += 1;
    }
    &text[start..]
}

fn execute(mut cmd: Command) -> Ran {
    let what = format!("{cmd:?}");
    let started = Instant::now();
    let output = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot start {what}: {e}"));
    Ran {
        what,
        output,
        took: started.elapsed(),
    }
}

/// One test's scratch space: a temp dir with a bucket, Stowage's pipelines dir and fresh dlt
/// pipelines dirs.
pub struct Scratch {
    dir: tempfile::TempDir,
    prereqs: Prereqs,
}

impl Scratch {
    /// A fresh temp dir for one test.
    pub fn new(prereqs: Prereqs) -> Scratch {
        Scratch {
            dir: tempfile::tempdir().expect("temp dir"),
            prereqs,
        }
    }

    /// The temp dir.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// `<tmp>/bucket`.
    pub fn bucket(&self) -> PathBuf {
        self.path().join("bucket")
    }

    /// `file://<tmp>/bucket`.
    pub fn bucket_url(&self) -> String {
        format!("file://{}", self.bucket().display())
    }

    /// Stowage's `--pipelines-dir`.
    pub fn stowage_pipelines(&self) -> PathBuf {
        self.path().join("stowage_pipelines")
    }

    /// A new, never used dlt `pipelines_dir` (a new machine for dlt).
    pub fn fresh_dlt_pipelines(&self, label: &str) -> PathBuf {
        let dir = self.path().join(format!("dlt_pipelines_{label}"));
        assert!(!dir.exists(), "{} used twice", dir.display());
        dir
    }

    /// Writes `text` to `<tmp>/<name>` and returns its absolute path.
    pub fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.path().join(name);
        std::fs::write(&path, text).expect("write input");
        path
    }

    /// `stowage run INPUT --table T --pipeline P --dataset D --bucket-url <bucket>
    /// --pipelines-dir <stowage pipelines> EXTRA…`.
    pub fn stowage_run(
        &self,
        input: &Path,
        table: &str,
        pipeline: &str,
        dataset: &str,
        extra: &[&str],
    ) -> Ran {
        let (bucket, pipelines) = (self.bucket(), self.stowage_pipelines());
        self.stowage_run_at(&bucket, &pipelines, input, table, pipeline, dataset, extra)
    }

    /// `stowage run` into the bucket dir `bucket` with `--pipelines-dir pipelines`.
    #[allow(clippy::too_many_arguments)]
    pub fn stowage_run_at(
        &self,
        bucket: &Path,
        pipelines: &Path,
        input: &Path,
        table: &str,
        pipeline: &str,
        dataset: &str,
        extra: &[&str],
    ) -> Ran {
        let mut cmd = self.stowage();
        cmd.arg("run")
            .arg(input)
            .args([
                "--table",
                table,
                "--pipeline",
                pipeline,
                "--dataset",
                dataset,
            ])
            .arg("--bucket-url")
            .arg(format!("file://{}", bucket.display()))
            .arg("--pipelines-dir")
            .arg(pipelines)
            .args(extra);
        execute(cmd)
    }

    /// `stowage` with only the built plugins and no inherited settings.
    pub fn stowage(&self) -> Command {
        let bin = std::env::var_os("STOWAGE_BIN")
            .map(PathBuf::from)
            .unwrap_or_else(|| env!("CARGO_BIN_EXE_stowage").into());
        let mut cmd = Command::new(bin);
        cmd.current_dir(self.path())
            .env("STOWAGE_PLUGIN_NO_CWD", "1")
            .env_remove("STOWAGE_PLUGIN_PATH")
            .env_remove("STOWAGE_PIPELINES_DIR")
            .env_remove("DESTINATION__FILESYSTEM__BUCKET_URL")
            .env_remove("DATA_WRITER__DISABLE_COMPRESSION")
            .arg("--plugin-dir")
            .arg(&self.prereqs.plugins);
        cmd
    }

    /// `python tests/interop/<script> ARGS…` in the temp dir.
    pub fn python(&self, script: &str, args: &[&str]) -> Ran {
        let python = self
            .prereqs
            .python
            .as_ref()
            .expect("this test asked for plugins_and_dlt()");
        let mut cmd = Command::new(python);
        cmd.current_dir(self.path())
            .arg(interop_dir().join(script))
            .args(args)
            .env("RUNTIME__DLTHUB_TELEMETRY", "false")
            .env("PYTHONDONTWRITEBYTECODE", "1")
            .env_remove("DESTINATION__FILESYSTEM__BUCKET_URL")
            .env_remove("DATA_WRITER__DISABLE_COMPRESSION");
        execute(cmd)
    }

    /// `dlt_read.py`: a fresh dlt pipeline syncs from the bucket and dumps every data table.
    pub fn dlt_read(&self, pipeline: &str, dataset: &str, label: &str) -> Ran {
        let pipes = self.fresh_dlt_pipelines(label);
        self.python(
            "dlt_read.py",
            &[
                pipeline,
                &self.bucket_url(),
                dataset,
                &pipes.to_string_lossy(),
            ],
        )
    }

    /// `dlt_load.py`: dlt loads an NDJSON file with `loader_file_format`.
    pub fn dlt_load(
        &self,
        pipeline: &str,
        dataset: &str,
        table: &str,
        file_format: &str,
        input: &Path,
        label: &str,
    ) -> Ran {
        let pipes = self.fresh_dlt_pipelines(label);
        self.python(
            "dlt_load.py",
            &[
                pipeline,
                &self.bucket_url(),
                dataset,
                &pipes.to_string_lossy(),
                table,
                file_format,
                &input.to_string_lossy(),
            ],
        )
    }
}

/// `cli/tests/interop`.
pub fn interop_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("interop")
}

/// `cli/tests/data/<name>`.
pub fn data_file(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("data")
        .join(name)
}

/// Every file under `root`, relative with `/`, sorted (empty when `root` does not exist).
pub fn files_under(root: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let rel = path.strip_prefix(root).expect("under root");
                out.push(rel.to_string_lossy().replace('\\', "/"));
            }
        }
    }
    out.sort();
    out
}

/// Files directly in `<dataset dir>/<dlt table>/` except the legacy empty `init`.
pub fn dlt_table_files(dataset_dir: &Path, dlt_table: &str) -> Vec<String> {
    files_under(&dataset_dir.join(dlt_table))
        .into_iter()
        .filter(|f| f != "init")
        .collect()
}

/// Reads a JSON file.
pub fn read_json(path: &Path) -> serde_json::Value {
    let text =
        std::fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}\n{text}", path.display()))
}

/// Standard base64 (padding optional) → bytes; `None` on a bad character.
pub fn base64_decode(text: &str) -> Option<Vec<u8>> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut bits: u32 = 0;
    let mut nbits = 0;
    let mut out = Vec::new();
    for c in text.trim_end_matches('=').bytes() {
        let v = ALPHABET.iter().position(|&a| a == c)? as u32;
        bits = (bits << 6) | v;
        nbits += 6;
        if nbits >= 8 {
            nbits -= 8;
            out.push((bits >> nbits) as u8);
            bits &= (1 << nbits) - 1;
        }
    }
    Some(out)
}

/// Lowercase hex.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
