//! The schema and state history dlt keeps on the bucket (spec §3.4, §3.5):
//! `_dlt_version/{schema}__{time}__{hex}.jsonl` (written before data when the schema hash is
//! new) and `_dlt_pipeline_state/{pipeline}__{load_id}__{hex}.jsonl` (written after data when the
//! state changed, with `max_state_files` cleanup), and reading the newest of each back.

use chrono::Utc;
use serde_json::{Value, json};
use stowage_plugin_sdk::Backend;
use stowage_plugin_sdk::io::{read_object, write_object};

use crate::schema::{Schema, hash_hex};
use crate::special_files::iso_utc;
use crate::state::PipelineState;
use crate::{Error, Result, ids};

/// Folder of schema versions.
pub const VERSION_FOLDER: &str = "_dlt_version";
/// Folder of pipeline states.
pub const STATE_FOLDER: &str = "_dlt_pipeline_state";
/// dlt's default `max_state_files`.
pub const DEFAULT_MAX_STATE_FILES: i64 = 100;

/// One parsed `{name}__{middle}__{hex}.jsonl` file name (split from the right, since pipeline
/// names may contain `__`).
#[derive(Debug, Clone, PartialEq, Eq)]
struct HistoryFile {
    key: String,
    name: String,
    middle: String,
    hex: String,
}

fn parse_history_key(key: &str) -> Option<HistoryFile> {
    let file = key.rsplit('/').next()?.strip_suffix(".jsonl")?;
    let mut parts = file.rsplitn(3, "__");
    let hex = parts.next()?.to_string();
    let middle = parts.next()?.to_string();
    let name = parts.next()?.to_string();
    Some(HistoryFile {
        key: key.to_string(),
        name,
        middle,
        hex,
    })
}

fn list_history(backend: &dyn Backend, dataset: &str, folder: &str) -> Result<Vec<HistoryFile>> {
    let prefix = format!("{dataset}/{folder}/");
    let lister = backend
        .list(&prefix)
        .map_err(|e| e.while_doing(format!("listing {prefix}")))?;
    let mut files = Vec::new();
    for entry in lister {
        let entry = entry.map_err(|e| e.while_doing(format!("listing {prefix}")))?;
        if let Some(file) = parse_history_key(&entry.key) {
            files.push(file);
        }
    }
    Ok(files)
}

/// Writes the schema to `_dlt_version/` unless a file with its hash exists; returns the key
/// written, if any.
pub fn store_schema_version(
    backend: &dyn Backend,
    dataset: &str,
    schema: &Schema,
) -> Result<Option<String>> {
    let hex = hash_hex(schema.version_hash());
    let exists = list_history(backend, dataset, VERSION_FOLDER)?
        .iter()
        .any(|f| f.name == schema.name() && f.hex == hex);
    if exists {
        return Ok(None);
    }
    let now = Utc::now();
    let time = ids::load_id_from_secs(now.timestamp_micros() as f64 / 1e6);
    let key = format!(
        "{dataset}/{VERSION_FOLDER}/{}__{time}__{hex}.jsonl",
        schema.name()
    );
    let doc = json!({
        "version_hash": schema.version_hash(),
        "schema_name": schema.name(),
        "version": schema.version(),
        "engine_version": crate::schema::ENGINE_VERSION,
        "inserted_at": iso_utc(now),
        "schema": schema.to_json().to_string(),
    });
    write_object(backend, &key, doc.to_string().as_bytes())
        .map_err(|e| e.while_doing(format!("writing {key}")))?;
    Ok(Some(key))
}

/// The newest stored schema called `schema_name` (by the time part, as dlt picks it).
pub fn newest_schema(
    backend: &dyn Backend,
    dataset: &str,
    schema_name: &str,
) -> Result<Option<Schema>> {
    let newest = list_history(backend, dataset, VERSION_FOLDER)?
        .into_iter()
        .filter(|f| f.name == schema_name)
        .max_by(|a, b| a.middle.cmp(&b.middle));
    let Some(file) = newest else {
        return Ok(None);
    };
    let doc = read_json(backend, &file.key)?;
    let text = doc["schema"]
        .as_str()
        .ok_or_else(|| Error::invalid(format!("{}: no `schema` field", file.key)))?;
    let value: Value = serde_json::from_str(text)
        .map_err(|e| Error::invalid(format!("{}: schema is not JSON: {e}", file.key)))?;
    Schema::from_json(value)
        .map(Some)
        .map_err(|e| e.while_doing(format!("reading {}", file.key)))
}

/// The key of the state file of a load (what [`store_state`] writes).
pub fn state_key(dataset: &str, state: &PipelineState, load_id: &str, schema_hash: &str) -> String {
    let pipeline = state.get_str("pipeline_name").unwrap_or_default();
    format!(
        "{dataset}/{STATE_FOLDER}/{pipeline}__{load_id}__{}.jsonl",
        hash_hex(schema_hash)
    )
}

/// The key [`store_schema_version`] would write, with `time` for the write time.
pub fn schema_version_key(dataset: &str, schema: &Schema, time: &str) -> String {
    format!(
        "{dataset}/{VERSION_FOLDER}/{}__{time}__{}.jsonl",
        schema.name(),
        hash_hex(schema.version_hash())
    )
}

/// True if `keys` (a listing of `_dlt_version/`) hold a version of `schema` with its hash.
pub fn schema_version_listed(keys: &[String], schema: &Schema) -> bool {
    let hex = hash_hex(schema.version_hash());
    keys.iter()
        .filter_map(|k| parse_history_key(k))
        .any(|f| f.name == schema.name() && f.hex == hex)
}

/// Writes `_dlt_pipeline_state/{pipeline}__{load_id}__{hex}.jsonl` and applies
/// `max_state_files` (≤ 0 keeps everything). Returns the key.
pub fn store_state(
    backend: &dyn Backend,
    dataset: &str,
    state: &PipelineState,
    load_id: &str,
    schema_hash: &str,
    max_state_files: i64,
) -> Result<String> {
    let pipeline = state
        .get_str("pipeline_name")
        .unwrap_or_default()
        .to_string();
    let key = state_key(dataset, state, load_id, schema_hash);
    let doc = json!({
        "version": state.version(),
        "engine_version": crate::state::STATE_ENGINE_VERSION,
        "pipeline_name": pipeline,
        "state": state.encode()?,
        "created_at": iso_utc(Utc::now()),
        "version_hash": state.version_hash(),
        "_dlt_load_id": load_id,
    });
    write_object(backend, &key, doc.to_string().as_bytes())
        .map_err(|e| e.while_doing(format!("writing {key}")))?;
    if max_state_files >= 1 {
        cleanup_states(backend, dataset, &pipeline, max_state_files as usize)?;
    }
    Ok(key)
}

/// Deletes all but the `keep` newest state files of `pipeline` (by `float(load_id)`).
fn cleanup_states(backend: &dyn Backend, dataset: &str, pipeline: &str, keep: usize) -> Result<()> {
    let mut files: Vec<HistoryFile> = list_history(backend, dataset, STATE_FOLDER)?
        .into_iter()
        .filter(|f| f.name == pipeline)
        .collect();
    if files.len() <= keep {
        return Ok(());
    }
    let secs = |f: &HistoryFile| ids::load_id_secs(&f.middle).unwrap_or(0.0);
    files.sort_by(|a, b| secs(b).total_cmp(&secs(a)));
    for old in &files[keep..] {
        backend
            .delete(&old.key)
            .map_err(|e| e.while_doing(format!("deleting old state file {}", old.key)))?;
    }
    Ok(())
}

/// The newest state of `pipeline` on the bucket (load id compared as a string, as dlt does).
pub fn newest_state(
    backend: &dyn Backend,
    dataset: &str,
    pipeline: &str,
) -> Result<Option<PipelineState>> {
    let newest = list_history(backend, dataset, STATE_FOLDER)?
        .into_iter()
        .filter(|f| f.name == pipeline)
        .max_by(|a, b| a.middle.cmp(&b.middle));
    let Some(file) = newest else {
        return Ok(None);
    };
    let doc = read_json(backend, &file.key)?;
    let encoded = doc["state"]
        .as_str()
        .ok_or_else(|| Error::invalid(format!("{}: no `state` field", file.key)))?;
    PipelineState::decode(encoded)
        .map(Some)
        .map_err(|e| e.while_doing(format!("reading {}", file.key)))
}

fn read_json(backend: &dyn Backend, key: &str) -> Result<Value> {
    let bytes = read_object(backend, key).map_err(|e| e.while_doing(format!("reading {key}")))?;
    serde_json::from_slice(&bytes).map_err(|e| Error::invalid(format!("{key}: not JSON: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn history_names_split_from_the_right() {
        let f = parse_history_key("ds/_dlt_pipeline_state/my__pipe__1.5__abcd.jsonl").unwrap();
        assert_eq!(
            (f.name.as_str(), f.middle.as_str(), f.hex.as_str()),
            ("my__pipe", "1.5", "abcd")
        );
        assert!(parse_history_key("ds/_dlt_version/init").is_none());
    }
}
