//! `stowage sql` over parquet on the S3 server reads only the column chunks a query needs:
//! a table with three wide text columns (a few MB) is loaded to S3 and to a local bucket (read
//! in place, never pruned); a one-column query reads well under half of the object bytes, and
//! every query returns exactly what the local bucket returns — also in one interactive session
//! whose statements need more and more columns.

mod common;

use std::io::Write;
use std::path::Path;

use common::{MotoBucket, ok, ok_with_stdin, plugin_dir, stowage};

const ROWS: u64 = 12_000;

/// Queries whose results must not depend on pruning.
const QUERIES: &[&str] = &[
    "SELECT count(*) AS n FROM wide",
    "SELECT sum(id) AS s, count(*) AS n FROM wide",
    "SELECT id, a FROM wide WHERE c LIKE '0%' ORDER BY id",
    "SELECT max(b) AS top, min(length(a)) AS least_len FROM wide WHERE id % 7 = 3",
    "SELECT * EXCLUDE (_dlt_id, _dlt_load_id) FROM wide ORDER BY id LIMIT 20",
    "SELECT w.id, v.b FROM wide w JOIN wide v ON w.id = v.id + 1 WHERE w.id < 50 ORDER BY 1",
];

/// Rows with an id and three 96-character hex columns (they barely compress).
fn write_wide(path: &Path) {
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    for id in 0..ROWS {
        let hex = |seed: u64| {
            let x = (id + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ seed;
            format!(
                "{x:016x}{:016x}{:016x}{:016x}{:016x}{:016x}",
                x.rotate_left(7),
                x.rotate_left(19),
                x.rotate_left(29),
                x.rotate_left(37),
                x.rotate_left(53)
            )
        };
        let line = serde_json::json!({"id": id, "a": hex(1), "b": hex(2), "c": hex(3)});
        writeln!(f, "{line}").unwrap();
    }
}

fn load(plugins: &Path, work: &Path, input: &Path, bucket: &str, env: &[(&str, &str)]) {
    let mut cmd = stowage(plugins, work);
    cmd.envs(env.iter().copied())
        .arg("run")
        .arg(input)
        .args([
            "--table",
            "wide",
            "--pipeline",
            "prunep",
            "--format",
            "parquet",
        ])
        .args(["--bucket-url", bucket, "-q"]);
    ok(&mut cmd);
}

/// The output of `stowage sql --stats QUERY` and its stats line: (stdout, bytes read, bytes
/// in the visible files).
fn sql(
    plugins: &Path,
    work: &Path,
    bucket: &str,
    env: &[(&str, &str)],
    query: &str,
) -> (String, u64, u64) {
    let mut cmd = stowage(plugins, work);
    cmd.envs(env.iter().copied())
        .args(["sql", "--bucket-url", bucket, "--dataset", "prunep_dataset"])
        .args(["--max-rows", "100000", "--stats", query]);
    let (stdout, stderr) = ok(&mut cmd);
    let (read, total) = stats_of(&stderr);
    (stdout, read, total)
}

/// (bytes read, bytes of the visible files) from the `stats:` line.
fn stats_of(stderr: &str) -> (u64, u64) {
    let line = stderr
        .lines()
        .find_map(|l| l.strip_prefix("stats: "))
        .unwrap_or_else(|| panic!("no stats line: {stderr}"));
    let words: Vec<&str> = line.split_whitespace().collect();
    let read = words[0].parse().unwrap_or_else(|_| panic!("{line}"));
    let of = words.iter().position(|w| *w == "of").expect(line);
    let total = words[of + 1].parse().unwrap_or_else(|_| panic!("{line}"));
    (read, total)
}

#[test]
fn one_column_of_remote_parquet_reads_only_its_chunks_with_identical_results() {
    let Some(plugins) = plugin_dir() else { return };
    let Some(s3) = MotoBucket::create("stowage-prune") else {
        return;
    };
    let url = s3.url.clone();
    let env = s3.env();
    let work = tempfile::tempdir().unwrap();
    let work = work.path();
    let input = work.join("wide.ndjson");
    write_wide(&input);
    load(&plugins, work, &input, &url, &env);
    load(&plugins, work, &input, "lake", &[]);

    let (_, read, total) = sql(&plugins, work, &url, &env, QUERIES[1]);
    assert!(total > 2_000_000, "a few MB of parquet: {total}");
    assert!(
        read * 4 < total,
        "a one-column query read {read} of {total} bytes"
    );
    let (_, read, _) = sql(&plugins, work, &url, &env, QUERIES[0]);
    assert!(read * 20 < total, "count(*) read {read} of {total} bytes");
    let (_, read, _) = sql(&plugins, work, &url, &env, "SELECT * FROM wide LIMIT 1");
    assert_eq!(read, total, "SELECT * fetches the files whole");

    // Same results as the local bucket (read in place) and as the whole files on S3 (a first
    // `SELECT *` in the session fetches them unpruned).
    for query in QUERIES {
        let (remote, _, _) = sql(&plugins, work, &url, &env, query);
        let (local, _, _) = sql(&plugins, work, "lake", &[], query);
        assert_eq!(remote, local, "{query}");
        assert!(remote.lines().count() > 3, "{query}: {remote}");
        let whole = session(
            &plugins,
            work,
            &url,
            &env,
            &["SELECT * FROM wide LIMIT 0", query],
        );
        assert!(whole.ends_with(&remote), "{query}:\n{whole}\n{remote}");
    }
    let (sum, _, _) = sql(&plugins, work, &url, &env, QUERIES[1]);
    let want = ROWS * (ROWS - 1) / 2;
    assert!(sum.contains(&want.to_string()), "{sum}");

    // One session: each statement needs more columns; the views grow and stay right.
    let growing = [QUERIES[0], QUERIES[3], QUERIES[2], QUERIES[5]];
    assert_eq!(
        session(&plugins, work, &url, &env, &growing),
        session(&plugins, work, "lake", &[], &growing)
    );
}

/// The output of `statements` in one interactive session.
fn session(
    plugins: &Path,
    work: &Path,
    bucket: &str,
    env: &[(&str, &str)],
    statements: &[&str],
) -> String {
    let mut cmd = stowage(plugins, work);
    cmd.envs(env.iter().copied())
        .args(["sql", "--bucket-url", bucket, "--dataset", "prunep_dataset"])
        .args(["--max-rows", "100000"]);
    let script: String = statements.iter().map(|s| format!("{s};\n")).collect();
    ok_with_stdin(&mut cmd, &format!("{script}.quit\n")).0
}
