//! Staged runs configured in `.dlt/config.toml` (dlt's `destination_type` / `staging_type`),
//! `stowage config show --destination postgres`, typos in a database's section refusing the
//! run, and a SIGKILL right after a staged package becomes pending: its record is already
//! there, so a filesystem run refuses it and `stowage load` finishes it into DuckDB.

mod common;

use std::path::Path;
use std::process::Command;

use common::{kill_at_crash_point, ok, plugin_dir, run, stowage, text, traced_crash_points};
use serde_json::Value;
use stowage::Options;
use stowage::plugins::{DiscoveryConfig, Registry};
use stowage::staging::query_rows;

const ROWS: &str = "{\"id\":1,\"name\":\"a\"}\n{\"id\":2,\"name\":\"b\"}\n";

fn failed(cmd: &mut Command) -> (String, String) {
    let out = run(cmd);
    let (stdout, stderr) = text(&out);
    assert!(!out.status.success(), "stdout: {stdout}\nstderr: {stderr}");
    (stdout, stderr)
}

fn project(config_toml: &str, secrets_toml: &str) -> tempfile::TempDir {
    let work = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(work.path().join(".dlt")).unwrap();
    std::fs::write(work.path().join(".dlt/config.toml"), config_toml).unwrap();
    std::fs::write(work.path().join(".dlt/secrets.toml"), secrets_toml).unwrap();
    std::fs::write(work.path().join("rows.ndjson"), ROWS).unwrap();
    work
}

/// `SELECT COUNT(*)` of a table of `<work>/<file>` through the built duckdb plugin (0 if the
/// database file does not exist).
fn duckdb_count(plugins: &Path, work: &Path, file: &str, table: &str) -> i64 {
    let db = work.join(file);
    if !db.exists() {
        return 0;
    }
    let registry = Registry::discover(&DiscoveryConfig::only_dirs(vec![plugins.to_path_buf()]));
    let session = registry
        .open_destination(
            "duckdb",
            &Options::new([("credentials", db.display().to_string())]),
        )
        .unwrap();
    let rows: Vec<Value> = query_rows(
        session.as_ref(),
        &format!("SELECT COUNT(*) AS n FROM {table}"),
    )
    .unwrap();
    rows[0]["n"].as_i64().unwrap()
}

#[test]
fn destination_type_in_config_loads_into_duckdb_and_flags_override_it() {
    let Some(plugins) = plugin_dir() else { return };
    for config in [
        "destination_type = \"duckdb\"\nstaging_type = \"filesystem\"\n",
        "[pipelines.stowage]\ndestination_type = \"dlt.destinations.duckdb\"\n",
        "[pipelines]\nstaging_type = \"filesystem\"\n",
    ] {
        let work = project(config, "");
        let work = work.path();
        let (shown, _) = ok(stowage(&plugins, work).args(["config", "show"]));
        assert!(shown.contains("destination: duckdb"), "{config}: {shown}");
        ok(stowage(&plugins, work).args(["run", "rows.ndjson", "--table", "t"]));
        assert_eq!(
            duckdb_count(&plugins, work, "stowage.duckdb", "stowage_dataset.t"),
            2,
            "{config}"
        );
        // The flag wins: a filesystem load, the database is untouched.
        ok(&mut run_rows(&plugins, work, "filesystem"));
        assert!(
            work.join("_storage/stowage_dataset/_dlt_loads").is_dir(),
            "{config}: a filesystem load"
        );
        assert_eq!(
            duckdb_count(&plugins, work, "stowage.duckdb", "stowage_dataset.t"),
            2,
            "{config}"
        );
    }
    let work = project("[pipelines.stowage]\ndestination_type = \"duckdb\"\n", "");
    let (shown, _) = ok(stowage(&plugins, work.path()).args(["config", "show"]));
    let line = shown
        .lines()
        .find(|l| l.starts_with("pipelines.stowage.destination_type"))
        .unwrap_or_else(|| panic!("{shown}"));
    assert!(
        line.contains("= duckdb") && line.contains("config.toml"),
        "{line}"
    );

    let work = project("destination_type = \"bigquery\"\n", "");
    let (_, err) =
        failed(stowage(&plugins, work.path()).args(["run", "rows.ndjson", "--table", "t"]));
    assert!(
        err.contains("`destination_type`")
            && err.contains("bigquery")
            && err.contains("duckdb, postgres"),
        "{err}"
    );
}

#[test]
fn config_show_for_postgres_masks_the_password_and_typos_refuse_the_run() {
    let Some(plugins) = plugin_dir() else { return };
    let work = project(
        "[destination.postgres]\nmerge_strategy = \"upsert\"\n\
         [destination.postgres.credentials]\nhost = \"127.0.0.1\"\nport = 1\ndatabase = \"db\"\n\
         username = \"me\"\nsesion_timezone = \"UTC\"\n",
        "[destination.postgres.credentials]\npassword = \"Pg-Sekr3t-xyz\"\n",
    );
    let work = work.path();
    let (out, err) =
        ok(stowage(&plugins, work).args(["config", "show", "--destination", "postgres"]));
    // Columns are aligned: compare with single spaces.
    let all = format!("{out}{err}")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert!(!all.contains("Pg-Sekr3t-xyz"), "{all}");
    for expected in [
        "destination: postgres",
        "destination.postgres.credentials.password = ***",
        "destination.postgres.credentials.host = 127.0.0.1",
        "destination.postgres.merge_strategy = upsert",
        "destination.postgres.staging_dataset_name_layout = %s_staging",
        "unknown setting `sesion_timezone` in [destination.postgres.credentials]; did you mean `session_timezone`?",
    ] {
        assert!(all.contains(expected), "missing {expected:?} in\n{all}");
    }
    let (out, _) =
        ok(stowage(&plugins, work).args(["config", "show", "--destination", "postgres", "--json"]));
    assert!(!out.contains("Pg-Sekr3t-xyz"), "{out}");

    // The run is refused before connecting, naming the key.
    let (out, err) = failed(&mut run_rows(&plugins, work, "postgres"));
    assert!(
        err.contains("`sesion_timezone`") && err.contains("did you mean `session_timezone`?"),
        "{err}"
    );
    assert!(!format!("{out}{err}").contains("Pg-Sekr3t-xyz"));
}

/// `stowage run rows.ndjson --table t --destination <destination>`.
fn run_rows(plugins: &Path, work: &Path, destination: &str) -> Command {
    let mut cmd = stowage(plugins, work);
    cmd.args([
        "run",
        "rows.ndjson",
        "--table",
        "t",
        "--destination",
        destination,
    ]);
    cmd
}

#[test]
fn a_package_killed_as_soon_as_it_is_pending_is_already_recorded_as_staged() {
    let Some(plugins) = plugin_dir() else { return };
    let traced = project("", "");
    let trace = traced.path().join("trace.txt");
    let points = traced_crash_points(&mut run_rows(&plugins, traced.path(), "duckdb"), &trace);
    assert_eq!(
        points[0],
        (1, "staging: package normalized".to_string()),
        "the first crash point"
    );

    let work = project("", "");
    let work = work.path();
    kill_at_crash_point(
        &mut run_rows(&plugins, work, "duckdb"),
        &work.join("fault-reached"),
        1,
    );
    let pipelines = work.join("pipelines/stowage/load/normalized");
    let pending: Vec<_> = std::fs::read_dir(&pipelines).unwrap().collect();
    assert_eq!(pending.len(), 1);
    let package = pending[0].as_ref().unwrap().path();
    let record: Value =
        serde_json::from_slice(&std::fs::read(package.join("staging.json")).unwrap()).unwrap();
    assert_eq!(record["destination"], "duckdb");

    let (_, err) = failed(&mut run_rows(&plugins, work, "filesystem"));
    assert!(err.contains("staged for destination `duckdb`"), "{err}");
    assert!(!work.join("_storage/stowage_dataset/_dlt_loads").exists());
    let (out, _) = ok(stowage(&plugins, work).args(["load", "--json"]));
    let doc: Value = serde_json::from_str(out.lines().last().unwrap()).unwrap();
    assert_eq!(doc["destination"], "duckdb", "{doc}");
    assert_eq!(
        duckdb_count(&plugins, work, "stowage.duckdb", "stowage_dataset.t"),
        2
    );
    assert!(!work.join("_storage/stowage_dataset/_dlt_loads").exists());
}
