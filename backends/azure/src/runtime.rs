//! The plugin's own tokio runtime. Every trait method of the backend is synchronous (the C ABI is
//! blocking); each one blocks the calling thread on a future run here. Two worker threads keep
//! block uploads going while the caller prepares the next block.
//!
//! The runtime is created on first use and lives as long as the process (plugins are never
//! unloaded). Callers must not already be inside a tokio runtime of this library.

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
                .thread_name("stowage-azure")
                .enable_all()
                .build()
                .map_err(|e| e.to_string())
        })
        .as_ref()
        .map_err(|e| PluginError::unexpected(format!("cannot start the azure runtime: {e}")))
}

/// Runs `future` to completion on the plugin's runtime, blocking the calling thread.
pub fn block_on<F: Future>(future: F) -> Result<F::Output> {
    Ok(runtime()?.block_on(future))
}
