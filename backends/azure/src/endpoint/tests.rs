use object_store::azure::authority_hosts;

use super::*;

fn resolve(url: &str, account: Option<&str>, host: Option<&str>) -> Endpoint {
    let url = BucketUrl::parse(url).unwrap();
    Endpoint::resolve(&url, account, host).unwrap_or_else(|e| panic!("{e}"))
}

fn resolve_err(url: &str, account: Option<&str>, host: Option<&str>) -> String {
    let url = BucketUrl::parse(url).unwrap();
    Endpoint::resolve(&url, account, host)
        .expect_err("must fail")
        .to_string()
}

#[test]
fn public_cloud_from_the_account_option() {
    let e = resolve("az://data/x", Some("acct"), None);
    assert_eq!(e.account, "acct");
    assert_eq!(e.account_url, "https://acct.blob.core.windows.net");
    assert_eq!(e.authority_host, None);
    assert!(!e.fabric);
}

#[test]
fn account_and_cloud_from_the_url_host() {
    let table = [
        (
            "abfss://c@acct.dfs.core.windows.net/p",
            "acct",
            "https://acct.blob.core.windows.net",
            None,
        ),
        (
            "abfs://c@acct.blob.core.windows.net",
            "acct",
            "https://acct.blob.core.windows.net",
            None,
        ),
        (
            "abfss://c@acct.dfs.core.chinacloudapi.cn/p",
            "acct",
            "https://acct.blob.core.chinacloudapi.cn",
            Some(authority_hosts::AZURE_CHINA),
        ),
        (
            "abfss://c@acct.dfs.core.usgovcloudapi.net/p",
            "acct",
            "https://acct.blob.core.usgovcloudapi.net",
            Some(authority_hosts::AZURE_GOVERNMENT),
        ),
        (
            "az://c@acct.blob.core.windows.net/p",
            "acct",
            "https://acct.blob.core.windows.net",
            None,
        ),
    ];
    for (url, account, account_url, authority) in table {
        let e = resolve(url, None, None);
        assert_eq!(e.account, account, "{url}");
        assert_eq!(e.account_url, account_url, "{url}");
        assert_eq!(e.authority_host, authority, "{url}");
        assert!(!e.fabric, "{url}");
    }
}

#[test]
fn onelake_urls_use_the_fabric_blob_endpoint() {
    let ws = "2f4e8a0c-0000-4000-8000-000000000001";
    let item = "9b1d2c3e-0000-4000-8000-000000000002";
    for host in [
        "onelake.dfs.fabric.microsoft.com",
        "onelake.blob.fabric.microsoft.com",
    ] {
        let url = format!("abfss://{ws}@{host}/{item}/Files/landing");
        let e = resolve(&url, None, None);
        assert_eq!(e.account, "onelake", "{url}");
        assert_eq!(e.account_url, "https://onelake.blob.fabric.microsoft.com");
        assert!(e.fabric);
        let parsed = BucketUrl::parse(&url).unwrap();
        assert_eq!(parsed.container, ws);
        assert_eq!(
            parsed.blob_name("ds/t/1.parquet"),
            format!("{item}/Files/landing/ds/t/1.parquet")
        );
    }
    // Regional and workspace private-link hosts keep their labels.
    let e = resolve(
        "abfss://ws@westus-onelake.dfs.fabric.microsoft.com/i/Files",
        None,
        None,
    );
    assert_eq!(e.account, "westus-onelake");
    assert_eq!(
        e.account_url,
        "https://westus-onelake.blob.fabric.microsoft.com"
    );
    let e = resolve(
        "abfss://ws@abc123.z12.dfs.fabric.microsoft.com/i/Files",
        None,
        None,
    );
    assert_eq!(e.account, "abc123.z12");
    assert_eq!(
        e.account_url,
        "https://abc123.z12.blob.fabric.microsoft.com"
    );
    assert!(e.fabric);
}

#[test]
fn onelake_through_az_urls_and_the_account_host_option() {
    // dlt's documented OneLake setup: `az://<workspace>/<item>/Files` with
    // azure_storage_account_name = "onelake" and azure_account_host = "onelake.blob.fabric.microsoft.com".
    let e = resolve(
        "az://ws/item.Lakehouse/Files",
        Some("onelake"),
        Some("onelake.blob.fabric.microsoft.com"),
    );
    assert_eq!(e.account, "onelake");
    assert_eq!(e.account_url, "https://onelake.blob.fabric.microsoft.com");
    assert!(e.fabric);
    // The account is read from the host when the option is absent.
    let e = resolve(
        "az://ws/item/Files",
        None,
        Some("onelake.dfs.fabric.microsoft.com"),
    );
    assert_eq!(e.account, "onelake");
    assert_eq!(e.account_url, "https://onelake.blob.fabric.microsoft.com");
}

#[test]
fn custom_hosts() {
    // Sovereign cloud through the option (adlfs `account_host`: the account's full host).
    let e = resolve(
        "az://c/p",
        Some("acct"),
        Some("acct.blob.core.chinacloudapi.cn"),
    );
    assert_eq!(e.account_url, "https://acct.blob.core.chinacloudapi.cn");
    assert_eq!(e.authority_host, Some(authority_hosts::AZURE_CHINA));
    // A private endpoint or proxy with an arbitrary name: the account must be given.
    let e = resolve(
        "az://c/p",
        Some("acct"),
        Some("storage.internal.example:8443"),
    );
    assert_eq!(e.account_url, "https://storage.internal.example:8443");
    assert_eq!(e.account, "acct");
    assert!(
        resolve_err("az://c/p", None, Some("storage.internal.example"))
            .contains("azure_storage_account_name is required")
    );
    // Emulators: IP or localhost means http and path style.
    let e = resolve(
        "az://c/p",
        Some("devstoreaccount1"),
        Some("127.0.0.1:10000"),
    );
    assert_eq!(e.account_url, "http://127.0.0.1:10000/devstoreaccount1");
    let e = resolve(
        "az://c/p",
        Some("devstoreaccount1"),
        Some("localhost:10000/"),
    );
    assert_eq!(e.account_url, "http://localhost:10000/devstoreaccount1");
    // A full account URL is taken as is.
    let e = resolve(
        "az://c/p",
        Some("devstoreaccount1"),
        Some("http://127.0.0.1:10000/devstoreaccount1/"),
    );
    assert_eq!(e.account_url, "http://127.0.0.1:10000/devstoreaccount1");
    // The abfss form with an emulator account host: account from the URL, endpoint from the option.
    let e = resolve(
        "abfss://c@devstoreaccount1.dfs.core.windows.net/p",
        None,
        Some("http://127.0.0.1:10000/devstoreaccount1"),
    );
    assert_eq!(e.account, "devstoreaccount1");
    assert_eq!(e.account_url, "http://127.0.0.1:10000/devstoreaccount1");
}

#[test]
fn errors_name_the_problem() {
    assert!(resolve_err("az://c/p", None, None).contains("azure_storage_account_name is required"));
    assert!(
        resolve_err("abfss://c@one.dfs.core.windows.net/p", Some("two"), None)
            .contains("names storage account `one` but azure_storage_account_name is `two`")
    );
    assert!(
        resolve_err("abfss://c@myhost/p", None, None)
            .contains("azure_storage_account_name is required")
    );
    // A URL host that is an emulator address works like the option.
    let e = resolve(
        "abfss://c@127.0.0.1:10000/p",
        Some("devstoreaccount1"),
        None,
    );
    assert_eq!(e.account_url, "http://127.0.0.1:10000/devstoreaccount1");
    assert!(
        resolve_err("az://c/p", Some("a"), Some("host/with/path")).contains("is not a host name")
    );
    // Same account in another case is fine.
    assert_eq!(
        resolve("abfss://c@acct.dfs.core.windows.net", Some("ACCT"), None).account,
        "ACCT"
    );
}

#[test]
fn dfs_labels_become_blob() {
    assert_eq!(
        blob_host("acct.dfs.core.windows.net"),
        "acct.blob.core.windows.net"
    );
    assert_eq!(
        blob_host("dfs.dfs.core.windows.net"),
        "dfs.blob.core.windows.net"
    );
    assert_eq!(
        blob_host("acct.blob.core.windows.net"),
        "acct.blob.core.windows.net"
    );
    assert_eq!(
        account_of_host("acct.dfs.core.windows.net").unwrap(),
        "acct"
    );
    assert!(account_of_host("blob.core.windows.net").is_err());
}
