//! The unsafe boundary: exporting Rust trait objects as ABI vtables (server side), wrapping ABI
//! handles as Rust trait objects (client side), panic guards and error transport.
//!
//! Every `extern "C"` function in this module runs its body inside [`guard`], so a panic becomes
//! [`abi::STATUS_PANIC`] and poisons the instance; nothing unwinds across the boundary.

pub(crate) mod arrow_stream;
pub mod client;
mod export_backend;
mod export_destination;
mod export_format;
mod export_io;
mod manifest;

use std::any::Any;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use stowage_plugin_abi as abi;

use crate::{ErrorKind, PluginError, Result};

pub use export_format::write_all as encode_into;
pub use manifest::{
    PluginSpec, backend_factory, destination_factory, format_factory, key_values, plugin_init,
    plugin_manifest, str_refs,
};

/// Shared poison flag of one instance and everything it handed out.
#[derive(Debug, Clone, Default)]
pub(crate) struct Poison(Arc<AtomicBool>);

impl Poison {
    fn check(&self) -> Result<()> {
        if self.0.load(Ordering::Acquire) {
            return Err(PluginError::new(
                ErrorKind::Panic,
                "plugin instance is poisoned by an earlier panic",
            )
            .with_retryable(false));
        }
        Ok(())
    }
    fn set(&self) {
        self.0.store(true, Ordering::Release);
    }
}

/// Exported instance: the Rust object plus its poison flag.
pub(crate) struct Instance<T> {
    pub(crate) inner: T,
    pub(crate) poison: Poison,
}

/// Text of a panic payload.
pub fn panic_message(payload: &(dyn Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic payload".into())
}

/// Runs `f`, turning an error into a status (filling `err`) and a panic into `STATUS_PANIC`
/// (poisoning the instance).
pub(crate) fn guard(
    poison: Option<&Poison>,
    err: *mut abi::StowageError,
    f: impl FnOnce() -> Result<()>,
) -> abi::Status {
    let result = match poison.map(Poison::check).transpose() {
        Err(e) => Err(e),
        Ok(_) => match catch_unwind(AssertUnwindSafe(f)) {
            Ok(r) => r,
            Err(payload) => {
                if let Some(p) = poison {
                    p.set();
                }
                Err(PluginError::new(
                    ErrorKind::Panic,
                    format!("plugin panicked: {}", panic_message(payload.as_ref())),
                )
                .with_retryable(false))
            }
        },
    };
    match result {
        Ok(()) => abi::STATUS_OK,
        Err(e) => {
            let status = e.kind().status();
            // A panic while filling the error must not unwind either.
            let _ = catch_unwind(AssertUnwindSafe(|| fill_error(err, &e)));
            status
        }
    }
}

/// Writes `e` into the caller's error out-parameter (if any).
pub(crate) fn fill_error(err: *mut abi::StowageError, e: &PluginError) {
    if err.is_null() {
        return;
    }
    let detail = if e.context().is_empty() {
        abi::OwnedBuf::EMPTY
    } else {
        owned_buf(context_json(e.context()).into_bytes())
    };
    let value = abi::StowageError {
        code: e.kind().status(),
        retryable: e.is_retryable() as u8,
        _reserved: [0; 3],
        message: owned_buf(e.message().as_bytes().to_vec()),
        detail_json: detail,
    };
    // SAFETY: the caller passes a valid, writable error value (or NULL, handled above).
    unsafe { err.write(value) };
}

fn context_json(ctx: &[(String, String)]) -> String {
    let fields: Vec<String> = ctx
        .iter()
        .map(|(k, v)| format!("{}:{}", json_string(k), json_string(v)))
        .collect();
    format!("{{{}}}", fields.join(","))
}

fn json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Reads (and releases) an error filled by the other side.
///
/// # Safety
/// `err` must be a value filled by a conforming implementation (or still empty).
pub unsafe fn take_error(status: abi::Status, err: &mut abi::StowageError) -> PluginError {
    // SAFETY: the buffers were filled by the other side with valid pointers/lengths.
    let message = unsafe { take_buf(&mut err.message) };
    // SAFETY: as above.
    let detail = unsafe { take_buf(&mut err.detail_json) };
    let message = String::from_utf8_lossy(&message).into_owned();
    let message = if message.is_empty() {
        abi::status_name(status).to_string()
    } else {
        message
    };
    let mut e = PluginError::new(ErrorKind::from_status(status), message)
        .with_retryable(err.retryable != 0);
    for (k, v) in parse_context(&String::from_utf8_lossy(&detail)) {
        e = e.with_context(k, v);
    }
    e
}

/// Parses the flat `{"k":"v",…}` context object written by [`context_json`] (best effort).
fn parse_context(json: &str) -> Vec<(String, String)> {
    let body = json.trim().trim_start_matches('{').trim_end_matches('}');
    let mut out = Vec::new();
    let mut strings = Vec::new();
    let mut chars = body.chars();
    while let Some(c) = chars.next() {
        if c != '"' {
            continue;
        }
        let mut s = String::new();
        while let Some(c) = chars.next() {
            match c {
                '"' => break,
                '\\' => match chars.next() {
                    Some('u') => {
                        let hex: String = chars.by_ref().take(4).collect();
                        if let Some(ch) =
                            u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32)
                        {
                            s.push(ch);
                        }
                    }
                    Some(other) => s.push(other),
                    None => break,
                },
                c => s.push(c),
            }
        }
        strings.push(s);
    }
    let mut it = strings.into_iter();
    while let (Some(k), Some(v)) = (it.next(), it.next()) {
        out.push((k, v));
    }
    out
}

/// An owned buffer holding `bytes`, freed by [`release_vec_buf`] in this library.
pub(crate) fn owned_buf(bytes: Vec<u8>) -> abi::OwnedBuf {
    let mut boxed = bytes.into_boxed_slice();
    let buf = abi::OwnedBuf {
        ptr: boxed.as_mut_ptr(),
        len: boxed.len(),
        private_data: std::ptr::null_mut(),
        release: Some(release_vec_buf),
    };
    std::mem::forget(boxed);
    buf
}

unsafe extern "C" fn release_vec_buf(buf: *mut abi::OwnedBuf) {
    let _ = catch_unwind(|| {
        if buf.is_null() {
            return;
        }
        // SAFETY: `buf` was produced by `owned_buf`, so ptr/len describe a leaked boxed slice.
        unsafe {
            let b = &mut *buf;
            if !b.ptr.is_null() {
                drop(Box::from_raw(std::ptr::slice_from_raw_parts_mut(
                    b.ptr, b.len,
                )));
            }
            b.ptr = std::ptr::null_mut();
            b.len = 0;
            b.release = None;
        }
    });
}

/// Copies an owned buffer and releases it.
///
/// # Safety
/// `buf` must have been filled by a conforming implementation.
pub unsafe fn take_buf(buf: &mut abi::OwnedBuf) -> Vec<u8> {
    let bytes = if buf.ptr.is_null() || buf.len == 0 {
        Vec::new()
    } else {
        // SAFETY: guaranteed by the caller.
        unsafe { std::slice::from_raw_parts(buf.ptr, buf.len) }.to_vec()
    };
    if let Some(release) = buf.release {
        // SAFETY: the producer's release callback frees its own buffer.
        unsafe { release(buf) };
    }
    *buf = abi::OwnedBuf::EMPTY;
    bytes
}

/// Reads a borrowed string argument.
///
/// # Safety
/// `s` must describe memory valid for the call.
pub(crate) unsafe fn arg_str<'a>(s: abi::StrRef, what: &str) -> Result<&'a str> {
    // SAFETY: guaranteed by the caller.
    unsafe { s.as_str() }.ok_or_else(|| PluginError::invalid(format!("{what} is not valid UTF-8")))
}

/// Checks an out-pointer.
pub(crate) fn non_null<T>(p: *mut T, what: &str) -> Result<()> {
    if p.is_null() {
        return Err(PluginError::invalid(format!("{what} must not be NULL")));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_round_trip_with_context() {
        let e = PluginError::new(ErrorKind::Io, "connection reset")
            .with_context("key", "a \"b\"\n")
            .with_context("bucket", "x");
        let mut raw = abi::StowageError::empty();
        fill_error(&mut raw, &e);
        // SAFETY: filled above by this library.
        let back = unsafe { take_error(abi::STATUS_RETRYABLE_IO, &mut raw) };
        assert_eq!(back, e);
    }

    #[test]
    fn panics_become_status_and_poison() {
        let poison = Poison::default();
        let mut raw = abi::StowageError::empty();
        let status = guard(Some(&poison), &mut raw, || panic!("boom"));
        assert_eq!(status, abi::STATUS_PANIC);
        // SAFETY: filled above by this library.
        let e = unsafe { take_error(status, &mut raw) };
        assert!(e.message().contains("boom"));
        let status = guard(Some(&poison), &mut raw, || Ok(()));
        assert_eq!(status, abi::STATUS_PANIC, "poisoned instance keeps failing");
        // SAFETY: filled above by this library.
        unsafe { take_error(status, &mut raw) };
    }
}
