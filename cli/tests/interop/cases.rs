//! The normalization cases (`tests/data/normalization_cases.jsonl`) through dlt and Stowage.
//!
//! `normalize_cases.py prepare` writes each case's rows as NDJSON (Python's json keeps big integers
//! and `2.0` vs `2` as written); Stowage loads each into its own bucket; `normalize_cases.py
//! compare` runs the same rows through dlt and dumps both stored schemas. The functions here
//! turn that into per-case differences.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Instant;

use serde_json::Value;

use crate::support::{self, Scratch, data_file};
use crate::tables;

/// One side's table as `(name, [name:type[:variant][:not-null]])`.
type SchemaTables = Vec<(String, Vec<String>)>;

fn side_tables(side: &Value) -> Result<SchemaTables, String> {
    if let Some(e) = side.get("error") {
        return Err(e.as_str().unwrap_or("?").to_string());
    }
    let tables = side["tables"].as_array().ok_or("no tables")?;
    Ok(tables
        .iter()
        .map(|t| {
            let columns = t["columns"].as_array().cloned().unwrap_or_default();
            let columns = columns
                .iter()
                .map(|c| {
                    let mut sig = tables::column_signature(c);
                    if c["nullable"].as_bool() == Some(false) {
                        sig.push_str(":not-null");
                    }
                    sig
                })
                .collect();
            (t["name"].as_str().unwrap_or("?").to_string(), columns)
        })
        .collect())
}

fn tables_text(tables: &SchemaTables) -> String {
    tables
        .iter()
        .map(|(t, cols)| format!("{t}[{}]", cols.join(", ")))
        .collect::<Vec<_>>()
        .join(" ")
}

/// What differs between dlt and Stowage for one case (`None`: identical).
pub fn case_mismatch(result: &Value, stowage: &support::Ran) -> Option<String> {
    let dlt = side_tables(&result["dlt"]);
    if let Err(dlt_error) = &dlt {
        return stowage
            .ok()
            .then(|| format!("dlt rejects this input ({dlt_error}) but stowage loaded it"));
    }
    if !stowage.ok() {
        let err = stowage.stderr();
        return Some(format!("stowage failed: {}", err.trim()));
    }
    let dlt = dlt.expect("checked");
    let ours = match side_tables(&result["stowage"]) {
        Ok(t) => t,
        Err(e) => return Some(format!("stowage's schema: {e}")),
    };
    let mut lines = Vec::new();
    if let Some(rejected) = result["stowage"].get("dlt_rejects") {
        lines.push(format!(
            "dlt's Schema.from_dict rejects stowage's schema: {rejected}"
        ));
    }
    if dlt != ours {
        lines.push(format!(
            "dlt:     {}\n    stowage: {}",
            tables_text(&dlt),
            tables_text(&ours)
        ));
    }
    (!lines.is_empty()).then(|| lines.join("\n    "))
}

/// Every case's dlt/Stowage comparison (`normalize_cases.py compare`) with Stowage's run.
pub struct CaseRuns {
    /// Per case: the `compare` line and Stowage's run.
    pub results: Vec<(Value, support::Ran)>,
    /// The cases file.
    pub cases_file: PathBuf,
}

/// Runs all cases once per test process (two tests read the results).
pub fn case_runs(prereqs: support::Prereqs) -> &'static CaseRuns {
    static RUNS: std::sync::OnceLock<CaseRuns> = std::sync::OnceLock::new();
    RUNS.get_or_init(|| run_cases(prereqs))
}

fn run_cases(prereqs: support::Prereqs) -> CaseRuns {
    let started = Instant::now();
    let s = Scratch::new(prereqs);
    let cases_file = data_file("normalization_cases.jsonl");
    let cases_arg = cases_file.to_string_lossy().into_owned();
    let work = s.path().join("cases");
    let work_arg = work.to_string_lossy().into_owned();
    let prepared = s.python("normalize_cases.py", &["prepare", &cases_arg, &work_arg]);
    let cases = prepared.expect_ok().json_lines();
    let mut stowage_runs = Vec::new();
    for case in &cases {
        let i = case["index"].as_u64().expect("index");
        let dir = work.join(i.to_string());
        let table = case["table"].as_str().expect("table");
        stowage_runs.push(s.stowage_run_at(
            &dir.join("stowage_bucket"),
            &dir.join("stowage_pipes"),
            &dir.join("rows.ndjson"),
            table,
            &format!("case_{i}"),
            "ds",
            &[],
        ));
    }
    let stowage_took = started.elapsed();
    let compared = s.python("normalize_cases.py", &["compare", &cases_arg, &work_arg]);
    let results = compared.expect_ok().json_lines();
    assert_eq!(results.len(), cases.len(), "{}", compared.report());
    eprintln!(
        "timing: {} normalization cases: stowage {:.1?}, dlt + dumps {:.1?}",
        cases.len(),
        stowage_took,
        compared.took
    );
    CaseRuns {
        results: results.into_iter().zip(stowage_runs).collect(),
        cases_file,
    }
}

pub fn assert_cases(
    runs: &CaseRuns,
    what: &str,
    check: impl Fn(&Value, &support::Ran) -> Option<String>,
) {
    let mut failures = Vec::new();
    for (result, stowage) in &runs.results {
        let Some(m) = check(result, stowage) else {
            continue;
        };
        let name = result["name"].as_str().unwrap_or("?");
        match result.get("stowage_differs") {
            Some(why) => eprintln!("accepted difference in {name} ({why}): {m}"),
            None => failures.push(format!("{name}: {m}")),
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} normalization cases: {what} (data in {}):\n\n{}",
        failures.len(),
        runs.results.len(),
        runs.cases_file.display(),
        failures.join("\n\n")
    );
}

/// Prints every case's stored-schema differences and returns how many cases differ and a summary
/// grouped by kind of difference (`$.path: what`), with the cases and one example each.
pub fn schema_differences_by_kind(runs: &CaseRuns) -> (usize, String) {
    let mut by_kind: BTreeMap<String, (Vec<&str>, String)> = BTreeMap::new();
    let mut differing = 0;
    for (result, stowage) in &runs.results {
        let name = result["name"].as_str().unwrap_or("?");
        let lines = schema_differences(result, stowage);
        if lines.is_empty() {
            continue;
        }
        if let Some(why) = result.get("stowage_differs") {
            eprintln!("accepted difference in {name} ({why}): {lines:?}");
            continue;
        }
        differing += 1;
        eprintln!("{name}:\n    {}", lines.join("\n    "));
        for line in lines {
            let entry = by_kind
                .entry(difference_kind(&line))
                .or_insert_with(|| (Vec::new(), format!("{name}: {line}")));
            entry.0.push(name);
        }
    }
    let summary: Vec<String> = by_kind
        .iter()
        .map(|(kind, (cases, example))| {
            format!(
                "- {kind}: {} case(s) [{}]\n  e.g. {example}",
                cases.len(),
                cases.join(", ")
            )
        })
        .collect();
    (differing, summary.join("\n"))
}

/// The version hash and stored-schema differences of a case whose tables/columns match.
pub fn schema_differences(result: &Value, stowage: &support::Ran) -> Vec<String> {
    if case_mismatch(result, stowage).is_some() || result["dlt"].get("error").is_some() {
        return Vec::new();
    }
    let mut lines = Vec::new();
    let (a, b) = (
        &result["dlt"]["version_hash"],
        &result["stowage"]["version_hash"],
    );
    if a != b {
        lines.push(format!("version_hash: dlt {a} vs stowage {b}"));
    }
    let diffs = result["schema_differences"].as_array();
    lines.extend(
        diffs
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .map(str::to_string),
    );
    lines
}

/// `$.path: what` of a difference line (`compare_datasets.py`/`dlt_common.differences` wording).
pub fn difference_kind(line: &str) -> String {
    let (path, rest) = line.split_once(": ").unwrap_or((line, ""));
    let what = ["only dlt has", "only stowage has", "key order", "dlt has"]
        .into_iter()
        .find(|w| rest.starts_with(w))
        .unwrap_or("value");
    format!("{path}: {what}")
}
