//! Writers of nested values: structs as objects, lists as arrays, maps as `[key, value]` pairs.
//! Null children are written as `null`.

use arrow_array::cast::AsArray;
use arrow_array::{Array, GenericListArray, GenericListViewArray, OffsetSizeTrait};
use arrow_schema::{DataType, Field};
use stowage_format_support::json::escape;
use stowage_plugin_sdk::Result;

use super::{Boxed, Render, renderer, unsupported, write_nested};

/// The writer of a struct array.
pub(super) fn structure(array: &dyn Array) -> Result<Boxed<'_>> {
    let array = array.as_struct();
    let DataType::Struct(fields) = array.data_type() else {
        return Err(unsupported(array.data_type()));
    };
    let children = fields
        .iter()
        .zip(array.columns())
        .map(|(f, c)| Ok((escape::key_bytes(f.name()), renderer(c.as_ref(), f)?)))
        .collect::<Result<Vec<_>>>()?;
    Ok(Box::new(StructRender { array, children }))
}

/// The writer of a fixed-size list array.
pub(super) fn fixed_list<'a>(array: &'a dyn Array, f: &Field) -> Result<Boxed<'a>> {
    let array = array.as_fixed_size_list();
    let values = renderer(array.values().as_ref(), f)?;
    Ok(Box::new(FixedListRender { array, values }))
}

struct StructRender<'a> {
    array: &'a arrow_array::StructArray,
    children: Vec<(Vec<u8>, Boxed<'a>)>,
}

impl Render for StructRender<'_> {
    fn is_null(&self, i: usize) -> bool {
        self.array.is_null(i)
    }
    fn write(&self, i: usize, out: &mut Vec<u8>) -> Result<()> {
        out.push(b'{');
        for (n, (key, child)) in self.children.iter().enumerate() {
            if n > 0 {
                out.push(b',');
            }
            out.extend_from_slice(key);
            write_nested(child.as_ref(), i, out)?;
        }
        out.push(b'}');
        Ok(())
    }
}

/// Appends `[v, v, …]` for the child values `range`.
fn write_items(
    values: &dyn Render,
    range: std::ops::Range<usize>,
    out: &mut Vec<u8>,
) -> Result<()> {
    out.push(b'[');
    for (n, j) in range.enumerate() {
        if n > 0 {
            out.push(b',');
        }
        write_nested(values, j, out)?;
    }
    out.push(b']');
    Ok(())
}

struct ListRender<'a, O: OffsetSizeTrait> {
    array: &'a GenericListArray<O>,
    values: Boxed<'a>,
}

pub(super) fn list<'a, O: OffsetSizeTrait>(
    array: &'a GenericListArray<O>,
    f: &Field,
) -> Result<Boxed<'a>> {
    let values = renderer(array.values().as_ref(), f)?;
    Ok(Box::new(ListRender { array, values }))
}

impl<O: OffsetSizeTrait> Render for ListRender<'_, O> {
    fn is_null(&self, i: usize) -> bool {
        self.array.is_null(i)
    }
    fn write(&self, i: usize, out: &mut Vec<u8>) -> Result<()> {
        let offsets = self.array.value_offsets();
        write_items(
            self.values.as_ref(),
            offsets[i].as_usize()..offsets[i + 1].as_usize(),
            out,
        )
    }
}

struct ListViewRender<'a, O: OffsetSizeTrait> {
    array: &'a GenericListViewArray<O>,
    values: Boxed<'a>,
}

pub(super) fn list_view<'a, O: OffsetSizeTrait>(
    array: &'a GenericListViewArray<O>,
    f: &Field,
) -> Result<Boxed<'a>> {
    let values = renderer(array.values().as_ref(), f)?;
    Ok(Box::new(ListViewRender { array, values }))
}

impl<O: OffsetSizeTrait> Render for ListViewRender<'_, O> {
    fn is_null(&self, i: usize) -> bool {
        self.array.is_null(i)
    }
    fn write(&self, i: usize, out: &mut Vec<u8>) -> Result<()> {
        let start = self.array.value_offsets()[i].as_usize();
        let len = self.array.value_sizes()[i].as_usize();
        write_items(self.values.as_ref(), start..start + len, out)
    }
}

struct FixedListRender<'a> {
    array: &'a arrow_array::FixedSizeListArray,
    values: Boxed<'a>,
}

impl Render for FixedListRender<'_> {
    fn is_null(&self, i: usize) -> bool {
        self.array.is_null(i)
    }
    fn write(&self, i: usize, out: &mut Vec<u8>) -> Result<()> {
        let start = self.array.value_offset_at(i);
        let len = self.array.value_length() as usize;
        write_items(self.values.as_ref(), start..start + len, out)
    }
}

/// Maps as `[[key, value], …]` (pyarrow gives a list of tuples, orjson writes arrays).
struct MapRender<'a> {
    array: &'a arrow_array::MapArray,
    keys: Boxed<'a>,
    values: Boxed<'a>,
}

pub(super) fn map<'a>(array: &'a dyn Array, entries: &Field) -> Result<Boxed<'a>> {
    let array = array.as_map();
    let DataType::Struct(fields) = entries.data_type() else {
        return Err(unsupported(array.data_type()));
    };
    let keys = renderer(array.keys().as_ref(), &fields[0])?;
    let values = renderer(array.values().as_ref(), &fields[1])?;
    Ok(Box::new(MapRender {
        array,
        keys,
        values,
    }))
}

impl Render for MapRender<'_> {
    fn is_null(&self, i: usize) -> bool {
        self.array.is_null(i)
    }
    fn write(&self, i: usize, out: &mut Vec<u8>) -> Result<()> {
        let offsets = self.array.value_offsets();
        out.push(b'[');
        for (n, j) in (offsets[i] as usize..offsets[i + 1] as usize).enumerate() {
            if n > 0 {
                out.push(b',');
            }
            out.push(b'[');
            write_nested(self.keys.as_ref(), j, out)?;
            out.push(b',');
            write_nested(self.values.as_ref(), j, out)?;
            out.push(b']');
        }
        out.push(b']');
        Ok(())
    }
}
