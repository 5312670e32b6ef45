//! SSH authentication in paramiko's (and so dlt's) order: the key file (`sftp_key_filename`,
//! with an OpenSSH certificate `<key>-cert.pub` beside it if present), the SSH agent
//! (`sftp_allow_agent`), the default keys in `~/.ssh` (`sftp_look_for_keys`), then the password
//! (`sftp_password`; keyboard-interactive when the server offers only that).
//!
//! Key passphrases: `sftp_key_passphrase`, else `sftp_password` (as paramiko does). Methods the
//! server does not offer are skipped. When everything fails, the error lists what was tried and
//! why each attempt failed — never a secret.

use std::path::{Path, PathBuf};

use ssh2::{KeyboardInteractivePrompt, Prompt, Session};
use stowage_plugin_sdk::{ErrorKind, PluginError, Result};

use crate::config::{Secret, SftpConfig};
use crate::errors::{breaks_connection, is_auth_rejection, is_key_file_error, ssh_error};

/// Suffix of an OpenSSH certificate next to its private key.
const CERT_SUFFIX: &str = "-cert.pub";

/// One authentication run: the methods tried so far and why they failed.
struct Authenticator<'a> {
    session: &'a Session,
    config: &'a SftpConfig,
    address: String,
    /// Methods the server offers (`publickey,password`).
    offered: String,
    /// One note per method tried.
    notes: Vec<String>,
    /// True once the server rejected a credential.
    any_rejected: bool,
}

/// Authenticates `session` as configured.
pub fn authenticate(session: &Session, config: &SftpConfig) -> Result<()> {
    let address = config.address();
    let offered = match session.auth_methods(&config.username) {
        Ok(methods) => methods.to_string(),
        Err(e) => return Err(ssh_error(&e, "asking for authentication methods", &address)),
    };
    if session.authenticated() {
        return Ok(());
    }
    let mut auth = Authenticator {
        session,
        config,
        address,
        offered,
        notes: Vec::new(),
        any_rejected: false,
    };
    if auth.run()? {
        Ok(())
    } else {
        Err(auth.all_failed())
    }
}

impl Authenticator<'_> {
    /// Tries each configured method in order; `Ok(true)` once one succeeds.
    fn run(&mut self) -> Result<bool> {
        let config = self.config;
        if self.offers("publickey") {
            if let Some(key) = &config.key_filename
                && self.key_file(key, true)?
            {
                return Ok(true);
            }
            if config.allow_agent && self.agent()? {
                return Ok(true);
            }
            for key in &config.default_keys {
                if self.key_file(key, false)? {
                    return Ok(true);
                }
            }
        }
        match &config.password {
            Some(password) => self.password(password),
            None => Ok(false),
        }
    }

    fn offers(&self, method: &str) -> bool {
        self.offered.split(',').any(|m| m == method)
    }

    fn all_failed(&self) -> PluginError {
        let tried = if self.notes.is_empty() {
            "nothing (no key file, agent key, default key or password is configured for the \
             methods the server offers)"
                .to_string()
        } else {
            self.notes.join("; ")
        };
        PluginError::new(
            ErrorKind::PermissionDenied,
            format!(
                "authentication failed for user `{}` at {}: tried {tried}. The server offers: {}",
                self.config.username, self.address, self.offered
            ),
        )
        .with_retryable(false)
    }

    /// The result of one attempt: success, a noted failure, or an error that ends authentication
    /// (a broken connection; reported as a rejection when the server had already refused
    /// something, since servers disconnect after too many failures).
    fn outcome(
        &mut self,
        result: std::result::Result<(), ssh2::Error>,
        what: String,
    ) -> Result<bool> {
        let err = match result {
            Ok(()) if self.session.authenticated() => return Ok(true),
            Ok(()) => {
                self.notes.push(format!("{what} (partial success only)"));
                return Ok(false);
            }
            Err(err) => err,
        };
        if breaks_connection(&err) {
            if !self.any_rejected {
                return Err(ssh_error(
                    &err,
                    &format!("authenticating ({what})"),
                    &self.address,
                ));
            }
            self.notes
                .push(format!("{what} (the server closed the connection)"));
            return Err(self.all_failed());
        }
        let why = if is_key_file_error(&err) {
            "could not be read or decrypted: wrong `sftp_key_passphrase`, or an unsupported format"
        } else if is_auth_rejection(&err) {
            self.any_rejected = true;
            "rejected by the server"
        } else {
            err.message()
        };
        self.notes.push(format!("{what} ({why})"));
        Ok(false)
    }

    fn key_file(&mut self, path: &Path, configured: bool) -> Result<bool> {
        let (private, cert) = key_and_certificate(path);
        if !private.is_file() {
            if configured {
                return Err(PluginError::invalid(format!(
                    "`sftp_key_filename`: the key file `{}` does not exist",
                    private.display()
                )));
            }
            return Ok(false); // default key files are optional
        }
        let config = self.config;
        let passphrase = config.key_passphrase.as_ref().or(config.password.as_ref());
        let with_cert = cert
            .as_ref()
            .map(|c| format!(" with certificate `{}`", c.display()));
        let what = format!(
            "key file `{}`{}",
            private.display(),
            with_cert.unwrap_or_default()
        );
        let result = self.session.userauth_pubkey_file(
            &config.username,
            cert.as_deref(),
            &private,
            passphrase.map(Secret::expose),
        );
        self.outcome(result, what)
    }

    fn agent(&mut self) -> Result<bool> {
        let mut agent = match self.session.agent() {
            Ok(agent) => agent,
            Err(e) => {
                self.notes.push(format!("ssh agent ({})", e.message()));
                return Ok(false);
            }
        };
        if agent.connect().is_err() {
            self.notes
                .push("ssh agent (none reachable: SSH_AUTH_SOCK is unset or stale)".into());
            return Ok(false);
        }
        let result = self.agent_identities(&mut agent);
        let _ = agent.disconnect();
        result
    }

    fn agent_identities(&mut self, agent: &mut ssh2::Agent) -> Result<bool> {
        let identities = match agent.list_identities().and_then(|()| agent.identities()) {
            Ok(ids) => ids,
            Err(e) => {
                self.notes.push(format!("ssh agent ({})", e.message()));
                return Ok(false);
            }
        };
        if identities.is_empty() {
            self.notes.push("ssh agent (it holds no keys)".into());
        }
        for identity in &identities {
            let what = format!("ssh agent key `{}`", identity.comment());
            if self.outcome(agent.userauth(&self.config.username, identity), what)? {
                return Ok(true);
            }
        }
        Ok(false)
    }

    fn password(&mut self, password: &Secret) -> Result<bool> {
        let user = &self.config.username;
        let result = if self.offers("password") {
            self.session.userauth_password(user, password.expose())
        } else if self.offers("keyboard-interactive") {
            let mut prompter = PasswordPrompter(password);
            self.session
                .userauth_keyboard_interactive(user, &mut prompter)
        } else {
            self.notes
                .push("password (the server accepts no password authentication)".into());
            return Ok(false);
        };
        self.outcome(result, "password".into())
    }
}

/// The private key and its certificate: `key` + `key-cert.pub` if that exists, or, when the path
/// names a certificate, the key beside it.
pub fn key_and_certificate(path: &Path) -> (PathBuf, Option<PathBuf>) {
    let text = path.to_string_lossy();
    if let Some(private) = text.strip_suffix(CERT_SUFFIX) {
        return (PathBuf::from(private), Some(path.to_path_buf()));
    }
    let cert = PathBuf::from(format!("{text}{CERT_SUFFIX}"));
    let cert = cert.is_file().then_some(cert);
    (path.to_path_buf(), cert)
}

/// Answers keyboard-interactive password prompts (hidden-input prompts) with the password.
struct PasswordPrompter<'a>(&'a Secret);

impl KeyboardInteractivePrompt for PasswordPrompter<'_> {
    fn prompt<'b>(
        &mut self,
        _user: &str,
        _instructions: &str,
        prompts: &[Prompt<'b>],
    ) -> Vec<String> {
        prompts
            .iter()
            .map(|p| {
                if p.echo {
                    String::new()
                } else {
                    self.0.expose().to_string()
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn certificates_beside_keys_are_found() {
        let dir = tempfile::tempdir().unwrap();
        let key = dir.path().join("id_ed25519");
        std::fs::write(&key, "k").unwrap();
        assert_eq!(key_and_certificate(&key), (key.clone(), None));
        let cert = dir.path().join("id_ed25519-cert.pub");
        std::fs::write(&cert, "c").unwrap();
        assert_eq!(key_and_certificate(&key), (key.clone(), Some(cert.clone())));
        assert_eq!(key_and_certificate(&cert), (key, Some(cert)));
    }
}
