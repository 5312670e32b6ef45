//! Settings of the duckdb destination, built from the engine's resolved [`Options`].
//!
//! Keys: `credentials` — the database file (dlt's `destination.duckdb.credentials`), or
//! `:memory:`; the engine defaults it to `<pipeline>.duckdb` in the project directory. The
//! file's directory must exist. Unknown keys are rejected.

use std::path::PathBuf;

use stowage_plugin_sdk::{Options, PluginError, Result};

/// Resolved settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DuckDbConfig {
    /// The database file; `None` for an in-memory database.
    pub path: Option<PathBuf>,
}

impl DuckDbConfig {
    /// Takes the known keys from `options` and rejects the rest.
    pub fn from_options(mut options: Options) -> Result<DuckDbConfig> {
        let database = options.take("credentials");
        options.finish("duckdb destination")?;
        let database = database.ok_or_else(|| {
            PluginError::invalid(
                "duckdb destination: no database given (set `credentials` to a file path, \
                 or `:memory:`)",
            )
        })?;
        let path = match database.trim() {
            "" => {
                return Err(PluginError::invalid(
                    "duckdb destination: `credentials` is empty",
                ));
            }
            ":memory:" => None,
            file => Some(PathBuf::from(
                file.strip_prefix("duckdb:///").unwrap_or(file),
            )),
        };
        Ok(DuckDbConfig { path })
    }
}

#[cfg(test)]
mod tests {
    use stowage_plugin_sdk::ErrorKind;

    use super::*;

    #[test]
    fn file_memory_and_unknown_keys() {
        let cfg = DuckDbConfig::from_options(Options::new([("credentials", "/x/p.duckdb")]));
        assert_eq!(cfg.unwrap().path, Some(PathBuf::from("/x/p.duckdb")));
        let cfg = DuckDbConfig::from_options(Options::new([("credentials", ":memory:")]));
        assert_eq!(cfg.unwrap().path, None);
        let err = DuckDbConfig::from_options(Options::new([("credential", "x")])).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidArgument);
        assert!(err.to_string().contains("`credential`"), "{err}");
    }
}
