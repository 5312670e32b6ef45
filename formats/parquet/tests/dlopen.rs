//! The plugin through real dlopen: the SDK behaviour suite, the manifest (name, extension,
//! capabilities) and option errors across the C ABI.

#[path = "shared/interop.rs"]
mod interop;

use interop::*;
use stowage_plugin_sdk::testing::format::{FormatSuiteConfig, run_suite};

#[test]
fn behaviour_suite_through_dlopen() {
    for options in [
        &[][..],
        &[("compression", "zstd"), ("row_group_size", "4096")],
    ] {
        let Some(format) = dlopen_format("parquet", "parquet", options) else {
            return;
        };
        assert_eq!(format.file_extension(), "parquet");
        run_suite(format.as_ref(), &FormatSuiteConfig::default());
    }
}

#[test]
fn manifest_declares_name_extension_and_capabilities() {
    let Some(registry) = dlopen_registry("parquet") else {
        return;
    };
    let info = registry.format("parquet").expect("parquet is listed");
    assert_eq!(info.extensions, ["parquet"]);
    assert_eq!(info.capabilities.names(), ["write", "read", "nested"]);
    assert!(info.description.contains("parquet"), "{}", info.description);
}

#[test]
fn invalid_options_fail_naming_the_key() {
    let Some(registry) = dlopen_registry("parquet") else {
        return;
    };
    let err = |pairs: &[(&str, &str)]| {
        registry
            .open_format("parquet", &stowage::Options::new(pairs.iter().copied()))
            .expect_err("rejected")
            .to_string()
    };
    assert!(err(&[("colour", "red")]).contains("`colour`"));
    assert!(err(&[("compression", "lzo")]).contains("`compression`"));
    assert!(err(&[("row_group_size", "0")]).contains("`row_group_size`"));
}
