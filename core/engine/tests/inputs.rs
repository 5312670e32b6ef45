//! Every input reader over the small files in tests/fixtures/inputs (written by
//! `make_fixtures.py` there): the same three records in each format, and malformed files whose
//! errors must name the file and line. Parquet goes through the real parquet plugin (dlopen).

use std::path::{Path, PathBuf};

use serde_json::{Value, json};
use stowage::ErrorKind;
use stowage::input::{ArrowRecords, InputFormat, RecordSource, open};
use stowage::plugins::{DiscoveryConfig, Registry};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/inputs")
        .join(name)
}

fn expected() -> Vec<Value> {
    vec![
        json!({"id": 1, "name": "Alice", "score": 1.5, "active": true,
               "created": "2024-01-02T03:04:05.123456+00:00", "note": "first"}),
        json!({"id": 2, "name": "Bob, \"Jr.\"", "score": 2.0, "active": false,
               "created": "2024-01-03T00:00:00+00:00"}),
        json!({"id": 3, "name": "Zoë", "score": -0.25, "active": true,
               "created": "2024-01-04T05:06:07.001000+00:00", "note": "two\nlines"}),
    ]
}

fn read_all(mut source: Box<dyn RecordSource>) -> stowage::Result<Vec<Value>> {
    let mut out = Vec::new();
    while let Some(record) = source.next_record()? {
        out.push(Value::Object(record));
    }
    Ok(out)
}

fn read_fixture(
    name: &str,
    format: InputFormat,
    registry: &Registry,
) -> stowage::Result<Vec<Value>> {
    read_all(open(&fixture(name), format, registry)?)
}

fn keys(record: &Value) -> Vec<&str> {
    record
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect()
}

/// The built plugins (`STOWAGE_TEST_PLUGIN_DIR`), or `None` (skip) outside CI.
fn plugin_registry() -> Option<Registry> {
    match std::env::var_os("STOWAGE_TEST_PLUGIN_DIR") {
        Some(dir) => Some(Registry::discover(&DiscoveryConfig::only_dirs(vec![
            dir.into(),
        ]))),
        None if std::env::var("CI").is_ok_and(|v| v == "true") => {
            panic!("STOWAGE_TEST_PLUGIN_DIR not set in CI")
        }
        None => {
            eprintln!("skipped: plugins not built (run `cargo xtask test-all`)");
            None
        }
    }
}

#[test]
fn every_text_format_yields_the_same_records_in_input_key_order() {
    let registry = Registry::default();
    for name in [
        "events.ndjson",
        "events.jsonl.gz",
        "events.json",
        "events.json.gz",
        "objects.json",
        "events.csv",
        "events.csv.gz",
    ] {
        let records = read_fixture(name, InputFormat::Auto, &registry)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(records, expected(), "{name}");
        assert_eq!(
            keys(&records[0]),
            ["id", "name", "score", "active", "created", "note"],
            "{name}"
        );
    }
}

#[test]
fn an_explicit_format_overrides_the_extension() {
    let registry = Registry::default();
    let records = read_fixture("events.txt", InputFormat::Ndjson, &registry).unwrap();
    assert_eq!(records, expected());
    let err = read_fixture("events.txt", InputFormat::Auto, &registry).unwrap_err();
    assert!(
        err.to_string().contains(".ndjson, .jsonl, .json, .csv"),
        "{err}"
    );
    let err = read_fixture("events.json", InputFormat::Csv, &registry).unwrap_err();
    let want = format!(
        "{}:3: the row has 2 fields but the header has 1",
        fixture("events.json").display()
    );
    assert!(err.to_string().starts_with(&want), "{err}");
}

#[test]
fn malformed_inputs_name_file_and_line() {
    let registry = Registry::default();
    let cases = [
        (
            "broken.csv",
            ":3: field 2: the quote opened on this line is never closed",
        ),
        ("wide.csv", ":3: the row has 3 fields but the header has 2"),
        ("broken.json", ":3: element [1]: invalid JSON at column 12"),
    ];
    for (name, want) in cases {
        let err = read_fixture(name, InputFormat::Auto, &registry).unwrap_err();
        let prefix = format!("{}{want}", fixture(name).display());
        assert!(err.to_string().starts_with(&prefix), "{name}: {err}");
        assert_eq!(err.kind(), ErrorKind::InvalidArgument);
        assert!(!err.is_retryable());
    }
}

#[test]
fn a_missing_file_is_not_found_and_named() {
    let err = read_fixture("nope.csv", InputFormat::Auto, &Registry::default()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
    assert!(err.to_string().contains("nope.csv"), "{err}");
}

#[test]
fn parquet_without_the_plugin_names_the_missing_plugin_and_the_file() {
    let err = read_fixture("events.parquet", InputFormat::Auto, &Registry::default()).unwrap_err();
    let text = err.to_string();
    assert!(text.contains("events.parquet"), "{text}");
    assert!(text.contains("no format plugin named `parquet`"), "{text}");
}

#[test]
fn parquet_is_read_through_the_parquet_plugin() {
    let Some(registry) = plugin_registry() else {
        return;
    };
    if registry.format("parquet").is_none() {
        assert!(
            !std::env::var("CI").is_ok_and(|v| v == "true"),
            "the parquet plugin is not among the built plugins"
        );
        eprintln!("skipped: the parquet plugin is not built yet");
        return;
    }
    let records = read_fixture("events.parquet", InputFormat::Auto, &registry).unwrap();
    assert_eq!(records, expected());
    assert_eq!(
        keys(&records[0]),
        ["id", "name", "score", "active", "created", "note"]
    );
}

#[test]
fn arrow_batches_from_a_format_plugin_through_dlopen_become_records() {
    let Some(registry) = plugin_registry() else {
        return;
    };
    let mut records =
        ArrowRecords::from_format_plugin(&fixture("events.ndjson"), "jsonl", &registry).unwrap();
    let mut ids = Vec::new();
    while let Some(record) = records.next_record().unwrap() {
        assert!(record["name"].is_string(), "{record:?}");
        ids.push(record["id"].clone());
    }
    assert_eq!(ids, [json!(1), json!(2), json!(3)]);
}

#[test]
fn parquet_types_become_json_values() {
    let Some(registry) = plugin_registry() else {
        return;
    };
    if registry.format("parquet").is_none() {
        eprintln!("skipped: the parquet plugin is not built yet");
        return;
    }
    let records = read_fixture("types.parquet", InputFormat::Parquet, &registry).unwrap();
    assert_eq!(
        records,
        vec![
            json!({"d": "2024-01-02", "dec": "10.50", "bin": "AAEC",
                   "s": {"a": 1, "b": ["x", "y"]},
                   "ts_naive": "2024-01-02T03:04:05.123000+00:00", "t": "01:02:03.000500",
                   "dict": "red", "f32": 0.1, "u64": u64::MAX}),
            json!({"s": {"b": [null]}}),
        ]
    );
}
