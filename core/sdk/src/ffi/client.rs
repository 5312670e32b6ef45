//! Calling the other side: ABI handles wrapped as safe Rust objects (client side).
//!
//! Used by the host (for every plugin) and by format plugins (for the writer/reader handles the
//! host passes in). Every trailing vtable field is read only if the table's `struct_size` covers
//! it; a missing function is reported as `Unsupported`.

use arrow_array::RecordBatchReader;
use arrow_array::ffi_stream::FFI_ArrowArrayStream;
use arrow_schema::Schema;
use stowage_plugin_abi as abi;

use super::arrow_stream::{import_stream, stream_for_export};
use super::export_io::{export_reader, export_writer};
use super::{Poison, take_buf, take_error};
use crate::backend::{Backend, ListEntry, Lister, ObjectMeta, ObjectReader, ObjectWriter};
use crate::destination::{CopyRequest, Destination};
use crate::format::WriteSummary;
use crate::{PluginError, Result};

/// Reads a function pointer from a vtable if the table is large enough to contain it.
macro_rules! vfn {
    ($vt:expr, $T:ty, $field:ident) => {{
        let vt: &$T = $vt;
        let present = abi::has_field(
            vt.struct_size,
            std::mem::offset_of!($T, $field),
            std::mem::size_of::<usize>(),
        );
        if present { vt.$field } else { None }
    }};
}
pub(crate) use vfn;

fn missing(what: &str) -> PluginError {
    PluginError::unsupported(format!("the plugin does not provide `{what}`"))
}

/// Calls an ABI function with a fresh error value, converting a failure status.
pub fn call(f: impl FnOnce(*mut abi::StowageError) -> abi::Status) -> Result<()> {
    let mut err = abi::StowageError::empty();
    let status = f(&mut err);
    if status == abi::STATUS_OK {
        return Ok(());
    }
    // SAFETY: `err` was filled (or left empty) by the callee per the ABI.
    Err(unsafe { take_error(status, &mut err) })
}

// ---- backend ----

/// A backend living in a plugin library.
#[derive(Debug)]
pub struct ForeignBackend {
    handle: abi::BackendHandle,
}

impl ForeignBackend {
    /// Takes ownership of an opened backend handle.
    ///
    /// # Safety
    /// `handle` must be a live handle returned by a conforming `open`, whose library is never
    /// unloaded.
    pub unsafe fn from_handle(handle: abi::BackendHandle) -> Self {
        ForeignBackend { handle }
    }

    fn vt(&self) -> &abi::BackendVTableV1 {
        // SAFETY: vtables are static in a library that is never unloaded.
        unsafe { &*self.handle.vtable }
    }
}

impl Drop for ForeignBackend {
    fn drop(&mut self) {
        if let Some(release) = vfn!(self.vt(), abi::BackendVTableV1, release) {
            // SAFETY: released exactly once.
            unsafe { release(self.handle.this) };
        }
    }
}

fn key_ref(key: &str) -> abi::StrRef {
    abi::StrRef::new(key)
}

impl Backend for ForeignBackend {
    fn head(&self, key: &str) -> Result<ObjectMeta> {
        let f = vfn!(self.vt(), abi::BackendVTableV1, head).ok_or_else(|| missing("head"))?;
        let mut meta = abi::ObjectMetaV1::default();
        // SAFETY: live handle; `meta` is writable.
        call(|err| unsafe { f(self.handle.this, key_ref(key), &mut meta, err) })?;
        Ok(ObjectMeta {
            size: meta.size,
            last_modified_ms: known_time(meta.last_modified_ms),
        })
    }

    fn open_reader(&self, key: &str) -> Result<Box<dyn ObjectReader>> {
        let f = vfn!(self.vt(), abi::BackendVTableV1, open_reader)
            .ok_or_else(|| missing("open_reader"))?;
        let mut out = abi::ReaderHandle {
            this: std::ptr::null_mut(),
            vtable: std::ptr::null(),
        };
        // SAFETY: live handle; `out` is writable.
        call(|err| unsafe { f(self.handle.this, key_ref(key), &mut out, err) })?;
        // SAFETY: filled by a successful call.
        Ok(Box::new(unsafe { ForeignReader::from_handle(out) }))
    }

    fn open_writer(&self, key: &str) -> Result<Box<dyn ObjectWriter>> {
        let f = vfn!(self.vt(), abi::BackendVTableV1, open_writer)
            .ok_or_else(|| missing("open_writer"))?;
        let mut out = abi::WriterHandle {
            this: std::ptr::null_mut(),
            vtable: std::ptr::null(),
        };
        // SAFETY: live handle; `out` is writable.
        call(|err| unsafe { f(self.handle.this, key_ref(key), &mut out, err) })?;
        // SAFETY: filled by a successful call.
        Ok(Box::new(unsafe { ForeignWriter::from_handle(out) }))
    }

    fn list(&self, prefix: &str) -> Result<Box<dyn Lister>> {
        let f = vfn!(self.vt(), abi::BackendVTableV1, list).ok_or_else(|| missing("list"))?;
        let mut out = abi::ListerHandle {
            this: std::ptr::null_mut(),
            vtable: std::ptr::null(),
        };
        // SAFETY: live handle; `out` is writable.
        call(|err| unsafe { f(self.handle.this, key_ref(prefix), &mut out, err) })?;
        Ok(Box::new(ForeignLister {
            handle: out,
            done: false,
        }))
    }

    fn delete(&self, key: &str) -> Result<()> {
        let f = vfn!(self.vt(), abi::BackendVTableV1, delete).ok_or_else(|| missing("delete"))?;
        // SAFETY: live handle.
        call(|err| unsafe { f(self.handle.this, key_ref(key), err) })
    }

    fn copy(&self, from: &str, to: &str) -> Result<()> {
        let f = vfn!(self.vt(), abi::BackendVTableV1, copy).ok_or_else(|| missing("copy"))?;
        // SAFETY: live handle.
        call(|err| unsafe { f(self.handle.this, key_ref(from), key_ref(to), err) })
    }

    fn rename(&self, from: &str, to: &str) -> Result<()> {
        let f = vfn!(self.vt(), abi::BackendVTableV1, rename).ok_or_else(|| missing("rename"))?;
        // SAFETY: live handle.
        call(|err| unsafe { f(self.handle.this, key_ref(from), key_ref(to), err) })
    }
}

fn known_time(ms: i64) -> Option<i64> {
    (ms != i64::MIN).then_some(ms)
}

// ---- reader ----

/// A reader living on the other side of the ABI.
#[derive(Debug)]
pub struct ForeignReader {
    handle: abi::ReaderHandle,
}

impl ForeignReader {
    /// Takes ownership of a reader handle.
    ///
    /// # Safety
    /// `handle` must be a live reader handle from a conforming implementation.
    pub unsafe fn from_handle(handle: abi::ReaderHandle) -> Self {
        ForeignReader { handle }
    }

    fn vt(&self) -> &abi::ReaderVTableV1 {
        // SAFETY: static vtable of a never-unloaded library.
        unsafe { &*self.handle.vtable }
    }
}

impl Drop for ForeignReader {
    fn drop(&mut self) {
        if let Some(release) = vfn!(self.vt(), abi::ReaderVTableV1, release) {
            // SAFETY: released exactly once.
            unsafe { release(self.handle.this) };
        }
    }
}

impl ObjectReader for ForeignReader {
    fn size(&mut self) -> Result<u64> {
        let f = vfn!(self.vt(), abi::ReaderVTableV1, size).ok_or_else(|| missing("size"))?;
        let mut size = 0u64;
        // SAFETY: live handle.
        call(|err| unsafe { f(self.handle.this, &mut size, err) })?;
        Ok(size)
    }

    fn read(&mut self, buf: &mut [u8]) -> Result<usize> {
        let f = vfn!(self.vt(), abi::ReaderVTableV1, read).ok_or_else(|| missing("read"))?;
        let mut n = 0usize;
        // SAFETY: live handle; `buf` is writable for its length.
        call(|err| unsafe { f(self.handle.this, buf.as_mut_ptr(), buf.len(), &mut n, err) })?;
        Ok(n.min(buf.len()))
    }

    fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> Result<usize> {
        let f = vfn!(self.vt(), abi::ReaderVTableV1, read_at).ok_or_else(|| missing("read_at"))?;
        let mut n = 0usize;
        // SAFETY: live handle; `buf` is writable for its length.
        call(|err| unsafe {
            f(
                self.handle.this,
                offset,
                buf.as_mut_ptr(),
                buf.len(),
                &mut n,
                err,
            )
        })?;
        Ok(n.min(buf.len()))
    }
}

// ---- writer ----

/// A writer living on the other side of the ABI. Dropping it unfinished aborts it.
#[derive(Debug)]
pub struct ForeignWriter {
    handle: abi::WriterHandle,
}

impl ForeignWriter {
    /// Takes ownership of a writer handle.
    ///
    /// # Safety
    /// `handle` must be a live writer handle from a conforming implementation.
    pub unsafe fn from_handle(handle: abi::WriterHandle) -> Self {
        ForeignWriter { handle }
    }

    fn vt(&self) -> &abi::WriterVTableV1 {
        // SAFETY: static vtable of a never-unloaded library.
        unsafe { &*self.handle.vtable }
    }
}

impl Drop for ForeignWriter {
    fn drop(&mut self) {
        if let Some(release) = vfn!(self.vt(), abi::WriterVTableV1, release) {
            // SAFETY: released exactly once; release without finish aborts.
            unsafe { release(self.handle.this) };
        }
    }
}

impl ObjectWriter for ForeignWriter {
    fn write(&mut self, data: &[u8]) -> Result<()> {
        let f = vfn!(self.vt(), abi::WriterVTableV1, write).ok_or_else(|| missing("write"))?;
        // SAFETY: live handle; `data` is readable for its length.
        call(|err| unsafe { f(self.handle.this, data.as_ptr(), data.len(), err) })
    }

    fn finish(self: Box<Self>) -> Result<u64> {
        let f = vfn!(self.vt(), abi::WriterVTableV1, finish).ok_or_else(|| missing("finish"))?;
        let mut size = 0u64;
        // SAFETY: live handle. `self` is dropped (released) afterwards.
        call(|err| unsafe { f(self.handle.this, &mut size, err) })?;
        Ok(size)
    }

    fn abort(self: Box<Self>) -> Result<()> {
        let f = vfn!(self.vt(), abi::WriterVTableV1, abort).ok_or_else(|| missing("abort"))?;
        // SAFETY: live handle. `self` is dropped (released) afterwards.
        call(|err| unsafe { f(self.handle.this, err) })
    }
}

// ---- lister ----

struct ForeignLister {
    handle: abi::ListerHandle,
    done: bool,
}

impl ForeignLister {
    fn vt(&self) -> &abi::ListerVTableV1 {
        // SAFETY: static vtable of a never-unloaded library.
        unsafe { &*self.handle.vtable }
    }
}

impl Drop for ForeignLister {
    fn drop(&mut self) {
        if let Some(release) = vfn!(self.vt(), abi::ListerVTableV1, release) {
            // SAFETY: released exactly once.
            unsafe { release(self.handle.this) };
        }
    }
}

impl Iterator for ForeignLister {
    type Item = Result<ListEntry>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let Some(f) = vfn!(self.vt(), abi::ListerVTableV1, next) else {
            self.done = true;
            return Some(Err(missing("next")));
        };
        let mut entry = abi::ListEntryV1 {
            key: abi::StrRef::EMPTY,
            size: 0,
            last_modified_ms: 0,
        };
        let mut done = 0u8;
        // SAFETY: live handle; out values are writable.
        let result = call(|err| unsafe { f(self.handle.this, &mut entry, &mut done, err) });
        if let Err(e) = result {
            self.done = true;
            return Some(Err(e));
        }
        if done != 0 {
            self.done = true;
            return None;
        }
        // SAFETY: the key is valid until the next call; copied now.
        let key = unsafe { entry.key.as_str() }.map(str::to_string);
        Some(
            key.ok_or_else(|| PluginError::unexpected("listed key is not UTF-8"))
                .map(|key| ListEntry {
                    key,
                    size: entry.size,
                    last_modified_ms: known_time(entry.last_modified_ms),
                }),
        )
    }
}

// ---- format ----

/// A format living in a plugin library.
#[derive(Debug)]
pub struct ForeignFormat {
    handle: abi::FormatHandle,
    extension: String,
}

impl ForeignFormat {
    /// Takes ownership of an opened format handle and reads its file extension.
    ///
    /// # Safety
    /// `handle` must be a live format handle from a conforming `open`, whose library is never
    /// unloaded.
    pub unsafe fn from_handle(handle: abi::FormatHandle) -> Result<Self> {
        let mut format = ForeignFormat {
            handle,
            extension: String::new(),
        };
        let f = vfn!(format.vt(), abi::FormatVTableV1, file_extension)
            .ok_or_else(|| missing("file_extension"))?;
        let mut ext = abi::StrRef::EMPTY;
        // SAFETY: live handle.
        call(|err| unsafe { f(handle.this, &mut ext, err) })?;
        // SAFETY: valid while the instance lives; copied now.
        format.extension = unsafe { ext.as_str() }
            .ok_or_else(|| PluginError::unexpected("file extension is not UTF-8"))?
            .to_string();
        Ok(format)
    }

    fn vt(&self) -> &abi::FormatVTableV1 {
        // SAFETY: static vtable of a never-unloaded library.
        unsafe { &*self.handle.vtable }
    }

    /// Full file extension with the options it was opened with (`jsonl.gz`).
    pub fn file_extension(&self) -> &str {
        &self.extension
    }

    /// Encodes `batches` into `sink`. The sink is finished on success and aborted on failure.
    pub fn write_stream(
        &self,
        batches: Box<dyn RecordBatchReader + Send>,
        sink: Box<dyn ObjectWriter>,
    ) -> Result<WriteSummary> {
        let f = vfn!(self.vt(), abi::FormatVTableV1, write_stream)
            .ok_or_else(|| missing("write_stream"))?;
        let mut stream = stream_for_export(batches);
        let sink = export_writer(sink, Poison::default());
        let mut stats = abi::WriteStatsV1::default();
        let raw_stream =
            (&mut *stream as *mut FFI_ArrowArrayStream).cast::<abi::ArrowArrayStream>();
        // SAFETY: live handle; stream and sink are moved in (the callee releases both). If the
        // callee did not move the stream out, dropping `stream` releases it.
        call(|err| unsafe { f(self.handle.this, raw_stream, sink, &mut stats, err) })?;
        Ok(WriteSummary {
            rows: stats.rows,
            batches: stats.batches,
            bytes: stats.bytes,
        })
    }

    /// Decodes `source` into record batches; `schema` fixes the output schema.
    pub fn read_stream(
        &self,
        source: Box<dyn ObjectReader>,
        schema: Option<&Schema>,
    ) -> Result<Box<dyn RecordBatchReader + Send>> {
        let f = vfn!(self.vt(), abi::FormatVTableV1, read_stream)
            .ok_or_else(|| missing("read_stream"))?;
        let source = export_reader(source, Poison::default());
        let ffi_schema = schema
            .map(arrow_schema::ffi::FFI_ArrowSchema::try_from)
            .transpose()?;
        let schema_ptr = ffi_schema.as_ref().map_or(std::ptr::null(), |s| {
            (s as *const arrow_schema::ffi::FFI_ArrowSchema).cast()
        });
        let mut out = FFI_ArrowArrayStream::empty();
        let out_ptr = (&mut out as *mut FFI_ArrowArrayStream).cast::<abi::ArrowArrayStream>();
        // SAFETY: live handle; the source is moved in; `out` is writable.
        call(|err| unsafe { f(self.handle.this, source, schema_ptr, out_ptr, err) })?;
        // SAFETY: filled by a successful call.
        let reader = unsafe { import_stream(out_ptr) }?;
        Ok(Box::new(reader))
    }
}

impl Drop for ForeignFormat {
    fn drop(&mut self) {
        if let Some(release) = vfn!(self.vt(), abi::FormatVTableV1, release) {
            // SAFETY: released exactly once.
            unsafe { release(self.handle.this) };
        }
    }
}

// ---- destination ----

/// A destination session living in a plugin library.
#[derive(Debug)]
pub struct ForeignDestination {
    handle: abi::DestinationHandle,
}

impl ForeignDestination {
    /// Takes ownership of an opened destination handle.
    ///
    /// # Safety
    /// `handle` must be a live destination handle from a conforming `open`, whose library is
    /// never unloaded.
    pub unsafe fn from_handle(handle: abi::DestinationHandle) -> Self {
        ForeignDestination { handle }
    }

    fn vt(&self) -> &abi::DestinationVTableV1 {
        // SAFETY: static vtable of a never-unloaded library.
        unsafe { &*self.handle.vtable }
    }
}

// SAFETY: the ABI requires destination instances to be thread-safe (calls are serialized by the
// plugin).
unsafe impl Send for ForeignDestination {}
// SAFETY: as above.
unsafe impl Sync for ForeignDestination {}

impl Drop for ForeignDestination {
    fn drop(&mut self) {
        if let Some(release) = vfn!(self.vt(), abi::DestinationVTableV1, release) {
            // SAFETY: released exactly once.
            unsafe { release(self.handle.this) };
        }
    }
}

impl Destination for ForeignDestination {
    fn execute(&self, sql: &str) -> Result<()> {
        let f =
            vfn!(self.vt(), abi::DestinationVTableV1, execute).ok_or_else(|| missing("execute"))?;
        // SAFETY: live handle; `sql` borrowed for the call.
        call(|err| unsafe { f(self.handle.this, abi::StrRef::new(sql), err) })
    }

    fn query(&self, sql: &str) -> Result<String> {
        let f = vfn!(self.vt(), abi::DestinationVTableV1, query).ok_or_else(|| missing("query"))?;
        let mut out = abi::OwnedBuf::EMPTY;
        // SAFETY: live handle; `out` is writable.
        call(|err| unsafe { f(self.handle.this, abi::StrRef::new(sql), &mut out, err) })?;
        // SAFETY: filled by a successful call.
        let bytes = unsafe { take_buf(&mut out) };
        String::from_utf8(bytes).map_err(|_| PluginError::unexpected("query result is not UTF-8"))
    }

    fn copy_file(&self, request: &CopyRequest, source: Box<dyn ObjectReader>) -> Result<u64> {
        let f = vfn!(self.vt(), abi::DestinationVTableV1, copy_file)
            .ok_or_else(|| missing("copy_file"))?;
        let columns: Vec<abi::ColumnV1> = request
            .columns
            .iter()
            .map(|c| abi::ColumnV1 {
                name: abi::StrRef::new(&c.name),
                data_type: abi::StrRef::new(&c.data_type),
                nullable: u8::from(c.nullable),
                _reserved: [0; 7],
            })
            .collect();
        let raw = abi::CopyRequestV1 {
            struct_size: size_of::<abi::CopyRequestV1>(),
            dataset: abi::StrRef::new(&request.dataset),
            table: abi::StrRef::new(&request.table),
            format: abi::StrRef::new(&request.format),
            extension: abi::StrRef::new(&request.extension),
            columns: columns.as_ptr(),
            n_columns: columns.len(),
            url: abi::StrRef::new(&request.url),
        };
        let source = export_reader(source, Poison::default());
        let mut rows = 0u64;
        // SAFETY: live handle; the request is borrowed for the call, the reader moved in.
        call(|err| unsafe { f(self.handle.this, &raw, source, &mut rows, err) })?;
        Ok(rows)
    }
}
