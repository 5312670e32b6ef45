use std::sync::Arc;

use chrono::TimeZone;

use super::*;

fn ctx() -> RenderContext {
    let created = Utc.with_ymd_and_hms(2026, 11, 22, 1, 26, 13).unwrap()
        + chrono::Duration::microseconds(127_647);
    RenderContext::new("pl", "1795310773.1276467", created)
}

fn file() -> FileName {
    FileName::new("event", "a9d303e9dc", "jsonl.gz")
}

#[test]
fn default_layout_renders_dlt_keys() {
    let layout = Layout::new(&LayoutSettings::default()).unwrap();
    assert_eq!(
        layout.render(&file(), &ctx()),
        "event/1795310773.1276467.a9d303e9dc.jsonl.gz"
    );
    assert_eq!(layout.table_prefix("event", "pl"), "event/");
    assert_eq!(layout.table_prefix("_dlt_loads", "pl"), "_dlt_loads/");
    assert!(layout.unsafe_separators().is_empty());
}

#[test]
fn spec_token_example_with_callback_and_fixed_datetime() {
    // spec §2.2, "Observed token rendering"
    let moment = Utc
        .with_ymd_and_hms(2024, 3, 9, 14, 5, 7)
        .unwrap()
        .fixed_offset()
        + chrono::Duration::microseconds(123_456);
    let cb: PlaceholderFn = Arc::new(|_, table, _, _, ext| format!("CB-{table}-{ext}"));
    let settings = LayoutSettings {
        layout: "{schema_name}/{table_name}/{YYYY}-{YY}-{Y}-{MMMM}-{MMM}-{MM}-{M}-{DD}-{D}-{HH}-{H}-{mm}-{m}-{dddd}-{ddd}-{dd}-{d}-{ss}-{s}-{SSSS}-{SSS}-{SS}-{S}-{Q}/{timestamp}-{timestamp_ms}-{curr_date}/{load_package_timestamp}-{load_package_timestamp_ms}/{Env}-{cbv}.{file_id}.{ext}".into(),
        extra_placeholders: vec![
            ("Env".into(), Placeholder::Value("Prod".into())),
            ("cbv".into(), Placeholder::Callback(cb)),
        ],
        current_datetime: Some(CurrentDatetime::Fixed(moment)),
    };
    let created = Utc.timestamp_opt(1795310828, 446_000_000).unwrap();
    let ctx = RenderContext::new("pl_tokens", "1795310828.446", created);
    assert_eq!(
        Layout::new(&settings).unwrap().render(&file(), &ctx),
        "pl_tokens/event/2024-24-2024-march-mar-03-3-09-9-14-14-05-5-saturday-sat-sa-6-07-7-1234-123-12-1-1/1709993107-1709993107123-2024-03-09/1795310828-1795310828446/Prod-CB-event-jsonl.gz.a9d303e9dc.jsonl.gz"
    );
}

#[test]
fn missing_ext_is_appended_and_unknown_placeholders_are_listed() {
    let layout = Layout::new(&LayoutSettings::with_layout(
        "{table_name}/{YYYY}/{MM}/{DD}/{load_id}.{file_id}",
    ))
    .unwrap();
    assert_eq!(
        layout.render(&file(), &ctx()),
        "event/2026/11/22/1795310773.1276467.a9d303e9dc.jsonl.gz"
    );
    let err = Layout::new(&LayoutSettings::with_layout(
        "{table_name}/{foo}/{bar}.{ext}",
    ))
    .unwrap_err();
    assert!(err.message().contains("{foo}, {bar}"), "{err}");
}

#[test]
fn current_datetime_callback_is_called_once_per_file() {
    let calls = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = calls.clone();
    let settings = LayoutSettings {
        current_datetime: Some(CurrentDatetime::Callback(Arc::new(move || {
            counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            Utc.with_ymd_and_hms(2024, 3, 9, 14, 5, 7)
                .unwrap()
                .fixed_offset()
        }))),
        ..LayoutSettings::with_layout("{table_name}/{HH}{mm}/{file_id}.{ext}")
    };
    let layout = Layout::new(&settings).unwrap();
    assert_eq!(
        layout.render(&file(), &ctx()),
        "event/1405/a9d303e9dc.jsonl.gz"
    );
    assert_eq!(calls.load(std::sync::atomic::Ordering::SeqCst), 1);
}

#[test]
fn current_datetime_strings_parse_with_and_without_offset() {
    let CurrentDatetime::Fixed(t) = CurrentDatetime::parse("2024-04-14T08:32:00+02:00").unwrap()
    else {
        panic!()
    };
    assert_eq!(format_token(&t, "HH").unwrap(), "08");
    let CurrentDatetime::Fixed(t) = CurrentDatetime::parse("2024-04-14 08:32:00").unwrap() else {
        panic!()
    };
    assert_eq!(t.offset().local_minus_utc(), 0);
    assert!(CurrentDatetime::parse("yesterday").is_err());
}

#[test]
fn safe_separators_select_by_prefix_like_dlt() {
    let layout = Layout::new(&LayoutSettings::with_layout(
        "{table_name}.{load_id}.{file_id}.{ext}",
    ))
    .unwrap();
    assert_eq!(layout.table_prefix("event", "pl"), "event.");
    assert!(layout.owns("event.1.5.0123456789.jsonl", "event", "pl", &[]));
    assert!(!layout.owns("event_log.1.5.0123456789.jsonl", "event", "pl", &[]));
    let folders = Layout::new(&LayoutSettings::default()).unwrap();
    assert!(folders.owns("event/1.5.0123456789.jsonl", "event", "pl", &[]));
    assert!(!folders.owns("event/init", "event", "pl", &[]));
}

#[test]
fn unsafe_separators_check_the_file_name() {
    let layout = Layout::new(&LayoutSettings::with_layout(
        "{table_name}_{load_id}_{file_id}.{ext}",
    ))
    .unwrap();
    assert_eq!(layout.unsafe_separators(), ["_"]);
    let known = vec![
        "event".to_string(),
        "event_log".to_string(),
        "event__kids".to_string(),
    ];
    let mine = "event_1795310832.3063953_fa2d3a4ecf.jsonl.gz";
    assert!(layout.owns(mine, "event", "pl", &known));
    for other in [
        "event_log_1795310832.3063953_fa2d3a4ecf.jsonl.gz",
        "event__kids_1795310832.3063953_fa2d3a4ecf.jsonl.gz",
    ] {
        assert!(!layout.owns(other, "event", "pl", &known), "{other}");
        assert!(!layout.owns(other, "event", "pl", &[]), "{other}");
    }
    assert!(layout.owns(
        "event__kids_1.5_fa2d3a4ecf.jsonl.gz",
        "event__kids",
        "pl",
        &known
    ));
}

#[test]
fn callbacks_after_an_unsafe_separator_rely_on_known_tables() {
    let cb: PlaceholderFn = Arc::new(|_, _, _, _, _| "x".into());
    let settings = LayoutSettings {
        extra_placeholders: vec![("cb".into(), Placeholder::Callback(cb))],
        ..LayoutSettings::with_layout("{table_name}_{cb}_{file_id}.{ext}")
    };
    let layout = Layout::new(&settings).unwrap();
    let known = vec!["event".to_string(), "event_log".to_string()];
    assert!(layout.owns("event_x_0123456789.csv", "event", "pl", &known));
    assert!(!layout.owns("event_log_x_0123456789.csv", "event", "pl", &known));
}
