//! Options of the insert_values format: `dialect`, `disable_compression`, `compression_level`.

use stowage_plugin_sdk::{Options, PluginError, Result};

/// Default gzip level: fast. dlt uses 9, but only the decompressed bytes matter.
pub const DEFAULT_COMPRESSION_LEVEL: u32 = 1;

/// The SQL dialect whose literal syntax the statements use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Dialect {
    /// PostgreSQL (and engines speaking its literals): dlt's `escape_postgres_literal`, made
    /// exact for floats and non-finite values. The default.
    #[default]
    Postgres,
    /// DuckDB: dlt's `escape_duckdb_literal` (`from_base64` for bytes), with floats written so
    /// DuckDB parses them as DOUBLE and decimals quoted so they never pass through DOUBLE.
    Duckdb,
}

impl Dialect {
    fn parse(value: &str) -> Result<Dialect> {
        match value.trim().to_ascii_lowercase().as_str() {
            "postgres" | "postgresql" => Ok(Dialect::Postgres),
            "duckdb" => Ok(Dialect::Duckdb),
            other => Err(PluginError::invalid(format!(
                "option `dialect` must be postgres or duckdb, got `{other}`"
            ))),
        }
    }
}

/// Resolved settings of one opened insert_values format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InsertValuesConfig {
    /// Literal syntax.
    pub dialect: Dialect,
    /// gzip level 0-9, or `None` for plain SQL text (`disable_compression=true`).
    pub gzip_level: Option<u32>,
}

impl Default for InsertValuesConfig {
    fn default() -> Self {
        InsertValuesConfig {
            dialect: Dialect::default(),
            gzip_level: Some(DEFAULT_COMPRESSION_LEVEL),
        }
    }
}

impl InsertValuesConfig {
    /// Reads the options, rejecting unknown keys and invalid values.
    pub fn from_options(mut options: Options) -> Result<InsertValuesConfig> {
        let dialect = match options.take("dialect") {
            None => Dialect::default(),
            Some(d) => Dialect::parse(&d)?,
        };
        let disable = options.take_bool("disable_compression")?.unwrap_or(false);
        let level = options
            .take_u64("compression_level")?
            .unwrap_or(DEFAULT_COMPRESSION_LEVEL.into());
        options.finish("insert_values format")?;
        if level > 9 {
            return Err(PluginError::invalid(format!(
                "option `compression_level` must be between 0 and 9, got {level}"
            )));
        }
        Ok(InsertValuesConfig {
            dialect,
            gzip_level: (!disable).then_some(level as u32),
        })
    }

    /// `insert_values.gz` when compressed, `insert_values` otherwise.
    pub fn file_extension(&self) -> &'static str {
        if self.gzip_level.is_some() {
            "insert_values.gz"
        } else {
            "insert_values"
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(pairs: &[(&str, &str)]) -> Result<InsertValuesConfig> {
        InsertValuesConfig::from_options(Options::new(pairs.iter().copied()))
    }

    #[test]
    fn defaults() {
        let c = cfg(&[]).unwrap();
        assert_eq!(c, InsertValuesConfig::default());
        assert_eq!(c.dialect, Dialect::Postgres);
        assert_eq!(c.file_extension(), "insert_values.gz");
    }

    #[test]
    fn options() {
        let c = cfg(&[("dialect", "DuckDB"), ("disable_compression", "true")]).unwrap();
        assert_eq!(c.dialect, Dialect::Duckdb);
        assert_eq!(c.file_extension(), "insert_values");
        assert!(cfg(&[("dialect", "mysql")]).is_err());
        assert!(cfg(&[("compression_level", "12")]).is_err());
        let err = cfg(&[("colour", "red")]).unwrap_err().to_string();
        assert!(
            err.contains("`colour`") && err.contains("insert_values format"),
            "{err}"
        );
    }
}
