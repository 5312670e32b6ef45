//! One DuckDB connection as a [`Destination`]: SQL scripts, small queries as JSON lines, and
//! staged files loaded with DuckDB's readers. Calls are serialized by a mutex; the session's
//! time zone is UTC.

use std::sync::{Mutex, MutexGuard};

use duckdb::Connection;
use stowage_plugin_sdk::{CopyRequest, Destination, ErrorKind, ObjectReader, PluginError, Result};

use crate::config::DuckDbConfig;

/// The DuckDB release whose C API the linked `duckdb` crate is generated for.
pub const EXPECTED_LIBRARY_VERSION: &str = "v1.5.6";

/// An open database.
pub struct DuckDbSession {
    conn: Mutex<Connection>,
}

impl std::fmt::Debug for DuckDbSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DuckDbSession")
    }
}

impl DuckDbSession {
    /// Opens (creating if needed) the database and checks the library version.
    pub fn open(config: &DuckDbConfig) -> Result<DuckDbSession> {
        let conn = match &config.path {
            Some(path) => Connection::open(path).map_err(|e| {
                from_duckdb(&e, &format!("opening the database {}", path.display()))
            })?,
            None => Connection::open_in_memory()
                .map_err(|e| from_duckdb(&e, "opening an in-memory database"))?,
        };
        let version = conn
            .version()
            .map_err(|e| from_duckdb(&e, "reading the library version"))?;
        if version != EXPECTED_LIBRARY_VERSION {
            return Err(PluginError::new(
                ErrorKind::UnsupportedVersion,
                format!(
                    "duckdb destination: linked libduckdb is {version}, but the plugin's C API \
                     bindings are for {EXPECTED_LIBRARY_VERSION}"
                ),
            ));
        }
        conn.execute_batch("SET TimeZone = 'UTC'")
            .map_err(|e| from_duckdb(&e, "setting the time zone"))?;
        Ok(DuckDbSession {
            conn: Mutex::new(conn),
        })
    }

    fn conn(&self) -> MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Destination for DuckDbSession {
    fn execute(&self, sql: &str) -> Result<()> {
        self.conn()
            .execute_batch(sql)
            .map_err(|e| from_duckdb(&e, "executing SQL").with_context("sql", excerpt(sql)))
    }

    fn query(&self, sql: &str) -> Result<String> {
        let wrapped = format!(
            "SELECT CAST(to_json(q) AS VARCHAR) FROM ({}) q",
            sql.trim().trim_end_matches(';')
        );
        let conn = self.conn();
        let fail =
            |e: duckdb::Error| from_duckdb(&e, "running a query").with_context("sql", excerpt(sql));
        let mut statement = conn.prepare(&wrapped).map_err(fail)?;
        let rows = statement
            .query_map([], |row| row.get::<_, String>(0))
            .map_err(fail)?;
        let mut out = String::new();
        for row in rows {
            out.push_str(&row.map_err(fail)?);
            out.push('\n');
        }
        Ok(out)
    }

    fn copy_file(&self, request: &CopyRequest, source: Box<dyn ObjectReader>) -> Result<u64> {
        crate::copy::copy_file(&self.conn(), request, source)
    }
}

/// Converts a driver error that happened while doing `what`.
pub fn from_duckdb(err: &duckdb::Error, what: &str) -> PluginError {
    let text = err.to_string();
    let kind = if text.contains("does not exist") || text.contains("not found") {
        ErrorKind::NotFound
    } else if text.contains("Could not set lock") || text.contains("IO Error") {
        ErrorKind::Io
    } else if text.contains("Error") {
        ErrorKind::InvalidArgument
    } else {
        ErrorKind::Unexpected
    };
    // A locked database file (another process holds it) may free up: retryable.
    let retryable = text.contains("Could not set lock");
    PluginError::new(kind, format!("duckdb: {what}: {text}")).with_retryable(retryable)
}

/// The start of a SQL text, for error context.
pub fn excerpt(sql: &str) -> String {
    let one_line: String = sql.split_whitespace().collect::<Vec<_>>().join(" ");
    one_line.chars().take(200).collect()
}
