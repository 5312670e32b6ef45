//! Secret values: a type whose `Debug` and `Display` never show the value, and URL redaction
//! for bucket URLs that carry a password (`sftp://user:pw@host/…`) or a signed query string.

use std::fmt;

/// What every masked value prints as.
pub const MASK: &str = "***";

/// A secret string (key, password, token, SAS, private key). `Debug` and `Display` print
/// [`MASK`]; only [`Secret::expose`] gives the value, at the one place that hands it to a plugin.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The value itself. Call this only to hand the value over (e.g. into plugin options).
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// True for an empty secret.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secret({MASK})")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(MASK)
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Secret(value)
    }
}

/// True if a setting or option name denotes a secret (same rule as the SDK's `Options`).
pub fn is_secret_name(name: &str) -> bool {
    stowage_plugin_sdk::is_secret_key(name) || name.eq_ignore_ascii_case("sig")
}

/// A URL safe to print: the password of `user:password@` and secret-looking query parameters
/// (`sig`, `…token…`, `…key…`) are replaced by [`MASK`].
pub fn redact_url(url: &str) -> String {
    let (head, query) = match url.split_once('?') {
        Some((head, query)) => (head, Some(query)),
        None => (url, None),
    };
    let mut out = redact_userinfo(head);
    if let Some(query) = query {
        out.push('?');
        out.push_str(&redact_query(query));
    }
    out
}

/// The secret parts of a URL (the password of `user:password@`, secret query values), for
/// scrubbing text that might quote the URL.
pub fn secrets_in_url(url: &str) -> Vec<String> {
    let mut out = Vec::new();
    let (head, query) = url.split_once('?').unwrap_or((url, ""));
    if let Some((_, rest)) = head.split_once("://") {
        let authority = &rest[..rest.find('/').unwrap_or(rest.len())];
        if let Some((userinfo, _)) = authority.rsplit_once('@')
            && let Some((_, password)) = userinfo.split_once(':')
            && !password.is_empty()
        {
            out.push(password.to_string());
        }
    }
    for pair in query.split('&') {
        if let Some((name, value)) = pair.split_once('=')
            && is_secret_name(name)
            && !value.is_empty()
        {
            out.push(value.to_string());
        }
    }
    out
}

fn redact_userinfo(head: &str) -> String {
    let Some((scheme, rest)) = head.split_once("://") else {
        return head.to_string();
    };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let (authority, path) = rest.split_at(authority_end);
    let Some((userinfo, host)) = authority.rsplit_once('@') else {
        return head.to_string();
    };
    let user = match userinfo.split_once(':') {
        Some((user, _password)) => format!("{user}:{MASK}"),
        None => userinfo.to_string(),
    };
    format!("{scheme}://{user}@{host}{path}")
}

fn redact_query(query: &str) -> String {
    query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((name, _)) if is_secret_name(name) => format!("{name}={MASK}"),
            _ => pair.to_string(),
        })
        .collect::<Vec<_>>()
        .join("&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_never_prints() {
        let s = Secret::new("hunter2");
        assert_eq!(format!("{s}"), MASK);
        assert!(!format!("{s:?}").contains("hunter2"));
        assert!(!format!("{:?}", Some(&s)).contains("hunter2"));
        assert_eq!(s.expose(), "hunter2");
    }

    #[test]
    fn urls_lose_passwords_and_signatures() {
        assert_eq!(
            redact_url("sftp://me:pw@host:22/data"),
            "sftp://me:***@host:22/data"
        );
        assert_eq!(redact_url("sftp://me@host/data"), "sftp://me@host/data");
        assert_eq!(
            redact_url("az://c/p?sv=2024&sig=abc%3D&sp=r"),
            "az://c/p?sv=2024&sig=***&sp=r"
        );
        assert_eq!(redact_url("/plain/path"), "/plain/path");
        assert_eq!(redact_url("s3://b/x@y"), "s3://b/x@y");
        assert_eq!(
            secrets_in_url("sftp://me:pw@host/d?sig=abc&x=1"),
            ["pw", "abc"]
        );
        assert!(secrets_in_url("s3://bucket/path").is_empty());
    }
}
