//! Which columns of which tables a statement reads, so remote parquet files are fetched with
//! only those columns (see [`super::prune`]).
//!
//! The statement is planned, not run, by DuckDB itself in a second in-memory database that
//! holds one empty table per dataset table, with the view's column names and types: the
//! optimized logical plan (`json_serialize_plan`) lists, for every scan of a table, the columns
//! it reads.
//! Optimizers that could hide a column read from that list are disabled for planning (filter
//! pushdown moves filter columns into the scan's filters, statistics on the empty tables could
//! fold whole scans away, late materialization scans a table twice). Whenever the answer is not
//! certain — the statement does not plan there (temporary tables, macros, `SET` …), a named
//! table has no scan, a projected name is not a column — the table needs all its columns.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use serde_json::Value;
use stowage_plugin_sdk::Destination;
use stowage_plugin_sdk::ffi::client::ForeignDestination;

use super::views::{ViewColumn, quote_ident, quote_str};
use crate::Result;

/// Optimizers off while planning (see the module docs).
const DISABLED_OPTIMIZERS: &str = "filter_pushdown,statistics_propagation,late_materialization";

/// The columns of a table a statement reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Columns {
    /// Every column (also: not known).
    All,
    /// Only these (possibly none: `count(*)`).
    Only(BTreeSet<String>),
}

impl Columns {
    /// True if `self` holds every column of `other`.
    pub fn covers(&self, other: &Columns) -> bool {
        match (self, other) {
            (Columns::All, _) => true,
            (Columns::Only(_), Columns::All) => false,
            (Columns::Only(mine), Columns::Only(theirs)) => theirs.is_subset(mine),
        }
    }

    /// The columns of both.
    pub fn union(&self, other: &Columns) -> Columns {
        match (self, other) {
            (Columns::Only(a), Columns::Only(b)) => Columns::Only(a.union(b).cloned().collect()),
            _ => Columns::All,
        }
    }
}

/// Plans statements over empty stand-ins of the dataset's tables.
pub struct ColumnPlanner {
    db: Arc<ForeignDestination>,
    /// Columns of every table that has a stand-in.
    tables: HashMap<String, BTreeSet<String>>,
}

impl std::fmt::Debug for ColumnPlanner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ColumnPlanner")
            .field("tables", &self.tables.len())
            .finish()
    }
}

impl ColumnPlanner {
    /// Creates the stand-ins in `db` (an empty in-memory database). A table whose stand-in
    /// cannot be created is left out (it then always needs all its columns).
    pub fn new(
        db: Arc<ForeignDestination>,
        tables: &[(String, Vec<ViewColumn>)],
    ) -> Result<ColumnPlanner> {
        db.execute(&format!(
            "SET disabled_optimizers = '{DISABLED_OPTIMIZERS}'"
        ))?;
        let mut known = HashMap::new();
        for (table, columns) in tables {
            if columns.is_empty() || db.execute(&stand_in_sql(table, columns)).is_err() {
                continue;
            }
            let names = columns.iter().map(|c| c.name.clone()).collect();
            known.insert(table.clone(), names);
        }
        Ok(ColumnPlanner { db, tables: known })
    }

    /// The columns `sql` reads of each of `tables` (all of them when unsure).
    pub fn needed(&self, sql: &str, tables: &[String]) -> HashMap<String, Columns> {
        let scans = self.scans(sql);
        tables
            .iter()
            .map(|table| {
                let columns = match (&scans, self.tables.get(table)) {
                    (Some(scans), Some(known)) => projected(scans, table, known),
                    _ => Columns::All,
                };
                (table.clone(), columns)
            })
            .collect()
    }

    /// (table, projected names) of every table scan of the plan; `None` if it does not plan.
    fn scans(&self, sql: &str) -> Option<Vec<(String, Vec<String>)>> {
        let query = format!(
            "SELECT json_serialize_plan({}, skip_null := true, skip_empty := true) AS plan",
            quote_str(sql)
        );
        let text = self.db.query(&query).ok()?;
        let row: Value = serde_json::from_str(text.lines().next()?).ok()?;
        let plan = match row.get("plan")? {
            Value::String(s) => serde_json::from_str(s).ok()?,
            other => other.clone(),
        };
        if plan.get("error").and_then(Value::as_bool) != Some(false) {
            return None;
        }
        let mut scans = Vec::new();
        collect_scans(plan.get("plans")?, &mut scans)?;
        Some(scans)
    }
}

/// What the scans of `table` read: the union of their projections, or all columns when the
/// table has no scan, a projected name is not one of its columns, or every column is read.
fn projected(scans: &[(String, Vec<String>)], table: &str, known: &BTreeSet<String>) -> Columns {
    let mut found = false;
    let mut columns = BTreeSet::new();
    for (name, projection) in scans {
        if name != table {
            continue;
        }
        found = true;
        for column in projection {
            if !known.contains(column) {
                return Columns::All;
            }
            columns.insert(column.clone());
        }
    }
    match found && columns != *known {
        true => Columns::Only(columns),
        false => Columns::All,
    }
}

/// Walks a serialized logical plan for table scans (`LOGICAL_GET` of a table of the `memory`
/// catalog): their table and the names of the columns they read. Column indexes past the
/// table's columns are DuckDB's virtual columns (row ids; a `count(*)` reads no column) and
/// name nothing. `None` when a scan does not look as expected.
fn collect_scans(node: &Value, out: &mut Vec<(String, Vec<String>)>) -> Option<()> {
    match node {
        Value::Array(items) => {
            for item in items {
                collect_scans(item, out)?;
            }
        }
        Value::Object(fields) => {
            if fields.get("type").and_then(Value::as_str) == Some("LOGICAL_GET")
                && let Some(scan) = table_scan(node)
            {
                out.push(scan?);
            }
            for value in fields.values() {
                collect_scans(value, out)?;
            }
        }
        _ => {}
    }
    Some(())
}

/// A scan that is not of a stand-in table (a table function, another catalog) is `None`; a
/// malformed one `Some(None)`.
type Scan = Option<Option<(String, Vec<String>)>>;

/// A `LOGICAL_GET`'s table and the names of the columns it reads.
fn table_scan(get: &Value) -> Scan {
    let data = get.get("function_data")?;
    let table = data.get("table")?.as_str()?;
    if data.get("catalog").and_then(Value::as_str) != Some("memory")
        || data.get("schema").and_then(Value::as_str) != Some("main")
    {
        return None;
    }
    let Some(names) = get.get("names").and_then(Value::as_array) else {
        return Some(None);
    };
    let mut columns = Vec::new();
    let indexes = get.get("column_indexes").and_then(Value::as_array);
    for index in indexes.into_iter().flatten() {
        let Some(i) = index.get("index").and_then(Value::as_u64) else {
            return Some(None);
        };
        let Some(name) = names.get(usize::try_from(i).unwrap_or(usize::MAX)) else {
            continue;
        };
        match name.as_str() {
            Some(name) => columns.push(name.to_string()),
            None => return Some(None),
        }
    }
    Some(Some((table.to_string(), columns)))
}

/// `CREATE TABLE "t" ("c" TYPE, …)`.
fn stand_in_sql(table: &str, columns: &[ViewColumn]) -> String {
    let items: Vec<String> = columns
        .iter()
        .map(|c| format!("{} {}", quote_ident(&c.name), c.sql_type))
        .collect();
    format!("CREATE TABLE {} ({})", quote_ident(table), items.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn set(names: &[&str]) -> BTreeSet<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn covers_and_union() {
        let a = Columns::Only(set(&["a"]));
        let ab = Columns::Only(set(&["a", "b"]));
        assert!(ab.covers(&a) && !a.covers(&ab) && Columns::All.covers(&ab));
        assert!(!ab.covers(&Columns::All));
        assert_eq!(a.union(&Columns::Only(set(&["b"]))), ab);
        assert_eq!(a.union(&Columns::All), Columns::All);
    }

    #[test]
    fn scans_and_projections_from_a_plan() {
        let get = |table: &str, catalog: &str, indexes: &[u64]| {
            json!({"type": "LOGICAL_GET", "names": ["id", "score", "_dlt_id"],
                "function_data": {"catalog": catalog, "schema": "main", "table": table},
                "column_indexes": indexes.iter().map(|i| json!({"index": i})).collect::<Vec<_>>()})
        };
        let plan = json!([{"type": "LOGICAL_PROJECTION", "children": [
            get("users", "memory", &[1]),
            {"type": "LOGICAL_FILTER", "children": [get("tags", "memory", &[0, 2])]},
            get("users", "memory", &[u64::MAX]),
            get("users", "other", &[0]),
            {"type": "LOGICAL_GET", "name": "read_parquet"}
        ]}]);
        let mut scans = Vec::new();
        collect_scans(&plan, &mut scans).unwrap();
        assert_eq!(scans.len(), 3, "{scans:?}");
        let users = set(&["id", "score"]);
        assert_eq!(
            projected(&scans, "users", &users),
            Columns::Only(set(&["score"]))
        );
        assert_eq!(projected(&scans, "other", &users), Columns::All);
        assert_eq!(
            projected(&scans, "tags", &set(&["id"])),
            Columns::All,
            "an unknown name means: all columns"
        );
        let bad = json!({"type": "LOGICAL_GET", "names": [1],
            "function_data": {"catalog": "memory", "schema": "main", "table": "t"},
            "column_indexes": [{"index": 0}]});
        assert!(collect_scans(&bad, &mut Vec::new()).is_none());
    }
}
