//! Destination behaviour suite: DDL from the declared type map, `copy_file` of staged jsonl
//! and csv files (every dlt type, missing columns, empty strings vs NULL), transactions that
//! roll back DDL, DML and copies, and errors that are errors (never panics) after which the
//! session still works.
//!
//! It runs against an in-process [`Destination`] (a plugin's own `cargo test`) or one loaded
//! through dlopen ([`crate::ffi::client::ForeignDestination`]). The suite creates and finally
//! drops the schema `dataset`; give each run a unique name.

use serde_json::{Value, json};

use crate::destination::{CopyColumn, CopyRequest, Destination, DestinationCapabilities};
use crate::io::MemoryReader;
use crate::{ErrorKind, Result};

/// What the suite needs to know about the destination under test.
#[derive(Debug, Clone)]
pub struct DestinationSuite<'a> {
    /// Declared capabilities.
    pub capabilities: DestinationCapabilities,
    /// Declared staging formats.
    pub staging_formats: Vec<String>,
    /// Declared dlt type → SQL type map.
    pub type_map: Vec<(String, String)>,
    /// A schema name of its own (created and dropped by the suite).
    pub dataset: &'a str,
}

const TABLE: &str = "suite_items";

/// The columns of the suite's table: (name, dlt type, nullable).
const COLUMNS: &[(&str, &str, bool)] = &[
    ("id", "bigint", false),
    ("name", "text", true),
    ("flag", "bool", true),
    ("score", "double", true),
    ("amount", "decimal", true),
    ("ts", "timestamp", true),
    ("day", "date", true),
    ("blob", "binary", true),
    ("doc", "json", true),
    ("note", "text", true),
];

/// Staged jsonl (the engine's jsonl format): every type, a row with few keys, `note` never set.
pub const SAMPLE_JSONL: &str = concat!(
    r#"{"id":1,"name":"Alice \"A\"\ttab\\","flag":true,"score":1.5,"amount":"10.50","ts":"2024-01-02T03:04:05.123456+00:00","day":"2024-01-02","blob":"AAFoaQ==","doc":{"free":"form","n":[1,2]}}"#,
    "\n",
    r#"{"id":2,"name":"","flag":false,"score":-2.25}"#,
    "\n",
    r#"{"id":3}"#,
    "\n",
);

/// Staged csv (the engine's csv format): quoted strings, NULL as an empty unquoted field, `""`
/// as the empty string; `blob` and `note` are not in the file.
pub const SAMPLE_CSV: &str = concat!(
    "\"id\",\"name\",\"flag\",\"score\",\"amount\",\"ts\",\"day\",\"doc\"\n",
    "1,\"Alice \"\"A\"\"\ttab\\\",True,1.5,10.50,\"2024-01-02 03:04:05.123456+00:00\",\"2024-01-02\",\"{\"\"free\"\":\"\"form\"\",\"\"n\"\":[1,2]}\"\n",
    "2,\"\",False,-2.25,,,,\n",
    "3,,,,,,,\n",
);

/// Runs every check; panics with a message on the first failure.
pub fn run_suite(dest: &dyn Destination, suite: &DestinationSuite<'_>) {
    let q = |name: &str| format!("\"{name}\"");
    let table = format!("{}.{}", q(suite.dataset), q(TABLE));
    setup(dest, suite, &table);
    for format in ["jsonl", "csv"] {
        if !suite.staging_formats.iter().any(|f| f == format) {
            continue;
        }
        dest.execute(&format!("DELETE FROM {table}"))
            .expect("empty the table");
        let rows = copy(dest, suite, format).unwrap_or_else(|e| panic!("copy {format}: {e}"));
        assert_eq!(rows, 3, "{format}: rows reported by copy_file");
        check_values(dest, &table, format);
    }
    check_transactions(dest, suite, &table);
    check_errors(dest, suite, &table);
    dest.execute(&format!("DROP SCHEMA {} CASCADE", q(suite.dataset)))
        .expect("drop the suite's schema");
}

fn sql_type<'s>(suite: &'s DestinationSuite<'_>, dlt: &str) -> &'s str {
    suite
        .type_map
        .iter()
        .find(|(k, _)| k == dlt)
        .map(|(_, v)| v.as_str())
        .unwrap_or_else(|| panic!("type map has no `{dlt}`"))
}

fn setup(dest: &dyn Destination, suite: &DestinationSuite<'_>, table: &str) {
    for dlt in [
        "text",
        "double",
        "bool",
        "bigint",
        "decimal",
        "timestamp",
        "date",
        "time",
        "binary",
        "json",
        "wei",
    ] {
        sql_type(suite, dlt);
    }
    let columns: Vec<String> = COLUMNS
        .iter()
        .map(|(name, dlt, nullable)| {
            let null = if *nullable { "" } else { " NOT NULL" };
            format!("\"{name}\" {}{null}", sql_type(suite, dlt))
        })
        .collect();
    dest.execute(&format!(
        "CREATE SCHEMA IF NOT EXISTS \"{ds}\"; DROP TABLE IF EXISTS {table}; CREATE TABLE {table} ({});",
        columns.join(", "),
        ds = suite.dataset
    ))
    .expect("DDL from the type map runs");
}

fn request(suite: &DestinationSuite<'_>, format: &str, table: &str) -> CopyRequest {
    CopyRequest {
        dataset: suite.dataset.to_string(),
        table: table.to_string(),
        format: format.to_string(),
        extension: format.to_string(),
        columns: COLUMNS
            .iter()
            .map(|(name, dlt, nullable)| CopyColumn {
                name: name.to_string(),
                data_type: dlt.to_string(),
                nullable: *nullable,
            })
            .collect(),
        url: format!("memory:///suite/{table}.{format}"),
    }
}

fn copy(dest: &dyn Destination, suite: &DestinationSuite<'_>, format: &str) -> Result<u64> {
    let bytes = match format {
        "jsonl" => SAMPLE_JSONL,
        _ => SAMPLE_CSV,
    };
    dest.copy_file(
        &request(suite, format, TABLE),
        Box::new(MemoryReader::new(bytes.as_bytes().to_vec())),
    )
}

/// Parses `query`'s JSON lines.
pub fn rows(dest: &dyn Destination, sql: &str) -> Vec<Value> {
    let text = dest
        .query(sql)
        .unwrap_or_else(|e| panic!("query {sql}: {e}"));
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("bad JSON line {l:?}: {e}")))
        .collect()
}

fn count(dest: &dyn Destination, table: &str) -> i64 {
    let r = rows(dest, &format!("SELECT COUNT(*) AS n FROM {table}"));
    r[0]["n"].as_i64().expect("a count")
}

fn check_values(dest: &dyn Destination, table: &str, format: &str) {
    let got = rows(
        dest,
        &format!(
            "SELECT id, name, flag, score, CAST(amount AS VARCHAR) AS amount, \
             CAST(EXTRACT(EPOCH FROM ts) * 1000 AS BIGINT) AS ts_ms, CAST(day AS VARCHAR) AS day, \
             octet_length(blob) AS blob_len, doc, note FROM {table} ORDER BY id"
        ),
    );
    let blob_len = if format == "csv" {
        json!(null)
    } else {
        json!(4)
    };
    let want = [
        json!({"id": 1, "name": "Alice \"A\"\ttab\\", "flag": true, "score": 1.5,
               "amount": "10.500000000", "ts_ms": 1_704_164_645_123i64, "day": "2024-01-02",
               "blob_len": blob_len, "doc": {"free": "form", "n": [1, 2]}, "note": null}),
        json!({"id": 2, "name": "", "flag": false, "score": -2.25, "amount": null,
               "ts_ms": null, "day": null, "blob_len": null, "doc": null, "note": null}),
        json!({"id": 3, "name": null, "flag": null, "score": null, "amount": null,
               "ts_ms": null, "day": null, "blob_len": null, "doc": null, "note": null}),
    ];
    assert_eq!(got.len(), 3, "{format}: rows {got:?}");
    for (g, w) in got.iter().zip(want.iter()) {
        let mut g = g.clone();
        // JSON documents may come back as text or as nested values.
        if let Some(text) = g["doc"].as_str() {
            g["doc"] = serde_json::from_str(text).expect("doc is JSON text");
        }
        assert_eq!(&g, w, "{format}: row values");
    }
}

fn check_transactions(dest: &dyn Destination, suite: &DestinationSuite<'_>, table: &str) {
    if !suite.capabilities.transactions {
        return;
    }
    let before = count(dest, table);
    let format = suite.staging_formats[0].clone();
    if format == "jsonl" || format == "csv" {
        dest.execute("BEGIN").expect("BEGIN");
        dest.execute(&format!("DELETE FROM {table}"))
            .expect("DELETE");
        copy(dest, suite, &format).expect("copy inside a transaction");
        dest.execute(&format!("ALTER TABLE {table} ADD COLUMN \"extra\" BIGINT"))
            .expect("DDL inside a transaction");
        assert_eq!(count(dest, table), 3, "the transaction sees its own rows");
        dest.execute("ROLLBACK").expect("ROLLBACK");
        assert_eq!(count(dest, table), before, "rollback undid DELETE and copy");
        let cols = rows(dest, &format!("SELECT * FROM {table} LIMIT 1"));
        assert!(
            cols.iter().all(|r| r.get("extra").is_none()),
            "rollback undid the DDL"
        );
    }
}

fn check_errors(dest: &dyn Destination, suite: &DestinationSuite<'_>, table: &str) {
    let err = dest.execute("SELEC nonsense").expect_err("bad SQL fails");
    assert_ne!(err.kind(), ErrorKind::Panic, "{err}");
    let err = dest
        .query("SELECT * FROM \"no_such_schema_x\".\"no_such_table\"")
        .expect_err("a missing table fails");
    assert_ne!(err.kind(), ErrorKind::Panic, "{err}");
    let format = suite.staging_formats[0].clone();
    let err = dest
        .copy_file(
            &request(suite, &format, "no_such_table"),
            Box::new(MemoryReader::new(SAMPLE_JSONL.as_bytes().to_vec())),
        )
        .expect_err("copy into a missing table fails");
    assert_ne!(err.kind(), ErrorKind::Panic, "{err}");
    let err = dest
        .copy_file(
            &request(suite, "xml", TABLE),
            Box::new(MemoryReader::new(b"<x/>".to_vec())),
        )
        .expect_err("an undeclared format fails");
    assert_eq!(err.kind(), ErrorKind::Unsupported, "{err}");
    let err = dest
        .copy_file(
            &request(suite, "jsonl", TABLE),
            Box::new(MemoryReader::new(b"{\"id\": 1}\n{not json\n".to_vec())),
        )
        .expect_err("a malformed file fails");
    assert_ne!(err.kind(), ErrorKind::Panic, "{err}");
    // The session still works after errors.
    assert!(count(dest, table) >= 0);
}
