//! Options of the parquet format. Names are dlt's `[data_writer]` parquet keys (pyarrow's
//! `ParquetWriter` arguments) where dlt has them; `use_dictionary`, `data_page_version`,
//! `compression_level` are pyarrow's names for settings dlt does not expose.

use parquet::basic::{Compression, GzipLevel, ZstdLevel};
use parquet::file::properties::WriterVersion;
use stowage_plugin_sdk::{Options, PluginError, Result};

/// What the format writes and reads: the knobs of dlt's parquet writer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParquetConfig {
    /// Parquet format version of the logical types (`version`).
    pub version: FormatVersion,
    /// Page compression (`compression`, `compression_level`).
    pub compression: Compression,
    /// Rows per row group, or `None` for one row group per written batch (`row_group_size`).
    pub row_group_size: Option<usize>,
    /// Target data page size in bytes (`data_page_size`).
    pub data_page_size: Option<usize>,
    /// Dictionary encoding (`use_dictionary`).
    pub use_dictionary: bool,
    /// Data page layout (`data_page_version`).
    pub data_page_version: WriterVersion,
    /// Column and offset index (`write_page_index`).
    pub write_page_index: bool,
    /// Store timestamps in this unit (`coerce_timestamps`).
    pub coerce_timestamps: Option<arrow_schema::TimeUnit>,
    /// Allow losing sub-unit precision when timestamps are coerced (`allow_truncated_timestamps`).
    pub allow_truncated_timestamps: bool,
    /// Name nested list/map parts as the parquet spec says (`use_compliant_nested_type`).
    pub use_compliant_nested_type: bool,
}

/// pyarrow's `version`: which logical types may be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum FormatVersion {
    /// `1.0`: only types every reader knows.
    V1_0,
    /// `2.4`: dlt's default.
    V2_4,
    /// `2.6`: adds nanosecond timestamps.
    V2_6,
}

impl FormatVersion {
    /// True if nanosecond timestamps may be stored as such.
    pub fn allows_nanoseconds(self) -> bool {
        self >= FormatVersion::V2_6
    }
}

impl Default for ParquetConfig {
    fn default() -> Self {
        ParquetConfig {
            version: FormatVersion::V2_4,
            compression: Compression::SNAPPY,
            row_group_size: None,
            data_page_size: None,
            use_dictionary: true,
            data_page_version: WriterVersion::PARQUET_1_0,
            write_page_index: false,
            coerce_timestamps: None,
            allow_truncated_timestamps: false,
            use_compliant_nested_type: true,
        }
    }
}

impl ParquetConfig {
    /// Reads the options, rejecting unknown keys and invalid values.
    pub fn from_options(mut options: Options) -> Result<ParquetConfig> {
        let defaults = ParquetConfig::default();
        let version = match options.take("version") {
            None => defaults.version,
            Some(v) => parse_version(&v)?,
        };
        let level = options.take_u64("compression_level")?;
        let compression = match options.take("compression") {
            None => with_level(defaults.compression, level)?,
            Some(name) => with_level(parse_codec(&name)?, level)?,
        };
        let config = ParquetConfig {
            version,
            compression,
            row_group_size: positive(&mut options, "row_group_size")?,
            data_page_size: positive(&mut options, "data_page_size")?,
            use_dictionary: options.take_bool("use_dictionary")?.unwrap_or(true),
            data_page_version: match options.take("data_page_version") {
                None => defaults.data_page_version,
                Some(v) => parse_data_page_version(&v)?,
            },
            write_page_index: options.take_bool("write_page_index")?.unwrap_or(false),
            coerce_timestamps: match options.take("coerce_timestamps") {
                None => None,
                Some(v) => parse_unit(&v)?,
            },
            allow_truncated_timestamps: options
                .take_bool("allow_truncated_timestamps")?
                .unwrap_or(false),
            use_compliant_nested_type: options
                .take_bool("use_compliant_nested_type")?
                .unwrap_or(true),
        };
        check_flavor(options.take("flavor"))?;
        // dlt applies `disable_compression` to every format; parquet compresses internally and
        // ignores it, as dlt does.
        options.take_bool("disable_compression")?;
        options.finish("parquet format")?;
        config.check_coercion()?;
        Ok(config)
    }

    fn check_coercion(&self) -> Result<()> {
        if self.coerce_timestamps == Some(arrow_schema::TimeUnit::Nanosecond)
            && !self.version.allows_nanoseconds()
        {
            return Err(PluginError::invalid(
                "option `coerce_timestamps=ns` needs `version=2.6`",
            ));
        }
        Ok(())
    }
}

fn parse_version(v: &str) -> Result<FormatVersion> {
    match v.trim() {
        "1.0" => Ok(FormatVersion::V1_0),
        "2.4" => Ok(FormatVersion::V2_4),
        "2.6" => Ok(FormatVersion::V2_6),
        other => Err(PluginError::invalid(format!(
            "option `version` must be one of 1.0, 2.4, 2.6, got `{other}`"
        ))),
    }
}

fn parse_data_page_version(v: &str) -> Result<WriterVersion> {
    match v.trim() {
        "1.0" => Ok(WriterVersion::PARQUET_1_0),
        "2.0" => Ok(WriterVersion::PARQUET_2_0),
        other => Err(PluginError::invalid(format!(
            "option `data_page_version` must be 1.0 or 2.0, got `{other}`"
        ))),
    }
}

/// Codec names as dlt/pyarrow spell them (case-insensitive).
fn parse_codec(name: &str) -> Result<Compression> {
    match name.trim().to_ascii_lowercase().as_str() {
        "snappy" => Ok(Compression::SNAPPY),
        "zstd" => Ok(Compression::ZSTD(ZstdLevel::default())),
        "gzip" => Ok(Compression::GZIP(GzipLevel::default())),
        // pyarrow's `lz4` writes the LZ4_RAW codec; the Hadoop-framed LZ4 is deprecated.
        "lz4" | "lz4_raw" => Ok(Compression::LZ4_RAW),
        "none" | "uncompressed" => Ok(Compression::UNCOMPRESSED),
        "brotli" => Err(PluginError::unsupported(
            "option `compression=brotli` is not built into this plugin; use snappy, zstd, gzip, lz4 or none",
        )),
        other => Err(PluginError::invalid(format!(
            "option `compression` must be one of snappy, zstd, gzip, lz4, none, got `{other}`"
        ))),
    }
}

/// Applies `compression_level` to codecs that have levels.
fn with_level(codec: Compression, level: Option<u64>) -> Result<Compression> {
    let Some(level) = level else {
        return Ok(codec);
    };
    let out_of_range = |e: parquet::errors::ParquetError| {
        PluginError::invalid(format!("option `compression_level`: {e}"))
    };
    match codec {
        Compression::GZIP(_) => {
            let level = u32::try_from(level).unwrap_or(u32::MAX);
            Ok(Compression::GZIP(
                GzipLevel::try_new(level).map_err(out_of_range)?,
            ))
        }
        Compression::ZSTD(_) => {
            let level = i32::try_from(level).unwrap_or(i32::MAX);
            Ok(Compression::ZSTD(
                ZstdLevel::try_new(level).map_err(out_of_range)?,
            ))
        }
        other => Err(PluginError::invalid(format!(
            "option `compression_level` applies to gzip and zstd only, not to {other}"
        ))),
    }
}

fn positive(options: &mut Options, key: &str) -> Result<Option<usize>> {
    match options.take_u64(key)? {
        None => Ok(None),
        Some(0) => Err(PluginError::invalid(format!(
            "option `{key}` must be at least 1"
        ))),
        Some(n) => Ok(Some(usize::try_from(n).unwrap_or(usize::MAX))),
    }
}

fn parse_unit(v: &str) -> Result<Option<arrow_schema::TimeUnit>> {
    use arrow_schema::TimeUnit;
    match v.trim() {
        "" | "none" => Ok(None),
        "ms" => Ok(Some(TimeUnit::Millisecond)),
        "us" => Ok(Some(TimeUnit::Microsecond)),
        "ns" => Ok(Some(TimeUnit::Nanosecond)),
        other => Err(PluginError::invalid(format!(
            "option `coerce_timestamps` must be ms, us or ns, got `{other}`"
        ))),
    }
}

/// Only the default flavor is written (`spark` would need INT96 timestamps).
fn check_flavor(flavor: Option<String>) -> Result<()> {
    match flavor.as_deref().map(str::trim) {
        None | Some("") | Some("none") => Ok(()),
        Some(other) => Err(PluginError::unsupported(format!(
            "option `flavor={other}` is not supported (only the default flavor)"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(pairs: &[(&str, &str)]) -> Result<ParquetConfig> {
        ParquetConfig::from_options(Options::new(pairs.iter().copied()))
    }

    #[test]
    fn defaults_are_dlts() {
        let c = cfg(&[]).unwrap();
        assert_eq!(c, ParquetConfig::default());
        assert_eq!(c.compression, Compression::SNAPPY);
        assert_eq!(c.version, FormatVersion::V2_4);
        assert_eq!(c.row_group_size, None);
    }

    #[test]
    fn codecs_and_levels() {
        assert_eq!(
            cfg(&[("compression", "ZSTD"), ("compression_level", "9")])
                .unwrap()
                .compression,
            Compression::ZSTD(ZstdLevel::try_new(9).unwrap())
        );
        assert_eq!(
            cfg(&[("compression", "gzip")]).unwrap().compression,
            Compression::GZIP(GzipLevel::default())
        );
        assert_eq!(
            cfg(&[("compression", "lz4")]).unwrap().compression,
            Compression::LZ4_RAW
        );
        assert_eq!(
            cfg(&[("compression", "none")]).unwrap().compression,
            Compression::UNCOMPRESSED
        );
        assert!(cfg(&[("compression", "gzip"), ("compression_level", "10")]).is_err());
        assert!(
            cfg(&[("compression_level", "3")]).is_err(),
            "snappy has no level"
        );
        let brotli = cfg(&[("compression", "brotli")]).unwrap_err();
        assert_eq!(brotli.kind(), stowage_plugin_sdk::ErrorKind::Unsupported);
        assert!(cfg(&[("compression", "lzo")]).is_err());
    }

    #[test]
    fn sizes_versions_and_flags() {
        let c = cfg(&[
            ("row_group_size", "1000"),
            ("data_page_size", "65536"),
            ("use_dictionary", "false"),
            ("version", "2.6"),
            ("data_page_version", "2.0"),
            ("write_page_index", "true"),
            ("coerce_timestamps", "ns"),
            ("allow_truncated_timestamps", "true"),
            ("use_compliant_nested_type", "false"),
            ("disable_compression", "true"),
        ])
        .unwrap();
        assert_eq!(c.row_group_size, Some(1000));
        assert_eq!(c.data_page_size, Some(65536));
        assert!(!c.use_dictionary && c.write_page_index && c.allow_truncated_timestamps);
        assert!(!c.use_compliant_nested_type);
        assert_eq!(c.version, FormatVersion::V2_6);
        assert_eq!(c.data_page_version, WriterVersion::PARQUET_2_0);
        assert!(cfg(&[("row_group_size", "0")]).is_err());
        assert!(cfg(&[("version", "2.0")]).is_err());
        assert!(cfg(&[("coerce_timestamps", "ns")]).is_err(), "ns needs 2.6");
        assert!(cfg(&[("coerce_timestamps", "s")]).is_err());
        assert!(cfg(&[("flavor", "spark")]).is_err());
    }

    #[test]
    fn unknown_keys_rejected() {
        let err = cfg(&[("colour", "red")]).unwrap_err().to_string();
        assert!(
            err.contains("`colour`") && err.contains("parquet format"),
            "{err}"
        );
    }
}
