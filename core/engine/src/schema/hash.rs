//! dlt's schema version hash (spec §3.5) and the sorted-key compact JSON it is computed over.

use base64::Engine;
use serde_json::Value;
use sha3::{Digest, Sha3_256};

/// Keys left out of the hash.
const NOT_HASHED: [&str; 4] = [
    "version",
    "version_hash",
    "imported_version_hash",
    "previous_hashes",
];

/// base64(sha3_256(sorted-key compact JSON of the schema without version keys, then each table
/// name in sorted order followed by its column names in order)).
pub fn version_hash(schema: &Value) -> String {
    let mut doc = schema.clone();
    if let Some(map) = doc.as_object_mut() {
        for key in NOT_HASHED {
            map.shift_remove(key);
        }
    }
    let mut hasher = Sha3_256::new();
    hasher.update(sorted_json(&doc).as_bytes());
    if let Some(tables) = doc.get("tables").and_then(Value::as_object) {
        let mut names: Vec<&String> = tables.keys().collect();
        names.sort();
        for name in names {
            hasher.update(name.as_bytes());
            if let Some(columns) = tables[name].get("columns").and_then(Value::as_object) {
                for column in columns.keys() {
                    hasher.update(column.as_bytes());
                }
            }
        }
    }
    base64::engine::general_purpose::STANDARD.encode(hasher.finalize())
}

/// Compact JSON with object keys sorted at every level (orjson's `OPT_SORT_KEYS` output).
pub fn sorted_json(value: &Value) -> String {
    let mut out = String::new();
    write_sorted(value, &mut out);
    out
}

fn write_sorted(value: &Value, out: &mut String) {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (i, key) in keys.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String((*key).clone()).to_string());
                out.push(':');
                write_sorted(&map[*key], out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_sorted(item, out);
            }
            out.push(']');
        }
        other => out.push_str(&other.to_string()),
    }
}

/// Lowercase hex of the base64-decoded hash (the `{hex}` part of `_dlt_version` and state file
/// names).
pub fn hash_hex(version_hash: &str) -> String {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(version_hash)
        .unwrap_or_default();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The `_dlt_version` file dlt 1.31 wrote for `tests/fixtures/dlt131/probe.py`.
    const PROBE: &str = include_str!("../../tests/fixtures/dlt131/dlt_version_probe.jsonl");

    #[test]
    fn hash_matches_dlt() {
        let file: Value = serde_json::from_str(PROBE).unwrap();
        let schema: Value = serde_json::from_str(file["schema"].as_str().unwrap()).unwrap();
        assert_eq!(
            version_hash(&schema),
            file["version_hash"].as_str().unwrap()
        );
        assert_eq!(
            hash_hex(file["version_hash"].as_str().unwrap()),
            "eef3ea3bdfc5d239c2b14b7870e0235b41c04e9e96d4f25963311c695ed0583a"
        );
    }
}
