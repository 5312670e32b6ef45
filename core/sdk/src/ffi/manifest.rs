//! Building the static plugin manifest and the entry function (used by [`crate::export_plugin!`]).

use stowage_plugin_abi as abi;

use super::export_backend::backend_open;
use super::export_destination::destination_open;
use super::export_format::format_open;
use super::guard;
use crate::backend::BackendPlugin;
use crate::destination::DestinationPlugin;
use crate::format::FormatPlugin;
use crate::{ErrorKind, PluginError, Result};

/// Converts a list of strings into borrowed ABI strings (const, for static tables).
pub const fn str_refs<const N: usize>(strings: &'static [&'static str]) -> [abi::StrRef; N] {
    let mut out = [abi::StrRef::EMPTY; N];
    let mut i = 0;
    while i < N {
        out[i] = abi::StrRef::new(strings[i]);
        i += 1;
    }
    out
}

/// The factory entry for backend `B`; `schemes` must be `str_refs(B::SCHEMES)`.
pub const fn backend_factory<B: BackendPlugin>(
    schemes: &'static [abi::StrRef],
) -> abi::BackendFactoryV1 {
    abi::BackendFactoryV1 {
        struct_size: size_of::<abi::BackendFactoryV1>(),
        name: abi::StrRef::new(B::NAME),
        description: abi::StrRef::new(B::DESCRIPTION),
        schemes: schemes.as_ptr(),
        n_schemes: schemes.len(),
        capabilities: B::CAPABILITIES.bits(),
        open: Some(backend_open::<B>),
    }
}

/// The factory entry for format `F`; `extensions` must be `str_refs(F::EXTENSIONS)`.
pub const fn format_factory<F: FormatPlugin>(
    extensions: &'static [abi::StrRef],
) -> abi::FormatFactoryV1 {
    abi::FormatFactoryV1 {
        struct_size: size_of::<abi::FormatFactoryV1>(),
        name: abi::StrRef::new(F::NAME),
        description: abi::StrRef::new(F::DESCRIPTION),
        extensions: extensions.as_ptr(),
        n_extensions: extensions.len(),
        capabilities: F::CAPABILITIES.bits(),
        open: Some(format_open::<F>),
    }
}

/// Converts `(key, value)` pairs into borrowed ABI pairs (const, for static tables).
pub const fn key_values<const N: usize>(
    pairs: &'static [(&'static str, &'static str)],
) -> [abi::KeyValue; N] {
    let mut out = [abi::KeyValue {
        key: abi::StrRef::EMPTY,
        value: abi::StrRef::EMPTY,
    }; N];
    let mut i = 0;
    while i < N {
        out[i] = abi::KeyValue {
            key: abi::StrRef::new(pairs[i].0),
            value: abi::StrRef::new(pairs[i].1),
        };
        i += 1;
    }
    out
}

/// The factory entry for destination `D`; `formats` must be `str_refs(D::STAGING_FORMATS)` and
/// `types` `key_values(D::TYPE_MAP)`.
pub const fn destination_factory<D: DestinationPlugin>(
    formats: &'static [abi::StrRef],
    types: &'static [abi::KeyValue],
) -> abi::DestinationFactoryV1 {
    abi::DestinationFactoryV1 {
        struct_size: size_of::<abi::DestinationFactoryV1>(),
        name: abi::StrRef::new(D::NAME),
        description: abi::StrRef::new(D::DESCRIPTION),
        capabilities: D::CAPABILITIES.bits(),
        staging_formats: formats.as_ptr(),
        n_staging_formats: formats.len(),
        type_map: types.as_ptr(),
        n_type_map: types.len(),
        open: Some(destination_open::<D>),
    }
}

/// Identity of a plugin library.
#[derive(Debug, Clone, Copy)]
pub struct PluginSpec {
    /// Plugin name (`local`, `jsonl`, …).
    pub name: &'static str,
    /// Plugin version (usually `CARGO_PKG_VERSION`).
    pub version: &'static str,
    /// Optional hook run once at load time (inside the panic guard).
    pub on_load: Option<fn() -> Result<()>>,
}

/// The static manifest.
pub const fn plugin_manifest(
    spec: &PluginSpec,
    backends: &'static [abi::BackendFactoryV1],
    formats: &'static [abi::FormatFactoryV1],
    destinations: &'static [abi::DestinationFactoryV1],
) -> abi::PluginV1 {
    abi::PluginV1 {
        struct_size: size_of::<abi::PluginV1>(),
        abi_major: abi::ABI_MAJOR,
        abi_minor: abi::ABI_MINOR,
        layout_hash: abi::ABI_LAYOUT_HASH,
        name: abi::StrRef::new(spec.name),
        plugin_version: abi::StrRef::new(spec.version),
        rustc_version: abi::StrRef::new(crate::RUSTC_VERSION),
        arrow_version: abi::StrRef::new(crate::ARROW_VERSION),
        backends: backends.as_ptr(),
        n_backends: backends.len(),
        formats: formats.as_ptr(),
        n_formats: formats.len(),
        destinations: destinations.as_ptr(),
        n_destinations: destinations.len(),
    }
}

/// The lowest host minor this SDK works with (it needs only 1.0 host services).
const MIN_HOST_MINOR: u32 = 0;

/// Body of the generated entry function.
///
/// # Safety
/// Called by the host per the ABI: `host` valid for the process, `out`/`err` writable.
pub unsafe fn plugin_init(
    spec: &PluginSpec,
    manifest: &'static abi::PluginV1,
    host: *const abi::HostApiV1,
    host_minor: u32,
    out: *mut *const abi::PluginV1,
    err: *mut abi::StowageError,
) -> abi::Status {
    guard(None, err, || {
        if host.is_null() || out.is_null() {
            return Err(PluginError::invalid("host and out must not be NULL"));
        }
        #[allow(clippy::absurd_extreme_comparisons)]
        if host_minor < MIN_HOST_MINOR {
            return Err(PluginError::new(
                ErrorKind::UnsupportedVersion,
                format!(
                    "plugin needs host ABI 1.{MIN_HOST_MINOR} or newer, host has 1.{host_minor}"
                ),
            ));
        }
        // SAFETY: checked non-null; valid for the process per the ABI.
        let host = unsafe { &*host };
        let log = super::client::vfn!(host, abi::HostApiV1, log);
        crate::log::init(spec.name, log);
        if let Some(hook) = spec.on_load {
            hook()?;
        }
        // SAFETY: checked non-null.
        unsafe { out.write(manifest) };
        Ok(())
    })
}

/// Exports a plugin library: generates the static manifest and `stowage_plugin_init_v1`.
///
/// ```text
/// stowage_plugin_sdk::export_plugin! {
///     name: "local",
///     version: env!("CARGO_PKG_VERSION"),
///     backends: [LocalBackend],
///     formats: [],
/// }
/// ```
/// An optional `destinations: [DuckDbDestination],` follows `formats`; an optional
/// `on_load: path::to::fn,` runs once when the host loads the library.
#[macro_export]
macro_rules! export_plugin {
    (
        name: $name:expr,
        version: $version:expr,
        backends: [$($backend:ty),* $(,)?],
        formats: [$($format:ty),* $(,)?]
        $(, destinations: [$($destination:ty),* $(,)?])?
        $(, on_load: $on_load:expr)?
        $(,)?
    ) => {
        const _: () = {
            use $crate::abi as __abi;
            static __SPEC: $crate::ffi::PluginSpec = $crate::ffi::PluginSpec {
                name: $name,
                version: $version,
                on_load: $crate::export_plugin!(@on_load $($on_load)?),
            };
            static __BACKENDS: &[__abi::BackendFactoryV1] = &[$(
                $crate::ffi::backend_factory::<$backend>({
                    static S: [__abi::StrRef; <$backend as $crate::BackendPlugin>::SCHEMES.len()] =
                        $crate::ffi::str_refs(<$backend as $crate::BackendPlugin>::SCHEMES);
                    &S
                })
            ),*];
            static __FORMATS: &[__abi::FormatFactoryV1] = &[$(
                $crate::ffi::format_factory::<$format>({
                    static S: [__abi::StrRef; <$format as $crate::FormatPlugin>::EXTENSIONS.len()] =
                        $crate::ffi::str_refs(<$format as $crate::FormatPlugin>::EXTENSIONS);
                    &S
                })
            ),*];
            static __DESTINATIONS: &[__abi::DestinationFactoryV1] = &[$($(
                $crate::ffi::destination_factory::<$destination>(
                    {
                        static F: [__abi::StrRef;
                            <$destination as $crate::DestinationPlugin>::STAGING_FORMATS.len()] =
                            $crate::ffi::str_refs(
                                <$destination as $crate::DestinationPlugin>::STAGING_FORMATS,
                            );
                        &F
                    },
                    {
                        static T: [__abi::KeyValue;
                            <$destination as $crate::DestinationPlugin>::TYPE_MAP.len()] =
                            $crate::ffi::key_values(
                                <$destination as $crate::DestinationPlugin>::TYPE_MAP,
                            );
                        &T
                    },
                )
            ),*)?];
            static __MANIFEST: __abi::PluginV1 = $crate::ffi::plugin_manifest(
                &__SPEC,
                __BACKENDS,
                __FORMATS,
                __DESTINATIONS,
            );

            /// The plugin entry point (ABI major 1).
            ///
            /// # Safety
            /// Called by the Stowage host per the ABI.
            #[unsafe(no_mangle)]
            pub unsafe extern "C" fn stowage_plugin_init_v1(
                host: *const __abi::HostApiV1,
                host_minor: u32,
                out: *mut *const __abi::PluginV1,
                err: *mut __abi::StowageError,
            ) -> __abi::Status {
                // SAFETY: forwarded unchanged from the host.
                unsafe { $crate::ffi::plugin_init(&__SPEC, &__MANIFEST, host, host_minor, out, err) }
            }
        };
    };
    (@on_load) => { None };
    (@on_load $f:expr) => { Some($f) };
}
