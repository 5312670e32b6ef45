//! Reading a dataset back from its bucket: committed loads only.
//!
//! A [`Dataset`] is opened from a bucket URL and dataset name (or a pipeline's settings, see
//! [`DatasetOptions::for_pipeline`]). Opening lists three things on the bucket: the completion
//! markers in `_dlt_loads/` (which loads are committed), the newest stored schema in
//! `_dlt_version/` (tables, columns, types) and the dataset folder (every data file, read back
//! through the layout into its table and load id). Only files of committed loads are visible
//! unless [`DatasetOptions::include_uncommitted`] is set, so a load killed before its marker
//! never shows.
//!
//! - [`Dataset::table`] streams a table's files as Arrow batches through the format plugins'
//!   readers (no SQL engine involved).
//! - [`Dataset::sql`] / [`Dataset::session`] run DuckDB SQL over one view per table through the
//!   `duckdb` destination plugin, opened only then (see [`sql`]).
//!
//! ```no_run
//! use std::sync::Arc;
//! use stowage::dataset::{Dataset, DatasetOptions};
//! use stowage::plugins::{DiscoveryConfig, Registry};
//!
//! let registry = Arc::new(Registry::discover(&DiscoveryConfig::standard(&[])));
//! let dataset = Dataset::open(registry, &DatasetOptions::new("/tmp/lake", "web_data"))?;
//! for batch in dataset.table("events")? {
//!     println!("{} rows", batch?.num_rows());
//! }
//! let counts = dataset.sql("SELECT count(*) AS n FROM events")?;
//! # Ok::<(), stowage::Error>(())
//! ```

mod cache;
mod files;
mod keys;
mod loads;
mod needed;
mod options;
mod prune;
pub mod sql;
mod stats;
mod table;
mod views;

pub use cache::FileCache;
pub use files::{DataFile, FileFormat, Listing};
pub use keys::{KeyParser, KeyParts};
pub use loads::{LOADS_FOLDER, committed_load_ids, load_id_of_marker};
pub use needed::Columns;
pub use options::DatasetOptions;
pub use sql::SqlSession;
pub use stats::ReadStats;
pub use table::TableBatches;

use std::collections::BTreeSet;
use std::sync::Arc;

use arrow_array::RecordBatch;
use arrow_schema::{Schema as ArrowSchema, SchemaRef};
use stowage_plugin_sdk::Backend;

use crate::history::VERSION_FOLDER;
use crate::plugins::Registry;
use crate::schema::{ColumnDef, Schema};
use crate::{Error, Result, history};

/// Rows of one load of a table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadRows {
    /// The load id (`None` when the layout has no `{load_id}`).
    pub load_id: Option<String>,
    /// Rows in its files.
    pub rows: u64,
    /// True if the load has a completion marker.
    pub committed: bool,
}

/// An opened dataset: its schema, committed loads and data files.
pub struct Dataset {
    registry: Arc<Registry>,
    backend: Arc<dyn Backend>,
    bucket_url: String,
    name: String,
    schema: Schema,
    committed: BTreeSet<String>,
    listing: Listing,
    include_uncommitted: bool,
    stats: ReadStats,
}

impl std::fmt::Debug for Dataset {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Dataset")
            .field("bucket_url", &crate::config::redact_url(&self.bucket_url))
            .field("dataset", &self.name)
            .field("schema", &self.schema.name())
            .field("committed_loads", &self.committed.len())
            .field("files", &self.listing.files.len())
            .finish()
    }
}

impl Dataset {
    /// Opens the dataset: lists markers, the newest schema and the data files.
    pub fn open(registry: Arc<Registry>, options: &DatasetOptions) -> Result<Dataset> {
        let cwd = std::env::current_dir()
            .map_err(|e| Error::from_io(&e, "reading the current directory"))?;
        let bucket_url = crate::bucket_url::absolutize(&options.bucket_url, &cwd)?;
        let backend = registry.open_backend(&bucket_url, &options.backend_options)?;
        let name = options.dataset.clone();
        let schema_name = match &options.schema_name {
            Some(name) => name.clone(),
            None => only_schema_name(backend.as_ref(), &name, &bucket_url)?,
        };
        let schema = history::newest_schema(backend.as_ref(), &name, &schema_name)?
            .ok_or_else(|| no_schema(&bucket_url, &name, &schema_name))?;
        let committed = committed_load_ids(backend.as_ref(), &name)?;
        let parser = KeyParser::new(&options.layout)?;
        let tables = schema.data_tables();
        let listing =
            files::list_data_files(backend.as_ref(), &name, &parser, &tables, schema.name())?;
        Ok(Dataset {
            registry,
            backend,
            bucket_url,
            name,
            schema,
            committed,
            listing,
            include_uncommitted: options.include_uncommitted,
            stats: ReadStats::default(),
        })
    }

    /// The dataset name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The bucket URL.
    pub fn bucket_url(&self) -> &str {
        &self.bucket_url
    }

    /// The newest stored schema.
    pub fn schema(&self) -> &Schema {
        &self.schema
    }

    /// The data tables of the schema (dlt's own tables excluded), parents before children.
    pub fn tables(&self) -> Vec<String> {
        self.schema.data_tables()
    }

    /// Load ids with a completion marker, in order.
    pub fn committed_loads(&self) -> &BTreeSet<String> {
        &self.committed
    }

    /// True if uncommitted files are visible too.
    pub fn includes_uncommitted(&self) -> bool {
        self.include_uncommitted
    }

    /// Every data file found, committed or not.
    pub fn all_files(&self) -> &[DataFile] {
        &self.listing.files
    }

    /// Keys in the dataset folder no table of the schema claims.
    pub fn unclaimed_keys(&self) -> &[String] {
        &self.listing.unclaimed
    }

    /// True if `file` belongs to a committed load.
    pub fn is_committed(&self, file: &DataFile) -> bool {
        file.load_id
            .as_ref()
            .is_some_and(|id| self.committed.contains(id))
    }

    /// The visible files of `table`: committed ones (every one with include_uncommitted).
    pub fn files(&self, table: &str) -> Vec<&DataFile> {
        self.listing
            .files
            .iter()
            .filter(|f| f.table == table)
            .filter(|f| self.include_uncommitted || self.is_committed(f))
            .collect()
    }

    /// Files left out because their load has no marker (or the layout has no `{load_id}`).
    pub fn hidden_files(&self) -> Vec<&DataFile> {
        match self.include_uncommitted {
            true => Vec::new(),
            false => self
                .listing
                .files
                .iter()
                .filter(|f| !self.is_committed(f))
                .collect(),
        }
    }

    /// The columns of `table` that have a data type, in schema order.
    pub fn columns(&self, table: &str) -> Result<Vec<ColumnDef>> {
        self.check_table(table)?;
        Ok(self
            .schema
            .columns(table)
            .into_iter()
            .filter(|c| c.data_type.is_some())
            .collect())
    }

    /// The Arrow schema of `table` (dlt types tagged in field metadata).
    pub fn arrow_schema(&self, table: &str) -> Result<SchemaRef> {
        let fields: Vec<_> = self
            .columns(table)?
            .into_iter()
            .filter_map(|c| Some(c.data_type?.arrow_field(&c.name, c.nullable)))
            .collect();
        Ok(Arc::new(ArrowSchema::new(fields)))
    }

    /// Streams the visible rows of `table` as Arrow batches with [`Dataset::arrow_schema`], file
    /// by file through the format plugins (no SQL engine).
    pub fn table(&self, table: &str) -> Result<TableBatches> {
        let schema = self.arrow_schema(table)?;
        let files = self.files(table).into_iter().cloned().collect();
        Ok(TableBatches::new(
            self.registry.clone(),
            self.backend.clone(),
            files,
            schema,
            self.stats.clone(),
        ))
    }

    /// Rows of `table` per load, over every file found (committed or not), oldest load first:
    /// (load id, or `None` when the layout has none; rows; committed). Reads the files.
    pub fn rows_per_load(&self, table: &str) -> Result<Vec<LoadRows>> {
        let schema = self.arrow_schema(table)?;
        let mut counts: Vec<LoadRows> = Vec::new();
        for file in self.listing.files.iter().filter(|f| f.table == table) {
            if !file.format.is_readable() {
                continue;
            }
            let batches = TableBatches::new(
                self.registry.clone(),
                self.backend.clone(),
                vec![file.clone()],
                schema.clone(),
                self.stats.clone(),
            );
            let mut rows = 0u64;
            for batch in batches {
                rows += batch?.num_rows() as u64;
            }
            match counts.iter_mut().find(|c| c.load_id == file.load_id) {
                Some(entry) => entry.rows += rows,
                None => counts.push(LoadRows {
                    load_id: file.load_id.clone(),
                    rows,
                    committed: self.is_committed(file),
                }),
            }
        }
        counts.sort_by(|a, b| a.load_id.cmp(&b.load_id));
        Ok(counts)
    }

    /// Runs one DuckDB query over the dataset's views; the result as Arrow batches.
    pub fn sql(&self, query: &str) -> Result<Vec<RecordBatch>> {
        self.session()?.query_arrow(query)
    }

    /// An SQL session (DuckDB in memory) with one view per table.
    pub fn session(&self) -> Result<SqlSession<'_>> {
        SqlSession::open(self)
    }

    /// Bytes and files read from the backend so far.
    pub fn stats(&self) -> &ReadStats {
        &self.stats
    }

    /// The plugin registry.
    pub fn registry(&self) -> &Arc<Registry> {
        &self.registry
    }

    /// The bucket's backend.
    pub fn backend(&self) -> &Arc<dyn Backend> {
        &self.backend
    }

    /// An error unless `table` is a data table of the schema.
    pub fn check_table(&self, table: &str) -> Result<()> {
        if self.schema.has_table(table) && !table.starts_with(crate::schema::DLT_TABLE_PREFIX) {
            return Ok(());
        }
        let tables = self.tables();
        Err(Error::not_found(format!(
            "no table `{table}` in dataset `{}` (schema `{}`); tables: {}",
            self.name,
            self.schema.name(),
            if tables.is_empty() {
                "none".to_string()
            } else {
                tables.join(", ")
            }
        ))
        .with_context("table", table))
    }
}

/// The one schema stored in `_dlt_version/` (an error lists them when there are several).
fn only_schema_name(backend: &dyn Backend, dataset: &str, bucket_url: &str) -> Result<String> {
    let prefix = format!("{dataset}/{VERSION_FOLDER}/");
    let lister = backend
        .list(&prefix)
        .map_err(|e| e.while_doing(format!("listing {prefix}")))?;
    let mut names = BTreeSet::new();
    for entry in lister {
        let entry = entry.map_err(|e| e.while_doing(format!("listing {prefix}")))?;
        let file = entry.key.rsplit('/').next().unwrap_or_default();
        if let Some(stem) = file.strip_suffix(".jsonl") {
            let mut parts = stem.rsplitn(3, "__");
            let (_, _, name) = (parts.next(), parts.next(), parts.next());
            if let Some(name) = name {
                names.insert(name.to_string());
            }
        }
    }
    match names.len() {
        1 => Ok(names.into_iter().next().expect("one name")),
        0 => Err(no_schema(bucket_url, dataset, "")),
        _ => Err(Error::invalid(format!(
            "dataset `{dataset}` holds several schemas ({}); name the pipeline with --pipeline",
            names.into_iter().collect::<Vec<_>>().join(", ")
        ))),
    }
}

fn no_schema(bucket_url: &str, dataset: &str, schema_name: &str) -> Error {
    let which = match schema_name {
        "" => "no stored schema".to_string(),
        name => format!("no stored schema `{name}`"),
    };
    Error::not_found(format!(
        "{which} in {}/{dataset}/{VERSION_FOLDER}: is `{dataset}` a dataset loaded by dlt or \
         Stowage into this bucket? (check --bucket-url and --dataset)",
        crate::config::redact_url(bucket_url).trim_end_matches('/')
    ))
    .with_context("dataset", dataset)
}
