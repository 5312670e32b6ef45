//! Exporting readers, writers and listers as ABI handles (server side).

use std::ffi::c_void;

use stowage_plugin_abi as abi;

use super::{Instance, Poison, guard, non_null};
use crate::backend::{ListEntry, Lister, ObjectReader, ObjectWriter};
use crate::{PluginError, Result};

// ---- reader ----

type ReaderInstance = Instance<Box<dyn ObjectReader>>;

static READER_VTABLE: abi::ReaderVTableV1 = abi::ReaderVTableV1 {
    struct_size: size_of::<abi::ReaderVTableV1>(),
    release: Some(reader_release),
    size: Some(reader_size),
    read: Some(reader_read),
    read_at: Some(reader_read_at),
};

/// Exports a reader; the returned handle owns it.
pub(crate) fn export_reader(inner: Box<dyn ObjectReader>, poison: Poison) -> abi::ReaderHandle {
    let this = Box::into_raw(Box::new(ReaderInstance { inner, poison })).cast::<c_void>();
    abi::ReaderHandle {
        this,
        vtable: &READER_VTABLE,
    }
}

/// # Safety
/// `this` must come from [`export_reader`] and be used from one thread at a time.
unsafe fn reader<'a>(this: *mut c_void) -> &'a mut ReaderInstance {
    // SAFETY: guaranteed by the caller.
    unsafe { &mut *this.cast::<ReaderInstance>() }
}

unsafe extern "C" fn reader_release(this: *mut c_void) {
    // SAFETY: `this` was created by `export_reader`; release is called exactly once.
    let _ =
        std::panic::catch_unwind(|| drop(unsafe { Box::from_raw(this.cast::<ReaderInstance>()) }));
}

unsafe extern "C" fn reader_size(
    this: *mut c_void,
    out: *mut u64,
    err: *mut abi::StowageError,
) -> abi::Status {
    // SAFETY: per the ABI contract `this` is a live reader.
    let r = unsafe { reader(this) };
    guard(Some(&r.poison.clone()), err, || {
        non_null(out, "out")?;
        let size = r.inner.size()?;
        // SAFETY: checked non-null; the caller owns the out value.
        unsafe { out.write(size) };
        Ok(())
    })
}

unsafe extern "C" fn reader_read(
    this: *mut c_void,
    buf: *mut u8,
    cap: usize,
    out_n: *mut usize,
    err: *mut abi::StowageError,
) -> abi::Status {
    // SAFETY: per the ABI contract `this` is a live reader.
    let r = unsafe { reader(this) };
    guard(Some(&r.poison.clone()), err, || {
        non_null(out_n, "out_n")?;
        let slice = buf_slice(buf, cap)?;
        let n = r.inner.read(slice)?;
        // SAFETY: checked non-null.
        unsafe { out_n.write(n) };
        Ok(())
    })
}

unsafe extern "C" fn reader_read_at(
    this: *mut c_void,
    offset: u64,
    buf: *mut u8,
    cap: usize,
    out_n: *mut usize,
    err: *mut abi::StowageError,
) -> abi::Status {
    // SAFETY: per the ABI contract `this` is a live reader.
    let r = unsafe { reader(this) };
    guard(Some(&r.poison.clone()), err, || {
        non_null(out_n, "out_n")?;
        let slice = buf_slice(buf, cap)?;
        let n = r.inner.read_at(offset, slice)?;
        // SAFETY: checked non-null.
        unsafe { out_n.write(n) };
        Ok(())
    })
}

fn buf_slice<'a>(buf: *mut u8, cap: usize) -> Result<&'a mut [u8]> {
    if cap == 0 {
        return Ok(&mut []);
    }
    non_null(buf, "buf")?;
    // SAFETY: the caller passes a writable buffer of `cap` bytes.
    Ok(unsafe { std::slice::from_raw_parts_mut(buf, cap) })
}

// ---- writer ----

type WriterInstance = Instance<Option<Box<dyn ObjectWriter>>>;

static WRITER_VTABLE: abi::WriterVTableV1 = abi::WriterVTableV1 {
    struct_size: size_of::<abi::WriterVTableV1>(),
    release: Some(writer_release),
    write: Some(writer_write),
    finish: Some(writer_finish),
    abort: Some(writer_abort),
};

/// Exports a writer; the returned handle owns it (release without finish aborts).
pub(crate) fn export_writer(inner: Box<dyn ObjectWriter>, poison: Poison) -> abi::WriterHandle {
    let this = Box::into_raw(Box::new(WriterInstance {
        inner: Some(inner),
        poison,
    }));
    abi::WriterHandle {
        this: this.cast(),
        vtable: &WRITER_VTABLE,
    }
}

/// # Safety
/// `this` must come from [`export_writer`].
unsafe fn writer<'a>(this: *mut c_void) -> &'a mut WriterInstance {
    // SAFETY: guaranteed by the caller.
    unsafe { &mut *this.cast::<WriterInstance>() }
}

fn open_writer(w: &mut WriterInstance) -> Result<&mut Box<dyn ObjectWriter>> {
    w.inner
        .as_mut()
        .ok_or_else(|| PluginError::invalid("writer already finished or aborted"))
}

unsafe extern "C" fn writer_release(this: *mut c_void) {
    let _ = std::panic::catch_unwind(|| {
        // SAFETY: created by `export_writer`; release is called exactly once.
        let w = unsafe { Box::from_raw(this.cast::<WriterInstance>()) };
        if let Some(inner) = w.inner {
            let _ = inner.abort();
        }
    });
}

unsafe extern "C" fn writer_write(
    this: *mut c_void,
    data: *const u8,
    len: usize,
    err: *mut abi::StowageError,
) -> abi::Status {
    // SAFETY: per the ABI contract `this` is a live writer.
    let w = unsafe { writer(this) };
    guard(Some(&w.poison.clone()), err, || {
        let bytes = if len == 0 {
            &[][..]
        } else {
            non_null(data.cast_mut(), "data")?;
            // SAFETY: the caller passes `len` readable bytes.
            unsafe { std::slice::from_raw_parts(data, len) }
        };
        open_writer(w)?.write(bytes)
    })
}

unsafe extern "C" fn writer_finish(
    this: *mut c_void,
    out_size: *mut u64,
    err: *mut abi::StowageError,
) -> abi::Status {
    // SAFETY: per the ABI contract `this` is a live writer.
    let w = unsafe { writer(this) };
    guard(Some(&w.poison.clone()), err, || {
        open_writer(w)?;
        let size = w.inner.take().expect("checked above").finish()?;
        if !out_size.is_null() {
            // SAFETY: checked non-null.
            unsafe { out_size.write(size) };
        }
        Ok(())
    })
}

unsafe extern "C" fn writer_abort(this: *mut c_void, err: *mut abi::StowageError) -> abi::Status {
    // SAFETY: per the ABI contract `this` is a live writer.
    let w = unsafe { writer(this) };
    guard(Some(&w.poison.clone()), err, || match w.inner.take() {
        Some(inner) => inner.abort(),
        None => Ok(()),
    })
}

// ---- lister ----

struct ListerState {
    inner: Box<dyn Lister>,
    current: Option<ListEntry>,
}

type ListerInstance = Instance<ListerState>;

static LISTER_VTABLE: abi::ListerVTableV1 = abi::ListerVTableV1 {
    struct_size: size_of::<abi::ListerVTableV1>(),
    release: Some(lister_release),
    next: Some(lister_next),
};

/// Exports a lister; the returned handle owns it.
pub(crate) fn export_lister(inner: Box<dyn Lister>, poison: Poison) -> abi::ListerHandle {
    let state = ListerState {
        inner,
        current: None,
    };
    let this = Box::into_raw(Box::new(ListerInstance {
        inner: state,
        poison,
    }));
    abi::ListerHandle {
        this: this.cast(),
        vtable: &LISTER_VTABLE,
    }
}

unsafe extern "C" fn lister_release(this: *mut c_void) {
    // SAFETY: created by `export_lister`; release is called exactly once.
    let _ =
        std::panic::catch_unwind(|| drop(unsafe { Box::from_raw(this.cast::<ListerInstance>()) }));
}

unsafe extern "C" fn lister_next(
    this: *mut c_void,
    out: *mut abi::ListEntryV1,
    out_done: *mut u8,
    err: *mut abi::StowageError,
) -> abi::Status {
    // SAFETY: per the ABI contract `this` is a live lister.
    let l = unsafe { &mut *this.cast::<ListerInstance>() };
    guard(Some(&l.poison.clone()), err, || {
        non_null(out, "out")?;
        non_null(out_done, "out_done")?;
        let state = &mut l.inner;
        state.current = state.inner.next().transpose()?;
        match &state.current {
            None => {
                // SAFETY: checked non-null.
                unsafe { out_done.write(1) };
            }
            Some(entry) => {
                let raw = abi::ListEntryV1 {
                    key: abi::StrRef::new(&entry.key),
                    size: entry.size,
                    last_modified_ms: entry.last_modified_ms.unwrap_or(i64::MIN),
                };
                // SAFETY: checked non-null; `key` stays valid until the next call (kept in state).
                unsafe {
                    out.write(raw);
                    out_done.write(0);
                }
            }
        }
        Ok(())
    })
}
