//! Exporting a [`FormatPlugin`] as an ABI factory and vtable (server side).

use std::ffi::c_void;
use std::io::{BufWriter, Write};

use stowage_plugin_abi as abi;

use super::arrow_stream::{export_stream, import_schema, import_stream};
use super::client::{ForeignReader, ForeignWriter};
use super::export_backend::read_options;
use super::{Instance, Poison, guard, non_null};
use crate::format::{Format, FormatPlugin, WriteSummary};
use crate::io::WriteAdapter;
use crate::{PluginError, Result};

/// Buffer between a format encoder and the sink, so writes cross the ABI in large chunks.
const SINK_BUFFER_BYTES: usize = 1 << 20;

type FormatInstance = Instance<Box<dyn Format>>;

static FORMAT_VTABLE: abi::FormatVTableV1 = abi::FormatVTableV1 {
    struct_size: size_of::<abi::FormatVTableV1>(),
    release: Some(format_release),
    file_extension: Some(format_file_extension),
    write_stream: Some(format_write_stream),
    read_stream: Some(format_read_stream),
};

/// The generic `open` entry point for format `F`.
pub(crate) unsafe extern "C" fn format_open<F: FormatPlugin>(
    options: *const abi::KeyValue,
    n_options: usize,
    out: *mut abi::FormatHandle,
    err: *mut abi::StowageError,
) -> abi::Status {
    guard(None, err, || {
        non_null(out, "out")?;
        // SAFETY: per the ABI, `options` holds `n_options` pairs.
        let opts = unsafe { read_options(options, n_options) }?;
        let format = F::open(opts)?;
        let this = Box::into_raw(Box::new(FormatInstance {
            inner: format,
            poison: Poison::default(),
        }));
        // SAFETY: checked non-null.
        unsafe {
            out.write(abi::FormatHandle {
                this: this.cast(),
                vtable: &FORMAT_VTABLE,
            })
        };
        Ok(())
    })
}

/// # Safety
/// `this` must come from [`format_open`].
unsafe fn instance<'a>(this: *mut c_void) -> &'a FormatInstance {
    // SAFETY: guaranteed by the caller; formats are `Sync`.
    unsafe { &*this.cast::<FormatInstance>() }
}

unsafe extern "C" fn format_release(this: *mut c_void) {
    // SAFETY: created by `format_open`; release is called exactly once.
    let _ =
        std::panic::catch_unwind(|| drop(unsafe { Box::from_raw(this.cast::<FormatInstance>()) }));
}

unsafe extern "C" fn format_file_extension(
    this: *mut c_void,
    out: *mut abi::StrRef,
    err: *mut abi::StowageError,
) -> abi::Status {
    // SAFETY: live instance per the ABI.
    let f = unsafe { instance(this) };
    guard(Some(&f.poison), err, || {
        non_null(out, "out")?;
        // SAFETY: checked non-null; the string lives as long as the instance.
        unsafe { out.write(abi::StrRef::new(f.inner.file_extension())) };
        Ok(())
    })
}

unsafe extern "C" fn format_write_stream(
    this: *mut c_void,
    stream: *mut abi::ArrowArrayStream,
    sink: abi::WriterHandle,
    out_stats: *mut abi::WriteStatsV1,
    err: *mut abi::StowageError,
) -> abi::Status {
    // SAFETY: live instance per the ABI.
    let f = unsafe { instance(this) };
    // Take ownership of the sink first, so it is aborted and released on every path.
    // SAFETY: the caller moved a valid writer handle in.
    let sink = unsafe { ForeignWriter::from_handle(sink) };
    guard(Some(&f.poison), err, || {
        non_null(stream, "stream")?;
        // SAFETY: the caller moved a valid stream in.
        let mut batches = unsafe { import_stream(stream) }?;
        let summary = write_all(f.inner.as_ref(), &mut batches, Box::new(sink))?;
        if !out_stats.is_null() {
            let stats = abi::WriteStatsV1 {
                rows: summary.rows,
                batches: summary.batches,
                bytes: summary.bytes,
            };
            // SAFETY: checked non-null.
            unsafe { out_stats.write(stats) };
        }
        Ok(())
    })
}

/// Encodes every batch into `sink` through a large buffer; finishes the sink on success and
/// aborts it on failure.
pub fn write_all(
    format: &dyn Format,
    batches: &mut dyn arrow_array::RecordBatchReader,
    sink: Box<dyn crate::backend::ObjectWriter>,
) -> Result<WriteSummary> {
    let mut buffered = BufWriter::with_capacity(SINK_BUFFER_BYTES, WriteAdapter::new(sink));
    let encoded = format.write(batches, &mut buffered).and_then(|summary| {
        buffered
            .flush()
            .map_err(|e| PluginError::from_io_error(e, "flushing output"))?;
        Ok(summary)
    });
    let adapter = buffered
        .into_inner()
        .map_err(|e| PluginError::from_io_error(e.into_error(), "flushing output"))?;
    match encoded {
        Ok(mut summary) => {
            summary.bytes = adapter.written();
            adapter.finish()?;
            Ok(summary)
        }
        Err(e) => {
            let _ = adapter.abort();
            Err(e)
        }
    }
}

unsafe extern "C" fn format_read_stream(
    this: *mut c_void,
    source: abi::ReaderHandle,
    schema: *const abi::ArrowSchema,
    out: *mut abi::ArrowArrayStream,
    err: *mut abi::StowageError,
) -> abi::Status {
    // SAFETY: live instance per the ABI.
    let f = unsafe { instance(this) };
    // SAFETY: the caller moved a valid reader handle in.
    let source = unsafe { ForeignReader::from_handle(source) };
    guard(Some(&f.poison), err, || {
        non_null(out, "out")?;
        // SAFETY: NULL or a borrowed valid schema per the ABI.
        let schema = unsafe { import_schema(schema) }?;
        let reader = f.inner.read(Box::new(source), schema)?;
        // SAFETY: checked non-null.
        unsafe { export_stream(reader, out) };
        Ok(())
    })
}
