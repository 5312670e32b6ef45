//! The plugin host: discovery, the ABI handshake, and the registry of backends, formats
//! and destinations.
//!
//! This module (with the SDK) is the only place in the engine that touches the C ABI. Plugin
//! libraries are loaded once and never unloaded; every rejected file is recorded with a one-line
//! reason and never stops the run.

mod discovery;
mod elf_check;
mod handshake;
mod host_log;
mod registry;

pub use discovery::{DiscoveryConfig, candidate_files};
pub use registry::{BackendInfo, DestinationInfo, FormatInfo, LoadedPlugin, Registry, Rejected};
