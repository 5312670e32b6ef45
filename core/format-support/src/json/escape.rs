//! JSON string escaping exactly as orjson writes it.
//!
//! Only `"`, `\` and control characters below U+0020 are escaped: `\b \t \n \f \r` by name, the
//! rest as `\u00XX` with lowercase hex. Everything else (including `/`, U+007F and non-ASCII) is
//! copied as raw UTF-8.

/// Escape class of every byte: 0 = copy, 1 = short escape, 2 = `\u00XX`.
const CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut b = 0;
    while b < 0x20 {
        t[b] = 2;
        b += 1;
    }
    t[0x08] = 1;
    t[0x09] = 1;
    t[0x0a] = 1;
    t[0x0c] = 1;
    t[0x0d] = 1;
    t[b'"' as usize] = 1;
    t[b'\\' as usize] = 1;
    t
};

const HEX: &[u8; 16] = b"0123456789abcdef";

/// Appends `s` as a quoted, escaped JSON string.
pub fn write_str(out: &mut Vec<u8>, s: &str) {
    out.reserve(s.len() + 2);
    out.push(b'"');
    write_escaped(out, s.as_bytes());
    out.push(b'"');
}

/// Appends the escaped body of a string (no quotes). `bytes` must be valid UTF-8.
pub fn write_escaped(out: &mut Vec<u8>, bytes: &[u8]) {
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let class = CLASS[b as usize];
        if class == 0 {
            continue;
        }
        out.extend_from_slice(&bytes[start..i]);
        write_escape(out, b, class);
        start = i + 1;
    }
    out.extend_from_slice(&bytes[start..]);
}

fn write_escape(out: &mut Vec<u8>, b: u8, class: u8) {
    if class == 2 {
        out.extend_from_slice(&[
            b'\\',
            b'u',
            b'0',
            b'0',
            HEX[(b >> 4) as usize],
            HEX[(b & 15) as usize],
        ]);
        return;
    }
    let c = match b {
        0x08 => b'b',
        0x09 => b't',
        0x0a => b'n',
        0x0c => b'f',
        0x0d => b'r',
        other => other, // `"` and `\`
    };
    out.extend_from_slice(&[b'\\', c]);
}

/// The bytes `"name":` for an object key.
pub fn key_bytes(name: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(name.len() + 3);
    write_str(&mut out, name);
    out.push(b':');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn esc(s: &str) -> String {
        let mut out = Vec::new();
        write_str(&mut out, s);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn escapes_like_orjson() {
        assert_eq!(esc("é\u{1}/\t"), r#""é\u0001/\t""#);
        assert_eq!(esc("a\"b\\c"), r#""a\"b\\c""#);
        assert_eq!(
            esc("\u{8}\u{c}\n\r\u{b}\u{1f}\u{7f}"),
            "\"\\b\\f\\n\\r\\u000b\\u001f\u{7f}\""
        );
        assert_eq!(esc("\u{2028}😀"), "\"\u{2028}😀\"");
        assert_eq!(esc(""), r#""""#);
    }

    #[test]
    fn all_control_chars() {
        let s: String = (0u8..0x20).map(char::from).collect();
        let expected = concat!(
            r#""\u0000\u0001\u0002\u0003\u0004\u0005\u0006\u0007\b\t\n\u000b\f\r\u000e\u000f"#,
            r#"\u0010\u0011\u0012\u0013\u0014\u0015\u0016\u0017\u0018\u0019\u001a\u001b\u001c"#,
            r#"\u001d\u001e\u001f""#
        );
        assert_eq!(esc(&s), expected);
    }

    #[test]
    fn key() {
        assert_eq!(key_bytes("a\"b"), br#""a\"b":"#);
    }
}
