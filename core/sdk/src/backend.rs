//! The storage backend contract: a small required trait, declared capabilities, and the
//! streaming reader, writer and lister it hands out.
//!
//! # Behavior (every backend; checked by [`crate::testing::backend`])
//! - Keys are `/`-separated and relative to the URL the backend was opened with. Keys may contain
//!   spaces, unicode and punctuation; they never start with `/` and never contain `..` segments.
//! - `open_writer` + `write`* + `finish` makes the object visible atomically when the backend
//!   declares `atomic_write`; before `finish` nothing is visible under the key. `abort` (or
//!   dropping the writer) leaves nothing behind.
//! - `head`/`open_reader` of a missing key fail with [`crate::ErrorKind::NotFound`].
//! - `list(prefix)` yields every object whose key starts with `prefix`, recursively, in no
//!   particular order, never in-progress temporary objects.
//! - `delete` of a missing key succeeds.

use crate::Result;
use crate::options::Options;

/// Metadata of one object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ObjectMeta {
    /// Size in bytes.
    pub size: u64,
    /// Milliseconds since the Unix epoch, if known.
    pub last_modified_ms: Option<i64>,
}

/// One listed object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListEntry {
    /// Key relative to the backend root.
    pub key: String,
    /// Size in bytes.
    pub size: u64,
    /// Milliseconds since the Unix epoch, if known.
    pub last_modified_ms: Option<i64>,
}

/// What a backend can do (declared, not guessed).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BackendCapabilities {
    /// Objects can be read.
    pub read: bool,
    /// Objects can be written with a streaming writer.
    pub write: bool,
    /// Prefixes can be listed.
    pub list: bool,
    /// Objects can be deleted.
    pub delete: bool,
    /// `read_at` is a real ranged read.
    pub read_with_range: bool,
    /// `copy` is supported.
    pub copy: bool,
    /// `rename` is supported.
    pub rename: bool,
    /// Readers never see a partially written object.
    pub atomic_write: bool,
}

impl BackendCapabilities {
    /// Everything a full read/write store supports, without copy/rename.
    pub const READ_WRITE: BackendCapabilities = BackendCapabilities {
        read: true,
        write: true,
        list: true,
        delete: true,
        read_with_range: true,
        copy: false,
        rename: false,
        atomic_write: true,
    };

    /// The ABI bit set.
    pub const fn bits(self) -> u64 {
        use stowage_plugin_abi::*;
        let mut b = 0;
        if self.read {
            b |= BACKEND_CAP_READ;
        }
        if self.write {
            b |= BACKEND_CAP_WRITE;
        }
        if self.list {
            b |= BACKEND_CAP_LIST;
        }
        if self.delete {
            b |= BACKEND_CAP_DELETE;
        }
        if self.read_with_range {
            b |= BACKEND_CAP_RANGED_READ;
        }
        if self.copy {
            b |= BACKEND_CAP_COPY;
        }
        if self.rename {
            b |= BACKEND_CAP_RENAME;
        }
        if self.atomic_write {
            b |= BACKEND_CAP_ATOMIC_WRITE;
        }
        b
    }

    /// From the ABI bit set.
    pub const fn from_bits(b: u64) -> BackendCapabilities {
        use stowage_plugin_abi::*;
        BackendCapabilities {
            read: b & BACKEND_CAP_READ != 0,
            write: b & BACKEND_CAP_WRITE != 0,
            list: b & BACKEND_CAP_LIST != 0,
            delete: b & BACKEND_CAP_DELETE != 0,
            read_with_range: b & BACKEND_CAP_RANGED_READ != 0,
            copy: b & BACKEND_CAP_COPY != 0,
            rename: b & BACKEND_CAP_RENAME != 0,
            atomic_write: b & BACKEND_CAP_ATOMIC_WRITE != 0,
        }
    }

    /// Names of the supported capabilities, for listings.
    pub fn names(self) -> Vec<&'static str> {
        let all = [
            (self.read, "read"),
            (self.write, "write"),
            (self.list, "list"),
            (self.delete, "delete"),
            (self.read_with_range, "ranged-read"),
            (self.copy, "copy"),
            (self.rename, "rename"),
            (self.atomic_write, "atomic-write"),
        ];
        all.iter().filter(|(on, _)| *on).map(|(_, n)| *n).collect()
    }
}

/// An opened storage backend. Every method is required; unsupported operations return
/// [`crate::ErrorKind::Unsupported`] and are not declared in the capabilities.
pub trait Backend: Send + Sync {
    /// Size and modification time of `key`.
    fn head(&self, key: &str) -> Result<ObjectMeta>;
    /// A reader over `key`.
    fn open_reader(&self, key: &str) -> Result<Box<dyn ObjectReader>>;
    /// A streaming writer that creates or replaces `key` on `finish`.
    fn open_writer(&self, key: &str) -> Result<Box<dyn ObjectWriter>>;
    /// Every object under `prefix` (string prefix), recursively.
    fn list(&self, prefix: &str) -> Result<Box<dyn Lister>>;
    /// Deletes `key`; a missing key is not an error.
    fn delete(&self, key: &str) -> Result<()>;
    /// Server-side copy (capability `copy`).
    fn copy(&self, from: &str, to: &str) -> Result<()>;
    /// Rename/move (capability `rename`).
    fn rename(&self, from: &str, to: &str) -> Result<()>;
}

/// A listing in progress.
pub trait Lister: Iterator<Item = Result<ListEntry>> + Send {}
impl<T: Iterator<Item = Result<ListEntry>> + Send> Lister for T {}

/// Reads one object sequentially or by position.
pub trait ObjectReader: Send {
    /// Total size in bytes.
    fn size(&mut self) -> Result<u64>;
    /// Sequential read; `Ok(0)` at the end.
    fn read(&mut self, buf: &mut [u8]) -> Result<usize>;
    /// Positional read; does not move the sequential cursor; short only at the end.
    fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> Result<usize>;
}

/// Writes one object. Dropping it without `finish` must abort.
pub trait ObjectWriter: Send {
    /// Appends bytes.
    fn write(&mut self, data: &[u8]) -> Result<()>;
    /// Commits the object and returns its size.
    fn finish(self: Box<Self>) -> Result<u64>;
    /// Discards the object; nothing is left behind.
    fn abort(self: Box<Self>) -> Result<()>;
}

/// A backend kind a plugin exports (one per scheme family).
pub trait BackendPlugin: 'static {
    /// Short name, e.g. `local`.
    const NAME: &'static str;
    /// One line for `stowage plugins`.
    const DESCRIPTION: &'static str;
    /// URL schemes served, e.g. `["file"]`.
    const SCHEMES: &'static [&'static str];
    /// Declared capabilities.
    const CAPABILITIES: BackendCapabilities;
    /// Opens the bucket at `url` with resolved `options` (reject unknown keys).
    fn open(url: &str, options: Options) -> Result<Box<dyn Backend>>;
}
