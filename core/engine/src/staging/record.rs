//! `staging.json`, written into a staged package when it is normalized: the destination it is
//! loaded into, the loader file format, the write disposition, the merge keys and the
//! strategies. A package finished later (`stowage load`, or the next run) is loaded the same
//! way, whatever the flags of that later command.

use serde_json::{Value, json};

use crate::package::Package;
use crate::staging::keys::{DedupSort, MergeKeys};
use crate::staging::{MergeStrategy, ReplaceStrategy, StagingOptions};
use crate::{Error, Result};

/// The staging package file.
pub const STAGING_FILE: &str = "staging.json";

/// How one staged package is loaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackageRecord {
    /// The destination plugin (`duckdb`, `postgres`).
    pub destination: String,
    /// The loader file format of the staged files.
    pub format: String,
    /// The run's write disposition.
    pub write_disposition: String,
    /// The run's merge keys (also stored as hints in the package schema).
    pub keys: MergeKeys,
    /// The replace strategy.
    pub replace_strategy: ReplaceStrategy,
    /// The merge strategy.
    pub merge_strategy: MergeStrategy,
}

impl PackageRecord {
    /// The record of a run with `staging` settings, writing `format` with `write_disposition`.
    pub fn of_run(staging: &StagingOptions, format: &str, write_disposition: &str) -> Self {
        PackageRecord {
            destination: staging.destination.clone(),
            format: format.into(),
            write_disposition: write_disposition.into(),
            keys: staging.keys(),
            replace_strategy: staging.replace_strategy,
            merge_strategy: staging.merge_strategy,
        }
    }

    /// Writes `staging.json` into the package.
    pub fn write(&self, package: &Package) -> Result<()> {
        let doc = json!({
            "destination": self.destination,
            "format": self.format,
            "write_disposition": self.write_disposition,
            "primary_key": self.keys.primary_key,
            "merge_key": self.keys.merge_key,
            "dedup_sort": self.keys.dedup_sort.as_ref().map(|d| format!("{}:{}", d.column, d.order())),
            "replace_strategy": self.replace_strategy.as_str(),
            "merge_strategy": self.merge_strategy.as_str(),
        });
        package.write_file(STAGING_FILE, doc.to_string().as_bytes())
    }

    /// The package's record; `None` for a package that was not staged (a filesystem load).
    /// Fields a record lacks take the defaults.
    pub fn read(package: &Package) -> Result<Option<Self>> {
        let Some(doc) = package.read_json(STAGING_FILE)? else {
            return Ok(None);
        };
        let what = || format!("{STAGING_FILE} of package {}", package.load_id);
        let text = |key: &str| doc.get(key).and_then(Value::as_str).map(String::from);
        let list = |key: &str| -> Vec<String> {
            doc.get(key)
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(Value::as_str)
                        .map(String::from)
                        .collect()
                })
                .unwrap_or_default()
        };
        let destination = text("destination")
            .ok_or_else(|| Error::invalid(format!("{} names no destination", what())))?;
        let dedup_sort = text("dedup_sort")
            .map(|d| DedupSort::parse(&d))
            .transpose()
            .map_err(|e| e.while_doing(what()))?;
        Ok(Some(PackageRecord {
            destination,
            format: text("format").unwrap_or_default(),
            write_disposition: text("write_disposition").unwrap_or_default(),
            keys: MergeKeys {
                primary_key: list("primary_key"),
                merge_key: list("merge_key"),
                dedup_sort,
            },
            replace_strategy: text("replace_strategy")
                .map(|s| ReplaceStrategy::parse(&s))
                .transpose()
                .map_err(|e| e.while_doing(what()))?
                .unwrap_or_default(),
            merge_strategy: text("merge_strategy")
                .map(|s| MergeStrategy::parse(&s))
                .transpose()
                .map_err(|e| e.while_doing(what()))?
                .unwrap_or_default(),
        }))
    }

    /// `staging` with this package's keys and strategies.
    pub fn settings(&self, staging: &StagingOptions) -> StagingOptions {
        let mut out = staging.clone();
        out.primary_key = self.keys.primary_key.clone();
        out.merge_key = self.keys.merge_key.clone();
        out.dedup_sort = self.keys.dedup_sort.clone();
        out.replace_strategy = self.replace_strategy;
        out.merge_strategy = self.merge_strategy;
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_round_trips_and_old_records_get_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let package = Package::create(dir.path(), "1.5").unwrap();
        let mut staging = StagingOptions::new("postgres");
        staging.primary_key = vec!["id".into()];
        staging.merge_key = vec!["day".into()];
        staging.dedup_sort = Some(DedupSort::parse("ts:asc").unwrap());
        staging.merge_strategy = MergeStrategy::Upsert;
        let record = PackageRecord::of_run(&staging, "jsonl", "merge");
        record.write(&package).unwrap();
        assert_eq!(PackageRecord::read(&package).unwrap(), Some(record));

        package
            .write_file(
                STAGING_FILE,
                br#"{"destination":"duckdb","format":"parquet","primary_key":["id"]}"#,
            )
            .unwrap();
        let old = PackageRecord::read(&package).unwrap().unwrap();
        assert_eq!(old.keys.primary_key, ["id"]);
        assert_eq!(old.merge_strategy, MergeStrategy::DeleteInsert);
        assert_eq!(old.replace_strategy, ReplaceStrategy::TruncateAndInsert);
    }
}
