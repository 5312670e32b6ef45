//! Merge keys on DuckDB and PostgreSQL (spec §6.3, dlt semantics): `dedup_sort` picks which
//! duplicate of a primary key survives (`desc`: the highest, `asc`: the lowest); `merge_key`
//! deletes every final row whose merge key is staged and inserts the staged rows without
//! deduplication; with both keys a final row goes if either matches. The keys are stored as
//! dlt column hints (`primary_key`/`merge_key: true`, `nullable: false`, `dedup_sort`) in the
//! pipeline's and the package's schema, so a later run without flags merges the same way; the
//! schema is stored in the destination's `_dlt_version` once per version hash.

mod staging_support;

use serde_json::Value;
use staging_support::{Staged, Target, duckdb, postgres, registry};
use stowage::disposition::WriteDisposition;
use stowage::plugins::Registry;
use stowage::schema::Schema;
use stowage::staging::{DedupSort, MergeStrategy};

const MERGE: WriteDisposition = WriteDisposition::Merge;

fn id_name(staged: &Staged<'_>, registry: &Registry) -> Vec<(i64, String)> {
    staged
        .rows(
            registry,
            &format!(
                "SELECT id, name FROM \"{}\".items ORDER BY id, name",
                staged.dataset
            ),
        )
        .iter()
        .map(|r| {
            (
                r["id"].as_i64().unwrap(),
                r["name"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn day_id(staged: &Staged<'_>, registry: &Registry) -> Vec<(i64, i64)> {
    staged
        .rows(
            registry,
            &format!(
                "SELECT day, id FROM \"{}\".items ORDER BY day, id",
                staged.dataset
            ),
        )
        .iter()
        .map(|r| (r["day"].as_i64().unwrap(), r["id"].as_i64().unwrap()))
        .collect()
}

const VERSIONS: &str = concat!(
    r#"{"id":1,"v":1,"name":"old"}"#,
    "\n",
    r#"{"id":1,"v":3,"name":"newest"}"#,
    "\n",
    r#"{"id":1,"v":2,"name":"mid"}"#,
    "\n",
    r#"{"id":2,"v":5,"name":"only"}"#,
    "\n",
);

fn stored_schema(staged: &Staged<'_>) -> Value {
    let path = staged
        .dir
        .join("pipelines/stage_test/schemas/stage_test.schema.json");
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

fn dedup_sort_and_hints(registry: &Registry, target: Target) {
    let dir = tempfile::tempdir().unwrap();
    let staged = Staged::new(dir.path(), "dedup", target);
    staged.load(registry, VERSIONS, MERGE, |s| {
        s.primary_key = vec!["id".into()];
        s.dedup_sort = Some(DedupSort::parse("v:desc").unwrap());
    });
    assert_eq!(
        id_name(&staged, registry),
        [(1, "newest".into()), (2, "only".into())],
        "{}: desc keeps the highest v",
        staged.target.name
    );

    // dlt's column hints, in the pipeline's schema and the loaded package's.
    let schema = stored_schema(&staged);
    let columns = &schema["tables"]["items"]["columns"];
    assert_eq!(columns["id"]["primary_key"], true, "{columns}");
    assert_eq!(columns["id"]["nullable"], false, "{columns}");
    assert_eq!(columns["v"]["dedup_sort"], "desc", "{columns}");
    assert!(columns["name"].get("primary_key").is_none(), "{columns}");
    let parsed = Schema::from_json(schema.clone()).unwrap();
    assert_eq!(
        parsed.version_hash(),
        parsed.compute_hash(),
        "the stored hash is the content's"
    );
    let loaded = dir.path().join("pipelines/stage_test/load/loaded");
    let package = std::fs::read_dir(&loaded).unwrap().next().unwrap().unwrap();
    let package_schema: Value =
        serde_json::from_slice(&std::fs::read(package.path().join("schema.json")).unwrap())
            .unwrap();
    assert_eq!(
        package_schema, schema,
        "the package carries the same schema"
    );

    // `_dlt_version` holds this schema version once, with its document.
    let ds = &staged.dataset;
    let versions = staged.rows(
        registry,
        &format!(
            "SELECT version, engine_version, schema_name, version_hash, schema FROM \"{ds}\"._dlt_version"
        ),
    );
    assert_eq!(versions.len(), 1, "{versions:?}");
    assert_eq!(versions[0]["version_hash"], schema["version_hash"]);
    assert_eq!(versions[0]["version"], schema["version"]);
    assert_eq!(versions[0]["engine_version"], schema["engine_version"]);
    assert_eq!(versions[0]["schema_name"], "stage_test");
    let stored: Value = serde_json::from_str(versions[0]["schema"].as_str().unwrap()).unwrap();
    assert_eq!(stored, schema);

    // A later run without flags merges on the stored hints; asc keeps the lowest v.
    staged.load(registry, r#"{"id":2,"v":9,"name":"two"}"#, MERGE, |_| {});
    assert_eq!(
        id_name(&staged, registry),
        [(1, "newest".into()), (2, "two".into())]
    );
    let versions_after = staged.count(registry, "_dlt_version");
    assert_eq!(versions_after, 1, "same schema: no new _dlt_version row");
    staged.load(registry, VERSIONS, MERGE, |s| {
        s.primary_key = vec!["id".into()];
        s.dedup_sort = Some(DedupSort::parse("v:asc").unwrap());
    });
    assert_eq!(
        id_name(&staged, registry),
        [(1, "old".into()), (2, "only".into())],
        "{}: asc keeps the lowest v",
        staged.target.name
    );
    let schema = stored_schema(&staged);
    assert_eq!(
        schema["tables"]["items"]["columns"]["v"]["dedup_sort"],
        "asc"
    );
    let versions = staged.rows(
        registry,
        &format!("SELECT version_hash FROM \"{ds}\"._dlt_version ORDER BY version"),
    );
    assert_eq!(versions.len(), 2, "a new schema version: {versions:?}");
    assert_eq!(versions[1]["version_hash"], schema["version_hash"]);
    let loads = staged.count(registry, "_dlt_loads");
    assert_eq!(loads, 3);
    staged.cleanup(registry);
}

fn merge_key(registry: &Registry, target: Target) {
    let dir = tempfile::tempdir().unwrap();
    let staged = Staged::new(dir.path(), "mkey", target);
    let by_day = |s: &mut stowage::staging::StagingOptions| s.merge_key = vec!["day".into()];
    staged.load(
        registry,
        "{\"day\":1,\"id\":1}\n{\"day\":1,\"id\":2}\n{\"day\":2,\"id\":3}\n",
        MERGE,
        by_day,
    );
    assert_eq!(day_id(&staged, registry), [(1, 1), (1, 2), (2, 3)]);
    // Day 1 is replaced as a whole; day 2 stays.
    staged.load(registry, "{\"day\":1,\"id\":9}\n", MERGE, by_day);
    assert_eq!(day_id(&staged, registry), [(1, 9), (2, 3)]);
    // No primary key: staged duplicates are all inserted (dlt does not deduplicate then).
    staged.load(
        registry,
        "{\"day\":2,\"id\":4}\n{\"day\":2,\"id\":4}\n",
        MERGE,
        by_day,
    );
    assert_eq!(day_id(&staged, registry), [(1, 9), (2, 4), (2, 4)]);
    let schema = stored_schema(&staged);
    assert_eq!(
        schema["tables"]["items"]["columns"]["day"]["merge_key"],
        true
    );
    // Both keys: a final row goes when its primary key OR its merge key is staged.
    staged.load(registry, "{\"day\":3,\"id\":9}\n", MERGE, |s| {
        s.primary_key = vec!["id".into()];
        s.merge_key = vec!["day".into()];
    });
    assert_eq!(
        day_id(&staged, registry),
        [(2, 4), (2, 4), (3, 9)],
        "{}: id 9 left day 1 for day 3",
        staged.target.name
    );

    // upsert takes only a primary key (as dlt).
    let options = staged.options("{\"day\":3,\"id\":9}\n", MERGE, |s| {
        s.merge_strategy = MergeStrategy::Upsert
    });
    let err = stowage::pipeline::run(registry, &options)
        .expect_err("upsert with a merge key")
        .to_string();
    assert!(err.contains("does not support merge_key"), "{err}");
    assert_eq!(day_id(&staged, registry), [(2, 4), (2, 4), (3, 9)]);
    // A refused run leaves no hints behind.
    let options = staged.options("{\"day\":3,\"id\":9}\n", MERGE, |s| {
        s.merge_strategy = MergeStrategy::Upsert;
        s.primary_key = vec!["day".into()];
    });
    stowage::pipeline::run(registry, &options).expect_err("upsert with a merge key");
    let columns = &stored_schema(&staged)["tables"]["items"]["columns"];
    assert_eq!(columns["id"]["primary_key"], true, "{columns}");
    assert!(columns["day"].get("primary_key").is_none(), "{columns}");

    // A key column the table lacks is refused before anything is loaded.
    let options = staged.options("{\"day\":3,\"id\":10}\n", MERGE, |s| {
        s.primary_key = vec!["nope".into()]
    });
    let err = stowage::pipeline::run(registry, &options)
        .expect_err("unknown key column")
        .to_string();
    assert!(
        err.contains("`nope` is not a column of table `items`"),
        "{err}"
    );
    staged.cleanup(registry);
}

#[test]
fn duckdb_dedup_sort_and_key_hints() {
    let Some(registry) = registry() else { return };
    let dir = tempfile::tempdir().unwrap();
    dedup_sort_and_hints(&registry, duckdb(dir.path()));
}

#[test]
fn postgres_dedup_sort_and_key_hints() {
    let Some(registry) = registry() else { return };
    let Some(pg) = postgres() else { return };
    dedup_sort_and_hints(&registry, pg);
}

#[test]
fn duckdb_merge_key() {
    let Some(registry) = registry() else { return };
    let dir = tempfile::tempdir().unwrap();
    merge_key(&registry, duckdb(dir.path()));
}

#[test]
fn postgres_merge_key() {
    let Some(registry) = registry() else { return };
    let Some(pg) = postgres() else { return };
    merge_key(&registry, pg);
}
