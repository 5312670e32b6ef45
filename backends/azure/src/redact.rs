//! Scrubbing secrets out of texts that came from the client library or the server (error
//! messages, response bodies): every configured secret value, its percent-encoded form, and the
//! value of any `sig=` query parameter are replaced with `***`.

/// Replacement for a secret.
pub const MASK: &str = "***";

/// The secrets to scrub for one bucket.
#[derive(Clone, Default)]
pub struct Redactor {
    secrets: Vec<String>,
}

impl std::fmt::Debug for Redactor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Redactor")
            .field("secrets", &self.secrets.len())
            .finish()
    }
}

impl Redactor {
    /// Scrubs `secrets` (and their encoded forms and SAS parts).
    pub fn new(secrets: impl IntoIterator<Item = String>) -> Redactor {
        let mut all: Vec<String> = Vec::new();
        for secret in secrets.into_iter().filter(|s| s.len() >= 4) {
            all.push(percent_encode(&secret));
            all.extend(sas_signatures(&secret));
            all.push(secret);
        }
        // Longest first, so a secret containing another is masked whole.
        all.sort_by_key(|s| std::cmp::Reverse(s.len()));
        all.dedup();
        Redactor { secrets: all }
    }

    /// `text` with every secret masked.
    pub fn scrub(&self, text: &str) -> String {
        let mut out = text.to_string();
        for secret in &self.secrets {
            if out.contains(secret.as_str()) {
                out = out.replace(secret.as_str(), MASK);
            }
        }
        mask_sig_parameters(&out)
    }
}

/// The `sig` values of a SAS token, raw and percent-decoded.
fn sas_signatures(token: &str) -> Vec<String> {
    token
        .trim_start_matches('?')
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .filter(|(name, value)| name.eq_ignore_ascii_case("sig") && value.len() >= 4)
        .flat_map(|(_, value)| [value.to_string(), percent_decode(value)])
        .collect()
}

/// Replaces the value of every `sig=` parameter with `***`.
fn mask_sig_parameters(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = find_sig(rest) {
        let value_start = at + "sig=".len();
        out.push_str(&rest[..value_start]);
        let value_len = rest[value_start..]
            .find(|c: char| matches!(c, '&' | '"' | '\'' | '<' | '>' | ')') || c.is_whitespace())
            .unwrap_or(rest.len() - value_start);
        if value_len > 0 {
            out.push_str(MASK);
        }
        rest = &rest[value_start + value_len..];
    }
    out.push_str(rest);
    out
}

/// Position of the next `sig=` that starts a parameter (after `?`, `&`, start or space).
fn find_sig(text: &str) -> Option<usize> {
    let lower = text.to_ascii_lowercase();
    let mut from = 0;
    while let Some(i) = lower[from..].find("sig=") {
        let at = from + i;
        let before = lower[..at].chars().next_back();
        if before.is_none_or(|c| matches!(c, '?' | '&' | ' ' | '\'' | '"')) {
            return Some(at);
        }
        from = at + 1;
    }
    None
}

fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 3);
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok());
        match (bytes[i], hex.and_then(|h| u8::from_str_radix(h, 16).ok())) {
            (b'%', Some(v)) => {
                out.push(v);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn configured_secrets_and_their_encodings_are_masked() {
        let key = "Eby8vdM02xNOcqFl+/K1SZFP==";
        let r = Redactor::new([key.to_string()]);
        let text = format!("bad key {key} or {} here", percent_encode(key));
        assert_eq!(r.scrub(&text), "bad key *** or *** here");
    }

    #[test]
    fn sas_signatures_are_masked_anywhere() {
        let sas = "sv=2021-06-08&ss=b&sig=abc%2Bdef%3D";
        let r = Redactor::new([sas.to_string()]);
        assert_eq!(
            r.scrub("signature abc+def= was wrong"),
            "signature *** was wrong"
        );
        // Any `sig=` parameter, even of an unknown token.
        let r = Redactor::default();
        assert_eq!(
            r.scrub("GET http://h/c/b?sv=1&sig=XYZ%2F1&se=2 failed, SIG=q"),
            "GET http://h/c/b?sv=1&sig=***&se=2 failed, SIG=***"
        );
        assert_eq!(r.scrub("design=ok"), "design=ok");
    }

    #[test]
    fn short_values_are_not_treated_as_secrets() {
        let r = Redactor::new(["ab".to_string()]);
        assert_eq!(r.scrub("table ab"), "table ab");
    }
}
