//! The load package on local disk (spec §1): a crash-safe journal of one load.
//!
//! `<workdir>/load/new/<load_id>/` while normalizing, renamed to `load/normalized/<load_id>/`
//! when every job file is complete, and to `load/loaded/<load_id>/` after the bucket has the
//! marker. Jobs move `new_jobs/` → `started_jobs/` → `completed_jobs/` by atomic renames. Files
//! being written carry a leading `.` and are never taken for jobs.

use std::fs;
use std::path::{Path, PathBuf};

use crate::{Error, Result};

/// Job folders inside a package.
pub const JOB_STATES: [&str; 4] = ["new_jobs", "started_jobs", "completed_jobs", "failed_jobs"];

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
        let root = workdir.join("load/normalized");
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
            .filter(|n| !n.starts_with('.'))
            .collect();
        names.sort();
        names.iter().map(|n| JobFile::parse(n)).collect()
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
