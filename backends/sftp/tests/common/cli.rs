//! Driving the built `stowage` binary against an SFTP bucket, and checking what it left there.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use super::{Server, plugin_dir, stowage_bin};

/// The example input of the repository (1,000 events).
pub const EVENTS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../examples/data/events.ndjson"
);

/// A scratch project for `stowage` runs: its own cwd, HOME, pipelines dir and plugin dir.
#[derive(Debug)]
pub struct Project {
    pub work: tempfile::TempDir,
    bin: PathBuf,
    plugins: PathBuf,
}

impl Project {
    /// `None` (skip) when the binary or plugins are not built, outside CI.
    pub fn new() -> Option<Project> {
        let bin = stowage_bin()?;
        let plugins = plugin_dir()?;
        let work = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir_all(work.path().join("home")).expect("home");
        Some(Project { work, bin, plugins })
    }

    /// The HOME the child sees (no `.ssh` unless a test puts one there).
    pub fn home(&self) -> PathBuf {
        self.work.path().join("home")
    }

    /// Writes `<HOME>/.ssh/known_hosts` (the default file the plugin reads).
    pub fn write_known_hosts(&self, text: &str) -> PathBuf {
        let ssh = self.home().join(".ssh");
        std::fs::create_dir_all(&ssh).expect("~/.ssh");
        let path = ssh.join("known_hosts");
        std::fs::write(&path, text).expect("write known_hosts");
        path
    }

    /// Trusts the shared server through `<HOME>/.ssh/known_hosts`.
    pub fn trust(&self, server: &Server) {
        let text = std::fs::read_to_string(&server.known_hosts).expect("read known_hosts");
        self.write_known_hosts(&text);
    }

    /// A `stowage` command with the credentials `creds` (dlt field names) as
    /// `DESTINATION__FILESYSTEM__CREDENTIALS__*`, and nothing inherited that could change auth.
    pub fn stowage(&self, creds: &[(String, String)]) -> Command {
        let mut cmd = Command::new(&self.bin);
        cmd.current_dir(self.work.path())
            .env("HOME", self.home())
            .env("STOWAGE_PLUGIN_NO_CWD", "1")
            .env("STOWAGE_PIPELINES_DIR", self.work.path().join("pipelines"))
            .env_remove("STOWAGE_PLUGIN_PATH")
            .env_remove("SSH_AUTH_SOCK")
            .arg("--plugin-dir")
            .arg(&self.plugins);
        for (key, _) in std::env::vars() {
            if key.starts_with("DESTINATION__") {
                cmd.env_remove(key);
            }
        }
        for (key, value) in creds {
            let var = format!(
                "DESTINATION__FILESYSTEM__CREDENTIALS__{}",
                key.to_ascii_uppercase()
            );
            cmd.env(var, value);
        }
        cmd
    }

    /// `stowage run <events> --table events --pipeline <pipeline> --bucket-url <url>`.
    pub fn run_events(&self, pipeline: &str, url: &str, creds: &[(String, String)]) -> Output {
        let mut cmd = self.stowage(creds);
        cmd.args([
            "run",
            EVENTS,
            "--table",
            "events",
            "--pipeline",
            pipeline,
            "--bucket-url",
            url,
        ]);
        cmd.output().expect("run stowage")
    }
}

/// Credentials that keep the child's environment out of authentication (no agent, no default
/// keys); the host key comes from `<HOME>/.ssh/known_hosts` (see [`Project::trust`]).
pub fn isolated_creds() -> Vec<(String, String)> {
    vec![
        ("sftp_allow_agent".into(), "false".into()),
        ("sftp_look_for_keys".into(), "false".into()),
    ]
}

/// Stdout and stderr of a finished command, for messages and secret checks.
pub fn text(out: &Output) -> String {
    format!(
        "exit: {:?}\nstdout:\n{}\nstderr:\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Asserts a clean failure: a non-zero exit code (not a crash), `needle` in stderr, and none of
/// `secrets` anywhere in the output.
pub fn assert_clean_failure(out: &Output, needle: &str, secrets: &[&str]) {
    let all = text(out);
    assert!(matches!(out.status.code(), Some(c) if c != 0), "{all}");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains(needle),
        "expected `{needle}`: {all}"
    );
    assert!(!all.contains("panic"), "{all}");
    for secret in secrets {
        assert!(!all.contains(secret), "a secret leaked: {all}");
    }
}

/// Checks a completed load of `rows` events in `dataset_dir` (a local path of the bucket's
/// dataset): `init`, one data file with every row, the marker last, no temporary files.
pub fn assert_loaded(dataset_dir: &Path, pipeline: &str, rows: usize) {
    let init = std::fs::read_to_string(dataset_dir.join("init")).expect("init");
    assert_eq!(init, r#"{"initial_version":2,"current_version":2}"#);
    let data = files_in(&dataset_dir.join("events"));
    assert_eq!(data.len(), 1, "{data:?}");
    let lines = read_lines(&data[0]);
    assert_eq!(lines, rows, "{}", data[0].display());
    let markers = files_in(&dataset_dir.join("_dlt_loads"));
    assert_eq!(markers.len(), 1, "{markers:?}");
    let marker = markers[0]
        .file_name()
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    assert!(marker.starts_with(&format!("{pipeline}__")), "{marker}");
}

/// Files (not directories) directly in `dir`, sorted; temporary files included.
pub fn files_in(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| e.path())
                .filter(|p| p.is_file())
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}

/// Lines of a jsonl file, gunzipped when it ends with `.gz`.
pub fn read_lines(path: &Path) -> usize {
    let raw = std::fs::read(path).expect("read data file");
    let mut text = String::new();
    if path.extension().is_some_and(|e| e == "gz") {
        flate2::read::GzDecoder::new(&raw[..])
            .read_to_string(&mut text)
            .expect("gunzip");
    } else {
        text = String::from_utf8(raw).expect("utf-8");
    }
    text.lines().count()
}
