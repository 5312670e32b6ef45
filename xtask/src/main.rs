//! `cargo xtask`: project automation for Stowage (std only).
//!
//! ```text
//! cargo xtask build [--release]     host binary + every plugin (each on its own) + plugins/ dir
//! cargo xtask deps                  deny-list check of the host's dependency tree
//! cargo xtask fixtures              build the ABI fixtures (own target dirs)
//! cargo xtask test-all [--skip S]   build, fixtures, vendor example, tests, deps, clippy, fmt
//! cargo xtask run -- ARGS           build, then run target/debug/stowage ARGS
//! cargo xtask servers start|stop|env  the real test servers on 127.0.0.1
//! cargo xtask python                 the tests' Python venv (dlt, pyarrow, DuckDB); prints its python
//! cargo xtask duckdb                 fetch the prebuilt libduckdb.so the duckdb plugin links; prints its dir
//! cargo xtask bench [--smoke] …       Stowage against dlt and the anchors; writes BENCHMARKS.md
//! ```
//! Cargo is run as `$CARGO` (or `cargo`); the target dir is `$CARGO_TARGET_DIR` or `target/`.

mod bench;
mod build;
mod deps;
mod duckdb_lib;
mod fixtures;
mod pyenv;
mod servers;
mod test_all;
mod util;

use std::process::ExitCode;

use util::Result;

const USAGE: &str = "\
usage: cargo xtask <command>

commands:
  build [--release]     build the host (stowage-cli) and each plugin package on its own,
                        then copy the plugins to target/<profile>/plugins/
  deps                  fail if the host's dependency tree has a denied crate
  fixtures              build the ABI fixtures into target/abi-fixtures/
  test-all [--skip S]   servers, build, fixtures, vendor example, cargo test, deps, clippy, fmt
                        (steps: servers-install python-install build fixtures vendor
                        servers python test bench-smoke deps clippy fmt)
  python                create (if needed) the tests' Python venv with dlt 1.31, pyarrow
                        and DuckDB under <target>/py-venv; prints its interpreter
  servers start|stop|env
                        install and start (or stop) the test servers on 127.0.0.1, or print
                        their settings as shell exports (dir: $STOWAGE_SERVERS_DIR or
                        /var/tmp/stowage-servers)
  run -- ARGS           build, then run target/debug/stowage ARGS
  duckdb                fetch (once, with npm pack) the prebuilt libduckdb.so that the duckdb
                        destination links against into <target>/duckdb/; prints its dir
  bench [--smoke] [--scale F] [--runs N] [--only PATTERN]... [--no-peers] [--no-upload]
                        Stowage against dlt (default and tuned) and the anchors (cat, gzip -1,
                        pyarrow) on generated inputs, release build; median of --runs (3);
                        writes BENCHMARKS.md. --smoke: tiny inputs, every path once
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match dispatch(&args) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("xtask: error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn dispatch(args: &[String]) -> Result<ExitCode> {
    let root = util::workspace_root();
    let target = util::target_dir(&root);
    let (command, rest) = match args.split_first() {
        Some((c, rest)) => (c.as_str(), rest),
        None => ("help", &[][..]),
    };
    match command {
        "build" => {
            let release = flags(rest, &["--release"])?.contains(&"--release");
            build::build(&root, &target, release)?;
        }
        "deps" => {
            flags(rest, &[])?;
            deps::check(&root, &target)?;
        }
        "fixtures" => {
            flags(rest, &[])?;
            fixtures::build_all(&root, &target)?;
        }
        "test-all" => test_all::run(&root, &target, &skip_list(rest)?)?,
        "run" => return run(&root, &target, rest),
        "servers" => servers::command(&root, rest)?,
        "python" => {
            flags(rest, &[])?;
            let child = pyenv::spawn_install(&root, &target)?;
            println!("{}", pyenv::wait(child, &target)?.display());
        }
        "bench" => bench::command(&root, &target, rest)?,
        "duckdb" => {
            flags(rest, &[])?;
            println!("{}", duckdb_lib::ensure(&target)?.display());
        }
        "help" | "-h" | "--help" => print!("{USAGE}"),
        other => return Err(format!("unknown command `{other}`\n\n{USAGE}")),
    }
    Ok(ExitCode::SUCCESS)
}

/// Checks that `args` only holds the `allowed` flags; returns them.
fn flags<'a>(args: &'a [String], allowed: &[&str]) -> Result<Vec<&'a str>> {
    args.iter()
        .map(|a| match allowed.contains(&a.as_str()) {
            true => Ok(a.as_str()),
            false => Err(format!("unexpected argument `{a}`\n\n{USAGE}")),
        })
        .collect()
}

fn skip_list(args: &[String]) -> Result<Vec<String>> {
    let mut skip = Vec::new();
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--skip" => skip.push(it.next().ok_or("--skip needs a step name")?.clone()),
            other => return Err(format!("unexpected argument `{other}`\n\n{USAGE}")),
        }
    }
    Ok(skip)
}

/// `run [--] ARGS`: build (debug), then run the host binary with `ARGS`, passing its exit code on.
fn run(root: &std::path::Path, target: &std::path::Path, args: &[String]) -> Result<ExitCode> {
    let args = match args.first() {
        Some(first) if first == "--" => &args[1..],
        _ => args,
    };
    let built = build::build(root, target, false)?;
    let mut cmd = std::process::Command::new(&built.host_bin);
    cmd.args(args);
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        // Replaces this process: exit code and signals are the binary's own.
        let err = cmd.exec();
        Err(format!("cannot run {}: {err}", built.host_bin.display()))
    }
    #[cfg(not(unix))]
    {
        let status = cmd
            .status()
            .map_err(|e| format!("cannot run {}: {e}", built.host_bin.display()))?;
        Ok(ExitCode::from(
            status.code().unwrap_or(1).clamp(0, 255) as u8
        ))
    }
}
