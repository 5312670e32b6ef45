//! Secrets given through env vars, secrets.toml and a bucket URL never appear in any output of
//! a succeeding or a failing run, with or without `STOWAGE_LOG=debug`, nor in `config show`.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::*;

const ENV_SECRET: &str = "env-SECRET-4f9a1c77";
const TOML_SECRET: &str = "toml-SECRET-7b2e90aa";
const SFTP_SECRET: &str = "sftp-SECRET-0d1e2f33";
const URL_SECRET: &str = "url-SECRET-9c3d5e11";
const KWARGS_SECRET: &str = "kwargs-SECRET-a1b2c3d4";
const ALL: &[&str] = &[
    ENV_SECRET,
    TOML_SECRET,
    SFTP_SECRET,
    URL_SECRET,
    KWARGS_SECRET,
];

/// A project whose secrets.toml holds secrets for every scheme.
fn project(work: &Path) {
    std::fs::create_dir_all(work.join(".dlt")).unwrap();
    std::fs::write(
        work.join(".dlt/secrets.toml"),
        format!(
            "[destination.filesystem.credentials]\naws_session_token = \"{TOML_SECRET}\"\n\
             sftp_username = \"nobody\"\nsftp_password = \"{SFTP_SECRET}\"\n"
        ),
    )
    .unwrap();
    write_ndjson(&work.join("good.ndjson"), 20);
    std::fs::write(work.join("bad.ndjson"), "{\"a\": 1}\n{oops\n").unwrap();
}

/// The same command, plain and with `STOWAGE_LOG=debug`; both outputs.
fn both_log_levels(make: impl Fn() -> Command) -> Vec<Output> {
    let plain = run(&mut make());
    let mut debug = make();
    debug.env("STOWAGE_LOG", "debug");
    vec![plain, run(&mut debug)]
}

fn with_secrets(mut cmd: Command) -> Command {
    cmd.env(
        "DESTINATION__FILESYSTEM__CREDENTIALS__AWS_SECRET_ACCESS_KEY",
        ENV_SECRET,
    )
    .env(
        "DESTINATION__FILESYSTEM__CREDENTIALS__AWS_ACCESS_KEY_ID",
        "test",
    );
    cmd
}

/// A secret inside a dict setting (backends that do not know the key refuse it: a failure).
fn with_kwargs_secret(mut cmd: Command) -> Command {
    cmd.env(
        "DESTINATION__FILESYSTEM__CLIENT_KWARGS",
        format!(r#"{{"api_password": "{KWARGS_SECRET}"}}"#),
    );
    cmd
}

fn assert_no_secret(outputs: &[Output], what: &str) {
    for out in outputs {
        let (stdout, stderr) = text(out);
        for secret in ALL {
            assert!(
                !stdout.contains(secret) && !stderr.contains(secret),
                "{what}: `{secret}` leaked\nstdout: {stdout}\nstderr: {stderr}"
            );
        }
    }
}

#[test]
fn local_runs_and_config_show_never_print_secrets() {
    let Some(plugins) = plugin_dir() else { return };
    let work = tempfile::tempdir().unwrap();
    project(work.path());
    let bucket = format!("file://{}", work.path().join("bucket").display());
    let cmd = |args: &[&str]| {
        let mut c = with_secrets(stowage(&plugins, work.path()));
        c.args(args);
        c
    };

    let ok = both_log_levels(|| {
        cmd(&[
            "run",
            "good.ndjson",
            "--table",
            "t",
            "--bucket-url",
            &bucket,
        ])
    });
    assert!(ok.iter().all(|o| o.status.success()), "{:?}", text(&ok[0]));
    assert!(text(&ok[1]).1.contains("debug: setting"), "debug log is on");
    assert_no_secret(&ok, "succeeding local run");

    let failed =
        both_log_levels(|| cmd(&["run", "bad.ndjson", "--table", "t", "--bucket-url", &bucket]));
    assert!(failed.iter().all(|o| o.status.code() == Some(1)));
    assert_no_secret(&failed, "failing local run");

    let refused_kwargs = both_log_levels(|| {
        with_kwargs_secret(cmd(&[
            "run",
            "good.ndjson",
            "--table",
            "t",
            "--bucket-url",
            &bucket,
        ]))
    });
    assert!(refused_kwargs.iter().all(|o| o.status.code() == Some(1)));
    assert!(
        text(&refused_kwargs[0])
            .1
            .contains("client_kwargs.api_password"),
        "{:?}",
        text(&refused_kwargs[0])
    );
    assert_no_secret(&refused_kwargs, "local run refusing a secret client_kwargs");

    let sftp_url = format!("sftp://nobody:{URL_SECRET}@127.0.0.1:1/data");
    let refused = both_log_levels(|| {
        cmd(&[
            "run",
            "good.ndjson",
            "--table",
            "t",
            "--bucket-url",
            &sftp_url,
        ])
    });
    assert!(refused.iter().all(|o| !o.status.success()));
    assert_no_secret(&refused, "failing sftp run (password in URL)");

    let sftp_ok_url = "sftp://127.0.0.1:1/data";
    let unreachable = both_log_levels(|| {
        cmd(&[
            "run",
            "good.ndjson",
            "--table",
            "t",
            "--bucket-url",
            sftp_ok_url,
        ])
    });
    assert!(unreachable.iter().all(|o| !o.status.success()));
    assert_no_secret(&unreachable, "failing sftp run (server unreachable)");

    let s3_show = both_log_levels(|| cmd(&["config", "show", "--all", "--bucket-url", "s3://b/x"]));
    let json_show = both_log_levels(|| {
        with_kwargs_secret(cmd(&[
            "config",
            "show",
            "--json",
            "--bucket-url",
            &sftp_url,
        ]))
    });
    assert!(s3_show.iter().chain(&json_show).all(|o| o.status.success()));
    assert!(
        text(&s3_show[0]).0.contains("aws_session_token"),
        "{}",
        text(&s3_show[0]).0
    );
    assert_no_secret(&s3_show, "config show");
    assert_no_secret(&json_show, "config show --json");
}

#[test]
fn s3_runs_that_succeed_and_fail_never_print_secrets() {
    let Some(plugins) = plugin_dir() else { return };
    let Some(moto) = server_env("EMU_S3_ENDPOINT") else {
        return;
    };
    let Some(auth) = server_env("EMU_S3_AUTH_ENDPOINT") else {
        return;
    };
    let work = tempfile::tempdir().unwrap();
    project(work.path());
    let bucket = format!(
        "stowage-secrets-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
            % 1_000_000_000
    );
    moto_bucket(&moto, &bucket);
    let cmd = |endpoint: &str, key_id: &str| {
        let mut c = with_secrets(stowage(&plugins, work.path()));
        c.env(
            "DESTINATION__FILESYSTEM__CREDENTIALS__ENDPOINT_URL",
            endpoint,
        )
        .env(
            "DESTINATION__FILESYSTEM__CREDENTIALS__AWS_ACCESS_KEY_ID",
            key_id,
        )
        .env(
            "DESTINATION__FILESYSTEM__CREDENTIALS__REGION_NAME",
            "us-east-1",
        )
        .args(["run", "good.ndjson", "--table", "t", "--bucket-url"])
        .arg(format!("s3://{bucket}/data"));
        c
    };
    let ok = both_log_levels(|| cmd(&moto, "test"));
    for out in &ok {
        assert!(out.status.success(), "{:?}", text(out));
    }
    assert_no_secret(&ok, "succeeding s3 run");

    let denied = both_log_levels(|| cmd(&auth, "emuaccess"));
    for out in &denied {
        assert_eq!(out.status.code(), Some(1), "{:?}", text(out));
    }
    assert_no_secret(&denied, "s3 run with a wrong secret");
}
