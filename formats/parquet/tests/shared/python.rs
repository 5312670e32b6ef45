//! Running the venv's Python with the canonical-value helpers, and reading its JSON lines.

use std::path::Path;
use std::process::Command;

use arrow_array::RecordBatch;
use serde_json::Value;

use super::compare::canonical_value;

/// Python that turns values into canonical JSON (see the module docs). Defines `canon(v)`
/// and `emit(names, rows)`.
pub const CANON_PY: &str = r#"
import datetime, decimal, json, sys
UTC = datetime.timezone.utc
EPOCH = datetime.datetime(1970, 1, 1, tzinfo=UTC)
NAIVE_EPOCH = datetime.datetime(1970, 1, 1)
US = datetime.timedelta(microseconds=1)

def canon(v):
    if v is None:
        return None
    if isinstance(v, bool) or isinstance(v, int):
        return v
    if isinstance(v, float):
        return "f:" + repr(v)
    if isinstance(v, decimal.Decimal):
        return "d:" + format(v, "f")
    if isinstance(v, datetime.datetime):
        if v.tzinfo is None:
            return "t:" + str((v - NAIVE_EPOCH) // US)
        return "tz:" + str((v - EPOCH) // US)
    if isinstance(v, datetime.date):
        return "date:" + str((v - datetime.date(1970, 1, 1)).days)
    if isinstance(v, datetime.time):
        return "time:" + str(((v.hour * 60 + v.minute) * 60 + v.second) * 1000000 + v.microsecond)
    if isinstance(v, (bytes, bytearray, memoryview)):
        return "b:" + bytes(v).hex()
    if isinstance(v, str):
        return "s:" + v
    if isinstance(v, (dict, list)):
        return "s:" + json.dumps(v)
    raise TypeError(f"cannot canonicalize {type(v).__name__}: {v!r}")

def emit(names, rows):
    out = sys.stdout
    for r in rows:
        out.write(json.dumps({n: canon(x) for n, x in zip(names, r)}, ensure_ascii=False) + "\n")
"#;

/// Runs `script` (after [`CANON_PY`]) with `args`; returns stdout, panicking with stderr on
/// failure.
pub fn run_python(python: &Path, script: &str, args: &[&str]) -> String {
    let program = format!("{CANON_PY}\n{script}");
    let out = Command::new(python)
        .arg("-c")
        .arg(&program)
        .args(args)
        .env("RUNTIME__DLTHUB_TELEMETRY", "false")
        .output()
        .expect("python runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "python failed:\n{stderr}\nscript:\n{script}"
    );
    String::from_utf8(out.stdout).expect("python prints UTF-8")
}

/// Like [`run_python`], with `stdin` fed to the script.
pub fn run_python_stdin(python: &Path, script: &str, args: &[&str], stdin: &str) -> String {
    use std::io::Write;
    use std::process::Stdio;
    let program = format!("{CANON_PY}\n{script}");
    let mut child = Command::new(python)
        .arg("-c")
        .arg(&program)
        .args(args)
        .env("RUNTIME__DLTHUB_TELEMETRY", "false")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python runs");
    let mut input = child.stdin.take().expect("stdin");
    let text = stdin.to_string();
    let feeder = std::thread::spawn(move || input.write_all(text.as_bytes()));
    let out = child.wait_with_output().expect("python finishes");
    feeder.join().expect("stdin feeder").expect("stdin written");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "python failed:\n{stderr}\nscript:\n{script}"
    );
    String::from_utf8(out.stdout).expect("python prints UTF-8")
}

/// The canonical JSON lines of `batch`, one object per row.
pub fn canonical_lines(batch: &RecordBatch) -> String {
    let mut out = String::new();
    for row in 0..batch.num_rows() {
        let obj: serde_json::Map<String, Value> = batch
            .schema()
            .fields()
            .iter()
            .enumerate()
            .map(|(i, f)| {
                (
                    f.name().clone(),
                    canonical_value(f, batch.column(i).as_ref(), row),
                )
            })
            .collect();
        out.push_str(&Value::Object(obj).to_string());
        out.push('\n');
    }
    out
}

/// Bytes of lowercase or uppercase hex text.
pub fn from_hex(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).expect("hex"))
        .collect()
}

/// One JSON object per non-empty line.
pub fn json_lines(text: &str) -> Vec<serde_json::Map<String, Value>> {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| match serde_json::from_str(l) {
            Ok(Value::Object(m)) => m,
            other => panic!("not a JSON object: {l} ({other:?})"),
        })
        .collect()
}
