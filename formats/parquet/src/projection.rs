//! The `columns` read option: decode only the named top-level columns of a file, with the
//! file's own types. Only their column chunks are fetched (ranged reads of the footer and of
//! each chunk), which is how the engine copies just the columns a query needs out of a remote
//! file. The value is a JSON array of column names (`["id", "name"]`; `[]` keeps only the row
//! count). Names the file lacks are skipped. Writing ignores the option.

use stowage_plugin_sdk::{Options, PluginError, Result};

/// The option key.
pub const COLUMNS: &str = "columns";

/// Takes the `columns` option out of `options`.
pub fn take_columns(options: &mut Options) -> Result<Option<Vec<String>>> {
    let Some(text) = options.take(COLUMNS) else {
        return Ok(None);
    };
    serde_json::from_str::<Vec<String>>(&text)
        .map(Some)
        .map_err(|e| {
            PluginError::invalid(format!(
                "option `{COLUMNS}` must be a JSON array of column names, e.g. [\"id\"]: {e}"
            ))
        })
}

/// True if a column called `name` is kept by `columns` (`None` keeps every column).
pub fn keeps(columns: Option<&[String]>, name: &str) -> bool {
    columns.is_none_or(|cols| cols.iter().any(|c| c == name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_are_a_json_array() {
        let mut options = Options::new([("columns", r#"["a", "b,c"]"#)]);
        assert_eq!(
            take_columns(&mut options).unwrap(),
            Some(vec!["a".to_string(), "b,c".to_string()])
        );
        let mut none = Options::default();
        assert_eq!(take_columns(&mut none).unwrap(), None);
        let err = take_columns(&mut Options::new([("columns", "a,b")]))
            .unwrap_err()
            .to_string();
        assert!(err.contains("`columns`"), "{err}");
        assert!(keeps(None, "x"));
        assert!(keeps(Some(&["x".to_string()]), "x"));
        assert!(!keeps(Some(&[]), "x"));
    }
}
