//! Unit tests of the listing: string prefixes, pruning, temp files, symlinks, odd names.

use std::collections::BTreeSet;
use std::fs;
use std::os::unix::fs::symlink;

use stowage_plugin_sdk::ErrorKind;

use super::*;

fn tree(files: &[&str]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for file in files {
        let path = dir.path().join(file);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(&path, file.as_bytes()).unwrap();
    }
    dir
}

fn keys(root: &Path, prefix: &str) -> BTreeSet<String> {
    let lister = LocalLister::new(root, prefix).unwrap();
    lister.map(|e| e.unwrap().key).collect()
}

fn set(keys: &[&str]) -> BTreeSet<String> {
    keys.iter().map(|k| k.to_string()).collect()
}

const FILES: &[&str] = &[
    "a/b.txt", "a/b/c", "a/bc/d", "a/x", "a/x2/b", "top", "z/y/x/w",
];

#[test]
fn prefixes_are_string_prefixes() {
    let dir = tree(FILES);
    let cases: &[(&str, &[&str])] = &[
        ("", FILES),
        ("a/b", &["a/b.txt", "a/b/c", "a/bc/d"]),
        ("a/b/", &["a/b/c"]),
        ("a/", &["a/b.txt", "a/b/c", "a/bc/d", "a/x", "a/x2/b"]),
        ("a", &["a/b.txt", "a/b/c", "a/bc/d", "a/x", "a/x2/b"]),
        ("a/x", &["a/x", "a/x2/b"]),
        ("t", &["top"]),
        ("top", &["top"]),
        ("top/", &[]),
        ("z/y/x/w", &["z/y/x/w"]),
        ("zz", &[]),
        ("missing/dir/", &[]),
    ];
    for (prefix, want) in cases {
        assert_eq!(keys(dir.path(), prefix), set(want), "prefix {prefix:?}");
    }
}

#[test]
fn entries_carry_size_and_mtime() {
    let dir = tree(&["d/file"]);
    let entries: Vec<ListEntry> = LocalLister::new(dir.path(), "")
        .unwrap()
        .map(|e| e.unwrap())
        .collect();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].key, "d/file");
    assert_eq!(entries[0].size, "d/file".len() as u64);
    assert!(entries[0].last_modified_ms.is_some_and(|ms| ms > 0));
}

#[test]
fn missing_root_lists_empty() {
    let dir = tempfile::tempdir().unwrap();
    assert!(keys(&dir.path().join("nope"), "").is_empty());
    let file = tree(&["f"]);
    assert!(
        keys(&file.path().join("f"), "").is_empty(),
        "root that is a file"
    );
}

#[test]
fn only_temp_files_are_skipped() {
    let dir = tree(&[
        "d/.stowage-tmp-1-2-3",
        ".stowage-tmp-x",
        "d/.hidden",
        "d/.stowage-tmpx",
        "d/ok",
    ]);
    fs::create_dir_all(dir.path().join(".stowage-tmp-dir")).unwrap();
    fs::write(dir.path().join(".stowage-tmp-dir/inside"), b"x").unwrap();
    let want = set(&[
        "d/.hidden",
        "d/.stowage-tmpx",
        "d/ok",
        ".stowage-tmp-dir/inside",
    ]);
    assert_eq!(keys(dir.path(), ""), want);
}

#[test]
fn symlinks_to_files_are_listed_but_directories_are_not_followed() {
    let dir = tree(&["real/f", "other/g"]);
    let root = dir.path();
    symlink(root.join("real/f"), root.join("file_link")).unwrap();
    symlink(root.join("other"), root.join("dir_link")).unwrap();
    symlink(root, root.join("real/loop")).unwrap();
    symlink(root.join("gone"), root.join("dangling")).unwrap();
    let listed: Vec<ListEntry> = LocalLister::new(root, "")
        .unwrap()
        .map(|e| e.unwrap())
        .collect();
    let names: BTreeSet<String> = listed.iter().map(|e| e.key.clone()).collect();
    assert_eq!(names, set(&["file_link", "other/g", "real/f"]));
    let link = listed.iter().find(|e| e.key == "file_link").unwrap();
    assert_eq!(link.size, "real/f".len() as u64, "size of the target");
}

#[test]
fn a_partial_last_segment_may_look_like_dots() {
    let dir = tree(&["a/..x", "a/.y", "a/z"]);
    assert_eq!(keys(dir.path(), "a/.."), set(&["a/..x"]));
    assert_eq!(keys(dir.path(), "a/."), set(&["a/..x", "a/.y"]));
}

#[test]
fn bad_prefixes_are_rejected() {
    let dir = tempfile::tempdir().unwrap();
    for prefix in ["/a", "../x", "a/../b", "./a", "a//b", "a/./", "nul\0"] {
        let err = LocalLister::new(dir.path(), prefix).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{prefix:?}: {err}");
    }
}

#[test]
fn non_utf8_names_are_reported_and_the_walk_goes_on() {
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt;
    let dir = tree(&["ok"]);
    fs::write(dir.path().join(OsStr::from_bytes(b"bad\xff")), b"x").unwrap();
    let results: Vec<Result<ListEntry>> = LocalLister::new(dir.path(), "").unwrap().collect();
    assert_eq!(results.len(), 2);
    let errors: Vec<&PluginError> = results.iter().filter_map(|r| r.as_ref().err()).collect();
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].kind(), ErrorKind::InvalidArgument);
    assert!(
        results
            .iter()
            .any(|r| r.as_ref().is_ok_and(|e| e.key == "ok"))
    );
}

#[test]
fn listing_is_lazy() {
    let dir = tree(&["a/1", "b/2"]);
    let mut lister = LocalLister::new(dir.path(), "").unwrap();
    let first = lister.next().unwrap().unwrap().key;
    let other = if first == "a/1" { "b" } else { "a" };
    fs::remove_dir_all(dir.path().join(other)).unwrap();
    assert!(
        lister.next().is_none(),
        "a directory removed mid-walk is skipped, not read up front"
    );
}
