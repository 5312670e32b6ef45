//! Loading one plugin file: dlopen (leaked, never unloaded), the versioned entry symbol, the
//! minor negotiation, the layout-hash check, and reading the manifest within `struct_size`.

use std::mem::offset_of;
use std::path::Path;

use stowage_plugin_abi as abi;
use stowage_plugin_sdk::ffi::take_error;
use stowage_plugin_sdk::{BackendCapabilities, DestinationCapabilities, FormatCapabilities};

use super::host_log::HOST_API;
use super::registry::{BackendInfo, DestinationInfo, FormatInfo, LoadedPlugin};

/// Loads and validates one plugin library; `Err` is the one-line rejection reason.
pub(crate) fn load_plugin(path: &Path) -> Result<LoadedPlugin, String> {
    super::elf_check::check_complete_elf(path)?;
    // SAFETY: loading a library runs its initializers. Only files named
    // `libstowage_plugin_*` from the configured search path reach this point.
    let lib = unsafe { libloading::Library::new(path) }.map_err(|e| format!("cannot load: {e}"))?;
    let lib: &'static libloading::Library = Box::leak(Box::new(lib));
    // SAFETY: the symbol's type is fixed by ABI major 1.
    let init =
        unsafe { lib.get::<abi::PluginInitV1>(abi::ENTRY_SYMBOL_V1_CSTR) }.map_err(|_| {
            format!(
                "no `{}` symbol: not a Stowage plugin, or built for another ABI major",
                abi::ENTRY_SYMBOL_V1
            )
        })?;
    let manifest = call_init(*init)?;
    read_manifest(manifest, path)
}

fn call_init(init: abi::PluginInitV1) -> Result<&'static abi::PluginV1, String> {
    let mut out: *const abi::PluginV1 = std::ptr::null();
    let mut err = abi::StowageError::empty();
    // SAFETY: per the ABI; HOST_API is static, out/err are writable.
    let status = unsafe { init(&HOST_API, abi::ABI_MINOR, &mut out, &mut err) };
    if status != abi::STATUS_OK {
        // SAFETY: filled by the plugin per the ABI.
        let e = unsafe { take_error(status, &mut err) };
        return Err(format!(
            "initialization failed ({}): {}",
            abi::status_name(status),
            e
        ));
    }
    if out.is_null() {
        return Err("initialization returned no manifest".into());
    }
    // SAFETY: the manifest is static in a library that is never unloaded.
    Ok(unsafe { &*out })
}

fn read_manifest(m: &'static abi::PluginV1, path: &Path) -> Result<LoadedPlugin, String> {
    if m.struct_size < abi::PLUGIN_V1_0_SIZE {
        return Err(format!(
            "manifest too small ({} bytes): not an ABI 1.x plugin",
            m.struct_size
        ));
    }
    if m.abi_major != abi::ABI_MAJOR {
        return Err(format!(
            "plugin speaks ABI {}.{}, host speaks {}.x",
            m.abi_major,
            m.abi_minor,
            abi::ABI_MAJOR
        ));
    }
    if m.layout_hash != abi::ABI_LAYOUT_HASH {
        return Err(format!(
            "ABI layout hash mismatch (plugin {:#018x}, host {:#018x}): built against an incompatible ABI definition",
            m.layout_hash,
            abi::ABI_LAYOUT_HASH
        ));
    }
    let name = text(m.name, "name")?;
    if name.is_empty() {
        return Err("the manifest has an empty plugin name".into());
    }
    let destination_infos = read_destinations(m)?;
    Ok(LoadedPlugin {
        name,
        version: text(m.plugin_version, "version")?,
        abi_minor: m.abi_minor,
        rustc_version: text(m.rustc_version, "rustc_version")?,
        arrow_version: text(m.arrow_version, "arrow_version")?,
        path: path.to_path_buf(),
        backends: read_backends(m)?,
        formats: read_formats(m)?,
        destinations: destination_infos.iter().map(|d| d.name.clone()).collect(),
        destination_infos,
    })
}

fn text(s: abi::StrRef, what: &str) -> Result<String, String> {
    // SAFETY: manifest strings are static in a never-unloaded library.
    unsafe { s.as_str() }
        .map(str::to_string)
        .ok_or_else(|| format!("manifest {what} is not UTF-8"))
}

fn texts(ptr: *const abi::StrRef, n: usize, what: &str) -> Result<Vec<String>, String> {
    if n == 0 {
        return Ok(Vec::new());
    }
    if ptr.is_null() {
        return Err(format!("manifest {what} list is NULL"));
    }
    // SAFETY: static array of `n` entries per the ABI.
    let items = unsafe { std::slice::from_raw_parts(ptr, n) };
    items.iter().map(|s| text(*s, what)).collect()
}

fn table<T>(ptr: *const T, n: usize, what: &str) -> Result<&'static [T], String> {
    if n == 0 {
        return Ok(&[]);
    }
    if ptr.is_null() {
        return Err(format!("manifest {what} table is NULL"));
    }
    // SAFETY: static array of `n` entries per the ABI.
    Ok(unsafe { std::slice::from_raw_parts(ptr, n) })
}

fn read_backends(m: &'static abi::PluginV1) -> Result<Vec<BackendInfo>, String> {
    let mut out = Vec::new();
    for f in table(m.backends, m.n_backends, "backend")? {
        if f.struct_size < size_of::<abi::BackendFactoryV1>() {
            return Err(format!(
                "backend factory too small ({} bytes)",
                f.struct_size
            ));
        }
        out.push(BackendInfo {
            name: text(f.name, "backend name")?,
            description: text(f.description, "backend description")?,
            schemes: texts(f.schemes, f.n_schemes, "scheme")?,
            capabilities: BackendCapabilities::from_bits(f.capabilities),
            factory: f,
        });
    }
    Ok(out)
}

fn read_formats(m: &'static abi::PluginV1) -> Result<Vec<FormatInfo>, String> {
    let mut out = Vec::new();
    for f in table(m.formats, m.n_formats, "format")? {
        if f.struct_size < size_of::<abi::FormatFactoryV1>() {
            return Err(format!(
                "format factory too small ({} bytes)",
                f.struct_size
            ));
        }
        out.push(FormatInfo {
            name: text(f.name, "format name")?,
            description: text(f.description, "format description")?,
            extensions: texts(f.extensions, f.n_extensions, "extension")?,
            capabilities: FormatCapabilities::from_bits(f.capabilities),
            factory: f,
        });
    }
    Ok(out)
}

fn read_destinations(m: &'static abi::PluginV1) -> Result<Vec<DestinationInfo>, String> {
    let present = abi::has_field(
        m.struct_size,
        offset_of!(abi::PluginV1, n_destinations),
        size_of::<usize>(),
    );
    if !present {
        return Ok(Vec::new());
    }
    table(m.destinations, m.n_destinations, "destination")?
        .iter()
        .map(read_destination)
        .collect()
}

/// One destination entry; the 1.2 fields only if `struct_size` covers them (a 1.1 entry is
/// listed but has no `open`).
fn read_destination(f: &'static abi::DestinationFactoryV1) -> Result<DestinationInfo, String> {
    if f.struct_size < abi::DESTINATION_FACTORY_V1_1_SIZE {
        return Err(format!(
            "destination factory too small ({} bytes)",
            f.struct_size
        ));
    }
    let name = text(f.name, "destination name")?;
    let mut info = DestinationInfo {
        description: text(f.description, "destination description")?,
        name,
        capabilities: DestinationCapabilities::from_bits(f.capabilities),
        staging_formats: Vec::new(),
        type_map: Vec::new(),
        factory: None,
    };
    if f.struct_size >= size_of::<abi::DestinationFactoryV1>() {
        info.staging_formats = texts(f.staging_formats, f.n_staging_formats, "staging format")?;
        for kv in table(f.type_map, f.n_type_map, "type map")? {
            info.type_map.push((
                text(kv.key, "type map key")?,
                text(kv.value, "type map value")?,
            ));
        }
        info.factory = Some(f);
    }
    Ok(info)
}

#[cfg(test)]
mod tests {
    use super::*;

    static NAME: &str = "old";

    #[test]
    fn a_1_1_destination_entry_is_listed_but_not_openable() {
        // A 1.1 entry: only the reserved four fields; the 1.2 fields behind it are garbage.
        let factory = Box::leak(Box::new(abi::DestinationFactoryV1 {
            struct_size: abi::DESTINATION_FACTORY_V1_1_SIZE,
            name: abi::StrRef::new(NAME),
            description: abi::StrRef::EMPTY,
            capabilities: 0,
            staging_formats: 0x10 as *const abi::StrRef,
            n_staging_formats: 99,
            type_map: 0x10 as *const abi::KeyValue,
            n_type_map: 99,
            open: None,
        }));
        let info = read_destination(factory).expect("a 1.1 entry is valid");
        assert_eq!(info.name, "old");
        assert!(info.factory.is_none());
        assert!(info.staging_formats.is_empty() && info.type_map.is_empty());
    }
}
