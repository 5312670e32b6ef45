use stowage_plugin_sdk::ErrorKind;

use super::*;

fn config(pairs: &[(&str, &str)]) -> Result<AzureConfig> {
    AzureConfig::from_options(Options::new(pairs.iter().copied()))
}

#[test]
fn defaults_use_the_credential_chain() {
    let c = config(&[]).unwrap();
    assert_eq!(c.credential, Credential::DefaultChain);
    assert_eq!(c.max_concurrency, 1);
    assert_eq!(c.block_size, DEFAULT_BLOCK_SIZE);
    assert_eq!(c.account_name, None);
    assert_eq!((c.connect_timeout, c.request_timeout), (None, None));
}

#[test]
fn every_credential_form() {
    let c = config(&[
        ("azure_storage_account_name", "acct"),
        ("azure_storage_account_key", "a2V5"),
    ])
    .unwrap();
    assert_eq!(c.account_name.as_deref(), Some("acct"));
    assert_eq!(c.credential, Credential::AccountKey(Secret::new("a2V5")));

    let c = config(&[("azure_storage_sas_token", "?sv=1&sig=x")]).unwrap();
    assert_eq!(
        c.credential,
        Credential::SasToken(Secret::new("?sv=1&sig=x"))
    );

    let c = config(&[
        ("azure_tenant_id", "t"),
        ("azure_client_id", "c"),
        ("azure_client_secret", "s"),
    ])
    .unwrap();
    assert_eq!(
        c.credential,
        Credential::ServicePrincipal {
            tenant_id: "t".into(),
            client_id: "c".into(),
            client_secret: Secret::new("s"),
        }
    );

    let c = config(&[("kwargs.anon", "true")]).unwrap();
    assert_eq!(c.credential, Credential::Anonymous);
}

#[test]
fn the_account_key_wins_over_a_sas_token_as_in_adlfs() {
    let c = config(&[
        ("azure_storage_account_key", "a2V5"),
        ("azure_storage_sas_token", "sv=1&sig=x"),
    ])
    .unwrap();
    assert!(matches!(c.credential, Credential::AccountKey(_)));
}

#[test]
fn empty_values_count_as_unset() {
    let c = config(&[
        ("azure_storage_account_key", " "),
        ("azure_account_host", ""),
    ])
    .unwrap();
    assert_eq!(c.credential, Credential::DefaultChain);
    assert_eq!(c.account_host, None);
}

#[test]
fn an_incomplete_service_principal_names_what_is_missing() {
    let err = config(&[("azure_tenant_id", "t"), ("azure_client_secret", "hunter2")]).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
    let msg = err.to_string();
    assert!(msg.contains("azure_client_id not set"), "{msg}");
    assert!(!msg.contains("hunter2"), "{msg}");
}

#[test]
fn kwargs_are_parsed_and_checked() {
    let c = config(&[
        ("kwargs.max_concurrency", "4"),
        ("kwargs.blocksize", "4194304"),
        ("kwargs.connection_timeout", "2.5"),
        ("kwargs.timeout", "60"),
        ("kwargs.use_listings_cache", "false"),
        ("kwargs.skip_instance_cache", "true"),
    ])
    .unwrap();
    assert_eq!(c.max_concurrency, 4);
    assert_eq!(c.block_size, 4 << 20);
    assert_eq!(c.connect_timeout, Some(Duration::from_millis(2500)));
    assert_eq!(c.request_timeout, Some(Duration::from_secs(60)));

    for (key, value, needle) in [
        ("kwargs.max_concurrency", "0", "between 1 and 64"),
        ("kwargs.max_concurrency", "many", "whole number"),
        ("kwargs.blocksize", "10", "between 65536"),
        ("kwargs.timeout", "-1", "positive number of seconds"),
        ("kwargs.anon", "maybe", "true or false"),
    ] {
        let msg = config(&[(key, value)]).unwrap_err().to_string();
        assert!(
            msg.contains(key) && msg.contains(needle),
            "{key}={value}: {msg}"
        );
    }
}

#[test]
fn unknown_keys_are_named() {
    let err = config(&[
        ("azure_storage_account_name", "acct"),
        ("azure_storage_acount_key", "secret-value"),
        ("client_kwargs.verify", "x"),
    ])
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
    let msg = err.to_string();
    assert!(
        msg.contains("`azure_storage_acount_key`") && msg.contains("`client_kwargs.verify`"),
        "{msg}"
    );
    assert!(msg.contains("azure backend"), "{msg}");
    assert!(!msg.contains("secret-value"), "{msg}");
}

#[test]
fn debug_hides_secrets() {
    for pairs in [
        &[("azure_storage_account_key", "S3CRET-KEY")][..],
        &[("azure_storage_sas_token", "sv=1&sig=S3CRET-KEY")][..],
        &[
            ("azure_tenant_id", "t"),
            ("azure_client_id", "c"),
            ("azure_client_secret", "S3CRET-KEY"),
        ][..],
    ] {
        let c = config(pairs).unwrap();
        let dbg = format!("{c:?}");
        assert!(!dbg.contains("S3CRET"), "{dbg}");
        assert_eq!(c.secrets(), vec![pairs.last().unwrap().1.to_string()]);
    }
}
