//! The staging half of a staged load: `init` on the staging bucket, the staged files of the
//! tables in this load deleted (once per package), then every data job uploaded with the normal
//! layout and turned into a `reference` job holding the object's URL (spec §4.6, §6.2). No
//! `_dlt_loads`, `_dlt_version` or state files are written to the staging bucket.
//!
//! Crash safety: the reference job is written before its data job moves to `completed_jobs`,
//! and keys never depend on the retry count, so a resumed stage re-uploads the same object.

use std::collections::BTreeSet;
use std::fs::File;
use std::io::Read;

use stowage_plugin_sdk::Backend;

use crate::fault;
use crate::layout::{FileName, RenderContext};
use crate::loader::LoadTarget;
use crate::package::{JobFile, Package, write_atomic};
use crate::plan::{BucketView, LiveBucket, package_created_at, package_schema};
use crate::retry::with_retries;
use crate::special_files::ensure_init;
use crate::staging::StagingOptions;
use crate::{Error, Result};

/// Package file recording that the staged files were already truncated for this package.
const TRUNCATED_STAGING_FILE: &str = "staging_truncated.json";
/// Extension of reference jobs.
pub(crate) const REFERENCE_EXT: &str = "reference";
/// Upload chunk size.
const CHUNK: usize = 1 << 20;

/// What staging did.
#[derive(Debug, Default)]
pub struct Staged {
    /// Keys uploaded.
    pub keys: Vec<String>,
    /// Bytes uploaded.
    pub bytes: u64,
    /// Staged files deleted by truncation.
    pub deleted: Vec<String>,
}

/// Uploads every data job of `package` to the staging bucket and writes its reference job.
pub fn stage_package(
    backend: &dyn Backend,
    bucket_url: &str,
    target: &LoadTarget,
    staging: &StagingOptions,
    package: &Package,
) -> Result<Staged> {
    let mut staged = Staged::default();
    fault::point("staging: start");
    let version = with_retries(&target.retry, &target.progress, "writing init", || {
        ensure_init(backend, &target.dataset)
    })?;
    let schema = package_schema(package)?;
    let schema_name = schema.name().to_string();
    let mut pending = data_jobs(package, "started_jobs")?;
    pending.extend(data_jobs(package, "new_jobs")?);
    if staging.truncate_staged_files && package.read_json(TRUNCATED_STAGING_FILE)?.is_none() {
        let mut tables: BTreeSet<String> = pending.iter().map(|(j, _)| j.table.clone()).collect();
        tables.extend(
            data_jobs(package, "completed_jobs")?
                .into_iter()
                .map(|(j, _)| j.table),
        );
        staged.deleted = truncate_tables(
            backend,
            target,
            &schema_name,
            &schema.table_names(),
            &tables,
        )?;
        let listed: Vec<&String> = tables.iter().collect();
        package.write_file(
            TRUNCATED_STAGING_FILE,
            serde_json::json!(listed).to_string().as_bytes(),
        )?;
        fault::point("staging: staged files truncated");
    }
    let ctx = RenderContext::new(&schema_name, &package.load_id, package_created_at(package)?);
    for (job, state) in pending {
        let mut rel = target
            .layout
            .render(&FileName::new(&job.table, &job.file_id, &job.ext), &ctx);
        if version.is_legacy() && rel.ends_with(".gz") {
            rel.truncate(rel.len() - 3);
        }
        let key = format!("{}/{rel}", target.dataset);
        if state == "new_jobs" {
            package.move_job(&job, "new_jobs", "started_jobs")?;
        }
        let local = package.job_path("started_jobs", &job);
        let what = format!("uploading {key} to the staging bucket");
        let bytes = with_retries(&target.retry, &target.progress, &what, || {
            put_file(backend, &local, &key)
        })?;
        fault::point("staging: file uploaded");
        let url = format!("{}/{key}", bucket_url.trim_end_matches('/'));
        let reference = JobFile {
            ext: REFERENCE_EXT.into(),
            retry: 0,
            ..job.clone()
        };
        write_atomic(
            &package.state_dir("new_jobs").join(reference.file_name()),
            url.as_bytes(),
        )?;
        fault::point("staging: reference written");
        package.move_job(&job, "started_jobs", "completed_jobs")?;
        staged.keys.push(key);
        staged.bytes += bytes;
    }
    Ok(staged)
}

/// Data (non-reference) jobs in `state`, with the state.
fn data_jobs(package: &Package, state: &str) -> Result<Vec<(JobFile, String)>> {
    Ok(package
        .jobs(state)?
        .into_iter()
        .filter(|j| j.ext != REFERENCE_EXT)
        .map(|j| (j, state.to_string()))
        .collect())
}

/// Deletes every staged file of `tables` (dlt's truncation of staging tables with jobs).
fn truncate_tables(
    backend: &dyn Backend,
    target: &LoadTarget,
    schema_name: &str,
    known: &[String],
    tables: &BTreeSet<String>,
) -> Result<Vec<String>> {
    let bucket = LiveBucket(backend);
    let mut deleted = Vec::new();
    for table in tables {
        let prefix = format!(
            "{}/{}",
            target.dataset,
            target.layout.table_prefix(table, schema_name)
        );
        for key in bucket.list(&prefix)? {
            let rel = key
                .strip_prefix(&format!("{}/", target.dataset))
                .unwrap_or(&key);
            if !target.layout.owns(rel, table, schema_name, known) {
                continue;
            }
            let what = format!("deleting staged file {key}");
            with_retries(&target.retry, &target.progress, &what, || {
                backend.delete(&key)
            })?;
            deleted.push(key);
        }
    }
    Ok(deleted)
}

/// Streams a local file to `key`; the object appears only on success.
fn put_file(backend: &dyn Backend, local: &std::path::Path, key: &str) -> Result<u64> {
    let mut file = File::open(local)
        .map_err(|e| Error::from_io(&e, format!("opening {}", local.display())))?;
    let mut writer = backend.open_writer(key)?;
    let mut buf = vec![0u8; CHUNK];
    loop {
        let n = file
            .read(&mut buf)
            .map_err(|e| Error::from_io(&e, format!("reading {}", local.display())))?;
        if n == 0 {
            break;
        }
        writer.write(&buf[..n])?;
    }
    writer.finish()
}
