//! The built `libstowage_plugin_azure.so` loaded through the engine's registry (real dlopen):
//! the behaviour suite against Azurite, option errors and redaction across the C ABI.

mod common;

use std::sync::Arc;

use common::*;
use stowage::Options;
use stowage::plugins::{DiscoveryConfig, Registry};
use stowage_plugin_sdk::testing::backend::{SuiteConfig, put, run_suite};
use stowage_plugin_sdk::{Backend, ErrorKind};

/// The registry over the built plugins, with the azure plugin in it; `None` to skip.
fn registry() -> Option<Registry> {
    let dir = plugin_dir()?;
    let reg = Registry::discover(&DiscoveryConfig::only_dirs(vec![dir]));
    let info = reg
        .backend_for_scheme("az")
        .expect("the azure plugin is built and loads");
    assert_eq!(info.name, "azure");
    Some(reg)
}

fn open(reg: &Registry, url: &str, options: Vec<(String, String)>) -> Arc<dyn Backend> {
    reg.open_backend(url, &Options::new(options))
        .unwrap_or_else(|e| panic!("open {url}: {e}"))
}

#[test]
fn every_scheme_is_served_by_the_plugin() {
    let Some(reg) = registry() else { return };
    for scheme in ["az", "azure", "abfs", "abfss", "AZ"] {
        let info = reg.backend_for_scheme(scheme).expect(scheme);
        assert_eq!(info.name, "azure");
        assert!(info.capabilities.atomic_write && info.capabilities.read_with_range);
        assert!(!info.capabilities.copy && !info.capabilities.rename);
    }
}

#[test]
fn behaviour_suite_through_dlopen() {
    let Some(az) = azurite() else { return };
    let Some(reg) = registry() else { return };
    let container = TestContainer::create(&az, "dlopen");
    let caps = reg.backend_for_scheme("az").unwrap().capabilities;
    let mut options = az.key_options();
    options.push(("kwargs.blocksize".into(), "2097152".into()));
    let backend = open(
        &reg,
        &format!("az://{}/via/dlopen", container.name),
        options,
    );
    let config = SuiteConfig {
        large_object_bytes: 12 << 20,
        ..SuiteConfig::default()
    };
    run_suite(backend.as_ref(), caps, &config);
}

#[test]
fn unknown_options_are_named_through_dlopen() {
    let Some(reg) = registry() else { return };
    let err = reg
        .open_backend(
            "az://c/p",
            &Options::new([
                ("azure_storage_account_name", "acct"),
                ("azure_storage_acount_key", "value"),
            ]),
        )
        .err()
        .expect("rejected");
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
    assert!(
        err.to_string().contains("`azure_storage_acount_key`"),
        "{err}"
    );
    let err = reg
        .open_backend("az://c/p", &Options::default())
        .err()
        .expect("no account");
    assert!(
        err.to_string()
            .contains("azure_storage_account_name is required"),
        "{err}"
    );
}

#[test]
fn a_wrong_key_error_crosses_the_abi_without_the_secret() {
    let Some(az) = azurite() else { return };
    let Some(reg) = registry() else { return };
    let container = TestContainer::create(&az, "dlopen-wrong");
    let wrong_key = "QW5vdGhlcldyb25nS2V5QW5vdGhlcldyb25nS2V5IQ==";
    let options = vec![
        ("azure_storage_account_name".to_string(), az.account.clone()),
        (
            "azure_storage_account_key".to_string(),
            wrong_key.to_string(),
        ),
        ("azure_account_host".to_string(), az.endpoint.clone()),
    ];
    let backend = open(&reg, &format!("az://{}", container.name), options);
    let err = put(backend.as_ref(), "x", b"data").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::PermissionDenied, "{err}");
    let text = format!("{err} {err:?}");
    assert!(text.contains("HTTP 403"), "{text}");
    assert!(!text.contains(wrong_key), "{text}");
}
