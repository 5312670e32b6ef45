//! Code shared by Stowage's format plugins (csv, insert_values, jsonl).
//!
//! Plugins cannot link each other (each cdylib exports the same entry symbol), so what they
//! have in common lives in this plain library, compiled into each plugin:
//!
//! - [`json`]: JSON as orjson writes it (escaping, numbers, `json` column text);
//! - [`python`]: integers, floats, booleans and decimals as Python's `str()` writes them;
//! - [`temporal`]: dates, times and timestamps as Python writes them, and back;
//! - [`input`]: opening an object for reading, gunzipping it when it is gzip;
//! - [`batches`]: a `RecordBatchReader` over a decoder's `next_batch`, and column checks;
//! - [`csv`]: a csv header line split into column names (also used by the database
//!   destinations).
//!
//! Every function here decides output bytes of some plugin: a change shows in their golden
//! tests.

pub mod batches;
pub mod csv;
pub mod input;
pub mod json;
pub mod python;
pub mod temporal;
