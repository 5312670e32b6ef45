//! The stored schema of a load (tables and columns) and its version hash.
//!
//! This is the subset the flat normalizer needs: dlt's full engine-11 layout, settings and the
//! exact hash algorithm of spec §3.5 come with the normalization work.

use base64::Engine;
use serde_json::{Map, Value, json};
use sha3::{Digest, Sha3_256};

use crate::normalize::Column;

/// Tables of one schema, in order.
#[derive(Debug, Clone, Default)]
pub struct StoredSchema {
    /// Schema name (normalized pipeline name).
    pub name: String,
    /// (table name, columns) in order of first appearance.
    pub tables: Vec<(String, Vec<Column>)>,
}

impl StoredSchema {
    /// The tables as dlt-style JSON (`{"t": {"name": "t", "columns": {…}}}`).
    pub fn tables_json(&self) -> Value {
        let mut tables = Map::new();
        for (name, columns) in &self.tables {
            let mut cols = Map::new();
            for c in columns {
                let mut col = json!({"name": c.name, "data_type": c.data_type.name(), "nullable": c.nullable});
                if c.variant {
                    col["variant"] = Value::Bool(true);
                }
                cols.insert(c.name.clone(), col);
            }
            tables.insert(
                name.clone(),
                json!({"name": name, "columns": cols, "write_disposition": "append"}),
            );
        }
        Value::Object(tables)
    }

    /// base64(sha3_256(sorted-key JSON of the tables, then each table name and its column names)).
    pub fn version_hash(&self) -> String {
        let mut hasher = Sha3_256::new();
        hasher.update(sorted_json(&self.tables_json()).as_bytes());
        let mut names: Vec<&(String, Vec<Column>)> = self.tables.iter().collect();
        names.sort_by(|a, b| a.0.cmp(&b.0));
        for (table, columns) in names {
            hasher.update(table.as_bytes());
            for c in columns {
                hasher.update(c.name.as_bytes());
            }
        }
        base64::engine::general_purpose::STANDARD.encode(hasher.finalize())
    }

    /// The document stored as `schema.json` in the package.
    pub fn to_json(&self) -> Value {
        json!({
            "version_hash": self.version_hash(),
            "engine_version": 11,
            "name": self.name,
            "tables": self.tables_json(),
        })
    }
}

/// Compact JSON with object keys sorted at every level.
pub fn sorted_json(v: &Value) -> String {
    match v {
        Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            let items: Vec<String> = keys
                .iter()
                .map(|k| format!("{}:{}", Value::String((*k).clone()), sorted_json(&m[*k])))
                .collect();
            format!("{{{}}}", items.join(","))
        }
        Value::Array(a) => format!(
            "[{}]",
            a.iter().map(sorted_json).collect::<Vec<_>>().join(",")
        ),
        other => other.to_string(),
    }
}
