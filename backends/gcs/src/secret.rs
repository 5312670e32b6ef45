//! [`Secret`]: a credential value that never shows in `Debug`, and [`Redactor`], which scrubs
//! secret values out of any text that leaves the plugin (error messages of third-party crates).

use std::fmt;

/// A secret string (private key, client secret, refresh or access token). `Debug` prints `***`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a value.
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// The value, for handing to the auth library only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// Shortest fragment worth scrubbing on its own (shorter ones would mangle ordinary words).
const MIN_FRAGMENT: usize = 8;

/// Replaces known secret values (and the lines of multi-line secrets such as PEM keys) by `***`.
#[derive(Clone, Default)]
pub struct Redactor {
    fragments: Vec<String>,
}

impl fmt::Debug for Redactor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Redactor({} fragments)", self.fragments.len())
    }
}

impl Redactor {
    /// Learns a secret: the whole value and each of its lines, as is and form-URL-encoded (the
    /// way it travels to a token endpoint, which may echo it back).
    pub fn add(&mut self, secret: &Secret) {
        let value = secret.expose();
        let lines = value.lines().map(str::trim);
        for fragment in std::iter::once(value.trim()).chain(lines) {
            if fragment.len() >= MIN_FRAGMENT && !fragment.starts_with("-----") {
                self.fragments.push(fragment.to_string());
                let encoded = form_encode(fragment);
                if encoded != fragment {
                    self.fragments.push(encoded);
                }
            }
        }
        // Longest first, so a whole value is replaced before any of its lines.
        self.fragments.sort_by_key(|f| std::cmp::Reverse(f.len()));
        self.fragments.dedup();
    }

    /// `text` with every known secret fragment replaced by `***`.
    pub fn scrub(&self, text: &str) -> String {
        let mut out = text.to_string();
        for fragment in &self.fragments {
            if out.contains(fragment.as_str()) {
                out = out.replace(fragment.as_str(), "***");
            }
        }
        out
    }
}

/// `application/x-www-form-urlencoded` form of `text`.
fn form_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'*' => {
                (b as char).to_string()
            }
            b' ' => "+".to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_the_value() {
        let s = Secret::new("hunter2-very-secret");
        assert_eq!(format!("{s:?}"), "***");
        assert_eq!(s.expose(), "hunter2-very-secret");
    }

    #[test]
    fn scrubs_whole_values_and_pem_lines() {
        let mut r = Redactor::default();
        r.add(&Secret::new("refresh-token-123456"));
        r.add(&Secret::new(
            "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\nBKcwggSjAgEAAoIBAQC7\n-----END PRIVATE KEY-----\n",
        ));
        let text = "bad token refresh-token-123456, key line MIIEvQIBADANBgkqhkiG9w0BAQEFAASC here";
        let scrubbed = r.scrub(text);
        assert!(!scrubbed.contains("refresh-token-123456"), "{scrubbed}");
        assert!(
            !scrubbed.contains("MIIEvQIBADANBgkqhkiG9w0BAQEFAASC"),
            "{scrubbed}"
        );
        assert!(scrubbed.contains("bad token ***"), "{scrubbed}");
        assert_eq!(r.scrub("nothing secret"), "nothing secret");
    }

    #[test]
    fn scrubs_the_form_encoded_value_too() {
        let mut r = Redactor::default();
        r.add(&Secret::new("1//refresh+token/x"));
        let scrubbed = r.scrub("refresh_token=1%2F%2Frefresh%2Btoken%2Fx&grant_type=refresh_token");
        assert_eq!(scrubbed, "refresh_token=***&grant_type=refresh_token");
    }
}
