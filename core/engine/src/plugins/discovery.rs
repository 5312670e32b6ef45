//! Where plugins are searched, in order: `--plugin-dir` (repeatable), `STOWAGE_PLUGIN_PATH`,
//! `<exe dir>/plugins`, `<exe dir>/../lib/stowage/plugins`, and `./plugins` last (disabled with
//! `STOWAGE_PLUGIN_NO_CWD=1`). Only files named `libstowage_plugin_*.so` (platform prefix and
//! suffix) are considered; paths are canonicalized and de-duplicated before anything is loaded.

use std::collections::HashSet;
use std::ffi::OsString;
use std::path::{Path, PathBuf};

/// The search path.
#[derive(Debug, Clone, Default)]
pub struct DiscoveryConfig {
    /// Directories in search order.
    pub dirs: Vec<PathBuf>,
}

impl DiscoveryConfig {
    /// The standard search order for this process.
    pub fn standard(explicit_dirs: &[PathBuf]) -> Self {
        let mut dirs: Vec<PathBuf> = explicit_dirs.to_vec();
        if let Some(path) = std::env::var_os("STOWAGE_PLUGIN_PATH") {
            dirs.extend(std::env::split_paths(&path).filter(|p| !p.as_os_str().is_empty()));
        }
        if let Some(exe_dir) = std::env::current_exe()
            .ok()
            .and_then(|e| e.parent().map(Path::to_path_buf))
        {
            dirs.push(exe_dir.join("plugins"));
            dirs.push(exe_dir.join("../lib/stowage/plugins"));
        }
        if !cwd_disabled(std::env::var_os("STOWAGE_PLUGIN_NO_CWD")) {
            dirs.push(PathBuf::from("plugins"));
        }
        DiscoveryConfig { dirs }
    }

    /// Only the given directories (tests, embedding).
    pub fn only_dirs(dirs: Vec<PathBuf>) -> Self {
        DiscoveryConfig { dirs }
    }
}

fn cwd_disabled(value: Option<OsString>) -> bool {
    value.is_some_and(|v| !v.is_empty() && v != "0" && v != "false")
}

/// True if `name` is a plugin file name for this platform.
pub fn is_plugin_file_name(name: &str) -> bool {
    let prefix = format!(
        "{}{}",
        std::env::consts::DLL_PREFIX,
        stowage_plugin_abi::PLUGIN_FILE_STEM_PREFIX
    );
    name.strip_prefix(&prefix)
        .and_then(|rest| rest.strip_suffix(std::env::consts::DLL_SUFFIX))
        .is_some_and(|plugin| !plugin.is_empty())
}

/// Plugin files in search order: sorted within a directory, canonicalized, first occurrence of
/// each file wins. Missing directories are skipped.
pub fn candidate_files(config: &DiscoveryConfig) -> Vec<PathBuf> {
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for dir in &config.dirs {
        let Ok(entries) = std::fs::read_dir(dir) else {
            continue;
        };
        let mut files: Vec<PathBuf> = entries
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_str().is_some_and(is_plugin_file_name))
            .map(|e| e.path())
            .collect();
        files.sort();
        for file in files {
            let canonical = std::fs::canonicalize(&file).unwrap_or(file);
            if canonical.is_file() && seen.insert(canonical.clone()) {
                out.push(canonical);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_prefixed_library_names_are_candidates() {
        assert!(is_plugin_file_name("libstowage_plugin_local.so"));
        assert!(!is_plugin_file_name("libstowage_plugin_.so"));
        assert!(!is_plugin_file_name("libz.so"));
        assert!(!is_plugin_file_name("stowage_plugin_local.so"));
        assert!(!is_plugin_file_name("libstowage_plugin_local.so.bak"));
    }

    #[test]
    fn duplicates_through_two_dirs_are_loaded_once() {
        let a = tempfile::tempdir().unwrap();
        let file = a.path().join("libstowage_plugin_x.so");
        std::fs::write(&file, b"x").unwrap();
        let b = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink(&file, b.path().join("libstowage_plugin_x.so")).unwrap();
        let config =
            DiscoveryConfig::only_dirs(vec![a.path().into(), b.path().into(), "/nope".into()]);
        assert_eq!(candidate_files(&config).len(), 1);
    }

    #[test]
    fn cwd_switch_values() {
        assert!(cwd_disabled(Some("1".into())));
        assert!(!cwd_disabled(Some("0".into())));
        assert!(!cwd_disabled(None));
    }
}
