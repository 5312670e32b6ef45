//! OpenSSH `known_hosts` files: parsing, host lookup and the host-key check.
//!
//! Supported: plain host patterns (comma lists, `*`/`?` wildcards, `!` negation, `[host]:port`
//! for non-default ports), hashed names (`|1|salt|hash`, HMAC-SHA1), `@revoked` lines and
//! comments. `@cert-authority` lines are skipped (host certificates are not supported, so they
//! never make a key trusted). Malformed lines are skipped, as OpenSSH does.
//!
//! The check follows OpenSSH: a host is *known* when any line names it; a key is trusted when a
//! line for the host has exactly that key; a line for the host with the same key type but another
//! key means the key *changed*.

use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use sha1::Sha1;
use stowage_plugin_sdk::{PluginError, Result};

/// The port OpenSSH writes without brackets.
const DEFAULT_PORT: u16 = 22;

/// Where a line came from (for messages).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// The file.
    pub file: PathBuf,
    /// 1-based line number.
    pub line: usize,
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.file.display(), self.line)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Names {
    /// `|1|salt|hash`.
    Hashed { salt: Vec<u8>, hash: Vec<u8> },
    /// Comma-separated patterns.
    Patterns(Vec<String>),
}

#[derive(Debug, Clone)]
struct Entry {
    revoked: bool,
    names: Names,
    key_type: String,
    key: Vec<u8>,
    location: Location,
}

/// The outcome of checking a server's host key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostKeyCheck {
    /// A line for this host has exactly this key.
    Trusted(Location),
    /// The key is marked `@revoked`.
    Revoked(Location),
    /// The host is known with another key of the same type: the key changed.
    Changed(Location),
    /// The host is known, but only with keys of other types.
    OtherTypesKnown(Vec<String>),
    /// No line names this host.
    Unknown,
}

/// The lines of one or more known_hosts files.
#[derive(Debug, Clone, Default)]
pub struct KnownHosts {
    entries: Vec<Entry>,
}

impl KnownHosts {
    /// Reads `files`; a missing file is empty unless it is `required`.
    pub fn load(files: &[&Path], required: bool) -> Result<KnownHosts> {
        let mut known = KnownHosts::default();
        for file in files {
            match std::fs::read_to_string(file) {
                Ok(text) => known.add(&text, file),
                Err(e) if !required && e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => {
                    return Err(PluginError::from_io(
                        &e,
                        format_args!("reading known_hosts file `{}`", file.display()),
                    )
                    .with_retryable(false));
                }
            }
        }
        Ok(known)
    }

    /// Adds the lines of one file's text.
    pub fn add(&mut self, text: &str, file: &Path) {
        for (i, line) in text.lines().enumerate() {
            let location = Location {
                file: file.to_path_buf(),
                line: i + 1,
            };
            if let Some(entry) = parse_line(line, location) {
                self.entries.push(entry);
            }
        }
    }

    /// Checks the key `key` (an SSH public key blob) presented by `host:port`.
    pub fn check(&self, host: &str, port: u16, key: &[u8]) -> HostKeyCheck {
        let name = lookup_name(host, port);
        let key_type = blob_key_type(key).unwrap_or_default();
        let for_host: Vec<&Entry> = self
            .entries
            .iter()
            .filter(|e| e.names_match(&name))
            .collect();
        if let Some(e) = for_host.iter().find(|e| e.revoked && e.key == key) {
            return HostKeyCheck::Revoked(e.location.clone());
        }
        let trusted: Vec<&&Entry> = for_host.iter().filter(|e| !e.revoked).collect();
        if let Some(e) = trusted.iter().find(|e| e.key == key) {
            return HostKeyCheck::Trusted(e.location.clone());
        }
        if let Some(e) = trusted.iter().find(|e| e.key_type == key_type) {
            return HostKeyCheck::Changed(e.location.clone());
        }
        match self.key_types(host, port) {
            types if types.is_empty() => HostKeyCheck::Unknown,
            types => HostKeyCheck::OtherTypesKnown(types),
        }
    }

    /// Key types known for `host:port`, in file order, without duplicates.
    pub fn key_types(&self, host: &str, port: u16) -> Vec<String> {
        let name = lookup_name(host, port);
        let mut types: Vec<String> = Vec::new();
        for e in self
            .entries
            .iter()
            .filter(|e| !e.revoked && e.names_match(&name))
        {
            if !types.contains(&e.key_type) {
                types.push(e.key_type.clone());
            }
        }
        types
    }
}

impl Entry {
    fn names_match(&self, name: &str) -> bool {
        match &self.names {
            Names::Hashed { salt, hash } => hmac_sha1(salt, name).as_deref() == Some(hash),
            Names::Patterns(patterns) => patterns_match(patterns, name),
        }
    }
}

/// The name OpenSSH looks up: `host`, or `[host]:port` for a non-default port.
pub fn lookup_name(host: &str, port: u16) -> String {
    if port == DEFAULT_PORT {
        host.to_ascii_lowercase()
    } else {
        format!("[{}]:{port}", host.to_ascii_lowercase())
    }
}

/// The key type named inside an SSH public key blob (`ssh-ed25519`, `ssh-rsa`, …).
pub fn blob_key_type(blob: &[u8]) -> Option<String> {
    let len = u32::from_be_bytes(blob.get(..4)?.try_into().ok()?) as usize;
    let name = blob.get(4..4 + len)?;
    String::from_utf8(name.to_vec()).ok()
}

/// The host-key algorithms (as libssh2 names them) that can present keys of `key_type`.
pub fn algorithms_for(key_type: &str) -> Vec<&str> {
    match key_type {
        "ssh-rsa" => vec!["rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"],
        other => vec![other],
    }
}

fn parse_line(line: &str, location: Location) -> Option<Entry> {
    let line = line.trim();
    if line.is_empty() || line.starts_with('#') {
        return None;
    }
    let mut fields = line.split_whitespace();
    let mut first = fields.next()?;
    let mut revoked = false;
    if first.starts_with('@') {
        match first {
            "@revoked" => revoked = true,
            _ => return None, // @cert-authority and unknown markers
        }
        first = fields.next()?;
    }
    let names = parse_names(first)?;
    let key_type = fields.next()?.to_string();
    let key = STANDARD.decode(fields.next()?).ok()?;
    Some(Entry {
        revoked,
        names,
        key_type,
        key,
        location,
    })
}

fn parse_names(field: &str) -> Option<Names> {
    if let Some(hashed) = field.strip_prefix("|1|") {
        let (salt, hash) = hashed.split_once('|')?;
        return Some(Names::Hashed {
            salt: STANDARD.decode(salt).ok()?,
            hash: STANDARD.decode(hash).ok()?,
        });
    }
    Some(Names::Patterns(
        field.split(',').map(str::to_ascii_lowercase).collect(),
    ))
}

fn hmac_sha1(salt: &[u8], name: &str) -> Option<Vec<u8>> {
    let mut mac = Hmac::<Sha1>::new_from_slice(salt).ok()?;
    mac.update(name.as_bytes());
    Some(mac.finalize().into_bytes().to_vec())
}

/// OpenSSH's rule: some positive pattern matches and no negated one does.
fn patterns_match(patterns: &[String], name: &str) -> bool {
    let mut matched = false;
    for pattern in patterns {
        match pattern.strip_prefix('!') {
            Some(negated) if wildcard_match(negated.as_bytes(), name.as_bytes()) => return false,
            Some(_) => {}
            None => matched |= wildcard_match(pattern.as_bytes(), name.as_bytes()),
        }
    }
    matched
}

/// `*` matches any run, `?` any one byte.
fn wildcard_match(pattern: &[u8], text: &[u8]) -> bool {
    let (mut p, mut t) = (0, 0);
    let mut backtrack: Option<(usize, usize)> = None;
    while t < text.len() {
        if p < pattern.len() && (pattern[p] == b'?' || pattern[p] == text[t]) {
            p += 1;
            t += 1;
        } else if p < pattern.len() && pattern[p] == b'*' {
            backtrack = Some((p, t));
            p += 1;
        } else if let Some((star, from)) = backtrack {
            p = star + 1;
            t = from + 1;
            backtrack = Some((star, from + 1));
        } else {
            return false;
        }
    }
    pattern[p..].iter().all(|&c| c == b'*')
}

#[cfg(test)]
mod tests;
