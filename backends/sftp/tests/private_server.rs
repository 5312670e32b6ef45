//! Tests that need a server of their own (a private sshd copied from the shared one's config on
//! another port; the shared server is never stopped): a server stopped mid-load, a pooled
//! connection the server dropped, and OpenSSH certificate authentication.

mod common;

use std::process::{Command, Stdio};
use std::time::Duration;

use common::cli::{Project, isolated_creds, text};
use common::proxy::TripProxy;
use common::sshd::PrivateSshd;
use common::*;
use stowage_plugin_sdk::Backend;
use stowage_plugin_sdk::testing::backend::{get, put};
use stowage_plugin_sftp::{ClientEnv, open_store};

fn pair(k: &str, v: impl ToString) -> (String, String) {
    (k.to_string(), v.to_string())
}

/// Rows of the outage test's input: enough that the upload is still running when the proxy trips.
const OUTAGE_ROWS: usize = 20_000;

/// Client bytes after which the proxy holds the connection: far past the handshake, auth and
/// `init` (a few KiB), far before the end of the ~2 MB data file.
const TRIP_AFTER_BYTES: u64 = 512 * 1024;

#[test]
fn a_server_stopped_mid_load_fails_retryably_and_stowage_load_completes_after_restart() {
    let (Some(server), Some(project)) = (server(), Project::new()) else {
        return;
    };
    if !can_run_sshd() {
        return;
    }
    let sshd = PrivateSshd::start(&server, "");
    let proxy = TripProxy::start(sshd.port, TRIP_AFTER_BYTES);
    let dir = RemoteDir::new(&server, "outage");
    let known = server.known_hosts_for_ports(project.work.path(), &[sshd.port, proxy.port]);
    project.write_known_hosts(&std::fs::read_to_string(known).unwrap());
    let input = project.work.path().join("rows.ndjson");
    write_rows(&input, OUTAGE_ROWS);
    let mut creds = isolated_creds();
    creds.push(pair("sftp_password", &server.password));

    let mut run = project.stowage(&creds);
    run.args([
        "run",
        input.to_str().unwrap(),
        "--table",
        "events",
        "--pipeline",
        "outage",
    ])
    .args([
        "--bucket-url",
        &dir.url_on(&server, proxy.port),
        "--disable-compression",
    ])
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    let child = run.spawn().expect("start stowage");
    let tripped = proxy.wait_tripped(Duration::from_secs(120));
    sshd.stop(); // the server goes away while the upload is held mid-file
    proxy.cut();
    let out = child.wait_with_output().expect("stowage finishes");
    eprintln!("the interrupted run:\n{}", text(&out));
    assert!(
        tripped,
        "the upload never reached {TRIP_AFTER_BYTES} bytes: {}",
        text(&out)
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("retryable") && stderr.contains("events/"),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!("127.0.0.1:{}", proxy.port)),
        "{stderr}"
    );
    assert!(!text(&out).contains(&server.password));
    let pending = project.work.path().join("pipelines/outage/load/normalized");
    let packages: Vec<_> = std::fs::read_dir(&pending)
        .expect("a pending package")
        .collect();
    assert_eq!(packages.len(), 1, "{}", text(&out));
    let dataset = dir.local.join("outage_dataset");
    assert!(
        !dataset.join("_dlt_loads").exists(),
        "a marker was written by a failed load"
    );

    sshd.launch();
    let mut load = project.stowage(&creds);
    load.args([
        "load",
        "--pipeline",
        "outage",
        "--bucket-url",
        &dir.url_on(&server, sshd.port),
    ]);
    let out = load.output().expect("run stowage load");
    eprintln!("the resumed load:\n{}", text(&out));
    assert!(out.status.success(), "{}", text(&out));
    let data = common::cli::files_in(&dataset.join("events"));
    let complete: Vec<_> = data
        .iter()
        .filter(|p| {
            !p.file_name()
                .unwrap()
                .to_str()
                .unwrap()
                .starts_with(".stowage-tmp-")
        })
        .collect();
    assert_eq!(complete.len(), 1, "{data:?}");
    assert_eq!(common::cli::read_lines(complete[0]), OUTAGE_ROWS);
    assert_eq!(common::cli::files_in(&dataset.join("_dlt_loads")).len(), 1);
}

#[test]
fn a_pooled_connection_the_server_dropped_is_replaced_transparently() {
    let Some(server) = server() else { return };
    if !can_run_sshd() {
        return;
    }
    let sshd = PrivateSshd::start(&server, "");
    let dir = RemoteDir::new(&server, "stale");
    let known = server.known_hosts_for_ports(sshd.dir.path(), &[sshd.port]);
    let pairs = vec![
        pair("sftp_password", &server.password),
        pair("sftp_known_hosts", known.display()),
        pair("sftp_allow_agent", "false"),
        pair("sftp_look_for_keys", "false"),
    ];
    let store = open_store(
        &dir.url_on(&server, sshd.port),
        options(&pairs),
        &ClientEnv::default(),
    )
    .expect("open");
    put(&store, "a.txt", b"before").unwrap();
    sshd.kill_sessions(); // the pooled connection dies; the listener stays
    assert_eq!(get(&store, "a.txt").unwrap(), b"before");
    put(&store, "b.txt", b"after").unwrap();
    assert_eq!(store.head("b.txt").unwrap().size, 5);
    assert_eq!(store.connections_opened(), 2);
}

#[test]
fn openssh_certificates_beside_the_key_are_used() {
    let Some(server) = server() else { return };
    if !can_run_sshd() {
        return;
    }
    let work = tempfile::tempdir().unwrap();
    let ca = work.path().join("user_ca");
    keygen(&["-q", "-t", "ed25519", "-N", "", "-f", ca.to_str().unwrap()]);
    // The server does not accept this key by itself: only its certificate makes it valid.
    let key = work.path().join("id_cert_user");
    std::fs::copy(&server.key_unauthorized, &key).unwrap();
    std::fs::copy(
        server.key_unauthorized.with_extension("pub"),
        key.with_extension("pub"),
    )
    .unwrap();
    let _ = Command::new("chmod").arg("600").arg(&key).status();
    keygen(&[
        "-q",
        "-s",
        ca.to_str().unwrap(),
        "-I",
        "stowage-test",
        "-n",
        &server.user,
        "-V",
        "-5m:+1h",
        key.with_extension("pub").to_str().unwrap(),
    ]);
    assert!(work.path().join("id_cert_user-cert.pub").exists());
    let ca_pub = ca.with_extension("pub");
    let sshd = PrivateSshd::start(&server, &format!("TrustedUserCAKeys {}", ca_pub.display()));
    let dir = RemoteDir::new(&server, "cert");
    let known = server.known_hosts_for_ports(work.path(), &[sshd.port]);
    let mut pairs = vec![
        pair("sftp_key_filename", key.display()),
        pair("sftp_known_hosts", known.display()),
        pair("sftp_allow_agent", "false"),
        pair("sftp_look_for_keys", "false"),
    ];
    let url = dir.url_on(&server, sshd.port);
    let store = open_store(&url, options(&pairs), &ClientEnv::default())
        .unwrap_or_else(|e| panic!("certificate auth: {e}\nsshd log:\n{}", sshd.log_text()));
    put(&store, "cert.txt", b"signed").unwrap();
    assert_eq!(
        std::fs::read(dir.local.join("cert.txt")).unwrap(),
        b"signed"
    );
    // Without the certificate the same key is rejected.
    std::fs::remove_file(work.path().join("id_cert_user-cert.pub")).unwrap();
    pairs[0] = pair("sftp_key_filename", key.display());
    let err = open_store(&url, options(&pairs), &ClientEnv::default()).unwrap_err();
    assert!(err.to_string().contains("rejected by the server"), "{err}");
}

fn keygen(args: &[&str]) {
    let out = Command::new("ssh-keygen")
        .args(args)
        .output()
        .expect("ssh-keygen");
    assert!(
        out.status.success(),
        "ssh-keygen {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn write_rows(path: &std::path::Path, n: usize) {
    use std::io::Write;
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    for i in 0..n {
        writeln!(
            f,
            r#"{{"id":{i},"name":"row {i} with some padding text","score":{}.5}}"#,
            i % 100
        )
        .unwrap();
    }
}
