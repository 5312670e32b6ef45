//! Bucket URLs of the local backend (spec §8): `file:` URLs and bare paths in POSIX, Windows
//! drive, UNC and extended-length (`\\?\`) form, parsed into a [`LocalRoot`]; the native root
//! path for this platform; and the canonical `file://` URL as Python's `Path.as_uri()` writes it.
//!
//! Parsing is platform independent, so Windows forms are recognised (and tested) everywhere; only
//! [`LocalRoot::native_path`] depends on the platform.

use std::ffi::OsString;
use std::fmt;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::{Path, PathBuf};

use stowage_plugin_sdk::{PluginError, Result};

/// Where a bucket URL points.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LocalRoot {
    /// An absolute POSIX path without empty or `.` segments (`..` is kept for the kernel).
    Posix(PathBuf),
    /// A UNC path `\\host\share\path…` (also written `//host/share/path…`).
    Unc {
        /// Server name.
        host: String,
        /// Share name.
        share: String,
        /// Segments below the share.
        path: Vec<String>,
    },
    /// A Windows drive path `C:\path…`.
    Drive {
        /// Drive letter as written.
        letter: char,
        /// Segments below the drive root.
        path: Vec<String>,
    },
    /// An extended-length drive path `\\?\C:\path…`.
    ExtendedDrive {
        /// Drive letter as written.
        letter: char,
        /// Segments below the drive root.
        path: Vec<String>,
    },
    /// An extended-length UNC path `\\?\UNC\host\share\path…`.
    ExtendedUnc {
        /// Server name.
        host: String,
        /// Share name.
        share: String,
        /// Segments below the share.
        path: Vec<String>,
    },
}

impl LocalRoot {
    /// The root directory on this (Unix) platform. A UNC root is the path `//host/share/…`;
    /// drive and extended-length paths only exist on Windows and are `Unsupported`.
    pub fn native_path(&self) -> Result<PathBuf> {
        match self {
            LocalRoot::Posix(path) => Ok(path.clone()),
            LocalRoot::Unc { host, share, path } => Ok(PathBuf::from(format!(
                "//{host}/{share}{}",
                tail('/', path)
            ))),
            LocalRoot::Drive { .. }
            | LocalRoot::ExtendedDrive { .. }
            | LocalRoot::ExtendedUnc { .. } => Err(PluginError::unsupported(format!(
                "`{self}` is a Windows path and cannot be opened on this platform"
            ))),
        }
    }

    /// The path with `/` separators, as bytes (Python's `as_posix()`).
    fn as_posix(&self) -> Vec<u8> {
        let text = match self {
            LocalRoot::Posix(path) => return path.as_os_str().as_bytes().to_vec(),
            LocalRoot::Unc { host, share, path } => format!("//{host}/{share}/{}", path.join("/")),
            LocalRoot::Drive { letter, path } => format!("{letter}:/{}", path.join("/")),
            LocalRoot::ExtendedDrive { letter, path } => {
                format!("//?/{letter}:/{}", path.join("/"))
            }
            LocalRoot::ExtendedUnc { host, share, path } => {
                format!("//?/UNC/{host}/{share}/{}", path.join("/"))
            }
        };
        text.into_bytes()
    }
}

/// Native Windows spelling (`C:\a`, `\\host\share\a`, `\\?\C:\a`); POSIX paths as they are.
impl fmt::Display for LocalRoot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LocalRoot::Posix(path) => write!(f, "{}", path.display()),
            LocalRoot::Unc { host, share, path } => {
                write!(f, r"\\{host}\{share}\{}", path.join(r"\"))
            }
            LocalRoot::Drive { letter, path } => write!(f, r"{letter}:\{}", path.join(r"\")),
            LocalRoot::ExtendedDrive { letter, path } => {
                write!(f, r"\\?\{letter}:\{}", path.join(r"\"))
            }
            LocalRoot::ExtendedUnc { host, share, path } => {
                write!(f, r"\\?\UNC\{host}\{share}\{}", path.join(r"\"))
            }
        }
    }
}

/// `sep` + segments joined by `sep`, or nothing when there are no segments.
fn tail(sep: char, path: &[String]) -> String {
    path.iter().map(|s| format!("{sep}{s}")).collect()
}

/// The canonical `file://` URL of `root`, percent-encoded like Python's `Path.as_uri()`
/// (`C:\hello` → `file:///C:/hello`, `\\?\C:\hello` → `file://%3F/C%3A/hello`).
pub fn to_file_url(root: &LocalRoot) -> String {
    match root {
        LocalRoot::Posix(_) => format!("file://{}", quote(&root.as_posix())),
        LocalRoot::Drive { letter, path } => {
            format!(
                "file:///{letter}:{}",
                quote(format!("/{}", path.join("/")).as_bytes())
            )
        }
        _ => format!("file:{}", quote(&root.as_posix())),
    }
}

/// Parses a bucket URL; relative paths are resolved against the current directory.
pub fn parse_bucket_url(url: &str) -> Result<LocalRoot> {
    let cwd = std::env::current_dir().ok();
    parse_bucket_url_in(url, cwd.as_deref())
}

/// Parses a bucket URL; relative paths are resolved against `cwd` (an error without one).
pub fn parse_bucket_url_in(url: &str, cwd: Option<&Path>) -> Result<LocalRoot> {
    let parsed = match split_scheme(url) {
        Some((scheme, rest)) if scheme.eq_ignore_ascii_case("file") => parse_file_url(rest, cwd),
        Some((scheme, _)) => Err(PluginError::invalid(format!(
            "scheme `{scheme}` is not served by the local backend (use `file:` or a path)"
        ))),
        None => parse_path(url.as_bytes(), cwd),
    };
    parsed.map_err(|e| e.with_context("url", url))
}

/// `(scheme, rest)` for `scheme:rest`; a single letter is a drive, not a scheme.
fn split_scheme(url: &str) -> Option<(&str, &str)> {
    let (scheme, rest) = url.split_once(':')?;
    let mut chars = scheme.chars();
    let first_ok = chars.next().is_some_and(|c| c.is_ascii_alphabetic());
    let rest_ok = chars.all(|c| c.is_ascii_alphanumeric() || "+.-".contains(c));
    (first_ok && rest_ok && scheme.len() > 1).then_some((scheme, rest))
}

/// Parses what follows `file:` (dlt's `make_local_path`).
fn parse_file_url(rest: &str, cwd: Option<&Path>) -> Result<LocalRoot> {
    if rest.contains(['?', '#']) {
        return Err(PluginError::invalid(
            "a `file:` URL must have no query or fragment (percent-encode `?` as %3F, `#` as %23)",
        ));
    }
    let (host, path) = match rest.strip_prefix("//") {
        Some(authority) => authority.split_at(authority.find('/').unwrap_or(authority.len())),
        None => ("", rest),
    };
    if host.is_empty() && path.is_empty() {
        return Err(PluginError::invalid(
            "`file:` URL has neither a path nor a host",
        ));
    }
    let path = percent_decode(path);
    if !host.is_empty() {
        let unc = [b"//".as_slice(), &percent_decode(host), &path].concat();
        return parse_windows(&utf8(unc)?);
    }
    match path.strip_prefix(b"/") {
        // `/C:/x` and `///host/share`: both a POSIX and a Windows root; the Windows one wins.
        Some(inner) if is_windows_absolute(inner) => parse_windows(&utf8(inner.to_vec())?),
        _ => parse_path(&path, cwd),
    }
}

/// Parses a bare path (bytes, because percent-decoded POSIX paths need not be UTF-8).
fn parse_path(path: &[u8], cwd: Option<&Path>) -> Result<LocalRoot> {
    if path.is_empty() {
        return Err(PluginError::invalid("bucket path is empty"));
    }
    if path.contains(&0) {
        return Err(PluginError::invalid("bucket path contains a NUL byte"));
    }
    if is_windows_form(path) {
        return parse_windows(&utf8(path.to_vec())?);
    }
    if path[0] == b'/' {
        return Ok(LocalRoot::Posix(normalize_posix(path)));
    }
    let cwd = cwd.ok_or_else(|| {
        PluginError::invalid("relative bucket path, but the current directory is unknown")
    })?;
    let joined = [cwd.as_os_str().as_bytes(), b"/", path].concat();
    parse_path(&joined, None)
}

fn is_sep(b: u8) -> bool {
    b == b'/' || b == b'\\'
}

/// `X:` at the start.
fn has_drive(p: &[u8]) -> bool {
    p.len() >= 2 && p[0].is_ascii_alphabetic() && p[1] == b':'
}

/// A UNC/extended path (exactly two leading separators) or anything starting with a drive.
fn is_windows_form(p: &[u8]) -> bool {
    let unc = p.len() > 2 && is_sep(p[0]) && is_sep(p[1]) && !is_sep(p[2]);
    unc || has_drive(p)
}

/// An absolute Windows path: `X:` + separator, or two leading separators.
fn is_windows_absolute(p: &[u8]) -> bool {
    let drive = has_drive(p) && p.get(2).copied().is_some_and(is_sep);
    let unc = p.len() >= 2 && is_sep(p[0]) && is_sep(p[1]);
    drive || unc
}

/// Parses a Windows drive, UNC or extended-length path (either separator).
fn parse_windows(s: &str) -> Result<LocalRoot> {
    let segments: Vec<&str> = s.split(['/', '\\']).collect();
    if has_drive(s.as_bytes()) {
        let letter = drive_letter(segments[0]).filter(|_| segments.len() > 1);
        let letter = letter.ok_or_else(|| {
            PluginError::invalid(format!(
                "`{s}` is drive-relative; use an absolute path like `C:\\data`"
            ))
        })?;
        return Ok(LocalRoot::Drive {
            letter,
            path: clean(&segments[1..]),
        });
    }
    match segments.get(2..).unwrap_or_default() {
        ["?", rest @ ..] => parse_extended(s, rest),
        [".", ..] => Err(PluginError::invalid(format!(
            "device path `{s}` is not supported"
        ))),
        [host, share, rest @ ..] if !host.is_empty() && !share.is_empty() => Ok(LocalRoot::Unc {
            host: host.to_string(),
            share: share.to_string(),
            path: clean(rest),
        }),
        _ => Err(PluginError::invalid(format!(
            "UNC path `{s}` needs a host and a share name"
        ))),
    }
}

/// Parses the part of `\\?\…` after the `?`.
fn parse_extended(s: &str, rest: &[&str]) -> Result<LocalRoot> {
    if let [drive, path @ ..] = rest
        && let Some(letter) = drive_letter(drive)
    {
        return Ok(LocalRoot::ExtendedDrive {
            letter,
            path: clean(path),
        });
    }
    match rest {
        [unc, host, share, path @ ..]
            if unc.eq_ignore_ascii_case("UNC") && !host.is_empty() && !share.is_empty() =>
        {
            Ok(LocalRoot::ExtendedUnc {
                host: host.to_string(),
                share: share.to_string(),
                path: clean(path),
            })
        }
        _ => Err(PluginError::invalid(format!(
            "extended-length path `{s}` must be `\\\\?\\C:\\…` or `\\\\?\\UNC\\host\\share\\…`"
        ))),
    }
}

/// The letter of a `X:` segment.
fn drive_letter(segment: &str) -> Option<char> {
    let mut chars = segment.chars();
    match (chars.next(), chars.next(), chars.next()) {
        (Some(letter), Some(':'), None) if letter.is_ascii_alphabetic() => Some(letter),
        _ => None,
    }
}

/// Segments without empty and `.` ones (like pathlib).
fn clean(segments: &[&str]) -> Vec<String> {
    segments
        .iter()
        .filter(|s| !s.is_empty() && **s != ".")
        .map(|s| s.to_string())
        .collect()
}

/// `/` + the non-empty, non-`.` segments of an absolute POSIX path joined by `/`.
fn normalize_posix(path: &[u8]) -> PathBuf {
    let mut out = Vec::with_capacity(path.len());
    for segment in path
        .split(|b| *b == b'/')
        .filter(|s| !s.is_empty() && *s != b".")
    {
        out.push(b'/');
        out.extend_from_slice(segment);
    }
    if out.is_empty() {
        out.push(b'/');
    }
    PathBuf::from(OsString::from_vec(out))
}

fn utf8(bytes: Vec<u8>) -> Result<String> {
    String::from_utf8(bytes).map_err(|_| PluginError::invalid("Windows path is not valid UTF-8"))
}

/// Decodes `%XX` escapes; malformed escapes stay as they are (like Python's `unquote`).
fn percent_decode(s: &str) -> Vec<u8> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match (bytes[i], hex(bytes.get(i + 1)), hex(bytes.get(i + 2))) {
            (b'%', Some(high), Some(low)) => {
                out.push(high << 4 | low);
                i += 3;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    out
}

fn hex(b: Option<&u8>) -> Option<u8> {
    b.and_then(|b| char::from(*b).to_digit(16))
        .and_then(|d| u8::try_from(d).ok())
}

/// Percent-encodes all but `A-Z a-z 0-9 _ . - ~ /` (Python's `quote_from_bytes`, safe `/`).
fn quote(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for &b in bytes {
        if b.is_ascii_alphanumeric() || b"_.-~/".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests;
