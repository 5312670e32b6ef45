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
//! `insert-from-staging`; merge as `delete-insert` or `upsert` on the primary key (and
//! `merge_key`, deduplicated in `dedup_sort` order; [`keys`] keeps them as schema hints),
//! through the staging dataset `<dataset>_staging`. Everything that changes the destination's
//! tables runs in one transaction, which also records the load in `_dlt_loads` (and, when the
//! pipeline state changed, its `_dlt_pipeline_state` row): a failure leaves the destination as
//! it was, and a resumed load that finds its `_dlt_loads` row skips it. Each package records how it is loaded ([`PackageRecord`]), so [`load_pending`] (`stowage
//! load`) finishes an interrupted or failed package into the same destination.

mod format;
pub mod keys;
mod record;
pub mod sql;
mod stage;
mod warehouse;

pub use stage::stage_package;

use std::path::Path;
use std::sync::Arc;

use stowage_plugin_sdk::{Destination, Options};

pub use format::choose_format;
pub use keys::{DedupSort, MergeKeys};
pub use record::{PackageRecord, STAGING_FILE};
pub use warehouse::{Context, DestinationLoad, count_rows, load_into_destination, query_rows};

use crate::loader::LoadSummary;
use crate::naming::{Naming, normalize_identifier};
use crate::package::Package;
use crate::pipeline::{Names, RunOptions, RunSummary};
use crate::plugins::Registry;
use crate::{Error, Result, fault};

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

    /// dlt's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::TruncateAndInsert => "truncate-and-insert",
            Self::InsertFromStaging => "insert-from-staging",
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

    /// dlt's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::DeleteInsert => "delete-insert",
            Self::Upsert => "upsert",
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
    /// Primary key columns of the root table (merge; stored as `primary_key` hints).
    pub primary_key: Vec<String>,
    /// Merge key columns of the root table (stored as `merge_key` hints).
    pub merge_key: Vec<String>,
    /// Which duplicate of a primary key survives (stored as the `dedup_sort` hint).
    pub dedup_sort: Option<DedupSort>,
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
            merge_key: Vec::new(),
            dedup_sort: None,
            format_explicit: false,
        }
    }

    /// The run's merge keys as given.
    pub fn keys(&self) -> MergeKeys {
        MergeKeys {
            primary_key: self.primary_key.clone(),
            merge_key: self.merge_key.clone(),
            dedup_sort: self.dedup_sort.clone(),
        }
    }

    /// The run's merge keys with column names normalized as the normalizer names columns.
    fn normalized_keys(&self, naming: &Naming) -> Result<MergeKeys> {
        let names = |list: &[String]| -> Result<Vec<String>> {
            list.iter()
                .map(|c| {
                    naming
                        .path(c)
                        .map_err(|e| e.while_doing("a key column name"))
                })
                .collect()
        };
        let dedup_sort = match &self.dedup_sort {
            Some(d) => Some(DedupSort {
                column: naming
                    .path(&d.column)
                    .map_err(|e| e.while_doing("the dedup_sort column name"))?,
                descending: d.descending,
            }),
            None => None,
        };
        Ok(MergeKeys {
            primary_key: names(&self.primary_key)?,
            merge_key: names(&self.merge_key)?,
            dedup_sort,
        })
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
    let naming = Naming::with_max_length(options.max_identifier_length);
    let table = naming
        .path(&options.table)
        .map_err(|e| e.while_doing("table name"))?;
    let mut staging = staging.clone();
    let keys = staging.normalized_keys(&naming)?;
    staging.primary_key = keys.primary_key.clone();
    staging.merge_key = keys.merge_key.clone();
    staging.dedup_sort = keys.dedup_sort.clone();
    with_context(registry, &options, &staging, destination, &names, |ctx| {
        let format = registry.open_format(&options.format, &options.format_options)?;
        let reader = crate::input::open(&options.input, options.input_format, registry)?;
        let finished_pending = finish_pending(ctx, &names.workdir)?;
        let last = finished_pending.last().map(|s| s.load_id.clone());
        let hash_before_run = keys::stored_hash(&names.workdir, &names.schema_name)?;
        // The hinted schema and the record are written before the package becomes pending, so
        // a crash can never leave it looking like a filesystem package.
        let prepare = |package: &Package| -> Result<()> {
            let schema = keys::hinted_schema(package, &table, &keys, hash_before_run.as_deref())?;
            warehouse::check_schema(&schema, &table, &keys, ctx.staging)?;
            keys::store_package_schema(package, &schema)?;
            PackageRecord::of_run(
                ctx.staging,
                &options.format,
                options.write_disposition.as_str(),
            )
            .write(package)
        };
        let normalized = crate::pipeline::normalize_package_with(
            ctx.backend,
            &options,
            &names,
            reader,
            format,
            last.as_deref(),
            true,
            Some(&prepare),
        )?;
        fault::point("staging: package normalized");
        let mut package = normalized.package;
        let load = load_package(ctx, &mut package, &names.workdir)?;
        Ok(RunSummary {
            load_id: package.load_id,
            bucket_url: names.bucket_url.clone(),
            dataset: names.dataset.clone(),
            table: table.clone(),
            rows: normalized.rows,
            load: load.summary,
            finished_pending,
            workdir: names.workdir.clone(),
        })
    })
}

/// `stowage load` of a pipeline loading into `staging.destination`: finishes every pending
/// package — staged ones into the destination (with the keys and strategies recorded in the
/// package), plain filesystem ones into the staging bucket as a filesystem load.
pub fn load_pending(
    registry: &Registry,
    options: &RunOptions,
    staging: &StagingOptions,
) -> Result<Vec<LoadSummary>> {
    let destination: Arc<dyn Destination> =
        registry.open_destination(&staging.destination, &staging.destination_options)?;
    load_pending_with_destination(registry, options, staging, destination.as_ref())
}

/// [`load_pending`] with an opened destination session.
pub fn load_pending_with_destination(
    registry: &Registry,
    options: &RunOptions,
    staging: &StagingOptions,
    destination: &dyn Destination,
) -> Result<Vec<LoadSummary>> {
    let names = crate::pipeline::resolve_names(options)?;
    with_context(registry, options, staging, destination, &names, |ctx| {
        finish_pending(ctx, &names.workdir)
    })
}

/// The destination the first pending staged package of the pipeline was staged for, if any
/// (so `stowage load` knows where to finish it).
pub fn pending_destination(options: &RunOptions) -> Result<Option<String>> {
    let names = crate::pipeline::resolve_names(options)?;
    for package in Package::pending(&names.workdir)? {
        if let Some(record) = PackageRecord::read(&package)? {
            return Ok(Some(record.destination));
        }
    }
    Ok(None)
}

/// Opens the staging bucket and builds the load context, then runs `f` with it.
fn with_context<T>(
    registry: &Registry,
    options: &RunOptions,
    staging: &StagingOptions,
    destination: &dyn Destination,
    names: &Names,
    f: impl FnOnce(&Context<'_>) -> Result<T>,
) -> Result<T> {
    let staging_dataset = staging_dataset_name(&staging.staging_dataset_layout, &names.dataset)?;
    let target = crate::pipeline::load_target(options, names)?;
    let backend = registry.open_backend(&names.bucket_url, &options.backend_options)?;
    let info = registry
        .destination(&staging.destination)
        .ok_or_else(|| Error::not_found(format!("no destination `{}`", staging.destination)))?
        .clone();
    let ctx = Context {
        info: &info,
        backend: backend.as_ref(),
        bucket_url: &names.bucket_url,
        destination,
        target: &target,
        staging,
        staging_dataset: &staging_dataset,
    };
    f(&ctx)
}

/// Finishes every pending package (see [`load_pending`]).
fn finish_pending(ctx: &Context<'_>, workdir: &Path) -> Result<Vec<LoadSummary>> {
    let mut done = Vec::new();
    for mut package in Package::pending(workdir)? {
        let what = format!("finishing pending load {}", package.load_id);
        let summary = match PackageRecord::read(&package).map_err(|e| e.while_doing(&what))? {
            None => crate::loader::load_package(ctx.backend, ctx.target, &mut package, workdir),
            Some(record) if record.destination != ctx.staging.destination => {
                Err(Error::invalid(format!(
                    "load {} was staged for destination `{}`, not `{}`: finish it first with \
                     `stowage load --destination {}`",
                    package.load_id,
                    record.destination,
                    ctx.staging.destination,
                    record.destination
                )))
            }
            Some(record) => {
                let staging = record.settings(ctx.staging);
                let ctx = Context {
                    staging: &staging,
                    ..*ctx
                };
                load_package(&ctx, &mut package, workdir).map(|l| l.summary)
            }
        };
        done.push(summary.map_err(|e| e.while_doing(&what))?);
    }
    Ok(done)
}

/// Stages `package` and loads it into the destination; moves it to `loaded`.
fn load_package(
    ctx: &warehouse::Context<'_>,
    package: &mut Package,
    workdir: &Path,
) -> Result<DestinationLoad> {
    let fallback = PackageRecord::read(package)?
        .map(|r| r.keys)
        .unwrap_or_else(|| ctx.staging.keys());
    let staged = stage::stage_package(
        ctx.backend,
        ctx.bucket_url,
        ctx.target,
        ctx.staging,
        package,
    )?;
    let mut load = load_into_destination(ctx, package, &fallback)?;
    load.summary.files = staged.keys;
    load.summary.bytes = staged.bytes;
    load.summary.deleted = staged.deleted;
    package.write_file(crate::package::COMPLETED_FILE, b"loaded")?;
    fault::point("staging: package completed");
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
