//! dlt's layout cases, data-driven: tests/data/layout_cases.json holds layouts (those of dlt's
//! `test_layout_validity` plus our own for every placeholder, extra placeholders, callbacks,
//! `current_datetime` in another offset, the missing-`{ext}` rule and the table-prefix rules)
//! with the paths, errors and prefixes dlt 1.31 itself produced (`gen_layout_cases.py`).

use std::collections::BTreeSet;
use std::sync::Arc;

use chrono::{DateTime, FixedOffset};
use serde_json::Value;
use stowage::layout::{
    CurrentDatetime, FileName, Layout, LayoutSettings, PathRenderer, Placeholder, RenderContext,
};

fn cases() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/layout_cases.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn moment(text: &str) -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339(text).unwrap()
}

fn extra(name: &str, spec: &Value) -> (String, Placeholder) {
    let placeholder = match (spec.get("value"), spec["callback"].as_str()) {
        (Some(v), _) => Placeholder::Value(v.as_str().unwrap().into()),
        (None, Some("join")) => {
            Placeholder::Callback(Arc::new(|s, t, l, f, e| [s, t, l, f, e].join("-")))
        }
        (None, Some("const")) => {
            Placeholder::Callback(Arc::new(|_, _, _, _, _| "random-value".to_string()))
        }
        other => panic!("unknown extra placeholder spec {other:?}"),
    };
    (name.to_string(), placeholder)
}

/// The settings, file name and render context of a context entry.
fn context(ctx: &Value, layout: &str) -> (LayoutSettings, FileName, RenderContext) {
    let current = ctx["current_datetime"].as_str().map(moment);
    let current_datetime = match (current, ctx["current_datetime_callback"].as_bool()) {
        (Some(t), Some(true)) => Some(CurrentDatetime::Callback(Arc::new(move || t))),
        (Some(t), _) => Some(CurrentDatetime::Fixed(t)),
        (None, _) => None,
    };
    let settings = LayoutSettings {
        layout: layout.to_string(),
        extra_placeholders: ctx["extra_placeholders"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| extra(k, v))
            .collect(),
        current_datetime,
    };
    let s = |k: &str| ctx[k].as_str().unwrap();
    let file = FileName::new(s("table"), s("file_id"), s("ext"));
    let render = RenderContext::new(
        s("schema_name"),
        s("load_id"),
        moment(s("package_created_at")).to_utc(),
    );
    (settings, file, render)
}

fn unknown_names(err: &stowage::Error) -> BTreeSet<String> {
    let (_, list) = err
        .context()
        .iter()
        .find(|(k, _)| k == "unknown")
        .unwrap_or_else(|| panic!("no unknown placeholders in {err}"));
    list.split(',').map(String::from).collect()
}

#[test]
fn layouts_render_exactly_as_dlt_1_31() {
    let doc = cases();
    assert_eq!(doc["dlt_version"], "1.31.0");
    let cases = doc["render_cases"].as_array().unwrap();
    assert!(cases.len() >= 80, "{}", cases.len());
    for case in cases {
        let layout = case["layout"].as_str().unwrap();
        let ctx = &doc["contexts"][case["context"].as_str().unwrap()];
        let (settings, file, render) = context(ctx, layout);
        let renderer = PathRenderer::new(&settings);
        match case["error"].as_str() {
            None => {
                let expected = case["path"].as_str().unwrap();
                let renderer = renderer.unwrap_or_else(|e| panic!("{layout}: {e}"));
                assert_eq!(renderer.render(&file, &render), expected, "{layout}");
                let full = Layout::new(&settings);
                assert_eq!(
                    full.is_err(),
                    case["prefix_error"].as_bool().unwrap(),
                    "{layout}: table prefix {full:?}"
                );
                if let Ok(full) = full {
                    assert_eq!(full.render(&file, &render), expected, "{layout}");
                }
            }
            Some("invalid_layout") => {
                let err = renderer.expect_err(layout);
                let expected: BTreeSet<String> = case["invalid"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|v| v.as_str().unwrap().to_string())
                    .collect();
                assert_eq!(unknown_names(&err), expected, "{layout}");
                for name in &expected {
                    assert!(err.message().contains(&format!("{{{name}}}")), "{err}");
                }
                assert!(Layout::new(&settings).is_err());
            }
            Some("format") => {
                assert!(renderer.is_err(), "{layout}");
            }
            Some(other) => panic!("unknown error kind {other}"),
        }
    }
}

#[test]
fn table_prefix_layouts_and_unsafe_separators_match_dlt() {
    let doc = cases();
    for case in doc["prefix_cases"].as_array().unwrap() {
        let layout = case["layout"].as_str().unwrap();
        let result = Layout::new(&LayoutSettings::with_layout(layout));
        match case["prefix_layout"].as_str() {
            Some(expected) => {
                let layout_ok = result.unwrap_or_else(|e| panic!("{layout}: {e}"));
                assert_eq!(layout_ok.prefix_layout(), expected, "{layout}");
                let unsafe_seps: Vec<&str> = case["unsafe_separators"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|v| v.as_str().unwrap())
                    .collect();
                assert_eq!(layout_ok.unsafe_separators(), unsafe_seps, "{layout}");
            }
            None => {
                let err = result.expect_err(layout);
                assert!(err.message().contains("cannot be used"), "{err}");
            }
        }
    }
}

#[test]
fn table_prefixes_apply_static_extra_placeholders_like_dlt() {
    let doc = cases();
    for case in doc["table_prefix_cases"].as_array().unwrap() {
        let layout = case["layout"].as_str().unwrap();
        let settings = LayoutSettings {
            extra_placeholders: case["extra_placeholders"]
                .as_object()
                .unwrap()
                .iter()
                .map(|(k, v)| (k.clone(), Placeholder::Value(v.as_str().unwrap().into())))
                .collect(),
            ..LayoutSettings::with_layout(layout)
        };
        let s = |k: &str| case[k].as_str().unwrap();
        assert_eq!(
            Layout::new(&settings)
                .unwrap()
                .table_prefix(s("table"), s("schema_name")),
            s("prefix"),
            "{layout}"
        );
    }
}
