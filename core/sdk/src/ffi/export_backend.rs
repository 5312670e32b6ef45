//! Exporting a [`BackendPlugin`] as an ABI factory and vtable (server side).

use std::ffi::c_void;

use stowage_plugin_abi as abi;

use super::export_io::{export_lister, export_reader, export_writer};
use super::{Instance, Poison, arg_str, guard, non_null};
use crate::backend::{Backend, BackendPlugin};
use crate::options::Options;
use crate::{PluginError, Result};

type BackendInstance = Instance<Box<dyn Backend>>;

pub(crate) static BACKEND_VTABLE: abi::BackendVTableV1 = abi::BackendVTableV1 {
    struct_size: size_of::<abi::BackendVTableV1>(),
    release: Some(backend_release),
    head: Some(backend_head),
    open_reader: Some(backend_open_reader),
    open_writer: Some(backend_open_writer),
    list: Some(backend_list),
    delete: Some(backend_delete),
    copy: Some(backend_copy),
    rename: Some(backend_rename),
};

/// Reads `n` borrowed key/value pairs into [`Options`].
///
/// # Safety
/// `options` must point to `n` valid pairs (or be NULL with `n == 0`).
pub(crate) unsafe fn read_options(options: *const abi::KeyValue, n: usize) -> Result<Options> {
    if n == 0 {
        return Ok(Options::default());
    }
    if options.is_null() {
        return Err(PluginError::invalid(
            "options must not be NULL when n_options > 0",
        ));
    }
    // SAFETY: guaranteed by the caller.
    let pairs = unsafe { std::slice::from_raw_parts(options, n) };
    let mut out = Vec::with_capacity(n);
    for kv in pairs {
        // SAFETY: borrowed for the call.
        let key = unsafe { arg_str(kv.key, "option key") }?;
        // SAFETY: borrowed for the call.
        let value = unsafe { arg_str(kv.value, "option value") }?;
        out.push((key.to_string(), value.to_string()));
    }
    Ok(Options::new(out))
}

/// The generic `open` entry point for backend `B`.
pub(crate) unsafe extern "C" fn backend_open<B: BackendPlugin>(
    url: abi::StrRef,
    options: *const abi::KeyValue,
    n_options: usize,
    out: *mut abi::BackendHandle,
    err: *mut abi::StowageError,
) -> abi::Status {
    guard(None, err, || {
        non_null(out, "out")?;
        // SAFETY: borrowed for the call per the ABI.
        let url = unsafe { arg_str(url, "url") }?;
        // SAFETY: per the ABI, `options` holds `n_options` pairs.
        let opts = unsafe { read_options(options, n_options) }?;
        let backend = B::open(url, opts)?;
        let this = Box::into_raw(Box::new(BackendInstance {
            inner: backend,
            poison: Poison::default(),
        }));
        // SAFETY: checked non-null.
        unsafe {
            out.write(abi::BackendHandle {
                this: this.cast(),
                vtable: &BACKEND_VTABLE,
            })
        };
        Ok(())
    })
}

/// # Safety
/// `this` must come from [`backend_open`].
unsafe fn instance<'a>(this: *mut c_void) -> &'a BackendInstance {
    // SAFETY: guaranteed by the caller; backends are `Sync`.
    unsafe { &*this.cast::<BackendInstance>() }
}

unsafe extern "C" fn backend_release(this: *mut c_void) {
    // SAFETY: created by `backend_open`; release is called exactly once.
    let _ =
        std::panic::catch_unwind(|| drop(unsafe { Box::from_raw(this.cast::<BackendInstance>()) }));
}

unsafe extern "C" fn backend_head(
    this: *mut c_void,
    key: abi::StrRef,
    out: *mut abi::ObjectMetaV1,
    err: *mut abi::StowageError,
) -> abi::Status {
    // SAFETY: live instance per the ABI.
    let b = unsafe { instance(this) };
    guard(Some(&b.poison), err, || {
        non_null(out, "out")?;
        // SAFETY: borrowed for the call.
        let meta = b.inner.head(unsafe { arg_str(key, "key") }?)?;
        let raw = abi::ObjectMetaV1 {
            size: meta.size,
            last_modified_ms: meta.last_modified_ms.unwrap_or(i64::MIN),
        };
        // SAFETY: checked non-null.
        unsafe { out.write(raw) };
        Ok(())
    })
}

unsafe extern "C" fn backend_open_reader(
    this: *mut c_void,
    key: abi::StrRef,
    out: *mut abi::ReaderHandle,
    err: *mut abi::StowageError,
) -> abi::Status {
    // SAFETY: live instance per the ABI.
    let b = unsafe { instance(this) };
    guard(Some(&b.poison), err, || {
        non_null(out, "out")?;
        // SAFETY: borrowed for the call.
        let reader = b.inner.open_reader(unsafe { arg_str(key, "key") }?)?;
        // SAFETY: checked non-null.
        unsafe { out.write(export_reader(reader, b.poison.clone())) };
        Ok(())
    })
}

unsafe extern "C" fn backend_open_writer(
    this: *mut c_void,
    key: abi::StrRef,
    out: *mut abi::WriterHandle,
    err: *mut abi::StowageError,
) -> abi::Status {
    // SAFETY: live instance per the ABI.
    let b = unsafe { instance(this) };
    guard(Some(&b.poison), err, || {
        non_null(out, "out")?;
        // SAFETY: borrowed for the call.
        let writer = b.inner.open_writer(unsafe { arg_str(key, "key") }?)?;
        // SAFETY: checked non-null.
        unsafe { out.write(export_writer(writer, b.poison.clone())) };
        Ok(())
    })
}

unsafe extern "C" fn backend_list(
    this: *mut c_void,
    prefix: abi::StrRef,
    out: *mut abi::ListerHandle,
    err: *mut abi::StowageError,
) -> abi::Status {
    // SAFETY: live instance per the ABI.
    let b = unsafe { instance(this) };
    guard(Some(&b.poison), err, || {
        non_null(out, "out")?;
        // SAFETY: borrowed for the call.
        let lister = b.inner.list(unsafe { arg_str(prefix, "prefix") }?)?;
        // SAFETY: checked non-null.
        unsafe { out.write(export_lister(lister, b.poison.clone())) };
        Ok(())
    })
}

unsafe extern "C" fn backend_delete(
    this: *mut c_void,
    key: abi::StrRef,
    err: *mut abi::StowageError,
) -> abi::Status {
    // SAFETY: live instance per the ABI.
    let b = unsafe { instance(this) };
    // SAFETY: borrowed for the call.
    guard(Some(&b.poison), err, || {
        b.inner.delete(unsafe { arg_str(key, "key") }?)
    })
}

unsafe extern "C" fn backend_copy(
    this: *mut c_void,
    from: abi::StrRef,
    to: abi::StrRef,
    err: *mut abi::StowageError,
) -> abi::Status {
    // SAFETY: live instance per the ABI.
    let b = unsafe { instance(this) };
    guard(Some(&b.poison), err, || {
        // SAFETY: borrowed for the call.
        let (from, to) = unsafe { (arg_str(from, "from")?, arg_str(to, "to")?) };
        b.inner.copy(from, to)
    })
}

unsafe extern "C" fn backend_rename(
    this: *mut c_void,
    from: abi::StrRef,
    to: abi::StrRef,
    err: *mut abi::StowageError,
) -> abi::Status {
    // SAFETY: live instance per the ABI.
    let b = unsafe { instance(this) };
    guard(Some(&b.poison), err, || {
        // SAFETY: borrowed for the call.
        let (from, to) = unsafe { (arg_str(from, "from")?, arg_str(to, "to")?) };
        b.inner.rename(from, to)
    })
}
