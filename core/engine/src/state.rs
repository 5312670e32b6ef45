//! The pipeline state document (spec §3.4): what dlt keeps in `state.json` in the pipeline's
//! working dir and uploads, compressed, to `_dlt_pipeline_state/` when it changes.

use std::io::{Read, Write};

use base64::Engine;
use flate2::Compression;
use flate2::read::ZlibDecoder;
use flate2::write::ZlibEncoder;
use serde_json::{Map, Value, json};
use sha3::{Digest, Sha3_256};

use crate::schema::sorted_json;
use crate::{Error, Result};

/// dlt's state engine version.
pub const STATE_ENGINE_VERSION: u64 = 4;
/// `destination_type` of the filesystem destination.
pub const FILESYSTEM_DESTINATION: &str = "dlt.destinations.filesystem";
/// Keys not covered by the state hash.
const NOT_HASHED: [&str; 4] = [
    "_local",
    "_state_version",
    "_state_engine_version",
    "_version_hash",
];

/// A pipeline state document (keys in dlt's order).
#[derive(Debug, Clone, PartialEq)]
pub struct PipelineState {
    doc: Map<String, Value>,
}

impl PipelineState {
    /// The state of a pipeline loading `dataset` with schema `schema` into a filesystem bucket.
    pub fn new(pipeline: &str, dataset: &str, schema: &str) -> PipelineState {
        let mut doc = Map::new();
        doc.insert("_state_version".into(), json!(0));
        doc.insert("_state_engine_version".into(), json!(STATE_ENGINE_VERSION));
        doc.insert("default_schema_name".into(), json!(schema));
        doc.insert("pipeline_name".into(), json!(pipeline));
        doc.insert("schema_names".into(), json!([schema]));
        doc.insert("dataset_name".into(), json!(dataset));
        doc.insert("destination_type".into(), json!(FILESYSTEM_DESTINATION));
        doc.insert("destination_name".into(), Value::Null);
        doc.insert("_version_hash".into(), json!(""));
        PipelineState { doc }
    }

    /// A state from its JSON (`state.json`, or a decoded state file).
    pub fn from_json(value: Value) -> Result<PipelineState> {
        match value {
            Value::Object(doc) => Ok(PipelineState { doc }),
            _ => Err(Error::invalid("a pipeline state must be a JSON object")),
        }
    }

    /// The JSON document (with `_local` if present).
    pub fn to_json(&self) -> Value {
        Value::Object(self.doc.clone())
    }

    /// `_state_version`.
    pub fn version(&self) -> u64 {
        self.doc
            .get("_state_version")
            .and_then(Value::as_u64)
            .unwrap_or(0)
    }

    /// `_version_hash` as stored.
    pub fn version_hash(&self) -> &str {
        self.doc
            .get("_version_hash")
            .and_then(Value::as_str)
            .unwrap_or_default()
    }

    /// A string field (`dataset_name`, `default_schema_name`, …).
    pub fn get_str(&self, key: &str) -> Option<&str> {
        self.doc.get(key).and_then(Value::as_str)
    }

    /// Sets a field (not the bookkeeping ones).
    pub fn set(&mut self, key: &str, value: Value) {
        self.doc.insert(key.into(), value);
    }

    /// Records the destination (and staging) the pipeline loads to, as dlt does: `destination_type`
    /// (`dlt.destinations.<name>`), and `staging_type`/`staging_name` only with a staging bucket.
    pub fn set_destinations(&mut self, destination: &str, staging: Option<&str>) {
        self.set(
            "destination_type",
            json!(format!("dlt.destinations.{destination}")),
        );
        match staging {
            Some(staging) => {
                self.set("staging_type", json!(format!("dlt.destinations.{staging}")));
                self.doc.entry("staging_name").or_insert(Value::Null);
            }
            None => {
                self.doc.shift_remove("staging_type");
                self.doc.shift_remove("staging_name");
            }
        }
    }

    /// Adds `schema` to `schema_names` (and makes it the default if there is none).
    pub fn add_schema(&mut self, schema: &str) {
        let names = self.doc.entry("schema_names").or_insert_with(|| json!([]));
        if let Some(list) = names.as_array_mut()
            && !list.iter().any(|n| n == schema)
        {
            list.push(json!(schema));
        }
        if self.get_str("default_schema_name").is_none() {
            self.set("default_schema_name", json!(schema));
        }
    }

    /// base64(sha3_256(sorted-key JSON of the state without `_local` and the version keys)).
    pub fn compute_hash(&self) -> String {
        let mut doc = self.doc.clone();
        for key in NOT_HASHED {
            doc.shift_remove(key);
        }
        let digest = Sha3_256::digest(sorted_json(&Value::Object(doc)).as_bytes());
        base64::engine::general_purpose::STANDARD.encode(digest)
    }

    /// Bumps `_state_version` and `_version_hash` if the content changed; true if it did.
    pub fn bump_version(&mut self) -> bool {
        let hash = self.compute_hash();
        if hash == self.version_hash() {
            return false;
        }
        let version = self.version() + 1;
        self.doc.insert("_state_version".into(), json!(version));
        self.doc.insert("_version_hash".into(), json!(hash));
        true
    }

    /// The state without `_local` (what goes to the bucket).
    pub fn without_local(&self) -> Value {
        let mut doc = self.doc.clone();
        doc.shift_remove("_local");
        Value::Object(doc)
    }

    /// base64(zlib level 9(compact JSON of the state without `_local`)).
    pub fn encode(&self) -> Result<String> {
        let mut encoder = ZlibEncoder::new(Vec::new(), Compression::best());
        encoder
            .write_all(self.without_local().to_string().as_bytes())
            .and_then(|_| encoder.finish())
            .map(|bytes| base64::engine::general_purpose::STANDARD.encode(bytes))
            .map_err(|e| Error::from_io(&e, "compressing the pipeline state"))
    }

    /// Decodes the `state` field of a state file.
    pub fn decode(encoded: &str) -> Result<PipelineState> {
        let compressed = base64::engine::general_purpose::STANDARD
            .decode(encoded.trim())
            .map_err(|e| Error::invalid(format!("pipeline state is not base64: {e}")))?;
        let mut text = String::new();
        ZlibDecoder::new(&compressed[..])
            .read_to_string(&mut text)
            .map_err(|e| Error::invalid(format!("pipeline state is not zlib data: {e}")))?;
        let value: Value = serde_json::from_str(&text)
            .map_err(|e| Error::invalid(format!("pipeline state is not JSON: {e}")))?;
        PipelineState::from_json(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PROBE_FILE: &str = include_str!("../tests/fixtures/dlt131/pipeline_state_probe.jsonl");

    #[test]
    fn decodes_dlt_state_and_matches_its_hash() {
        let file: Value = serde_json::from_str(PROBE_FILE).unwrap();
        let state = PipelineState::decode(file["state"].as_str().unwrap()).unwrap();
        assert_eq!(state.get_str("pipeline_name"), Some("probe"));
        assert_eq!(state.compute_hash(), file["version_hash"].as_str().unwrap());
        let ours = {
            let mut s = PipelineState::new("probe", "ds", "probe");
            s.bump_version();
            s
        };
        assert_eq!(ours.version_hash(), state.version_hash());
        assert_eq!(ours.version(), 1);
        let round = PipelineState::decode(&ours.encode().unwrap()).unwrap();
        assert_eq!(round.without_local(), ours.without_local());
    }
}
