use stowage_plugin_sdk::ErrorKind;

use super::*;

fn parsed(url: &str) -> BucketUrl {
    BucketUrl::parse(url).unwrap_or_else(|e| panic!("{url}: {e}"))
}

#[test]
fn every_accepted_form() {
    let table: &[(&str, &str, &str, Option<&str>, &str)] = &[
        ("az://data", "az", "data", None, ""),
        ("az://data/", "az", "data", None, ""),
        ("az://data/raw/events/", "az", "data", None, "raw/events"),
        ("AZ://data/raw", "az", "data", None, "raw"),
        ("azure://data/raw", "azure", "data", None, "raw"),
        ("abfs://data/raw", "abfs", "data", None, "raw"),
        ("abfss://data/raw", "abfss", "data", None, "raw"),
        (
            "abfss://data@acct.dfs.core.windows.net/raw",
            "abfss",
            "data",
            Some("acct.dfs.core.windows.net"),
            "raw",
        ),
        (
            "abfs://data@Acct.Blob.Core.Windows.Net",
            "abfs",
            "data",
            Some("acct.blob.core.windows.net"),
            "",
        ),
        (
            "abfss://2f4e8a0c-0000-4000-8000-000000000001@onelake.dfs.fabric.microsoft.com/\
             9b1d2c3e-0000-4000-8000-000000000002/Files/landing",
            "abfss",
            "2f4e8a0c-0000-4000-8000-000000000001",
            Some("onelake.dfs.fabric.microsoft.com"),
            "9b1d2c3e-0000-4000-8000-000000000002/Files/landing",
        ),
        (
            "abfss://My Workspace@onelake.dfs.fabric.microsoft.com/lake.Lakehouse/Files",
            "abfss",
            "My Workspace",
            Some("onelake.dfs.fabric.microsoft.com"),
            "lake.Lakehouse/Files",
        ),
        ("az://data/a%20b/c d", "az", "data", None, "a%20b/c d"),
    ];
    for (url, scheme, container, host, root) in table {
        let u = parsed(url);
        assert_eq!(u.scheme, *scheme, "{url}");
        assert_eq!(u.container, *container, "{url}");
        assert_eq!(u.host.as_deref(), *host, "{url}");
        assert_eq!(u.root, *root, "{url}");
    }
}

#[test]
fn rejected_forms_say_why() {
    for (url, needle) in [
        ("s3://bucket/x", "not served"),
        ("data/raw", "not an Azure URL"),
        ("az://", "no container"),
        ("az:///raw", "no container"),
        ("az://data/raw?sv=1", "no query"),
        ("az://data/a//b", "empty"),
        ("az://data/a/../b", "`..`"),
        ("abfss://data@/raw", "account host"),
        (
            "abfss://data@acct.dfs.core.windows.net:x!/raw",
            "account host",
        ),
    ] {
        let err = BucketUrl::parse(url).expect_err(url);
        assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{url}");
        assert!(err.to_string().contains(needle), "{url}: {err}");
    }
}

#[test]
fn keys_are_relative_to_the_root() {
    let u = parsed("az://data/base/dir");
    assert_eq!(u.blob_name("ds/t/x.jsonl"), "base/dir/ds/t/x.jsonl");
    assert_eq!(u.root_prefix(), "base/dir/");
    let u = parsed("az://data");
    assert_eq!(u.blob_name("ds/t/x.jsonl"), "ds/t/x.jsonl");
    assert_eq!(u.root_prefix(), "");
}

#[test]
fn object_urls_keep_the_bucket_url_form() {
    // dlt's `_make_az_url`: `container@host` kept when the bucket URL has it.
    assert_eq!(
        parsed("az://data/base").object_url("ds/t/1.jsonl"),
        "az://data/base/ds/t/1.jsonl"
    );
    assert_eq!(
        parsed("abfss://data@acct.dfs.core.windows.net/base").object_url("ds/x"),
        "abfss://data@acct.dfs.core.windows.net/base/ds/x"
    );
    assert_eq!(parsed("azure://data").object_url("x"), "azure://data/x");
}

#[test]
fn canonical_urls_follow_dlt() {
    // dlt's `ensure_canonical_az_url`.
    let az = parsed("az://data/base/p");
    assert_eq!(
        az.canonical_url("abfss", Some("acct"), None).unwrap(),
        "abfss://data@acct.dfs.core.windows.net/base/p"
    );
    assert_eq!(
        az.canonical_url(
            "abfss",
            Some("acct"),
            Some("acct.dfs.core.chinacloudapi.cn")
        )
        .unwrap(),
        "abfss://data@acct.dfs.core.chinacloudapi.cn/base/p"
    );
    let err = az.canonical_url("abfss", None, None).unwrap_err();
    assert!(
        err.to_string().contains("account name is not known"),
        "{err}"
    );
    let full = parsed("abfs://data@other.dfs.core.windows.net/p");
    assert_eq!(
        full.canonical_url("abfss", Some("acct"), None).unwrap(),
        "abfss://data@other.dfs.core.windows.net/p"
    );
    assert_eq!(
        parsed("az://data")
            .canonical_url("abfss", Some("acct"), None)
            .unwrap(),
        "abfss://data@acct.dfs.core.windows.net"
    );
}
