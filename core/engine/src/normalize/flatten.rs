//! dlt's relational flattening (spec §5.2): nested dicts become `a__b` columns, lists become
//! nested tables `parent__child` (scalars wrapped as `value`, lists of lists through `…__list`),
//! structures at the nesting limit or in `json` columns stay whole.
//!
//! Names are interned ([`Name`]): input keys repeat on every record, so each distinct key is
//! normalized once and every later row gets a shared handle to the same string (the hot path
//! neither allocates names nor re-runs the naming convention).

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::{Map, Value};

use crate::Result;
use crate::naming::Naming;
use crate::schema::{DltType, Schema};

/// A normalized table or column name, shared by every row that uses it.
pub type Name = Arc<str>;

/// Memoized naming work: key normalization, `__` joins and the kept-whole decisions.
#[derive(Debug)]
pub struct NameCache {
    /// Input key → `naming.path(key)`.
    paths: HashMap<String, Name>,
    /// Unshortened prefix → normalized key → (unshortened join, shortened name).
    joins: HashMap<Name, HashMap<Name, (Name, Name)>>,
    /// Entries in `joins`.
    join_count: usize,
    /// Table → column → whether a nested value there is kept whole (invalidated per column).
    kept: HashMap<String, HashMap<Name, bool>>,
    /// The empty prefix.
    empty: Name,
}

impl Default for NameCache {
    fn default() -> Self {
        NameCache {
            paths: HashMap::new(),
            joins: HashMap::new(),
            join_count: 0,
            kept: HashMap::new(),
            empty: Name::from(""),
        }
    }
}

impl NameCache {
    /// Cap on remembered names, so adversarial inputs with unique keys cannot grow memory.
    const MAX_ENTRIES: usize = 100_000;

    /// `naming.path(key)`, memoized.
    pub fn path(&mut self, naming: &Naming, key: &str) -> Result<Name> {
        if let Some(hit) = self.paths.get(key) {
            return Ok(hit.clone());
        }
        let normalized = Name::from(naming.path(key)?);
        if self.paths.len() < Self::MAX_ENTRIES {
            self.paths.insert(key.to_string(), normalized.clone());
        }
        Ok(normalized)
    }

    /// `key` appended to the unshortened `__` path `prefix`: (the unshortened path, the name
    /// as dlt's `shorten_fragments` makes it). With an empty prefix the name is `key` itself.
    pub fn join(&mut self, naming: &Naming, prefix: &Name, key: &Name) -> (Name, Name) {
        if prefix.is_empty() {
            return (key.clone(), key.clone());
        }
        if let Some(hit) = self.joins.get(&**prefix).and_then(|m| m.get(&**key)) {
            return hit.clone();
        }
        let unshortened = Name::from(format!("{prefix}__{key}"));
        let shortened = Name::from(naming.fragments(&[prefix, key]));
        let joined = (unshortened, shortened);
        if self.join_count < Self::MAX_ENTRIES {
            self.join_count += 1;
            self.joins
                .entry(prefix.clone())
                .or_default()
                .insert(key.clone(), joined.clone());
        }
        joined
    }

    /// dlt's `is_nested_type`: at the nesting limit, or the column is (hinted) `json`.
    fn kept_whole(&mut self, schema: &Schema, table: &str, column: &Name, level: i64) -> bool {
        if level <= 0 {
            return true;
        }
        if let Some(hit) = self.kept.get(table).and_then(|m| m.get(&**column)) {
            return *hit;
        }
        let kept = hinted_json(schema, table, column);
        let per_table = match self.kept.get_mut(table) {
            Some(map) => map,
            None => self.kept.entry(table.to_string()).or_default(),
        };
        if per_table.len() < Self::MAX_ENTRIES {
            per_table.insert(column.clone(), kept);
        }
        kept
    }

    /// Forgets what was decided about `column` of `table` (its schema entry changed).
    pub fn column_changed(&mut self, table: &str, column: &str) {
        if let Some(map) = self.kept.get_mut(table) {
            map.remove(column);
        }
    }

    /// The empty prefix.
    pub fn empty(&self) -> Name {
        self.empty.clone()
    }
}

/// The input keys of a table's previous record, in visiting order, with their normalized
/// names: records of one table usually repeat their keys in the same order, so comparing the
/// key with the one at the same position finds its name without hashing.
#[derive(Debug, Default)]
struct KeySequence {
    keys: Vec<(Box<str>, Name)>,
}

impl KeySequence {
    /// The name remembered for `key` at `position`, if the previous record had it there.
    fn remembered(&self, position: usize, key: &str) -> Option<Name> {
        match self.keys.get(position) {
            Some((seen, name)) if **seen == *key => Some(name.clone()),
            _ => None,
        }
    }

    /// The name of the non-blank `key`, the `position`-th key visited in this record, which
    /// the previous record did not have there.
    fn learn(
        &mut self,
        names: &mut NameCache,
        naming: &Naming,
        position: usize,
        key: &str,
    ) -> Result<Name> {
        let name = names.path(naming, key)?;
        if position < self.keys.len() {
            self.keys[position] = (key.into(), name.clone());
        } else if position == self.keys.len() && position < NameCache::MAX_ENTRIES {
            self.keys.push((key.into(), name.clone()));
        }
        Ok(name)
    }
}

/// What flattening keeps per table between records.
#[derive(Debug, Default)]
pub struct RowScratch {
    /// The previous record's keys.
    keys: KeySequence,
    /// An empty row vector, kept for its capacity (see [`RowScratch::recycle`]).
    spare_row: Vec<(Name, Value)>,
}

impl RowScratch {
    /// Gives a finished row back, so the next one reuses its allocation.
    pub fn recycle(&mut self, mut row: Vec<(Name, Value)>) {
        row.clear();
        self.spare_row = row;
    }
}

/// Key used for empty or blank keys.
const EMPTY_KEY: &str = "_empty";

/// A flattened row: (column, value) in dlt's key order, and the lists to descend into.
pub struct Flattened {
    /// Scalar (and kept-whole) values.
    pub row: Vec<(Name, Value)>,
    /// (unshortened `__` path of normalized names relative to the row's table, list).
    pub lists: Vec<(Name, Vec<Value>)>,
}

impl Flattened {
    /// Sets a column; a key that normalizes to a name already set replaces its value in place
    /// (like assigning to a Python dict: the later value wins, the first position stays).
    fn put(&mut self, name: Name, value: Value) {
        match self.row.iter_mut().find(|(n, _)| *n == name) {
            Some(slot) => slot.1 = value,
            None => self.row.push((name, value)),
        }
    }
}

/// Flattens `dict` of `table` with `levels` of nesting left (dlt's `_flatten`: nested dicts are
/// taken from a LIFO stack, so sibling dicts come out last-first). `scratch` is the table's
/// memory of its previous record.
pub fn flatten(
    schema: &Schema,
    naming: &Naming,
    names: &mut NameCache,
    scratch: &mut RowScratch,
    table: &str,
    dict: Map<String, Value>,
    levels: i64,
) -> Result<Flattened> {
    let mut row = std::mem::take(&mut scratch.spare_row);
    // Room for the `_dlt_*` columns the normalizer appends.
    row.reserve(dict.len() + 3);
    let sequence = &mut scratch.keys;
    let mut out = Flattened {
        row,
        lists: Vec::new(),
    };
    let mut stack: Vec<(Map<String, Value>, i64, Name)> = Vec::new();
    let mut next = Some((dict, levels, names.empty()));
    let mut position = 0;
    while let Some((current, level, prefix)) = next.take().or_else(|| stack.pop()) {
        for (key, value) in current {
            let norm_key = match sequence.remembered(position, &key) {
                Some(name) => {
                    position += 1;
                    name
                }
                None if key.trim().is_empty() => Name::from(EMPTY_KEY),
                None => {
                    position += 1;
                    sequence.learn(names, naming, position - 1, &key)?
                }
            };
            // At the top level the column is the key itself (the common case: no joining).
            let (path, nested_name) = if prefix.is_empty() {
                (None, norm_key)
            } else {
                let (path, name) = names.join(naming, &prefix, &norm_key);
                (Some(path), name)
            };
            match value {
                Value::Object(inner) if !names.kept_whole(schema, table, &nested_name, level) => {
                    let path = path.unwrap_or(nested_name);
                    stack.push((inner, level - 1, path));
                }
                Value::Array(items) if !names.kept_whole(schema, table, &nested_name, level) => {
                    let list_key = names.path(naming, &key)?;
                    let (list_path, _) = names.join(naming, &prefix, &list_key);
                    out.lists.push((list_path, items));
                }
                other => out.put(nested_name, other),
            }
        }
    }
    Ok(out)
}

/// Whether `column` of `table` is (hinted) `json`, so nested values there stay whole.
fn hinted_json(schema: &Schema, table: &str, column: &str) -> bool {
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
