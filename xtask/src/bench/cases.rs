//! What is measured: one [`Case`] per (workload, output, tool), and the command line of each.
//!
//! Every run gets a fresh run dir (bucket, pipelines dir, working dir) that is deleted after it
//! is measured, and an environment without dlt/Stowage configuration variables, so nothing
//! from the caller's shell or `~/.dlt` changes what is measured.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::measure::{json_number, json_string};
use super::workloads::{Kind, Workload};
use crate::util::Result;

/// A loader file format, as both tools name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `parquet` (snappy).
    Parquet,
    /// `jsonl`, gzip-compressed (both tools' default).
    JsonlGz,
    /// `csv`, gzip-compressed (both tools' default).
    CsvGz,
}

impl Format {
    /// The format (plugin) name.
    pub fn name(self) -> &'static str {
        match self {
            Format::Parquet => "parquet",
            Format::JsonlGz => "jsonl",
            Format::CsvGz => "csv",
        }
    }

    /// How the report shows it.
    pub fn label(self) -> &'static str {
        match self {
            Format::Parquet => "parquet",
            Format::JsonlGz => "jsonl.gz",
            Format::CsvGz => "csv.gz",
        }
    }
}

/// Who does the work.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tool {
    /// `stowage run` (release build unless told otherwise).
    Stowage,
    /// dlt 1.31 with its defaults.
    DltDefault,
    /// dlt 1.31 tuned as its performance docs say.
    DltTuned,
    /// `cat input > /dev/null`: the read limit.
    Cat,
    /// `gzip -1 -c input > out.gz`: one core of fast deflate.
    Gzip,
    /// pyarrow `json.read_json` + `parquet.write_table`: the C++ json→parquet ceiling.
    Pyarrow,
}

impl Tool {
    /// How the report and `--only` name it.
    pub fn name(self) -> &'static str {
        match self {
            Tool::Stowage => "stowage",
            Tool::DltDefault => "dlt",
            Tool::DltTuned => "dlt-tuned",
            Tool::Cat => "cat",
            Tool::Gzip => "gzip-1",
            Tool::Pyarrow => "pyarrow",
        }
    }

    /// Whether the tool needs the Python venv.
    pub fn needs_python(self) -> bool {
        matches!(self, Tool::DltDefault | Tool::DltTuned | Tool::Pyarrow)
    }
}

/// One measured thing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Case {
    /// The input.
    pub kind: Kind,
    /// The output format (`None` for anchors).
    pub format: Option<Format>,
    /// The tool.
    pub tool: Tool,
}

impl Case {
    /// `flat→parquet`, or `flat (anchor)`.
    pub fn group(&self) -> String {
        match self.format {
            Some(f) => format!("{}→{}", self.kind.name(), f.label()),
            None => format!("{} (anchor)", self.kind.name()),
        }
    }

    /// A stable id for `--only` and dir names: `flat-parquet/dlt-tuned`.
    pub fn id(&self) -> String {
        let what = self.format.map_or("anchor", Format::label);
        format!("{}-{what}/{}", self.kind.name(), self.tool.name())
    }
}

/// The comparison runs, in report order: per workload and format, Stowage then dlt (default,
/// tuned); then the anchors on `flat`.
pub fn all_cases() -> Vec<Case> {
    let mut cases = Vec::new();
    let pairs = [
        (Kind::Flat, Format::Parquet),
        (Kind::Flat, Format::JsonlGz),
        (Kind::Flat, Format::CsvGz),
        (Kind::Nested, Format::JsonlGz),
        (Kind::Nested, Format::Parquet),
    ];
    for (kind, format) in pairs {
        for tool in [Tool::Stowage, Tool::DltDefault, Tool::DltTuned] {
            cases.push(Case {
                kind,
                format: Some(format),
                tool,
            });
        }
    }
    for tool in [Tool::Cat, Tool::Gzip, Tool::Pyarrow] {
        cases.push(Case {
            kind: Kind::Flat,
            format: None,
            tool,
        });
    }
    cases
}

/// Programs and scripts the cases run.
#[derive(Debug, Clone)]
pub struct Tools {
    /// The `stowage` binary (its `plugins/` dir next to it is searched too).
    pub stowage: PathBuf,
    /// The dir holding the plugins to use (searched first).
    pub plugin_dir: PathBuf,
    /// The venv interpreter (dlt, pyarrow), if available.
    pub python: Option<PathBuf>,
    /// `<root>/xtask/bench` (the Python runners).
    pub scripts: PathBuf,
}

/// Variables that would change what the tools do (dlt config, Stowage settings).
fn is_config_variable(key: &str) -> bool {
    key.contains("__")
        || key.starts_with("DLT_")
        || key.starts_with("STOWAGE_")
        || key.starts_with("RUNTIME__")
}

/// A command running in `run_dir` with a clean configuration environment.
pub(super) fn isolated(program: &Path, run_dir: &Path) -> Command {
    let mut cmd = Command::new(program);
    cmd.current_dir(run_dir);
    for (key, _) in std::env::vars_os() {
        if is_config_variable(&key.to_string_lossy()) {
            cmd.env_remove(&key);
        }
    }
    cmd.env("DLT_DATA_DIR", run_dir.join("global"))
        .env("DLT_PROJECT_DIR", run_dir)
        .env("STOWAGE_PLUGIN_NO_CWD", "1");
    cmd
}

/// The command of `case` on `input`, working in `run_dir`.
pub fn command(case: &Case, input: &Workload, run_dir: &Path, tools: &Tools) -> Result<Command> {
    let python = || {
        tools
            .python
            .clone()
            .ok_or_else(|| "the Python venv is not available".to_string())
    };
    Ok(match (case.tool, case.format) {
        (Tool::Stowage, Some(format)) => {
            let mut cmd = isolated(&tools.stowage, run_dir);
            cmd.arg("--plugin-dir")
                .arg(&tools.plugin_dir)
                .arg("run")
                .arg(&input.path)
                .args(["--table", "items", "--format", format.name()])
                .args(["--pipeline", "bench", "--dataset", "bench", "--json"])
                .arg("--bucket-url")
                .arg(run_dir.join("bucket"))
                .arg("--pipelines-dir")
                .arg(run_dir.join("pipelines"));
            cmd
        }
        (Tool::DltDefault | Tool::DltTuned, Some(format)) => {
            let mut cmd = isolated(&python()?, run_dir);
            cmd.arg(tools.scripts.join("dlt_run.py"))
                .arg(&input.path)
                .arg(run_dir)
                .args(["--format", format.name()]);
            if case.tool == Tool::DltTuned {
                cmd.arg("--tuned");
            }
            cmd
        }
        (Tool::Cat, None) => {
            let mut cmd = isolated(Path::new("bash"), run_dir);
            cmd.arg("-c")
                .arg("exec cat \"$1\" > /dev/null")
                .arg("cat")
                .arg(&input.path);
            cmd
        }
        (Tool::Gzip, None) => {
            // The compressed bytes are written to the run dir, as the other tools' files are.
            let mut cmd = isolated(Path::new("bash"), run_dir);
            cmd.arg("-c")
                .arg("exec gzip -1 -c \"$1\" > out.gz")
                .arg("gzip")
                .arg(&input.path);
            cmd
        }
        (Tool::Pyarrow, None) => {
            let mut cmd = isolated(&python()?, run_dir);
            cmd.arg(tools.scripts.join("pyarrow_run.py"))
                .arg(&input.path)
                .arg(run_dir.join("out.parquet"));
            cmd
        }
        _ => return Err(format!("no command for {}", case.id())),
    })
}

/// Checks what a run reported against the workload; returns a note for the report (e.g. the
/// peer's version) or an error when rows are missing.
pub fn check_output(case: &Case, input: &Workload, stdout: &str) -> Result<Option<String>> {
    let rows = |key: &str| json_number(stdout, key).map(|n| n as u64);
    match case.tool {
        Tool::Stowage => {
            let loaded = rows("rows").ok_or("stowage printed no `rows`")?;
            expect_eq(case, "root rows", loaded, input.records)?;
            Ok(None)
        }
        Tool::DltDefault | Tool::DltTuned => {
            let read = rows("rows").ok_or("dlt_run.py printed no `rows`")?;
            expect_eq(case, "records read", read, input.records)?;
            // dlt 1.31's csv writer counts values, not rows: only check the other formats.
            if case.format != Some(Format::CsvGz) {
                for (table, n) in &input.tables {
                    let got = rows(table).ok_or(format!("dlt reported no table `{table}`"))?;
                    expect_eq(case, table, got, *n)?;
                }
            }
            Ok(json_string(stdout, "dlt").map(|v| format!("dlt {v}")))
        }
        Tool::Pyarrow => {
            let got = rows("rows").ok_or("pyarrow_run.py printed no `rows`")?;
            expect_eq(case, "rows", got, input.records)?;
            Ok(json_string(stdout, "pyarrow").map(|v| format!("pyarrow {v}")))
        }
        Tool::Cat | Tool::Gzip => Ok(None),
    }
}

fn expect_eq(case: &Case, what: &str, got: u64, want: u64) -> Result<()> {
    if got == want {
        Ok(())
    } else {
        Err(format!(
            "{}: {what}: loaded {got}, the input has {want}",
            case.id()
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_stable() {
        let cases = all_cases();
        let mut ids: Vec<String> = cases.iter().map(Case::id).collect();
        assert_eq!(ids[0], "flat-parquet/stowage");
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), cases.len());
    }

    #[test]
    fn config_variables_are_dropped() {
        assert!(is_config_variable("DESTINATION__FILESYSTEM__BUCKET_URL"));
        assert!(is_config_variable("DLT_DATA_DIR"));
        assert!(is_config_variable("STOWAGE_PIPELINES_DIR"));
        assert!(!is_config_variable("PATH"));
    }
}
