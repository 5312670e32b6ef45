//! dlt's stored schema (engine version 11): tables, columns with types and hints, settings,
//! normalizers, `version`, `version_hash` and `previous_hashes` (spec §3.5).
//!
//! The document is kept as JSON (keys in dlt's order) so a schema written by dlt round-trips
//! untouched; typed accessors cover what the normalizer and loader need. The version is bumped
//! exactly as dlt does: when the content hash changes, `version` += 1 and the old hash is
//! remembered (at most 10).

mod hash;
mod types;

pub use hash::{hash_hex, sorted_json, version_hash};
pub use types::DltType;

use serde_json::{Map, Value, json};

use crate::{Error, Result};

/// dlt's schema engine version.
pub const ENGINE_VERSION: u64 = 11;
/// How many previous hashes a schema keeps.
const MAX_PREVIOUS_HASHES: usize = 10;
/// The dlt tables and settings every schema starts with (as dlt 1.31 writes them).
const DLT_DEFAULTS: &str = include_str!("dlt_defaults.json");

/// dlt's pipeline state table.
pub const STATE_TABLE: &str = "_dlt_pipeline_state";

/// Prefix of dlt's own tables.
pub const DLT_TABLE_PREFIX: &str = "_dlt";

/// One column as the normalizer and the writers see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnDef {
    /// Normalized name.
    pub name: String,
    /// Data type (`None` for an incomplete column: hints only).
    pub data_type: Option<DltType>,
    /// Nullability.
    pub nullable: bool,
}

/// A stored schema.
#[derive(Debug, Clone, PartialEq)]
pub struct Schema {
    doc: Map<String, Value>,
}

impl Schema {
    /// A new schema called `name` with dlt's tables, settings and normalizers.
    pub fn new(name: &str) -> Schema {
        let defaults: Value = serde_json::from_str(DLT_DEFAULTS).expect("bundled defaults");
        let mut doc = Map::new();
        doc.insert("version".into(), json!(1));
        doc.insert("version_hash".into(), json!(""));
        doc.insert("engine_version".into(), json!(ENGINE_VERSION));
        doc.insert("name".into(), json!(name));
        let mut tables = defaults["tables"].clone();
        if let Some(t) = tables.as_object_mut() {
            t.shift_remove(STATE_TABLE);
        }
        doc.insert("tables".into(), tables);
        doc.insert("settings".into(), defaults["settings"].clone());
        doc.insert("normalizers".into(), defaults["normalizers"].clone());
        doc.insert("previous_hashes".into(), json!([]));
        let mut schema = Schema { doc };
        let hash = schema.compute_hash();
        schema.doc.insert("version_hash".into(), json!(hash));
        schema
    }

    /// A schema from its stored JSON (as written by dlt or by Stowage).
    pub fn from_json(value: Value) -> Result<Schema> {
        let Value::Object(doc) = value else {
            return Err(Error::invalid("a stored schema must be a JSON object"));
        };
        for key in ["name", "tables"] {
            if !doc.contains_key(key) {
                return Err(Error::invalid(format!("stored schema has no `{key}`")));
            }
        }
        let engine = doc
            .get("engine_version")
            .and_then(Value::as_u64)
            .unwrap_or(0);
        if engine != ENGINE_VERSION {
            return Err(Error::unsupported(format!(
                "stored schema has engine version {engine}; Stowage reads version {ENGINE_VERSION} \
                 (dlt ≥ 1.0)"
            )));
        }
        Ok(Schema { doc })
    }

    /// The stored JSON.
    pub fn to_json(&self) -> Value {
        Value::Object(self.doc.clone())
    }

    /// Schema name.
    pub fn name(&self) -> &str {
        self.doc["name"].as_str().unwrap_or_default()
    }

    /// Version number.
    pub fn version(&self) -> u64 {
        self.doc["version"].as_u64().unwrap_or(1)
    }

    /// Stored version hash.
    pub fn version_hash(&self) -> &str {
        self.doc["version_hash"].as_str().unwrap_or_default()
    }

    /// The hash of the current content.
    pub fn compute_hash(&self) -> String {
        version_hash(&Value::Object(self.doc.clone()))
    }

    /// dlt's `bump_version_if_modified`: a new hash bumps the version and keeps the old hash.
    /// Returns true when the content changed.
    pub fn bump_version(&mut self) -> bool {
        let hash = self.compute_hash();
        let previous = self.version_hash().to_string();
        if hash == previous {
            return false;
        }
        if !previous.is_empty() {
            let version = self.version() + 1;
            self.doc.insert("version".into(), json!(version));
            let hashes = self
                .doc
                .entry("previous_hashes")
                .or_insert_with(|| json!([]));
            if let Some(list) = hashes.as_array_mut()
                && !list.iter().any(|h| h == &json!(previous))
            {
                list.insert(0, json!(previous));
                list.truncate(MAX_PREVIOUS_HASHES);
            }
        }
        self.doc.insert("version_hash".into(), json!(hash));
        true
    }

    fn tables(&self) -> &Map<String, Value> {
        self.doc["tables"].as_object().expect("checked on load")
    }

    fn tables_mut(&mut self) -> &mut Map<String, Value> {
        self.doc
            .get_mut("tables")
            .and_then(Value::as_object_mut)
            .expect("checked on load")
    }

    fn table(&self, name: &str) -> Option<&Map<String, Value>> {
        self.tables().get(name).and_then(Value::as_object)
    }

    fn table_mut(&mut self, name: &str) -> Option<&mut Map<String, Value>> {
        self.tables_mut()
            .get_mut(name)
            .and_then(Value::as_object_mut)
    }

    /// True if `table` exists.
    pub fn has_table(&self, table: &str) -> bool {
        self.table(table).is_some()
    }

    /// Names of all tables, in order.
    pub fn table_names(&self) -> Vec<String> {
        self.tables().keys().cloned().collect()
    }

    /// Tables holding data (not dlt's own), in order.
    pub fn data_tables(&self) -> Vec<String> {
        self.tables()
            .keys()
            .filter(|t| !t.starts_with(DLT_TABLE_PREFIX))
            .cloned()
            .collect()
    }

    /// The parent table of a nested table.
    pub fn parent(&self, table: &str) -> Option<&str> {
        self.table(table)?.get("parent")?.as_str()
    }

    /// A table setting (`write_disposition`, `resource`, …).
    pub fn table_setting(&self, table: &str, key: &str) -> Option<&Value> {
        self.table(table)?.get(key)
    }

    /// Sets a table setting.
    pub fn set_table_setting(&mut self, table: &str, key: &str, value: Value) {
        if let Some(t) = self.table_mut(table) {
            t.insert(key.into(), value);
        }
    }

    /// The columns of `table`, in order.
    pub fn columns(&self, table: &str) -> Vec<ColumnDef> {
        let Some(columns) = self
            .table(table)
            .and_then(|t| t.get("columns"))
            .and_then(Value::as_object)
        else {
            return Vec::new();
        };
        columns
            .iter()
            .map(|(name, col)| ColumnDef {
                name: name.clone(),
                data_type: col
                    .get("data_type")
                    .and_then(Value::as_str)
                    .and_then(|t| DltType::parse(t).ok()),
                nullable: col.get("nullable").and_then(Value::as_bool).unwrap_or(true),
            })
            .collect()
    }

    /// A column's full JSON.
    pub fn column_json(&self, table: &str, column: &str) -> Option<&Value> {
        self.table(table)?.get("columns")?.get(column)
    }

    /// Creates a root table (as dlt's extract does) unless it exists.
    pub fn ensure_root_table(&mut self, name: &str, resource: &str, write_disposition: &str) {
        if self.has_table(name) {
            return;
        }
        let table = json!({
            "columns": {},
            "write_disposition": write_disposition,
            "name": name,
            "resource": resource,
        });
        self.tables_mut().insert(name.into(), table);
    }

    /// Adds dlt's `_dlt_pipeline_state` table the way a first dlt run does: dlt's extract adds it
    /// without `_dlt_id` (a new version whose hash is remembered when the schema is new), then
    /// normalizing the state row completes it. Does nothing if the table exists.
    pub fn ensure_state_table(&mut self) {
        if self.has_table(STATE_TABLE) {
            return;
        }
        let defaults: Value = serde_json::from_str(DLT_DEFAULTS).expect("bundled defaults");
        let complete = defaults["tables"][STATE_TABLE].clone();
        let mut extracted = complete.clone();
        if let Some(t) = extracted.as_object_mut() {
            t.shift_remove("x-normalizer");
            if let Some(columns) = t.get_mut("columns").and_then(Value::as_object_mut) {
                columns.shift_remove("_dlt_id");
            }
        }
        let fresh = self.version() == 1 && self.previous_hashes_empty();
        let before = self.compute_hash();
        self.tables_mut().insert(STATE_TABLE.into(), extracted);
        if fresh {
            let extracted_hash = self.compute_hash();
            self.doc.insert("previous_hashes".into(), json!([before]));
            self.doc
                .insert("version_hash".into(), json!(extracted_hash));
        }
        self.tables_mut().insert(STATE_TABLE.into(), complete);
    }

    /// For a schema that was never stored (version 1, no history): takes `hash` as its hash
    /// without bumping the version (dlt's `bump_version_if_modified` on an unhashed schema).
    pub fn set_version_hash_if_new(&mut self, hash: &str) {
        if self.version() == 1 && self.previous_hashes_empty() {
            self.doc.insert("version_hash".into(), json!(hash));
        }
    }

    fn previous_hashes_empty(&self) -> bool {
        self.doc
            .get("previous_hashes")
            .and_then(Value::as_array)
            .is_none_or(Vec::is_empty)
    }

    /// Creates a nested table of `parent` unless it exists.
    pub fn ensure_nested_table(&mut self, name: &str, parent: &str) {
        if self.has_table(name) {
            return;
        }
        let table = json!({"name": name, "columns": {}, "parent": parent});
        self.tables_mut().insert(name.into(), table);
    }

    /// Adds (or completes) a column.
    pub fn put_column(&mut self, table: &str, column: Value) {
        let Some(name) = column.get("name").and_then(Value::as_str).map(String::from) else {
            return;
        };
        let Some(t) = self.table_mut(table) else {
            return;
        };
        let columns = t.entry("columns").or_insert_with(|| json!({}));
        if let Some(columns) = columns.as_object_mut() {
            columns.insert(name, column);
        }
    }

    /// Marks that `table` received data (`x-normalizer.seen-data`).
    pub fn mark_seen_data(&mut self, table: &str) {
        self.set_x_normalizer(table, "seen-data", json!(true));
    }

    /// Sets `x-normalizer.<key>` of a table (`seen-data`, `max_nesting`).
    pub fn set_x_normalizer(&mut self, table: &str, key: &str, value: Value) {
        let Some(t) = self.table_mut(table) else {
            return;
        };
        let normalizer = t.entry("x-normalizer").or_insert_with(|| json!({}));
        if let Some(n) = normalizer.as_object_mut()
            && n.get(key) != Some(&value)
        {
            n.insert(key.into(), value);
        }
    }

    /// `x-normalizer.max_nesting` of a table, if set.
    pub fn max_nesting(&self, table: &str) -> Option<u64> {
        self.table(table)?
            .get("x-normalizer")?
            .get("max_nesting")?
            .as_u64()
    }

    /// The type a column name is hinted to have by the schema's `preferred_types` settings.
    pub fn preferred_type(&self, column: &str) -> Option<DltType> {
        let preferred = self
            .doc
            .get("settings")?
            .get("preferred_types")?
            .as_object()?;
        preferred
            .iter()
            .find(|(pattern, _)| name_matches(pattern, column))
            .and_then(|(_, t)| t.as_str())
            .and_then(|t| DltType::parse(t).ok())
    }

    /// True if `column` is listed in the `default_hints` entry `hint` (e.g. `not_null`).
    pub fn has_default_hint(&self, hint: &str, column: &str) -> bool {
        let Some(list) = self
            .doc
            .get("settings")
            .and_then(|s| s.get("default_hints"))
            .and_then(|h| h.get(hint))
            .and_then(Value::as_array)
        else {
            return false;
        };
        list.iter()
            .filter_map(Value::as_str)
            .any(|pattern| name_matches(pattern, column))
    }
}

/// dlt's simple hint patterns: an exact name, or `re:<regex>` (only `^`/`$` anchored literal
/// prefixes and suffixes are understood; anything else does not match).
fn name_matches(pattern: &str, name: &str) -> bool {
    match pattern.strip_prefix("re:") {
        None => pattern == name,
        Some(re) => {
            let starts = re.strip_prefix('^');
            let body = starts.unwrap_or(re);
            let ends = body.strip_suffix('$');
            let literal = ends.unwrap_or(body);
            if literal.chars().any(|c| "\\.*+?()[]{}|".contains(c)) {
                return false;
            }
            match (starts.is_some(), ends.is_some()) {
                (true, true) => name == literal,
                (true, false) => name.starts_with(literal),
                (false, true) => name.ends_with(literal),
                (false, false) => name.contains(literal),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_schema_has_dlt_tables_and_a_stable_hash() {
        let a = Schema::new("p");
        let b = Schema::new("p");
        assert_eq!(a.version_hash(), b.version_hash());
        assert!(a.has_table("_dlt_loads") && a.has_table("_dlt_version"));
        assert!(a.data_tables().is_empty());
        assert!(a.has_default_hint("not_null", "_dlt_id"));
        assert!(!a.has_default_hint("not_null", "id"));
    }

    #[test]
    fn bump_version_keeps_previous_hashes() {
        let mut s = Schema::new("p");
        let first = s.version_hash().to_string();
        assert!(!s.bump_version());
        s.ensure_root_table("t", "t", "append");
        s.put_column(
            "t",
            json!({"name": "a", "data_type": "bigint", "nullable": true}),
        );
        assert!(s.bump_version());
        assert_eq!(s.version(), 2);
        assert_eq!(s.to_json()["previous_hashes"], json!([first]));
        assert_eq!(s.columns("t")[0].data_type, Some(DltType::Bigint));
    }
}
