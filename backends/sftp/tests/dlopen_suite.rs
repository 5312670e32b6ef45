//! The SDK's behaviour suite against the built `libstowage_plugin_sftp.so`, loaded through real
//! dlopen by the engine's plugin registry (the way `stowage` uses it), on the shared OpenSSH
//! test server.

mod common;

use std::path::PathBuf;

use common::*;
use stowage::Options;
use stowage::plugins::{DiscoveryConfig, Registry};
use stowage_plugin_sdk::testing::backend::{SuiteConfig, run_suite};

fn registry(dir: PathBuf) -> Registry {
    let reg = Registry::discover(&DiscoveryConfig::only_dirs(vec![dir]));
    let sftp = reg.backend_for_scheme("sftp");
    assert!(
        sftp.is_some(),
        "no sftp plugin; rejected: {:?}",
        reg.rejected()
    );
    reg
}

#[test]
fn behaviour_suite_through_dlopen() {
    let (Some(server), Some(plugins)) = (server(), plugin_dir()) else {
        return;
    };
    let reg = registry(plugins);
    let dir = RemoteDir::new(&server, "dlopen");
    let caps = reg.backend_for_scheme("sftp").unwrap().capabilities;
    let backend = reg
        .open_backend(&dir.url(&server), &Options::new(server.password_options()))
        .unwrap_or_else(|e| panic!("open: {e}"));
    let config = SuiteConfig {
        large_object_bytes: 32 << 20,
        ..SuiteConfig::default()
    };
    run_suite(backend.as_ref(), caps, &config);
}

#[test]
fn errors_cross_the_abi_with_kind_retry_flag_and_no_secret() {
    let (Some(server), Some(plugins)) = (server(), plugin_dir()) else {
        return;
    };
    let reg = registry(plugins);
    let dir = RemoteDir::new(&server, "dlopen-err");
    let wrong = "wr0ng-dl0pen-passw0rd";
    let mut pairs = server.isolated_options();
    pairs.push(("sftp_password".into(), wrong.into()));
    let err = reg
        .open_backend(&dir.url(&server), &Options::new(pairs))
        .err()
        .expect("wrong password rejected");
    assert_eq!(err.kind(), stowage::ErrorKind::PermissionDenied, "{err}");
    assert!(!err.is_retryable(), "{err}");
    assert!(!err.to_string().contains(wrong), "{err}");

    let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = free.local_addr().unwrap().port();
    drop(free);
    let url = format!("sftp://{}@127.0.0.1:{port}/tmp", server.user);
    let err = reg
        .open_backend(&url, &Options::new(server.password_options()))
        .err()
        .expect("nothing listens there");
    assert!(err.is_retryable(), "{err}");
}

#[test]
fn host_key_settings_and_code_only_options_through_dlopen() {
    let (Some(server), Some(plugins)) = (server(), plugin_dir()) else {
        return;
    };
    let reg = registry(plugins);
    let dir = RemoteDir::new(&server, "dlopen-hk");
    let work = tempfile::tempdir().unwrap();
    let empty = work.path().join("known_hosts");
    std::fs::write(&empty, "").unwrap();
    let mut pairs = server.password_options();
    pairs.retain(|(k, _)| k != "sftp_known_hosts");
    pairs.push(("sftp_known_hosts".into(), empty.display().to_string()));
    let err = reg
        .open_backend(&dir.url(&server), &Options::new(pairs.clone()))
        .err()
        .expect("an unknown host is refused");
    assert!(err.to_string().contains("is not known"), "{err}");
    pairs.push(("sftp_host_key_policy".into(), "off".into()));
    reg.open_backend(&dir.url(&server), &Options::new(pairs.clone()))
        .unwrap_or_else(|e| panic!("policy off: {e}"));
    pairs.push(("sftp_transport_factory".into(), "<factory>".into()));
    let err = reg
        .open_backend(&dir.url(&server), &Options::new(pairs))
        .err()
        .expect("a code-only option is refused");
    assert!(
        err.to_string().contains("`sftp_transport_factory`"),
        "{err}"
    );
}
