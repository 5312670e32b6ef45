//! The SDK's format behaviour suite, run in-process with several option sets.

use stowage_plugin_parquet::ParquetFormat;
use stowage_plugin_sdk::testing::format::{FormatSuiteConfig, FormatUnderTest, run_suite};
use stowage_plugin_sdk::{Format, FormatPlugin, Options};

fn run(pairs: &[(&str, &str)]) {
    let format = ParquetFormat::open(Options::new(pairs.iter().copied())).unwrap();
    let format: &dyn Format = format.as_ref();
    let under_test: &dyn FormatUnderTest = &format;
    run_suite(under_test, &FormatSuiteConfig::default());
}

#[test]
fn sdk_suite_defaults() {
    run(&[]);
}

#[test]
fn sdk_suite_every_codec_and_layout() {
    run(&[("compression", "zstd"), ("row_group_size", "3000")]);
    run(&[("compression", "gzip"), ("use_dictionary", "false")]);
    run(&[("compression", "lz4"), ("data_page_version", "2.0")]);
    run(&[
        ("compression", "none"),
        ("write_page_index", "true"),
        ("data_page_size", "4096"),
    ]);
}
