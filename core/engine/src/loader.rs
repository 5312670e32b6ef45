//! Loading a normalized package to a bucket in dlt's order (spec §3.6): `init` → the schema
//! version (if its hash is new) → data files → the pipeline state (if it changed) →
//! `_dlt_loads` marker, last. Jobs move `new_jobs` → `started_jobs` → `completed_jobs`; a job
//! found in `started_jobs` (a crash mid-upload) is uploaded again under the same remote name, so
//! retries are idempotent.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use stowage_plugin_sdk::Backend;

use crate::package::{JobFile, Package};
use crate::schema::Schema;
use crate::state::PipelineState;
use crate::special_files::{ensure_init, write_marker};
use crate::{Error, Result, history};

/// Where a package goes.
#[derive(Debug, Clone)]
pub struct LoadTarget {
    /// Normalized dataset name (folder under the bucket root).
    pub dataset: String,
    /// Schema name (marker prefix).
    pub schema_name: String,
    /// `max_state_files` (≤ 0 keeps every state file).
    pub max_state_files: i64,
}

/// What a load wrote.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LoadSummary {
    /// The load id.
    pub load_id: String,
    /// Data object keys, in upload order.
    pub files: Vec<String>,
    /// Bytes uploaded.
    pub bytes: u64,
    /// The marker key.
    pub marker: String,
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
    let version = ensure_init(backend, &target.dataset)?;
    let schema = package_schema(package)?;
    let schema_hash = schema.version_hash().to_string();
    history::store_schema_version(backend, &target.dataset, &schema)?;
    let mut summary = LoadSummary {
        load_id: package.load_id.clone(),
        ..Default::default()
    };
    for job in package.jobs("new_jobs")? {
        package.move_job(&job, "new_jobs", "started_jobs")?;
    }
    for job in package.jobs("started_jobs")? {
        let key = remote_key(&target.dataset, &job, &package.load_id, version.is_legacy());
        let local = package.state_dir("started_jobs").join(job.file_name());
        summary.bytes += upload(backend, &local, &key)?;
        package.move_job(&job, "started_jobs", "completed_jobs")?;
        summary.files.push(key);
    }
    if let Some(state) = package_state(package)? {
        history::store_state(
            backend,
            &target.dataset,
            &state,
            &package.load_id,
            &schema_hash,
            target.max_state_files,
        )?;
    }
    summary.marker = write_marker(
        backend,
        &target.dataset,
        &target.schema_name,
        &package.load_id,
        &schema_hash,
    )?;
    package.write_file("package_completed.json", b"loaded")?;
    package.move_to(workdir, "loaded")?;
    Ok(summary)
}

fn package_json(package: &Package, name: &str) -> Result<serde_json::Value> {
    serde_json::from_slice(&package.read_file(name)?).map_err(|e| {
        Error::invalid(format!(
            "{name} of package {} is corrupt: {e}",
            package.load_id
        ))
    })
}

fn package_schema(package: &Package) -> Result<Schema> {
    Schema::from_json(package_json(package, "schema.json")?)
        .map_err(|e| e.while_doing(format!("reading the schema of package {}", package.load_id)))
}

/// The pipeline state the package carries (only when it changed).
fn package_state(package: &Package) -> Result<Option<PipelineState>> {
    let doc = package_json(package, "load_package_state.json")?;
    doc.get("pipeline_state")
        .cloned()
        .map(PipelineState::from_json)
        .transpose()
}

/// Streams a local file to `key` in 1 MiB chunks.
fn upload(backend: &dyn Backend, local: &Path, key: &str) -> Result<u64> {
    let mut file = File::open(local)
        .map_err(|e| Error::from_io(&e, format!("opening {}", local.display())))?;
    let mut writer = backend
        .open_writer(key)
        .map_err(|e| e.while_doing(format!("uploading {key}")))?;
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = file
            .read(&mut buf)
            .map_err(|e| Error::from_io(&e, format!("reading {}", local.display())))?;
        if n == 0 {
            break;
        }
        writer
            .write(&buf[..n])
            .map_err(|e| e.while_doing(format!("uploading {key}")))?;
    }
    writer
        .finish()
        .map_err(|e| e.while_doing(format!("uploading {key}")))
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
