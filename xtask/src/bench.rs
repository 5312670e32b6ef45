//! `cargo xtask bench`: Stowage against dlt on the same inputs, in one invocation, and the
//! anchors that bound what is possible (`cat`, `gzip -1`, pyarrow's C++ json→parquet).
//!
//! ```text
//! cargo xtask bench [--scale F] [--flat-rows N] [--nested-rows N] [--runs N] [--seed N]
//!                   [--only PATTERN]… [--no-peers] [--no-rss-check] [--no-upload]
//!                   [--debug] [--out FILE]
//! cargo xtask bench --smoke        tiny inputs, every path once (run by `test-all`)
//! ```
//!
//! Steps: build the host and the benchmarked plugins (release; a format plugin that does not
//! build yet leaves its rows pending), create the Python venv of the tests (dlt 1.31, pyarrow),
//! generate the workloads ([`workloads`], cached in `<target>/bench/data`), then run every case
//! ([`cases`]) `--runs` times, round-robin so a noisy neighbour hits every tool alike, each in a
//! fresh run dir on the same disk, under [`measure`] (wall, CPU, peak RSS from `wait4`). Every
//! run's output is checked against the input's row counts. Then Stowage once more on 4× inputs
//! (peak RSS must not grow with input size), the S3 upload comparison ([`upload`]) and
//! `stowage sql` over ~1 GiB of parquet on S3 ([`sql`], `--only sql`). The
//! result goes into the generated block of `BENCHMARKS.md` ([`report`]); `--smoke` writes
//! `<target>/bench/smoke.md` instead and fails if any run failed or did not run.

mod binaries;
mod cases;
mod measure;
mod report;
mod rng;
mod sql;
mod upload;
mod workloads;

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use cases::{Case, Format, Tool, Tools};
use measure::{Cost, Meter};
use report::{CaseResult, Report, RssPoint, Status};
use workloads::{Kind, Workload};

use crate::pyenv;
use crate::util::{self, Result};

/// Row counts of `--smoke`.
const SMOKE_FLAT_ROWS: u64 = 2_000;
const SMOKE_NESTED_ROWS: u64 = 300;
/// Input size multiple of the RSS check.
const RSS_CHECK_FACTOR: u64 = 4;

/// Parsed arguments.
#[derive(Debug, Clone)]
struct Options {
    smoke: bool,
    flat_rows: u64,
    nested_rows: u64,
    /// Rows of the `sql` case's table.
    sql_rows: u64,
    runs: usize,
    seed: u64,
    only: Vec<String>,
    peers: bool,
    rss_check: bool,
    upload: bool,
    release: bool,
    out: Option<PathBuf>,
    /// The arguments as given, for the report's "reproduce" line.
    given: Vec<String>,
}

const USAGE: &str = "\
usage: cargo xtask bench [--smoke] [--scale F] [--flat-rows N] [--nested-rows N] [--runs N]
                         [--seed N] [--only PATTERN]... [--no-peers] [--no-rss-check]
                         [--no-upload] [--debug|--release] [--out FILE]";

impl Options {
    fn parse(args: &[String]) -> Result<Options> {
        let smoke = args.iter().any(|a| a == "--smoke");
        let mut o = Options {
            smoke,
            flat_rows: if smoke {
                SMOKE_FLAT_ROWS
            } else {
                workloads::DEFAULT_FLAT_ROWS
            },
            nested_rows: if smoke {
                SMOKE_NESTED_ROWS
            } else {
                workloads::DEFAULT_NESTED_ROWS
            },
            sql_rows: if smoke {
                sql::SMOKE_ROWS
            } else {
                sql::DEFAULT_ROWS
            },
            runs: if smoke { 1 } else { 3 },
            seed: 42,
            only: Vec::new(),
            peers: true,
            rss_check: true,
            upload: true,
            release: !smoke,
            out: None,
            given: args.to_vec(),
        };
        let mut it = args.iter();
        while let Some(arg) = it.next() {
            let mut value = || {
                it.next()
                    .cloned()
                    .ok_or_else(|| format!("{arg} needs a value\n\n{USAGE}"))
            };
            match arg.as_str() {
                "--smoke" => {}
                "--scale" => {
                    let f: f64 = number(&value()?)?;
                    o.flat_rows = ((workloads::DEFAULT_FLAT_ROWS as f64 * f) as u64).max(1);
                    o.nested_rows = ((workloads::DEFAULT_NESTED_ROWS as f64 * f) as u64).max(1);
                    o.sql_rows = ((sql::DEFAULT_ROWS as f64 * f) as u64).max(1);
                }
                "--flat-rows" => o.flat_rows = number(&value()?)?,
                "--nested-rows" => o.nested_rows = number(&value()?)?,
                "--runs" => o.runs = number::<usize>(&value()?)?.max(1),
                "--seed" => o.seed = number(&value()?)?,
                "--only" => o.only.push(value()?),
                "--no-peers" => o.peers = false,
                "--no-rss-check" => o.rss_check = false,
                "--no-upload" => o.upload = false,
                "--debug" => o.release = false,
                "--release" => o.release = true,
                "--out" => o.out = Some(PathBuf::from(value()?)),
                other => return Err(format!("unexpected argument `{other}`\n\n{USAGE}")),
            }
        }
        Ok(o)
    }

    fn selected(&self, case: &Case) -> bool {
        let id = case.id();
        (self.peers || !case.tool.needs_python())
            && (self.only.is_empty() || self.only.iter().any(|p| id.contains(p.as_str())))
            && (!self.smoke || smoke_case(case))
    }
}

/// `--smoke` runs every Stowage path, one dlt run and the anchors.
fn smoke_case(case: &Case) -> bool {
    match case.tool {
        Tool::DltTuned => false,
        Tool::DltDefault => case.kind == Kind::Flat && case.format == Some(Format::JsonlGz),
        _ => true,
    }
}

fn number<T: std::str::FromStr>(text: &str) -> Result<T> {
    text.parse()
        .map_err(|_| format!("`{text}` is not a valid number\n\n{USAGE}"))
}

/// `cargo xtask bench ARGS`.
pub fn command(root: &Path, target: &Path, args: &[String]) -> Result<()> {
    let options = Options::parse(args)?;
    let binaries = binaries::build(root, target, options.release)?;
    let python = match pyenv::spawn_install(root, target).and_then(|c| pyenv::wait(c, target)) {
        Ok(python) => Some(python),
        Err(e) if options.peers => return Err(e),
        Err(_) => None,
    };
    let server_env = crate::servers::read_env(&crate::servers::dir()).unwrap_or_default();
    run(root, target, &options, &binaries, python, &server_env)
}

/// The `bench-smoke` step of `test-all`: `--smoke` with the binaries, venv and servers the
/// earlier steps prepared.
pub fn smoke(
    root: &Path,
    target: &Path,
    host: &Path,
    plugin_dir: &Path,
    python: &Path,
    server_env: &[(String, OsString)],
) -> Result<()> {
    let options = Options::parse(&["--smoke".to_string()])?;
    let binaries = binaries::existing(host, plugin_dir)?;
    run(
        root,
        target,
        &options,
        &binaries,
        Some(python.to_path_buf()),
        server_env,
    )
}

fn run(
    root: &Path,
    target: &Path,
    options: &Options,
    binaries: &binaries::Binaries,
    python: Option<PathBuf>,
    server_env: &[(String, OsString)],
) -> Result<()> {
    let bench_dir = target.join("bench");
    let data_dir = bench_dir.join("data");
    let load_before = load_average();
    let flat = workloads::ensure(&data_dir, Kind::Flat, options.flat_rows, options.seed)?;
    let nested = workloads::ensure(&data_dir, Kind::Nested, options.nested_rows, options.seed)?;
    let inputs = vec![flat, nested];
    let tools = Tools {
        stowage: binaries.host.clone(),
        plugin_dir: binaries.plugin_dir.clone(),
        python: python.clone(),
        scripts: root.join("xtask").join("bench"),
    };
    let runner = Runner {
        meter: Meter::new(root),
        tools,
        runs_dir: bench_dir.join("runs"),
    };
    for w in &inputs {
        warm_page_cache(&w.path)?;
    }
    let cases: Vec<Case> = cases::all_cases()
        .into_iter()
        .filter(|c| options.selected(c))
        .collect();
    let mut results: Vec<CaseResult> = cases
        .iter()
        .map(|case| initial_result(case, binaries, python.is_some()))
        .collect();
    let out = options.out.clone().unwrap_or_else(|| {
        if options.smoke {
            bench_dir.join("smoke.md")
        } else {
            root.join("BENCHMARKS.md")
        }
    });
    let write = |results: &[CaseResult], rss_check: &[RssPoint], upload, sql| -> Result<String> {
        let load_after = load_average();
        let report = Report {
            command: reproduce_command(options),
            runs: options.runs,
            workloads: &inputs,
            results,
            rss_check,
            upload,
            sql,
            machine: machine_lines(root, &load_before, &load_after, options, results),
        };
        let block = report.markdown();
        report::write_into(&out, &block, SKELETON)?;
        Ok(block)
    };
    for rep in 0..options.runs {
        for result in results.iter_mut() {
            if matches!(result.status, Status::Measured) {
                let input = workload(&inputs, result.case.kind);
                runner.run_case(result, input, rep, options.runs);
            }
        }
        // A long run that is interrupted still leaves the rounds it finished.
        let pending = upload::Outcome::Pending(format!("interim report after round {}", rep + 1));
        let sql_pending = sql::Outcome::Pending("interim report".to_string());
        write(&results, &[], pending, sql_pending)?;
    }
    let rss_check = if options.rss_check {
        runner.rss_check(&results, &data_dir, options)?
    } else {
        Vec::new()
    };
    let upload_selected = options.only.is_empty() || options.only.iter().any(|p| p == "upload");
    let upload = if options.upload && upload_selected {
        upload::compare(&runner, &inputs[0], binaries, server_env, options.runs)
    } else {
        upload::Outcome::Pending("not selected (--no-upload or --only)".to_string())
    };
    // `--smoke` (run by `test-all`) must exercise every path: there, not running is failing.
    let strict = options.smoke;
    let upload_failure = match &upload {
        upload::Outcome::Failed(why) => Some(format!("upload: {why}")),
        upload::Outcome::Pending(why) if strict => Some(format!("upload did not run: {why}")),
        _ => None,
    };
    let sql_selected = options.only.is_empty() || options.only.iter().any(|p| p == "sql");
    let sql = if sql_selected {
        sql::measure(
            &runner,
            binaries,
            server_env,
            options.sql_rows,
            options.runs,
        )
    } else {
        sql::Outcome::Pending("not selected (--only)".to_string())
    };
    let sql_failure = match &sql {
        sql::Outcome::Failed(why) => Some(format!("sql: {why}")),
        sql::Outcome::Pending(why) if strict => Some(format!("sql did not run: {why}")),
        _ => None,
    };
    println!("{}", write(&results, &rss_check, upload, sql)?);
    eprintln!("xtask: bench: wrote {}", out.display());
    let failed: Vec<String> = results
        .iter()
        .filter_map(|r| match &r.status {
            Status::Failed(why) => Some(format!("{}: {why}", r.case.id())),
            Status::Pending(why) if strict => Some(format!("{} did not run: {why}", r.case.id())),
            _ => None,
        })
        .chain(upload_failure)
        .chain(sql_failure)
        .collect();
    if failed.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{} run(s) failed:\n{}",
            failed.len(),
            failed.join("\n")
        ))
    }
}

/// The file written when `BENCHMARKS.md` does not exist yet.
const SKELETON: &str = "# Benchmarks\n\n{block}\n";

fn workload(workloads: &[Workload], kind: Kind) -> &Workload {
    workloads
        .iter()
        .find(|w| w.kind == kind)
        .expect("both workloads are generated")
}

fn initial_result(case: &Case, binaries: &binaries::Binaries, have_python: bool) -> CaseResult {
    let status = match case.format.and_then(|f| binaries.pending_reason(f)) {
        Some(why) if case.tool == Tool::Stowage => Status::Pending(why.to_string()),
        _ if case.tool.needs_python() && !have_python => {
            Status::Pending("the Python venv is not available".into())
        }
        _ => Status::Measured,
    };
    CaseResult {
        case: *case,
        costs: Vec::new(),
        status,
        note: None,
    }
}

/// Runs cases in fresh dirs under `runs_dir`.
#[derive(Debug)]
struct Runner {
    meter: Meter,
    tools: Tools,
    runs_dir: PathBuf,
}

impl Runner {
    /// One run of `result.case`; a failure marks the case failed.
    fn run_case(&self, result: &mut CaseResult, input: &Workload, rep: usize, runs: usize) {
        let case = result.case;
        match self.measure(&case, input, &format!("{}-{rep}", case.id())) {
            Ok((cost, note)) => {
                eprintln!(
                    "xtask: bench [{}/{runs}] {:<28} {:>8.2} s wall {:>8.2} s CPU {:>6.0} MiB",
                    rep + 1,
                    case.id(),
                    cost.wall,
                    cost.cpu,
                    cost.rss_mib
                );
                result.costs.push(cost);
                result.note = note.or(result.note.take());
            }
            Err(e) => {
                eprintln!("xtask: bench: {} FAILED: {e}", case.id());
                result.status = Status::Failed(e);
            }
        }
    }

    /// Runs `case` on `input` in a fresh dir named `name`; returns its cost and note.
    fn measure(&self, case: &Case, input: &Workload, name: &str) -> Result<(Cost, Option<String>)> {
        let run_dir = self.fresh_dir(name)?;
        let cmd = cases::command(case, input, &run_dir, &self.tools)?;
        let logs = self.runs_dir.join("logs").join(name.replace('/', "_"));
        let outcome = self.meter.run(&cmd, &logs).and_then(|measured| {
            let note = cases::check_output(case, input, &measured.stdout)?;
            Ok((measured.cost, note))
        });
        let _ = std::fs::remove_dir_all(&run_dir);
        outcome
    }

    /// An empty dir for one run.
    fn fresh_dir(&self, name: &str) -> Result<PathBuf> {
        let dir = self.runs_dir.join(name.replace('/', "_"));
        if dir.exists() {
            std::fs::remove_dir_all(&dir)
                .map_err(|e| format!("cannot clear {}: {e}", dir.display()))?;
        }
        util::create_dir(&dir)?;
        Ok(dir)
    }

    /// Stowage on inputs 4× as large, once per measured Stowage case.
    fn rss_check(
        &self,
        results: &[CaseResult],
        data_dir: &Path,
        options: &Options,
    ) -> Result<Vec<RssPoint>> {
        let mut out = Vec::new();
        let mut big: Vec<Workload> = Vec::new();
        for r in results.iter().filter(|r| r.case.tool == Tool::Stowage) {
            let (Some(one), Some(first)) = (r.summary(), r.costs.first()) else {
                continue;
            };
            let base = match r.case.kind {
                Kind::Flat => options.flat_rows,
                Kind::Nested => options.nested_rows,
            };
            if !big.iter().any(|w| w.kind == r.case.kind) {
                let w = workloads::ensure(
                    data_dir,
                    r.case.kind,
                    base * RSS_CHECK_FACTOR,
                    options.seed,
                )?;
                warm_page_cache(&w.path)?;
                big.push(w);
            }
            let input = workload(&big, r.case.kind);
            let name = format!("{}-x{RSS_CHECK_FACTOR}", r.case.id());
            match self.measure(&r.case, input, &name) {
                Ok((cost, _)) => {
                    eprintln!(
                        "xtask: bench [x{RSS_CHECK_FACTOR}] {:<28} {:>8.2} s wall {:>6.0} MiB",
                        r.case.id(),
                        cost.wall,
                        cost.rss_mib
                    );
                    out.push(RssPoint {
                        case: r.case,
                        records: base,
                        records_large: input.records,
                        base: Cost {
                            rss_mib: one.rss,
                            ..*first
                        },
                        large: cost,
                    });
                }
                Err(e) => return Err(format!("{name}: {e}")),
            }
        }
        Ok(out)
    }
}

/// Reads `path` once so every tool starts with the input in the page cache.
fn warm_page_cache(path: &Path) -> Result<()> {
    use std::io::Read;
    let mut file =
        std::fs::File::open(path).map_err(|e| format!("cannot open {}: {e}", path.display()))?;
    let mut buf = vec![0u8; 1 << 20];
    while file
        .read(&mut buf)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?
        > 0
    {}
    Ok(())
}

fn reproduce_command(options: &Options) -> String {
    let mut line = String::from("cargo xtask bench");
    for arg in &options.given {
        line.push(' ');
        line.push_str(arg);
    }
    line
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|| "?".into())
}

/// Date, machine, load, build and versions for the report.
fn machine_lines(
    root: &Path,
    load_before: &str,
    load_after: &str,
    options: &Options,
    results: &[CaseResult],
) -> Vec<String> {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .map(|l| l.trim_start_matches([' ', '\t', ':']).to_string())
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let ram_gib = meminfo
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|l| l.split_whitespace().next()?.parse::<f64>().ok())
        .map_or(0.0, |kib| kib / 1024.0 / 1024.0);
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    let git = |args: &[&str]| {
        std::process::Command::new("git")
            .args(args)
            .current_dir(root)
            .output()
            .ok()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
            .unwrap_or_default()
    };
    let rev = git(&["rev-parse", "--short", "HEAD"]);
    let dirty = if git(&["status", "--porcelain"]).is_empty() {
        ""
    } else {
        " with uncommitted changes"
    };
    let rustc = std::process::Command::new("rustc")
        .arg("--version")
        .current_dir(root)
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default();
    let peers: Vec<String> = {
        let mut notes: Vec<String> = results.iter().filter_map(|r| r.note.clone()).collect();
        notes.sort();
        notes.dedup();
        notes
    };
    vec![
        format!("date: {} (UTC); Stowage at `{rev}`{dirty}", today()),
        format!(
            "machine: {cores} cores ({model}), {ram_gib:.1} GiB RAM, Linux {}",
            kernel.trim()
        ),
        format!(
            "load average (1/5/15 min) before: {load_before}, after: {load_after} — a shared \
             machine: other builds and tests ran concurrently, so CPU seconds and same-run \
             ratios are the robust figures"
        ),
        format!(
            "build: {} (`cargo build {}-p <package>` per package), {rustc}; peers: {}",
            if options.release { "release" } else { "debug" },
            if options.release { "--release " } else { "" },
            if peers.is_empty() {
                "none".to_string()
            } else {
                peers.join(", ")
            }
        ),
        "bucket: a local folder on the same disk as the input; each run starts with a fresh \
         bucket and pipelines dir; inputs are read once before the runs (page cache warm)"
            .to_string(),
    ]
}

/// Today's date (UTC) as `YYYY-MM-DD`.
fn today() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let (y, m, d) = workloads::civil_from_days((secs / 86_400) as i64);
    format!("{y:04}-{m:02}-{d:02}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Options {
        let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        Options::parse(&args).unwrap()
    }

    #[test]
    fn scale_and_sizes() {
        let o = parse(&["--scale", "0.25", "--runs", "5"]);
        assert_eq!((o.flat_rows, o.nested_rows, o.runs), (250_000, 50_000, 5));
        assert!(o.release && !o.smoke);
        let o = parse(&["--smoke"]);
        assert_eq!((o.flat_rows, o.nested_rows, o.runs), (2_000, 300, 1));
        assert!(!o.release);
        assert!(Options::parse(&["--bogus".to_string()]).is_err());
    }

    #[test]
    fn smoke_runs_every_stowage_path_and_one_dlt_run() {
        let o = parse(&["--smoke"]);
        let picked: Vec<Case> = cases::all_cases()
            .into_iter()
            .filter(|c| o.selected(c))
            .collect();
        let stowage = picked.iter().filter(|c| c.tool == Tool::Stowage).count();
        let dlt = picked
            .iter()
            .filter(|c| matches!(c.tool, Tool::DltDefault | Tool::DltTuned))
            .count();
        assert_eq!((stowage, dlt), (5, 1));
    }

    #[test]
    fn only_and_no_peers_filter() {
        let o = parse(&["--no-peers", "--only", "flat-parquet"]);
        let ids: Vec<String> = cases::all_cases()
            .iter()
            .filter(|c| o.selected(c))
            .map(Case::id)
            .collect();
        assert_eq!(ids, ["flat-parquet/stowage"]);
    }
}
