//! The SDK's format behaviour suite, run in-process, compressed and plain.

use stowage_plugin_jsonl::JsonlFormat;
use stowage_plugin_sdk::testing::format::{FormatSuiteConfig, FormatUnderTest, run_suite};
use stowage_plugin_sdk::{Format, FormatPlugin, Options};

fn run(pairs: &[(&str, &str)]) {
    let format = JsonlFormat::open(Options::new(pairs.iter().copied())).unwrap();
    let format: &dyn Format = format.as_ref();
    let under_test: &dyn FormatUnderTest = &format;
    run_suite(under_test, &FormatSuiteConfig::default());
}

#[test]
fn sdk_suite_gzip() {
    run(&[]);
}

#[test]
fn sdk_suite_plain() {
    run(&[("disable_compression", "true")]);
}
