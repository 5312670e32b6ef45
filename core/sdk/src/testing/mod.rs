//! The behaviour suites every backend and format runs (in-process with `cargo test`, and
//! through real dlopen from the host's tests).

pub mod backend;
pub mod format;
