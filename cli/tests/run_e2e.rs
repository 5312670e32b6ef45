//! End-to-end `stowage run` through the built binary and real plugins.

mod common;

use std::io::Read;

use common::*;

#[test]
fn loads_100k_rows_with_dlt_names_and_marker_last() {
    let Some(plugins) = plugin_dir() else { return };
    let work = tempfile::tempdir().unwrap();
    let input = work.path().join("input.ndjson");
    write_ndjson(&input, 100_000);
    let bucket = work.path().join("bucket");
    let url = format!("file://{}", bucket.display());
    let out = run(stowage(&plugins, work.path()).args([
        "run",
        "input.ndjson",
        "--table",
        "Events",
        "--bucket-url",
        &url,
    ]));
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "stdout: {stdout}\nstderr: {stderr}");

    let files = files_under(&bucket.join("stowage_dataset"));
    // init, data, schema version, pipeline state, marker
    assert_eq!(files.len(), 5, "{files:?}");
    for folder in ["_dlt_version/stowage__", "_dlt_pipeline_state/stowage__"] {
        assert_eq!(
            files.iter().filter(|f| f.starts_with(folder)).count(),
            1,
            "{files:?}"
        );
    }
    assert_eq!(
        std::fs::read_to_string(bucket.join("stowage_dataset/init")).unwrap(),
        r#"{"initial_version":2,"current_version":2}"#
    );
    let data: Vec<&String> = files.iter().filter(|f| f.starts_with("events/")).collect();
    assert_eq!(data.len(), 1);
    let name = data[0].strip_prefix("events/").unwrap();
    let parts: Vec<&str> = name.rsplitn(3, '.').collect();
    assert_eq!(&parts[..2], &["gz", "jsonl"], "{name}");
    let (load_and_file, _) = name.split_at(name.len() - ".jsonl.gz".len());
    let (load_id, file_id) = load_and_file.rsplit_once('.').unwrap();
    assert!(
        load_id.parse::<f64>().is_ok() && load_id.contains('.'),
        "{load_id}"
    );
    assert!(
        file_id.len() == 10 && file_id.chars().all(|c| c.is_ascii_hexdigit()),
        "{file_id}"
    );
    let marker = format!("_dlt_loads/stowage__{load_id}.jsonl");
    assert!(files.contains(&marker), "{files:?}");

    let mut lines = String::new();
    flate2::read::GzDecoder::new(
        std::fs::File::open(bucket.join("stowage_dataset").join(data[0])).unwrap(),
    )
    .read_to_string(&mut lines)
    .unwrap();
    assert_eq!(lines.lines().count(), 100_000);
    let first: serde_json::Value = serde_json::from_str(lines.lines().next().unwrap()).unwrap();
    assert_eq!(first["id"], 0);
    assert_eq!(first["_dlt_load_id"], load_id);
    assert_eq!(first["_dlt_id"].as_str().unwrap().len(), 14);

    let mtime = |rel: &str| {
        std::fs::metadata(bucket.join("stowage_dataset").join(rel))
            .unwrap()
            .modified()
            .unwrap()
    };
    for f in &files {
        assert!(
            mtime(&marker) >= mtime(f),
            "marker is not the newest object ({f} is newer)"
        );
    }
    let marker_doc: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(bucket.join("stowage_dataset").join(&marker)).unwrap(),
    )
    .unwrap();
    assert_eq!(marker_doc["load_id"], load_id);
    assert_eq!(marker_doc["status"], 0);
}

#[test]
fn malformed_line_fails_with_file_and_line_and_leaves_nothing() {
    let Some(plugins) = plugin_dir() else { return };
    let work = tempfile::tempdir().unwrap();
    let mut text_in = String::new();
    for i in 0..10 {
        text_in.push_str(&if i == 6 {
            "{\"id\": 7, oops}\n".to_string()
        } else {
            format!("{{\"id\":{i}}}\n")
        });
    }
    std::fs::write(work.path().join("bad.ndjson"), text_in).unwrap();
    let out = run(stowage(&plugins, work.path()).args([
        "run",
        "bad.ndjson",
        "--table",
        "t",
        "--bucket-url",
        "bucket",
    ]));
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("bad.ndjson:7:"), "{stderr}");
    let bucket_files = files_under(&work.path().join("bucket"));
    assert!(
        bucket_files
            .iter()
            .all(|f| !f.contains("_dlt_loads") && !f.starts_with("stowage_dataset/t/")),
        "{bucket_files:?}"
    );
    let pipeline = files_under(&work.path().join("pipelines/stowage/load"));
    assert!(
        pipeline.is_empty(),
        "a failed normalization left {pipeline:?}"
    );
}

#[test]
fn garbage_plugin_is_rejected_and_the_run_still_works() {
    let Some(plugins) = plugin_dir() else { return };
    let work = tempfile::tempdir().unwrap();
    let dir = work.path().join("plugins");
    std::fs::create_dir(&dir).unwrap();
    for name in ["libstowage_plugin_local.so", "libstowage_plugin_jsonl.so"] {
        std::fs::copy(plugins.join(name), dir.join(name)).unwrap();
    }
    std::fs::write(
        dir.join("libstowage_plugin_bogus.so"),
        b"this is not a shared library",
    )
    .unwrap();
    let out = run(stowage(&dir, work.path()).arg("plugins"));
    let (stdout, _) = text(&out);
    assert!(out.status.success());
    assert!(
        stdout.contains("backend local") && stdout.contains("format jsonl"),
        "{stdout}"
    );
    let rejected = stdout
        .lines()
        .find(|l| l.contains("libstowage_plugin_bogus.so"))
        .expect("bogus listed");
    assert!(rejected.contains("cannot load"), "{rejected}");

    write_ndjson(&work.path().join("in.ndjson"), 10);
    let out = run(stowage(&dir, work.path()).args(["run", "in.ndjson", "--table", "t"]));
    assert!(out.status.success(), "{:?}", text(&out));
    assert!(
        files_under(&work.path().join("_storage"))
            .iter()
            .any(|f| f.contains("_dlt_loads"))
    );
}

#[test]
fn stdin_input_and_uncompressed_files() {
    let Some(plugins) = plugin_dir() else { return };
    let work = tempfile::tempdir().unwrap();
    let mut cmd = stowage(&plugins, work.path());
    cmd.args([
        "run",
        "-",
        "--table",
        "t",
        "--disable-compression",
        "--dataset",
        "My Data-Set",
    ]);
    cmd.stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"{\"a\":1}\n{\"a\":2}\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{:?}", text(&out));
    let files = files_under(&work.path().join("_storage/my_data_set/t"));
    assert!(
        files.len() == 1 && files[0].ends_with(".jsonl"),
        "{files:?}"
    );
    let body = std::fs::read_to_string(work.path().join("_storage/my_data_set/t").join(&files[0]))
        .unwrap();
    assert_eq!(body.lines().count(), 2);
}

#[test]
fn vendor_backend_works_with_an_unmodified_binary() {
    let Some(plugins) = plugin_dir() else { return };
    let Some(vendor) = std::env::var_os("STOWAGE_VENDOR_PLUGIN") else {
        assert!(
            std::env::var("CI").map_or(true, |v| v != "true"),
            "STOWAGE_VENDOR_PLUGIN not set in CI"
        );
        eprintln!("skipped: vendor plugin not built");
        return;
    };
    let work = tempfile::tempdir().unwrap();
    let dir = work.path().join("vendor");
    std::fs::create_dir(&dir).unwrap();
    std::fs::copy(&vendor, dir.join("libstowage_plugin_memory.so")).unwrap();
    let mut listing = stowage(&plugins, work.path());
    listing.arg("--plugin-dir").arg(&dir).arg("plugins");
    let (stdout, _) = text(&run(&mut listing));
    assert!(
        stdout.contains("backend memory: schemes memory"),
        "{stdout}"
    );
    write_ndjson(&work.path().join("in.ndjson"), 50);
    let mut cmd = stowage(&plugins, work.path());
    cmd.arg("--plugin-dir").arg(&dir).args([
        "run",
        "in.ndjson",
        "--table",
        "t",
        "--bucket-url",
        "memory://vendor-bucket",
    ]);
    let out = run(&mut cmd);
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("loaded 50 rows") && stdout.contains("memory://vendor-bucket"),
        "{stdout}"
    );
}
