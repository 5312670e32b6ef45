//! Uploading a package's data files with a pool of worker threads (`load.workers`).
//!
//! Each worker takes the next job, moves it `new_jobs` → `started_jobs`, streams the file to
//! its planned key in 1 MiB chunks (so memory stays at about one buffer per worker), and moves
//! it to `completed_jobs`. A transient error is retried with backoff, renaming the job file with
//! its retry count + 1 and keeping the error in `.exceptions/`; a permanent one (or running out
//! of retries) moves the job to `failed_jobs` with its error, and the other jobs go on. An error
//! of the package itself (a failed rename) stops every worker.

use std::collections::VecDeque;
use std::fs::File;
use std::io::Read;
use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use stowage_plugin_sdk::Backend;

use crate::loader::LoadTarget;
use crate::package::Package;
use crate::plan::PlannedUpload;
use crate::progress::Event;
use crate::{Error, Result, fault};

/// Upload chunk size.
const CHUNK: usize = 1 << 20;

/// What the workers did.
#[derive(Debug, Default)]
pub(crate) struct Uploaded {
    /// (index into the uploads, bytes), in upload order.
    pub done: Vec<(usize, u64)>,
    /// (job file name, error) of jobs that failed for good.
    pub failed: Vec<(String, Error)>,
}

/// Uploads every planned job; returns what succeeded and what failed (sorted by job order).
pub(crate) fn upload_jobs(
    backend: &dyn Backend,
    target: &LoadTarget,
    package: &Package,
    uploads: &[PlannedUpload],
) -> Result<Uploaded> {
    let queue = Mutex::new((0..uploads.len()).collect::<VecDeque<usize>>());
    let outcome = Mutex::new(Uploaded::default());
    let fatal: Mutex<Option<Error>> = Mutex::new(None);
    let stop = AtomicBool::new(false);
    let workers = target.workers.clamp(1, uploads.len().max(1));
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                while !stop.load(Ordering::SeqCst) {
                    let Some(index) = lock(&queue).pop_front() else {
                        break;
                    };
                    match upload_job(backend, target, package, &uploads[index]) {
                        Ok(Ok(bytes)) => lock(&outcome).done.push((index, bytes)),
                        Ok(Err(failure)) => lock(&outcome).failed.push(failure),
                        Err(e) => {
                            stop.store(true, Ordering::SeqCst);
                            lock(&fatal).get_or_insert(e);
                        }
                    }
                }
            });
        }
    });
    if let Some(e) = fatal.into_inner().unwrap_or_else(|e| e.into_inner()) {
        return Err(e);
    }
    let mut outcome = outcome.into_inner().unwrap_or_else(|e| e.into_inner());
    outcome.done.sort_by_key(|(index, _)| *index);
    outcome.failed.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(outcome)
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// One job: `Ok(Ok(bytes))` uploaded, `Ok(Err(..))` failed for good (kept in the package),
/// `Err` the package itself failed.
fn upload_job(
    backend: &dyn Backend,
    target: &LoadTarget,
    package: &Package,
    planned: &PlannedUpload,
) -> Result<std::result::Result<u64, (String, Error)>> {
    let mut job = planned.job.clone();
    if planned.state == "new_jobs" {
        package.move_job(&job, "new_jobs", "started_jobs")?;
        fault::point("job: started");
    }
    let mut attempt = 0;
    loop {
        let local = package.job_path("started_jobs", &job);
        match put_file(backend, &local, &planned.key) {
            Ok(bytes) => {
                fault::point("job: uploaded");
                package.move_job(&job, "started_jobs", "completed_jobs")?;
                fault::point("job: completed");
                target.progress.emit(&Event::Uploaded {
                    key: &planned.key,
                    bytes,
                });
                return Ok(Ok(bytes));
            }
            Err(e) if target.retry.should_retry(&e, attempt) => {
                attempt += 1;
                package.record_attempt_error(&job, &e.to_string())?;
                job = package.bump_retry(&job, "started_jobs")?;
                let delay = target.retry.delay(attempt);
                target.progress.emit(&Event::Retrying {
                    what: &planned.key,
                    retry: attempt,
                    error: &e,
                    delay,
                });
                std::thread::sleep(delay);
            }
            Err(e) => {
                let e = match e.is_retryable() {
                    true => e.while_doing(format!("gave up after {attempt} retries")),
                    false => e,
                };
                package.fail_job(&job, "started_jobs", &e.to_string())?;
                let name = job.file_name();
                target.progress.emit(&Event::JobFailed {
                    job: &name,
                    error: &e,
                });
                return Ok(Err((name, e)));
            }
        }
    }
}

/// Streams a local file to `key`; the object appears only on success.
fn put_file(backend: &dyn Backend, local: &Path, key: &str) -> Result<u64> {
    let mut file = File::open(local)
        .map_err(|e| Error::from_io(&e, format!("opening {}", local.display())))?;
    let mut writer = backend
        .open_writer(key)
        .map_err(|e| e.while_doing(format!("uploading {key}")))?;
    let mut buf = vec![0u8; CHUNK];
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
