//! A layout string split into literal text and `{placeholder}`s, as dlt reads it: every `{…}`
//! (the shortest match, dlt's `\{(.*?)\}`) is a placeholder whose name is the text between the
//! braces, and substitution is Python's `str.format` with plain names.

use crate::{Error, Result};

/// One piece of a layout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    /// Text copied as is.
    Literal(String),
    /// A `{name}` to substitute.
    Placeholder(String),
}

/// A parsed layout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    source: String,
    segments: Vec<Segment>,
}

impl Template {
    /// Splits `layout` into segments. A `}` outside a placeholder or a `{` never closed is an
    /// error (Python's `str.format` rejects both).
    pub fn parse(layout: &str) -> Result<Template> {
        let mut segments = Vec::new();
        let mut rest = layout;
        while !rest.is_empty() {
            let open = rest.find('{');
            let close = rest.find('}');
            match (open, close) {
                (None, None) => {
                    segments.push(Segment::Literal(rest.to_string()));
                    break;
                }
                (_, Some(c)) if open.is_none_or(|o| c < o) => {
                    return Err(brace_error(layout, "a `}` without an opening `{`"));
                }
                (Some(o), Some(_)) => {
                    if o > 0 {
                        segments.push(Segment::Literal(rest[..o].to_string()));
                    }
                    let after = &rest[o + 1..];
                    let end = after.find('}').expect("a `}` follows the `{`");
                    segments.push(Segment::Placeholder(after[..end].to_string()));
                    rest = &after[end + 1..];
                }
                (Some(_), None) => {
                    return Err(brace_error(layout, "a `{` that is never closed"));
                }
                (None, Some(_)) => unreachable!("handled by the guard above"),
            }
        }
        Ok(Template {
            source: layout.to_string(),
            segments,
        })
    }

    /// The layout as written.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The segments in order.
    pub fn segments(&self) -> &[Segment] {
        &self.segments
    }

    /// Placeholder names in order of appearance (repeats kept).
    pub fn placeholders(&self) -> Vec<&str> {
        self.segments
            .iter()
            .filter_map(|s| match s {
                Segment::Placeholder(name) => Some(name.as_str()),
                Segment::Literal(_) => None,
            })
            .collect()
    }

    /// True if `{name}` appears.
    pub fn has(&self, name: &str) -> bool {
        self.placeholders().contains(&name)
    }

    /// Substitutes every placeholder with `value(name)`.
    pub fn render(&self, mut value: impl FnMut(&str) -> String) -> String {
        let mut out = String::with_capacity(self.source.len() + 32);
        for segment in &self.segments {
            match segment {
                Segment::Literal(text) => out.push_str(text),
                Segment::Placeholder(name) => out.push_str(&value(name)),
            }
        }
        out
    }
}

fn brace_error(layout: &str, what: &str) -> Error {
    Error::invalid(format!(
        "layout `{layout}` has {what}; placeholders are written `{{name}}`"
    ))
    .with_context("layout", layout)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_literals_and_placeholders() {
        let t = Template::parse("{table_name}/x-{load_id}.{ext}").unwrap();
        assert_eq!(
            t.segments(),
            &[
                Segment::Placeholder("table_name".into()),
                Segment::Literal("/x-".into()),
                Segment::Placeholder("load_id".into()),
                Segment::Literal(".".into()),
                Segment::Placeholder("ext".into()),
            ]
        );
        assert_eq!(t.placeholders(), ["table_name", "load_id", "ext"]);
        assert_eq!(t.render(|n| n.to_uppercase()), "TABLE_NAME/x-LOAD_ID.EXT");
    }

    #[test]
    fn names_are_the_shortest_brace_match() {
        // dlt's regex `\{(.*?)\}` on `{{x}}` finds `{x`, which is never a valid name.
        let t = Template::parse("{{x}").unwrap();
        assert_eq!(t.placeholders(), ["{x"]);
        assert_eq!(Template::parse("{}").unwrap().placeholders(), [""]);
    }

    #[test]
    fn stray_braces_are_errors() {
        assert!(Template::parse("a}b").is_err());
        assert!(Template::parse("{table_name").is_err());
        assert!(Template::parse("plain").unwrap().placeholders().is_empty());
    }
}
