//! Field quoting under the four `quoting` modes, as Python's csv writer (unix dialect,
//! `doublequote=True`) does it: a quoted field is wrapped in `"` with inner `"` doubled.

use stowage_plugin_sdk::{PluginError, Result};

use super::cells::CellKind;
use crate::config::Quoting;

/// Appends `value` (a non-null cell or a header name) quoted as `mode` asks.
pub fn write_field(
    out: &mut Vec<u8>,
    value: &[u8],
    kind: CellKind,
    mode: Quoting,
    delimiter: u8,
) -> Result<()> {
    let special = needs_quotes(value, delimiter);
    let quote = match mode {
        Quoting::QuoteAll => true,
        Quoting::QuoteNeeded => kind == CellKind::Text || special,
        // An empty string is quoted so that it reads back as "" and not as null.
        Quoting::QuoteMinimal => special || (value.is_empty() && kind == CellKind::Text),
        Quoting::QuoteNone if special => {
            return Err(PluginError::invalid(
                "a value holds the delimiter, a quote or a line break, which `quoting=quote_none` \
                 cannot write (Python: \"need to escape, but no escapechar set\")",
            ));
        }
        Quoting::QuoteNone => false,
    };
    if !quote {
        out.extend_from_slice(value);
        return Ok(());
    }
    out.push(b'"');
    let mut start = 0;
    for (i, &b) in value.iter().enumerate() {
        if b == b'"' {
            out.extend_from_slice(&value[start..=i]);
            out.push(b'"');
            start = i + 1;
        }
    }
    out.extend_from_slice(&value[start..]);
    out.push(b'"');
    Ok(())
}

/// True if `value` holds the delimiter, a quote, or a line break.
fn needs_quotes(value: &[u8], delimiter: u8) -> bool {
    value
        .iter()
        .any(|&b| b == delimiter || b == b'"' || b == b'\n' || b == b'\r')
}

#[cfg(test)]
mod tests {
    use super::*;
    use CellKind::*;
    use Quoting::*;

    fn field(value: &str, kind: CellKind, mode: Quoting) -> Result<String> {
        let mut out = Vec::new();
        write_field(&mut out, value.as_bytes(), kind, mode, b',')?;
        Ok(String::from_utf8(out).unwrap())
    }

    #[test]
    fn quote_needed_quotes_text_only() {
        assert_eq!(field("a\"b", Text, QuoteNeeded).unwrap(), "\"a\"\"b\"");
        assert_eq!(field("", Text, QuoteNeeded).unwrap(), "\"\"");
        assert_eq!(field("1.5", Number, QuoteNeeded).unwrap(), "1.5");
        assert_eq!(field("x\ny", Text, QuoteNeeded).unwrap(), "\"x\ny\"");
    }

    #[test]
    fn other_modes() {
        assert_eq!(field("1", Number, QuoteAll).unwrap(), "\"1\"");
        assert_eq!(field("a b", Text, QuoteMinimal).unwrap(), "a b");
        assert_eq!(field("a,b", Text, QuoteMinimal).unwrap(), "\"a,b\"");
        assert_eq!(field("a\rb", Text, QuoteMinimal).unwrap(), "\"a\rb\"");
        assert_eq!(field("", Text, QuoteMinimal).unwrap(), "\"\"");
        assert_eq!(field("abc", Text, QuoteNone).unwrap(), "abc");
        assert!(field("a,b", Text, QuoteNone).is_err());
        assert!(field("a\"b", Text, QuoteNone).is_err());
    }
}
