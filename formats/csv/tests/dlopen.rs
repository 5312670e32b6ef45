//! The plugin through real dlopen: the SDK behaviour suite, the manifest (name, extension,
//! capabilities) and option errors across the C ABI.

#[path = "../../parquet/tests/shared/interop.rs"]
mod interop;

use interop::*;
use stowage_plugin_sdk::testing::format::{FormatSuiteConfig, run_suite};

#[test]
fn behaviour_suite_through_dlopen() {
    for (options, extension) in [
        (&[][..], "csv.gz"),
        (
            &[("disable_compression", "true"), ("quoting", "quote_all")][..],
            "csv",
        ),
    ] {
        let Some(format) = dlopen_format("csv", "csv", options) else {
            return;
        };
        assert_eq!(format.file_extension(), extension);
        run_suite(format.as_ref(), &FormatSuiteConfig::default());
    }
}

#[test]
fn manifest_declares_name_extension_and_capabilities() {
    let Some(registry) = dlopen_registry("csv") else {
        return;
    };
    let info = registry.format("csv").expect("csv is listed");
    assert_eq!(info.extensions, ["csv"]);
    assert_eq!(info.capabilities.names(), ["write", "read", "gzip"]);
}

#[test]
fn invalid_options_fail_naming_the_key() {
    let Some(registry) = dlopen_registry("csv") else {
        return;
    };
    let err = |pairs: &[(&str, &str)]| {
        registry
            .open_format("csv", &stowage::Options::new(pairs.iter().copied()))
            .expect_err("rejected")
            .to_string()
    };
    assert!(err(&[("colour", "red")]).contains("`colour`"));
    assert!(err(&[("quoting", "sometimes")]).contains("`quoting`"));
    assert!(err(&[("delimiter", ";;")]).contains("`delimiter`"));
}
