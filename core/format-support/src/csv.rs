//! The header line of a csv file as Stowage's csv plugin and dlt write it, read back by the
//! database destinations (which copy staged csv files by column name).

use stowage_plugin_sdk::{PluginError, Result};

/// Column names of a csv header line (quoted or not, `,`-separated, `""` escapes a quote);
/// an empty name is an error.
pub fn split_header(line: &str) -> Result<Vec<String>> {
    let line = line.trim_end_matches(['\n', '\r']);
    let mut names = Vec::new();
    let mut current = String::new();
    let mut chars = line.chars().peekable();
    let mut quoted = false;
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                current.push('"');
                chars.next();
            }
            ('"', _) => quoted = !quoted,
            (',', false) => names.push(std::mem::take(&mut current)),
            (c, _) => current.push(c),
        }
    }
    names.push(current);
    if names.iter().any(String::is_empty) {
        return Err(PluginError::invalid(format!(
            "csv header has an empty column name: {line:?}"
        )));
    }
    Ok(names)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_are_split() {
        assert_eq!(
            split_header("\"a\",\"b,c\",\"d\"\"e\"\n").unwrap(),
            ["a", "b,c", "d\"e"]
        );
        assert_eq!(split_header("x,y\r\n").unwrap(), ["x", "y"]);
        assert!(split_header("a,,b").is_err());
    }
}
