//! Reading a data file's key back: which table, which load and which extension a key below the
//! dataset folder stands for, under the dataset's layout (default or custom).
//!
//! The layout (with `.{ext}` appended when missing, as the writer does) is matched against the
//! key with `{table_name}` and `{schema_name}` fixed to a candidate's values, every other
//! placeholder standing for what it can render to (digits for `{load_id}`, 10 hex characters for
//! `{file_id}`, …); `{load_id}` and `{ext}` are captured.

use crate::Result;
use crate::layout::{
    LayoutSettings, Pattern, Placeholder, Segment, Template, is_datetime_param, standard_pattern,
};

/// What a key says about its file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyParts {
    /// The load id, when the layout has `{load_id}`.
    pub load_id: Option<String>,
    /// The full extension (`jsonl.gz`).
    pub ext: String,
}

/// One piece of the layout: literal text, a fixed value, or a placeholder to match.
#[derive(Debug, Clone)]
enum Piece {
    Literal(String),
    Table,
    Schema,
    Placeholder(String, Pattern),
}

/// A layout compiled for reading keys back.
#[derive(Debug, Clone)]
pub struct KeyParser {
    pieces: Vec<Piece>,
    has_load_id: bool,
}

impl KeyParser {
    /// Compiles the layout of `settings`.
    pub fn new(settings: &LayoutSettings) -> Result<KeyParser> {
        let template = Template::parse(&settings.layout)?;
        let template = match template.has("ext") {
            true => template,
            false => Template::parse(&format!("{}.{{ext}}", settings.layout))?,
        };
        let extra = |name: &str| {
            settings
                .extra_placeholders
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v)
        };
        let pieces = template
            .segments()
            .iter()
            .map(|segment| match segment {
                Segment::Literal(text) => Piece::Literal(text.clone()),
                Segment::Placeholder(name) => piece_of(name, extra(name)),
            })
            .collect();
        Ok(KeyParser {
            pieces,
            has_load_id: template.has("load_id"),
        })
    }

    /// True if keys carry their load id.
    pub fn has_load_id(&self) -> bool {
        self.has_load_id
    }

    /// The parts of `rel_key` if it is a file of `table` (never a file called `init`).
    pub fn parse(&self, rel_key: &str, table: &str, schema_name: &str) -> Option<KeyParts> {
        if rel_key.rsplit('/').next() == Some("init") {
            return None;
        }
        let mut captures = Captures::default();
        let context = Context { table, schema_name };
        match_pieces(&self.pieces, rel_key, &context, &mut captures).then(|| KeyParts {
            load_id: captures.load_id,
            ext: captures.ext.unwrap_or_default(),
        })
    }
}

fn piece_of(name: &str, extra: Option<&Placeholder>) -> Piece {
    if is_datetime_param(name) {
        let pattern = standard_pattern(name).unwrap_or(Pattern::Any);
        return Piece::Placeholder(name.to_string(), pattern);
    }
    match (name, extra) {
        (_, Some(Placeholder::Value(value))) => Piece::Literal(value.clone()),
        (_, Some(Placeholder::Callback(_))) => Piece::Placeholder(name.to_string(), Pattern::Any),
        ("table_name", None) => Piece::Table,
        ("schema_name", None) => Piece::Schema,
        (other, None) => Piece::Placeholder(
            other.to_string(),
            standard_pattern(other).unwrap_or(Pattern::Any),
        ),
    }
}

struct Context<'a> {
    table: &'a str,
    schema_name: &'a str,
}

#[derive(Debug, Default, Clone)]
struct Captures {
    load_id: Option<String>,
    ext: Option<String>,
}

fn match_pieces(pieces: &[Piece], text: &str, ctx: &Context<'_>, caps: &mut Captures) -> bool {
    let Some((first, rest)) = pieces.split_first() else {
        return text.is_empty();
    };
    let literal = |lit: &str, caps: &mut Captures| {
        text.strip_prefix(lit)
            .is_some_and(|after| match_pieces(rest, after, ctx, caps))
    };
    match first {
        Piece::Literal(lit) => literal(lit, caps),
        Piece::Table => literal(ctx.table, caps),
        Piece::Schema => literal(ctx.schema_name, caps),
        Piece::Placeholder(name, pattern) => {
            for end in candidate_ends(pattern, text) {
                let mut trial = caps.clone();
                let value = &text[..end];
                match name.as_str() {
                    "load_id" => trial.load_id = Some(value.to_string()),
                    "ext" => trial.ext = Some(value.to_string()),
                    _ => {}
                }
                if match_pieces(rest, &text[end..], ctx, &mut trial) {
                    *caps = trial;
                    return true;
                }
            }
            false
        }
    }
}

/// Byte lengths a placeholder of `pattern` may take at the start of `text`, longest first.
fn candidate_ends(pattern: &Pattern, text: &str) -> Vec<usize> {
    match pattern {
        Pattern::Literal(lit) => match text.starts_with(lit.as_str()) {
            true => vec![lit.len()],
            false => Vec::new(),
        },
        Pattern::Any => {
            let mut ends: Vec<usize> = text.char_indices().map(|(i, _)| i).collect();
            ends.push(text.len());
            ends.reverse();
            ends
        }
        Pattern::Class { class, min, max } => {
            let run = text
                .chars()
                .take_while(|c| class_accepts(*class, *c))
                .take(*max)
                .count();
            // Class characters are ASCII, so char counts are byte offsets.
            (*min..=run).rev().collect()
        }
    }
}

fn class_accepts(class: crate::layout::CharClass, c: char) -> bool {
    use crate::layout::CharClass::*;
    match class {
        Digit => c.is_ascii_digit(),
        SignedDigit | Date => c.is_ascii_digit() || c == '-',
        Decimal => c.is_ascii_digit() || c == '.',
        Hex => c.is_ascii_digit() || ('a'..='f').contains(&c),
        Lower => c.is_ascii_lowercase(),
        Extension => c.is_ascii_alphanumeric() || c == '_' || c == '.',
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parser(layout: &str) -> KeyParser {
        KeyParser::new(&LayoutSettings::with_layout(layout)).unwrap()
    }

    #[test]
    fn default_layout_gives_load_id_and_extension() {
        let p = parser(crate::layout::DEFAULT_LAYOUT);
        let parts = p
            .parse("users/1795310773.1276467.4e4f868a53.jsonl.gz", "users", "s")
            .unwrap();
        assert_eq!(parts.load_id.as_deref(), Some("1795310773.1276467"));
        assert_eq!(parts.ext, "jsonl.gz");
        assert!(
            p.parse("users/1795310773.1276467.4e4f868a53.jsonl.gz", "user", "s")
                .is_none()
        );
        assert!(p.parse("users/init", "users", "s").is_none());
        assert!(
            p.parse("users__tags/1.5.0123456789.parquet", "users", "s")
                .is_none()
        );
    }

    #[test]
    fn flat_layouts_do_not_mix_up_tables_sharing_a_prefix() {
        let p = parser("{table_name}_{load_id}_{file_id}.{ext}");
        let key = "event_log_1795310832.3063953_fa2d3a4ecf.jsonl.gz";
        assert!(p.parse(key, "event", "s").is_none());
        let parts = p.parse(key, "event_log", "s").unwrap();
        assert_eq!(parts.load_id.as_deref(), Some("1795310832.3063953"));
    }

    #[test]
    fn dated_layouts_without_ext_and_extra_values() {
        let mut settings =
            LayoutSettings::with_layout("{env}/{table_name}/{YYYY}/{MM}/{load_id}.{file_id}");
        settings
            .extra_placeholders
            .push(("env".into(), Placeholder::Value("prod".into())));
        let p = KeyParser::new(&settings).unwrap();
        let parts = p
            .parse(
                "prod/users/2024/04/1713083520.5.0123456789.csv",
                "users",
                "s",
            )
            .unwrap();
        assert_eq!(parts.load_id.as_deref(), Some("1713083520.5"));
        assert_eq!(parts.ext, "csv");
        assert!(
            p.parse(
                "dev/users/2024/04/1713083520.5.0123456789.csv",
                "users",
                "s"
            )
            .is_none()
        );
        let no_load = parser("{table_name}/{file_id}.{ext}");
        assert!(!no_load.has_load_id());
        assert_eq!(
            no_load
                .parse("t/0123456789.parquet", "t", "s")
                .unwrap()
                .load_id,
            None
        );
    }
}
