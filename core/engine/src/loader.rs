//! Loading a normalized package to a bucket in dlt's order (spec §3.6): `init` → the schema
//! version (if its hash is new) → replace deletes → data files (a worker pool) → the pipeline
//! state (if it changed) → `_dlt_loads` marker, strictly last.
//!
//! Crash safety: the loader first computes the [`LoadPlan`] and fixes every job's remote key in
//! the package (`load_plan.json`), so a retry or a resumed load writes the same objects. Jobs
//! move `new_jobs` → `started_jobs` → `completed_jobs` by atomic renames; a job found in
//! `started_jobs` is uploaded again under the same key. Replace records the tables it emptied
//! (`truncated_tables.json`) before any upload, so a resumed load never deletes files of its own
//! load. Special files have deterministic keys (the marker, the state file) or are written only
//! if missing (`init`, the schema version). Transient errors are retried with backoff; a job
//! that fails for good is moved to `failed_jobs` with its error, the package stays pending, and
//! the load fails without a marker.

use std::path::Path;

use stowage_plugin_sdk::Backend;

use crate::layout::{Layout, LayoutSettings};
use crate::package::{COMPLETED_FILE, JobFile, Package, TRUNCATED_FILE};
use crate::plan::{self, InitAction, LiveBucket, LoadPlan};
use crate::progress::{Event, ProgressHandle};
use crate::retry::{RetryPolicy, with_retries};
use crate::special_files::{ensure_init, write_marker};
use crate::{Error, Result, fault, history, upload};

/// dlt's default `load.workers`: uploads are I/O bound.
pub const DEFAULT_WORKERS: usize = 20;

/// Where and how a package is loaded.
#[derive(Debug, Clone)]
pub struct LoadTarget {
    /// Normalized dataset name (folder under the bucket root).
    pub dataset: String,
    /// Schema name (marker prefix).
    pub schema_name: String,
    /// `max_state_files` (≤ 0 keeps every state file).
    pub max_state_files: i64,
    /// The layout of data file keys.
    pub layout: Layout,
    /// Warn about layout separators table names may contain (dlt's
    /// `warn_unsafe_layout_separators`).
    pub warn_unsafe_separators: bool,
    /// Parallel uploads (`load.workers`).
    pub workers: usize,
    /// Retries of transient errors.
    pub retry: RetryPolicy,
    /// Where progress goes.
    pub progress: ProgressHandle,
}

impl LoadTarget {
    /// The default layout, 20 workers, default retries, no progress.
    pub fn new(dataset: &str, schema_name: &str) -> Self {
        LoadTarget {
            dataset: dataset.into(),
            schema_name: schema_name.into(),
            max_state_files: history::DEFAULT_MAX_STATE_FILES,
            layout: Layout::new(&LayoutSettings::default()).expect("the default layout is valid"),
            warn_unsafe_separators: true,
            workers: DEFAULT_WORKERS,
            retry: RetryPolicy::default(),
            progress: ProgressHandle::none(),
        }
    }
}

/// What a load did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LoadSummary {
    /// The load id.
    pub load_id: String,
    /// Data object keys uploaded by this call, in job order.
    pub files: Vec<String>,
    /// Bytes uploaded.
    pub bytes: u64,
    /// Objects deleted by replace.
    pub deleted: Vec<String>,
    /// `init`, if this load created or migrated it.
    pub init: Option<String>,
    /// The schema version file written, if the schema hash was new.
    pub schema_version: Option<String>,
    /// The pipeline state file written, if the state changed.
    pub state_file: Option<String>,
    /// The marker key.
    pub marker: String,
    /// Warnings (also emitted as progress events).
    pub warnings: Vec<String>,
}

impl LoadSummary {
    /// Every object this load wrote: `init` (if written), the schema version, data files, the
    /// state file and the marker, in write order.
    pub fn written(&self) -> Vec<String> {
        let mut out: Vec<String> = self.init.iter().cloned().collect();
        out.extend(self.schema_version.iter().cloned());
        out.extend(self.files.iter().cloned());
        out.extend(self.state_file.iter().cloned());
        out.push(self.marker.clone());
        out
    }
}

/// The remote key of a data job with the default layout `{table_name}/{load_id}.{file_id}.{ext}`.
pub fn remote_key(dataset: &str, job: &JobFile, load_id: &str, legacy: bool) -> String {
    let ext = if legacy {
        job.ext.strip_suffix(".gz").unwrap_or(&job.ext)
    } else {
        &job.ext
    };
    format!("{dataset}/{}/{load_id}.{}.{ext}", job.table, job.file_id)
}

/// Loads `package` (in `load/normalized`) and moves it to `load/loaded`.
pub fn load_package(
    backend: &dyn Backend,
    target: &LoadTarget,
    package: &mut Package,
    workdir: &Path,
) -> Result<LoadSummary> {
    fault::point("load: start");
    package.requeue_failed()?;
    let plan = with_retries(&target.retry, &target.progress, "planning the load", || {
        plan::plan_package(&LiveBucket(backend), target, package)
    })?;
    plan::fix_keys(package, &plan, target.layout.source())?;
    fault::point("load: keys fixed");
    let progress = &target.progress;
    for warning in &plan.warnings {
        progress.warn(warning);
    }
    progress.emit(&Event::LoadStarted {
        load_id: &package.load_id,
        files: plan.uploads.len(),
        bytes: plan.uploads.iter().map(|u| u.bytes).sum(),
        deletes: plan.deletes.len(),
    });
    let mut summary = LoadSummary {
        load_id: package.load_id.clone(),
        marker: plan.marker.clone(),
        warnings: plan.warnings.clone(),
        ..Default::default()
    };
    write_init(backend, target, &plan, &mut summary)?;
    write_schema_version(backend, target, package, &mut summary)?;
    truncate(backend, target, package, &plan, &mut summary)?;
    let uploaded = upload::upload_jobs(backend, target, package, &plan.uploads)?;
    for (index, bytes) in &uploaded.done {
        summary.files.push(plan.uploads[*index].key.clone());
        summary.bytes += bytes;
    }
    if !uploaded.failed.is_empty() {
        return Err(failed_jobs_error(
            package,
            &uploaded.failed,
            plan.uploads.len(),
        ));
    }
    finish(backend, target, package, workdir, &mut summary)?;
    progress.emit(&Event::LoadFinished {
        load_id: &package.load_id,
        files: summary.files.len(),
        bytes: summary.bytes,
    });
    Ok(summary)
}

fn write_init(
    backend: &dyn Backend,
    target: &LoadTarget,
    plan: &LoadPlan,
    summary: &mut LoadSummary,
) -> Result<()> {
    with_retries(&target.retry, &target.progress, "writing init", || {
        ensure_init(backend, &target.dataset)
    })?;
    if plan.init.action != InitAction::Keep {
        summary.init = Some(plan.init.key.clone());
    }
    fault::point("load: init");
    Ok(())
}

fn write_schema_version(
    backend: &dyn Backend,
    target: &LoadTarget,
    package: &Package,
    summary: &mut LoadSummary,
) -> Result<()> {
    let schema = plan::package_schema(package)?;
    summary.schema_version = with_retries(
        &target.retry,
        &target.progress,
        "writing the schema version",
        || history::store_schema_version(backend, &target.dataset, &schema),
    )?;
    fault::point("load: schema version");
    Ok(())
}

/// Replace: deletes the planned objects, then records that the tables are empty.
fn truncate(
    backend: &dyn Backend,
    target: &LoadTarget,
    package: &Package,
    plan: &LoadPlan,
    summary: &mut LoadSummary,
) -> Result<()> {
    if plan.truncated_before || plan.truncate.is_empty() {
        return Ok(());
    }
    for delete in &plan.deletes {
        fault::point("load: delete");
        let what = format!("deleting {} (replace `{}`)", delete.key, delete.table);
        with_retries(&target.retry, &target.progress, &what, || {
            backend.delete(&delete.key)
        })?;
        target.progress.emit(&Event::Deleted { key: &delete.key });
        summary.deleted.push(delete.key.clone());
    }
    let tables = serde_json::json!(plan.truncate);
    package.write_file(TRUNCATED_FILE, tables.to_string().as_bytes())?;
    fault::point("load: truncated");
    Ok(())
}

/// The state file, the marker (last), and the package moved to `loaded`.
fn finish(
    backend: &dyn Backend,
    target: &LoadTarget,
    package: &mut Package,
    workdir: &Path,
    summary: &mut LoadSummary,
) -> Result<()> {
    let schema = plan::package_schema(package)?;
    let schema_hash = schema.version_hash().to_string();
    if let Some(state) = plan::package_state(package)? {
        let key = with_retries(
            &target.retry,
            &target.progress,
            "writing the pipeline state",
            || {
                history::store_state(
                    backend,
                    &target.dataset,
                    &state,
                    &package.load_id,
                    &schema_hash,
                    target.max_state_files,
                )
            },
        )?;
        summary.state_file = Some(key);
        fault::point("load: state");
    }
    summary.marker = with_retries(
        &target.retry,
        &target.progress,
        "writing the marker",
        || {
            write_marker(
                backend,
                &target.dataset,
                schema.name(),
                &package.load_id,
                &schema_hash,
            )
        },
    )?;
    fault::point("load: marker");
    package.write_file(COMPLETED_FILE, b"loaded")?;
    fault::point("load: completed");
    package.move_to(workdir, "loaded")
}

fn failed_jobs_error(package: &Package, failed: &[(String, Error)], total: usize) -> Error {
    let (first_job, first) = &failed[0];
    let listed: Vec<String> = failed
        .iter()
        .take(3)
        .map(|(job, e)| format!("{job}: {e}"))
        .collect();
    let more = match failed.len() > 3 {
        true => format!("; and {} more", failed.len() - 3),
        false => String::new(),
    };
    Error::new(
        first.kind(),
        format!(
            "load {}: {} of {total} job(s) failed ({}{more}); no marker was written and the \
             package stays pending with the errors in {}; fix the cause and run `stowage load` \
             to retry them (`stowage show {}` lists them)",
            package.load_id,
            failed.len(),
            listed.join("; "),
            package.state_dir("failed_jobs").display(),
            package.load_id,
        ),
    )
    .with_retryable(false)
    .with_context("job", first_job.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_layout_keys() {
        let job = JobFile::parse("users.4e4f868a53.0.jsonl.gz").unwrap();
        assert_eq!(
            remote_key("ds", &job, "1795310773.1276467", false),
            "ds/users/1795310773.1276467.4e4f868a53.jsonl.gz"
        );
        assert_eq!(
            remote_key("ds", &job, "1.5", true),
            "ds/users/1.5.4e4f868a53.jsonl"
        );
    }
}
