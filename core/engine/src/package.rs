//! The load package on local disk (spec §1): a crash-safe journal of one load.
//!
//! `<workdir>/load/new/<load_id>/` while normalizing, renamed to `load/normalized/<load_id>/`
//! when every job file is complete, and to `load/loaded/<load_id>/` after the bucket has the
//! marker. Jobs move `new_jobs/` → `started_jobs/` → `completed_jobs/` by atomic renames. Files
//! being written carry a leading `.` and are never taken for jobs.
//!
//! A job that failed for good is moved to `failed_jobs/` next to `<job file>.exception` (the
//! error); a retried job is renamed with its retry count + 1, and each earlier error is kept in
//! `.exceptions/<job id>.<retry>.exception`. A package's files: `schema.json`,
//! `load_package_state.json` (with `created_at` and, when it changed, `pipeline_state`),
//! `load_plan.json` (the remote key of every job, fixed when loading starts), and
//! `truncated_tables.json` (written once replace has emptied its tables).

use std::fs;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

use crate::{Error, Result};

/// Job folders inside a package.
pub const JOB_STATES: [&str; 4] = ["new_jobs", "started_jobs", "completed_jobs", "failed_jobs"];
/// Package stages (folders under `<workdir>/load/`), in order.
pub const STAGES: [&str; 3] = ["new", "normalized", "loaded"];
/// The stored schema of the package.
pub const SCHEMA_FILE: &str = "schema.json";
/// Package state: `created_at`, `pipeline_state`.
pub const STATE_FILE: &str = "load_package_state.json";
/// Remote keys of the jobs, fixed when loading starts.
pub const PLAN_FILE: &str = "load_plan.json";
/// Tables replace has emptied (written after the deletes).
pub const TRUNCATED_FILE: &str = "truncated_tables.json";
/// Written when the package is loaded (`loaded`).
pub const COMPLETED_FILE: &str = "package_completed.json";
/// Suffix of a failed job's error file.
pub const EXCEPTION_SUFFIX: &str = ".exception";
/// Folder of errors of earlier attempts.
pub const EXCEPTIONS_DIR: &str = ".exceptions";

/// A job file name: `{table}.{file_id}.{retry}.{format}[.gz]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobFile {
    /// Table name.
    pub table: String,
    /// 10 hex chars.
    pub file_id: String,
    /// Retry count.
    pub retry: u32,
    /// Full extension, e.g. `jsonl.gz`.
    pub ext: String,
}

impl JobFile {
    /// Parses a job file name.
    pub fn parse(name: &str) -> Result<JobFile> {
        let parts: Vec<&str> = name.split('.').collect();
        let ext = match parts.as_slice() {
            [_, _, _, fmt] => fmt.to_string(),
            [_, _, _, fmt, "gz"] => format!("{fmt}.gz"),
            _ => return Err(Error::invalid(format!("{name:?} is not a job file name"))),
        };
        let retry = parts[2]
            .parse()
            .map_err(|_| Error::invalid(format!("bad retry count in {name:?}")))?;
        Ok(JobFile {
            table: parts[0].into(),
            file_id: parts[1].into(),
            retry,
            ext,
        })
    }

    /// The file name.
    pub fn file_name(&self) -> String {
        format!(
            "{}.{}.{}.{}",
            self.table, self.file_id, self.retry, self.ext
        )
    }

    /// The job id: the file name without the retry count (`users.4e4f868a53.jsonl.gz`).
    pub fn job_id(&self) -> String {
        format!("{}.{}.{}", self.table, self.file_id, self.ext)
    }

    /// The same job with another retry count.
    pub fn with_retry(&self, retry: u32) -> JobFile {
        JobFile {
            retry,
            ..self.clone()
        }
    }
}

/// One load package.
#[derive(Debug, Clone)]
pub struct Package {
    /// Current folder of the package.
    pub dir: PathBuf,
    /// Its load id.
    pub load_id: String,
}

fn io(e: std::io::Error, what: impl std::fmt::Display) -> Error {
    Error::from_io(&e, what)
}

impl Package {
    /// Creates `load/new/<load_id>` with its job folders.
    pub fn create(workdir: &Path, load_id: &str) -> Result<Package> {
        let dir = workdir.join("load/new").join(load_id);
        for state in JOB_STATES {
            fs::create_dir_all(dir.join(state))
                .map_err(|e| io(e, format!("creating {}", dir.display())))?;
        }
        Ok(Package {
            dir,
            load_id: load_id.into(),
        })
    }

    /// Normalized packages waiting to be loaded, oldest first.
    pub fn pending(workdir: &Path) -> Result<Vec<Package>> {
        Package::in_stage(workdir, "normalized")
    }

    /// Every package of the working dir, oldest first within each stage (new, normalized,
    /// loaded).
    pub fn all(workdir: &Path) -> Result<Vec<Package>> {
        let mut out = Vec::new();
        for stage in STAGES {
            out.extend(Package::in_stage(workdir, stage)?);
        }
        Ok(out)
    }

    /// The package with `load_id`, in whatever stage it is.
    pub fn open(workdir: &Path, load_id: &str) -> Result<Package> {
        for stage in STAGES {
            let dir = workdir.join("load").join(stage).join(load_id);
            if dir.is_dir() {
                return Ok(Package {
                    dir,
                    load_id: load_id.into(),
                });
            }
        }
        Err(Error::not_found(format!(
            "no load package {load_id} in {}",
            workdir.join("load").display()
        )))
    }

    /// The stage of the package (`new`, `normalized` or `loaded`).
    pub fn stage(&self) -> &str {
        self.dir
            .parent()
            .and_then(|p| p.file_name())
            .and_then(|n| n.to_str())
            .unwrap_or("")
    }

    /// Packages in `load/<stage>`, oldest first.
    pub fn in_stage(workdir: &Path, stage: &str) -> Result<Vec<Package>> {
        let root = workdir.join("load").join(stage);
        let Ok(entries) = fs::read_dir(&root) else {
            return Ok(Vec::new());
        };
        let mut out: Vec<Package> = entries
            .filter_map(|e| e.ok())
            .filter(|e| e.path().is_dir())
            .filter_map(|e| e.file_name().into_string().ok())
            .map(|load_id| Package {
                dir: root.join(&load_id),
                load_id,
            })
            .collect();
        out.sort_by(|a, b| {
            crate::ids::load_id_secs(&a.load_id)
                .partial_cmp(&crate::ids::load_id_secs(&b.load_id))
                .unwrap_or(std::cmp::Ordering::Equal)
        });
        Ok(out)
    }

    /// Folder of a job state.
    pub fn state_dir(&self, state: &str) -> PathBuf {
        self.dir.join(state)
    }

    /// Job files in a state folder, sorted (temporary dot-files skipped).
    pub fn jobs(&self, state: &str) -> Result<Vec<JobFile>> {
        let dir = self.state_dir(state);
        let entries =
            fs::read_dir(&dir).map_err(|e| io(e, format!("listing {}", dir.display())))?;
        let mut names: Vec<String> = entries
            .filter_map(|e| e.ok())
            .filter_map(|e| e.file_name().into_string().ok())
            .filter(|n| !n.starts_with('.') && !n.ends_with(EXCEPTION_SUFFIX))
            .collect();
        names.sort();
        names.iter().map(|n| JobFile::parse(n)).collect()
    }

    /// The path of a job file in a state folder.
    pub fn job_path(&self, state: &str, job: &JobFile) -> PathBuf {
        self.state_dir(state).join(job.file_name())
    }

    /// Renames a job in `state` to its next retry count (atomic) and returns the renamed job.
    pub fn bump_retry(&self, job: &JobFile, state: &str) -> Result<JobFile> {
        let next = job.with_retry(job.retry + 1);
        let (src, dst) = (self.job_path(state, job), self.job_path(state, &next));
        fs::rename(&src, &dst)
            .map_err(|e| io(e, format!("renaming job {} for a retry", job.file_name())))?;
        Ok(next)
    }

    /// Keeps the error of one attempt in `.exceptions/<job id>.<retry>.exception`.
    pub fn record_attempt_error(&self, job: &JobFile, error: &str) -> Result<()> {
        let dir = self.dir.join(EXCEPTIONS_DIR);
        fs::create_dir_all(&dir).map_err(|e| io(e, format!("creating {}", dir.display())))?;
        let name = format!("{}.{}{EXCEPTION_SUFFIX}", job.job_id(), job.retry);
        write_atomic(&dir.join(name), error.as_bytes())
    }

    /// Errors of earlier attempts of a job, oldest first.
    pub fn attempt_errors(&self, job: &JobFile) -> Vec<String> {
        let dir = self.dir.join(EXCEPTIONS_DIR);
        let prefix = format!("{}.", job.job_id());
        let mut found: Vec<(u32, String)> = fs::read_dir(&dir)
            .into_iter()
            .flatten()
            .filter_map(|e| e.ok())
            .filter_map(|e| {
                let name = e.file_name().into_string().ok()?;
                let retry = name
                    .strip_prefix(&prefix)?
                    .strip_suffix(EXCEPTION_SUFFIX)?
                    .parse()
                    .ok()?;
                Some((retry, fs::read_to_string(e.path()).ok()?))
            })
            .collect();
        found.sort();
        found.into_iter().map(|(_, text)| text).collect()
    }

    /// Fails a job for good: writes `failed_jobs/<job>.exception`, then moves the job there.
    pub fn fail_job(&self, job: &JobFile, from: &str, error: &str) -> Result<()> {
        let name = format!("{}{EXCEPTION_SUFFIX}", job.file_name());
        write_atomic(&self.state_dir("failed_jobs").join(name), error.as_bytes())?;
        self.move_job(job, from, "failed_jobs")
    }

    /// The error of a failed job, if any.
    pub fn job_error(&self, job: &JobFile) -> Option<String> {
        let name = format!("{}{EXCEPTION_SUFFIX}", job.file_name());
        fs::read_to_string(self.state_dir("failed_jobs").join(name)).ok()
    }

    /// Puts failed jobs back in `new_jobs` with their retry count + 1 (their errors move to
    /// `.exceptions/`); returns the requeued jobs.
    pub fn requeue_failed(&self) -> Result<Vec<JobFile>> {
        let mut requeued = Vec::new();
        for job in self.jobs("failed_jobs")? {
            if let Some(error) = self.job_error(&job) {
                self.record_attempt_error(&job, &error)?;
                let name = format!("{}{EXCEPTION_SUFFIX}", job.file_name());
                let _ = fs::remove_file(self.state_dir("failed_jobs").join(name));
            }
            let next = job.with_retry(job.retry + 1);
            fs::rename(
                self.job_path("failed_jobs", &job),
                self.job_path("new_jobs", &next),
            )
            .map_err(|e| io(e, format!("requeueing failed job {}", job.file_name())))?;
            requeued.push(next);
        }
        Ok(requeued)
    }

    /// A JSON file of the package folder, if it exists.
    pub fn read_json(&self, name: &str) -> Result<Option<serde_json::Value>> {
        let path = self.dir.join(name);
        match fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map(Some).map_err(|e| {
                Error::invalid(format!(
                    "{name} of package {} is corrupt: {e}",
                    self.load_id
                ))
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(io(e, format!("reading {}", path.display()))),
        }
    }

    /// When the package was created (`created_at` of its state; dlt's typed-JSON prefix
    /// U+F027 is accepted).
    pub fn created_at(&self) -> Result<Option<DateTime<Utc>>> {
        let Some(doc) = self.read_json(STATE_FILE)? else {
            return Ok(None);
        };
        let Some(text) = doc.get("created_at").and_then(|v| v.as_str()) else {
            return Ok(None);
        };
        let text = text.trim_start_matches('\u{f027}');
        DateTime::parse_from_rfc3339(text)
            .map(|t| Some(t.to_utc()))
            .map_err(|e| {
                Error::invalid(format!(
                    "created_at `{text}` of package {} is not a date-time: {e}",
                    self.load_id
                ))
            })
    }

    /// Moves a job between state folders (atomic rename).
    pub fn move_job(&self, job: &JobFile, from: &str, to: &str) -> Result<()> {
        let (src, dst) = (
            self.state_dir(from).join(job.file_name()),
            self.state_dir(to).join(job.file_name()),
        );
        fs::rename(&src, &dst).map_err(|e| io(e, format!("moving job {} to {to}", job.file_name())))
    }

    /// Writes a small file atomically into the package folder.
    pub fn write_file(&self, name: &str, bytes: &[u8]) -> Result<()> {
        write_atomic(&self.dir.join(name), bytes)
    }

    /// Reads a file of the package folder.
    pub fn read_file(&self, name: &str) -> Result<Vec<u8>> {
        let path = self.dir.join(name);
        fs::read(&path).map_err(|e| io(e, format!("reading {}", path.display())))
    }

    /// Moves the package to `load/<stage>/<load_id>` (atomic rename).
    pub fn move_to(&mut self, workdir: &Path, stage: &str) -> Result<()> {
        let parent = workdir.join("load").join(stage);
        fs::create_dir_all(&parent).map_err(|e| io(e, format!("creating {}", parent.display())))?;
        let dst = parent.join(&self.load_id);
        fs::rename(&self.dir, &dst)
            .map_err(|e| io(e, format!("moving package {} to {stage}", self.load_id)))?;
        self.dir = dst;
        Ok(())
    }

    /// Deletes an unfinished package (normalization failed): nothing half-committed remains.
    pub fn discard(self) -> Result<()> {
        fs::remove_dir_all(&self.dir).map_err(|e| io(e, format!("removing {}", self.dir.display())))
    }
}

/// Writes `bytes` to `path` via a temporary sibling, fsync and rename.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("file");
    let tmp = path.with_file_name(format!(".{name}.tmp"));
    let mut f = fs::File::create(&tmp).map_err(|e| io(e, format!("creating {}", tmp.display())))?;
    f.write_all(bytes)
        .and_then(|_| f.sync_data())
        .map_err(|e| io(e, format!("writing {}", tmp.display())))?;
    fs::rename(&tmp, path).map_err(|e| io(e, format!("renaming to {}", path.display())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn job_file_names() {
        let j = JobFile::parse("users.36276326f6.0.jsonl.gz").unwrap();
        assert_eq!(
            (
                j.table.as_str(),
                j.file_id.as_str(),
                j.retry,
                j.ext.as_str()
            ),
            ("users", "36276326f6", 0, "jsonl.gz")
        );
        assert_eq!(j.file_name(), "users.36276326f6.0.jsonl.gz");
        assert_eq!(JobFile::parse("t.ab.1.parquet").unwrap().ext, "parquet");
        assert!(JobFile::parse("a.b.jsonl").is_err());
        assert!(JobFile::parse("a.b.c.d.e").is_err());
    }

    #[test]
    fn package_moves_through_stages() {
        let work = tempfile::tempdir().unwrap();
        let mut p = Package::create(work.path(), "1.5").unwrap();
        fs::write(
            p.state_dir("new_jobs").join("t.0123456789.0.jsonl"),
            b"{}\n",
        )
        .unwrap();
        fs::write(p.state_dir("new_jobs").join(".t.tmp"), b"").unwrap();
        p.move_to(work.path(), "normalized").unwrap();
        assert_eq!(Package::pending(work.path()).unwrap().len(), 1);
        let jobs = p.jobs("new_jobs").unwrap();
        assert_eq!(jobs.len(), 1);
        p.move_job(&jobs[0], "new_jobs", "started_jobs").unwrap();
        assert_eq!(p.jobs("started_jobs").unwrap().len(), 1);
    }
}
