//! What is in a pipeline's working dir: its load packages, their jobs, states and errors (for
//! `stowage info` and `stowage show`). Read only.

use std::path::{Path, PathBuf};

use crate::Result;
use crate::package::{JOB_STATES, Package, STATE_FILE};
use crate::plan;

/// One job of a package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobInfo {
    /// The job file name (`users.4e4f868a53.0.jsonl.gz`).
    pub file_name: String,
    /// The table.
    pub table: String,
    /// Its state folder (`new_jobs`, `started_jobs`, `completed_jobs`, `failed_jobs`).
    pub state: String,
    /// Retry count.
    pub retry: u32,
    /// Size of the job file.
    pub bytes: u64,
    /// The object key, once loading fixed it.
    pub remote_key: Option<String>,
    /// The error of a failed job.
    pub error: Option<String>,
    /// Errors of earlier attempts, oldest first.
    pub earlier_errors: Vec<String>,
}

/// One load package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackageInfo {
    /// The load id.
    pub load_id: String,
    /// `new` (being normalized, or abandoned by a crash), `normalized` (pending) or `loaded`.
    pub stage: String,
    /// Its folder.
    pub dir: PathBuf,
    /// `created_at` of the package state.
    pub created_at: Option<String>,
    /// Schema name, version and hash.
    pub schema: Option<(String, u64, String)>,
    /// True if the package carries a changed pipeline state.
    pub carries_state: bool,
    /// Tables replace already emptied.
    pub truncated_tables: Option<Vec<String>>,
    /// Jobs in every state.
    pub jobs: Vec<JobInfo>,
}

impl PackageInfo {
    /// Jobs in `state`.
    pub fn count(&self, state: &str) -> usize {
        self.jobs.iter().filter(|j| j.state == state).count()
    }

    /// A one-word status: `loaded`, `failed` (jobs failed; pending), `pending`, `incomplete`
    /// (normalization did not finish).
    pub fn status(&self) -> &'static str {
        match self.stage.as_str() {
            "loaded" => "loaded",
            "new" => "incomplete",
            _ if self.count("failed_jobs") > 0 => "failed",
            _ => "pending",
        }
    }

    /// Bytes of all job files.
    pub fn bytes(&self) -> u64 {
        self.jobs.iter().map(|j| j.bytes).sum()
    }
}

/// Every package of the working dir: incomplete, pending, then loaded; oldest first in each.
pub fn packages(workdir: &Path) -> Result<Vec<PackageInfo>> {
    Package::all(workdir)?.iter().map(describe).collect()
}

/// The package `load_id`.
pub fn package(workdir: &Path, load_id: &str) -> Result<PackageInfo> {
    describe(&Package::open(workdir, load_id)?)
}

/// Pipelines with a working dir under `pipelines_dir`, sorted.
pub fn pipelines(pipelines_dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(pipelines_dir)
        .into_iter()
        .flatten()
        .filter_map(|e| e.ok())
        .filter(|e| e.path().join("load").is_dir())
        .filter_map(|e| e.file_name().into_string().ok())
        .collect();
    names.sort();
    names
}

fn describe(package: &Package) -> Result<PackageInfo> {
    let keys = plan::fixed_keys(package).unwrap_or_default();
    let mut jobs = Vec::new();
    for state in JOB_STATES {
        let Ok(found) = package.jobs(state) else {
            continue;
        };
        for job in found {
            let bytes = std::fs::metadata(package.job_path(state, &job)).map_or(0, |m| m.len());
            jobs.push(JobInfo {
                file_name: job.file_name(),
                table: job.table.clone(),
                state: state.to_string(),
                retry: job.retry,
                bytes,
                remote_key: keys.get(&job.job_id()).cloned(),
                error: package.job_error(&job),
                earlier_errors: package.attempt_errors(&job),
            });
        }
    }
    let state = package.read_json(STATE_FILE).ok().flatten();
    let schema = plan::package_schema(package).ok().map(|s| {
        (
            s.name().to_string(),
            s.version(),
            s.version_hash().to_string(),
        )
    });
    Ok(PackageInfo {
        load_id: package.load_id.clone(),
        stage: package.stage().to_string(),
        dir: package.dir.clone(),
        created_at: state
            .as_ref()
            .and_then(|s| s.get("created_at"))
            .and_then(|v| v.as_str())
            .map(|s| s.trim_start_matches('\u{f027}').to_string()),
        schema,
        carries_state: state.is_some_and(|s| s.get("pipeline_state").is_some()),
        truncated_tables: plan::truncated_tables(package).ok().flatten(),
        jobs,
    })
}
