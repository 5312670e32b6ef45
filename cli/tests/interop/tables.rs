//! What dlt read back (`dlt_read.py`'s document), checked and rebuilt into nested rows.
//!
//! `rebuild` turns the relational tables back into one nested JSON value per root row:
//! a row's data columns (no `_dlt_*` columns, no nulls) plus, for every nested table, a key named
//! after the table (its name minus the parent's name and `__`) holding the nested rows in
//! `_dlt_list_idx` order. A list of scalars therefore reads `[{"value": …}, …]` and a list of
//! lists `[{"list": [{"value": …}]}, …]`.

#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value};

/// One table of the read-back document.
#[derive(Debug, Clone)]
pub struct ReadTable {
    /// Table name.
    pub name: String,
    /// Parent table (nested tables).
    pub parent: Option<String>,
    /// Columns as `name:data_type[:variant]`, in schema order.
    pub columns: Vec<String>,
    /// Rows as read through `pipeline.dataset()` (timestamps as ISO-8601 UTC).
    pub rows: Vec<Map<String, Value>>,
    /// Nested rows whose `_dlt_id` is not dlt's deterministic id (computed by dlt).
    pub nested_id_errors: Vec<Value>,
}

/// The tables of a `dlt_read.py` document, in schema order.
pub fn read_tables(doc: &Value) -> Vec<ReadTable> {
    let tables = doc["tables"].as_array().expect("`tables` array");
    tables
        .iter()
        .map(|t| ReadTable {
            name: t["name"].as_str().expect("table name").to_string(),
            parent: t["parent"].as_str().map(str::to_string),
            columns: t["columns"]
                .as_array()
                .expect("columns")
                .iter()
                .map(column_signature)
                .collect(),
            rows: t["rows"]
                .as_array()
                .expect("rows")
                .iter()
                .map(|r| r.as_object().expect("row object").clone())
                .collect(),
            nested_id_errors: t["nested_id_errors"]
                .as_array()
                .cloned()
                .unwrap_or_default(),
        })
        .collect()
}

/// `name:data_type`, plus `:variant` for variant columns.
pub fn column_signature(c: &Value) -> String {
    let mut s = format!(
        "{}:{}",
        c["name"].as_str().unwrap_or("?"),
        c["data_type"].as_str().unwrap_or("?")
    );
    if c["variant"].as_bool() == Some(true) {
        s.push_str(":variant");
    }
    s
}

/// The table called `name`.
pub fn table<'a>(tables: &'a [ReadTable], name: &str) -> Option<&'a ReadTable> {
    tables.iter().find(|t| t.name == name)
}

fn text_of<'a>(row: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    row.get(key).and_then(Value::as_str)
}

/// Everything wrong with the dlt bookkeeping columns: missing or duplicate `_dlt_id`s, root rows
/// without `_dlt_load_id` or with a `_dlt_id` that is not 14 base64 chars, nested rows whose
/// parent does not exist, `_dlt_list_idx` values that are not 0..n per parent, and nested ids
/// that differ from dlt's.
pub fn linkage_problems(tables: &[ReadTable]) -> Vec<String> {
    let mut problems = Vec::new();
    for t in tables {
        problems.extend(id_problems(t));
        if !t.nested_id_errors.is_empty() {
            problems.push(format!(
                "{}: nested _dlt_id differs from dlt's digest128(parent_id_table_idx): {}",
                t.name,
                Value::Array(t.nested_id_errors.clone())
            ));
        }
        match &t.parent {
            None => problems.extend(root_problems(t)),
            Some(parent) => match table(tables, parent) {
                None => problems.push(format!("{}: parent table {parent} not read", t.name)),
                Some(p) => problems.extend(child_problems(p, t)),
            },
        }
    }
    problems
}

fn id_problems(t: &ReadTable) -> Vec<String> {
    let mut seen = BTreeSet::new();
    let mut problems = Vec::new();
    for row in &t.rows {
        match text_of(row, "_dlt_id") {
            None | Some("") => problems.push(format!("{}: row without _dlt_id: {row:?}", t.name)),
            Some(id) if !seen.insert(id) => {
                problems.push(format!("{}: duplicate _dlt_id {id}", t.name));
            }
            Some(_) => {}
        }
    }
    problems
}

fn root_problems(t: &ReadTable) -> Vec<String> {
    let base64 = |c: char| c.is_ascii_alphanumeric() || c == '+' || c == '/';
    let mut problems = Vec::new();
    for row in &t.rows {
        let id = text_of(row, "_dlt_id").unwrap_or("");
        if id.chars().count() != 14 || !id.chars().all(base64) {
            problems.push(format!(
                "{}: root _dlt_id {id:?} is not 14 base64 chars",
                t.name
            ));
        }
        if text_of(row, "_dlt_load_id").is_none_or(str::is_empty) {
            problems.push(format!("{}: root row without _dlt_load_id", t.name));
        }
    }
    problems
}

fn child_problems(parent: &ReadTable, child: &ReadTable) -> Vec<String> {
    let parent_ids: BTreeSet<&str> = parent
        .rows
        .iter()
        .filter_map(|r| text_of(r, "_dlt_id"))
        .collect();
    let mut problems = Vec::new();
    let mut positions: BTreeMap<&str, Vec<i64>> = BTreeMap::new();
    for row in &child.rows {
        let Some(pid) = text_of(row, "_dlt_parent_id") else {
            problems.push(format!("{}: row without _dlt_parent_id", child.name));
            continue;
        };
        if !parent_ids.contains(pid) {
            problems.push(format!(
                "{}: _dlt_parent_id {pid} is no _dlt_id of {}",
                child.name, parent.name
            ));
        }
        match row.get("_dlt_list_idx").and_then(Value::as_i64) {
            Some(idx) => positions.entry(pid).or_default().push(idx),
            None => problems.push(format!("{}: row without _dlt_list_idx", child.name)),
        }
    }
    for (pid, mut idx) in positions {
        idx.sort_unstable();
        let want: Vec<i64> = (0..idx.len() as i64).collect();
        if idx != want {
            problems.push(format!(
                "{}: _dlt_list_idx of parent {pid} are {idx:?}, not 0..{}",
                child.name,
                idx.len()
            ));
        }
    }
    problems
}

/// The root rows of `root` rebuilt with their nested rows (see the module docs).
pub fn rebuild(tables: &[ReadTable], root: &str) -> Vec<Value> {
    let Some(t) = table(tables, root) else {
        return Vec::new();
    };
    t.rows.iter().map(|r| rebuild_row(tables, t, r)).collect()
}

fn rebuild_row(tables: &[ReadTable], t: &ReadTable, row: &Map<String, Value>) -> Value {
    let mut out = Map::new();
    for (k, v) in row {
        if !k.starts_with("_dlt") && !v.is_null() {
            out.insert(k.clone(), v.clone());
        }
    }
    let id = text_of(row, "_dlt_id").unwrap_or("");
    for child in tables
        .iter()
        .filter(|c| c.parent.as_deref() == Some(&t.name))
    {
        let mut nested: Vec<(i64, Value)> = child
            .rows
            .iter()
            .filter(|r| text_of(r, "_dlt_parent_id") == Some(id))
            .map(|r| {
                let idx = r.get("_dlt_list_idx").and_then(Value::as_i64);
                (idx.unwrap_or(-1), rebuild_row(tables, child, r))
            })
            .collect();
        if nested.is_empty() {
            continue;
        }
        nested.sort_by_key(|(idx, _)| *idx);
        let key = child
            .name
            .strip_prefix(&format!("{}__", t.name))
            .unwrap_or(&child.name);
        out.insert(
            key.to_string(),
            Value::Array(nested.into_iter().map(|(_, v)| v).collect()),
        );
    }
    Value::Object(out)
}

/// Differences between expected and actual rebuilt rows, matched on `key`.
pub fn row_differences(expected: &[Value], actual: &[Value], key: &str) -> Vec<String> {
    let by_key = |rows: &[Value]| -> BTreeMap<String, Value> {
        rows.iter()
            .map(|r| (r[key].to_string(), r.clone()))
            .collect()
    };
    let (want, have) = (by_key(expected), by_key(actual));
    let mut out = Vec::new();
    if actual.len() != have.len() {
        out.push(format!(
            "{} rows share a `{key}`",
            actual.len() - have.len()
        ));
    }
    for (k, w) in &want {
        match have.get(k) {
            None => out.push(format!("row {key}={k} is missing")),
            Some(h) if h != w => out.push(field_differences(k, w, h)),
            Some(_) => {}
        }
    }
    for k in have.keys().filter(|k| !want.contains_key(*k)) {
        out.push(format!("unexpected row {key}={k}: {}", have[k]));
    }
    out
}

fn field_differences(k: &str, want: &Value, have: &Value) -> String {
    let empty = Map::new();
    let (w, h) = (
        want.as_object().unwrap_or(&empty),
        have.as_object().unwrap_or(&empty),
    );
    let fields: BTreeSet<&String> = w.keys().chain(h.keys()).collect();
    let mut lines = vec![format!("row {k}:")];
    for f in fields {
        let (a, b) = (w.get(f), h.get(f));
        if a != b {
            let show = |v: Option<&Value>| v.map_or("(absent)".to_string(), Value::to_string);
            lines.push(format!(
                "    {f}: expected {} | dlt read {}",
                show(a),
                show(b)
            ));
        }
    }
    lines.join("\n")
}
