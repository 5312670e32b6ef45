//! Arguments of the load-related commands: the normalize and load flags shared by `run`,
//! `load` and `plan`, and `plan`, `info` and `show` themselves.

use std::path::PathBuf;

use clap::Args;

use crate::args::{RunArgs, TargetArgs};

/// How records become job files (`run`, `plan`).
#[derive(Debug, Args, Clone, Default)]
pub struct NormalizeFlags {
    /// append, replace or merge (merge loads as append with a warning, as in dlt)
    /// [default: `write_disposition` of the source, else append].
    #[arg(long, value_name = "DISPOSITION")]
    pub write_disposition: Option<String>,
    /// Rows per file before a new file starts (dlt's `file_max_items`) [default: no limit].
    #[arg(long, value_name = "N")]
    pub file_max_items: Option<u64>,
    /// Bytes per file before a new file starts (dlt's `file_max_bytes`) [default: no limit].
    #[arg(long, value_name = "BYTES")]
    pub file_max_bytes: Option<u64>,
    /// Rows buffered per table before they are written (dlt's `buffer_max_items`)
    /// [default: 5000].
    #[arg(long, value_name = "N")]
    pub buffer_max_items: Option<u64>,
}

/// How packages are loaded (`run`, `load`, `plan`).
#[derive(Debug, Args, Clone, Default)]
pub struct LoadFlags {
    /// Object key layout below the dataset, e.g. `{table_name}/{YYYY}/{MM}/{load_id}.{file_id}`
    /// [default: `layout` of the destination, else `{table_name}/{load_id}.{file_id}.{ext}`].
    #[arg(long, value_name = "LAYOUT")]
    pub layout: Option<String>,
    /// Parallel uploads (dlt's `load.workers`) [default: 20].
    #[arg(long, value_name = "N")]
    pub workers: Option<u64>,
    /// No progress and no summary (warnings and errors are still printed on stderr).
    #[arg(long, short)]
    pub quiet: bool,
}

/// `stowage plan`.
#[derive(Debug, Args)]
pub struct PlanArgs {
    #[command(flatten)]
    pub run: RunArgs,
    /// Keep the package normalized for the plan pending: `stowage load` then does exactly what
    /// the plan shows (without it the package is deleted after planning).
    #[arg(long)]
    pub keep: bool,
    /// Plan only the pending packages (what `stowage load` would do), even if a source is
    /// configured.
    #[arg(long, conflicts_with = "keep")]
    pub pending_only: bool,
}

/// `stowage info`.
#[derive(Debug, Args)]
pub struct InfoArgs {
    /// Folder of pipeline working dirs [default: ~/.stowage/pipelines].
    #[arg(long, env = "STOWAGE_PIPELINES_DIR", value_name = "DIR")]
    pub pipelines_dir: Option<PathBuf>,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub target: TargetArgs,
}

/// `stowage show`.
#[derive(Debug, Args)]
pub struct ShowArgs {
    /// A load id (one package job by job) or a table name (its schema, rows per load and
    /// first rows, read from the bucket).
    #[arg(value_name = "LOAD_ID|TABLE")]
    pub load_id: String,
    /// Dataset name, for a table [default: `dataset_name` from config, else the pipeline's].
    #[arg(long)]
    pub dataset: Option<String>,
    /// Rows printed, for a table.
    #[arg(long, value_name = "N", default_value_t = 10)]
    pub rows: usize,
    /// Count and show rows of loads without a `_dlt_loads` marker too, for a table.
    #[arg(long)]
    pub include_uncommitted: bool,
    /// Folder of pipeline working dirs [default: ~/.stowage/pipelines].
    #[arg(long, env = "STOWAGE_PIPELINES_DIR", value_name = "DIR")]
    pub pipelines_dir: Option<PathBuf>,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub target: TargetArgs,
}
