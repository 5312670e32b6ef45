//! The table prefix of a layout (spec §2.3): the layout up to and including one character after
//! `{table_name}`, with only `{schema_name}` allowed before it. Replace deletes the files under a
//! table's prefix; the prefix is also checked for separators a table name may contain.

use crate::naming::{PATH_SEPARATOR, normalize_path};
use crate::{Error, Result};

use super::template::Template;

const TABLE_NAME: &str = "{table_name}";
const SCHEMA_NAME: &str = "{schema_name}";

/// Placeholders allowed before `{table_name}`.
pub const PREFIX_PLACEHOLDERS: [&str; 1] = ["schema_name"];

/// `layout` with `.{ext}` appended when it has no `{ext}` (dlt ≥ 1.30).
pub fn with_ext(template: &Template) -> String {
    match template.has("ext") {
        true => template.source().to_string(),
        false => format!("{}.{{ext}}", template.source()),
    }
}

/// dlt's `get_table_prefix_layout`: the prefix layout, e.g. `{schema_name}/{table_name}/`.
pub fn prefix_layout(template: &Template) -> Result<String> {
    let layout = template.source();
    let placeholders = template.placeholders();
    let Some(index) = placeholders.iter().position(|p| *p == "table_name") else {
        return Err(cant_extract(layout, "it has no {table_name} placeholder"));
    };
    let before = &placeholders[..index];
    if before.iter().any(|p| !PREFIX_PLACEHOLDERS.contains(p)) {
        let shown: Vec<String> = before.iter().map(|p| format!("{{{p}}}")).collect();
        return Err(cant_extract(
            layout,
            &format!(
                "only {{schema_name}} may come before {{table_name}}, but it has {}",
                shown.join(", ")
            ),
        ));
    }
    let ext_layout = with_ext(template);
    let end = ext_layout
        .find(TABLE_NAME)
        .expect("table_name is a placeholder")
        + TABLE_NAME.len();
    let next = ext_layout[end..].chars().next();
    let prefix = match next {
        Some(c) => ext_layout[..end + c.len_utf8()].to_string(),
        None => ext_layout.clone(),
    };
    if next == Some('{') {
        return Err(cant_extract(
            layout,
            "a separator is required after {table_name} (e.g. `/` or `.`)",
        ));
    }
    Ok(prefix)
}

fn cant_extract(layout: &str, details: &str) -> Error {
    Error::invalid(format!(
        "layout `{layout}` cannot be used: {details}; Stowage (like dlt) must be able to tell \
         which files belong to a table"
    ))
    .with_context("layout", layout)
}

/// dlt's `get_unsafe_prefix_separators` for the snake_case naming: the separators of a prefix
/// layout that may also appear inside a table name (so one table's prefix selects another's).
pub fn unsafe_separators(prefix: &str) -> Vec<String> {
    let mut unsafe_seps = Vec::new();
    let table_index = prefix
        .find(TABLE_NAME)
        .expect("a prefix holds {table_name}");
    if let Some(schema_index) = prefix[..table_index].find(SCHEMA_NAME) {
        let segment = &prefix[schema_index + SCHEMA_NAME.len()..table_index];
        if survives_normalization(segment) {
            unsafe_seps.push(segment.to_string());
        }
    }
    let separator = &prefix[table_index + TABLE_NAME.len()..];
    if !separator.is_empty()
        && survives_normalization(separator)
        && !unsafe_seps.iter().any(|s| s == separator)
    {
        unsafe_seps.push(separator.to_string());
    }
    unsafe_seps
}

/// True if `separator` can occur inside a normalized table name.
pub fn survives_normalization(separator: &str) -> bool {
    if PATH_SEPARATOR.contains(separator) {
        return true;
    }
    let probe = format!("a{separator}b");
    normalize_path(&probe).is_ok_and(|n| n == probe)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prefix(layout: &str) -> Result<String> {
        prefix_layout(&Template::parse(layout).unwrap())
    }

    #[test]
    fn prefixes_keep_one_character_after_the_table_name() {
        assert_eq!(
            prefix("{schema_name}/{table_name}/{load_id}.{file_id}.{ext}").unwrap(),
            "{schema_name}/{table_name}/"
        );
        assert_eq!(
            prefix("some_random{schema_name}/stuff_in_between/{table_name}/{load_id}").unwrap(),
            "some_random{schema_name}/stuff_in_between/{table_name}/"
        );
        assert_eq!(prefix("{table_name}").unwrap(), "{table_name}.");
        assert!(prefix("some_random{schema_name}/stuff/").is_err());
        assert!(prefix("{file_id}x{table_name}/y").is_err());
        assert!(prefix("{schema_name}/{table_name}{load_id}.{file_id}.{ext}").is_err());
    }

    #[test]
    fn separators_that_fit_in_table_names_are_unsafe() {
        assert_eq!(unsafe_separators("{table_name}_"), ["_"]);
        assert!(unsafe_separators("{table_name}/").is_empty());
        assert!(unsafe_separators("{table_name}.").is_empty());
        assert!(unsafe_separators("{table_name}-").is_empty());
        assert_eq!(unsafe_separators("{table_name}8"), ["8"]);
        assert_eq!(unsafe_separators("{schema_name}_{table_name}/"), ["_"]);
        assert_eq!(unsafe_separators("{schema_name}{table_name}/"), [""]);
    }
}
