//! The `stowage` command line: a thin layer over the `stowage` engine.
//!
//! Exit codes: 0 success, 1 the operation failed (the message says what, where and how to fix
//! it), 2 invalid usage.

mod args;
mod plugins_cmd;
mod run_cmd;

use clap::Parser;

fn main() {
    let cli = args::Cli::parse();
    let result = match &cli.command {
        args::Command::Run(run) => run_cmd::run(&cli, run),
        args::Command::Load(load) => run_cmd::load(&cli, load),
        args::Command::Plugins(list) => plugins_cmd::list(&cli, list),
    };
    if let Err(e) = result {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}
