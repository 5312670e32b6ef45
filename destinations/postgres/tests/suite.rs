//! The SDK's destination suite against a real PostgreSQL (`DATABASE_URL`, started by
//! `cargo xtask servers`), in-process and through real dlopen of the built plugin; plus gzip
//! files and a wrong password that never shows up in the error.

use std::io::Write;
use std::path::PathBuf;

use stowage::plugins::{DiscoveryConfig, Registry};
use stowage_plugin_postgres::PostgresDestination;
use stowage_plugin_sdk::io::MemoryReader;
use stowage_plugin_sdk::testing::destination::{
    DestinationSuite, SAMPLE_CSV, SAMPLE_JSONL, rows, run_suite,
};
use stowage_plugin_sdk::{CopyColumn, CopyRequest, DestinationPlugin, ErrorKind, Options};

/// A variable from the environment; `None` (skip) locally, a failure under `CI=true`.
fn env(var: &str) -> Option<String> {
    match std::env::var(var).ok().filter(|v| !v.is_empty()) {
        Some(v) => Some(v),
        None if std::env::var("CI").as_deref() == Ok("true") => {
            panic!("{var} is not set (run the tests through cargo xtask test-all)")
        }
        None => {
            eprintln!(
                "skipped: {var} is not set (cargo xtask servers start; eval $(cargo xtask servers env))"
            );
            None
        }
    }
}

fn unique(prefix: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("{prefix}_{}_{}", std::process::id(), nanos % 1_000_000_000)
}

fn suite(dataset: &str) -> DestinationSuite<'_> {
    DestinationSuite {
        capabilities: PostgresDestination::CAPABILITIES,
        staging_formats: PostgresDestination::STAGING_FORMATS
            .iter()
            .map(|s| s.to_string())
            .collect(),
        type_map: PostgresDestination::TYPE_MAP
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        dataset,
    }
}

#[test]
fn behaviour_suite_in_process() {
    let Some(url) = env("DATABASE_URL") else {
        return;
    };
    let dest = PostgresDestination::open(Options::new([("credentials", url)])).expect("connects");
    let dataset = unique("suite_pg");
    run_suite(dest.as_ref(), &suite(&dataset));
}

#[test]
fn behaviour_suite_through_dlopen() {
    let Some(url) = env("DATABASE_URL") else {
        return;
    };
    let Some(dir) = env("STOWAGE_TEST_PLUGIN_DIR") else {
        return;
    };
    let registry = Registry::discover(&DiscoveryConfig::only_dirs(vec![PathBuf::from(dir)]));
    let info = registry
        .destination("postgres")
        .expect("postgres destination is listed");
    assert!(info.is_loadable());
    assert_eq!(info.staging_formats, ["jsonl", "csv"]);
    let dest = registry
        .open_destination("postgres", &Options::new([("credentials", url)]))
        .expect("opens through the ABI");
    let dataset = unique("dlopen_pg");
    let mut s = suite(&dataset);
    s.capabilities = info.capabilities;
    s.type_map = info.type_map.clone();
    run_suite(dest.as_ref(), &s);
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(bytes).unwrap();
    enc.finish().unwrap()
}

#[test]
fn gzip_files_are_streamed() {
    let Some(url) = env("DATABASE_URL") else {
        return;
    };
    let dest = PostgresDestination::open(Options::new([("credentials", url)])).expect("connects");
    let ds = unique("gz_pg");
    dest.execute(&format!(
        "CREATE SCHEMA \"{ds}\"; CREATE TABLE \"{ds}\".\"t\" (\"id\" bigint, \"name\" varchar, \"score\" double precision, \"flag\" boolean, \"amount\" numeric(38,9), \"ts\" timestamptz, \"day\" date, \"doc\" jsonb, \"blob\" bytea, \"note\" varchar)"
    ))
    .unwrap();
    let columns: Vec<CopyColumn> = [
        ("id", "bigint"),
        ("name", "text"),
        ("score", "double"),
        ("flag", "bool"),
        ("amount", "decimal"),
        ("ts", "timestamp"),
        ("day", "date"),
        ("doc", "json"),
        ("blob", "binary"),
        ("note", "text"),
    ]
    .iter()
    .map(|(n, t)| CopyColumn {
        name: n.to_string(),
        data_type: t.to_string(),
        nullable: true,
    })
    .collect();
    for (format, body) in [("jsonl", SAMPLE_JSONL), ("csv", SAMPLE_CSV)] {
        let request = CopyRequest {
            dataset: ds.clone(),
            table: "t".into(),
            format: format.into(),
            extension: format!("{format}.gz"),
            columns: columns.clone(),
            url: format!("file:///x/t.{format}.gz"),
        };
        let n = dest
            .copy_file(&request, Box::new(MemoryReader::new(gzip(body.as_bytes()))))
            .expect("copies a gzip file");
        assert_eq!(n, 3, "{format}");
    }
    let r = rows(
        dest.as_ref(),
        &format!("SELECT COUNT(*) AS n FROM \"{ds}\".\"t\""),
    );
    assert_eq!(r[0]["n"], 6);
    dest.execute(&format!("DROP SCHEMA \"{ds}\" CASCADE"))
        .unwrap();
}

#[test]
fn a_wrong_password_is_never_shown() {
    let Some(url) = env("DATABASE_URL") else {
        return;
    };
    let secret = "wr0ng-Secret-pw";
    let err = PostgresDestination::open(Options::new([
        ("credentials", url.clone()),
        ("password", secret.to_string()),
    ]))
    .err()
    .expect("a wrong password fails");
    assert_eq!(err.kind(), ErrorKind::PermissionDenied, "{err}");
    let text = format!("{err} {err:?}");
    assert!(!text.contains(secret), "{text}");
    // Nor is the real one from the connection string.
    let real = url
        .split("://")
        .nth(1)
        .and_then(|rest| rest.split('@').next())
        .and_then(|userinfo| userinfo.split(':').nth(1))
        .expect("DATABASE_URL has a password");
    assert!(!text.contains(real), "{text}");
}
