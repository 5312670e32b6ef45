//! Filesystem destinations, plain (`filesystem`) or named (`[destination.my_name]` with
//! `destination_type = "filesystem"`), and the options handed to their backend plugin.
//!
//! Backend options follow the contract in the SDK docs: credential fields by dlt's name (only
//! those of the bucket URL's scheme; every key found for a scheme Stowage does not know), plus
//! `kwargs.<key>` and `client_kwargs.<key>` from the dict settings.

use std::fmt;

use stowage_plugin_sdk::Options;

use super::catalog::{self, Kind};
use super::key::Key;
use super::secret::Secret;
use super::source::Resolved;
use super::value::flatten_dict;
use super::{Config, Source};
use crate::bucket_url::{DEFAULT_BUCKET, scheme_of};
use crate::{Error, Result};

/// `destination_type` values naming the filesystem destination.
pub const FILESYSTEM_TYPES: &[&str] = &["filesystem", "dlt.destinations.filesystem"];

/// A filesystem destination and its config sections.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Destination {
    name: String,
}

impl Destination {
    /// A destination by name without checking its `destination_type` (for listings).
    pub(crate) fn unchecked(name: &str) -> Destination {
        Destination { name: name.into() }
    }

    /// The destination's name (`filesystem` or the named destination's).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// True for a named destination (no fallback to `destination.filesystem`).
    pub fn is_named(&self) -> bool {
        self.name != "filesystem"
    }

    /// The key of one of its fields: `destination.<name>.<field>`.
    pub fn key(&self, field: &str) -> Key {
        Key::new(&["destination", &self.name], field)
    }

    /// The key of one of its credential fields: `destination.<name>.credentials.<field>`.
    pub fn credentials_key(&self, field: &str) -> Key {
        catalog::credential_key(&self.name, field)
    }
}

/// A resolved backend option value: plain text or a secret.
#[derive(Clone, PartialEq, Eq)]
pub enum OptionValue {
    /// Printable text.
    Text(String),
    /// A secret (prints masked).
    Secret(Secret),
}

impl OptionValue {
    /// The value to hand to the plugin.
    pub fn expose(&self) -> &str {
        match self {
            OptionValue::Text(text) => text,
            OptionValue::Secret(secret) => secret.expose(),
        }
    }
}

impl fmt::Display for OptionValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OptionValue::Text(text) => f.write_str(text),
            OptionValue::Secret(secret) => fmt::Display::fmt(secret, f),
        }
    }
}

impl fmt::Debug for OptionValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OptionValue::Text(text) => fmt::Debug::fmt(text, f),
            OptionValue::Secret(secret) => fmt::Debug::fmt(secret, f),
        }
    }
}

/// One backend option with where it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct BackendOption {
    /// The option key (`aws_access_key_id`, `kwargs.auto_mkdir`, …).
    pub key: String,
    /// Its value (secrets masked when printed).
    pub value: OptionValue,
    /// Where it came from.
    pub source: Source,
}

impl Config {
    /// The destination called `name`: `filesystem`, or a named destination whose
    /// `destination_type` is `filesystem` (looked up exactly at
    /// `destination.<name>.destination_type`, pipeline-scoped first).
    pub fn destination(&self, name: &str) -> Result<Destination> {
        if name.is_empty() || name.contains('.') {
            return Err(Error::invalid(format!(
                "destination name `{name}` is not valid: use `filesystem` or the name of a \
                 `[destination.<name>]` section"
            )));
        }
        if name == "filesystem" {
            return Ok(Destination { name: name.into() });
        }
        let key = Key::exact(&["destination", name], "destination_type");
        match self.text(&key)? {
            Some(t) if FILESYSTEM_TYPES.contains(&t.value.as_str()) => {
                Ok(Destination { name: name.into() })
            }
            Some(t) => Err(Error::unsupported(format!(
                "destination `{name}` has destination_type `{}` ({}); Stowage loads only to \
                 `filesystem` destinations",
                t.value, t.source
            ))),
            None => Err(Error::invalid(format!(
                "destination `{name}` is not configured: add `[destination.{name}]` with \
                 `destination_type = \"filesystem\"` to .dlt/config.toml, or set {}=filesystem",
                key.env_var()
            ))),
        }
    }

    /// The bucket URL of a destination, if configured anywhere (flags included).
    pub fn bucket_url(&self, destination: &Destination) -> Result<Option<Resolved<String>>> {
        self.text(&destination.key("bucket_url"))
    }

    /// The options for the backend plugin of destination `name` (see the module docs).
    pub fn backend_options(&self, name: &str) -> Result<Options> {
        let destination = self.destination(name)?;
        let resolved = self.resolved_backend_options(&destination)?;
        Ok(Options::new(
            resolved
                .iter()
                .map(|o| (o.key.clone(), o.value.expose().to_string())),
        ))
    }

    /// The backend options with their sources (for logs and listings; secrets print masked).
    pub fn resolved_backend_options(
        &self,
        destination: &Destination,
    ) -> Result<Vec<BackendOption>> {
        let scheme = match self.bucket_url(destination)? {
            Some(url) => scheme_of(&url.value),
            None => scheme_of(DEFAULT_BUCKET),
        };
        let mut options = self.credentials(destination, &scheme)?;
        for dict in ["kwargs", "client_kwargs"] {
            if let Some(resolved) = self.dict(&destination.key(dict))? {
                options.extend(flatten_dict(dict, &resolved.value).into_iter().map(
                    |(key, value)| BackendOption {
                        value: option_value(&key, value),
                        key,
                        source: resolved.source.clone(),
                    },
                ));
            }
        }
        Ok(options)
    }

    /// The credential fields found for `scheme` (see [`catalog::credential_fields`]).
    pub fn credentials(
        &self,
        destination: &Destination,
        scheme: &str,
    ) -> Result<Vec<BackendOption>> {
        let names: Vec<String> = match catalog::credential_fields(scheme) {
            Some(fields) => fields.iter().map(|f| f.name.to_string()).collect(),
            None => self.credential_names_found(destination),
        };
        let mut options = Vec::new();
        for name in names {
            if let Some(option) = self.credential(destination, &name)? {
                options.push(option);
            }
        }
        Ok(options)
    }

    /// One credential field, typed as its catalog entry says.
    pub fn credential(
        &self,
        destination: &Destination,
        name: &str,
    ) -> Result<Option<BackendOption>> {
        let key = destination.credentials_key(name);
        let field = catalog::credential_field(name);
        let value = if catalog::is_secret_credential(name) {
            self.secret(&key)?.map(|r| r.map(OptionValue::Secret))
        } else {
            match field.map(|f| f.kind) {
                Some(Kind::Bool) => self
                    .boolean(&key)?
                    .map(|r| r.map(|b| OptionValue::Text(b.to_string()))),
                Some(Kind::Int) => self
                    .uint(&key)?
                    .map(|r| r.map(|n| OptionValue::Text(n.to_string()))),
                Some(Kind::Float) => self.float_text(&key)?,
                _ => self.text(&key)?.map(|r| r.map(OptionValue::Text)),
            }
        };
        Ok(value.map(|r| BackendOption {
            key: name.to_string(),
            value: r.value,
            source: r.source,
        }))
    }

    fn float_text(&self, key: &Key) -> Result<Option<Resolved<OptionValue>>> {
        let Some(text) = self.text(key)? else {
            return Ok(None);
        };
        if text.value.trim().parse::<f64>().is_err() {
            return Err(Error::invalid(format!(
                "`{key}` ({}) must be a number, got `{}`",
                text.source, text.value
            )));
        }
        Ok(Some(text.map(OptionValue::Text)))
    }

    /// Credential keys present anywhere on the destination's credential paths.
    fn credential_names_found(&self, destination: &Destination) -> Vec<String> {
        let probe = destination.credentials_key("_");
        let mut names = std::collections::BTreeSet::new();
        for path in probe.paths(None) {
            let parent: Vec<&str> = path[..path.len() - 1].iter().map(String::as_str).collect();
            names.extend(self.children(&parent));
        }
        names.into_iter().collect()
    }
}

fn option_value(key: &str, value: String) -> OptionValue {
    let last = key.rsplit('.').next().unwrap_or(key);
    match super::secret::is_secret_name(last) {
        true => OptionValue::Secret(Secret::new(value)),
        false => OptionValue::Text(value),
    }
}
