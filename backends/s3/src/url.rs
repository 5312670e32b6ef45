//! Bucket URLs: `s3://bucket[/base/path]` and `s3a://…` (the Hadoop spelling, same meaning).
//!
//! Like fsspec, the part after the bucket is taken literally (no percent-decoding) and becomes
//! the base prefix every key is placed under: `s3://b/data/lake` + key `ds/t/x.jsonl` is the
//! object `data/lake/ds/t/x.jsonl` in bucket `b`. Leading, trailing and doubled `/` around the
//! base are dropped.

use stowage_plugin_sdk::{PluginError, Result};

/// URL schemes served.
pub const SCHEMES: &[&str] = &["s3", "s3a"];

/// A parsed bucket URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Url {
    /// The bucket name.
    pub bucket: String,
    /// Prefix of every key: empty, or ending with `/`.
    pub base: String,
}

impl S3Url {
    /// The object key of a backend key (relative to the bucket URL).
    pub fn object_key(&self, key: &str) -> String {
        format!("{}{key}", self.base)
    }

    /// The backend key of an object key, if the object is under the base prefix.
    pub fn relative_key<'a>(&self, object_key: &'a str) -> Option<&'a str> {
        object_key.strip_prefix(self.base.as_str())
    }

    /// `s3://bucket/base` (for messages; the base without its trailing `/`).
    pub fn display(&self) -> String {
        format!("s3://{}/{}", self.bucket, self.base.trim_end_matches('/'))
    }
}

/// Parses `s3://bucket/base` or `s3a://bucket/base`.
pub fn parse_bucket_url(url: &str) -> Result<S3Url> {
    let rest = SCHEMES
        .iter()
        .find_map(|scheme| strip_scheme(url, scheme))
        .ok_or_else(|| {
            PluginError::invalid("an S3 bucket URL must look like `s3://bucket/path`")
                .with_context("bucket_url", url)
        })?;
    let (bucket, path) = rest.split_once('/').unwrap_or((rest, ""));
    validate_bucket(bucket).map_err(|e| match bucket.contains('@') {
        true => e,
        false => e.with_context("bucket_url", url),
    })?;
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let base = if segments.is_empty() {
        String::new()
    } else {
        format!("{}/", segments.join("/"))
    };
    Ok(S3Url {
        bucket: bucket.to_string(),
        base,
    })
}

/// The part after `scheme://` (scheme case-insensitive).
fn strip_scheme<'a>(url: &'a str, scheme: &str) -> Option<&'a str> {
    let (found, rest) = url.split_once("://")?;
    found.eq_ignore_ascii_case(scheme).then_some(rest)
}

/// Bucket names: 1–255 characters of letters, digits, `.`, `-` and `_` (AWS allows fewer, but
/// S3-compatible stores and legacy buckets are laxer; the server has the last word).
fn validate_bucket(bucket: &str) -> Result<()> {
    if bucket.is_empty() {
        return Err(PluginError::invalid(
            "the bucket URL has no bucket name (expected `s3://bucket/path`)",
        ));
    }
    if bucket.contains('@') {
        // `s3://key:secret@bucket` is not supported, and the text before `@` may be a secret.
        return Err(PluginError::invalid(
            "credentials in the bucket URL are not supported: set aws_access_key_id and \
             aws_secret_access_key instead",
        ));
    }
    let valid = bucket.len() <= 255
        && bucket
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'));
    if valid {
        Ok(())
    } else {
        Err(PluginError::invalid(format!(
            "`{bucket}` is not a valid bucket name (letters, digits, `.`, `-` and `_` only)"
        )))
    }
}

#[cfg(test)]
mod tests {
    use stowage_plugin_sdk::ErrorKind;

    use super::*;

    fn parsed(url: &str) -> (String, String) {
        let u = parse_bucket_url(url).unwrap();
        (u.bucket, u.base)
    }

    #[test]
    fn bucket_and_base() {
        assert_eq!(parsed("s3://b"), ("b".into(), "".into()));
        assert_eq!(parsed("s3://b/"), ("b".into(), "".into()));
        assert_eq!(
            parsed("s3://my-bucket/a/b"),
            ("my-bucket".into(), "a/b/".into())
        );
        assert_eq!(
            parsed("s3a://my.bucket/a/b/"),
            ("my.bucket".into(), "a/b/".into())
        );
        assert_eq!(parsed("S3://b//a//b/"), ("b".into(), "a/b/".into()));
        assert_eq!(parsed("s3://b/a%20b"), ("b".into(), "a%20b/".into()));
    }

    #[test]
    fn keys_are_placed_under_the_base() {
        let u = parse_bucket_url("s3://b/lake").unwrap();
        assert_eq!(u.object_key("ds/t/x.jsonl"), "lake/ds/t/x.jsonl");
        assert_eq!(u.relative_key("lake/ds/init"), Some("ds/init"));
        assert_eq!(u.relative_key("other/x"), None);
        assert_eq!(u.display(), "s3://b/lake");
    }

    #[test]
    fn invalid_urls_are_rejected() {
        for url in [
            "s3://",
            "s3:///x",
            "gs://b/x",
            "s3:/b",
            "s3://bad bucket/x",
            "b/x",
        ] {
            let err = parse_bucket_url(url).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{url}");
        }
    }

    #[test]
    fn credentials_in_the_url_are_rejected_without_echoing_them() {
        let err = parse_bucket_url("s3://AKIA:hunter2@bucket/x").unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.contains("aws_secret_access_key") && !msg.contains("hunter2"),
            "{msg}"
        );
    }
}
