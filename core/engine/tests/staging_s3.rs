//! Staging on the S3 server: the staging bucket lives on s3s-fs (`EMU_S3_AUTH_*`, which checks
//! every SigV4 signature and refuses anonymous requests) and the files are loaded into
//! embedded DuckDB (parquet) and the real PostgreSQL (jsonl). Checked: the rows row-for-row
//! after a merge with duplicates and a second merge that updates child rows; the staging
//! bucket holds only `init` and data; every staged file the destination loaded was read
//! through the engine's reader of the staging bucket (credential forwarding: the destinations
//! get no S3 credentials, and s3s-fs serves nobody without them); a wrong staging secret fails
//! the run without the secret in the error, and `load_pending` with the right one finishes
//! that package exactly once.

mod staging_support;

use std::process::Command;
use std::sync::atomic::Ordering;

use staging_support::{
    FIRST, Recording, Staged, Target, duckdb, env, items_with_kids, postgres, registry,
};
use stowage::disposition::WriteDisposition;
use stowage::plugins::Registry;
use stowage::staging::run_with_destination;
use stowage_plugin_sdk::Options;

/// The signature-checking S3 server.
struct S3 {
    endpoint: String,
    key: String,
    secret: String,
}

impl S3 {
    fn from_env() -> Option<S3> {
        Some(S3 {
            endpoint: env("EMU_S3_AUTH_ENDPOINT")?,
            key: env("EMU_S3_AUTH_ACCESS_KEY")?,
            secret: env("EMU_S3_AUTH_SECRET_KEY")?,
        })
    }

    fn options(&self, secret: &str) -> Options {
        Options::new([
            ("endpoint_url", self.endpoint.as_str()),
            ("aws_access_key_id", self.key.as_str()),
            ("aws_secret_access_key", secret),
            ("region_name", "us-east-1"),
        ])
    }

    /// A signed bucket-level request (`PUT` creates, `DELETE` removes) with curl's SigV4.
    fn bucket_request(&self, method: &str, bucket: &str) -> u16 {
        const EMPTY_SHA256: &str =
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
        let out = Command::new("curl")
            .args(["-s", "-o", "/dev/null", "-w", "%{http_code}", "-X", method])
            .args(["-H", &format!("x-amz-content-sha256: {EMPTY_SHA256}")])
            .args(["--aws-sigv4", "aws:amz:us-east-1:s3", "--user"])
            .arg(format!("{}:{}", self.key, self.secret))
            .arg(format!("{}/{bucket}", self.endpoint.trim_end_matches('/')))
            .output()
            .expect("curl runs (installed by `cargo xtask servers start`)");
        String::from_utf8_lossy(&out.stdout)
            .trim()
            .parse()
            .unwrap_or(0)
    }

    fn create_bucket(&self, bucket: &str) {
        let status = self.bucket_request("PUT", bucket);
        assert_eq!(status, 200, "creating bucket {bucket}");
    }

    /// Deletes every object, then the bucket.
    fn remove_bucket(&self, registry: &Registry, bucket: &str) {
        let backend = registry
            .open_backend(&format!("s3://{bucket}"), &self.options(&self.secret))
            .unwrap();
        let keys: Vec<String> = backend.list("").unwrap().map(|e| e.unwrap().key).collect();
        for key in keys {
            backend.delete(&key).unwrap();
        }
        self.bucket_request("DELETE", bucket);
    }

    fn keys(&self, registry: &Registry, bucket: &str) -> Vec<(String, u64)> {
        let backend = registry
            .open_backend(&format!("s3://{bucket}"), &self.options(&self.secret))
            .unwrap();
        let mut keys: Vec<(String, u64)> = backend
            .list("")
            .unwrap()
            .map(|e| e.unwrap())
            .map(|e| (e.key, e.size))
            .collect();
        keys.sort();
        keys
    }
}

const SECOND: &str = concat!(
    r#"{"id":2,"name":"B","kids":[{"k":7},{"k":8}]}"#,
    "\n",
    r#"{"id":3,"name":"c"}"#,
    "\n",
);

fn staged_through_s3(registry: &Registry, s3: &S3, target: Target, format: &str) {
    let dir = tempfile::tempdir().unwrap();
    let bucket = staging_support::unique("stowage-stg").replace('_', "-");
    s3.create_bucket(&bucket);
    let mut staged = Staged::new(dir.path(), "s3stg", target);
    staged.bucket_url = Some(format!("s3://{bucket}/base"));
    staged.backend_options = s3.options(&s3.secret);
    let destination_options = format!("{:?}", staged.target.options);
    assert!(
        !destination_options.contains(&s3.key),
        "the destination gets no S3 credentials"
    );

    let mut copied = Vec::new();
    let mut bytes_read = 0;
    for (rows, expected_files) in [(FIRST, 2), (SECOND, 2)] {
        let mut options = staged.options(rows, WriteDisposition::Merge, |s| {
            s.primary_key = vec!["id".into()];
            s.format_explicit = true;
        });
        options.format = format.into();
        let staging = options.staging.clone().unwrap();
        let recording = Recording::new(staged.session(registry));
        let summary = run_with_destination(registry, &options, &staging, &recording)
            .unwrap_or_else(|e| panic!("{} via s3: {e}", staged.target.name));
        let urls = recording.urls.lock().unwrap().clone();
        assert_eq!(urls.len(), expected_files, "{urls:?}");
        for url in &urls {
            assert!(
                url.starts_with(&format!("s3://{bucket}/base/{}/items", staged.dataset)),
                "{url}"
            );
            assert!(url.contains(&summary.load_id), "{url}");
        }
        copied.extend(urls);
        bytes_read += recording.bytes.load(Ordering::SeqCst);
    }
    assert_eq!(
        items_with_kids(&staged, registry),
        [
            (1, "a".into(), Some(1)),
            (1, "a".into(), Some(2)),
            (2, "B".into(), Some(7)),
            (2, "B".into(), Some(8)),
            (3, "c".into(), None),
        ],
        "{}: row-for-row after two merges staged on s3",
        staged.target.name
    );

    // The staging bucket: `init` and this load's data (earlier files truncated), no `_dlt_*`.
    let keys = s3.keys(registry, &bucket);
    let names: Vec<&str> = keys.iter().map(|(k, _)| k.as_str()).collect();
    let prefix = format!("base/{}/", staged.dataset);
    assert!(
        names.contains(&format!("{prefix}init").as_str()),
        "{names:?}"
    );
    assert!(names.iter().all(|k| !k.contains("/_dlt_")), "{names:?}");
    let data: Vec<&(String, u64)> = keys.iter().filter(|(k, _)| !k.ends_with("/init")).collect();
    assert_eq!(
        data.len(),
        2,
        "one file per table of the last load: {names:?}"
    );
    let last_urls = &copied[copied.len() - 2..];
    for (key, _) in &data {
        assert!(
            last_urls.contains(&format!("s3://{bucket}/{key}")),
            "{key} not in {last_urls:?}"
        );
    }
    // Parquet is read by position, jsonl sequentially: the destination read at least the
    // whole of the last load's files through the engine's readers.
    let last_size: u64 = data.iter().map(|(_, size)| size).sum();
    assert!(
        bytes_read >= last_size && last_size > 0,
        "{bytes_read} < {last_size}"
    );

    // A wrong staging secret: the run fails, and the error never shows the secret.
    let wrong = "wrong-secret-XYZ123";
    staged.backend_options = s3.options(wrong);
    let options = staged.options(SECOND, WriteDisposition::Merge, |s| {
        s.primary_key = vec!["id".into()]
    });
    let err = stowage::pipeline::run(registry, &options)
        .expect_err("a wrong staging secret is refused")
        .to_string();
    assert!(err.contains("SignatureDoesNotMatch"), "{err}");
    assert!(!err.contains(wrong), "{err}");
    assert!(!err.contains(&s3.secret), "{err}");

    // The failed package is pending; `stowage load` with the right secret finishes it once.
    staged.backend_options = s3.options(&s3.secret);
    let mut options = staged.options("", WriteDisposition::Merge, |_| {});
    options.format = format.into();
    let staging = options.staging.clone().unwrap();
    let done = stowage::staging::load_pending(registry, &options, &staging).unwrap();
    assert_eq!(done.len(), 1);
    assert_eq!(items_with_kids(&staged, registry).len(), 5);
    let loads = staged.rows(
        registry,
        &format!(
            "SELECT COUNT(*) AS n FROM \"{}\"._dlt_loads",
            staged.dataset
        ),
    );
    assert_eq!(loads[0]["n"], 3);

    staged.cleanup(registry);
    s3.remove_bucket(registry, &bucket);
}

#[test]
fn staging_on_s3_into_duckdb() {
    let Some(registry) = registry() else { return };
    let Some(s3) = S3::from_env() else { return };
    let dir = tempfile::tempdir().unwrap();
    staged_through_s3(&registry, &s3, duckdb(dir.path()), "parquet");
}

#[test]
fn staging_on_s3_into_postgres() {
    let Some(registry) = registry() else { return };
    let Some(s3) = S3::from_env() else { return };
    let Some(pg) = postgres() else { return };
    staged_through_s3(&registry, &s3, pg, "jsonl");
}
