//! Bucket URLs: `gs://bucket[/base/path]` and `gcs://…` (dlt/gcsfs accept both schemes).
//!
//! The path after the bucket is a key prefix, used literally (no percent-decoding, as gcsfs
//! does). Leading and trailing `/` are dropped; a non-empty base always ends with `/` so that
//! keys join with it directly.

use stowage_plugin_sdk::{PluginError, Result};

/// URL schemes served.
pub const SCHEMES: &[&str] = &["gs", "gcs"];

/// Where a bucket URL points.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BucketLocation {
    /// Bucket name.
    pub bucket: String,
    /// Key prefix inside the bucket: empty, or ending with `/`.
    pub base: String,
}

impl BucketLocation {
    /// The object name of a key relative to the bucket URL.
    pub fn object_name(&self, key: &str) -> String {
        format!("{}{key}", self.base)
    }

    /// The key of an object name, if the object lies under the base.
    pub fn key_of<'a>(&self, object_name: &'a str) -> Option<&'a str> {
        object_name.strip_prefix(self.base.as_str())
    }
}

/// Parses `gs://bucket/base` or `gcs://bucket/base`.
pub fn parse_bucket_url(url: &str) -> Result<BucketLocation> {
    let invalid =
        |why: &str| PluginError::invalid(format!("bucket URL {why}")).with_context("url", url);
    let (scheme, rest) = url
        .split_once("://")
        .ok_or_else(|| invalid("must look like gs://bucket/path"))?;
    if !SCHEMES.iter().any(|s| s.eq_ignore_ascii_case(scheme)) {
        return Err(invalid("scheme must be `gs` or `gcs`"));
    }
    if rest.contains(['?', '#']) {
        return Err(invalid("must not have a query or fragment"));
    }
    let (bucket, path) = rest.split_once('/').unwrap_or((rest, ""));
    validate_bucket_name(bucket).map_err(|why| invalid(&why))?;
    let path = path.trim_matches('/');
    let base = if path.is_empty() {
        String::new()
    } else {
        format!("{path}/")
    };
    Ok(BucketLocation {
        bucket: bucket.to_string(),
        base,
    })
}

/// GCS bucket naming rules, loosely: 3–222 characters of `a-z 0-9 - _ .`, starting and ending
/// with a letter or digit (uppercase is rejected by GCS, so it is an error here too).
fn validate_bucket_name(name: &str) -> std::result::Result<(), String> {
    if name.is_empty() {
        return Err("has no bucket name".into());
    }
    if name.contains('@') || name.contains(':') {
        return Err(format!(
            "has a user or port in the bucket name `{name}` (GCS URLs are gs://bucket/path)"
        ));
    }
    let allowed = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || "-_.".contains(c);
    let edge_ok = |c: Option<char>| c.is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    if !(3..=222).contains(&name.len())
        || !name.chars().all(allowed)
        || !edge_ok(name.chars().next())
        || !edge_ok(name.chars().last())
    {
        return Err(format!(
            "has an invalid bucket name `{name}` (3-222 characters: lowercase letters, digits, `-`, `_`, `.`)"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use stowage_plugin_sdk::ErrorKind;

    use super::*;

    fn loc(bucket: &str, base: &str) -> BucketLocation {
        BucketLocation {
            bucket: bucket.into(),
            base: base.into(),
        }
    }

    #[test]
    fn parses_both_schemes_and_normalizes_the_base() {
        assert_eq!(
            parse_bucket_url("gs://my-bucket").unwrap(),
            loc("my-bucket", "")
        );
        assert_eq!(
            parse_bucket_url("gs://my-bucket/").unwrap(),
            loc("my-bucket", "")
        );
        assert_eq!(
            parse_bucket_url("gcs://my_bucket.v2/data/raw/").unwrap(),
            loc("my_bucket.v2", "data/raw/")
        );
        assert_eq!(
            parse_bucket_url("GS://b12/a%20b/c").unwrap(),
            loc("b12", "a%20b/c/")
        );
    }

    #[test]
    fn keys_join_with_the_base() {
        let l = parse_bucket_url("gs://bkt/base").unwrap();
        assert_eq!(l.object_name("ds/t/x.jsonl"), "base/ds/t/x.jsonl");
        assert_eq!(l.key_of("base/ds/t/x.jsonl"), Some("ds/t/x.jsonl"));
        assert_eq!(l.key_of("other/x"), None);
        let root = parse_bucket_url("gs://bkt").unwrap();
        assert_eq!(root.object_name("a"), "a");
    }

    #[test]
    fn rejects_malformed_urls() {
        for url in [
            "s3://bucket/x",
            "gs://",
            "gs:///path",
            "gs//bucket",
            "gs://Bucket/x",
            "gs://ab",
            "gs://-bucket",
            "gs://user@bucket/x",
            "gs://bucket:443/x",
            "gs://bucket/x?generation=1",
            "gs://bucket/x#frag",
        ] {
            let err = parse_bucket_url(url).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{url}");
            assert!(err.to_string().contains(url), "{err}");
        }
    }
}
