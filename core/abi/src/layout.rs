//! The layout hash: an FNV-1a over the sizes, alignments and field offsets of the baseline (1.0)
//! prefix of every table. Fields appended in later minors are not part of it, so the hash never
//! changes within a major; an accidental edit to the baseline changes it and the host rejects
//! the plugin instead of misreading memory.

use core::mem::{align_of, offset_of, size_of};

use crate::types::*;

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

const fn mix(hash: u64, value: usize) -> u64 {
    let bytes = (value as u64).to_le_bytes();
    let mut h = hash;
    let mut i = 0;
    while i < 8 {
        h ^= bytes[i] as u64;
        h = h.wrapping_mul(FNV_PRIME);
        i += 1;
    }
    h
}

const fn mix_all(hash: u64, values: &[usize]) -> u64 {
    let mut h = hash;
    let mut i = 0;
    while i < values.len() {
        h = mix(h, values[i]);
        i += 1;
    }
    h
}

const fn compute() -> u64 {
    let mut h = FNV_OFFSET;
    h = mix_all(
        h,
        &[
            size_of::<StrRef>(),
            align_of::<StrRef>(),
            offset_of!(StrRef, len),
        ],
    );
    h = mix_all(h, &[size_of::<OwnedBuf>(), offset_of!(OwnedBuf, release)]);
    h = mix_all(
        h,
        &[
            size_of::<StowageError>(),
            offset_of!(StowageError, retryable),
            offset_of!(StowageError, message),
            offset_of!(StowageError, detail_json),
        ],
    );
    h = mix_all(h, &[size_of::<KeyValue>(), offset_of!(KeyValue, value)]);
    h = mix_all(h, &[size_of::<HostApiV1>(), offset_of!(HostApiV1, log)]);
    h = mix_all(
        h,
        &[
            PLUGIN_V1_0_SIZE,
            offset_of!(PluginV1, abi_minor),
            offset_of!(PluginV1, layout_hash),
            offset_of!(PluginV1, name),
            offset_of!(PluginV1, backends),
            offset_of!(PluginV1, formats),
            offset_of!(PluginV1, n_formats),
        ],
    );
    h = mix_all(
        h,
        &[
            size_of::<BackendFactoryV1>(),
            offset_of!(BackendFactoryV1, schemes),
            offset_of!(BackendFactoryV1, capabilities),
            offset_of!(BackendFactoryV1, open),
        ],
    );
    h = mix_all(
        h,
        &[
            BACKEND_VTABLE_V1_0_SIZE,
            offset_of!(BackendVTableV1, release),
            offset_of!(BackendVTableV1, head),
            offset_of!(BackendVTableV1, open_reader),
            offset_of!(BackendVTableV1, open_writer),
            offset_of!(BackendVTableV1, list),
            offset_of!(BackendVTableV1, delete),
        ],
    );
    h = mix_all(h, &[size_of::<ObjectMetaV1>(), size_of::<BackendHandle>()]);
    h = mix_all(
        h,
        &[
            size_of::<ReaderVTableV1>(),
            offset_of!(ReaderVTableV1, size),
            offset_of!(ReaderVTableV1, read),
            offset_of!(ReaderVTableV1, read_at),
        ],
    );
    h = mix_all(
        h,
        &[
            size_of::<WriterVTableV1>(),
            offset_of!(WriterVTableV1, write),
            offset_of!(WriterVTableV1, finish),
            offset_of!(WriterVTableV1, abort),
        ],
    );
    h = mix_all(h, &[size_of::<ListEntryV1>(), size_of::<ListerVTableV1>()]);
    h = mix_all(
        h,
        &[
            size_of::<FormatFactoryV1>(),
            offset_of!(FormatFactoryV1, extensions),
            offset_of!(FormatFactoryV1, capabilities),
            offset_of!(FormatFactoryV1, open),
        ],
    );
    h = mix_all(
        h,
        &[
            size_of::<FormatVTableV1>(),
            offset_of!(FormatVTableV1, file_extension),
            offset_of!(FormatVTableV1, write_stream),
            offset_of!(FormatVTableV1, read_stream),
            size_of::<WriteStatsV1>(),
        ],
    );
    h
}

/// Hash of the baseline (1.0) layout of every ABI table. Reported by plugins, compared by hosts.
pub const ABI_LAYOUT_HASH: u64 = compute();

/// True if a table of `struct_size` bytes contains the field at `offset` with `field_size` bytes.
///
/// Use with `core::mem::offset_of!` to gate fields appended in later minors.
pub const fn has_field(struct_size: usize, offset: usize, field_size: usize) -> bool {
    offset + field_size <= struct_size
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Pinned for ABI major 1 on 64-bit targets. If this fails, a baseline table changed: that is a
    /// breaking change and needs `stowage_plugin_init_v2`, not an edit of this number.
    #[cfg(target_pointer_width = "64")]
    #[test]
    fn layout_hash_is_pinned_for_major_1() {
        assert_eq!(
            ABI_LAYOUT_HASH, PINNED_V1_LAYOUT_HASH,
            "got {ABI_LAYOUT_HASH:#x}"
        );
    }

    #[cfg(target_pointer_width = "64")]
    const PINNED_V1_LAYOUT_HASH: u64 = 0x1d14_2088_f4be_5b55;

    #[test]
    fn appended_fields_are_gated_by_struct_size() {
        let copy_at = offset_of!(BackendVTableV1, copy);
        let copy_size = size_of::<Option<usize>>();
        assert!(!has_field(BACKEND_VTABLE_V1_0_SIZE, copy_at, copy_size));
        assert!(has_field(size_of::<BackendVTableV1>(), copy_at, copy_size));
        assert!(!has_field(
            PLUGIN_V1_0_SIZE,
            offset_of!(PluginV1, destinations),
            8
        ));
        let open_at = offset_of!(DestinationFactoryV1, open);
        assert!(!has_field(DESTINATION_FACTORY_V1_1_SIZE, open_at, 8));
        assert!(has_field(size_of::<DestinationFactoryV1>(), open_at, 8));
    }

    /// The destination tables (ABI 1.2) are not part of the 1.0 baseline hash; pin their layout
    /// here so an accidental edit fails a test instead of misreading memory.
    #[cfg(target_pointer_width = "64")]
    #[test]
    fn destination_tables_are_pinned_for_1_2() {
        assert_eq!(DESTINATION_FACTORY_V1_1_SIZE, 48);
        assert_eq!(size_of::<DestinationFactoryV1>(), 88);
        assert_eq!(offset_of!(DestinationFactoryV1, open), 80);
        assert_eq!(size_of::<DestinationVTableV1>(), 40);
        assert_eq!(offset_of!(DestinationVTableV1, copy_file), 32);
        assert_eq!(size_of::<ColumnV1>(), 40);
        assert_eq!(size_of::<CopyRequestV1>(), 104);
        assert_eq!(offset_of!(CopyRequestV1, url), 88);
    }
}
