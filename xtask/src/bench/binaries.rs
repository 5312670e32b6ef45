//! The Stowage binaries a benchmark runs: a release build of the host and of the plugins the
//! cases use, each package built on its own (as `cargo xtask build` does) and copied into
//! `<target>/bench/<profile>/` (`stowage` with a `plugins/` dir next to it), so stale plugins in
//! `target/<profile>/plugins` play no part. A format plugin that does not build (yet) makes its
//! rows "pending" instead of failing the benchmark.

use std::path::{Path, PathBuf};

use super::cases::Format;
use crate::build::{self, HOST_BIN, HOST_PACKAGE};
use crate::util::{self, Result};

/// Plugins every run needs.
const REQUIRED_PLUGINS: &[&str] = &["local", "jsonl"];
/// Plugins whose absence only leaves rows pending (`s3`: the upload comparison and the `sql`
/// case; `duckdb`: the `sql` case).
const OPTIONAL_PLUGINS: &[&str] = &["parquet", "csv", "s3", "duckdb"];

/// The plugin that links the prebuilt libduckdb (installed next to it).
const DUCKDB: &str = "duckdb";

/// What the runs use.
#[derive(Debug, Clone)]
pub struct Binaries {
    /// The `stowage` binary.
    pub host: PathBuf,
    /// The plugin dir.
    pub plugin_dir: PathBuf,
    /// Plugins that are missing, with the reason (`parquet` → "did not build: …").
    pub missing: Vec<(String, String)>,
}

impl Binaries {
    /// Why `format` cannot run, if it cannot.
    pub fn pending_reason(&self, format: Format) -> Option<&str> {
        self.missing
            .iter()
            .find(|(name, _)| name == format.name())
            .map(|(_, why)| why.as_str())
    }
}

/// Builds the host and the benchmarked plugins with `--release` (or debug) into
/// `<target>/bench/<profile>/`.
pub fn build(root: &Path, target: &Path, release: bool) -> Result<Binaries> {
    let profile = if release { "release" } else { "debug" };
    let out_dir = target.join("bench").join(profile);
    let plugin_dir = out_dir.join("plugins");
    if plugin_dir.is_dir() {
        std::fs::remove_dir_all(&plugin_dir)
            .map_err(|e| format!("cannot clear {}: {e}", plugin_dir.display()))?;
    }
    util::create_dir(&plugin_dir)?;
    cargo_build(root, target, HOST_PACKAGE, release)?;
    let host = out_dir.join(build::exe(HOST_BIN));
    util::copy_atomic(&target.join(profile).join(build::exe(HOST_BIN)), &host)?;

    let packages = build::plugin_packages(root)?;
    let mut missing = Vec::new();
    for name in REQUIRED_PLUGINS.iter().chain(OPTIONAL_PLUGINS) {
        let lib = format!("stowage_plugin_{name}");
        // The duckdb plugin's build script links the libduckdb `duckdb_lib` fetches, which is
        // installed next to the plugins.
        let libduckdb = match *name == DUCKDB {
            true => crate::duckdb_lib::ensure(target).map(Some),
            false => Ok(None),
        };
        let built = libduckdb.and_then(|libduckdb| {
            let package = packages
                .iter()
                .find(|p| p.lib_name == lib)
                .ok_or_else(|| format!("no plugin package builds `{lib}`"))?;
            cargo_build(root, target, &package.package, release)?;
            match libduckdb {
                Some(lib_dir) => crate::duckdb_lib::install_next_to_plugins(&lib_dir, &plugin_dir),
                None => Ok(()),
            }
        });
        let file = util::dylib_file_name(&lib);
        match built {
            Ok(()) => util::copy_atomic(&target.join(profile).join(&file), &plugin_dir.join(file))?,
            Err(e) if REQUIRED_PLUGINS.contains(name) => return Err(e),
            Err(e) => {
                eprintln!("xtask: bench: plugin `{name}` is not available; its rows are pending");
                missing.push((name.to_string(), format!("not built yet ({e})")));
            }
        }
    }
    Ok(Binaries {
        host,
        plugin_dir,
        missing,
    })
}

/// The binaries of an existing build (`cargo xtask build`): `host` and its plugin dir; formats
/// without a plugin file are pending.
pub fn existing(host: &Path, plugin_dir: &Path) -> Result<Binaries> {
    if !host.is_file() {
        return Err(format!("{} does not exist (build first)", host.display()));
    }
    let mut missing = Vec::new();
    for name in REQUIRED_PLUGINS.iter().chain(OPTIONAL_PLUGINS) {
        let file = plugin_dir.join(util::dylib_file_name(&format!("stowage_plugin_{name}")));
        if file.is_file() {
            continue;
        }
        if REQUIRED_PLUGINS.contains(name) {
            return Err(format!("{} does not exist", file.display()));
        }
        missing.push((
            name.to_string(),
            format!("{} not built yet", file.display()),
        ));
    }
    Ok(Binaries {
        host: host.to_path_buf(),
        plugin_dir: plugin_dir.to_path_buf(),
        missing,
    })
}

fn cargo_build(root: &Path, target: &Path, package: &str, release: bool) -> Result<()> {
    let mut cmd = util::cargo(root);
    cmd.args(["build", "-p", package])
        .env("CARGO_TARGET_DIR", target);
    if release {
        cmd.arg("--release");
    }
    util::run(&mut cmd)
}
