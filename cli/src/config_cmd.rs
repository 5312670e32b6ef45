//! `stowage config show`: every setting, its value (secrets masked) and where it came from.

use serde_json::{Value, json};
use stowage::config::{Config, FileKind, ShowContext, ShownSetting, Source};

use crate::args::{Cli, ConfigCommand, ConfigShowArgs};
use crate::exit::CliResult;
use crate::output::outln;
use crate::settings;

/// `stowage config …`.
pub fn config(cli: &Cli, command: &ConfigCommand) -> CliResult {
    match command {
        ConfigCommand::Show(args) => show(cli, args),
    }
}

fn show(cli: &Cli, args: &ConfigShowArgs) -> CliResult {
    let mut config = settings::load_config(cli)?;
    let source = settings::choose_source(&config, &args.target, true)?;
    // A database destination (`--destination postgres`, or `destination_type` in config) shows
    // its own settings and those of its staging bucket (`filesystem`).
    let flagged = crate::staging_settings::load_destination(&args.target);
    let mut target = args.target.clone();
    if flagged.is_some() {
        target.destination = Some("filesystem".into());
    }
    let (pipeline, destination) = settings::target(&mut config, &target, source.as_deref())?;
    let database = match (flagged, &args.target.destination) {
        (Some(database), _) => Some(database),
        (None, None) => crate::staging_settings::configured_database(&config)?,
        (None, Some(_)) => None,
    };
    let context = ShowContext {
        destination: database.unwrap_or_else(|| destination.name().to_string()),
        source: source.clone(),
    };
    let shown = config.show(&context);
    if args.json {
        outln!("{}", as_json(&config, &pipeline, &context, &shown));
        return Ok(());
    }
    print_header(&config, &pipeline, &context);
    let rows: Vec<&ShownSetting> = shown
        .iter()
        .filter(|s| args.all || s.error.is_some() || is_interesting(s))
        .collect();
    let width = rows.iter().map(|s| s.key.len()).max().unwrap_or(0);
    for setting in rows {
        outln!("{}", line(setting, width));
    }
    if !config.diagnostics().is_empty() {
        outln!("\nwarnings (also printed on stderr):");
        for diagnostic in config.diagnostics() {
            outln!("  {diagnostic}");
        }
    }
    Ok(())
}

/// Set explicitly, or a default that Stowage applies.
fn is_interesting(setting: &ShownSetting) -> bool {
    match &setting.source {
        Some(Source::Default) => setting.applied,
        Some(_) => true,
        None => false,
    }
}

fn print_header(config: &Config, pipeline: &str, context: &ShowContext) {
    outln!("project dir: {}", config.project_dir().display());
    if let Some(global) = config.global_dir() {
        outln!("global dir:  {}", global.display());
    }
    let files: Vec<String> = config
        .files()
        .iter()
        .map(|f| f.path.display().to_string())
        .collect();
    match files.is_empty() {
        true => outln!("files:       none found (settings come from flags, env vars and defaults)"),
        false => outln!("files:       {}", files.join(", ")),
    }
    outln!("pipeline:    {pipeline}");
    outln!("destination: {}", context.destination);
    if let Some(source) = &context.source {
        outln!("source:      {source}");
    }
    outln!(
        "\nprecedence: flags > env vars > secrets.toml > config.toml > defaults; `<pipeline>.` sections first\n"
    );
}

fn line(setting: &ShownSetting, width: usize) -> String {
    let key = format!("{:width$}", setting.key);
    if let Some(error) = &setting.error {
        return format!("{key}  ERROR: {error}");
    }
    let Some(value) = &setting.value else {
        return format!("{key}  (not set; env {})", setting.env_var);
    };
    let source = setting
        .source
        .as_ref()
        .map_or_else(String::new, |s| s.to_string());
    let note = match setting.applied {
        true => "",
        false => "  [not used by stowage yet]",
    };
    format!("{key} = {value}  # {source}{note}")
}

fn as_json(
    config: &Config,
    pipeline: &str,
    context: &ShowContext,
    shown: &[ShownSetting],
) -> Value {
    let files: Vec<Value> = config
        .files()
        .iter()
        .map(|f| {
            let kind = match f.kind {
                FileKind::Secrets => "secrets",
                FileKind::Config => "config",
            };
            json!({"path": f.path, "kind": kind})
        })
        .collect();
    json!({
        "project_dir": config.project_dir(),
        "global_dir": config.global_dir(),
        "files": files,
        "pipeline": pipeline,
        "destination": context.destination,
        "source": context.source,
        "settings": shown.iter().map(ShownSetting::to_json).collect::<Vec<_>>(),
        "warnings": config.diagnostics().iter().map(|d| json!({
            "source": d.source.to_json(),
            "message": d.message,
        })).collect::<Vec<_>>(),
    })
}
