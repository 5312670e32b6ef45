//! `stowage completions bash|zsh|fish|elvish|powershell`: a completion script on stdout.

use clap::CommandFactory;

use crate::args::{Cli, CompletionsArgs};

/// Prints the completion script for the shell.
pub fn completions(args: &CompletionsArgs) {
    let mut command = Cli::command();
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut command, "stowage", &mut script);
    crate::output::line(format_args!(
        "{}",
        String::from_utf8_lossy(&script).trim_end()
    ));
}
