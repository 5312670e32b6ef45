//! A third-party plugin built outside the workspace (`examples/vendor-backend`, the `memory://`
//! backend) loads through the engine's plugin host and passes the SDK's backend behaviour suite
//! through real dlopen.
//!
//! `cargo xtask test-all` builds the example and exports `STOWAGE_VENDOR_PLUGIN` (the built
//! library). Without it the test is skipped locally and fails under `CI=true`.

use std::path::PathBuf;

use stowage::plugins::{DiscoveryConfig, Registry};
use stowage_plugin_sdk::Options;
use stowage_plugin_sdk::testing::backend::{SuiteConfig, get, list_keys, put, run_suite};

fn vendor_plugin() -> Option<PathBuf> {
    match std::env::var_os("STOWAGE_VENDOR_PLUGIN").filter(|v| !v.is_empty()) {
        Some(path) => Some(PathBuf::from(path)),
        None if std::env::var("CI").as_deref() == Ok("true") => {
            panic!("STOWAGE_VENDOR_PLUGIN is not set: fixtures not built; run cargo xtask test-all")
        }
        None => {
            eprintln!("skipped: STOWAGE_VENDOR_PLUGIN is not set (run cargo xtask test-all)");
            None
        }
    }
}

#[test]
fn vendor_memory_plugin_passes_the_backend_suite_through_dlopen() {
    let Some(lib) = vendor_plugin() else { return };
    let dir = tempfile::tempdir().unwrap();
    let file = format!(
        "{}stowage_plugin_memory{}",
        std::env::consts::DLL_PREFIX,
        std::env::consts::DLL_SUFFIX
    );
    std::fs::copy(&lib, dir.path().join(file))
        .unwrap_or_else(|e| panic!("copy {}: {e}", lib.display()));

    let registry = Registry::discover(&DiscoveryConfig::only_dirs(vec![dir.path().into()]));
    assert!(registry.rejected().is_empty(), "{:?}", registry.rejected());
    let [plugin] = registry.plugins() else {
        panic!("expected one plugin, got {:?}", registry.plugins())
    };
    assert_eq!(plugin.name, "memory");
    let [info] = plugin.backends.as_slice() else {
        panic!("expected one backend, got {:?}", plugin.backends)
    };
    assert_eq!(info.schemes, ["memory"]);
    let caps = info.capabilities;
    assert!(
        caps.read && caps.write && caps.list && caps.delete,
        "{caps:?}"
    );
    assert!(
        caps.read_with_range && caps.atomic_write && caps.copy && caps.rename,
        "{caps:?}"
    );

    let backend = registry
        .open_backend("memory://bucket", &Options::default())
        .expect("opens");
    run_suite(backend.as_ref(), caps, &SuiteConfig::default());

    // One process-global store: another instance on the same bucket sees the object, another
    // bucket does not.
    put(backend.as_ref(), "shared/k", b"v").unwrap();
    let again = registry
        .open_backend("memory://bucket", &Options::default())
        .unwrap();
    assert_eq!(get(again.as_ref(), "shared/k").unwrap(), b"v");
    let other = registry
        .open_backend("memory://other", &Options::default())
        .unwrap();
    assert!(list_keys(other.as_ref(), "shared/").unwrap().is_empty());
}
