//! Top-level key order of jsonl lines (first appearance), used to order an inferred schema the
//! way the file lists its columns (arrow-json's inference sorts keys by name).

use std::collections::HashSet;
use std::fmt;

use arrow_schema::{Schema, SchemaRef};
use serde::Deserializer as _;
use serde::de::{IgnoredAny, MapAccess, Visitor};

/// Top-level object keys of every line in `text`, in order of first appearance.
pub(crate) fn first_seen_keys(text: &[u8]) -> Vec<String> {
    let mut order = Vec::new();
    let mut seen = HashSet::new();
    for line in text.split(|&b| b == b'\n') {
        if line.trim_ascii().is_empty() {
            continue;
        }
        let mut de = serde_json::Deserializer::from_slice(line);
        let _ = de.deserialize_map(KeyCollector {
            order: &mut order,
            seen: &mut seen,
        });
    }
    order
}

/// `schema` with its top-level fields ordered like `keys` (fields not in `keys` last).
pub(crate) fn reorder(schema: Schema, keys: &[String]) -> SchemaRef {
    let rank = |name: &str| keys.iter().position(|k| k == name).unwrap_or(usize::MAX);
    let mut fields: Vec<_> = schema.fields().iter().cloned().collect();
    fields.sort_by_key(|f| rank(f.name()));
    Schema::new_with_metadata(fields, schema.metadata().clone()).into()
}

struct KeyCollector<'a> {
    order: &'a mut Vec<String>,
    seen: &'a mut HashSet<String>,
}

impl<'de> Visitor<'de> for KeyCollector<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<String>()? {
            map.next_value::<IgnoredAny>()?;
            if self.seen.insert(key.clone()) {
                self.order.push(key);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_in_first_seen_order() {
        let text = b"{\"z\":1,\"a\":{\"q\":1}}\n\n{\"b\":2,\"z\":3}\nnot json\n{\"c\\u00e9\":1}";
        assert_eq!(first_seen_keys(text), ["z", "a", "b", "c\u{e9}"]);
    }
}
