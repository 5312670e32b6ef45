//! The plugin host against the ABI fixtures (`xtask/fixtures/`): incompatible and broken files are
//! rejected with a reason, panics inside plugins become errors (the process never aborts), an
//! ABI 1.0 plugin works in this host, and a current plugin works in an ABI 1.0 host.
//!
//! The fixtures are built by `cargo xtask fixtures` (or `test-all`), which exports
//! `STOWAGE_ABI_FIXTURES_DIR` (one subdirectory per fixture), `STOWAGE_OLD_HOST_BIN` and
//! `STOWAGE_TEST_PLUGIN_DIR`. Without them the tests are skipped locally and fail under `CI=true`.

use std::path::{Path, PathBuf};
use std::process::Command;

use stowage::plugins::{DiscoveryConfig, Registry};
use stowage_plugin_sdk::io::MemoryReader;
use stowage_plugin_sdk::testing::backend::{SuiteConfig, get, list_keys, put, run_suite};
use stowage_plugin_sdk::{ErrorKind, Options};

/// A path from the environment; `None` (skip) locally, a failure under `CI=true`.
fn env_path(var: &str) -> Option<PathBuf> {
    match std::env::var_os(var).filter(|v| !v.is_empty()) {
        Some(value) => Some(PathBuf::from(value)),
        None if std::env::var("CI").as_deref() == Ok("true") => {
            panic!("{var} is not set: fixtures not built; run cargo xtask test-all")
        }
        None => {
            eprintln!("skipped: {var} is not set (fixtures not built; run cargo xtask test-all)");
            None
        }
    }
}

/// The directory holding only fixture `name`.
fn fixture_dir(name: &str) -> Option<PathBuf> {
    let dir = env_path("STOWAGE_ABI_FIXTURES_DIR")?.join(name);
    assert!(dir.is_dir(), "fixture {name} is missing: {}", dir.display());
    Some(dir)
}

/// The fixture's library file.
fn fixture_lib(name: &str) -> Option<PathBuf> {
    let file = format!(
        "{}stowage_plugin_{name}{}",
        std::env::consts::DLL_PREFIX,
        std::env::consts::DLL_SUFFIX
    );
    Some(fixture_dir(name)?.join(file))
}

fn discover(dirs: Vec<PathBuf>) -> Registry {
    Registry::discover(&DiscoveryConfig::only_dirs(dirs))
}

/// Loads fixture `name` alone and returns the single rejection reason.
fn rejection_of(name: &str) -> Option<String> {
    let registry = discover(vec![fixture_dir(name)?]);
    let loaded: Vec<&str> = registry.plugins().iter().map(|p| p.name.as_str()).collect();
    assert!(
        loaded.is_empty(),
        "{name} must not load, but loaded {loaded:?}"
    );
    let rejected = registry.rejected();
    assert_eq!(
        rejected.len(),
        1,
        "{name}: expected one rejection: {rejected:?}"
    );
    let reason = rejected[0].reason.clone();
    assert!(!reason.trim().is_empty(), "{name}: empty rejection reason");
    eprintln!("{name}: rejected: {reason}");
    Some(reason)
}

/// Runs `body` in a child process (this test binary, filtered to `test_name`), so that a crash
/// while loading a broken file fails this one test with the signal named, instead of killing
/// every test of the binary.
fn in_child_process(test_name: &str, body: impl FnOnce()) {
    const CHILD: &str = "STOWAGE_ABI_FIXTURES_CHILD";
    if std::env::var_os(CHILD).is_some() {
        body();
        return;
    }
    let exe = std::env::current_exe().expect("test binary path");
    let out = Command::new(exe)
        .args([test_name, "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD, "1")
        .output()
        .expect("the test binary runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "{test_name} in a child process failed ({}; a signal means the host crashed):\n{stdout}\n{stderr}",
        out.status
    );
    // Pass the child's skip message on.
    eprint!("{stderr}");
}

fn assert_contains(text: &str, needle: &str) {
    assert!(text.contains(needle), "expected {needle:?} in {text:?}");
}

#[test]
fn wrong_major_is_rejected_for_the_missing_v1_symbol() {
    let Some(reason) = rejection_of("wrong_major") else {
        return;
    };
    assert_contains(&reason, "stowage_plugin_init_v1");
}

#[test]
fn layout_hash_mismatch_is_rejected() {
    let Some(reason) = rejection_of("bad_layout") else {
        return;
    };
    assert_contains(&reason.to_lowercase(), "layout hash");
}

#[test]
fn files_that_are_not_plugins_are_rejected() {
    for name in ["notaplugin", "bogus"] {
        if rejection_of(name).is_none() {
            return;
        }
    }
}

#[test]
fn truncated_plugin_is_rejected_without_crashing_the_host() {
    // glibc's dlopen maps segments past the end of a truncated ELF file and the process dies of
    // SIGBUS, so the host must check the file first; run in a child so a crash fails this test.
    in_child_process(
        "truncated_plugin_is_rejected_without_crashing_the_host",
        || {
            rejection_of("truncated");
        },
    );
}

#[test]
fn panic_in_init_is_rejected_and_the_host_lives() {
    let Some(reason) = rejection_of("panic_init") else {
        return;
    };
    assert_contains(&reason, "panicked");
    assert_contains(&reason, "deliberate panic in init");
}

#[test]
fn panic_in_a_backend_method_is_an_error_and_poisons_the_instance() {
    let Some(dir) = fixture_dir("panic_method") else {
        return;
    };
    let registry = discover(vec![dir]);
    assert!(registry.rejected().is_empty(), "{:?}", registry.rejected());
    let backend = registry
        .open_backend("panicky://x", &Options::default())
        .expect("opens");

    let err = backend.head("k").expect_err("head panics");
    assert_eq!(err.kind(), ErrorKind::Panic, "{err}");
    assert_contains(&err.to_string(), "deliberate panic in head");

    let err = backend.list("").err().expect("poisoned instance fails");
    assert_eq!(err.kind(), ErrorKind::Panic, "{err}");
    assert_contains(&err.to_string(), "poisoned");
    let err = backend.delete("k").expect_err("poisoned instance fails");
    assert_contains(&err.to_string(), "poisoned");

    // The poison is per instance: a fresh one panics on its own account, not "poisoned".
    let fresh = registry
        .open_backend("panicky://y", &Options::default())
        .expect("opens");
    let err = fresh.open_writer("k").err().expect("open_writer panics");
    assert_eq!(err.kind(), ErrorKind::Panic, "{err}");
    assert_contains(&err.to_string(), "deliberate panic in open_writer");
}

#[test]
fn panic_in_a_record_batch_stream_is_a_stream_error() {
    let Some(dir) = fixture_dir("panic_stream") else {
        return;
    };
    let registry = discover(vec![dir]);
    assert!(registry.rejected().is_empty(), "{:?}", registry.rejected());
    let format = registry
        .open_format("panicky", &Options::default())
        .expect("opens");
    let mut batches = format
        .read_stream(Box::new(MemoryReader::new(vec![1, 2, 3])), None)
        .expect("read_stream starts");

    let first = batches
        .next()
        .expect("a first item")
        .expect("the first batch is fine");
    assert_eq!(first.num_rows(), 3);
    let second = batches.next().expect("a second item");
    let err = second.expect_err("the second batch panics in the plugin");
    assert_contains(&err.to_string(), "panicked");
}

#[test]
fn abi_1_0_plugin_loads_and_works_in_this_host() {
    let Some(dir) = fixture_dir("old_minor") else {
        return;
    };
    let registry = discover(vec![dir]);
    assert!(registry.rejected().is_empty(), "{:?}", registry.rejected());
    let [plugin] = registry.plugins() else {
        panic!("expected one plugin, got {:?}", registry.plugins())
    };
    assert_eq!(plugin.abi_minor, 0);
    // `destinations` lies past the 1.0 manifest: the fixture puts a trap there.
    assert!(
        plugin.destinations.is_empty(),
        "read past struct_size: {:?}",
        plugin.destinations
    );
    let [info] = plugin.backends.as_slice() else {
        panic!("expected one backend, got {:?}", plugin.backends)
    };
    assert_eq!(info.name, "oldmem");
    assert_eq!(info.schemes, ["oldmem"]);
    assert!(!info.capabilities.copy && !info.capabilities.rename);

    let backend = registry
        .open_backend("oldmem://x", &Options::default())
        .expect("opens");
    let b = backend.as_ref();
    put(b, "a/1.txt", b"one").unwrap();
    put(b, "a/2.txt", b"two!").unwrap();
    put(b, "b/3.txt", b"three").unwrap();
    assert_eq!(get(b, "a/2.txt").unwrap(), b"two!");
    assert_eq!(b.head("b/3.txt").unwrap().size, 5);
    let keys: Vec<String> = list_keys(b, "a/").unwrap().into_iter().collect();
    assert_eq!(keys, ["a/1.txt", "a/2.txt"]);
    b.delete("a/1.txt").unwrap();
    assert_eq!(b.head("a/1.txt").unwrap_err().kind(), ErrorKind::NotFound);

    // copy/rename are ABI 1.1 slots; the fixture's vtable is 1.0-sized (traps behind it).
    let err = b.copy("a/2.txt", "c").expect_err("no copy in ABI 1.0");
    assert_eq!(err.kind(), ErrorKind::Unsupported, "{err}");
    let err = b.rename("a/2.txt", "c").expect_err("no rename in ABI 1.0");
    assert_eq!(err.kind(), ErrorKind::Unsupported, "{err}");

    // And the whole behaviour suite (copy/rename cases are skipped by capability).
    let config = SuiteConfig {
        large_object_bytes: 2 << 20,
        ..SuiteConfig::default()
    };
    run_suite(b, info.capabilities, &config);
}

#[test]
fn current_plugin_works_in_an_abi_1_0_host() {
    let Some(old_host) = env_path("STOWAGE_OLD_HOST_BIN") else {
        return;
    };
    let Some(plugins) = env_path("STOWAGE_TEST_PLUGIN_DIR") else {
        return;
    };
    let plugin = plugins.join(format!(
        "{}stowage_plugin_local{}",
        std::env::consts::DLL_PREFIX,
        std::env::consts::DLL_SUFFIX
    ));
    assert!(plugin.is_file(), "missing {}", plugin.display());
    let bucket = tempfile::tempdir().unwrap();
    let url = format!("file://{}", bucket.path().display());
    let out = Command::new(&old_host)
        .arg(&plugin)
        .arg(&url)
        .output()
        .expect("old_host runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && stdout.contains("old-host: ok"),
        "old_host {} {url} failed ({}):\n{stdout}\n{stderr}",
        plugin.display(),
        out.status
    );
}

#[test]
fn rejected_files_do_not_stop_a_good_plugin_in_the_same_dir() {
    in_child_process(
        "rejected_files_do_not_stop_a_good_plugin_in_the_same_dir",
        all_rejected_and_one_good,
    );
}

fn all_rejected_and_one_good() {
    let Some(plugins) = env_path("STOWAGE_TEST_PLUGIN_DIR") else {
        return;
    };
    let bad = [
        "wrong_major",
        "bad_layout",
        "notaplugin",
        "truncated",
        "bogus",
        "panic_init",
    ];
    let mut libs = Vec::new();
    for name in bad {
        let Some(lib) = fixture_lib(name) else { return };
        libs.push(lib);
    }
    let local = plugins.join(format!(
        "{}stowage_plugin_local{}",
        std::env::consts::DLL_PREFIX,
        std::env::consts::DLL_SUFFIX
    ));
    libs.push(local);

    let dir = tempfile::tempdir().unwrap();
    for lib in &libs {
        copy_into(lib, dir.path());
    }
    let registry = discover(vec![dir.path().to_path_buf()]);
    let loaded: Vec<&str> = registry.plugins().iter().map(|p| p.name.as_str()).collect();
    assert_eq!(loaded.len(), 1, "only the local plugin loads: {loaded:?}");
    assert_eq!(
        registry.rejected().len(),
        bad.len(),
        "{:?}",
        registry.rejected()
    );

    let bucket = tempfile::tempdir().unwrap();
    let url = format!("file://{}", bucket.path().display());
    let backend = registry
        .open_backend(&url, &Options::default())
        .expect("local backend opens");
    put(backend.as_ref(), "x/y.txt", b"still works").unwrap();
    assert_eq!(get(backend.as_ref(), "x/y.txt").unwrap(), b"still works");
}

fn copy_into(file: &Path, dir: &Path) {
    let name = file.file_name().expect("a file name");
    std::fs::copy(file, dir.join(name)).unwrap_or_else(|e| panic!("copy {}: {e}", file.display()));
}
