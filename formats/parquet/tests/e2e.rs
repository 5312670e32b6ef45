//! End to end: `stowage run … --format parquet` writes a dataset that dlt 1.31 reads back
//! with the same values (`pipeline.dataset()`), and whose files pyarrow reads.

#[path = "shared/interop.rs"]
mod interop;

use interop::*;

#[test]
fn dlt_reads_a_parquet_dataset_written_by_stowage() {
    let Some(loaded) = assert_dlt_reads_stowage_dataset("parquet", None, &[]) else {
        return;
    };
    assert!(!loaded.files.is_empty());
    for f in &loaded.files {
        let name = f.file_name().unwrap().to_str().unwrap();
        assert!(
            name.ends_with(".parquet") && !name.ends_with(".gz"),
            "{name}"
        );
        assert_eq!(&std::fs::read(f).unwrap()[..4], b"PAR1");
    }
}

#[test]
fn disable_compression_does_not_change_parquet() {
    let Some(loaded) =
        assert_dlt_reads_stowage_dataset("parquet", None, &["--disable-compression"])
    else {
        return;
    };
    let parquet = |f: &std::path::PathBuf| f.extension().is_some_and(|e| e == "parquet");
    assert!(loaded.files.iter().all(parquet), "{:?}", loaded.files);
}
