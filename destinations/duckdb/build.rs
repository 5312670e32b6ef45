//! Links the plugin against the prebuilt `libduckdb.so` fetched by `cargo xtask duckdb` (the
//! npm package `@duckdb/node-bindings-linux-x64`, DuckDB 1.5.6), never the bundled C++ build.
//!
//! The library is looked up in `STOWAGE_LIBDUCKDB_DIR`, else in `<target>/duckdb/<version>/`.
//! The plugin gets an rpath of `$ORIGIN` (the xtask copies `libduckdb.so` next to the plugin)
//! and of that directory (so in-process tests run without copying).

use std::path::PathBuf;

/// The DuckDB release the crate's C API bindings are generated for.
const DUCKDB_VERSION: &str = "1.5.6";

fn main() {
    println!("cargo:rerun-if-env-changed=STOWAGE_LIBDUCKDB_DIR");
    println!("cargo:rerun-if-changed=build.rs");
    let dir = match std::env::var_os("STOWAGE_LIBDUCKDB_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => default_dir(),
    };
    let lib = dir.join("libduckdb.so");
    println!("cargo:rerun-if-changed={}", lib.display());
    if !lib.is_file() {
        println!(
            "cargo:warning=libduckdb.so not found in {}: run `cargo xtask duckdb` (or `cargo xtask build`) first; linking will fail",
            dir.display()
        );
    }
    println!("cargo:rustc-link-search=native={}", dir.display());
    println!("cargo:rustc-link-arg=-Wl,-rpath,$ORIGIN");
    println!("cargo:rustc-link-arg=-Wl,-rpath,{}", dir.display());
}

/// `<target>/duckdb/<version>`, found from `OUT_DIR` (`<target>/<profile>/build/<pkg>/out`).
fn default_dir() -> PathBuf {
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    let target = out
        .ancestors()
        .find(|p| p.file_name().is_some_and(|n| n == "build"))
        .and_then(|build| build.parent())
        .and_then(|profile| profile.parent())
        .map(PathBuf::from)
        .unwrap_or(out);
    target.join("duckdb").join(DUCKDB_VERSION)
}
