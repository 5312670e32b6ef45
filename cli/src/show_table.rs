//! `stowage show TABLE`: a table of the dataset on the bucket — its columns and types from the
//! newest stored schema, rows per load (uncommitted loads flagged), and the first rows (through
//! the SQL engine when the duckdb plugin is installed).

use serde_json::json;
use stowage::dataset::Dataset;

use crate::args::Cli;
use crate::exit::{CliResult, Failed};
use crate::load_args::ShowArgs;
use crate::output::outln;
use crate::sql_cmd::{open_dataset, print_table, report_hidden};

/// Prints schema, rows per load and first rows of `args.load_id` (a table name).
pub fn show_table(cli: &Cli, args: &ShowArgs) -> CliResult {
    let table = args.load_id.as_str();
    let dataset = open_dataset(
        cli,
        &args.target,
        args.dataset.as_deref(),
        args.pipelines_dir.clone(),
        args.include_uncommitted,
    )?;
    let columns = dataset.columns(table).or_failed()?;
    let per_load = dataset.rows_per_load(table).or_failed()?;
    if args.json {
        let doc = json!({
            "status": "ok",
            "command": "show",
            "table": table,
            "dataset": dataset.name(),
            "schema": dataset.schema().name(),
            "parent": dataset.schema().parent(table),
            "columns": columns.iter().map(|c| json!({
                "name": c.name,
                "data_type": c.data_type.map(|t| t.name()),
                "nullable": c.nullable,
            })).collect::<Vec<_>>(),
            "loads": per_load.iter().map(|l| json!({
                "load_id": l.load_id,
                "rows": l.rows,
                "committed": l.committed,
            })).collect::<Vec<_>>(),
        });
        outln!("{doc}");
        return Ok(());
    }
    report_hidden(&dataset);
    outln!(
        "table `{table}` in dataset `{}` (schema `{}` version {}){}",
        dataset.name(),
        dataset.schema().name(),
        dataset.schema().version(),
        dataset
            .schema()
            .parent(table)
            .map(|p| format!(", nested in `{p}`"))
            .unwrap_or_default()
    );
    outln!("columns:");
    let width = columns.iter().map(|c| c.name.len()).max().unwrap_or(0);
    for c in &columns {
        outln!(
            "  {:<width$}  {:<9}  {}",
            c.name,
            c.data_type.map_or("-", |t| t.name()),
            if c.nullable { "null" } else { "not null" }
        );
    }
    print_loads(&per_load);
    print_first_rows(&dataset, table, args.rows);
    Ok(())
}

fn print_loads(per_load: &[stowage::dataset::LoadRows]) {
    outln!("rows per load:");
    if per_load.is_empty() {
        outln!("  (no files)");
    }
    let mut visible = 0;
    for load in per_load {
        outln!(
            "  {:<22} {:>10}{}",
            load.load_id.as_deref().unwrap_or("(no load id)"),
            load.rows,
            if load.committed {
                ""
            } else {
                "  uncommitted (no _dlt_loads marker)"
            }
        );
        if load.committed {
            visible += load.rows;
        }
    }
    outln!("  {:<22} {:>10}", "committed total", visible);
}

fn print_first_rows(dataset: &Dataset, table: &str, rows: usize) {
    if rows == 0 {
        return;
    }
    let quoted = format!("\"{}\"", table.replace('"', "\"\""));
    let result = dataset
        .session()
        .and_then(|s| s.query_text(&format!("SELECT * FROM {quoted}"), rows));
    match result {
        Ok(result) => {
            outln!("first rows:");
            print_table(&result);
        }
        Err(e) => outln!("first rows: not shown ({e})"),
    }
}
