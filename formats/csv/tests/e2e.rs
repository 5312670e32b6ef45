//! End to end: `stowage run … --format csv` writes a dataset (gzip by default, or plain with
//! `--disable-compression`) that dlt 1.31 reads back with the same values
//! (`pipeline.dataset()`, which reads csv through DuckDB).
//!
//! The input is `examples/data/events.ndjson` without line breaks inside strings: dlt 1.31
//! cannot read a csv file that has them, including the ones it writes itself (DuckDB's
//! `read_csv` with `null_padding=true` refuses quoted line breaks in its parallel scanner).

#[path = "../../parquet/tests/shared/interop.rs"]
mod interop;

use interop::*;

#[test]
fn dlt_reads_a_gzip_csv_dataset_written_by_stowage() {
    let dir = tempfile::tempdir().unwrap();
    let input = example_events_without_line_breaks(dir.path());
    let Some(loaded) = assert_dlt_reads_stowage_dataset("csv", Some(&input), &[]) else {
        return;
    };
    assert!(!loaded.files.is_empty());
    for f in &loaded.files {
        let name = f.file_name().unwrap().to_str().unwrap();
        assert!(name.ends_with(".csv.gz"), "{name}");
        assert_eq!(&std::fs::read(f).unwrap()[..2], &[0x1f, 0x8b]);
    }
}

#[test]
fn dlt_reads_a_plain_csv_dataset_written_by_stowage() {
    let dir = tempfile::tempdir().unwrap();
    let input = example_events_without_line_breaks(dir.path());
    let Some(loaded) =
        assert_dlt_reads_stowage_dataset("csv", Some(&input), &["--disable-compression"])
    else {
        return;
    };
    for f in &loaded.files {
        let name = f.file_name().unwrap().to_str().unwrap();
        assert!(name.ends_with(".csv"), "{name}");
        let text = std::fs::read_to_string(f).unwrap();
        assert!(
            text.starts_with("\"event_id\",") || text.starts_with('"'),
            "{text:.80}"
        );
    }
}
