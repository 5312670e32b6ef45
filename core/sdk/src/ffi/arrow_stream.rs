//! Moving Arrow record batch streams across the boundary (C Stream Interface).

use std::panic::{AssertUnwindSafe, catch_unwind};

use arrow_array::ffi_stream::{FFI_ArrowArrayStream, RecordBatchStreamReader};
use arrow_array::{RecordBatch, RecordBatchReader};
use arrow_schema::{ArrowError, SchemaRef};
use stowage_plugin_abi as abi;

use crate::{PluginError, Result};

/// Wraps a producer so that a panic in `next()` becomes an error instead of aborting the process
/// (arrow-rs's exported `get_next` has no guard of its own).
pub struct CatchUnwindReader<R>(pub R);

impl<R> std::fmt::Debug for CatchUnwindReader<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CatchUnwindReader")
    }
}

impl<R: RecordBatchReader> Iterator for CatchUnwindReader<R> {
    type Item = std::result::Result<RecordBatch, ArrowError>;

    fn next(&mut self) -> Option<Self::Item> {
        match catch_unwind(AssertUnwindSafe(|| self.0.next())) {
            Ok(item) => item.map(|r| r.map_err(sanitize)),
            Err(payload) => Some(Err(ArrowError::ExternalError(Box::new(PluginError::new(
                crate::ErrorKind::Panic,
                format!(
                    "record batch producer panicked: {}",
                    super::panic_message(payload.as_ref())
                ),
            ))))),
        }
    }
}

impl<R: RecordBatchReader> RecordBatchReader for CatchUnwindReader<R> {
    fn schema(&self) -> SchemaRef {
        self.0.schema()
    }
}

/// arrow-rs panics when an error message contains NUL; strip it first.
fn sanitize(err: ArrowError) -> ArrowError {
    let text = err.to_string();
    if text.contains('\0') {
        ArrowError::ExternalError(text.replace('\0', "").into())
    } else {
        err
    }
}

/// Exports a reader as a stream written to `out` (which must be writable).
///
/// # Safety
/// `out` must point to writable memory for one `ArrowArrayStream`.
pub unsafe fn export_stream(
    reader: Box<dyn RecordBatchReader + Send>,
    out: *mut abi::ArrowArrayStream,
) {
    let stream = FFI_ArrowArrayStream::new(Box::new(CatchUnwindReader(reader)));
    // SAFETY: both types are the C `ArrowArrayStream` layout fixed by the Arrow spec.
    unsafe { out.cast::<FFI_ArrowArrayStream>().write(stream) };
}

/// A boxed stream ready to be passed to another side (moved out by the callee).
pub fn stream_for_export(reader: Box<dyn RecordBatchReader + Send>) -> Box<FFI_ArrowArrayStream> {
    Box::new(FFI_ArrowArrayStream::new(Box::new(CatchUnwindReader(
        reader,
    ))))
}

/// Takes ownership of a stream from `raw` (its `release` is set to NULL).
///
/// # Safety
/// `raw` must point to a valid stream.
pub unsafe fn import_stream(raw: *mut abi::ArrowArrayStream) -> Result<RecordBatchStreamReader> {
    // SAFETY: same layout (Arrow spec); `from_raw` moves the stream out.
    let reader = unsafe { RecordBatchStreamReader::from_raw(raw.cast::<FFI_ArrowArrayStream>()) }?;
    Ok(reader)
}

/// Reads the borrowed schema argument of `read_stream`.
///
/// # Safety
/// `schema` must be NULL or a valid C schema.
pub(crate) unsafe fn import_schema(schema: *const abi::ArrowSchema) -> Result<Option<SchemaRef>> {
    if schema.is_null() {
        return Ok(None);
    }
    // SAFETY: same layout (Arrow spec); borrowed for the call.
    let ffi = unsafe { &*schema.cast::<arrow_schema::ffi::FFI_ArrowSchema>() };
    let parsed = arrow_schema::Schema::try_from(ffi)?;
    Ok(Some(std::sync::Arc::new(parsed)))
}
