use std::io::{Cursor, Read};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use serde_json::json;

use super::*;

fn reader(text: &str) -> JsonArrayReader {
    JsonArrayReader::from_reader(
        Box::new(Cursor::new(text.as_bytes().to_vec())),
        "in.json".into(),
    )
}

fn all(text: &str) -> Result<Vec<Record>> {
    let mut r = reader(text);
    let mut out = Vec::new();
    while let Some(rec) = r.next_record()? {
        out.push(rec);
    }
    Ok(out)
}

fn error_of(text: &str) -> String {
    all(text).unwrap_err().to_string()
}

#[test]
fn reads_an_array_of_objects_keeping_key_order_and_nesting() {
    let text = r#"[ {"b": 1, "a": "x,]}", "n": {"k": [1, {"z": null}]}},
        {"q": "say \"hi\" [", "a": 2.5} ]"#;
    let records = all(text).unwrap();
    assert_eq!(records.len(), 2);
    let keys: Vec<&str> = records[0].keys().map(String::as_str).collect();
    assert_eq!(keys, ["b", "a", "n"]);
    assert_eq!(records[0]["a"], "x,]}");
    assert_eq!(records[0]["n"], json!({"k": [1, {"z": null}]}));
    assert_eq!(records[1]["q"], "say \"hi\" [");
}

#[test]
fn empty_inputs_have_no_records() {
    for text in ["", "  \n", "[]", " [ \n ] \n", "\u{feff}[]"] {
        assert!(all(text).unwrap().is_empty(), "{text:?}");
    }
}

#[test]
fn top_level_objects_one_after_another_are_records() {
    let records = all("\u{feff}{\"a\": 1}").unwrap();
    assert_eq!(records, vec![json!({"a": 1}).as_object().unwrap().clone()]);
    let records = all("{\"a\": 1}\n{\"a\": 2}\n\n{\"a\": {\"b\": 3}}\n").unwrap();
    assert_eq!(records.len(), 3);
    assert_eq!(records[2]["a"]["b"], 3);
}

#[test]
fn a_non_object_element_names_line_and_index() {
    let err = error_of("[\n  {\"a\": 1},\n\n  42\n]");
    assert!(
        err.starts_with("in.json:4: element [1]: expected a JSON object, got a number"),
        "{err}"
    );
    let err = error_of("[[{\"a\": 1}]]");
    assert!(
        err.contains("in.json:1: element [0]: expected a JSON object, got an array"),
        "{err}"
    );
}

#[test]
fn invalid_json_inside_an_element_names_the_absolute_line_and_column() {
    let err = error_of("[\n  {\"a\": 1},\n  {\"a\": 2,\n   \"b\": oops}\n]");
    assert!(
        err.starts_with("in.json:4: element [1]: invalid JSON at column"),
        "{err}"
    );
    let err = error_of(r#"[{"a": 1}, {"a": tru}]"#);
    assert!(
        err.starts_with("in.json:1: element [1]: invalid JSON at column 21:"),
        "{err}"
    );
}

#[test]
fn structural_errors_are_named() {
    let cases = [
        (
            "[{\"a\": 1},]",
            "in.json:1: element [1]: trailing `,` before the closing `]`",
        ),
        (
            "[{\"a\": 1},,{}]",
            "in.json:1: element [1]: missing value before `,`",
        ),
        (
            "[{\"a\": 1},\n{\"a\": 2}",
            "in.json:2: element [1]: the input ends inside the array",
        ),
        (
            "[{\"a\": 1}]\n x",
            "in.json:2: unexpected `x` after the array's closing `]`",
        ),
        (
            "[]]",
            "in.json:1: unexpected `]` after the array's closing `]`",
        ),
        (
            "42",
            "in.json:1: expected a JSON array of objects or an object, found `4`",
        ),
        (
            "{\"a\": 1}\n[1]",
            "in.json:2: expected `{` starting the next top-level object",
        ),
        ("{\"a\": [1}", "in.json:1: object [0]: invalid JSON"),
        (
            "{\"a\": 1",
            "in.json:1: object [0]: the input ends inside the object",
        ),
        ("[{\"a\": [1}]", "in.json:1: element [0]: invalid JSON"),
        ("[{\"a\": 1}}]", "in.json:1: element [0]: invalid JSON"),
    ];
    for (text, want) in cases {
        let err = all(text).unwrap_err();
        assert!(err.to_string().starts_with(want), "{text:?}: {err}");
        assert!(!err.is_retryable());
        assert!(
            err.context()
                .iter()
                .any(|(k, v)| k == "file" && v == "in.json")
        );
    }
}

#[test]
fn records_before_an_error_are_delivered() {
    let mut r = reader("[{\"a\": 1}, {\"a\": 2}, oops]");
    assert_eq!(r.next_record().unwrap().unwrap()["a"], 1);
    assert_eq!(r.next_record().unwrap().unwrap()["a"], 2);
    assert!(r.next_record().is_err());
}

/// Produces `[{…},\n{…},\n…]` of at least `target` bytes on demand, counting bytes handed out.
struct GeneratedArray {
    target: u64,
    produced: Arc<AtomicU64>,
    next_id: u64,
    pending: Vec<u8>,
    at: usize,
    done: bool,
}

impl GeneratedArray {
    fn refill(&mut self) {
        self.pending.clear();
        self.at = 0;
        if self.done {
            return;
        }
        let so_far = self.produced.load(Ordering::Relaxed);
        if self.next_id == 0 {
            self.pending.push(b'[');
        } else if so_far >= self.target {
            self.pending.extend_from_slice(b"\n]\n");
            self.done = true;
            return;
        } else {
            self.pending.extend_from_slice(b",\n");
        }
        let id = self.next_id;
        self.next_id += 1;
        let row = json!({"id": id, "name": format!("row {id}"), "tags": ["x", "y"], "pad": "p".repeat(200)});
        self.pending.extend_from_slice(row.to_string().as_bytes());
    }
}

impl Read for GeneratedArray {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.at == self.pending.len() {
            self.refill();
        }
        let n = buf.len().min(self.pending.len() - self.at);
        buf[..n].copy_from_slice(&self.pending[self.at..self.at + n]);
        self.at += n;
        self.produced.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

#[test]
fn a_50_mb_array_is_streamed_not_buffered() {
    const TARGET: u64 = 50 << 20;
    let produced = Arc::new(AtomicU64::new(0));
    let source = GeneratedArray {
        target: TARGET,
        produced: produced.clone(),
        next_id: 0,
        pending: Vec::new(),
        at: 0,
        done: false,
    };
    let mut r = JsonArrayReader::from_reader(Box::new(source), "big.json".into());
    let first = r.next_record().unwrap().unwrap();
    assert_eq!(first["id"], 0);
    let before_first = produced.load(Ordering::Relaxed);
    assert!(
        before_first <= READ_BUFFER as u64,
        "{before_first} bytes read before the first record"
    );
    let mut rows = 1u64;
    let mut last_id = 0;
    while let Some(rec) = r.next_record().unwrap() {
        rows += 1;
        last_id = rec["id"].as_u64().unwrap();
    }
    assert!(produced.load(Ordering::Relaxed) >= TARGET);
    assert_eq!(last_id, rows - 1);
    assert!(
        r.element.capacity() < 4096,
        "element buffer grew to {}",
        r.element.capacity()
    );
}
