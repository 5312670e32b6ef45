//! The upload comparison: the same load-package files to the loopback S3 server (moto, from
//! `cargo xtask servers`) with Stowage's S3 plugin (`stowage load`) and with
//! `aws s3 cp --recursive` (awscli from PyPI in its own venv, `<target>/bench/awscli-venv`).
//!
//! Per run: `stowage plan … --keep` normalizes the flat input into a pending package of
//! uncompressed jsonl files, rotated into 16 files (untimed); then `aws s3 cp --recursive` copies
//! that package's job files to one bucket and `stowage load` uploads the package to another
//! (both timed; Stowage also writes its few small bookkeeping objects); then both buckets are
//! deleted (untimed), so moto's memory does not grow between runs.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

use super::Runner;
use super::binaries::Binaries;
use super::cases::isolated;
use super::measure::Cost;
use super::workloads::Workload;
use crate::util::{self, Result};

/// The awscli pinned for the comparison.
const AWSCLI: &str = "awscli==1.45.11";
/// Files the package is rotated into.
const FILES: u64 = 16;

/// What the comparison measured.
#[derive(Debug, Clone)]
pub struct Upload {
    /// Bytes of the uploaded files.
    pub bytes: u64,
    /// Number of data files.
    pub files: usize,
    /// `stowage load`, one cost per run.
    pub stowage: Vec<Cost>,
    /// `aws s3 cp --recursive`, one cost per run.
    pub aws: Vec<Cost>,
}

/// How the comparison ended.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// Both tools ran every time.
    Measured(Upload),
    /// Not run: the servers or the s3 plugin are not available (why).
    Pending(String),
    /// A run failed.
    Failed(String),
}

/// Runs the comparison `runs` times.
pub fn compare(
    runner: &Runner,
    input: &Workload,
    binaries: &Binaries,
    server_env: &[(String, OsString)],
    runs: usize,
) -> Outcome {
    let s3 = match S3::from_servers(runner, binaries, server_env) {
        Ok(s3) => s3,
        Err(Unavailable::Pending(why)) => return Outcome::Pending(why),
        Err(Unavailable::Failed(why)) => return Outcome::Failed(why),
    };
    match all_runs(runner, input, binaries, &s3, runs) {
        Ok(upload) => Outcome::Measured(upload),
        Err(e) => Outcome::Failed(e),
    }
}

fn all_runs(
    runner: &Runner,
    input: &Workload,
    binaries: &Binaries,
    s3: &S3,
    runs: usize,
) -> Result<Upload> {
    let mut result = Upload {
        bytes: 0,
        files: 0,
        stowage: Vec::new(),
        aws: Vec::new(),
    };
    for rep in 0..runs {
        let tag = format!("{}-{rep}", std::process::id());
        let (stowage_bucket, aws_bucket) = (format!("bench-st-{tag}"), format!("bench-aws-{tag}"));
        for bucket in [&stowage_bucket, &aws_bucket] {
            s3.cli(&["s3", "mb", &format!("s3://{bucket}")])?;
        }
        let outcome = one_run(
            runner,
            input,
            binaries,
            s3,
            &stowage_bucket,
            &aws_bucket,
            rep,
        );
        for bucket in [&stowage_bucket, &aws_bucket] {
            let _ = s3.cli(&["s3", "rb", "--force", &format!("s3://{bucket}")]);
        }
        let (bytes, files, stowage, aws) = outcome?;
        eprintln!(
            "xtask: bench [{}/{runs}] upload {:.1} MB: stowage load {:.2} s, aws s3 cp {:.2} s",
            rep + 1,
            bytes as f64 / 1e6,
            stowage.wall,
            aws.wall
        );
        result.bytes = bytes;
        result.files = files;
        result.stowage.push(stowage);
        result.aws.push(aws);
    }
    Ok(result)
}

/// Why the S3 server cannot be used.
pub enum Unavailable {
    /// Not running, or the s3 plugin is missing.
    Pending(String),
    /// The awscli could not be installed.
    Failed(String),
}

/// The server and the awscli.
pub struct S3 {
    endpoint: String,
    access_key: String,
    secret_key: String,
    region: String,
    aws: PathBuf,
}

impl S3 {
    /// moto, the loopback S3 server of `cargo xtask servers`, and the awscli.
    pub fn from_servers(
        runner: &Runner,
        binaries: &Binaries,
        server_env: &[(String, OsString)],
    ) -> std::result::Result<S3, Unavailable> {
        S3::from_server(runner, binaries, server_env, "EMU_S3")
    }

    /// The server whose settings are `<prefix>_ENDPOINT`, `<prefix>_ACCESS_KEY`, … (`EMU_S3`:
    /// moto; `EMU_S3_AUTH`: s3s-fs, file-backed, with real ranged reads).
    pub fn from_server(
        runner: &Runner,
        binaries: &Binaries,
        server_env: &[(String, OsString)],
        prefix: &str,
    ) -> std::result::Result<S3, Unavailable> {
        let var = |key: &str| {
            server_env
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.to_string_lossy().into_owned())
        };
        let Some(endpoint) = var(&format!("{prefix}_ENDPOINT")) else {
            return Err(Unavailable::Pending(
                "the test servers are not running (`cargo xtask servers start`)".into(),
            ));
        };
        if let Some((_, why)) = binaries.missing.iter().find(|(name, _)| name == "s3") {
            return Err(Unavailable::Pending(format!("the s3 plugin is {why}")));
        }
        let aws = awscli(&runner.runs_dir).map_err(Unavailable::Failed)?;
        Ok(S3 {
            endpoint,
            access_key: var(&format!("{prefix}_ACCESS_KEY")).unwrap_or_else(|| "test".into()),
            secret_key: var(&format!("{prefix}_SECRET_KEY")).unwrap_or_else(|| "test".into()),
            region: var(&format!("{prefix}_REGION")).unwrap_or_else(|| "us-east-1".into()),
            aws,
        })
    }

    /// dlt's credential variables for Stowage.
    pub fn stowage_env(&self, cmd: &mut Command) {
        let key = |k: &str| format!("DESTINATION__FILESYSTEM__CREDENTIALS__{k}");
        cmd.env(key("AWS_ACCESS_KEY_ID"), &self.access_key)
            .env(key("AWS_SECRET_ACCESS_KEY"), &self.secret_key)
            .env(key("ENDPOINT_URL"), &self.endpoint)
            .env(key("REGION_NAME"), &self.region)
            .env("AWS_EC2_METADATA_DISABLED", "true");
    }

    /// An `aws --endpoint-url … ARGS` command with the keys in its environment.
    fn aws_command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(&self.aws);
        cmd.arg("--endpoint-url")
            .arg(&self.endpoint)
            .args(args)
            .env("AWS_ACCESS_KEY_ID", &self.access_key)
            .env("AWS_SECRET_ACCESS_KEY", &self.secret_key)
            .env("AWS_DEFAULT_REGION", &self.region)
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env_remove("AWS_PROFILE");
        cmd
    }

    /// Runs an untimed `aws` command (bucket setup and cleanup).
    pub fn cli(&self, args: &[&str]) -> Result<()> {
        let out = self
            .aws_command(args)
            .output()
            .map_err(|e| format!("cannot run {}: {e}", self.aws.display()))?;
        if out.status.success() {
            Ok(())
        } else {
            Err(format!(
                "aws {}: {}",
                args.join(" "),
                String::from_utf8_lossy(&out.stderr).trim()
            ))
        }
    }
}

type RunCosts = (u64, usize, Cost, Cost);

fn one_run(
    runner: &Runner,
    input: &Workload,
    binaries: &Binaries,
    s3: &S3,
    stowage_bucket: &str,
    aws_bucket: &str,
    rep: usize,
) -> Result<RunCosts> {
    let run_dir = runner.fresh_dir(&format!("upload-{rep}"))?;
    let pipelines = run_dir.join("pipelines");
    let stowage = |args: &[&str]| {
        let mut cmd = isolated(&binaries.host, &run_dir);
        cmd.arg("--plugin-dir")
            .arg(&binaries.plugin_dir)
            .args(args)
            .args(["--pipeline", "upload", "--dataset", "bench"])
            .arg("--pipelines-dir")
            .arg(&pipelines)
            .arg("--bucket-url")
            .arg(format!("s3://{stowage_bucket}"));
        s3.stowage_env(&mut cmd);
        cmd
    };
    let per_file = input.records.div_ceil(FILES).to_string();
    let input_path = input.path.to_string_lossy().into_owned();
    let mut plan = stowage(&[
        "plan",
        &input_path,
        "--table",
        "items",
        "--format",
        "jsonl",
        "--disable-compression",
        "--file-max-items",
        &per_file,
        "--keep",
        "--json",
    ]);
    quiet(&mut plan)?;
    let jobs = package_jobs(&pipelines.join("upload"))?;
    let (bytes, files) = dir_size(&jobs)?;

    let jobs_arg = jobs.to_string_lossy().into_owned();
    let target = format!("s3://{aws_bucket}/bench/items/");
    let aws = s3.aws_command(&["s3", "cp", "--recursive", "--quiet", &jobs_arg, &target]);
    let aws_cost = runner
        .meter
        .run(
            &aws,
            &runner
                .runs_dir
                .join("logs")
                .join(format!("upload-aws-{rep}")),
        )?
        .cost;
    let load = stowage(&["load", "--json"]);
    let load_cost = runner
        .meter
        .run(
            &load,
            &runner
                .runs_dir
                .join("logs")
                .join(format!("upload-stowage-{rep}")),
        )?
        .cost;
    let _ = std::fs::remove_dir_all(&run_dir);
    Ok((bytes, files, load_cost, aws_cost))
}

/// Runs an untimed command that may carry keys in its environment (shown without it).
pub fn quiet(cmd: &mut Command) -> Result<()> {
    eprintln!("xtask: $ {}", util::display_short(cmd));
    let out = cmd
        .output()
        .map_err(|e| format!("cannot run {}: {e}", util::display_short(cmd)))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "`{}` failed ({}): {}",
            util::display_short(cmd),
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

/// The `new_jobs` dir of the one pending package in a pipeline's working dir.
fn package_jobs(workdir: &Path) -> Result<PathBuf> {
    let normalized = workdir.join("load").join("normalized");
    let entries = std::fs::read_dir(&normalized)
        .map_err(|e| format!("cannot list {}: {e}", normalized.display()))?;
    let package = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| p.is_dir())
        .ok_or_else(|| format!("no pending package in {}", normalized.display()))?;
    Ok(package.join("new_jobs"))
}

/// Total bytes and number of files directly in `dir`.
fn dir_size(dir: &Path) -> Result<(u64, usize)> {
    let mut total = (0, 0);
    for entry in
        std::fs::read_dir(dir).map_err(|e| format!("cannot list {}: {e}", dir.display()))?
    {
        let meta = entry
            .and_then(|e| e.metadata())
            .map_err(|e| format!("cannot stat in {}: {e}", dir.display()))?;
        if meta.is_file() {
            total.0 += meta.len();
            total.1 += 1;
        }
    }
    Ok(total)
}

/// The `aws` program of `<runs_dir>/../awscli-venv`, installed from PyPI when missing.
fn awscli(runs_dir: &Path) -> Result<PathBuf> {
    let venv = runs_dir.parent().unwrap_or(runs_dir).join("awscli-venv");
    let aws = venv.join("bin").join("aws");
    let marker = venv.join("installed.txt");
    if aws.is_file() && std::fs::read_to_string(&marker).is_ok_and(|m| m.trim() == AWSCLI) {
        return Ok(aws);
    }
    let script = format!(
        "set -e; rm -rf '{venv}'; python3 -m venv '{venv}'; \
         '{venv}/bin/pip' install -q --disable-pip-version-check '{AWSCLI}'",
        venv = venv.display()
    );
    util::run(Command::new("bash").arg("-c").arg(script))
        .map_err(|e| format!("installing {AWSCLI}: {e}"))?;
    util::write_file(&marker, AWSCLI.as_bytes())?;
    Ok(aws)
}
