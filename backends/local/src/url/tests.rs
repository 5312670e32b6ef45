//! The spec §8 table (plus dlt's `test_local_filesystem.py` cases): every accepted form, its
//! parsed root, canonical URL and native path, and every rejected form.

use std::path::{Path, PathBuf};

use stowage_plugin_sdk::ErrorKind;

use super::*;

const CWD: &str = "/work/cwd";

fn posix(p: &str) -> LocalRoot {
    LocalRoot::Posix(PathBuf::from(p))
}

fn segs(path: &[&str]) -> Vec<String> {
    path.iter().map(|s| s.to_string()).collect()
}

fn unc(host: &str, share: &str, path: &[&str]) -> LocalRoot {
    LocalRoot::Unc {
        host: host.into(),
        share: share.into(),
        path: segs(path),
    }
}

fn drive(letter: char, path: &[&str]) -> LocalRoot {
    LocalRoot::Drive {
        letter,
        path: segs(path),
    }
}

fn ext_drive(letter: char, path: &[&str]) -> LocalRoot {
    LocalRoot::ExtendedDrive {
        letter,
        path: segs(path),
    }
}

fn ext_unc(host: &str, share: &str, path: &[&str]) -> LocalRoot {
    LocalRoot::ExtendedUnc {
        host: host.into(),
        share: share.into(),
        path: segs(path),
    }
}

fn parse(url: &str) -> Result<LocalRoot> {
    parse_bucket_url_in(url, Some(Path::new(CWD)))
}

/// (input, parsed root, canonical `file://` URL, native path on Unix or `None` if Windows-only).
#[rustfmt::skip]
fn accepted() -> Vec<(&'static str, LocalRoot, &'static str, Option<&'static str>)> {
    let unc_csv = || unc("localhost", "c$", &["tests", "x.csv"]);
    let ext_unc_csv = || ext_unc("localhost", "c$", &["tests", "x.csv"]);
    let unc_csv_url = "file://localhost/c%24/tests/x.csv";
    let unc_csv_native = Some("//localhost/c$/tests/x.csv");
    let ext_unc_url = "file://%3F/UNC/localhost/c%24/tests/x.csv";
    let wsl = unc("wsl.localhost", "Ubuntu-18.04", &["home", "rudolfix", " .dlt"]);
    vec![
        // POSIX paths (bare, relative, `~` not expanded, trailing separator dropped).
        ("/data/x", posix("/data/x"), "file:///data/x", Some("/data/x")),
        ("/src/local/app", posix("/src/local/app"), "file:///src/local/app", Some("/src/local/app")),
        ("/data/x/", posix("/data/x"), "file:///data/x", Some("/data/x")),
        ("/data//./x", posix("/data/x"), "file:///data/x", Some("/data/x")),
        ("/", posix("/"), "file:///", Some("/")),
        ("_storage", posix("/work/cwd/_storage"), "file:///work/cwd/_storage", Some("/work/cwd/_storage")),
        ("./a/b", posix("/work/cwd/a/b"), "file:///work/cwd/a/b", Some("/work/cwd/a/b")),
        ("~/home_rel", posix("/work/cwd/~/home_rel"), "file:///work/cwd/~/home_rel", Some("/work/cwd/~/home_rel")),
        // `file:` URLs (percent-decoded; malformed escapes kept).
        ("file:///abs/path", posix("/abs/path"), "file:///abs/path", Some("/abs/path")),
        ("FILE:///abs/path", posix("/abs/path"), "file:///abs/path", Some("/abs/path")),
        ("file:/abs", posix("/abs"), "file:///abs", Some("/abs")),
        ("file:/", posix("/"), "file:///", Some("/")),
        ("file:///", posix("/"), "file:///", Some("/")),
        ("file:rel/x", posix("/work/cwd/rel/x"), "file:///work/cwd/rel/x", Some("/work/cwd/rel/x")),
        ("file:///tmp/a%20b/%C3%BC", posix("/tmp/a b/ü"), "file:///tmp/a%20b/%C3%BC", Some("/tmp/a b/ü")),
        ("file:///tmp/100%/%zz", posix("/tmp/100%/%zz"), "file:///tmp/100%25/%25zz", Some("/tmp/100%/%zz")),
        ("file:///a%2Fb", posix("/a/b"), "file:///a/b", Some("/a/b")),
        // `file://host/…` is UNC (POSIX: the path `//host/…`).
        ("file://localhost/var/data", unc("localhost", "var", &["data"]), "file://localhost/var/data", Some("//localhost/var/data")),
        ("file://localhost/c$/samples", unc("localhost", "c$", &["samples"]), "file://localhost/c%24/samples", Some("//localhost/c$/samples")),
        ("file://///localhost/c$/samples", unc("localhost", "c$", &["samples"]), "file://localhost/c%24/samples", Some("//localhost/c$/samples")),
        ("file:////localhost/c$/samples", unc("localhost", "c$", &["samples"]), "file://localhost/c%24/samples", Some("//localhost/c$/samples")),
        ("file://_storage/a/b/c.txt", unc("_storage", "a", &["b", "c.txt"]), "file://_storage/a/b/c.txt", Some("//_storage/a/b/c.txt")),
        ("file://localhost/c%24/tests/x.csv", unc_csv(), unc_csv_url, unc_csv_native),
        // Windows drive paths.
        ("file:///C:/samples", drive('C', &["samples"]), "file:///C:/samples", None),
        ("file:C:/samples", drive('C', &["samples"]), "file:///C:/samples", None),
        (r"C:\hello", drive('C', &["hello"]), "file:///C:/hello", None),
        ("C:/hello", drive('C', &["hello"]), "file:///C:/hello", None),
        (r"c:\a b\ü", drive('c', &["a b", "ü"]), "file:///c:/a%20b/%C3%BC", None),
        (r"C:\", drive('C', &[]), "file:///C:/", None),
        // UNC paths. Spec §8 writes `file://localhost/c$/…`, but Python 3.11's `as_uri()` (which
        // dlt calls) percent-encodes `$`: `file://localhost/c%24/…`. Both parse to the same root.
        (r"\\localhost\c$\tests\x.csv", unc_csv(), unc_csv_url, unc_csv_native),
        ("//localhost/c$/tests/x.csv", unc_csv(), unc_csv_url, unc_csv_native),
        (r"\\localhost/c$\tests/x.csv", unc_csv(), unc_csv_url, unc_csv_native),
        ("file://localhost/c$/tests/x.csv", unc_csv(), unc_csv_url, unc_csv_native),
        (r"\\wsl.localhost\Ubuntu-18.04\home\rudolfix\ .dlt", wsl, "file://wsl.localhost/Ubuntu-18.04/home/rudolfix/%20.dlt", Some("//wsl.localhost/Ubuntu-18.04/home/rudolfix/ .dlt")),
        (r"\\server\share", unc("server", "share", &[]), "file://server/share/", Some("//server/share")),
        // Extended-length paths.
        (r"\\?\C:\hello", ext_drive('C', &["hello"]), "file://%3F/C%3A/hello", None),
        ("//?/C:/hello", ext_drive('C', &["hello"]), "file://%3F/C%3A/hello", None),
        ("file://%3F/C%3A/hello", ext_drive('C', &["hello"]), "file://%3F/C%3A/hello", None),
        (r"\\?\UNC\localhost\c$\tests\x.csv", ext_unc_csv(), ext_unc_url, None),
        ("//?/unc/localhost/c$/tests/x.csv", ext_unc_csv(), ext_unc_url, None),
        (ext_unc_url, ext_unc_csv(), ext_unc_url, None),
    ]
}

#[test]
fn spec_table_parses_formats_and_opens() {
    for (input, root, url, native) in accepted() {
        let parsed = parse(input).unwrap_or_else(|e| panic!("{input:?}: {e}"));
        assert_eq!(parsed, root, "parse {input:?}");
        assert_eq!(to_file_url(&parsed), url, "to_file_url of {input:?}");
        match (parsed.native_path(), native) {
            (Ok(path), Some(want)) => assert_eq!(path, Path::new(want), "native path of {input:?}"),
            (Err(e), None) => assert_eq!(e.kind(), ErrorKind::Unsupported, "{input:?}: {e}"),
            (got, want) => panic!("{input:?}: native path {got:?}, expected {want:?}"),
        }
    }
}

#[test]
fn canonical_urls_round_trip() {
    for (input, root, url, _) in accepted() {
        assert_eq!(
            parse(url).ok().as_ref(),
            Some(&root),
            "{url:?} (from {input:?}) does not round-trip"
        );
    }
}

#[test]
fn windows_paths_display_natively() {
    let cases = [
        (r"C:\hello", r"C:\hello"),
        ("file:///C:/samples", r"C:\samples"),
        ("file://localhost/c$/samples", r"\\localhost\c$\samples"),
        ("file://///localhost/c$/samples", r"\\localhost\c$\samples"),
        ("//?/C:/hello", r"\\?\C:\hello"),
        (r"\\?\UNC\server\share\x", r"\\?\UNC\server\share\x"),
        ("/data/x", "/data/x"),
    ];
    for (input, shown) in cases {
        assert_eq!(parse(input).unwrap().to_string(), shown, "{input:?}");
    }
}

#[test]
fn windows_only_roots_are_unsupported_naming_the_path() {
    let err = parse(r"C:\hello").unwrap().native_path().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unsupported);
    assert!(err.to_string().contains(r"C:\hello"), "{err}");
}

#[test]
fn invalid_urls_are_rejected() {
    let cases = [
        "file:",
        "file://",
        "",
        "file://localhost",
        "file://localhost/",
        r"\\server",
        r"\\server\\",
        "C:",
        "C:hello",
        "file:///tmp/a?b",
        "file:///tmp/a#b",
        r"\\?\X\y",
        r"\\?\UNC\server",
        r"\\.\C:\x",
        "/tmp/nul\0byte",
        "file:///tmp/nul%00byte",
        "file://%FF/share",
        "s3://bucket/path",
        "memory:///m",
    ];
    for input in cases {
        let err = parse(input).expect_err(input);
        assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{input:?}: {err}");
        assert!(
            err.context().iter().any(|(k, v)| k == "url" && v == input),
            "{input:?}: {err}"
        );
    }
}

#[test]
fn relative_path_without_cwd_is_rejected() {
    let err = parse_bucket_url_in("rel/x", None).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{err}");
    assert_eq!(parse_bucket_url_in("/abs", None).unwrap(), posix("/abs"));
}

#[test]
fn relative_path_uses_the_process_cwd() {
    let cwd = std::env::current_dir().unwrap();
    assert_eq!(
        parse_bucket_url("some/dir").unwrap(),
        LocalRoot::Posix(cwd.join("some/dir"))
    );
}

#[test]
fn non_utf8_posix_paths_survive_percent_decoding() {
    use std::os::unix::ffi::OsStrExt;
    let root = parse("file:///tmp/%FF").unwrap();
    let LocalRoot::Posix(path) = &root else {
        panic!("{root:?}")
    };
    assert_eq!(path.as_os_str().as_bytes(), b"/tmp/\xff");
    assert_eq!(to_file_url(&root), "file:///tmp/%FF");
}

#[test]
fn quoting_matches_python() {
    // Python 3.11: PurePosixPath("/a b/ü%#?$").as_uri()
    let root = posix("/a b/ü%#?$");
    assert_eq!(to_file_url(&root), "file:///a%20b/%C3%BC%25%23%3F%24");
}
