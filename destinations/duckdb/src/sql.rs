//! SQL text helpers: identifier and literal quoting.

/// `name` as a double-quoted SQL identifier (inner quotes doubled).
pub fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// `"dataset"."table"`.
pub fn qualified(dataset: &str, table: &str) -> String {
    format!("{}.{}", quote_ident(dataset), quote_ident(table))
}

/// `text` as a SQL string literal (inner quotes doubled).
pub fn quote_literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_are_doubled() {
        assert_eq!(quote_ident("a\"b"), "\"a\"\"b\"");
        assert_eq!(qualified("ds", "t"), "\"ds\".\"t\"");
        assert_eq!(quote_literal("it's"), "'it''s'");
    }
}
