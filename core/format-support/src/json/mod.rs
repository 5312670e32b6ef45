//! JSON written the way dlt writes it with orjson (compact): string escaping, numbers, and
//! `json` column text re-written as the parsed value would be (`json.dumps`).
//!
//! - [`escape`]: strings and object keys, escaped exactly as orjson escapes them;
//! - [`number`]: integers, orjson 3.13 floats and Python `str(Decimal)` decimals;
//! - [`text`]: validates JSON text and re-emits it in orjson's compact form.

pub mod escape;
pub mod number;
pub mod text;

pub use text::{JsonTextError, is_null_literal, transcode};
