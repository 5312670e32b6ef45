//! Test support shared by the parquet, csv and insert_values tests (the other two crates include
//! this file with `#[path]`; there is no test-support crate yet): prerequisites, the format
//! loaded through real dlopen, the tables of the test matrix, running Python, and comparing
//! what an independent reader returns with what was written.
//!
//! Independent readers print one JSON object per row whose values are canonical text, so that
//! no float, decimal or time value is ever re-formatted on the way:
//! `null`, booleans, integers, `"f:<float text>"`, `"d:<decimal text>"`, `"s:<string>"`,
//! `"b:<hex>"`, `"date:<days>"`, `"time:<µs>"`, `"tz:<µs since epoch>"` (time-zone aware) and
//! `"t:<µs>"` (naive). [`CANON_PY`] produces them from Python values.

#![allow(dead_code, unused_imports)]

pub mod compare;
pub mod e2e;
pub mod python;
pub mod tables;

use std::path::PathBuf;
use std::sync::Arc;

use stowage_plugin_sdk::ffi::client::ForeignFormat;

pub use compare::*;
pub use e2e::*;
pub use python::*;
pub use tables::*;

/// The value of `var`, or `None` (skip line) outside CI; panics in CI.
pub fn required_env(var: &str, how: &str) -> Option<PathBuf> {
    match std::env::var_os(var) {
        Some(v) => Some(PathBuf::from(v)),
        None if std::env::var("CI").is_ok_and(|v| v == "true") => {
            panic!("{var} is not set in CI: {how}")
        }
        None => {
            eprintln!("skipped: {var} is not set ({how})");
            None
        }
    }
}

/// The tests' venv interpreter (dlt 1.31, pyarrow, duckdb).
pub fn python() -> Option<PathBuf> {
    required_env(
        "STOWAGE_TEST_PYTHON",
        "`cargo xtask python` prints the venv's python",
    )
}

/// The built plugins directory.
pub fn plugin_dir() -> Option<PathBuf> {
    required_env(
        "STOWAGE_TEST_PLUGIN_DIR",
        "run `cargo xtask build` and point it at target/debug/plugins",
    )
}

/// Loads the built `libstowage_plugin_<lib>.so` alone through real dlopen (a copy in a temp
/// dir, so that other plugins in the build dir play no part) and opens format `name`.
pub fn dlopen_format(
    lib: &str,
    name: &str,
    options: &[(&str, &str)],
) -> Option<Arc<ForeignFormat>> {
    let registry = dlopen_registry(lib)?;
    let opts = stowage::Options::new(options.iter().copied());
    Some(registry.open_format(name, &opts).expect("format opens"))
}

/// A registry holding only the built `libstowage_plugin_<lib>.so`. The copy is deleted once
/// loaded (the library stays mapped; plugins are never unloaded).
pub fn dlopen_registry(lib: &str) -> Option<stowage::plugins::Registry> {
    use stowage::plugins::{DiscoveryConfig, Registry};
    let built = plugin_dir()?.join(format!("libstowage_plugin_{lib}.so"));
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::copy(
        &built,
        dir.path().join(built.file_name().expect("file name")),
    )
    .unwrap_or_else(|e| panic!("copy {}: {e} (run `cargo xtask build`)", built.display()));
    let registry = Registry::discover(&DiscoveryConfig::only_dirs(vec![dir.path().to_path_buf()]));
    assert!(registry.rejected().is_empty(), "{:?}", registry.rejected());
    assert!(
        !registry.plugins().is_empty(),
        "{} was not loaded",
        built.display()
    );
    Some(registry)
}
