//! Settings of a staged run (issue 10): `--destination duckdb|postgres` loads through the
//! staging bucket destination (`--staging filesystem`, the default for a database), with the
//! destination's credentials and the staging settings from config:
//!
//! - the destination: `--destination`, else dlt's `destination_type` (and `--staging`, else
//!   `staging_type`) under `[pipelines.<pipeline>]`, `[pipelines]` or the top level;
//! - `destination.duckdb.credentials` (or its `database` field): the database file [default:
//!   `<project>/<pipeline>.duckdb`];
//! - `destination.postgres.credentials`: a connection string, or its fields (`database`,
//!   `username`, `password`, `host`, `port`, `connect_timeout`, `sslmode`: the config catalog's
//!   `POSTGRES`); the string and the password are secrets (never from config.toml, scrubbed
//!   from all output);
//! - `destination.<name>.staging_dataset_name_layout` [`%s_staging`], `…replace_strategy`
//!   [`truncate-and-insert`], `…merge_strategy` [`delete-insert`];
//! - `destination.filesystem.truncate_tables_on_staging_destination_before_load` [true];
//! - `load.truncate_staging_dataset` [false];
//! - merge keys: `--primary-key`, `--merge-key`, `--dedup-sort`, else `primary_key`,
//!   `merge_key`, `dedup_sort` of the `[sources.<name>]` section.
//!
//! `stowage load` finishes pending staged packages into the destination their package
//! records (or `--destination`), with these settings (keys come from the package).

use serde_json::Value;
use stowage::config::{Config, ConfigSources, Key, catalog, secrets_in_url};
use stowage::pipeline::RunOptions;
use stowage::staging::{DedupSort, MergeStrategy, ReplaceStrategy, StagingOptions};
use stowage::{Error, Options};

use crate::args::{Cli, RunArgs, TargetArgs};
use crate::exit::{CliError, CliResult, Failed};
use crate::output;

/// Database destinations (plugins that load staged files).
const DATABASES: &[&str] = catalog::DATABASES;
/// Bucket destinations that can stage.
const STAGING: &[&str] = &["filesystem"];

/// The database destination of a run and the bucket destination staging for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatabaseTarget {
    /// `duckdb` or `postgres`.
    pub name: String,
    /// The staging bucket destination (`filesystem`).
    pub staging: String,
}

/// A destination or staging value from a flag or config (`dlt.destinations.duckdb` → `duckdb`).
struct Chosen {
    value: String,
    /// `--destination` / `--staging`, or the config key and where it was found.
    origin: String,
}

/// The database destination of this run, if any: `--destination`/`--staging`, else
/// `destination_type`/`staging_type` from config (dlt's pipeline settings, under
/// `[pipelines.<pipeline>]`, `[pipelines]` or the top level; `config` must have the pipeline
/// scope set). `--staging` (or `staging_type`) alone means duckdb, the default database. Flags
/// override config: `--destination filesystem` ignores a configured database.
pub fn database_destination(config: &Config, args: &RunArgs) -> CliResult<Option<DatabaseTarget>> {
    let pipeline = config.pipeline();
    let from_config = |name: &str| -> CliResult<Option<Chosen>> {
        let key = catalog::pipeline_key(pipeline, name);
        Ok(config.text(&key).or_config()?.map(|r| Chosen {
            value: short_name(&r.value),
            origin: format!("`{name}` ({})", r.source),
        }))
    };
    let destination = match &args.target.destination {
        Some(d) => Some(Chosen {
            value: d.clone(),
            origin: "--destination".into(),
        }),
        None => from_config("destination_type")?,
    };
    let staging = match &args.staging {
        Some(s) => Some(Chosen {
            value: s.clone(),
            origin: "--staging".into(),
        }),
        // A configured staging applies to a configured (or implied) database only.
        None if args.target.destination.is_none() => from_config("staging_type")?,
        None => None,
    };
    if let Some(staging) = &staging
        && !STAGING.contains(&staging.value.as_str())
    {
        return Err(CliError::usage(format!(
            "{} `{}` is not a staging destination (supported: {})",
            staging.origin,
            staging.value,
            STAGING.join(", ")
        )));
    }
    let target = |name: &str| DatabaseTarget {
        name: name.to_string(),
        staging: staging
            .as_ref()
            .map_or_else(|| "filesystem".into(), |s| s.value.clone()),
    };
    match destination {
        Some(d) if DATABASES.contains(&d.value.as_str()) => Ok(Some(target(&d.value))),
        Some(d) if staging.is_some() && !STAGING.contains(&d.value.as_str()) => {
            Err(CliError::usage(format!(
                "{} `{}` cannot load from a staging bucket (supported: {})",
                d.origin,
                d.value,
                DATABASES.join(", ")
            )))
        }
        Some(d) if d.origin != "--destination" && !STAGING.contains(&d.value.as_str()) => {
            Err(CliError::config(Error::unsupported(format!(
                "{} `{}` is not a destination stowage loads to (supported: filesystem, {})",
                d.origin,
                d.value,
                DATABASES.join(", ")
            ))))
        }
        None if staging.is_some() => Ok(Some(target("duckdb"))),
        _ => Ok(None),
    }
}

/// The database destination named by `destination_type` in config, if any (`config` has the
/// pipeline scope set).
pub fn configured_database(config: &Config) -> CliResult<Option<String>> {
    let text = |name: &str| -> CliResult<Option<String>> {
        let key = catalog::pipeline_key(config.pipeline(), name);
        Ok(config.text(&key).or_config()?.map(|r| short_name(&r.value)))
    };
    Ok(match text("destination_type")? {
        Some(d) => Some(d).filter(|d| DATABASES.contains(&d.as_str())),
        // `staging_type` alone means duckdb, as `--staging` alone does.
        None => text("staging_type")?.map(|_| "duckdb".to_string()),
    })
}

/// dlt's destination references may be module paths (`dlt.destinations.duckdb`).
fn short_name(reference: &str) -> String {
    reference
        .trim()
        .strip_prefix("dlt.destinations.")
        .unwrap_or(reference.trim())
        .to_string()
}

/// Refuses a run into `database` while its config sections have unknown keys or a secret in
/// config.toml (the warnings name the key and the fix).
fn check_database_sections(config: &Config, database: &str) -> CliResult<()> {
    let problems: Vec<String> = config
        .diagnostics()
        .iter()
        .filter(|d| d.database.as_deref() == Some(database))
        .map(|d| d.to_string())
        .collect();
    match problems.is_empty() {
        true => Ok(()),
        false => Err(CliError::config(Error::invalid(format!(
            "the settings of destination `{database}` have problems: {}",
            problems.join("; ")
        )))),
    }
}

fn text(config: &Config, sections: &[&str], name: &str) -> CliResult<Option<String>> {
    Ok(config
        .text(&Key::new(sections, name))
        .or_config()?
        .map(|r| r.value))
}

/// The database `stowage load --destination` names, if any.
pub fn load_destination(target: &TargetArgs) -> Option<String> {
    target
        .destination
        .clone()
        .filter(|d| DATABASES.contains(&d.as_str()))
}

/// The staging options of a run into `database`.
pub fn staging_options(
    config: &Config,
    args: &RunArgs,
    database: &str,
    options: &RunOptions,
) -> CliResult<StagingOptions> {
    let mut staging = base_options(config, database, &options.pipeline)?;
    staging.format_explicit = args.format.is_some();
    let source = crate::settings::choose_source(config, &args.target, args.input.is_none())?;
    let source_key = |name: &str| Config::source_key(source.as_deref(), name);
    staging.primary_key = match args.primary_key.is_empty() {
        true => columns(config, &source_key("primary_key"))?,
        false => args.primary_key.clone(),
    };
    staging.merge_key = match args.merge_key.is_empty() {
        true => columns(config, &source_key("merge_key"))?,
        false => args.merge_key.clone(),
    };
    let dedup_sort = match &args.dedup_sort {
        Some(text) => Some(text.clone()),
        None => config
            .text(&source_key("dedup_sort"))
            .or_config()?
            .map(|r| r.value),
    };
    staging.dedup_sort = dedup_sort
        .map(|d| DedupSort::parse(&d))
        .transpose()
        .map_err(CliError::config)?;
    Ok(staging)
}

/// The staging options `stowage load` finishes pending packages of `options.pipeline` with.
pub fn load_options(cli: &Cli, options: &RunOptions, database: &str) -> CliResult<StagingOptions> {
    let sources = ConfigSources::from_process(cli.project_dir.clone()).or_config()?;
    let mut config = Config::load(sources).or_config()?;
    config.set_pipeline(Some(&options.pipeline));
    base_options(&config, database, &options.pipeline)
}

/// Key columns from config: `"a,b"` or `["a", "b"]`.
fn columns(config: &Config, key: &Key) -> CliResult<Vec<String>> {
    let Some(found) = config.raw(key).or_config()? else {
        return Ok(Vec::new());
    };
    let list = match &found.value {
        Value::String(text) => text.split(',').map(|c| c.trim().to_string()).collect(),
        Value::Array(items) => items
            .iter()
            .map(|v| v.as_str().map(String::from))
            .collect::<Option<Vec<String>>>()
            .ok_or_else(|| {
                CliError::config(Error::invalid(format!(
                    "`{key}` ({}) must be a column name or a list of column names",
                    found.source
                )))
            })?,
        other => {
            return Err(CliError::config(Error::invalid(format!(
                "`{key}` ({}) must be a column name or a list of column names, not {other}",
                found.source
            ))));
        }
    };
    Ok(list.into_iter().filter(|c| !c.is_empty()).collect())
}

/// Everything but the run's flags: credentials, layouts, strategies, truncation.
fn base_options(config: &Config, database: &str, pipeline: &str) -> CliResult<StagingOptions> {
    check_database_sections(config, database)?;
    let mut staging = StagingOptions::new(database);
    let section = ["destination", database];
    staging.destination_options = destination_options(config, database, pipeline)?;
    if let Some(layout) = text(config, &section, "staging_dataset_name_layout")? {
        staging.staging_dataset_layout = layout;
    }
    if let Some(s) = text(config, &section, "replace_strategy")? {
        staging.replace_strategy = ReplaceStrategy::parse(&s).map_err(CliError::config)?;
    }
    if let Some(s) = text(config, &section, "merge_strategy")? {
        staging.merge_strategy = MergeStrategy::parse(&s).map_err(CliError::config)?;
    }
    let key = Key::new(
        &["destination", "filesystem"],
        "truncate_tables_on_staging_destination_before_load",
    );
    if let Some(r) = config.boolean(&key).or_config()? {
        staging.truncate_staged_files = r.value;
    }
    if let Some(r) = config
        .boolean(&Key::new(&["load"], "truncate_staging_dataset"))
        .or_config()?
    {
        staging.truncate_staging_dataset = r.value;
    }
    Ok(staging)
}

/// The destination plugin's options (credentials).
fn destination_options(config: &Config, database: &str, pipeline: &str) -> CliResult<Options> {
    let section = ["destination", database];
    match database {
        "duckdb" => {
            let field = config
                .text(&catalog::credential_key(database, "database"))
                .or_config()?
                .map(|r| r.value);
            let file = match text(config, &section, "credentials")?.or(field) {
                Some(file) => file,
                None => config
                    .project_dir()
                    .join(format!("{pipeline}.duckdb"))
                    .to_str()
                    .ok_or_else(|| CliError::config(Error::invalid("project dir is not UTF-8")))?
                    .to_string(),
            };
            Ok(Options::new([("credentials", file)]))
        }
        _ => {
            let mut pairs: Vec<(String, String)> = Vec::new();
            if let Some(c) = secret(config, &section, "credentials")? {
                register_connection_secrets(&c);
                pairs.push(("credentials".into(), c));
            }
            let cred_section = ["destination", database, "credentials"];
            let fields = catalog::destination_credential_fields(database).unwrap_or_default();
            for field in fields {
                let value = match field.secret {
                    true => secret(config, &cred_section, field.name)?,
                    false => text(config, &cred_section, field.name)?,
                };
                if let Some(value) = value {
                    if field.secret {
                        output::register_secret(&value);
                    }
                    pairs.push((field.name.into(), value));
                }
            }
            Ok(Options::new(pairs))
        }
    }
}

/// A secret setting (never read from config.toml).
fn secret(config: &Config, sections: &[&str], name: &str) -> CliResult<Option<String>> {
    Ok(config
        .secret(&Key::new(sections, name))
        .or_config()?
        .map(|r| r.value.expose().to_string()))
}

/// Registers the secret parts of a connection string (URL or libpq `key=value` form) so no
/// output prints them.
fn register_connection_secrets(text: &str) {
    output::register_secret(text);
    for secret in secrets_in_url(text) {
        output::register_secret(&secret);
    }
    for pair in text.split_whitespace() {
        if let Some(password) = pair.strip_prefix("password=") {
            output::register_secret(password.trim_matches('\''));
        }
    }
}
