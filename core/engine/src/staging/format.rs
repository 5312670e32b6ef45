//! The loader file format of a staged run (spec §6.1): the destination's staging formats (its
//! order) that the staging filesystem supports and a format plugin can write. The destination's
//! first such format is preferred; an explicit `--format` is honoured when allowed and refused
//! with the allowed list otherwise.

use crate::plugins::Registry;
use crate::staging::StagingOptions;
use crate::{Error, Result};

/// Formats the filesystem destination accepts as a staging destination.
const FILESYSTEM_FORMATS: &[&str] = &["jsonl", "parquet", "csv", "insert_values"];

/// The format to write: `requested` if it was given explicitly and is allowed, else the
/// preferred one.
pub fn choose_format(
    registry: &Registry,
    staging: &StagingOptions,
    requested: &str,
) -> Result<String> {
    let info = registry.destination(&staging.destination).ok_or_else(|| {
        Error::not_found(format!(
            "no destination plugin named `{}` (see `stowage plugins`)",
            staging.destination
        ))
    })?;
    let allowed: Vec<&str> = info
        .staging_formats
        .iter()
        .map(String::as_str)
        .filter(|f| FILESYSTEM_FORMATS.contains(f))
        .filter(|f| registry.format(f).is_some_and(|fmt| fmt.capabilities.write))
        .collect();
    if allowed.is_empty() {
        return Err(Error::unsupported(format!(
            "no loader file format suits both `{}` (staging formats: {}) and the filesystem \
             staging bucket with the format plugins found",
            staging.destination,
            info.staging_formats.join(", ")
        )));
    }
    if staging.format_explicit {
        return match allowed.contains(&requested) {
            true => Ok(requested.to_string()),
            false => Err(Error::invalid(format!(
                "loader file format `{requested}` cannot be staged for `{}`; allowed: {}",
                staging.destination,
                allowed.join(", ")
            ))),
        };
    }
    Ok(allowed[0].to_string())
}
