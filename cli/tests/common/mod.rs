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
