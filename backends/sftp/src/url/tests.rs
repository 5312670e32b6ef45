use super::*;

fn parsed(url: &str) -> SftpUrl {
    parse_bucket_url(url).unwrap_or_else(|e| panic!("{url}: {e}"))
}

fn rejected(url: &str) -> String {
    parse_bucket_url(url).expect_err(url).to_string()
}

#[test]
fn full_url() {
    assert_eq!(
        parsed("sftp://emutest@127.0.0.1:2222/var/tmp/data/"),
        SftpUrl {
            host: "127.0.0.1".into(),
            port: Some(2222),
            user: Some("emutest".into()),
            root: "/var/tmp/data".into(),
        }
    );
}

#[test]
fn host_only_is_the_login_directory() {
    let url = parsed("sftp://example.com");
    assert_eq!((url.port, url.user, url.root.as_str()), (None, None, ""));
    assert_eq!(parsed("sftp://example.com/").root, "/");
}

#[test]
fn tilde_paths_are_relative_to_the_login_directory() {
    assert_eq!(parsed("sftp://h/~").root, "");
    assert_eq!(parsed("sftp://h/~/").root, "");
    assert_eq!(parsed("sftp://h/~/a/b/").root, "a/b");
    assert_eq!(parsed("sftp://h/~x/a").root, "/~x/a");
}

#[test]
fn paths_and_users_are_percent_decoded() {
    let url = parsed("SFTP://us%40er@h/a%20b//%C3%BC");
    assert_eq!(url.user.as_deref(), Some("us@er"));
    assert_eq!(url.root, "/a b/ü");
}

#[test]
fn ipv6_hosts_in_brackets() {
    let url = parsed("sftp://[::1]:22/x");
    assert_eq!((url.host.as_str(), url.port), ("::1", Some(22)));
    assert_eq!(parsed("sftp://[fe80::1]/x").port, None);
    assert!(rejected("sftp://::1/x").contains("brackets"));
    assert!(rejected("sftp://[::1/x").contains("not closed"));
}

#[test]
fn passwords_in_the_url_are_rejected_without_echoing_them() {
    let msg = rejected("sftp://user:hunter2@h/x");
    assert!(msg.contains("sftp_password"), "{msg}");
    assert!(!msg.contains("hunter2"), "{msg}");
}

#[test]
fn bad_urls_are_rejected() {
    assert!(rejected("s3://bucket/x").contains("sftp://"));
    assert!(rejected("sftp:///x").contains("no host"));
    assert!(rejected("sftp://h:0/x").contains("port"));
    assert!(rejected("sftp://h:99999/x").contains("port"));
    assert!(rejected("sftp://h:ssh/x").contains("port"));
    assert!(rejected("sftp://h/x?y").contains("query"));
    assert!(rejected("sftp://h/x%zz").contains("percent"));
    assert!(rejected("sftp://h/x%00").contains("NUL"));
    assert!(rejected("sftp://@h/x").contains("empty user"));
}
