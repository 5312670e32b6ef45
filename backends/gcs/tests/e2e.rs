//! End-to-end `stowage run` of `examples/data/events.ndjson` into fake-gcs-server through the
//! built binary and plugins, configured by environment variables as a user would.
//!
//! Every run gets a clean environment with a trap against escaping traffic: `HTTP(S)_PROXY`
//! and `ALL_PROXY` point at a local recorder (only 127.0.0.1 is exempt), `GCE_METADATA_HOST`
//! points at a closed local port, and `HOME` is empty, so any request meant for Google (token
//! endpoint, metadata server) would be recorded there or refused locally. Each test asserts the
//! recorder saw nothing.

mod common;

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::*;

/// The built binary and plugin dir, and the emulator (all required in CI).
struct Setup {
    bin: PathBuf,
    plugins: PathBuf,
    endpoint: String,
}

fn setup() -> Option<Setup> {
    let endpoint = emulator()?;
    let plugins = required_env("STOWAGE_TEST_PLUGIN_DIR")?;
    let bin = required_env("STOWAGE_BIN")?;
    Some(Setup {
        bin,
        plugins,
        endpoint,
    })
}

/// `examples/data/events.ndjson` of the workspace.
fn events_file() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/data/events.ndjson")
}

/// Records every request that reaches it (through the proxy variables) and refuses it.
struct Trap {
    server: FakeServer,
    metadata_port: u16,
}

impl Trap {
    fn new() -> Trap {
        Trap {
            server: FakeServer::start(|_| Some((502, Vec::new(), b"blocked by the test".to_vec()))),
            metadata_port: closed_port(),
        }
    }

    fn assert_untouched(&self) {
        let seen: Vec<String> = self
            .server
            .requests()
            .iter()
            .map(|r| format!("{} {}", r.method, r.target))
            .collect();
        assert!(
            seen.is_empty(),
            "requests tried to leave 127.0.0.1: {seen:?}"
        );
    }
}

/// `stowage run events.ndjson --table events --bucket-url <url>` in a clean environment.
fn stowage_run(
    setup: &Setup,
    work: &Path,
    trap: &Trap,
    url: &str,
    env: &[(&str, String)],
) -> Output {
    let home = work.join("home");
    std::fs::create_dir_all(&home).unwrap();
    let mut cmd = Command::new(&setup.bin);
    cmd.env_clear()
        .current_dir(work)
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", &home)
        .env("STOWAGE_PLUGIN_NO_CWD", "1")
        .env(
            "STOWAGE_PIPELINES_DIR",
            work.join(unique_bucket("pipelines")),
        )
        .env("HTTP_PROXY", trap.server.url())
        .env("HTTPS_PROXY", trap.server.url())
        .env("ALL_PROXY", trap.server.url())
        .env("NO_PROXY", "127.0.0.1,localhost")
        .env(
            "GCE_METADATA_HOST",
            format!("127.0.0.1:{}", trap.metadata_port),
        )
        .arg("--plugin-dir")
        .arg(&setup.plugins)
        .args(["run"])
        .arg(events_file())
        .args(["--table", "events", "--bucket-url", url]);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("the stowage binary runs")
}

fn assert_success(out: &Output) {
    assert!(
        out.status.success(),
        "stowage failed:\nstdout: {}\nstderr: {}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `DESTINATION__FILESYSTEM__KWARGS` as dlt passes gcsfs arguments.
fn kwargs(doc: serde_json::Value) -> (&'static str, String) {
    ("DESTINATION__FILESYSTEM__KWARGS", doc.to_string())
}

/// The same events loaded into a local bucket: (normalized key → normalized content).
fn local_dataset(setup: &Setup, work: &Path, trap: &Trap) -> BTreeMap<String, String> {
    let bucket = work.join("local-bucket");
    let out = stowage_run(
        setup,
        work,
        trap,
        &format!("file://{}", bucket.display()),
        &[],
    );
    assert_success(&out);
    let root = bucket.join("stowage_dataset");
    let mut files = BTreeMap::new();
    let mut stack = vec![root.clone()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let key = path
                    .strip_prefix(&root)
                    .unwrap()
                    .to_str()
                    .unwrap()
                    .to_string();
                files.insert(key, std::fs::read(&path).unwrap());
            }
        }
    }
    normalize_dataset(files)
}

/// Everything under `<prefix>stowage_dataset/` in a GCS bucket, read with the JSON API.
fn gcs_dataset(api: &JsonApi, bucket: &str, prefix: &str) -> BTreeMap<String, String> {
    let root = format!("{prefix}stowage_dataset/");
    let objects = api.list(bucket);
    assert!(
        objects.keys().all(|k| k.starts_with(&root)),
        "objects outside the dataset: {objects:?}"
    );
    let files = objects
        .keys()
        .map(|name| (name[root.len()..].to_string(), api.download(bucket, name)))
        .collect();
    normalize_dataset(files)
}

/// Keys and contents with the run-specific parts (load id, file ids, timestamps, row ids)
/// replaced, so two loads of the same data compare equal.
fn normalize_dataset(files: BTreeMap<String, Vec<u8>>) -> BTreeMap<String, String> {
    let marker = files
        .keys()
        .find_map(|k| {
            k.strip_prefix("_dlt_loads/stowage__")?
                .strip_suffix(".jsonl")
        })
        .expect("a completion marker")
        .to_string();
    files
        .into_iter()
        .map(|(key, bytes)| {
            (
                normalize_key(&key, &marker),
                normalize_content(&key, &bytes),
            )
        })
        .collect()
}

fn normalize_key(key: &str, load_id: &str) -> String {
    let key = key.replace(load_id, "<load>");
    let (dir, name) = key.rsplit_once('/').unwrap_or(("", &key));
    let name = match dir {
        "_dlt_version" => {
            let mut parts: Vec<&str> = name.split("__").collect();
            parts[1] = "<time>";
            parts.join("__")
        }
        "_dlt_loads" | "_dlt_pipeline_state" | "" => name.to_string(),
        _ => {
            let (file_id, ext) = name
                .strip_prefix("<load>.")
                .unwrap()
                .split_once('.')
                .unwrap();
            assert_eq!(file_id.len(), 10, "{key}");
            format!("<load>.<file>.{ext}")
        }
    };
    format!("{dir}/{name}")
}

fn normalize_content(key: &str, bytes: &[u8]) -> String {
    let text = if key.ends_with(".gz") {
        let mut text = String::new();
        flate2::read::GzDecoder::new(bytes)
            .read_to_string(&mut text)
            .unwrap();
        text
    } else {
        String::from_utf8(bytes.to_vec()).unwrap()
    };
    if !key.ends_with(".jsonl") && !key.ends_with(".jsonl.gz") {
        return text;
    }
    const VARYING: &[&str] = &[
        "_dlt_load_id",
        "_dlt_id",
        "_dlt_parent_id",
        "load_id",
        "inserted_at",
        "created_at",
        "state",
        "version_hash",
    ];
    let keep_hash = key.starts_with("_dlt_version/");
    text.lines()
        .map(|line| {
            let mut row: serde_json::Map<String, serde_json::Value> =
                serde_json::from_str(line).unwrap();
            row.retain(|k, _| !VARYING.contains(&k.as_str()) || (keep_hash && k == "version_hash"));
            serde_json::Value::Object(row).to_string()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn run_into_the_emulator_matches_the_local_dataset() {
    let Some(setup) = setup() else { return };
    let work = tempfile::tempdir().unwrap();
    let trap = Trap::new();
    let api = JsonApi::new(&setup.endpoint);
    let bucket = api.new_bucket("e2e");
    let env = [kwargs(
        serde_json::json!({"endpoint_url": setup.endpoint, "token": "anon"}),
    )];
    let out = stowage_run(
        &setup,
        work.path(),
        &trap,
        &format!("gs://{bucket}/loads/"),
        &env,
    );
    assert_success(&out);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("loaded 1000 rows"), "{stdout}");

    let remote = gcs_dataset(&api, &bucket, "loads/");
    let local = local_dataset(&setup, work.path(), &trap);
    assert_eq!(
        remote.keys().collect::<Vec<_>>(),
        local.keys().collect::<Vec<_>>(),
        "the buckets hold different files"
    );
    for (key, content) in &local {
        assert!(
            remote[key] == *content,
            "{key} differs:\n gcs: {}\n local: {content}",
            remote[key]
        );
    }
    assert!(
        remote.keys().any(|k| k.starts_with("events/")),
        "{remote:?}"
    );
    trap.assert_untouched();
}

/// A service account whose `token_uri` is a fake on 127.0.0.1, as a JSON document.
fn service_account_doc(dir: &Path, token_uri: &str) -> serde_json::Value {
    let key = rsa_key(dir);
    serde_json::json!({
        "type": "service_account",
        "project_id": "stowage-test",
        "private_key_id": "e2e-key",
        "private_key": key.private_pem,
        "client_email": "e2e-loader@stowage-test.iam.gserviceaccount.com",
        "token_uri": token_uri,
    })
}

fn assert_jwt_bearer_requests(tokens: &FakeServer) {
    let requests = tokens.requests();
    assert!(
        !requests.is_empty(),
        "the fake token endpoint was never asked"
    );
    for r in &requests {
        let form = form_fields(&r.body_text());
        assert_eq!(
            form["grant_type"],
            "urn:ietf:params:oauth:grant-type:jwt-bearer"
        );
        let (_, claims, _, _) = jwt_parts(&form["assertion"]);
        assert_eq!(
            claims["iss"],
            "e2e-loader@stowage-test.iam.gserviceaccount.com"
        );
    }
}

#[test]
fn service_account_with_a_local_token_uri_never_leaves_loopback() {
    let Some(setup) = setup() else { return };
    let work = tempfile::tempdir().unwrap();
    let trap = Trap::new();
    let tokens = token_endpoint("e2e-access-token");
    let api = JsonApi::new(&setup.endpoint);
    let bucket = api.new_bucket("e2e-sa");
    // dlt hands gcsfs the credentials as `token=<dict>`; the same through KWARGS:
    let sa = service_account_doc(work.path(), &format!("{}/token", tokens.url()));
    let env = [kwargs(
        serde_json::json!({"endpoint_url": setup.endpoint, "token": sa}),
    )];
    let out = stowage_run(&setup, work.path(), &trap, &format!("gs://{bucket}"), &env);
    assert_success(&out);
    assert_jwt_bearer_requests(&tokens);
    assert!(
        api.list(&bucket)
            .keys()
            .any(|k| k.starts_with("stowage_dataset/_dlt_loads/"))
    );
    trap.assert_untouched();
}

#[test]
fn application_default_credentials_from_google_application_credentials() {
    let Some(setup) = setup() else { return };
    let work = tempfile::tempdir().unwrap();
    let trap = Trap::new();
    let tokens = token_endpoint("adc-access-token");
    let api = JsonApi::new(&setup.endpoint);
    let bucket = api.new_bucket("e2e-adc");
    let file = work.path().join("adc.json");
    let sa = service_account_doc(work.path(), &format!("{}/token", tokens.url()));
    std::fs::write(&file, sa.to_string()).unwrap();
    let env = [
        ("GOOGLE_APPLICATION_CREDENTIALS", file.display().to_string()),
        kwargs(serde_json::json!({"endpoint_url": setup.endpoint})),
    ];
    let out = stowage_run(
        &setup,
        work.path(),
        &trap,
        &format!("gs://{bucket}/adc"),
        &env,
    );
    assert_success(&out);
    assert_jwt_bearer_requests(&tokens);
    assert!(
        api.list(&bucket)
            .keys()
            .any(|k| k.starts_with("adc/stowage_dataset/events/"))
    );
    trap.assert_untouched();
}

#[test]
fn no_credentials_anywhere_fails_cleanly_without_network() {
    let Some(setup) = setup() else { return };
    let work = tempfile::tempdir().unwrap();
    let trap = Trap::new();
    let api = JsonApi::new(&setup.endpoint);
    let bucket = api.new_bucket("e2e-none");
    let env = [kwargs(serde_json::json!({"endpoint_url": setup.endpoint}))];
    let out = stowage_run(&setup, work.path(), &trap, &format!("gs://{bucket}"), &env);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("Application Default Credentials"),
        "{stderr}"
    );
    assert!(api.list(&bucket).is_empty());
    trap.assert_untouched();
}

#[test]
fn a_wrong_secret_is_not_printed_by_the_cli() {
    let Some(setup) = setup() else { return };
    let work = tempfile::tempdir().unwrap();
    let trap = Trap::new();
    let tokens = FakeServer::start(|req| {
        json_reply(
            400,
            &format!(
                r#"{{"error":"invalid_grant","error_description":"bad grant {}"}}"#,
                req.body_text()
            ),
        )
    });
    let secret = "1//refresh-token-that-must-not-be-printed";
    let env = [
        (
            "DESTINATION__FILESYSTEM__CREDENTIALS__CLIENT_ID",
            "client-e2e".to_string(),
        ),
        (
            "DESTINATION__FILESYSTEM__CREDENTIALS__CLIENT_SECRET",
            "client-secret-not-printed".to_string(),
        ),
        (
            "DESTINATION__FILESYSTEM__CREDENTIALS__REFRESH_TOKEN",
            secret.to_string(),
        ),
        kwargs(serde_json::json!({
            "endpoint_url": setup.endpoint,
            "token": {"type": "authorized_user", "client_id": "x", "client_secret": "y", "refresh_token": "z"},
        })),
    ];
    // Two kinds of credentials: rejected before any request, naming both, showing no value.
    let out = stowage_run(&setup, work.path(), &trap, "gs://some-bucket", &env);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("conflicting GCS credentials"), "{stderr}");
    // OAuth user fields alone, refused by the (fake) token endpoint that echoes the grant.
    let doc = serde_json::json!({
        "endpoint_url": setup.endpoint,
        "token": {"type": "authorized_user", "client_id": "client-e2e",
                  "client_secret": "client-secret-not-printed", "refresh_token": secret,
                  "token_uri": format!("{}/token", tokens.url())},
    });
    let out = stowage_run(
        &setup,
        work.path(),
        &trap,
        "gs://some-bucket",
        &[kwargs(doc)],
    );
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("invalid_grant"), "{stderr}");
    for shown in [&stdout, &stderr] {
        assert!(
            !shown.contains(secret) && !shown.contains("client-secret-not-printed"),
            "{shown}"
        );
    }
    assert_eq!(tokens.requests().len(), 1);
    trap.assert_untouched();
}
