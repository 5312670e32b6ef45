//! `COPY … FROM STDIN` from a staged file, streamed: the file is read from the staging bucket's
//! reader (gunzipped when its extension ends in `.gz`) and written to the server in chunks, so
//! memory stays at a few buffers whatever the file size.
//!
//! - `csv` (Stowage's csv format: header line, nulls as empty unquoted fields) goes to
//!   `COPY … (FORMAT csv, HEADER true)` unchanged, with the column list from the header.
//! - `jsonl` is transcoded line by line into `COPY`'s text format over every table column:
//!   missing keys are NULL, `binary` values (base64 in jsonl) become `\x…` bytea text, nested
//!   `json` values their compact JSON text.

use std::io::{BufRead, BufReader, BufWriter, Write};

use base64::Engine;
use flate2::read::MultiGzDecoder;
use postgres::Client;
use serde_json::Value;
use stowage_plugin_sdk::io::ReadAdapter;
use stowage_plugin_sdk::{CopyColumn, CopyRequest, ObjectReader, PluginError, Result};

use crate::errors::from_pg;
use crate::sql::{qualified, quote_ident};

/// Read and write buffer size.
const BUFFER: usize = 1 << 20;

/// Loads the staged file into the request's table; returns the rows copied.
pub fn copy_file(
    client: &mut Client,
    request: &CopyRequest,
    source: Box<dyn ObjectReader>,
    secrets: &[String],
) -> Result<u64> {
    let raw = BufReader::with_capacity(BUFFER, ReadAdapter::new(source));
    let mut input: Box<dyn BufRead> = if request.is_gzip() {
        Box::new(BufReader::with_capacity(BUFFER, MultiGzDecoder::new(raw)))
    } else {
        Box::new(raw)
    };
    let what = format!("copying {} into {}", request.url, request.table);
    let result = match request.format.as_str() {
        "csv" => copy_csv(client, request, &mut input, secrets),
        "jsonl" => copy_jsonl(client, request, &mut input, secrets),
        other => Err(PluginError::unsupported(format!(
            "postgres destination cannot load `{other}` files (supported: jsonl, csv)"
        ))),
    };
    result.map_err(|e| e.while_doing(&what))
}

/// Context key set on an error after which the connection is out of step with the server.
pub const BROKEN_SESSION: &str = "postgres_session";

/// True if `error` left the connection unusable (see [`start_copy`]).
pub fn broke_session(error: &PluginError) -> bool {
    error.context().iter().any(|(k, _)| k == BROKEN_SESSION)
}

fn copy_csv(
    client: &mut Client,
    request: &CopyRequest,
    input: &mut dyn BufRead,
    secrets: &[String],
) -> Result<u64> {
    let mut header = Vec::new();
    input
        .read_until(b'\n', &mut header)
        .map_err(|e| PluginError::from_io_error(e, "reading the csv header"))?;
    if header.is_empty() {
        return Ok(0);
    }
    let names = stowage_format_support::csv::split_header(&String::from_utf8_lossy(&header))?;
    let columns: Vec<String> = names.iter().map(|n| quote_ident(n)).collect();
    let sql = format!(
        "COPY {} ({}) FROM STDIN WITH (FORMAT csv, HEADER true)",
        qualified(&request.dataset, &request.table),
        columns.join(", ")
    );
    let mut writer = start_copy(client, &sql, secrets)?;
    let streamed = writer
        .write_all(&header)
        .and_then(|_| std::io::copy(input, &mut writer).map(|_| ()));
    if let Err(e) = streamed {
        // An unterminated quote makes the server reject the COPY.
        return Err(fail_copy(
            writer,
            b"\"\n",
            PluginError::from_io_error(e, "streaming the csv file"),
        ));
    }
    writer
        .finish()
        .map_err(|e| from_pg(&e, "finishing COPY", secrets))
}

/// Starts `COPY … FROM STDIN`. When the server refuses the COPY at its start (a missing table
/// or column), the sync driver's connection is left out of step with the server: the error is
/// marked with [`BROKEN_SESSION`] and the session reconnects.
fn start_copy<'c>(
    client: &'c mut Client,
    sql: &str,
    secrets: &[String],
) -> Result<postgres::CopyInWriter<'c>> {
    client.copy_in(sql).map_err(|e| {
        from_pg(&e, "starting COPY", secrets).with_context(BROKEN_SESSION, "reconnect")
    })
}

/// Ends a COPY that failed on this side. Dropping an unfinished `CopyInWriter` desynchronizes
/// the sync driver's connection, so the copy is finished with a line the server rejects; the
/// server then reports the COPY as failed (and an open transaction as aborted) and the session
/// stays usable.
fn fail_copy(
    mut writer: postgres::CopyInWriter<'_>,
    poison_line: &[u8],
    error: PluginError,
) -> PluginError {
    let _ = writer.write_all(poison_line);
    let _ = writer.finish();
    error
}

fn copy_jsonl(
    client: &mut Client,
    request: &CopyRequest,
    input: &mut dyn BufRead,
    secrets: &[String],
) -> Result<u64> {
    let columns: Vec<String> = request
        .columns
        .iter()
        .map(|c| quote_ident(&c.name))
        .collect();
    let sql = format!(
        "COPY {} ({}) FROM STDIN WITH (FORMAT text)",
        qualified(&request.dataset, &request.table),
        columns.join(", ")
    );
    let writer = start_copy(client, &sql, secrets)?;
    let mut out = BufWriter::with_capacity(BUFFER, writer);
    let streamed = stream_jsonl(input, &request.columns, &mut out);
    let writer = out
        .into_inner()
        .map_err(|e| PluginError::from_io_error(e.into_error(), "streaming rows"))?;
    if let Err(e) = streamed {
        // One field more than the table has: the server rejects the row.
        let poison = vec!["\\N"; request.columns.len() + 1].join("\t") + "\n";
        return Err(fail_copy(writer, poison.as_bytes(), e));
    }
    writer
        .finish()
        .map_err(|e| from_pg(&e, "finishing COPY", secrets))
}

/// Transcodes every jsonl line of `input` into `out`.
fn stream_jsonl(
    input: &mut dyn BufRead,
    columns: &[CopyColumn],
    out: &mut dyn Write,
) -> Result<()> {
    let mut line = String::new();
    let mut line_no = 0u64;
    loop {
        line.clear();
        let n = input
            .read_line(&mut line)
            .map_err(|e| PluginError::from_io_error(e, "reading the jsonl file"))?;
        if n == 0 {
            break;
        }
        line_no += 1;
        if line.trim().is_empty() {
            continue;
        }
        let row = text_row(&line, columns).map_err(|e| e.while_doing(format!("line {line_no}")))?;
        out.write_all(row.as_bytes())
            .map_err(|e| PluginError::from_io_error(e, "streaming rows"))?;
    }
    Ok(())
}

/// One jsonl line as a `COPY` text row (tab-separated, `\N` for NULL, newline-terminated).
fn text_row(line: &str, columns: &[CopyColumn]) -> Result<String> {
    let value: Value = serde_json::from_str(line)
        .map_err(|e| PluginError::invalid(format!("not a JSON object: {e}")))?;
    let Value::Object(object) = value else {
        return Err(PluginError::invalid("not a JSON object"));
    };
    let mut row = String::with_capacity(line.len() + 16);
    for (i, column) in columns.iter().enumerate() {
        if i > 0 {
            row.push('\t');
        }
        match object.get(&column.name) {
            None | Some(Value::Null) => row.push_str("\\N"),
            Some(v) => push_escaped(&mut row, &field_text(v, column)?),
        }
    }
    row.push('\n');
    Ok(row)
}

/// The text PostgreSQL parses for a value of `column`'s type.
fn field_text(value: &Value, column: &CopyColumn) -> Result<String> {
    Ok(match (value, column.data_type.as_str()) {
        (Value::String(s), "binary") => {
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(s)
                .map_err(|e| {
                    PluginError::invalid(format!("column `{}`: not base64: {e}", column.name))
                })?;
            hex_bytea(&bytes)
        }
        (Value::String(s), "json") => Value::String(s.clone()).to_string(),
        (Value::String(s), _) => s.clone(),
        (Value::Bool(b), _) => if *b { "t" } else { "f" }.to_string(),
        (Value::Number(n), _) => n.to_string(),
        (other, _) => other.to_string(),
    })
}

fn hex_bytea(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(2 + bytes.len() * 2);
    out.push_str("\\x");
    for b in bytes {
        out.push_str(&format!("{b:02x}"));
    }
    out
}

/// Appends `text` with `COPY` text-format escapes.
fn push_escaped(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn col(name: &str, t: &str) -> CopyColumn {
        CopyColumn {
            name: name.into(),
            data_type: t.into(),
            nullable: true,
        }
    }

    #[test]
    fn jsonl_lines_become_text_rows() {
        let cols = [
            col("id", "bigint"),
            col("name", "text"),
            col("ok", "bool"),
            col("blob", "binary"),
            col("doc", "json"),
            col("missing", "text"),
        ];
        let row = text_row(
            r#"{"id":1,"name":"a\tb\\c\nd","ok":true,"blob":"AAFoaQ==","doc":{"k":[1,2]}}"#,
            &cols,
        )
        .unwrap();
        assert_eq!(
            row,
            "1\ta\\tb\\\\c\\nd\tt\t\\\\x00016869\t{\"k\":[1,2]}\t\\N\n"
        );
    }
}
