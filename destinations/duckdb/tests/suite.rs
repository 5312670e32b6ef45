//! The SDK's destination suite against embedded DuckDB, in-process and through real dlopen of
//! the built plugin (which finds `libduckdb.so` next to itself); plus gzip files, parquet, and
//! data that survives closing and reopening the database file.

use std::io::Write;
use std::path::{Path, PathBuf};

use stowage::plugins::{DiscoveryConfig, Registry};
use stowage_plugin_duckdb::DuckDbDestination;
use stowage_plugin_sdk::io::MemoryReader;
use stowage_plugin_sdk::testing::destination::{
    DestinationSuite, SAMPLE_CSV, SAMPLE_JSONL, rows, run_suite,
};
use stowage_plugin_sdk::{
    CopyColumn, CopyRequest, Destination, DestinationPlugin, ErrorKind, Options,
};

fn suite(dataset: &str) -> DestinationSuite<'_> {
    DestinationSuite {
        capabilities: DuckDbDestination::CAPABILITIES,
        staging_formats: DuckDbDestination::STAGING_FORMATS
            .iter()
            .map(|s| s.to_string())
            .collect(),
        type_map: DuckDbDestination::TYPE_MAP
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        dataset,
    }
}

fn open(path: &Path) -> Box<dyn Destination> {
    let file = path.to_str().unwrap().to_string();
    DuckDbDestination::open(Options::new([("credentials", file)])).expect("opens")
}

#[test]
fn behaviour_suite_in_process() {
    let dir = tempfile::tempdir().unwrap();
    let dest = open(&dir.path().join("suite.duckdb"));
    run_suite(dest.as_ref(), &suite("suite_ds"));
}

#[test]
fn behaviour_suite_in_memory() {
    let dest = DuckDbDestination::open(Options::new([("credentials", ":memory:")])).expect("opens");
    run_suite(dest.as_ref(), &suite("mem_ds"));
}

#[test]
fn behaviour_suite_through_dlopen() {
    let dir = match std::env::var_os("STOWAGE_TEST_PLUGIN_DIR") {
        Some(dir) => PathBuf::from(dir),
        None if std::env::var("CI").as_deref() == Ok("true") => {
            panic!("STOWAGE_TEST_PLUGIN_DIR is not set (run cargo xtask test-all)")
        }
        None => {
            eprintln!("skipped: STOWAGE_TEST_PLUGIN_DIR is not set (cargo xtask build first)");
            return;
        }
    };
    let registry = Registry::discover(&DiscoveryConfig::only_dirs(vec![dir]));
    let info = registry
        .destination("duckdb")
        .expect("duckdb destination is listed");
    assert!(info.is_loadable());
    assert_eq!(info.staging_formats, ["parquet", "jsonl", "csv"]);
    let db = tempfile::tempdir().unwrap();
    let file = db.path().join("dl.duckdb").to_str().unwrap().to_string();
    let dest = registry
        .open_destination("duckdb", &Options::new([("credentials", file)]))
        .expect("opens through the ABI");
    let mut s = suite("dlopen_ds");
    s.capabilities = info.capabilities;
    s.type_map = info.type_map.clone();
    run_suite(dest.as_ref(), &s);
}

fn columns() -> Vec<CopyColumn> {
    [
        ("id", "bigint"),
        ("name", "text"),
        ("flag", "bool"),
        ("score", "double"),
        ("amount", "decimal"),
        ("ts", "timestamp"),
        ("day", "date"),
        ("blob", "binary"),
        ("doc", "json"),
        ("note", "text"),
    ]
    .iter()
    .map(|(n, t)| CopyColumn {
        name: n.to_string(),
        data_type: t.to_string(),
        nullable: true,
    })
    .collect()
}

fn create_table(dest: &dyn Destination, ds: &str) {
    let cols: Vec<String> = columns()
        .iter()
        .map(|c| {
            format!(
                "\"{}\" {}",
                c.name,
                DuckDbDestination::type_of(&c.data_type)
            )
        })
        .collect();
    dest.execute(&format!(
        "CREATE SCHEMA {ds}; CREATE TABLE {ds}.t ({})",
        cols.join(", ")
    ))
    .unwrap();
}

#[test]
fn gzip_files_load_and_the_file_keeps_them() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("gz.duckdb");
    {
        let dest = open(&path);
        create_table(dest.as_ref(), "ds");
        for (format, body) in [("jsonl", SAMPLE_JSONL), ("csv", SAMPLE_CSV)] {
            let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            enc.write_all(body.as_bytes()).unwrap();
            let request = CopyRequest {
                dataset: "ds".into(),
                table: "t".into(),
                format: format.into(),
                extension: format!("{format}.gz"),
                columns: columns(),
                url: format!("file:///x/t.{format}.gz"),
            };
            let n = dest
                .copy_file(&request, Box::new(MemoryReader::new(enc.finish().unwrap())))
                .expect("copies a gzip file");
            assert_eq!(n, 3, "{format}");
        }
    }
    let dest = open(&path);
    let r = rows(dest.as_ref(), "SELECT COUNT(*) AS n FROM ds.t");
    assert_eq!(r[0]["n"], 6, "rows survive reopening the file");
}

#[test]
fn a_parquet_file_written_by_duckdb_loads() {
    let dir = tempfile::tempdir().unwrap();
    let dest = open(&dir.path().join("pq.duckdb"));
    create_table(dest.as_ref(), "ds");
    let parquet = dir.path().join("t.parquet");
    dest.execute(&format!(
        "COPY (SELECT 7::BIGINT AS id, 'x' AS name, TIMESTAMPTZ '2024-01-02 03:04:05+00' AS ts, \
         '{{\"a\":1}}' AS doc) TO '{}' (FORMAT parquet)",
        parquet.display()
    ))
    .unwrap();
    let request = CopyRequest {
        dataset: "ds".into(),
        table: "t".into(),
        format: "parquet".into(),
        extension: "parquet".into(),
        columns: columns(),
        url: "file:///x/t.parquet".into(),
    };
    let bytes = std::fs::read(&parquet).unwrap();
    let n = dest
        .copy_file(&request, Box::new(MemoryReader::new(bytes)))
        .expect("copies parquet");
    assert_eq!(n, 1);
    let r = rows(
        dest.as_ref(),
        "SELECT id, name, CAST(EXTRACT(EPOCH FROM ts) AS BIGINT) AS ts, doc, note FROM ds.t",
    );
    assert_eq!(r[0]["id"], 7);
    assert_eq!(r[0]["ts"], 1_704_164_645);
    assert_eq!(r[0]["doc"]["a"], 1);
    assert!(r[0]["note"].is_null());
}

#[test]
fn a_file_column_the_table_lacks_is_an_error() {
    let dest = DuckDbDestination::open(Options::new([("credentials", ":memory:")])).expect("opens");
    dest.execute("CREATE SCHEMA ds; CREATE TABLE ds.t (id BIGINT)")
        .unwrap();
    let request = CopyRequest {
        dataset: "ds".into(),
        table: "t".into(),
        format: "csv".into(),
        extension: "csv".into(),
        columns: vec![CopyColumn {
            name: "id".into(),
            data_type: "bigint".into(),
            nullable: true,
        }],
        url: "file:///x/t.csv".into(),
    };
    let err = dest
        .copy_file(
            &request,
            Box::new(MemoryReader::new(b"\"id\",\"zz\"\n1,2\n".to_vec())),
        )
        .expect_err("unknown column");
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
    assert!(err.to_string().contains("`zz`"), "{err}");
}
