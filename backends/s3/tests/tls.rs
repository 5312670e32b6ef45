//! `client_kwargs.verify` over real TLS: a TLS-terminating proxy on loopback (certificate from a
//! test CA made here) in front of moto. The CA bundle is trusted when given, an unknown CA is a
//! clear error by default, and `verify=false` skips the check.

mod common;

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use common::Server;
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};
use stowage_plugin_s3::open_store;
use stowage_plugin_sdk::io::{read_object, write_object};
use stowage_plugin_sdk::{Backend, ErrorKind, Options};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};

/// A TLS proxy to an upstream HTTP server; runs until dropped.
struct TlsProxy {
    endpoint: String,
    connections: Arc<AtomicUsize>,
    ca_bundle: PathBuf,
    _dir: tempfile::TempDir,
    _runtime: tokio::runtime::Runtime,
}

/// A CA, and a certificate for 127.0.0.1 it signed (DER) with the certificate's key.
fn test_certificates() -> (String, Vec<u8>, Vec<u8>) {
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name
        .push(DnType::CommonName, "stowage test CA");
    let ca = CertifiedIssuer::self_signed(ca, KeyPair::generate().unwrap()).unwrap();
    let key = KeyPair::generate().unwrap();
    let leaf = CertificateParams::new(vec!["127.0.0.1".to_string()])
        .unwrap()
        .signed_by(&key, &ca)
        .unwrap();
    (ca.pem(), leaf.der().to_vec(), key.serialize_der())
}

fn tls_proxy(upstream: &str) -> TlsProxy {
    let upstream = upstream.trim_start_matches("http://").to_string();
    let (ca_pem, cert, key) = test_certificates();
    let dir = tempfile::tempdir().unwrap();
    let ca_bundle = dir.path().join("ca.pem");
    std::fs::write(&ca_bundle, ca_pem).unwrap();
    let provider = Arc::new(tokio_rustls::rustls::crypto::aws_lc_rs::default_provider());
    let config = tokio_rustls::rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![cert.into()],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key)),
        )
        .unwrap();
    let acceptor = TlsAcceptor::from(Arc::new(config));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let listener = runtime.block_on(TcpListener::bind("127.0.0.1:0")).unwrap();
    let endpoint = format!("https://{}", listener.local_addr().unwrap());
    let connections = Arc::new(AtomicUsize::new(0));
    let counter = connections.clone();
    runtime.spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            counter.fetch_add(1, Ordering::SeqCst);
            let (acceptor, upstream) = (acceptor.clone(), upstream.clone());
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                if let Ok(mut plain) = TcpStream::connect(&upstream).await {
                    let _ = tokio::io::copy_bidirectional(&mut tls, &mut plain).await;
                }
            });
        }
    });
    TlsProxy {
        endpoint,
        connections,
        ca_bundle,
        _dir: dir,
        _runtime: runtime,
    }
}

fn options(server: &Server, proxy: &TlsProxy, verify: Option<&str>) -> Options {
    let mut pairs = vec![
        ("endpoint_url", proxy.endpoint.clone()),
        ("aws_access_key_id", server.access_key.clone()),
        ("aws_secret_access_key", server.secret_key.clone()),
    ];
    if let Some(verify) = verify {
        pairs.push(("client_kwargs.verify", verify.to_string()));
    }
    Options::new(pairs)
}

fn round_trip(store: &dyn Backend) {
    write_object(store, "tls/obj.txt", b"over tls").unwrap();
    assert_eq!(read_object(store, "tls/obj.txt").unwrap(), b"over tls");
    store.delete("tls/obj.txt").unwrap();
}

#[test]
fn a_ca_bundle_in_verify_is_trusted() {
    let Some(server) = Server::moto() else { return };
    let bucket = server.bucket("tlsca");
    let proxy = tls_proxy(&server.endpoint);
    let bundle = proxy.ca_bundle.to_str().unwrap().to_string();
    let store = open_store(&bucket.url(""), options(&server, &proxy, Some(&bundle))).unwrap();
    round_trip(&store);
}

#[test]
fn an_unknown_ca_is_rejected_naming_verify() {
    let Some(server) = Server::moto() else { return };
    let bucket = server.bucket("tlsno");
    let proxy = tls_proxy(&server.endpoint);
    let store = open_store(&bucket.url(""), options(&server, &proxy, None)).unwrap();
    let err = write_object(&store, "x", b"x").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{err}");
    assert!(!err.is_retryable());
    let msg = err.to_string();
    eprintln!("error shown to the user: {msg}");
    assert_eq!(
        proxy.connections.load(Ordering::SeqCst),
        1,
        "a rejected certificate is not retried"
    );
    assert!(
        msg.contains("client_kwargs.verify") && msg.contains(&proxy.endpoint),
        "{msg}"
    );
}

#[test]
fn verify_false_skips_the_certificate_check() {
    let Some(server) = Server::moto() else { return };
    let bucket = server.bucket("tlsoff");
    let proxy = tls_proxy(&server.endpoint);
    let store = open_store(&bucket.url(""), options(&server, &proxy, Some("false"))).unwrap();
    round_trip(&store);
}
