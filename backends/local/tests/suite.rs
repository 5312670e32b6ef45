//! Runs the SDK's backend behaviour suite in-process against a local bucket in a temporary
//! directory, opened the way the host opens it (URL + options through `BackendPlugin::open`).

use stowage_plugin_local::{LocalBackend, LocalRoot, to_file_url};
use stowage_plugin_sdk::testing::backend::{SuiteConfig, run_suite};
use stowage_plugin_sdk::{BackendPlugin, Options};

fn check(url: &str) {
    let backend = LocalBackend::open(url, Options::default()).expect("open the bucket");
    let config = SuiteConfig {
        large_object_bytes: 24 << 20,
        ..SuiteConfig::default()
    };
    run_suite(backend.as_ref(), LocalBackend::CAPABILITIES, &config);
}

#[test]
fn behaviour_suite_over_a_file_url() {
    let dir = tempfile::tempdir().expect("tempdir");
    check(&to_file_url(&LocalRoot::Posix(dir.path().to_path_buf())));
    let leftovers: Vec<_> = walk(dir.path());
    assert!(
        leftovers.is_empty(),
        "suite left files behind: {leftovers:?}"
    );
}

#[test]
fn behaviour_suite_over_a_bare_path_with_spaces() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().join("bucket with spaces/ünï");
    check(root.to_str().expect("utf-8 temp path"));
}

/// Every regular file below `dir`.
fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).expect("read_dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path)
            } else {
                files.push(path)
            }
        }
    }
    files
}
