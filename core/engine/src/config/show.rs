//! Every setting Stowage knows, resolved for one destination and source, with its source and
//! secrets masked (what `stowage config show` prints).

use serde_json::{Map, Value, json};

use super::catalog::{self, Group, Kind, Setting};
use super::destination::{BackendOption, Destination};
use super::secret::{MASK, is_secret_name, redact_url};
use super::source::{Resolved, Source};
use super::value::text_of;
use super::{Config, Key};
use crate::bucket_url::{DEFAULT_BUCKET, scheme_of};

/// What to resolve settings for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShowContext {
    /// The destination name (`filesystem`, a named one, or a database destination — `duckdb`,
    /// `postgres` — whose staging bucket is `filesystem`).
    pub destination: String,
    /// The `[sources.<name>]` section, if any.
    pub source: Option<String>,
}

/// One setting as shown: value masked if secret, `None` if unset.
#[derive(Debug, Clone, PartialEq)]
pub struct ShownSetting {
    /// The most specific dotted key.
    pub key: String,
    /// The environment variable of that key.
    pub env_var: String,
    /// The value to print (masked for secrets), `None` if not set.
    pub value: Option<String>,
    /// True if the value is a secret (printed as `***`).
    pub secret: bool,
    /// Where the value came from (`Source::Default` for defaults), `None` if not set.
    pub source: Option<Source>,
    /// True if Stowage uses the setting today.
    pub applied: bool,
    /// Why the setting could not be resolved (a secret in config.toml, a bad value, …).
    pub error: Option<String>,
}

impl ShownSetting {
    /// The setting as JSON.
    pub fn to_json(&self) -> Value {
        json!({
            "key": self.key,
            "env_var": self.env_var,
            "value": self.value,
            "secret": self.secret,
            "source": self.source.as_ref().map(Source::to_json),
            "applied": self.applied,
            "error": self.error,
        })
    }
}

impl Config {
    /// Resolves every known setting (and the credential fields of the bucket URL's scheme) for
    /// `context`. Errors are kept per setting so one bad value does not hide the rest.
    pub fn show(&self, context: &ShowContext) -> Vec<ShownSetting> {
        let database = catalog::DATABASES
            .iter()
            .find(|d| **d == context.destination)
            .copied();
        let bucket_destination = match database {
            Some(_) => "filesystem",
            None => context.destination.as_str(),
        };
        let destination = self
            .destination(bucket_destination)
            .unwrap_or_else(|_| Destination::unchecked(bucket_destination));
        let mut out: Vec<ShownSetting> = catalog::SETTINGS
            .iter()
            .filter(|setting| shown_for(setting, database))
            .map(|setting| {
                let owner = match setting.group {
                    Group::Database => database.unwrap_or(bucket_destination),
                    _ => destination.name(),
                };
                let key =
                    catalog::key_of(setting, owner, context.source.as_deref(), self.pipeline());
                show_setting(self, setting, &key)
            })
            .collect();
        let bucket = self.bucket_url(&destination).ok().flatten();
        let scheme = scheme_of(bucket.as_ref().map_or(DEFAULT_BUCKET, |b| b.value.as_str()));
        out.extend(show_credentials(self, &destination, &scheme));
        if let Some(database) = database {
            out.extend(show_database_credentials(self, database));
        }
        out
    }
}

/// Database settings are shown for a database destination only, and then the bucket's copies
/// of them (`[destination.filesystem] replace_strategy`, …) are not.
fn shown_for(setting: &Setting, database: Option<&str>) -> bool {
    match (setting.group, database) {
        (Group::Database, database) => database.is_some(),
        (Group::Destination, Some(_)) => {
            catalog::setting_named(Group::Database, setting.name).is_none()
                || setting.name == "truncate_tables_on_staging_destination_before_load"
        }
        _ => true,
    }
}

/// `destination.<database>.credentials` (a connection string or a path, masked when it is a
/// secret) and its fields; secrets print as `***`.
fn show_database_credentials(config: &Config, database: &str) -> Vec<ShownSetting> {
    let whole_is_secret = database == "postgres";
    let mut out = vec![show_credential_key(
        config,
        &Key::new(&["destination", database], "credentials"),
        whole_is_secret,
    )];
    for field in catalog::destination_credential_fields(database).unwrap_or_default() {
        let key = catalog::credential_key(database, field.name);
        out.push(show_credential_key(config, &key, field.secret));
    }
    out
}

fn show_credential_key(config: &Config, key: &Key, secret: bool) -> ShownSetting {
    let mut shown = ShownSetting {
        key: key.dotted(),
        env_var: key.env_var(),
        value: None,
        secret,
        source: None,
        applied: true,
        error: None,
    };
    let found = match secret {
        true => config
            .secret(key)
            .map(|r| r.map(|r| Resolved::new(MASK.to_string(), r.source))),
        false => config.text(key),
    };
    match found {
        Ok(Some(resolved)) => {
            shown.value = Some(match secret {
                true => MASK.to_string(),
                false => redact_url(&resolved.value),
            });
            shown.source = Some(resolved.source);
        }
        Ok(None) => {}
        Err(e) => shown.error = Some(e.to_string()),
    }
    shown
}

fn show_setting(config: &Config, setting: &Setting, key: &Key) -> ShownSetting {
    let mut shown = ShownSetting {
        key: key.dotted(),
        env_var: key.env_var(),
        value: None,
        secret: setting.kind == Kind::Secret,
        source: None,
        applied: setting.applied,
        error: None,
    };
    match config.raw(key) {
        Ok(Some(resolved)) => {
            shown.value = Some(display_value(setting, &resolved.value));
            shown.source = Some(resolved.source);
        }
        Ok(None) => {
            if let Some(default) = setting.default {
                shown.value = Some(default.to_string());
                shown.source = Some(Source::Default);
            }
        }
        Err(e) => shown.error = Some(e.to_string()),
    }
    shown
}

fn display_value(setting: &Setting, value: &Value) -> String {
    match (setting.kind, value) {
        (Kind::Secret, _) => MASK.into(),
        (Kind::Dict, Value::Object(map)) => masked_dict(map),
        (Kind::Dict, Value::String(text)) => match serde_json::from_str::<Value>(text) {
            Ok(Value::Object(map)) => masked_dict(&map),
            _ => text.clone(),
        },
        _ if setting.group == Group::Destination && setting.name == "bucket_url" => {
            redact_url(&text_of(value))
        }
        _ => text_of(value),
    }
}

fn masked_dict(map: &Map<String, Value>) -> String {
    let masked: Map<String, Value> = map
        .iter()
        .map(|(k, v)| match is_secret_name(k) {
            true => (k.clone(), Value::String(MASK.into())),
            false => (k.clone(), v.clone()),
        })
        .collect();
    Value::Object(masked).to_string()
}

fn show_credentials(config: &Config, destination: &Destination, scheme: &str) -> Vec<ShownSetting> {
    let names: Vec<String> = match catalog::credential_fields(scheme) {
        Some(fields) => fields.iter().map(|f| f.name.to_string()).collect(),
        None => match config.credentials(destination, scheme) {
            Ok(found) => found.into_iter().map(|o| o.key).collect(),
            Err(_) => Vec::new(),
        },
    };
    names
        .iter()
        .map(|name| {
            let key = destination.credentials_key(name);
            let secret = catalog::is_secret_credential(name);
            let mut shown = ShownSetting {
                key: key.dotted(),
                env_var: key.env_var(),
                value: None,
                secret,
                source: None,
                applied: true,
                error: None,
            };
            match config.credential(destination, name) {
                Ok(Some(BackendOption { value, source, .. })) => {
                    shown.value = Some(match secret {
                        true => MASK.to_string(),
                        false => value.to_string(),
                    });
                    shown.source = Some(source);
                }
                Ok(None) => {}
                Err(e) => shown.error = Some(e.to_string()),
            }
            shown
        })
        .collect()
}
