use stowage_plugin_sdk::Options;

use super::*;

fn target(pairs: &[(&str, &str)]) -> ErrorTarget {
    let config = S3Config::from_options(Options::new(pairs.iter().copied())).unwrap();
    ErrorTarget::new("my-bucket", &config, "us-east-1")
}

fn keyed() -> ErrorTarget {
    target(&[
        ("aws_access_key_id", "AKID"),
        ("aws_secret_access_key", "hunter2"),
        ("endpoint_url", "http://127.0.0.1:9001"),
    ])
}

fn response(status: u16, code: Option<&'static str>) -> Response<'static> {
    Response {
        status: Some(status),
        code,
        message: Some("server says no"),
        bucket_region: None,
    }
}

#[test]
fn missing_objects_are_not_found() {
    for r in [response(404, None), response(404, Some("NoSuchKey"))] {
        let err = keyed().classify_response(&r, "reading");
        assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
        assert!(!err.is_retryable());
    }
}

#[test]
fn a_missing_bucket_names_the_bucket_and_bucket_url() {
    let err = keyed().classify_response(&response(404, Some("NoSuchBucket")), "writing");
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
    let msg = err.to_string();
    assert!(
        msg.contains("`my-bucket`") && msg.contains("bucket_url") && msg.contains("127.0.0.1"),
        "{msg}"
    );
}

#[test]
fn rejected_credentials_name_the_settings_never_the_secret() {
    let t = keyed();
    let cases = [
        (Some("SignatureDoesNotMatch"), "secret key does not match"),
        (Some("InvalidAccessKeyId"), "does not know the access key"),
        (None, "denied"),
    ];
    for (code, expect) in cases {
        let err = t.classify_response(&response(403, code), "reading");
        assert_eq!(err.kind(), ErrorKind::PermissionDenied);
        let msg = err.to_string();
        assert!(msg.contains(expect), "{msg}");
        assert!(msg.contains("aws_secret_access_key"), "{msg}");
        assert!(!msg.contains("hunter2"), "{msg}");
    }
}

#[test]
fn credential_hints_follow_the_configuration() {
    let t = target(&[("profile_name", "dev")]);
    let msg = t.classify_response(&response(403, None), "x").to_string();
    assert!(msg.contains("profile_name `dev`"), "{msg}");
    let t = target(&[]);
    let msg = t.classify_response(&response(403, None), "x").to_string();
    assert!(msg.contains("default AWS credential chain"), "{msg}");
}

#[test]
fn throttling_and_server_errors_are_retryable() {
    for (status, code) in [
        (503, Some("SlowDown")),
        (500, None),
        (429, None),
        (400, Some("RequestTimeout")),
    ] {
        let err = keyed().classify_response(&response(status, code), "writing");
        assert_eq!(err.kind(), ErrorKind::Io, "{err}");
        assert!(err.is_retryable(), "{err}");
    }
}

#[test]
fn wrong_region_names_region_name() {
    let r = Response {
        bucket_region: Some("eu-west-3"),
        ..response(301, Some("PermanentRedirect"))
    };
    let msg = keyed().classify_response(&r, "reading").to_string();
    assert!(
        msg.contains("eu-west-3") && msg.contains("region_name"),
        "{msg}"
    );
}

#[test]
fn connection_failures_name_the_endpoint_setting() {
    let chain = "dispatch failure: io error: tcp connect error: Connection refused (os error 111)";
    let err = keyed().classify_dispatch(chain, true, false, "reading");
    assert_eq!(err.kind(), ErrorKind::Io);
    assert!(err.is_retryable());
    let msg = err.to_string();
    assert!(
        msg.contains("endpoint_url") && msg.contains("`my-bucket`") && msg.contains("refused"),
        "{msg}"
    );
    let err =
        keyed().classify_dispatch("invalid peer certificate: UnknownIssuer", true, false, "x");
    assert!(err.message().contains("client_kwargs.verify"), "{err}");
    assert!(!err.is_retryable());
}

#[test]
fn context_has_bucket_key_and_endpoint() {
    let err = keyed().with_context(PluginError::unexpected("boom"), Some("ds/init"));
    assert_eq!(
        err.context(),
        [
            ("bucket".to_string(), "my-bucket".to_string()),
            ("key".to_string(), "ds/init".to_string()),
            ("endpoint".to_string(), "http://127.0.0.1:9001".to_string()),
        ]
    );
}
