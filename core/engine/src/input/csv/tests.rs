use std::io::{Cursor, Read};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use serde_json::{Value, json};

use super::*;

fn reader(bytes: &[u8]) -> CsvReader {
    CsvReader::from_reader(Box::new(Cursor::new(bytes.to_vec())), "in.csv".into())
}

fn all(text: &str) -> Result<Vec<Value>> {
    let mut r = reader(text.as_bytes());
    let mut out = Vec::new();
    while let Some(rec) = r.next_record()? {
        out.push(Value::Object(rec));
    }
    Ok(out)
}

fn error_of(text: &str) -> Error {
    all(text).unwrap_err()
}

#[test]
fn header_names_key_typed_values_in_column_order() {
    let text = "id,Name,score,active,when,note\n\
                1,Alice,1.5,true,2024-01-02T03:04:05Z,\n\
                2,\"Bob, Jr.\",,FALSE,,\"\"\n";
    let rows = all(text).unwrap();
    assert_eq!(
        rows,
        vec![
            json!({"id": 1, "Name": "Alice", "score": 1.5, "active": true, "when": "2024-01-02T03:04:05Z"}),
            json!({"id": 2, "Name": "Bob, Jr.", "active": false, "note": ""}),
        ]
    );
    let keys: Vec<&String> = rows[0].as_object().unwrap().keys().collect();
    assert_eq!(keys, ["id", "Name", "score", "active", "when"]);
}

#[test]
fn crlf_quotes_and_line_breaks_inside_quotes() {
    let text = "a,b\r\n\"say \"\"hi\"\"\",\"two\r\nlines\"\r\n\"007\",x\"y\r\n";
    let rows = all(text).unwrap();
    assert_eq!(
        rows,
        vec![
            json!({"a": "say \"hi\"", "b": "two\r\nlines"}),
            json!({"a": "007", "b": "x\"y"}),
        ]
    );
}

#[test]
fn short_rows_blank_lines_and_a_missing_final_newline() {
    let rows = all("a,b,c\n\n1\n\r\n4,5,6").unwrap();
    assert_eq!(rows, vec![json!({"a": 1}), json!({"a": 4, "b": 5, "c": 6})]);
}

#[test]
fn empty_inputs_have_no_records() {
    for text in ["", "\n\n", "a,b\n", "a,b"] {
        assert!(all(text).unwrap().is_empty(), "{text:?}");
    }
}

#[test]
fn header_bom_empty_and_repeated_names() {
    let rows = all("\u{feff}\"id\",,x,x,x.1\n1,2,3,4,5\n").unwrap();
    assert_eq!(
        rows,
        vec![json!({"id": 1, "Unnamed: 1": 2, "x": 3, "x.1": 4, "x.1.1": 5})]
    );
}

#[test]
fn a_row_with_too_many_fields_names_its_line() {
    let err = error_of("a,b\n1,2\n\"multi\nline\",2\n3,4,5\n");
    assert!(
        err.to_string()
            .starts_with("in.csv:5: the row has 3 fields but the header has 2"),
        "{err}"
    );
    assert!(!err.is_retryable());
    assert!(err.context().contains(&("line".into(), "5".into())));
}

#[test]
fn malformed_quoting_names_file_line_and_field() {
    let err = error_of("a,b\n1,\"x\"y\n").to_string();
    assert!(
        err.starts_with("in.csv:2: field 2: unexpected 'y' after the closing quote"),
        "{err}"
    );
    let err = error_of("a,b\n1,2\n3,\"open\n\nmore\n").to_string();
    assert!(
        err.starts_with("in.csv:3: field 2: the quote opened on this line is never closed"),
        "{err}"
    );
}

#[test]
fn invalid_utf8_names_the_line() {
    let mut r = reader(b"a\nok\n\xff\xfe\n");
    assert_eq!(r.next_record().unwrap().unwrap()["a"], "ok");
    let err = r.next_record().unwrap_err().to_string();
    assert!(
        err.starts_with("in.csv:3: field 1: not valid UTF-8"),
        "{err}"
    );
}

/// `id,name\n` then rows on demand up to `target` bytes, counting bytes handed out.
struct GeneratedCsv {
    target: u64,
    produced: Arc<AtomicU64>,
    next_id: u64,
    pending: Vec<u8>,
    at: usize,
}

impl Read for GeneratedCsv {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.at == self.pending.len() {
            self.pending.clear();
            self.at = 0;
            if self.next_id == 0 {
                self.pending.extend_from_slice(b"id,name,amount\r\n");
            }
            if self.produced.load(Ordering::Relaxed) < self.target {
                let id = self.next_id;
                let row = format!("{id},\"row, {id}\",{id}.5\r\n");
                self.pending.extend_from_slice(row.as_bytes());
                self.next_id += 1;
            }
        }
        let n = buf.len().min(self.pending.len() - self.at);
        buf[..n].copy_from_slice(&self.pending[self.at..self.at + n]);
        self.at += n;
        self.produced.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

#[test]
fn a_large_csv_is_streamed_not_buffered() {
    const TARGET: u64 = 20 << 20;
    let produced = Arc::new(AtomicU64::new(0));
    let source = GeneratedCsv {
        target: TARGET,
        produced: produced.clone(),
        next_id: 0,
        pending: Vec::new(),
        at: 0,
    };
    let mut r = CsvReader::from_reader(Box::new(source), "big.csv".into());
    let first = r.next_record().unwrap().unwrap();
    assert_eq!(
        Value::Object(first),
        json!({"id": 0, "name": "row, 0", "amount": 0.5})
    );
    let before_first = produced.load(Ordering::Relaxed);
    assert!(
        before_first <= READ_BUFFER as u64,
        "{before_first} bytes before the first record"
    );
    let mut rows = 1u64;
    while let Some(rec) = r.next_record().unwrap() {
        assert_eq!(rec["id"], rows);
        rows += 1;
    }
    assert!(produced.load(Ordering::Relaxed) >= TARGET);
    assert_eq!(r.line, rows + 1);
}
