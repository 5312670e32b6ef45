//! dlt's bookkeeping files on the bucket: `<dataset>/init` (storage version) and the
//! `_dlt_loads/{schema}__{load_id}.jsonl` completion marker (spec §3.2, §3.3). Compact JSON,
//! fixed key order, no trailing newline.

use chrono::{DateTime, Timelike, Utc};
use stowage_plugin_sdk::io::{read_object as get, write_object as put};
use stowage_plugin_sdk::{Backend, ErrorKind};

use crate::{Error, Result};

/// The storage version written by dlt ≥ 1.15 (and by us).
pub const INIT_V2: &str = r#"{"initial_version":2,"current_version":2}"#;
/// What an empty (pre-1.15) `init` is migrated to.
pub const INIT_LEGACY_MIGRATED: &str = r#"{"initial_version":1,"current_version":2}"#;

/// The dataset's storage version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StorageVersion {
    /// Version the dataset was created with (1 = pre-1.15: no `.gz` suffix, ever).
    pub initial: u8,
    /// Current version.
    pub current: u8,
}

impl StorageVersion {
    /// True for datasets started before dlt 1.15: gzip content keeps names without `.gz`.
    pub fn is_legacy(&self) -> bool {
        self.initial == 1
    }
}

/// Reads `init`, creating or migrating it as dlt does at the start of every load.
pub fn ensure_init(backend: &dyn Backend, dataset: &str) -> Result<StorageVersion> {
    let key = format!("{dataset}/init");
    let bytes = match get(backend, &key) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == ErrorKind::NotFound => {
            put(backend, &key, INIT_V2.as_bytes())?;
            return Ok(StorageVersion {
                initial: 2,
                current: 2,
            });
        }
        Err(e) => return Err(e.while_doing(format!("reading {key}"))),
    };
    if bytes.iter().all(u8::is_ascii_whitespace) {
        put(backend, &key, INIT_LEGACY_MIGRATED.as_bytes())?;
        return Ok(StorageVersion {
            initial: 1,
            current: 2,
        });
    }
    parse_init(&bytes).map_err(|e| e.with_context("key", key))
}

/// Parses an `init` document (both keys required, values in {1, 2}).
pub fn parse_init(bytes: &[u8]) -> Result<StorageVersion> {
    let doc: serde_json::Value = serde_json::from_slice(bytes)
        .map_err(|e| Error::invalid(format!("init is not JSON: {e}")))?;
    let field = |k: &str| -> Result<u8> {
        let v = doc
            .get(k)
            .and_then(|v| v.as_u64())
            .ok_or_else(|| Error::invalid(format!("init lacks `{k}`")))?;
        match v {
            1 | 2 => Ok(v as u8),
            _ => Err(Error::unsupported(format!(
                "init `{k}` = {v}: unsupported storage version (this Stowage reads 1 and 2)"
            ))),
        }
    };
    Ok(StorageVersion {
        initial: field("initial_version")?,
        current: field("current_version")?,
    })
}

/// Python `datetime.isoformat()` of a UTC moment (microseconds only when non-zero).
pub fn iso_utc(t: DateTime<Utc>) -> String {
    if t.nanosecond() / 1000 == 0 {
        t.format("%Y-%m-%dT%H:%M:%S+00:00").to_string()
    } else {
        t.format("%Y-%m-%dT%H:%M:%S%.6f+00:00").to_string()
    }
}

/// The marker's key.
pub fn marker_key(dataset: &str, schema_name: &str, load_id: &str) -> String {
    format!("{dataset}/_dlt_loads/{schema_name}__{load_id}.jsonl")
}

/// The marker's content.
pub fn marker_json(
    load_id: &str,
    schema_name: &str,
    inserted_at: DateTime<Utc>,
    schema_hash: &str,
) -> String {
    let s = |v: &str| serde_json::Value::String(v.into()).to_string();
    format!(
        "{{\"load_id\":{},\"schema_name\":{},\"status\":0,\"inserted_at\":{},\"schema_version_hash\":{}}}",
        s(load_id),
        s(schema_name),
        s(&iso_utc(inserted_at)),
        s(schema_hash)
    )
}

/// Writes the completion marker: the last object of a load.
pub fn write_marker(
    backend: &dyn Backend,
    dataset: &str,
    schema_name: &str,
    load_id: &str,
    schema_hash: &str,
) -> Result<String> {
    let key = marker_key(dataset, schema_name, load_id);
    put(
        backend,
        &key,
        marker_json(load_id, schema_name, Utc::now(), schema_hash).as_bytes(),
    )?;
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn marker_matches_dlt_bytes() {
        let t = Utc.with_ymd_and_hms(2026, 11, 22, 1, 26, 13).unwrap()
            + chrono::Duration::microseconds(327_227);
        let got = marker_json(
            "1795310773.1276467",
            "p_jsonl",
            t,
            "dQUqEipejL9JcZk0/8nNwBnEHNjiqYHtzXAyWjhPmZU=",
        );
        assert_eq!(
            got,
            r#"{"load_id":"1795310773.1276467","schema_name":"p_jsonl","status":0,"inserted_at":"2026-11-22T01:26:13.327227+00:00","schema_version_hash":"dQUqEipejL9JcZk0/8nNwBnEHNjiqYHtzXAyWjhPmZU="}"#
        );
        let whole = Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).unwrap();
        assert_eq!(iso_utc(whole), "2026-01-02T03:04:05+00:00");
    }

    #[test]
    fn init_rules() {
        assert_eq!(
            parse_init(INIT_V2.as_bytes()).unwrap(),
            StorageVersion {
                initial: 2,
                current: 2
            }
        );
        assert!(parse_init(br#"{"initial_version":2}"#).is_err());
        assert!(parse_init(br#"{"initial_version":3,"current_version":3}"#).is_err());
        assert!(
            parse_init(INIT_LEGACY_MIGRATED.as_bytes())
                .unwrap()
                .is_legacy()
        );
    }
}
