//! Opening one SFTP connection: TCP connect (with `sftp_timeout`), SSH handshake (with
//! `sftp_banner_timeout` and `sftp_compress`), the host-key check, authentication (with
//! `sftp_auth_timeout`), and the SFTP channel (with `sftp_channel_timeout`). Afterwards every
//! blocking SFTP request is limited by `sftp_timeout`.

use std::net::{TcpStream, ToSocketAddrs};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD_NO_PAD;
use ssh2::{HashType, MethodType, Session, Sftp};
use stowage_plugin_sdk::{PluginError, Result};

use crate::auth::authenticate;
use crate::config::SftpConfig;
use crate::errors::{connect_error, ssh_error};
use crate::host_key::{HostKeyVerifier, PresentedKey};

/// One authenticated SSH session with its SFTP channel.
pub struct Connection {
    /// The SFTP channel (holds the session alive).
    pub sftp: Sftp,
    /// The SSH session.
    session: Session,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection").finish_non_exhaustive()
    }
}

impl Connection {
    /// Says goodbye to the server (only for healthy connections: a dead one could block).
    pub fn close(self) {
        let Connection { sftp, session, .. } = self;
        drop(sftp);
        let _ = session.disconnect(None, "closing", None);
    }
}

/// Opens connections for one bucket.
#[derive(Debug)]
pub struct Connector {
    config: SftpConfig,
    host_keys: HostKeyVerifier,
    address: String,
    opened: AtomicU64,
}

impl Connector {
    /// A connector; loads known_hosts now.
    pub fn new(config: SftpConfig) -> Result<Connector> {
        let host_keys = HostKeyVerifier::new(&config)?;
        let address = config.address();
        Ok(Connector {
            config,
            host_keys,
            address,
            opened: AtomicU64::new(0),
        })
    }

    /// The settings.
    pub fn config(&self) -> &SftpConfig {
        &self.config
    }

    /// `host:port` for messages.
    pub fn address(&self) -> &str {
        &self.address
    }

    /// How many connections were opened so far.
    pub fn opened(&self) -> u64 {
        self.opened.load(Ordering::Relaxed)
    }

    /// Opens, verifies and authenticates a new connection.
    pub fn connect(&self) -> Result<Connection> {
        let timeouts = self.config.timeouts;
        let tcp = self.tcp_connect(timeouts.connect_and_io)?;
        let mut session =
            Session::new().map_err(|e| ssh_error(&e, "creating a session", &self.address))?;
        session.set_tcp_stream(tcp);
        session.set_compress(self.config.compress);
        set_timeout(&session, timeouts.banner);
        self.prefer_checkable_host_keys(&session);
        session
            .handshake()
            .map_err(|e| ssh_error(&e, "SSH handshake", &self.address))?;
        self.verify_host_key(&session)?;
        set_timeout(&session, timeouts.auth);
        authenticate(&session, &self.config)?;
        set_timeout(&session, timeouts.channel);
        let sftp = session
            .sftp()
            .map_err(|e| ssh_error(&e, "opening the SFTP channel", &self.address))?;
        set_timeout(&session, timeouts.connect_and_io);
        self.opened.fetch_add(1, Ordering::Relaxed);
        Ok(Connection { sftp, session })
    }

    fn tcp_connect(&self, timeout: Duration) -> Result<TcpStream> {
        let addresses = (self.config.host.as_str(), self.config.port)
            .to_socket_addrs()
            .map_err(|e| connect_error(&e, &self.address).while_doing("resolving the host"))?;
        let mut last = None;
        for address in addresses {
            match TcpStream::connect_timeout(&address, timeout) {
                Ok(stream) => {
                    let _ = stream.set_nodelay(true);
                    return Ok(stream);
                }
                Err(e) => last = Some(e),
            }
        }
        Err(match last {
            Some(e) => connect_error(&e, &self.address),
            None => PluginError::not_found(format!("the host of {} has no address", self.address)),
        })
    }

    /// Asks for a host-key type known_hosts has, when the server has several.
    fn prefer_checkable_host_keys(&self, session: &Session) {
        let mut preferred = self.host_keys.preferred_algorithms();
        if preferred.is_empty() {
            return;
        }
        let supported = session
            .supported_algs(MethodType::HostKey)
            .unwrap_or_default();
        preferred.retain(|a| supported.contains(&a.as_str()));
        for alg in supported {
            if !preferred.iter().any(|p| p == alg) {
                preferred.push(alg.to_string());
            }
        }
        let _ = session.method_pref(MethodType::HostKey, &preferred.join(","));
    }

    fn verify_host_key(&self, session: &Session) -> Result<()> {
        let (blob, _) = session.host_key().ok_or_else(|| {
            PluginError::unexpected(format!("{} presented no host key", self.address))
        })?;
        let fingerprint = session
            .host_key_hash(HashType::Sha256)
            .map(|hash| format!("SHA256:{}", STANDARD_NO_PAD.encode(hash)))
            .unwrap_or_else(|| "SHA256:?".into());
        self.host_keys.verify(PresentedKey {
            blob,
            fingerprint: &fingerprint,
        })
    }
}

/// libssh2's timeout for blocking calls (0 would mean none, so at least 1 ms).
fn set_timeout(session: &Session, timeout: Duration) {
    let ms = timeout.as_millis().clamp(1, u128::from(u32::MAX)) as u32;
    session.set_timeout(ms);
}
