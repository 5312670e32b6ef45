//! Exporting a [`DestinationPlugin`] as an ABI factory and vtable (server side).

use std::ffi::c_void;

use stowage_plugin_abi as abi;

use super::client::ForeignReader;
use super::export_backend::read_options;
use super::{Instance, Poison, arg_str, guard, non_null, owned_buf};
use crate::destination::{CopyColumn, CopyRequest, Destination, DestinationPlugin};
use crate::{PluginError, Result};

type DestinationInstance = Instance<Box<dyn Destination>>;

static DESTINATION_VTABLE: abi::DestinationVTableV1 = abi::DestinationVTableV1 {
    struct_size: size_of::<abi::DestinationVTableV1>(),
    release: Some(destination_release),
    execute: Some(destination_execute),
    query: Some(destination_query),
    copy_file: Some(destination_copy_file),
};

/// The generic `open` entry point for destination `D`.
pub(crate) unsafe extern "C" fn destination_open<D: DestinationPlugin>(
    options: *const abi::KeyValue,
    n_options: usize,
    out: *mut abi::DestinationHandle,
    err: *mut abi::StowageError,
) -> abi::Status {
    guard(None, err, || {
        non_null(out, "out")?;
        // SAFETY: per the ABI, `options` holds `n_options` pairs.
        let opts = unsafe { read_options(options, n_options) }?;
        let destination = D::open(opts)?;
        let this = Box::into_raw(Box::new(DestinationInstance {
            inner: destination,
            poison: Poison::default(),
        }));
        // SAFETY: checked non-null.
        unsafe {
            out.write(abi::DestinationHandle {
                this: this.cast(),
                vtable: &DESTINATION_VTABLE,
            })
        };
        Ok(())
    })
}

/// # Safety
/// `this` must come from [`destination_open`].
unsafe fn instance<'a>(this: *mut c_void) -> &'a DestinationInstance {
    // SAFETY: guaranteed by the caller; destinations are `Sync`.
    unsafe { &*this.cast::<DestinationInstance>() }
}

unsafe extern "C" fn destination_release(this: *mut c_void) {
    // SAFETY: created by `destination_open`; release is called exactly once.
    let _ = std::panic::catch_unwind(|| {
        drop(unsafe { Box::from_raw(this.cast::<DestinationInstance>()) })
    });
}

unsafe extern "C" fn destination_execute(
    this: *mut c_void,
    sql: abi::StrRef,
    err: *mut abi::StowageError,
) -> abi::Status {
    // SAFETY: live instance per the ABI.
    let d = unsafe { instance(this) };
    guard(Some(&d.poison), err, || {
        // SAFETY: borrowed for the call.
        d.inner.execute(unsafe { arg_str(sql, "sql") }?)
    })
}

unsafe extern "C" fn destination_query(
    this: *mut c_void,
    sql: abi::StrRef,
    out: *mut abi::OwnedBuf,
    err: *mut abi::StowageError,
) -> abi::Status {
    // SAFETY: live instance per the ABI.
    let d = unsafe { instance(this) };
    guard(Some(&d.poison), err, || {
        non_null(out, "out")?;
        // SAFETY: borrowed for the call.
        let rows = d.inner.query(unsafe { arg_str(sql, "sql") }?)?;
        // SAFETY: checked non-null; the caller releases the buffer.
        unsafe { out.write(owned_buf(rows.into_bytes())) };
        Ok(())
    })
}

unsafe extern "C" fn destination_copy_file(
    this: *mut c_void,
    request: *const abi::CopyRequestV1,
    source: abi::ReaderHandle,
    out_rows: *mut u64,
    err: *mut abi::StowageError,
) -> abi::Status {
    // SAFETY: live instance per the ABI.
    let d = unsafe { instance(this) };
    // Own the reader first, so it is released on every path.
    // SAFETY: the caller moved a valid reader handle in.
    let source = unsafe { ForeignReader::from_handle(source) };
    guard(Some(&d.poison), err, || {
        // SAFETY: borrowed for the call per the ABI.
        let request = unsafe { read_request(request) }?;
        let rows = d.inner.copy_file(&request, Box::new(source))?;
        if !out_rows.is_null() {
            // SAFETY: checked non-null.
            unsafe { out_rows.write(rows) };
        }
        Ok(())
    })
}

/// Copies a borrowed request into owned Rust values.
///
/// # Safety
/// `raw` must be NULL or point to a valid request whose strings and columns are borrowed for
/// the call.
unsafe fn read_request(raw: *const abi::CopyRequestV1) -> Result<CopyRequest> {
    if raw.is_null() {
        return Err(PluginError::invalid("request must not be NULL"));
    }
    // SAFETY: guaranteed by the caller.
    let r = unsafe { &*raw };
    if r.struct_size < size_of::<abi::CopyRequestV1>() {
        return Err(PluginError::invalid(format!(
            "copy request too small ({} bytes)",
            r.struct_size
        )));
    }
    let columns = if r.n_columns == 0 {
        &[][..]
    } else {
        non_null(r.columns.cast_mut(), "columns")?;
        // SAFETY: `n_columns` valid entries borrowed for the call.
        unsafe { std::slice::from_raw_parts(r.columns, r.n_columns) }
    };
    let text = |s: abi::StrRef, what: &str| -> Result<String> {
        // SAFETY: borrowed for the call.
        Ok(unsafe { arg_str(s, what) }?.to_string())
    };
    let mut out_columns = Vec::with_capacity(columns.len());
    for c in columns {
        out_columns.push(CopyColumn {
            name: text(c.name, "column name")?,
            data_type: text(c.data_type, "column data type")?,
            nullable: c.nullable != 0,
        });
    }
    Ok(CopyRequest {
        dataset: text(r.dataset, "dataset")?,
        table: text(r.table, "table")?,
        format: text(r.format, "format")?,
        extension: text(r.extension, "extension")?,
        columns: out_columns,
        url: text(r.url, "url")?,
    })
}
