//! A private sshd for tests that stop, restart or reconfigure a server: a copy of the shared
//! server's `sshd_config` (same host keys, user and authorized keys) on a free port with its own
//! pid file and log. The shared server is never touched. Stopped, with every session process it
//! started, on drop.

use std::io::Read;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use super::Server;

/// How long sshd may take to start or stop.
const DEADLINE: Duration = Duration::from_secs(30);

/// A running private sshd.
#[derive(Debug)]
pub struct PrivateSshd {
    /// Its port on 127.0.0.1.
    pub port: u16,
    config: PathBuf,
    pid_file: PathBuf,
    log: PathBuf,
    /// Holds the config, pid file and log.
    pub dir: tempfile::TempDir,
}

impl PrivateSshd {
    /// Starts a copy of the shared server's sshd with `extra` appended to its config.
    pub fn start(server: &Server, extra: &str) -> PrivateSshd {
        let dir = tempfile::tempdir().expect("tempdir");
        let port = free_port();
        let config = dir.path().join("sshd_config");
        let pid_file = dir.path().join("sshd.pid");
        let log = dir.path().join("sshd.log");
        write_config(server, &config, port, &pid_file, extra);
        let sshd = PrivateSshd {
            port,
            config,
            pid_file,
            log,
            dir,
        };
        sshd.launch();
        sshd
    }

    /// Starts sshd (it daemonizes) and waits for its banner.
    pub fn launch(&self) {
        let _ = std::fs::remove_file(&self.pid_file);
        let status = Command::new("/usr/sbin/sshd")
            .arg("-f")
            .arg(&self.config)
            .arg("-E")
            .arg(&self.log)
            .status()
            .expect("run /usr/sbin/sshd");
        assert!(
            status.success(),
            "sshd failed to start: {}",
            self.log_text()
        );
        let deadline = Instant::now() + DEADLINE;
        while !banner_ok(self.port) {
            assert!(
                Instant::now() < deadline,
                "sshd not ready: {}",
                self.log_text()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Kills sshd and every session process it started; waits until the port is closed.
    pub fn stop(&self) {
        let Some(pid) = std::fs::read_to_string(&self.pid_file)
            .ok()
            .and_then(|p| p.trim().parse::<u32>().ok())
        else {
            return;
        };
        let mut doomed = descendants(pid);
        doomed.push(pid);
        for p in &doomed {
            let _ = Command::new("kill")
                .arg("-KILL")
                .arg(p.to_string())
                .status();
        }
        let _ = std::fs::remove_file(&self.pid_file);
        let deadline = Instant::now() + DEADLINE;
        while TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
            assert!(
                Instant::now() < deadline,
                "sshd on port {} did not stop",
                self.port
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Kills only the session processes: open connections die, the listener stays.
    pub fn kill_sessions(&self) {
        let pid: u32 = std::fs::read_to_string(&self.pid_file)
            .expect("sshd pid file")
            .trim()
            .parse()
            .expect("pid");
        for p in descendants(pid) {
            let _ = Command::new("kill")
                .arg("-KILL")
                .arg(p.to_string())
                .status();
        }
    }

    /// The sshd log so far.
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for PrivateSshd {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A port that was free a moment ago.
fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    listener.local_addr().expect("local addr").port()
}

/// The shared sshd_config with our port, pid file and extra lines.
fn write_config(server: &Server, path: &Path, port: u16, pid_file: &Path, extra: &str) {
    let shared = std::fs::read_to_string(server.server_dir().join("sshd_config"))
        .expect("read the shared sshd_config");
    let mut text = String::new();
    for line in shared.lines() {
        if line.starts_with("Port ") {
            text.push_str(&format!("Port {port}\n"));
        } else if line.starts_with("PidFile ") {
            text.push_str(&format!("PidFile {}\n", pid_file.display()));
        } else {
            text.push_str(line);
            text.push('\n');
        }
    }
    text.push_str(extra);
    text.push('\n');
    std::fs::write(path, text).expect("write sshd_config");
}

/// True if an SSH banner answers on `port`.
fn banner_ok(port: u16) -> bool {
    let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    let mut banner = [0u8; 8];
    stream.read_exact(&mut banner).is_ok() && banner.starts_with(b"SSH-2.0")
}

/// Every process below `pid` (children first found, deepest last).
fn descendants(pid: u32) -> Vec<u32> {
    let mut parents: Vec<(u32, u32)> = Vec::new();
    if let Ok(entries) = std::fs::read_dir("/proc") {
        for entry in entries.flatten() {
            let Some(child) = entry
                .file_name()
                .to_str()
                .and_then(|n| n.parse::<u32>().ok())
            else {
                continue;
            };
            if let Some(ppid) = parent_pid(child) {
                parents.push((child, ppid));
            }
        }
    }
    let mut found = Vec::new();
    let mut frontier = vec![pid];
    while let Some(p) = frontier.pop() {
        for (child, _) in parents.iter().filter(|(_, ppid)| *ppid == p) {
            found.push(*child);
            frontier.push(*child);
        }
    }
    found
}

fn parent_pid(pid: u32) -> Option<u32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // `pid (comm) state ppid …`; comm may contain spaces and parentheses.
    let after = &stat[stat.rfind(')')? + 1..];
    after.split_whitespace().nth(1)?.parse().ok()
}
