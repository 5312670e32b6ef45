//! The `sql` case: `stowage sql` over ~1 GiB of parquet on the loopback S3 server s3s-fs (from
//! `cargo xtask servers`; file-backed, so a ranged GET costs what it returns — moto copies the
//! whole object for every range), read through the s3 plugin.
//!
//! Untimed: a generated ndjson input (an id, an amount and four 40-character hex columns that
//! barely compress; [`DEFAULT_ROWS`] rows ≈ 1 GiB of parquet, times `--scale`; `--smoke`:
//! [`SMOKE_ROWS`]) is loaded with `stowage run --format parquet` into a fresh bucket, and the
//! input is deleted. Timed, each `--runs` times: a one-column aggregate
//! (`SELECT sum(amount) …`) and a full-row count (`SELECT count(*) …`) with `--stats`, whose
//! line gives the bytes read from the backend against the bytes of the visible files. The
//! bucket is deleted at the end (also after a failure), so the server's storage does not grow.

use std::ffi::OsString;
use std::io::Write;
use std::path::Path;

use super::Runner;
use super::binaries::Binaries;
use super::cases::isolated;
use super::measure::Cost;
use super::rng::Rng;
use super::upload::{S3, Unavailable, quiet};
use crate::util::Result;

/// Rows of a full run (≈ 1 GiB of parquet).
pub const DEFAULT_ROWS: u64 = 5_000_000;
/// Rows of `--smoke`.
pub const SMOKE_ROWS: u64 = 20_000;
/// Peak RSS target of `stowage sql`.
pub const RSS_TARGET_MIB: f64 = 500.0;

/// The two timed queries: (label, SQL).
const QUERIES: [(&str, &str); 2] = [
    (
        "one-column aggregate",
        "SELECT sum(amount) AS v FROM events",
    ),
    ("full-row count", "SELECT count(*) AS v FROM events"),
];

/// One query's runs.
#[derive(Debug, Clone)]
pub struct QueryRuns {
    /// What it is.
    pub label: &'static str,
    /// The SQL.
    pub sql: &'static str,
    /// One cost per run.
    pub costs: Vec<Cost>,
    /// Bytes read from the backend (last run).
    pub bytes_read: u64,
}

/// What the case measured.
#[derive(Debug, Clone)]
pub struct SqlBench {
    /// Rows of the table.
    pub rows: u64,
    /// Bytes of the parquet files on S3.
    pub total_bytes: u64,
    /// Number of parquet files.
    pub files: u64,
    /// The timed queries.
    pub queries: Vec<QueryRuns>,
}

/// How the case ended.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// Every run finished.
    Measured(SqlBench),
    /// Not run (why).
    Pending(String),
    /// A run failed.
    Failed(String),
}

/// Runs the case `runs` times on `rows` rows.
pub fn measure(
    runner: &Runner,
    binaries: &Binaries,
    server_env: &[(String, OsString)],
    rows: u64,
    runs: usize,
) -> Outcome {
    let needed = ["duckdb", "parquet"];
    if let Some((name, why)) = binaries
        .missing
        .iter()
        .find(|(n, _)| needed.contains(&&**n))
    {
        return Outcome::Pending(format!("the {name} plugin is {why}"));
    }
    let s3 = match S3::from_server(runner, binaries, server_env, "EMU_S3_AUTH") {
        Ok(s3) => s3,
        Err(Unavailable::Pending(why)) => return Outcome::Pending(why),
        Err(Unavailable::Failed(why)) => return Outcome::Failed(why),
    };
    let bucket = format!("bench-sql-{}", std::process::id());
    if let Err(e) = s3.cli(&["s3", "mb", &format!("s3://{bucket}")]) {
        return Outcome::Failed(e);
    }
    let outcome = load_and_query(runner, binaries, &s3, &bucket, rows, runs);
    let _ = s3.cli(&["s3", "rb", "--force", &format!("s3://{bucket}")]);
    match outcome {
        Ok(bench) => Outcome::Measured(bench),
        Err(e) => Outcome::Failed(e),
    }
}

fn load_and_query(
    runner: &Runner,
    binaries: &Binaries,
    s3: &S3,
    bucket: &str,
    rows: u64,
    runs: usize,
) -> Result<SqlBench> {
    let run_dir = runner.fresh_dir("sql")?;
    let result = in_dir(runner, binaries, s3, bucket, rows, runs, &run_dir);
    let _ = std::fs::remove_dir_all(&run_dir);
    result
}

fn in_dir(
    runner: &Runner,
    binaries: &Binaries,
    s3: &S3,
    bucket: &str,
    rows: u64,
    runs: usize,
    run_dir: &Path,
) -> Result<SqlBench> {
    let stowage = |args: &[&str]| {
        let mut cmd = isolated(&binaries.host, run_dir);
        cmd.arg("--plugin-dir").arg(&binaries.plugin_dir).args(args);
        s3.stowage_env(&mut cmd);
        cmd
    };
    let input = run_dir.join("events.ndjson");
    write_input(&input, rows)?;
    let url = format!("s3://{bucket}/lake");
    let pipelines = run_dir.join("pipelines").to_string_lossy().into_owned();
    let input_arg = input.to_string_lossy().into_owned();
    quiet(&mut stowage(&[
        "run",
        &input_arg,
        "--table",
        "events",
        "--format",
        "parquet",
        "--pipeline",
        "sqlbench",
        "--pipelines-dir",
        &pipelines,
        "--bucket-url",
        &url,
        "-q",
    ]))?;
    std::fs::remove_file(&input).map_err(|e| format!("removing {}: {e}", input.display()))?;
    let target = ["--bucket-url", &url, "--dataset", "sqlbench_dataset"];
    let mut bench = SqlBench {
        rows,
        total_bytes: 0,
        files: 0,
        queries: Vec::new(),
    };
    for (label, sql) in QUERIES {
        let mut runs_of = QueryRuns {
            label,
            sql,
            costs: Vec::new(),
            bytes_read: 0,
        };
        for rep in 0..runs {
            let mut cmd = stowage(&["sql"]);
            cmd.args(target).args(["--stats", sql]);
            let logs = runner
                .runs_dir
                .join("logs")
                .join(format!("sql-{}-{rep}", label.replace(' ', "-")));
            let measured = runner.meter.run(&cmd, &logs)?;
            let stderr = std::fs::read_to_string(logs.join("stderr.txt")).unwrap_or_default();
            let stats = Stats::parse(&stderr)
                .ok_or_else(|| format!("no stats line from `stowage sql`: {stderr}"))?;
            check_value(sql, &measured.stdout, rows)?;
            eprintln!(
                "xtask: bench [{}/{runs}] sql {label:<22} {:>8.2} s wall {:>8.2} s CPU {:>6.0} MiB, \
                 read {:.1} of {:.1} MB",
                rep + 1,
                measured.cost.wall,
                measured.cost.cpu,
                measured.cost.rss_mib,
                stats.read as f64 / 1e6,
                stats.total as f64 / 1e6
            );
            (bench.total_bytes, bench.files) = (stats.total, stats.files);
            runs_of.bytes_read = stats.read;
            runs_of.costs.push(measured.cost);
        }
        bench.queries.push(runs_of);
    }
    Ok(bench)
}

/// The `stats:` line of `stowage sql --stats`.
struct Stats {
    read: u64,
    total: u64,
    files: u64,
}

impl Stats {
    /// `stats: R bytes read from the backend in N object(s), of T bytes in F visible …`.
    fn parse(stderr: &str) -> Option<Stats> {
        let line = stderr.lines().find_map(|l| l.strip_prefix("stats: "))?;
        let words: Vec<&str> = line.split_whitespace().collect();
        let of = words.iter().position(|w| *w == "of")?;
        Some(Stats {
            read: words.first()?.parse().ok()?,
            total: words.get(of + 1)?.parse().ok()?,
            files: words.get(of + 4)?.parse().ok()?,
        })
    }
}

/// The count must be the rows loaded; the sum must be a number (`table`: the printed result,
/// header, rule, value, row count).
fn check_value(sql: &str, table: &str, rows: u64) -> Result<()> {
    let value = table.lines().nth(2).unwrap_or_default().trim();
    let ok = match sql.contains("count(*)") {
        true => value == rows.to_string(),
        false => value.parse::<f64>().is_ok(),
    };
    match ok {
        true => Ok(()),
        false => Err(format!("`{sql}` returned `{value}` ({rows} rows loaded)")),
    }
}

/// `rows` events: an id, an amount and four 40-character hex columns.
fn write_input(path: &Path, rows: u64) -> Result<()> {
    let file =
        std::fs::File::create(path).map_err(|e| format!("creating {}: {e}", path.display()))?;
    let mut out = std::io::BufWriter::with_capacity(1 << 20, file);
    let mut rng = Rng::from_label("sql:42");
    for id in 0..rows {
        let mut hex = || {
            format!(
                "{:016x}{:016x}{:08x}",
                rng.next_u64(),
                rng.next_u64(),
                rng.next_u64() as u32
            )
        };
        let (a, b, c, d) = (hex(), hex(), hex(), hex());
        let amount = (rng.next_u64() % 1_000_000) as f64 / 100.0;
        writeln!(
            out,
            r#"{{"id":{id},"amount":{amount},"a":"{a}","b":"{b}","c":"{c}","d":"{d}"}}"#
        )
        .map_err(|e| format!("writing {}: {e}", path.display()))?;
    }
    out.flush()
        .map_err(|e| format!("writing {}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stats_lines_and_values() {
        let s = Stats::parse(
            "note\nstats: 120 bytes read from the backend in 2 object(s), of 9000 bytes in 3 \
             visible data file(s)\n",
        )
        .unwrap();
        assert_eq!((s.read, s.total, s.files), (120, 9000, 3));
        assert!(Stats::parse("nothing").is_none());
        let count = "SELECT count(*) AS v FROM events";
        assert!(check_value(count, "v\n--\n20\n(1 row)\n", 20).is_ok());
        assert!(check_value(count, "v\n--\n19\n(1 row)\n", 20).is_err());
        let sum = "SELECT sum(amount) AS v FROM events";
        assert!(check_value(sum, "  v\n---\n1.5\n(1 row)\n", 20).is_ok());
    }
}
