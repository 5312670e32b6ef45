//! Test support: the emulator's address (skip rule), a tiny independent JSON API client for
//! setting up and checking buckets, a scriptable local HTTP server (fake token endpoint, fake
//! storage, proxy trap), and an RSA key made with `openssl`.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The fake-gcs-server endpoint (`STORAGE_EMULATOR_HOST`), or `None` (skip) outside CI.
pub fn emulator() -> Option<String> {
    match std::env::var("STORAGE_EMULATOR_HOST") {
        Ok(host) if !host.is_empty() => Some(if host.contains("://") {
            host.trim_end_matches('/').to_string()
        } else {
            format!("http://{host}")
        }),
        _ if std::env::var("CI").is_ok_and(|v| v == "true") => {
            panic!("STORAGE_EMULATOR_HOST is not set in CI (run `cargo xtask servers start`)")
        }
        _ => {
            eprintln!("skipped: STORAGE_EMULATOR_HOST not set (run `cargo xtask servers env`)");
            None
        }
    }
}

/// A value that must be set in CI; `None` (skip) outside it.
pub fn required_env(name: &str) -> Option<PathBuf> {
    match std::env::var_os(name) {
        Some(v) => Some(PathBuf::from(v)),
        None if std::env::var("CI").is_ok_and(|v| v == "true") => {
            panic!("{name} is not set in CI: run the tests with `cargo xtask test-all`")
        }
        None => {
            eprintln!("skipped: {name} not set (run `cargo xtask build` and set it)");
            None
        }
    }
}

/// A bucket name no other test (or run) uses.
pub fn unique_bucket(tag: &str) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("st-{tag}-{:x}-{nanos:x}-{n}", std::process::id())
}

// ------------------------------------------------------------------ minimal HTTP/1.1 client

/// An HTTP response.
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub headers: BTreeMap<String, String>,
    pub body: Vec<u8>,
}

/// Sends one request (`Connection: close`) to `base` (`http://host:port`).
pub fn http(
    base: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Response {
    let host = base.strip_prefix("http://").expect("plain http endpoint");
    let mut stream = TcpStream::connect(host).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .unwrap();
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(body).unwrap();
    read_response(&mut BufReader::new(stream))
}

fn read_response(reader: &mut impl BufRead) -> Response {
    let mut line = String::new();
    reader.read_line(&mut line).unwrap();
    let status: u16 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    let headers = read_headers(reader);
    let body = if headers
        .get("transfer-encoding")
        .is_some_and(|v| v.contains("chunked"))
    {
        read_chunked(reader)
    } else if let Some(len) = headers.get("content-length") {
        let mut body = vec![0; len.parse().unwrap()];
        reader.read_exact(&mut body).unwrap();
        body
    } else {
        let mut body = Vec::new();
        reader.read_to_end(&mut body).unwrap();
        body
    };
    Response {
        status,
        headers,
        body,
    }
}

fn read_headers(reader: &mut impl BufRead) -> BTreeMap<String, String> {
    let mut headers = BTreeMap::new();
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).unwrap();
        let line = line.trim_end();
        if line.is_empty() {
            return headers;
        }
        if let Some((k, v)) = line.split_once(':') {
            headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
        }
    }
}

fn read_chunked(reader: &mut impl BufRead) -> Vec<u8> {
    let mut body = Vec::new();
    loop {
        let mut size = String::new();
        reader.read_line(&mut size).unwrap();
        let size = usize::from_str_radix(size.trim().split(';').next().unwrap(), 16).unwrap();
        let mut chunk = vec![0; size + 2];
        reader.read_exact(&mut chunk).unwrap();
        if size == 0 {
            return body;
        }
        body.extend_from_slice(&chunk[..size]);
    }
}

/// Percent-encodes everything but unreserved characters (a path segment or query value).
pub fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

// ------------------------------------------------------------------ JSON API, independent of the plugin

/// The emulator's JSON API, spoken directly (bucket setup and independent checks).
pub struct JsonApi {
    pub endpoint: String,
}

impl JsonApi {
    pub fn new(endpoint: &str) -> JsonApi {
        JsonApi {
            endpoint: endpoint.to_string(),
        }
    }

    /// Creates a bucket (fails the test on error).
    pub fn create_bucket(&self, name: &str) {
        let body = format!("{{\"name\":\"{name}\"}}");
        let r = http(
            &self.endpoint,
            "POST",
            "/storage/v1/b?project=stowage-tests",
            &[("Content-Type", "application/json")],
            body.as_bytes(),
        );
        assert_eq!(
            r.status,
            200,
            "create bucket: {}",
            String::from_utf8_lossy(&r.body)
        );
    }

    /// A fresh, unique bucket.
    pub fn new_bucket(&self, tag: &str) -> String {
        let name = unique_bucket(tag);
        self.create_bucket(&name);
        name
    }

    /// Every object (name → size) in the bucket, all pages.
    pub fn list(&self, bucket: &str) -> BTreeMap<String, u64> {
        let mut out = BTreeMap::new();
        let mut token: Option<String> = None;
        loop {
            let mut path = format!("/storage/v1/b/{}/o?maxResults=1000", encode(bucket));
            if let Some(t) = &token {
                path.push_str(&format!("&pageToken={}", encode(t)));
            }
            let r = http(&self.endpoint, "GET", &path, &[], b"");
            assert_eq!(r.status, 200, "list: {}", String::from_utf8_lossy(&r.body));
            let doc: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
            for item in doc["items"].as_array().into_iter().flatten() {
                let size = item["size"].as_str().unwrap().parse().unwrap();
                out.insert(item["name"].as_str().unwrap().to_string(), size);
            }
            match doc["nextPageToken"].as_str() {
                Some(t) if !t.is_empty() => token = Some(t.to_string()),
                _ => return out,
            }
        }
    }

    /// An object's bytes.
    pub fn download(&self, bucket: &str, name: &str) -> Vec<u8> {
        let path = format!(
            "/storage/v1/b/{}/o/{}?alt=media",
            encode(bucket),
            encode(name)
        );
        let r = http(&self.endpoint, "GET", &path, &[], b"");
        assert_eq!(
            r.status,
            200,
            "download {name}: {}",
            String::from_utf8_lossy(&r.body)
        );
        r.body
    }
}

// ------------------------------------------------------------------ scriptable local HTTP server

/// One request a [`FakeServer`] received.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    pub target: String,
    pub headers: BTreeMap<String, String>,
    pub body: Vec<u8>,
}

impl Recorded {
    pub fn body_text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// What a handler answers: status, extra headers, body. `None` = never answer (hang).
pub type Reply = Option<(u16, Vec<(String, String)>, Vec<u8>)>;

/// A JSON reply.
pub fn json_reply(status: u16, body: &str) -> Reply {
    Some((
        status,
        vec![("Content-Type".into(), "application/json".into())],
        body.as_bytes().to_vec(),
    ))
}

type Handler = dyn Fn(&Recorded) -> Reply + Send + Sync;

/// An HTTP server on 127.0.0.1 answering each request with `handler`, recording everything.
pub struct FakeServer {
    pub port: u16,
    requests: Arc<Mutex<Vec<Recorded>>>,
}

impl FakeServer {
    pub fn start(handler: impl Fn(&Recorded) -> Reply + Send + Sync + 'static) -> FakeServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let handler: Arc<Handler> = Arc::new(handler);
        let log = requests.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let (handler, log) = (handler.clone(), log.clone());
                std::thread::spawn(move || serve(stream, &*handler, &log));
            }
        });
        FakeServer { port, requests }
    }

    /// `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Everything received so far.
    pub fn requests(&self) -> Vec<Recorded> {
        self.requests.lock().unwrap().clone()
    }
}

fn serve(stream: TcpStream, handler: &Handler, log: &Mutex<Vec<Recorded>>) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut writer = stream;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let mut parts = line.split_whitespace();
        let (method, target) = (
            parts.next().unwrap_or("").to_string(),
            parts.next().unwrap_or("").to_string(),
        );
        let headers = read_headers(&mut reader);
        let len: usize = headers
            .get("content-length")
            .and_then(|l| l.parse().ok())
            .unwrap_or(0);
        let mut body = vec![0; len];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        let request = Recorded {
            method,
            target,
            headers,
            body,
        };
        log.lock().unwrap().push(request.clone());
        let Some((status, headers, body)) = handler(&request) else {
            std::thread::sleep(Duration::from_secs(3600));
            return;
        };
        // `X-Fake-Truncate: n` announces the whole body but sends n bytes, then hangs up.
        let truncate = headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("x-fake-truncate"))
            .map(|(_, v)| v.parse::<usize>().unwrap());
        let mut head = format!("HTTP/1.1 {status} X\r\nContent-Length: {}\r\n", body.len());
        for (k, v) in &headers {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        head.push_str("\r\n");
        let sent = &body[..truncate.unwrap_or(body.len()).min(body.len())];
        if writer.write_all(head.as_bytes()).is_err()
            || writer.write_all(sent).is_err()
            || truncate.is_some()
        {
            return;
        }
    }
}

/// A port on 127.0.0.1 where nothing listens (bound, then released).
pub fn closed_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

// ------------------------------------------------------------------ keys and tokens

/// A fresh 2048-bit RSA private key in PEM, made by `openssl genrsa`, and its public key.
pub struct RsaKey {
    pub private_pem: String,
    pub public_pem_path: PathBuf,
}

pub fn rsa_key(dir: &Path) -> RsaKey {
    let private = dir.join("sa-key.pem");
    let public = dir.join("sa-key.pub.pem");
    run_openssl(&["genrsa", "-out", private.to_str().unwrap(), "2048"]);
    run_openssl(&[
        "rsa",
        "-in",
        private.to_str().unwrap(),
        "-pubout",
        "-out",
        public.to_str().unwrap(),
    ]);
    RsaKey {
        private_pem: std::fs::read_to_string(&private).unwrap(),
        public_pem_path: public,
    }
}

fn run_openssl(args: &[&str]) {
    let out = std::process::Command::new("openssl")
        .args(args)
        .output()
        .expect("openssl is installed");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A fake OAuth token endpoint: every POST gets `access_token`.
pub fn token_endpoint(access_token: &'static str) -> FakeServer {
    FakeServer::start(move |req| {
        if req.method == "POST" {
            json_reply(
                200,
                &format!(
                    r#"{{"access_token":"{access_token}","token_type":"Bearer","expires_in":3600}}"#
                ),
            )
        } else {
            json_reply(405, "{}")
        }
    })
}

/// Form fields of an `application/x-www-form-urlencoded` body.
pub fn form_fields(body: &str) -> BTreeMap<String, String> {
    body.split('&')
        .filter_map(|pair| pair.split_once('='))
        .map(|(k, v)| (decode(k), decode(v)))
        .collect()
}

fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                out.push(u8::from_str_radix(&s[i + 1..i + 3], 16).unwrap());
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).unwrap()
}

/// The decoded JSON payload and the signing input and signature of a JWT.
pub fn jwt_parts(jwt: &str) -> (serde_json::Value, serde_json::Value, String, Vec<u8>) {
    let parts: Vec<&str> = jwt.split('.').collect();
    assert_eq!(parts.len(), 3, "a JWT has three parts");
    let header = serde_json::from_slice(&base64url(parts[0])).unwrap();
    let claims = serde_json::from_slice(&base64url(parts[1])).unwrap();
    (
        header,
        claims,
        format!("{}.{}", parts[0], parts[1]),
        base64url(parts[2]),
    )
}

fn base64url(s: &str) -> Vec<u8> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = Vec::new();
    let (mut acc, mut bits) = (0u32, 0);
    for c in s.bytes().filter(|c| *c != b'=') {
        let v = ALPHABET.iter().position(|a| *a == c).expect("base64url") as u32;
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    out
}

/// Checks an RS256 signature with `openssl dgst -verify`.
pub fn verify_rs256(public_pem: &Path, signing_input: &str, signature: &[u8], dir: &Path) -> bool {
    let input = dir.join("jwt-input");
    let sig = dir.join("jwt-sig");
    std::fs::write(&input, signing_input).unwrap();
    std::fs::write(&sig, signature).unwrap();
    std::process::Command::new("openssl")
        .args(["dgst", "-sha256", "-verify"])
        .arg(public_pem)
        .arg("-signature")
        .arg(&sig)
        .arg(&input)
        .output()
        .expect("openssl runs")
        .status
        .success()
}

/// Deterministic bytes for offset `i`.
pub fn pattern(len: usize, seed: u8) -> Vec<u8> {
    (0..len).map(|i| ((i * 31 + i / 7) as u8) ^ seed).collect()
}
