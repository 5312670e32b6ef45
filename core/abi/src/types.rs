//! The `#[repr(C)]` tables and handles of ABI major 1.
//!
//! Every table starts with `struct_size`; fields are only ever appended. All function pointers
//! are `Option` so that a plugin written in C may leave them NULL; the host treats a missing
//! function as [`crate::STATUS_UNSUPPORTED`].

use core::ffi::c_void;
use core::mem::offset_of;

use crate::{ArrowArrayStream, ArrowSchema, Status};

/// A borrowed UTF-8 string: valid for the duration of the call (or as documented), never
/// NUL-terminated.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct StrRef {
    pub ptr: *const u8,
    pub len: usize,
}

impl StrRef {
    /// The empty string.
    pub const EMPTY: StrRef = StrRef {
        ptr: core::ptr::NonNull::<u8>::dangling().as_ptr(),
        len: 0,
    };

    /// Borrows a Rust string.
    pub const fn new(s: &str) -> StrRef {
        StrRef {
            ptr: s.as_ptr(),
            len: s.len(),
        }
    }

    /// Reads the bytes back.
    ///
    /// # Safety
    /// `ptr`/`len` must describe readable memory that outlives `'a` (or `len` must be 0).
    pub unsafe fn as_bytes<'a>(&self) -> &'a [u8] {
        if self.len == 0 || self.ptr.is_null() {
            return &[];
        }
        // SAFETY: guaranteed by the caller.
        unsafe { core::slice::from_raw_parts(self.ptr, self.len) }
    }

    /// Reads the string back; `None` if it is not UTF-8.
    ///
    /// # Safety
    /// As for [`StrRef::as_bytes`].
    pub unsafe fn as_str<'a>(&self) -> Option<&'a str> {
        // SAFETY: guaranteed by the caller.
        core::str::from_utf8(unsafe { self.as_bytes() }).ok()
    }
}

// SAFETY: a `StrRef` in a static table points at immutable static data.
unsafe impl Sync for StrRef {}
// SAFETY: as above; the pointee is never mutated through a `StrRef`.
unsafe impl Send for StrRef {}

/// A buffer owned by the side that allocated it; the other side calls `release` when done.
#[repr(C)]
#[derive(Debug)]
pub struct OwnedBuf {
    pub ptr: *mut u8,
    pub len: usize,
    pub private_data: *mut c_void,
    /// Frees the buffer and sets `release` to `None`. `None` means "nothing to free".
    pub release: Option<unsafe extern "C" fn(buf: *mut OwnedBuf)>,
}

impl OwnedBuf {
    /// An empty buffer that owns nothing.
    pub const EMPTY: OwnedBuf = OwnedBuf {
        ptr: core::ptr::null_mut(),
        len: 0,
        private_data: core::ptr::null_mut(),
        release: None,
    };
}

/// Error out-parameter (ADBC style). The host passes a zeroed value; on failure the plugin fills
/// it and the host calls `release` on both buffers after reading them.
#[repr(C)]
#[derive(Debug)]
pub struct StowageError {
    /// The same status the function returned.
    pub code: Status,
    /// 1 if retrying the operation may succeed.
    pub retryable: u8,
    pub _reserved: [u8; 3],
    /// Human-readable UTF-8 message; must not contain secrets.
    pub message: OwnedBuf,
    /// Optional JSON object with context (key, bucket, operation, …); may be empty.
    pub detail_json: OwnedBuf,
}

impl StowageError {
    /// A zeroed error value for the host to pass in.
    pub const fn empty() -> StowageError {
        StowageError {
            code: crate::STATUS_OK,
            retryable: 0,
            _reserved: [0; 3],
            message: OwnedBuf::EMPTY,
            detail_json: OwnedBuf::EMPTY,
        }
    }
}

/// One resolved configuration option (`key = value`), both borrowed for the call.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct KeyValue {
    pub key: StrRef,
    pub value: StrRef,
}

/// Log levels for [`HostApiV1::log`].
pub const LOG_ERROR: u8 = 1;
/// See [`LOG_ERROR`].
pub const LOG_WARN: u8 = 2;
/// See [`LOG_ERROR`].
pub const LOG_INFO: u8 = 3;
/// See [`LOG_ERROR`].
pub const LOG_DEBUG: u8 = 4;
/// See [`LOG_ERROR`].
pub const LOG_TRACE: u8 = 5;

/// Log callback provided by the host; thread-safe, never panics.
pub type LogFn = unsafe extern "C" fn(level: u8, target: StrRef, message: StrRef);

/// Services the host offers to plugins (DuckDB style), passed to the entry function. The
/// pointer stays valid for the life of the process.
#[repr(C)]
#[derive(Debug)]
pub struct HostApiV1 {
    pub struct_size: usize,
    pub host_name: StrRef,
    pub host_version: StrRef,
    pub log: Option<LogFn>,
}

/// The entry function every plugin exports as [`crate::ENTRY_SYMBOL_V1`].
///
/// The plugin writes a pointer to its static manifest to `out`. It returns
/// [`crate::STATUS_UNSUPPORTED_VERSION`] if it needs a newer host minor than `host_minor`.
pub type PluginInitV1 = unsafe extern "C" fn(
    host: *const HostApiV1,
    host_minor: u32,
    out: *mut *const PluginV1,
    err: *mut StowageError,
) -> Status;

/// The plugin manifest: what the library provides. Static for the life of the process.
#[repr(C)]
#[derive(Debug)]
pub struct PluginV1 {
    pub struct_size: usize,
    pub abi_major: u32,
    pub abi_minor: u32,
    /// The plugin's [`crate::ABI_LAYOUT_HASH`]; must equal the host's for the same major.
    pub layout_hash: u64,
    pub name: StrRef,
    pub plugin_version: StrRef,
    /// Diagnostics only (not compatibility inputs).
    pub rustc_version: StrRef,
    /// Diagnostics only (not compatibility inputs).
    pub arrow_version: StrRef,
    pub backends: *const BackendFactoryV1,
    pub n_backends: usize,
    pub formats: *const FormatFactoryV1,
    pub n_formats: usize,
    // ---- 1.1 ----
    pub destinations: *const DestinationFactoryV1,
    pub n_destinations: usize,
}

/// Size of [`PluginV1`] as ABI 1.0 defined it.
pub const PLUGIN_V1_0_SIZE: usize = offset_of!(PluginV1, destinations);

/// Backend capability: objects can be read.
pub const BACKEND_CAP_READ: u64 = 1 << 0;
/// Backend capability: objects can be written through a streaming writer.
pub const BACKEND_CAP_WRITE: u64 = 1 << 1;
/// Backend capability: prefixes can be listed recursively.
pub const BACKEND_CAP_LIST: u64 = 1 << 2;
/// Backend capability: objects can be deleted.
pub const BACKEND_CAP_DELETE: u64 = 1 << 3;
/// Backend capability: `read_at` is efficient (true ranged reads, not a rewind).
pub const BACKEND_CAP_RANGED_READ: u64 = 1 << 4;
/// Backend capability: `copy` is available (ABI 1.1).
pub const BACKEND_CAP_COPY: u64 = 1 << 5;
/// Backend capability: `rename` is available (ABI 1.1).
pub const BACKEND_CAP_RENAME: u64 = 1 << 6;
/// Backend capability: readers never observe a partially written object.
pub const BACKEND_CAP_ATOMIC_WRITE: u64 = 1 << 7;

/// Opens a backend for a bucket URL with resolved options.
pub type BackendOpenFn = unsafe extern "C" fn(
    url: StrRef,
    options: *const KeyValue,
    n_options: usize,
    out: *mut BackendHandle,
    err: *mut StowageError,
) -> Status;

/// A storage backend the plugin provides (e.g. `file`, `s3`).
#[repr(C)]
#[derive(Debug)]
pub struct BackendFactoryV1 {
    pub struct_size: usize,
    pub name: StrRef,
    pub description: StrRef,
    /// URL schemes served, e.g. `["az", "azure", "abfs", "abfss"]`. `file` also takes bare paths.
    pub schemes: *const StrRef,
    pub n_schemes: usize,
    /// `BACKEND_CAP_*` bits.
    pub capabilities: u64,
    pub open: Option<BackendOpenFn>,
}

/// An opened backend instance.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct BackendHandle {
    pub this: *mut c_void,
    pub vtable: *const BackendVTableV1,
}

/// Metadata of one object.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct ObjectMetaV1 {
    pub size: u64,
    /// Milliseconds since the Unix epoch; `i64::MIN` if unknown.
    pub last_modified_ms: i64,
}

/// Operations of an opened backend. Keys are `/`-separated and relative to the URL the backend
/// was opened with.
#[repr(C)]
#[derive(Debug)]
pub struct BackendVTableV1 {
    pub struct_size: usize,
    /// Frees the instance. Called exactly once.
    pub release: Option<unsafe extern "C" fn(this: *mut c_void)>,
    /// Size and modification time; `STATUS_NOT_FOUND` if absent.
    pub head: Option<
        unsafe extern "C" fn(
            this: *mut c_void,
            key: StrRef,
            out: *mut ObjectMetaV1,
            err: *mut StowageError,
        ) -> Status,
    >,
    /// Opens a reader; `STATUS_NOT_FOUND` if absent.
    pub open_reader: Option<
        unsafe extern "C" fn(
            this: *mut c_void,
            key: StrRef,
            out: *mut ReaderHandle,
            err: *mut StowageError,
        ) -> Status,
    >,
    /// Opens a streaming writer. Nothing is visible under `key` before `finish` succeeds.
    pub open_writer: Option<
        unsafe extern "C" fn(
            this: *mut c_void,
            key: StrRef,
            out: *mut WriterHandle,
            err: *mut StowageError,
        ) -> Status,
    >,
    /// Lists every object whose key starts with `prefix` (string prefix), recursively.
    pub list: Option<
        unsafe extern "C" fn(
            this: *mut c_void,
            prefix: StrRef,
            out: *mut ListerHandle,
            err: *mut StowageError,
        ) -> Status,
    >,
    /// Deletes one object. Deleting a missing object succeeds (idempotent).
    pub delete: Option<
        unsafe extern "C" fn(this: *mut c_void, key: StrRef, err: *mut StowageError) -> Status,
    >,
    // ---- 1.1 ----
    /// Server-side copy (optional).
    pub copy: Option<
        unsafe extern "C" fn(
            this: *mut c_void,
            from: StrRef,
            to: StrRef,
            err: *mut StowageError,
        ) -> Status,
    >,
    /// Rename/move (optional).
    pub rename: Option<
        unsafe extern "C" fn(
            this: *mut c_void,
            from: StrRef,
            to: StrRef,
            err: *mut StowageError,
        ) -> Status,
    >,
}

/// Size of [`BackendVTableV1`] as ABI 1.0 defined it.
pub const BACKEND_VTABLE_V1_0_SIZE: usize = offset_of!(BackendVTableV1, copy);

/// A streaming/ranged reader of one object.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct ReaderHandle {
    pub this: *mut c_void,
    pub vtable: *const ReaderVTableV1,
}

/// Reader operations.
#[repr(C)]
#[derive(Debug)]
pub struct ReaderVTableV1 {
    pub struct_size: usize,
    pub release: Option<unsafe extern "C" fn(this: *mut c_void)>,
    /// Total size of the object in bytes.
    pub size: Option<
        unsafe extern "C" fn(this: *mut c_void, out: *mut u64, err: *mut StowageError) -> Status,
    >,
    /// Sequential read of up to `cap` bytes into `buf`; `*out_n == 0` means end of object.
    pub read: Option<
        unsafe extern "C" fn(
            this: *mut c_void,
            buf: *mut u8,
            cap: usize,
            out_n: *mut usize,
            err: *mut StowageError,
        ) -> Status,
    >,
    /// Positional read; does not move the sequential cursor. Short reads only at the end.
    pub read_at: Option<
        unsafe extern "C" fn(
            this: *mut c_void,
            offset: u64,
            buf: *mut u8,
            cap: usize,
            out_n: *mut usize,
            err: *mut StowageError,
        ) -> Status,
    >,
}

/// A streaming writer of one object.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct WriterHandle {
    pub this: *mut c_void,
    pub vtable: *const WriterVTableV1,
}

/// Writer operations. After `finish` or `abort` only `release` may be called; `release` without
/// `finish` aborts.
#[repr(C)]
#[derive(Debug)]
pub struct WriterVTableV1 {
    pub struct_size: usize,
    pub release: Option<unsafe extern "C" fn(this: *mut c_void)>,
    pub write: Option<
        unsafe extern "C" fn(
            this: *mut c_void,
            data: *const u8,
            len: usize,
            err: *mut StowageError,
        ) -> Status,
    >,
    /// Commits the object; `out_size` receives the number of bytes written.
    pub finish: Option<
        unsafe extern "C" fn(
            this: *mut c_void,
            out_size: *mut u64,
            err: *mut StowageError,
        ) -> Status,
    >,
    /// Discards everything written; nothing is left behind.
    pub abort: Option<unsafe extern "C" fn(this: *mut c_void, err: *mut StowageError) -> Status>,
}

/// One listed object; `key` is valid until the next call on the lister or its release.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct ListEntryV1 {
    pub key: StrRef,
    pub size: u64,
    /// Milliseconds since the Unix epoch; `i64::MIN` if unknown.
    pub last_modified_ms: i64,
}

/// A streamed listing (the plugin pages internally).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct ListerHandle {
    pub this: *mut c_void,
    pub vtable: *const ListerVTableV1,
}

/// Lister operations.
#[repr(C)]
#[derive(Debug)]
pub struct ListerVTableV1 {
    pub struct_size: usize,
    pub release: Option<unsafe extern "C" fn(this: *mut c_void)>,
    /// Next entry; `*out_done = 1` (and `out` untouched) when the listing is exhausted.
    pub next: Option<
        unsafe extern "C" fn(
            this: *mut c_void,
            out: *mut ListEntryV1,
            out_done: *mut u8,
            err: *mut StowageError,
        ) -> Status,
    >,
}

/// Format capability: Arrow → file bytes.
pub const FORMAT_CAP_WRITE: u64 = 1 << 0;
/// Format capability: file bytes → Arrow.
pub const FORMAT_CAP_READ: u64 = 1 << 1;
/// Format capability: the format gzips its output (by default; option `disable_compression`).
pub const FORMAT_CAP_GZIP: u64 = 1 << 2;
/// Format capability: the format can hold nested (struct/list) Arrow types.
pub const FORMAT_CAP_NESTED: u64 = 1 << 3;

/// Opens a format instance with resolved options.
pub type FormatOpenFn = unsafe extern "C" fn(
    options: *const KeyValue,
    n_options: usize,
    out: *mut FormatHandle,
    err: *mut StowageError,
) -> Status;

/// A file format the plugin provides (e.g. `jsonl`, `parquet`).
#[repr(C)]
#[derive(Debug)]
pub struct FormatFactoryV1 {
    pub struct_size: usize,
    pub name: StrRef,
    pub description: StrRef,
    /// File extensions without compression suffix; the first is canonical (`jsonl`).
    pub extensions: *const StrRef,
    pub n_extensions: usize,
    /// `FORMAT_CAP_*` bits.
    pub capabilities: u64,
    pub open: Option<FormatOpenFn>,
}

/// An opened format instance.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct FormatHandle {
    pub this: *mut c_void,
    pub vtable: *const FormatVTableV1,
}

/// Statistics of one written file.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct WriteStatsV1 {
    pub rows: u64,
    pub batches: u64,
    /// Bytes handed to the writer (after compression).
    pub bytes: u64,
}

/// Format operations.
#[repr(C)]
#[derive(Debug)]
pub struct FormatVTableV1 {
    pub struct_size: usize,
    pub release: Option<unsafe extern "C" fn(this: *mut c_void)>,
    /// Full file extension with these options, e.g. `jsonl.gz`; valid while the instance lives.
    pub file_extension: Option<
        unsafe extern "C" fn(this: *mut c_void, out: *mut StrRef, err: *mut StowageError) -> Status,
    >,
    /// Writes the whole stream into `sink`. Both are moved in: the callee releases the stream,
    /// and always either finishes or aborts the sink and then releases it.
    pub write_stream: Option<
        unsafe extern "C" fn(
            this: *mut c_void,
            stream: *mut ArrowArrayStream,
            sink: WriterHandle,
            out_stats: *mut WriteStatsV1,
            err: *mut StowageError,
        ) -> Status,
    >,
    /// Decodes `source` (moved in) into a stream written to `out`. `schema` (borrowed, may be
    /// NULL) is the expected schema; without it the format infers one.
    pub read_stream: Option<
        unsafe extern "C" fn(
            this: *mut c_void,
            source: ReaderHandle,
            schema: *const ArrowSchema,
            out: *mut ArrowArrayStream,
            err: *mut StowageError,
        ) -> Status,
    >,
}

/// Destination capability: one connection runs `BEGIN` … `COMMIT`/`ROLLBACK` sent through
/// `execute`, and `copy_file` takes part in the open transaction (DDL included).
pub const DESTINATION_CAP_TRANSACTIONS: u64 = 1 << 0;
/// Destination capability: `MERGE INTO … USING … WHEN MATCHED … WHEN NOT MATCHED …` is
/// supported (the `upsert` merge strategy).
pub const DESTINATION_CAP_MERGE_INTO: u64 = 1 << 1;

/// Opens a destination with resolved options (credentials, database path, …).
pub type DestinationOpenFn = unsafe extern "C" fn(
    options: *const KeyValue,
    n_options: usize,
    out: *mut DestinationHandle,
    err: *mut StowageError,
) -> Status;

/// A database destination that loads staged files (ABI 1.1 reserved the first four fields;
/// ABI 1.2 appended the staging formats, the type map and `open`). A host reads a 1.2 field only
/// if `struct_size` covers it: a 1.1 entry is listed but cannot be opened.
#[repr(C)]
#[derive(Debug)]
pub struct DestinationFactoryV1 {
    pub struct_size: usize,
    pub name: StrRef,
    pub description: StrRef,
    /// `DESTINATION_CAP_*` bits.
    pub capabilities: u64,
    // ---- 1.2 ----
    /// Loader file formats `copy_file` accepts from a staging bucket, preferred first
    /// (`parquet`, `jsonl`, `csv`).
    pub staging_formats: *const StrRef,
    pub n_staging_formats: usize,
    /// SQL type of every dlt data type (`key` = dlt type such as `text`, `value` = SQL type such
    /// as `VARCHAR`); the host writes DDL with it.
    pub type_map: *const KeyValue,
    pub n_type_map: usize,
    pub open: Option<DestinationOpenFn>,
}

/// Size of [`DestinationFactoryV1`] as ABI 1.1 defined it (reserved slot, no `open`).
pub const DESTINATION_FACTORY_V1_1_SIZE: usize = offset_of!(DestinationFactoryV1, staging_formats);

/// An opened destination instance (one database session).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct DestinationHandle {
    pub this: *mut c_void,
    pub vtable: *const DestinationVTableV1,
}

/// One column of a table a staged file is copied into.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct ColumnV1 {
    pub name: StrRef,
    /// dlt data type (`text`, `bigint`, `double`, `bool`, `decimal`, `timestamp`, `date`,
    /// `time`, `binary`, `json`, `wei`).
    pub data_type: StrRef,
    /// 1 if the column accepts NULL.
    pub nullable: u8,
    pub _reserved: [u8; 7],
}

/// What `copy_file` loads: one staged file into one existing table.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct CopyRequestV1 {
    pub struct_size: usize,
    /// Schema (dataset) of the target table, unquoted.
    pub dataset: StrRef,
    /// Target table, unquoted.
    pub table: StrRef,
    /// Loader file format of the file (`jsonl`, `csv`, `parquet`).
    pub format: StrRef,
    /// Full extension of the staged file (`jsonl.gz`): `.gz` means gzip-compressed.
    pub extension: StrRef,
    /// Every column of the target table in table order; a file may hold a subset.
    pub columns: *const ColumnV1,
    pub n_columns: usize,
    /// Remote URL of the staged file, for messages only (the bytes come from the reader).
    pub url: StrRef,
}

/// Destination operations. One instance is one database session; calls on it are serialized
/// by the plugin.
#[repr(C)]
#[derive(Debug)]
pub struct DestinationVTableV1 {
    pub struct_size: usize,
    /// Frees the instance (closing the session; an open transaction is rolled back).
    pub release: Option<unsafe extern "C" fn(this: *mut c_void)>,
    /// Runs a SQL script (one or more `;`-separated statements) on the session.
    pub execute: Option<
        unsafe extern "C" fn(this: *mut c_void, sql: StrRef, err: *mut StowageError) -> Status,
    >,
    /// Runs one query and returns its rows as UTF-8 JSON lines (one object per row, columns in
    /// result order). Meant for small results: metadata and inspection.
    pub query: Option<
        unsafe extern "C" fn(
            this: *mut c_void,
            sql: StrRef,
            out: *mut OwnedBuf,
            err: *mut StowageError,
        ) -> Status,
    >,
    /// Loads one staged file, read from `source` (moved in; the callee releases it), into an
    /// existing table; `out_rows` receives the rows loaded.
    pub copy_file: Option<
        unsafe extern "C" fn(
            this: *mut c_void,
            request: *const CopyRequestV1,
            source: ReaderHandle,
            out_rows: *mut u64,
            err: *mut StowageError,
        ) -> Status,
    >,
}

macro_rules! static_table {
    ($($t:ty),*) => {$(
        // SAFETY: these tables are immutable static descriptions whose pointers refer to other
        // immutable statics (or to plugin-owned instances only touched through the vtable).
        unsafe impl Sync for $t {}
        // SAFETY: as above.
        unsafe impl Send for $t {}
    )*};
}

static_table!(
    HostApiV1,
    PluginV1,
    BackendFactoryV1,
    BackendVTableV1,
    ReaderVTableV1,
    WriterVTableV1,
    ListerVTableV1,
    FormatFactoryV1,
    FormatVTableV1,
    DestinationFactoryV1,
    DestinationVTableV1,
    DestinationHandle,
    ColumnV1,
    CopyRequestV1,
    BackendHandle,
    ReaderHandle,
    WriterHandle,
    ListerHandle,
    FormatHandle
);
