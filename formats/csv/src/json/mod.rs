//! `json` column text re-written the way dlt's csv writer writes the parsed value
//! (`json.dumps`, i.e. orjson compact output).
//!
//! These files are copies of `formats/jsonl/src/{json_text,escape}.rs` (plugins cannot link
//! each other: each exports the same entry symbol); keep them in sync until the rules move
//! into the SDK.

mod escape;
mod number;
mod transcode;

pub(crate) use transcode::{is_null_literal, transcode};
