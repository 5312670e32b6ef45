//! `cargo xtask build [--release]`: the host binary, then every plugin package on its own.
//!
//! Plugins are built with one `cargo build -p <package>` each, so their dependencies' features do
//! not unify with the host's (pitfall P13), and copied to `target/<profile>/plugins/`, which is
//! next to the `stowage` binary and so found by default. Plugin packages are discovered from the
//! workspace members under `backends/`, `formats/` and `destinations/`: a new plugin needs no
//! xtask edit.

use std::path::{Path, PathBuf};

use crate::duckdb_lib;
use crate::util::{self, Result};

/// Package of the host binary.
pub const HOST_PACKAGE: &str = "stowage-cli";
/// Name of the host binary.
pub const HOST_BIN: &str = "stowage";
/// Folders whose workspace members are plugin packages.
const PLUGIN_FOLDERS: &[&str] = &["backends", "formats", "destinations"];
/// Every plugin library is called `stowage_plugin_<name>`.
const PLUGIN_LIB_PREFIX: &str = "stowage_plugin_";

/// One plugin package of the workspace.
#[derive(Debug, Clone)]
pub struct PluginPackage {
    /// Cargo package name (`stowage-backend-local`).
    pub package: String,
    /// Library name (`stowage_plugin_local`).
    pub lib_name: String,
}

/// What a build produced.
#[derive(Debug, Clone)]
pub struct Built {
    /// `target/<profile>/stowage`.
    pub host_bin: PathBuf,
    /// `target/<profile>/plugins`.
    pub plugin_dir: PathBuf,
}

/// Builds the host and every plugin, and fills the plugin dir.
pub fn build(root: &Path, target: &Path, release: bool) -> Result<Built> {
    let profile_dir = target.join(if release { "release" } else { "debug" });
    let plugins = plugin_packages(root)?;

    // The duckdb destination links a prebuilt libduckdb.so (see duckdb_lib); its build script
    // finds it in <target>/duckdb/<version>.
    let duckdb = match plugins.iter().any(|p| p.lib_name == DUCKDB_PLUGIN) {
        true => Some(duckdb_lib::ensure(target)?),
        false => None,
    };
    cargo_build(root, target, HOST_PACKAGE, release)?;
    for plugin in &plugins {
        cargo_build(root, target, &plugin.package, release)?;
    }

    let plugin_dir = profile_dir.join("plugins");
    util::create_dir(&plugin_dir)?;
    if let Some(lib_dir) = &duckdb {
        duckdb_lib::install_next_to_plugins(lib_dir, &plugin_dir)?;
    }
    for plugin in &plugins {
        let file = util::dylib_file_name(&plugin.lib_name);
        let built = profile_dir.join(&file);
        if !built.is_file() {
            return Err(format!(
                "{} did not produce {} (is it `crate-type = [\"cdylib\"]`?)",
                plugin.package,
                built.display()
            ));
        }
        util::copy_atomic(&built, &plugin_dir.join(&file))?;
    }
    let names: Vec<&str> = plugins.iter().map(|p| p.package.as_str()).collect();
    eprintln!(
        "xtask: built {HOST_PACKAGE} and {} plugin(s) [{}] into {}",
        plugins.len(),
        names.join(", "),
        plugin_dir.display()
    );
    Ok(Built {
        host_bin: profile_dir.join(exe(HOST_BIN)),
        plugin_dir,
    })
}

/// Library name of the duckdb destination plugin.
const DUCKDB_PLUGIN: &str = "stowage_plugin_duckdb";

fn cargo_build(root: &Path, target: &Path, package: &str, release: bool) -> Result<()> {
    let mut cmd = util::cargo(root);
    cmd.args(["build", "-p", package])
        .env("CARGO_TARGET_DIR", target);
    if release {
        cmd.arg("--release");
    }
    util::run(&mut cmd)
}

/// `name` with the platform's executable suffix.
pub fn exe(name: &str) -> String {
    format!("{name}{}", std::env::consts::EXE_SUFFIX)
}

/// The plugin packages among the workspace members (sorted by member path).
pub fn plugin_packages(root: &Path) -> Result<Vec<PluginPackage>> {
    let manifest = util::read_to_string(&root.join("Cargo.toml"))?;
    let mut dirs = Vec::new();
    for member in util::toml_string_array(&manifest, "workspace", "members") {
        let member = member.trim_end_matches('/');
        let Some((folder, rest)) = member.split_once('/') else {
            continue;
        };
        if !PLUGIN_FOLDERS.contains(&folder) {
            continue;
        }
        if rest == "*" {
            dirs.extend(util::package_dirs(&root.join(folder))?);
        } else {
            dirs.push(root.join(member));
        }
    }
    dirs.sort();
    dirs.dedup();
    dirs.iter().map(|dir| read_plugin_package(dir)).collect()
}

fn read_plugin_package(dir: &Path) -> Result<PluginPackage> {
    let path = dir.join("Cargo.toml");
    let text = util::read_to_string(&path)?;
    let package = util::toml_string(&text, "package", "name")
        .ok_or_else(|| format!("{}: no [package] name", path.display()))?;
    let lib_name =
        util::toml_string(&text, "lib", "name").unwrap_or_else(|| package.replace('-', "_"));
    if !lib_name.starts_with(PLUGIN_LIB_PREFIX) {
        return Err(format!(
            "{}: plugin library must be named `{PLUGIN_LIB_PREFIX}<name>` (found `{lib_name}`); \
             set `[lib] name`",
            path.display()
        ));
    }
    Ok(PluginPackage { package, lib_name })
}
