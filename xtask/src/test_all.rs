//! `cargo xtask test-all [--skip STEP]…`: everything CI checks, as a list of steps.
//!
//! Steps run in order. A step whose prerequisite failed is reported as skipped; every other step
//! still runs, so one run shows all problems. The summary lists each step with its outcome and
//! time, and the command exits non-zero if any step failed. Later steps (starting and stopping the
//! test servers) slot into [`steps`]; anything that must be undone at the end registers a
//! cleanup in [`Ctx::cleanups`], which runs even when steps fail.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Child;
use std::time::Instant;

use crate::util::{self, Result};
use crate::{bench, build, deps, fixtures, pyenv, servers};

/// State shared by the steps.
struct Ctx {
    root: PathBuf,
    target: PathBuf,
    /// Environment handed to `cargo test` (filled by the build steps).
    test_env: Vec<(String, OsString)>,
    /// The server start script, running in the background while the build steps run.
    servers_starting: Option<Child>,
    /// The Python venv being created in the background (`None` when up to date).
    python_installing: Option<Child>,
    /// Tests run so far (for the closing `N passed, N failed` line).
    tests: util::TestCounts,
    /// Undo actions (stop servers, …), run in reverse order at the end.
    cleanups: Vec<Box<dyn FnOnce()>>,
}

/// One step of the run.
struct Step {
    name: &'static str,
    /// Steps whose failure makes this one pointless.
    needs: &'static [&'static str],
    run: fn(&mut Ctx) -> Result<()>,
}

fn steps() -> Vec<Step> {
    vec![
        Step {
            name: "servers-install",
            needs: &[],
            run: step_servers_install,
        },
        Step {
            name: "python-install",
            needs: &[],
            run: step_python_install,
        },
        Step {
            name: "build",
            needs: &[],
            run: step_build,
        },
        Step {
            name: "fixtures",
            needs: &[],
            run: step_fixtures,
        },
        Step {
            name: "vendor",
            needs: &[],
            run: step_vendor,
        },
        Step {
            name: "servers",
            needs: &["servers-install"],
            run: step_servers,
        },
        Step {
            name: "python",
            needs: &["python-install"],
            run: step_python,
        },
        Step {
            name: "test",
            needs: &["build", "fixtures", "vendor", "servers", "python"],
            run: step_test,
        },
        Step {
            name: "bench-smoke",
            needs: &["build", "python"],
            run: step_bench_smoke,
        },
        Step {
            name: "deps",
            needs: &[],
            run: step_deps,
        },
        Step {
            name: "clippy",
            needs: &[],
            run: step_clippy,
        },
        Step {
            name: "fmt",
            needs: &[],
            run: step_fmt,
        },
    ]
}

/// Starts installing and starting the test servers in the background; the build overlaps it.
fn step_servers_install(ctx: &mut Ctx) -> Result<()> {
    let dir = servers::dir();
    ctx.servers_starting = Some(servers::spawn_start(&ctx.root, &dir)?);
    let root = ctx.root.clone();
    ctx.cleanups.push(Box::new(move || {
        if let Err(e) = servers::stop(&root, &dir) {
            eprintln!("xtask: stopping the servers failed: {e}");
        }
    }));
    Ok(())
}

/// Waits until every server is up and hands their settings to the tests.
fn step_servers(ctx: &mut Ctx) -> Result<()> {
    let child = ctx
        .servers_starting
        .take()
        .ok_or("the servers were not started")?;
    let env = servers::wait_started(child, &servers::dir())?;
    ctx.test_env.extend(env);
    Ok(())
}

/// Starts creating the tests' Python venv (dlt, pyarrow, DuckDB) in the background.
fn step_python_install(ctx: &mut Ctx) -> Result<()> {
    ctx.python_installing = pyenv::spawn_install(&ctx.root, &ctx.target)?;
    Ok(())
}

/// Waits for the venv and hands its interpreter to the tests.
fn step_python(ctx: &mut Ctx) -> Result<()> {
    let python = pyenv::wait(ctx.python_installing.take(), &ctx.target)?;
    push_env(ctx, pyenv::PYTHON_ENV, python);
    Ok(())
}

fn push_env(ctx: &mut Ctx, key: &str, value: PathBuf) {
    ctx.test_env.push((key.to_string(), value.into_os_string()));
}

fn step_build(ctx: &mut Ctx) -> Result<()> {
    let built = build::build(&ctx.root, &ctx.target, false)?;
    push_env(ctx, "STOWAGE_TEST_PLUGIN_DIR", built.plugin_dir);
    push_env(ctx, "STOWAGE_BIN", built.host_bin);
    Ok(())
}

fn step_fixtures(ctx: &mut Ctx) -> Result<()> {
    let fixtures = fixtures::build_all(&ctx.root, &ctx.target)?;
    for (key, value) in fixtures.env() {
        push_env(ctx, key, value);
    }
    Ok(())
}

fn step_vendor(ctx: &mut Ctx) -> Result<()> {
    let lib = fixtures::build_vendor(&ctx.root, &ctx.target, &mut ctx.tests)?;
    push_env(ctx, "STOWAGE_VENDOR_PLUGIN", lib);
    Ok(())
}

fn step_test(ctx: &mut Ctx) -> Result<()> {
    let mut cmd = workspace_cargo(ctx);
    // All test binaries run even if one fails, so one run shows every failure.
    cmd.args(["test", "--workspace", "--no-fail-fast"]);
    for (key, value) in &ctx.test_env {
        cmd.env(key, value);
    }
    util::run_tests(&mut cmd, &mut ctx.tests)
}

/// `cargo xtask bench --smoke` with the debug build, the venv and the servers of this run: tiny
/// inputs through every benchmark path, so the harness never rots.
fn step_bench_smoke(ctx: &mut Ctx) -> Result<()> {
    let value = |key: &str| {
        ctx.test_env
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| PathBuf::from(v))
            .ok_or_else(|| format!("{key} was not set by the earlier steps"))
    };
    let (host, plugins) = (value("STOWAGE_BIN")?, value("STOWAGE_TEST_PLUGIN_DIR")?);
    let python = value(pyenv::PYTHON_ENV)?;
    bench::smoke(
        &ctx.root,
        &ctx.target,
        &host,
        &plugins,
        &python,
        &ctx.test_env,
    )
}

fn step_deps(ctx: &mut Ctx) -> Result<()> {
    deps::check(&ctx.root, &ctx.target)
}

fn step_clippy(ctx: &mut Ctx) -> Result<()> {
    let mut cmd = workspace_cargo(ctx);
    cmd.args([
        "clippy",
        "--workspace",
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ]);
    util::run(&mut cmd)
}

fn step_fmt(ctx: &mut Ctx) -> Result<()> {
    let mut cmd = workspace_cargo(ctx);
    cmd.args(["fmt", "--all", "--", "--check"]);
    util::run(&mut cmd)
}

fn workspace_cargo(ctx: &Ctx) -> std::process::Command {
    let mut cmd = util::cargo(&ctx.root);
    cmd.env("CARGO_TARGET_DIR", &ctx.target);
    cmd
}

enum Outcome {
    Passed,
    Failed(String),
    Skipped(String),
}

/// Runs every step (except `skip`) and prints the summary.
pub fn run(root: &Path, target: &Path, skip: &[String]) -> Result<()> {
    let all = steps();
    if let Some(unknown) = skip
        .iter()
        .find(|s| !all.iter().any(|step| step.name == s.as_str()))
    {
        let names: Vec<&str> = all.iter().map(|s| s.name).collect();
        return Err(format!(
            "unknown step `{unknown}` (steps: {})",
            names.join(", ")
        ));
    }
    let mut ctx = Ctx {
        root: root.to_path_buf(),
        target: target.to_path_buf(),
        test_env: Vec::new(),
        servers_starting: None,
        python_installing: None,
        tests: util::TestCounts::default(),
        cleanups: Vec::new(),
    };
    let started = Instant::now();
    let mut results: Vec<(&'static str, Outcome, f64)> = Vec::new();
    for step in all {
        let failed_need = step.needs.iter().find(|need| {
            results
                .iter()
                .any(|(n, o, _)| n == *need && matches!(o, Outcome::Failed(_)))
        });
        let t = Instant::now();
        let outcome = if skip.iter().any(|s| s == step.name) {
            Outcome::Skipped("--skip".into())
        } else if let Some(need) = failed_need {
            Outcome::Skipped(format!("`{need}` failed"))
        } else {
            eprintln!("\nxtask: ==== step {} ====", step.name);
            match (step.run)(&mut ctx) {
                Ok(()) => Outcome::Passed,
                Err(e) => {
                    eprintln!("xtask: step {} FAILED: {e}", step.name);
                    Outcome::Failed(e)
                }
            }
        };
        results.push((step.name, outcome, t.elapsed().as_secs_f64()));
    }
    if let Some(mut child) = ctx.python_installing.take() {
        let _ = child.wait();
    }
    if let Some(mut child) = ctx.servers_starting.take() {
        // `servers` was skipped: let the script finish so the cleanup below stops everything.
        let _ = child.wait();
    }
    while let Some(cleanup) = ctx.cleanups.pop() {
        cleanup();
    }

    let failed = results
        .iter()
        .filter(|(_, o, _)| matches!(o, Outcome::Failed(_)))
        .count();
    println!("\ntest-all summary:");
    for (name, outcome, secs) in &results {
        match outcome {
            Outcome::Passed => println!("  ok       {name:<15} {secs:7.1}s"),
            Outcome::Failed(e) => println!("  FAILED   {name:<15} {secs:7.1}s  {e}"),
            Outcome::Skipped(why) => println!("  skipped  {name:<15}                 ({why})"),
        }
    }
    let total = started.elapsed().as_secs_f64();
    let steps = results.len();
    if failed == 0 {
        println!("all {steps} steps ok in {total:.0}s");
    } else {
        println!("{failed} of {steps} steps FAILED ({total:.0}s)");
    }
    // The closing line CI reads: tests run by the `vendor` and `test` steps.
    let t = ctx.tests;
    println!(
        "test-all: {} passed, {} failed, {} skipped",
        t.passed, t.failed, t.ignored
    );
    if failed == 0 {
        Ok(())
    } else {
        Err(format!("{failed} of {steps} steps failed"))
    }
}
