use super::*;

const ED25519: &str = "AAAAC3NzaC1lZDI1NTE5AAAAIIODJV5d/yfA3kpYz3tQwe1G45lseQUCu3hNyzyI5W0G";
const OTHER_ED25519: &str = "AAAAC3NzaC1lZDI1NTE5AAAAILUBNBRPbKVyxremV/pNeGBtV4U8LRfmOa8LM3IaKevr";
/// `ssh-keygen -H` output for `[127.0.0.1]:2222` and `example.com` with the key `ED25519`.
const HASHED: &str = "\
|1|QLKqF1gcUMu8v3L+deUm5m00fG0=|vyyIpKMh/jkzCscr2qFIMF2ycM8= ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIIODJV5d/yfA3kpYz3tQwe1G45lseQUCu3hNyzyI5W0G
|1|ySSoJWj+yHezlUmipMa5BRg3EZk=|49uxH1k5hCJY1IyPTiP0EoCmcBA= ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIIODJV5d/yfA3kpYz3tQwe1G45lseQUCu3hNyzyI5W0G
";

fn key(b64: &str) -> Vec<u8> {
    STANDARD.decode(b64).unwrap()
}

fn known(text: &str) -> KnownHosts {
    let mut k = KnownHosts::default();
    k.add(text, Path::new("/kh"));
    k
}

fn at(line: usize) -> Location {
    Location {
        file: PathBuf::from("/kh"),
        line,
    }
}

#[test]
fn plain_entries_with_and_without_port() {
    let k = known(&format!(
        "# comment\n\nexample.com ssh-ed25519 {ED25519}\n[127.0.0.1]:2222 ssh-ed25519 {ED25519} c\n"
    ));
    assert_eq!(
        k.check("example.com", 22, &key(ED25519)),
        HostKeyCheck::Trusted(at(3))
    );
    assert_eq!(
        k.check("EXAMPLE.com", 22, &key(ED25519)),
        HostKeyCheck::Trusted(at(3))
    );
    assert_eq!(
        k.check("127.0.0.1", 2222, &key(ED25519)),
        HostKeyCheck::Trusted(at(4))
    );
    assert_eq!(
        k.check("127.0.0.1", 22, &key(ED25519)),
        HostKeyCheck::Unknown
    );
    assert_eq!(
        k.check("example.com", 2222, &key(ED25519)),
        HostKeyCheck::Unknown
    );
}

#[test]
fn hashed_entries_match_their_host_only() {
    let k = known(HASHED);
    assert_eq!(
        k.check("127.0.0.1", 2222, &key(ED25519)),
        HostKeyCheck::Trusted(at(1))
    );
    assert_eq!(
        k.check("example.com", 22, &key(ED25519)),
        HostKeyCheck::Trusted(at(2))
    );
    assert_eq!(
        k.check("example.org", 22, &key(ED25519)),
        HostKeyCheck::Unknown
    );
    assert_eq!(k.key_types("127.0.0.1", 2222), ["ssh-ed25519"]);
}

#[test]
fn a_different_key_of_the_same_type_is_a_change() {
    let k = known(&format!("example.com ssh-ed25519 {ED25519}\n"));
    assert_eq!(
        k.check("example.com", 22, &key(OTHER_ED25519)),
        HostKeyCheck::Changed(at(1))
    );
}

#[test]
fn keys_of_other_types_only_are_reported() {
    let rsa_blob = {
        let mut b = vec![0, 0, 0, 7];
        b.extend_from_slice(b"ssh-rsa");
        b.extend_from_slice(&[0, 0, 0, 1, 1]);
        b
    };
    let k = known(&format!(
        "example.com ssh-rsa {}\n",
        STANDARD.encode(&rsa_blob)
    ));
    assert_eq!(
        k.check("example.com", 22, &key(ED25519)),
        HostKeyCheck::OtherTypesKnown(vec!["ssh-rsa".into()])
    );
    assert_eq!(
        algorithms_for("ssh-rsa"),
        ["rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"]
    );
    assert_eq!(algorithms_for("ssh-ed25519"), ["ssh-ed25519"]);
}

#[test]
fn revoked_keys_are_never_trusted() {
    let k = known(&format!(
        "example.com ssh-ed25519 {ED25519}\n@revoked * ssh-ed25519 {ED25519}\n"
    ));
    assert_eq!(
        k.check("example.com", 22, &key(ED25519)),
        HostKeyCheck::Revoked(at(2))
    );
}

#[test]
fn patterns_wildcards_and_negation() {
    let k = known(&format!(
        "*.example.com,!bad.example.com,h?st ssh-ed25519 {ED25519}\n"
    ));
    let trusted = |h: &str| matches!(k.check(h, 22, &key(ED25519)), HostKeyCheck::Trusted(_));
    assert!(trusted("a.example.com") && trusted("x.y.example.com") && trusted("host"));
    assert!(!trusted("bad.example.com") && !trusted("example.com") && !trusted("hoost"));
}

#[test]
fn cert_authority_and_malformed_lines_are_skipped() {
    let k = known(&format!(
        "@cert-authority * ssh-ed25519 {ED25519}\nexample.com ssh-ed25519 !!notbase64\nexample.com\n"
    ));
    assert_eq!(
        k.check("example.com", 22, &key(ED25519)),
        HostKeyCheck::Unknown
    );
}

#[test]
fn missing_files_are_empty_unless_required() {
    let missing = Path::new("/nonexistent/known_hosts");
    assert!(
        KnownHosts::load(&[missing], false)
            .unwrap()
            .entries
            .is_empty()
    );
    let err = KnownHosts::load(&[missing], true).unwrap_err();
    assert!(
        err.to_string().contains("/nonexistent/known_hosts"),
        "{err}"
    );
}

#[test]
fn blob_key_type_reads_the_embedded_name() {
    assert_eq!(blob_key_type(&key(ED25519)).as_deref(), Some("ssh-ed25519"));
    assert_eq!(blob_key_type(&[0, 0]), None);
    assert_eq!(lookup_name("Host", 22), "host");
    assert_eq!(lookup_name("::1", 2222), "[::1]:2222");
}
