//! The `stowage` command line: a thin layer over the `stowage` engine.
//!
//! Exit codes (see [`exit`]): 0 success, 1 the operation failed, 2 invalid usage, 3
//! configuration error. Every error says what went wrong, where (file:line, env var, flag) and
//! how to fix it; secrets never appear in output.

mod args;
mod completions_cmd;
mod config_cmd;
mod exit;
mod info_cmd;
mod init_cmd;
mod init_templates;
mod load_args;
mod load_settings;
mod log;
mod output;
mod pipeline_cmd;
mod plan_cmd;
mod plugins_cmd;
mod progress;
mod run_cmd;
mod settings;
mod show_table;
mod sql_cmd;
mod staging_settings;

/// mimalloc: records and batches are allocated on one thread and freed on another (reader,
/// normalizer, encoder), which glibc's malloc handles poorly.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use clap::Parser;

use args::Command;

fn main() {
    let cli = args::Cli::parse();
    let result = match &cli.command {
        Command::Init(init) => init_cmd::init(&cli, init),
        Command::Run(run) => run_cmd::run(&cli, run),
        Command::Load(load) => run_cmd::load(&cli, load),
        Command::Plan(plan) => plan_cmd::plan(&cli, plan),
        Command::Info(info) => info_cmd::info(&cli, info),
        Command::Show(show) => info_cmd::show(&cli, show),
        Command::Sql(sql) => sql_cmd::sql(&cli, sql),
        Command::Config(config) => config_cmd::config(&cli, config),
        Command::Pipeline(args::PipelineCommand::Sync(sync)) => pipeline_cmd::sync(&cli, sync),
        Command::Plugins(list) => plugins_cmd::list(&cli, list),
        Command::Completions(shell) => {
            completions_cmd::completions(shell);
            Ok(())
        }
    };
    if let Err(e) = result {
        e.report(cli.command.wants_json());
        std::process::exit(e.code);
    }
}
