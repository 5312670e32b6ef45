//! Shared helpers of the SFTP tests: the shared OpenSSH test server's settings (`EMU_SFTP_*`),
//! unique remote directories, and the built binary and plugins.

#![allow(dead_code)]

pub mod cli;
pub mod proxy;
pub mod sshd;

use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use stowage_plugin_sdk::Options;

/// The shared test server (`cargo xtask servers env`).
#[derive(Debug, Clone)]
pub struct Server {
    pub host: String,
    pub port: u16,
    pub user: String,
    pub password: String,
    /// ed25519 key without passphrase.
    pub key: PathBuf,
    /// ed25519 key with passphrase `key_passphrase`.
    pub key_pass: PathBuf,
    pub key_passphrase: String,
    /// A key the server does not accept.
    pub key_unauthorized: PathBuf,
    /// known_hosts with `[127.0.0.1]:port` lines for the server's host keys.
    pub known_hosts: PathBuf,
    /// The test user's home directory (a local path: the server runs on this machine).
    pub home: PathBuf,
}

fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

/// Prints a skip line when `what` is missing outside CI; panics in CI (never a silent skip).
pub fn skip(what: &str) {
    if in_ci() {
        panic!("{what} is not available in CI: run the tests with `cargo xtask test-all`");
    }
    eprintln!(
        "skipped: {what} is not available (run `cargo xtask build`, `cargo xtask servers start` \
         and export `cargo xtask servers env`)"
    );
}

/// The shared server, or `None` (skip) when `EMU_SFTP_*` is not set outside CI.
pub fn server() -> Option<Server> {
    let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    let Some(host) = var("EMU_SFTP_HOST") else {
        skip("the SFTP test server (EMU_SFTP_HOST)");
        return None;
    };
    let must = |k: &str| var(k).unwrap_or_else(|| panic!("{k} is not set"));
    Some(Server {
        host,
        port: must("EMU_SFTP_PORT").parse().expect("EMU_SFTP_PORT"),
        user: must("EMU_SFTP_USER"),
        password: must("EMU_SFTP_PASSWORD"),
        key: must("EMU_SFTP_KEY").into(),
        key_pass: must("EMU_SFTP_KEY_PASS").into(),
        key_passphrase: must("EMU_SFTP_KEY_PASSPHRASE"),
        key_unauthorized: must("EMU_SFTP_KEY_UNAUTHORIZED").into(),
        known_hosts: must("EMU_SFTP_KNOWN_HOSTS").into(),
        home: must("EMU_SFTP_HOME").into(),
    })
}

/// A name no other test run uses.
pub fn unique(name: &str) -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    format!("stowage-sftp-{name}-{:x}-{:x}", std::process::id(), nanos)
}

/// A unique directory in the test user's home; removed (locally) on drop.
#[derive(Debug)]
pub struct RemoteDir {
    /// Local path (the server is on this machine).
    pub local: PathBuf,
    /// Name below the home directory.
    pub name: String,
}

impl RemoteDir {
    pub fn new(server: &Server, name: &str) -> RemoteDir {
        let name = unique(name);
        RemoteDir {
            local: server.home.join(&name),
            name,
        }
    }

    /// `sftp://user@host:port/<abs path>`.
    pub fn url(&self, server: &Server) -> String {
        self.url_on(server, server.port)
    }

    /// The same directory through another port (a private sshd or a proxy).
    pub fn url_on(&self, server: &Server, port: u16) -> String {
        format!(
            "sftp://{}@{}:{port}{}",
            server.user,
            server.host,
            self.local.display()
        )
    }
}

impl Drop for RemoteDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.local);
    }
}

impl Server {
    /// Options for password auth, with the server's known_hosts and nothing from the
    /// environment (no agent, no default keys).
    pub fn password_options(&self) -> Vec<(String, String)> {
        let mut o = self.isolated_options();
        o.push(("sftp_password".into(), self.password.clone()));
        o
    }

    /// Options with the server's known_hosts, agent and default keys off, and no credential.
    pub fn isolated_options(&self) -> Vec<(String, String)> {
        vec![
            (
                "sftp_known_hosts".into(),
                self.known_hosts.display().to_string(),
            ),
            ("sftp_allow_agent".into(), "false".into()),
            ("sftp_look_for_keys".into(), "false".into()),
        ]
    }

    /// The directory of the shared server's files (host keys, sshd_config, askpass scripts).
    pub fn server_dir(&self) -> PathBuf {
        self.known_hosts
            .parent()
            .expect("known_hosts has a parent")
            .to_path_buf()
    }

    /// A known_hosts file in `dir` trusting the server's host keys on each of `ports`.
    pub fn known_hosts_for_ports(&self, dir: &Path, ports: &[u16]) -> PathBuf {
        let original = std::fs::read_to_string(&self.known_hosts).expect("read known_hosts");
        let mut text = String::new();
        for port in ports {
            for line in original.lines().filter(|l| !l.trim().is_empty()) {
                let (_, key) = line.split_once(' ').expect("known_hosts line");
                text.push_str(&format!("[{}]:{port} {key}\n", self.host));
            }
        }
        let path = dir.join(format!("known_hosts-{}", unique("kh")));
        std::fs::write(&path, text).expect("write known_hosts");
        path
    }
}

/// Options from string pairs.
pub fn options(pairs: &[(String, String)]) -> Options {
    Options::new(pairs.iter().cloned())
}

/// The plugins built by `cargo xtask build`, or `None` (skip) outside CI.
pub fn plugin_dir() -> Option<PathBuf> {
    match std::env::var_os("STOWAGE_TEST_PLUGIN_DIR") {
        Some(dir) => Some(PathBuf::from(dir)),
        None => {
            skip("the built plugins (STOWAGE_TEST_PLUGIN_DIR)");
            None
        }
    }
}

/// The built `stowage` binary, or `None` (skip) outside CI.
pub fn stowage_bin() -> Option<PathBuf> {
    match std::env::var_os("STOWAGE_BIN") {
        Some(bin) => Some(PathBuf::from(bin)),
        None => {
            skip("the built stowage binary (STOWAGE_BIN)");
            None
        }
    }
}

/// True if this process may start sshd (it must run as root); skips or panics otherwise.
pub fn can_run_sshd() -> bool {
    let uid = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .and_then(|l| l.split_whitespace().nth(1).map(str::to_string))
        });
    if uid.as_deref() == Some("0") && Path::new("/usr/sbin/sshd").exists() {
        return true;
    }
    skip("a private sshd (needs root and /usr/sbin/sshd)");
    false
}
