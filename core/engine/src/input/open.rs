//! Choosing and opening the reader for an input: by the format asked for, or by the file's
//! extension (`.ndjson`/`.jsonl`, `.json`, `.csv`, `.parquet`, and the text ones with `.gz`).
//!
//! Text inputs that start with the gzip magic bytes are decompressed on the fly whatever their
//! name, so `stowage run - < x.csv.gz --input-format csv` works too. `-` is stdin (NDJSON unless a
//! format is given); parquet needs a seekable file and is read through the parquet format plugin.

use std::fmt;
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::str::FromStr;

use flate2::bufread::MultiGzDecoder;

use super::RecordSource;
use super::csv::CsvReader;
use super::diag::read_failed;
use super::json_array::JsonArrayReader;
use super::ndjson::NdjsonReader;
use super::parquet;
use crate::plugins::Registry;
use crate::{Error, Result};

/// Buffer between the file (or gzip decoder) and a text reader.
const READ_BUFFER: usize = 64 << 10;

/// First bytes of every gzip stream.
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// The extensions recognized by [`InputFormat::Auto`], for messages.
pub const ACCEPTED_EXTENSIONS: &str =
    ".ndjson, .jsonl, .json, .csv (each also with .gz) and .parquet";

/// How to read an input.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum InputFormat {
    /// From the file extension (stdin: NDJSON).
    #[default]
    Auto,
    /// One JSON object per line (`ndjson` or `jsonl`).
    Ndjson,
    /// A JSON array of objects, or one or more top-level objects.
    Json,
    /// CSV with a header row.
    Csv,
    /// Parquet, read through the parquet format plugin.
    Parquet,
}

impl InputFormat {
    /// Every accepted spelling (`jsonl` is an alias of `ndjson`).
    pub const NAMES: &'static [&'static str] =
        &["auto", "ndjson", "jsonl", "json", "csv", "parquet"];

    /// The canonical name.
    pub fn name(self) -> &'static str {
        match self {
            InputFormat::Auto => "auto",
            InputFormat::Ndjson => "ndjson",
            InputFormat::Json => "json",
            InputFormat::Csv => "csv",
            InputFormat::Parquet => "parquet",
        }
    }

    /// The format a file name implies, or an error listing the accepted extensions.
    pub fn from_extension(path: &Path) -> Result<InputFormat> {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().to_ascii_lowercase())
            .unwrap_or_default();
        let (stem, gzipped) = match name.strip_suffix(".gz") {
            Some(stem) => (stem, true),
            None => (name.as_str(), false),
        };
        match stem.rsplit_once('.').map(|(_, ext)| ext) {
            Some("ndjson" | "jsonl") => Ok(InputFormat::Ndjson),
            Some("json") => Ok(InputFormat::Json),
            Some("csv") => Ok(InputFormat::Csv),
            Some("parquet") if !gzipped => Ok(InputFormat::Parquet),
            Some("parquet") => Err(Error::invalid(format!(
                "input {}: gzip-compressed parquet is not read (parquet compresses inside); \
                 decompress it first",
                path.display()
            ))),
            _ => Err(Error::invalid(format!(
                "cannot tell the format of input {} from its name; accepted extensions: \
                 {ACCEPTED_EXTENSIONS}; or name the format with --input-format {}",
                path.display(),
                InputFormat::NAMES[1..].join("|")
            ))),
        }
    }
}

impl FromStr for InputFormat {
    type Err = Error;

    fn from_str(s: &str) -> Result<InputFormat> {
        match s.to_ascii_lowercase().as_str() {
            "auto" => Ok(InputFormat::Auto),
            "ndjson" | "jsonl" => Ok(InputFormat::Ndjson),
            "json" => Ok(InputFormat::Json),
            "csv" => Ok(InputFormat::Csv),
            "parquet" => Ok(InputFormat::Parquet),
            _ => Err(Error::invalid(format!(
                "unknown input format `{s}` (expected one of: {})",
                InputFormat::NAMES.join(", ")
            ))),
        }
    }
}

impl fmt::Display for InputFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Opens `path` (`-` is stdin) as `format` (`Auto`: by extension; stdin: NDJSON).
///
/// `registry` is used only for parquet, which is decoded by the `parquet` format plugin.
pub fn open(
    path: &Path,
    format: InputFormat,
    registry: &Registry,
) -> Result<Box<dyn RecordSource>> {
    let stdin = path.as_os_str() == "-";
    let format = match format {
        InputFormat::Auto if stdin => InputFormat::Ndjson,
        InputFormat::Auto => InputFormat::from_extension(path)?,
        chosen => chosen,
    };
    let source = if stdin {
        "<stdin>".to_string()
    } else {
        path.display().to_string()
    };
    if format == InputFormat::Parquet {
        if stdin {
            return Err(Error::invalid(
                "parquet cannot be read from stdin (it needs a seekable file); pass a file path",
            ));
        }
        return Ok(Box::new(parquet::open(path, registry)?));
    }
    let input = open_text(path, stdin, &source)?;
    Ok(match format {
        InputFormat::Json => Box::new(JsonArrayReader::from_reader(input, source)),
        InputFormat::Csv => Box::new(CsvReader::from_reader(input, source)),
        _ => Box::new(NdjsonReader::from_reader(input, source)),
    })
}

/// The bytes of a text input, gunzipped when they start with the gzip magic.
fn open_text(path: &Path, stdin: bool, source: &str) -> Result<Box<dyn Read + Send>> {
    let raw: Box<dyn Read + Send> = if stdin {
        Box::new(std::io::stdin())
    } else {
        let file =
            File::open(path).map_err(|e| Error::from_io(&e, format!("opening input {source}")))?;
        Box::new(file)
    };
    let mut buffered = BufReader::with_capacity(READ_BUFFER, raw);
    let head = buffered
        .fill_buf()
        .map_err(|e| read_failed(source, 0, &e))?;
    if head.starts_with(&GZIP_MAGIC) {
        Ok(Box::new(MultiGzDecoder::new(buffered)))
    } else {
        Ok(Box::new(buffered))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extensions_pick_the_format_case_insensitively_and_through_gz() {
        let cases = [
            ("a.ndjson", InputFormat::Ndjson),
            ("dir.x/a.JSONL", InputFormat::Ndjson),
            ("a.jsonl.gz", InputFormat::Ndjson),
            ("a.json", InputFormat::Json),
            ("a.json.GZ", InputFormat::Json),
            ("a.csv", InputFormat::Csv),
            ("a.csv.gz", InputFormat::Csv),
            ("a.parquet", InputFormat::Parquet),
        ];
        for (name, want) in cases {
            assert_eq!(
                InputFormat::from_extension(Path::new(name)).unwrap(),
                want,
                "{name}"
            );
        }
    }

    #[test]
    fn unknown_extensions_list_the_accepted_ones() {
        for name in ["a.txt", "a", "a.gz", "csv"] {
            let err = InputFormat::from_extension(Path::new(name)).unwrap_err();
            let text = err.to_string();
            assert!(text.contains(ACCEPTED_EXTENSIONS), "{text}");
            assert!(text.contains("--input-format"), "{text}");
        }
        let err = InputFormat::from_extension(Path::new("a.parquet.gz")).unwrap_err();
        assert!(err.to_string().contains("gzip-compressed parquet"), "{err}");
    }

    #[test]
    fn names_parse_with_jsonl_as_an_ndjson_alias() {
        for name in InputFormat::NAMES {
            let format: InputFormat = name.parse().unwrap();
            assert!(name == &format.name() || *name == "jsonl", "{name}");
        }
        assert_eq!("JSONL".parse::<InputFormat>().unwrap(), InputFormat::Ndjson);
        let err = "xml".parse::<InputFormat>().unwrap_err().to_string();
        assert!(
            err.contains("unknown input format `xml`") && err.contains("parquet"),
            "{err}"
        );
    }

    #[test]
    fn parquet_from_stdin_is_refused() {
        let registry = Registry::default();
        let err = open(Path::new("-"), InputFormat::Parquet, &registry)
            .err()
            .unwrap();
        assert!(err.to_string().contains("stdin"), "{err}");
    }
}
