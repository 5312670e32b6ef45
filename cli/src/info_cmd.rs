//! `stowage info` (a pipeline's load packages with their job counts, states and errors) and
//! `stowage show LOAD_ID` (one package job by job; `stowage show TABLE` is in
//! [`crate::show_table`]).

use std::path::PathBuf;

use serde_json::{Value, json};
use stowage::inspect::{self, JobInfo, PackageInfo};
use stowage::pipeline;

use crate::args::{Cli, TargetArgs};
use crate::exit::{CliResult, Failed};
use crate::load_args::{InfoArgs, ShowArgs};
use crate::output::outln;
use crate::settings;

/// The pipeline name and its working dir.
fn workdir(
    cli: &Cli,
    target: &TargetArgs,
    pipelines_dir: Option<&PathBuf>,
) -> CliResult<(String, PathBuf)> {
    let mut config = settings::load_config(cli)?;
    let source = settings::choose_source(&config, target, true)?;
    let (pipeline, _) = settings::target(&mut config, target, source.as_deref())?;
    let dir =
        pipeline::pipeline_workdir(pipelines_dir.map(PathBuf::as_path), &pipeline).or_failed()?;
    Ok((pipeline, dir))
}

/// `stowage info [--pipeline P]`.
pub fn info(cli: &Cli, args: &InfoArgs) -> CliResult {
    let (name, dir) = workdir(cli, &args.target, args.pipelines_dir.as_ref())?;
    let packages = inspect::packages(&dir).or_failed()?;
    if args.json {
        let doc = json!({
            "status": "ok",
            "command": "info",
            "pipeline": name,
            "workdir": dir.display().to_string(),
            "exists": dir.is_dir(),
            "packages": packages.iter().map(|p| package_json(p, false)).collect::<Vec<_>>(),
        });
        outln!("{doc}");
        return Ok(());
    }
    if !dir.is_dir() {
        let others = dir.parent().map(inspect::pipelines).unwrap_or_default();
        outln!("pipeline `{name}` has no working dir at {}", dir.display());
        if !others.is_empty() {
            outln!("pipelines there: {}", others.join(", "));
        }
        return Ok(());
    }
    outln!("pipeline `{name}` (working dir {})", dir.display());
    if packages.is_empty() {
        outln!("no load packages");
        return Ok(());
    }
    outln!(
        "{:<22} {:<10} {:>5} {:>7} {:>9} {:>6} {:>12}  created",
        "load id",
        "status",
        "new",
        "started",
        "completed",
        "failed",
        "bytes"
    );
    for p in &packages {
        outln!(
            "{:<22} {:<10} {:>5} {:>7} {:>9} {:>6} {:>12}  {}",
            p.load_id,
            p.status(),
            p.count("new_jobs"),
            p.count("started_jobs"),
            p.count("completed_jobs"),
            p.count("failed_jobs"),
            p.bytes(),
            p.created_at.as_deref().unwrap_or("-")
        );
        for job in p.jobs.iter().filter(|j| j.error.is_some()) {
            outln!(
                "  failed {}: {}",
                job.file_name,
                job.error.as_deref().unwrap_or_default()
            );
        }
    }
    let pending = packages.iter().filter(|p| p.stage == "normalized").count();
    if pending > 0 {
        outln!(
            "{pending} package(s) pending: `stowage load` finishes them (`stowage plan` shows what it would do)"
        );
    }
    Ok(())
}

/// `stowage show LOAD_ID` or `stowage show TABLE`.
pub fn show(cli: &Cli, args: &ShowArgs) -> CliResult {
    if !is_load_id(&args.load_id) {
        return crate::show_table::show_table(cli, args);
    }
    let (_, dir) = workdir(cli, &args.target, args.pipelines_dir.as_ref())?;
    let p = inspect::package(&dir, &args.load_id).or_failed()?;
    if args.json {
        let doc = json!({"status": "ok", "command": "show", "package": package_json(&p, true)});
        outln!("{doc}");
        return Ok(());
    }
    outln!("load {} — {} ({})", p.load_id, p.status(), p.stage);
    outln!("folder:   {}", p.dir.display());
    outln!("created:  {}", p.created_at.as_deref().unwrap_or("-"));
    if let Some((name, version, hash)) = &p.schema {
        outln!("schema:   {name} version {version} ({hash})");
    }
    outln!(
        "state:    {}",
        if p.carries_state {
            "changed (a state file is written)"
        } else {
            "unchanged"
        }
    );
    if let Some(tables) = &p.truncated_tables {
        outln!(
            "replace:  emptied {}",
            if tables.is_empty() {
                "-".into()
            } else {
                tables.join(", ")
            }
        );
    }
    outln!("jobs:");
    for job in &p.jobs {
        outln!(
            "  {:<10} retry {:<2} {:>10} bytes  {}  → {}",
            job.state.trim_end_matches("_jobs"),
            job.retry,
            job.bytes,
            job.file_name,
            job.remote_key
                .as_deref()
                .unwrap_or("(key fixed when loading starts)")
        );
        for (i, e) in job.earlier_errors.iter().enumerate() {
            outln!("      attempt {i}: {e}");
        }
        if let Some(e) = &job.error {
            outln!("      error: {e}");
        }
    }
    Ok(())
}

/// True for load ids (`1795310773.1276467`): digits and dots only; anything else is a table.
fn is_load_id(text: &str) -> bool {
    !text.is_empty()
        && text.chars().all(|c| c.is_ascii_digit() || c == '.')
        && text.chars().next().is_some_and(|c| c.is_ascii_digit())
}

fn job_json(j: &JobInfo) -> Value {
    json!({
        "file_name": j.file_name,
        "table": j.table,
        "state": j.state,
        "retry": j.retry,
        "bytes": j.bytes,
        "remote_key": j.remote_key,
        "error": j.error,
        "earlier_errors": j.earlier_errors,
    })
}

fn package_json(p: &PackageInfo, with_jobs: bool) -> Value {
    let mut doc = json!({
        "load_id": p.load_id,
        "status": p.status(),
        "stage": p.stage,
        "dir": p.dir.display().to_string(),
        "created_at": p.created_at,
        "schema": p.schema.as_ref().map(|(n, v, h)| json!({"name": n, "version": v, "version_hash": h})),
        "carries_state": p.carries_state,
        "truncated_tables": p.truncated_tables,
        "bytes": p.bytes(),
        "jobs": {
            "new": p.count("new_jobs"),
            "started": p.count("started_jobs"),
            "completed": p.count("completed_jobs"),
            "failed": p.count("failed_jobs"),
        },
        "errors": p.jobs.iter().filter_map(|j| j.error.as_ref().map(|e| json!({"job": j.file_name, "error": e}))).collect::<Vec<_>>(),
    });
    if with_jobs {
        doc["job_list"] = p.jobs.iter().map(job_json).collect();
    }
    doc
}
