//! Interop with a real dlt 1.31 (issue 3, item 5 and "Done when").
//!
//! * Stowage loads nested data (`tests/data/nested_events.ndjson`); a fresh dlt pipeline syncs
//!   from the bucket and reads every table: same tables, columns, counts, values and child
//!   linkage as the input implies.
//! * Same input through dlt and Stowage: special files and data lines are dlt's bytes (load ids,
//!   times and random ids masked).
//! * dlt loads first (jsonl, parquet, and a pre-1.15 dataset with an empty `init`); Stowage
//!   appends a new column; dlt reads both loads back. A table dlt loaded as parquet stays parquet.
//! * The normalization cases of `tests/data/normalization_cases.jsonl` run through dlt and
//!   Stowage: identical table names, column names (in order), data types, variant and nullable
//!   flags; and, where those match, the identical stored schema (hash, key order, history).
//! * 200k nested records loaded twice: one `_dlt_version` file and one state file.
//! * A malformed line 7: the error names file and line, and nothing of that load reaches the
//!   bucket.
//!
//! Needs `STOWAGE_TEST_PLUGIN_DIR` (and `STOWAGE_BIN`) from `cargo xtask build`, and
//! `STOWAGE_TEST_PYTHON` from `cargo xtask python` for the dlt tests; without them the tests skip
//! outside CI and fail in CI. Every test prints the stowage and Python output when it fails; the
//! Python side lives in `tests/interop/*.py`.

#[path = "interop/cases.rs"]
mod cases;
#[path = "interop/support.rs"]
mod support;
#[path = "interop/tables.rs"]
mod tables;

use std::io::Write;
use std::path::Path;
use std::time::Instant;

use serde_json::{Value, json};

use support::{Scratch, base64_decode, data_file, dlt_table_files, files_under, hex, read_json};
use tables::{ReadTable, linkage_problems, read_tables, rebuild, row_differences, table};

/// Asserts that `problems` is empty, printing all of them and `context`.
fn assert_none(what: &str, problems: &[String], context: &str) {
    assert!(
        problems.is_empty(),
        "{what}: {} problem(s):\n  {}\n\n{context}",
        problems.len(),
        problems.join("\n  ")
    );
}

/// (table, columns as `name:type[:variant]`, row count) as dlt read them.
fn shape(tables: &[ReadTable]) -> Vec<(String, Vec<String>, usize)> {
    tables
        .iter()
        .map(|t| (t.name.clone(), t.columns.clone(), t.rows.len()))
        .collect()
}

fn owned_shape(expected: &[(&str, &[&str], usize)]) -> Vec<(String, Vec<String>, usize)> {
    expected
        .iter()
        .map(|(t, cols, n)| {
            let cols = cols.iter().map(|c| c.to_string()).collect();
            (t.to_string(), cols, *n)
        })
        .collect()
}

fn shape_text(shape: &[(String, Vec<String>, usize)]) -> String {
    shape
        .iter()
        .map(|(t, cols, n)| format!("  {t} ({n} rows): {}", cols.join(", ")))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The load ids of the markers in `<dataset>/_dlt_loads`.
fn marker_load_ids(dataset_dir: &Path) -> Vec<String> {
    dlt_table_files(dataset_dir, "_dlt_loads")
        .iter()
        .map(|f| read_json(&dataset_dir.join("_dlt_loads").join(f))["load_id"].to_string())
        .map(|s| s.trim_matches('"').to_string())
        .collect()
}

// ---------------------------------------------------------------------------------------------
// 1. Stowage → dlt
// ---------------------------------------------------------------------------------------------

/// What `tests/data/nested_events.ndjson` implies for dlt: tables, columns in dlt's order, counts.
const NESTED_SHAPE: &[(&str, &[&str], usize)] = &[
    (
        "events",
        &[
            "id:bigint",
            "weird_namex:text",
            "camel_case:bigint",
            "_mlaut:text",
            "created:timestamp",
            "score:bigint",
            "user__name:text",
            "user__address__city:text",
            "user__address__geo__lat:double",
            "user__address__geo__lon:double",
            "_dlt_load_id:text",
            "_dlt_id:text",
            "score__v_text:text:variant",
        ],
        4,
    ),
    (
        "events__tags",
        &[
            "value:text",
            "_dlt_parent_id:text",
            "_dlt_list_idx:bigint",
            "_dlt_id:text",
        ],
        6,
    ),
    (
        "events__orders",
        &[
            "sku:text",
            "qty:bigint",
            "_dlt_parent_id:text",
            "_dlt_list_idx:bigint",
            "_dlt_id:text",
            "qty__v_text:text:variant",
        ],
        4,
    ),
    (
        "events__orders__items",
        &[
            "part:text",
            "_dlt_parent_id:text",
            "_dlt_list_idx:bigint",
            "_dlt_id:text",
        ],
        4,
    ),
    (
        "events__orders__items__dims",
        &[
            "value:bigint",
            "_dlt_parent_id:text",
            "_dlt_list_idx:bigint",
            "_dlt_id:text",
        ],
        6,
    ),
    (
        "events__matrix",
        &[
            "_dlt_parent_id:text",
            "_dlt_list_idx:bigint",
            "_dlt_id:text",
        ],
        5,
    ),
    (
        "events__matrix__list",
        &[
            "value:bigint",
            "_dlt_parent_id:text",
            "_dlt_list_idx:bigint",
            "_dlt_id:text",
        ],
        7,
    ),
];

/// The input rows rebuilt from dlt's tables (see `tables::rebuild`): normalized names, variants
/// for values that did not fit, timestamps in UTC, nulls and empty lists absent.
fn nested_expected_rows() -> Vec<Value> {
    vec![
        json!({"id": 1, "weird_namex": "w1", "camel_case": 10, "_mlaut": "grüße",
            "created": "2024-01-02T01:04:05+00:00", "score": 10,
            "user__name": "Ana", "user__address__city": "Zürich",
            "user__address__geo__lat": 47.37, "user__address__geo__lon": 8.54,
            "tags": [{"value": "a"}, {"value": "b"}, {"value": "c"}],
            "orders": [
                {"sku": "X1", "qty": 2, "items": [
                    {"part": "p1", "dims": [{"value": 1}, {"value": 2}]},
                    {"part": "p2"}]},
                {"sku": "X2", "qty": 1}],
            "matrix": [{"list": [{"value": 1}, {"value": 2}]}, {"list": [{"value": 3}]}]}),
        json!({"id": 2, "weird_namex": "w2", "camel_case": 20, "_mlaut": "ä",
            "created": "2024-06-30T23:59:59+00:00", "score__v_text": "high",
            "user__name": "Bo", "user__address__city": "Oslo",
            "user__address__geo__lat": 59.91, "user__address__geo__lon": 10.75,
            "orders": [{"sku": "Y1", "qty": 5, "items": [{"part": "p3", "dims": [{"value": 7}]}]}]}),
        json!({"id": 3, "camel_case": 30, "_mlaut": "日本語",
            "created": "2024-01-01T03:30:00+00:00", "score": 7,
            "user__name": "Cy", "user__address__geo__lat": -33.87, "user__address__geo__lon": 151.21,
            "tags": [{"value": "z"}],
            "matrix": [{}, {"list": [{"value": 4}, {"value": 5}, {"value": 6}]}]}),
        json!({"id": 4, "weird_namex": "w4 ✓", "camel_case": -1, "_mlaut": "",
            "created": "2024-02-29T12:00:00.250000+00:00", "score": 0, "user__name": "Dee",
            "tags": [{"value": "日本"}, {"value": "a"}],
            "orders": [{"sku": "Z9", "qty__v_text": "many", "items": [
                {"part": "p4", "dims": [{"value": 10}, {"value": 20}, {"value": 30}]}]}],
            "matrix": [{"list": [{"value": 7}]}]}),
    ]
}

#[test]
fn stowage_loads_nested_data_that_dlt_reads_back() {
    let Some(prereqs) = support::plugins_and_dlt() else {
        return;
    };
    let s = Scratch::new(prereqs);
    let started = Instant::now();
    let input = data_file("nested_events.ndjson");
    let load = s.stowage_run(&input, "Events", "interop_nested", "nested", &[]);
    load.expect_ok();
    let read = s.dlt_read("interop_nested", "nested", "reader");
    let context = format!(
        "{}\n\n{}\n\nbucket files:\n  {}",
        load.report(),
        read.report(),
        files_under(&s.bucket()).join("\n  ")
    );
    assert!(
        read.ok(),
        "dlt could not read Stowage's dataset:\n{context}"
    );
    let tables = read_tables(&read.json());

    let (want, have) = (owned_shape(NESTED_SHAPE), shape(&tables));
    assert!(
        want == have,
        "tables/columns/row counts differ\nexpected:\n{}\ndlt read:\n{}\n\n{context}",
        shape_text(&want),
        shape_text(&have)
    );
    assert_none("child linkage", &linkage_problems(&tables), &context);
    let loads = marker_load_ids(&s.bucket().join("nested"));
    assert_eq!(loads.len(), 1, "markers: {loads:?}\n{context}");
    let root = table(&tables, "events").expect("events read");
    let wrong_load: Vec<String> = root
        .rows
        .iter()
        .filter(|r| r.get("_dlt_load_id").and_then(Value::as_str) != Some(&loads[0]))
        .map(|r| format!("{r:?}"))
        .collect();
    assert_none(
        "rows whose _dlt_load_id is not the marker's",
        &wrong_load,
        &context,
    );
    let diffs = row_differences(&nested_expected_rows(), &rebuild(&tables, "events"), "id");
    assert_none("values read back by dlt", &diffs, &context);
    eprintln!("timing: nested stowage→dlt took {:.1?}", started.elapsed());
}

/// Same input through dlt and Stowage: the special files and data lines must be dlt's bytes
/// (load ids, times, random root ids masked; see `interop/compare_datasets.py`).
#[test]
fn stowage_writes_dlts_files_for_the_same_nested_input() {
    let Some(prereqs) = support::plugins_and_dlt() else {
        return;
    };
    let started = Instant::now();
    let s = Scratch::new(prereqs);
    let input = data_file("nested_events.ndjson");
    let ours = s.stowage_run(&input, "Events", "interop_nested", "nested", &[]);
    ours.expect_ok();
    let dlt_bucket = s.path().join("dlt_bucket");
    let theirs = s.python(
        "dlt_load.py",
        &[
            "interop_nested",
            &format!("file://{}", dlt_bucket.display()),
            "nested",
            &s.fresh_dlt_pipelines("writer").to_string_lossy(),
            "Events",
            "default",
            &input.to_string_lossy(),
        ],
    );
    theirs.expect_ok();
    let compared = s.python(
        "compare_datasets.py",
        &[
            &dlt_bucket.join("nested").to_string_lossy(),
            &s.bucket().join("nested").to_string_lossy(),
        ],
    );
    compared.expect_ok();
    let doc = compared.json();
    let differences: Vec<String> = doc["differences"]
        .as_array()
        .expect("differences")
        .iter()
        .map(|d| d.as_str().unwrap_or("?").to_string())
        .collect();
    let context = format!(
        "{}\n\ndlt files:\n  {}\nstowage files:\n  {}",
        ours.report(),
        doc["dlt_files"],
        doc["stowage_files"]
    );
    assert_none(
        "stowage's files differ from dlt's for the same input",
        &differences,
        &context,
    );
    eprintln!(
        "timing: same-input file comparison took {:.1?}",
        started.elapsed()
    );
}

// ---------------------------------------------------------------------------------------------
// 2. dlt → Stowage → dlt
// ---------------------------------------------------------------------------------------------

const OLD_ROWS: &str = "{\"id\": 1, \"name\": \"a\", \"tags\": [\"x\", \"y\"]}\n\
                        {\"id\": 2, \"name\": \"b\", \"tags\": []}\n";
const NEW_ROWS: &str = "{\"id\": 3, \"name\": \"c\", \"extra\": \"new\", \"tags\": [\"z\"]}\n";

fn appended_expected_rows() -> Vec<Value> {
    vec![
        json!({"id": 1, "name": "a", "tags": [{"value": "x"}, {"value": "y"}]}),
        json!({"id": 2, "name": "b"}),
        json!({"id": 3, "name": "c", "extra": "new", "tags": [{"value": "z"}]}),
    ]
}

/// The combined dataset as dlt reads it after dlt's load and Stowage's append; returns the
/// assertion context.
fn assert_dlt_reads_both_loads(s: &Scratch, dataset: &str, context: &str) {
    let read = s.dlt_read("interop_append", dataset, "reader");
    let context = format!(
        "{context}\n\n{}\n\nbucket files:\n  {}",
        read.report(),
        files_under(&s.bucket()).join("\n  ")
    );
    assert!(read.ok(), "dlt could not read the dataset:\n{context}");
    let tables = read_tables(&read.json());
    let want = owned_shape(&[
        (
            "events",
            &[
                "id:bigint",
                "name:text",
                "_dlt_load_id:text",
                "_dlt_id:text",
                "extra:text",
            ],
            3,
        ),
        (
            "events__tags",
            &[
                "value:text",
                "_dlt_parent_id:text",
                "_dlt_list_idx:bigint",
                "_dlt_id:text",
            ],
            3,
        ),
    ]);
    let have = shape(&tables);
    assert!(
        want == have,
        "tables/columns/row counts differ (dlt's own append gives the expected)\n\
         expected:\n{}\ndlt read:\n{}\n\n{context}",
        shape_text(&want),
        shape_text(&have)
    );
    assert_none("child linkage", &linkage_problems(&tables), &context);
    let diffs = row_differences(&appended_expected_rows(), &rebuild(&tables, "events"), "id");
    assert_none("values read back by dlt", &diffs, &context);
    let events = table(&tables, "events").expect("events");
    let old_extra: Vec<&Value> = events
        .rows
        .iter()
        .filter(|r| r["id"] != json!(3))
        .map(|r| r.get("extra").unwrap_or(&Value::Bool(false)))
        .collect();
    assert!(
        old_extra.iter().all(|v| v.is_null()),
        "old rows must read `extra` as null: {old_extra:?}\n{context}"
    );
    let markers = marker_load_ids(&s.bucket().join(dataset));
    let row_loads: std::collections::BTreeSet<&str> = events
        .rows
        .iter()
        .filter_map(|r| r.get("_dlt_load_id").and_then(Value::as_str))
        .collect();
    assert!(
        markers.len() == 2 && row_loads.iter().all(|l| markers.iter().any(|m| m == l)),
        "expected two markers covering the rows' load ids; markers {markers:?}, rows {row_loads:?}\n{context}"
    );
}

/// dlt loads with `file_format`, Stowage appends (with `stowage_args`); returns Stowage's run and
/// the data files it added.
fn dlt_then_stowage(
    s: &Scratch,
    dataset: &str,
    file_format: &str,
    truncate_init: bool,
    stowage_args: &[&str],
) -> (String, Vec<String>) {
    let old = s.write("old.ndjson", OLD_ROWS);
    let loaded = s.dlt_load(
        "interop_append",
        dataset,
        "Events",
        file_format,
        &old,
        "writer",
    );
    loaded.expect_ok();
    let dataset_dir = s.bucket().join(dataset);
    if truncate_init {
        std::fs::File::create(dataset_dir.join("init")).expect("truncate init");
    }
    let before = files_under(&dataset_dir);
    let new = s.write("new.ndjson", NEW_ROWS);
    let appended = s.stowage_run(&new, "Events", "interop_append", dataset, stowage_args);
    let context = format!("{}\n\n{}", loaded.report(), appended.report());
    assert!(
        appended.ok(),
        "stowage could not append to dlt's dataset:\n{context}"
    );
    let added: Vec<String> = files_under(&dataset_dir)
        .into_iter()
        .filter(|f| !before.contains(f) && f.starts_with("events"))
        .collect();
    (context, added)
}

fn dlt_then_stowage_then_dlt(file_format: &str, stowage_args: &[&str], data_ext: &str) {
    let Some(prereqs) = support::plugins_and_dlt() else {
        return;
    };
    let started = Instant::now();
    let s = Scratch::new(prereqs);
    let (context, added) = dlt_then_stowage(&s, "appended", file_format, false, stowage_args);
    assert!(
        added.len() == 2 && added.iter().all(|f| f.ends_with(data_ext)),
        "stowage should add one {data_ext} file to events/ and events__tags/: {added:?}\n{context}"
    );
    assert_dlt_reads_both_loads(&s, "appended", &context);
    eprintln!(
        "timing: dlt({file_format})→stowage→dlt took {:.1?}",
        started.elapsed()
    );
}

#[test]
fn stowage_appends_to_a_dlt_jsonl_dataset() {
    dlt_then_stowage_then_dlt("jsonl", &[], ".jsonl.gz");
}

/// dlt 1.31's `dataset()` cannot read a table whose files mix parquet and jsonl (checked with dlt
/// alone: duckdb's `read_parquet` over every file of the table), so Stowage appends parquet.
#[test]
fn stowage_appends_to_a_dlt_parquet_dataset() {
    dlt_then_stowage_then_dlt("parquet", &["--format", "parquet"], ".parquet");
}

/// dlt's `loader_file_format="parquet"` leaves `file_format: parquet` on the table in the schema;
/// dlt's next run without a format writes parquet for that table and its nested tables (checked
/// with dlt alone). Stowage, continuing from the bucket's schema, must do the same.
#[test]
fn stowage_honours_the_tables_parquet_file_format_hint() {
    dlt_then_stowage_then_dlt("parquet", &[], ".parquet");
}

#[test]
fn stowage_continues_a_pre_1_15_dataset_with_an_empty_init() {
    let Some(prereqs) = support::plugins_and_dlt() else {
        return;
    };
    let started = Instant::now();
    let s = Scratch::new(prereqs);
    let (context, added) = dlt_then_stowage(&s, "legacy", "jsonl", true, &[]);
    let dataset_dir = s.bucket().join("legacy");
    let init = std::fs::read_to_string(dataset_dir.join("init")).unwrap_or_default();
    assert_eq!(
        init, r#"{"initial_version":1,"current_version":2}"#,
        "an empty init is migrated to v1→v2 (dlt ≥1.15)\n{context}"
    );
    let gz_magic =
        |f: &String| std::fs::read(dataset_dir.join(f)).is_ok_and(|b| b.starts_with(&[0x1f, 0x8b]));
    assert!(
        added.len() == 2 && added.iter().all(|f| f.ends_with(".jsonl") && gz_magic(f)),
        "on a pre-1.15 dataset data files are gzip without the .gz suffix: {added:?}\n{context}"
    );
    assert_dlt_reads_both_loads(&s, "legacy", &context);
    eprintln!("timing: legacy init append took {:.1?}", started.elapsed());
}

// ---------------------------------------------------------------------------------------------
// 3. Normalization cases: dlt and Stowage on the same input
// ---------------------------------------------------------------------------------------------
//
// `tests/data/normalization_cases.jsonl`, one case per line:
// `{"name": "...", "rows": [{...}, ...], "table": "raw table name (default items)",
//   "note": "why the case exists", "stowage_differs": "reason"}`; only `name` and `rows` are
// required. `stowage_differs` records an accepted divergence from dlt: the case still runs and its
// difference is printed, but it does not fail the tests. Rows reach Stowage exactly as written
// (`normalize_cases.py prepare` copies them with Python's json, which keeps big integers and
// `2.0` vs `2`).

/// Table names, column names in order, data types, variant and nullable flags: as dlt's.
#[test]
fn normalization_cases_match_dlt() {
    let Some(prereqs) = support::plugins_and_dlt() else {
        return;
    };
    cases::assert_cases(
        cases::case_runs(prereqs),
        "tables/columns differ between dlt 1.31 and stowage \
         (columns as name:type[:variant][:not-null])",
        cases::case_mismatch,
    );
}

/// The whole stored schema (hash, settings, hints, key order) is dlt's, for every case whose
/// tables and columns already match.
#[test]
fn normalization_cases_store_dlts_exact_schema() {
    let Some(prereqs) = support::plugins_and_dlt() else {
        return;
    };
    let runs = cases::case_runs(prereqs);
    let (differing, summary) = cases::schema_differences_by_kind(runs);
    assert!(
        differing == 0,
        "{differing} of {} normalization cases store a schema that is not dlt's (cases whose \
         tables/columns differ are left to normalization_cases_match_dlt; every case's lines are \
         on stderr above). By kind:\n{summary}",
        runs.results.len(),
    );
}

// ---------------------------------------------------------------------------------------------
// 4. Same 200k nested records twice
// ---------------------------------------------------------------------------------------------

fn write_nested_records(path: &Path, n: usize) {
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).expect("create input"));
    for i in 0..n {
        writeln!(
            f,
            r#"{{"id":{i},"name":"row {i}","at":"2024-01-01T00:{:02}:{:02}+01:00","user":{{"n":{},"geo":{{"x":{}.5}}}},"tags":["t{}","t{}"],"lines":[{{"sku":"s{}","qty":{}}}]}}"#,
            (i / 60) % 60,
            i % 60,
            i % 10,
            i % 1000,
            i % 3,
            i % 5,
            i % 7,
            i % 4
        )
        .expect("write input");
    }
}

#[test]
fn same_200k_nested_records_twice_keep_one_schema_and_one_state_file() {
    let Some(prereqs) = support::plugins_only() else {
        return;
    };
    let s = Scratch::new(prereqs);
    let started = Instant::now();
    let input = s.path().join("records.ndjson");
    write_nested_records(&input, 200_000);
    let generated = started.elapsed();
    let first = s.stowage_run(&input, "Records", "interop_twice", "twice", &[]);
    first.expect_ok();
    let second = s.stowage_run(&input, "Records", "interop_twice", "twice", &[]);
    second.expect_ok();
    eprintln!(
        "timing: 200k nested records: generate {generated:.1?}, first load {:.1?}, second load {:.1?}",
        first.took, second.took
    );
    let dataset_dir = s.bucket().join("twice");
    let versions = dlt_table_files(&dataset_dir, "_dlt_version");
    let states = dlt_table_files(&dataset_dir, "_dlt_pipeline_state");
    let markers = dlt_table_files(&dataset_dir, "_dlt_loads");
    let context = format!(
        "{}\n\n{}\n\nbucket files:\n  {}",
        first.report(),
        second.report(),
        files_under(&dataset_dir)
            .iter()
            .filter(|f| f.starts_with("_dlt") || f == &"init")
            .cloned()
            .collect::<Vec<_>>()
            .join("\n  ")
    );
    assert_eq!(markers.len(), 2, "two loads, two markers\n{context}");
    assert_eq!(
        versions.len(),
        1,
        "the same data twice: the schema hash is unchanged, so one _dlt_version file\n{context}"
    );
    assert_eq!(
        states.len(),
        1,
        "the state did not change on the second run: no second state file\n{context}"
    );
    let version = read_json(&dataset_dir.join("_dlt_version").join(&versions[0]));
    let hash = version["version_hash"].as_str().unwrap_or("");
    let hash_hex = base64_decode(hash).map(|b| hex(&b)).unwrap_or_default();
    assert!(
        hash_hex.len() == 64 && versions[0].ends_with(&format!("__{hash_hex}.jsonl")),
        "_dlt_version name ends with hex(version_hash {hash})\n{context}"
    );
    for m in &markers {
        let marker = read_json(&dataset_dir.join("_dlt_loads").join(m));
        assert_eq!(
            marker["schema_version_hash"].as_str(),
            Some(hash),
            "marker {m} names the one schema version\n{context}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// 5. A malformed line
// ---------------------------------------------------------------------------------------------

#[test]
fn malformed_line_7_names_file_and_line_and_loads_nothing() {
    let Some(prereqs) = support::plugins_only() else {
        return;
    };
    let started = Instant::now();
    let s = Scratch::new(prereqs);
    let good = s.write(
        "good.ndjson",
        "{\"id\": 1, \"kids\": [{\"n\": 1}]}\n{\"id\": 2, \"kids\": []}\n",
    );
    let mut bad_text = String::new();
    for i in 1..=10 {
        bad_text.push_str(&if i == 7 {
            "{\"id\": 7, \"kids\": [{\"n\": 7}], oops}\n".to_string()
        } else {
            format!(
                "{{\"id\": {i}, \"kids\": [{{\"n\": {i}}}, {{\"n\": {}}}]}}\n",
                i + 1
            )
        });
    }
    let bad = s.write("bad.ndjson", &bad_text);
    let first = s.stowage_run(&good, "T", "interop_bad", "bad_ds", &[]);
    first.expect_ok();
    let before = files_under(&s.bucket());
    let failed = s.stowage_run(&bad, "T", "interop_bad", "bad_ds", &[]);
    let after_failure = files_under(&s.bucket());
    let context = format!("{}\n\n{}", first.report(), failed.report());
    assert!(
        !failed.ok(),
        "a malformed line must fail the run\n{context}"
    );
    let location = format!("{}:7:", bad.display());
    assert!(
        failed.stderr().contains(&location),
        "stderr must name `{location}`\n{context}"
    );
    let new_files: Vec<&String> = after_failure
        .iter()
        .filter(|f| !before.contains(f))
        .collect();
    assert!(
        new_files.is_empty(),
        "the failed run must put nothing on the bucket (no marker, no data): {new_files:?}\n{context}"
    );

    let again = s.stowage_run(&good, "T", "interop_bad", "bad_ds", &[]);
    let context = format!("{context}\n\n{}", again.report());
    assert!(again.ok(), "a later run works after the failure\n{context}");
    let markers = marker_load_ids(&s.bucket().join("bad_ds"));
    assert_eq!(
        markers.len(),
        2,
        "two good runs, two markers; the failed one is never loaded later: {markers:?}\n{context}"
    );
    let data: Vec<String> = files_under(&s.bucket().join("bad_ds"))
        .into_iter()
        .filter(|f| f.starts_with("t/") || f.starts_with("t__"))
        .collect();
    let foreign: Vec<&String> = data
        .iter()
        .filter(|f| !markers.iter().any(|m| f.contains(&format!("/{m}."))))
        .collect();
    assert!(
        foreign.is_empty(),
        "data files of a load without marker: {foreign:?}\n{context}"
    );
    eprintln!("timing: malformed line test took {:.1?}", started.elapsed());
}
