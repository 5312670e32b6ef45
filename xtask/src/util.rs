//! Shared helpers: locating the workspace and target dir, running commands with a visible
//! command line, copying files atomically, and a tiny reader for the `Cargo.toml` fields the
//! xtask needs (no TOML dependency).

use std::ffi::OsStr;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Errors are plain messages; `main` prints them.
pub type Result<T, E = String> = std::result::Result<T, E>;

/// The workspace root (the parent of this crate's directory).
pub fn workspace_root() -> PathBuf {
    let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest_dir.parent().unwrap_or(manifest_dir).to_path_buf()
}

/// The cargo target dir: `$CARGO_TARGET_DIR` (made absolute) or `<root>/target`.
pub fn target_dir(root: &Path) -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR").filter(|v| !v.is_empty()) {
        Some(dir) => {
            let dir = PathBuf::from(dir);
            if dir.is_absolute() {
                dir
            } else {
                std::env::current_dir()
                    .map(|cwd| cwd.join(&dir))
                    .unwrap_or(dir)
            }
        }
        None => root.join("target"),
    }
}

/// A `cargo` command (`$CARGO`, else `cargo` from `PATH`) running in `dir`.
pub fn cargo(dir: &Path) -> Command {
    let program = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(program);
    cmd.current_dir(dir);
    cmd
}

/// The command line as a human would type it, with explicitly set environment variables first.
pub fn display(cmd: &Command) -> String {
    let mut out = String::new();
    for (key, value) in cmd.get_envs() {
        if let Some(value) = value {
            let _ = write!(out, "{}={} ", key.to_string_lossy(), quote(value));
        }
    }
    out.push_str(&display_short(cmd));
    out
}

/// The program and its arguments, without the environment (for error messages).
pub fn display_short(cmd: &Command) -> String {
    let program = Path::new(cmd.get_program());
    let name = program.file_name().unwrap_or(program.as_os_str());
    let mut out = name.to_string_lossy().into_owned();
    for arg in cmd.get_args() {
        out.push(' ');
        out.push_str(&quote(arg));
    }
    out
}

fn quote(arg: &OsStr) -> String {
    let s = arg.to_string_lossy();
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:,+@".contains(c))
    {
        s.into_owned()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

/// Runs `cmd` with inherited stdio; fails unless it exits 0.
pub fn run(cmd: &mut Command) -> Result<()> {
    eprintln!("xtask: $ {}", display(cmd));
    let line = display_short(cmd);
    let status = cmd
        .status()
        .map_err(|e| format!("cannot start `{line}`: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("`{line}` failed ({status})"))
    }
}

/// Runs `cmd` and returns its stdout (stderr is passed through); fails unless it exits 0.
pub fn output(cmd: &mut Command) -> Result<String> {
    eprintln!("xtask: $ {}", display(cmd));
    let line = display_short(cmd);
    let out = cmd
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("cannot start `{line}`: {e}"))?;
    if !out.status.success() {
        return Err(format!("`{line}` failed ({})", out.status));
    }
    String::from_utf8(out.stdout).map_err(|_| format!("`{line}` printed non-UTF-8 output"))
}

/// Totals of libtest's `test result:` lines.
#[derive(Debug, Clone, Copy, Default)]
pub struct TestCounts {
    /// Tests that passed.
    pub passed: u64,
    /// Tests that failed.
    pub failed: u64,
    /// Tests marked `#[ignore]`.
    pub ignored: u64,
}

impl TestCounts {
    /// Adds the counts of one `test result: ok. 3 passed; 0 failed; 1 ignored; …` line.
    pub fn add_line(&mut self, line: &str) {
        let Some(rest) = line.trim().strip_prefix("test result: ") else {
            return;
        };
        for part in rest.split([';', '.']) {
            let mut words = part.split_whitespace();
            let (Some(n), Some(what)) = (words.next(), words.next()) else {
                continue;
            };
            let Ok(n) = n.parse::<u64>() else { continue };
            match what {
                "passed" => self.passed += n,
                "failed" => self.failed += n,
                "ignored" => self.ignored += n,
                _ => {}
            }
        }
    }
}

/// Runs a `cargo test` command, passing its output through and adding up its test counts.
pub fn run_tests(cmd: &mut Command, counts: &mut TestCounts) -> Result<()> {
    use std::io::{BufRead, BufReader, Write};
    eprintln!("xtask: $ {}", display(cmd));
    let line = display_short(cmd);
    let mut child = cmd
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start `{line}`: {e}"))?;
    if let Some(stdout) = child.stdout.take() {
        let mut out = std::io::stdout().lock();
        for text in BufReader::new(stdout)
            .lines()
            .map_while(std::io::Result::ok)
        {
            counts.add_line(&text);
            let _ = writeln!(out, "{text}");
        }
    }
    let status = child.wait().map_err(|e| format!("`{line}`: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("`{line}` failed ({status})"))
    }
}

/// Copies `from` to `to` through a temporary file and a rename, so a process that has the old
/// file mapped (a loaded plugin) keeps its copy intact.
pub fn copy_atomic(from: &Path, to: &Path) -> Result<()> {
    if let Some(parent) = to.parent() {
        create_dir(parent)?;
    }
    let tmp = to.with_extension("xtask-tmp");
    std::fs::copy(from, &tmp)
        .map_err(|e| format!("cannot copy {} to {}: {e}", from.display(), tmp.display()))?;
    std::fs::rename(&tmp, to)
        .map_err(|e| format!("cannot rename {} to {}: {e}", tmp.display(), to.display()))
}

/// Writes `bytes` to `to`, creating parent directories.
pub fn write_file(to: &Path, bytes: &[u8]) -> Result<()> {
    if let Some(parent) = to.parent() {
        create_dir(parent)?;
    }
    std::fs::write(to, bytes).map_err(|e| format!("cannot write {}: {e}", to.display()))
}

/// `mkdir -p`.
pub fn create_dir(dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))
}

/// Reads a file to a string.
pub fn read_to_string(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
}

/// Subdirectories of `dir` that contain a `Cargo.toml`, sorted; empty if `dir` is missing.
pub fn package_dirs(dir: &Path) -> Result<Vec<PathBuf>> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(Vec::new());
    };
    let mut dirs = Vec::new();
    for entry in entries {
        let path = entry
            .map_err(|e| format!("cannot list {}: {e}", dir.display()))?
            .path();
        if path.join("Cargo.toml").is_file() {
            dirs.push(path);
        }
    }
    dirs.sort();
    Ok(dirs)
}

/// The file name of a library called `name` on this platform (`libname.so`).
pub fn dylib_file_name(lib_name: &str) -> String {
    use std::env::consts::{DLL_PREFIX, DLL_SUFFIX};
    format!("{DLL_PREFIX}{lib_name}{DLL_SUFFIX}")
}

/// The string value of `key` in `[section]` of a simple TOML file (`key = "value"` on one line).
pub fn toml_string(text: &str, section: &str, key: &str) -> Option<String> {
    let mut current = String::new();
    for line in text.lines().map(strip_comment) {
        let line = line.trim();
        if let Some(header) = line.strip_prefix('[') {
            current = header.trim_end_matches(']').trim().to_string();
            continue;
        }
        if current != section {
            continue;
        }
        let Some((k, v)) = line.split_once('=') else {
            continue;
        };
        if k.trim() == key {
            return Some(v.trim().trim_matches('"').to_string());
        }
    }
    None
}

/// The strings of the array `key = [ … ]` in `[section]` (may span lines; comments ignored).
pub fn toml_string_array(text: &str, section: &str, key: &str) -> Vec<String> {
    let mut current = String::new();
    let mut collecting = false;
    let mut body = String::new();
    for line in text.lines().map(strip_comment) {
        let trimmed = line.trim();
        if !collecting {
            if let Some(header) = trimmed.strip_prefix('[') {
                current = header.trim_end_matches(']').trim().to_string();
                continue;
            }
            match trimmed.split_once('=') {
                Some((k, v)) if current == section && k.trim() == key => {
                    collecting = true;
                    body.push_str(v);
                }
                _ => continue,
            }
        } else {
            body.push_str(trimmed);
        }
        if body.contains(']') {
            break;
        }
    }
    body.split('"')
        .skip(1)
        .step_by(2)
        .map(str::to_string)
        .collect()
}

fn strip_comment(line: &str) -> &str {
    // Good enough for Cargo.toml files without `#` inside strings.
    line.split_once('#').map_or(line, |(before, _)| before)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MANIFEST: &str = r#"
[workspace]
members = [
    "core/abi",
    #"cli",
    "backends/local", # the file backend
    "formats/*",
]
exclude = ["x"]

[package]
name = "stowage-backend-local" # comment

[lib]
name = "stowage_plugin_local"
crate-type = ["cdylib", "rlib"]
"#;

    #[test]
    fn reads_strings_by_section() {
        assert_eq!(
            toml_string(MANIFEST, "package", "name").as_deref(),
            Some("stowage-backend-local")
        );
        assert_eq!(
            toml_string(MANIFEST, "lib", "name").as_deref(),
            Some("stowage_plugin_local")
        );
        assert_eq!(toml_string(MANIFEST, "lib", "missing"), None);
    }

    #[test]
    fn reads_multi_line_arrays_without_comments() {
        assert_eq!(
            toml_string_array(MANIFEST, "workspace", "members"),
            ["core/abi", "backends/local", "formats/*"]
        );
        assert_eq!(toml_string_array(MANIFEST, "workspace", "exclude"), ["x"]);
    }

    #[test]
    fn adds_up_test_results() {
        let mut counts = TestCounts::default();
        counts.add_line("test result: ok. 9 passed; 0 failed; 2 ignored; 0 measured; 0 filtered out; finished in 0.10s");
        counts.add_line(
            "test result: FAILED. 8 passed; 2 failed; 0 ignored; 0 measured; 0 filtered out",
        );
        counts.add_line("running 3 tests");
        assert_eq!((counts.passed, counts.failed, counts.ignored), (17, 2, 2));
    }

    #[test]
    fn quotes_only_when_needed() {
        let mut cmd = Command::new("/usr/bin/cargo");
        cmd.args(["build", "-p", "a b"]).env("X", "1");
        assert_eq!(display(&cmd), "X=1 cargo build -p 'a b'");
    }
}
