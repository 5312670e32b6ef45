//! The data files of a dataset: one listing of the dataset folder, each key read back through
//! the layout ([`KeyParser`]) into its table, load id and format. dlt's own folders
//! (`_dlt_loads`, `_dlt_version`, `_dlt_pipeline_state`), `init` files and temp files (a path
//! part starting with `.`) are never data.

use stowage_plugin_sdk::Backend;

use super::keys::KeyParser;
use crate::Result;
use crate::schema::DLT_TABLE_PREFIX;

/// How a data file is encoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileFormat {
    /// dlt's jsonl (`jsonl`, `jsonl.gz`).
    Jsonl,
    /// csv with a header row (`csv`, `csv.gz`).
    Csv,
    /// parquet.
    Parquet,
    /// Anything else (e.g. `insert_values`): listed, never read.
    Other(String),
}

impl FileFormat {
    /// The format of a full extension (`jsonl.gz` → jsonl).
    pub fn of_extension(ext: &str) -> FileFormat {
        match ext.strip_suffix(".gz").unwrap_or(ext) {
            "jsonl" => FileFormat::Jsonl,
            "csv" => FileFormat::Csv,
            "parquet" => FileFormat::Parquet,
            other => FileFormat::Other(other.to_string()),
        }
    }

    /// The format plugin that reads it.
    pub fn plugin_name(&self) -> &str {
        match self {
            FileFormat::Jsonl => "jsonl",
            FileFormat::Csv => "csv",
            FileFormat::Parquet => "parquet",
            FileFormat::Other(name) => name,
        }
    }

    /// True for the formats queries read.
    pub fn is_readable(&self) -> bool {
        !matches!(self, FileFormat::Other(_))
    }
}

/// One data file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataFile {
    /// The table it belongs to.
    pub table: String,
    /// Its key in the backend (`<dataset>/users/1795310773.1276467.4e4f868a53.jsonl.gz`).
    pub key: String,
    /// Its load id (`None` when the layout has no `{load_id}`).
    pub load_id: Option<String>,
    /// Full extension (`jsonl.gz`).
    pub ext: String,
    /// Its encoding.
    pub format: FileFormat,
    /// Size in bytes.
    pub size: u64,
}

impl DataFile {
    /// The file name (last part of the key).
    pub fn file_name(&self) -> &str {
        self.key.rsplit('/').next().unwrap_or(&self.key)
    }
}

/// What a listing found: data files, and keys no table claims.
#[derive(Debug, Default, Clone)]
pub struct Listing {
    /// Files of known tables, in key order.
    pub files: Vec<DataFile>,
    /// Keys below the dataset folder that are not data of any table of the schema.
    pub unclaimed: Vec<String>,
}

/// Lists `<dataset>/` and assigns every data file to one of `tables`.
pub fn list_data_files(
    backend: &dyn Backend,
    dataset: &str,
    parser: &KeyParser,
    tables: &[String],
    schema_name: &str,
) -> Result<Listing> {
    let prefix = format!("{dataset}/");
    let lister = backend
        .list(&prefix)
        .map_err(|e| e.while_doing(format!("listing the dataset folder {prefix}")))?;
    // Longer table names first, so `event_log` wins over `event` when both could match.
    let mut by_length: Vec<&String> = tables.iter().collect();
    by_length.sort_by_key(|t| std::cmp::Reverse(t.len()));
    let mut listing = Listing::default();
    for entry in lister {
        let entry = entry.map_err(|e| e.while_doing(format!("listing {prefix}")))?;
        let Some(rel) = entry.key.strip_prefix(prefix.as_str()) else {
            continue;
        };
        if !is_data_candidate(rel) {
            continue;
        }
        let found = by_length.iter().find_map(|table| {
            parser
                .parse(rel, table, schema_name)
                .map(|parts| (table.to_string(), parts))
        });
        match found {
            Some((table, parts)) => listing.files.push(DataFile {
                table,
                format: FileFormat::of_extension(&parts.ext),
                key: entry.key.clone(),
                load_id: parts.load_id,
                ext: parts.ext,
                size: entry.size,
            }),
            None => listing.unclaimed.push(entry.key.clone()),
        }
    }
    listing.files.sort_by(|a, b| a.key.cmp(&b.key));
    Ok(listing)
}

/// False for dlt's own folders, `init` files and temp files.
fn is_data_candidate(rel: &str) -> bool {
    let first = rel.split('/').next().unwrap_or(rel);
    if first.starts_with(DLT_TABLE_PREFIX) && rel.contains('/') {
        return false;
    }
    if rel == "init" || rel.ends_with("/init") {
        return false;
    }
    !rel.split('/').any(|part| part.starts_with('.'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bookkeeping_and_temp_files_are_not_data() {
        assert!(!is_data_candidate("_dlt_loads/s__1.5.jsonl"));
        assert!(!is_data_candidate("_dlt_version/s__1__ab.jsonl"));
        assert!(!is_data_candidate("init"));
        assert!(!is_data_candidate("users/init"));
        assert!(!is_data_candidate("users/.1.5.0123456789.jsonl.tmp"));
        assert!(is_data_candidate("users/1.5.0123456789.jsonl"));
    }

    #[test]
    fn extensions_name_formats() {
        assert_eq!(FileFormat::of_extension("jsonl.gz"), FileFormat::Jsonl);
        assert_eq!(FileFormat::of_extension("csv"), FileFormat::Csv);
        assert_eq!(FileFormat::of_extension("parquet"), FileFormat::Parquet);
        assert!(!FileFormat::of_extension("insert_values.gz").is_readable());
    }
}
