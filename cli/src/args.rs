//! Command-line arguments: every subcommand with its flags and `--help` examples.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// Text after the top-level `--help`.
const TOP_HELP: &str = "\
Configuration is read the way dlt reads it: flags, then environment variables
(DESTINATION__FILESYSTEM__BUCKET_URL, …), then .dlt/secrets.toml, then .dlt/config.toml in the
project dir, then the same files in the global dir (DLT_DATA_DIR or ~/.dlt).
`stowage config show` prints every setting and where it came from.

Exit codes:
  0  success
  1  the operation failed (input, bucket, plugin or load error)
  2  invalid usage (unknown flag, missing argument)
  3  configuration error (missing or invalid setting, secret in config.toml, invalid TOML)

Examples:
  stowage init chess filesystem --bucket-url file:///tmp/lake && stowage run
  stowage run events.ndjson --table events --bucket-url s3://my-bucket/raw
  stowage config show --json";

/// Load data into buckets and folders the way dlt's filesystem destination does.
#[derive(Debug, Parser)]
#[command(name = "stowage", version, about, after_help = TOP_HELP)]
pub struct Cli {
    /// Extra directory to search for plugins (repeatable; searched first).
    #[arg(long = "plugin-dir", global = true, value_name = "DIR")]
    pub plugin_dirs: Vec<PathBuf>,
    /// Project dir whose `.dlt/` holds config.toml and secrets.toml [default: the working dir].
    #[arg(long, global = true, env = "DLT_PROJECT_DIR", value_name = "DIR")]
    pub project_dir: Option<PathBuf>,
    /// The subcommand.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create a project: .dlt/config.toml, .dlt/secrets.toml, .gitignore and sample data.
    #[command(after_help = "\
Examples:
  stowage init chess filesystem --bucket-url file:///tmp/lake   # local folder, runs at once
  stowage init chess filesystem                                 # s3: fill in .dlt/secrets.toml
  stowage init events filesystem --bucket-url gs://my-bucket/raw

Then run `stowage run` in the same directory: it loads the sample into the bucket.")]
    Init(InitArgs),
    /// Normalize NDJSON into a load package and load it to the bucket.
    #[command(after_help = "\
Without INPUT, loads the [sources.<name>] section of .dlt/config.toml (see `stowage init`).

Examples:
  stowage run                                         # the project's configured source
  stowage run events.ndjson --table events
  stowage run - --table events --bucket-url file:///data/lake < events.ndjson
  stowage run events.ndjson --table events --pipeline web --dataset raw --json
  DESTINATION__FILESYSTEM__BUCKET_URL=s3://bucket/raw stowage run events.ndjson --table events")]
    Run(RunArgs),
    /// Finish loading pending packages of a pipeline (after a crash or a failed upload).
    #[command(after_help = "\
Examples:
  stowage load                          # the project's pipeline
  stowage load --pipeline web --json")]
    Load(LoadArgs),
    /// Print what the next load would write and delete, without writing to the bucket.
    #[command(after_help = "\
Without INPUT and without a configured source, plans the pending packages (what `stowage load`
does next). With INPUT the input is normalized first; --keep leaves that package pending so
that `stowage load` executes exactly the printed plan.

Examples:
  stowage plan events.ndjson --table events --write-disposition replace
  stowage plan events.ndjson --table events --layout '{table_name}/{YYYY}/{MM}/{load_id}.{file_id}' --keep
  stowage plan --pending-only --json")]
    Plan(crate::load_args::PlanArgs),
    /// List a pipeline's load packages with their jobs, states and errors.
    #[command(after_help = "\
Examples:
  stowage info
  stowage info --pipeline web --json")]
    Info(crate::load_args::InfoArgs),
    /// Show one load package job by job: states, retries, object keys and errors.
    #[command(after_help = "\
Examples:
  stowage show 1795310773.1276467
  stowage show 1795310773.1276467 --pipeline web --json")]
    Show(crate::load_args::ShowArgs),
    /// Query a dataset with SQL (DuckDB dialect): one view per table, committed loads only.
    #[command(after_help = "\
Without QUERY an interactive prompt opens (history in .dlt/.stowage_sql_history or
~/.stowage/sql_history; end statements with `;`, `.quit` or Ctrl-D exits).

Examples:
  stowage sql \"SELECT count(*) FROM events\"
  stowage sql --pipeline web \"SELECT e.id, t.value FROM events e JOIN events__tags t ON t._dlt_parent_id = e._dlt_id\"
  stowage sql --bucket-url s3://lake/raw --dataset web_data \"SELECT * FROM events LIMIT 10\"
  stowage sql --output parquet out.parquet \"SELECT * FROM events WHERE ok\"
  stowage sql --include-uncommitted --stats \"SELECT _dlt_load_id, count(*) FROM events GROUP BY 1\"")]
    Sql(SqlArgs),
    /// Show the resolved configuration.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Pipeline maintenance (restore a pipeline's state and schema from its bucket).
    #[command(subcommand)]
    Pipeline(PipelineCommand),
    /// List the plugins found and every rejected plugin file with its reason.
    #[command(after_help = "\
Examples:
  stowage plugins
  stowage plugins --json --plugin-dir ./my-plugins")]
    Plugins(PluginsArgs),
    /// Print a shell completion script.
    #[command(after_help = "\
Examples:
  stowage completions bash > ~/.local/share/bash-completion/completions/stowage
  stowage completions zsh > ~/.zfunc/_stowage
  stowage completions fish > ~/.config/fish/completions/stowage.fish")]
    Completions(CompletionsArgs),
}

impl Command {
    /// True if the subcommand prints JSON (errors are then printed as JSON too).
    pub fn wants_json(&self) -> bool {
        match self {
            Command::Run(a) => a.json,
            Command::Load(a) => a.json,
            Command::Plan(a) => a.run.json,
            Command::Info(a) => a.json,
            Command::Show(a) => a.json,
            Command::Config(ConfigCommand::Show(a)) => a.json,
            Command::Plugins(a) => a.json,
            Command::Pipeline(PipelineCommand::Sync(a)) => a.json,
            Command::Init(_) | Command::Completions(_) | Command::Sql(_) => false,
        }
    }
}

/// Which pipeline, source and destination: shared by `run`, `load` and `config show`.
#[derive(Debug, Args, Clone, Default)]
pub struct TargetArgs {
    /// Pipeline name [default: `pipeline_name` from config, else `stowage`].
    #[arg(long)]
    pub pipeline: Option<String>,
    /// The `[sources.<name>]` section to use [default: the only one configured].
    #[arg(long)]
    pub source: Option<String>,
    /// Destination: `filesystem` or a named `[destination.<name>]` [default: filesystem].
    #[arg(long)]
    pub destination: Option<String>,
    /// Bucket URL: a local path, `file://` URL or any scheme a plugin serves [default: config,
    /// else ./_storage].
    #[arg(long, value_name = "URL")]
    pub bucket_url: Option<String>,
}

/// `stowage run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// NDJSON file to load (`-` reads stdin) [default: `input` of the configured source].
    pub input: Option<PathBuf>,
    /// Input format: auto (by extension; stdin is ndjson), ndjson (or jsonl), json, csv,
    /// parquet [default: auto].
    #[arg(
        long,
        value_name = "FORMAT",
        value_parser = <stowage::input::InputFormat as std::str::FromStr>::from_str
    )]
    pub input_format: Option<stowage::input::InputFormat>,
    /// Table to load into, normalized to snake_case [default: `table` of the source].
    #[arg(long)]
    pub table: Option<String>,
    /// Loader file format (a format plugin name) [default: jsonl].
    #[arg(long)]
    pub format: Option<String>,
    /// Write uncompressed files (dlt's `disable_compression`).
    #[arg(long)]
    pub disable_compression: bool,
    /// Nesting levels flattened into columns and child tables; deeper structures stay json
    /// columns (dlt's `max_table_nesting`) [default: `max_table_nesting` of the source, else 1000].
    #[arg(long, value_name = "N")]
    pub max_table_nesting: Option<u32>,
    /// Shorten longer table and column names with a hash tag (dlt's `max_identifier_length`)
    /// [default: none].
    #[arg(long, value_name = "N")]
    pub max_identifier_length: Option<usize>,
    /// A column type hint for the root table, e.g. `payload=json` (json columns are not
    /// flattened) or `created=timestamp`; repeatable.
    #[arg(long = "column", value_name = "NAME=TYPE", value_parser = parse_column_hint)]
    pub columns: Vec<(String, stowage::schema::DltType)>,
    /// Dataset name [default: `dataset_name` from config, else `<pipeline>_dataset`].
    #[arg(long)]
    pub dataset: Option<String>,
    /// Folder of pipeline working dirs [default: ~/.stowage/pipelines].
    #[arg(long, env = "STOWAGE_PIPELINES_DIR", value_name = "DIR")]
    pub pipelines_dir: Option<PathBuf>,
    /// Stage the files in this bucket destination (`filesystem`) and load them into a database
    /// `--destination` (duckdb, postgres) [default: filesystem when the destination is a
    /// database].
    #[arg(long, value_name = "NAME")]
    pub staging: Option<String>,
    /// Primary key column(s) of the root table, used by `merge` on a database destination
    /// (comma-separated or repeated).
    #[arg(long = "primary-key", value_name = "COLUMN", value_delimiter = ',')]
    pub primary_key: Vec<String>,
    /// Merge key column(s) of the root table: `merge` on a database destination first deletes
    /// every row whose merge key matches a loaded row (comma-separated or repeated).
    #[arg(long = "merge-key", value_name = "COLUMN", value_delimiter = ',')]
    pub merge_key: Vec<String>,
    /// Which duplicate of a primary key `merge` keeps: `COLUMN:desc` (the highest value, also
    /// a bare COLUMN) or `COLUMN:asc` (dlt's `dedup_sort` hint).
    #[arg(long = "dedup-sort", value_name = "COLUMN[:desc|asc]")]
    pub dedup_sort: Option<String>,
    /// Print a JSON summary instead of text.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub target: TargetArgs,
    #[command(flatten)]
    pub normalize: crate::load_args::NormalizeFlags,
    #[command(flatten)]
    pub load: crate::load_args::LoadFlags,
}

/// `stowage load`.
#[derive(Debug, Args)]
pub struct LoadArgs {
    /// Dataset name [default: `dataset_name` from config, else `<pipeline>_dataset`].
    #[arg(long)]
    pub dataset: Option<String>,
    /// Folder of pipeline working dirs [default: ~/.stowage/pipelines].
    #[arg(long, env = "STOWAGE_PIPELINES_DIR", value_name = "DIR")]
    pub pipelines_dir: Option<PathBuf>,
    /// Print a JSON summary instead of text.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub target: TargetArgs,
    #[command(flatten)]
    pub load: crate::load_args::LoadFlags,
}

/// `stowage sql`.
#[derive(Debug, Args)]
pub struct SqlArgs {
    /// The query (DuckDB SQL); without it an interactive prompt opens.
    pub query: Option<String>,
    /// Dataset name [default: `dataset_name` from config, else the pipeline's, else
    /// `<pipeline>_dataset`].
    #[arg(long)]
    pub dataset: Option<String>,
    /// Also show files of loads that have no `_dlt_loads` marker (unfinished or crashed loads).
    #[arg(long)]
    pub include_uncommitted: bool,
    /// Write the result to FILE as csv, json (lines) or parquet instead of printing it.
    #[arg(long, num_args = 2, value_names = ["FORMAT", "FILE"])]
    pub output: Vec<String>,
    /// Most rows printed as a table.
    #[arg(long, value_name = "N", default_value_t = 1000)]
    pub max_rows: usize,
    /// Print the bytes and objects read from the bucket's backend and the total size of the
    /// visible data files (on stderr).
    #[arg(long)]
    pub stats: bool,
    /// Folder of pipeline working dirs [default: ~/.stowage/pipelines].
    #[arg(long, env = "STOWAGE_PIPELINES_DIR", value_name = "DIR")]
    pub pipelines_dir: Option<PathBuf>,
    #[command(flatten)]
    pub target: TargetArgs,
}

/// `stowage pipeline …`.
#[derive(Debug, Subcommand)]
pub enum PipelineCommand {
    /// Restore the newest state and schema of a pipeline from the bucket into its (empty)
    /// working dir, as dlt does on a new machine.
    #[command(after_help = "\
Examples:
  stowage pipeline sync web --bucket-url s3://lake/raw --dataset web_data
  stowage pipeline sync web          # bucket and dataset from .dlt/config.toml")]
    Sync(PipelineSyncArgs),
}

/// `stowage pipeline sync NAME`.
#[derive(Debug, Args)]
pub struct PipelineSyncArgs {
    /// Pipeline name (as the state files on the bucket spell it).
    pub name: String,
    /// Dataset name [default: `dataset_name` from config, else `<pipeline>_dataset`].
    #[arg(long)]
    pub dataset: Option<String>,
    /// Folder of pipeline working dirs [default: ~/.stowage/pipelines].
    #[arg(long, env = "STOWAGE_PIPELINES_DIR", value_name = "DIR")]
    pub pipelines_dir: Option<PathBuf>,
    /// Print a JSON summary instead of text.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub target: TargetArgs,
}

/// `stowage config …`.
#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Print every setting with its value and where it came from (secrets masked).
    #[command(after_help = "\
Examples:
  stowage config show
  stowage config show --pipeline chess_pipeline --all
  stowage config show --destination my_lake --json")]
    Show(ConfigShowArgs),
}

/// `stowage config show`.
#[derive(Debug, Args)]
pub struct ConfigShowArgs {
    /// Also list settings that are not set and have no default.
    #[arg(long)]
    pub all: bool,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub target: TargetArgs,
}

/// `stowage init`.
#[derive(Debug, Args)]
pub struct InitArgs {
    /// Source name: `chess` bundles 40 sample games; any other name gets a small example file.
    pub source: String,
    /// Destination: `filesystem`.
    pub destination: String,
    /// Bucket URL to write into .dlt/config.toml; its scheme picks the credential fields
    /// [default: an s3 placeholder to fill in].
    #[arg(long, value_name = "URL")]
    pub bucket_url: Option<String>,
    /// Overwrite existing .dlt/config.toml and .dlt/secrets.toml.
    #[arg(long)]
    pub force: bool,
}

/// `stowage plugins`.
#[derive(Debug, Args)]
pub struct PluginsArgs {
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

/// `stowage completions`.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell.
    pub shell: clap_complete::Shell,
}

/// `NAME=TYPE` of `--column`.
fn parse_column_hint(text: &str) -> Result<(String, stowage::schema::DltType), String> {
    let (name, data_type) = text
        .split_once('=')
        .ok_or_else(|| format!("expected NAME=TYPE (e.g. payload=json), got `{text}`"))?;
    let data_type = stowage::schema::DltType::parse(data_type.trim()).map_err(|e| e.to_string())?;
    Ok((name.trim().to_string(), data_type))
}
