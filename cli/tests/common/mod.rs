//! Helpers for the CLI tests: the built binary, the built plugins, temp projects.

#![allow(dead_code)]

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The plugin directory built by `cargo xtask build`, or `None` (skip) outside CI.
pub fn plugin_dir() -> Option<PathBuf> {
    match std::env::var_os("STOWAGE_TEST_PLUGIN_DIR") {
        Some(dir) => Some(PathBuf::from(dir)),
        None if std::env::var("CI").is_ok_and(|v| v == "true") => {
            panic!("STOWAGE_TEST_PLUGIN_DIR is not set: run the tests with `cargo xtask test-all`")
        }
        None => {
            eprintln!("skipped: plugins not built (run `cargo xtask test-all`)");
            None
        }
    }
}

/// Prefixes of dlt-style config env vars a developer's shell may carry (removed for tests).
const DLT_SECTIONS: &[&str] = &[
    "DESTINATION__",
    "CREDENTIALS__",
    "DATA_WRITER__",
    "NORMALIZE__",
    "LOAD__",
    "SOURCES__",
];

/// A `stowage` command with an isolated plugin search path, pipelines dir and config (no
/// inherited dlt env vars, no global `~/.dlt`).
pub fn stowage(plugins: &Path, work: &Path) -> Command {
    let bin = std::env::var_os("STOWAGE_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| env!("CARGO_BIN_EXE_stowage").into());
    let mut cmd = Command::new(bin);
    for (name, _) in std::env::vars_os() {
        let name = name.to_string_lossy();
        if DLT_SECTIONS.iter().any(|s| name.starts_with(s)) {
            cmd.env_remove(&*name);
        }
    }
    cmd.current_dir(work)
        .env("STOWAGE_PLUGIN_NO_CWD", "1")
        .env_remove("STOWAGE_PLUGIN_PATH")
        .env_remove("STOWAGE_LOG")
        .env_remove("DLT_PROJECT_DIR")
        .env("DLT_DATA_DIR", work.join(".no-global-dlt"))
        .env("STOWAGE_PIPELINES_DIR", work.join("pipelines"))
        .arg("--plugin-dir")
        .arg(plugins);
    cmd
}

/// Runs and returns the output, printing it on failure of the expectation.
pub fn run(cmd: &mut Command) -> Output {
    cmd.output().expect("stowage binary runs")
}

/// Stdout and stderr as text.
pub fn text(out: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Every file under `root`, relative, sorted.
pub fn files_under(root: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in entries.flatten() {
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

/// Writes `n` NDJSON rows.
pub fn write_ndjson(path: &Path, n: usize) {
    use std::io::Write;
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    for i in 0..n {
        writeln!(
            f,
            r#"{{"id":{i},"name":"row {i}","score":{}.5,"ok":{}}}"#,
            i % 100,
            i % 2 == 0
        )
        .unwrap();
    }
}

/// A server setting from `cargo xtask servers env`; `None` (skip) outside CI, a panic in CI.
pub fn server_env(name: &str) -> Option<String> {
    match std::env::var(name) {
        Ok(value) => Some(value),
        Err(_) if std::env::var("CI").is_ok_and(|v| v == "true") => {
            panic!("{name} is not set in CI (run `cargo xtask servers start`)")
        }
        Err(_) => {
            eprintln!(
                "skipped: {name} not set (run `cargo xtask servers start` and pass `cargo xtask servers env`)"
            );
            None
        }
    }
}

/// A bucket on moto (which accepts any credentials), created with an unsigned request.
pub fn moto_bucket(endpoint: &str, name: &str) {
    let authority = endpoint.trim_start_matches("http://").trim_end_matches('/');
    let mut stream = std::net::TcpStream::connect(authority).expect("moto is reachable");
    write!(
        stream,
        "PUT /{name} HTTP/1.1\r\nHost: {authority}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut reply = String::new();
    stream.read_to_string(&mut reply).unwrap();
    assert!(
        reply.starts_with("HTTP/1.1 200"),
        "creating bucket {name}: {reply}"
    );
}

/// Runs `cmd`, asserts it succeeded (printing both streams if not); its stdout and stderr.
pub fn ok(cmd: &mut Command) -> (String, String) {
    let out = run(cmd);
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "stdout: {stdout}\nstderr: {stderr}");
    (stdout, stderr)
}

/// Runs `cmd` with `input` on its stdin, asserts it succeeded (printing both streams if not);
/// its stdout and stderr.
pub fn ok_with_stdin(cmd: &mut Command, input: &str) -> (String, String) {
    let mut child = cmd
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    (stdout, stderr)
}

/// The crash points `cmd` passes, from a successful run of it traced into `trace`: (n, label).
pub fn traced_crash_points(cmd: &mut Command, trace: &Path) -> Vec<(u64, String)> {
    ok(cmd.env("STOWAGE_FAULT_TRACE", trace));
    std::fs::read_to_string(trace)
        .unwrap()
        .lines()
        .map(|l| {
            let (n, label) = l.split_once(' ').unwrap();
            (n.parse().unwrap(), label.to_string())
        })
        .collect()
}

/// Runs `cmd` until crash point `n` (it creates `marker` there) and kills it with SIGKILL;
/// panics if it ends first or does not get there within two minutes.
pub fn kill_at_crash_point(cmd: &mut Command, marker: &Path, n: u64) {
    let mut child = cmd
        .env("STOWAGE_FAULT_AT", n.to_string())
        .env("STOWAGE_FAULT_FILE", marker)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    while !marker.exists() {
        if let Some(status) = child.try_wait().unwrap() {
            panic!("the run ended ({status}) before crash point {n}");
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            panic!("crash point {n} not reached within the deadline");
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
}

/// `<prefix>-<pid>-<n>`: a name unique to this process and moment.
pub fn unique_name(prefix: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("{prefix}-{}-{}", std::process::id(), nanos % 1_000_000_000)
}

/// A fresh bucket on the S3 server at `EMU_S3_ENDPOINT` (moto, which accepts any credentials)
/// and dlt's credential env vars for it.
pub struct MotoBucket {
    /// `s3://<bucket>/raw`.
    pub url: String,
    /// The secret access key (`EMU_S3_SECRET_KEY`, default `test`).
    pub secret: String,
    endpoint: String,
    key_id: String,
}

impl MotoBucket {
    /// Creates `<prefix>-<pid>-<n>`; `None` (skip) outside CI when the server is not set.
    pub fn create(prefix: &str) -> Option<MotoBucket> {
        let endpoint = server_env("EMU_S3_ENDPOINT")?;
        let key_id = std::env::var("EMU_S3_ACCESS_KEY").unwrap_or_else(|_| "test".into());
        let secret = std::env::var("EMU_S3_SECRET_KEY").unwrap_or_else(|_| "test".into());
        let bucket = unique_name(prefix);
        moto_bucket(&endpoint, &bucket);
        Some(MotoBucket {
            url: format!("s3://{bucket}/raw"),
            secret,
            endpoint,
            key_id,
        })
    }

    /// `DESTINATION__FILESYSTEM__CREDENTIALS__*`: endpoint, key id, secret and region.
    pub fn env(&self) -> [(&'static str, &str); 4] {
        [
            (
                "DESTINATION__FILESYSTEM__CREDENTIALS__ENDPOINT_URL",
                self.endpoint.as_str(),
            ),
            (
                "DESTINATION__FILESYSTEM__CREDENTIALS__AWS_ACCESS_KEY_ID",
                self.key_id.as_str(),
            ),
            (
                "DESTINATION__FILESYSTEM__CREDENTIALS__AWS_SECRET_ACCESS_KEY",
                self.secret.as_str(),
            ),
            (
                "DESTINATION__FILESYSTEM__CREDENTIALS__REGION_NAME",
                "us-east-1",
            ),
        ]
    }
}
