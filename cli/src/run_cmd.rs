//! `stowage run` and `stowage load`: resolve settings, call the engine, print a summary (text or
//! `--json`).

use serde_json::{Value, json};
use stowage::config::redact_url;
use stowage::loader::LoadSummary;
use stowage::pipeline::{self, RunSummary};

use crate::args::{Cli, LoadArgs, RunArgs};
use crate::exit::{CliError, CliResult, Failed};
use crate::output::outln;
use crate::plugins_cmd::registry;
use crate::settings::{self, Plan};

/// `stowage run [INPUT] [--table T]`.
pub fn run(cli: &Cli, args: &RunArgs) -> CliResult {
    let plan = settings::plan_run(cli, args)?;
    let reg = registry(cli);
    if plan.options.staging.is_none()
        && let Some(database) = stowage::staging::pending_destination(&plan.options).or_failed()?
    {
        return Err(CliError::usage(format!(
            "pipeline `{}` has a pending load staged for destination `{database}`: finish it \
             with `stowage load` (or run with --destination {database})",
            plan.options.pipeline
        )));
    }
    let summary = pipeline::run(&reg, &plan.options).or_failed()?;
    if args.json {
        outln!("{}", run_json(&plan, &summary));
        return Ok(());
    }
    if args.load.quiet {
        return Ok(());
    }
    for pending in &summary.finished_pending {
        print_load("finished pending load", pending);
    }
    outln!(
        "loaded {} rows into `{}` (load {}, {} file(s), {} bytes)",
        summary.rows,
        summary.table,
        summary.load_id,
        summary.load.files.len(),
        summary.load.bytes
    );
    outln!(
        "dataset: {}",
        dataset_url(&summary.bucket_url, &summary.dataset)
    );
    if plan.default_bucket {
        outln!("(no bucket configured: used the default ./_storage)");
    }
    Ok(())
}

/// `stowage load`: finish pending packages; staged ones into the database destination their
/// package records (or `--destination duckdb|postgres`).
pub fn load(cli: &Cli, args: &LoadArgs) -> CliResult {
    let flagged = crate::staging_settings::load_destination(&args.target);
    let mut target = args.target.clone();
    if flagged.is_some() {
        // The staging bucket is the filesystem destination's.
        target.destination = Some("filesystem".into());
    }
    let plan = settings::plan_load_with(
        cli,
        &target,
        args.dataset.as_deref(),
        args.pipelines_dir.clone(),
        Some(&args.load),
    )?;
    let reg = registry(cli);
    let database = match flagged {
        Some(database) => Some(database),
        None => stowage::staging::pending_destination(&plan.options).or_failed()?,
    };
    let done = match &database {
        Some(database) => {
            let staging = crate::staging_settings::load_options(cli, &plan.options, database)?;
            stowage::staging::load_pending(&reg, &plan.options, &staging).or_failed()?
        }
        None => pipeline::load_pending(&reg, &plan.options).or_failed()?,
    };
    if args.json {
        let loads: Vec<Value> = done.iter().map(load_json).collect();
        let doc = json!({
            "status": "ok",
            "command": "load",
            "pipeline": plan.options.pipeline,
            "destination": database.as_deref().unwrap_or(plan.destination.name()),
            "loads": loads,
        });
        outln!("{doc}");
        return Ok(());
    }
    if args.load.quiet {
        return Ok(());
    }
    if done.is_empty() {
        outln!("no pending loads for pipeline `{}`", plan.options.pipeline);
    }
    for summary in &done {
        print_load("loaded", summary);
    }
    Ok(())
}

fn dataset_url(bucket_url: &str, dataset: &str) -> String {
    format!("{}/{dataset}", redact_url(bucket_url).trim_end_matches('/'))
}

fn run_json(plan: &Plan, summary: &RunSummary) -> Value {
    json!({
        "status": "ok",
        "command": "run",
        "pipeline": plan.options.pipeline,
        "source": plan.source,
        "destination": plan.destination.name(),
        "load_id": summary.load_id,
        "rows": summary.rows,
        "table": summary.table,
        "dataset": summary.dataset,
        "bucket_url": redact_url(&summary.bucket_url),
        "dataset_url": dataset_url(&summary.bucket_url, &summary.dataset),
        "default_bucket": plan.default_bucket,
        "files": summary.load.files,
        "bytes": summary.load.bytes,
        "marker": summary.load.marker,
        "deleted": summary.load.deleted,
        "written": summary.load.written(),
        "warnings": summary.load.warnings,
        "finished_pending": summary.finished_pending.iter().map(load_json).collect::<Vec<_>>(),
        "workdir": summary.workdir,
    })
}

fn load_json(s: &LoadSummary) -> Value {
    json!({
        "load_id": s.load_id,
        "files": s.files,
        "bytes": s.bytes,
        "marker": s.marker,
        "deleted": s.deleted,
        "written": s.written(),
        "warnings": s.warnings,
    })
}

fn print_load(what: &str, s: &LoadSummary) {
    outln!(
        "{what} {} ({} file(s), {} bytes, marker {})",
        s.load_id,
        s.files.len(),
        s.bytes,
        s.marker
    );
}
