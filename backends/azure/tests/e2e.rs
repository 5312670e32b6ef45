//! End-to-end `stowage run` of the example events into Azurite through the built binary and
//! plugins, configured the dlt way (`DESTINATION__FILESYSTEM__CREDENTIALS__*` variables): with
//! the account key, with a SAS token, with the `abfss://container@account…` form, and refused
//! with a wrong key or an expired SAS (exit 1, a clear message, no secret).

mod common;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::*;
use stowage_plugin_azure::AzureStore;
use stowage_plugin_sdk::testing::backend::{get, list_keys};

const CREDENTIALS: &str = "DESTINATION__FILESYSTEM__CREDENTIALS__";

fn events_file() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/data/events.ndjson")
}

/// The `stowage` binary built by the xtask, or `None` to skip.
fn stowage_bin() -> Option<PathBuf> {
    required_env("STOWAGE_BIN", "built stowage binary").map(PathBuf::from)
}

/// `stowage run events.ndjson --table events --bucket-url <url>` with `credentials` as
/// `DESTINATION__FILESYSTEM__CREDENTIALS__<KEY>` variables and nothing else of dlt's.
fn run_stowage(
    bin: &Path,
    plugins: &Path,
    url: &str,
    credentials: &[(&str, &str)],
    kwargs: Option<&str>,
) -> Output {
    let work = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(bin);
    for (name, _) in std::env::vars() {
        if name.starts_with("DESTINATION__") || name.starts_with("STOWAGE_PLUGIN") {
            cmd.env_remove(name);
        }
    }
    cmd.current_dir(work.path())
        .env("STOWAGE_PLUGIN_NO_CWD", "1")
        .env("STOWAGE_PIPELINES_DIR", work.path().join("pipelines"))
        .args(["--plugin-dir"])
        .arg(plugins)
        .arg("run")
        .arg(events_file())
        .args(["--table", "events", "--bucket-url", url]);
    for (key, value) in credentials {
        cmd.env(format!("{CREDENTIALS}{}", key.to_ascii_uppercase()), value);
    }
    if let Some(kwargs) = kwargs {
        cmd.env("DESTINATION__FILESYSTEM__KWARGS", kwargs);
    }
    cmd.output().expect("stowage runs")
}

fn text(out: &Output) -> String {
    format!(
        "status: {}\nstdout: {}\nstderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Checks the dataset dlt's way: `init`, one gzipped jsonl data file of `events` with the
/// 1,000 events, and the `_dlt_loads` marker of the same load. (Other bookkeeping files and
/// child tables the engine writes are not this backend's business.)
fn assert_loaded(store: &AzureStore, dataset: &str) {
    let keys: Vec<String> = list_keys(store, &format!("{dataset}/"))
        .unwrap()
        .into_iter()
        .collect();
    assert_eq!(
        get(store, &format!("{dataset}/init")).unwrap(),
        br#"{"initial_version":2,"current_version":2}"#
    );
    let data: Vec<&String> = keys
        .iter()
        .filter(|k| k.starts_with(&format!("{dataset}/events/")))
        .collect();
    assert_eq!(data.len(), 1, "{keys:?}");
    assert!(data[0].ends_with(".jsonl.gz"), "{}", data[0]);
    let name = data[0].rsplit('/').next().unwrap();
    let (load_id, _file_id) = name
        .strip_suffix(".jsonl.gz")
        .and_then(|stem| stem.rsplit_once('.'))
        .unwrap();
    assert!(
        keys.contains(&format!("{dataset}/_dlt_loads/stowage__{load_id}.jsonl")),
        "{load_id} {keys:?}"
    );
    let mut lines = String::new();
    flate2::read::GzDecoder::new(&get(store, data[0]).unwrap()[..])
        .read_to_string(&mut lines)
        .unwrap();
    assert_eq!(lines.lines().count(), 1_000);
    let first: serde_json::Value = serde_json::from_str(lines.lines().next().unwrap()).unwrap();
    assert_eq!(first["event_id"], 1);
    assert_eq!(first["_dlt_load_id"], load_id);
}

#[test]
fn run_with_the_account_key() {
    let Some(az) = azurite() else { return };
    let (Some(bin), Some(plugins)) = (stowage_bin(), plugin_dir()) else {
        return;
    };
    let container = TestContainer::create(&az, "e2e-key");
    let url = format!("az://{}/loads", container.name);
    let out = run_stowage(
        &bin,
        &plugins,
        &url,
        &[
            ("azure_storage_account_name", &az.account),
            ("azure_storage_account_key", &az.key),
            ("azure_account_host", &az.endpoint),
        ],
        Some(r#"{"max_concurrency": 2, "blocksize": 1048576}"#),
    );
    assert!(out.status.success(), "{}", text(&out));
    let store = az.open(&url, &az.key_options());
    assert_loaded(&store, "stowage_dataset");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("loaded 1000 rows into `events`"),
        "{stdout}"
    );
}

#[test]
fn run_with_a_sas_token() {
    let Some(az) = azurite() else { return };
    let (Some(bin), Some(plugins)) = (stowage_bin(), plugin_dir()) else {
        return;
    };
    let container = TestContainer::create(&az, "e2e-sas");
    let sas = az.account_sas("2099-01-01T00:00:00Z");
    let url = format!("azure://{}", container.name);
    let out = run_stowage(
        &bin,
        &plugins,
        &url,
        &[
            ("azure_storage_account_name", &az.account),
            ("azure_storage_sas_token", &sas),
            ("azure_account_host", &az.endpoint),
        ],
        None,
    );
    assert!(out.status.success(), "{}", text(&out));
    assert_loaded(&az.open(&url, &az.key_options()), "stowage_dataset");
}

#[test]
fn run_with_the_abfss_form_mapped_onto_the_emulator() {
    let Some(az) = azurite() else { return };
    let (Some(bin), Some(plugins)) = (stowage_bin(), plugin_dir()) else {
        return;
    };
    let container = TestContainer::create(&az, "e2e-abfss");
    let url = format!(
        "abfss://{}@{}.dfs.core.windows.net/lake/Files",
        container.name, az.account
    );
    let out = run_stowage(
        &bin,
        &plugins,
        &url,
        &[
            ("azure_storage_account_key", &az.key),
            ("azure_account_host", &az.endpoint),
        ],
        None,
    );
    assert!(out.status.success(), "{}", text(&out));
    let root = format!("az://{}/lake/Files", container.name);
    assert_loaded(&az.open(&root, &az.key_options()), "stowage_dataset");
}

/// A refused run: exit code 1, a message naming the 403 and the setting to check, no secret,
/// and no data on the bucket.
fn assert_refused(out: &Output, container: &TestContainer, secrets: &[&str], hint: &str) {
    let all = text(out);
    assert_eq!(out.status.code(), Some(1), "{all}");
    assert!(all.contains("Azure refused the request (HTTP 403"), "{all}");
    assert!(all.contains(hint), "{all}");
    for secret in secrets {
        assert!(!all.contains(secret), "secret leaked: {all}");
    }
    assert!(list_keys(container.admin(), "").unwrap().is_empty());
}

#[test]
fn a_wrong_key_is_refused_with_a_clear_redacted_error() {
    let Some(az) = azurite() else { return };
    let (Some(bin), Some(plugins)) = (stowage_bin(), plugin_dir()) else {
        return;
    };
    let container = TestContainer::create(&az, "e2e-wrongkey");
    let wrong_key = "Tm90VGhlUmlnaHRLZXlOb3RUaGVSaWdodEtleU5vdFRoZVJpZ2h0S2V5";
    let out = run_stowage(
        &bin,
        &plugins,
        &format!("az://{}", container.name),
        &[
            ("azure_storage_account_name", &az.account),
            ("azure_storage_account_key", wrong_key),
            ("azure_account_host", &az.endpoint),
        ],
        None,
    );
    assert_refused(
        &out,
        &container,
        &[wrong_key, &az.key],
        "azure_storage_account_key",
    );
}

#[test]
fn an_expired_sas_is_refused_with_a_clear_redacted_error() {
    let Some(az) = azurite() else { return };
    let (Some(bin), Some(plugins)) = (stowage_bin(), plugin_dir()) else {
        return;
    };
    let container = TestContainer::create(&az, "e2e-expired");
    let sas = az.account_sas("2001-01-01T00:00:00Z");
    let signature = sas.rsplit_once("sig=").unwrap().1.to_string();
    let out = run_stowage(
        &bin,
        &plugins,
        &format!("az://{}", container.name),
        &[
            ("azure_storage_account_name", &az.account),
            ("azure_storage_sas_token", &sas),
            ("azure_account_host", &az.endpoint),
        ],
        None,
    );
    assert_refused(
        &out,
        &container,
        &[&sas, &signature],
        "azure_storage_sas_token",
    );
}
