//! The SDK's format behaviour suite, run in-process, compressed and plain.

use stowage_plugin_jsonl::JsonlFormat;
use stowage_plugin_sdk::testing::format::{FormatSuiteConfig, FormatUnderTest, cases};
use stowage_plugin_sdk::{Format, FormatPlugin, Options};

/// Cases skipped because of a known bug in the suite itself: `arrow_select_concat` builds a
/// `MutableArrayData` from zero arrays when the stream is empty and panics (index out of
/// bounds) before reaching its own empty check. Empty streams are covered by
/// `roundtrip::empty_stream_is_an_empty_file_or_empty_gzip_member` until the SDK is fixed.
const SKIPPED: &[&str] = &["empty_stream_round_trip"];

fn run(pairs: &[(&str, &str)]) {
    let format = JsonlFormat::open(Options::new(pairs.iter().copied())).unwrap();
    let format: &dyn Format = format.as_ref();
    let under_test: &dyn FormatUnderTest = &format;
    let config = FormatSuiteConfig::default();
    let failed: Vec<String> = cases()
        .into_iter()
        .filter(|(name, _)| !SKIPPED.contains(name))
        .filter_map(|(name, case)| {
            case(under_test, &config)
                .err()
                .map(|e| format!("{name}: {e}"))
        })
        .collect();
    assert!(
        failed.is_empty(),
        "format suite failed:\n{}",
        failed.join("\n")
    );
}

#[test]
fn sdk_suite_gzip() {
    run(&[]);
}

#[test]
fn sdk_suite_plain() {
    run(&[("disable_compression", "true")]);
}
