//! Resolved key/value options handed to a plugin by the engine.
//!
//! Plugins never read environment variables or files for configuration: the engine resolves
//! every setting and passes strings. A plugin takes the keys it knows and calls
//! [`Options::finish`], which rejects leftovers with an error naming them.

use std::collections::BTreeMap;
use std::fmt;

use crate::{PluginError, Result};

/// Option keys whose values are secrets; their values never appear in `Debug` output.
const SECRET_MARKERS: &[&str] = &[
    "secret",
    "password",
    "passphrase",
    "token",
    "private_key",
    "key",
];

/// Resolved options (string keys and values).
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Options {
    values: BTreeMap<String, String>,
    taken: std::collections::BTreeSet<String>,
}

impl Options {
    /// Options from pairs; later duplicates win.
    pub fn new<K: Into<String>, V: Into<String>>(pairs: impl IntoIterator<Item = (K, V)>) -> Self {
        let values = pairs
            .into_iter()
            .map(|(k, v)| (k.into(), v.into()))
            .collect();
        Options {
            values,
            taken: Default::default(),
        }
    }

    /// Takes an optional value (marks the key as known).
    pub fn take(&mut self, key: &str) -> Option<String> {
        self.taken.insert(key.to_string());
        self.values.get(key).cloned()
    }

    /// Takes a boolean (`true/false/1/0/yes/no`, case-insensitive).
    pub fn take_bool(&mut self, key: &str) -> Result<Option<bool>> {
        match self.take(key) {
            None => Ok(None),
            Some(v) => match v.to_ascii_lowercase().as_str() {
                "true" | "1" | "yes" | "on" => Ok(Some(true)),
                "false" | "0" | "no" | "off" => Ok(Some(false)),
                _ => Err(PluginError::invalid(format!(
                    "option `{key}` must be true or false, got `{v}`"
                ))),
            },
        }
    }

    /// Takes an integer.
    pub fn take_u64(&mut self, key: &str) -> Result<Option<u64>> {
        match self.take(key) {
            None => Ok(None),
            Some(v) => v.trim().parse().map(Some).map_err(|_| {
                PluginError::invalid(format!("option `{key}` must be a whole number, got `{v}`"))
            }),
        }
    }

    /// Marks keys as known without reading them (options a plugin accepts and ignores).
    pub fn accept(&mut self, keys: &[&str]) {
        self.taken.extend(keys.iter().map(|k| k.to_string()));
    }

    /// Fails if any key was never taken, naming the unknown keys and the known ones.
    pub fn finish(self, plugin: &str) -> Result<()> {
        let unknown: Vec<&String> = self
            .values
            .keys()
            .filter(|k| !self.taken.contains(*k))
            .collect();
        if unknown.is_empty() {
            return Ok(());
        }
        let known: Vec<&String> = self.taken.iter().collect();
        Err(PluginError::invalid(format!(
            "unknown option(s) for {plugin}: {}; known options: {}",
            join(&unknown),
            join(&known)
        )))
    }

    /// All pairs (for passing across the ABI).
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.values.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// True if no options are set.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }
}

fn join(keys: &[&String]) -> String {
    if keys.is_empty() {
        return "(none)".into();
    }
    keys.iter()
        .map(|k| format!("`{k}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// True if an option key names a secret (its value must never be printed).
pub fn is_secret_key(key: &str) -> bool {
    let lower = key.to_ascii_lowercase();
    SECRET_MARKERS.iter().any(|m| lower.contains(m))
}

impl fmt::Debug for Options {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut map = f.debug_map();
        for (k, v) in &self.values {
            if is_secret_key(k) {
                map.entry(k, &"***");
            } else {
                map.entry(k, v);
            }
        }
        map.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_keys_are_named() {
        let mut opts = Options::new([("compression", "gzip"), ("colour", "red")]);
        assert_eq!(opts.take("compression").as_deref(), Some("gzip"));
        let err = opts.finish("jsonl").unwrap_err().to_string();
        assert!(
            err.contains("`colour`") && err.contains("`compression`"),
            "{err}"
        );
    }

    #[test]
    fn debug_masks_secrets() {
        let opts = Options::new([("aws_secret_access_key", "hunter2"), ("region", "eu")]);
        let dbg = format!("{opts:?}");
        assert!(!dbg.contains("hunter2") && dbg.contains("eu"), "{dbg}");
    }
}
