//! The SDK's backend behaviour suite against fake-gcs-server: in-process (opened the way the host
//! opens it, URL + options) and through real dlopen of the built plugin; plus GCS-specific
//! behaviour (resumable uploads, paging, base prefixes, generation pinning, parallel delete).

mod common;

use common::*;
use stowage_plugin_gcs::{Credentials, GcsBackend, GcsConfig, open_with_config};
use stowage_plugin_sdk::testing::backend::{SuiteConfig, get, list_keys, put, run_suite};
use stowage_plugin_sdk::{Backend, BackendPlugin, ErrorKind, Options};

/// Options for the emulator: its endpoint, no auth.
fn emulator_options(endpoint: &str, extra: &[(&str, &str)]) -> Options {
    let mut pairs = vec![("endpoint_url", endpoint), ("kwargs.token", "anon")];
    pairs.extend_from_slice(extra);
    Options::new(pairs)
}

fn emulator_config(endpoint: &str) -> GcsConfig {
    let mut config = GcsConfig::new(Credentials::Anonymous);
    config.endpoint = Some(endpoint.to_string());
    config
}

#[test]
fn behaviour_suite_in_process() {
    let Some(endpoint) = emulator() else { return };
    let bucket = JsonApi::new(&endpoint).new_bucket("suite");
    let backend =
        GcsBackend::open(&format!("gs://{bucket}"), emulator_options(&endpoint, &[])).unwrap();
    // 16 MiB in 8 MiB chunks: one chunk sent while writing, the last one by finish.
    run_suite(
        backend.as_ref(),
        GcsBackend::CAPABILITIES,
        &SuiteConfig::default(),
    );
    assert!(
        JsonApi::new(&endpoint).list(&bucket).is_empty(),
        "suite left objects behind"
    );
}

#[test]
fn behaviour_suite_under_a_base_path_with_small_chunks() {
    let Some(endpoint) = emulator() else { return };
    let bucket = JsonApi::new(&endpoint).new_bucket("suite-base");
    let url = format!("gcs://{bucket}/base dir/ünï/");
    let options = emulator_options(&endpoint, &[("kwargs.block_size", "262144")]);
    let backend = GcsBackend::open(&url, options).unwrap();
    let config = SuiteConfig {
        // 13 chunks of 256 KiB and a short last one, written in unaligned pieces.
        large_object_bytes: (3 << 20) + 12_345,
        chunk_bytes: 100_003,
        ..SuiteConfig::default()
    };
    run_suite(backend.as_ref(), GcsBackend::CAPABILITIES, &config);
}

#[test]
fn behaviour_suite_through_dlopen() {
    let Some(endpoint) = emulator() else { return };
    let Some(dir) = required_env("STOWAGE_TEST_PLUGIN_DIR") else {
        return;
    };
    let registry =
        stowage::plugins::Registry::discover(&stowage::plugins::DiscoveryConfig::only_dirs(vec![
            dir,
        ]));
    for scheme in ["gs", "gcs"] {
        let info = registry
            .backend_for_scheme(scheme)
            .expect("the gcs plugin serves the scheme");
        assert_eq!(info.capabilities, GcsBackend::CAPABILITIES);
    }
    let bucket = JsonApi::new(&endpoint).new_bucket("dlopen");
    let backend = registry
        .open_backend(
            &format!("gs://{bucket}/via-dlopen"),
            &emulator_options(&endpoint, &[]),
        )
        .unwrap();
    let caps = registry.backend_for_scheme("gs").unwrap().capabilities;
    let config = SuiteConfig {
        large_object_bytes: 20 << 20,
        ..SuiteConfig::default()
    };
    run_suite(backend.as_ref(), caps, &config);
    let err = registry
        .open_backend(
            &format!("gs://{bucket}"),
            &Options::new([("colour", "red")]),
        )
        .err()
        .expect("unknown option rejected");
    assert!(err.to_string().contains("`colour`"), "{err}");
}

#[test]
fn keys_live_under_the_base_path() {
    let Some(endpoint) = emulator() else { return };
    let api = JsonApi::new(&endpoint);
    let bucket = api.new_bucket("base");
    let store = open_with_config(
        &format!("gs://{bucket}/base/sub/"),
        emulator_config(&endpoint),
    )
    .unwrap();
    put(&store, "ds/t/1.jsonl", b"one").unwrap();
    let objects = api.list(&bucket);
    assert_eq!(
        objects.keys().collect::<Vec<_>>(),
        ["base/sub/ds/t/1.jsonl"]
    );
    assert_eq!(
        list_keys(&store, "")
            .unwrap()
            .into_iter()
            .collect::<Vec<_>>(),
        ["ds/t/1.jsonl"]
    );
    let meta = store.head("ds/t/1.jsonl").unwrap();
    assert_eq!(meta.size, 3);
    assert!(
        meta.last_modified_ms
            .is_some_and(|ms| ms > 1_600_000_000_000)
    );
}

#[test]
fn large_upload_goes_in_chunks_and_round_trips() {
    let Some(endpoint) = emulator() else { return };
    let api = JsonApi::new(&endpoint);
    let bucket = api.new_bucket("large");
    let store = open_with_config(&format!("gs://{bucket}"), emulator_config(&endpoint)).unwrap();
    let data = pattern((40 << 20) + 3, 7);
    let mut writer = store.open_writer("big.bin").unwrap();
    for piece in data.chunks(1 << 20) {
        writer.write(piece).unwrap();
    }
    assert!(store.head("big.bin").unwrap_err().kind() == ErrorKind::NotFound);
    assert_eq!(writer.finish().unwrap(), data.len() as u64);
    assert_eq!(api.list(&bucket)["big.bin"], data.len() as u64);
    assert!(
        api.download(&bucket, "big.bin") == data,
        "uploaded bytes differ"
    );
    assert!(
        get(&store, "big.bin").unwrap() == data,
        "streamed read differs"
    );
    store.delete("big.bin").unwrap(); // the emulator keeps objects in memory
}

#[test]
fn aborted_and_dropped_resumable_uploads_leave_nothing() {
    let Some(endpoint) = emulator() else { return };
    let api = JsonApi::new(&endpoint);
    let bucket = api.new_bucket("abort");
    let mut config = emulator_config(&endpoint);
    config.chunk_bytes = 256 << 10;
    let store = open_with_config(&format!("gs://{bucket}"), config).unwrap();
    let mut w = store.open_writer("aborted").unwrap();
    w.write(&pattern(600 << 10, 1)).unwrap();
    w.abort().unwrap();
    {
        let mut w = store.open_writer("dropped").unwrap();
        w.write(&pattern(600 << 10, 2)).unwrap();
    }
    assert!(api.list(&bucket).is_empty(), "{:?}", api.list(&bucket));
}

#[test]
fn listing_follows_pages() {
    let Some(endpoint) = emulator() else { return };
    let bucket = JsonApi::new(&endpoint).new_bucket("pages");
    let mut config = emulator_config(&endpoint);
    config.list_page_size = 2;
    let store = open_with_config(&format!("gs://{bucket}/p"), config).unwrap();
    let keys: Vec<String> = (0..7).map(|i| format!("t/{i}.jsonl")).collect();
    for k in &keys {
        put(&store, k, k.as_bytes()).unwrap();
    }
    put(&store, "u/other", b"x").unwrap();
    let listed: Vec<String> = list_keys(&store, "t/").unwrap().into_iter().collect();
    assert_eq!(listed, keys);
    let sizes: u64 = store.list("").unwrap().map(|e| e.unwrap().size).sum();
    assert_eq!(sizes, keys.iter().map(|k| k.len() as u64).sum::<u64>() + 1);
}

#[test]
fn a_reader_never_mixes_two_versions() {
    let Some(endpoint) = emulator() else { return };
    let bucket = JsonApi::new(&endpoint).new_bucket("gen");
    let store = open_with_config(&format!("gs://{bucket}"), emulator_config(&endpoint)).unwrap();
    put(&store, "obj", b"version one").unwrap();
    let mut reader = store.open_reader("obj").unwrap();
    put(&store, "obj", b"VERSION TWO!").unwrap();
    let mut buf = [0u8; 32];
    match reader.read_at(0, &mut buf) {
        Ok(n) => assert_eq!(&buf[..n], b"version one"),
        Err(e) => assert_eq!(e.kind(), ErrorKind::NotFound, "{e}"),
    }
    assert_eq!(get(&store, "obj").unwrap(), b"VERSION TWO!");
}

#[test]
fn delete_many_runs_in_parallel_and_ignores_missing_keys() {
    let Some(endpoint) = emulator() else { return };
    let api = JsonApi::new(&endpoint);
    let bucket = api.new_bucket("delmany");
    let store = open_with_config(&format!("gs://{bucket}"), emulator_config(&endpoint)).unwrap();
    let mut keys: Vec<String> = (0..40).map(|i| format!("d/{i}")).collect();
    for k in &keys {
        put(&store, k, b"x").unwrap();
    }
    put(&store, "keep", b"x").unwrap();
    keys.push("d/never-written".into());
    store.delete_many(&keys).unwrap();
    assert_eq!(api.list(&bucket).keys().collect::<Vec<_>>(), ["keep"]);
}

#[test]
fn copy_and_rename_are_server_side() {
    let Some(endpoint) = emulator() else { return };
    let api = JsonApi::new(&endpoint);
    let bucket = api.new_bucket("copy");
    let store = open_with_config(&format!("gs://{bucket}/b"), emulator_config(&endpoint)).unwrap();
    put(&store, "a", b"payload").unwrap();
    store.copy("a", "c/copy").unwrap();
    store.rename("a", "c/moved").unwrap();
    let names: Vec<String> = api.list(&bucket).into_keys().collect();
    assert_eq!(names, ["b/c/copy", "b/c/moved"]);
    assert_eq!(api.download(&bucket, "b/c/moved"), b"payload");
    assert_eq!(
        store.copy("missing", "x").unwrap_err().kind(),
        ErrorKind::NotFound
    );
}

#[test]
fn a_missing_bucket_is_not_found() {
    let Some(endpoint) = emulator() else { return };
    let store = open_with_config(
        &format!("gs://{}", unique_bucket("absent")),
        emulator_config(&endpoint),
    )
    .unwrap();
    let err = put(&store, "x", b"x").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
    assert!(err.to_string().contains("bucket=st-absent"), "{err}");
}
