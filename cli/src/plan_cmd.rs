//! `stowage plan`: a dry run printing every object key the next load writes and every key
//! replace deletes. The bucket is only read. With an input (or a configured source) the input
//! is normalized into a package first; `--keep` leaves that package pending so that
//! `stowage load` does exactly what was printed.

use serde_json::{Value, json};
use stowage::config::{Config, ConfigSources, redact_url};
use stowage::pipeline::{self, PlanInput, PlanSummary};
use stowage::plan::{InitAction, LoadPlan};

use crate::exit::{CliResult, Failed};
use crate::load_args::PlanArgs;
use crate::output::outln;
use crate::plugins_cmd::registry;
use crate::{args::Cli, settings};

/// `stowage plan [INPUT] [--keep | --pending-only]`.
pub fn plan(cli: &Cli, args: &PlanArgs) -> CliResult {
    let (options, input) = match plans_pending_only(cli, args) {
        true => {
            let plan = settings::plan_load_with(
                cli,
                &args.run.target,
                args.run.dataset.as_deref(),
                args.run.pipelines_dir.clone(),
                Some(&args.run.load),
            )?;
            (plan.options, PlanInput::PendingOnly)
        }
        false => {
            let input = match args.keep {
                true => PlanInput::Keep,
                false => PlanInput::Discard,
            };
            (settings::plan_run(cli, &args.run)?.options, input)
        }
    };
    let reg = registry(cli);
    let summary = pipeline::plan(&reg, &options, input).or_failed()?;
    if args.run.json {
        outln!("{}", plan_json(&options.pipeline, &summary));
        return Ok(());
    }
    print_plan(&options.pipeline, &summary);
    Ok(())
}

/// Pending packages only: asked for, or nothing to normalize (no INPUT, no source).
fn plans_pending_only(cli: &Cli, args: &PlanArgs) -> bool {
    if args.pending_only {
        return true;
    }
    if args.run.input.is_some() || args.run.target.source.is_some() {
        return false;
    }
    ConfigSources::from_process(cli.project_dir.clone())
        .and_then(Config::load)
        .map(|c| c.runnable_sources().is_empty())
        .unwrap_or(true)
}

fn init_action(action: InitAction) -> &'static str {
    match action {
        InitAction::Create => "create",
        InitAction::MigrateLegacy => "migrate",
        InitAction::Keep => "keep",
    }
}

/// Every key the plan writes, in write order.
fn writes(plan: &LoadPlan) -> Vec<&str> {
    let mut out = Vec::new();
    if plan.init.action != InitAction::Keep {
        out.push(plan.init.key.as_str());
    }
    out.extend(plan.schema_version.as_deref());
    out.extend(plan.uploads.iter().map(|u| u.key.as_str()));
    out.extend(plan.state_file.as_deref());
    out.push(plan.marker.as_str());
    out
}

fn load_json(plan: &LoadPlan) -> Value {
    json!({
        "load_id": plan.load_id,
        "dataset": plan.dataset,
        "init": {"key": plan.init.key, "action": init_action(plan.init.action)},
        "legacy": plan.legacy,
        "schema_version": plan.schema_version,
        "truncate": plan.truncate,
        "truncated_before": plan.truncated_before,
        "deletes": plan.deletes.iter().map(|d| json!({"key": d.key, "table": d.table})).collect::<Vec<_>>(),
        "uploads": plan.uploads.iter().map(|u| json!({
            "key": u.key, "job": u.job.file_name(), "table": u.job.table, "bytes": u.bytes, "state": u.state,
        })).collect::<Vec<_>>(),
        "completed": plan.completed.iter().map(|u| u.key.clone()).collect::<Vec<_>>(),
        "state_file": plan.state_file,
        "marker": plan.marker,
        "writes": writes(plan),
        "warnings": plan.warnings,
    })
}

fn plan_json(pipeline: &str, s: &PlanSummary) -> Value {
    json!({
        "status": "ok",
        "command": "plan",
        "pipeline": pipeline,
        "bucket_url": redact_url(&s.bucket_url),
        "dataset": s.dataset,
        "normalized": s.normalized.as_ref().map(|(id, rows, kept)| json!({"load_id": id, "rows": rows, "kept": kept})),
        "loads": s.plans.iter().map(load_json).collect::<Vec<_>>(),
        "time_placeholder": stowage::plan::TIME_PLACEHOLDER,
    })
}

fn print_plan(pipeline: &str, s: &PlanSummary) {
    outln!(
        "plan for pipeline `{pipeline}` into {} (dry run: nothing was written)",
        redact_url(&s.bucket_url)
    );
    if s.plans.is_empty() {
        outln!("nothing to load: no pending packages");
    }
    for plan in &s.plans {
        let bytes: u64 = plan.uploads.iter().map(|u| u.bytes).sum();
        outln!(
            "\nload {}: {} file(s), {bytes} bytes{}",
            plan.load_id,
            plan.uploads.len(),
            match plan.completed.len() {
                0 => String::new(),
                n => format!(" ({n} uploaded before)"),
            }
        );
        if plan.init.action != InitAction::Keep {
            outln!(
                "  write   {}  ({} storage version)",
                plan.init.key,
                init_action(plan.init.action)
            );
        }
        if let Some(key) = &plan.schema_version {
            outln!("  write   {key}  (new schema version; <time> = the write time)");
        }
        for d in &plan.deletes {
            outln!("  delete  {}  (replace `{}`)", d.key, d.table);
        }
        for u in &plan.uploads {
            outln!("  upload  {}  ({} bytes)", u.key, u.bytes);
        }
        if let Some(key) = &plan.state_file {
            outln!("  write   {key}  (pipeline state)");
        }
        outln!("  write   {}  (marker, last)", plan.marker);
        for warning in &plan.warnings {
            outln!("  warning: {warning}");
        }
    }
    match &s.normalized {
        Some((id, rows, true)) => outln!(
            "\nnormalized {rows} rows into load {id}, kept pending: `stowage load` executes this plan"
        ),
        Some((id, rows, false)) => outln!(
            "\nnormalized {rows} rows into load {id} for this plan and deleted it again (a real \
             run gets new load and file ids); use --keep to load exactly this plan"
        ),
        None => {}
    }
}
