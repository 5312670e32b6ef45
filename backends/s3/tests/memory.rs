//! A 1 GiB upload to the loopback S3 server (s3s-fs) keeps the process's peak RSS under
//! 300 MiB.
//!
//! The upload runs in a child process (this test binary, re-run for the one child test) that
//! opens the plugin through the engine's registry (real dlopen) and streams 1 GiB of generated
//! bytes through the writer with the default settings (8 MiB parts, 4 in flight). The parent
//! reads the child's peak RSS from `getrusage(RUSAGE_CHILDREN)` after waiting for it, and checks
//! the object's size. This file holds no other test, so no other child can raise the figure.

mod common;

use std::process::Command;

use common::Server;
use stowage::plugins::{DiscoveryConfig, Registry};
use stowage_plugin_sdk::Backend;

/// Set (to the bucket URL) only in the child process.
const CHILD_URL: &str = "STOWAGE_S3_MEMORY_CHILD_URL";
const CHILD_TEST: &str = "child_streams_one_gib_through_the_plugin";
const GIB: u64 = 1 << 30;
const CHUNK: usize = 1 << 20;
const RSS_LIMIT_KIB: i64 = 300 * 1024;

/// The child's work; a no-op when the test harness runs it as an ordinary test.
#[test]
fn child_streams_one_gib_through_the_plugin() {
    let Ok(url) = std::env::var(CHILD_URL) else {
        return;
    };
    let server = Server::s3s().expect("s3s-fs settings are inherited");
    let dir = common::plugin_dir().expect("plugin dir is inherited");
    let registry = Registry::discover(&DiscoveryConfig::only_dirs(vec![dir]));
    let backend = registry
        .open_backend(&url, &server.options(&[]))
        .expect("open through dlopen");
    let mut writer = backend.open_writer("big.bin").expect("open writer");
    let mut chunk = common::pattern(0, CHUNK);
    for i in 0..GIB / CHUNK as u64 {
        chunk[..8].copy_from_slice(&i.to_le_bytes());
        writer.write(&chunk).expect("write");
    }
    assert_eq!(writer.finish().expect("finish"), GIB);
}

#[test]
fn a_one_gib_upload_keeps_peak_rss_under_300_mib() {
    let Some(server) = Server::s3s() else { return };
    if common::plugin_dir().is_none() {
        return;
    }
    let bucket = server.bucket("mem");
    // Output captured: the child's own test summary must not count as a second test run.
    let child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", CHILD_TEST, "--test-threads", "1"])
        .env(CHILD_URL, bucket.url("m"))
        .output()
        .expect("the child runs");
    assert!(
        child.status.success(),
        "the child failed: {}\n{}\n{}",
        child.status,
        String::from_utf8_lossy(&child.stdout),
        String::from_utf8_lossy(&child.stderr)
    );
    let peak_kib = children_peak_rss_kib();
    eprintln!("peak RSS of the 1 GiB upload: {} MiB", peak_kib / 1024);
    assert!(
        peak_kib < RSS_LIMIT_KIB,
        "peak RSS {} MiB is over 300 MiB",
        peak_kib / 1024
    );
    assert_eq!(bucket.store.head("m/big.bin").unwrap().size, GIB);
}

/// The largest peak RSS of the waited-for children, in KiB.
fn children_peak_rss_kib() -> i64 {
    // SAFETY: `getrusage` only writes the zero-initialized struct it is given.
    let usage = unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        assert_eq!(libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage), 0);
        usage
    };
    usage.ru_maxrss
}
