//! `cargo xtask servers start|stop|env`: the real test servers on 127.0.0.1.
//!
//! The servers (moto and s3s-fs for S3, fake-gcs-server, Azurite, OpenSSH sshd, PostgreSQL 15)
//! are installed and started by `xtask/servers/start-all.sh` (a copy of the verified script in
//! `shared/infra/servers.md`) into one scratch dir, and stopped by `stop-all.sh` by pid file.
//! The script writes `env.sh` with every endpoint and credential; [`read_env`] turns it into the
//! variables handed to `cargo test`. Tests that need a server read those variables, skip when
//! they are absent outside CI, and fail when they are absent under `CI=true`.
//!
//! The scratch dir is `$STOWAGE_SERVERS_DIR`, else `/var/tmp/stowage-servers`: short (the
//! PostgreSQL socket path must fit 107 bytes), traversable by the `postgres` and test users, and
//! kept between runs so a second run only starts the servers (about 5 s) instead of installing.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};

use crate::util::{self, Result};

/// Default scratch dir of the servers.
const DEFAULT_DIR: &str = "/var/tmp/stowage-servers";

/// The servers' scratch dir.
pub fn dir() -> PathBuf {
    std::env::var_os("STOWAGE_SERVERS_DIR")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(DEFAULT_DIR))
}

fn script(root: &Path, name: &str) -> PathBuf {
    root.join("xtask").join("servers").join(name)
}

fn script_command(root: &Path, name: &str, dir: &Path) -> Command {
    let mut cmd = Command::new("bash");
    cmd.arg(script(root, name)).env("SERVERS_DIR", dir);
    // The workspace's target dir must not leak into the script's own `cargo install`.
    cmd.env_remove("CARGO_TARGET_DIR");
    cmd
}

/// Starts the install-and-start script in the background (installs can take minutes on a new
/// machine, so the caller overlaps them with the build). Wait with [`wait_started`].
pub fn spawn_start(root: &Path, dir: &Path) -> Result<Child> {
    util::create_dir(dir)?;
    let mut cmd = script_command(root, "start-all.sh", dir);
    eprintln!("xtask: $ {}", util::display_short(&cmd));
    cmd.spawn()
        .map_err(|e| format!("cannot run {}: {e}", util::display_short(&cmd)))
}

/// Waits for [`spawn_start`]'s script; fails unless every server came up.
pub fn wait_started(mut child: Child, dir: &Path) -> Result<Vec<(String, OsString)>> {
    let status = child
        .wait()
        .map_err(|e| format!("waiting for start-all.sh: {e}"))?;
    if !status.success() {
        return Err(format!(
            "start-all.sh failed ({status}); logs are in {}",
            dir.join("logs").display()
        ));
    }
    read_env(dir)
}

/// Stops every server started in `dir` (by pid file; installs and data are kept).
pub fn stop(root: &Path, dir: &Path) -> Result<()> {
    util::run(&mut script_command(root, "stop-all.sh", dir))
}

/// The variables `env.sh` exports, read by letting bash source it.
pub fn read_env(dir: &Path) -> Result<Vec<(String, OsString)>> {
    let env_file = dir.join("env.sh");
    if !env_file.is_file() {
        return Err(format!(
            "{} does not exist: start the servers first (`cargo xtask servers start`)",
            env_file.display()
        ));
    }
    let output = Command::new("env")
        .args(["-i", "bash", "-c", r#"set -a; . "$1"; env -0"#, "env.sh"])
        .arg(&env_file)
        .output()
        .map_err(|e| format!("cannot run bash: {e}"))?;
    if !output.status.success() {
        return Err(format!("cannot source {}", env_file.display()));
    }
    let text = String::from_utf8_lossy(&output.stdout);
    Ok(text
        .split('\0')
        .filter_map(|entry| entry.split_once('='))
        .filter(|(key, _)| is_server_variable(key))
        .map(|(key, value)| (key.to_string(), OsString::from(value)))
        .collect())
}

/// Keeps the variables `env.sh` defines and drops what a bare bash sets on its own.
fn is_server_variable(key: &str) -> bool {
    [
        "EMU_",
        "AZURITE_",
        "AZURE_STORAGE_",
        "STORAGE_EMULATOR_",
        "DATABASE_URL",
    ]
    .iter()
    .any(|prefix| key.starts_with(prefix))
}

/// `cargo xtask servers start|stop|env`.
pub fn command(root: &Path, args: &[String]) -> Result<()> {
    let dir = dir();
    match args.first().map(String::as_str) {
        Some("start") => {
            let child = spawn_start(root, &dir)?;
            wait_started(child, &dir)?;
            eprintln!(
                "xtask: servers are up; settings in {}",
                dir.join("env.sh").display()
            );
            Ok(())
        }
        Some("stop") => stop(root, &dir),
        Some("env") => {
            for (key, value) in read_env(&dir)? {
                println!("export {key}='{}'", value.to_string_lossy());
            }
            Ok(())
        }
        _ => Err("usage: cargo xtask servers start|stop|env".to_string()),
    }
}
