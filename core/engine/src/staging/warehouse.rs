//! The destination half of a staged load: create and migrate the dataset, the staging dataset
//! and `_dlt_loads`; empty the staging tables of this load's chains; copy the referenced
//! files (read through the staging bucket's backend) into the staging or final tables; apply
//! every table chain's write disposition and record the load in `_dlt_loads` — all changes to
//! final tables in one transaction. The package's schema is stored in `_dlt_version` (once
//! per version hash, with the DDL that migrates to it), as dlt does on SQL destinations. When
//! the package carries a changed pipeline state (when a filesystem load writes a
//! `_dlt_pipeline_state/` file), the same transaction inserts its `_dlt_pipeline_state` row, so
//! dlt's `sync_destination` restores it.

use serde_json::Value;
use stowage_plugin_sdk::{Backend, CopyColumn, CopyRequest, Destination};

use crate::disposition::{WriteDisposition, root_of};
use crate::fault;
use crate::loader::{LoadSummary, LoadTarget};
use crate::package::{JobFile, Package};
use crate::plan::{package_created_at, package_schema, package_state};
use crate::plugins::DestinationInfo;
use crate::schema::Schema;
use crate::special_files::iso_utc;
use crate::staging::keys::MergeKeys;
use crate::staging::sql::{self, Dialect, MergeChain, StateRow};
use crate::staging::stage::REFERENCE_EXT;
use crate::staging::{MergeStrategy, ReplaceStrategy, StagingOptions};
use crate::{Error, Result};

/// Everything a destination load uses.
pub struct Context<'a> {
    /// The staging bucket (opened once with the staging credentials).
    pub backend: &'a dyn Backend,
    /// Its resolved URL (reference jobs hold `<url>/<key>`).
    pub bucket_url: &'a str,
    /// The destination session.
    pub destination: &'a dyn Destination,
    /// What the destination declared (type map, capabilities).
    pub info: &'a DestinationInfo,
    /// Dataset, layout, retries.
    pub target: &'a LoadTarget,
    /// Staging settings.
    pub staging: &'a StagingOptions,
    /// The staging dataset name.
    pub staging_dataset: &'a str,
}

impl std::fmt::Debug for Context<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Context")
            .field("bucket_url", &self.bucket_url)
            .field("destination", &self.info.name)
            .field("staging_dataset", &self.staging_dataset)
            .finish()
    }
}

/// What a destination load did.
#[derive(Debug, Clone, Default)]
pub struct DestinationLoad {
    /// The load (files are the staged keys).
    pub summary: LoadSummary,
    /// Rows copied from staged files.
    pub rows_copied: u64,
    /// True if `_dlt_loads` already had this load (a resumed load after the commit).
    pub already_loaded: bool,
}

/// One reference job.
#[derive(Debug, Clone)]
struct Reference {
    job: JobFile,
    url: String,
    /// The staged file's full extension (`jsonl.gz`).
    extension: String,
}

/// How one table chain is loaded.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Plan {
    /// Copy straight into the final tables (append, or merge without a key).
    Append,
    /// Empty the final tables, copy into them.
    TruncateAndInsert,
    /// Copy into staging; empty the final tables, insert from staging.
    InsertFromStaging,
    /// Copy into staging; merge on the keys.
    Merge(MergeKeys),
}

impl Plan {
    fn uses_staging(&self) -> bool {
        matches!(self, Plan::InsertFromStaging | Plan::Merge(_))
    }
}

/// A root table, the tables of its chain, and how they are loaded.
#[derive(Debug, Clone)]
struct Chain {
    root: String,
    tables: Vec<String>,
    plan: Plan,
}

/// Loads the package's reference jobs into the destination (see the module docs). Merge keys
/// come from the package schema's column hints, else from `fallback` (packages staged before
/// keys were hints).
pub fn load_into_destination(
    ctx: &Context<'_>,
    package: &Package,
    fallback: &MergeKeys,
) -> Result<DestinationLoad> {
    let schema = package_schema(package)?;
    let dialect = Dialect {
        types: ctx.info.type_map.clone(),
    };
    let main = ctx.target.dataset.as_str();
    let references = references(package)?;
    let chains = chains(&schema, &references, fallback, ctx.staging)?;
    prepare(ctx, &dialect, &schema, &chains)?;
    let mut load = DestinationLoad {
        summary: LoadSummary {
            load_id: package.load_id.clone(),
            marker: format!("{main}.{}", sql::LOADS_TABLE),
            ..Default::default()
        },
        ..Default::default()
    };
    load.already_loaded = already_loaded(ctx.destination, main, &package.load_id)?;
    if !load.already_loaded {
        let state = state_row(package)?;
        load.rows_copied = copy_to_staging(ctx, &schema, &chains, &references)?;
        fault::point("staging: copied to the staging dataset");
        let dest = ctx.destination;
        dest.execute("BEGIN")?;
        let applied = apply_chains(ctx, &schema, &chains, &references).and_then(|rows| {
            record_load(ctx, &dialect, &schema, package, state.as_ref()).map(|()| rows)
        });
        match applied {
            Ok(rows) => {
                load.rows_copied += rows;
                fault::point("staging: applied, before commit");
                dest.execute("COMMIT")?;
                fault::point("staging: committed");
            }
            Err(e) => {
                let _ = dest.execute("ROLLBACK");
                return Err(e.while_doing(format!(
                    "loading {} into `{}` (rolled back: the destination is unchanged)",
                    package.load_id, ctx.staging.destination
                )));
            }
        }
    }
    for reference in &references {
        package.move_job(&reference.job, "new_jobs", "completed_jobs")?;
        fault::point("staging: reference completed");
    }
    if ctx.staging.truncate_staging_dataset {
        for chain in chains.iter().filter(|c| c.plan.uses_staging()) {
            for table in &chain.tables {
                let _ = ctx
                    .destination
                    .execute(&sql::delete_all(ctx.staging_dataset, table));
            }
        }
    }
    Ok(load)
}

fn references(package: &Package) -> Result<Vec<Reference>> {
    // The staged file's extension is its data job's (kept in `completed_jobs`).
    let data: Vec<JobFile> = package
        .jobs("completed_jobs")?
        .into_iter()
        .filter(|j| j.ext != REFERENCE_EXT)
        .collect();
    let mut out = Vec::new();
    for job in package.jobs("new_jobs")? {
        if job.ext != REFERENCE_EXT {
            continue;
        }
        let path = package.job_path("new_jobs", &job);
        let bytes = std::fs::read(&path)
            .map_err(|e| Error::from_io(&e, format!("reading {}", path.display())))?;
        let url = String::from_utf8(bytes).map_err(|_| {
            Error::invalid(format!("reference job {} is not UTF-8", job.file_name()))
        })?;
        let url = url.lines().next().unwrap_or_default().trim().to_string();
        let extension = data
            .iter()
            .find(|d| d.table == job.table && d.file_id == job.file_id)
            .map(|d| d.ext.clone())
            .ok_or_else(|| {
                Error::invalid(format!(
                    "reference job {} has no data job in completed_jobs",
                    job.file_name()
                ))
            })?;
        out.push(Reference {
            job,
            url,
            extension,
        });
    }
    Ok(out)
}

/// The chains of the tables with reference jobs, in schema order.
fn chains(
    schema: &Schema,
    references: &[Reference],
    fallback: &MergeKeys,
    staging: &StagingOptions,
) -> Result<Vec<Chain>> {
    let mut roots: Vec<String> = Vec::new();
    for r in references {
        let root = root_of(schema, &r.job.table);
        if !roots.contains(&root) {
            roots.push(root);
        }
    }
    let all = loadable_tables(schema);
    let mut out = Vec::new();
    for root in roots {
        let tables: Vec<String> = all
            .iter()
            .filter(|t| root_of(schema, t) == root && has_columns(schema, t))
            .cloned()
            .collect();
        let plan = match WriteDisposition::of_table(schema, &root) {
            WriteDisposition::Append => Plan::Append,
            WriteDisposition::Replace => match staging.replace_strategy {
                ReplaceStrategy::TruncateAndInsert => Plan::TruncateAndInsert,
                ReplaceStrategy::InsertFromStaging => Plan::InsertFromStaging,
            },
            WriteDisposition::Merge if root.starts_with("_dlt") => Plan::Append,
            WriteDisposition::Merge => merge_plan(schema, &root, fallback, staging)?,
        };
        out.push(Chain { root, tables, plan });
    }
    Ok(out)
}

/// Checks before a new package is recorded that its root table can be loaded (merge keys
/// and strategy fit), so a package that could never load is not left pending and a refused
/// run leaves no hints behind.
pub fn check_schema(
    schema: &Schema,
    root: &str,
    fallback: &MergeKeys,
    staging: &StagingOptions,
) -> Result<()> {
    if WriteDisposition::of_table(schema, root) == WriteDisposition::Merge {
        merge_plan(schema, root, fallback, staging)?;
    }
    Ok(())
}

/// How a merge chain loads: append without keys (as dlt does), else a merge on its keys.
fn merge_plan(
    schema: &Schema,
    root: &str,
    fallback: &MergeKeys,
    staging: &StagingOptions,
) -> Result<Plan> {
    let mut keys = MergeKeys::from_schema(schema, root);
    if keys.is_empty() {
        keys = fallback.clone();
    }
    if keys.is_empty() {
        return Ok(Plan::Append);
    }
    let named = keys
        .primary_key
        .iter()
        .chain(&keys.merge_key)
        .chain(keys.dedup_sort.iter().map(|d| &d.column));
    for key in named {
        if schema.column_json(root, key).is_none() {
            return Err(Error::invalid(format!(
                "key column `{key}` is not a column of table `{root}`"
            )));
        }
    }
    if staging.merge_strategy == MergeStrategy::Upsert {
        if keys.primary_key.is_empty() {
            return Err(Error::invalid(format!(
                "the upsert merge strategy needs a primary key on table `{root}` (it has only \
                 merge_key {})",
                keys.merge_key.join(", ")
            )));
        }
        if !keys.merge_key.is_empty() {
            return Err(Error::invalid(format!(
                "the upsert merge strategy does not support merge_key (table `{root}` has \
                 merge_key {}); use delete-insert",
                keys.merge_key.join(", ")
            )));
        }
    }
    Ok(Plan::Merge(keys))
}

/// Tables created on the destination: data tables and `_dlt_pipeline_state` (a normal table
/// there), with at least one complete column. `_dlt_loads` is written by the loader itself.
fn loadable_tables(schema: &Schema) -> Vec<String> {
    schema
        .table_names()
        .into_iter()
        .filter(|t| t != sql::LOADS_TABLE && t != "_dlt_version" && has_columns(schema, t))
        .collect()
}

fn has_columns(schema: &Schema, table: &str) -> bool {
    schema.columns(table).iter().any(|c| c.data_type.is_some())
}

/// The column of nested `table` holding its root row's `_dlt_id`: `_dlt_parent_id` for a child
/// of the root (always there), `_dlt_root_id` deeper (`None` if the table has none).
fn root_link(schema: &Schema, root: &str, table: &str) -> Option<String> {
    if schema.parent(table) == Some(root) {
        return Some("_dlt_parent_id".into());
    }
    schema
        .column_json(table, "_dlt_root_id")
        .map(|_| "_dlt_root_id".into())
}

/// Complete columns of a table, in schema order.
fn column_names(schema: &Schema, table: &str) -> Vec<String> {
    schema
        .columns(table)
        .into_iter()
        .filter(|c| c.data_type.is_some())
        .map(|c| c.name)
        .collect()
}

/// DDL for both datasets and the schema's `_dlt_version` row (one transaction), then the
/// staging tables of this load emptied.
fn prepare(ctx: &Context<'_>, d: &Dialect, schema: &Schema, chains: &[Chain]) -> Result<()> {
    let dest = ctx.destination;
    let main = ctx.target.dataset.as_str();
    let mut ddl = vec![
        sql::create_schema(main),
        sql::loads_table(d, main)?,
        sql::version_table(d, main)?,
    ];
    if !version_stored(dest, main, schema)? {
        let inserted_at = iso_utc(chrono::Utc::now());
        ddl.push(sql::insert_version(d, main, schema, &inserted_at)?);
    }
    for table in loadable_tables(schema) {
        ddl.extend(migrate(dest, d, schema, main, &table)?);
    }
    let staged: Vec<&String> = chains
        .iter()
        .filter(|c| c.plan.uses_staging())
        .flat_map(|c| &c.tables)
        .collect();
    if !staged.is_empty() {
        ddl.push(sql::create_schema(ctx.staging_dataset));
        for table in &staged {
            ddl.extend(migrate(dest, d, schema, ctx.staging_dataset, table)?);
        }
    }
    run_in_transaction(dest, &ddl).map_err(|e| e.while_doing("creating the destination tables"))?;
    for table in staged {
        dest.execute(&sql::delete_all(ctx.staging_dataset, table))?;
    }
    Ok(())
}

/// True if `_dlt_version` exists and holds the schema's version hash.
fn version_stored(dest: &dyn Destination, main: &str, schema: &Schema) -> Result<bool> {
    let existing = query_rows(dest, &sql::existing_columns(main, sql::VERSION_TABLE))?;
    if existing.is_empty() {
        return Ok(false);
    }
    let rows = query_rows(
        dest,
        &sql::count_version(main, schema.name(), schema.version_hash()),
    )?;
    Ok(rows
        .first()
        .and_then(|r| r.get("n"))
        .and_then(Value::as_i64)
        .is_some_and(|n| n > 0))
}

/// `CREATE TABLE` for a new table, `ADD COLUMN` for new columns of an existing one.
fn migrate(
    dest: &dyn Destination,
    d: &Dialect,
    schema: &Schema,
    dataset: &str,
    table: &str,
) -> Result<Vec<String>> {
    let existing: Vec<String> = query_rows(dest, &sql::existing_columns(dataset, table))?
        .iter()
        .filter_map(|r| {
            r.get("column_name")
                .and_then(Value::as_str)
                .map(String::from)
        })
        .collect();
    let columns = schema.columns(table);
    if existing.is_empty() {
        return Ok(vec![sql::create_table(d, dataset, table, &columns)?]);
    }
    let mut out = Vec::new();
    for column in columns.iter().filter(|c| !existing.contains(&c.name)) {
        out.extend(sql::add_column(d, dataset, table, column)?);
    }
    Ok(out)
}

fn run_in_transaction(dest: &dyn Destination, statements: &[String]) -> Result<()> {
    dest.execute("BEGIN")?;
    for statement in statements {
        if let Err(e) = dest.execute(statement) {
            let _ = dest.execute("ROLLBACK");
            return Err(e);
        }
    }
    dest.execute("COMMIT")
}

/// `query`'s JSON lines.
pub fn query_rows(dest: &dyn Destination, sql: &str) -> Result<Vec<Value>> {
    dest.query(sql)?
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            serde_json::from_str(l)
                .map_err(|e| Error::unexpected(format!("destination returned bad JSON: {e}")))
        })
        .collect()
}

fn already_loaded(dest: &dyn Destination, main: &str, load_id: &str) -> Result<bool> {
    let rows = query_rows(
        dest,
        &format!(
            "SELECT COUNT(*) AS n FROM {} WHERE \"load_id\" = {}",
            sql::qualified(main, sql::LOADS_TABLE),
            sql::literal(load_id)
        ),
    )?;
    Ok(rows
        .first()
        .and_then(|r| r.get("n"))
        .and_then(Value::as_i64)
        .is_some_and(|n| n > 0))
}

/// Copies the files of chains that load through the staging dataset into it.
fn copy_to_staging(
    ctx: &Context<'_>,
    schema: &Schema,
    chains: &[Chain],
    references: &[Reference],
) -> Result<u64> {
    let mut rows = 0;
    for chain in chains.iter().filter(|c| c.plan.uses_staging()) {
        rows += copy_chain(ctx, schema, chain, references, ctx.staging_dataset)?;
    }
    Ok(rows)
}

fn copy_chain(
    ctx: &Context<'_>,
    schema: &Schema,
    chain: &Chain,
    references: &[Reference],
    dataset: &str,
) -> Result<u64> {
    let mut rows = 0;
    for reference in references
        .iter()
        .filter(|r| chain.tables.contains(&r.job.table))
    {
        rows += copy_reference(ctx, schema, reference, dataset)?;
    }
    Ok(rows)
}

/// Opens the staged file through the staging backend and hands it to the destination.
fn copy_reference(
    ctx: &Context<'_>,
    schema: &Schema,
    reference: &Reference,
    dataset: &str,
) -> Result<u64> {
    let prefix = format!("{}/", ctx.bucket_url.trim_end_matches('/'));
    let key = reference.url.strip_prefix(&prefix).ok_or_else(|| {
        Error::invalid(format!(
            "reference {} is not in the staging bucket {}",
            reference.url, ctx.bucket_url
        ))
    })?;
    let reader = ctx
        .backend
        .open_reader(key)
        .map_err(|e| e.while_doing(format!("opening staged file {}", reference.url)))?;
    let table = &reference.job.table;
    let request = CopyRequest {
        dataset: dataset.to_string(),
        table: table.clone(),
        format: reference.extension.trim_end_matches(".gz").to_string(),
        extension: reference.extension.clone(),
        columns: schema
            .columns(table)
            .into_iter()
            .filter_map(|c| {
                c.data_type.map(|t| CopyColumn {
                    name: c.name,
                    data_type: t.name().to_string(),
                    nullable: c.nullable,
                })
            })
            .collect(),
        url: reference.url.clone(),
    };
    ctx.destination.copy_file(&request, reader)
}

/// Inside the transaction: every chain's disposition (rows copied straight into final tables).
fn apply_chains(
    ctx: &Context<'_>,
    schema: &Schema,
    chains: &[Chain],
    references: &[Reference],
) -> Result<u64> {
    let dest = ctx.destination;
    let main = ctx.target.dataset.as_str();
    let mut rows = 0;
    for chain in chains {
        match &chain.plan {
            Plan::Append => rows += copy_chain(ctx, schema, chain, references, main)?,
            Plan::TruncateAndInsert => {
                for table in &chain.tables {
                    dest.execute(&sql::delete_all(main, table))?;
                }
                rows += copy_chain(ctx, schema, chain, references, main)?;
            }
            Plan::InsertFromStaging => {
                for table in &chain.tables {
                    dest.execute(&sql::delete_all(main, table))?;
                    let columns = column_names(schema, table);
                    dest.execute(&sql::insert_from(
                        main,
                        ctx.staging_dataset,
                        table,
                        &columns,
                    ))?;
                }
            }
            Plan::Merge(key) => {
                let merge = MergeChain {
                    root: (chain.root.clone(), column_names(schema, &chain.root)),
                    nested: chain
                        .tables
                        .iter()
                        .filter(|t| **t != chain.root)
                        .filter_map(|t| {
                            let link = root_link(schema, &chain.root, t)?;
                            Some((t.clone(), column_names(schema, t), link))
                        })
                        .collect(),
                    primary_key: key.primary_key.clone(),
                    merge_key: key.merge_key.clone(),
                    dedup_sort: key
                        .dedup_sort
                        .as_ref()
                        .filter(|_| !key.primary_key.is_empty())
                        .map(|d| (d.column.clone(), d.descending)),
                };
                let statements = match ctx.staging.merge_strategy {
                    MergeStrategy::DeleteInsert => {
                        sql::merge_delete_insert(main, ctx.staging_dataset, &merge)
                    }
                    MergeStrategy::Upsert => sql::merge_upsert(main, ctx.staging_dataset, &merge),
                };
                for statement in statements {
                    dest.execute(&statement)?;
                }
            }
        }
    }
    Ok(rows)
}

/// Inside the transaction, after the chains: the `_dlt_pipeline_state` row (if the state
/// changed), then the `_dlt_loads` row.
fn record_load(
    ctx: &Context<'_>,
    d: &Dialect,
    schema: &Schema,
    package: &Package,
    state: Option<&StateRow>,
) -> Result<()> {
    let dest = ctx.destination;
    let main = ctx.target.dataset.as_str();
    if let Some(row) = state {
        dest.execute(&sql::insert_state(d, main, row)?)
            .map_err(|e| e.while_doing("recording the pipeline state"))?;
    }
    let inserted_at = iso_utc(chrono::Utc::now());
    dest.execute(&sql::insert_load(
        d,
        main,
        &package.load_id,
        schema.name(),
        &inserted_at,
        schema.version_hash(),
    )?)
}

/// The `_dlt_pipeline_state` row of the package's pipeline state, if the package carries one
/// (only when the state changed): dlt's values, the state encoded as in the filesystem state
/// file, `created_at` the package's creation (dlt's extract time), a new `_dlt_id`.
fn state_row(package: &Package) -> Result<Option<StateRow>> {
    let Some(state) = package_state(package)? else {
        return Ok(None);
    };
    Ok(Some(StateRow {
        version: state.version(),
        engine_version: crate::state::STATE_ENGINE_VERSION,
        pipeline_name: state
            .get_str("pipeline_name")
            .unwrap_or_default()
            .to_string(),
        state: state.encode()?,
        created_at: iso_utc(package_created_at(package)?),
        version_hash: state.version_hash().to_string(),
        load_id: package.load_id.clone(),
        row_id: crate::ids::new_row_id(),
    }))
}

/// Rows per table of a dataset (for summaries and tests).
pub fn count_rows(dest: &dyn Destination, dataset: &str, table: &str) -> Result<i64> {
    let rows = query_rows(
        dest,
        &format!(
            "SELECT COUNT(*) AS n FROM {}",
            sql::qualified(dataset, table)
        ),
    )?;
    Ok(rows
        .first()
        .and_then(|r| r.get("n"))
        .and_then(Value::as_i64)
        .unwrap_or(0))
}
