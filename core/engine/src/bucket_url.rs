//! Bucket URLs as the engine sees them: which scheme (and so which backend plugin) serves a URL,
//! and how a bare or relative local path becomes an absolute `file://` URL (dlt resolves relative
//! local bucket URLs against the working directory). Path forms themselves (UNC, Windows drives,
//! percent-encoding) are the local backend's job.

use std::path::Path;

use crate::{Error, Result};

/// The default bucket when none is configured: `./_storage` in the working directory.
pub const DEFAULT_BUCKET: &str = "_storage";

/// The URL scheme, lowercased; `file` for bare paths (including Windows `C:\…` forms).
pub fn scheme_of(url: &str) -> String {
    match url.split_once(':') {
        Some((scheme, _)) if is_scheme(scheme) => scheme.to_ascii_lowercase(),
        _ => "file".into(),
    }
}

fn is_scheme(s: &str) -> bool {
    s.len() > 1
        && s.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
}

/// Makes a local bucket URL absolute: a relative path (or `file:rel/x`) is resolved against
/// `cwd` and returned as a bare absolute path (no percent-encoding questions); other URLs are
/// returned unchanged.
pub fn absolutize(url: &str, cwd: &Path) -> Result<String> {
    if url.trim().is_empty() {
        return Err(Error::invalid("bucket_url is empty"));
    }
    if scheme_of(url) != "file" {
        return Ok(url.to_string());
    }
    let rest = url.strip_prefix("file:").unwrap_or(url);
    if rest.starts_with('/') || rest.starts_with('\\') || rest.as_bytes().get(1) == Some(&b':') {
        return Ok(url.to_string());
    }
    Ok(cwd.join(rest).display().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schemes() {
        assert_eq!(scheme_of("s3://b/x"), "s3");
        assert_eq!(scheme_of("file:///x"), "file");
        assert_eq!(scheme_of("/abs/path"), "file");
        assert_eq!(scheme_of("rel/path"), "file");
        assert_eq!(scheme_of(r"C:\data"), "file");
        assert_eq!(scheme_of("ABFSS://c@a/x"), "abfss");
        assert_eq!(scheme_of("memory://bucket"), "memory");
    }

    #[test]
    fn relative_local_urls_become_absolute() {
        let cwd = Path::new("/work/project");
        assert_eq!(
            absolutize("_storage", cwd).unwrap(),
            "/work/project/_storage"
        );
        assert_eq!(
            absolutize("file:lake/x", cwd).unwrap(),
            "/work/project/lake/x"
        );
        assert_eq!(absolutize("/abs", cwd).unwrap(), "/abs");
        assert_eq!(absolutize("file:///abs", cwd).unwrap(), "file:///abs");
        assert_eq!(absolutize("s3://b", cwd).unwrap(), "s3://b");
        assert!(absolutize(" ", cwd).is_err());
    }
}
