//! Settings of a staged run (issue 10): `--destination duckdb|postgres` loads through the
//! staging bucket destination (`--staging filesystem`, the default for a database), with the
//! destination's credentials and the staging settings from config:
//!
//! - `destination.duckdb.credentials`: the database file [default: `<project>/<pipeline>.duckdb`];
//! - `destination.postgres.credentials`: a connection string, or its fields (`database`,
//!   `username`, `password`, `host`, `port`, `connect_timeout`);
//! - `destination.<name>.staging_dataset_name_layout` [`%s_staging`], `…replace_strategy`
//!   [`truncate-and-insert`], `…merge_strategy` [`delete-insert`];
//! - `destination.filesystem.truncate_tables_on_staging_destination_before_load` [true];
//! - `load.truncate_staging_dataset` [false]; `--primary-key` for merge.

use stowage::config::{Config, Key};
use stowage::pipeline::RunOptions;
use stowage::staging::{MergeStrategy, ReplaceStrategy, StagingOptions};
use stowage::{Error, Options};

use crate::args::RunArgs;
use crate::exit::{CliError, CliResult, Failed};

/// Database destinations (plugins that load staged files).
const DATABASES: &[&str] = &["duckdb", "postgres"];
/// Bucket destinations that can stage.
const STAGING: &[&str] = &["filesystem"];

/// The database destination of this run, if any (`--staging` alone means duckdb, the default
/// database).
pub fn database_destination(args: &RunArgs) -> CliResult<Option<String>> {
    if let Some(staging) = &args.staging
        && !STAGING.contains(&staging.as_str())
    {
        return Err(CliError::usage(format!(
            "--staging `{staging}` is not a staging destination (supported: {})",
            STAGING.join(", ")
        )));
    }
    match args.target.destination.as_deref() {
        Some(d) if DATABASES.contains(&d) => Ok(Some(d.to_string())),
        Some(d) if args.staging.is_some() && !STAGING.contains(&d) => {
            Err(CliError::usage(format!(
                "--destination `{d}` cannot load from a staging bucket (supported: {})",
                DATABASES.join(", ")
            )))
        }
        None if args.staging.is_some() => Ok(Some("duckdb".into())),
        _ => Ok(None),
    }
}

fn text(config: &Config, sections: &[&str], name: &str) -> CliResult<Option<String>> {
    Ok(config
        .text(&Key::new(sections, name))
        .or_config()?
        .map(|r| r.value))
}

/// The staging options of a run into `database`.
pub fn staging_options(
    config: &Config,
    args: &RunArgs,
    database: &str,
    options: &RunOptions,
) -> CliResult<StagingOptions> {
    let mut staging = StagingOptions::new(database);
    let section = ["destination", database];
    staging.destination_options = destination_options(config, database, &options.pipeline)?;
    staging.format_explicit = args.format.is_some();
    staging.primary_key = args.primary_key.clone();
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
    let credentials = text(config, &section, "credentials").ok().flatten();
    match database {
        "duckdb" => {
            let file = match credentials {
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
            if let Some(c) = credentials {
                pairs.push(("credentials".into(), c));
            }
            let fields = [
                "database",
                "username",
                "password",
                "host",
                "port",
                "connect_timeout",
            ];
            let cred_section = ["destination", database, "credentials"];
            for field in fields {
                if let Some(v) = text(config, &cred_section, field)? {
                    pairs.push((field.into(), v));
                }
            }
            Ok(Options::new(pairs))
        }
    }
}
