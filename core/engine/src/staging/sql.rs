//! The SQL a staged load runs on the destination, in the dialect both DuckDB and PostgreSQL
//! speak (double-quoted identifiers, `information_schema`, window functions, `MERGE INTO`),
//! with column types from the destination's declared type map.

use crate::schema::{ColumnDef, DltType};
use crate::{Error, Result};

/// What the SQL needs to know about a destination.
#[derive(Debug, Clone)]
pub struct Dialect {
    /// dlt type → SQL type.
    pub types: Vec<(String, String)>,
}

impl Dialect {
    /// The SQL type of a dlt type.
    pub fn sql_type(&self, t: DltType) -> Result<&str> {
        self.types
            .iter()
            .find(|(k, _)| k == t.name())
            .map(|(_, v)| v.as_str())
            .ok_or_else(|| {
                Error::unsupported(format!(
                    "the destination declares no SQL type for dlt type `{}`",
                    t.name()
                ))
            })
    }
}

/// A double-quoted identifier.
pub fn q(ident: &str) -> String {
    format!("\"{}\"", ident.replace('"', "\"\""))
}

/// `"dataset"."table"`.
pub fn qualified(dataset: &str, table: &str) -> String {
    format!("{}.{}", q(dataset), q(table))
}

/// A string literal.
pub fn literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

fn column_list(columns: &[String]) -> String {
    columns.iter().map(|c| q(c)).collect::<Vec<_>>().join(", ")
}

/// `CREATE SCHEMA IF NOT EXISTS`.
pub fn create_schema(dataset: &str) -> String {
    format!("CREATE SCHEMA IF NOT EXISTS {}", q(dataset))
}

/// `CREATE TABLE` with every complete column (non-nullable ones `NOT NULL`).
pub fn create_table(
    d: &Dialect,
    dataset: &str,
    table: &str,
    columns: &[ColumnDef],
) -> Result<String> {
    let mut defs = Vec::new();
    for c in columns {
        let Some(t) = c.data_type else { continue };
        let null = if c.nullable { "" } else { " NOT NULL" };
        defs.push(format!("{} {}{null}", q(&c.name), d.sql_type(t)?));
    }
    Ok(format!(
        "CREATE TABLE IF NOT EXISTS {} ({})",
        qualified(dataset, table),
        defs.join(", ")
    ))
}

/// `ALTER TABLE … ADD COLUMN` (always nullable: existing rows have no value).
pub fn add_column(
    d: &Dialect,
    dataset: &str,
    table: &str,
    column: &ColumnDef,
) -> Result<Option<String>> {
    let Some(t) = column.data_type else {
        return Ok(None);
    };
    Ok(Some(format!(
        "ALTER TABLE {} ADD COLUMN {} {}",
        qualified(dataset, table),
        q(&column.name),
        d.sql_type(t)?
    )))
}

/// The existing columns of a table (empty if it does not exist).
pub fn existing_columns(dataset: &str, table: &str) -> String {
    format!(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = {} AND \
         table_name = {}",
        literal(dataset),
        literal(table)
    )
}

/// Deletes every row (transactional on both destinations, unlike some `TRUNCATE`s).
pub fn delete_all(dataset: &str, table: &str) -> String {
    format!("DELETE FROM {} WHERE 1=1", qualified(dataset, table))
}

/// `INSERT INTO main.t (cols) SELECT cols FROM staging.t`.
pub fn insert_from(main: &str, staging: &str, table: &str, columns: &[String]) -> String {
    let cols = column_list(columns);
    format!(
        "INSERT INTO {}({cols}) SELECT {cols} FROM {}",
        qualified(main, table),
        qualified(staging, table)
    )
}

/// The tables of one merge: the root and its nested tables, with their columns.
#[derive(Debug, Clone)]
pub struct MergeChain {
    /// Root table and its columns.
    pub root: (String, Vec<String>),
    /// Nested tables, their columns, and the column linking a row to its root row's `_dlt_id`
    /// (`_dlt_parent_id` for children of the root, `_dlt_root_id` deeper).
    pub nested: Vec<(String, Vec<String>, String)>,
    /// Primary key columns of the root (staged rows are deduplicated on them).
    pub primary_key: Vec<String>,
    /// Merge key columns of the root (final rows matching a staged row on them are deleted).
    pub merge_key: Vec<String>,
    /// The column ordering duplicates and `true` for descending (the first row survives).
    pub dedup_sort: Option<(String, bool)>,
}

fn key_match(left: &str, right: &str, key: &[String]) -> String {
    key.iter()
        .map(|k| format!("{left}.{} = {right}.{}", q(k), q(k)))
        .collect::<Vec<_>>()
        .join(" AND ")
}

/// dlt's key clauses: the primary key match OR the merge key match.
fn keys_match(left: &str, right: &str, chain: &MergeChain) -> String {
    [&chain.primary_key, &chain.merge_key]
        .into_iter()
        .filter(|key| !key.is_empty())
        .map(|key| format!("({})", key_match(left, right, key)))
        .collect::<Vec<_>>()
        .join(" OR ")
}

/// The deduplicated staged root rows: one per primary key (`ROW_NUMBER() … = 1`, the first in
/// `dedup_sort` order); every staged row when there is only a merge key (dlt does not
/// deduplicate then).
fn deduplicated(staging: &str, chain: &MergeChain) -> String {
    let table = qualified(staging, &chain.root.0);
    if chain.primary_key.is_empty() {
        return format!("(SELECT * FROM {table})");
    }
    let order = match &chain.dedup_sort {
        Some((column, true)) => format!(" ORDER BY {} DESC", q(column)),
        Some((column, false)) => format!(" ORDER BY {} ASC", q(column)),
        None => String::new(),
    };
    format!(
        "(SELECT * FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY {}{order}) AS \
         \"_dlt_dedup_rn\" FROM {table}) AS ranked WHERE \"_dlt_dedup_rn\" = 1)",
        column_list(&chain.primary_key),
    )
}

/// The temporary table holding the `_dlt_id`s of the staged root rows to insert.
fn insert_ids_table(root: &str) -> String {
    q(&format!("_dlt_insert_ids_{root}"))
}

/// Root rows whose primary or merge key is staged, in the final table (a subquery of
/// `_dlt_id`s).
fn replaced_root_ids(main: &str, staging: &str, chain: &MergeChain) -> String {
    let root = &chain.root.0;
    format!(
        "SELECT d.\"_dlt_id\" FROM {} AS d WHERE EXISTS (SELECT 1 FROM {} AS s WHERE {})",
        qualified(main, root),
        qualified(staging, root),
        keys_match("d", "s", chain)
    )
}

/// `delete-insert` (spec §6.3): delete nested then root rows whose primary or merge key is
/// staged, insert the deduplicated staged root rows and their nested rows.
pub fn merge_delete_insert(main: &str, staging: &str, chain: &MergeChain) -> Vec<String> {
    let (root, root_cols) = &chain.root;
    let ids = insert_ids_table(root);
    let mut out = Vec::new();
    for (table, _, link) in &chain.nested {
        out.push(format!(
            "DELETE FROM {} WHERE {} IN ({})",
            qualified(main, table),
            q(link),
            replaced_root_ids(main, staging, chain)
        ));
    }
    out.push(format!(
        "DELETE FROM {} WHERE \"_dlt_id\" IN ({})",
        qualified(main, root),
        replaced_root_ids(main, staging, chain)
    ));
    out.extend(insert_deduplicated(main, staging, chain, &ids, root_cols));
    out
}

fn insert_deduplicated(
    main: &str,
    staging: &str,
    chain: &MergeChain,
    ids: &str,
    root_cols: &[String],
) -> Vec<String> {
    let root = &chain.root.0;
    let cols = column_list(root_cols);
    let mut out = vec![
        format!("DROP TABLE IF EXISTS {ids}"),
        format!(
            "CREATE TEMPORARY TABLE {ids} AS SELECT \"_dlt_id\" FROM {} AS dedup",
            deduplicated(staging, chain)
        ),
        format!(
            "INSERT INTO {}({cols}) SELECT {cols} FROM {} WHERE \"_dlt_id\" IN (SELECT \"_dlt_id\" FROM {ids})",
            qualified(main, root),
            qualified(staging, root)
        ),
    ];
    for (table, columns, link) in &chain.nested {
        let cols = column_list(columns);
        out.push(format!(
            "INSERT INTO {}({cols}) SELECT {cols} FROM {} WHERE {} IN (SELECT \"_dlt_id\" FROM {ids})",
            qualified(main, table),
            qualified(staging, table),
            q(link)
        ));
    }
    out.push(format!("DROP TABLE {ids}"));
    out
}

/// `upsert`: nested rows of staged keys are deleted, the root table is merged with
/// `MERGE INTO … ON <key>` (update matched rows, insert the rest), and the nested rows of the
/// deduplicated staged roots are inserted.
pub fn merge_upsert(main: &str, staging: &str, chain: &MergeChain) -> Vec<String> {
    let (root, root_cols) = &chain.root;
    let mut out = Vec::new();
    for (table, _, link) in &chain.nested {
        out.push(format!(
            "DELETE FROM {} WHERE {} IN ({})",
            qualified(main, table),
            q(link),
            replaced_root_ids(main, staging, chain)
        ));
    }
    let updates: Vec<String> = root_cols
        .iter()
        .filter(|c| !chain.primary_key.contains(c))
        .map(|c| format!("{} = s.{}", q(c), q(c)))
        .collect();
    let values: Vec<String> = root_cols.iter().map(|c| format!("s.{}", q(c))).collect();
    out.push(format!(
        "MERGE INTO {} AS d USING {} AS s ON {} WHEN MATCHED THEN UPDATE SET {} \
         WHEN NOT MATCHED THEN INSERT ({}) VALUES ({})",
        qualified(main, root),
        deduplicated(staging, chain),
        key_match("d", "s", &chain.primary_key),
        updates.join(", "),
        column_list(root_cols),
        values.join(", ")
    ));
    let ids = insert_ids_table(root);
    let mut nested = vec![
        format!("DROP TABLE IF EXISTS {ids}"),
        format!(
            "CREATE TEMPORARY TABLE {ids} AS SELECT \"_dlt_id\" FROM {} AS dedup",
            deduplicated(staging, chain)
        ),
    ];
    for (table, columns, link) in &chain.nested {
        let cols = column_list(columns);
        nested.push(format!(
            "INSERT INTO {}({cols}) SELECT {cols} FROM {} WHERE {} IN (SELECT \"_dlt_id\" FROM {ids})",
            qualified(main, table),
            qualified(staging, table),
            q(link)
        ));
    }
    nested.push(format!("DROP TABLE {ids}"));
    out.extend(nested);
    out
}

/// The `_dlt_loads` table (dlt's columns).
pub fn loads_table(d: &Dialect, dataset: &str) -> Result<String> {
    Ok(format!(
        "CREATE TABLE IF NOT EXISTS {} (\"load_id\" {t} NOT NULL, \"schema_name\" {t}, \
         \"status\" {i} NOT NULL, \"inserted_at\" {ts} NOT NULL, \"schema_version_hash\" {t})",
        qualified(dataset, LOADS_TABLE),
        t = d.sql_type(DltType::Text)?,
        i = d.sql_type(DltType::Bigint)?,
        ts = d.sql_type(DltType::Timestamp)?,
    ))
}

/// dlt's completed-loads table on SQL destinations.
pub const LOADS_TABLE: &str = "_dlt_loads";

/// dlt's stored-schemas table on SQL destinations.
pub const VERSION_TABLE: &str = "_dlt_version";

/// The `_dlt_version` table (dlt's columns).
pub fn version_table(d: &Dialect, dataset: &str) -> Result<String> {
    Ok(format!(
        "CREATE TABLE IF NOT EXISTS {} (\"version\" {i} NOT NULL, \"engine_version\" {i} NOT NULL, \
         \"inserted_at\" {ts} NOT NULL, \"schema_name\" {t} NOT NULL, \"version_hash\" {t} NOT NULL, \
         \"schema\" {t} NOT NULL)",
        qualified(dataset, VERSION_TABLE),
        t = d.sql_type(DltType::Text)?,
        i = d.sql_type(DltType::Bigint)?,
        ts = d.sql_type(DltType::Timestamp)?,
    ))
}

/// Counts the `_dlt_version` rows of a schema version (`n`).
pub fn count_version(dataset: &str, schema_name: &str, hash: &str) -> String {
    format!(
        "SELECT COUNT(*) AS n FROM {} WHERE \"schema_name\" = {} AND \"version_hash\" = {}",
        qualified(dataset, VERSION_TABLE),
        literal(schema_name),
        literal(hash)
    )
}

/// The `_dlt_version` row of a stored schema: its version, engine version, name, hash and
/// JSON document, as dlt's `_update_schema_in_storage` writes it.
pub fn insert_version(
    d: &Dialect,
    dataset: &str,
    schema: &crate::schema::Schema,
    inserted_at: &str,
) -> Result<String> {
    let doc = schema.to_json();
    let engine = doc
        .get("engine_version")
        .and_then(serde_json::Value::as_u64)
        .unwrap_or_default();
    Ok(format!(
        "INSERT INTO {}(\"version\", \"engine_version\", \"inserted_at\", \"schema_name\", \
         \"version_hash\", \"schema\") VALUES ({}, {engine}, CAST({} AS {}), {}, {}, {})",
        qualified(dataset, VERSION_TABLE),
        schema.version(),
        literal(inserted_at),
        d.sql_type(DltType::Timestamp)?,
        literal(schema.name()),
        literal(schema.version_hash()),
        literal(&doc.to_string())
    ))
}

/// dlt's pipeline-state table on SQL destinations (created from the schema like a data table).
pub const STATE_TABLE: &str = crate::schema::STATE_TABLE;

/// One `_dlt_pipeline_state` row, with dlt 1.31's values for SQL destinations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateRow {
    /// `_state_version` of the state.
    pub version: u64,
    /// dlt's state engine version.
    pub engine_version: u64,
    /// The pipeline's name.
    pub pipeline_name: String,
    /// The state as the filesystem state file holds it: base64(zlib(JSON without `_local`)).
    pub state: String,
    /// When the state was extracted (ISO 8601, UTC).
    pub created_at: String,
    /// `_version_hash` of the state.
    pub version_hash: String,
    /// The load the state belongs to.
    pub load_id: String,
    /// The row's `_dlt_id`.
    pub row_id: String,
}

/// The `_dlt_pipeline_state` row of a load whose pipeline state changed.
pub fn insert_state(d: &Dialect, dataset: &str, row: &StateRow) -> Result<String> {
    Ok(format!(
        "INSERT INTO {}(\"version\", \"engine_version\", \"pipeline_name\", \"state\", \
         \"created_at\", \"version_hash\", \"_dlt_load_id\", \"_dlt_id\") VALUES ({}, {}, {}, {}, \
         CAST({} AS {}), {}, {}, {})",
        qualified(dataset, STATE_TABLE),
        row.version,
        row.engine_version,
        literal(&row.pipeline_name),
        literal(&row.state),
        literal(&row.created_at),
        d.sql_type(DltType::Timestamp)?,
        literal(&row.version_hash),
        literal(&row.load_id),
        literal(&row.row_id)
    ))
}

/// The `_dlt_loads` row of a completed load (status 0).
pub fn insert_load(
    d: &Dialect,
    dataset: &str,
    load_id: &str,
    schema_name: &str,
    inserted_at: &str,
    hash: &str,
) -> Result<String> {
    Ok(format!(
        "INSERT INTO {}(\"load_id\", \"schema_name\", \"status\", \"inserted_at\", \
         \"schema_version_hash\") VALUES ({}, {}, 0, CAST({} AS {}), {})",
        qualified(dataset, LOADS_TABLE),
        literal(load_id),
        literal(schema_name),
        literal(inserted_at),
        d.sql_type(DltType::Timestamp)?,
        literal(hash)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain() -> MergeChain {
        MergeChain {
            root: ("t".into(), vec!["id".into(), "_dlt_id".into()]),
            nested: vec![(
                "t__kids".into(),
                vec!["value".into(), "_dlt_root_id".into()],
                "_dlt_root_id".into(),
            )],
            primary_key: vec!["id".into()],
            merge_key: Vec::new(),
            dedup_sort: None,
        }
    }

    #[test]
    fn delete_insert_deletes_nested_first_then_inserts_deduplicated() {
        let sql = merge_delete_insert("ds", "ds_staging", &chain());
        assert!(sql[0].starts_with("DELETE FROM \"ds\".\"t__kids\" WHERE \"_dlt_root_id\" IN"));
        assert!(sql[1].starts_with("DELETE FROM \"ds\".\"t\" WHERE \"_dlt_id\" IN"));
        assert!(sql[1].contains("d.\"id\" = s.\"id\""));
        assert!(
            sql.iter()
                .any(|s| s.contains("ROW_NUMBER() OVER (PARTITION BY \"id\")"))
        );
        assert!(sql.last().unwrap().starts_with("DROP TABLE"));
    }

    #[test]
    fn merge_key_widens_the_delete_and_dedup_sort_orders_the_survivor() {
        let mut c = chain();
        c.merge_key = vec!["day".into()];
        c.dedup_sort = Some(("ts".into(), true));
        let sql = merge_delete_insert("ds", "ds_staging", &c);
        assert!(
            sql[1].contains("(d.\"id\" = s.\"id\") OR (d.\"day\" = s.\"day\")"),
            "{}",
            sql[1]
        );
        assert!(
            sql.iter().any(|s| s
                .contains("ROW_NUMBER() OVER (PARTITION BY \"id\" ORDER BY \"ts\" DESC)")),
            "{sql:?}"
        );
        c.primary_key.clear();
        let sql = merge_delete_insert("ds", "ds_staging", &c);
        assert!(
            sql[1].contains("WHERE (d.\"day\" = s.\"day\"))"),
            "{}",
            sql[1]
        );
        assert!(
            sql.iter().all(|s| !s.contains("ROW_NUMBER")),
            "no dedup without a primary key: {sql:?}"
        );
    }

    #[test]
    fn the_state_row_has_dlts_columns_and_values() {
        let d = Dialect {
            types: vec![("timestamp".into(), "TIMESTAMP WITH TIME ZONE".into())],
        };
        let row = StateRow {
            version: 2,
            engine_version: 4,
            pipeline_name: "p".into(),
            state: "eNo=".into(),
            created_at: "2026-01-01T00:00:00.000000+00:00".into(),
            version_hash: "h".into(),
            load_id: "1.5".into(),
            row_id: "abc".into(),
        };
        let sql = insert_state(&d, "ds", &row).unwrap();
        assert!(
            sql.starts_with(
                "INSERT INTO \"ds\".\"_dlt_pipeline_state\"(\"version\", \"engine_version\", \
                 \"pipeline_name\", \"state\", \"created_at\", \"version_hash\", \"_dlt_load_id\", \
                 \"_dlt_id\") VALUES (2, 4, 'p', 'eNo=', CAST('2026-01-01T00:00:00.000000+00:00' AS \
                 TIMESTAMP WITH TIME ZONE), 'h', '1.5', 'abc')"
            ),
            "{sql}"
        );
    }

    #[test]
    fn literals_and_identifiers_are_escaped() {
        assert_eq!(literal("it's"), "'it''s'");
        assert_eq!(q("a\"b"), "\"a\"\"b\"");
    }
}
