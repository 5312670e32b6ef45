//! `stowage sql`: DuckDB SQL over a dataset on any bucket, committed loads only.
//!
//! With a query: the result as an aligned table (or `--output FORMAT FILE`). Without one: an
//! interactive prompt with line editing and history (`.quit` or Ctrl-D ends it; an error is
//! printed and the prompt continues). The dataset comes from `--pipeline` (its bucket, dataset
//! and layout from config and its working dir) or `--bucket-url` + `--dataset`.

use std::path::PathBuf;
use std::sync::Arc;

use stowage::dataset::sql::{OutputFormat, TextResult};
use stowage::dataset::{Dataset, DatasetOptions, SqlSession};

use crate::args::{Cli, SqlArgs, TargetArgs};
use crate::exit::{CliError, CliResult, Failed};
use crate::output::{errln, outln};
use crate::plugins_cmd::registry;
use crate::settings;

/// Widest cell printed in a table (longer values end in `…`).
const MAX_CELL: usize = 60;

/// `stowage sql [QUERY]`.
pub fn sql(cli: &Cli, args: &SqlArgs) -> CliResult {
    let output = output_target(&args.output)?;
    let dataset = open_dataset(
        cli,
        &args.target,
        args.dataset.as_deref(),
        args.pipelines_dir.clone(),
        args.include_uncommitted,
    )?;
    report_hidden(&dataset);
    let session = dataset.session().or_failed()?;
    let result = match &args.query {
        Some(query) => run_one(&session, query, output.as_ref(), args.max_rows),
        None => interactive(cli, &session, args.max_rows),
    };
    if args.stats {
        print_stats(&dataset);
    }
    result
}

/// Opens the dataset of `--pipeline` or `--bucket-url` + `--dataset`.
pub fn open_dataset(
    cli: &Cli,
    target: &TargetArgs,
    dataset: Option<&str>,
    pipelines_dir: Option<PathBuf>,
    include_uncommitted: bool,
) -> CliResult<Dataset> {
    let plan = settings::plan_load(cli, target, dataset, pipelines_dir)?;
    let mut options = DatasetOptions::for_pipeline(&plan.options).or_config()?;
    if target.pipeline.is_none() {
        // No pipeline named: read whichever schema the dataset holds.
        options.schema_name = None;
    }
    options.include_uncommitted = include_uncommitted;
    Dataset::open(Arc::new(registry(cli)), &options).or_failed()
}

/// Warns about files left out because their load has no completion marker.
pub fn report_hidden(dataset: &Dataset) {
    let hidden = dataset.hidden_files();
    if hidden.is_empty() {
        return;
    }
    let mut loads: Vec<&str> = hidden
        .iter()
        .map(|f| f.load_id.as_deref().unwrap_or("(no load id in the layout)"))
        .collect();
    loads.sort();
    loads.dedup();
    errln!(
        "note: {} file(s) of {} uncommitted load(s) are not shown (no _dlt_loads marker): {}; \
         --include-uncommitted shows them",
        hidden.len(),
        loads.len(),
        loads.join(", ")
    );
}

fn output_target(output: &[String]) -> CliResult<Option<(OutputFormat, PathBuf)>> {
    match output {
        [] => Ok(None),
        [format, file] => {
            let format = format.parse::<OutputFormat>().map_err(CliError::usage)?;
            Ok(Some((format, PathBuf::from(file))))
        }
        _ => Err(CliError::usage(
            "--output takes FORMAT FILE (csv, json or parquet)",
        )),
    }
}

fn run_one(
    session: &SqlSession<'_>,
    query: &str,
    output: Option<&(OutputFormat, PathBuf)>,
    max_rows: usize,
) -> CliResult {
    if let Some((format, file)) = output {
        session.copy_to(query, *format, file).or_failed()?;
        errln!("wrote {}", file.display());
        return Ok(());
    }
    let result = session.query_text(query, max_rows).or_failed()?;
    print_table(&result);
    Ok(())
}

fn interactive(cli: &Cli, session: &SqlSession<'_>, max_rows: usize) -> CliResult {
    let dataset = session.dataset();
    errln!(
        "dataset `{}` ({} tables: {}); `.tables`, `.quit` or Ctrl-D",
        dataset.name(),
        dataset.tables().len(),
        dataset.tables().join(", ")
    );
    let mut editor = rustyline::DefaultEditor::new()
        .map_err(|e| CliError::failed(stowage::Error::unexpected(format!("terminal: {e}"))))?;
    let history = history_file(cli);
    if let Some(path) = &history {
        let _ = editor.load_history(path);
    }
    let mut pending = String::new();
    loop {
        let prompt = if pending.is_empty() { "sql> " } else { "...> " };
        let line = match editor.readline(prompt) {
            Ok(line) => line,
            Err(rustyline::error::ReadlineError::Interrupted) => {
                pending.clear();
                continue;
            }
            Err(_) => break,
        };
        let trimmed = line.trim();
        if pending.is_empty() && matches!(trimmed, ".quit" | ".exit" | "\\q") {
            break;
        }
        if pending.is_empty() && trimmed == ".tables" {
            outln!("{}", dataset.tables().join("\n"));
            continue;
        }
        if trimmed.is_empty() {
            continue;
        }
        pending.push_str(&line);
        pending.push('\n');
        if !trimmed.ends_with(';') {
            continue;
        }
        let statement = std::mem::take(&mut pending);
        let _ = editor.add_history_entry(statement.trim());
        match session.query_text(&statement, max_rows) {
            Ok(result) => print_table(&result),
            Err(e) => errln!("error: {e}"),
        }
    }
    if !pending.trim().is_empty() {
        match session.query_text(&pending, max_rows) {
            Ok(result) => print_table(&result),
            Err(e) => errln!("error: {e}"),
        }
    }
    if let Some(path) = &history {
        if let Some(dir) = path.parent() {
            let _ = std::fs::create_dir_all(dir);
        }
        let _ = editor.save_history(path);
    }
    Ok(())
}

/// `<project>/.dlt/.stowage_sql_history` when the project has a `.dlt` folder, else
/// `~/.stowage/sql_history`.
fn history_file(cli: &Cli) -> Option<PathBuf> {
    let project = cli
        .project_dir
        .clone()
        .or_else(|| std::env::current_dir().ok())?;
    let dlt = project.join(".dlt");
    if dlt.is_dir() {
        return Some(dlt.join(".stowage_sql_history"));
    }
    std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".stowage/sql_history"))
}

fn print_stats(dataset: &Dataset) {
    let stats = dataset.stats();
    let local = stowage::bucket_url::scheme_of(dataset.bucket_url()) == "file";
    let visible: Vec<_> = dataset
        .tables()
        .iter()
        .flat_map(|t| dataset.files(t))
        .filter(|f| f.format.is_readable())
        .map(|f| f.size)
        .collect();
    errln!(
        "stats: {} bytes read from the backend in {} object(s), of {} bytes in {} visible data \
         file(s){}",
        stats.bytes(),
        stats.objects(),
        visible.iter().sum::<u64>(),
        visible.len(),
        if local {
            " (local files are read in place by the SQL engine, not counted)"
        } else {
            ""
        }
    );
}

/// Prints `result` as an aligned table with a row count.
pub fn print_table(result: &TextResult) {
    for line in render_table(result) {
        outln!("{line}");
    }
}

/// The lines of an aligned table: header, rule, rows, count; numbers right-aligned.
pub fn render_table(result: &TextResult) -> Vec<String> {
    let cell = |v: &Option<String>| match v {
        None => "NULL".to_string(),
        Some(text) => clip(text),
    };
    let rows: Vec<Vec<String>> = result
        .rows
        .iter()
        .map(|r| r.iter().map(cell).collect())
        .collect();
    let widths: Vec<usize> = result
        .columns
        .iter()
        .enumerate()
        .map(|(i, (name, _))| {
            rows.iter()
                .filter_map(|r| r.get(i))
                .map(|c| c.chars().count())
                .chain([name.chars().count()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let numeric: Vec<bool> = result.columns.iter().map(|(_, t)| is_numeric(t)).collect();
    let line = |cells: &[String], right: &dyn Fn(usize) -> bool| {
        cells
            .iter()
            .enumerate()
            .map(|(i, c)| pad(c, widths.get(i).copied().unwrap_or(0), right(i)))
            .collect::<Vec<_>>()
            .join(" | ")
            .trim_end()
            .to_string()
    };
    let names: Vec<String> = result.columns.iter().map(|(n, _)| n.clone()).collect();
    let mut out = vec![line(&names, &|_| false)];
    out.push(
        widths
            .iter()
            .map(|w| "-".repeat(*w))
            .collect::<Vec<_>>()
            .join("-+-"),
    );
    for row in &rows {
        out.push(line(row, &|i| numeric.get(i).copied().unwrap_or(false)));
    }
    let n = rows.len();
    out.push(match (result.truncated, n) {
        (true, _) => format!("({n} rows shown; more rows not shown)"),
        (false, 1) => "(1 row)".to_string(),
        (false, _) => format!("({n} rows)"),
    });
    out
}

fn pad(text: &str, width: usize, right: bool) -> String {
    let fill = " ".repeat(width.saturating_sub(text.chars().count()));
    match right {
        true => format!("{fill}{text}"),
        false => format!("{text}{fill}"),
    }
}

fn clip(text: &str) -> String {
    let one_line = text.replace('\n', "\\n");
    match one_line.chars().count() > MAX_CELL {
        true => format!(
            "{}…",
            one_line.chars().take(MAX_CELL - 1).collect::<String>()
        ),
        false => one_line,
    }
}

fn is_numeric(sql_type: &str) -> bool {
    let t = sql_type.to_ascii_uppercase();
    [
        "INT", "BIGINT", "HUGEINT", "DOUBLE", "FLOAT", "DECIMAL", "REAL", "SMALLINT", "TINYINT",
        "UBIGINT", "UINTEGER",
    ]
    .iter()
    .any(|p| t.starts_with(p))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_align_and_right_align_numbers() {
        let result = TextResult {
            columns: vec![
                ("id".into(), "BIGINT".into()),
                ("name".into(), "VARCHAR".into()),
            ],
            rows: vec![
                vec![Some("1".into()), Some("Alice".into())],
                vec![Some("10".into()), None],
            ],
            truncated: false,
        };
        assert_eq!(
            render_table(&result),
            vec![
                "id | name",
                "---+------",
                " 1 | Alice",
                "10 | NULL",
                "(2 rows)"
            ]
        );
    }
}
