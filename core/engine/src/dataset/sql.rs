//! SQL over a dataset: an in-memory DuckDB session from the `duckdb` destination plugin (opened
//! only here), with one view per table over exactly its visible files (see [`super::views`]).
//!
//! Local buckets are read in place. Files of remote buckets are fetched through the dataset's
//! own backend plugin (same settings, no DuckDB extension, no second credential setup) into a
//! temporary folder, and only for the tables a statement names: until then a table's view is
//! its typed empty `SELECT`. Parquet files are fetched with only the columns the statement
//! reads ([`super::needed`] plans it; [`super::prune`] copies the footer and those column
//! chunks with ranged reads); jsonl and csv files are streamed whole. A later statement that
//! reads more columns of a table fetches its parquet files again with the union of both.
//!
//! Results come back as text rows for display ([`SqlSession::query_text`]), as typed Arrow
//! batches ([`SqlSession::query_arrow`], through a temporary parquet file read by the parquet
//! plugin), or are written to a file with DuckDB's `COPY … TO` ([`SqlSession::copy_to`]).

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use arrow_array::RecordBatch;
use serde_json::Value;
use stowage_plugin_sdk::Destination;
use stowage_plugin_sdk::ffi::client::ForeignDestination;

use super::Dataset;
use super::cache::{FileCache, LocalFileReader, local_path};
use super::files::{DataFile, FileFormat};
use super::needed::{ColumnPlanner, Columns};
use super::views::{ViewColumn, create_view_sql, quote_str};
use crate::{Error, Options, Result};

/// The destination plugin that runs the SQL.
pub const SQL_ENGINE: &str = "duckdb";

/// The file format of `--output`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputFormat {
    /// CSV with a header row.
    Csv,
    /// JSON lines (one object per row).
    Json,
    /// Parquet.
    Parquet,
}

impl std::str::FromStr for OutputFormat {
    type Err = String;

    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "csv" => Ok(OutputFormat::Csv),
            "json" | "jsonl" | "ndjson" => Ok(OutputFormat::Json),
            "parquet" => Ok(OutputFormat::Parquet),
            other => Err(format!(
                "unknown output format `{other}` (csv, json, parquet)"
            )),
        }
    }
}

impl OutputFormat {
    fn copy_options(self) -> &'static str {
        match self {
            OutputFormat::Csv => "FORMAT csv, HEADER true",
            OutputFormat::Json => "FORMAT json",
            OutputFormat::Parquet => "FORMAT parquet",
        }
    }
}

/// A result as text: column names and types, and the rows (NULL as `None`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TextResult {
    /// (name, DuckDB type) of every column, in order.
    pub columns: Vec<(String, String)>,
    /// The rows, each value rendered by DuckDB's cast to VARCHAR.
    pub rows: Vec<Vec<Option<String>>>,
    /// True if more rows existed than were asked for.
    pub truncated: bool,
}

/// An open SQL session over a dataset.
pub struct SqlSession<'a> {
    dataset: &'a Dataset,
    db: Arc<ForeignDestination>,
    type_map: Vec<(String, String)>,
    cache: Mutex<FileCache>,
    /// The columns each table's view has (tables read in place: all).
    fetched_tables: Mutex<HashMap<String, Columns>>,
    /// Plans which columns statements read; built on first use (`None` inside: unavailable).
    planner: Mutex<Option<Option<ColumnPlanner>>>,
}

impl std::fmt::Debug for SqlSession<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqlSession")
            .field("dataset", &self.dataset.name())
            .finish()
    }
}

impl<'a> SqlSession<'a> {
    /// Opens DuckDB in memory and creates every table's view (remote tables: typed empty until
    /// a statement names them).
    pub fn open(dataset: &'a Dataset) -> Result<SqlSession<'a>> {
        let registry = dataset.registry();
        let info = registry.destination(SQL_ENGINE).ok_or_else(|| {
            Error::not_found(format!(
                "SQL needs the `{SQL_ENGINE}` plugin (libstowage_plugin_{SQL_ENGINE}.so), which was \
                 not found in: {}",
                registry
                    .searched_dirs()
                    .iter()
                    .map(|d| d.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        })?;
        let type_map = info.type_map.clone();
        let db =
            registry.open_destination(SQL_ENGINE, &Options::new([("credentials", ":memory:")]))?;
        let session = SqlSession {
            dataset,
            db,
            type_map,
            cache: Mutex::new(FileCache::new()?),
            fetched_tables: Mutex::new(HashMap::new()),
            planner: Mutex::new(None),
        };
        for table in dataset.tables() {
            session.create_view(&table, None)?;
        }
        Ok(session)
    }

    /// The dataset.
    pub fn dataset(&self) -> &Dataset {
        self.dataset
    }

    /// Runs a statement that returns nothing (`SET`, `CREATE TEMP TABLE`, …).
    pub fn execute(&self, sql: &str) -> Result<()> {
        let sql = trim_statement(sql);
        self.prepare(sql)?;
        self.db.execute(sql)
    }

    /// Runs `query`; at most `max_rows` rows as text.
    pub fn query_text(&self, query: &str, max_rows: usize) -> Result<TextResult> {
        let query = trim_statement(query);
        self.prepare(query)?;
        let described = self
            .db
            .query(&format!(
                "SELECT column_name, column_type FROM (DESCRIBE {query})"
            ))
            .map_err(|e| self.for_user(&e))?;
        let columns = json_lines(&described)?
            .into_iter()
            .map(|row| (text_of(&row["column_name"]), text_of(&row["column_type"])))
            .collect();
        let rows_sql = format!(
            "SELECT list_value(*COLUMNS(*)) AS r FROM \
             (SELECT CAST(COLUMNS(*) AS VARCHAR) FROM ({query})) LIMIT {}",
            max_rows.saturating_add(1)
        );
        let mut rows: Vec<Vec<Option<String>>> = json_lines(&self.db.query(&rows_sql)?)?
            .into_iter()
            .map(|row| {
                row["r"]
                    .as_array()
                    .map(|cells| {
                        cells
                            .iter()
                            .map(|v| v.as_str().map(str::to_string))
                            .collect()
                    })
                    .unwrap_or_default()
            })
            .collect();
        let truncated = rows.len() > max_rows;
        rows.truncate(max_rows);
        Ok(TextResult {
            columns,
            rows,
            truncated,
        })
    }

    /// DuckDB's error without the wrapping statement Stowage sent, and for an unknown table the
    /// dataset's tables (DuckDB's own suggestion may name one of its catalog tables).
    fn for_user(&self, e: &Error) -> Error {
        let text = e.to_string();
        let text = text.split(" (sql=").next().unwrap_or(&text).trim_end();
        let text = text
            .strip_prefix("duckdb: running a query: ")
            .unwrap_or(text);
        // DuckDB's caret excerpt points into the wrapping statement, not the user's.
        let text = text.split("\n\nLINE ").next().unwrap_or(text).trim_end();
        let first = text.lines().next().unwrap_or(text);
        if first.contains("Catalog Error: Table with name") {
            let tables = self.dataset.tables().join(", ");
            let name = self.dataset.name();
            return Error::invalid(format!("{first} (tables in dataset `{name}`: {tables})"));
        }
        Error::invalid(text.to_string())
    }

    /// Runs `query`; the whole result as typed Arrow batches.
    pub fn query_arrow(&self, query: &str) -> Result<Vec<RecordBatch>> {
        let query = trim_statement(query);
        let path = self.cache().scratch_path(".parquet");
        self.copy_to(query, OutputFormat::Parquet, &path)?;
        let read = || -> Result<Vec<RecordBatch>> {
            let format = self
                .dataset
                .registry()
                .open_format("parquet", &Options::default())?;
            let batches = format.read_stream(Box::new(LocalFileReader::open(&path)?), None)?;
            batches
                .map(|b| b.map_err(Error::from))
                .collect::<Result<Vec<_>>>()
        };
        let result = read().map_err(|e| e.while_doing("reading the query result"));
        let _ = std::fs::remove_file(&path);
        result
    }

    /// Writes the result of `query` to `path` with DuckDB's `COPY … TO`.
    pub fn copy_to(&self, query: &str, format: OutputFormat, path: &Path) -> Result<()> {
        let query = trim_statement(query);
        self.prepare(query)?;
        let sql = format!(
            "COPY ({query}) TO {} ({})",
            quote_str(&path.display().to_string()),
            format.copy_options()
        );
        self.db
            .execute(&sql)
            .map_err(|e| e.while_doing(format!("writing {}", path.display())))
    }

    /// Fetches the files of the remote tables `sql` names (parquet: the columns it reads) and
    /// points their views at them.
    fn prepare(&self, sql: &str) -> Result<()> {
        let words = identifiers(sql);
        let named: Vec<String> = self
            .dataset
            .tables()
            .into_iter()
            .filter(|t| words.contains(&t.to_ascii_lowercase()) && !self.has_all_columns(t))
            .collect();
        if named.is_empty() {
            return Ok(());
        }
        let needed = self.needed_columns(sql, &named);
        for table in named {
            let need = needed.get(&table).cloned().unwrap_or(Columns::All);
            let next = match lock(&self.fetched_tables).get(&table) {
                Some(have) if have.covers(&need) => continue,
                Some(have) => have.union(&need),
                None => need,
            };
            self.create_view(&table, Some(&next))?;
        }
        Ok(())
    }

    fn has_all_columns(&self, table: &str) -> bool {
        lock(&self.fetched_tables).get(table) == Some(&Columns::All)
    }

    /// The columns `sql` reads of each of `tables` (all when they cannot be planned).
    fn needed_columns(&self, sql: &str, tables: &[String]) -> HashMap<String, Columns> {
        let mut planner = lock(&self.planner);
        if planner.is_none() {
            *planner = Some(self.new_planner().ok());
        }
        match planner.as_ref().and_then(Option::as_ref) {
            Some(planner) => planner.needed(sql, tables),
            None => HashMap::new(),
        }
    }

    fn new_planner(&self) -> Result<ColumnPlanner> {
        let db = self
            .dataset
            .registry()
            .open_destination(SQL_ENGINE, &Options::new([("credentials", ":memory:")]))?;
        let tables = self
            .dataset
            .tables()
            .into_iter()
            .map(|t| Ok((t.clone(), self.view_columns(&t)?)))
            .collect::<Result<Vec<_>>>()?;
        ColumnPlanner::new(db, &tables)
    }

    /// (Re)creates `table`'s view; remote files are fetched only with `fetch` (parquet files
    /// with those columns).
    fn create_view(&self, table: &str, fetch: Option<&Columns>) -> Result<()> {
        let dataset = self.dataset;
        let files = dataset.files(table);
        let readable: Vec<_> = files.iter().filter(|f| f.format.is_readable()).collect();
        let in_place: Option<Vec<(FileFormat, PathBuf)>> = readable
            .iter()
            .map(|f| local_path(dataset.bucket_url(), &f.key).map(|p| (f.format.clone(), p)))
            .collect();
        let (paths, columns) = match (in_place, fetch) {
            (Some(paths), _) => (Some(paths), Some(Columns::All)),
            (None, None) => (None, None),
            (None, Some(columns)) => {
                let mut paths = Vec::new();
                for file in &readable {
                    paths.push((file.format.clone(), self.fetch_file(file, columns)?));
                }
                (Some(paths), Some(columns.clone()))
            }
        };
        let view_columns = self.view_columns(table)?;
        let sql = create_view_sql(table, &view_columns, paths.as_deref().unwrap_or_default());
        self.db
            .execute(&sql)
            .map_err(|e| e.while_doing(format!("creating the view of table `{table}`")))?;
        if let Some(columns) = columns {
            lock(&self.fetched_tables).insert(table.to_string(), columns);
        }
        Ok(())
    }

    /// The local copy of a remote `file` holding `columns` (whole unless it is parquet).
    fn fetch_file(&self, file: &DataFile, columns: &Columns) -> Result<PathBuf> {
        let dataset = self.dataset;
        let backend = dataset.backend().as_ref();
        match (columns, &file.format) {
            (Columns::Only(names), FileFormat::Parquet) => self.cache().fetch_columns(
                dataset.registry(),
                backend,
                file,
                names,
                dataset.stats(),
            ),
            _ => self.cache().fetch(backend, file, dataset.stats()),
        }
    }

    fn view_columns(&self, table: &str) -> Result<Vec<ViewColumn>> {
        Ok(self
            .dataset
            .columns(table)?
            .into_iter()
            .filter_map(|c| {
                let dlt_type = c.data_type?;
                let sql_type = self
                    .type_map
                    .iter()
                    .find(|(k, _)| k == dlt_type.name())
                    .map_or_else(|| "VARCHAR".to_string(), |(_, v)| v.clone());
                Some(ViewColumn {
                    name: c.name,
                    dlt_type,
                    sql_type,
                })
            })
            .collect())
    }

    fn cache(&self) -> MutexGuard<'_, FileCache> {
        lock(&self.cache)
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// The statement without surrounding blanks and trailing `;`.
pub fn trim_statement(sql: &str) -> &str {
    sql.trim().trim_end_matches(';').trim_end()
}

/// Lowercased identifier-like words of `sql` (table names a statement may refer to).
fn identifiers(sql: &str) -> HashSet<String> {
    sql.split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

fn json_lines(text: &str) -> Result<Vec<serde_json::Map<String, Value>>> {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            serde_json::from_str(l)
                .map_err(|e| Error::unexpected(format!("the SQL engine returned bad JSON: {e}")))
        })
        .collect()
}

fn text_of(v: &Value) -> String {
    v.as_str().map_or_else(|| v.to_string(), str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_and_words() {
        assert_eq!(trim_statement("  SELECT 1 ;; \n"), "SELECT 1");
        let words = identifiers("SELECT * FROM \"Users\" u JOIN users__tags t ON x");
        assert!(words.contains("users") && words.contains("users__tags"));
        assert_eq!("PARQUET".parse::<OutputFormat>(), Ok(OutputFormat::Parquet));
        assert!("xml".parse::<OutputFormat>().is_err());
    }
}
