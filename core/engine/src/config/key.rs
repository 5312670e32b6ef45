//! A setting's place in the config tree and the paths dlt searches for it.
//!
//! A key has *sections* (`destination.filesystem`), an optional *embedded* section that is
//! always present (`credentials`, `data_writer`) and a *name*. Within one provider dlt tries the
//! most specific path first and then drops sections from the end:
//! `destination.filesystem.credentials.x` → `destination.credentials.x` → `credentials.x`.
//! With a pipeline name the same walk runs first under `<pipeline>.` (across all providers),
//! then without it.

use std::fmt;

/// A setting's sections and name.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Key {
    sections: Vec<String>,
    embedded: Option<String>,
    name: String,
    exact: bool,
}

impl Key {
    /// A key under `sections` (most general last to be dropped), e.g.
    /// `Key::new(&["destination", "filesystem"], "bucket_url")`.
    pub fn new(sections: &[&str], name: &str) -> Key {
        Key {
            sections: sections.iter().map(|s| s.to_string()).collect(),
            embedded: None,
            name: name.to_string(),
            exact: false,
        }
    }

    /// A key looked up only at exactly this path (no section fallback; the pipeline scope still
    /// applies), e.g. a named destination's `destination_type`.
    pub fn exact(sections: &[&str], name: &str) -> Key {
        Key {
            exact: true,
            ..Key::new(sections, name)
        }
    }

    /// Adds an embedded section that is never dropped by the fallback walk, e.g.
    /// `credentials` or `data_writer`.
    pub fn embedded_in(mut self, section: &str) -> Key {
        self.embedded = Some(section.to_string());
        self
    }

    /// The setting's name (last path segment).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The explicit sections (without the embedded one).
    pub fn sections(&self) -> &[String] {
        &self.sections
    }

    /// The embedded section, if any.
    pub fn embedded(&self) -> Option<&str> {
        self.embedded.as_deref()
    }

    /// The most specific path, dotted (`destination.filesystem.credentials.aws_access_key_id`).
    pub fn dotted(&self) -> String {
        self.most_specific().join(".")
    }

    /// The environment variable of the most specific path.
    pub fn env_var(&self) -> String {
        env_var_name(&self.most_specific())
    }

    fn most_specific(&self) -> Vec<String> {
        let mut path = self.sections.clone();
        path.extend(self.embedded.clone());
        path.push(self.name.clone());
        path
    }

    /// The paths searched in one provider, most specific first, optionally under a pipeline
    /// scope.
    pub(crate) fn paths(&self, scope: Option<&str>) -> Vec<Vec<String>> {
        let mut out = Vec::new();
        let mut sections = self.sections.clone();
        loop {
            let mut path: Vec<String> = scope.map(str::to_string).into_iter().collect();
            path.extend(sections.iter().cloned());
            path.extend(self.embedded.clone());
            path.push(self.name.clone());
            out.push(path);
            if self.exact || sections.pop().is_none() {
                break;
            }
        }
        out
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.dotted())
    }
}

/// The environment variable for a path: segments uppercased and joined by `__`.
pub fn env_var_name(path: &[String]) -> String {
    path.join("__").to_ascii_uppercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dotted(paths: Vec<Vec<String>>) -> Vec<String> {
        paths.into_iter().map(|p| p.join(".")).collect()
    }

    #[test]
    fn plain_fields_drop_sections_down_to_the_top_level() {
        let key = Key::new(&["destination", "filesystem"], "bucket_url");
        assert_eq!(
            dotted(key.paths(None)),
            [
                "destination.filesystem.bucket_url",
                "destination.bucket_url",
                "bucket_url"
            ]
        );
        assert_eq!(key.env_var(), "DESTINATION__FILESYSTEM__BUCKET_URL");
    }

    #[test]
    fn embedded_sections_are_never_dropped() {
        let key =
            Key::new(&["destination", "filesystem"], "endpoint_url").embedded_in("credentials");
        assert_eq!(
            dotted(key.paths(Some("pipe"))),
            [
                "pipe.destination.filesystem.credentials.endpoint_url",
                "pipe.destination.credentials.endpoint_url",
                "pipe.credentials.endpoint_url"
            ]
        );
        assert_eq!(
            key.dotted(),
            "destination.filesystem.credentials.endpoint_url"
        );
    }

    #[test]
    fn exact_keys_have_one_path_per_scope() {
        let key = Key::exact(&["destination", "mine"], "destination_type");
        assert_eq!(
            dotted(key.paths(None)),
            ["destination.mine.destination_type"]
        );
        assert_eq!(
            dotted(key.paths(Some("p"))),
            ["p.destination.mine.destination_type"]
        );
    }
}
