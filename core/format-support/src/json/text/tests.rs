//! Tests of [`super::transcode`] against what orjson writes.

use super::*;

fn tc(s: &str) -> String {
    let mut out = Vec::new();
    transcode(s, &mut out).unwrap_or_else(|e| panic!("{s}: {e}"));
    String::from_utf8(out).unwrap()
}

fn bad(s: &str) -> JsonTextError {
    transcode(s, &mut Vec::new()).unwrap_err()
}

#[test]
fn compacts_like_orjson() {
    assert_eq!(
        tc(r#" { "free" : "form", "n" : [ 1 , 2 ] } "#),
        r#"{"free":"form","n":[1,2]}"#
    );
    assert_eq!(
        tc(r#"{"a":{"b":[1,2.5,null,true,false,{}, []]}}"#),
        r#"{"a":{"b":[1,2.5,null,true,false,{},[]]}}"#
    );
    assert_eq!(tc(r#""abc""#), r#""abc""#);
    assert_eq!(tc("42"), "42");
}

#[test]
fn numbers_like_python_floats() {
    assert_eq!(
        tc("[1.50, 1E2, 1e-7, 1e16, -0, -0.0, 1e400, 123456789012345678901234567890]"),
        "[1.5,100.0,1e-7,1e+16,0,-0.0,null,123456789012345678901234567890]"
    );
}

#[test]
fn strings_reescaped() {
    assert_eq!(
        tc(r#""\u00e9\/\t\u0001\"\\\ud83d\ude00\u2028""#),
        "\"é/\\t\\u0001\\\"\\\\😀\u{2028}\""
    );
    assert_eq!(tc("\"é\u{7f}\""), "\"é\u{7f}\"");
}

#[test]
fn rejects_invalid() {
    for s in [
        "",
        "{",
        "[1,]",
        "{\"a\"}",
        "{a:1}",
        "01",
        "1.",
        "1e",
        "tru",
        "\"\\x\"",
        "\"a\nb\"",
        "\"\\ud800\"",
        "\"\\udc00\"",
        "1 2",
        "[1] x",
        "-",
        "\"abc",
    ] {
        let _ = bad(s);
    }
    assert_eq!(bad("[1,]").pos, 3);
}

#[test]
fn depth_limited() {
    let deep = "[".repeat(2000) + &"]".repeat(2000);
    assert!(transcode(&deep, &mut Vec::new()).is_err());
    let ok = "[".repeat(500) + &"]".repeat(500);
    assert_eq!(tc(&ok), ok);
}

#[test]
fn null_literal() {
    assert!(is_null_literal(" null\n"));
    assert!(!is_null_literal("\"null\""));
}
