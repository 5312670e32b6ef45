//! Failures give clear, secret-free errors naming the bucket and the setting to fix: wrong keys
//! (s3s-fs checks SigV4), a missing bucket, a closed port; throttling is retried with backoff
//! and, when it persists, reported as retryable.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use common::Server;
use stowage_plugin_s3::open_store;
use stowage_plugin_sdk::io::{read_object, write_object};
use stowage_plugin_sdk::{Backend, ErrorKind, Options, PluginError};

const WRONG_SECRET: &str = "wrong-secret-Zq8x7Kp2";

/// Asserts the error names `needles` and never shows the wrong secret (Display and Debug).
fn assert_clear(err: &PluginError, needles: &[&str]) {
    eprintln!("error shown to the user: {err}");
    let shown = format!("{err} {err:?}");
    for needle in needles {
        assert!(shown.contains(needle), "`{needle}` missing from: {err}");
    }
    assert!(!shown.contains(WRONG_SECRET), "the secret leaked: {shown}");
}

#[test]
fn a_wrong_secret_is_rejected_and_names_the_secret_setting() {
    let Some(server) = Server::s3s() else { return };
    let bucket = server.bucket("badsecret");
    let options = Options::new([
        ("endpoint_url", server.endpoint.as_str()),
        ("aws_access_key_id", server.access_key.as_str()),
        ("aws_secret_access_key", WRONG_SECRET),
    ]);
    let store = open_store(&bucket.url("x"), options).expect("open sends no request");
    let debug = format!("{store:?}");
    assert!(
        !debug.contains(WRONG_SECRET),
        "Debug shows the secret: {debug}"
    );
    let err = write_object(&store, "a.txt", b"data").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::PermissionDenied);
    assert!(!err.is_retryable());
    assert_clear(
        &err,
        &[
            "SignatureDoesNotMatch",
            "aws_secret_access_key",
            &bucket.name,
        ],
    );
    let err = read_object(&store, "a.txt").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::PermissionDenied);
    assert_clear(&err, &["aws_secret_access_key", &bucket.name]);
    let err = store.head("a.txt").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::PermissionDenied);
    assert_clear(&err, &["HTTP 403", "aws_secret_access_key", &bucket.name]);
    assert!(bucket.keys().is_empty());
}

#[test]
fn an_unknown_access_key_names_the_key_setting() {
    let Some(server) = Server::s3s() else { return };
    let bucket = server.bucket("badkey");
    let options = Options::new([
        ("endpoint_url", server.endpoint.as_str()),
        ("aws_access_key_id", "AKIDUNKNOWN"),
        ("aws_secret_access_key", WRONG_SECRET),
    ]);
    let store = open_store(&bucket.url(""), options).unwrap();
    let err = write_object(&store, "a.txt", b"data").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::PermissionDenied);
    assert_clear(&err, &["aws_access_key_id", &bucket.name]);
}

#[test]
fn unsigned_requests_to_a_private_bucket_are_denied() {
    let Some(server) = Server::s3s() else { return };
    let bucket = server.bucket("anon");
    let options = Options::new([
        ("endpoint_url", server.endpoint.as_str()),
        ("kwargs.anon", "true"),
    ]);
    let store = open_store(&bucket.url(""), options).unwrap();
    let err = read_object(&store, "a.txt").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::PermissionDenied);
    assert_clear(&err, &["kwargs.anon", &bucket.name]);
}

/// moto only: s3s-fs creates a missing bucket's directory on the first PUT.
#[test]
fn a_missing_bucket_names_the_bucket_and_bucket_url() {
    let Some(server) = Server::moto() else { return };
    let name = common::unique_name("missing");
    let store = open_store(&format!("s3://{name}/ds"), server.options(&[])).unwrap();
    let err = write_object(&store, "init", b"{}").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{err}");
    assert_clear(
        &err,
        &["does not exist", &name, "bucket_url", &server.endpoint],
    );
    let err = read_object(&store, "init").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{err}");
    let err = store.list("").unwrap().next().unwrap().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{err}");
}

#[test]
fn a_closed_port_is_a_retryable_error_naming_endpoint_url() {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let endpoint = format!("http://127.0.0.1:{port}");
    let options = Options::new([
        ("endpoint_url", endpoint.as_str()),
        ("aws_access_key_id", "AKID"),
        ("aws_secret_access_key", WRONG_SECRET),
    ]);
    let store = open_store("s3://closed-port-bucket/x", options).unwrap();
    let err = store.head("a").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Io, "{err}");
    assert!(err.is_retryable());
    assert_clear(
        &err,
        &["endpoint_url", "closed-port-bucket", &endpoint, "refused"],
    );
}

/// What a stub answers to request number `n` (from 0) with this head: the raw response, and
/// whether to close the connection after it.
type Handler = fn(usize, &str) -> (String, bool);

/// A stub HTTP server on loopback answering with `handler`. It serves at most 8 connections,
/// then its thread ends. Returns the endpoint and the request counter.
fn stub_server(handler: Handler) -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    let requests = Arc::new(AtomicUsize::new(0));
    let counter = requests.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().take(8).flatten() {
            let counter = counter.clone();
            std::thread::spawn(move || serve(stream, handler, &counter));
        }
    });
    (endpoint, requests)
}

fn serve(stream: TcpStream, handler: Handler, counter: &AtomicUsize) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut out = stream;
    loop {
        // The request head; the requests in these tests (GET) have no body.
        let mut head = String::new();
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line).unwrap_or(0) == 0 {
                return;
            }
            if line == "\r\n" {
                break;
            }
            head.push_str(&line);
        }
        let (response, close) = handler(counter.fetch_add(1, Ordering::SeqCst), &head);
        if out.write_all(response.as_bytes()).is_err() || close {
            return;
        }
    }
}

/// `503 SlowDown` for the first `failures` requests, then `200 hello`.
fn throttled(n: usize, failures: usize) -> (String, bool) {
    if n < failures {
        let body = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\
            <Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>";
        let response = format!(
            "HTTP/1.1 503 Slow Down\r\nContent-Type: application/xml\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        return (response, false);
    }
    let ok = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nETag: \"e1\"\r\n\r\nhello";
    (ok.to_string(), false)
}

fn flaky_store(endpoint: &str) -> stowage_plugin_s3::S3Store {
    let options = Options::new([
        ("endpoint_url", endpoint),
        ("aws_access_key_id", "AKID"),
        ("aws_secret_access_key", WRONG_SECRET),
    ]);
    open_store("s3://throttled-bucket", options).unwrap()
}

#[test]
fn throttling_is_retried_with_backoff() {
    let (endpoint, requests) = stub_server(|n, _| throttled(n, 2));
    let store = flaky_store(&endpoint);
    assert_eq!(read_object(&store, "obj").unwrap(), b"hello");
    assert_eq!(requests.load(Ordering::SeqCst), 3);
}

#[test]
fn persistent_throttling_is_a_retryable_error() {
    let (endpoint, requests) = stub_server(|n, _| throttled(n, usize::MAX));
    let store = flaky_store(&endpoint);
    let err = read_object(&store, "obj").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Io, "{err}");
    assert!(err.is_retryable());
    assert_clear(&err, &["SlowDown", "HTTP 503", "throttled-bucket"]);
    assert_eq!(requests.load(Ordering::SeqCst), 5, "five attempts");
}

/// The first GET announces 10 bytes, sends 5 and closes; the resumed GET must ask for the rest
/// of the same version (`Range: bytes=5-`, `If-Match`).
fn cut_short(n: usize, head: &str) -> (String, bool) {
    let head = head.to_ascii_lowercase();
    if n == 0 {
        let partial = "HTTP/1.1 200 OK\r\nContent-Length: 10\r\nETag: \"e1\"\r\n\r\nhello";
        return (partial.to_string(), true);
    }
    if head.contains("range: bytes=5-") && head.contains("if-match: \"e1\"") {
        let rest = "HTTP/1.1 206 Partial Content\r\nContent-Range: bytes 5-9/10\r\n\
                    Content-Length: 5\r\nETag: \"e1\"\r\n\r\nworld";
        return (rest.to_string(), false);
    }
    let refused = "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n";
    (refused.to_string(), false)
}

#[test]
fn a_broken_download_resumes_where_it_stopped() {
    let (endpoint, requests) = stub_server(cut_short);
    let store = flaky_store(&endpoint);
    assert_eq!(read_object(&store, "obj").unwrap(), b"helloworld");
    assert_eq!(requests.load(Ordering::SeqCst), 2);
}
