//! Constructed types: the split between a type's scalars and its deferred
//! pointees, and the arrays and top-level values built on it.

use super::{NdrError, NdrReader, NdrWriter, writer::len_u32};

/// A constructed NDR type, written and read in NDR's two passes.
///
/// NDR represents a structure's *scalars* (its fixed fields, the referent
/// ids of its embedded pointers, nested structures' scalars) in place, and
/// *defers* the pointees of its embedded pointers until after the
/// outermost structure or array that contains it, in the order the
/// pointers occur; a pointee's own pointees follow that pointee at once
/// (C706 14.3.12.3, as MIDL and Samba's pidl write it). An array of
/// structures is all the elements' scalars, then each element's deferred
/// data in turn.
///
/// Reading follows the same two passes: [`NdrType::read_scalars`] gives
/// [`NdrType::Scalars`], with pointers as presence flags, and
/// [`NdrType::read_deferred`] reads the pointees and builds the value.
pub trait NdrType: Sized {
    /// What the first pass reads: the fixed fields, with each embedded
    /// pointer as whether its pointee follows.
    type Scalars;

    /// The fewest bytes the scalars take on the wire (bounds the counts of
    /// arrays of this type before allocating).
    const MIN_WIRE_SIZE: usize;

    /// Writes the scalars (aligned as the type requires).
    fn write_scalars(&self, w: &mut NdrWriter);

    /// Writes the pointees of the embedded pointers, in order.
    fn write_deferred(&self, w: &mut NdrWriter);

    /// Reads the scalars.
    fn read_scalars(r: &mut NdrReader<'_>) -> Result<Self::Scalars, NdrError>;

    /// Reads the pointees announced by `scalars` and builds the value.
    fn read_deferred(scalars: Self::Scalars, r: &mut NdrReader<'_>) -> Result<Self, NdrError>;
}

/// Writes a value with its pointees right after it: a top-level parameter,
/// or the pointee of a pointer.
pub fn write_value<T: NdrType>(w: &mut NdrWriter, value: &T) {
    value.write_scalars(w);
    value.write_deferred(w);
}

/// Reads what [`write_value`] writes.
pub fn read_value<T: NdrType>(r: &mut NdrReader<'_>) -> Result<T, NdrError> {
    let scalars = T::read_scalars(r)?;
    T::read_deferred(scalars, r)
}

/// Writes a unique pointer's pointee (its deferred data) if there is one.
pub fn write_pointee<T: NdrType>(w: &mut NdrWriter, value: Option<&T>) {
    if let Some(value) = value {
        write_value(w, value);
    }
}

/// Reads a unique pointer's pointee if its referent id was not null.
pub fn read_pointee<T: NdrType>(
    r: &mut NdrReader<'_>,
    present: bool,
) -> Result<Option<T>, NdrError> {
    present.then(|| read_value(r)).transpose()
}

/// Writes a conformant array of constructed elements (the pointee of a
/// `[size_is(n)] T*`): the maximum count, every element's scalars, then
/// every element's deferred data.
pub fn write_conformant_array<T: NdrType>(w: &mut NdrWriter, elements: &[T]) {
    w.conformance(len_u32(elements.len()));
    write_elements(w, elements);
}

/// Writes the elements of an array in place (scalars, then deferred), for
/// arrays whose maximum count was written elsewhere (hoisted to the front
/// of a conformant structure).
pub fn write_elements<T: NdrType>(w: &mut NdrWriter, elements: &[T]) {
    for element in elements {
        element.write_scalars(w);
    }
    for element in elements {
        element.write_deferred(w);
    }
}

/// Reads what [`write_conformant_array`] writes, for an array sized by a
/// field whose value is `size_is`: the maximum count must equal it.
pub fn read_conformant_array<T: NdrType>(
    r: &mut NdrReader<'_>,
    what: &'static str,
    size_is: u32,
) -> Result<Vec<T>, NdrError> {
    r.conformance(what, Some(size_is))?;
    read_elements(r, what, size_is)
}

/// Reads `count` elements in place (see [`write_elements`]), the count
/// checked against the remaining input before allocating.
pub fn read_elements<T: NdrType>(
    r: &mut NdrReader<'_>,
    what: &'static str,
    count: u32,
) -> Result<Vec<T>, NdrError> {
    let count = r.count(what, count, T::MIN_WIRE_SIZE)?;
    let mut scalars = Vec::with_capacity(count);
    for _ in 0..count {
        scalars.push(T::read_scalars(r)?);
    }
    let mut elements = Vec::with_capacity(count);
    for s in scalars {
        elements.push(T::read_deferred(s, r)?);
    }
    Ok(elements)
}
