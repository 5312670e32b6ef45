//! Unit tests of the store: key checks, not-found mapping, directories, copy, rename, opening.

use std::fs;
use std::os::unix::fs::symlink;

use stowage_plugin_sdk::{ErrorKind, Options};

use super::*;
use crate::open_store;

fn store() -> (tempfile::TempDir, LocalStore) {
    let dir = tempfile::tempdir().unwrap();
    let store = LocalStore::new(dir.path().to_path_buf());
    (dir, store)
}

fn put(store: &LocalStore, key: &str, data: &[u8]) {
    let mut w = store.open_writer(key).unwrap();
    w.write(data).unwrap();
    w.finish().unwrap();
}

fn get(store: &LocalStore, key: &str) -> Vec<u8> {
    let mut r = store.open_reader(key).unwrap();
    let mut buf = vec![0u8; r.size().unwrap() as usize];
    assert_eq!(r.read_at(0, &mut buf).unwrap(), buf.len());
    buf
}

fn kind<T>(result: Result<T>) -> ErrorKind {
    result.err().map(|e| e.kind()).expect("expected an error")
}

fn context(err: &PluginError, key: &str) -> Option<String> {
    err.context()
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.clone())
}

#[test]
fn keys_are_checked() {
    let good = [
        "a",
        "a/b.txt",
        "with space",
        "ü/表.jsonl",
        "..foo",
        "a/.hidden",
        "x:y",
        "a\\b",
    ];
    for key in good {
        assert!(validate_key(key).is_ok(), "{key:?} should be valid");
    }
    let bad = [
        "",
        "/a",
        "..",
        ".",
        "a/..",
        "a/../b",
        "../a",
        "./a",
        "a/./b",
        "a//b",
        "a/",
        "nul\0",
        ".stowage-tmp-x",
        "d/.stowage-tmp-x",
    ];
    let (_dir, store) = store();
    for key in bad {
        let err = store.open_writer(key).map(|_| ()).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{key:?}: {err}");
        assert_eq!(context(&err, "key").as_deref(), Some(key), "{err}");
        assert_eq!(kind(store.head(key)), ErrorKind::InvalidArgument, "{key:?}");
        assert_eq!(
            kind(store.delete(key)),
            ErrorKind::InvalidArgument,
            "{key:?}"
        );
    }
}

#[test]
fn missing_objects_are_not_found_with_context() {
    let (dir, store) = store();
    let err = store.head("nope/x.jsonl").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
    assert_eq!(context(&err, "key").as_deref(), Some("nope/x.jsonl"));
    let want_path = dir.path().join("nope/x.jsonl").display().to_string();
    assert_eq!(context(&err, "path"), Some(want_path));
    assert_eq!(kind(store.open_reader("nope/x.jsonl")), ErrorKind::NotFound);
}

#[test]
fn directories_and_paths_through_files_are_not_objects() {
    let (_dir, store) = store();
    put(&store, "d/obj", b"x");
    assert_eq!(kind(store.head("d")), ErrorKind::NotFound);
    assert_eq!(kind(store.open_reader("d")), ErrorKind::NotFound);
    assert_eq!(kind(store.head("d/obj/child")), ErrorKind::NotFound);
    assert_eq!(kind(store.open_reader("d/obj/child")), ErrorKind::NotFound);
    store.delete("d").unwrap();
    store.delete("d/obj/child").unwrap();
    assert_eq!(get(&store, "d/obj"), b"x");
}

#[test]
fn head_reports_size_and_mtime() {
    let (_dir, store) = store();
    put(&store, "a/b/c.bin", &[0u8; 1234]);
    let meta = store.head("a/b/c.bin").unwrap();
    assert_eq!(meta.size, 1234);
    let now_ms = std::time::SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis();
    let mtime = meta.last_modified_ms.expect("mtime") as u128;
    assert!(
        mtime <= now_ms + 1000 && mtime + 60_000 > now_ms,
        "{mtime} vs {now_ms}"
    );
}

#[test]
fn delete_removes_the_file_and_ignores_missing_keys() {
    let (dir, store) = store();
    put(&store, "a/x", b"1");
    store.delete("a/x").unwrap();
    assert!(!dir.path().join("a/x").exists());
    store.delete("a/x").unwrap();
    store.delete("never/existed").unwrap();
}

#[test]
fn symlinked_files_are_objects() {
    let (dir, store) = store();
    put(&store, "target", b"linked");
    symlink(dir.path().join("target"), dir.path().join("link")).unwrap();
    assert_eq!(store.head("link").unwrap().size, 6);
    assert_eq!(get(&store, "link"), b"linked");
}

#[test]
fn copy_replaces_the_target_and_leaves_the_source() {
    let (dir, store) = store();
    put(&store, "src", b"new content");
    put(&store, "deep/dst", b"old");
    store.copy("src", "deep/dst").unwrap();
    assert_eq!(get(&store, "deep/dst"), b"new content");
    assert_eq!(get(&store, "src"), b"new content");
    store.copy("src", "src").unwrap();
    assert_eq!(get(&store, "src"), b"new content");
    let names: Vec<_> = fs::read_dir(dir.path().join("deep")).unwrap().collect();
    assert_eq!(names.len(), 1, "temporary file left behind: {names:?}");
}

#[test]
fn copy_and_rename_of_missing_sources_are_not_found() {
    let (dir, store) = store();
    fs::create_dir(dir.path().join("adir")).unwrap();
    for from in ["missing", "adir"] {
        assert_eq!(kind(store.copy(from, "x")), ErrorKind::NotFound, "{from}");
        assert_eq!(kind(store.rename(from, "x")), ErrorKind::NotFound, "{from}");
    }
    assert!(!dir.path().join("x").exists());
}

#[test]
fn rename_creates_the_target_directory_and_overwrites() {
    let (dir, store) = store();
    put(&store, "a", b"first");
    store.rename("a", "n/e/w").unwrap();
    assert_eq!(get(&store, "n/e/w"), b"first");
    assert!(!dir.path().join("a").exists());
    put(&store, "b", b"second");
    store.rename("b", "n/e/w").unwrap();
    assert_eq!(get(&store, "n/e/w"), b"second");
}

#[test]
fn writing_below_a_file_fails_cleanly() {
    let (_dir, store) = store();
    put(&store, "file", b"x");
    let err = store.open_writer("file/child").map(|_| ()).unwrap_err();
    assert_eq!(context(&err, "key").as_deref(), Some("file/child"), "{err}");
}

#[test]
fn open_store_accepts_paths_and_file_urls() {
    let dir = tempfile::tempdir().unwrap();
    let url = crate::to_file_url(&crate::LocalRoot::Posix(dir.path().to_path_buf()));
    for url in [url, dir.path().display().to_string()] {
        let store = open_store(&url, Options::default()).unwrap();
        assert_eq!(store.root(), dir.path(), "{url}");
    }
    let missing = dir.path().join("not/yet");
    let store = open_store(missing.to_str().unwrap(), Options::default()).unwrap();
    put(&store, "k", b"v");
    assert!(missing.join("k").is_file());
}

#[test]
fn open_store_rejects_bad_roots_and_options() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("file");
    fs::write(&file, b"x").unwrap();
    let path = dir.path().display().to_string();
    assert_eq!(
        kind(open_store(file.to_str().unwrap(), Options::default())),
        ErrorKind::InvalidArgument
    );
    let opts = Options::new([("colour", "red")]);
    assert_eq!(kind(open_store(&path, opts)), ErrorKind::InvalidArgument);
    assert_eq!(
        kind(open_store("file://", Options::default())),
        ErrorKind::InvalidArgument
    );
    let err = open_store(r"C:\hello", Options::default()).err().unwrap();
    assert_eq!(err.kind(), ErrorKind::Unsupported);
    assert!(err.to_string().contains(r"bucket `C:\hello`"), "{err}");
}
