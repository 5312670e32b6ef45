//! Stowage's own sources: `[sources.<name>]` sections with an `input`, which `stowage run`
//! loads when called without arguments (`stowage init` writes one).
//!
//! ```toml
//! [sources.chess]
//! input = "chess_games.ndjson"   # NDJSON, relative to the project dir; "-" reads stdin
//! table = "games"                # default: the source name
//! pipeline_name = "chess_pipeline"
//! dataset_name = "chess_data"
//! # destination_name = "my_lake"    # a named filesystem destination (default: filesystem)
//! # loader_file_format = "jsonl"
//! # max_table_nesting = 2
//! ```
//!
//! Each key falls back like any other: `sources.chess.dataset_name` → `sources.dataset_name` →
//! `dataset_name`; env vars work too (`SOURCES__CHESS__INPUT`).

use super::Config;
use super::key::Key;

impl Config {
    /// Names of the sources that set `input` in any provider, sorted.
    pub fn runnable_sources(&self) -> Vec<String> {
        self.children(&["sources"])
            .into_iter()
            .filter(|name| {
                matches!(
                    self.raw(&Key::exact(&["sources", name], "input")),
                    Ok(Some(_))
                )
            })
            .collect()
    }

    /// The key of setting `name` of a source (`None`: the top level only).
    pub fn source_key(source: Option<&str>, name: &str) -> Key {
        match source {
            Some(source) => Key::new(&["sources", source], name),
            None => Key::new(&[], name),
        }
    }
}
