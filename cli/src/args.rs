//! Command-line arguments.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// Load data into buckets and folders the way dlt's filesystem destination does.
#[derive(Debug, Parser)]
#[command(name = "stowage", version, about)]
pub struct Cli {
    /// Extra directory to search for plugins (repeatable; searched first).
    #[arg(long = "plugin-dir", global = true, value_name = "DIR")]
    pub plugin_dirs: Vec<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Normalize an NDJSON file into a load package and load it to the bucket.
    #[command(
        after_help = "Examples:\n  stowage run events.ndjson --table events\n  \
        stowage run - --table events --bucket-url file:///data/lake < events.ndjson"
    )]
    Run(RunArgs),
    /// Finish loading pending packages of a pipeline (after a crash or a failed upload).
    Load(TargetArgs),
    /// List the plugins found and every rejected plugin file with its reason.
    Plugins(PluginsArgs),
}

/// Where data goes.
#[derive(Debug, Args)]
pub struct TargetArgs {
    /// Pipeline name (its working dir keeps load packages and state).
    #[arg(long, default_value = "stowage")]
    pub pipeline: String,
    /// Dataset name (default: `<pipeline>_dataset`).
    #[arg(long)]
    pub dataset: Option<String>,
    /// Bucket URL: a local path or `file://` URL, or any scheme a plugin serves (default `./_storage`).
    #[arg(long, env = "DESTINATION__FILESYSTEM__BUCKET_URL")]
    pub bucket_url: Option<String>,
    /// Folder of pipeline working dirs (default `~/.stowage/pipelines`).
    #[arg(long, env = "STOWAGE_PIPELINES_DIR")]
    pub pipelines_dir: Option<PathBuf>,
}

/// `stowage run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// NDJSON file to load (`-` reads stdin).
    pub input: PathBuf,
    /// Table to load into (normalized to snake_case).
    #[arg(long)]
    pub table: String,
    /// Loader file format (a format plugin name).
    #[arg(long, default_value = "jsonl")]
    pub format: String,
    /// Write uncompressed files (dlt's `disable_compression`).
    #[arg(long, env = "DATA_WRITER__DISABLE_COMPRESSION")]
    pub disable_compression: bool,
    #[command(flatten)]
    pub target: TargetArgs,
}

/// `stowage plugins`.
#[derive(Debug, Args)]
pub struct PluginsArgs {
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}
