//! End-to-end `stowage run` to `sftp://` buckets on the shared OpenSSH test server, through the
//! built binary and the dlopened plugin: each authentication method, and each way a connection
//! must be refused cleanly (non-zero exit, a message that says what to do, no secret printed).
//!
//! Host keys come from the child's `~/.ssh/known_hosts` (a HOME of the test's own), except in the
//! tests of `sftp_known_hosts` and `sftp_host_key_policy`.

mod common;

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::cli::{EVENTS, Project, assert_clean_failure, assert_loaded, isolated_creds, text};
use common::*;

fn pair(k: &str, v: impl ToString) -> (String, String) {
    (k.to_string(), v.to_string())
}

#[test]
fn run_with_a_password() {
    let (Some(server), Some(project)) = (server(), Project::new()) else {
        return;
    };
    let dir = RemoteDir::new(&server, "e2e-pw");
    project.trust(&server);
    let mut creds = isolated_creds();
    creds.push(pair("sftp_password", &server.password));
    let out = project.run_events("pw", &dir.url(&server), &creds);
    assert!(out.status.success(), "{}", text(&out));
    assert!(!text(&out).contains(&server.password), "{}", text(&out));
    assert_loaded(&dir.local.join("pw_dataset"), "pw", 1000);
}

#[test]
fn run_with_a_passphrase_protected_key() {
    let (Some(server), Some(project)) = (server(), Project::new()) else {
        return;
    };
    let dir = RemoteDir::new(&server, "e2e-key");
    project.trust(&server);
    let mut creds = isolated_creds();
    creds.push(pair("sftp_key_filename", server.key_pass.display()));
    creds.push(pair("sftp_key_passphrase", &server.key_passphrase));
    let out = project.run_events("key", &dir.url(&server), &creds);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        !text(&out).contains(&server.key_passphrase),
        "{}",
        text(&out)
    );
    assert_loaded(&dir.local.join("key_dataset"), "key", 1000);
}

/// An `ssh-agent` of this test only (foreground, own socket), killed on drop.
struct Agent {
    child: Child,
    socket: std::path::PathBuf,
}

impl Agent {
    fn start(dir: &std::path::Path) -> Agent {
        let socket = dir.join("agent.sock");
        let child = Command::new("ssh-agent")
            .arg("-D")
            .arg("-a")
            .arg(&socket)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start ssh-agent");
        let agent = Agent { child, socket };
        let deadline = Instant::now() + Duration::from_secs(20);
        while !agent.socket.exists() {
            assert!(
                Instant::now() < deadline,
                "ssh-agent did not create its socket"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        agent
    }

    /// Adds a key; `passphrase` is answered through an askpass script of the test's own.
    fn add(&self, key: &std::path::Path, passphrase: &str, dir: &std::path::Path) {
        let askpass = dir.join("askpass.sh");
        std::fs::write(&askpass, format!("#!/bin/sh\necho '{passphrase}'\n")).unwrap();
        let _ = Command::new("chmod").arg("700").arg(&askpass).status();
        let out = Command::new("ssh-add")
            .arg(key)
            .env("SSH_AUTH_SOCK", &self.socket)
            .env("SSH_ASKPASS", &askpass)
            .env("SSH_ASKPASS_REQUIRE", "force")
            .stdin(Stdio::null())
            .output()
            .expect("ssh-add");
        assert!(
            out.status.success(),
            "ssh-add: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

impl Drop for Agent {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn run_with_an_ssh_agent() {
    let (Some(server), Some(project)) = (server(), Project::new()) else {
        return;
    };
    let dir = RemoteDir::new(&server, "e2e-agent");
    project.trust(&server);
    let agent = Agent::start(project.work.path());
    agent.add(
        &server.key_pass,
        &server.key_passphrase,
        project.work.path(),
    );
    let creds = vec![pair("sftp_look_for_keys", "false")];
    let mut cmd = project.stowage(&creds);
    cmd.env("SSH_AUTH_SOCK", &agent.socket).args([
        "run",
        EVENTS,
        "--table",
        "events",
        "--pipeline",
        "agent",
        "--bucket-url",
        &dir.url(&server),
    ]);
    let out = cmd.output().expect("run stowage");
    drop(agent);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        !text(&out).contains(&server.key_passphrase),
        "{}",
        text(&out)
    );
    assert_loaded(&dir.local.join("agent_dataset"), "agent", 1000);
}

#[test]
fn run_with_a_default_key_from_home() {
    let (Some(server), Some(project)) = (server(), Project::new()) else {
        return;
    };
    let dir = RemoteDir::new(&server, "e2e-home");
    project.trust(&server);
    std::fs::copy(&server.key, project.home().join(".ssh/id_ed25519")).unwrap();
    let creds = vec![pair("sftp_allow_agent", "false")];
    let out = project.run_events("home", &dir.url(&server), &creds);
    assert!(out.status.success(), "{}", text(&out));
    assert_loaded(&dir.local.join("home_dataset"), "home", 1000);
}

#[test]
fn a_wrong_password_fails_cleanly() {
    let (Some(server), Some(project)) = (server(), Project::new()) else {
        return;
    };
    let dir = RemoteDir::new(&server, "e2e-badpw");
    project.trust(&server);
    let wrong = "n0t-the-Passw0rd-31337";
    let mut creds = isolated_creds();
    creds.push(pair("sftp_password", wrong));
    let out = project.run_events("badpw", &dir.url(&server), &creds);
    assert_clean_failure(
        &out,
        "authentication failed for user",
        &[wrong, &server.password],
    );
    assert!(
        text(&out).contains("password (rejected by the server)"),
        "{}",
        text(&out)
    );
    assert!(!dir.local.join("badpw_dataset").exists());
}

#[test]
fn an_unauthorized_key_fails_cleanly() {
    let (Some(server), Some(project)) = (server(), Project::new()) else {
        return;
    };
    let dir = RemoteDir::new(&server, "e2e-badkey");
    project.trust(&server);
    let mut creds = isolated_creds();
    creds.push(pair("sftp_key_filename", server.key_unauthorized.display()));
    let out = project.run_events("badkey", &dir.url(&server), &creds);
    let private_key = std::fs::read_to_string(&server.key_unauthorized).unwrap();
    let body = private_key.lines().nth(1).expect("key body");
    assert_clean_failure(&out, "authentication failed for user", &[body]);
    let key = server.key_unauthorized.display().to_string();
    let expected = format!("key file `{key}` (rejected by the server)");
    assert!(text(&out).contains(&expected), "{}", text(&out));
}

#[test]
fn an_unknown_host_key_fails_cleanly_and_says_how_to_trust_it() {
    let (Some(server), Some(project)) = (server(), Project::new()) else {
        return;
    };
    let dir = RemoteDir::new(&server, "e2e-unknown");
    let known_hosts = project.write_known_hosts("");
    let mut creds = isolated_creds();
    creds.push(pair("sftp_password", &server.password));
    let out = project.run_events("unknown", &dir.url(&server), &creds);
    assert_clean_failure(&out, "is not known", &[&server.password]);
    let all = text(&out);
    let keyscan = format!(
        "ssh-keyscan -p {} {} >> {}",
        server.port,
        server.host,
        known_hosts.display()
    );
    assert!(all.contains(&keyscan) && all.contains("SHA256:"), "{all}");
    assert!(all.contains("sftp_host_key_policy"), "{all}");
    assert!(!dir.local.join("unknown_dataset").exists());
}

#[test]
fn a_changed_host_key_fails_cleanly() {
    let (Some(server), Some(project)) = (server(), Project::new()) else {
        return;
    };
    let dir = RemoteDir::new(&server, "e2e-changed");
    // The unauthorized client key stands in for a different ed25519 host key.
    let other = std::fs::read_to_string(server.key_unauthorized.with_extension("pub")).unwrap();
    let mut fields = other.split_whitespace();
    let (key_type, key) = (fields.next().unwrap(), fields.next().unwrap());
    let line = format!("[{}]:{} {key_type} {key}\n", server.host, server.port);
    project.write_known_hosts(&line);
    let mut creds = isolated_creds();
    creds.push(pair("sftp_password", &server.password));
    let out = project.run_events("changed", &dir.url(&server), &creds);
    assert_clean_failure(&out, "HOST KEY CHANGED", &[&server.password]);
    assert!(text(&out).contains("ssh-keygen -R"), "{}", text(&out));
}

/// Needs the engine's settings catalog to pass `sftp_known_hosts` and `sftp_host_key_policy`.
#[test]
fn a_configured_known_hosts_file_and_the_policy_opt_out() {
    let (Some(server), Some(project)) = (server(), Project::new()) else {
        return;
    };
    let dir = RemoteDir::new(&server, "e2e-kh");
    let mut creds = isolated_creds();
    creds.push(pair("sftp_password", &server.password));
    creds.push(pair("sftp_known_hosts", server.known_hosts.display()));
    let out = project.run_events("kh", &dir.url(&server), &creds);
    assert!(out.status.success(), "{}", text(&out));
    assert_loaded(&dir.local.join("kh_dataset"), "kh", 1000);

    let dir = RemoteDir::new(&server, "e2e-off");
    let empty = project.work.path().join("empty_known_hosts");
    std::fs::write(&empty, "").unwrap();
    creds.retain(|(k, _)| k != "sftp_known_hosts");
    creds.push(pair("sftp_known_hosts", empty.display()));
    creds.push(pair("sftp_host_key_policy", "off"));
    let out = project.run_events("off", &dir.url(&server), &creds);
    assert!(out.status.success(), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("warning") && stderr.contains("host key checking is off"),
        "{stderr}"
    );
    assert_loaded(&dir.local.join("off_dataset"), "off", 1000);
}

#[test]
fn code_only_dlt_options_are_rejected_by_name() {
    let (Some(server), Some(project)) = (server(), Project::new()) else {
        return;
    };
    let dir = RemoteDir::new(&server, "e2e-sock");
    project.trust(&server);
    let mut creds = isolated_creds();
    creds.push(pair("sftp_password", &server.password));
    creds.push(pair("sftp_sock", "<socket>"));
    let out = project.run_events("sock", &dir.url(&server), &creds);
    assert_clean_failure(&out, "`sftp_sock`", &[&server.password]);
}
