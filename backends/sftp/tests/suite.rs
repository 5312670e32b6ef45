//! The SDK's behaviour suite and the plugin's own guarantees, in-process, against the shared
//! OpenSSH test server (`EMU_SFTP_*`), each run under a unique directory in the user's home.

mod common;

use std::sync::Arc;

use common::*;
use stowage_plugin_sdk::testing::backend::{SuiteConfig, put, run_suite};
use stowage_plugin_sdk::{Backend, BackendPlugin, ErrorKind, Options};
use stowage_plugin_sftp::{ClientEnv, SftpBackend, SftpStore, open_store};

/// An environment without a home directory or user: nothing from `~/.ssh` is used.
fn no_home() -> ClientEnv {
    ClientEnv::default()
}

fn open(url: &str, pairs: &[(String, String)]) -> SftpStore {
    open_store(url, options(pairs), &no_home()).unwrap_or_else(|e| panic!("open {url}: {e}"))
}

#[test]
fn behaviour_suite_with_a_password() {
    let Some(server) = server() else { return };
    let dir = RemoteDir::new(&server, "suite-pw");
    let store = open(&dir.url(&server), &server.password_options());
    let config = SuiteConfig {
        large_object_bytes: 24 << 20,
        ..SuiteConfig::default()
    };
    run_suite(&store, SftpBackend::CAPABILITIES, &config);
    let leftovers = files_below(&dir.local);
    assert!(
        leftovers.is_empty(),
        "suite left files behind: {leftovers:?}"
    );
}

#[test]
fn behaviour_suite_with_a_passphrase_key_and_compression() {
    let Some(server) = server() else { return };
    let dir = RemoteDir::new(&server, "suite-key");
    let mut pairs = server.isolated_options();
    pairs.push((
        "sftp_key_filename".into(),
        server.key_pass.display().to_string(),
    ));
    pairs.push(("sftp_key_passphrase".into(), server.key_passphrase.clone()));
    pairs.push(("sftp_compress".into(), "true".into()));
    pairs.push(("sftp_timeout".into(), "30".into()));
    pairs.push(("sftp_banner_timeout".into(), "10".into()));
    pairs.push(("sftp_auth_timeout".into(), "10".into()));
    pairs.push(("sftp_channel_timeout".into(), "10".into()));
    let store = open(&dir.url(&server), &pairs);
    let config = SuiteConfig {
        large_object_bytes: 4 << 20,
        ..SuiteConfig::default()
    };
    run_suite(&store, SftpBackend::CAPABILITIES, &config);
}

#[test]
fn objects_are_plain_files_under_the_root_and_overwrites_replace_them() {
    let Some(server) = server() else { return };
    let dir = RemoteDir::new(&server, "layout");
    let store = open(&dir.url(&server), &server.password_options());
    put(&store, "ds/table/1.jsonl", b"first").unwrap();
    put(&store, "ds/table/1.jsonl", b"second, longer").unwrap();
    let local = dir.local.join("ds/table/1.jsonl");
    assert_eq!(std::fs::read(&local).unwrap(), b"second, longer");
    assert_eq!(files_below(&dir.local), vec![local]);
    store
        .rename("ds/table/1.jsonl", "ds/other/2.jsonl")
        .unwrap();
    assert_eq!(
        std::fs::read(dir.local.join("ds/other/2.jsonl")).unwrap(),
        b"second, longer"
    );
    let err = store.copy("ds/other/2.jsonl", "x").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unsupported);
}

#[test]
fn tilde_urls_are_relative_to_the_login_directory() {
    let Some(server) = server() else { return };
    let dir = RemoteDir::new(&server, "tilde");
    let url = format!(
        "sftp://{}@{}:{}/~/{}/sub",
        server.user, server.host, server.port, dir.name
    );
    let store = open(&url, &server.password_options());
    put(&store, "k.txt", b"home").unwrap();
    assert_eq!(std::fs::read(dir.local.join("sub/k.txt")).unwrap(), b"home");
}

#[test]
fn an_unfinished_write_leaves_only_a_hidden_temporary_file() {
    let Some(server) = server() else { return };
    let dir = RemoteDir::new(&server, "temp");
    let store = open(&dir.url(&server), &server.password_options());
    let mut writer = store.open_writer("t/x.bin").unwrap();
    writer.write(&vec![1u8; 3 << 20]).unwrap();
    let on_disk = files_below(&dir.local);
    assert_eq!(on_disk.len(), 1, "{on_disk:?}");
    let name = on_disk[0]
        .file_name()
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    assert!(name.starts_with(".stowage-tmp-"), "{name}");
    assert!(
        store.list("").unwrap().next().is_none(),
        "temporary file listed"
    );
    assert_eq!(writer.finish().unwrap(), 3 << 20);
    assert_eq!(files_below(&dir.local), vec![dir.local.join("t/x.bin")]);
}

#[test]
fn parallel_uploads_reuse_pooled_connections() {
    let Some(server) = server() else { return };
    let dir = RemoteDir::new(&server, "pool");
    let store = Arc::new(open(&dir.url(&server), &server.password_options()));
    assert_eq!(
        store.connections_opened(),
        1,
        "open checks the settings with one connection"
    );
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let store = Arc::clone(&store);
            std::thread::spawn(move || {
                for i in 0..8 {
                    let key = format!("p/{t}/{i}.bin");
                    put(store.as_ref(), &key, &vec![t as u8; 100_000]).unwrap();
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let keys = stowage_plugin_sdk::testing::backend::list_keys(store.as_ref(), "p/").unwrap();
    assert_eq!(keys.len(), 32);
    let opened = store.connections_opened();
    assert!(
        opened <= 4,
        "32 uploads on 4 threads opened {opened} connections"
    );
}

#[test]
fn wrong_credentials_fail_cleanly_without_secrets() {
    let Some(server) = server() else { return };
    let dir = RemoteDir::new(&server, "badauth");
    let wrong = "Wr0ng-pa55word-xyzzy";
    let mut pairs = server.isolated_options();
    pairs.push(("sftp_password".into(), wrong.into()));
    let err = open_store(&dir.url(&server), options(&pairs), &no_home()).unwrap_err();
    let msg = err.to_string();
    assert_eq!(err.kind(), ErrorKind::PermissionDenied, "{msg}");
    assert!(!err.is_retryable(), "{msg}");
    assert!(
        msg.contains("authentication failed") && msg.contains("password (rejected"),
        "{msg}"
    );
    assert!(
        !msg.contains(wrong) && !format!("{err:?}").contains(wrong),
        "{msg}"
    );

    let mut pairs = server.isolated_options();
    pairs.push((
        "sftp_key_filename".into(),
        server.key_pass.display().to_string(),
    ));
    pairs.push(("sftp_key_passphrase".into(), "not-the-passphrase-42".into()));
    let err = open_store(&dir.url(&server), options(&pairs), &no_home()).unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("could not be read or decrypted"), "{msg}");
    assert!(!msg.contains("not-the-passphrase-42"), "{msg}");
}

#[test]
fn unreachable_servers_are_retryable_errors() {
    let Some(server) = server() else { return };
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let url = format!("sftp://{}@127.0.0.1:{port}/tmp", server.user);
    let err = open_store(&url, options(&server.password_options()), &no_home()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Io, "{err}");
    assert!(
        err.is_retryable() && err.to_string().contains("retryable"),
        "{err}"
    );
}

#[test]
fn the_server_is_asked_for_a_host_key_type_known_hosts_has() {
    let Some(server) = server() else { return };
    let dir = RemoteDir::new(&server, "rsa-only");
    let work = tempfile::tempdir().unwrap();
    let all = std::fs::read_to_string(&server.known_hosts).unwrap();
    let rsa_only: String = all
        .lines()
        .filter(|l| l.contains(" ssh-rsa "))
        .map(|l| format!("{l}\n"))
        .collect();
    assert!(!rsa_only.is_empty(), "the test server has an RSA host key");
    let known_hosts = work.path().join("known_hosts");
    std::fs::write(&known_hosts, rsa_only).unwrap();
    let mut pairs = server.password_options();
    pairs.retain(|(k, _)| k != "sftp_known_hosts");
    pairs.push(("sftp_known_hosts".into(), known_hosts.display().to_string()));
    let store = open(&dir.url(&server), &pairs);
    put(&store, "x", b"rsa").unwrap();
}

#[test]
fn a_silent_server_hits_the_banner_timeout() {
    let Some(server) = server() else { return };
    // Accepts TCP connections and never says anything.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = silent.local_addr().unwrap().port();
    let mut pairs = server.password_options();
    pairs.push(("sftp_banner_timeout".into(), "0.5".into()));
    let url = format!("sftp://{}@127.0.0.1:{port}/tmp", server.user);
    let err = open_store(&url, options(&pairs), &no_home()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout, "{err}");
    assert!(
        err.is_retryable() && err.to_string().contains("SSH handshake"),
        "{err}"
    );
    drop(silent);
}

#[test]
fn the_plugin_entry_point_rejects_unknown_options() {
    let err = SftpBackend::open(
        "sftp://u@127.0.0.1:1/x",
        Options::new([("sftp_colour", "red")]),
    )
    .err()
    .expect("rejected");
    assert!(err.to_string().contains("`sftp_colour`"), "{err}");
}

/// Every file below `dir` (as root the test can read the server's files directly).
fn files_below(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}
