//! Options of the jsonl format: `disable_compression` and `compression_level`.

use stowage_plugin_sdk::{Options, PluginError, Result};

/// Default gzip level: fast. dlt uses 9, but only the decompressed bytes have to match.
pub const DEFAULT_COMPRESSION_LEVEL: u32 = 1;

/// Resolved settings of one opened jsonl format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JsonlConfig {
    /// gzip level 0-9, or `None` for plain jsonl (`disable_compression=true`).
    pub gzip_level: Option<u32>,
}

impl Default for JsonlConfig {
    fn default() -> Self {
        JsonlConfig {
            gzip_level: Some(DEFAULT_COMPRESSION_LEVEL),
        }
    }
}

impl JsonlConfig {
    /// Reads the options, rejecting unknown keys and out-of-range levels.
    pub fn from_options(mut options: Options) -> Result<JsonlConfig> {
        let disable = options.take_bool("disable_compression")?.unwrap_or(false);
        let level = options
            .take_u64("compression_level")?
            .unwrap_or(DEFAULT_COMPRESSION_LEVEL.into());
        options.finish("jsonl format")?;
        if level > 9 {
            return Err(PluginError::invalid(format!(
                "option `compression_level` must be between 0 and 9, got {level}"
            )));
        }
        Ok(JsonlConfig {
            gzip_level: (!disable).then_some(level as u32),
        })
    }

    /// `jsonl.gz` when compressed, `jsonl` otherwise.
    pub fn file_extension(&self) -> &'static str {
        if self.gzip_level.is_some() {
            "jsonl.gz"
        } else {
            "jsonl"
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(pairs: &[(&str, &str)]) -> Result<JsonlConfig> {
        JsonlConfig::from_options(Options::new(pairs.iter().copied()))
    }

    #[test]
    fn defaults_to_gzip() {
        let c = cfg(&[]).unwrap();
        assert_eq!(c, JsonlConfig::default());
        assert_eq!(c.file_extension(), "jsonl.gz");
    }

    #[test]
    fn compression_can_be_disabled() {
        let c = cfg(&[("disable_compression", "true")]).unwrap();
        assert_eq!(c.gzip_level, None);
        assert_eq!(c.file_extension(), "jsonl");
    }

    #[test]
    fn level_is_checked() {
        assert_eq!(
            cfg(&[("compression_level", "9")]).unwrap().gzip_level,
            Some(9)
        );
        assert!(cfg(&[("compression_level", "10")]).is_err());
        assert!(cfg(&[("compression_level", "fast")]).is_err());
    }

    #[test]
    fn unknown_keys_rejected() {
        let err = cfg(&[("colour", "red")]).unwrap_err().to_string();
        assert!(
            err.contains("`colour`") && err.contains("jsonl format"),
            "{err}"
        );
    }
}
