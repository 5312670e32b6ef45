//! Load-time checks: unknown keys inside known sections (with a did-you-mean), typos in section
//! names, and secrets written in `config.toml`.
//!
//! Only sections Stowage knows are checked (`destination`, `destination.filesystem` and named
//! filesystem destinations, `credentials`, `data_writer`, `normalize`, `load`, and
//! `[sources.<name>]` sections that set `input`); other destinations' sections and anything
//! else a dlt project keeps in its files are left alone. A top-level section that is not a
//! known one but holds one (`[my_pipeline.destination]`) is a pipeline scope.

use std::collections::BTreeSet;
use std::fmt;

use super::catalog::{self, Group};
use super::destination::FILESYSTEM_TYPES;
use super::key::env_var_name;
use super::provider::{Entry, Provider};
use super::source::Source;
use super::suggest::did_you_mean;
use super::value::text_of;

/// Top-level sections Stowage knows.
const TOP_SECTIONS: &[&str] = &[
    "destination",
    "credentials",
    "data_writer",
    "normalize",
    "load",
    "sources",
    "runtime",
    "pipelines",
];

/// A warning about the configuration, with where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// Where the offending key is.
    pub source: Source,
    /// What is wrong and how to fix it.
    pub message: String,
    /// The database destination (`duckdb`, `postgres`) whose section holds the offending key,
    /// if any: a staged run into it refuses to start.
    pub database: Option<String>,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.source, self.message)
    }
}

/// What a section is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Section {
    Destination,
    Filesystem,
    Credentials,
    DataWriter,
    Normalize,
    Load,
    Source,
    Pipeline,
    Database(&'static str),
    DatabaseCredentials(&'static str),
}

impl Section {
    fn database(self) -> Option<String> {
        match self {
            Section::Database(d) | Section::DatabaseCredentials(d) => Some(d.to_string()),
            _ => None,
        }
    }
}

/// The database destination called `name`, if it is one.
fn database_named(name: &str) -> Option<&'static str> {
    catalog::DATABASES.iter().find(|d| **d == name).copied()
}

/// What the checks need to know about the whole configuration.
struct Context {
    named: BTreeSet<String>,
    sources: BTreeSet<String>,
}

/// Checks every entry of every provider.
pub(crate) fn check(providers: &[Provider]) -> Vec<Diagnostic> {
    let entries: Vec<(usize, Entry)> = providers
        .iter()
        .enumerate()
        .flat_map(|(i, p)| p.entries().into_iter().map(move |e| (i, e)))
        .collect();
    let context = Context {
        named: named_destinations(providers, &entries),
        sources: runnable_sources(&entries),
    };
    let mut out: Vec<Diagnostic> = Vec::new();
    let mut sections_reported = BTreeSet::new();
    for (_, entry) in &entries {
        for diagnostic in check_entry(entry, &context) {
            let repeated = out.contains(&diagnostic)
                || (diagnostic.message.starts_with("unknown section")
                    && !sections_reported.insert(diagnostic.message.clone()));
            if !repeated {
                out.push(diagnostic);
            }
        }
    }
    out
}

fn named_destinations(providers: &[Provider], entries: &[(usize, Entry)]) -> BTreeSet<String> {
    entries
        .iter()
        .filter_map(|(i, entry)| {
            let path = unscoped(&entry.path);
            let [destination, name, field] = path else {
                return None;
            };
            if destination != "destination" || field != "destination_type" {
                return None;
            }
            let found = providers[*i].get(&entry.path)?;
            FILESYSTEM_TYPES
                .contains(&text_of(&found.value).as_str())
                .then(|| name.clone())
        })
        .collect()
}

fn runnable_sources(entries: &[(usize, Entry)]) -> BTreeSet<String> {
    entries
        .iter()
        .filter_map(|(_, entry)| match unscoped(&entry.path) {
            [sources, name, input] if sources == "sources" && input == "input" => {
                Some(name.clone())
            }
            _ => None,
        })
        .collect()
}

/// The path without a leading pipeline scope.
fn unscoped(path: &[String]) -> &[String] {
    match path {
        [scope, section, ..]
            if !TOP_SECTIONS.contains(&scope.as_str())
                && TOP_SECTIONS.contains(&section.as_str()) =>
        {
            &path[1..]
        }
        _ => path,
    }
}

fn check_entry(entry: &Entry, context: &Context) -> Vec<Diagnostic> {
    let path = unscoped(&entry.path);
    let mut out = Vec::new();
    // Env vars name only leaves: check each enclosing section name too.
    let tables: Vec<&[String]> = match entry.source {
        Source::Env { .. } => (2..path.len()).map(|n| &path[..n]).collect(),
        _ => Vec::new(),
    };
    for table in tables {
        out.extend(check_name(entry, table, true, context));
    }
    out.extend(check_name(entry, path, entry.is_table, context));
    out.extend(check_top_level(entry, path));
    out
}

fn check_name(
    entry: &Entry,
    path: &[String],
    is_table: bool,
    context: &Context,
) -> Option<Diagnostic> {
    let (name, parent) = path.split_last()?;
    if parent
        .iter()
        .any(|segment| catalog::is_dict_setting(segment))
    {
        return None;
    }
    let section = classify(parent, context)?;
    if is_known(section, name, is_table, context) {
        let secret_here = entry.in_config_toml && !is_table && is_secret(section, name);
        return secret_here.then(|| Diagnostic {
            source: entry.source.clone(),
            message: format!(
                "`{name}` is a secret, and config.toml never holds secrets (it is refused when \
                 needed, as dlt does): move it to .dlt/secrets.toml or an environment variable"
            ),
            database: section.database(),
        });
    }
    Some(unknown(entry, path, section, context))
}

/// True if `name` holds a secret in `section`.
fn is_secret(section: Section, name: &str) -> bool {
    match section {
        Section::Credentials => catalog::is_secret_credential(name),
        Section::DatabaseCredentials(db) => {
            catalog::destination_credential_field(db, name).is_some_and(|f| f.secret)
        }
        // A PostgreSQL connection string carries the password.
        Section::Database(db) => name == "credentials" && db == "postgres",
        _ => false,
    }
}

fn classify(parent: &[String], context: &Context) -> Option<Section> {
    let parent: Vec<&str> = parent.iter().map(String::as_str).collect();
    let is_fs = |name: &str| name == "filesystem" || context.named.contains(name);
    let database = |name: &str| database_named(name).filter(|_| !context.named.contains(name));
    Some(match parent.as_slice() {
        ["destination"] => Section::Destination,
        ["credentials"] | ["destination", "credentials"] => Section::Credentials,
        ["destination", name] if is_fs(name) => Section::Filesystem,
        ["destination", name, "credentials"] if is_fs(name) => Section::Credentials,
        ["destination", name] if database(name).is_some() => Section::Database(database(name)?),
        ["destination", name, "credentials"] if database(name).is_some() => {
            Section::DatabaseCredentials(database(name)?)
        }
        ["pipelines"] | ["pipelines", _] => Section::Pipeline,
        ["data_writer"] | ["normalize", "data_writer"] => Section::DataWriter,
        ["normalize"] => Section::Normalize,
        ["load"] => Section::Load,
        ["sources", name] if context.sources.contains(*name) => Section::Source,
        _ => return None,
    })
}

fn is_known(section: Section, name: &str, is_table: bool, context: &Context) -> bool {
    match section {
        Section::Destination if is_table => {
            name == "credentials" || context.named.contains(name) || !looks_like_filesystem(name)
        }
        Section::Filesystem | Section::Destination => {
            name == "credentials" || catalog::setting_named(Group::Destination, name).is_some()
        }
        Section::Credentials => catalog::credential_field(name).is_some(),
        Section::DataWriter => catalog::setting_named(Group::DataWriter, name).is_some(),
        Section::Normalize => is_table || catalog::setting_named(Group::Normalize, name).is_some(),
        Section::Load => catalog::setting_named(Group::Load, name).is_some(),
        Section::Source => is_table || catalog::setting_named(Group::Source, name).is_some(),
        Section::Pipeline => is_table || catalog::setting_named(Group::Pipeline, name).is_some(),
        Section::Database(_) => {
            name == "credentials"
                || (!is_table && catalog::setting_named(Group::Database, name).is_some())
                || (is_table && catalog::is_dict_setting(name))
        }
        Section::DatabaseCredentials(db) => {
            catalog::destination_credential_field(db, name).is_some()
        }
    }
}

/// Destination tables Stowage knows: typos of these are reported.
const KNOWN_DESTINATIONS: &[&str] = &["filesystem", "duckdb", "postgres"];

/// A table under `[destination]` whose name is a likely typo of `filesystem` or a database.
fn looks_like_filesystem(name: &str) -> bool {
    !KNOWN_DESTINATIONS.contains(&name)
        && did_you_mean(name, KNOWN_DESTINATIONS.iter().copied()).is_some()
}

fn known_names(section: Section, context: &Context) -> Vec<String> {
    let group = match section {
        Section::Credentials => {
            return catalog::all_credential_fields()
                .map(|f| f.name.to_string())
                .collect();
        }
        Section::DatabaseCredentials(db) => {
            return catalog::destination_credential_fields(db)
                .unwrap_or_default()
                .iter()
                .chain(catalog::unapplied_destination_credential_fields(db))
                .map(|f| f.name.to_string())
                .collect();
        }
        Section::Database(_) => {
            let mut names: Vec<String> = catalog::settings_of(Group::Database)
                .map(|s| s.name.to_string())
                .collect();
            names.push("credentials".into());
            return names;
        }
        Section::Pipeline => Group::Pipeline,
        Section::Destination | Section::Filesystem => Group::Destination,
        Section::DataWriter => Group::DataWriter,
        Section::Normalize => Group::Normalize,
        Section::Load => Group::Load,
        Section::Source => Group::Source,
    };
    let mut names: Vec<String> = catalog::settings_of(group)
        .map(|s| s.name.to_string())
        .collect();
    if matches!(section, Section::Destination | Section::Filesystem) {
        names.push("credentials".into());
    }
    if section == Section::Destination {
        names.extend(KNOWN_DESTINATIONS.iter().map(|d| d.to_string()));
        names.extend(context.named.iter().cloned());
    }
    names
}

fn unknown(entry: &Entry, path: &[String], section: Section, context: &Context) -> Diagnostic {
    let section_kind = section;
    let (name, parent) = path.split_last().expect("checked by the caller");
    let known = known_names(section, context);
    let suggestion = did_you_mean(name, known.iter().map(String::as_str));
    let scope_len = entry.path.len() - unscoped(&entry.path).len();
    let hint = match (suggestion, &entry.source) {
        (Some(good), Source::Env { .. }) => {
            let mut fixed = entry.path.clone();
            fixed[scope_len + parent.len()] = good.to_string();
            format!("; did you mean {}?", env_var_name(&fixed))
        }
        (Some(good), _) => format!("; did you mean `{good}`?"),
        (None, _) if known.len() <= 12 => format!(" (known: {})", known.join(", ")),
        (None, _) => " (see `stowage config show --json` for the known settings)".into(),
    };
    let section = entry.path[..scope_len + parent.len()].join(".");
    Diagnostic {
        source: entry.source.clone(),
        message: format!("unknown setting `{name}` in [{section}]{hint}"),
        database: section_kind.database(),
    }
}

/// A top-level section that is a likely typo of a known one (it holds a key of that section).
fn check_top_level(entry: &Entry, path: &[String]) -> Option<Diagnostic> {
    let [top, child, ..] = path else {
        return None;
    };
    let scoped = path.len() != entry.path.len();
    if TOP_SECTIONS.contains(&top.as_str()) || scoped {
        return None;
    }
    let good = did_you_mean(top, TOP_SECTIONS.iter().copied())?;
    let holds_its_key = match good {
        "destination" => {
            child == "filesystem"
                || child == "credentials"
                || catalog::setting_named(Group::Destination, child).is_some()
        }
        "credentials" => catalog::credential_field(child).is_some(),
        "data_writer" => catalog::setting_named(Group::DataWriter, child).is_some(),
        "load" => catalog::setting_named(Group::Load, child).is_some(),
        "normalize" => {
            child == "data_writer" || catalog::setting_named(Group::Normalize, child).is_some()
        }
        _ => false,
    };
    holds_its_key.then(|| Diagnostic {
        source: entry.source.clone(),
        message: format!("unknown section `{top}`; did you mean `{good}`?"),
        database: None,
    })
}
