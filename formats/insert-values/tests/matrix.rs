//! The test matrix for insert_values: the all-types table, an empty table and 100k rows,
//! written by the plugin, read back through the plugin, and executed by a real PostgreSQL
//! server (psql + `DATABASE_URL`) and an embedded DuckDB (the venv's python), whose stored
//! rows are compared with what was written.

#[path = "../../parquet/tests/shared/interop.rs"]
mod interop;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

use arrow_array::{RecordBatch, RecordBatchIterator};
use arrow_schema::{DataType, Field, SchemaRef, TimeUnit};
use interop::*;
use stowage_plugin_insert_values::InsertValuesFormat;
use stowage_plugin_sdk::io::MemoryReader;
use stowage_plugin_sdk::types::is_json_field;
use stowage_plugin_sdk::{Format, FormatPlugin, Options};

fn format(pairs: &[(&str, &str)]) -> Box<dyn Format> {
    InsertValuesFormat::open(Options::new(pairs.iter().copied())).expect("options are valid")
}

fn to_bytes(format: &dyn Format, schema: SchemaRef, batches: Vec<RecordBatch>) -> Vec<u8> {
    let mut reader = RecordBatchIterator::new(batches.into_iter().map(Ok), schema);
    let mut out = Vec::new();
    format.write(&mut reader, &mut out).expect("written");
    out
}

fn read(format: &dyn Format, bytes: Vec<u8>, schema: Option<SchemaRef>) -> Vec<RecordBatch> {
    format
        .read(Box::new(MemoryReader::new(bytes)), schema)
        .expect("readable")
        .collect::<Result<_, _>>()
        .expect("batches decode")
}

/// The SQL text with the table name in place of the `{}` placeholder (gunzipped if needed).
fn executable(bytes: &[u8], table: &str) -> String {
    let text = if bytes.starts_with(&[0x1f, 0x8b]) {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(bytes), &mut s).unwrap();
        s
    } else {
        String::from_utf8(bytes.to_vec()).unwrap()
    };
    text.replacen("{}", table, 1)
}

fn unique_table(prefix: &str) -> String {
    static N: AtomicUsize = AtomicUsize::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!(
        "{prefix}_{}_{nanos}_{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

#[test]
fn all_types_round_trip_through_the_plugin() {
    let batch = all_types_batch();
    let schema = batch.schema();
    for options in [
        &[][..],
        &[("dialect", "duckdb"), ("disable_compression", "true")],
    ] {
        let f = format(options);
        let bytes = to_bytes(
            f.as_ref(),
            schema.clone(),
            vec![batch.slice(0, 6), batch.slice(6, 6)],
        );
        let back = concat(
            &schema,
            &read(f.as_ref(), bytes.clone(), Some(schema.clone())),
        );
        assert_eq!(back, batch, "{options:?}");
        let inferred = read(f.as_ref(), bytes, None);
        let types: Vec<DataType> = inferred[0]
            .schema()
            .fields()
            .iter()
            .map(|f| f.data_type().clone())
            .collect();
        assert_eq!(types[0], DataType::Int64, "{options:?}");
        assert_eq!(types[3], DataType::Boolean, "{options:?}");
    }
}

#[test]
fn empty_tables_are_empty_scripts() {
    let schema = all_types_batch().schema();
    let f = format(&[("disable_compression", "true")]);
    for batches in [vec![], vec![all_types_batch().slice(0, 0)]] {
        let bytes = to_bytes(f.as_ref(), schema.clone(), batches);
        assert!(bytes.is_empty());
        assert!(read(f.as_ref(), bytes, Some(schema.clone())).is_empty());
    }
}

// ---- PostgreSQL ----

fn postgres() -> Option<(PathBuf, String)> {
    let url = required_env(
        "DATABASE_URL",
        "start the servers: `cargo xtask servers start`",
    )?;
    let psql = PathBuf::from("psql");
    let works = Command::new(&psql)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !works {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("psql is not installed in CI");
        }
        eprintln!("skipped: psql is not installed");
        return None;
    }
    Some((psql, url.to_string_lossy().into_owned()))
}

fn psql(psql: &Path, url: &str, args: &[&str]) -> String {
    let out = Command::new(psql)
        .arg(url)
        .args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-At"])
        .args(args)
        .output()
        .expect("psql runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "psql failed: {stderr}");
    String::from_utf8(out.stdout).unwrap()
}

fn pg_type(field: &Field) -> String {
    if is_json_field(field) {
        return "jsonb".into();
    }
    let t = match field.data_type() {
        DataType::Int16 => "smallint".to_string(),
        DataType::Int32 => "integer".into(),
        DataType::Int64 => "bigint".into(),
        DataType::Float64 => "double precision".into(),
        DataType::Boolean => "boolean".into(),
        DataType::Decimal128(p, s) | DataType::Decimal256(p, s) => format!("numeric({p},{s})"),
        DataType::Timestamp(TimeUnit::Millisecond, Some(_)) => "timestamptz(3)".into(),
        DataType::Timestamp(_, Some(_)) => "timestamptz".into(),
        DataType::Timestamp(_, None) => "timestamp".into(),
        DataType::Time64(_) => "time".into(),
        DataType::Date32 => "date".into(),
        DataType::Binary => "bytea".into(),
        _ => "text".into(),
    };
    if field.is_nullable() {
        t
    } else {
        format!("{t} NOT NULL")
    }
}

/// The canonical JSON of a column, computed by PostgreSQL.
fn pg_canonical(field: &Field) -> String {
    let c = format!("\"{}\"", field.name());
    let us = |e: &str| format!("(extract(epoch from {e}) * 1000000)::bigint");
    if is_json_field(field) {
        return format!("'s:' || {c}::text");
    }
    match field.data_type() {
        DataType::Int16 | DataType::Int32 | DataType::Int64 | DataType::Boolean => c,
        DataType::Float64 => format!("'f:' || {c}::text"),
        DataType::Decimal128(..) | DataType::Decimal256(..) => format!("'d:' || {c}::text"),
        DataType::Timestamp(_, Some(_)) => format!("'tz:' || {}", us(&c)),
        DataType::Timestamp(_, None) => format!("'t:' || {}", us(&c)),
        DataType::Time64(_) => format!("'time:' || {}", us(&c)),
        DataType::Date32 => format!("'date:' || ({c} - date '1970-01-01')"),
        DataType::Binary => format!("'b:' || encode({c}, 'hex')"),
        _ => format!("'s:' || {c}"),
    }
}

/// Creates a table for `schema`, runs `bytes` into it, and returns its rows (canonical JSON,
/// ordered by the first column).
fn through_postgres(
    schema: &SchemaRef,
    bytes: &[u8],
) -> Option<Vec<serde_json::Map<String, serde_json::Value>>> {
    let (psql_bin, url) = postgres()?;
    let table = unique_table("stowage_iv");
    let columns: Vec<String> = schema
        .fields()
        .iter()
        .map(|f| format!("\"{}\" {}", f.name(), pg_type(f)))
        .collect();
    psql(
        &psql_bin,
        &url,
        &[
            "-c",
            &format!("CREATE TABLE {table} ({})", columns.join(", ")),
        ],
    );
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("insert.sql");
    std::fs::write(&script, executable(bytes, &table)).unwrap();
    let run = Command::new(&psql_bin)
        .arg(&url)
        .args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-f"])
        .arg(&script)
        .output()
        .unwrap();
    let pairs: Vec<String> = schema
        .fields()
        .iter()
        .map(|f| format!("'{}', {}", f.name(), pg_canonical(f)))
        .collect();
    let order = schema.field(0).name();
    let select = format!(
        "SELECT json_build_object({}) FROM {table} ORDER BY \"{order}\"",
        pairs.join(", ")
    );
    let rows = run
        .status
        .success()
        .then(|| psql(&psql_bin, &url, &["-c", &select]));
    psql(&psql_bin, &url, &["-c", &format!("DROP TABLE {table}")]);
    let rows =
        rows.unwrap_or_else(|| panic!("psql failed: {}", String::from_utf8_lossy(&run.stderr)));
    Some(json_lines(&rows))
}

#[test]
fn postgresql_stores_every_type_exactly() {
    let batch = all_types_batch();
    let f = format(&[]);
    let bytes = to_bytes(
        f.as_ref(),
        batch.schema(),
        vec![batch.slice(0, 4), batch.slice(4, 8)],
    );
    let Some(rows) = through_postgres(&batch.schema(), &bytes) else {
        return;
    };
    assert_rows(&batch, &rows, Leniency::default());
}

#[test]
fn postgresql_strips_nul_like_dlt() {
    use std::sync::Arc;
    let schema = Arc::new(arrow_schema::Schema::new(vec![
        Field::new("id", DataType::Int64, false),
        f("text", DataType::Utf8),
    ]));
    let batch = RecordBatch::try_new(
        schema.clone(),
        vec![
            Arc::new(arrow_array::Int64Array::from(vec![1])),
            Arc::new(arrow_array::StringArray::from(vec!["a\0b"])),
        ],
    )
    .unwrap();
    let bytes = to_bytes(format(&[]).as_ref(), schema.clone(), vec![batch]);
    let Some(rows) = through_postgres(&schema, &bytes) else {
        return;
    };
    assert_eq!(rows[0]["text"], "s:ab");
}

// ---- DuckDB ----

fn duckdb_type(field: &Field) -> String {
    if is_json_field(field) {
        return "JSON".into();
    }
    let t = match field.data_type() {
        DataType::Int16 => "SMALLINT".to_string(),
        DataType::Int32 => "INTEGER".into(),
        DataType::Int64 => "BIGINT".into(),
        DataType::Float64 => "DOUBLE".into(),
        DataType::Boolean => "BOOLEAN".into(),
        // DuckDB decimals hold at most 38 digits: wider ones are kept as text.
        DataType::Decimal128(p, s) => format!("DECIMAL({p},{s})"),
        DataType::Decimal256(..) => "VARCHAR".into(),
        DataType::Timestamp(_, Some(_)) => "TIMESTAMPTZ".into(),
        DataType::Timestamp(_, None) => "TIMESTAMP".into(),
        DataType::Time64(_) => "TIME".into(),
        DataType::Date32 => "DATE".into(),
        DataType::Binary => "BLOB".into(),
        _ => "VARCHAR".into(),
    };
    if field.is_nullable() {
        t
    } else {
        format!("{t} NOT NULL")
    }
}

const DUCKDB_RUN: &str = r#"
import duckdb
ddl, script, order = sys.argv[1], sys.argv[2], sys.argv[3]
con = duckdb.connect()
con.execute("SET TimeZone = 'UTC'")
con.execute(ddl)
with open(script, encoding="utf-8") as fh:
    sql = fh.read()
if sql:
    con.execute(sql)
cur = con.execute(f'SELECT * FROM t ORDER BY "{order}"')
emit([d[0] for d in cur.description], cur.fetchall())
"#;

fn through_duckdb(
    schema: &SchemaRef,
    bytes: &[u8],
) -> Option<Vec<serde_json::Map<String, serde_json::Value>>> {
    let python = python()?;
    let columns: Vec<String> = schema
        .fields()
        .iter()
        .map(|f| format!("\"{}\" {}", f.name(), duckdb_type(f)))
        .collect();
    let ddl = format!("CREATE TABLE t ({})", columns.join(", "));
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("insert.sql");
    std::fs::write(&script, executable(bytes, "t")).unwrap();
    let out = run_python(
        &python,
        DUCKDB_RUN,
        &[&ddl, script.to_str().unwrap(), schema.field(0).name()],
    );
    Some(json_lines(&out))
}

#[test]
fn duckdb_stores_every_type_exactly() {
    let batch = all_types_batch();
    let f = format(&[("dialect", "duckdb")]);
    let bytes = to_bytes(f.as_ref(), batch.schema(), vec![batch.clone()]);
    let Some(rows) = through_duckdb(&batch.schema(), &bytes) else {
        return;
    };
    assert_rows(&batch, &rows, Leniency::default());
}

// ---- many rows ----

const ROWS: usize = 100_000;

#[test]
fn a_hundred_thousand_rows_through_plugin_postgresql_and_duckdb() {
    let schema = stowage_plugin_sdk::testing::format::standard_schema();
    let batches = large_batches(ROWS, 5000);
    let all = concat(&schema, &batches);
    let sample = rows_where(&all, |i| i % 997 == 0);
    for (dialect, through) in [
        ("postgres", through_postgres as fn(&SchemaRef, &[u8]) -> _),
        ("duckdb", through_duckdb),
    ] {
        let f = format(&[("dialect", dialect)]);
        let bytes = to_bytes(f.as_ref(), schema.clone(), batches.clone());
        let back = concat(
            &schema,
            &read(f.as_ref(), bytes.clone(), Some(schema.clone())),
        );
        assert_eq!(back, all, "{dialect}");
        let Some(rows) = through(&schema, &bytes) else {
            continue;
        };
        assert_eq!(rows.len(), ROWS, "{dialect}");
        let picked: Vec<_> = rows
            .into_iter()
            .enumerate()
            .filter(|(i, _)| i % 997 == 0)
            .map(|(_, r)| r)
            .collect();
        assert_rows(&sample, &picked, Leniency::default());
    }
}
