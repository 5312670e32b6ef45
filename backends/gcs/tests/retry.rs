//! Retries, timeouts and resumption against scripted local storage endpoints: transient
//! answers (429/5xx, hangs, broken downloads) are retried with bounded attempts; permanent ones
//! are not; a failed upload chunk is resumed from what the session kept.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use common::*;
use stowage_plugin_gcs::retry::RetryPolicy;
use stowage_plugin_gcs::{Credentials, GcsConfig, GcsStore, open_with_config};
use stowage_plugin_sdk::{Backend, ErrorKind};

const OBJECT_JSON: &str = r#"{"selfLink":"s","mediaLink":"m","name":"obj","id":"bkt/obj/5","bucket":"bkt",
"generation":"5","metageneration":"1","size":"100"}"#;

fn error_json(code: u16) -> String {
    format!(r#"{{"error":{{"code":{code},"message":"status {code}","errors":[]}}}}"#)
}

fn store(server: &FakeServer, attempts: u32) -> GcsStore {
    let mut config = GcsConfig::new(Credentials::Anonymous);
    config.endpoint = Some(server.url());
    config.retry = RetryPolicy {
        max_attempts: attempts,
        base_delay: Duration::from_millis(1),
        max_delay: Duration::from_millis(5),
    };
    config.chunk_bytes = 256 << 10;
    open_with_config("gs://bkt", config).unwrap()
}

/// A server answering the statuses in `script` in turn, then the object.
fn scripted(script: Vec<u16>) -> FakeServer {
    let calls = AtomicU32::new(0);
    FakeServer::start(move |_| {
        let n = calls.fetch_add(1, Ordering::SeqCst) as usize;
        match script.get(n) {
            Some(code) => json_reply(*code, &error_json(*code)),
            None => json_reply(200, OBJECT_JSON),
        }
    })
}

#[test]
fn throttling_and_server_errors_are_retried() {
    let server = scripted(vec![429, 500, 503]);
    assert_eq!(store(&server, 6).head("obj").unwrap().size, 100);
    assert_eq!(server.requests().len(), 4);
}

#[test]
fn retries_are_bounded_and_the_error_stays_retryable() {
    let server = scripted(vec![503; 50]);
    let err = store(&server, 4).head("obj").unwrap_err();
    assert_eq!(server.requests().len(), 4);
    assert_eq!(err.kind(), ErrorKind::Io);
    assert!(err.is_retryable());
    let text = err.to_string();
    assert!(
        text.contains("HTTP 503") && text.contains("attempts=4") && text.contains("bucket=bkt"),
        "{text}"
    );
}

#[test]
fn permanent_errors_are_not_retried() {
    for (code, kind) in [
        (404, ErrorKind::NotFound),
        (403, ErrorKind::PermissionDenied),
        (400, ErrorKind::InvalidArgument),
    ] {
        let server = scripted(vec![code]);
        let err = store(&server, 6).head("obj").unwrap_err();
        assert_eq!(err.kind(), kind, "{code}: {err}");
        assert!(!err.is_retryable());
        assert_eq!(server.requests().len(), 1, "{code} was retried");
    }
}

#[test]
fn a_server_that_never_answers_times_out() {
    let server = FakeServer::start(|_| None);
    let mut config = GcsConfig::new(Credentials::Anonymous);
    config.endpoint = Some(server.url());
    config.requests_timeout = Duration::from_millis(300);
    config.retry = RetryPolicy {
        max_attempts: 2,
        base_delay: Duration::from_millis(1),
        max_delay: Duration::from_millis(1),
    };
    let err = open_with_config("gs://bkt", config)
        .unwrap()
        .head("obj")
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout, "{err}");
    assert!(err.is_retryable());
    assert_eq!(server.requests().len(), 2);
}

#[test]
fn a_broken_download_resumes_at_the_cursor() {
    let data: Arc<Vec<u8>> = Arc::new(pattern(100, 3));
    let served = data.clone();
    let broke = AtomicU32::new(0);
    let server = FakeServer::start(move |req| {
        if !req.target.contains("alt=media") {
            return json_reply(200, OBJECT_JSON);
        }
        assert!(
            req.target.contains("generation=5"),
            "reads are pinned: {}",
            req.target
        );
        let range = req.headers.get("range").cloned().unwrap_or_default();
        let from: usize = range
            .trim_start_matches("bytes=")
            .trim_end_matches('-')
            .parse()
            .unwrap();
        let mut headers = vec![(
            "Content-Type".to_string(),
            "application/octet-stream".to_string(),
        )];
        if broke.fetch_add(1, Ordering::SeqCst) == 0 {
            headers.push(("X-Fake-Truncate".into(), "40".into()));
        }
        Some((206, headers, served[from..].to_vec()))
    });
    let store = store(&server, 4);
    let mut reader = store.open_reader("obj").unwrap();
    let mut out = Vec::new();
    let mut buf = [0u8; 16];
    loop {
        let n = reader.read(&mut buf).unwrap();
        if n == 0 {
            break;
        }
        out.extend_from_slice(&buf[..n]);
    }
    assert_eq!(out, *data);
    let ranges: Vec<String> = server
        .requests()
        .iter()
        .filter(|r| r.target.contains("alt=media"))
        .map(|r| r.headers["range"].clone())
        .collect();
    assert_eq!(ranges, ["bytes=0-", "bytes=40-"]);
}

/// A resumable-upload endpoint whose first chunk PUT fails with 503 after the session has kept
/// `kept` bytes of it (`kept == 0`: nothing fails). Records each PUT's `Content-Range`.
fn flaky_session(kept: u64) -> FakeServer {
    let failed = AtomicU32::new(if kept == 0 { 1 } else { 0 });
    FakeServer::start(move |req| {
        let range = req
            .headers
            .get("content-range")
            .cloned()
            .unwrap_or_default();
        match req.method.as_str() {
            "POST" => Some((
                200,
                vec![(
                    "Location".into(),
                    format!("http://{}/upload/session-1", req.headers["host"]),
                )],
                Vec::new(),
            )),
            "PUT" if range == "bytes */*" => Some((
                308,
                vec![("Range".into(), format!("bytes=0-{}", kept - 1))],
                Vec::new(),
            )),
            "PUT" if range.ends_with("/*") && failed.fetch_add(1, Ordering::SeqCst) == 0 => {
                json_reply(503, &error_json(503))
            }
            "PUT" if range.ends_with("/*") => {
                let last = range.split(['-', '/']).nth(1).unwrap();
                Some((
                    308,
                    vec![("Range".into(), format!("bytes=0-{last}"))],
                    Vec::new(),
                ))
            }
            "PUT" => json_reply(200, OBJECT_JSON),
            _ => json_reply(405, &error_json(405)),
        }
    })
}

fn upload_with_a_failing_first_chunk(kept: u64) -> Vec<String> {
    upload_in_pieces(kept, (256 << 10) + 100, 1 << 20)
}

/// Uploads `size` bytes in writes of `piece` bytes (256 KiB chunks); returns the PUTs sent.
fn upload_in_pieces(kept: u64, size: usize, piece: usize) -> Vec<String> {
    let server = flaky_session(kept);
    let store = store(&server, 4);
    let mut writer = store.open_writer("obj").unwrap();
    for part in pattern(size, 9).chunks(piece) {
        writer.write(part).unwrap();
    }
    assert_eq!(writer.finish().unwrap(), size as u64);
    server
        .requests()
        .iter()
        .filter(|r| r.method == "PUT")
        .map(|r| format!("{} ({} bytes)", r.headers["content-range"], r.body.len()))
        .collect()
}

#[test]
fn uploads_send_one_chunk_at_a_time_and_the_rest_last() {
    assert_eq!(
        upload_in_pieces(0, (1 << 20) + 5, 100_000),
        [
            "bytes 0-262143/* (262144 bytes)",
            "bytes 262144-524287/* (262144 bytes)",
            "bytes 524288-786431/* (262144 bytes)",
            "bytes 786432-1048575/* (262144 bytes)",
            "bytes 1048576-1048580/1048581 (5 bytes)",
        ]
    );
    // An exact multiple of the chunk: the last full chunk completes the object.
    assert_eq!(
        upload_in_pieces(0, 512 << 10, 512 << 10),
        [
            "bytes 0-262143/* (262144 bytes)",
            "bytes 262144-524287/524288 (262144 bytes)",
        ]
    );
}

#[test]
fn a_chunk_the_session_kept_is_not_sent_again() {
    assert_eq!(
        upload_with_a_failing_first_chunk(256 << 10),
        [
            "bytes 0-262143/* (262144 bytes)",
            "bytes */* (0 bytes)",
            "bytes 262144-262243/262244 (100 bytes)",
        ]
    );
}

#[test]
fn a_partly_kept_chunk_is_completed_from_where_the_session_stopped() {
    assert_eq!(
        upload_with_a_failing_first_chunk(128 << 10),
        [
            "bytes 0-262143/* (262144 bytes)",
            "bytes */* (0 bytes)",
            "bytes 131072-262143/* (131072 bytes)",
            "bytes 262144-262243/262244 (100 bytes)",
        ]
    );
}

#[test]
fn a_failed_simple_upload_is_retried_whole() {
    let server = scripted(vec![502]);
    let store = store(&server, 3);
    let mut writer = store.open_writer("obj").unwrap();
    writer.write(b"small object").unwrap();
    writer.finish().unwrap();
    let bodies: Vec<Vec<u8>> = server.requests().iter().map(|r| r.body.clone()).collect();
    assert_eq!(bodies, [b"small object".to_vec(), b"small object".to_vec()]);
}
