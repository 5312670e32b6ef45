use super::*;
use crate::config::{ClientEnv, SftpConfig};
use crate::url::parse_bucket_url;
use stowage_plugin_sdk::Options;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

const ED25519: &str = "AAAAC3NzaC1lZDI1NTE5AAAAIIODJV5d/yfA3kpYz3tQwe1G45lseQUCu3hNyzyI5W0G";
const OTHER_ED25519: &str = "AAAAC3NzaC1lZDI1NTE5AAAAILUBNBRPbKVyxremV/pNeGBtV4U8LRfmOa8LM3IaKevr";

fn verifier(known_hosts: &str, policy: &str) -> (tempfile::TempDir, HostKeyVerifier) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("known_hosts");
    std::fs::write(&file, known_hosts).unwrap();
    let options = Options::new([
        ("sftp_known_hosts", file.to_str().unwrap()),
        ("sftp_host_key_policy", policy),
    ]);
    let url = parse_bucket_url("sftp://u@127.0.0.1:2222/x").unwrap();
    let config = SftpConfig::new(url, options, &ClientEnv::default()).unwrap();
    (dir, HostKeyVerifier::new(&config).unwrap())
}

fn presented(b64: &str) -> Vec<u8> {
    STANDARD.decode(b64).unwrap()
}

fn check(v: &HostKeyVerifier, b64: &str) -> Result<()> {
    v.verify(PresentedKey {
        blob: &presented(b64),
        fingerprint: "SHA256:abc",
    })
}

#[test]
fn strict_trusts_known_keys_only() {
    let (_d, v) = verifier(
        &format!("[127.0.0.1]:2222 ssh-ed25519 {ED25519}\n"),
        "strict",
    );
    check(&v, ED25519).unwrap();
    assert_eq!(v.preferred_algorithms(), ["ssh-ed25519"]);
    let err = check(&v, OTHER_ED25519).unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains("HOST KEY CHANGED") && msg.contains("ssh-keygen -R '[127.0.0.1]:2222'"),
        "{msg}"
    );
    assert!(!err.is_retryable());
}

#[test]
fn unknown_hosts_are_explained() {
    let (_d, v) = verifier("", "strict");
    let msg = check(&v, ED25519).unwrap_err().to_string();
    assert!(
        msg.contains("not known") && msg.contains("SHA256:abc"),
        "{msg}"
    );
    assert!(msg.contains("ssh-keyscan -p 2222 127.0.0.1 >> "), "{msg}");
    assert!(
        msg.contains("sftp_known_hosts") && msg.contains("sftp_host_key_policy"),
        "{msg}"
    );
}

#[test]
fn accept_new_pins_the_first_key_but_rejects_changes() {
    let (_d, v) = verifier("", "accept-new");
    check(&v, ED25519).unwrap();
    check(&v, ED25519).unwrap();
    let msg = check(&v, OTHER_ED25519).unwrap_err().to_string();
    assert!(msg.contains("HOST KEY CHANGED"), "{msg}");
    let (_d, v) = verifier(
        &format!("[127.0.0.1]:2222 ssh-ed25519 {ED25519}\n"),
        "accept-new",
    );
    assert!(check(&v, OTHER_ED25519).is_err());
}

#[test]
fn off_accepts_anything() {
    let (_d, v) = verifier(&format!("[127.0.0.1]:2222 ssh-ed25519 {ED25519}\n"), "off");
    check(&v, OTHER_ED25519).unwrap();
}

#[test]
fn a_configured_known_hosts_file_must_exist() {
    let options = Options::new([("sftp_known_hosts", "/nonexistent/kh")]);
    let url = parse_bucket_url("sftp://u@h/x").unwrap();
    let config = SftpConfig::new(url, options, &ClientEnv::default()).unwrap();
    let err = HostKeyVerifier::new(&config).unwrap_err();
    assert!(err.to_string().contains("/nonexistent/kh"), "{err}");
}
