//! `cargo xtask fixtures`: the ABI fixtures and the vendor example, built outside the workspace.
//!
//! Each crate under `xtask/fixtures/<name>/` is its own workspace and is built with its **own**
//! `CARGO_TARGET_DIR` (`<target>/abi-fixtures/<name>/`): one shared target dir can silently reuse
//! another variant's rlib (pitfall P10). Plugin fixtures are copied to
//! `<target>/abi-fixtures/dirs/<name>/libstowage_plugin_<name>.so`, one plugin per directory, so a
//! test can discover exactly one of them. Binary fixtures (`old_host`) stay where cargo put them.
//! Two fixtures are written rather than built: `truncated` (the first 1000 bytes of a real plugin)
//! and `bogus` (a text file with a plugin's name).

use std::path::{Path, PathBuf};

use crate::build::exe;
use crate::util::{self, Result};

/// Where the fixture crates live, relative to the workspace root.
const FIXTURES_SRC: &str = "xtask/fixtures";
/// Where the vendor example lives, relative to the workspace root.
const VENDOR_SRC: &str = "examples/vendor-backend";
/// Library name of the vendor example.
const VENDOR_LIB: &str = "stowage_plugin_memory";
/// Bytes kept of a real plugin for the `truncated` fixture.
const TRUNCATED_BYTES: usize = 1000;

/// What the fixture build produced (passed to the tests as environment variables).
#[derive(Debug, Clone)]
pub struct Fixtures {
    /// `<target>/abi-fixtures/dirs`: one subdirectory per fixture (`STOWAGE_ABI_FIXTURES_DIR`).
    pub dirs: PathBuf,
    /// The ABI 1.0 host simulator (`STOWAGE_OLD_HOST_BIN`).
    pub old_host_bin: PathBuf,
}

impl Fixtures {
    /// The environment the engine tests read.
    pub fn env(&self) -> Vec<(&'static str, PathBuf)> {
        vec![
            ("STOWAGE_ABI_FIXTURES_DIR", self.dirs.clone()),
            ("STOWAGE_OLD_HOST_BIN", self.old_host_bin.clone()),
        ]
    }
}

/// Builds every fixture crate and writes the synthetic ones.
pub fn build_all(root: &Path, target: &Path) -> Result<Fixtures> {
    let base = target.join("abi-fixtures");
    let dirs = base.join("dirs");
    if dirs.exists() {
        // Only generated copies live here; start fresh so removed fixtures do not linger.
        std::fs::remove_dir_all(&dirs)
            .map_err(|e| format!("cannot remove {}: {e}", dirs.display()))?;
    }
    let crates = util::package_dirs(&root.join(FIXTURES_SRC))?;
    if crates.is_empty() {
        return Err(format!(
            "no fixture crates under {}",
            root.join(FIXTURES_SRC).display()
        ));
    }

    let mut plugins = Vec::new();
    let mut binaries = Vec::new();
    for dir in &crates {
        let name = file_name(dir);
        let out = cargo_build_alone(dir, &base.join(&name))?;
        let lib = out.join(util::dylib_file_name(&format!("stowage_plugin_{name}")));
        let bin = out.join(exe(&name));
        if lib.is_file() {
            let dest = dirs.join(&name).join(file_name(&lib));
            util::copy_atomic(&lib, &dest)?;
            plugins.push(dest);
        } else if bin.is_file() {
            binaries.push(bin);
        } else {
            return Err(format!(
                "fixture {name} produced neither {} nor {}",
                lib.display(),
                bin.display()
            ));
        }
    }

    // A real plugin cut short: the dynamic loader must refuse it without crashing.
    let real = plugins.first().ok_or("no plugin fixture was built")?;
    let bytes = std::fs::read(real).map_err(|e| format!("cannot read {}: {e}", real.display()))?;
    let cut = &bytes[..bytes.len().min(TRUNCATED_BYTES)];
    util::write_file(&synthetic(&dirs, "truncated"), cut)?;
    // Not a shared object at all.
    util::write_file(
        &synthetic(&dirs, "bogus"),
        b"This is not a shared library; Stowage must reject it with a reason.\n",
    )?;

    let old_host_bin = binaries
        .into_iter()
        .find(|b| file_name(b) == exe("old_host"))
        .ok_or("the old_host fixture was not built")?;
    let fixtures = Fixtures { dirs, old_host_bin };
    eprintln!("xtask: ABI fixtures ready; to run the engine tests by hand:");
    for (key, value) in fixtures.env() {
        eprintln!("  export {key}={}", value.display());
    }
    Ok(fixtures)
}

fn synthetic(dirs: &Path, name: &str) -> PathBuf {
    dirs.join(name)
        .join(util::dylib_file_name(&format!("stowage_plugin_{name}")))
}

/// Builds and tests the vendor example with its own target dir; returns its plugin library.
pub fn build_vendor(root: &Path, target: &Path, counts: &mut util::TestCounts) -> Result<PathBuf> {
    let dir = root.join(VENDOR_SRC);
    let vendor_target = target.join("vendor-backend");
    let out = cargo_build_alone(&dir, &vendor_target)?;
    let lib = out.join(util::dylib_file_name(VENDOR_LIB));
    if !lib.is_file() {
        return Err(format!(
            "the vendor example did not produce {}",
            lib.display()
        ));
    }
    // Its own in-process behaviour suite, exactly as a vendor would run it.
    let mut test = util::cargo(&dir);
    test.args(["test", "--manifest-path"])
        .arg(dir.join("Cargo.toml"))
        .env("CARGO_TARGET_DIR", &vendor_target);
    util::run_tests(&mut test, counts)?;
    Ok(lib)
}

/// `cargo build` of a crate that is its own workspace, in its own target dir; returns
/// `<target_dir>/debug`.
fn cargo_build_alone(dir: &Path, target_dir: &Path) -> Result<PathBuf> {
    let mut cmd = util::cargo(dir);
    cmd.args(["build", "--manifest-path"])
        .arg(dir.join("Cargo.toml"))
        .env("CARGO_TARGET_DIR", target_dir);
    util::run(&mut cmd)?;
    Ok(target_dir.join("debug"))
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}
