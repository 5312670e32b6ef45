//! Backend behaviour suite: the contract in [`crate::backend`], checked case by case.
//!
//! Run it in-process from a plugin's tests, or from the host through real dlopen:
//! ```text
//! stowage_plugin_sdk::testing::backend::run_suite(&backend, caps, &SuiteConfig::default());
//! ```
//! Every case works under its own random prefix and cleans up after itself. Cases that need a
//! capability the backend does not declare are skipped and reported as such.

use std::collections::BTreeSet;

use crate::backend::{Backend, BackendCapabilities};
use crate::{ErrorKind, PluginError, Result};

/// Settings of one suite run.
#[derive(Debug, Clone)]
pub struct SuiteConfig {
    /// Size of the large streamed object (never held whole in memory).
    pub large_object_bytes: u64,
    /// Chunk size used for streaming writes and reads.
    pub chunk_bytes: usize,
    /// Prefix under which all test objects are written (a random suffix is added).
    pub root_prefix: String,
}

impl Default for SuiteConfig {
    fn default() -> Self {
        SuiteConfig {
            large_object_bytes: 16 << 20,
            chunk_bytes: 1 << 20,
            root_prefix: "stowage-suite".into(),
        }
    }
}

/// Context handed to each case.
#[derive(Clone, Copy)]
pub struct Ctx<'a> {
    /// The backend under test.
    pub backend: &'a dyn Backend,
    /// Its declared capabilities.
    pub caps: BackendCapabilities,
    /// Suite settings.
    pub config: &'a SuiteConfig,
    /// Unique prefix for this case, ending with `/`.
    pub prefix: &'a str,
}

impl std::fmt::Debug for Ctx<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ctx")
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

type Case = fn(&Ctx<'_>) -> Result<()>;
/// Whether a case applies to a backend with these capabilities.
type Needs = fn(BackendCapabilities) -> bool;

fn rw(c: BackendCapabilities) -> bool {
    c.read && c.write && c.list && c.delete
}

/// Every case: (name, needed capabilities, body).
pub fn cases() -> Vec<(&'static str, Needs, Case)> {
    vec![
        ("empty_object_round_trip", rw, empty_object_round_trip),
        ("small_object_round_trip", rw, small_object_round_trip),
        ("overwrite_replaces_content", rw, overwrite_replaces_content),
        ("large_object_streamed", rw, large_object_streamed),
        ("ranged_reads", |c| rw(c) && c.read_with_range, ranged_reads),
        ("special_character_keys", rw, special_character_keys),
        (
            "nested_prefixes_listed_recursively",
            rw,
            nested_prefixes_listed_recursively,
        ),
        (
            "list_prefix_is_a_string_prefix",
            rw,
            list_prefix_is_a_string_prefix,
        ),
        (
            "list_missing_prefix_is_empty",
            rw,
            list_missing_prefix_is_empty,
        ),
        (
            "missing_object_is_not_found",
            rw,
            missing_object_is_not_found,
        ),
        ("delete_is_idempotent", rw, delete_is_idempotent),
        ("abort_leaves_nothing", rw, abort_leaves_nothing),
        (
            "drop_without_finish_leaves_nothing",
            rw,
            drop_without_finish_leaves_nothing,
        ),
        (
            "unfinished_write_is_invisible",
            |c| rw(c) && c.atomic_write,
            unfinished_write_is_invisible,
        ),
        ("copy_object", |c| rw(c) && c.copy, copy_object),
        ("rename_object", |c| rw(c) && c.rename, rename_object),
    ]
}

/// Outcome of one case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The case passed.
    Passed,
    /// The backend does not declare the needed capability.
    Skipped,
    /// The case failed with this message.
    Failed(String),
}

/// Runs every case and returns (name, outcome) pairs.
pub fn run_cases(
    backend: &dyn Backend,
    caps: BackendCapabilities,
    config: &SuiteConfig,
) -> Vec<(&'static str, Outcome)> {
    let run_id = unique_suffix();
    cases()
        .into_iter()
        .map(|(name, needs, case)| {
            if !needs(caps) {
                return (name, Outcome::Skipped);
            }
            let prefix = format!("{}-{run_id}/{name}/", config.root_prefix);
            let ctx = Ctx {
                backend,
                caps,
                config,
                prefix: &prefix,
            };
            let result = case(&ctx);
            let cleanup = delete_prefix(backend, &prefix);
            let outcome = match (result, cleanup) {
                (Ok(()), Ok(())) => Outcome::Passed,
                (Err(e), _) => Outcome::Failed(e.to_string()),
                (Ok(()), Err(e)) => Outcome::Failed(format!("cleanup failed: {e}")),
            };
            (name, outcome)
        })
        .collect()
}

/// Runs every case; panics with the list of failures (for use in `#[test]`).
pub fn run_suite(backend: &dyn Backend, caps: BackendCapabilities, config: &SuiteConfig) {
    let results = run_cases(backend, caps, config);
    let failed: Vec<String> = results
        .iter()
        .filter_map(|(name, o)| match o {
            Outcome::Failed(msg) => Some(format!("  {name}: {msg}")),
            _ => None,
        })
        .collect();
    for (name, outcome) in &results {
        eprintln!("backend suite: {name}: {outcome:?}");
    }
    assert!(
        failed.is_empty(),
        "backend behaviour suite failed:\n{}",
        failed.join("\n")
    );
}

fn unique_suffix() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    format!("{:x}-{:x}", std::process::id(), nanos)
}

fn check(cond: bool, what: impl FnOnce() -> String) -> Result<()> {
    if cond {
        Ok(())
    } else {
        Err(PluginError::unexpected(what()))
    }
}

pub use crate::io::{read_object as get, write_object as put};

/// Lists keys under `prefix` (sorted).
pub fn list_keys(backend: &dyn Backend, prefix: &str) -> Result<BTreeSet<String>> {
    backend.list(prefix)?.map(|e| e.map(|e| e.key)).collect()
}

fn delete_prefix(backend: &dyn Backend, prefix: &str) -> Result<()> {
    for key in list_keys(backend, prefix)? {
        backend.delete(&key)?;
    }
    Ok(())
}

fn expect_not_found<T>(result: Result<T>, what: &str) -> Result<()> {
    match result {
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(()),
        Err(e) => Err(PluginError::unexpected(format!(
            "{what}: expected NotFound, got {e}"
        ))),
        Ok(_) => Err(PluginError::unexpected(format!(
            "{what}: expected NotFound, got success"
        ))),
    }
}

fn empty_object_round_trip(ctx: &Ctx<'_>) -> Result<()> {
    let key = format!("{}empty", ctx.prefix);
    check(put(ctx.backend, &key, b"")? == 0, || {
        "finish reported a non-zero size".into()
    })?;
    check(ctx.backend.head(&key)?.size == 0, || {
        "head size is not 0".into()
    })?;
    check(get(ctx.backend, &key)?.is_empty(), || {
        "read back non-empty".into()
    })
}

fn small_object_round_trip(ctx: &Ctx<'_>) -> Result<()> {
    let key = format!("{}dir/small.jsonl", ctx.prefix);
    let data = b"{\"a\":1}\n{\"a\":2}\n";
    check(put(ctx.backend, &key, data)? == data.len() as u64, || {
        "wrong size from finish".into()
    })?;
    check(ctx.backend.head(&key)?.size == data.len() as u64, || {
        "wrong head size".into()
    })?;
    check(get(ctx.backend, &key)? == data, || "content differs".into())?;
    let keys = list_keys(ctx.backend, ctx.prefix)?;
    check(keys == BTreeSet::from([key.clone()]), || {
        format!("listing was {keys:?}")
    })
}

fn overwrite_replaces_content(ctx: &Ctx<'_>) -> Result<()> {
    let key = format!("{}over", ctx.prefix);
    put(ctx.backend, &key, b"first version, longer")?;
    put(ctx.backend, &key, b"second")?;
    check(get(ctx.backend, &key)? == b"second", || {
        "overwrite kept old bytes".into()
    })
}

/// Deterministic pseudo-random bytes for position `i` (xorshift over the offset).
fn pattern_byte(i: u64) -> u8 {
    let mut x = i.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0xD1B5_4A32_D192_ED03;
    x ^= x >> 29;
    (x.wrapping_mul(0xBF58_476D_1CE4_E5B9) >> 56) as u8
}

fn fill_pattern(buf: &mut [u8], offset: u64) {
    for (i, b) in buf.iter_mut().enumerate() {
        *b = pattern_byte(offset + i as u64);
    }
}

fn large_object_streamed(ctx: &Ctx<'_>) -> Result<()> {
    let key = format!("{}large.bin", ctx.prefix);
    let total = ctx.config.large_object_bytes;
    let mut chunk = vec![0u8; ctx.config.chunk_bytes];
    let mut w = ctx.backend.open_writer(&key)?;
    let mut written = 0u64;
    while written < total {
        let n = chunk.len().min((total - written) as usize);
        fill_pattern(&mut chunk[..n], written);
        w.write(&chunk[..n])?;
        written += n as u64;
    }
    check(w.finish()? == total, || "finish size differs".into())?;
    check(ctx.backend.head(&key)?.size == total, || {
        "head size differs".into()
    })?;
    let mut r = ctx.backend.open_reader(&key)?;
    let mut expected = vec![0u8; chunk.len()];
    let mut read = 0u64;
    loop {
        let n = r.read(&mut chunk)?;
        if n == 0 {
            break;
        }
        fill_pattern(&mut expected[..n], read);
        check(chunk[..n] == expected[..n], || {
            format!("bytes differ near offset {read}")
        })?;
        read += n as u64;
    }
    check(read == total, || format!("read {read} of {total} bytes"))
}

fn ranged_reads(ctx: &Ctx<'_>) -> Result<()> {
    let key = format!("{}ranged.bin", ctx.prefix);
    let mut data = vec![0u8; 100_000];
    fill_pattern(&mut data, 0);
    put(ctx.backend, &key, &data)?;
    let mut r = ctx.backend.open_reader(&key)?;
    check(r.size()? == data.len() as u64, || {
        "reader size differs".into()
    })?;
    for (offset, len) in [(0u64, 10usize), (99_990, 10), (50_000, 4096), (1, 1)] {
        let mut buf = vec![0u8; len];
        let n = r.read_at(offset, &mut buf)?;
        let want = &data[offset as usize..offset as usize + len];
        check(n == len && buf == want, || {
            format!("read_at({offset}, {len}) differs")
        })?;
    }
    let mut tail = vec![0u8; 50];
    let n = r.read_at(99_980, &mut tail)?;
    check(n == 20, || {
        format!("read_at past the end returned {n} bytes, expected 20")
    })?;
    let mut head = vec![0u8; 16];
    let n = r.read(&mut head)?;
    check(n > 0 && head[..n] == data[..n], || {
        "sequential read moved by read_at".into()
    })
}

fn special_character_keys(ctx: &Ctx<'_>) -> Result<()> {
    let names = [
        "with space.txt",
        "ünïcødé_表.jsonl",
        "plus+equals=.csv",
        "percent%20sign",
        "hash#amp&q?.txt",
        "parens (1) [2] {3}",
        "at@comma,semi;colon:",
        "quote'dq\"",
        "tilde~dollar$",
        "emoji_🦀.bin",
    ];
    for name in names {
        let key = format!("{}{name}", ctx.prefix);
        put(ctx.backend, &key, name.as_bytes())
            .map_err(|e| e.while_doing(format!("writing {key:?}")))?;
        check(get(ctx.backend, &key)? == name.as_bytes(), || {
            format!("{key:?} content differs")
        })?;
    }
    let keys = list_keys(ctx.backend, ctx.prefix)?;
    let want: BTreeSet<String> = names.iter().map(|n| format!("{}{n}", ctx.prefix)).collect();
    check(keys == want, || format!("listing differs: {keys:?}"))
}

fn nested_prefixes_listed_recursively(ctx: &Ctx<'_>) -> Result<()> {
    let keys = ["a/1", "a/b/2", "a/b/c/3", "a/b/c/d/e/4", "z/5"];
    for k in keys {
        put(ctx.backend, &format!("{}{k}", ctx.prefix), k.as_bytes())?;
    }
    let under_a = list_keys(ctx.backend, &format!("{}a/", ctx.prefix))?;
    let want: BTreeSet<String> = keys[..4]
        .iter()
        .map(|k| format!("{}{k}", ctx.prefix))
        .collect();
    check(under_a == want, || format!("listing of a/ was {under_a:?}"))?;
    let deep = list_keys(ctx.backend, &format!("{}a/b/c/", ctx.prefix))?;
    check(deep.len() == 2, || {
        format!("listing of a/b/c/ was {deep:?}")
    })
}

fn list_prefix_is_a_string_prefix(ctx: &Ctx<'_>) -> Result<()> {
    for k in ["path1/x", "path1_v2/y", "path10"] {
        put(ctx.backend, &format!("{}{k}", ctx.prefix), b"x")?;
    }
    let dir = list_keys(ctx.backend, &format!("{}path1/", ctx.prefix))?;
    check(dir.len() == 1, || {
        format!("`path1/` must not match `path1_v2/`: {dir:?}")
    })?;
    let all = list_keys(ctx.backend, &format!("{}path1", ctx.prefix))?;
    check(all.len() == 3, || {
        format!("`path1` must match all three: {all:?}")
    })
}

fn list_missing_prefix_is_empty(ctx: &Ctx<'_>) -> Result<()> {
    let keys = list_keys(ctx.backend, &format!("{}does/not/exist/", ctx.prefix))?;
    check(keys.is_empty(), || {
        format!("listing of a missing prefix was {keys:?}")
    })
}

fn missing_object_is_not_found(ctx: &Ctx<'_>) -> Result<()> {
    let key = format!("{}missing", ctx.prefix);
    expect_not_found(ctx.backend.head(&key), "head")?;
    expect_not_found(ctx.backend.open_reader(&key).map(|_| ()), "open_reader")
}

fn delete_is_idempotent(ctx: &Ctx<'_>) -> Result<()> {
    let key = format!("{}del", ctx.prefix);
    put(ctx.backend, &key, b"x")?;
    ctx.backend.delete(&key)?;
    expect_not_found(ctx.backend.head(&key), "head after delete")?;
    ctx.backend
        .delete(&key)
        .map_err(|e| e.while_doing("deleting a missing key"))
}

fn abort_leaves_nothing(ctx: &Ctx<'_>) -> Result<()> {
    let key = format!("{}aborted", ctx.prefix);
    let mut w = ctx.backend.open_writer(&key)?;
    w.write(&[7u8; 10_000])?;
    w.abort()?;
    expect_not_found(ctx.backend.head(&key), "head after abort")?;
    let keys = list_keys(ctx.backend, ctx.prefix)?;
    check(keys.is_empty(), || format!("abort left {keys:?}"))
}

fn drop_without_finish_leaves_nothing(ctx: &Ctx<'_>) -> Result<()> {
    let key = format!("{}dropped", ctx.prefix);
    {
        let mut w = ctx.backend.open_writer(&key)?;
        w.write(&[7u8; 10_000])?;
    }
    expect_not_found(ctx.backend.head(&key), "head after drop")?;
    let keys = list_keys(ctx.backend, ctx.prefix)?;
    check(keys.is_empty(), || format!("dropped writer left {keys:?}"))
}

fn unfinished_write_is_invisible(ctx: &Ctx<'_>) -> Result<()> {
    let key = format!("{}pending", ctx.prefix);
    let mut w = ctx.backend.open_writer(&key)?;
    w.write(&[1u8; 4096])?;
    expect_not_found(ctx.backend.head(&key), "head before finish")?;
    let keys = list_keys(ctx.backend, ctx.prefix)?;
    check(keys.is_empty(), || {
        format!("listing before finish shows {keys:?}")
    })?;
    w.finish()?;
    check(ctx.backend.head(&key)?.size == 4096, || {
        "size after finish".into()
    })
}

fn copy_object(ctx: &Ctx<'_>) -> Result<()> {
    let (from, to) = (
        format!("{}src", ctx.prefix),
        format!("{}sub/dst", ctx.prefix),
    );
    put(ctx.backend, &from, b"copied")?;
    ctx.backend.copy(&from, &to)?;
    check(get(ctx.backend, &to)? == b"copied", || {
        "copy differs".into()
    })?;
    check(get(ctx.backend, &from)? == b"copied", || {
        "copy changed the source".into()
    })
}

fn rename_object(ctx: &Ctx<'_>) -> Result<()> {
    let (from, to) = (
        format!("{}src", ctx.prefix),
        format!("{}sub/dst", ctx.prefix),
    );
    put(ctx.backend, &from, b"moved")?;
    ctx.backend.rename(&from, &to)?;
    check(get(ctx.backend, &to)? == b"moved", || {
        "renamed content differs".into()
    })?;
    expect_not_found(ctx.backend.head(&from), "source after rename")
}
