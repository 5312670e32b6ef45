//! Unknown keys reported with a did-you-mean, and the listing behind `stowage config show`.

mod config_support;

use config_support::{load, warnings};
use stowage::config::{Config, ConfigSources, ShowContext, Source};

#[test]
fn unknown_keys_in_known_sections_get_a_did_you_mean() {
    let (_dir, config) = load(
        "[destination.filesystem]\nbucket_ur = \"s3://b\"\n\
         [destination.filesystem.credentials]\naws_acces_key_id = \"x\"\n\
         [normalize.data_writer]\nbuffer_max_item = 5\n\
         [my_pipe.load]\nworkerz = 3\n",
        "",
        &[("DESTINATION__FILESYSTEM__LAYOTU", "x")],
    );
    let w = warnings(&config);
    assert_eq!(w.len(), 5, "{w:#?}");
    let all = w.join("\n");
    for expected in [
        "config.toml:2 (destination.filesystem.bucket_ur): unknown setting `bucket_ur` in [destination.filesystem]; did you mean `bucket_url`?",
        "did you mean `aws_access_key_id`?",
        "did you mean `buffer_max_items`?",
        "unknown setting `workerz` in [my_pipe.load]; did you mean `workers`?",
        "env DESTINATION__FILESYSTEM__LAYOTU: unknown setting `layotu` in [destination.filesystem]; did you mean DESTINATION__FILESYSTEM__LAYOUT?",
    ] {
        assert!(all.contains(expected), "missing {expected:?} in\n{all}");
    }
}

#[test]
fn section_typos_are_caught_but_other_sections_are_left_alone() {
    let (_dir, config) = load(
        "[destination.filesytem]\nbucket_url = \"s3://b\"\n\
         [destinaton.filesystem]\nbucket_url = \"s3://b\"\n\
         [destination.bigquery]\nlocation = \"EU\"\n\
         [sources.rest_api]\nbase_url = \"https://x\"\n\
         [runtime]\nlog_level = \"WARNING\"\n\
         [my_own_section]\nanything = 1\n",
        "",
        &[
            ("DESTINATION__POSTGRES__CREDENTIALS", "postgres://x"),
            ("SOME__OTHER__VAR", "1"),
        ],
    );
    let w = warnings(&config);
    assert_eq!(w.len(), 2, "{w:#?}");
    assert!(
        w[0].contains("unknown setting `filesytem` in [destination]; did you mean `filesystem`?"),
        "{w:#?}"
    );
    assert!(
        w[1].contains("unknown section `destinaton`; did you mean `destination`?"),
        "{w:#?}"
    );
}

#[test]
fn named_destinations_and_sources_are_checked_with_their_own_keys() {
    let (_dir, config) = load(
        "[destination.lake]\ndestination_type = \"filesystem\"\nbucket_url = \"s3://b\"\nlayot = \"x\"\n\
         [sources.chess]\ninput = \"games.ndjson\"\ntabel = \"games\"\n",
        "",
        &[],
    );
    let all = warnings(&config).join("\n");
    assert!(
        all.contains("`layot` in [destination.lake]; did you mean `layout`?"),
        "{all}"
    );
    assert!(
        all.contains("`tabel` in [sources.chess]; did you mean `table`?"),
        "{all}"
    );
    assert_eq!(config.runnable_sources(), ["chess"]);
}

#[test]
fn show_lists_values_sources_and_masks_secrets() {
    let (_dir, config) = load(
        "[sources.chess]\ninput = \"games.ndjson\"\n\
         [destination.filesystem]\nbucket_url = \"sftp://me:pw-in-url@host/data\"\n\
         kwargs = { auto_mkdir = true, password = \"kw-secret\" }\n",
        "[destination.filesystem.credentials]\nsftp_password = \"sftp-secret\"\n",
        &[("DESTINATION__FILESYSTEM__CREDENTIALS__SFTP_USERNAME", "me")],
    );
    let shown = config.show(&ShowContext {
        destination: "filesystem".into(),
        source: Some("chess".into()),
    });
    let find = |key: &str| {
        shown
            .iter()
            .find(|s| s.key == key)
            .unwrap_or_else(|| panic!("{key}"))
    };
    let url = find("destination.filesystem.bucket_url");
    assert_eq!(url.value.as_deref(), Some("sftp://me:***@host/data"));
    assert_eq!(url.env_var, "DESTINATION__FILESYSTEM__BUCKET_URL");
    let password = find("destination.filesystem.credentials.sftp_password");
    assert!(password.secret);
    assert_eq!(password.value.as_deref(), Some("***"));
    assert!(
        password
            .source
            .as_ref()
            .unwrap()
            .to_string()
            .contains("secrets.toml:2")
    );
    let user = find("destination.filesystem.credentials.sftp_username");
    assert_eq!(user.value.as_deref(), Some("me"));
    let buffer = find("normalize.data_writer.buffer_max_items");
    assert_eq!(
        (buffer.value.as_deref(), &buffer.source),
        (Some("5000"), &Some(Source::Default))
    );
    let input = find("sources.chess.input");
    assert_eq!(input.value.as_deref(), Some("games.ndjson"));
    assert!(
        find("destination.filesystem.credentials.sftp_key_filename")
            .value
            .is_none()
    );
    assert!(
        shown
            .iter()
            .all(|s| s.key != "destination.filesystem.credentials.aws_access_key_id")
    );
    let printed = format!(
        "{shown:?} {}",
        serde_json::Value::Array(shown.iter().map(|s| s.to_json()).collect())
    );
    for secret in ["pw-in-url", "kw-secret", "sftp-secret"] {
        assert!(!printed.contains(secret), "{secret} leaked: {printed}");
    }
}

#[test]
fn show_keeps_errors_per_setting() {
    let (_dir, config) = load(
        "[destination.filesystem]\nbucket_url = \"s3://b\"\n\
         [destination.filesystem.credentials]\naws_secret_access_key = \"in-config\"\n",
        "",
        &[],
    );
    let shown = config.show(&ShowContext {
        destination: "filesystem".into(),
        source: None,
    });
    let secret = shown
        .iter()
        .find(|s| s.key.ends_with("aws_secret_access_key"))
        .unwrap();
    let error = secret.error.as_deref().unwrap();
    assert!(
        error.contains("config.toml") && !error.contains("in-config\""),
        "{error}"
    );
    assert!(
        shown
            .iter()
            .any(|s| s.key == "pipeline_name" && s.value.as_deref() == Some("stowage"))
    );
}

#[test]
fn invalid_toml_names_file_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join(".dlt")).unwrap();
    std::fs::write(
        dir.path().join(".dlt/secrets.toml"),
        "[destination.filesystem.credentials]\naws_secret_access_key = hunter2\n",
    )
    .unwrap();
    let err = Config::load(ConfigSources {
        project_dir: dir.path().to_path_buf(),
        ..ConfigSources::default()
    })
    .unwrap_err()
    .to_string();
    assert!(err.contains(".dlt/secrets.toml:2:"), "{err}");
    assert!(!err.contains("hunter2"), "{err}");
}
