//! Settings of one SFTP bucket, built from the bucket URL and the engine's resolved [`Options`]
//! (dlt's `sftp_*` credential field names) plus the client environment (home directory, local
//! user name).
//!
//! Unknown keys are rejected with an error naming them. dlt fields that only Python code can set
//! (`sftp_pkey`, `sftp_sock`, `sftp_disabled_algorithms`, `sftp_transport_factory`,
//! `sftp_auth_strategy`) and GSS-API (`sftp_gss_auth`/`sftp_gss_kex` = true) are rejected with a
//! message saying why and what to use instead.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use stowage_plugin_sdk::{ErrorKind, Options, PluginError, Result};

use crate::url::{SftpUrl, parse_port};

/// Name used in option errors.
const PLUGIN: &str = "sftp backend";

/// The SSH port used when neither the URL nor `sftp_port` names one.
pub const DEFAULT_PORT: u16 = 22;

/// dlt credential fields that only Python code can fill (objects, not strings).
const CODE_ONLY: &[(&str, &str)] = &[
    (
        "sftp_pkey",
        "a paramiko key object; use `sftp_key_filename` instead",
    ),
    ("sftp_sock", "a Python socket or proxy object"),
    (
        "sftp_disabled_algorithms",
        "a Python dict of algorithms for paramiko",
    ),
    ("sftp_transport_factory", "a Python factory function"),
    ("sftp_auth_strategy", "a paramiko AuthStrategy object"),
];

/// GSS-API settings that only matter when GSS-API is on (accepted and ignored otherwise).
const GSS_DETAILS: &[&str] = &[
    "sftp_gss_deleg_creds",
    "sftp_gss_host",
    "sftp_gss_trust_dns",
];

/// A secret string; `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret.
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// The secret itself (only for handing to libssh2).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("\"***\"")
    }
}

/// What to do with the server's host key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum HostKeyPolicy {
    /// The key must be in known_hosts (default).
    #[default]
    Strict,
    /// Hosts missing from known_hosts are accepted (with a warning); changed keys are not.
    AcceptNew,
    /// No check at all (with a warning). Open to man-in-the-middle attacks.
    Off,
}

impl HostKeyPolicy {
    fn parse(text: &str) -> Result<HostKeyPolicy> {
        match text.trim().to_ascii_lowercase().as_str() {
            "strict" | "yes" => Ok(HostKeyPolicy::Strict),
            "accept-new" | "accept_new" => Ok(HostKeyPolicy::AcceptNew),
            "off" | "no" | "insecure" => Ok(HostKeyPolicy::Off),
            _ => Err(PluginError::invalid(format!(
                "option `sftp_host_key_policy` must be `strict`, `accept-new` or `off`, got `{text}`"
            ))),
        }
    }
}

/// Where trusted host keys come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KnownHostsSource {
    /// `~/.ssh/known_hosts` and `/etc/ssh/ssh_known_hosts` (whichever exist).
    Default(Vec<PathBuf>),
    /// The file set with `sftp_known_hosts` (must exist).
    Configured(PathBuf),
}

impl KnownHostsSource {
    /// The files to read.
    pub fn files(&self) -> Vec<&Path> {
        match self {
            KnownHostsSource::Default(files) => files.iter().map(PathBuf::as_path).collect(),
            KnownHostsSource::Configured(path) => vec![path.as_path()],
        }
    }
}

/// Timeouts of the connection phases.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// TCP connect, and each SFTP request once connected (`sftp_timeout`).
    pub connect_and_io: Duration,
    /// Server banner and key exchange (`sftp_banner_timeout`).
    pub banner: Duration,
    /// Each authentication attempt (`sftp_auth_timeout`).
    pub auth: Duration,
    /// Opening the SFTP channel (`sftp_channel_timeout`).
    pub channel: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            connect_and_io: Duration::from_secs(60),
            banner: Duration::from_secs(15),
            auth: Duration::from_secs(30),
            channel: Duration::from_secs(60),
        }
    }
}

/// The client's environment the settings depend on (read once by the plugin entry point).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClientEnv {
    /// The home directory (`~/.ssh/…`).
    pub home: Option<PathBuf>,
    /// The local user name (the default SSH user).
    pub local_user: Option<String>,
}

impl ClientEnv {
    /// `HOME` and `USER`/`LOGNAME` of this process.
    pub fn from_process() -> ClientEnv {
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        ClientEnv {
            home: var("HOME").map(PathBuf::from),
            local_user: var("USER").or_else(|| var("LOGNAME")),
        }
    }

    fn ssh_dir(&self) -> Option<PathBuf> {
        self.home.as_ref().map(|h| h.join(".ssh"))
    }
}

/// Resolved settings of one SFTP bucket.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SftpConfig {
    /// Host name or address.
    pub host: String,
    /// TCP port.
    pub port: u16,
    /// SSH user.
    pub username: String,
    /// Root directory on the server (see [`SftpUrl::root`]).
    pub root: String,
    /// `sftp_password`.
    pub password: Option<Secret>,
    /// `sftp_key_filename` (with `~` expanded).
    pub key_filename: Option<PathBuf>,
    /// `sftp_key_passphrase` (also tried for encrypted default keys).
    pub key_passphrase: Option<Secret>,
    /// `sftp_allow_agent`.
    pub allow_agent: bool,
    /// `sftp_look_for_keys`: the default key files in `~/.ssh`.
    pub default_keys: Vec<PathBuf>,
    /// Timeouts.
    pub timeouts: Timeouts,
    /// `sftp_compress`.
    pub compress: bool,
    /// Trusted host keys.
    pub known_hosts: KnownHostsSource,
    /// `sftp_host_key_policy`.
    pub host_key_policy: HostKeyPolicy,
}

impl SftpConfig {
    /// Builds the settings from a parsed URL, the options and the client environment.
    pub fn new(url: SftpUrl, mut options: Options, env: &ClientEnv) -> Result<SftpConfig> {
        reject_code_only(&mut options)?;
        let username = pick("user name", url.user, options.take("sftp_username"))?
            .or_else(|| env.local_user.clone())
            .ok_or_else(|| {
                PluginError::invalid(
                    "no SSH user: put it in the URL (sftp://user@host/path) or set `sftp_username`",
                )
            })?;
        let port_option = options
            .take("sftp_port")
            .map(|p| parse_port(&p))
            .transpose();
        let port_option = port_option.map_err(|e| e.while_doing("option `sftp_port`"))?;
        let port = pick("port", url.port, port_option)?.unwrap_or(DEFAULT_PORT);
        let config = SftpConfig {
            host: url.host,
            port,
            username,
            root: url.root,
            password: options.take("sftp_password").map(Secret::new),
            key_filename: options
                .take("sftp_key_filename")
                .map(|p| expand_tilde(&p, env)),
            key_passphrase: options.take("sftp_key_passphrase").map(Secret::new),
            allow_agent: options.take_bool("sftp_allow_agent")?.unwrap_or(true),
            default_keys: default_keys(options.take_bool("sftp_look_for_keys")?, env),
            timeouts: take_timeouts(&mut options)?,
            compress: options.take_bool("sftp_compress")?.unwrap_or(false),
            known_hosts: known_hosts_source(options.take("sftp_known_hosts"), env),
            host_key_policy: options
                .take("sftp_host_key_policy")
                .map(|p| HostKeyPolicy::parse(&p))
                .transpose()?
                .unwrap_or_default(),
        };
        options.finish(PLUGIN)?;
        Ok(config)
    }

    /// `host:port` for messages (`[v6]:port` for IPv6).
    pub fn address(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }
}

/// Rejects dlt fields that only Python code can supply, and GSS-API.
fn reject_code_only(options: &mut Options) -> Result<()> {
    for (key, what) in CODE_ONLY {
        if options.take(key).is_some() {
            return Err(PluginError::unsupported(format!(
                "option `{key}` is a dlt setting that only Python code can supply ({what}); \
                 the sftp backend cannot use it, remove it"
            )));
        }
    }
    for key in ["sftp_gss_auth", "sftp_gss_kex"] {
        if options.take_bool(key)? == Some(true) {
            return Err(PluginError::unsupported(format!(
                "option `{key}`: GSS-API (Kerberos) is not supported by the sftp backend; \
                 use a key file, the SSH agent or a password"
            )));
        }
    }
    options.accept(GSS_DETAILS);
    Ok(())
}

/// One value from the URL or the options; both given and different is an error.
fn pick<T: PartialEq + fmt::Display>(
    what: &str,
    from_url: Option<T>,
    from_options: Option<T>,
) -> Result<Option<T>> {
    match (from_url, from_options) {
        (Some(a), Some(b)) if a != b => Err(PluginError::invalid(format!(
            "the {what} in the bucket URL (`{a}`) differs from the option (`{b}`); give it once"
        ))),
        (a, b) => Ok(a.or(b)),
    }
}

fn take_timeouts(options: &mut Options) -> Result<Timeouts> {
    let defaults = Timeouts::default();
    let mut take = |key: &str, default: Duration| -> Result<Duration> {
        Ok(options
            .take(key)
            .map(|v| parse_seconds(key, &v))
            .transpose()?
            .unwrap_or(default))
    };
    Ok(Timeouts {
        connect_and_io: take("sftp_timeout", defaults.connect_and_io)?,
        banner: take("sftp_banner_timeout", defaults.banner)?,
        auth: take("sftp_auth_timeout", defaults.auth)?,
        channel: take("sftp_channel_timeout", defaults.channel)?,
    })
}

/// Seconds as a positive number (fractions allowed), at most one day.
fn parse_seconds(key: &str, text: &str) -> Result<Duration> {
    let seconds: f64 = text.trim().parse().map_err(|_| bad_seconds(key, text))?;
    if !(seconds > 0.0 && seconds <= 86_400.0) {
        return Err(bad_seconds(key, text));
    }
    Ok(Duration::from_secs_f64(seconds))
}

fn bad_seconds(key: &str, text: &str) -> PluginError {
    PluginError::new(
        ErrorKind::InvalidArgument,
        format!("option `{key}` must be a number of seconds between 0 and 86400, got `{text}`"),
    )
}

/// The default key files paramiko tries with `look_for_keys` (existing or not; checked later).
fn default_keys(look_for_keys: Option<bool>, env: &ClientEnv) -> Vec<PathBuf> {
    if look_for_keys == Some(false) {
        return Vec::new();
    }
    let Some(dir) = env.ssh_dir() else {
        return Vec::new();
    };
    ["id_rsa", "id_dsa", "id_ecdsa", "id_ed25519"]
        .iter()
        .map(|name| dir.join(name))
        .collect()
}

fn known_hosts_source(configured: Option<String>, env: &ClientEnv) -> KnownHostsSource {
    match configured {
        Some(path) => KnownHostsSource::Configured(expand_tilde(&path, env)),
        None => {
            let mut files: Vec<PathBuf> = env
                .ssh_dir()
                .map(|d| d.join("known_hosts"))
                .into_iter()
                .collect();
            files.push(PathBuf::from("/etc/ssh/ssh_known_hosts"));
            KnownHostsSource::Default(files)
        }
    }
}

/// `~/x` → `<home>/x`; anything else unchanged.
fn expand_tilde(path: &str, env: &ClientEnv) -> PathBuf {
    match (path.strip_prefix("~/"), &env.home) {
        (Some(rest), Some(home)) => home.join(rest),
        _ => PathBuf::from(path),
    }
}

#[cfg(test)]
mod tests;
