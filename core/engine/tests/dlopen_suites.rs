//! The SDK behaviour suites run against the built plugins through real dlopen.

use std::path::PathBuf;
use std::sync::Arc;

use arrow_array::{RecordBatch, RecordBatchReader};
use arrow_schema::{ArrowError, SchemaRef};
use stowage::Options;
use stowage::plugins::{DiscoveryConfig, Registry};
use stowage_plugin_sdk::io::MemoryWriter;
use stowage_plugin_sdk::testing::{backend, format};

fn registry() -> Option<Registry> {
    let dir = match std::env::var_os("STOWAGE_TEST_PLUGIN_DIR") {
        Some(d) => PathBuf::from(d),
        None if std::env::var("CI").is_ok_and(|v| v == "true") => {
            panic!("STOWAGE_TEST_PLUGIN_DIR not set in CI")
        }
        None => {
            eprintln!("skipped: plugins not built (run `cargo xtask test-all`)");
            return None;
        }
    };
    let reg = Registry::discover(&DiscoveryConfig::only_dirs(vec![dir]));
    assert!(reg.rejected().is_empty(), "{:?}", reg.rejected());
    Some(reg)
}

#[test]
fn local_backend_passes_the_behaviour_suite_through_dlopen() {
    let Some(reg) = registry() else { return };
    let root = tempfile::tempdir().unwrap();
    let url = format!("file://{}", root.path().display());
    let caps = reg.backend_for_scheme("file").unwrap().capabilities;
    let backend = reg.open_backend(&url, &Options::default()).unwrap();
    let config = backend::SuiteConfig {
        large_object_bytes: 64 << 20,
        ..Default::default()
    };
    backend::run_suite(backend.as_ref(), caps, &config);
}

#[test]
fn jsonl_format_passes_the_behaviour_suite_through_dlopen() {
    let Some(reg) = registry() else { return };
    for compressed in ["false", "true"] {
        let fmt = reg
            .open_format(
                "jsonl",
                &Options::new([("disable_compression", compressed)]),
            )
            .unwrap();
        format::run_suite(fmt.as_ref(), &format::FormatSuiteConfig::default());
    }
}

#[test]
fn unknown_backend_options_are_rejected_with_their_name() {
    let Some(reg) = registry() else { return };
    let err = reg
        .open_backend("/tmp", &Options::new([("colour", "red")]))
        .err()
        .expect("rejected");
    assert!(err.to_string().contains("`colour`"), "{err}");
    let err = reg
        .open_backend("gopher://x", &Options::default())
        .err()
        .expect("no plugin");
    assert!(
        err.to_string()
            .contains("no backend plugin serves `gopher`"),
        "{err}"
    );
}

struct PanickingProducer {
    schema: SchemaRef,
    sent: bool,
}

impl Iterator for PanickingProducer {
    type Item = Result<RecordBatch, ArrowError>;
    fn next(&mut self) -> Option<Self::Item> {
        if !self.sent {
            self.sent = true;
            return Some(Ok(format::standard_batch(0, 3)));
        }
        panic!("deliberate panic in the host's producer");
    }
}

impl RecordBatchReader for PanickingProducer {
    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }
}

#[test]
fn a_panicking_host_producer_becomes_an_error_not_an_abort() {
    let Some(reg) = registry() else { return };
    let fmt = reg.open_format("jsonl", &Options::default()).unwrap();
    let sink = MemoryWriter::new();
    let producer = PanickingProducer {
        schema: format::standard_schema(),
        sent: false,
    };
    let err = fmt
        .write_stream(Box::new(producer), Box::new(sink))
        .expect_err("producer panicked");
    assert!(err.to_string().contains("panicked"), "{err}");
    let _keep: Arc<_> = fmt;
}
