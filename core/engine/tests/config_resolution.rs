//! dlt's configuration resolution (spec §7), case by case: provider order, section fallbacks,
//! pipeline scope, named destinations, dict values, secrets never from config.toml, flags on top.

use std::path::Path;

use stowage::config::{Config, ConfigSources, FlagValue, Key, Source};

/// A project dir (and a global dir) with optional TOML files and env vars.
struct Project {
    dir: tempfile::TempDir,
    env: Vec<(String, String)>,
    flags: Vec<FlagValue>,
}

impl Project {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("project/.dlt")).unwrap();
        std::fs::create_dir_all(dir.path().join("global")).unwrap();
        Project {
            dir,
            env: Vec::new(),
            flags: Vec::new(),
        }
    }

    fn project(&self) -> std::path::PathBuf {
        self.dir.path().join("project")
    }

    fn config(self, text: &str) -> Self {
        write(&self.project().join(".dlt/config.toml"), text);
        self
    }

    fn secrets(self, text: &str) -> Self {
        write(&self.project().join(".dlt/secrets.toml"), text);
        self
    }

    fn global_config(self, text: &str) -> Self {
        write(&self.dir.path().join("global/config.toml"), text);
        self
    }

    fn env(mut self, name: &str, value: &str) -> Self {
        self.env.push((name.into(), value.into()));
        self
    }

    fn flag(mut self, key: &str, value: &str, flag: &str) -> Self {
        self.flags.push(FlagValue {
            key: key.into(),
            value: value.into(),
            flag: flag.into(),
        });
        self
    }

    fn load(&self) -> Config {
        Config::load(ConfigSources {
            project_dir: self.project(),
            global_dir: Some(self.dir.path().join("global")),
            env: self.env.clone(),
            flags: self.flags.clone(),
        })
        .unwrap()
    }
}

fn write(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap();
}

fn fs_key(name: &str) -> Key {
    Key::new(&["destination", "filesystem"], name)
}

fn bucket(config: &Config) -> (String, Source) {
    let r = config
        .text(&fs_key("bucket_url"))
        .unwrap()
        .expect("bucket_url set");
    (r.value, r.source)
}

fn option(options: &stowage::Options, key: &str) -> Option<String> {
    options
        .iter()
        .find(|(k, _)| *k == key)
        .map(|(_, v)| v.to_string())
}

const CONFIG_URL: &str = "[destination.filesystem]\nbucket_url = \"s3://from-config\"\n";
const SECRETS_URL: &str = "[destination.filesystem]\nbucket_url = \"s3://from-secrets\"\n";

#[test]
fn env_beats_secrets_beats_config() {
    let all = Project::new()
        .config(CONFIG_URL)
        .secrets(SECRETS_URL)
        .env("DESTINATION__FILESYSTEM__BUCKET_URL", "s3://from-env");
    let (url, source) = bucket(&all.load());
    assert_eq!(url, "s3://from-env");
    assert_eq!(
        source,
        Source::Env {
            var: "DESTINATION__FILESYSTEM__BUCKET_URL".into()
        }
    );

    let files = Project::new().config(CONFIG_URL).secrets(SECRETS_URL);
    let (url, source) = bucket(&files.load());
    assert_eq!(url, "s3://from-secrets");
    let Source::File { path, line, key } = source else {
        panic!("{source:?}")
    };
    assert!(path.ends_with(".dlt/secrets.toml"), "{path:?}");
    assert_eq!(
        (line, key.as_str()),
        (2, "destination.filesystem.bucket_url")
    );

    let config_only = Project::new().config(CONFIG_URL);
    assert_eq!(bucket(&config_only.load()).0, "s3://from-config");
}

#[test]
fn project_files_beat_global_files_and_globals_fill_gaps() {
    let p = Project::new()
        .config(CONFIG_URL)
        .global_config("[destination.filesystem]\nbucket_url = \"s3://global\"\nlayout = \"{table_name}/{load_id}.{ext}\"\n");
    let config = p.load();
    assert_eq!(bucket(&config).0, "s3://from-config");
    let layout = config.text(&fs_key("layout")).unwrap().unwrap();
    assert_eq!(layout.value, "{table_name}/{load_id}.{ext}");
    assert!(
        layout.source.to_string().contains("global/config.toml:3"),
        "{}",
        layout.source
    );
}

#[test]
fn sections_fall_back_to_destination_then_top_level() {
    let destination =
        Project::new().config("[destination]\nbucket_url = \"s3://destination-level\"\n");
    let (url, source) = bucket(&destination.load());
    assert_eq!(url, "s3://destination-level");
    assert!(
        source.to_string().ends_with("(destination.bucket_url)"),
        "{source}"
    );

    let top = Project::new().config("bucket_url = \"s3://top-level\"\n");
    assert_eq!(bucket(&top.load()).0, "s3://top-level");

    let env = Project::new().env("DESTINATION__BUCKET_URL", "s3://env-fallback");
    assert_eq!(bucket(&env.load()).0, "s3://env-fallback");
}

#[test]
fn within_a_provider_the_most_specific_section_wins() {
    let p = Project::new().config(
        "bucket_url = \"s3://top\"\n[destination]\nbucket_url = \"s3://dest\"\n\
         [destination.filesystem]\nbucket_url = \"s3://fs\"\n",
    );
    assert_eq!(bucket(&p.load()).0, "s3://fs");
}

#[test]
fn a_higher_provider_wins_even_with_a_less_specific_section() {
    let p = Project::new()
        .config(CONFIG_URL)
        .env("DESTINATION__BUCKET_URL", "s3://env-general");
    assert_eq!(bucket(&p.load()).0, "s3://env-general");
}

#[test]
fn credentials_fall_back_like_dlt() {
    // `DESTINATION__CREDENTIALS__ENDPOINT_URL` is picked up as fallback (spec §7 trace).
    let p = Project::new()
        .config("[destination.filesystem]\nbucket_url = \"s3://b\"\n[credentials]\nregion_name = \"eu-top\"\n")
        .secrets("[destination.credentials]\naws_access_key_id = \"AKIA_DEST\"\n")
        .env("DESTINATION__CREDENTIALS__ENDPOINT_URL", "http://127.0.0.1:9000");
    let options = p.load().backend_options("filesystem").unwrap();
    assert_eq!(
        option(&options, "endpoint_url").as_deref(),
        Some("http://127.0.0.1:9000")
    );
    assert_eq!(
        option(&options, "aws_access_key_id").as_deref(),
        Some("AKIA_DEST")
    );
    assert_eq!(option(&options, "region_name").as_deref(), Some("eu-top"));
    // The embedded `credentials` section is never dropped: a bare `endpoint_url` is not one.
    let bare = Project::new()
        .config("[destination.filesystem]\nbucket_url = \"s3://b\"\n")
        .env("ENDPOINT_URL__X", "ignored")
        .env(
            "DESTINATION__FILESYSTEM__ENDPOINT_URL",
            "http://not-a-credential",
        );
    let options = bare.load().backend_options("filesystem").unwrap();
    assert_eq!(option(&options, "endpoint_url"), None);
}

#[test]
fn pipeline_scope_comes_first_across_all_providers() {
    let p = Project::new()
        .config("[my_pipe.destination.filesystem]\nbucket_url = \"s3://scoped-config\"\n")
        .env("DESTINATION__FILESYSTEM__BUCKET_URL", "s3://unscoped-env");
    let mut config = p.load();
    assert_eq!(bucket(&config).0, "s3://unscoped-env");
    config.set_pipeline(Some("my_pipe"));
    let (url, source) = bucket(&config);
    assert_eq!(url, "s3://scoped-config");
    assert!(
        source
            .to_string()
            .ends_with("(my_pipe.destination.filesystem.bucket_url)"),
        "{source}"
    );
    config.set_pipeline(Some("other_pipe"));
    assert_eq!(bucket(&config).0, "s3://unscoped-env");

    let env_scoped = Project::new()
        .config("[my_pipe.destination.filesystem]\nbucket_url = \"s3://scoped-config\"\n")
        .env(
            "MY_PIPE__DESTINATION__BUCKET_URL",
            "s3://scoped-env-fallback",
        );
    let mut config = env_scoped.load();
    config.set_pipeline(Some("my_pipe"));
    assert_eq!(bucket(&config).0, "s3://scoped-env-fallback");
}

#[test]
fn named_destinations_do_not_fall_back_to_filesystem() {
    let p = Project::new().config(
        "[destination]\nlayout = \"{table_name}/{load_id}.{file_id}.{ext}\"\n\
         [destination.filesystem]\nbucket_url = \"s3://plain\"\nmax_state_files = 7\n\
         [destination.filesystem.credentials]\nregion_name = \"plain-region\"\n\
         [destination.my_bucket]\ndestination_type = \"filesystem\"\nbucket_url = \"file:///named\"\n",
    );
    let config = p.load();
    let named = config.destination("my_bucket").unwrap();
    assert!(named.is_named());
    assert_eq!(
        config.bucket_url(&named).unwrap().unwrap().value,
        "file:///named"
    );
    assert_eq!(config.uint(&named.key("max_state_files")).unwrap(), None);
    assert!(
        config.text(&named.key("layout")).unwrap().is_some(),
        "falls back to [destination]"
    );
    let cred = config.credential(&named, "region_name").unwrap();
    assert_eq!(cred, None);
    assert!(
        config.diagnostics().is_empty(),
        "{:?}",
        config.diagnostics()
    );

    let err = config.destination("nowhere").unwrap_err().to_string();
    assert!(
        err.contains("[destination.nowhere]")
            && err.contains("DESTINATION__NOWHERE__DESTINATION_TYPE"),
        "{err}"
    );
}

#[test]
fn named_destinations_can_be_declared_by_env_and_must_be_filesystem() {
    let p = Project::new()
        .env("DESTINATION__LAKE__DESTINATION_TYPE", "filesystem")
        .env("DESTINATION__LAKE__BUCKET_URL", "s3://lake")
        .env(
            "DESTINATION__LAKE__CREDENTIALS__AWS_ACCESS_KEY_ID",
            "AKIA_LAKE",
        )
        .env("DESTINATION__WAREHOUSE__DESTINATION_TYPE", "postgres");
    let config = p.load();
    let options = config.backend_options("lake").unwrap();
    assert_eq!(
        option(&options, "aws_access_key_id").as_deref(),
        Some("AKIA_LAKE")
    );
    let err = config.destination("warehouse").unwrap_err().to_string();
    assert!(err.contains("`postgres`"), "{err}");
}

#[test]
fn dicts_from_json_strings_inline_tables_and_tables() {
    let json_env = Project::new()
        .config("[destination.filesystem]\nbucket_url = \"s3://b\"\n")
        .env(
            "DESTINATION__FILESYSTEM__KWARGS",
            r#"{"auto_mkdir": true, "n": 3}"#,
        )
        .env(
            "DESTINATION__FILESYSTEM__CLIENT_KWARGS",
            r#"{"verify": "public.crt", "retries": {"max": 2}}"#,
        );
    let json_toml = Project::new().config(
        "[destination.filesystem]\nbucket_url = \"s3://b\"\nkwargs = '{\"auto_mkdir\": true, \"n\": 3}'\n\
         client_kwargs = '{\"verify\": \"public.crt\", \"retries\": {\"max\": 2}}'\n",
    );
    let inline = Project::new().config(
        "[destination.filesystem]\nbucket_url = \"s3://b\"\nkwargs = { auto_mkdir = true, n = 3 }\n\
         client_kwargs = { verify = \"public.crt\", retries = { max = 2 } }\n",
    );
    let table = Project::new().config(
        "[destination.filesystem]\nbucket_url = \"s3://b\"\n[destination.filesystem.kwargs]\n\
         auto_mkdir = true\nn = 3\n[destination.filesystem.client_kwargs]\nverify = \"public.crt\"\n\
         retries = { max = 2 }\n",
    );
    for p in [json_env, json_toml, inline, table] {
        let config = p.load();
        assert!(
            config.diagnostics().is_empty(),
            "{:?}",
            config.diagnostics()
        );
        let options = config.backend_options("filesystem").unwrap();
        let pairs: Vec<(&str, &str)> = options.iter().collect();
        assert_eq!(
            pairs,
            [
                ("client_kwargs.retries", r#"{"max":2}"#),
                ("client_kwargs.verify", "public.crt"),
                ("kwargs.auto_mkdir", "true"),
                ("kwargs.n", "3"),
            ]
        );
    }
}

#[test]
fn extra_placeholders_are_a_dict_too() {
    let p = Project::new()
        .config("[destination.filesystem]\nextra_placeholders = { team = \"data\", n = 1 }\n");
    let dict = p
        .load()
        .dict(&fs_key("extra_placeholders"))
        .unwrap()
        .unwrap();
    assert_eq!(dict.value["team"], "data");
    let bad = Project::new().env("DESTINATION__FILESYSTEM__EXTRA_PLACEHOLDERS", "{not json");
    let err = bad
        .load()
        .dict(&fs_key("extra_placeholders"))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("DESTINATION__FILESYSTEM__EXTRA_PLACEHOLDERS") && err.contains("JSON"),
        "{err}"
    );
}

#[test]
fn secrets_are_refused_from_config_toml() {
    let p = Project::new().config(
        "[destination.filesystem]\nbucket_url = \"s3://b\"\n\
         [destination.filesystem.credentials]\naws_access_key_id = \"AKIA_OK_IN_CONFIG\"\n\
         aws_secret_access_key = \"hunter2-in-config\"\n",
    );
    let config = p.load();
    let err = config
        .backend_options("filesystem")
        .unwrap_err()
        .to_string();
    assert!(err.contains("config.toml") && err.contains(":5"), "{err}");
    assert!(err.contains("secrets.toml"), "{err}");
    assert!(!err.contains("hunter2"), "{err}");
    let warnings: Vec<String> = config.diagnostics().iter().map(|d| d.to_string()).collect();
    assert!(
        warnings.len() == 1 && warnings[0].contains("aws_secret_access_key"),
        "{warnings:?}"
    );
    assert!(!warnings[0].contains("hunter2"));

    // A secret found first in a provider that may hold it is used; config.toml is not reached.
    let also_secret = Project::new()
        .config(
            "[destination.filesystem]\nbucket_url = \"s3://b\"\n\
             [destination.filesystem.credentials]\naws_secret_access_key = \"hunter2-in-config\"\n",
        )
        .secrets(
            "[destination.filesystem.credentials]\naws_secret_access_key = \"from-secrets\"\n",
        );
    let options = also_secret.load().backend_options("filesystem").unwrap();
    assert_eq!(
        option(&options, "aws_secret_access_key").as_deref(),
        Some("from-secrets")
    );
}

#[test]
fn flags_beat_every_provider_and_the_pipeline_scope() {
    let p = Project::new()
        .config("[my_pipe.destination.filesystem]\nbucket_url = \"s3://scoped\"\n")
        .env("DESTINATION__FILESYSTEM__BUCKET_URL", "s3://env")
        .flag(
            "destination.filesystem.bucket_url",
            "s3://flag",
            "--bucket-url",
        );
    let mut config = p.load();
    config.set_pipeline(Some("my_pipe"));
    let (url, source) = bucket(&config);
    assert_eq!(url, "s3://flag");
    assert_eq!(source.to_string(), "flag --bucket-url");
    config.set_flag(&fs_key("bucket_url"), "s3://later-flag", "--bucket-url");
    assert_eq!(bucket(&config).0, "s3://later-flag");
}

#[test]
fn backend_options_hold_only_the_schemes_credentials() {
    let secrets = "[destination.filesystem.credentials]\naws_access_key_id = \"AKIA\"\n\
                   aws_secret_access_key = \"s3-secret\"\nsftp_username = \"me\"\n\
                   sftp_password = \"sftp-secret\"\nsftp_port = 2222\nsftp_allow_agent = false\n\
                   vendor_token = \"v\"\n";
    let s3 = Project::new()
        .secrets(secrets)
        .env("DESTINATION__FILESYSTEM__BUCKET_URL", "s3://b");
    let keys: Vec<String> = s3
        .load()
        .backend_options("filesystem")
        .unwrap()
        .iter()
        .map(|(k, _)| k.to_string())
        .collect();
    assert_eq!(keys, ["aws_access_key_id", "aws_secret_access_key"]);

    let sftp = Project::new()
        .secrets(secrets)
        .env("DESTINATION__FILESYSTEM__BUCKET_URL", "sftp://host/data");
    let options = sftp.load().backend_options("filesystem").unwrap();
    assert_eq!(option(&options, "sftp_port").as_deref(), Some("2222"));
    assert_eq!(
        option(&options, "sftp_allow_agent").as_deref(),
        Some("false")
    );
    assert_eq!(option(&options, "aws_access_key_id"), None);

    let local = Project::new().secrets(secrets);
    assert!(
        local
            .load()
            .backend_options("filesystem")
            .unwrap()
            .is_empty()
    );

    let vendor = Project::new()
        .secrets(secrets)
        .env("DESTINATION__FILESYSTEM__BUCKET_URL", "memory://m");
    let options = vendor.load().backend_options("filesystem").unwrap();
    assert_eq!(option(&options, "vendor_token").as_deref(), Some("v"));
    assert_eq!(options.iter().count(), 7, "{options:?}");
}

#[test]
fn secrets_never_show_in_debug_output() {
    let p = Project::new()
        .secrets("[destination.filesystem.credentials]\naws_secret_access_key = \"hunter2\"\n")
        .env("DESTINATION__FILESYSTEM__BUCKET_URL", "s3://b")
        .env(
            "DESTINATION__FILESYSTEM__CREDENTIALS__AWS_SESSION_TOKEN",
            "tok-secret",
        );
    let config = p.load();
    let key = Key::new(&["destination", "filesystem"], "aws_secret_access_key")
        .embedded_in("credentials");
    let secret = config.secret(&key).unwrap().unwrap();
    assert_eq!(secret.value.expose(), "hunter2");
    let dest = config.destination("filesystem").unwrap();
    let resolved = config.resolved_backend_options(&dest).unwrap();
    let options = config.backend_options("filesystem").unwrap();
    let printed = format!(
        "{secret:?} {} {config:?} {resolved:?} {options:?} {:?}",
        secret.value,
        ConfigSources::from_process(None).unwrap()
    );
    for value in ["hunter2", "tok-secret"] {
        assert!(!printed.contains(value), "{printed}");
    }
}

#[test]
fn placeholders_must_be_filled_in() {
    let p = Project::new()
        .secrets("[destination.filesystem]\nbucket_url = \"<configure me>\" # fill this in!\n");
    let err = p
        .load()
        .text(&fs_key("bucket_url"))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("<configure me>") && err.contains("secrets.toml:2"),
        "{err}"
    );
}

#[test]
fn typed_values_name_their_source() {
    let p = Project::new()
        .config("[normalize.data_writer]\nbuffer_max_items = 100\n")
        .env("DATA_WRITER__DISABLE_COMPRESSION", "yes")
        .env("DATA_WRITER__FILE_MAX_ITEMS", "many");
    let config = p.load();
    let dw = |name| Key::new(&["normalize"], name).embedded_in("data_writer");
    assert_eq!(
        config.uint(&dw("buffer_max_items")).unwrap().unwrap().value,
        100
    );
    let compression = config.boolean(&dw("disable_compression")).unwrap().unwrap();
    assert!(compression.value);
    assert_eq!(
        compression.source.to_string(),
        "env DATA_WRITER__DISABLE_COMPRESSION"
    );
    let err = config.uint(&dw("file_max_items")).unwrap_err().to_string();
    assert!(
        err.contains("DATA_WRITER__FILE_MAX_ITEMS") && err.contains("`many`"),
        "{err}"
    );
}

#[test]
fn sources_come_from_any_provider_and_tables_are_never_scalars() {
    let p = Project::new()
        .config("[sources.chess]\ninput = \"games.ndjson\"\n[sources.rest_api]\nbase_url = \"x\"\n[destination.filesystem]\nbucket_url = \"s3://b\"\n")
        .env("SOURCES__EVENTS__INPUT", "events.ndjson");
    let config = p.load();
    assert_eq!(config.runnable_sources(), ["chess", "events"]);
    // `sources.chess.destination` falls back to the top-level `destination`, which is a
    // section, not a value: it is skipped, never returned (or printed).
    let key = Key::new(&["sources", "chess"], "destination");
    assert_eq!(config.text(&key).unwrap(), None);
    assert_eq!(config.raw(&key).unwrap(), None);
}
