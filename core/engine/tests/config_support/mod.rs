//! Helpers shared by the config tests: a project dir with `.dlt/config.toml` and
//! `.dlt/secrets.toml` loaded into a `Config`, and its diagnostics as text.

#![allow(dead_code)]

use stowage::config::{Config, ConfigSources};

/// `config_toml` and `secrets_toml` written into a fresh project's `.dlt/`, loaded with `env`
/// as the environment; the temp dir lives as long as the caller keeps it.
pub fn load(
    config_toml: &str,
    secrets_toml: &str,
    env: &[(&str, &str)],
) -> (tempfile::TempDir, Config) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join(".dlt")).unwrap();
    std::fs::write(dir.path().join(".dlt/config.toml"), config_toml).unwrap();
    std::fs::write(dir.path().join(".dlt/secrets.toml"), secrets_toml).unwrap();
    let config = Config::load(ConfigSources {
        project_dir: dir.path().to_path_buf(),
        global_dir: None,
        env: env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        flags: Vec::new(),
    })
    .unwrap();
    (dir, config)
}

/// The config's diagnostics, one line each.
pub fn warnings(config: &Config) -> Vec<String> {
    config.diagnostics().iter().map(|d| d.to_string()).collect()
}
