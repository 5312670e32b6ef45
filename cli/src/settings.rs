//! From flags and the resolved configuration to the engine's `RunOptions`.
//!
//! Order for each setting: the flag, then the config resolver (env vars, secrets.toml,
//! config.toml; pipeline-scoped first), then the default. Settings of the chosen
//! `[sources.<name>]` section supply `input`, `table`, `pipeline_name`, `dataset_name`,
//! `destination_name` and `loader_file_format`.

use std::path::{Path, PathBuf};

use stowage::config::{
    Config, ConfigSources, Destination, Key, OptionValue, ShowContext, Source, did_you_mean,
    redact_url, secrets_in_url,
};
use stowage::pipeline::{DEFAULT_PIPELINE, RunOptions};
use stowage::{Error, Options};

use crate::args::{Cli, RunArgs, TargetArgs};
use crate::exit::{CliError, CliResult, Failed};
use crate::load_args::LoadFlags;
use crate::output::errln;
use crate::{load_settings, log, output};

/// What to run, resolved.
pub struct Plan {
    /// The engine's options.
    pub options: RunOptions,
    /// The `[sources.<name>]` used, if any.
    pub source: Option<String>,
    /// The destination.
    pub destination: Destination,
    /// True if no bucket URL was configured (the default `./_storage` is used).
    pub default_bucket: bool,
}

/// Loads the configuration for this invocation and prints its warnings on stderr.
pub fn load_config(cli: &Cli) -> CliResult<Config> {
    let sources = ConfigSources::from_process(cli.project_dir.clone()).or_config()?;
    let config = Config::load(sources).or_config()?;
    for diagnostic in config.diagnostics() {
        errln!("warning: {diagnostic}");
    }
    Ok(config)
}

/// The source section to use: `--source`, else the only runnable one (if `implicit`).
pub fn choose_source(
    config: &Config,
    target: &TargetArgs,
    implicit: bool,
) -> CliResult<Option<String>> {
    let available = config.runnable_sources();
    if let Some(name) = &target.source {
        if available.contains(name) {
            return Ok(Some(name.clone()));
        }
        let hint = match did_you_mean(name, available.iter().map(String::as_str)) {
            Some(close) => format!("; did you mean `{close}`?"),
            None if available.is_empty() => {
                "; add one with `stowage init` or a [sources.<name>] section with `input`".into()
            }
            None => format!("; configured: {}", available.join(", ")),
        };
        return Err(CliError::config(Error::invalid(format!(
            "no source `{name}` is configured (a [sources.{name}] section with `input`){hint}"
        ))));
    }
    match available.as_slice() {
        [only] if implicit => Ok(Some(only.clone())),
        _ => Ok(None),
    }
}

/// Pipeline, destination and bucket shared by `run`, `load` and `config show`; sets the
/// pipeline scope and the `--bucket-url` flag on `config`.
pub fn target(
    config: &mut Config,
    target: &TargetArgs,
    source: Option<&str>,
) -> CliResult<(String, Destination)> {
    let pipeline = pipeline_name(config, target, source)?;
    config.set_pipeline(Some(&pipeline));
    let destination_name = match &target.destination {
        Some(name) => name.clone(),
        None => config
            .text(&Config::source_key(source, "destination_name"))
            .or_config()?
            .map_or_else(
                || "filesystem".to_string(),
                |r| log::used("destination_name", r).value,
            ),
    };
    let destination = config.destination(&destination_name).or_config()?;
    if let Some(url) = &target.bucket_url {
        config.set_flag(&destination.key("bucket_url"), url, "--bucket-url");
    }
    Ok((pipeline, destination))
}

/// The pipeline name: `--pipeline`, else the source's `pipeline_name`, else the default.
pub fn pipeline_name(
    config: &Config,
    target: &TargetArgs,
    source: Option<&str>,
) -> CliResult<String> {
    Ok(match &target.pipeline {
        Some(name) => name.clone(),
        None => config
            .text(&Config::source_key(source, "pipeline_name"))
            .or_config()?
            .map_or_else(
                || DEFAULT_PIPELINE.to_string(),
                |r| log::used("pipeline_name", r).value,
            ),
    })
}

/// Resolves everything `stowage run` needs.
pub fn plan_run(cli: &Cli, args: &RunArgs) -> CliResult<Plan> {
    let mut config = load_config(cli)?;
    let source = choose_source(&config, &args.target, args.input.is_none())?;
    // A database destination loads through a staging bucket destination (issue 10).
    let pipeline = pipeline_name(&config, &args.target, source.as_deref())?;
    config.set_pipeline(Some(&pipeline));
    let database = crate::staging_settings::database_destination(&config, args)?;
    let mut target_args = args.target.clone();
    if let Some(database) = &database {
        target_args.destination = Some(database.staging.clone());
    }
    let (pipeline, destination) = target(&mut config, &target_args, source.as_deref())?;
    let (normalize_flags, load_flags) = (Some(&args.normalize), Some(&args.load));
    load_settings::set_flags(
        &mut config,
        &destination,
        source.as_deref(),
        normalize_flags,
        load_flags,
    );
    let input = input_path(&config, args, source.as_deref())?;
    let table = match (&args.table, source.as_deref()) {
        (Some(table), _) => table.clone(),
        (None, Some(source)) => text(&config, &Config::source_key(Some(source), "table"))?
            .unwrap_or_else(|| source.to_string()),
        (None, None) => {
            return Err(CliError::usage(
                "--table is required when INPUT is given without --source \
                 (e.g. `stowage run events.ndjson --table events`)",
            ));
        }
    };
    let mut options = RunOptions::new(input, &table);
    options.pipeline = pipeline;
    options.dataset = match &args.dataset {
        Some(dataset) => Some(dataset.clone()),
        None => text(
            &config,
            &Config::source_key(source.as_deref(), "dataset_name"),
        )?,
    };
    options.format = match &args.format {
        Some(format) => format.clone(),
        None => text(
            &config,
            &Config::source_key(source.as_deref(), "loader_file_format"),
        )?
        // Empty: the table's `file_format` hint in the schema, else jsonl.
        .unwrap_or_default(),
    };
    options.format_options = format_options(&config, args.disable_compression)?;
    if let Some(n) = config.uint(&data_writer("buffer_max_items")).or_config()? {
        options.buffer_max_items = usize::try_from(log::used("buffer_max_items", n).value)
            .map_err(|_| CliError::config(Error::invalid("buffer_max_items is too large")))?;
    }
    if let Some(n) = config
        .uint(&Config::source_key(source.as_deref(), "max_table_nesting"))
        .or_config()?
    {
        options.max_table_nesting =
            Some(u32::try_from(log::used("max_table_nesting", n).value).unwrap_or(u32::MAX));
    }
    if args.max_table_nesting.is_some() {
        options.max_table_nesting = args.max_table_nesting;
    }
    options.max_identifier_length = args.max_identifier_length;
    options.column_hints = args.columns.clone();
    options.input_format = args.input_format.unwrap_or_default();
    if let Some(n) = config
        .int(&destination.key("max_state_files"))
        .or_config()?
    {
        options.max_state_files = log::used("max_state_files", n).value;
    }
    options.pipelines_dir = args.pipelines_dir.clone();
    let (bucket_url, backend_options) = bucket(&config, &destination)?;
    let default_bucket = bucket_url.is_none();
    options.bucket_url = bucket_url;
    options.backend_options = backend_options;
    load_settings::apply(
        &config,
        &destination,
        source.as_deref(),
        args.load.quiet,
        &mut options,
    )?;
    if let Some(database) = &database {
        options.staging = Some(crate::staging_settings::staging_options(
            &config,
            args,
            &database.name,
            &options,
        )?);
    }
    warn_unapplied(&config, &destination, source.as_deref());
    Ok(Plan {
        options,
        source,
        destination,
        default_bucket,
    })
}

/// Resolves what `stowage load` needs.
pub fn plan_load(
    cli: &Cli,
    target_args: &TargetArgs,
    dataset: Option<&str>,
    pipelines_dir: Option<PathBuf>,
) -> CliResult<Plan> {
    plan_load_with(cli, target_args, dataset, pipelines_dir, None)
}

/// [`plan_load`] with the load flags (`--layout`, `--workers`, `--quiet`).
pub fn plan_load_with(
    cli: &Cli,
    target_args: &TargetArgs,
    dataset: Option<&str>,
    pipelines_dir: Option<PathBuf>,
    load_flags: Option<&LoadFlags>,
) -> CliResult<Plan> {
    let mut config = load_config(cli)?;
    let source = choose_source(&config, target_args, true)?;
    let (pipeline, destination) = target(&mut config, target_args, source.as_deref())?;
    load_settings::set_flags(
        &mut config,
        &destination,
        source.as_deref(),
        None,
        load_flags,
    );
    let mut options = RunOptions::new("-", "unused");
    options.pipeline = pipeline;
    options.dataset = match dataset {
        Some(dataset) => Some(dataset.to_string()),
        None => text(
            &config,
            &Config::source_key(source.as_deref(), "dataset_name"),
        )?,
    };
    if let Some(n) = config
        .int(&destination.key("max_state_files"))
        .or_config()?
    {
        options.max_state_files = log::used("max_state_files", n).value;
    }
    options.pipelines_dir = pipelines_dir;
    let (bucket_url, backend_options) = bucket(&config, &destination)?;
    let default_bucket = bucket_url.is_none();
    options.bucket_url = bucket_url;
    options.backend_options = backend_options;
    let quiet = load_flags.is_some_and(|f| f.quiet);
    load_settings::apply(
        &config,
        &destination,
        source.as_deref(),
        quiet,
        &mut options,
    )?;
    Ok(Plan {
        options,
        source,
        destination,
        default_bucket,
    })
}

fn text(config: &Config, key: &Key) -> CliResult<Option<String>> {
    Ok(config
        .text(key)
        .or_config()?
        .map(|r| log::used(&key.dotted(), r).value))
}

fn data_writer(name: &str) -> Key {
    Key::new(&["normalize"], name).embedded_in("data_writer")
}

/// INPUT, else the source's `input` (relative to the project dir).
fn input_path(config: &Config, args: &RunArgs, source: Option<&str>) -> CliResult<PathBuf> {
    if let Some(input) = &args.input {
        return Ok(input.clone());
    }
    let Some(source) = source else {
        return Err(nothing_to_load(config));
    };
    let key = Config::source_key(Some(source), "input");
    let Some(input) = text(config, &key)? else {
        return Err(nothing_to_load(config));
    };
    Ok(relative_to(config.project_dir(), &input))
}

fn relative_to(project_dir: &Path, input: &str) -> PathBuf {
    let path = PathBuf::from(input);
    match input == "-" || path.is_absolute() {
        true => path,
        false => project_dir.join(path),
    }
}

fn nothing_to_load(config: &Config) -> CliError {
    let sources = config.runnable_sources();
    let message = match sources.len() {
        0 => "nothing to load: pass an NDJSON file (`stowage run events.ndjson --table events`), \
              or create a project with `stowage init <source> filesystem` (a [sources.<name>] \
              section with `input` in .dlt/config.toml)"
            .to_string(),
        _ => format!(
            "several sources are configured ({}): pick one with --source",
            sources.join(", ")
        ),
    };
    CliError::usage(message)
}

/// `disable_compression` for the format plugin: the flag, else data_writer config.
fn format_options(config: &Config, flag: bool) -> CliResult<Options> {
    let disable = match flag {
        true => true,
        false => config
            .boolean(&data_writer("disable_compression"))
            .or_config()?
            .is_some_and(|r| log::used("disable_compression", r).value),
    };
    Ok(match disable {
        true => Options::new([("disable_compression", "true")]),
        false => Options::default(),
    })
}

/// The bucket URL and backend options of a destination.
fn bucket(config: &Config, destination: &Destination) -> CliResult<(Option<String>, Options)> {
    let url = config.bucket_url(destination).or_config()?;
    if let Some(url) = &url {
        for secret in secrets_in_url(&url.value) {
            output::register_secret(&secret);
        }
        log::debug(&format!(
            "setting bucket_url = {} (from {})",
            redact_url(&url.value),
            url.source
        ));
    }
    for option in config.resolved_backend_options(destination).or_config()? {
        match &option.value {
            OptionValue::Secret(secret) => output::register_secret(secret.expose()),
            OptionValue::Text(text) => secrets_in_url(text)
                .iter()
                .for_each(|s| output::register_secret(s)),
        }
        log::debug(&format!(
            "backend option {} = {} (from {})",
            option.key, option.value, option.source
        ));
    }
    let options = config.backend_options(destination.name()).or_config()?;
    Ok((url.map(|u| u.value), options))
}

/// Warns about settings that are set but not applied by this version.
fn warn_unapplied(config: &Config, destination: &Destination, source: Option<&str>) {
    let context = ShowContext {
        destination: destination.name().to_string(),
        source: source.map(str::to_string),
    };
    for shown in config.show(&context) {
        let explicit = matches!(&shown.source, Some(s) if *s != Source::Default);
        if !shown.applied && explicit {
            let source = shown.source.map(|s| s.to_string()).unwrap_or_default();
            errln!(
                "warning: `{}` is set ({source}) but this version of stowage does not apply it yet",
                shown.key
            );
        }
    }
}
