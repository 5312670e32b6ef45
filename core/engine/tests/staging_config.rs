//! Config of database destinations: `[destination.duckdb|postgres]` and their `credentials`
//! are checked like the filesystem's (known keys accepted, typos reported with the key and a
//! did-you-mean, the password never in config.toml), `Config::show` lists them for a database
//! destination with every secret masked, and dlt's `destination_type` / `staging_type` are
//! listed under `pipelines.<pipeline>`.

mod config_support;

use config_support::{load, warnings};
use stowage::config::{ShowContext, ShownSetting, Source};

#[test]
fn known_database_keys_pass() {
    let (_dir, config) = load(
        "destination_type = \"postgres\"\nstaging_type = \"filesystem\"\n\
         [pipelines.p]\ndestination_type = \"duckdb\"\ndev_mode = false\n\
         [destination.postgres]\nstaging_dataset_name_layout = \"stg_%s\"\n\
         replace_strategy = \"insert-from-staging\"\nmerge_strategy = \"upsert\"\ncreate_indexes = true\n\
         [destination.postgres.credentials]\ndatabase = \"db\"\nusername = \"u\"\nhost = \"h\"\nport = 5432\n\
         connect_timeout = 3\nsslmode = \"disable\"\nclient_encoding = \"utf8\"\n\
         [destination.duckdb]\ncredentials = \"x.duckdb\"\nreplace_strategy = \"truncate-and-insert\"\n",
        "[destination.postgres.credentials]\npassword = \"pw\"\n",
        &[("DESTINATION__DUCKDB__CREDENTIALS__DATABASE", "y.duckdb")],
    );
    assert!(warnings(&config).is_empty(), "{:#?}", warnings(&config));
}

#[test]
fn typos_in_database_sections_name_the_key_and_a_suggestion() {
    let (_dir, config) = load(
        "[destination.postgres]\nmerge_stratgy = \"upsert\"\n\
         [destination.postgres.credentials]\nusernme = \"u\"\npassword = \"pw-in-config\"\n\
         [destination.duckdb]\nstaging_dataset_name_layot = \"x_%s\"\n\
         [destination.duckbd]\ncredentials = \"x\"\n\
         [pipelines.p]\ndestinaton_type = \"duckdb\"\n",
        "",
        &[("DESTINATION__POSTGRES__CREDENTIALS__PASWORD", "pw-env")],
    );
    let diagnostics = config.diagnostics();
    let all = warnings(&config).join("\n");
    for expected in [
        "unknown setting `merge_stratgy` in [destination.postgres]; did you mean `merge_strategy`?",
        "unknown setting `usernme` in [destination.postgres.credentials]; did you mean `username`?",
        "`password` is a secret, and config.toml never holds secrets",
        "env DESTINATION__POSTGRES__CREDENTIALS__PASWORD: unknown setting `pasword` in \
         [destination.postgres.credentials]; did you mean DESTINATION__POSTGRES__CREDENTIALS__PASSWORD?",
        "unknown setting `staging_dataset_name_layot` in [destination.duckdb]; did you mean \
         `staging_dataset_name_layout`?",
        "unknown setting `duckbd` in [destination]; did you mean `duckdb`?",
        "unknown setting `destinaton_type` in [pipelines.p]; did you mean `destination_type`?",
    ] {
        assert!(all.contains(expected), "missing {expected:?} in\n{all}");
    }
    assert!(
        !all.contains("pw-in-config") && !all.contains("pw-env"),
        "{all}"
    );
    let postgres = diagnostics
        .iter()
        .filter(|d| d.database.as_deref() == Some("postgres"))
        .count();
    let duckdb = diagnostics
        .iter()
        .filter(|d| d.database.as_deref() == Some("duckdb"))
        .count();
    assert_eq!((postgres, duckdb), (4, 1), "{all}");
}

fn find<'a>(shown: &'a [ShownSetting], key: &str) -> &'a ShownSetting {
    shown.iter().find(|s| s.key == key).unwrap_or_else(|| {
        panic!(
            "{key} not in {:#?}",
            shown.iter().map(|s| &s.key).collect::<Vec<_>>()
        )
    })
}

#[test]
fn show_lists_a_database_destination_with_secrets_masked() {
    let (_dir, mut config) = load(
        "[pipelines.p]\ndestination_type = \"postgres\"\n\
         [destination.filesystem]\nbucket_url = \"/tmp/stage\"\n\
         [destination.postgres]\nmerge_strategy = \"upsert\"\n\
         [destination.postgres.credentials]\nhost = \"db.local\"\n",
        "[destination.postgres.credentials]\npassword = \"field-secret\"\n",
        &[(
            "DESTINATION__POSTGRES__CREDENTIALS",
            "postgresql://me:conn-secret@h/db",
        )],
    );
    config.set_pipeline(Some("p"));
    let shown = config.show(&ShowContext {
        destination: "postgres".into(),
        source: None,
    });
    let text = format!("{shown:?}");
    assert!(
        !text.contains("conn-secret") && !text.contains("field-secret"),
        "{text}"
    );
    let conn = find(&shown, "destination.postgres.credentials");
    assert_eq!((conn.value.as_deref(), conn.secret), (Some("***"), true));
    let password = find(&shown, "destination.postgres.credentials.password");
    assert_eq!(password.value.as_deref(), Some("***"));
    assert!(
        matches!(password.source, Some(Source::File { .. })),
        "{password:?}"
    );
    let host = find(&shown, "destination.postgres.credentials.host");
    assert_eq!(host.value.as_deref(), Some("db.local"));
    let merge = find(&shown, "destination.postgres.merge_strategy");
    assert_eq!(merge.value.as_deref(), Some("upsert"));
    let layout = find(&shown, "destination.postgres.staging_dataset_name_layout");
    assert_eq!(
        (layout.value.as_deref(), layout.source.as_ref()),
        (Some("%s_staging"), Some(&Source::Default))
    );
    let bucket = find(&shown, "destination.filesystem.bucket_url");
    assert_eq!(bucket.value.as_deref(), Some("/tmp/stage"));
    let destination = find(&shown, "pipelines.p.destination_type");
    assert_eq!(destination.value.as_deref(), Some("postgres"));
    assert!(
        !shown
            .iter()
            .any(|s| s.key == "destination.filesystem.merge_strategy"),
        "the bucket's copy of a database setting is not listed for a database"
    );

    // A password in config.toml is an error on that row, never a value.
    let (_dir, config) = load(
        "[destination.postgres.credentials]\npassword = \"in-config\"\n",
        "",
        &[],
    );
    let shown = config.show(&ShowContext {
        destination: "postgres".into(),
        source: None,
    });
    let password = find(&shown, "destination.postgres.credentials.password");
    assert!(password.value.is_none(), "{password:?}");
    let error = password.error.as_deref().unwrap_or_default();
    assert!(
        error.contains("config.toml") && !error.contains("in-config"),
        "{error}"
    );
}

#[test]
fn filesystem_show_is_unchanged_by_database_settings() {
    let (_dir, config) = load(
        "[destination.filesystem]\nbucket_url = \"/tmp/b\"\n",
        "",
        &[],
    );
    let shown = config.show(&ShowContext {
        destination: "filesystem".into(),
        source: None,
    });
    assert!(
        !shown
            .iter()
            .any(|s| s.key.starts_with("destination.postgres"))
    );
    assert!(
        !shown
            .iter()
            .any(|s| s.key.starts_with("destination.duckdb"))
    );
    find(&shown, "destination.filesystem.replace_strategy");
    find(&shown, "pipelines.destination_type");
}
