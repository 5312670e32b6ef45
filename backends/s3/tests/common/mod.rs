//! Helpers for the S3 tests: the loopback servers started by `cargo xtask servers start`, unique
//! buckets that clean up after themselves, the built plugins and binary, and test data.
//!
//! Servers come from the environment `cargo xtask test-all` passes (`cargo xtask servers env`):
//! moto at `EMU_S3_ENDPOINT` (any keys; broad S3 semantics) and s3s-fs at `EMU_S3_AUTH_ENDPOINT`
//! with `EMU_S3_AUTH_ACCESS_KEY`/`EMU_S3_AUTH_SECRET_KEY` (checks SigV4). When a variable is
//! missing a test prints a skip line and returns, except under `CI=true`, where it panics.

#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};

use stowage_plugin_s3::{S3Store, open_store, runtime};
use stowage_plugin_sdk::{Backend, Options};

/// One S3 server on loopback.
#[derive(Debug, Clone)]
pub struct Server {
    /// `moto` or `s3s-fs`.
    pub name: &'static str,
    /// `http://127.0.0.1:<port>`.
    pub endpoint: String,
    /// Access key id.
    pub access_key: String,
    /// Secret access key.
    pub secret_key: String,
}

fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

/// `None` (after a skip line) when `var` is not set outside CI; panics in CI.
pub fn required_env(var: &str) -> Option<String> {
    match std::env::var(var) {
        Ok(v) if !v.is_empty() => Some(v),
        _ if in_ci() => panic!("{var} is not set in CI: run the tests with `cargo xtask test-all`"),
        _ => {
            eprintln!("skipped: {var} is not set (start the servers: `cargo xtask servers start`)");
            None
        }
    }
}

impl Server {
    /// moto (`EMU_S3_ENDPOINT`): faithful S3 semantics, accepts any keys.
    pub fn moto() -> Option<Server> {
        Some(Server {
            name: "moto",
            endpoint: required_env("EMU_S3_ENDPOINT")?,
            access_key: std::env::var("EMU_S3_ACCESS_KEY").unwrap_or_else(|_| "test".into()),
            secret_key: std::env::var("EMU_S3_SECRET_KEY").unwrap_or_else(|_| "test".into()),
        })
    }

    /// s3s-fs (`EMU_S3_AUTH_*`): verifies SigV4 signatures.
    pub fn s3s() -> Option<Server> {
        Some(Server {
            name: "s3s-fs",
            endpoint: required_env("EMU_S3_AUTH_ENDPOINT")?,
            access_key: required_env("EMU_S3_AUTH_ACCESS_KEY")?,
            secret_key: required_env("EMU_S3_AUTH_SECRET_KEY")?,
        })
    }

    /// Backend options for this server, plus `extra`.
    pub fn options(&self, extra: &[(&str, &str)]) -> Options {
        let mut pairs = vec![
            ("endpoint_url".to_string(), self.endpoint.clone()),
            ("aws_access_key_id".to_string(), self.access_key.clone()),
            ("aws_secret_access_key".to_string(), self.secret_key.clone()),
        ];
        pairs.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        Options::new(pairs)
    }

    /// Creates a bucket with a unique name (deleted with everything in it on drop).
    pub fn bucket(&self, tag: &str) -> TestBucket {
        let name = unique_name(tag);
        let store = open_store(&format!("s3://{name}"), self.options(&[])).expect("open");
        let created = runtime::block_on(store.client().create_bucket().bucket(&name).send())
            .expect("runtime");
        if let Err(e) = created {
            panic!(
                "creating bucket {name} on {}: {}",
                self.name,
                aws_sdk_s3::error::DisplayErrorContext(&e)
            );
        }
        TestBucket {
            name,
            store,
            server: self.clone(),
        }
    }
}

/// A bucket made for one test.
#[derive(Debug)]
pub struct TestBucket {
    /// Its name.
    pub name: String,
    /// A store over the whole bucket (for checks and cleanup).
    pub store: S3Store,
    /// The server it lives on.
    pub server: Server,
}

impl TestBucket {
    /// `s3://<name>/<base>`.
    pub fn url(&self, base: &str) -> String {
        format!("s3://{}/{base}", self.name)
    }

    /// Every key in the bucket, sorted.
    pub fn keys(&self) -> Vec<String> {
        let mut keys: Vec<String> = self
            .store
            .list("")
            .expect("list")
            .map(|e| e.expect("list entry").key)
            .collect();
        keys.sort();
        keys
    }

    /// Multipart uploads in progress (moto only: s3s-fs does not implement the call).
    pub fn multipart_uploads(&self) -> Vec<String> {
        let out = runtime::block_on(
            self.store
                .client()
                .list_multipart_uploads()
                .bucket(&self.name)
                .send(),
        )
        .expect("runtime")
        .expect("ListMultipartUploads");
        out.uploads()
            .iter()
            .map(|u| u.key().unwrap_or_default().to_string())
            .collect()
    }
}

impl Drop for TestBucket {
    fn drop(&mut self) {
        let keys = self
            .store
            .list("")
            .map(|l| l.flatten().map(|e| e.key).collect::<Vec<_>>());
        if let Ok(keys) = keys {
            let _ = self.store.delete_many(&keys);
        }
        let _ = runtime::block_on(
            self.store
                .client()
                .delete_bucket()
                .bucket(&self.name)
                .send(),
        );
    }
}

/// `stowage-<tag>-<pid>-<n>-<nanos>`, a valid and unique bucket name.
pub fn unique_name(tag: &str) -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let name = format!("st-{tag}-{:x}-{n:x}-{nanos:x}", std::process::id());
    name.chars()
        .take(63)
        .collect::<String>()
        .to_ascii_lowercase()
}

/// The plugin directory built by `cargo xtask build` (`STOWAGE_TEST_PLUGIN_DIR`).
pub fn plugin_dir() -> Option<PathBuf> {
    required_env("STOWAGE_TEST_PLUGIN_DIR").map(PathBuf::from)
}

/// The built `stowage` binary (`STOWAGE_BIN`).
pub fn stowage_bin() -> Option<PathBuf> {
    required_env("STOWAGE_BIN").map(PathBuf::from)
}

/// Deterministic bytes for position `i` of a test object.
pub fn pattern(offset: u64, len: usize) -> Vec<u8> {
    (0..len as u64)
        .map(|i| {
            let x = (offset + i).wrapping_mul(0x9E37_79B9_7F4A_7C15);
            (x >> 56) as u8 ^ (offset + i) as u8
        })
        .collect()
}

/// Writes `data` to `key` in chunks of `chunk` bytes and finishes.
pub fn put_chunked(backend: &dyn Backend, key: &str, data: &[u8], chunk: usize) -> u64 {
    let mut w = backend.open_writer(key).expect("open writer");
    for part in data.chunks(chunk) {
        w.write(part).expect("write");
    }
    w.finish().expect("finish")
}
