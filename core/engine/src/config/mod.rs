//! Configuration resolved the way dlt does it, for every setting and every plugin.
//!
//! Plugins never read environment variables or files: the engine resolves settings here and
//! hands plugins plain strings ([`Config::backend_options`]).
//!
//! **Providers**, highest first: command-line flags, environment variables,
//! `<project>/.dlt/secrets.toml`, `<global>/secrets.toml`, `<project>/.dlt/config.toml`,
//! `<global>/config.toml` (project dir = the working directory unless overridden; global dir =
//! `DLT_DATA_DIR` or `~/.dlt`). The first provider holding a value wins.
//!
//! **Sections**: a [`Key`] is searched most specific first, dropping sections from the end:
//! `destination.filesystem.bucket_url` → `destination.bucket_url` → `bucket_url`; embedded
//! sections stay: `destination.filesystem.credentials.x` → `destination.credentials.x` →
//! `credentials.x`. Environment variables spell a path uppercased and joined by `__`
//! (`DESTINATION__FILESYSTEM__BUCKET_URL`).
//!
//! **Pipeline scope**: with a pipeline name set ([`Config::set_pipeline`]), every provider is
//! searched first under `<pipeline>.` (`[my_pipe.destination.filesystem]`,
//! `MY_PIPE__DESTINATION__FILESYSTEM__BUCKET_URL`), then without it.
//!
//! **Secrets** ([`Config::secret`]) are never taken from `config.toml`: finding one there is an
//! error (dlt raises `ValueNotSecretException`), and loading warns about it up front. Values of
//! type [`Secret`] never print.
//!
//! **Named destinations**: `[destination.my_name]` with `destination_type = "filesystem"` has
//! the sections `destination.my_name` and does *not* fall back to `destination.filesystem`
//! ([`Config::destination`]).
//!
//! **Dicts** (`kwargs`, `client_kwargs`, `extra_placeholders`, …) are a JSON object string or a
//! TOML (inline) table ([`Config::dict`]).
//!
//! ```
//! use stowage::config::{Config, ConfigSources, Key};
//!
//! let dir = tempfile::tempdir()?;
//! std::fs::create_dir(dir.path().join(".dlt"))?;
//! std::fs::write(
//!     dir.path().join(".dlt/config.toml"),
//!     "[destination]\nbucket_url = \"s3://from-config\"\n",
//! )?;
//! let sources = ConfigSources {
//!     project_dir: dir.path().to_path_buf(),
//!     env: vec![("MY_PIPE__DESTINATION__FILESYSTEM__BUCKET_URL".into(), "s3://scoped".into())],
//!     ..ConfigSources::default()
//! };
//! let mut config = Config::load(sources)?;
//! let url = config.resolve(&["destination", "filesystem"], "bucket_url")?.unwrap();
//! assert_eq!(url.value, "s3://from-config"); // found by falling back to `destination.bucket_url`
//! config.set_pipeline(Some("my_pipe"));
//! let url = config.text(&Key::new(&["destination", "filesystem"], "bucket_url"))?.unwrap();
//! assert_eq!(url.value, "s3://scoped");
//! assert_eq!(url.source.to_string(), "env MY_PIPE__DESTINATION__FILESYSTEM__BUCKET_URL");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod catalog;
mod data_source;
mod destination;
mod key;
mod provider;
mod secret;
mod show;
mod source;
mod suggest;
mod toml_file;
mod validate;
mod value;

use std::collections::BTreeSet;
use std::fmt;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

pub use destination::{BackendOption, Destination, FILESYSTEM_TYPES, OptionValue};
pub use key::{Key, env_var_name};
pub use secret::{MASK, Secret, is_secret_name, redact_url, secrets_in_url};
pub use show::{ShowContext, ShownSetting};
pub use source::{Resolved, Source};
pub use suggest::{did_you_mean, edit_distance};
pub use toml_file::FileKind;
pub use validate::Diagnostic;
pub use value::flatten_dict;

use provider::{Flags, Found, Provider};
use toml_file::TomlFile;
use value::Origin;

use crate::{Error, Result};

/// The folder of a project's TOML files, as in dlt.
pub const SETTINGS_DIR: &str = ".dlt";

/// The value `stowage init` (and `dlt init`) writes for settings the user must fill in.
pub const PLACEHOLDER: &str = "<configure me>";

/// Where configuration comes from.
#[derive(Clone, Default)]
pub struct ConfigSources {
    /// The project dir; its `.dlt/` holds `config.toml` and `secrets.toml`.
    pub project_dir: PathBuf,
    /// The global dir holding `config.toml` and `secrets.toml` directly (`~/.dlt`).
    pub global_dir: Option<PathBuf>,
    /// Environment variables (only names containing `__` are used).
    pub env: Vec<(String, String)>,
    /// Command-line flags (override everything).
    pub flags: Vec<FlagValue>,
}

/// One command-line flag setting a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlagValue {
    /// The most specific dotted path it sets (see [`Key::dotted`]).
    pub key: String,
    /// The value.
    pub value: String,
    /// The flag as typed (`--bucket-url`).
    pub flag: String,
}

impl ConfigSources {
    /// Sources of this process: project dir = `project_dir`, else `DLT_PROJECT_DIR`, else the
    /// working directory; global dir = `DLT_DATA_DIR`, else `~/.dlt`; the process environment.
    pub fn from_process(project_dir: Option<PathBuf>) -> Result<ConfigSources> {
        let project_dir =
            match project_dir.or_else(|| std::env::var_os("DLT_PROJECT_DIR").map(PathBuf::from)) {
                Some(dir) => dir,
                None => std::env::current_dir()
                    .map_err(|e| Error::from_io(&e, "reading the current directory"))?,
            };
        let global_dir = std::env::var_os("DLT_DATA_DIR")
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".dlt")));
        let env = std::env::vars_os()
            .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
            .collect();
        Ok(ConfigSources {
            project_dir,
            global_dir,
            env,
            flags: Vec::new(),
        })
    }
}

impl fmt::Debug for ConfigSources {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConfigSources")
            .field("project_dir", &self.project_dir)
            .field("global_dir", &self.global_dir)
            .field("env_vars", &self.env.len())
            .field(
                "flags",
                &self.flags.iter().map(|f| &f.flag).collect::<Vec<_>>(),
            )
            .finish()
    }
}

/// A TOML file that was read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadedFile {
    /// Its path.
    pub path: PathBuf,
    /// `secrets.toml` or `config.toml`.
    pub kind: FileKind,
}

/// The resolved configuration: providers, the pipeline scope, and load-time diagnostics.
#[derive(Clone)]
pub struct Config {
    flags: Flags,
    providers: Vec<Provider>,
    pipeline: Option<String>,
    project_dir: PathBuf,
    global_dir: Option<PathBuf>,
    files: Vec<LoadedFile>,
    diagnostics: Vec<Diagnostic>,
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("project_dir", &self.project_dir)
            .field("global_dir", &self.global_dir)
            .field("files", &self.files)
            .field("pipeline", &self.pipeline)
            .field("diagnostics", &self.diagnostics.len())
            .finish_non_exhaustive()
    }
}

impl Config {
    /// Reads the TOML files and checks every key of known sections (see [`Config::diagnostics`]).
    /// Fails only on unreadable or invalid TOML.
    pub fn load(sources: ConfigSources) -> Result<Config> {
        let mut providers = vec![Provider::env(sources.env)];
        let mut files = Vec::new();
        let project = sources.project_dir.join(SETTINGS_DIR);
        let mut dirs = vec![project.clone()];
        if let Some(global) = &sources.global_dir
            && !same_dir(global, &project)
        {
            dirs.push(global.clone());
        }
        for (kind, name) in [
            (FileKind::Secrets, "secrets.toml"),
            (FileKind::Config, "config.toml"),
        ] {
            for dir in &dirs {
                let path = dir.join(name);
                if let Some(file) = TomlFile::read(&path, kind)? {
                    files.push(LoadedFile { path, kind });
                    providers.push(Provider::File(file));
                }
            }
        }
        let mut flags = Flags::default();
        for flag in &sources.flags {
            flags.set(&flag.key, &flag.value, &flag.flag);
        }
        let diagnostics = validate::check(&providers);
        Ok(Config {
            flags,
            providers,
            pipeline: None,
            project_dir: sources.project_dir,
            global_dir: sources.global_dir,
            files,
            diagnostics,
        })
    }

    /// The project dir.
    pub fn project_dir(&self) -> &Path {
        &self.project_dir
    }

    /// The global dir, if any.
    pub fn global_dir(&self) -> Option<&Path> {
        self.global_dir.as_deref()
    }

    /// The TOML files read, highest priority first.
    pub fn files(&self) -> &[LoadedFile] {
        &self.files
    }

    /// Warnings found while loading: unknown keys in known sections (with a did-you-mean) and
    /// secrets written in `config.toml`.
    pub fn diagnostics(&self) -> &[Diagnostic] {
        &self.diagnostics
    }

    /// Sets the pipeline name whose sections are searched first (`None`: no scope).
    pub fn set_pipeline(&mut self, pipeline: Option<&str>) {
        self.pipeline = pipeline.map(str::to_string);
    }

    /// The pipeline scope.
    pub fn pipeline(&self) -> Option<&str> {
        self.pipeline.as_deref()
    }

    /// Sets a key from a command-line flag (overrides every provider).
    pub fn set_flag(&mut self, key: &Key, value: &str, flag: &str) {
        self.flags.set(&key.dotted(), value, flag);
    }

    /// Text setting at `sections`/`name` (a shortcut for [`Config::text`]).
    pub fn resolve(&self, sections: &[&str], name: &str) -> Result<Option<Resolved<String>>> {
        self.text(&Key::new(sections, name))
    }

    /// The raw value of a (non-secret) key: JSON from TOML, a string from env vars and flags.
    pub fn raw(&self, key: &Key) -> Result<Option<Resolved<Value>>> {
        let tables_ok = catalog::is_dict_setting(key.name());
        Ok(self
            .find(key, false, tables_ok)?
            .map(|found| Resolved::new(found.value, found.source)))
    }

    /// A text setting.
    pub fn text(&self, key: &Key) -> Result<Option<Resolved<String>>> {
        self.typed(key, Want::Scalar, value::as_text)
    }

    /// A boolean setting.
    pub fn boolean(&self, key: &Key) -> Result<Option<Resolved<bool>>> {
        self.typed(key, Want::Scalar, value::as_bool)
    }

    /// A whole-number setting.
    pub fn uint(&self, key: &Key) -> Result<Option<Resolved<u64>>> {
        self.typed(key, Want::Scalar, value::as_u64)
    }

    /// A whole-number setting that may be negative.
    pub fn int(&self, key: &Key) -> Result<Option<Resolved<i64>>> {
        self.typed(key, Want::Scalar, value::as_i64)
    }

    /// A dict setting: a JSON object string or a TOML (inline) table.
    pub fn dict(&self, key: &Key) -> Result<Option<Resolved<Map<String, Value>>>> {
        self.typed(key, Want::Dict, value::as_dict)
    }

    /// A secret: never taken from `config.toml` (an error if it is only there), never printed.
    pub fn secret(&self, key: &Key) -> Result<Option<Resolved<Secret>>> {
        self.typed(key, Want::Secret, |v, origin| {
            value::as_text(v, origin).map(Secret::new)
        })
    }

    /// Names found directly under the section `path` in any provider (scoped and unscoped).
    pub fn children(&self, path: &[&str]) -> BTreeSet<String> {
        let path: Vec<String> = path.iter().map(|s| s.to_string()).collect();
        let mut scoped = Vec::new();
        if let Some(pipeline) = &self.pipeline {
            scoped.push(pipeline.clone());
            scoped.extend(path.iter().cloned());
        }
        let mut names: BTreeSet<String> = self.flags.children(&path).into_iter().collect();
        for provider in &self.providers {
            names.extend(provider.children(&path));
            if !scoped.is_empty() {
                names.extend(provider.children(&scoped));
            }
        }
        names
    }

    fn typed<T>(
        &self,
        key: &Key,
        want: Want,
        read: impl FnOnce(&Value, &Origin<'_>) -> Result<T>,
    ) -> Result<Option<Resolved<T>>> {
        let secret = want == Want::Secret;
        let Some(found) = self.find(key, secret, want == Want::Dict)? else {
            return Ok(None);
        };
        let dotted = key.dotted();
        let origin = Origin {
            key: &dotted,
            source: &found.source,
            secret,
        };
        let value = read(&found.value, &origin)?;
        Ok(Some(Resolved::new(value, found.source)))
    }

    /// dlt's lookup: flags; then for each scope (pipeline, none), each provider in order, each
    /// section path most specific first. A TOML table is a value only for dict settings
    /// (`tables_ok`); otherwise it is a section and the search goes on.
    fn find(&self, key: &Key, secret: bool, tables_ok: bool) -> Result<Option<Found>> {
        for path in key.paths(None) {
            if let Some(found) = self.flags.get(&path) {
                return Ok(Some(found));
            }
        }
        let scopes = self.pipeline.as_deref().map(Some).into_iter().chain([None]);
        for scope in scopes {
            let paths = key.paths(scope);
            for provider in &self.providers {
                for path in &paths {
                    let Some(found) = provider.get(path) else {
                        continue;
                    };
                    if found.value.is_object() && !tables_ok {
                        continue;
                    }
                    if secret && !provider.holds_secrets() {
                        return Err(secret_in_config(key, &found.source));
                    }
                    check_placeholder(key, &found)?;
                    return Ok(Some(found));
                }
            }
        }
        Ok(None)
    }
}

/// What a lookup is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Want {
    Scalar,
    Dict,
    Secret,
}

fn same_dir(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}

fn secret_in_config(key: &Key, source: &Source) -> Error {
    Error::invalid(format!(
        "`{key}` is a secret, but it is set in config.toml ({source}), which never holds \
         secrets: move it to .dlt/secrets.toml or set {} (dlt refuses it the same way)",
        key.env_var()
    ))
}

fn check_placeholder(key: &Key, found: &Found) -> Result<()> {
    match &found.value {
        Value::String(s) if s.contains(PLACEHOLDER) => Err(Error::invalid(format!(
            "`{key}` is still `{PLACEHOLDER}` ({}): fill it in, or delete the line if you do \
             not need it",
            found.source
        ))),
        _ => Ok(()),
    }
}
