//! dlt's relational flattening (spec §5.2): nested dicts become `a__b` columns, lists become
//! nested tables `parent__child` (scalars wrapped as `value`, lists of lists through `…__list`),
//! structures at the nesting limit or in `json` columns stay whole.

use std::collections::HashMap;

use serde_json::{Map, Value};

use crate::Result;
use crate::naming::Naming;
use crate::schema::{DltType, Schema};

/// Memoized key normalization (input keys repeat on every record).
#[derive(Debug, Default)]
pub struct NameCache {
    paths: HashMap<String, String>,
}

impl NameCache {
    /// Cap on remembered keys, so adversarial inputs with unique keys cannot grow memory.
    const MAX_ENTRIES: usize = 100_000;

    /// `naming.path(key)`, memoized.
    pub fn path(&mut self, naming: &Naming, key: &str) -> Result<String> {
        if let Some(hit) = self.paths.get(key) {
            return Ok(hit.clone());
        }
        let normalized = naming.path(key)?;
        if self.paths.len() < Self::MAX_ENTRIES {
            self.paths.insert(key.to_string(), normalized.clone());
        }
        Ok(normalized)
    }
}

/// Key used for empty or blank keys.
const EMPTY_KEY: &str = "_empty";

/// A flattened row: (column, value) in dlt's key order, and the lists to descend into.
pub struct Flattened {
    /// Scalar (and kept-whole) values.
    pub row: Vec<(String, Value)>,
    /// (path of normalized names relative to the row's table, list).
    pub lists: Vec<(Vec<String>, Vec<Value>)>,
}

impl Flattened {
    /// Sets a column; a key that normalizes to a name already set replaces its value in place
    /// (like assigning to a Python dict: the later value wins, the first position stays).
    fn put(&mut self, name: String, value: Value) {
        match self.row.iter_mut().find(|(n, _)| *n == name) {
            Some(slot) => slot.1 = value,
            None => self.row.push((name, value)),
        }
    }
}

/// Flattens `dict` of `table` with `levels` of nesting left (dlt's `_flatten`: nested dicts are
/// taken from a LIFO stack, so sibling dicts come out last-first).
pub fn flatten(
    schema: &Schema,
    naming: &Naming,
    names: &mut NameCache,
    table: &str,
    dict: Map<String, Value>,
    levels: i64,
) -> Result<Flattened> {
    let mut out = Flattened {
        row: Vec::new(),
        lists: Vec::new(),
    };
    let mut stack: Vec<(Map<String, Value>, i64, Vec<String>)> = vec![(dict, levels, Vec::new())];
    while let Some((current, level, path)) = stack.pop() {
        for (key, value) in current {
            let norm_key = if key.trim().is_empty() {
                EMPTY_KEY.to_string()
            } else {
                names.path(naming, &key)?
            };
            let nested_name = if path.is_empty() {
                norm_key.clone()
            } else {
                let mut parts: Vec<&str> = path.iter().map(String::as_str).collect();
                parts.push(&norm_key);
                naming.fragments(&parts)
            };
            match value {
                Value::Object(inner) if !kept_whole(schema, table, &nested_name, level) => {
                    let mut inner_path = path.clone();
                    inner_path.push(norm_key);
                    stack.push((inner, level - 1, inner_path));
                }
                Value::Array(items) if !kept_whole(schema, table, &nested_name, level) => {
                    let mut list_path = path.clone();
                    list_path.push(names.path(naming, &key)?);
                    out.lists.push((list_path, items));
                }
                other => out.put(nested_name, other),
            }
        }
    }
    Ok(out)
}

/// dlt's `is_nested_type`: at the nesting limit, or the column is (hinted) `json`.
fn kept_whole(schema: &Schema, table: &str, column: &str, level: i64) -> bool {
    if level <= 0 {
        return true;
    }
    let hinted = schema
        .column_json(table, column)
        .and_then(|c| c.get("data_type"))
        .and_then(Value::as_str)
        .map(|t| t == "json" || t == "complex");
    match hinted {
        Some(is_json) => is_json,
        None => schema.preferred_type(column) == Some(DltType::Json),
    }
}
