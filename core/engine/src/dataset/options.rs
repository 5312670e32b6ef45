//! Where a dataset is: bucket URL, dataset name, backend settings, layout, schema name — given
//! directly or taken from a pipeline's settings and working dir (as `stowage info` finds it).

use stowage_plugin_sdk::Options;

use crate::Result;
use crate::layout::{DEFAULT_LAYOUT, LayoutSettings};
use crate::pipeline::{RunOptions, resolve_names};
use crate::state::PipelineState;

/// How to open a [`super::Dataset`].
#[derive(Debug, Clone)]
pub struct DatasetOptions {
    /// The bucket URL (a local path, `file://`, `s3://`, …).
    pub bucket_url: String,
    /// The dataset (folder below the bucket URL).
    pub dataset: String,
    /// Backend settings (dlt's credential names, `kwargs.*`, `client_kwargs.*`).
    pub backend_options: Options,
    /// The layout the files were written with (default: dlt's).
    pub layout: LayoutSettings,
    /// The schema to read (default: the only one stored in `_dlt_version/`).
    pub schema_name: Option<String>,
    /// Show files of loads without a completion marker too.
    pub include_uncommitted: bool,
}

impl DatasetOptions {
    /// The dataset `dataset` at `bucket_url` with default settings.
    pub fn new(bucket_url: impl Into<String>, dataset: impl Into<String>) -> DatasetOptions {
        DatasetOptions {
            bucket_url: bucket_url.into(),
            dataset: dataset.into(),
            backend_options: Options::default(),
            layout: LayoutSettings::default(),
            schema_name: None,
            include_uncommitted: false,
        }
    }

    /// The dataset a pipeline loads into: bucket, backend options and layout from `options`;
    /// the dataset from `options.dataset`, else the pipeline's local state, else
    /// `<pipeline>_dataset`; the schema from the local state, else the pipeline name.
    pub fn for_pipeline(options: &RunOptions) -> Result<DatasetOptions> {
        let names = resolve_names(options)?;
        let state = local_state(&names.workdir);
        let dataset = match (&options.dataset, &state) {
            (None, Some(state)) => state
                .get_str("dataset_name")
                .map_or(names.dataset.clone(), str::to_string),
            _ => names.dataset,
        };
        let schema_name = state
            .as_ref()
            .and_then(|s| s.get_str("default_schema_name"))
            .map_or(names.schema_name, str::to_string);
        let mut layout = options.layout.clone();
        if layout.layout == DEFAULT_LAYOUT
            && let Some(used) = last_used_layout(&names.workdir)
        {
            layout.layout = used;
        }
        Ok(DatasetOptions {
            bucket_url: names.bucket_url,
            dataset,
            backend_options: options.backend_options.clone(),
            layout,
            schema_name: Some(schema_name),
            include_uncommitted: false,
        })
    }
}

/// The layout of the newest loaded package (`load_plan.json`), when no layout is configured
/// (so `stowage run --layout …` needs no second `--layout` to be read back).
fn last_used_layout(workdir: &std::path::Path) -> Option<String> {
    let loaded = std::fs::read_dir(workdir.join("load").join("loaded")).ok()?;
    let newest = loaded
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let id = e.file_name().into_string().ok()?;
            Some((crate::ids::load_id_secs(&id)?, e.path()))
        })
        .max_by(|a, b| a.0.total_cmp(&b.0))?;
    let bytes = std::fs::read(newest.1.join("load_plan.json")).ok()?;
    let plan: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    plan.get("layout")?.as_str().map(str::to_string)
}

/// The pipeline state in the working dir, if there is a readable one.
fn local_state(workdir: &std::path::Path) -> Option<PipelineState> {
    let bytes = std::fs::read(workdir.join("state.json")).ok()?;
    let value = serde_json::from_slice(&bytes).ok()?;
    PipelineState::from_json(value).ok()
}
