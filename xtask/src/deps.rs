//! `cargo xtask deps`: the host's dependency tree must not contain heavy or risky crates.
//!
//! Cloud SDKs, SSH, database drivers, parquet and OpenSSL belong in their plugins only
//! (architecture invariant; plugin-abi.md §6.7). This runs `cargo tree -e normal` for the host
//! binary and the engine library and fails on any crate matching the deny-list.

use std::collections::BTreeSet;
use std::path::Path;

use crate::util::{self, Result};

/// Packages whose normal dependency tree is checked.
const CHECKED_PACKAGES: &[&str] = &["stowage-cli", "stowage"];

/// Crate-name prefixes that must never be in the host, with the reason shown on failure.
const DENY: &[(&str, &str)] = &[
    ("aws-", "cloud SDK (belongs in the s3 plugin)"),
    ("azure", "cloud SDK (belongs in the azure plugin)"),
    ("google-cloud", "cloud SDK (belongs in the gcs plugin)"),
    ("gcloud", "cloud SDK (belongs in the gcs plugin)"),
    (
        "object_store",
        "cloud storage client (belongs in a backend plugin)",
    ),
    ("ssh2", "SSH client (belongs in the sftp plugin)"),
    ("russh", "SSH client (belongs in the sftp plugin)"),
    ("libssh2", "SSH library (belongs in the sftp plugin)"),
    ("parquet", "parquet (belongs in the parquet format plugin)"),
    (
        "duckdb",
        "database driver (belongs in a destination plugin)",
    ),
    (
        "postgres",
        "database driver (belongs in a destination plugin)",
    ),
    (
        "tokio-postgres",
        "database driver (belongs in a destination plugin)",
    ),
    (
        "libduckdb",
        "database driver (belongs in the duckdb destination plugin)",
    ),
    ("libpq", "database driver (belongs in a destination plugin)"),
    ("sqlx", "database driver (belongs in a destination plugin)"),
    (
        "rusqlite",
        "database driver (belongs in a destination plugin)",
    ),
    ("openssl", "OpenSSL (the host needs no TLS of its own)"),
];

/// Runs the check; prints every offending crate.
pub fn check(root: &Path, target: &Path) -> Result<()> {
    let mut crates = BTreeSet::new();
    let mut offenders = Vec::new();
    for package in CHECKED_PACKAGES {
        let mut cmd = util::cargo(root);
        cmd.args(["tree", "-p", package, "-e", "normal", "--prefix", "none"])
            .env("CARGO_TARGET_DIR", target);
        let tree = util::output(&mut cmd)?;
        for name in crate_names(&tree) {
            if let Some(rule) = denied(&name) {
                offenders.push(format!("  {name} (in the tree of {package}): {rule}"));
            }
            crates.insert(name);
        }
    }
    offenders.sort();
    offenders.dedup();
    if offenders.is_empty() {
        println!("deps: ok ({} crates, no denied crates)", crates.len());
        Ok(())
    } else {
        for line in &offenders {
            eprintln!("{line}");
        }
        Err(format!(
            "deps: {} denied crate(s) in the host's dependency tree",
            offenders.len()
        ))
    }
}

/// Crate names of `cargo tree --prefix none` output (`name vX.Y.Z (path) (*)` per line).
fn crate_names(tree: &str) -> Vec<String> {
    tree.lines()
        .filter_map(|l| l.split_whitespace().next())
        .map(str::to_string)
        .collect()
}

/// The deny-list rule a crate name matches, as `prefix `X`: reason`.
fn denied(name: &str) -> Option<String> {
    DENY.iter()
        .find(|(prefix, _)| name.starts_with(prefix))
        .map(|(prefix, why)| format!("matches deny-list prefix `{prefix}`: {why}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_tree_and_matches_prefixes() {
        let tree =
            "stowage-cli v0.1.0 (/w/cli)\nclap v4.6.7\naws-sdk-s3 v1.0.0\nopenssl-sys v0.9 (*)\n";
        let names = crate_names(tree);
        assert_eq!(names, ["stowage-cli", "clap", "aws-sdk-s3", "openssl-sys"]);
        let denied: Vec<&String> = names.iter().filter(|n| denied(n).is_some()).collect();
        assert_eq!(denied, ["aws-sdk-s3", "openssl-sys"]);
        assert!(super::denied("arrow-array").is_none());
    }
}
