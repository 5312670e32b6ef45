//! The behaviour suites every backend, format and destination runs (in-process with `cargo test`, and
//! through real dlopen from the host's tests).

pub mod backend;
pub mod destination;
pub mod format;
