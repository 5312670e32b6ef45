//! The prebuilt DuckDB library the `duckdb` destination plugin links against.
//!
//! DuckDB's bundled C++ build takes far longer than CI allows, so the plugin links a prebuilt
//! `libduckdb.so` instead: the one shipped in the npm package `@duckdb/node-bindings-linux-x64`
//! (DuckDB 1.5.6, the release whose C API the `duckdb` crate 1.10506.0 is generated for). It is
//! fetched once with `npm pack` (the registry's own client), checked against the pinned
//! integrity hash, and unpacked to `<target>/duckdb/1.5.6/libduckdb.so`, where the plugin's
//! build script looks (or in `STOWAGE_LIBDUCKDB_DIR`). The build copies the library next to
//! the plugins, where the plugin's `$ORIGIN` rpath finds it.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::util::{self, Result};

/// DuckDB release (matches the plugin's build script and the `duckdb` crate version).
pub const DUCKDB_VERSION: &str = "1.5.6";
/// The npm package and version that ships `libduckdb.so` for Linux x86_64.
const NPM_PACKAGE: &str = "@duckdb/node-bindings-linux-x64@1.5.6-r.1";
/// The registry's integrity hash of that package (checked before unpacking).
const NPM_INTEGRITY: &str = "sha512-IXcrZJE6kEqM0Z4wwdVnGBHX/frOS33VPNAwDXQ/Q+Fs84b058Qe94chrCCIcNJlG8Y3UHIUU4eBeCQxW5mN1Q==";
/// The library's file name.
pub const LIB_FILE: &str = "libduckdb.so";

/// `<target>/duckdb/<version>`.
pub fn lib_dir(target: &Path) -> PathBuf {
    target.join("duckdb").join(DUCKDB_VERSION)
}

/// Fetches the library unless it is already there; returns its directory.
pub fn ensure(target: &Path) -> Result<PathBuf> {
    let dir = lib_dir(target);
    if dir.join(LIB_FILE).is_file() {
        return Ok(dir);
    }
    if !cfg!(all(target_os = "linux", target_arch = "x86_64")) {
        return Err(format!(
            "the duckdb destination needs a prebuilt {LIB_FILE}; only Linux x86_64 is packaged \
             (put one into {} by hand)",
            dir.display()
        ));
    }
    let work = target.join("duckdb").join("download");
    let _ = std::fs::remove_dir_all(&work);
    util::create_dir(&work)?;
    eprintln!("xtask: fetching {NPM_PACKAGE} (libduckdb {DUCKDB_VERSION}) with npm pack");
    let json = util::output(
        Command::new("npm")
            .args([
                "pack",
                "--json",
                "--silent",
                NPM_PACKAGE,
                "--pack-destination",
            ])
            .arg(&work),
    )
    .map_err(|e| format!("{e}\n(the duckdb destination needs npm to fetch {LIB_FILE})"))?;
    if !json.contains(NPM_INTEGRITY) {
        return Err(format!(
            "npm pack {NPM_PACKAGE}: integrity differs from the pinned {NPM_INTEGRITY}"
        ));
    }
    let tarball = tarball_in(&work)?;
    util::run(
        Command::new("tar")
            .arg("-xzf")
            .arg(&tarball)
            .arg("-C")
            .arg(&work)
            .arg(format!("package/{LIB_FILE}")),
    )?;
    util::create_dir(&dir)?;
    util::copy_atomic(&work.join("package").join(LIB_FILE), &dir.join(LIB_FILE))?;
    let _ = std::fs::remove_dir_all(&work);
    eprintln!("xtask: {LIB_FILE} is in {}", dir.display());
    Ok(dir)
}

fn tarball_in(dir: &Path) -> Result<PathBuf> {
    let entries = std::fs::read_dir(dir).map_err(|e| format!("reading {}: {e}", dir.display()))?;
    entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| p.extension().is_some_and(|x| x == "tgz"))
        .ok_or_else(|| format!("npm pack left no .tgz in {}", dir.display()))
}

/// Copies the library into `plugin_dir` (next to the plugin) unless an identical one is there.
pub fn install_next_to_plugins(lib_dir: &Path, plugin_dir: &Path) -> Result<()> {
    let from = lib_dir.join(LIB_FILE);
    let to = plugin_dir.join(LIB_FILE);
    let size = |p: &Path| std::fs::metadata(p).map(|m| m.len()).ok();
    if size(&from).is_some() && size(&from) == size(&to) {
        return Ok(());
    }
    util::copy_atomic(&from, &to)
}
