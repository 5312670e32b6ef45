//! The load-related settings, from flags and the config resolver into `RunOptions`:
//! `write_disposition` (source), `layout`, `extra_placeholders`, `current_datetime`,
//! `warn_unsafe_layout_separators` (destination), `file_max_items`, `file_max_bytes`
//! (`[normalize.data_writer]` → `[data_writer]`), `load.workers`, `load.raise_on_max_retries`,
//! and the progress reporter. Flags are set on the config (they win over every provider and
//! `stowage config show` names them).

use serde_json::Value;
use stowage::config::{Config, Destination, Key};
use stowage::disposition::WriteDisposition;
use stowage::layout::{CurrentDatetime, Placeholder};
use stowage::normalize::py_float_repr;
use stowage::pipeline::RunOptions;
use stowage::progress::ProgressHandle;

use crate::exit::{CliError, CliResult, Failed};
use crate::load_args::{LoadFlags, NormalizeFlags};
use crate::log;

fn data_writer(name: &str) -> Key {
    Key::new(&["normalize"], name).embedded_in("data_writer")
}

fn load_key(name: &str) -> Key {
    Key::new(&["load"], name)
}

/// Sets the given flags on `config` as the highest-priority values.
pub fn set_flags(
    config: &mut Config,
    destination: &Destination,
    source: Option<&str>,
    normalize: Option<&NormalizeFlags>,
    load: Option<&LoadFlags>,
) {
    if let Some(flags) = normalize {
        if let Some(d) = &flags.write_disposition {
            let key = Config::source_key(source, "write_disposition");
            config.set_flag(&key, d, "--write-disposition");
        }
        for (name, value, flag) in [
            ("file_max_items", flags.file_max_items, "--file-max-items"),
            ("file_max_bytes", flags.file_max_bytes, "--file-max-bytes"),
            (
                "buffer_max_items",
                flags.buffer_max_items,
                "--buffer-max-items",
            ),
        ] {
            if let Some(n) = value {
                config.set_flag(&data_writer(name), &n.to_string(), flag);
            }
        }
    }
    if let Some(flags) = load {
        if let Some(layout) = &flags.layout {
            config.set_flag(&destination.key("layout"), layout, "--layout");
        }
        if let Some(n) = flags.workers {
            config.set_flag(&load_key("workers"), &n.to_string(), "--workers");
        }
    }
}

/// Applies every load-related setting of `config` to `options`; `quiet` and whether stderr is
/// a terminal pick the progress reporter.
pub fn apply(
    config: &Config,
    destination: &Destination,
    source: Option<&str>,
    quiet: bool,
    options: &mut RunOptions,
) -> CliResult<()> {
    let disposition_key = Config::source_key(source, "write_disposition");
    if let Some(d) = config.text(&disposition_key).or_config()? {
        let d = log::used("write_disposition", d);
        options.write_disposition = d.value.parse::<WriteDisposition>().map_err(|e| {
            CliError::config(e.while_doing(format!("`{disposition_key}` ({})", d.source)))
        })?;
    }
    apply_layout(config, destination, options)?;
    if let Some(n) = uint(config, &data_writer("file_max_items"))? {
        options.file_max_items = Some(usize::try_from(n.max(1)).unwrap_or(usize::MAX));
    }
    if let Some(n) = uint(config, &data_writer("file_max_bytes"))? {
        options.file_max_bytes = Some(n.max(1));
    }
    if let Some(n) = uint(config, &load_key("workers"))? {
        options.workers = usize::try_from(n.clamp(1, 1024)).unwrap_or(1);
    }
    if let Some(n) = config.int(&load_key("raise_on_max_retries")).or_config()? {
        options.retry.max_retries = u32::try_from(n.value.max(0)).unwrap_or(u32::MAX);
    }
    options.progress = ProgressHandle::new(crate::progress::Reporter::for_stderr(quiet));
    Ok(())
}

fn uint(config: &Config, key: &Key) -> CliResult<Option<u64>> {
    Ok(config
        .uint(key)
        .or_config()?
        .map(|r| log::used(&key.dotted(), r).value))
}

fn apply_layout(
    config: &Config,
    destination: &Destination,
    options: &mut RunOptions,
) -> CliResult<()> {
    if let Some(layout) = config.text(&destination.key("layout")).or_config()? {
        options.layout.layout = log::used("layout", layout).value;
    }
    if let Some(extra) = config
        .dict(&destination.key("extra_placeholders"))
        .or_config()?
    {
        options.layout.extra_placeholders = extra
            .value
            .iter()
            .map(|(k, v)| (k.clone(), Placeholder::Value(python_text(v))))
            .collect();
    }
    let current_key = destination.key("current_datetime");
    if let Some(current) = config.text(&current_key).or_config()? {
        let parsed = CurrentDatetime::parse(&current.value).map_err(|e| {
            CliError::config(e.while_doing(format!("`{current_key}` ({})", current.source)))
        })?;
        options.layout.current_datetime = Some(parsed);
    }
    let warn_key = destination.key("warn_unsafe_layout_separators");
    if let Some(warn) = config.boolean(&warn_key).or_config()? {
        options.warn_unsafe_layout_separators = warn.value;
    }
    Ok(())
}

/// A config value as dlt would put it into a path (Python `str()` of the value).
fn python_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Bool(true) => "True".into(),
        Value::Bool(false) => "False".into(),
        Value::Null => "None".into(),
        Value::Number(n) => match (n.as_i64(), n.as_u64(), n.as_f64()) {
            (Some(i), _, _) => i.to_string(),
            (None, Some(u), _) => u.to_string(),
            (None, None, Some(f)) => py_float_repr(f),
            _ => n.to_string(),
        },
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholder_values_render_like_python_str() {
        assert_eq!(python_text(&serde_json::json!("Prod")), "Prod");
        assert_eq!(python_text(&serde_json::json!(5)), "5");
        assert_eq!(python_text(&serde_json::json!(1.0)), "1.0");
        assert_eq!(python_text(&serde_json::json!(true)), "True");
    }
}
