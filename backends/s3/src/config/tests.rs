use stowage_plugin_sdk::ErrorKind;

use super::*;

fn config(pairs: &[(&str, &str)]) -> Result<S3Config> {
    S3Config::from_options(Options::new(pairs.iter().copied()))
}

#[test]
fn nothing_set_means_the_default_chain() {
    let c = config(&[]).unwrap();
    assert_eq!(c.credentials, CredentialSource::DefaultChain);
    assert_eq!(c.endpoint_url, None);
    assert_eq!(c.region, None);
    assert!(c.use_ssl);
    assert_eq!(c.verify, TlsVerify::System);
    assert_eq!(c.upload, UploadSettings::default());
}

#[test]
fn static_keys_with_token() {
    let c = config(&[
        ("aws_access_key_id", "AKIDEXAMPLE"),
        ("aws_secret_access_key", "s3cr3t"),
        ("aws_session_token", "t0k3n"),
        ("region_name", "eu-central-1"),
    ])
    .unwrap();
    let CredentialSource::Static {
        access_key_id,
        secret_access_key,
        session_token,
    } = &c.credentials
    else {
        panic!("{c:?}")
    };
    assert_eq!(access_key_id, "AKIDEXAMPLE");
    assert_eq!(secret_access_key.expose(), "s3cr3t");
    assert_eq!(session_token.as_ref().unwrap().expose(), "t0k3n");
    assert_eq!(c.region.as_deref(), Some("eu-central-1"));
    let dbg = format!("{c:?}");
    assert!(!dbg.contains("s3cr3t") && !dbg.contains("t0k3n"), "{dbg}");
}

#[test]
fn empty_values_count_as_unset() {
    let c = config(&[
        ("aws_access_key_id", ""),
        ("aws_secret_access_key", ""),
        ("aws_session_token", ""),
        ("endpoint_url", " "),
    ])
    .unwrap();
    assert_eq!(c.credentials, CredentialSource::DefaultChain);
    assert_eq!(c.endpoint_url, None);
}

#[test]
fn half_a_key_pair_is_an_error_naming_the_missing_half() {
    let err = config(&[("aws_access_key_id", "AKID")]).unwrap_err();
    assert!(err.message().contains("aws_secret_access_key"), "{err}");
    let err = config(&[("aws_secret_access_key", "s3cr3t")]).unwrap_err();
    assert!(err.message().contains("aws_access_key_id"), "{err}");
    assert!(!err.to_string().contains("s3cr3t"));
    let err = config(&[("aws_session_token", "tok")]).unwrap_err();
    assert!(err.message().contains("aws_session_token"), "{err}");
}

#[test]
fn endpoint_gets_a_scheme_from_use_ssl() {
    let c = config(&[("endpoint_url", "http://127.0.0.1:9000/")]).unwrap();
    assert_eq!(c.endpoint_url.as_deref(), Some("http://127.0.0.1:9000"));
    let c = config(&[("endpoint_url", "minio.local:9000")]).unwrap();
    assert_eq!(c.endpoint_url.as_deref(), Some("https://minio.local:9000"));
    let c = config(&[
        ("client_kwargs.endpoint_url", "minio.local:9000"),
        ("kwargs.use_ssl", "false"),
    ])
    .unwrap();
    assert_eq!(c.endpoint_url.as_deref(), Some("http://minio.local:9000"));
    assert!(!c.use_ssl);
    let c = config(&[("client_kwargs.use_ssl", "false")]).unwrap();
    assert!(!c.use_ssl);
    let err = config(&[("endpoint_url", "ftp://x")]).unwrap_err();
    assert!(err.message().contains("endpoint_url"), "{err}");
}

#[test]
fn top_level_settings_win_over_client_kwargs() {
    let c = config(&[
        ("region_name", "eu-west-1"),
        ("client_kwargs.region_name", "us-west-2"),
        ("endpoint_url", "http://a:1"),
        ("client_kwargs.endpoint_url", "http://b:2"),
    ])
    .unwrap();
    assert_eq!(c.region.as_deref(), Some("eu-west-1"));
    assert_eq!(c.endpoint_url.as_deref(), Some("http://a:1"));
    let c = config(&[("client_kwargs.region_name", "us-west-2")]).unwrap();
    assert_eq!(c.region.as_deref(), Some("us-west-2"));
}

#[test]
fn verify_is_a_boolean_or_a_bundle_path() {
    let verify = |v: &str| config(&[("client_kwargs.verify", v)]).unwrap().verify;
    assert_eq!(verify("false"), TlsVerify::Disabled);
    assert_eq!(verify("False"), TlsVerify::Disabled);
    assert_eq!(verify("true"), TlsVerify::System);
    assert_eq!(
        verify("/etc/ssl/minio.crt"),
        TlsVerify::CaBundle("/etc/ssl/minio.crt".into())
    );
}

#[test]
fn upload_settings_are_checked() {
    let c = config(&[
        ("kwargs.default_block_size", "16777216"),
        ("kwargs.max_concurrency", "2"),
    ])
    .unwrap();
    assert_eq!(
        c.upload,
        UploadSettings {
            part_size: 16 << 20,
            max_concurrency: 2
        }
    );
    for (key, value) in [
        ("kwargs.default_block_size", "1024"),
        ("kwargs.default_block_size", "lots"),
        ("kwargs.max_concurrency", "0"),
        ("kwargs.max_concurrency", "1000"),
    ] {
        let err = config(&[(key, value)]).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidArgument);
        assert!(err.message().contains(key), "{err}");
    }
}

#[test]
fn anon_means_unsigned_and_conflicts_with_keys() {
    let c = config(&[("kwargs.anon", "true")]).unwrap();
    assert_eq!(c.credentials, CredentialSource::Anonymous);
    let err = config(&[
        ("kwargs.anon", "true"),
        ("aws_access_key_id", "AKID"),
        ("aws_secret_access_key", "s3cr3t"),
    ])
    .unwrap_err();
    assert!(err.message().contains("kwargs.anon"), "{err}");
}

#[test]
fn fsspec_cache_knobs_are_accepted() {
    config(&[
        ("kwargs.use_listings_cache", "false"),
        ("kwargs.listings_expiry_time", "60"),
        ("kwargs.skip_instance_cache", "true"),
    ])
    .unwrap();
}

#[test]
fn unknown_keys_are_named() {
    for key in ["aws_secret_key", "client_kwargs.verfy", "kwargs.blocksize"] {
        let err = config(&[(key, "x")]).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidArgument);
        let msg = err.to_string();
        assert!(
            msg.contains(&format!("`{key}`")) && msg.contains("s3 backend"),
            "{msg}"
        );
    }
}
