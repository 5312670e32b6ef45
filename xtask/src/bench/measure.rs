//! Running one command and taking its cost: wall time, CPU time (user + sys) and peak RSS.
//!
//! The xtask is std only and std has no `getrusage`/`wait4`, so every measured command runs
//! under `xtask/bench/measure.py` (system `python3`), which spawns it and reaps it with
//! `os.wait4`: the kernel's rusage of the child. CPU covers the child and every descendant it
//! waited for (dlt's normalize process pool included); `ru_maxrss` is the largest peak resident
//! set among them (a maximum over processes, not a sum, like GNU `time`'s `%M`). Polling
//! `/proc/<pid>/status` instead would miss peaks between polls and the children's figures.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::util::{self, Result};

/// What one run cost.
#[derive(Debug, Clone, Copy, Default)]
pub struct Cost {
    /// Wall seconds from spawn to reap.
    pub wall: f64,
    /// CPU seconds, user + system, of the process tree.
    pub cpu: f64,
    /// Peak resident set in MiB (largest single process).
    pub rss_mib: f64,
}

/// One finished run: its cost and what it printed on stdout.
#[derive(Debug, Clone)]
pub struct Measured {
    /// The cost.
    pub cost: Cost,
    /// The command's stdout (the tools print a JSON summary).
    pub stdout: String,
}

/// Runs commands under `measure.py`.
#[derive(Debug, Clone)]
pub struct Meter {
    script: PathBuf,
}

impl Meter {
    /// The meter using the helper script in `<root>/xtask/bench`.
    pub fn new(root: &Path) -> Meter {
        Meter {
            script: root.join("xtask").join("bench").join("measure.py"),
        }
    }

    /// Runs `cmd` (its program, args, env and dir are used) with stdout/stderr captured in
    /// `log_dir`; fails unless it exits 0 (the error shows the end of its stderr).
    pub fn run(&self, cmd: &Command, log_dir: &Path) -> Result<Measured> {
        util::create_dir(log_dir)?;
        let (out, err) = (log_dir.join("stdout.txt"), log_dir.join("stderr.txt"));
        let mut wrapper = Command::new("python3");
        wrapper
            .arg(&self.script)
            .arg("--stdout")
            .arg(&out)
            .arg("--stderr")
            .arg(&err)
            .arg("--")
            .arg(cmd.get_program())
            .args(cmd.get_args());
        for (key, value) in cmd.get_envs() {
            match value {
                Some(value) => wrapper.env(key, value),
                None => wrapper.env_remove(key),
            };
        }
        if let Some(dir) = cmd.get_current_dir() {
            wrapper.current_dir(dir);
        }
        // Only the program and its arguments are shown: the environment may hold keys.
        eprintln!("xtask: $ {}", util::display_short(cmd));
        let done = wrapper
            .output()
            .map_err(|e| format!("cannot run python3 {}: {e}", self.script.display()))?;
        if !done.status.success() {
            return Err(format!(
                "measure.py failed ({}): {}",
                done.status,
                String::from_utf8_lossy(&done.stderr).trim()
            ));
        }
        let report = String::from_utf8_lossy(&done.stdout).into_owned();
        let exit = json_number(&report, "exit").unwrap_or(-1.0);
        let stdout = std::fs::read_to_string(&out).unwrap_or_default();
        if exit != 0.0 {
            let stderr = std::fs::read_to_string(&err).unwrap_or_default();
            let tail: Vec<&str> = stderr.lines().rev().take(15).collect();
            let tail: Vec<&str> = tail.into_iter().rev().collect();
            return Err(format!(
                "`{}` exited with {exit}:\n{}",
                util::display_short(cmd),
                tail.join("\n")
            ));
        }
        let field = |key: &str| {
            json_number(&report, key).ok_or_else(|| format!("measure.py printed no `{key}`"))
        };
        Ok(Measured {
            cost: Cost {
                wall: field("wall_s")?,
                cpu: field("user_s")? + field("sys_s")?,
                rss_mib: field("max_rss_kib")? / 1024.0,
            },
            stdout,
        })
    }
}

/// The number after the first `"key":` in a JSON text (enough for the flat summaries the
/// tools print; no JSON dependency in the xtask).
pub fn json_number(text: &str, key: &str) -> Option<f64> {
    let needle = format!("\"{key}\":");
    let at = text.find(&needle)? + needle.len();
    let rest = text[at..].trim_start();
    let end = rest
        .find(|c: char| !(c.is_ascii_digit() || matches!(c, '-' | '+' | '.' | 'e' | 'E')))
        .unwrap_or(rest.len());
    rest[..end].parse().ok()
}

/// The string after the first `"key":` in a JSON text (no escapes expected).
pub fn json_string(text: &str, key: &str) -> Option<String> {
    let needle = format!("\"{key}\":");
    let at = text.find(&needle)? + needle.len();
    let rest = text[at..].trim_start().strip_prefix('"')?;
    rest.find('"').map(|end| rest[..end].to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_numbers_and_strings() {
        let text = r#"{"rows": 12, "tables": {"items": 3, "items__moves": 40}, "dlt": "1.31.0", "t": -1.5e2}"#;
        assert_eq!(json_number(text, "rows"), Some(12.0));
        assert_eq!(json_number(text, "items"), Some(3.0));
        assert_eq!(json_number(text, "items__moves"), Some(40.0));
        assert_eq!(json_number(text, "t"), Some(-150.0));
        assert_eq!(json_number(text, "missing"), None);
        assert_eq!(json_string(text, "dlt").as_deref(), Some("1.31.0"));
    }
}
