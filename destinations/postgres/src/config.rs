//! Settings of the postgres destination, built from the engine's resolved [`Options`]
//! (`destination.postgres.credentials` as a connection string, or its fields).
//!
//! Keys: `credentials` (a `postgresql://user:password@host:port/database?…` URL or a libpq
//! `key=value` string), or the fields `database`, `username`, `password`, `host`, `port`,
//! `connect_timeout` (seconds), `sslmode` (`disable`, `allow`, `prefer`: this build has no
//! TLS); fields override the string. Unknown keys are rejected. The
//! password never appears in `Debug` output or errors.

use std::fmt;
use std::time::Duration;

use stowage_plugin_sdk::{Options, PluginError, Result};

/// Default `connect_timeout` in seconds (dlt's default is 15).
pub const DEFAULT_CONNECT_TIMEOUT_SECS: u64 = 15;

/// Resolved connection settings.
#[derive(Clone)]
pub struct PostgresConfig {
    /// The driver's configuration (holds the password).
    pub(crate) driver: postgres::Config,
    /// Secrets to scrub from every error text.
    pub(crate) secrets: Vec<String>,
}

impl fmt::Debug for PostgresConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PostgresConfig")
            .field("host", &self.driver.get_hosts().len())
            .field("user", &self.driver.get_user())
            .field("dbname", &self.driver.get_dbname())
            .field("password", &"***")
            .finish()
    }
}

impl PostgresConfig {
    /// Takes the known keys from `options` and rejects the rest.
    pub fn from_options(mut options: Options) -> Result<PostgresConfig> {
        let mut secrets = Vec::new();
        let mut driver = match options.take("credentials") {
            Some(text) => parse_connection_string(&text, &mut secrets)?,
            None => postgres::Config::new(),
        };
        if let Some(v) = options.take("database") {
            driver.dbname(&v);
        }
        if let Some(v) = options.take("username") {
            driver.user(&v);
        }
        if let Some(v) = options.take("password") {
            secrets.push(v.clone());
            driver.password(v);
        }
        if let Some(v) = options.take("host") {
            driver.host(&v);
        }
        if let Some(v) = options.take_u64("port")? {
            let port = u16::try_from(v)
                .map_err(|_| PluginError::invalid(format!("option `port` is out of range: {v}")))?;
            driver.port(port);
        }
        if let Some(mode) = options.take("sslmode") {
            driver.ssl_mode(ssl_mode(&mode)?);
        }
        let timeout = options
            .take_u64("connect_timeout")?
            .unwrap_or(DEFAULT_CONNECT_TIMEOUT_SECS);
        driver.connect_timeout(Duration::from_secs(timeout));
        options.finish("postgres destination")?;
        if driver.get_hosts().is_empty() {
            driver.host("localhost");
        }
        if driver.get_dbname().is_none() {
            return Err(PluginError::invalid(
                "postgres destination: no database given (set `credentials` to \
                 postgresql://user:password@host:port/database, or `database`)",
            ));
        }
        secrets.retain(|s| !s.is_empty());
        Ok(PostgresConfig { driver, secrets })
    }

    /// `text` with every secret replaced by `***`.
    pub fn scrub(&self, text: &str) -> String {
        scrub(text, &self.secrets)
    }
}

/// libpq's `sslmode`: this build connects without TLS, so only the modes that allow a plain
/// connection are accepted.
fn ssl_mode(mode: &str) -> Result<postgres::config::SslMode> {
    match mode {
        "disable" => Ok(postgres::config::SslMode::Disable),
        "allow" | "prefer" => Ok(postgres::config::SslMode::Prefer),
        "require" | "verify-ca" | "verify-full" => Err(PluginError::unsupported(format!(
            "postgres destination: sslmode `{mode}` needs TLS, which this build of the plugin \
             does not include (use disable, allow or prefer)"
        ))),
        other => Err(PluginError::invalid(format!(
            "postgres destination: sslmode `{other}` is not one of disable, allow, prefer, \
             require, verify-ca, verify-full"
        ))),
    }
}

/// `text` with every secret replaced by `***`.
pub(crate) fn scrub(text: &str, secrets: &[String]) -> String {
    let mut out = text.to_string();
    for secret in secrets {
        out = out.replace(secret.as_str(), "***");
    }
    out
}

/// Parses a URL or `key=value` connection string; the password (and the whole string, which
/// holds it) become secrets, and a parse error never echoes the string.
fn parse_connection_string(text: &str, secrets: &mut Vec<String>) -> Result<postgres::Config> {
    secrets.push(text.to_string());
    let driver: postgres::Config = text.parse().map_err(|e: postgres::Error| {
        PluginError::invalid(format!(
            "postgres destination: `credentials` is not a valid connection string ({})",
            scrub(&e.to_string(), secrets)
        ))
    })?;
    if let Some(password) = driver.get_password() {
        secrets.push(String::from_utf8_lossy(password).into_owned());
    }
    Ok(driver)
}

#[cfg(test)]
mod tests {
    use stowage_plugin_sdk::ErrorKind;

    use super::*;

    #[test]
    fn url_and_fields() {
        let cfg = PostgresConfig::from_options(Options::new([
            ("credentials", "postgresql://u:s3cr3t@127.0.0.1:5433/db"),
            ("connect_timeout", "3"),
        ]))
        .unwrap();
        assert_eq!(cfg.driver.get_dbname(), Some("db"));
        assert_eq!(cfg.driver.get_ports(), [5433]);
        let shown = format!("{cfg:?}");
        assert!(!shown.contains("s3cr3t"), "{shown}");
        assert_eq!(cfg.scrub("auth s3cr3t failed"), "auth *** failed");

        let cfg = PostgresConfig::from_options(Options::new([
            ("database", "d"),
            ("username", "u"),
            ("password", "pw-xyz"),
            ("host", "h"),
            ("port", "1234"),
        ]))
        .unwrap();
        assert_eq!(cfg.driver.get_user(), Some("u"));
        assert!(!format!("{cfg:?}").contains("pw-xyz"));
    }

    #[test]
    fn sslmode_allows_only_plain_connections() {
        let cfg =
            PostgresConfig::from_options(Options::new([("database", "d"), ("sslmode", "disable")]))
                .unwrap();
        assert_eq!(
            cfg.driver.get_ssl_mode(),
            postgres::config::SslMode::Disable
        );
        let err =
            PostgresConfig::from_options(Options::new([("database", "d"), ("sslmode", "require")]))
                .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Unsupported);
        assert!(err.to_string().contains("needs TLS"), "{err}");
        let err = PostgresConfig::from_options(Options::new([("database", "d"), ("sslmode", "x")]))
            .unwrap_err();
        assert!(err.to_string().contains("not one of"), "{err}");
    }

    #[test]
    fn unknown_keys_and_missing_database_are_errors() {
        let err = PostgresConfig::from_options(Options::new([("databse", "x")])).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidArgument);
        assert!(err.to_string().contains("`databse`"), "{err}");
        let err = PostgresConfig::from_options(Options::default()).unwrap_err();
        assert!(err.to_string().contains("no database"), "{err}");
    }

    #[test]
    fn a_bad_connection_string_is_not_echoed() {
        let err = PostgresConfig::from_options(Options::new([(
            "credentials",
            "postgresql://u:hunter2@h:notaport/db",
        )]))
        .unwrap_err();
        assert!(!err.to_string().contains("hunter2"), "{err}");
    }
}
