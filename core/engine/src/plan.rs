//! What loading a package will do to the bucket, computed before anything is written: the
//! `init` action, the schema version file, every object replace deletes, every data key, the
//! state file and the marker. The loader executes exactly this plan, and `stowage plan` prints
//! it (a dry run: the bucket is only read).
//!
//! Several pending packages are planned in order over a [`SimulatedBucket`], so the plan of the
//! second package sees what the first one writes and deletes.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, TimeZone, Utc};
use serde_json::{Value, json};
use stowage_plugin_sdk::{Backend, ErrorKind};

use crate::disposition::{merge_fallbacks, merge_warning, tables_to_truncate};
use crate::layout::{FileName, RenderContext};
use crate::loader::LoadTarget;
use crate::package::{JobFile, PLAN_FILE, Package, SCHEMA_FILE, STATE_FILE, TRUNCATED_FILE};
use crate::schema::Schema;
use crate::special_files::{INIT_LEGACY_MIGRATED, INIT_V2, marker_key, parse_init};
use crate::state::PipelineState;
use crate::{Error, Result, history, ids};

/// What a bucket holds, as far as planning needs it.
pub trait BucketView {
    /// Keys starting with `prefix`.
    fn list(&self, prefix: &str) -> Result<Vec<String>>;
    /// An object's bytes, `None` if it does not exist.
    fn read(&self, key: &str) -> Result<Option<Vec<u8>>>;
}

/// The live bucket (reads only).
#[derive(Clone, Copy)]
pub struct LiveBucket<'a>(pub &'a dyn Backend);

impl std::fmt::Debug for LiveBucket<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LiveBucket")
    }
}

impl BucketView for LiveBucket<'_> {
    fn list(&self, prefix: &str) -> Result<Vec<String>> {
        let lister = self
            .0
            .list(prefix)
            .map_err(|e| e.while_doing(format!("listing {prefix}")))?;
        let mut keys = Vec::new();
        for entry in lister {
            keys.push(
                entry
                    .map_err(|e| e.while_doing(format!("listing {prefix}")))?
                    .key,
            );
        }
        keys.sort();
        Ok(keys)
    }

    fn read(&self, key: &str) -> Result<Option<Vec<u8>>> {
        match stowage_plugin_sdk::io::read_object(self.0, key) {
            Ok(bytes) => Ok(Some(bytes)),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e.while_doing(format!("reading {key}"))),
        }
    }
}

/// A bucket with planned changes applied on top of another view.
pub struct SimulatedBucket<'a> {
    inner: &'a dyn BucketView,
    written: BTreeMap<String, Vec<u8>>,
    deleted: BTreeSet<String>,
}

impl std::fmt::Debug for SimulatedBucket<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimulatedBucket")
            .field("written", &self.written.len())
            .field("deleted", &self.deleted.len())
            .finish()
    }
}

impl<'a> SimulatedBucket<'a> {
    /// Starts from `inner` unchanged.
    pub fn new(inner: &'a dyn BucketView) -> Self {
        SimulatedBucket {
            inner,
            written: BTreeMap::new(),
            deleted: BTreeSet::new(),
        }
    }

    /// Applies a plan's writes and deletes.
    pub fn apply(&mut self, plan: &LoadPlan) {
        for key in plan.deletes.iter().map(|d| &d.key) {
            self.written.remove(key);
            self.deleted.insert(key.clone());
        }
        let mut put = |key: &str, bytes: &[u8]| {
            self.deleted.remove(key);
            self.written.insert(key.to_string(), bytes.to_vec());
        };
        match plan.init.action {
            InitAction::Create => put(&plan.init.key, INIT_V2.as_bytes()),
            InitAction::MigrateLegacy => put(&plan.init.key, INIT_LEGACY_MIGRATED.as_bytes()),
            InitAction::Keep => {}
        }
        for key in plan
            .uploads
            .iter()
            .map(|u| &u.key)
            .chain(&plan.schema_version)
            .chain(&plan.state_file)
            .chain([&plan.marker])
        {
            put(key, b"");
        }
    }
}

impl BucketView for SimulatedBucket<'_> {
    fn list(&self, prefix: &str) -> Result<Vec<String>> {
        let mut keys: BTreeSet<String> = self
            .inner
            .list(prefix)?
            .into_iter()
            .filter(|k| !self.deleted.contains(k))
            .collect();
        keys.extend(
            self.written
                .keys()
                .filter(|k| k.starts_with(prefix))
                .cloned(),
        );
        Ok(keys.into_iter().collect())
    }

    fn read(&self, key: &str) -> Result<Option<Vec<u8>>> {
        if self.deleted.contains(key) {
            return Ok(None);
        }
        match self.written.get(key) {
            Some(bytes) => Ok(Some(bytes.clone())),
            None => self.inner.read(key),
        }
    }
}

/// What happens to `<dataset>/init`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InitAction {
    /// Absent: written as storage version 2.
    Create,
    /// Empty (a dataset of dlt < 1.15): rewritten as `{"initial_version":1,…}`; `.gz`
    /// suffixes are dropped for good.
    MigrateLegacy,
    /// Present and current.
    Keep,
}

/// The `init` step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InitStep {
    /// `<dataset>/init`.
    pub key: String,
    /// What happens to it.
    pub action: InitAction,
}

/// One object replace deletes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedDelete {
    /// Its key.
    pub key: String,
    /// The replaced table it belongs to.
    pub table: String,
}

/// One data file to upload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedUpload {
    /// The job.
    pub job: JobFile,
    /// Its state folder now (`new_jobs`, `started_jobs`, `failed_jobs`).
    pub state: String,
    /// The object key.
    pub key: String,
    /// The size of the job file.
    pub bytes: u64,
}

/// Everything loading one package does, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadPlan {
    /// The load id.
    pub load_id: String,
    /// The dataset folder.
    pub dataset: String,
    /// The schema name (marker prefix).
    pub schema_name: String,
    /// The `init` step.
    pub init: InitStep,
    /// True for a legacy dataset (`.gz` suffixes dropped).
    pub legacy: bool,
    /// The schema version file, if its hash is new; the write time is `<time>` in the key.
    pub schema_version: Option<String>,
    /// Tables replace empties (empty if already done for this package).
    pub truncate: Vec<String>,
    /// True if replace already emptied the tables on an earlier attempt.
    pub truncated_before: bool,
    /// Objects replace deletes, sorted.
    pub deletes: Vec<PlannedDelete>,
    /// Data files still to upload, in job order.
    pub uploads: Vec<PlannedUpload>,
    /// Data files uploaded by an earlier attempt.
    pub completed: Vec<PlannedUpload>,
    /// The pipeline state file (if the state changed).
    pub state_file: Option<String>,
    /// The `_dlt_loads` marker: written last.
    pub marker: String,
    /// Warnings (merge falls back to append, unsafe layout separators).
    pub warnings: Vec<String>,
}

/// The write-time stand-in in a planned `_dlt_version` key.
pub const TIME_PLACEHOLDER: &str = "<time>";

/// The package's stored schema.
pub fn package_schema(package: &Package) -> Result<Schema> {
    let doc = package.read_json(SCHEMA_FILE)?.ok_or_else(|| {
        Error::not_found(format!("package {} has no {SCHEMA_FILE}", package.load_id))
    })?;
    Schema::from_json(doc)
        .map_err(|e| e.while_doing(format!("reading the schema of package {}", package.load_id)))
}

/// The pipeline state the package carries (only when it changed).
pub fn package_state(package: &Package) -> Result<Option<PipelineState>> {
    let Some(doc) = package.read_json(STATE_FILE)? else {
        return Ok(None);
    };
    doc.get("pipeline_state")
        .cloned()
        .map(PipelineState::from_json)
        .transpose()
}

/// When the package was created; a package without `created_at` uses its load id's moment.
pub fn package_created_at(package: &Package) -> Result<DateTime<Utc>> {
    if let Some(t) = package.created_at()? {
        return Ok(t);
    }
    let secs = ids::load_id_secs(&package.load_id).unwrap_or_default();
    Ok(Utc
        .timestamp_micros((secs * 1e6) as i64)
        .single()
        .unwrap_or_default())
}

/// Remote keys fixed for the package's jobs by an earlier attempt (`load_plan.json`).
pub fn fixed_keys(package: &Package) -> Result<BTreeMap<String, String>> {
    let Some(doc) = package.read_json(PLAN_FILE)? else {
        return Ok(BTreeMap::new());
    };
    Ok(doc
        .get("keys")
        .and_then(Value::as_object)
        .map(|keys| {
            keys.iter()
                .filter_map(|(job, key)| Some((job.clone(), key.as_str()?.to_string())))
                .collect()
        })
        .unwrap_or_default())
}

/// Fixes the remote keys of the plan's jobs in the package (idempotent uploads even with
/// time-dependent callbacks).
pub fn fix_keys(package: &Package, plan: &LoadPlan, layout: &str) -> Result<()> {
    if package.dir.join(PLAN_FILE).exists() {
        return Ok(());
    }
    let keys: serde_json::Map<String, Value> = plan
        .uploads
        .iter()
        .chain(&plan.completed)
        .map(|u| (u.job.job_id(), json!(u.key)))
        .collect();
    let doc = json!({"layout": layout, "keys": keys});
    package.write_file(PLAN_FILE, doc.to_string().as_bytes())
}

/// The tables replace already emptied for this package, if it did.
pub fn truncated_tables(package: &Package) -> Result<Option<Vec<String>>> {
    Ok(package.read_json(TRUNCATED_FILE)?.map(|doc| {
        doc.as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default()
    }))
}

/// Plans one package against `bucket`.
pub fn plan_package(
    bucket: &dyn BucketView,
    target: &LoadTarget,
    package: &Package,
) -> Result<LoadPlan> {
    let schema = package_schema(package)?;
    let schema_name = schema.name().to_string();
    let dataset = target.dataset.as_str();
    let init = plan_init(bucket, dataset)?;
    let legacy = match init.action {
        InitAction::MigrateLegacy => true,
        InitAction::Create => false,
        InitAction::Keep => {
            let bytes = bucket.read(&init.key)?.unwrap_or_default();
            parse_init(&bytes)
                .map_err(|e| e.with_context("key", init.key.clone()))?
                .is_legacy()
        }
    };
    let version_keys = bucket.list(&format!("{dataset}/{}/", history::VERSION_FOLDER))?;
    let schema_version = (!history::schema_version_listed(&version_keys, &schema))
        .then(|| history::schema_version_key(dataset, &schema, TIME_PLACEHOLDER));
    let (uploads, completed) = plan_jobs(target, package, &schema_name, legacy)?;
    let mut tables_with_jobs: Vec<String> = Vec::new();
    for upload in uploads.iter().chain(&completed) {
        if !tables_with_jobs.contains(&upload.job.table) {
            tables_with_jobs.push(upload.job.table.clone());
        }
    }
    let truncated_before = truncated_tables(package)?.is_some();
    let truncate = match truncated_before {
        true => Vec::new(),
        false => tables_to_truncate(&schema, &tables_with_jobs),
    };
    let own_keys: BTreeSet<&str> = uploads
        .iter()
        .chain(&completed)
        .map(|u| u.key.as_str())
        .collect();
    let (deletes, kept) = plan_deletes(bucket, target, &schema, &truncate, &own_keys)?;
    let state_file = package_state(package)?
        .map(|state| history::state_key(dataset, &state, &package.load_id, schema.version_hash()));
    let mut warnings: Vec<String> = merge_fallbacks(&schema, &tables_with_jobs)
        .iter()
        .map(|t| merge_warning(t))
        .collect();
    if target.warn_unsafe_separators && !target.layout.unsafe_separators().is_empty() {
        warnings.push(unsafe_layout_warning(target));
    }
    warnings.extend(kept_warnings(&kept));
    Ok(LoadPlan {
        load_id: package.load_id.clone(),
        dataset: dataset.to_string(),
        marker: marker_key(dataset, &schema_name, &package.load_id),
        schema_name,
        init,
        legacy,
        schema_version,
        truncate,
        truncated_before,
        deletes,
        uploads,
        completed,
        state_file,
        warnings,
    })
}

/// Plans packages in order, each seeing what the ones before it do.
pub fn plan_packages(
    bucket: &dyn BucketView,
    target: &LoadTarget,
    packages: &[Package],
) -> Result<Vec<LoadPlan>> {
    let mut simulated = SimulatedBucket::new(bucket);
    let mut plans = Vec::new();
    for package in packages {
        let plan = plan_package(&simulated, target, package)
            .map_err(|e| e.while_doing(format!("planning load {}", package.load_id)))?;
        simulated.apply(&plan);
        plans.push(plan);
    }
    Ok(plans)
}

fn plan_init(bucket: &dyn BucketView, dataset: &str) -> Result<InitStep> {
    let key = format!("{dataset}/init");
    let action = match bucket.read(&key)? {
        None => InitAction::Create,
        Some(bytes) if bytes.iter().all(u8::is_ascii_whitespace) => InitAction::MigrateLegacy,
        Some(_) => InitAction::Keep,
    };
    Ok(InitStep { key, action })
}

/// Uploads still to do and those done before, in job order.
fn plan_jobs(
    target: &LoadTarget,
    package: &Package,
    schema_name: &str,
    legacy: bool,
) -> Result<(Vec<PlannedUpload>, Vec<PlannedUpload>)> {
    let fixed = fixed_keys(package)?;
    let ctx = RenderContext::new(schema_name, &package.load_id, package_created_at(package)?);
    let key_of = |job: &JobFile| match fixed.get(&job.job_id()) {
        Some(key) => key.clone(),
        None => {
            let file = FileName::new(&job.table, &job.file_id, &job.ext);
            let mut rel = target.layout.render(&file, &ctx);
            if legacy && rel.ends_with(".gz") {
                rel.truncate(rel.len() - 3);
            }
            format!("{}/{rel}", target.dataset)
        }
    };
    let mut pending = Vec::new();
    let mut done = Vec::new();
    for state in ["new_jobs", "started_jobs", "failed_jobs", "completed_jobs"] {
        for job in package.jobs(state)? {
            let bytes = std::fs::metadata(package.job_path(state, &job)).map_or(0, |m| m.len());
            let upload = PlannedUpload {
                key: key_of(&job),
                state: state.to_string(),
                job,
                bytes,
            };
            match state {
                "completed_jobs" => done.push(upload),
                _ => pending.push(upload),
            }
        }
    }
    pending.sort_by_key(|u| u.job.job_id());
    Ok((pending, done))
}

/// The objects replace deletes, and the objects under a replaced table's prefix that it keeps
/// because they are not the table's files (dlt would delete them).
fn plan_deletes(
    bucket: &dyn BucketView,
    target: &LoadTarget,
    schema: &Schema,
    truncate: &[String],
    own_keys: &BTreeSet<&str>,
) -> Result<(Vec<PlannedDelete>, Vec<PlannedDelete>)> {
    let known = schema.data_tables();
    let dataset_prefix = format!("{}/", target.dataset);
    let mut deletes: BTreeMap<String, String> = BTreeMap::new();
    let mut kept = Vec::new();
    for table in truncate {
        let prefix = format!(
            "{dataset_prefix}{}",
            target.layout.table_prefix(table, schema.name())
        );
        for key in bucket.list(&prefix)? {
            let rel = &key[dataset_prefix.len()..];
            if own_keys.contains(key.as_str()) || rel.rsplit('/').next() == Some("init") {
                continue;
            }
            match target.layout.owns(rel, table, schema.name(), &known) {
                true => {
                    deletes.entry(key).or_insert_with(|| table.clone());
                }
                false => kept.push(PlannedDelete {
                    key,
                    table: table.clone(),
                }),
            }
        }
    }
    kept.retain(|k| !deletes.contains_key(&k.key));
    let deletes = deletes
        .into_iter()
        .map(|(key, table)| PlannedDelete { key, table })
        .collect();
    Ok((deletes, kept))
}

fn kept_warnings(kept: &[PlannedDelete]) -> Vec<String> {
    let mut tables: Vec<&str> = kept.iter().map(|k| k.table.as_str()).collect();
    tables.dedup();
    tables
        .into_iter()
        .map(|table| {
            let keys: Vec<&str> = kept
                .iter()
                .filter(|k| k.table == table)
                .map(|k| k.key.as_str())
                .collect();
            format!(
                "replace of `{table}` keeps {} object(s) under its prefix that are not its files \
                 (another table's, or not named by this layout; dlt would delete them), e.g. {}",
                keys.len(),
                keys[0]
            )
        })
        .collect()
}

fn unsafe_layout_warning(target: &LoadTarget) -> String {
    let seps: Vec<String> = target
        .layout
        .unsafe_separators()
        .iter()
        .map(|s| format!("{s:?}"))
        .collect();
    format!(
        "layout `{}` separates {{table_name}} with {}, which table names may also contain, so \
         one table's prefix also selects another's files (dlt's replace deletes them); Stowage \
         deletes only files whose names fit this layout for the replaced table. Set \
         warn_unsafe_layout_separators = false to silence this",
        target.layout.source(),
        seps.join(", ")
    )
}
