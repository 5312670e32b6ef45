//! Credentials against local fakes only: a fake OAuth token endpoint (std `TcpListener`) and a
//! fake storage endpoint that records the `Authorization` header. Nothing leaves 127.0.0.1:
//! every credential kind tested here names its token endpoint explicitly, so no metadata server
//! or Google host is ever asked. (Application Default Credentials, which read the environment,
//! are tested in a subprocess by `e2e.rs`.)

mod common;

use std::time::Duration;

use common::*;
use stowage_plugin_gcs::retry::RetryPolicy;
use stowage_plugin_gcs::{GcsBackend, GcsConfig, open_with_config};
use stowage_plugin_sdk::{Backend, BackendPlugin, ErrorKind, Options};

/// A minimal object resource, as the JSON API returns it.
const OBJECT_JSON: &str = r#"{"kind":"storage#object","selfLink":"s","mediaLink":"m","name":"obj","id":"bkt/obj/5",
"bucket":"bkt","generation":"5","metageneration":"1","size":"3","updated":"2024-05-06T07:08:09.123Z"}"#;

/// A storage endpoint that knows one object, `obj` in `bkt`.
fn fake_storage() -> FakeServer {
    FakeServer::start(|req| {
        if req.method == "GET" && req.target.starts_with("/storage/v1/b/bkt/o/obj") {
            json_reply(200, OBJECT_JSON)
        } else {
            json_reply(
                404,
                r#"{"error":{"code":404,"message":"No such object","errors":[]}}"#,
            )
        }
    })
}

fn authorizations(server: &FakeServer) -> Vec<Option<String>> {
    server
        .requests()
        .iter()
        .map(|r| r.headers.get("authorization").cloned())
        .collect()
}

fn quick_retries(config: &mut GcsConfig, attempts: u32) {
    config.retry = RetryPolicy {
        max_attempts: attempts,
        base_delay: Duration::from_millis(1),
        max_delay: Duration::from_millis(5),
    };
}

#[test]
fn service_account_fields_sign_a_jwt_for_the_token_uri_and_send_its_token() {
    let dir = tempfile::tempdir().unwrap();
    let key = rsa_key(dir.path());
    let tokens = token_endpoint("sa-access-token");
    let storage = fake_storage();
    let token_uri = format!("{}/token", tokens.url());
    let email = "loader@stowage-test.iam.gserviceaccount.com";
    let options = Options::new([
        ("project_id", "stowage-test"),
        ("client_email", email),
        ("private_key", key.private_pem.as_str()),
        ("private_key_id", "kid-1"),
        ("token_uri", token_uri.as_str()),
        ("endpoint_url", storage.url().as_str()),
    ]);
    let store = GcsBackend::open("gs://bkt", options).unwrap();
    let meta = store.head("obj").unwrap();
    assert_eq!(meta.size, 3);
    assert_eq!(meta.last_modified_ms, Some(1_714_979_289_123));

    let requests = tokens.requests();
    assert_eq!(requests.len(), 1, "{requests:?}");
    assert_eq!(
        (requests[0].method.as_str(), requests[0].target.as_str()),
        ("POST", "/token")
    );
    let form = form_fields(&requests[0].body_text());
    assert_eq!(
        form["grant_type"],
        "urn:ietf:params:oauth:grant-type:jwt-bearer"
    );
    let (header, claims, signing_input, signature) = jwt_parts(&form["assertion"]);
    assert_eq!(header["alg"], "RS256");
    assert_eq!(header["kid"], "kid-1");
    assert_eq!(claims["iss"], email);
    assert_eq!(claims["aud"], token_uri.as_str());
    assert!(
        claims["scope"]
            .as_str()
            .unwrap()
            .contains("devstorage.full_control"),
        "{claims}"
    );
    assert!(
        verify_rs256(&key.public_pem_path, &signing_input, &signature, dir.path()),
        "the JWT is not signed with the service account's key"
    );
    assert_eq!(
        authorizations(&storage),
        [Some("Bearer sa-access-token".to_string())]
    );
}

#[test]
fn a_credentials_file_or_gcsfs_token_path_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let key = rsa_key(dir.path());
    let tokens = token_endpoint("file-access-token");
    let storage = fake_storage();
    let file = dir.path().join("service-account.json");
    let doc = serde_json::json!({
        "type": "service_account",
        "project_id": "stowage-test",
        "private_key_id": "kid-2",
        "private_key": key.private_pem,
        "client_email": "file@stowage-test.iam.gserviceaccount.com",
        "token_uri": format!("{}/token", tokens.url()),
    });
    std::fs::write(&file, doc.to_string()).unwrap();
    let path = file.to_str().unwrap();
    for key in ["credentials_file", "kwargs.token"] {
        let options = Options::new([(key, path), ("endpoint_url", storage.url().as_str())]);
        let store = GcsBackend::open("gs://bkt", options).unwrap();
        assert_eq!(store.head("obj").unwrap().size, 3);
    }
    let compact = doc.to_string();
    let options = Options::new([
        ("kwargs.token", compact.as_str()),
        ("endpoint_url", storage.url().as_str()),
    ]);
    GcsBackend::open("gs://bkt", options)
        .unwrap()
        .head("obj")
        .unwrap();
    assert_eq!(tokens.requests().len(), 3);
    assert!(
        authorizations(&storage)
            .iter()
            .all(|a| a.as_deref() == Some("Bearer file-access-token"))
    );
}

#[test]
fn oauth_user_credentials_use_the_refresh_token_grant() {
    let tokens = token_endpoint("user-access-token");
    let storage = fake_storage();
    let token_uri = format!("{}/token", tokens.url());
    let options = Options::new([
        ("client_id", "client-1.apps.googleusercontent.com"),
        ("client_secret", "the-client-secret"),
        ("refresh_token", "1//the-refresh-token"),
        ("token_uri", token_uri.as_str()),
        ("endpoint_url", storage.url().as_str()),
    ]);
    let store = GcsBackend::open("gs://bkt", options).unwrap();
    store.head("obj").unwrap();
    let requests = tokens.requests();
    assert_eq!(requests.len(), 1);
    let body = form_fields(&requests[0].body_text());
    assert_eq!(body["grant_type"], "refresh_token");
    assert_eq!(body["client_id"], "client-1.apps.googleusercontent.com");
    assert_eq!(body["client_secret"], "the-client-secret");
    assert_eq!(body["refresh_token"], "1//the-refresh-token");
    assert_eq!(
        authorizations(&storage),
        [Some("Bearer user-access-token".to_string())]
    );
}

#[test]
fn an_authorized_user_file_uses_the_refresh_token_grant() {
    let dir = tempfile::tempdir().unwrap();
    let tokens = token_endpoint("adc-user-token");
    let storage = fake_storage();
    let file = dir.path().join("application_default_credentials.json");
    let doc = serde_json::json!({
        "type": "authorized_user",
        "client_id": "gcloud-client",
        "client_secret": "gcloud-secret",
        "refresh_token": "1//gcloud-refresh",
        "token_uri": format!("{}/token", tokens.url()),
    });
    std::fs::write(&file, doc.to_string()).unwrap();
    let options = Options::new([
        ("credentials_file", file.to_str().unwrap()),
        ("endpoint_url", storage.url().as_str()),
    ]);
    GcsBackend::open("gs://bkt", options)
        .unwrap()
        .head("obj")
        .unwrap();
    let form = form_fields(&tokens.requests()[0].body_text());
    assert_eq!(form["grant_type"], "refresh_token");
    assert_eq!(form["refresh_token"], "1//gcloud-refresh");
    assert_eq!(
        authorizations(&storage),
        [Some("Bearer adc-user-token".to_string())]
    );
}

#[test]
fn an_access_token_is_sent_as_is_and_anonymous_sends_none() {
    let storage = fake_storage();
    let endpoint = storage.url();
    let token = GcsBackend::open(
        "gs://bkt",
        Options::new([
            ("token", "ya29.static-token"),
            ("endpoint_url", endpoint.as_str()),
        ]),
    )
    .unwrap();
    token.head("obj").unwrap();
    let anonymous = GcsBackend::open(
        "gs://bkt",
        Options::new([
            ("kwargs.token", "anon"),
            ("endpoint_url", endpoint.as_str()),
        ]),
    )
    .unwrap();
    anonymous.head("obj").unwrap();
    assert_eq!(
        authorizations(&storage),
        [Some("Bearer ya29.static-token".to_string()), None]
    );
}

#[test]
fn a_broken_private_key_fails_at_open_without_showing_the_key() {
    let tokens = token_endpoint("never");
    let body_line = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQDsecretline";
    let pem = format!("-----BEGIN PRIVATE KEY-----\n{body_line}\n-----END PRIVATE KEY-----\n");
    let token_uri = format!("{}/token", tokens.url());
    let options = Options::new([
        ("client_email", "broken@p.iam.gserviceaccount.com"),
        ("private_key", pem.as_str()),
        ("token_uri", token_uri.as_str()),
    ]);
    let err = GcsBackend::open("gs://bkt", options)
        .err()
        .expect("a broken key is rejected");
    assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{err}");
    assert!(!err.is_retryable());
    let shown = format!("{err} {err:?}");
    assert!(!shown.contains(body_line), "the key leaked: {shown}");
    assert!(
        shown.contains("private_key") && shown.contains("broken@p.iam.gserviceaccount.com"),
        "{shown}"
    );
    assert!(tokens.requests().is_empty());
}

#[test]
fn a_rejected_refresh_token_is_permission_denied_and_never_echoed() {
    // The fake echoes the secrets back in its error description, as a careless server might.
    let tokens = FakeServer::start(|req| {
        json_reply(
            400,
            &format!(
                r#"{{"error":"invalid_grant","error_description":"Token has been expired or revoked: {}"}}"#,
                req.body_text().replace('"', "'")
            ),
        )
    });
    let token_uri = format!("{}/token", tokens.url());
    let secrets = ["client-secret-do-not-print", "refresh-token-do-not-print"];
    let options = Options::new([
        ("client_id", "client-2"),
        ("client_secret", secrets[0]),
        ("refresh_token", secrets[1]),
        ("token_uri", token_uri.as_str()),
    ]);
    let err = GcsBackend::open("gs://bkt", options)
        .err()
        .expect("rejected");
    assert_eq!(err.kind(), ErrorKind::PermissionDenied, "{err}");
    assert!(!err.is_retryable());
    assert_eq!(
        tokens.requests().len(),
        1,
        "a rejected grant is not retried"
    );
    let shown = format!("{err} {err:?}");
    for secret in secrets {
        assert!(!shown.contains(secret), "{secret} leaked: {shown}");
    }
    assert!(
        shown.contains("invalid_grant") && shown.contains("client-2"),
        "{shown}"
    );
}

#[test]
fn a_rejected_service_account_never_shows_its_key() {
    let dir = tempfile::tempdir().unwrap();
    let key = rsa_key(dir.path());
    let tokens = FakeServer::start(|_| {
        json_reply(
            401,
            r#"{"error":"invalid_client","error_description":"The OAuth client was not found."}"#,
        )
    });
    let token_uri = format!("{}/token", tokens.url());
    let options = Options::new([
        ("client_email", "gone@p.iam.gserviceaccount.com"),
        ("private_key", key.private_pem.as_str()),
        ("token_uri", token_uri.as_str()),
    ]);
    let err = GcsBackend::open("gs://bkt", options)
        .err()
        .expect("rejected");
    assert_eq!(err.kind(), ErrorKind::PermissionDenied, "{err}");
    let shown = format!("{err} {err:?}");
    for line in key.private_pem.lines().filter(|l| !l.starts_with("-----")) {
        assert!(!shown.contains(line), "a key line leaked: {shown}");
    }
}

#[test]
fn token_endpoint_outages_are_retried() {
    let calls = std::sync::atomic::AtomicU32::new(0);
    let tokens = FakeServer::start(move |_| {
        if calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst) < 2 {
            json_reply(
                503,
                r#"{"error":"unavailable","error_description":"try later"}"#,
            )
        } else {
            json_reply(
                200,
                r#"{"access_token":"late-token","token_type":"Bearer","expires_in":3600}"#,
            )
        }
    });
    let storage = fake_storage();
    let token_uri = format!("{}/token", tokens.url());
    let mut config = GcsConfig::from_options(Options::new([
        ("client_id", "c"),
        ("client_secret", "s3cret-value"),
        ("refresh_token", "r3fresh-value"),
        ("token_uri", token_uri.as_str()),
        ("endpoint_url", storage.url().as_str()),
    ]))
    .unwrap();
    quick_retries(&mut config, 4);
    let store = open_with_config("gs://bkt", config).unwrap();
    store.head("obj").unwrap();
    assert_eq!(tokens.requests().len(), 3);
    assert_eq!(
        authorizations(&storage),
        [Some("Bearer late-token".to_string())]
    );
}

#[test]
fn an_unreachable_token_endpoint_is_a_retryable_error() {
    let token_uri = format!("http://127.0.0.1:{}/token", closed_port());
    let mut config = GcsConfig::from_options(Options::new([
        ("client_id", "c"),
        ("client_secret", "s3cret-value"),
        ("refresh_token", "r3fresh-value"),
        ("token_uri", token_uri.as_str()),
    ]))
    .unwrap();
    quick_retries(&mut config, 3);
    let err = open_with_config("gs://bkt", config).expect_err("fails");
    assert_eq!(err.kind(), ErrorKind::Io, "{err}");
    assert!(err.is_retryable());
    assert!(err.to_string().contains("attempts=3"), "{err}");
}
