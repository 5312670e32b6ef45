use stowage_plugin_sdk::ErrorKind;

use super::*;

const PEM: &str = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcw\n-----END PRIVATE KEY-----\n";

fn config(pairs: &[(&str, &str)]) -> Result<GcsConfig> {
    GcsConfig::from_options(Options::new(pairs.iter().copied()))
}

fn err(pairs: &[(&str, &str)]) -> String {
    config(pairs).unwrap_err().to_string()
}

#[test]
fn nothing_given_means_application_default_credentials() {
    let c = config(&[]).unwrap();
    assert_eq!(c.credentials, Credentials::ApplicationDefault);
    assert_eq!(c.endpoint, None);
    assert_eq!(c.chunk_bytes, DEFAULT_CHUNK_BYTES);
    let c = config(&[("project_id", "p1")]).unwrap();
    assert_eq!(c.credentials, Credentials::ApplicationDefault);
    assert_eq!(c.project_id.as_deref(), Some("p1"));
}

#[test]
fn service_account_fields() {
    let c = config(&[
        ("project_id", "proj"),
        ("client_email", "sa@proj.iam.gserviceaccount.com"),
        ("private_key", PEM),
        ("private_key_id", "abc123"),
        ("token_uri", "http://127.0.0.1:9/token"),
        ("type", "service_account"),
        ("auth_uri", "https://accounts.google.com/o/oauth2/auth"),
    ])
    .unwrap();
    let Credentials::ServiceAccount(key) = &c.credentials else {
        panic!("{c:?}")
    };
    assert_eq!(key.client_email, "sa@proj.iam.gserviceaccount.com");
    assert_eq!(key.private_key.expose(), PEM);
    assert_eq!(key.private_key_id.as_deref(), Some("abc123"));
    assert_eq!(key.token_uri.as_deref(), Some("http://127.0.0.1:9/token"));
    assert_eq!(c.project_id.as_deref(), Some("proj"));
}

#[test]
fn a_one_line_pem_gets_its_newlines_back() {
    let one_line = PEM.replace('\n', "\\n");
    let c = config(&[("client_email", "a@b"), ("private_key", &one_line)]).unwrap();
    let Credentials::ServiceAccount(key) = c.credentials else {
        panic!()
    };
    assert_eq!(key.private_key.expose(), PEM);
}

#[test]
fn partial_credentials_name_the_missing_field() {
    assert!(err(&[("client_email", "a@b")]).contains("`private_key`"));
    assert!(err(&[("private_key", PEM)]).contains("`client_email`"));
    assert!(
        err(&[("client_id", "id"), ("client_secret", "s3cr3t-value")]).contains("`refresh_token`")
    );
}

#[test]
fn oauth_user_credentials() {
    let c = config(&[
        ("client_id", "id.apps.googleusercontent.com"),
        ("client_secret", "the-client-secret"),
        ("refresh_token", "the-refresh-token"),
        ("token", "ignored-when-refreshable"),
        (
            "scopes",
            "[\"https://www.googleapis.com/auth/cloud-platform\"]",
        ),
        ("client_type", "installed"),
    ])
    .unwrap();
    let Credentials::AuthorizedUser(user) = &c.credentials else {
        panic!("{c:?}")
    };
    assert_eq!(user.client_id, "id.apps.googleusercontent.com");
    assert_eq!(user.refresh_token.expose(), "the-refresh-token");
}

#[test]
fn access_token_file_and_gcsfs_tokens() {
    let c = config(&[("token", "ya29.token")]).unwrap();
    assert_eq!(
        c.credentials,
        Credentials::AccessToken(Secret::new("ya29.token"))
    );
    let c = config(&[("credentials_file", "/etc/sa.json")]).unwrap();
    assert_eq!(c.credentials, Credentials::File("/etc/sa.json".into()));
    let c = config(&[("kwargs.token", "anon")]).unwrap();
    assert_eq!(c.credentials, Credentials::Anonymous);
    let c = config(&[("kwargs.token", "google_default")]).unwrap();
    assert_eq!(c.credentials, Credentials::ApplicationDefault);
    let c = config(&[("kwargs.token", "/k.json")]).unwrap();
    assert_eq!(c.credentials, Credentials::File("/k.json".into()));
    let c = config(&[("kwargs.token", "{\"type\":\"service_account\"}")]).unwrap();
    assert!(matches!(c.credentials, Credentials::Json(_)));
    let e = config(&[("kwargs.token", "browser")]).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unsupported);
}

#[test]
fn two_kinds_of_credentials_conflict() {
    let msg = err(&[
        ("client_email", "a@b"),
        ("private_key", PEM),
        ("credentials_file", "/x.json"),
    ]);
    assert!(
        msg.contains("conflicting") && msg.contains("credentials_file"),
        "{msg}"
    );
    let msg = err(&[("kwargs.token", "anon"), ("token", "abc")]);
    assert!(msg.contains("conflicting"), "{msg}");
    let msg = err(&[
        ("type", "authorized_user"),
        ("client_email", "a@b"),
        ("private_key", PEM),
    ]);
    assert!(msg.contains("`type`"), "{msg}");
}

#[test]
fn endpoint_forms() {
    let c = config(&[("endpoint_url", "http://127.0.0.1:4443/")]).unwrap();
    assert_eq!(c.endpoint.as_deref(), Some("http://127.0.0.1:4443"));
    let c = config(&[("kwargs.endpoint_url", "localhost:4443")]).unwrap();
    assert_eq!(c.endpoint.as_deref(), Some("http://localhost:4443"));
    let c = config(&[
        ("endpoint_url", "https://storage.example.com"),
        ("kwargs.endpoint_url", "https://storage.example.com"),
    ])
    .unwrap();
    assert_eq!(c.endpoint.as_deref(), Some("https://storage.example.com"));
    assert!(err(&[("endpoint_url", "a:1"), ("kwargs.endpoint_url", "b:2")]).contains("disagree"));
    assert!(err(&[("endpoint_url", "ftp://x")]).contains("`endpoint_url`"));
    assert!(err(&[("token_uri", "not a url")]).contains("`token_uri`"));
}

#[test]
fn timeouts_and_block_size() {
    let c = config(&[
        ("kwargs.requests_timeout", "2.5"),
        ("kwargs.block_size", "524288"),
    ])
    .unwrap();
    assert_eq!(c.requests_timeout, Duration::from_millis(2500));
    assert_eq!(c.chunk_bytes, 512 << 10);
    assert!(err(&[("kwargs.requests_timeout", "0")]).contains("requests_timeout"));
    assert!(err(&[("kwargs.block_size", "1000")]).contains("256 KiB"));
    assert!(err(&[("kwargs.block_size", "lots")]).contains("block_size"));
}

#[test]
fn unknown_options_are_named() {
    let e = config(&[("aws_access_key_id", "AKIA"), ("kwargs.colour", "red")]).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument);
    let msg = e.to_string();
    assert!(
        msg.contains("`aws_access_key_id`")
            && msg.contains("`kwargs.colour`")
            && msg.contains("gcs backend"),
        "{msg}"
    );
}

#[test]
fn debug_never_shows_secrets() {
    let secrets = ["the-client-secret-value", "the-refresh-token-value"];
    let c = config(&[
        ("client_id", "id"),
        ("client_secret", secrets[0]),
        ("refresh_token", secrets[1]),
    ])
    .unwrap();
    let sa = config(&[("client_email", "a@b"), ("private_key", PEM)]).unwrap();
    let token = config(&[("token", "ya29.secret-access-token")]).unwrap();
    let dump = format!("{c:?} {sa:?} {token:?} {:?}", c.credentials);
    for s in secrets.iter().chain(&[
        "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcw",
        "ya29.secret-access-token",
    ]) {
        assert!(!dump.contains(s), "{s} leaked in {dump}");
    }
    assert!(dump.contains("***"));
}

#[test]
fn the_redactor_knows_every_secret() {
    let c = config(&[
        ("client_id", "id"),
        ("client_secret", "the-client-secret-value"),
        ("refresh_token", "the-refresh-token-value"),
    ])
    .unwrap();
    let text = c
        .redactor()
        .scrub("x the-client-secret-value y the-refresh-token-value");
    assert_eq!(text, "x *** y ***");
}
