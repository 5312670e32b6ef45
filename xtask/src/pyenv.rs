//! The Python virtualenv of the tests: real dlt 1.31 (interop), pyarrow and DuckDB (independent
//! readers), from `xtask/python-requirements.txt`.
//!
//! It lives in `<target>/py-venv` and is rebuilt only when the requirements file changes (a copy
//! of the installed requirements is kept next to it). Tests find its interpreter through
//! `STOWAGE_TEST_PYTHON`.

use std::path::{Path, PathBuf};
use std::process::{Child, Command};

use crate::util::{self, Result};

/// Environment variable naming the venv's interpreter for the tests.
pub const PYTHON_ENV: &str = "STOWAGE_TEST_PYTHON";

/// The venv folder.
pub fn venv_dir(target: &Path) -> PathBuf {
    target.join("py-venv")
}

/// The venv's interpreter.
pub fn python(target: &Path) -> PathBuf {
    venv_dir(target).join("bin").join("python")
}

fn requirements(root: &Path) -> PathBuf {
    root.join("xtask").join("python-requirements.txt")
}

fn installed_marker(target: &Path) -> PathBuf {
    venv_dir(target).join("stowage-requirements.txt")
}

/// True when the venv holds exactly the current requirements.
fn up_to_date(root: &Path, target: &Path) -> bool {
    let wanted = std::fs::read(requirements(root)).ok();
    let have = std::fs::read(installed_marker(target)).ok();
    wanted.is_some() && wanted == have && python(target).is_file()
}

/// Starts creating the venv in the background (pip downloads overlap the build), or returns
/// `None` when it is already up to date. Wait with [`wait`].
pub fn spawn_install(root: &Path, target: &Path) -> Result<Option<Child>> {
    if up_to_date(root, target) {
        return Ok(None);
    }
    let venv = venv_dir(target);
    let log = target.join("py-venv.log");
    util::create_dir(target)?;
    let script = format!(
        "set -e; rm -rf '{venv}'; python3 -m venv '{venv}'; \
         '{venv}/bin/pip' install -q --disable-pip-version-check -r '{req}' >'{log}' 2>&1; \
         cp '{req}' '{marker}'",
        venv = venv.display(),
        req = requirements(root).display(),
        log = log.display(),
        marker = installed_marker(target).display(),
    );
    let mut cmd = Command::new("bash");
    cmd.arg("-c").arg(script);
    eprintln!(
        "xtask: creating {} (pip log: {})",
        venv.display(),
        log.display()
    );
    cmd.spawn()
        .map(Some)
        .map_err(|e| format!("cannot run bash: {e}"))
}

/// Waits for [`spawn_install`]; returns the interpreter path.
pub fn wait(child: Option<Child>, target: &Path) -> Result<PathBuf> {
    if let Some(mut child) = child {
        let status = child.wait().map_err(|e| format!("waiting for pip: {e}"))?;
        if !status.success() {
            return Err(format!(
                "creating the Python venv failed ({status}); see {}",
                target.join("py-venv.log").display()
            ));
        }
    }
    Ok(python(target))
}
