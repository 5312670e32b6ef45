use super::*;
use crate::url::parse_bucket_url;

fn env() -> ClientEnv {
    ClientEnv {
        home: Some(PathBuf::from("/home/me")),
        local_user: Some("me".into()),
    }
}

fn config(url: &str, pairs: &[(&str, &str)]) -> Result<SftpConfig> {
    SftpConfig::new(
        parse_bucket_url(url).unwrap(),
        Options::new(pairs.iter().copied()),
        &env(),
    )
}

#[test]
fn defaults_follow_dlt_and_paramiko() {
    let c = config("sftp://h/data", &[]).unwrap();
    assert_eq!((c.username.as_str(), c.port), ("me", 22));
    assert!(c.allow_agent && !c.compress);
    assert_eq!(c.host_key_policy, HostKeyPolicy::Strict);
    assert_eq!(c.timeouts, Timeouts::default());
    let names: Vec<_> = c
        .default_keys
        .iter()
        .map(|p| p.file_name().unwrap().to_str().unwrap())
        .collect();
    assert_eq!(names, ["id_rsa", "id_dsa", "id_ecdsa", "id_ed25519"]);
    assert_eq!(
        c.known_hosts.files(),
        [
            Path::new("/home/me/.ssh/known_hosts"),
            Path::new("/etc/ssh/ssh_known_hosts")
        ]
    );
}

#[test]
fn every_option_is_taken() {
    let c = config(
        "sftp://h/data",
        &[
            ("sftp_username", "u"),
            ("sftp_port", "2222"),
            ("sftp_password", "pw"),
            ("sftp_key_filename", "~/keys/k"),
            ("sftp_key_passphrase", "pp"),
            ("sftp_allow_agent", "false"),
            ("sftp_look_for_keys", "False"),
            ("sftp_timeout", "2.5"),
            ("sftp_banner_timeout", "3"),
            ("sftp_auth_timeout", "4"),
            ("sftp_channel_timeout", "5"),
            ("sftp_compress", "true"),
            ("sftp_known_hosts", "~/kh"),
            ("sftp_host_key_policy", "accept-new"),
            ("sftp_gss_auth", "false"),
            ("sftp_gss_kex", "false"),
            ("sftp_gss_deleg_creds", "true"),
            ("sftp_gss_host", "kdc"),
            ("sftp_gss_trust_dns", "true"),
        ],
    )
    .unwrap();
    assert_eq!((c.username.as_str(), c.port), ("u", 2222));
    assert_eq!(c.password, Some(Secret::new("pw")));
    assert_eq!(c.key_filename, Some(PathBuf::from("/home/me/keys/k")));
    assert_eq!(c.key_passphrase, Some(Secret::new("pp")));
    assert!(!c.allow_agent && c.default_keys.is_empty() && c.compress);
    assert_eq!(c.timeouts.connect_and_io, Duration::from_millis(2500));
    assert_eq!(c.timeouts.banner, Duration::from_secs(3));
    assert_eq!(c.timeouts.auth, Duration::from_secs(4));
    assert_eq!(c.timeouts.channel, Duration::from_secs(5));
    assert_eq!(
        c.known_hosts,
        KnownHostsSource::Configured(PathBuf::from("/home/me/kh"))
    );
    assert_eq!(c.host_key_policy, HostKeyPolicy::AcceptNew);
}

#[test]
fn url_user_and_port_win_unless_they_conflict() {
    let c = config(
        "sftp://u@h:2222/x",
        &[("sftp_username", "u"), ("sftp_port", "2222")],
    )
    .unwrap();
    assert_eq!((c.username.as_str(), c.port), ("u", 2222));
    let err = config("sftp://u@h/x", &[("sftp_username", "other")]).unwrap_err();
    assert!(err.to_string().contains("differs"), "{err}");
    let err = config("sftp://h:2222/x", &[("sftp_port", "22")]).unwrap_err();
    assert!(err.to_string().contains("port"), "{err}");
}

#[test]
fn unknown_options_are_named() {
    let err = config("sftp://h/x", &[("sftp_pasword", "x")]).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
    assert!(err.to_string().contains("`sftp_pasword`"), "{err}");
}

#[test]
fn code_only_dlt_options_are_rejected_by_name() {
    for key in [
        "sftp_pkey",
        "sftp_sock",
        "sftp_disabled_algorithms",
        "sftp_transport_factory",
        "sftp_auth_strategy",
    ] {
        let err = config("sftp://h/x", &[(key, "{}")]).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Unsupported);
        let msg = err.to_string();
        assert!(
            msg.contains(&format!("`{key}`")) && msg.contains("Python code"),
            "{msg}"
        );
    }
    let err = config("sftp://h/x", &[("sftp_gss_auth", "true")]).unwrap_err();
    assert!(err.to_string().contains("GSS-API"), "{err}");
}

#[test]
fn bad_values_are_explained() {
    for (key, value, needle) in [
        ("sftp_timeout", "-1", "seconds"),
        ("sftp_timeout", "soon", "seconds"),
        ("sftp_port", "0", "port"),
        ("sftp_compress", "maybe", "true or false"),
        ("sftp_host_key_policy", "trusting", "accept-new"),
    ] {
        let err = config("sftp://h/x", &[(key, value)]).unwrap_err();
        assert!(err.to_string().contains(needle), "{key}: {err}");
    }
}

#[test]
fn a_user_is_required() {
    let url = parse_bucket_url("sftp://h/x").unwrap();
    let err = SftpConfig::new(url, Options::default(), &ClientEnv::default()).unwrap_err();
    assert!(err.to_string().contains("sftp_username"), "{err}");
}

#[test]
fn debug_never_shows_secrets() {
    let c = config(
        "sftp://h/x",
        &[
            ("sftp_password", "hunter2"),
            ("sftp_key_passphrase", "opensesame"),
        ],
    )
    .unwrap();
    let dbg = format!("{c:?}");
    assert!(
        !dbg.contains("hunter2") && !dbg.contains("opensesame"),
        "{dbg}"
    );
    assert!(dbg.contains("***"), "{dbg}");
}
