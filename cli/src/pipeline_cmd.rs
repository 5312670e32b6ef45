//! `stowage pipeline sync NAME`: restore a pipeline's state and schema from its bucket.

use serde_json::json;
use stowage::pipeline;

use crate::args::{Cli, PipelineSyncArgs};
use crate::exit::{CliResult, Failed};
use crate::output::outln;
use crate::plugins_cmd::registry;
use crate::settings;

/// Restores the newest state and schema of `args.name` into its working dir.
pub fn sync(cli: &Cli, args: &PipelineSyncArgs) -> CliResult {
    let mut target = args.target.clone();
    target.pipeline = Some(args.name.clone());
    let plan = settings::plan_load(
        cli,
        &target,
        args.dataset.as_deref(),
        args.pipelines_dir.clone(),
    )?;
    let reg = registry(cli);
    let schema = pipeline::sync(&reg, &plan.options).or_failed()?;
    let workdir = pipeline::pipeline_workdir(
        plan.options.pipelines_dir.as_deref(),
        &plan.options.pipeline,
    )
    .or_failed()?;
    if args.json {
        let doc = json!({
            "status": "ok",
            "command": "pipeline sync",
            "pipeline": plan.options.pipeline,
            "schema": schema,
            "workdir": workdir.display().to_string(),
        });
        outln!("{doc}");
    } else {
        outln!(
            "restored pipeline `{}` (schema `{schema}`) into {}",
            plan.options.pipeline,
            workdir.display()
        );
    }
    Ok(())
}
