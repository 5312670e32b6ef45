//! The azure backend in-process against Azurite: the SDK behaviour suite with each credential
//! form and URL form, authorization failures with redacted errors, batch delete, paging.

mod common;

use common::*;
use stowage_plugin_azure::{AzureBackend, open_store};
use stowage_plugin_sdk::testing::backend::{SuiteConfig, list_keys, put, run_suite};
use stowage_plugin_sdk::{Backend, BackendPlugin, ErrorKind, Options};

fn suite_config() -> SuiteConfig {
    SuiteConfig {
        large_object_bytes: 20 << 20,
        ..SuiteConfig::default()
    }
}

fn with(mut options: Vec<(String, String)>, extra: &[(&str, &str)]) -> Vec<(String, String)> {
    options.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    options
}

#[test]
fn behaviour_suite_with_the_account_key_below_a_path() {
    let Some(az) = azurite() else { return };
    let container = TestContainer::create(&az, "suite-key");
    // Small blocks and two in flight: the large object goes through several Put Block calls.
    let options = with(
        az.key_options(),
        &[
            ("kwargs.blocksize", "4194304"),
            ("kwargs.max_concurrency", "2"),
        ],
    );
    let url = format!("az://{}/base/dir", container.name);
    let backend = AzureBackend::open(&url, Options::new(options)).unwrap();
    run_suite(
        backend.as_ref(),
        AzureBackend::CAPABILITIES,
        &suite_config(),
    );
    let left = list_keys(container.admin(), "").unwrap();
    assert!(left.is_empty(), "suite left blobs behind: {left:?}");
}

#[test]
fn behaviour_suite_with_a_sas_token_at_the_container_root() {
    let Some(az) = azurite() else { return };
    let container = TestContainer::create(&az, "suite-sas");
    let sas = az.account_sas("2099-01-01T00:00:00Z");
    let url = format!("azure://{}", container.name);
    let backend = AzureBackend::open(&url, Options::new(az.sas_options(&sas))).unwrap();
    run_suite(
        backend.as_ref(),
        AzureBackend::CAPABILITIES,
        &suite_config(),
    );
}

#[test]
fn abfss_url_with_the_account_in_the_host_maps_onto_the_emulator() {
    let Some(az) = azurite() else { return };
    let container = TestContainer::create(&az, "abfss");
    let url = format!(
        "abfss://{}@{}.dfs.core.windows.net/lake/Files",
        container.name, az.account
    );
    // No account name option: it comes from the URL; the endpoint from azure_account_host.
    let options = vec![
        ("azure_storage_account_key".to_string(), az.key.clone()),
        ("azure_account_host".to_string(), az.endpoint.clone()),
    ];
    let store = open_store(&url, Options::new(options)).unwrap();
    assert_eq!(store.endpoint().account, az.account);
    put(&store, "ds/t/1.jsonl", b"{\"a\":1}\n").unwrap();
    assert_eq!(store.head("ds/t/1.jsonl").unwrap().size, 8);
    // The blob sits below the URL's path in the container.
    let all = list_keys(container.admin(), "").unwrap();
    assert_eq!(
        all.into_iter().collect::<Vec<_>>(),
        ["lake/Files/ds/t/1.jsonl"]
    );
    assert_eq!(
        store.object_url("ds/t/1.jsonl"),
        format!(
            "abfss://{}@{}.dfs.core.windows.net/lake/Files/ds/t/1.jsonl",
            container.name, az.account
        )
    );
}

#[test]
fn host_and_port_of_the_emulator_work_as_account_host() {
    let Some(az) = azurite() else { return };
    let container = TestContainer::create(&az, "hostport");
    let host_port = az
        .endpoint
        .trim_start_matches("http://")
        .split('/')
        .next()
        .unwrap()
        .to_string();
    let options = vec![
        ("azure_storage_account_name".to_string(), az.account.clone()),
        ("azure_storage_account_key".to_string(), az.key.clone()),
        ("azure_account_host".to_string(), host_port),
    ];
    let store = az.open(&format!("az://{}/p", container.name), &options);
    put(&store, "x", b"1").unwrap();
    assert_eq!(list_keys(container.admin(), "").unwrap().len(), 1);
}

/// Asserts an authorization failure: PermissionDenied, a clear message, no secret.
fn assert_denied(err: stowage_plugin_sdk::PluginError, secrets: &[&str]) {
    assert_eq!(err.kind(), ErrorKind::PermissionDenied, "{err}");
    assert!(!err.is_retryable(), "{err}");
    eprintln!("authorization error as reported: {err}");
    let text = format!("{err} {err:?}");
    assert!(
        text.contains("Azure refused the request (HTTP 403"),
        "{text}"
    );
    for secret in secrets {
        assert!(!text.contains(secret), "secret leaked: {text}");
    }
}

#[test]
fn a_wrong_key_is_rejected_with_a_redacted_error() {
    let Some(az) = azurite() else { return };
    let container = TestContainer::create(&az, "wrongkey");
    let wrong_key = "V3JvbmdLZXlXcm9uZ0tleVdyb25nS2V5V3JvbmdLZXk=";
    let options = vec![
        ("azure_storage_account_name".to_string(), az.account.clone()),
        (
            "azure_storage_account_key".to_string(),
            wrong_key.to_string(),
        ),
        ("azure_account_host".to_string(), az.endpoint.clone()),
    ];
    let store = az.open(&format!("az://{}", container.name), &options);
    let err = put(&store, "x.jsonl", b"data").unwrap_err();
    assert_denied(err, &[wrong_key, &az.key]);
    assert_denied(
        store.list("").unwrap().next().unwrap().unwrap_err(),
        &[wrong_key],
    );
    let debug = format!("{store:?}");
    assert!(!debug.contains(wrong_key), "{debug}");
}

#[test]
fn an_expired_sas_is_rejected_with_a_redacted_error() {
    let Some(az) = azurite() else { return };
    let container = TestContainer::create(&az, "expired");
    let sas = az.account_sas("2001-01-01T00:00:00Z");
    let signature = sas.rsplit_once("sig=").unwrap().1.to_string();
    let store = az.open(&format!("az://{}", container.name), &az.sas_options(&sas));
    let err = put(&store, "x.jsonl", b"data").unwrap_err();
    assert_denied(err, &[&sas, &signature, &az.key]);
    let err = store.list("").unwrap().next().unwrap().unwrap_err();
    assert_denied(err, &[&signature]);
}

#[test]
fn a_tampered_sas_is_rejected() {
    let Some(az) = azurite() else { return };
    let container = TestContainer::create(&az, "tampered");
    let sas = az
        .account_sas("2099-01-01T00:00:00Z")
        .replace("sp=rwdlac", "sp=rwdlacup");
    let store = az.open(&format!("az://{}", container.name), &az.sas_options(&sas));
    assert_denied(put(&store, "x", b"1").unwrap_err(), &[&sas]);
}

#[test]
fn a_missing_container_is_named() {
    let Some(az) = azurite() else { return };
    let name = unique_container("missing");
    let store = az.open(&format!("az://{name}/p"), &az.key_options());
    let err = put(&store, "x", b"1").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
    assert!(
        err.to_string()
            .contains(&format!("container `{name}` does not exist")),
        "{err}"
    );
    let err = store.head("x").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
}

#[test]
fn listing_pages_with_the_continuation_marker_and_batch_delete_removes_all() {
    let Some(az) = azurite() else { return };
    let container = TestContainer::create(&az, "paging");
    let mut store = az.open(&format!("az://{}/root", container.name), &az.key_options());
    // 300 blobs in pages of 70: five list requests; two batch-delete requests (256 + 44).
    store.set_list_page_size(70);
    let keys: Vec<String> = (0..300).map(|i| format!("many/{i:05}")).collect();
    std::thread::scope(|s| {
        for chunk in keys.chunks(100) {
            let store = &store;
            s.spawn(move || {
                for key in chunk {
                    put(store, key, b"").unwrap();
                }
            });
        }
    });
    put(&store, "other", b"x").unwrap();
    let mut lister = store.lister("many/").unwrap();
    let listed: Vec<String> = lister.by_ref().map(|e| e.unwrap().key).collect();
    assert_eq!(listed.len(), 300);
    assert_eq!(lister.pages_fetched(), 5);
    assert!(listed.iter().all(|k| k.starts_with("many/")));
    assert_eq!(list_keys(&store, "").unwrap().len(), 301);
    let refs: Vec<&str> = keys.iter().map(String::as_str).collect();
    store.delete_many(&refs).unwrap();
    store.delete_many(&refs[..3]).unwrap();
    assert!(list_keys(&store, "many/").unwrap().is_empty());
    assert_eq!(list_keys(&store, "").unwrap().len(), 1);
}

#[test]
fn a_key_equal_to_the_prefix_is_listed() {
    let Some(az) = azurite() else { return };
    let container = TestContainer::create(&az, "exact");
    let store = az.open(&format!("az://{}", container.name), &az.key_options());
    put(&store, "a/b", b"1").unwrap();
    put(&store, "a/bc", b"2").unwrap();
    let keys: Vec<String> = list_keys(&store, "a/b").unwrap().into_iter().collect();
    assert_eq!(keys, ["a/b", "a/bc"]);
}

#[test]
fn a_blob_replaced_during_a_read_fails_instead_of_mixing_versions() {
    let Some(az) = azurite() else { return };
    let container = TestContainer::create(&az, "ifmatch");
    let store = az.open(&format!("az://{}", container.name), &az.key_options());
    put(&store, "obj", b"first version").unwrap();
    let mut reader = store.open_reader("obj").unwrap();
    put(&store, "obj", b"second version").unwrap();
    let mut buf = [0u8; 4];
    let err = reader.read_at(0, &mut buf).unwrap_err();
    assert!(err.to_string().contains("reading a range"), "{err}");
}

#[test]
fn without_a_secret_the_default_chain_is_tried_and_explained() {
    let Some(az) = azurite() else { return };
    let options = vec![
        ("azure_storage_account_name".to_string(), az.account.clone()),
        ("azure_account_host".to_string(), az.endpoint.clone()),
    ];
    let store = az.open("az://no-secret-given/p", &options);
    let err = store.head("x").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::PermissionDenied, "{err}");
    // Off Azure and without `az login` no source yields a token; the error says what each
    // source answered, in order. (On a machine with an identity, Azurite refuses the token.)
    let text = err.to_string();
    eprintln!("default chain error as reported: {text}");
    if text.contains("no Azure credential found") {
        let order = [
            "environment (",
            "workload identity (",
            "managed identity (",
            "Azure CLI (",
        ];
        let positions: Vec<usize> = order.iter().map(|s| text.find(s).expect(s)).collect();
        assert!(positions.windows(2).all(|w| w[0] < w[1]), "{text}");
    }
}
