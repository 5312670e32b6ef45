//! Options of the csv format: dlt's `[data_writer]` csv keys (`delimiter`, `include_header`,
//! `quoting`, `lineterminator`, `encoding`) plus `disable_compression` and `compression_level`.

use stowage_plugin_sdk::{Options, PluginError, Result};

/// Default gzip level: fast. dlt uses 9, but only the decompressed bytes have to match.
pub const DEFAULT_COMPRESSION_LEVEL: u32 = 1;

/// dlt's `quoting` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Quoting {
    /// Python's `QUOTE_NONNUMERIC`: every value except numbers and booleans is quoted.
    #[default]
    QuoteNeeded,
    /// Python's `QUOTE_ALL`: every non-null value is quoted.
    QuoteAll,
    /// Python's `QUOTE_MINIMAL`: only values holding a delimiter, quote or line break (and
    /// empty strings, to tell them from nulls) are quoted.
    QuoteMinimal,
    /// Python's `QUOTE_NONE`: nothing is quoted; a value that would need quotes is an error.
    QuoteNone,
}

impl Quoting {
    fn parse(value: &str) -> Result<Quoting> {
        match value.trim() {
            "quote_needed" => Ok(Quoting::QuoteNeeded),
            "quote_all" => Ok(Quoting::QuoteAll),
            "quote_minimal" => Ok(Quoting::QuoteMinimal),
            "quote_none" => Ok(Quoting::QuoteNone),
            other => Err(PluginError::invalid(format!(
                "option `quoting` must be one of quote_needed, quote_all, quote_minimal, \
                 quote_none, got `{other}`"
            ))),
        }
    }
}

/// Resolved settings of one opened csv format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CsvConfig {
    /// Field separator (one ASCII character other than `"`, `\r`, `\n`).
    pub delimiter: u8,
    /// Write (and expect when reading) a header line.
    pub include_header: bool,
    /// Which values are quoted.
    pub quoting: Quoting,
    /// `\n` (dlt's default) or `\r\n`.
    pub line_terminator: &'static str,
    /// gzip level 0-9, or `None` for plain csv (`disable_compression=true`).
    pub gzip_level: Option<u32>,
}

impl Default for CsvConfig {
    fn default() -> Self {
        CsvConfig {
            delimiter: b',',
            include_header: true,
            quoting: Quoting::QuoteNeeded,
            line_terminator: "\n",
            gzip_level: Some(DEFAULT_COMPRESSION_LEVEL),
        }
    }
}

impl CsvConfig {
    /// Reads the options, rejecting unknown keys and invalid values.
    pub fn from_options(mut options: Options) -> Result<CsvConfig> {
        let defaults = CsvConfig::default();
        let delimiter = match options.take("delimiter") {
            None => defaults.delimiter,
            Some(d) => parse_delimiter(&d)?,
        };
        let include_header = options.take_bool("include_header")?.unwrap_or(true);
        let quoting = match options.take("quoting") {
            None => defaults.quoting,
            Some(q) => Quoting::parse(&q)?,
        };
        let line_terminator = match options.take("lineterminator") {
            None => defaults.line_terminator,
            Some(t) => parse_line_terminator(&t)?,
        };
        if let Some(encoding) = options.take("encoding") {
            check_encoding(&encoding)?;
        }
        let disable = options.take_bool("disable_compression")?.unwrap_or(false);
        let level = options
            .take_u64("compression_level")?
            .unwrap_or(DEFAULT_COMPRESSION_LEVEL.into());
        options.finish("csv format")?;
        if level > 9 {
            return Err(PluginError::invalid(format!(
                "option `compression_level` must be between 0 and 9, got {level}"
            )));
        }
        Ok(CsvConfig {
            delimiter,
            include_header,
            quoting,
            line_terminator,
            gzip_level: (!disable).then_some(level as u32),
        })
    }

    /// `csv.gz` when compressed, `csv` otherwise.
    pub fn file_extension(&self) -> &'static str {
        if self.gzip_level.is_some() {
            "csv.gz"
        } else {
            "csv"
        }
    }
}

fn parse_delimiter(value: &str) -> Result<u8> {
    let unescaped = match value {
        "\\t" => "\t",
        other => other,
    };
    match unescaped.as_bytes() {
        [b] if b.is_ascii() && !matches!(b, b'"' | b'\r' | b'\n') => Ok(*b),
        _ => Err(PluginError::invalid(format!(
            "option `delimiter` must be one ASCII character other than a quote or line break, \
             got `{}`",
            value.escape_debug()
        ))),
    }
}

fn parse_line_terminator(value: &str) -> Result<&'static str> {
    match value {
        "\n" | "\\n" => Ok("\n"),
        "\r\n" | "\\r\\n" => Ok("\r\n"),
        other => Err(PluginError::invalid(format!(
            "option `lineterminator` must be `\\n` or `\\r\\n`, got `{}`",
            other.escape_debug()
        ))),
    }
}

fn check_encoding(value: &str) -> Result<()> {
    match value.trim().to_ascii_lowercase().replace('_', "-").as_str() {
        "utf-8" | "utf8" => Ok(()),
        other => Err(PluginError::unsupported(format!(
            "option `encoding={other}` is not supported; csv files are written as utf-8"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(pairs: &[(&str, &str)]) -> Result<CsvConfig> {
        CsvConfig::from_options(Options::new(pairs.iter().copied()))
    }

    #[test]
    fn defaults_are_dlts() {
        let c = cfg(&[]).unwrap();
        assert_eq!(c, CsvConfig::default());
        assert_eq!(c.file_extension(), "csv.gz");
        assert_eq!(c.delimiter, b',');
        assert_eq!(c.quoting, Quoting::QuoteNeeded);
    }

    #[test]
    fn every_option() {
        let c = cfg(&[
            ("delimiter", "|"),
            ("include_header", "false"),
            ("quoting", "quote_all"),
            ("lineterminator", "\\r\\n"),
            ("encoding", "UTF-8"),
            ("disable_compression", "true"),
        ])
        .unwrap();
        assert_eq!(c.delimiter, b'|');
        assert!(!c.include_header);
        assert_eq!(c.quoting, Quoting::QuoteAll);
        assert_eq!(c.line_terminator, "\r\n");
        assert_eq!(c.file_extension(), "csv");
        assert_eq!(cfg(&[("delimiter", "\\t")]).unwrap().delimiter, b'\t');
        assert_eq!(
            cfg(&[("quoting", "quote_none")]).unwrap().quoting,
            Quoting::QuoteNone
        );
        assert_eq!(
            cfg(&[("quoting", "quote_minimal")]).unwrap().quoting,
            Quoting::QuoteMinimal
        );
    }

    #[test]
    fn invalid_values() {
        for bad in [
            ("delimiter", ",,"),
            ("delimiter", "\""),
            ("delimiter", "§"),
            ("quoting", "all"),
            ("lineterminator", "\r"),
            ("encoding", "latin-1"),
            ("compression_level", "10"),
            ("include_header", "maybe"),
        ] {
            assert!(cfg(&[bad]).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn unknown_keys_rejected() {
        let err = cfg(&[("colour", "red")]).unwrap_err().to_string();
        assert!(
            err.contains("`colour`") && err.contains("csv format"),
            "{err}"
        );
    }
}
