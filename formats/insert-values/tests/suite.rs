//! The SDK's format behaviour suite, run in-process with several option sets.

use stowage_plugin_insert_values::InsertValuesFormat;
use stowage_plugin_sdk::testing::format::{FormatSuiteConfig, FormatUnderTest, run_suite};
use stowage_plugin_sdk::{Format, FormatPlugin, Options};

fn run(pairs: &[(&str, &str)]) {
    let format = InsertValuesFormat::open(Options::new(pairs.iter().copied())).unwrap();
    let format: &dyn Format = format.as_ref();
    let under_test: &dyn FormatUnderTest = &format;
    run_suite(under_test, &FormatSuiteConfig::default());
}

#[test]
fn sdk_suite_postgres_gzip() {
    run(&[]);
}

#[test]
fn sdk_suite_duckdb_plain() {
    run(&[("dialect", "duckdb"), ("disable_compression", "true")]);
}
