//! Merge keys as dlt keeps them: column hints of the root table in the stored schema
//! (`primary_key: true`, `merge_key: true`, both with `nullable: false`, and
//! `dedup_sort: "asc"|"desc"`). A run's `--primary-key`, `--merge-key` and `--dedup-sort` are
//! written into the package's schema (and the pipeline's) right after normalization; the load
//! reads its keys back from the package schema, so a resumed load and a later run without the
//! flags merge the same way (spec §6.3).
//!
//! Like dlt's compound hints, giving a key replaces it: the hint is removed from the root
//! table's other columns.

use std::path::Path;

use serde_json::{Value, json};

use crate::package::{Package, SCHEMA_FILE};
use crate::schema::Schema;
use crate::{Error, Result};

/// The `dedup_sort` hint: which duplicate of a primary key survives the deduplication.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DedupSort {
    /// The (normalized) column ordered by.
    pub column: String,
    /// `true` for `desc` (the highest value survives), `false` for `asc`.
    pub descending: bool,
}

impl DedupSort {
    /// Parses `COLUMN`, `COLUMN:desc` or `COLUMN:asc` (a bare column means `desc`).
    pub fn parse(text: &str) -> Result<DedupSort> {
        let (column, order) = match text.rsplit_once(':') {
            Some((column, order)) => (column.trim(), order.trim()),
            None => (text.trim(), "desc"),
        };
        let descending = match order {
            "desc" => true,
            "asc" => false,
            other => {
                return Err(Error::invalid(format!(
                    "dedup_sort order `{other}` is not one of desc, asc (use COLUMN:desc or \
                     COLUMN:asc)"
                )));
            }
        };
        if column.is_empty() {
            return Err(Error::invalid(format!(
                "dedup_sort `{text}` names no column (use COLUMN:desc or COLUMN:asc)"
            )));
        }
        Ok(DedupSort {
            column: column.to_string(),
            descending,
        })
    }

    /// dlt's hint value.
    pub fn order(&self) -> &'static str {
        match self.descending {
            true => "desc",
            false => "asc",
        }
    }
}

/// The keys a merge of one root table uses.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MergeKeys {
    /// `primary_key` columns: staged rows are deduplicated on them; matching rows are replaced.
    pub primary_key: Vec<String>,
    /// `merge_key` columns: every final row matching a staged row on them is deleted.
    pub merge_key: Vec<String>,
    /// Which duplicate survives the deduplication (only with a primary key).
    pub dedup_sort: Option<DedupSort>,
}

impl MergeKeys {
    /// True if neither key is set (merge then loads as append, as in dlt).
    pub fn is_empty(&self) -> bool {
        self.primary_key.is_empty() && self.merge_key.is_empty()
    }

    /// The keys stored as hints on `table`'s columns, in column order.
    pub fn from_schema(schema: &Schema, table: &str) -> MergeKeys {
        let mut keys = MergeKeys::default();
        for column in schema.columns(table) {
            let Some(json) = schema.column_json(table, &column.name) else {
                continue;
            };
            if json.get("primary_key") == Some(&json!(true)) {
                keys.primary_key.push(column.name.clone());
            }
            if json.get("merge_key") == Some(&json!(true)) {
                keys.merge_key.push(column.name.clone());
            }
            if keys.dedup_sort.is_none()
                && let Some(order) = json.get("dedup_sort").and_then(Value::as_str)
            {
                keys.dedup_sort = Some(DedupSort {
                    column: column.name.clone(),
                    descending: order != "asc",
                });
            }
        }
        keys
    }
}

/// Writes the run's keys as column hints of `root` into `schema`; returns true if it changed.
/// Every key column must be a column of `root`.
pub fn apply_hints(schema: &mut Schema, root: &str, keys: &MergeKeys) -> Result<bool> {
    let columns: Vec<String> = schema.columns(root).into_iter().map(|c| c.name).collect();
    let named = keys
        .primary_key
        .iter()
        .chain(&keys.merge_key)
        .chain(keys.dedup_sort.iter().map(|d| &d.column));
    for key in named {
        if !columns.contains(key) {
            return Err(Error::invalid(format!(
                "key column `{key}` is not a column of table `{root}` (columns: {})",
                columns.join(", ")
            )));
        }
    }
    let before = schema.clone();
    if !keys.primary_key.is_empty() {
        set_flag(schema, root, &columns, "primary_key", &keys.primary_key);
    }
    if !keys.merge_key.is_empty() {
        set_flag(schema, root, &columns, "merge_key", &keys.merge_key);
    }
    if let Some(sort) = &keys.dedup_sort {
        for column in &columns {
            let value = (column == &sort.column).then(|| json!(sort.order()));
            set_prop(schema, root, column, "dedup_sort", value);
        }
    }
    Ok(*schema != before)
}

/// `hint: true` and `nullable: false` on `keys`; the hint removed from the other columns.
fn set_flag(schema: &mut Schema, root: &str, columns: &[String], hint: &str, keys: &[String]) {
    for column in columns {
        let is_key = keys.contains(column);
        set_prop(schema, root, column, hint, is_key.then(|| json!(true)));
        if is_key {
            set_prop(schema, root, column, "nullable", Some(json!(false)));
        }
    }
}

/// Sets (or with `None` removes) one property of a column.
fn set_prop(schema: &mut Schema, table: &str, column: &str, prop: &str, value: Option<Value>) {
    let Some(Value::Object(mut json)) = schema.column_json(table, column).cloned() else {
        return;
    };
    let changed = match value {
        Some(v) if json.get(prop) != Some(&v) => {
            json.insert(prop.into(), v);
            true
        }
        None => json.shift_remove(prop).is_some(),
        Some(_) => false,
    };
    if changed {
        schema.put_column(table, Value::Object(json));
    }
}

/// The version hash of the pipeline's stored schema before this run (`None` if there is none).
pub fn stored_hash(workdir: &Path, schema_name: &str) -> Result<Option<String>> {
    let path = stored_schema_path(workdir, schema_name);
    match std::fs::read(&path) {
        Ok(bytes) => {
            let doc: Value = serde_json::from_slice(&bytes)
                .map_err(|e| Error::invalid(format!("{} is corrupt: {e}", path.display())))?;
            Ok(doc
                .get("version_hash")
                .and_then(Value::as_str)
                .map(String::from))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::from_io(&e, format!("reading {}", path.display()))),
    }
}

fn stored_schema_path(workdir: &Path, schema_name: &str) -> std::path::PathBuf {
    workdir
        .join("schemas")
        .join(format!("{schema_name}.schema.json"))
}

/// The package's schema with the keys as hints. The schema version moves once per run: if
/// this run's normalization already gave it a new version (its hash differs from
/// `hash_before_run`), that version's hash is updated in place.
pub fn hinted_schema(
    package: &Package,
    root: &str,
    keys: &MergeKeys,
    hash_before_run: Option<&str>,
) -> Result<Schema> {
    let mut schema = crate::plan::package_schema(package)?;
    let normalized_hash = schema.version_hash().to_string();
    if !apply_hints(&mut schema, root, keys)? {
        return Ok(schema);
    }
    if hash_before_run == Some(normalized_hash.as_str()) {
        schema.bump_version();
        return Ok(schema);
    }
    let mut doc = schema.to_json();
    doc["version_hash"] = json!(schema.compute_hash());
    Schema::from_json(doc)
}

/// Writes `schema` as the package's schema (if it differs); the pipeline's stored schema
/// follows the package's when the package is saved (`pipeline::normalize_package_with`).
pub fn store_package_schema(package: &Package, schema: &Schema) -> Result<()> {
    if crate::plan::package_schema(package)? == *schema {
        return Ok(());
    }
    package.write_file(SCHEMA_FILE, schema.to_json().to_string().as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schema() -> Schema {
        let mut s = Schema::new("p");
        s.ensure_root_table("t", "t", "merge");
        for name in ["id", "region", "updated"] {
            s.put_column(
                "t",
                json!({"name": name, "data_type": "bigint", "nullable": true}),
            );
        }
        s
    }

    #[test]
    fn dedup_sort_parses_column_and_order() {
        let d = DedupSort::parse("updated").unwrap();
        assert_eq!((d.column.as_str(), d.descending), ("updated", true));
        let d = DedupSort::parse("a:b:asc").unwrap();
        assert_eq!((d.column.as_str(), d.order()), ("a:b", "asc"));
        assert!(DedupSort::parse("x:up").is_err());
        assert!(DedupSort::parse(":desc").is_err());
    }

    #[test]
    fn hints_are_stored_like_dlt_and_read_back() {
        let mut s = schema();
        let keys = MergeKeys {
            primary_key: vec!["id".into()],
            merge_key: vec!["region".into()],
            dedup_sort: Some(DedupSort::parse("updated:asc").unwrap()),
        };
        assert!(apply_hints(&mut s, "t", &keys).unwrap());
        assert_eq!(
            s.column_json("t", "id").unwrap(),
            &json!({"name": "id", "data_type": "bigint", "nullable": false, "primary_key": true})
        );
        assert_eq!(s.column_json("t", "region").unwrap()["merge_key"], true);
        assert_eq!(s.column_json("t", "updated").unwrap()["dedup_sort"], "asc");
        assert_eq!(MergeKeys::from_schema(&s, "t"), keys);
        assert!(!apply_hints(&mut s, "t", &keys).unwrap(), "idempotent");

        // A new primary key replaces the old one (dlt's compound hints).
        let keys = MergeKeys {
            primary_key: vec!["region".into()],
            ..Default::default()
        };
        apply_hints(&mut s, "t", &keys).unwrap();
        assert!(
            s.column_json("t", "id")
                .unwrap()
                .get("primary_key")
                .is_none()
        );
        assert_eq!(MergeKeys::from_schema(&s, "t").primary_key, ["region"]);
    }

    #[test]
    fn unknown_key_columns_are_refused() {
        let mut s = schema();
        let keys = MergeKeys {
            merge_key: vec!["nope".into()],
            ..Default::default()
        };
        let err = apply_hints(&mut s, "t", &keys).unwrap_err().to_string();
        assert!(err.contains("`nope` is not a column of table `t`"), "{err}");
    }
}
