//! The plugin's own tokio runtime. The plugin ABI is blocking, so every backend, reader, writer
//! and lister method enters the runtime with [`block_on`]; multipart part uploads run as tasks on
//! it, in the background of the caller's `write`s.
//!
//! One runtime serves every bucket opened in the process (plugins are never unloaded). It is
//! created on first use with two worker threads: S3 work is network-bound, and the machine's
//! cores belong to the host's normalizer and formats.

use std::future::Future;
use std::sync::OnceLock;

use stowage_plugin_sdk::{PluginError, Result};
use tokio::runtime::{Builder, Runtime};

/// Worker threads of the runtime.
const WORKER_THREADS: usize = 2;

static RUNTIME: OnceLock<std::result::Result<Runtime, String>> = OnceLock::new();

/// The shared runtime, created on first use.
pub fn runtime() -> Result<&'static Runtime> {
    RUNTIME
        .get_or_init(|| {
            Builder::new_multi_thread()
                .worker_threads(WORKER_THREADS)
                .thread_name("stowage-s3")
                .enable_all()
                .build()
                .map_err(|e| e.to_string())
        })
        .as_ref()
        .map_err(|e| PluginError::unexpected(format!("cannot start the S3 runtime: {e}")))
}

/// Runs `future` to completion on the shared runtime, blocking the calling (host) thread.
///
/// Never call this from a task running on the runtime itself.
pub fn block_on<F: Future>(future: F) -> Result<F::Output> {
    Ok(runtime()?.block_on(future))
}
