//! `stowage sql` and `stowage show TABLE` end to end: several loads in several formats with
//! nested tables on the local and S3 backends, checked against the input; a load killed before
//! its `_dlt_loads` marker; the interactive prompt driven through stdin.

mod common;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::{
    MotoBucket, kill_at_crash_point, ok, ok_with_stdin, plugin_dir, run, server_env, stowage, text,
};
use serde_json::Value;

/// `stowage <command…> --pipeline sqlp --bucket-url lake <rest…>`: the pipeline of these tests.
fn sqlp(plugins: &Path, work: &Path, command: &[&str], rest: &[&str]) -> Command {
    let mut cmd = stowage(plugins, work);
    cmd.args(command)
        .args(["--pipeline", "sqlp", "--bucket-url", "lake"])
        .args(rest);
    cmd
}

/// `n` users from `first` on, each with `id % 3 + 1` tags.
fn write_users(path: &Path, first: usize, n: usize) {
    let mut f = std::fs::File::create(path).unwrap();
    for id in first..first + n {
        let tags: Vec<String> = (0..id % 3 + 1).map(|k| format!("t{id}_{k}")).collect();
        let line = serde_json::json!({
            "id": id,
            "name": format!("user {id}"),
            "score": id as f64 / 2.0,
            "address": {"city": format!("city {}", id % 4)},
            "tags": tags,
        });
        writeln!(f, "{line}").unwrap();
    }
}

fn tags_of(id: usize) -> usize {
    id % 3 + 1
}

/// Loads users 0..10 as jsonl, 10..20 as parquet and 20..30 as csv into `bucket`.
fn three_loads(plugins: &Path, work: &Path, bucket: &str, env: &[(&str, &str)]) {
    for (i, format) in ["jsonl", "parquet", "csv"].iter().enumerate() {
        let input = work.join(format!("users{i}.ndjson"));
        write_users(&input, i * 10, 10);
        let mut cmd = stowage(plugins, work);
        cmd.envs(env.iter().copied())
            .args(["run"])
            .arg(&input)
            .args([
                "--table",
                "users",
                "--pipeline",
                "sqlp",
                "--format",
                format,
                "--bucket-url",
                bucket,
                "-q",
            ]);
        ok(&mut cmd);
    }
}

/// The result of `query` as JSON rows (through `--output json FILE`).
fn query_json(
    plugins: &Path,
    work: &Path,
    args: &[&str],
    env: &[(&str, &str)],
    query: &str,
) -> Vec<Value> {
    let out = work.join(format!("out-{}.json", rand_tag()));
    let mut cmd = stowage(plugins, work);
    cmd.envs(env.iter().copied())
        .arg("sql")
        .args(args)
        .args(["--output", "json"])
        .arg(&out)
        .arg(query);
    ok(&mut cmd);
    let rows = std::fs::read_to_string(&out)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    std::fs::remove_file(&out).unwrap();
    rows
}

fn rand_tag() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos()
}

fn count(plugins: &Path, work: &Path, args: &[&str], env: &[(&str, &str)], query: &str) -> i64 {
    let rows = query_json(plugins, work, args, env, query);
    rows[0]["n"].as_i64().unwrap_or_else(|| panic!("{rows:?}"))
}

/// The built plugins and a temp work dir whose local bucket `lake` holds the three loads;
/// `None` (skip) without plugins.
fn three_loads_in_lake() -> Option<(PathBuf, tempfile::TempDir)> {
    let plugins = plugin_dir()?;
    let work = tempfile::tempdir().unwrap();
    three_loads(&plugins, work.path(), "lake", &[]);
    Some((plugins, work))
}

/// Checks counts, a parent/child join and values of the three loads against the input.
fn check_three_loads(plugins: &Path, work: &Path, args: &[&str], env: &[(&str, &str)]) {
    assert_eq!(
        count(plugins, work, args, env, "SELECT count(*) AS n FROM users"),
        30
    );
    let tags: usize = (0..30).map(tags_of).sum();
    assert_eq!(
        count(
            plugins,
            work,
            args,
            env,
            "SELECT count(*) AS n FROM users__tags"
        ) as usize,
        tags
    );
    let joined = query_json(
        plugins,
        work,
        args,
        env,
        "SELECT u.id, u.name, u.score, u.address__city AS city, t.value, t._dlt_list_idx AS idx \
         FROM users u JOIN users__tags t ON t._dlt_parent_id = u._dlt_id ORDER BY u.id, idx",
    );
    assert_eq!(joined.len(), tags);
    let mut expected = Vec::new();
    for id in 0..30usize {
        for k in 0..tags_of(id) {
            expected.push(serde_json::json!({
                "id": id,
                "name": format!("user {id}"),
                "score": id as f64 / 2.0,
                "city": format!("city {}", id % 4),
                "value": format!("t{id}_{k}"),
                "idx": k,
            }));
        }
    }
    assert_eq!(joined, expected);
    let loads = query_json(
        plugins,
        work,
        args,
        env,
        "SELECT _dlt_load_id, count(*) AS n FROM users GROUP BY 1 ORDER BY 1",
    );
    assert_eq!(loads.len(), 3, "{loads:?}");
    assert!(loads.iter().all(|l| l["n"] == 10), "{loads:?}");
}

#[test]
fn sql_over_a_local_bucket_with_three_formats_and_nested_tables() {
    let Some((plugins, work)) = three_loads_in_lake() else {
        return;
    };
    let work = work.path();
    check_three_loads(
        &plugins,
        work,
        &["--pipeline", "sqlp", "--bucket-url", "lake"],
        &[],
    );
    let by_bucket = ["--bucket-url", "lake", "--dataset", "sqlp_dataset"];
    assert_eq!(
        count(
            &plugins,
            work,
            &by_bucket,
            &[],
            "SELECT count(*) AS n FROM users"
        ),
        30
    );

    // The aligned table on stdout.
    let (table, _) = ok(&mut sqlp(
        &plugins,
        work,
        &["sql"],
        &["SELECT id, name FROM users WHERE id < 2 ORDER BY id"],
    ));
    assert_eq!(
        table.lines().collect::<Vec<_>>(),
        vec![
            "id | name",
            "---+-------",
            " 0 | user 0",
            " 1 | user 1",
            "(2 rows)"
        ]
    );

    // csv and parquet output files.
    let csv = work.join("out.csv");
    let parquet = work.join("out.parquet");
    for (format, file) in [("csv", &csv), ("parquet", &parquet)] {
        ok(sqlp(&plugins, work, &["sql"], &["--output", format])
            .arg(file)
            .arg("SELECT id, name FROM users ORDER BY id"));
    }
    let csv_text = std::fs::read_to_string(&csv).unwrap();
    assert_eq!(csv_text.lines().next(), Some("id,name"));
    assert_eq!(csv_text.lines().count(), 31);
    assert!(std::fs::read(&parquet).unwrap().starts_with(b"PAR1"));
}

#[test]
fn errors_name_the_table_and_the_dataset_and_exit_1() {
    let Some((plugins, work)) = three_loads_in_lake() else {
        return;
    };
    let work = work.path();
    let out = run(&mut sqlp(&plugins, work, &["sql"], &["SELECT * FROM nope"]));
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out).1;
    assert!(stderr.contains("nope"), "{stderr}");
    // The dataset's tables are listed, and Stowage's wrapping statement is not shown.
    assert!(stderr.contains("tables in dataset"), "{stderr}");
    assert!(stderr.contains("users__tags"), "{stderr}");
    assert!(!stderr.contains("DESCRIBE"), "{stderr}");
    let out = run(stowage(&plugins, work).args([
        "sql",
        "--bucket-url",
        "lake",
        "--dataset",
        "other",
        "SELECT 1",
    ]));
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out).1;
    assert!(
        stderr.contains("`other`") && stderr.contains("_dlt_version"),
        "{stderr}"
    );
    let out = run(&mut sqlp(&plugins, work, &["show", "nope"], &[]));
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out).1.contains("no table `nope`"), "{:?}", text(&out));
}

#[test]
fn show_table_prints_schema_rows_per_load_and_first_rows() {
    let Some((plugins, work)) = three_loads_in_lake() else {
        return;
    };
    let work = work.path();
    let (out, _) = ok(&mut sqlp(
        &plugins,
        work,
        &["show", "users__tags"],
        &["--rows", "3"],
    ));
    assert!(out.contains("nested in `users`"), "{out}");
    assert!(out.contains("_dlt_parent_id"), "{out}");
    assert!(out.contains("committed total"), "{out}");
    let total: usize = (0..30).map(tags_of).sum();
    assert!(out.contains(&format!("{total}")), "{out}");
    assert!(out.contains("(3 rows shown"), "{out}");
    let (json, _) = ok(&mut sqlp(&plugins, work, &["show", "users"], &["--json"]));
    let doc: Value = serde_json::from_str(json.trim()).unwrap();
    let loads = doc["loads"].as_array().unwrap();
    assert_eq!(loads.len(), 3);
    assert!(
        loads
            .iter()
            .all(|l| l["rows"] == 10 && l["committed"] == true),
        "{doc}"
    );
}

#[test]
fn a_load_killed_before_its_marker_is_invisible_unless_included() {
    let Some(plugins) = plugin_dir() else { return };
    // The crash point right before the marker is written (`load: marker` follows the write):
    // learn it from a traced run of the same two loads.
    let traced = tempfile::tempdir().unwrap();
    let trace = traced.path().join("trace.txt");
    second_load(&plugins, traced.path(), None, Some(&trace));
    let marker_point = std::fs::read_to_string(&trace)
        .unwrap()
        .lines()
        .filter_map(|l| l.split_once(' '))
        .find(|(_, label)| *label == "load: marker")
        .map(|(n, _)| n.parse::<u64>().unwrap() - 1)
        .expect("the load passes the marker crash point");

    let work = tempfile::tempdir().unwrap();
    let work = work.path();
    second_load(&plugins, work, Some(marker_point), None);
    let pipeline = ["--pipeline", "sqlp", "--bucket-url", "lake"];
    let committed = |query: &str| count(&plugins, work, &pipeline, &[], query);
    assert_eq!(committed("SELECT count(*) AS n FROM users"), 10);
    assert_eq!(
        committed("SELECT count(*) AS n FROM users WHERE id >= 100"),
        0
    );
    let (_, stderr) = ok(&mut sqlp(&plugins, work, &["sql"], &["SELECT 1"]));
    assert!(stderr.contains("uncommitted"), "{stderr}");
    let all = [
        "--pipeline",
        "sqlp",
        "--bucket-url",
        "lake",
        "--include-uncommitted",
    ];
    let everything = |query: &str| count(&plugins, work, &all, &[], query);
    assert_eq!(everything("SELECT count(*) AS n FROM users"), 20);
    let tags: usize = (0..10).chain(100..110).map(tags_of).sum();
    assert_eq!(
        everything("SELECT count(*) AS n FROM users__tags") as usize,
        tags
    );
    let (shown, _) = ok(&mut sqlp(&plugins, work, &["show", "users"], &[]));
    assert!(
        shown.contains("uncommitted (no _dlt_loads marker)"),
        "{shown}"
    );
}

/// One committed load of users 0..10, then a load of users 100..110 that is killed at crash
/// point `kill_at` (or traced into `trace`).
fn second_load(plugins: &Path, work: &Path, kill_at: Option<u64>, trace: Option<&Path>) {
    write_users(&work.join("a.ndjson"), 0, 10);
    write_users(&work.join("b.ndjson"), 100, 10);
    let args = |input: &str| sqlp(plugins, work, &["run", input, "--table", "users"], &["-q"]);
    ok(&mut args("a.ndjson"));
    let mut cmd = args("b.ndjson");
    if let Some(trace) = trace {
        ok(cmd.env("STOWAGE_FAULT_TRACE", trace));
        return;
    }
    kill_at_crash_point(&mut cmd, &work.join("fault-reached"), kill_at.unwrap());
}

#[test]
fn the_interactive_prompt_reads_statements_from_stdin() {
    let Some(plugins) = plugin_dir() else { return };
    let work = tempfile::tempdir().unwrap();
    let work = work.path();
    std::fs::create_dir_all(work.join(".dlt")).unwrap();
    three_loads(&plugins, work, "lake", &[]);
    let script = "SELECT count(*) AS n\n  FROM users;\nSELECT no_such_column FROM users;\n.tables\n\
                  SELECT max(id) AS top FROM users;\n.quit\nSELECT 'never run';\n";
    let (stdout, stderr) = ok_with_stdin(&mut sqlp(&plugins, work, &["sql"], &[]), script);
    assert!(stdout.contains("n\n--\n30\n(1 row)"), "{stdout}");
    assert!(stdout.contains("users__tags"), "{stdout}");
    assert!(stdout.contains("top\n---\n 29\n(1 row)"), "{stdout}");
    assert!(!stdout.contains("never run"), "{stdout}");
    assert!(stderr.contains("no_such_column"), "{stderr}");
    let history = std::fs::read_to_string(work.join(".dlt/.stowage_sql_history")).unwrap();
    assert!(
        history.contains("SELECT max(id) AS top FROM users;"),
        "{history}"
    );
}

#[test]
fn sql_over_s3_reads_files_through_the_backend_plugin() {
    let Some(plugins) = plugin_dir() else { return };
    let Some(s3) = MotoBucket::create("stowage-sql") else {
        return;
    };
    let (url, secret) = (&s3.url, &s3.secret);
    let env = s3.env();
    let work = tempfile::tempdir().unwrap();
    let work = work.path();
    three_loads(&plugins, work, url, &env);
    let args = ["--bucket-url", url.as_str(), "--dataset", "sqlp_dataset"];
    check_three_loads(&plugins, work, &args, &env);

    let mut cmd = stowage(&plugins, work);
    cmd.envs(env)
        .arg("sql")
        .args(args)
        .args(["--stats", "SELECT count(*) AS n FROM users"]);
    let (stdout, stderr) = ok(&mut cmd);
    assert!(stdout.contains("30"), "{stdout}");
    let bytes: u64 = stderr
        .split("stats: ")
        .nth(1)
        .and_then(|s| s.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{stderr}"));
    assert!(bytes > 0, "{stderr}");
    assert!(!stdout.contains(secret) || secret.len() < 5, "{stdout}");
}

#[test]
fn a_wrong_s3_secret_fails_without_printing_it() {
    let Some(plugins) = plugin_dir() else { return };
    let Some(endpoint) = server_env("EMU_S3_AUTH_ENDPOINT") else {
        return;
    };
    let key_id = std::env::var("EMU_S3_AUTH_ACCESS_KEY").unwrap_or_else(|_| "emuaccess".into());
    let wrong = "sql-wrong-secret-0123456789";
    let work = tempfile::tempdir().unwrap();
    let out = run(stowage(&plugins, work.path())
        .env(
            "DESTINATION__FILESYSTEM__CREDENTIALS__ENDPOINT_URL",
            &endpoint,
        )
        .env(
            "DESTINATION__FILESYSTEM__CREDENTIALS__AWS_ACCESS_KEY_ID",
            &key_id,
        )
        .env(
            "DESTINATION__FILESYSTEM__CREDENTIALS__AWS_SECRET_ACCESS_KEY",
            wrong,
        )
        .env(
            "DESTINATION__FILESYSTEM__CREDENTIALS__REGION_NAME",
            "us-east-1",
        )
        .args([
            "sql",
            "--bucket-url",
            "s3://no-such-sql-bucket/raw",
            "--dataset",
            "d",
        ])
        .arg("SELECT 1"));
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{stderr}");
    assert!(
        !stdout.contains(wrong) && !stderr.contains(wrong),
        "{stdout}\n{stderr}"
    );
    assert!(stderr.contains("no-such-sql-bucket"), "{stderr}");
}
