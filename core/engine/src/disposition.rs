//! Write dispositions on the filesystem destination (spec §2.5): `append` uploads, `replace`
//! first deletes the files of every replaced table (and of the nested tables of its chain that
//! have seen data), `merge` falls back to `append` with a warning (plain files cannot merge).
//! Nested tables take the disposition of their root table.

use std::fmt;
use std::str::FromStr;

use crate::schema::Schema;
use crate::{Error, Result};

/// A table's write disposition.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum WriteDisposition {
    /// Add the new files.
    #[default]
    Append,
    /// Delete the table's files, then add the new ones.
    Replace,
    /// Stored as requested; loaded as `append` (the filesystem destination cannot merge).
    Merge,
}

impl WriteDisposition {
    /// The name dlt uses.
    pub fn as_str(self) -> &'static str {
        match self {
            WriteDisposition::Append => "append",
            WriteDisposition::Replace => "replace",
            WriteDisposition::Merge => "merge",
        }
    }

    /// The disposition of `table` in `schema` (a nested table takes its root's).
    pub fn of_table(schema: &Schema, table: &str) -> WriteDisposition {
        let root = root_of(schema, table);
        schema
            .table_setting(&root, "write_disposition")
            .and_then(|v| v.as_str())
            .and_then(|v| v.parse().ok())
            .unwrap_or_default()
    }
}

impl FromStr for WriteDisposition {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        match s.trim() {
            "append" => Ok(WriteDisposition::Append),
            "replace" => Ok(WriteDisposition::Replace),
            "merge" => Ok(WriteDisposition::Merge),
            other => Err(Error::invalid(format!(
                "write disposition `{other}` is not one of append, replace, merge"
            ))),
        }
    }
}

impl fmt::Display for WriteDisposition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The root table of `table` (itself for a root table).
pub fn root_of(schema: &Schema, table: &str) -> String {
    let mut current = table.to_string();
    for _ in 0..1000 {
        match schema.parent(&current) {
            Some(parent) => current = parent.to_string(),
            None => break,
        }
    }
    current
}

fn has_seen_data(schema: &Schema, table: &str) -> bool {
    schema
        .table_setting(table, "x-normalizer")
        .and_then(|n| n.get("seen-data"))
        .and_then(|v| v.as_bool())
        .unwrap_or(false)
}

/// `root` and every table nested below it, parents before children (schema order).
pub fn table_chain(schema: &Schema, root: &str) -> Vec<String> {
    let mut chain = vec![root.to_string()];
    let mut i = 0;
    while i < chain.len() {
        let parent = chain[i].clone();
        for table in schema.table_names() {
            if schema.parent(&table) == Some(parent.as_str()) && !chain.contains(&table) {
                chain.push(table);
            }
        }
        i += 1;
    }
    chain
}

/// The tables replace empties before this package's files are uploaded: for every root table
/// with a job in the package whose disposition is `replace`, the root and each nested table of
/// its chain that has a job or has seen data.
pub fn tables_to_truncate(schema: &Schema, tables_with_jobs: &[String]) -> Vec<String> {
    let mut roots: Vec<String> = Vec::new();
    for table in tables_with_jobs {
        let root = root_of(schema, table);
        if !roots.contains(&root)
            && WriteDisposition::of_table(schema, &root) == WriteDisposition::Replace
        {
            roots.push(root);
        }
    }
    let mut out = Vec::new();
    for root in roots {
        for table in table_chain(schema, &root) {
            let wanted = tables_with_jobs.contains(&table) || has_seen_data(schema, &table);
            if wanted && !out.contains(&table) {
                out.push(table);
            }
        }
    }
    out
}

/// Root tables with jobs whose disposition is `merge` (loaded as `append`).
pub fn merge_fallbacks(schema: &Schema, tables_with_jobs: &[String]) -> Vec<String> {
    let mut roots: Vec<String> = Vec::new();
    for table in tables_with_jobs {
        let root = root_of(schema, table);
        if !roots.contains(&root)
            && WriteDisposition::of_table(schema, &root) == WriteDisposition::Merge
        {
            roots.push(root);
        }
    }
    roots
}

/// The warning for a merge fallback (dlt: "Falling back to `append` on `<table>`").
pub fn merge_warning(table: &str) -> String {
    format!(
        "table `{table}` has write disposition `merge`, which plain files on a filesystem \
         destination cannot do: falling back to `append` (rows are added, nothing is updated or \
         deduplicated), as dlt does"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn schema(disposition: &str) -> Schema {
        let mut s = Schema::new("p");
        s.ensure_root_table("event", "event", disposition);
        s.ensure_nested_table("event__kids", "event");
        s.ensure_nested_table("event__kids__toys", "event__kids");
        s.ensure_nested_table("event__tags", "event");
        s.ensure_root_table("event_log", "event_log", "append");
        s.mark_seen_data("event");
        s.mark_seen_data("event__kids__toys");
        s.set_table_setting("event__tags", "x-normalizer", json!({}));
        s
    }

    #[test]
    fn replace_truncates_the_chain_with_seen_data_only() {
        let s = schema("replace");
        assert_eq!(
            WriteDisposition::of_table(&s, "event__kids"),
            WriteDisposition::Replace
        );
        assert_eq!(
            tables_to_truncate(&s, &["event".to_string()]),
            ["event", "event__kids__toys"]
        );
        assert_eq!(
            tables_to_truncate(&s, &["event__kids".to_string()]),
            ["event", "event__kids", "event__kids__toys"]
        );
        assert!(tables_to_truncate(&s, &["event_log".to_string()]).is_empty());
    }

    #[test]
    fn merge_falls_back_to_append() {
        let s = schema("merge");
        assert!(tables_to_truncate(&s, &["event".to_string()]).is_empty());
        assert_eq!(merge_fallbacks(&s, &["event__kids".to_string()]), ["event"]);
        assert!("upsert".parse::<WriteDisposition>().is_err());
        assert_eq!(
            "replace".parse::<WriteDisposition>().unwrap(),
            WriteDisposition::Replace
        );
    }
}
