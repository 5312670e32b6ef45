//! The registry: which plugin serves which URL scheme and which file format.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use stowage_plugin_abi as abi;
use stowage_plugin_sdk::ffi::client::{ForeignBackend, ForeignDestination, ForeignFormat, call};
use stowage_plugin_sdk::{
    Backend, BackendCapabilities, DestinationCapabilities, FormatCapabilities, Options, PluginError,
};

use super::discovery::{DiscoveryConfig, candidate_files};
use super::handshake::load_plugin;
use crate::Error;

/// A backend offered by a loaded plugin.
#[derive(Debug, Clone)]
pub struct BackendInfo {
    /// Backend name.
    pub name: String,
    /// One-line description.
    pub description: String,
    /// URL schemes served.
    pub schemes: Vec<String>,
    /// Declared capabilities.
    pub capabilities: BackendCapabilities,
    pub(crate) factory: &'static abi::BackendFactoryV1,
}

/// A format offered by a loaded plugin.
#[derive(Debug, Clone)]
pub struct FormatInfo {
    /// Format name.
    pub name: String,
    /// One-line description.
    pub description: String,
    /// Extensions (first is canonical).
    pub extensions: Vec<String>,
    /// Declared capabilities.
    pub capabilities: FormatCapabilities,
    pub(crate) factory: &'static abi::FormatFactoryV1,
}

/// A destination offered by a loaded plugin.
#[derive(Debug, Clone)]
pub struct DestinationInfo {
    /// Destination name (`duckdb`, `postgres`).
    pub name: String,
    /// One-line description.
    pub description: String,
    /// Declared capabilities.
    pub capabilities: DestinationCapabilities,
    /// Loader file formats it copies from staging, preferred first (empty for ABI 1.1).
    pub staging_formats: Vec<String>,
    /// dlt type → SQL type (empty for ABI 1.1).
    pub type_map: Vec<(String, String)>,
    /// `None` for an ABI 1.1 entry (declared only, cannot be opened).
    pub(crate) factory: Option<&'static abi::DestinationFactoryV1>,
}

impl DestinationInfo {
    /// True if this host can open it (an ABI 1.2 entry with `open`).
    pub fn is_loadable(&self) -> bool {
        self.factory.is_some_and(|f| f.open.is_some())
    }
}

/// A plugin library that passed the handshake.
#[derive(Debug, Clone)]
pub struct LoadedPlugin {
    /// Plugin name.
    pub name: String,
    /// Plugin version.
    pub version: String,
    /// ABI minor the plugin was built with (major is always 1 here).
    pub abi_minor: u32,
    /// rustc that built it (diagnostics).
    pub rustc_version: String,
    /// arrow-rs it was built with (diagnostics).
    pub arrow_version: String,
    /// Canonical path of the library.
    pub path: PathBuf,
    /// Backends it provides.
    pub backends: Vec<BackendInfo>,
    /// Formats it provides.
    pub formats: Vec<FormatInfo>,
    /// Names of the destinations it declares.
    pub destinations: Vec<String>,
    /// The destinations it declares, in full.
    pub destination_infos: Vec<DestinationInfo>,
}

/// A file that was not loaded, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejected {
    /// The file.
    pub path: PathBuf,
    /// One-line reason.
    pub reason: String,
}

/// Every plugin found, and the scheme/format lookup tables.
#[derive(Debug, Default)]
pub struct Registry {
    plugins: Vec<LoadedPlugin>,
    rejected: Vec<Rejected>,
    searched: Vec<PathBuf>,
    schemes: BTreeMap<String, BackendInfo>,
    formats: BTreeMap<String, FormatInfo>,
    destinations: BTreeMap<String, DestinationInfo>,
}

impl Registry {
    /// Loads every plugin on the search path. Never fails: bad files are recorded as rejected.
    pub fn discover(config: &DiscoveryConfig) -> Registry {
        let mut registry = Registry {
            searched: config.dirs.clone(),
            ..Default::default()
        };
        for path in candidate_files(config) {
            match load_plugin(&path) {
                Ok(plugin) => registry.add(plugin),
                Err(reason) => registry.rejected.push(Rejected { path, reason }),
            }
        }
        registry
    }

    fn add(&mut self, plugin: LoadedPlugin) {
        if let Some(first) = self.plugins.iter().find(|p| p.name == plugin.name) {
            let reason = format!(
                "duplicate plugin `{}` (already loaded from {})",
                plugin.name,
                first.path.display()
            );
            self.rejected.push(Rejected {
                path: plugin.path,
                reason,
            });
            return;
        }
        for backend in &plugin.backends {
            for scheme in &backend.schemes {
                self.schemes
                    .entry(scheme.to_ascii_lowercase())
                    .or_insert_with(|| backend.clone());
            }
        }
        for format in &plugin.formats {
            self.formats
                .entry(format.name.clone())
                .or_insert_with(|| format.clone());
        }
        for destination in &plugin.destination_infos {
            self.destinations
                .entry(destination.name.clone())
                .or_insert_with(|| destination.clone());
        }
        self.plugins.push(plugin);
    }

    /// Loaded plugins in search order.
    pub fn plugins(&self) -> &[LoadedPlugin] {
        &self.plugins
    }

    /// Files that were rejected, with reasons.
    pub fn rejected(&self) -> &[Rejected] {
        &self.rejected
    }

    /// Directories that were searched.
    pub fn searched_dirs(&self) -> &[PathBuf] {
        &self.searched
    }

    /// The backend serving `scheme`, if any.
    pub fn backend_for_scheme(&self, scheme: &str) -> Option<&BackendInfo> {
        self.schemes.get(&scheme.to_ascii_lowercase())
    }

    /// The format called `name`, if any.
    pub fn format(&self, name: &str) -> Option<&FormatInfo> {
        self.formats.get(name)
    }

    /// Opens the backend for a bucket URL (bare paths use the `file` scheme).
    pub fn open_backend(&self, url: &str, options: &Options) -> Result<Arc<dyn Backend>, Error> {
        let scheme = crate::bucket_url::scheme_of(url);
        let info = self
            .backend_for_scheme(&scheme)
            .ok_or_else(|| self.no_backend(&scheme))?;
        let open = info
            .factory
            .open
            .ok_or_else(|| PluginError::unsupported("backend has no `open`"))?;
        let raw = raw_options(options);
        let mut handle = abi::BackendHandle {
            this: std::ptr::null_mut(),
            vtable: std::ptr::null(),
        };
        // SAFETY: per the ABI; strings and options borrowed for the call.
        call(|err| unsafe {
            open(
                abi::StrRef::new(url),
                raw.as_ptr(),
                raw.len(),
                &mut handle,
                err,
            )
        })
        .map_err(|e| {
            e.while_doing(format!(
                "opening bucket {url} with the `{}` backend",
                info.name
            ))
        })?;
        // SAFETY: filled by a successful open; the library is never unloaded.
        Ok(Arc::new(unsafe { ForeignBackend::from_handle(handle) }))
    }

    /// Opens a format by name with resolved options.
    pub fn open_format(&self, name: &str, options: &Options) -> Result<Arc<ForeignFormat>, Error> {
        let info = self.format(name).ok_or_else(|| self.no_format(name))?;
        let open = info
            .factory
            .open
            .ok_or_else(|| PluginError::unsupported("format has no `open`"))?;
        let raw = raw_options(options);
        let mut handle = abi::FormatHandle {
            this: std::ptr::null_mut(),
            vtable: std::ptr::null(),
        };
        // SAFETY: per the ABI; options borrowed for the call.
        call(|err| unsafe { open(raw.as_ptr(), raw.len(), &mut handle, err) })
            .map_err(|e| e.while_doing(format!("opening the `{name}` format")))?;
        // SAFETY: filled by a successful open; the library is never unloaded.
        Ok(Arc::new(unsafe { ForeignFormat::from_handle(handle) }?))
    }

    /// The destination called `name`, if any.
    pub fn destination(&self, name: &str) -> Option<&DestinationInfo> {
        self.destinations.get(name)
    }

    /// Opens a destination session by name with resolved options.
    pub fn open_destination(
        &self,
        name: &str,
        options: &Options,
    ) -> Result<Arc<ForeignDestination>, Error> {
        let info = self
            .destination(name)
            .ok_or_else(|| self.no_destination(name))?;
        let open = info.factory.and_then(|f| f.open).ok_or_else(|| {
            PluginError::unsupported(format!(
                "destination `{name}` was built for ABI 1.1, which could not load destinations; \
                 rebuild the plugin against ABI 1.2 or newer"
            ))
        })?;
        let raw = raw_options(options);
        let mut handle = abi::DestinationHandle {
            this: std::ptr::null_mut(),
            vtable: std::ptr::null(),
        };
        // SAFETY: per the ABI; options borrowed for the call.
        call(|err| unsafe { open(raw.as_ptr(), raw.len(), &mut handle, err) })
            .map_err(|e| e.while_doing(format!("opening the `{name}` destination")))?;
        // SAFETY: filled by a successful open; the library is never unloaded.
        Ok(Arc::new(unsafe { ForeignDestination::from_handle(handle) }))
    }

    fn no_destination(&self, name: &str) -> Error {
        let known: Vec<&str> = self.destinations.keys().map(String::as_str).collect();
        PluginError::not_found(format!(
            "no destination plugin named `{name}` (available: {}); put its libstowage_plugin_*.so into one of: {}",
            list_or_none(&known),
            self.dirs_text()
        ))
    }

    fn no_backend(&self, scheme: &str) -> Error {
        let known: Vec<&str> = self.schemes.keys().map(String::as_str).collect();
        PluginError::not_found(format!(
            "no backend plugin serves `{scheme}` URLs (available: {}); put its libstowage_plugin_*.so into one of: {}",
            list_or_none(&known),
            self.dirs_text()
        ))
    }

    fn no_format(&self, name: &str) -> Error {
        let known: Vec<&str> = self.formats.keys().map(String::as_str).collect();
        PluginError::not_found(format!(
            "no format plugin named `{name}` (available: {}); put its libstowage_plugin_*.so into one of: {}",
            list_or_none(&known),
            self.dirs_text()
        ))
    }

    fn dirs_text(&self) -> String {
        let dirs: Vec<String> = self
            .searched
            .iter()
            .map(|d| d.display().to_string())
            .collect();
        list_or_none(&dirs.iter().map(String::as_str).collect::<Vec<_>>())
    }
}

/// Borrowed ABI pairs over `options` (valid while `options` lives).
fn raw_options(options: &Options) -> Vec<abi::KeyValue> {
    options
        .iter()
        .map(|(k, v)| abi::KeyValue {
            key: abi::StrRef::new(k),
            value: abi::StrRef::new(v),
        })
        .collect()
}

fn list_or_none(items: &[&str]) -> String {
    if items.is_empty() {
        "none".into()
    } else {
        items.join(", ")
    }
}
