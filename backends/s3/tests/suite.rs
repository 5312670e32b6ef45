//! The SDK's backend behaviour suite against both loopback S3 servers, in-process and through
//! real dlopen of the built plugin (`STOWAGE_TEST_PLUGIN_DIR`).

mod common;

use common::Server;
use stowage::plugins::{DiscoveryConfig, Registry};
use stowage_plugin_s3::S3Backend;
use stowage_plugin_sdk::testing::backend::{SuiteConfig, run_suite};
use stowage_plugin_sdk::{BackendPlugin, Options};

/// A base path with a space and non-ASCII characters, so keys are placed under it correctly.
const BASE: &str = "base dir/ünï";

fn suite_config() -> SuiteConfig {
    SuiteConfig {
        // Five 5 MiB parts and a short last one with `kwargs.default_block_size` = 5 MiB.
        large_object_bytes: 23 << 20,
        ..SuiteConfig::default()
    }
}

/// Options with small parts, so the large object goes multipart with parts in flight.
fn multipart_options(server: &Server) -> Options {
    server.options(&[
        ("kwargs.default_block_size", "5242880"),
        ("kwargs.max_concurrency", "2"),
    ])
}

fn in_process(server: Option<Server>) {
    let Some(server) = server else { return };
    let bucket = server.bucket("suite");
    let backend = S3Backend::open(&bucket.url(BASE), multipart_options(&server)).expect("open");
    run_suite(backend.as_ref(), S3Backend::CAPABILITIES, &suite_config());
    assert!(bucket.keys().is_empty(), "suite left {:?}", bucket.keys());
}

fn through_dlopen(server: Option<Server>) {
    let Some(server) = server else { return };
    let Some(dir) = common::plugin_dir() else {
        return;
    };
    let reg = Registry::discover(&DiscoveryConfig::only_dirs(vec![dir]));
    for scheme in ["s3", "s3a"] {
        let info = reg
            .backend_for_scheme(scheme)
            .expect("the s3 plugin serves s3 and s3a");
        assert_eq!(info.capabilities, S3Backend::CAPABILITIES);
    }
    let bucket = server.bucket("dlopen");
    let url = format!("s3a://{}/{BASE}", bucket.name);
    let backend = reg
        .open_backend(&url, &multipart_options(&server))
        .expect("open through dlopen");
    let caps = reg.backend_for_scheme("s3").unwrap().capabilities;
    run_suite(backend.as_ref(), caps, &suite_config());
    assert!(bucket.keys().is_empty(), "suite left {:?}", bucket.keys());
}

#[test]
fn behaviour_suite_in_process_on_moto() {
    in_process(Server::moto());
}

#[test]
fn behaviour_suite_in_process_on_s3s_fs() {
    in_process(Server::s3s());
}

#[test]
fn behaviour_suite_through_dlopen_on_moto() {
    through_dlopen(Server::moto());
}

#[test]
fn behaviour_suite_through_dlopen_on_s3s_fs() {
    through_dlopen(Server::s3s());
}

#[test]
fn unknown_options_are_rejected_through_dlopen() {
    let Some(dir) = common::plugin_dir() else {
        return;
    };
    let reg = Registry::discover(&DiscoveryConfig::only_dirs(vec![dir]));
    let err = reg
        .open_backend(
            "s3://bucket/x",
            &Options::new([
                ("client_kwargs.verfy", "false"),
                ("region_name", "eu-west-1"),
            ]),
        )
        .err()
        .expect("rejected");
    assert!(err.to_string().contains("`client_kwargs.verfy`"), "{err}");
}
