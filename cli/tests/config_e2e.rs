//! `stowage init`, configuration through files, env vars and flags, `config show`, exit codes,
//! `--json`, `--help` examples and completions, through the built binary.

mod common;

use std::io::Read;
use std::path::Path;
use std::process::Command;

use common::*;

/// `stowage` run in `project` (pipelines dir and global dir under `work`).
fn in_project(plugins: &Path, work: &Path, project: &Path) -> Command {
    let mut cmd = stowage(plugins, work);
    cmd.current_dir(project);
    cmd
}

fn file_url(path: &Path) -> String {
    format!("file://{}", path.display())
}

fn write_config(project: &Path, config_toml: &str) {
    std::fs::create_dir_all(project.join(".dlt")).unwrap();
    std::fs::write(project.join(".dlt/config.toml"), config_toml).unwrap();
}

fn markers(bucket: &Path) -> Vec<String> {
    files_under(bucket)
        .into_iter()
        .filter(|f| f.contains("/_dlt_loads/"))
        .collect()
}

fn gunzip_lines(path: &Path) -> usize {
    let mut text = String::new();
    flate2::read::GzDecoder::new(std::fs::File::open(path).unwrap())
        .read_to_string(&mut text)
        .unwrap();
    text.lines().count()
}

#[test]
fn init_then_run_with_no_flags_loads_the_sample() {
    let Some(plugins) = plugin_dir() else { return };
    let work = tempfile::tempdir().unwrap();
    let project = work.path().join("project");
    std::fs::create_dir(&project).unwrap();
    let bucket = work.path().join("bucket");
    let url = file_url(&bucket);

    let out = run(in_project(&plugins, work.path(), &project).args([
        "init",
        "chess",
        "filesystem",
        "--bucket-url",
        &url,
    ]));
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("stowage run"), "{stdout}");
    for file in [
        ".dlt/config.toml",
        ".dlt/secrets.toml",
        ".gitignore",
        "chess_games.ndjson",
    ] {
        assert!(project.join(file).is_file(), "{file} missing");
    }
    let gitignore = std::fs::read_to_string(project.join(".gitignore")).unwrap();
    assert!(
        gitignore.lines().any(|l| l == ".dlt/secrets.toml"),
        "{gitignore}"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(project.join(".dlt/secrets.toml"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(
            mode & 0o077,
            0,
            "secrets.toml is readable by others: {mode:o}"
        );
    }

    let out = run(in_project(&plugins, work.path(), &project).arg("run"));
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("loaded 40 rows into `games`"), "{stdout}");
    assert!(
        !stderr.contains("warning"),
        "no warnings expected: {stderr}"
    );
    let dataset = bucket.join("chess_data");
    let data: Vec<String> = files_under(&dataset.join("games"));
    assert_eq!(data.len(), 1, "{data:?}");
    assert_eq!(gunzip_lines(&dataset.join("games").join(&data[0])), 40);
    let marks = markers(&bucket);
    assert!(
        marks.len() == 1 && marks[0].starts_with("chess_data/_dlt_loads/chess_pipeline__"),
        "{marks:?}"
    );

    let out = run(in_project(&plugins, work.path(), &project).args(["run", "--json"]));
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(summary["status"], "ok");
    assert_eq!(summary["rows"], 40);
    assert_eq!(summary["pipeline"], "chess_pipeline");
    assert_eq!(summary["source"], "chess");
    assert_eq!(markers(&bucket).len(), 2);

    let out = run(in_project(&plugins, work.path(), &project).args(["load", "--json"]));
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (
            summary["status"].as_str(),
            summary["loads"].as_array().map(Vec::len)
        ),
        (Some("ok"), Some(0))
    );
}

#[test]
fn init_protects_an_existing_project_and_checks_its_arguments() {
    let Some(plugins) = plugin_dir() else { return };
    let work = tempfile::tempdir().unwrap();
    let init = |args: &[&str]| {
        run(in_project(&plugins, work.path(), work.path())
            .arg("init")
            .args(args))
    };
    assert!(
        init(&["events", "filesystem", "--bucket-url", "bucket"])
            .status
            .success()
    );
    std::fs::write(work.path().join(".gitignore"), "target/\n").unwrap();
    let again = init(&["events", "filesystem"]);
    let (_, stderr) = text(&again);
    assert_eq!(again.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("--force"), "{stderr}");
    let wrong = init(&["events", "duckdb"]);
    assert_eq!(wrong.status.code(), Some(2));
    assert!(text(&wrong).1.contains("filesystem"));
    let bad_name = init(&["my events", "filesystem"]);
    assert_eq!(bad_name.status.code(), Some(2));
    let forced = init(&[
        "events",
        "filesystem",
        "--force",
        "--bucket-url",
        "gs://b/x",
    ]);
    assert!(forced.status.success(), "{:?}", text(&forced));
    let secrets = std::fs::read_to_string(work.path().join(".dlt/secrets.toml")).unwrap();
    assert!(
        secrets.contains("private_key = \"<configure me>\""),
        "{secrets}"
    );
    let gitignore = std::fs::read_to_string(work.path().join(".gitignore")).unwrap();
    assert!(
        gitignore.starts_with("target/\n") && gitignore.contains(".dlt/secrets.toml"),
        "{gitignore}"
    );
}

#[test]
fn s3_placeholders_stop_the_run_with_a_config_error() {
    let Some(plugins) = plugin_dir() else { return };
    let work = tempfile::tempdir().unwrap();
    assert!(
        run(in_project(&plugins, work.path(), work.path()).args(["init", "chess", "filesystem"]))
            .status
            .success()
    );
    let secrets = std::fs::read_to_string(work.path().join(".dlt/secrets.toml")).unwrap();
    assert!(
        secrets.contains("aws_secret_access_key = \"<configure me>\""),
        "{secrets}"
    );
    let out = run(in_project(&plugins, work.path(), work.path()).arg("run"));
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(
        stderr.contains("<configure me>") && stderr.contains("config.toml:"),
        "{stderr}"
    );
}

#[test]
fn env_beats_config_flags_beat_env_and_pipeline_sections_come_first() {
    let Some(plugins) = plugin_dir() else { return };
    let work = tempfile::tempdir().unwrap();
    let project = work.path();
    let b = |name: &str| project.join(name);
    write_ndjson(&project.join("in.ndjson"), 5);
    write_config(
        project,
        &format!(
            "[destination.filesystem]\nbucket_url = \"{}\"\n[p1.destination.filesystem]\nbucket_url = \"{}\"\n",
            file_url(&b("from_config")),
            file_url(&b("from_scope"))
        ),
    );
    let load = |extra: &[&str], env: Option<&str>| {
        let mut cmd = in_project(&plugins, project, project);
        cmd.args(["run", "in.ndjson", "--table", "t"]).args(extra);
        if let Some(url) = env {
            cmd.env("DESTINATION__FILESYSTEM__BUCKET_URL", url);
        }
        let out = run(&mut cmd);
        assert!(out.status.success(), "{:?}", text(&out));
    };
    load(&[], None);
    assert_eq!(markers(&b("from_config")).len(), 1);
    let env_url = file_url(&b("from_env"));
    load(&[], Some(&env_url));
    assert_eq!(markers(&b("from_env")).len(), 1);
    load(
        &["--bucket-url", &file_url(&b("from_flag"))],
        Some(&env_url),
    );
    assert_eq!(markers(&b("from_flag")).len(), 1);
    load(&["--pipeline", "p1"], Some(&env_url));
    assert_eq!(
        markers(&b("from_scope")).len(),
        1,
        "pipeline-scoped config beats plain env"
    );
    assert_eq!(markers(&b("from_env")).len(), 1);
}

#[test]
fn named_destinations_and_data_writer_settings_apply() {
    let Some(plugins) = plugin_dir() else { return };
    let work = tempfile::tempdir().unwrap();
    let project = work.path();
    write_ndjson(&project.join("in.ndjson"), 5);
    write_config(
        project,
        &format!(
            "[destination.filesystem]\nbucket_url = \"{}\"\n\
             [destination.lake]\ndestination_type = \"filesystem\"\nbucket_url = \"{}\"\n\
             [data_writer]\ndisable_compression = true\n",
            file_url(&project.join("plain")),
            file_url(&project.join("lake"))
        ),
    );
    let out = run(in_project(&plugins, project, project).args([
        "run",
        "in.ndjson",
        "--table",
        "t",
        "--destination",
        "lake",
    ]));
    assert!(out.status.success(), "{:?}", text(&out));
    let files = files_under(&project.join("lake/stowage_dataset/t"));
    assert!(
        files.len() == 1 && files[0].ends_with(".jsonl"),
        "{files:?}"
    );
    assert!(!project.join("plain").exists());

    let out = run(in_project(&plugins, project, project).args([
        "run",
        "in.ndjson",
        "--table",
        "t",
        "--destination",
        "nowhere",
    ]));
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("[destination.nowhere]"), "{stderr}");
}

#[test]
fn config_show_names_every_source_and_warns_about_typos() {
    let Some(plugins) = plugin_dir() else { return };
    let work = tempfile::tempdir().unwrap();
    let project = work.path();
    write_config(
        project,
        "[sources.chess]\ninput = \"g.ndjson\"\n\n[destination.filesystem]\nbucket_ur = \"x\"\nbucket_url = \"s3://b/p\"\n",
    );
    std::fs::write(
        project.join(".dlt/secrets.toml"),
        "[destination.filesystem.credentials]\naws_secret_access_key = \"show-SECRET-1234\"\n",
    )
    .unwrap();
    let mut cmd = in_project(&plugins, project, project);
    cmd.args(["config", "show", "--json"]).env(
        "DESTINATION__FILESYSTEM__CREDENTIALS__AWS_ACCESS_KEY_ID",
        "AKIA_SHOW",
    );
    let out = run(&mut cmd);
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stderr}");
    assert!(!stdout.contains("show-SECRET-1234") && !stderr.contains("show-SECRET-1234"));
    assert!(
        stderr.contains("config.toml:5") && stderr.contains("did you mean `bucket_url`?"),
        "{stderr}"
    );
    let doc: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(doc["source"], "chess");
    let setting = |key: &str| {
        doc["settings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["key"] == key)
            .unwrap_or_else(|| panic!("{key} missing"))
            .clone()
    };
    let url = setting("destination.filesystem.bucket_url");
    assert_eq!(
        (
            url["source"]["kind"].as_str(),
            url["source"]["line"].as_u64()
        ),
        (Some("file"), Some(6))
    );
    let secret = setting("destination.filesystem.credentials.aws_secret_access_key");
    assert_eq!(
        (secret["value"].as_str(), secret["secret"].as_bool()),
        (Some("***"), Some(true))
    );
    let key_id = setting("destination.filesystem.credentials.aws_access_key_id");
    assert_eq!(
        key_id["source"]["var"],
        "DESTINATION__FILESYSTEM__CREDENTIALS__AWS_ACCESS_KEY_ID"
    );
    assert_eq!(setting("sources.chess.input")["value"], "g.ndjson");

    let out = run(in_project(&plugins, project, project).args(["config", "show"]));
    let (stdout, _) = text(&out);
    assert!(
        stdout.contains("destination.filesystem.credentials.aws_secret_access_key = ***"),
        "{stdout}"
    );
}

#[test]
fn a_secret_in_config_toml_is_refused_without_showing_it() {
    let Some(plugins) = plugin_dir() else { return };
    let work = tempfile::tempdir().unwrap();
    let project = work.path();
    write_ndjson(&project.join("in.ndjson"), 3);
    write_config(
        project,
        "[destination.filesystem]\nbucket_url = \"s3://never-contacted/x\"\n\
         [destination.filesystem.credentials]\naws_secret_access_key = \"cfg-SECRET-5678\"\n",
    );
    let out = run(in_project(&plugins, project, project).args([
        "run",
        "in.ndjson",
        "--table",
        "t",
        "--json",
    ]));
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(
        stderr.contains("config.toml") && stderr.contains("secrets.toml"),
        "{stderr}"
    );
    let doc: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(
        (doc["status"].as_str(), doc["exit_code"].as_i64()),
        (Some("error"), Some(3))
    );
    assert!(!stdout.contains("cfg-SECRET") && !stderr.contains("cfg-SECRET"));
}

#[test]
fn failures_and_usage_errors_have_distinct_exit_codes() {
    let Some(plugins) = plugin_dir() else { return };
    let work = tempfile::tempdir().unwrap();
    let project = work.path();
    let missing = run(in_project(&plugins, project, project).args([
        "run",
        "missing.ndjson",
        "--table",
        "t",
        "--json",
    ]));
    assert_eq!(missing.status.code(), Some(1));
    let doc: serde_json::Value = serde_json::from_slice(&missing.stdout).unwrap();
    assert_eq!(doc["status"], "error");
    let nothing = run(in_project(&plugins, project, project).arg("run"));
    let (_, stderr) = text(&nothing);
    assert_eq!(nothing.status.code(), Some(2));
    assert!(stderr.contains("stowage init"), "{stderr}");
    let no_table = run(in_project(&plugins, project, project).args(["run", "x.ndjson"]));
    assert_eq!(no_table.status.code(), Some(2));
    let bad_flag = run(in_project(&plugins, project, project).args(["run", "--no-such-flag"]));
    assert_eq!(bad_flag.status.code(), Some(2));
    write_config(project, "[destination.filesystem\nbucket_url = 1\n");
    let bad_toml =
        run(in_project(&plugins, project, project).args(["run", "x.ndjson", "--table", "t"]));
    let (_, stderr) = text(&bad_toml);
    assert_eq!(bad_toml.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains(".dlt/config.toml:1:"), "{stderr}");
}

#[test]
fn every_subcommand_has_help_examples_and_completions_exist() {
    let Some(plugins) = plugin_dir() else { return };
    let work = tempfile::tempdir().unwrap();
    for sub in [
        &["init"][..],
        &["run"],
        &["load"],
        &["plugins"],
        &["config", "show"],
        &["completions"],
    ] {
        let out = run(stowage(&plugins, work.path()).args(sub).arg("--help"));
        let (stdout, _) = text(&out);
        assert!(
            out.status.success() && stdout.contains("Examples:"),
            "{sub:?}: {stdout}"
        );
    }
    let top = text(&run(stowage(&plugins, work.path()).arg("--help"))).0;
    assert!(
        top.contains("Exit codes:") && top.contains("3  configuration error"),
        "{top}"
    );
    for shell in ["bash", "zsh", "fish"] {
        let out = run(stowage(&plugins, work.path()).args(["completions", shell]));
        let (stdout, _) = text(&out);
        assert!(
            out.status.success() && stdout.contains("init") && stdout.contains("bucket-url"),
            "{shell}"
        );
    }
}
