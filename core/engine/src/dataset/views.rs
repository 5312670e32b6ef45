//! The DuckDB SQL of a table's view: the union of its files, grouped by format, each group cast
//! to the schema's column types and completed with nulls for columns its files lack. A table
//! without visible files is a typed empty `SELECT` (its columns, no rows).
//!
//! - parquet: `read_parquet([...], union_by_name = true)`
//! - jsonl: `read_json([...], format = 'newline_delimited', columns = {...})` with the schema's
//!   types; binary columns are base64 text in dlt's jsonl and are decoded with `from_base64`.
//! - csv: `read_csv([...], header = true, all_varchar = true, union_by_name = true)`, every
//!   column cast from text; binary cells are text or `\x` + hex (see the csv plugin).

use std::path::PathBuf;

use super::files::FileFormat;
use crate::schema::DltType;

/// One column of a view: name, dlt type and DuckDB type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ViewColumn {
    /// Column name.
    pub name: String,
    /// dlt type.
    pub dlt_type: DltType,
    /// DuckDB SQL type.
    pub sql_type: String,
}

/// `"name"` with inner quotes doubled.
pub fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// `'text'` with inner quotes doubled.
pub fn quote_str(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// `CREATE OR REPLACE VIEW` of `table` over `files` (local paths with their format).
pub fn create_view_sql(
    table: &str,
    columns: &[ViewColumn],
    files: &[(FileFormat, PathBuf)],
) -> String {
    let mut parts = vec![typed_empty(columns, |c| c.sql_type.clone())];
    for format in [FileFormat::Parquet, FileFormat::Jsonl, FileFormat::Csv] {
        let paths: Vec<String> = files
            .iter()
            .filter(|(f, _)| *f == format)
            .map(|(_, p)| quote_str(&p.display().to_string()))
            .collect();
        if paths.is_empty() {
            continue;
        }
        let list = format!("[{}]", paths.join(", "));
        parts.push(match format {
            FileFormat::Parquet => parquet_group(columns, &list),
            FileFormat::Jsonl => jsonl_group(columns, &list),
            _ => csv_group(columns, &list),
        });
    }
    let body = match parts.len() {
        1 => parts.remove(0),
        _ => parts
            .iter()
            .map(|p| format!("({p})"))
            .collect::<Vec<_>>()
            .join(" UNION ALL BY NAME "),
    };
    format!("CREATE OR REPLACE VIEW {} AS {body}", quote_ident(table))
}

/// `SELECT CAST(NULL AS t) AS "c", … WHERE false` (every column, no rows).
fn typed_empty(columns: &[ViewColumn], type_of: impl Fn(&ViewColumn) -> String) -> String {
    if columns.is_empty() {
        return "SELECT 1 AS \"_no_columns\" WHERE false".to_string();
    }
    let items: Vec<String> = columns
        .iter()
        .map(|c| format!("CAST(NULL AS {}) AS {}", type_of(c), quote_ident(&c.name)))
        .collect();
    format!("SELECT {} WHERE false", items.join(", "))
}

/// `SELECT <expr per column> FROM (<typed empty> UNION ALL BY NAME <source>)`.
fn completed(
    columns: &[ViewColumn],
    source: &str,
    source_type: impl Fn(&ViewColumn) -> String,
    expr: impl Fn(&ViewColumn) -> String,
) -> String {
    let items: Vec<String> = columns
        .iter()
        .map(|c| format!("{} AS {}", expr(c), quote_ident(&c.name)))
        .collect();
    let items = match items.is_empty() {
        true => "1 AS \"_no_columns\"".to_string(),
        false => items.join(", "),
    };
    format!(
        "SELECT {items} FROM (({}) UNION ALL BY NAME ({source}))",
        typed_empty(columns, source_type)
    )
}

fn cast(c: &ViewColumn) -> String {
    format!("CAST({} AS {})", quote_ident(&c.name), c.sql_type)
}

fn parquet_group(columns: &[ViewColumn], list: &str) -> String {
    let source = format!("SELECT * FROM read_parquet({list}, union_by_name = true)");
    completed(columns, &source, |c| c.sql_type.clone(), cast)
}

fn jsonl_group(columns: &[ViewColumn], list: &str) -> String {
    let json_type = |c: &ViewColumn| match c.dlt_type {
        DltType::Binary => "VARCHAR".to_string(),
        _ => c.sql_type.clone(),
    };
    let declared: Vec<String> = columns
        .iter()
        .map(|c| format!("{}: {}", quote_str(&c.name), quote_str(&json_type(c))))
        .collect();
    let source = match declared.is_empty() {
        true => format!("SELECT * FROM read_json({list}, format = 'newline_delimited')"),
        false => format!(
            "SELECT * FROM read_json({list}, format = 'newline_delimited', columns = {{{}}})",
            declared.join(", ")
        ),
    };
    completed(columns, &source, json_type, |c| match c.dlt_type {
        DltType::Binary => format!("from_base64({})", quote_ident(&c.name)),
        _ => cast(c),
    })
}

fn csv_group(columns: &[ViewColumn], list: &str) -> String {
    let source = format!(
        "SELECT * FROM read_csv({list}, header = true, all_varchar = true, \
         union_by_name = true, allow_quoted_nulls = false)"
    );
    completed(
        columns,
        &source,
        |_| "VARCHAR".to_string(),
        |c| match c.dlt_type {
            DltType::Binary => {
                let col = quote_ident(&c.name);
                format!(
                    "CASE WHEN starts_with({col}, '\\x') THEN unhex(substr({col}, 3)) \
                 ELSE encode({col}) END"
                )
            }
            _ => cast(c),
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn col(name: &str, t: DltType, sql: &str) -> ViewColumn {
        ViewColumn {
            name: name.into(),
            dlt_type: t,
            sql_type: sql.into(),
        }
    }

    #[test]
    fn empty_tables_are_typed_selects() {
        let sql = create_view_sql("t", &[col("id", DltType::Bigint, "BIGINT")], &[]);
        assert_eq!(
            sql,
            "CREATE OR REPLACE VIEW \"t\" AS SELECT CAST(NULL AS BIGINT) AS \"id\" WHERE false"
        );
    }

    #[test]
    fn each_format_is_one_group() {
        let files = vec![
            (FileFormat::Jsonl, PathBuf::from("/a/x.jsonl.gz")),
            (FileFormat::Parquet, PathBuf::from("/a/it's.parquet")),
            (FileFormat::Jsonl, PathBuf::from("/a/y.jsonl")),
        ];
        let sql = create_view_sql("t", &[col("b", DltType::Binary, "BLOB")], &files);
        assert!(
            sql.contains("read_json(['/a/x.jsonl.gz', '/a/y.jsonl']"),
            "{sql}"
        );
        assert!(sql.contains("read_parquet(['/a/it''s.parquet']"), "{sql}");
        assert!(sql.contains("from_base64(\"b\")"), "{sql}");
        assert!(!sql.contains("read_csv"), "{sql}");
    }
}
