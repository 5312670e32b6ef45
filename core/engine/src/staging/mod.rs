//! Staging: a bucket as the staging area before a database destination (spec §6).
//!
//! A run normalizes as usual, then [`stage`] uploads the package's data files to the staging
//! bucket with the normal layout (only `init` besides the data: no `_dlt_*` bookkeeping, spec
//! §6.2), first deleting the staged files of the tables in this load (dlt's
//! `truncate_tables_on_staging_destination_before_load`, on by default) and writing a
//! `reference` job (the file's remote URL) for every upload. Then [`warehouse`] has the
//! destination plugin copy the referenced files in, reading them through the staging bucket's
//! backend (opened once by the engine with the staging credentials), and applies the write
//! dispositions with SQL from [`sql`]: append; replace as `truncate-and-insert` or
//! `insert-from-staging`; merge as `delete-insert` or `upsert` on the primary key, through the
//! staging dataset `<dataset>_staging`. Everything that changes the destination's tables runs
//! in one transaction, which also records the load in `_dlt_loads`: a failure leaves the
//! destination as it was, and a resumed load that finds its `_dlt_loads` row skips it.

mod format;
pub mod sql;
mod stage;
mod warehouse;

pub use stage::stage_package;

use std::sync::Arc;

use serde_json::json;
use stowage_plugin_sdk::{Destination, Options};

pub use format::choose_format;
pub use warehouse::{Context, DestinationLoad, count_rows, load_into_destination, query_rows};

use crate::naming::normalize_identifier;
use crate::package::Package;
use crate::pipeline::{RunOptions, RunSummary};
use crate::plugins::Registry;
use crate::{Error, Result};

/// The staging package file: destination, format and merge keys of this package.
pub const STAGING_FILE: &str = "staging.json";

/// How `replace` is done on the destination.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ReplaceStrategy {
    /// Empty the final tables and copy the files straight in (one transaction).
    #[default]
    TruncateAndInsert,
    /// Copy into the staging dataset, then empty the final tables and insert from staging.
    InsertFromStaging,
}

impl ReplaceStrategy {
    /// Parses dlt's name.
    pub fn parse(text: &str) -> Result<Self> {
        match text {
            "truncate-and-insert" => Ok(Self::TruncateAndInsert),
            "insert-from-staging" => Ok(Self::InsertFromStaging),
            other => Err(Error::invalid(format!(
                "replace_strategy `{other}` is not one of truncate-and-insert, insert-from-staging"
            ))),
        }
    }
}

/// How `merge` is done on the destination.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum MergeStrategy {
    /// Delete the final rows whose key is staged, insert the deduplicated staged rows.
    #[default]
    DeleteInsert,
    /// `MERGE INTO` on the key (update matched rows, insert the rest).
    Upsert,
}

impl MergeStrategy {
    /// Parses dlt's name.
    pub fn parse(text: &str) -> Result<Self> {
        match text {
            "delete-insert" => Ok(Self::DeleteInsert),
            "upsert" => Ok(Self::Upsert),
            other => Err(Error::invalid(format!(
                "merge strategy `{other}` is not one of delete-insert, upsert"
            ))),
        }
    }
}

/// Settings of a staged run (resolved from flags and config).
#[derive(Debug, Clone)]
pub struct StagingOptions {
    /// The destination plugin (`duckdb`, `postgres`).
    pub destination: String,
    /// Options for the destination plugin (`credentials`, …).
    pub destination_options: Options,
    /// `staging_dataset_name_layout` (`%s` is the dataset name).
    pub staging_dataset_layout: String,
    /// Delete the staged files of the tables in a load before uploading (default true).
    pub truncate_staged_files: bool,
    /// `[load] truncate_staging_dataset`: empty the staging dataset after the load.
    pub truncate_staging_dataset: bool,
    /// The replace strategy.
    pub replace_strategy: ReplaceStrategy,
    /// The merge strategy.
    pub merge_strategy: MergeStrategy,
    /// Primary key columns of the root table (merge).
    pub primary_key: Vec<String>,
    /// True if the loader file format was given explicitly (else it is chosen, spec §6.1).
    pub format_explicit: bool,
}

impl StagingOptions {
    /// Defaults for loading into `destination`.
    pub fn new(destination: &str) -> Self {
        StagingOptions {
            destination: destination.into(),
            destination_options: Options::default(),
            staging_dataset_layout: "%s_staging".into(),
            truncate_staged_files: true,
            truncate_staging_dataset: false,
            replace_strategy: ReplaceStrategy::default(),
            merge_strategy: MergeStrategy::default(),
            primary_key: Vec::new(),
            format_explicit: false,
        }
    }
}

/// The staging dataset name: the layout with `%s` filled, normalized; an error if it equals the
/// dataset (spec §6.3).
pub fn staging_dataset_name(layout: &str, dataset: &str) -> Result<String> {
    let raw = match layout.contains("%s") {
        true => layout.replace("%s", dataset),
        false => layout.to_string(),
    };
    let name =
        normalize_identifier(&raw).map_err(|e| e.while_doing("staging_dataset_name_layout"))?;
    if name == dataset {
        return Err(Error::invalid(format!(
            "the staging dataset name `{name}` (staging_dataset_name_layout `{layout}`) equals \
             the dataset name; choose a layout that gives another name"
        )));
    }
    Ok(name)
}

/// A staged run: pending packages first, then normalize `options.input` and load it through
/// the staging bucket into the destination.
pub fn run(
    registry: &Registry,
    options: &RunOptions,
    staging: &StagingOptions,
) -> Result<RunSummary> {
    // A format that cannot be staged is refused before anything is opened.
    choose_format(registry, staging, &options.format)?;
    let destination: Arc<dyn Destination> =
        registry.open_destination(&staging.destination, &staging.destination_options)?;
    run_with_destination(registry, options, staging, destination.as_ref())
}

/// [`run`] with an opened destination session (tests wrap it to inject failures).
pub fn run_with_destination(
    registry: &Registry,
    options: &RunOptions,
    staging: &StagingOptions,
    destination: &dyn Destination,
) -> Result<RunSummary> {
    let mut options = options.clone();
    options.format = choose_format(registry, staging, &options.format)?;
    let names = crate::pipeline::resolve_names(&options)?;
    let staging_dataset = staging_dataset_name(&staging.staging_dataset_layout, &names.dataset)?;
    let table = crate::naming::Naming::with_max_length(options.max_identifier_length)
        .path(&options.table)
        .map_err(|e| e.while_doing("table name"))?;
    let target = crate::pipeline::load_target(&options, &names)?;
    let backend = registry.open_backend(&names.bucket_url, &options.backend_options)?;
    let format = registry.open_format(&options.format, &options.format_options)?;
    let reader = crate::input::open(&options.input, options.input_format, registry)?;
    let info = registry
        .destination(&staging.destination)
        .ok_or_else(|| Error::not_found(format!("no destination `{}`", staging.destination)))?
        .clone();
    let ctx = warehouse::Context {
        info: &info,
        backend: backend.as_ref(),
        bucket_url: &names.bucket_url,
        destination,
        target: &target,
        staging,
        staging_dataset: &staging_dataset,
    };
    let mut finished_pending = Vec::new();
    for mut package in Package::pending(&names.workdir)? {
        let load = load_package(&ctx, &mut package, &names.workdir)
            .map_err(|e| e.while_doing(format!("finishing pending load {}", package.load_id)))?;
        finished_pending.push(load.summary);
    }
    let last = finished_pending.last().map(|s| s.load_id.clone());
    let normalized = crate::pipeline::normalize_package(
        backend.as_ref(),
        &options,
        &names,
        reader,
        format,
        last.as_deref(),
        true,
    )?;
    let mut package = normalized.package;
    write_staging_file(&package, staging, &options)?;
    let load = load_package(&ctx, &mut package, &names.workdir)?;
    Ok(RunSummary {
        load_id: package.load_id,
        bucket_url: names.bucket_url,
        dataset: names.dataset,
        table,
        rows: normalized.rows,
        load: load.summary,
        finished_pending,
        workdir: names.workdir,
    })
}

/// Records how this package is loaded (so a resumed load does the same).
fn write_staging_file(
    package: &Package,
    staging: &StagingOptions,
    options: &RunOptions,
) -> Result<()> {
    let doc = json!({
        "destination": staging.destination,
        "format": options.format,
        "write_disposition": options.write_disposition.as_str(),
        "primary_key": staging.primary_key,
    });
    package.write_file(STAGING_FILE, doc.to_string().as_bytes())
}

/// Primary key of a package (from its staging file), else the run's.
fn package_primary_key(package: &Package, staging: &StagingOptions) -> Result<Vec<String>> {
    let stored = package
        .read_json(STAGING_FILE)?
        .and_then(|doc| doc.get("primary_key").cloned())
        .and_then(|v| serde_json::from_value::<Vec<String>>(v).ok());
    Ok(stored.unwrap_or_else(|| staging.primary_key.clone()))
}

/// Stages `package` and loads it into the destination; moves it to `loaded`.
fn load_package(
    ctx: &warehouse::Context<'_>,
    package: &mut Package,
    workdir: &std::path::Path,
) -> Result<DestinationLoad> {
    let primary_key = package_primary_key(package, ctx.staging)?;
    let staged = stage::stage_package(
        ctx.backend,
        ctx.bucket_url,
        ctx.target,
        ctx.staging,
        package,
    )?;
    let mut load = load_into_destination(ctx, package, &primary_key)?;
    load.summary.files = staged.keys;
    load.summary.bytes = staged.bytes;
    load.summary.deleted = staged.deleted;
    package.write_file(crate::package::COMPLETED_FILE, b"loaded")?;
    package.move_to(workdir, "loaded")?;
    Ok(load)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn staging_dataset_names() {
        assert_eq!(
            staging_dataset_name("%s_staging", "ds").unwrap(),
            "ds_staging"
        );
        assert_eq!(staging_dataset_name("stg_%s_x", "ds").unwrap(), "stg_ds_x");
        assert_eq!(
            staging_dataset_name("Fixed Stage", "ds").unwrap(),
            "fixed_stage"
        );
        let err = staging_dataset_name("%s", "ds").unwrap_err();
        assert!(err.to_string().contains("equals the dataset"), "{err}");
    }
}
