//! The plugin through real dlopen: the SDK behaviour suite, the manifest (name, extension,
//! capabilities) and option errors across the C ABI.

#[path = "../../parquet/tests/shared/interop.rs"]
mod interop;

use interop::*;
use stowage_plugin_sdk::testing::format::{FormatSuiteConfig, run_suite};

#[test]
fn behaviour_suite_through_dlopen() {
    for (options, extension) in [
        (&[][..], "insert_values.gz"),
        (
            &[("dialect", "duckdb"), ("disable_compression", "true")][..],
            "insert_values",
        ),
    ] {
        let Some(format) = dlopen_format("insert_values", "insert_values", options) else {
            return;
        };
        assert_eq!(format.file_extension(), extension);
        run_suite(format.as_ref(), &FormatSuiteConfig::default());
    }
}

#[test]
fn manifest_declares_name_extension_and_capabilities() {
    let Some(registry) = dlopen_registry("insert_values") else {
        return;
    };
    let info = registry
        .format("insert_values")
        .expect("insert_values is listed");
    assert_eq!(info.extensions, ["insert_values"]);
    assert_eq!(info.capabilities.names(), ["write", "read", "gzip"]);
}

#[test]
fn invalid_options_fail_naming_the_key() {
    let Some(registry) = dlopen_registry("insert_values") else {
        return;
    };
    let err = registry
        .open_format(
            "insert_values",
            &stowage::Options::new([("dialect", "mysql")]),
        )
        .expect_err("rejected")
        .to_string();
    assert!(err.contains("`dialect`"), "{err}");
}
