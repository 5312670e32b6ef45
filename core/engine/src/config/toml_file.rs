//! One `config.toml` / `secrets.toml` file, parsed into nodes that remember their line.
//!
//! Every table and value becomes a node keyed by its full path (`["destination",
//! "filesystem", "bucket_url"]`); tables are nodes too, so a dict setting written as a TOML
//! table or inline table is found as one value. Parse errors name the file, line and column but
//! never quote the source line: a broken line of `secrets.toml` may hold a secret.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;
use toml::de::{DeTable, DeValue};

use crate::{Error, Result};

/// Which file kind: `secrets.toml` may hold secrets, `config.toml` may not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// `secrets.toml`.
    Secrets,
    /// `config.toml`.
    Config,
}

/// A node: its value (tables as JSON objects) and the line of its key.
#[derive(Clone)]
pub(crate) struct Node {
    pub value: Value,
    pub line: usize,
    pub is_table: bool,
}

/// A parsed TOML file.
#[derive(Clone)]
pub(crate) struct TomlFile {
    pub path: PathBuf,
    pub kind: FileKind,
    pub nodes: BTreeMap<Vec<String>, Node>,
}

impl TomlFile {
    /// Reads and parses `path`; `Ok(None)` if it does not exist.
    pub fn read(path: &Path, kind: FileKind) -> Result<Option<TomlFile>> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => {
                return Err(Error::from_io(&e, format!("reading {}", path.display())));
            }
        };
        TomlFile::parse(path, kind, &text).map(Some)
    }

    /// Parses `text` as the contents of `path`.
    pub fn parse(path: &Path, kind: FileKind, text: &str) -> Result<TomlFile> {
        let table = DeTable::parse(text).map_err(|e| parse_error(path, text, &e))?;
        let lines = LineIndex::new(text);
        let mut nodes = BTreeMap::new();
        collect(table.get_ref(), &mut Vec::new(), &lines, &mut nodes);
        Ok(TomlFile {
            path: path.to_path_buf(),
            kind,
            nodes,
        })
    }

    /// The node at `path`.
    pub fn get(&self, path: &[String]) -> Option<&Node> {
        self.nodes.get(path)
    }

    /// Names directly under the table at `path`.
    pub fn children(&self, path: &[String]) -> Vec<String> {
        self.nodes
            .keys()
            .filter(|k| k.len() == path.len() + 1 && k.starts_with(path))
            .map(|k| k[path.len()].clone())
            .collect()
    }
}

fn parse_error(path: &Path, text: &str, err: &toml::de::Error) -> Error {
    let position = match err.span() {
        Some(span) => {
            let (line, column) = LineIndex::new(text).line_column(span.start);
            format!("{}:{line}:{column}", path.display())
        }
        None => path.display().to_string(),
    };
    Error::invalid(format!(
        "{position}: invalid TOML: {} (fix the file, or move it away to see the other settings)",
        err.message().trim()
    ))
}

fn collect(
    table: &DeTable<'_>,
    prefix: &mut Vec<String>,
    lines: &LineIndex,
    nodes: &mut BTreeMap<Vec<String>, Node>,
) {
    for (key, value) in table.iter() {
        prefix.push(key.get_ref().to_string());
        let nested = value.get_ref().as_table();
        nodes.insert(
            prefix.clone(),
            Node {
                value: to_json(value.get_ref()),
                line: lines.line_column(key.span().start).0,
                is_table: nested.is_some(),
            },
        );
        if let Some(nested) = nested {
            collect(nested, prefix, lines, nodes);
        }
        prefix.pop();
    }
}

fn to_json(value: &DeValue<'_>) -> Value {
    match value {
        DeValue::String(s) => Value::String(s.to_string()),
        DeValue::Integer(i) => match i64::from_str_radix(i.as_str(), i.radix()) {
            Ok(n) => Value::from(n),
            Err(_) => Value::String(i.as_str().to_string()),
        },
        DeValue::Float(f) => match f.as_str().parse::<f64>() {
            Ok(x) if x.is_finite() => Value::from(x),
            _ => Value::String(f.as_str().to_string()),
        },
        DeValue::Boolean(b) => Value::Bool(*b),
        DeValue::Datetime(d) => Value::String(d.to_string()),
        DeValue::Array(items) => Value::Array(items.iter().map(|v| to_json(v.get_ref())).collect()),
        DeValue::Table(table) => Value::Object(
            table
                .iter()
                .map(|(k, v)| (k.get_ref().to_string(), to_json(v.get_ref())))
                .collect(),
        ),
    }
}

/// Byte offset → 1-based line and column.
struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    fn new(text: &str) -> Self {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        LineIndex { starts }
    }

    fn line_column(&self, offset: usize) -> (usize, usize) {
        let line = self.starts.partition_point(|&s| s <= offset);
        let column = offset - self.starts[line - 1] + 1;
        (line, column)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(p: &str) -> Vec<String> {
        p.split('.').map(str::to_string).collect()
    }

    #[test]
    fn nodes_remember_lines_and_tables_are_values() {
        let text = "# comment\n[destination.filesystem]\nbucket_url = \"s3://b\"\n\
                    client_kwargs = { verify = \"public.crt\" }\n\n[destination.filesystem.kwargs]\n\
                    auto_mkdir = true\nmax = 0x10\n";
        let file = TomlFile::parse(Path::new("c.toml"), FileKind::Config, text).unwrap();
        let url = file
            .get(&path("destination.filesystem.bucket_url"))
            .unwrap();
        assert_eq!((url.line, url.value.as_str()), (3, Some("s3://b")));
        let ck = file
            .get(&path("destination.filesystem.client_kwargs"))
            .unwrap();
        assert_eq!(ck.value, serde_json::json!({"verify": "public.crt"}));
        assert_eq!(ck.line, 4);
        let kw = file.get(&path("destination.filesystem.kwargs")).unwrap();
        assert!(kw.is_table);
        assert_eq!(kw.value, serde_json::json!({"auto_mkdir": true, "max": 16}));
        assert_eq!(
            file.get(&path("destination.filesystem.kwargs.auto_mkdir"))
                .unwrap()
                .line,
            7
        );
        let mut children = file.children(&path("destination.filesystem"));
        children.sort();
        assert_eq!(children, ["bucket_url", "client_kwargs", "kwargs"]);
    }

    #[test]
    fn parse_errors_name_the_line_but_never_quote_it() {
        let text = "[destination.filesystem.credentials]\naws_secret_access_key = \"hunter2\n";
        let err = TomlFile::parse(Path::new("s.toml"), FileKind::Secrets, text)
            .err()
            .unwrap()
            .to_string();
        assert!(err.starts_with("s.toml:2:"), "{err}");
        assert!(!err.contains("hunter2"), "{err}");
    }
}
