//! The stable C ABI between the Stowage host and its plugins.
//!
//! This crate has no dependencies and contains only `#[repr(C)]` data, `extern "C"` function
//! pointer types and constants. Its crate version *is* the ABI version. Vendors may implement it
//! in any language with a C ABI; Rust plugins use `stowage-plugin-sdk` instead of this crate.
//!
//! # Rules
//! - The major version is part of the entry symbol ([`ENTRY_SYMBOL_V1`]). A breaking change gets a
//!   new symbol, so an old host fails with a clean "symbol not found".
//! - The minor version is negotiated: the host passes its minor to the entry function and the
//!   plugin reports its own in [`PluginV1::abi_minor`]. Tables only grow at the end; every table
//!   starts with `struct_size` and a reader touches a trailing field only if `struct_size` covers
//!   it (see [`has_field`]). Missing trailing fields mean "not supported".
//! - [`ABI_LAYOUT_HASH`] is computed over the baseline (1.0) layout; it never changes within a
//!   major and catches accidental edits.
//! - Strings are UTF-8 and never NUL-terminated ([`StrRef`]). Borrowed data is valid for the call
//!   only. Owned data carries a `release` callback: whoever allocates frees.
//! - Data crosses as Arrow C Data / C Stream structs ([`ArrowArrayStream`]).
//! - Every function is blocking and thread-safe. No panic or exception may cross the boundary.
//!
//! # History
//! - 1.0: plugin manifest, backend/format factories and vtables, reader/writer/lister handles.
//! - 1.1: backend vtable gained the optional `copy` and `rename` operations; the manifest gained
//!   the (reserved) destination factory slot.
//! - 1.2: destinations: the destination factory gained its staging formats, type map and
//!   `open`; the destination vtable (`execute`, `query`, `copy_file`) and `CopyRequestV1`.
//!   Hosts list a 1.1 destination entry but do not open it.

#![no_std]

mod arrow;
mod layout;
mod status;
mod types;

pub use arrow::{ArrowArray, ArrowArrayStream, ArrowSchema};
pub use layout::{ABI_LAYOUT_HASH, has_field};
pub use status::*;
pub use types::*;

/// Major ABI version; part of the entry symbol name.
pub const ABI_MAJOR: u32 = 1;
/// Minor ABI version of this crate (append-only growth within a major).
pub const ABI_MINOR: u32 = 2;
/// Name of the entry symbol every plugin exports for ABI major 1 (without NUL).
pub const ENTRY_SYMBOL_V1: &str = "stowage_plugin_init_v1";
/// [`ENTRY_SYMBOL_V1`] NUL-terminated, for `dlsym`.
pub const ENTRY_SYMBOL_V1_CSTR: &[u8] = b"stowage_plugin_init_v1\0";
/// File-name prefix of plugin libraries (after the platform's `lib` prefix).
pub const PLUGIN_FILE_STEM_PREFIX: &str = "stowage_plugin_";
