//! Bucket URLs: `sftp://[user@]host[:port][/path]`.
//!
//! - The path is absolute on the server (`sftp://h/data/x` → `/data/x`), as in dlt/fsspec. A path
//!   of `/~` or starting with `/~/` is relative to the login directory (`sftp://h/~/x` → `x`);
//!   no path at all is the login directory itself.
//! - The user and the path are percent-decoded; IPv6 hosts are written in brackets
//!   (`sftp://[::1]:2222/x`).
//! - A password in the URL is rejected (it would be printed wherever the URL is): use
//!   `sftp_password`. Queries and fragments are rejected: percent-encode `?` and `#`.

use stowage_plugin_sdk::{PluginError, Result};

/// The parts of an `sftp://` bucket URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SftpUrl {
    /// Host name or IP address (IPv6 without brackets).
    pub host: String,
    /// Port from the URL, if given.
    pub port: Option<u16>,
    /// User from the URL, if given.
    pub user: Option<String>,
    /// Root directory on the server: absolute (`/data/x`), or relative to the login directory
    /// (`x`, or empty for the login directory itself). Never ends with `/` (except `/` itself).
    pub root: String,
}

/// Parses an `sftp://` bucket URL.
pub fn parse_bucket_url(url: &str) -> Result<SftpUrl> {
    let rest = strip_scheme(url)?;
    if rest.contains(['?', '#']) {
        return Err(PluginError::invalid(
            "sftp bucket URL has a query or fragment; percent-encode `?` and `#` in paths",
        ));
    }
    let (authority, path) = match rest.find('/') {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    let (user, host_port) = split_userinfo(authority)?;
    let (host, port) = split_host_port(host_port)?;
    Ok(SftpUrl {
        host,
        port,
        user,
        root: root_of(&percent_decode(path, "path")?),
    })
}

fn strip_scheme(url: &str) -> Result<&str> {
    match url.split_once("://") {
        Some((scheme, rest)) if scheme.eq_ignore_ascii_case("sftp") => Ok(rest),
        _ => Err(PluginError::invalid(
            "not an sftp bucket URL; expected sftp://[user@]host[:port]/path",
        )),
    }
}

/// `user@host:port` → (user, `host:port`). Never echoes the userinfo (it may hold a password).
fn split_userinfo(authority: &str) -> Result<(Option<String>, &str)> {
    let Some((userinfo, host_port)) = authority.rsplit_once('@') else {
        return Ok((None, authority));
    };
    if userinfo.contains(':') {
        return Err(PluginError::invalid(
            "the sftp bucket URL contains a password; remove it from the URL and set \
             `sftp_password` instead (URLs are printed in messages, passwords must not be)",
        ));
    }
    if userinfo.is_empty() {
        return Err(PluginError::invalid(
            "the sftp bucket URL has an empty user name before `@`",
        ));
    }
    Ok((Some(percent_decode(userinfo, "user name")?), host_port))
}

fn split_host_port(host_port: &str) -> Result<(String, Option<u16>)> {
    let (host, port) = if let Some(bracketed) = host_port.strip_prefix('[') {
        let (host, after) = bracketed.split_once(']').ok_or_else(|| {
            PluginError::invalid("sftp bucket URL: `[` of an IPv6 host is not closed")
        })?;
        match after {
            "" => (host, None),
            _ => match after.strip_prefix(':') {
                Some(port) => (host, Some(port)),
                None => return Err(PluginError::invalid("sftp bucket URL: junk after `]`")),
            },
        }
    } else {
        match host_port.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (host_port, None),
        }
    };
    if host.is_empty() {
        return Err(PluginError::invalid(
            "sftp bucket URL has no host; expected sftp://[user@]host[:port]/path",
        ));
    }
    if host.contains(':') && !host_port.starts_with('[') {
        return Err(PluginError::invalid(
            "sftp bucket URL: write an IPv6 host in brackets, e.g. sftp://[::1]:22/path",
        ));
    }
    Ok((host.to_string(), port.map(parse_port).transpose()?))
}

/// A port number 1–65535.
pub(crate) fn parse_port(text: &str) -> Result<u16> {
    match text.trim().parse::<u16>() {
        Ok(port) if port > 0 => Ok(port),
        _ => Err(PluginError::invalid(format!(
            "`{text}` is not a valid port (1-65535)"
        ))),
    }
}

/// The server-side root directory of a decoded URL path.
fn root_of(path: &str) -> String {
    let relative = if path == "/~" {
        Some("")
    } else {
        path.strip_prefix("/~/")
    };
    let root = match relative {
        Some(rel) => rel.trim_matches('/').to_string(),
        None if path.is_empty() => String::new(),
        None => format!("/{}", path.trim_matches('/')),
    };
    collapse_slashes(&root)
}

fn collapse_slashes(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for c in path.chars() {
        if !(c == '/' && out.ends_with('/')) {
            out.push(c);
        }
    }
    out
}

/// Decodes `%XX` escapes; the result must be UTF-8 without NUL.
fn percent_decode(text: &str, what: &str) -> Result<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok());
            let byte = hex
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| {
                    PluginError::invalid(format!(
                        "sftp bucket URL: bad percent escape in the {what}"
                    ))
                })?;
            out.push(byte);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    let decoded = String::from_utf8(out).map_err(|_| {
        PluginError::invalid(format!(
            "sftp bucket URL: the {what} is not UTF-8 when decoded"
        ))
    })?;
    if decoded.contains('\0') {
        return Err(PluginError::invalid(format!(
            "sftp bucket URL: the {what} contains a NUL character"
        )));
    }
    Ok(decoded)
}

#[cfg(test)]
mod tests;
