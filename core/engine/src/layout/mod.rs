//! Object keys of data files: dlt's filesystem `layout` (spec §2.1–2.4).
//!
//! A [`Layout`] is validated once (unknown placeholders, the table-prefix rules) and then renders
//! the key of every data file below the dataset folder, e.g. the default
//! `{table_name}/{load_id}.{file_id}.{ext}` → `users/1795310773.1276467.4e4f868a53.jsonl.gz`.
//! It also gives each table's prefix (what replace deletes) and decides which listed files
//! belong to a table ([`Layout::owns`]), without deleting another table's files when the
//! separator after `{table_name}` may occur in table names.
//!
//! ```
//! use stowage::layout::{FileName, Layout, LayoutSettings, RenderContext};
//!
//! let layout = Layout::new(&LayoutSettings::with_layout("{table_name}/{YYYY}/{MM}/{file_id}"))?;
//! let created = chrono::DateTime::parse_from_rfc3339("2024-04-14T08:32:00Z")?.to_utc();
//! let ctx = RenderContext::new("my_schema", "1713083520.5", created);
//! let file = FileName::new("users", "0123456789", "jsonl.gz");
//! assert_eq!(layout.render(&file, &ctx), "users/2024/04/0123456789.jsonl.gz");
//! assert_eq!(layout.table_prefix("users", "my_schema"), "users/");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod datetime;
mod matcher;
mod prefix;
mod template;

pub use datetime::{DATETIME_TOKENS, format_token, is_datetime_param};
pub use matcher::{CharClass, Matcher, Pattern, standard_pattern};
pub use prefix::{survives_normalization, unsafe_separators};
pub use template::{Segment, Template};

use std::fmt;
use std::sync::Arc;

use chrono::{DateTime, FixedOffset, Utc};

use crate::schema::DLT_TABLE_PREFIX;
use crate::{Error, Result};
use datetime::DatetimeParams;

/// dlt's default layout.
pub const DEFAULT_LAYOUT: &str = "{table_name}/{load_id}.{file_id}.{ext}";

/// Placeholders every layout may use besides the date/time tokens.
pub const BASE_PLACEHOLDERS: [&str; 10] = [
    "schema_name",
    "table_name",
    "load_id",
    "file_id",
    "ext",
    "curr_date",
    "timestamp",
    "timestamp_ms",
    "load_package_timestamp",
    "load_package_timestamp_ms",
];

/// True for a standard placeholder.
pub fn is_standard_placeholder(name: &str) -> bool {
    BASE_PLACEHOLDERS.contains(&name) || DATETIME_TOKENS.contains(&name)
}

/// A callback placeholder: `f(schema_name, table_name, load_id, file_id, ext)`. When a table
/// prefix is computed the last three are empty.
pub type PlaceholderFn = Arc<dyn Fn(&str, &str, &str, &str, &str) -> String + Send + Sync>;

/// A `current_datetime` callback, called once per file.
pub type DatetimeFn = Arc<dyn Fn() -> DateTime<FixedOffset> + Send + Sync>;

/// The value of an extra placeholder.
#[derive(Clone)]
pub enum Placeholder {
    /// A static value, used as given (not lowercased).
    Value(String),
    /// A callback (Rust API only).
    Callback(PlaceholderFn),
}

impl fmt::Debug for Placeholder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Placeholder::Value(v) => f.debug_tuple("Value").field(v).finish(),
            Placeholder::Callback(_) => f.write_str("Callback(..)"),
        }
    }
}

/// dlt's `current_datetime`: the moment date/time placeholders render (in its own offset).
#[derive(Clone)]
pub enum CurrentDatetime {
    /// A fixed moment (from config: an ISO 8601 string; dlt 1.31 crashes on these).
    Fixed(DateTime<FixedOffset>),
    /// A callback, called once per file.
    Callback(DatetimeFn),
}

impl CurrentDatetime {
    /// Parses an ISO 8601 / RFC 3339 moment; one without an offset is taken as UTC.
    pub fn parse(text: &str) -> Result<CurrentDatetime> {
        let text = text.trim();
        if let Ok(t) = DateTime::parse_from_rfc3339(text) {
            return Ok(CurrentDatetime::Fixed(t));
        }
        for format in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"] {
            if let Ok(t) = chrono::NaiveDateTime::parse_from_str(text, format) {
                return Ok(CurrentDatetime::Fixed(t.and_utc().fixed_offset()));
            }
        }
        if let Ok(d) = chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d") {
            let t = d.and_hms_opt(0, 0, 0).expect("midnight exists").and_utc();
            return Ok(CurrentDatetime::Fixed(t.fixed_offset()));
        }
        Err(Error::invalid(format!(
            "current_datetime `{text}` is not an ISO 8601 date-time \
             (e.g. 2024-04-14T08:32:00+02:00)"
        )))
    }

    fn moment(&self) -> DateTime<FixedOffset> {
        match self {
            CurrentDatetime::Fixed(t) => *t,
            CurrentDatetime::Callback(f) => f(),
        }
    }
}

impl fmt::Debug for CurrentDatetime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CurrentDatetime::Fixed(t) => f.debug_tuple("Fixed").field(t).finish(),
            CurrentDatetime::Callback(_) => f.write_str("Callback(..)"),
        }
    }
}

/// The layout settings of a filesystem destination.
#[derive(Debug, Clone)]
pub struct LayoutSettings {
    /// The layout (default [`DEFAULT_LAYOUT`]).
    pub layout: String,
    /// `extra_placeholders`, in config order (they may override standard placeholders except
    /// the date/time ones).
    pub extra_placeholders: Vec<(String, Placeholder)>,
    /// `current_datetime` (default: the load package's creation time).
    pub current_datetime: Option<CurrentDatetime>,
}

impl Default for LayoutSettings {
    fn default() -> Self {
        LayoutSettings::with_layout(DEFAULT_LAYOUT)
    }
}

impl LayoutSettings {
    /// Settings with `layout` and nothing else.
    pub fn with_layout(layout: &str) -> Self {
        LayoutSettings {
            layout: layout.to_string(),
            extra_placeholders: Vec::new(),
            current_datetime: None,
        }
    }
}

/// The parts of a job file name a layout renders.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileName {
    /// Table name.
    pub table: String,
    /// File id (10 hex chars).
    pub file_id: String,
    /// Full extension (`jsonl.gz`).
    pub ext: String,
}

impl FileName {
    /// A file name from its parts.
    pub fn new(table: &str, file_id: &str, ext: &str) -> Self {
        FileName {
            table: table.into(),
            file_id: file_id.into(),
            ext: ext.into(),
        }
    }
}

/// What a layout renders besides the file name: schema, load id, package creation time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderContext {
    /// Schema name.
    pub schema_name: String,
    /// Load id.
    pub load_id: String,
    /// When the load package was created (UTC): `{load_package_timestamp}` and, without
    /// `current_datetime`, every date/time placeholder.
    pub package_created_at: DateTime<Utc>,
}

impl RenderContext {
    /// A context.
    pub fn new(schema_name: &str, load_id: &str, package_created_at: DateTime<Utc>) -> Self {
        RenderContext {
            schema_name: schema_name.into(),
            load_id: load_id.into(),
            package_created_at,
        }
    }
}

/// dlt's `create_path`: a layout whose placeholders are validated, rendering data file keys.
/// It does not check the table-prefix rules; [`Layout`] does.
#[derive(Debug, Clone)]
pub struct PathRenderer {
    template: Template,
    ext_template: Template,
    extra: Vec<(String, Placeholder)>,
    current: Option<CurrentDatetime>,
}

impl PathRenderer {
    /// Validates the placeholders of `settings` (the error lists the unknown ones).
    pub fn new(settings: &LayoutSettings) -> Result<PathRenderer> {
        let template = Template::parse(&settings.layout)?;
        let unknown: Vec<&str> = template
            .placeholders()
            .into_iter()
            .filter(|p| !is_standard_placeholder(p))
            .filter(|p| !settings.extra_placeholders.iter().any(|(k, _)| k == p))
            .collect();
        if !unknown.is_empty() {
            return Err(unknown_placeholders(settings, &unknown));
        }
        Ok(PathRenderer {
            ext_template: Template::parse(&prefix::with_ext(&template))?,
            template,
            extra: settings.extra_placeholders.clone(),
            current: settings.current_datetime.clone(),
        })
    }

    /// The key of a data file below the dataset folder (spec §2.2 steps 1–7; `\` becomes `/`).
    pub fn render(&self, file: &FileName, ctx: &RenderContext) -> String {
        let current = self.current.as_ref().map(CurrentDatetime::moment);
        let dates = DatetimeParams::new(current, Some(ctx.package_created_at));
        let args = [
            ctx.schema_name.as_str(),
            file.table.as_str(),
            ctx.load_id.as_str(),
            file.file_id.as_str(),
            file.ext.as_str(),
        ];
        let extras: Vec<(&str, String)> = self
            .extra
            .iter()
            .map(|(name, value)| (name.as_str(), extra_value(value, args)))
            .collect();
        let rendered = self.ext_template.render(|name| {
            if is_datetime_param(name)
                && let Some(value) = dates.get(name)
            {
                return value;
            }
            if let Some((_, value)) = extras.iter().find(|(k, _)| *k == name) {
                return value.clone();
            }
            match name {
                "schema_name" => args[0].to_string(),
                "table_name" => args[1].to_string(),
                "load_id" => args[2].to_string(),
                "file_id" => args[3].to_string(),
                "ext" => args[4].to_string(),
                _ => String::new(),
            }
        });
        rendered.replace('\\', "/")
    }

    fn extra(&self, name: &str) -> Option<&Placeholder> {
        self.extra.iter().find(|(k, _)| k == name).map(|(_, v)| v)
    }
}

/// A validated layout: placeholders and the table-prefix rules (spec §2.3).
#[derive(Debug, Clone)]
pub struct Layout {
    renderer: PathRenderer,
    prefix: Template,
    remainder: Template,
    unsafe_separators: Vec<String>,
}

impl Layout {
    /// Validates `settings`: every placeholder must be standard or extra (the error lists the
    /// unknown ones), and the table prefix must be extractable.
    pub fn new(settings: &LayoutSettings) -> Result<Layout> {
        let renderer = PathRenderer::new(settings)?;
        if settings.layout.starts_with(['/', '\\']) {
            return Err(Error::invalid(format!(
                "layout `{}` starts with a separator; keys are relative to the dataset folder",
                settings.layout
            )));
        }
        let prefix_layout = prefix::prefix_layout(&renderer.template)?;
        let remainder = Template::parse(&renderer.ext_template.source()[prefix_layout.len()..])?;
        Ok(Layout {
            unsafe_separators: prefix::unsafe_separators(&prefix_layout),
            prefix: Template::parse(&prefix_layout)?,
            remainder,
            renderer,
        })
    }

    /// The layout as configured.
    pub fn source(&self) -> &str {
        self.renderer.template.source()
    }

    /// The table prefix layout (e.g. `{table_name}/`).
    pub fn prefix_layout(&self) -> &str {
        self.prefix.source()
    }

    /// Separators of the prefix that table names may contain (dlt warns about these; Stowage
    /// also checks file names before deleting, see [`Layout::owns`]).
    pub fn unsafe_separators(&self) -> &[String] {
        &self.unsafe_separators
    }

    /// Extra placeholders the layout never uses (dlt logs them).
    pub fn unused_extra_placeholders(&self) -> Vec<&str> {
        let used = self.renderer.template.placeholders();
        self.renderer
            .extra
            .iter()
            .map(|(k, _)| k.as_str())
            .filter(|k| !used.contains(k))
            .collect()
    }

    /// The key of a data file below the dataset folder.
    pub fn render(&self, file: &FileName, ctx: &RenderContext) -> String {
        self.renderer.render(file, ctx)
    }

    /// The prefix of `table`'s keys below the dataset folder (dlt tables: `<table>/`).
    pub fn table_prefix(&self, table: &str, schema_name: &str) -> String {
        if table.starts_with(DLT_TABLE_PREFIX) {
            return format!("{table}/");
        }
        let args = [schema_name, table, "", "", ""];
        let value = |name: &str, default: &str| match self.renderer.extra(name) {
            Some(placeholder) => extra_value(placeholder, args),
            None => default.to_string(),
        };
        let (schema, table) = (
            value("schema_name", schema_name),
            value("table_name", table),
        );
        self.prefix
            .render(|name| match name {
                "schema_name" => schema.clone(),
                _ => table.clone(),
            })
            .replace('\\', "/")
    }

    /// True if the key `rel_key` (below the dataset folder) is a file of `table`: it starts with
    /// the table prefix and is not called `init` (dlt's rule), and — when the prefix separator
    /// may occur in table names — the rest reads as a file name of this layout and no table in
    /// `known` with a longer prefix claims it.
    pub fn owns(&self, rel_key: &str, table: &str, schema_name: &str, known: &[String]) -> bool {
        let prefix = self.table_prefix(table, schema_name);
        let Some(rest) = rel_key.strip_prefix(prefix.as_str()) else {
            return false;
        };
        if rel_key.rsplit('/').next() == Some("init") {
            return false;
        }
        if self.unsafe_separators.is_empty() || table.starts_with(DLT_TABLE_PREFIX) {
            return true;
        }
        if !self.file_matcher(table, schema_name).matches(rest) {
            return false;
        }
        !known.iter().any(|other| {
            if other == table || other.starts_with(DLT_TABLE_PREFIX) {
                return false;
            }
            let theirs = self.table_prefix(other, schema_name);
            theirs.len() > prefix.len()
                && rel_key
                    .strip_prefix(theirs.as_str())
                    .is_some_and(|rest| self.file_matcher(other, schema_name).matches(rest))
        })
    }

    /// What a file name of `table` looks like after its prefix.
    fn file_matcher(&self, table: &str, schema_name: &str) -> Matcher {
        let args = [schema_name, table, "", "", ""];
        Matcher::new(&self.remainder, |name| {
            if is_datetime_param(name) {
                return standard_pattern(name).expect("date params have patterns");
            }
            if let Some(placeholder) = self.renderer.extra(name) {
                return match placeholder {
                    Placeholder::Value(v) => Pattern::Literal(v.clone()),
                    Placeholder::Callback(_) if matches!(name, "schema_name" | "table_name") => {
                        Pattern::Literal(extra_value(placeholder, args))
                    }
                    Placeholder::Callback(_) => Pattern::Any,
                };
            }
            match name {
                "schema_name" => Pattern::Literal(schema_name.to_string()),
                "table_name" => Pattern::Literal(table.to_string()),
                other => standard_pattern(other).unwrap_or(Pattern::Any),
            }
        })
    }
}

fn extra_value(placeholder: &Placeholder, args: [&str; 5]) -> String {
    match placeholder {
        Placeholder::Value(v) => v.clone(),
        Placeholder::Callback(f) => f(args[0], args[1], args[2], args[3], args[4]),
    }
}

fn unknown_placeholders(settings: &LayoutSettings, unknown: &[&str]) -> Error {
    let quoted = |names: &mut dyn Iterator<Item = &str>| {
        names
            .map(|n| format!("{{{n}}}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let extras: Vec<&str> = settings
        .extra_placeholders
        .iter()
        .map(|(k, _)| k.as_str())
        .collect();
    let extra_note = match extras.is_empty() {
        true => "no extra_placeholders are configured".to_string(),
        false => format!("extra_placeholders: {}", quoted(&mut extras.into_iter())),
    };
    Error::invalid(format!(
        "layout `{}` has unknown placeholders: {}; known: {} and the date/time tokens {} ({})",
        settings.layout,
        quoted(&mut unknown.iter().copied()),
        quoted(&mut BASE_PLACEHOLDERS.iter().copied()),
        quoted(&mut DATETIME_TOKENS.iter().copied()),
        extra_note
    ))
    .with_context("layout", settings.layout.clone())
    .with_context("unknown", unknown.join(","))
}

#[cfg(test)]
mod tests;
