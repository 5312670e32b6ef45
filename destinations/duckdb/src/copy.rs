//! Loading one staged file: the bytes come from the staging bucket's reader (the plugin never
//! opens the bucket) and are spooled to a local temporary file that keeps the staged file's
//! extension, so DuckDB's reader sees the same format and compression. Then one
//! `INSERT INTO <table> (<columns in the file>) SELECT <cast of each column> FROM read_…(…)`
//! loads it; table columns the file lacks stay NULL.
//!
//! - parquet: `read_parquet`, typed columns cast to the table's types.
//! - jsonl: `read_json` (newline-delimited) with every table column read as `VARCHAR` (nested
//!   values as their JSON text), then cast; `binary` is base64 in jsonl (`from_base64`).
//! - csv: `read_csv` with the header, every column `VARCHAR`, `""` kept as the empty string;
//!   `binary` is UTF-8 text or `\x`-hex (the csv format's rule).

use std::io::{BufRead, Write};

use duckdb::Connection;
use stowage_plugin_sdk::io::ReadAdapter;
use stowage_plugin_sdk::{CopyColumn, CopyRequest, ObjectReader, PluginError, Result};

use crate::session::from_duckdb;
use crate::sql::{qualified, quote_ident, quote_literal};

/// Spool buffer size.
const BUFFER: usize = 1 << 20;

/// Loads the staged file into the request's table; returns the rows inserted.
pub fn copy_file(
    conn: &Connection,
    request: &CopyRequest,
    source: Box<dyn ObjectReader>,
) -> Result<u64> {
    let what = format!("copying {} into {}", request.url, request.table);
    load(conn, request, source).map_err(|e| e.while_doing(&what))
}

fn load(conn: &Connection, request: &CopyRequest, source: Box<dyn ObjectReader>) -> Result<u64> {
    if !["parquet", "jsonl", "csv"].contains(&request.format.as_str()) {
        return Err(PluginError::unsupported(format!(
            "duckdb destination cannot load `{}` files (supported: parquet, jsonl, csv)",
            request.format
        )));
    }
    let spooled = spool(source, &request.extension)?;
    let path = spooled
        .path()
        .to_str()
        .ok_or_else(|| PluginError::unexpected("temporary path is not UTF-8"))?
        .to_string();
    let (source_sql, in_file) = match request.format.as_str() {
        "parquet" => {
            let sql = format!("read_parquet({})", quote_literal(&path));
            let names = file_columns(conn, &sql)?;
            (sql, names)
        }
        "jsonl" => (
            read_json_sql(&path, request),
            request.columns.iter().map(|c| c.name.clone()).collect(),
        ),
        _ => {
            let names = csv_header(spooled.path(), request.is_gzip())?;
            (read_csv_sql(&path, &names), names)
        }
    };
    if in_file.is_empty() {
        return Ok(0);
    }
    let columns: Vec<&CopyColumn> = request
        .columns
        .iter()
        .filter(|c| in_file.contains(&c.name))
        .collect();
    if let Some(unknown) = in_file
        .iter()
        .find(|name| !request.columns.iter().any(|c| &c.name == *name))
    {
        return Err(PluginError::invalid(format!(
            "the file has column `{unknown}`, which table `{}` does not have",
            request.table
        )));
    }
    let names: Vec<String> = columns.iter().map(|c| quote_ident(&c.name)).collect();
    let casts: Vec<String> = columns
        .iter()
        .map(|c| cast_expr(c, &request.format))
        .collect();
    let sql = format!(
        "INSERT INTO {} ({}) SELECT {} FROM {}",
        qualified(&request.dataset, &request.table),
        names.join(", "),
        casts.join(", "),
        source_sql
    );
    let rows = conn
        .execute(&sql, [])
        .map_err(|e| from_duckdb(&e, "inserting the file's rows"))?;
    Ok(rows as u64)
}

/// Copies the reader into a temporary file named `*.<extension>`.
fn spool(source: Box<dyn ObjectReader>, extension: &str) -> Result<tempfile::NamedTempFile> {
    let mut file = tempfile::Builder::new()
        .prefix("stowage-duckdb-")
        .suffix(&format!(".{extension}"))
        .tempfile()
        .map_err(|e| PluginError::from_io_error(e, "creating a temporary file"))?;
    {
        let mut out = std::io::BufWriter::with_capacity(BUFFER, file.as_file_mut());
        std::io::copy(&mut ReadAdapter::new(source), &mut out)
            .and_then(|_| out.flush())
            .map_err(|e| PluginError::from_io_error(e, "spooling the staged file"))?;
    }
    Ok(file)
}

fn read_json_sql(path: &str, request: &CopyRequest) -> String {
    let columns: Vec<String> = request
        .columns
        .iter()
        .map(|c| format!("{}: 'VARCHAR'", quote_literal(&c.name)))
        .collect();
    format!(
        "read_json({}, format = 'newline_delimited', columns = {{{}}})",
        quote_literal(path),
        columns.join(", ")
    )
}

fn read_csv_sql(path: &str, names: &[String]) -> String {
    let columns: Vec<String> = names
        .iter()
        .map(|n| format!("{}: 'VARCHAR'", quote_literal(n)))
        .collect();
    format!(
        "read_csv({}, header = true, columns = {{{}}}, allow_quoted_nulls = false, \
         delim = ',', quote = '\"', escape = '\"', auto_detect = false)",
        quote_literal(path),
        columns.join(", ")
    )
}

/// Column names from the csv file's header line (gunzipped when needed); empty for an empty
/// file.
fn csv_header(path: &std::path::Path, gzip: bool) -> Result<Vec<String>> {
    let file = std::fs::File::open(path)
        .map_err(|e| PluginError::from_io_error(e, "reopening the spooled file"))?;
    let raw = std::io::BufReader::new(file);
    let mut input: Box<dyn BufRead> = match gzip {
        true => Box::new(std::io::BufReader::new(flate2::read::MultiGzDecoder::new(
            raw,
        ))),
        false => Box::new(raw),
    };
    let mut line = String::new();
    input
        .read_line(&mut line)
        .map_err(|e| PluginError::from_io_error(e, "reading the csv header"))?;
    if line.trim().is_empty() {
        return Ok(Vec::new());
    }
    stowage_format_support::csv::split_header(&line)
}

/// Column names of a file reader, in file order.
fn file_columns(conn: &Connection, source_sql: &str) -> Result<Vec<String>> {
    let sql = format!("SELECT column_name FROM (DESCRIBE SELECT * FROM {source_sql})");
    let fail = |e: duckdb::Error| from_duckdb(&e, "reading the file's columns");
    let mut statement = conn.prepare(&sql).map_err(fail)?;
    let names = statement
        .query_map([], |row| row.get::<_, String>(0))
        .map_err(fail)?;
    names
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(fail)
}

/// The SELECT expression that turns the file's column into the table's type.
fn cast_expr(column: &CopyColumn, format: &str) -> String {
    let name = quote_ident(&column.name);
    match (column.data_type.as_str(), format) {
        ("binary", "jsonl") => format!("from_base64({name})"),
        ("binary", "csv") => format!(
            "CASE WHEN starts_with({name}, '\\x') THEN unhex(substr({name}, 3)) ELSE encode({name}) END"
        ),
        (t, _) => format!("CAST({name} AS {})", sql_type(t)),
    }
}

fn sql_type(dlt: &str) -> &'static str {
    crate::DuckDbDestination::type_of(dlt)
}
