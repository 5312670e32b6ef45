//! Keys and remote paths: key validation, joining keys to the bucket root, temporary names,
//! recursive `mkdir`, and rename-over (SFTP v3 servers refuse to rename onto an existing file).

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use ssh2::{RenameFlags, Sftp};
use stowage_plugin_sdk::{PluginError, Result};

use crate::errors::{breaks_connection, is_not_found};
use crate::pool::Failure;

/// File-name prefix of in-progress writes (the local backend uses the same).
pub const TEMP_PREFIX: &str = ".stowage-tmp-";

/// Permissions of created directories (the server's umask applies).
const DIR_MODE: i32 = 0o755;

/// Distinguishes temporary files of one process.
static COUNTER: AtomicU64 = AtomicU64::new(0);

/// Checks an object key: relative, `/`-separated, no empty/`.`/`..` segments, no NUL, and not a
/// temporary file name.
pub fn validate_key(key: &str) -> Result<()> {
    let invalid = |why: &str| Err(PluginError::invalid(why.to_string()).with_context("key", key));
    if key.is_empty() {
        return invalid("key is empty");
    }
    validate_prefix(key).map_err(|e| e.with_context("key", key))?;
    let name = key.rsplit('/').next().unwrap_or(key);
    if name.is_empty() {
        return invalid("key ends with `/`");
    }
    if name == "." || name == ".." {
        return invalid("key has a `.` or `..` segment");
    }
    if name.starts_with(TEMP_PREFIX) {
        return invalid("names starting with `.stowage-tmp-` are reserved for in-progress writes");
    }
    Ok(())
}

/// Checks everything before the last `/` of a key or list prefix, and the whole for NUL.
pub fn validate_prefix(prefix: &str) -> Result<()> {
    if prefix.starts_with('/') {
        return Err(PluginError::invalid(
            "key must be relative (starts with `/`)",
        ));
    }
    if prefix.contains('\0') {
        return Err(PluginError::invalid("key contains a NUL character"));
    }
    let dirs = prefix.rsplit_once('/').map_or("", |(dirs, _)| dirs);
    for segment in dirs.split('/').filter(|_| !dirs.is_empty()) {
        match segment {
            "" => return Err(PluginError::invalid("key has an empty segment (`//`)")),
            "." | ".." => return Err(PluginError::invalid("key has a `.` or `..` segment")),
            _ => {}
        }
    }
    Ok(())
}

/// The remote path of `rel` (a key, or a directory key ending with `/`, or empty) under `root`.
pub fn remote_path(root: &str, rel: &str) -> String {
    let rel = rel.trim_end_matches('/');
    match (root, rel) {
        ("", "") => ".".to_string(),
        ("", rel) => rel.to_string(),
        (root, "") => root.to_string(),
        ("/", rel) => format!("/{rel}"),
        (root, rel) => format!("{root}/{rel}"),
    }
}

/// The directory part of a remote path (`""` when it has none).
pub fn parent_of(path: &str) -> &str {
    match path.rfind('/') {
        Some(0) => "/",
        Some(i) => &path[..i],
        None => "",
    }
}

/// A new temporary path next to `target`: `.stowage-tmp-<pid>-<counter>-<nanos>`.
pub fn temp_path_for(target: &str) -> String {
    let counter = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let name = format!(
        "{TEMP_PREFIX}{:x}-{counter:x}-{nanos:x}",
        std::process::id()
    );
    match parent_of(target) {
        "" => name,
        "/" => format!("/{name}"),
        dir => format!("{dir}/{name}"),
    }
}

/// Creates `dir` and its missing parents; existing directories are fine.
pub fn ensure_dir(sftp: &Sftp, dir: &str, address: &str) -> Result<(), Failure> {
    if matches!(dir, "" | "/" | ".") {
        return Ok(());
    }
    match sftp.mkdir(Path::new(dir), DIR_MODE) {
        Ok(()) => return Ok(()),
        Err(e) if breaks_connection(&e) => {
            return Err(Failure::ssh(
                &e,
                &format!("creating directory {dir}"),
                address,
            ));
        }
        Err(_) => {}
    }
    match sftp.stat(Path::new(dir)) {
        Ok(stat) if stat.is_dir() => Ok(()),
        Ok(_) => Err(Failure::keeps_connection(PluginError::invalid(format!(
            "cannot create directory {dir}: a file is in the way"
        )))),
        Err(e) if is_not_found(&e) => {
            ensure_dir(sftp, parent_of(dir), address)?;
            match sftp.mkdir(Path::new(dir), DIR_MODE) {
                Ok(()) => Ok(()),
                Err(_) if is_dir(sftp, dir) => Ok(()), // created meanwhile by someone else
                Err(e) => Err(Failure::ssh(
                    &e,
                    &format!("creating directory {dir}"),
                    address,
                )),
            }
        }
        Err(e) => Err(Failure::ssh(
            &e,
            &format!("creating directory {dir}"),
            address,
        )),
    }
}

/// Renames `from` to `to`, replacing `to` if it exists. SFTP v3 (OpenSSH) refuses to rename onto
/// an existing file, so an existing target is removed first; between that removal and the rename
/// the target is briefly missing (never partial).
pub fn rename_over(sftp: &Sftp, from: &str, to: &str, address: &str) -> Result<(), Failure> {
    let flags = Some(RenameFlags::OVERWRITE | RenameFlags::ATOMIC | RenameFlags::NATIVE);
    let what = || format!("renaming {from} to {to}");
    let first = match sftp.rename(Path::new(from), Path::new(to), flags) {
        Ok(()) => return Ok(()),
        Err(e) if breaks_connection(&e) => return Err(Failure::ssh(&e, &what(), address)),
        Err(e) => e,
    };
    match sftp.stat(Path::new(to)) {
        Ok(stat) if stat.is_dir() => {
            return Err(Failure::keeps_connection(PluginError::invalid(format!(
                "cannot write {to}: it is a directory"
            ))));
        }
        Ok(_) => {}
        Err(_) => return Err(Failure::ssh(&first, &what(), address)),
    }
    match sftp.unlink(Path::new(to)) {
        Err(e) if !is_not_found(&e) => return Err(Failure::ssh(&e, &what(), address)),
        _ => {}
    }
    sftp.rename(Path::new(from), Path::new(to), flags)
        .map_err(|e| Failure::ssh(&e, &what(), address))
}

fn is_dir(sftp: &Sftp, path: &str) -> bool {
    sftp.stat(Path::new(path)).is_ok_and(|s| s.is_dir())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_checked() {
        for good in ["a", "a/b.jsonl", "ds/t/1.2.x.jsonl.gz", "with space/ü"] {
            validate_key(good).unwrap();
        }
        for bad in [
            "",
            "/a",
            "a/",
            "a//b",
            "./a",
            "a/../b",
            "..",
            "a\0",
            "d/.stowage-tmp-1",
        ] {
            assert!(validate_key(bad).is_err(), "{bad:?}");
        }
        validate_prefix("").unwrap();
        validate_prefix("a/b").unwrap();
        assert!(validate_prefix("a/../b").is_err());
    }

    #[test]
    fn remote_paths_join_the_root() {
        assert_eq!(remote_path("/data", "ds/x"), "/data/ds/x");
        assert_eq!(remote_path("/data", "ds/"), "/data/ds");
        assert_eq!(remote_path("/data", ""), "/data");
        assert_eq!(remote_path("/", "x"), "/x");
        assert_eq!(remote_path("", "x"), "x");
        assert_eq!(remote_path("", ""), ".");
        assert_eq!(remote_path("rel", "x/"), "rel/x");
    }

    #[test]
    fn parents_and_temp_names() {
        assert_eq!(parent_of("/a/b"), "/a");
        assert_eq!(parent_of("/a"), "/");
        assert_eq!(parent_of("a"), "");
        let temp = temp_path_for("/data/ds/x.jsonl");
        assert!(temp.starts_with("/data/ds/.stowage-tmp-"), "{temp}");
        assert_ne!(temp, temp_path_for("/data/ds/x.jsonl"));
        assert!(temp_path_for("x").starts_with(TEMP_PREFIX));
        assert!(temp_path_for("/x").starts_with("/.stowage-tmp-"));
    }
}
