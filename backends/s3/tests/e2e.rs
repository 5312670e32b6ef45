//! End-to-end `stowage run` through the built binary (`STOWAGE_BIN`) and plugins
//! (`STOWAGE_TEST_PLUGIN_DIR`), with the S3 settings in dlt's environment variables:
//! - a run to `s3://…` writes the same objects, with the same rows, as a run to a local bucket;
//! - a named profile from an AWS credentials file works (s3s-fs checks the signature);
//! - credentials from the default AWS chain (environment) work;
//! - a wrong secret fails with exit code 1, a hint naming the setting, and no secret in the
//!   output.

mod common;

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::{Server, TestBucket};
use stowage_plugin_sdk::Backend;
use stowage_plugin_sdk::io::read_object;

const EVENTS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../examples/data/events.ndjson"
);
const CREDENTIALS: &str = "DESTINATION__FILESYSTEM__CREDENTIALS__";

/// The built binary and plugins, or `None` (skip) outside CI.
fn built() -> Option<(PathBuf, PathBuf)> {
    Some((common::stowage_bin()?, common::plugin_dir()?))
}

/// `stowage run events.ndjson --table events --bucket-url URL` in a clean environment: no
/// `AWS_*` or `DESTINATION__*` variables from outside, `HOME` in `work`, no instance metadata.
fn stowage_run(built: &(PathBuf, PathBuf), work: &Path, url: &str, env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(&built.0);
    for (key, _) in std::env::vars() {
        if key.starts_with("AWS_") || key.starts_with("DESTINATION__") {
            cmd.env_remove(key);
        }
    }
    cmd.current_dir(work)
        .env("HOME", work)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("STOWAGE_PLUGIN_NO_CWD", "1")
        .env_remove("STOWAGE_PLUGIN_PATH")
        .env("STOWAGE_PIPELINES_DIR", work.join("pipelines"))
        .envs(env.iter().copied())
        .args(["--plugin-dir".as_ref(), built.1.as_os_str()])
        .args(["run", EVENTS, "--table", "events", "--bucket-url", url]);
    cmd.output().expect("stowage runs")
}

fn text(out: &Output) -> String {
    format!(
        "exit {:?}\nstdout: {}\nstderr: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// The load id printed by `stowage run` (`… (load <id>, …`).
fn load_id(out: &Output) -> String {
    let stdout = String::from_utf8_lossy(&out.stdout);
    let after = stdout
        .split("(load ")
        .nth(1)
        .expect("load id in the output");
    after.split(',').next().unwrap().trim().to_string()
}

/// A path with the run's timestamps (load id, schema version time) and file ids replaced by
/// placeholders.
fn normalized_path(path: &str) -> String {
    path.split('/')
        .map(normalized_name)
        .collect::<Vec<_>>()
        .join("/")
}

/// `stowage__1795.31__hash.jsonl` → `stowage__{time}__hash.jsonl`; `1795.31.4e4f868a53.jsonl.gz`
/// → `{time}.{file_id}.jsonl.gz`.
fn normalized_name(name: &str) -> String {
    let parts: Vec<&str> = name.split('.').collect();
    let mut out: Vec<String> = Vec::new();
    let mut i = 0;
    while i < parts.len() {
        let digits = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_digit());
        let head = parts[i].rsplit("__").next().unwrap();
        if digits(head) && head.len() >= 9 && i + 1 < parts.len() {
            let frac = parts[i + 1].split("__").next().unwrap();
            if digits(frac) {
                let prefix = &parts[i][..parts[i].len() - head.len()];
                let suffix = &parts[i + 1][frac.len()..];
                out.push(format!("{prefix}{{time}}{suffix}"));
                i += 2;
                continue;
            }
        }
        let hex = parts[i].len() == 10 && parts[i].chars().all(|c| c.is_ascii_hexdigit());
        out.push(if hex {
            "{file_id}".into()
        } else {
            parts[i].into()
        });
        i += 1;
    }
    out.join(".")
}

/// Decompressed content with the run-specific values replaced: JSON lines lose the random dlt ids, the
/// timestamps and the pipeline state blob (and its hash), and have the load id as a
/// placeholder; other files are compared as they are.
fn normalized_content(path: &str, bytes: &[u8], load_id: &str) -> String {
    let mut text = String::new();
    if path.ends_with(".gz") {
        flate2::read::GzDecoder::new(bytes)
            .read_to_string(&mut text)
            .expect("gzip");
    } else {
        text = String::from_utf8(bytes.to_vec()).expect("utf-8");
    }
    if !path.contains(".jsonl") {
        return text;
    }
    text.lines()
        .map(|line| {
            let mut row: serde_json::Map<String, serde_json::Value> =
                serde_json::from_str(line).expect("a JSON line");
            for run_specific in [
                "_dlt_id",
                "_dlt_parent_id",
                "_dlt_root_id",
                "inserted_at",
                "created_at",
                "state",
            ] {
                row.remove(run_specific);
            }
            if path.starts_with("_dlt_pipeline_state/") {
                row.remove("version_hash");
            }
            serde_json::to_string(&row)
                .unwrap()
                .replace(load_id, "{load_id}")
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Normalized path → normalized content of every object of a dataset.
fn dataset(objects: Vec<(String, Vec<u8>)>, load_id: &str) -> BTreeMap<String, String> {
    objects
        .into_iter()
        .map(|(path, bytes)| {
            let content = normalized_content(&path, &bytes, load_id);
            (normalized_path(&path), content)
        })
        .collect()
}

fn local_objects(root: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let rel = path
                    .strip_prefix(root)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned();
                out.push((rel, std::fs::read(&path).unwrap()));
            }
        }
    }
    out
}

fn s3_objects(bucket: &TestBucket, prefix: &str) -> Vec<(String, Vec<u8>)> {
    let keys: Vec<String> = bucket
        .store
        .list(prefix)
        .unwrap()
        .map(|e| e.unwrap().key)
        .collect();
    keys.into_iter()
        .map(|key| {
            let bytes = read_object(&bucket.store, &key).unwrap();
            (key[prefix.len()..].to_string(), bytes)
        })
        .collect()
}

fn credentials_env(server: &Server) -> Vec<(String, String)> {
    vec![
        (
            format!("{CREDENTIALS}ENDPOINT_URL"),
            server.endpoint.clone(),
        ),
        (
            format!("{CREDENTIALS}AWS_ACCESS_KEY_ID"),
            server.access_key.clone(),
        ),
        (
            format!("{CREDENTIALS}AWS_SECRET_ACCESS_KEY"),
            server.secret_key.clone(),
        ),
    ]
}

fn borrowed(env: &[(String, String)]) -> Vec<(&str, &str)> {
    env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
}

#[test]
fn names_are_normalized() {
    assert_eq!(
        normalized_path("events/1795324474.7507834.4e4f868a53.jsonl.gz"),
        "events/{time}.{file_id}.jsonl.gz"
    );
    assert_eq!(
        normalized_path("_dlt_version/stowage__1795324474.847853__e680d6.jsonl"),
        "_dlt_version/stowage__{time}__e680d6.jsonl"
    );
    assert_eq!(normalized_path("init"), "init");
}

#[test]
fn a_run_to_s3_writes_the_same_dataset_as_a_local_run() {
    let Some(server) = Server::moto() else { return };
    let Some(built) = built() else { return };
    let work = tempfile::tempdir().unwrap();
    let local = work.path().join("local");
    let out = stowage_run(&built, work.path(), local.to_str().unwrap(), &[]);
    assert!(out.status.success(), "{}", text(&out));
    let local_dataset = dataset(
        local_objects(&local.join("stowage_dataset")),
        &load_id(&out),
    );

    let bucket = server.bucket("e2e");
    let env = credentials_env(&server);
    let work_s3 = tempfile::tempdir().unwrap();
    let out = stowage_run(&built, work_s3.path(), &bucket.url("lake"), &borrowed(&env));
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains(&bucket.url("lake")), "{}", text(&out));
    let s3_dataset = dataset(s3_objects(&bucket, "lake/stowage_dataset/"), &load_id(&out));

    assert!(
        local_dataset.keys().any(|k| k.starts_with("events/")),
        "{local_dataset:?}"
    );
    assert_eq!(
        s3_dataset.keys().collect::<Vec<_>>(),
        local_dataset.keys().collect::<Vec<_>>()
    );
    for (path, content) in &local_dataset {
        assert!(s3_dataset[path] == *content, "{path} differs");
    }
    assert!(bucket.multipart_uploads().is_empty());
}

#[test]
fn a_profile_from_the_aws_credentials_file_works() {
    let Some(server) = Server::s3s() else { return };
    let Some(built) = built() else { return };
    let bucket = server.bucket("profile");
    let work = tempfile::tempdir().unwrap();
    let credentials = work.path().join("credentials");
    let config = work.path().join("config");
    std::fs::write(
        &credentials,
        format!(
            "[default]\naws_access_key_id = WRONGDEFAULT\naws_secret_access_key = wrong\n\n\
             [stowage-e2e]\naws_access_key_id = {}\naws_secret_access_key = {}\n",
            server.access_key, server.secret_key
        ),
    )
    .unwrap();
    std::fs::write(&config, "[profile stowage-e2e]\nregion = eu-west-1\n").unwrap();
    let env = [
        ("AWS_SHARED_CREDENTIALS_FILE", credentials.to_str().unwrap()),
        ("AWS_CONFIG_FILE", config.to_str().unwrap()),
        (
            "DESTINATION__FILESYSTEM__CREDENTIALS__PROFILE_NAME",
            "stowage-e2e",
        ),
        (
            "DESTINATION__FILESYSTEM__CREDENTIALS__ENDPOINT_URL",
            server.endpoint.as_str(),
        ),
    ];
    let out = stowage_run(&built, work.path(), &bucket.url("p"), &env);
    assert!(out.status.success(), "{}", text(&out));
    let keys = bucket.keys();
    assert!(
        keys.contains(&"p/stowage_dataset/init".to_string()),
        "{keys:?}"
    );
    assert!(
        keys.iter()
            .any(|k| k.starts_with("p/stowage_dataset/_dlt_loads/")),
        "{keys:?}"
    );
}

#[test]
fn credentials_from_the_default_chain_work() {
    let Some(server) = Server::s3s() else { return };
    let Some(built) = built() else { return };
    let bucket = server.bucket("chain");
    let work = tempfile::tempdir().unwrap();
    let env = [
        ("AWS_ACCESS_KEY_ID", server.access_key.as_str()),
        ("AWS_SECRET_ACCESS_KEY", server.secret_key.as_str()),
        (
            "DESTINATION__FILESYSTEM__CREDENTIALS__ENDPOINT_URL",
            server.endpoint.as_str(),
        ),
    ];
    let out = stowage_run(&built, work.path(), &bucket.url(""), &env);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        bucket
            .keys()
            .iter()
            .any(|k| k.starts_with("stowage_dataset/events/"))
    );
}

#[test]
fn a_wrong_secret_fails_cleanly_without_showing_it() {
    let Some(server) = Server::s3s() else { return };
    let Some(built) = built() else { return };
    let bucket = server.bucket("wrong");
    let work = tempfile::tempdir().unwrap();
    let secret = "not-the-secret-4Fq9Zt";
    let env = [
        (
            "DESTINATION__FILESYSTEM__CREDENTIALS__ENDPOINT_URL",
            server.endpoint.as_str(),
        ),
        (
            "DESTINATION__FILESYSTEM__CREDENTIALS__AWS_ACCESS_KEY_ID",
            server.access_key.as_str(),
        ),
        (
            "DESTINATION__FILESYSTEM__CREDENTIALS__AWS_SECRET_ACCESS_KEY",
            secret,
        ),
    ];
    let out = stowage_run(&built, work.path(), &bucket.url("w"), &env);
    let shown = text(&out);
    eprintln!("{shown}");
    assert_eq!(out.status.code(), Some(1), "{shown}");
    assert!(
        shown.contains("aws_secret_access_key") && shown.contains(&bucket.name),
        "{shown}"
    );
    assert!(!shown.contains(secret), "the secret leaked: {shown}");
    assert!(bucket.keys().is_empty(), "{:?}", bucket.keys());
}
