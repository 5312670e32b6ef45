//! `stowage run` and `stowage load`.

use stowage::Options;
use stowage::loader::LoadSummary;
use stowage::pipeline::{self, RunOptions};

use crate::args::{Cli, RunArgs, TargetArgs};
use crate::plugins_cmd::registry;

fn options_for(target: &TargetArgs, input: std::path::PathBuf, table: &str) -> RunOptions {
    let mut options = RunOptions::new(input, table);
    options.pipeline = target.pipeline.clone();
    options.dataset = target.dataset.clone();
    options.bucket_url = target.bucket_url.clone();
    options.pipelines_dir = target.pipelines_dir.clone();
    options.backend_options = backend_options_from_env();
    options
}

/// Backend settings from dlt-style environment variables: every
/// `DESTINATION__FILESYSTEM__CREDENTIALS__<KEY>` as `<key>`, and the dict settings
/// `DESTINATION__FILESYSTEM__KWARGS` / `__CLIENT_KWARGS` (JSON objects) as `kwargs.<key>` /
/// `client_kwargs.<key>`. (Interim: the full config resolver replaces this.)
fn backend_options_from_env() -> Options {
    const CREDENTIALS: &str = "DESTINATION__FILESYSTEM__CREDENTIALS__";
    let mut pairs: Vec<(String, String)> = Vec::new();
    for (key, value) in std::env::vars() {
        if let Some(name) = key.strip_prefix(CREDENTIALS) {
            pairs.push((name.to_ascii_lowercase(), value));
        }
    }
    for dict in ["kwargs", "client_kwargs"] {
        let var = format!("DESTINATION__FILESYSTEM__{}", dict.to_ascii_uppercase());
        let Ok(text) = std::env::var(&var) else {
            continue;
        };
        if let Ok(serde_json::Value::Object(map)) = serde_json::from_str(&text) {
            for (key, value) in map {
                let value = match value {
                    serde_json::Value::String(s) => s,
                    other => other.to_string(),
                };
                pairs.push((format!("{dict}.{key}"), value));
            }
        }
    }
    Options::new(pairs)
}

/// `stowage run INPUT --table T`.
pub fn run(cli: &Cli, args: &RunArgs) -> stowage::Result<()> {
    let mut options = options_for(&args.target, args.input.clone(), &args.table);
    options.format = args.format.clone();
    if args.disable_compression {
        options.format_options = Options::new([("disable_compression", "true")]);
    }
    let reg = registry(cli);
    let summary = pipeline::run(&reg, &options)?;
    for pending in &summary.finished_pending {
        print_load("finished pending load", pending);
    }
    println!(
        "loaded {} rows into `{}` (load {}, {} file(s), {} bytes)",
        summary.rows,
        summary.table,
        summary.load_id,
        summary.load.files.len(),
        summary.load.bytes
    );
    println!(
        "dataset: {}/{}",
        summary.bucket_url.trim_end_matches('/'),
        summary.dataset
    );
    if args.target.bucket_url.is_none() {
        println!("(no bucket configured: used the default ./_storage)");
    }
    Ok(())
}

/// `stowage load`: finish pending packages.
pub fn load(cli: &Cli, target: &TargetArgs) -> stowage::Result<()> {
    let options = options_for(target, "-".into(), "unused");
    let reg = registry(cli);
    let done = pipeline::load_pending(&reg, &options)?;
    if done.is_empty() {
        println!("no pending loads for pipeline `{}`", target.pipeline);
    }
    for summary in &done {
        print_load("loaded", summary);
    }
    Ok(())
}

fn print_load(what: &str, s: &LoadSummary) {
    println!(
        "{what} {} ({} file(s), {} bytes, marker {})",
        s.load_id,
        s.files.len(),
        s.bytes,
        s.marker
    );
}
