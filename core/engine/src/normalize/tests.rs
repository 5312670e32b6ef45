//! Normalizer tests against what dlt 1.31 produced for `tests/fixtures/dlt131/probe.py`.

use arrow_array::cast::AsArray;
use arrow_array::{Array, RecordBatch};
use serde_json::{Value, json};

use super::*;

/// The probe's input rows.
fn probe_rows() -> Vec<Record> {
    let rows = json!([
        {"id": 1, "Name": "Alice", "score": 1.5, "ok": true, "ts": "2024-01-02T03:04:05+02:00",
         "nested": {"a": 1, "deep": {"x": "y"}}, "tags": ["a", "b"],
         "kids": [{"n": 1, "toys": [{"t": "car"}]}], "matrix": [[1, 2], [3]], "none": null},
        {"id": 2, "Name": 5, "score": "abc", "ok": "yes", "extra": 3}
    ]);
    rows.as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_object().unwrap().clone())
        .collect()
}

fn dlt_probe_schema() -> Value {
    let file: Value = serde_json::from_str(include_str!(
        "../../tests/fixtures/dlt131/dlt_version_probe.jsonl"
    ))
    .unwrap();
    serde_json::from_str(file["schema"].as_str().unwrap()).unwrap()
}

fn normalize(rows: Vec<Record>) -> (RelationalNormalizer, Vec<(String, RecordBatch)>) {
    let mut n = RelationalNormalizer::new(
        Schema::new("probe"),
        &NormalizeOptions::new("Events", "1795323386.2126443"),
    )
    .unwrap();
    for row in rows {
        n.push(row).unwrap();
    }
    let batches = n.take_batches(0).unwrap();
    (n, batches)
}

#[test]
fn tables_and_columns_match_dlt() {
    let (n, _) = normalize(probe_rows());
    let dlt = dlt_probe_schema();
    let ours = n.schema().to_json();
    for table in n.schema().data_tables() {
        assert_eq!(
            ours["tables"][&table]["columns"], dlt["tables"][&table]["columns"],
            "columns of {table}"
        );
        assert_eq!(
            ours["tables"][&table]["parent"],
            dlt["tables"][&table]["parent"]
        );
    }
    let mut ours_tables = n.schema().data_tables();
    let mut dlt_tables: Vec<String> = dlt["tables"]
        .as_object()
        .unwrap()
        .keys()
        .filter(|t| !t.starts_with("_dlt"))
        .cloned()
        .collect();
    ours_tables.sort();
    dlt_tables.sort();
    assert_eq!(ours_tables, dlt_tables);
}

#[test]
fn schema_hash_matches_dlt_for_the_same_tables() {
    let (n, _) = normalize(probe_rows());
    let mut ours = n.into_schema();
    ours.bump_version();
    let dlt = dlt_probe_schema();
    // dlt's table order differs (state table created at extract); the hash sorts tables.
    assert_eq!(ours.compute_hash(), dlt["version_hash"].as_str().unwrap());
}

#[test]
fn values_linkage_and_ids() {
    let (_, batches) = normalize(probe_rows());
    let get = |t: &str| batches.iter().find(|(n, _)| n == t).unwrap().1.clone();
    let events = get("events");
    assert_eq!(events.num_rows(), 2);
    let name = events.column_by_name("name").unwrap().as_string::<i32>();
    assert_eq!(name.value(1), "5");
    let ok = events.column_by_name("ok").unwrap().as_boolean();
    assert!(ok.value(1));
    let variant = events
        .column_by_name("score__v_text")
        .unwrap()
        .as_string::<i32>();
    assert_eq!(variant.value(1), "abc");
    assert!(variant.is_null(0));
    let ts = events
        .column_by_name("ts")
        .unwrap()
        .as_primitive::<arrow_array::types::TimestampMicrosecondType>();
    assert_eq!(ts.value(0), 1_704_157_445_000_000); // 2024-01-02T01:04:05Z
    let root_id = events
        .column_by_name("_dlt_id")
        .unwrap()
        .as_string::<i32>()
        .value(0)
        .to_string();
    assert_eq!(root_id.len(), 14);

    let tags = get("events__tags");
    let parent = tags
        .column_by_name("_dlt_parent_id")
        .unwrap()
        .as_string::<i32>();
    assert_eq!(parent.value(0), root_id);
    let tag_id = tags.column_by_name("_dlt_id").unwrap().as_string::<i32>();
    assert_eq!(
        tag_id.value(1),
        ids::nested_row_id(&root_id, "events__tags", 1)
    );

    let matrix_list = get("events__matrix__list");
    assert_eq!(matrix_list.num_rows(), 3);
    let toys = get("events__kids__toys");
    assert_eq!(toys.num_rows(), 1);
    assert!(
        !events
            .schema()
            .field_with_name("_dlt_id")
            .unwrap()
            .is_nullable()
    );
}

#[test]
fn max_nesting_keeps_structures_as_json() {
    let mut options = NormalizeOptions::new("t", "1");
    options.max_nesting = 0;
    let mut n = RelationalNormalizer::new(Schema::new("s"), &options).unwrap();
    n.push(
        json!({"obj": {"a": 1}, "kids": [1, 2]})
            .as_object()
            .unwrap()
            .clone(),
    )
    .unwrap();
    let cols: Vec<(String, Option<DltType>)> = n
        .schema()
        .columns("t")
        .into_iter()
        .map(|c| (c.name, c.data_type))
        .collect();
    assert_eq!(cols[0], ("obj".into(), Some(DltType::Json)));
    assert_eq!(cols[1], ("kids".into(), Some(DltType::Json)));
    assert_eq!(n.schema().data_tables(), ["t"]);
}

#[test]
fn json_hint_is_not_flattened() {
    let mut options = NormalizeOptions::new("t", "1");
    options.column_hints = vec![("payload".into(), DltType::Json)];
    let mut n = RelationalNormalizer::new(Schema::new("s"), &options).unwrap();
    n.push(
        json!({"payload": {"a": [1, {"b": 2}]}})
            .as_object()
            .unwrap()
            .clone(),
    )
    .unwrap();
    let batches = n.take_batches(0).unwrap();
    assert_eq!(batches.len(), 1);
    let payload = batches[0]
        .1
        .column_by_name("payload")
        .unwrap()
        .as_string::<i32>();
    assert_eq!(payload.value(0), r#"{"a":[1,{"b":2}]}"#);
}

#[test]
fn null_only_columns_are_not_materialized_and_schema_evolves() {
    let (mut n, _) = normalize(vec![
        json!({"a": null, "b": 1}).as_object().unwrap().clone(),
    ]);
    assert!(n.schema().column_json("events", "a").is_none());
    let before = n.schema().columns("events").len();
    n.push(json!({"b": 2, "c": "new"}).as_object().unwrap().clone())
        .unwrap();
    assert_eq!(n.schema().columns("events").len(), before + 1);
}

#[test]
fn new_schema_history_and_table_order_match_dlt() {
    let (n, _) = normalize(probe_rows());
    let mut ours = n.into_schema();
    ours.bump_version();
    let dlt = dlt_probe_schema();
    let ours = ours.to_json();
    assert_eq!(ours["version"], dlt["version"]);
    assert_eq!(ours["previous_hashes"], dlt["previous_hashes"]);
    let order = |v: &Value| -> Vec<String> {
        v["tables"]
            .as_object()
            .unwrap()
            .keys()
            .take(4)
            .cloned()
            .collect()
    };
    assert_eq!(order(&ours), order(&dlt));
}
