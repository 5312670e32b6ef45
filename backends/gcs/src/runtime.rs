//! The plugin's own Tokio runtime. The plugin ABI is blocking; gcloud-storage is async, so each
//! backend call drives its future to completion with [`block_on`] on the calling host thread,
//! while two worker threads run the HTTP connections' background tasks.
//!
//! The runtime lives as long as the process (plugins are never unloaded). The host never calls
//! into a backend from inside this runtime, so `block_on` cannot nest.

use std::future::Future;
use std::sync::OnceLock;

use stowage_plugin_sdk::{PluginError, Result};
use tokio::runtime::Runtime;

/// Worker threads (connection tasks only; callers' futures run on the callers' threads).
const WORKER_THREADS: usize = 2;

static RUNTIME: OnceLock<std::result::Result<Runtime, String>> = OnceLock::new();

/// The shared runtime, built on first use.
pub fn runtime() -> Result<&'static Runtime> {
    RUNTIME
        .get_or_init(|| {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(WORKER_THREADS)
                .thread_name("stowage-gcs")
                .enable_all()
                .build()
                .map_err(|e| e.to_string())
        })
        .as_ref()
        .map_err(|e| PluginError::unexpected(format!("cannot start the GCS plugin's runtime: {e}")))
}

/// Runs `future` to completion on the calling thread.
pub fn block_on<F: Future>(future: F) -> Result<F::Output> {
    Ok(runtime()?.block_on(future))
}

/// Pauses the calling thread (timers need the runtime, so this goes through it).
pub fn sleep(duration: std::time::Duration) -> Result<()> {
    block_on(async move { tokio::time::sleep(duration).await })
}

/// Runs `future` with a time limit; `None` when it ran out. (Timers are created inside the
/// runtime, which `tokio::time` requires.)
pub fn block_on_timeout<F: Future>(
    limit: std::time::Duration,
    future: F,
) -> Result<Option<F::Output>> {
    block_on(async move { tokio::time::timeout(limit, future).await.ok() })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_futures_from_several_threads() {
        let handles: Vec<_> = (0..4)
            .map(|i| std::thread::spawn(move || block_on(async move { i * 2 }).unwrap()))
            .collect();
        let sum: i32 = handles.into_iter().map(|h| h.join().unwrap()).sum();
        assert_eq!(sum, 12);
    }

    #[test]
    fn timers_work_from_outside_the_runtime() {
        sleep(std::time::Duration::from_millis(1)).unwrap();
        let late = block_on_timeout(
            std::time::Duration::from_millis(5),
            std::future::pending::<()>(),
        );
        assert_eq!(late.unwrap(), None);
        let quick = block_on_timeout(std::time::Duration::from_secs(5), async { 3 });
        assert_eq!(quick.unwrap(), Some(3));
    }
}
