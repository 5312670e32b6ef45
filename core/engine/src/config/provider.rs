//! Config providers in dlt's order: environment variables, then `secrets.toml`, then
//! `config.toml` (project files before global ones). Command-line flags sit above all of them
//! and are kept apart (see [`Flags`]).

use std::collections::BTreeMap;

use serde_json::Value;

use super::key::env_var_name;
use super::source::Source;
use super::toml_file::{FileKind, TomlFile};

/// A value found by one provider.
#[derive(Clone)]
pub(crate) struct Found {
    pub value: Value,
    pub source: Source,
}

/// Any node a provider holds (for validation and listings).
#[derive(Clone)]
pub(crate) struct Entry {
    pub path: Vec<String>,
    pub source: Source,
    pub is_table: bool,
    /// True if the entry is in a file that must not hold secrets.
    pub in_config_toml: bool,
}

/// One provider.
#[derive(Clone)]
pub(crate) enum Provider {
    /// Environment variables (only dlt-style names containing `__` are kept).
    Env(BTreeMap<String, String>),
    /// A TOML file.
    File(TomlFile),
}

impl Provider {
    /// Environment variables from `(name, value)` pairs.
    pub fn env(vars: impl IntoIterator<Item = (String, String)>) -> Provider {
        Provider::Env(
            vars.into_iter()
                .filter(|(name, _)| name.contains("__"))
                .collect(),
        )
    }

    /// True if this provider may hold secret values (`config.toml` may not).
    pub fn holds_secrets(&self) -> bool {
        match self {
            Provider::Env(_) => true,
            Provider::File(file) => file.kind == FileKind::Secrets,
        }
    }

    /// The value at `path`.
    pub fn get(&self, path: &[String]) -> Option<Found> {
        match self {
            Provider::Env(vars) => {
                let var = env_var_name(path);
                vars.get(&var).map(|value| Found {
                    value: Value::String(value.clone()),
                    source: Source::Env { var },
                })
            }
            Provider::File(file) => file.get(path).map(|node| Found {
                value: node.value.clone(),
                source: file_source(file, path, node.line),
            }),
        }
    }

    /// Names directly under `path` (tables and values; lowercased for environment variables).
    pub fn children(&self, path: &[String]) -> Vec<String> {
        match self {
            Provider::Env(vars) => {
                let prefix = format!("{}__", env_var_name(path));
                vars.keys()
                    .filter_map(|var| var.strip_prefix(&prefix)?.split("__").next())
                    .filter(|name| !name.is_empty())
                    .map(str::to_ascii_lowercase)
                    .collect()
            }
            Provider::File(file) => file.children(path),
        }
    }

    /// Every node (env vars split into lowercased segments).
    pub fn entries(&self) -> Vec<Entry> {
        match self {
            Provider::Env(vars) => vars
                .keys()
                .map(|var| Entry {
                    path: var.split("__").map(str::to_ascii_lowercase).collect(),
                    source: Source::Env { var: var.clone() },
                    is_table: false,
                    in_config_toml: false,
                })
                .collect(),
            Provider::File(file) => file
                .nodes
                .iter()
                .map(|(path, node)| Entry {
                    path: path.clone(),
                    source: file_source(file, path, node.line),
                    is_table: node.is_table,
                    in_config_toml: file.kind == FileKind::Config,
                })
                .collect(),
        }
    }
}

fn file_source(file: &TomlFile, path: &[String], line: usize) -> Source {
    Source::File {
        path: file.path.clone(),
        line,
        key: path.join("."),
    }
}

/// Values given as command-line flags, by dotted path; they override every provider.
#[derive(Clone, Default)]
pub(crate) struct Flags {
    values: BTreeMap<String, (String, String)>,
}

impl Flags {
    /// Sets `dotted` to `value`, given as `flag`.
    pub fn set(&mut self, dotted: &str, value: &str, flag: &str) {
        self.values
            .insert(dotted.to_string(), (value.to_string(), flag.to_string()));
    }

    /// The flag value at `path`.
    pub fn get(&self, path: &[String]) -> Option<Found> {
        self.values.get(&path.join(".")).map(|(value, flag)| Found {
            value: Value::String(value.clone()),
            source: Source::Flag { flag: flag.clone() },
        })
    }

    /// Names directly under `path`.
    pub fn children(&self, path: &[String]) -> Vec<String> {
        let prefix = match path.is_empty() {
            true => String::new(),
            false => format!("{}.", path.join(".")),
        };
        self.values
            .keys()
            .filter_map(|k| k.strip_prefix(&prefix)?.split('.').next())
            .map(str::to_string)
            .collect()
    }
}
