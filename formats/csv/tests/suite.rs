//! The SDK's format behaviour suite, run in-process with several option sets.

use stowage_plugin_csv::CsvFormat;
use stowage_plugin_sdk::testing::format::{FormatSuiteConfig, FormatUnderTest, run_suite};
use stowage_plugin_sdk::{Format, FormatPlugin, Options};

fn run(pairs: &[(&str, &str)]) {
    let format = CsvFormat::open(Options::new(pairs.iter().copied())).unwrap();
    let format: &dyn Format = format.as_ref();
    let under_test: &dyn FormatUnderTest = &format;
    run_suite(under_test, &FormatSuiteConfig::default());
}

#[test]
fn sdk_suite_gzip() {
    run(&[]);
}

#[test]
fn sdk_suite_plain_and_other_quoting() {
    run(&[("disable_compression", "true")]);
    run(&[("disable_compression", "true"), ("quoting", "quote_all")]);
    run(&[("quoting", "quote_minimal"), ("delimiter", ";")]);
    run(&[("lineterminator", "\r\n"), ("delimiter", "\t")]);
}
