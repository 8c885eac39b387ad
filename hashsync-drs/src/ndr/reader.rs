//! The bounded NDR20 reader.

use std::collections::HashSet;

use uuid::Uuid;

use super::NdrError;

/// A full pointer (`[ptr]`) as read: null, a referent seen for the first
/// time (its pointee follows in the deferred data), or one seen before
/// (its pointee is not repeated).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum FullPointer {
    /// The null pointer.
    Null,
    /// A referent id seen for the first time.
    First(u32),
    /// A referent id seen before in this stub.
    Repeat(u32),
}

/// Reads NDR20 (little-endian integers, IEEE floats, ASCII, 32-bit
/// pointers) from a stub, never past its end.
///
/// Alignment is relative to the start of the stub, as in DCE/RPC. Padding
/// bytes are skipped without being checked (implementations fill them
/// with anything). Every count is checked against the remaining bytes
/// before the caller allocates ([`NdrReader::count`]).
#[derive(Debug)]
pub struct NdrReader<'a> {
    data: &'a [u8],
    offset: usize,
    full_pointers: HashSet<u32>,
}

impl<'a> NdrReader<'a> {
    /// A reader at the start of `stub`.
    pub fn new(stub: &'a [u8]) -> Self {
        Self {
            data: stub,
            offset: 0,
            full_pointers: HashSet::new(),
        }
    }

    /// Where the next read starts.
    pub fn offset(&self) -> usize {
        self.offset
    }

    /// Bytes left.
    pub fn remaining(&self) -> usize {
        self.data.len() - self.offset
    }

    /// Skips padding up to the next multiple of `alignment` (a power of
    /// two: 1, 2, 4 or 8).
    pub fn align(&mut self, alignment: usize, what: &'static str) -> Result<(), NdrError> {
        let pad = self.offset.wrapping_neg() & (alignment - 1);
        self.take(pad, what).map(|_| ())
    }

    /// The next `len` bytes, unaligned.
    pub fn take(&mut self, len: usize, what: &'static str) -> Result<&'a [u8], NdrError> {
        if len > self.remaining() {
            return Err(NdrError::Truncated {
                what,
                offset: self.offset,
                needed: len,
                remaining: self.remaining(),
            });
        }
        let bytes = &self.data[self.offset..self.offset + len];
        self.offset += len;
        Ok(bytes)
    }

    fn array<const N: usize>(&mut self, what: &'static str) -> Result<[u8; N], NdrError> {
        self.align(N, what)?;
        let mut out = [0; N];
        out.copy_from_slice(self.take(N, what)?);
        Ok(out)
    }

    /// A `small`/`byte`/`UCHAR`.
    pub fn u8(&mut self, what: &'static str) -> Result<u8, NdrError> {
        Ok(self.take(1, what)?[0])
    }

    /// A `short`/`WCHAR`, aligned to 2.
    pub fn u16(&mut self, what: &'static str) -> Result<u16, NdrError> {
        self.array(what).map(u16::from_le_bytes)
    }

    /// A `long`/`DWORD`/`ULONG`, aligned to 4.
    pub fn u32(&mut self, what: &'static str) -> Result<u32, NdrError> {
        self.array(what).map(u32::from_le_bytes)
    }

    /// A signed `long`, aligned to 4.
    pub fn i32(&mut self, what: &'static str) -> Result<i32, NdrError> {
        self.array(what).map(i32::from_le_bytes)
    }

    /// A `hyper` (`ULARGE_INTEGER`), aligned to 8.
    pub fn u64(&mut self, what: &'static str) -> Result<u64, NdrError> {
        self.array(what).map(u64::from_le_bytes)
    }

    /// A signed `hyper` (`LONGLONG`, `USN`, `DSTIME`), aligned to 8.
    pub fn i64(&mut self, what: &'static str) -> Result<i64, NdrError> {
        self.array(what).map(i64::from_le_bytes)
    }

    /// A `GUID`/`UUID` (`Data1` long, `Data2`/`Data3` shorts, 8 bytes),
    /// aligned to 4.
    pub fn guid(&mut self, what: &'static str) -> Result<Uuid, NdrError> {
        self.align(4, what)?;
        let bytes: [u8; 16] =
            self.take(16, what)?
                .try_into()
                .map_err(|_| NdrError::InvalidValue {
                    what,
                    offset: self.offset,
                    reason: "a GUID is 16 bytes",
                })?;
        Ok(Uuid::from_bytes_le(bytes))
    }

    /// A unique (`[unique]`) pointer: whether its pointee follows in the
    /// deferred data.
    pub fn unique_pointer(&mut self, what: &'static str) -> Result<bool, NdrError> {
        Ok(self.u32(what)? != 0)
    }

    /// An embedded reference (`[ref]`) pointer, which must not be null.
    pub fn ref_pointer(&mut self, what: &'static str) -> Result<(), NdrError> {
        let offset = self.offset;
        if self.u32(what)? == 0 {
            return Err(NdrError::NullReference { what, offset });
        }
        Ok(())
    }

    /// A full (`[ptr]`) pointer: null, first sight of a referent, or a
    /// repeat of one whose pointee was already read.
    pub fn full_pointer(&mut self, what: &'static str) -> Result<FullPointer, NdrError> {
        let id = self.u32(what)?;
        Ok(if id == 0 {
            FullPointer::Null
        } else if self.full_pointers.insert(id) {
            FullPointer::First(id)
        } else {
            FullPointer::Repeat(id)
        })
    }

    /// Checks a `[range(min, max)]` value.
    pub fn check_range(
        &self,
        what: &'static str,
        value: u32,
        min: u32,
        max: u32,
    ) -> Result<(), NdrError> {
        if (min..=max).contains(&value) {
            return Ok(());
        }
        Err(NdrError::OutOfRange {
            what,
            offset: self.offset.saturating_sub(4),
            value: value.into(),
            min: min.into(),
            max: max.into(),
        })
    }

    /// Checks that `count` elements of at least `min_element_size` bytes
    /// each can still follow, and gives the count as a `usize` for an
    /// allocation bounded by the input.
    pub fn count(
        &self,
        what: &'static str,
        count: u32,
        min_element_size: usize,
    ) -> Result<usize, NdrError> {
        let needed = u64::from(count).saturating_mul(min_element_size.max(1) as u64);
        if needed > self.remaining() as u64 {
            return Err(NdrError::CountExceedsInput {
                what,
                offset: self.offset,
                count: count.into(),
                min_element_size,
                remaining: self.remaining(),
            });
        }
        // `needed` fits in the remaining bytes, so the count fits a usize.
        Ok(count as usize)
    }

    /// The maximum count of a conformant array; with `expected`, it must
    /// equal the field that sizes the array (`size_is`).
    pub fn conformance(
        &mut self,
        what: &'static str,
        expected: Option<u32>,
    ) -> Result<u32, NdrError> {
        let offset = self.offset;
        let max_count = self.u32(what)?;
        match expected {
            Some(expected) if expected != max_count => Err(NdrError::ConformanceMismatch {
                what,
                offset,
                max_count,
                expected,
            }),
            _ => Ok(max_count),
        }
    }

    /// The field that sizes a conformant structure's trailing array
    /// (`size_is(field)`): read here, within `min..=max`, and equal to the
    /// maximum count the structure began with (else a mismatch reported
    /// for `array`, at the field).
    pub fn size_is(
        &mut self,
        field: &'static str,
        array: &'static str,
        max_count: u32,
        (min, max): (u32, u32),
    ) -> Result<u32, NdrError> {
        let offset = self.offset;
        let count = self.u32(field)?;
        self.check_range(field, count, min, max)?;
        if count != max_count {
            return Err(NdrError::ConformanceMismatch {
                what: array,
                offset,
                max_count,
                expected: count,
            });
        }
        Ok(count)
    }

    /// The variance (offset, actual count) of a varying array whose
    /// maximum count is `max_count`.
    pub fn variance(&mut self, what: &'static str, max_count: u32) -> Result<(u32, u32), NdrError> {
        let offset = self.offset;
        let first = self.u32(what)?;
        let actual = self.u32(what)?;
        if u64::from(first) + u64::from(actual) > u64::from(max_count) {
            return Err(NdrError::VarianceInvalid {
                what,
                offset,
                first,
                actual,
                max_count,
            });
        }
        Ok((first, actual))
    }

    /// A conformant byte array sized by `size_is`: its maximum count
    /// (which must equal `size_is`), then the bytes.
    pub fn conformant_bytes(
        &mut self,
        what: &'static str,
        size_is: u32,
    ) -> Result<&'a [u8], NdrError> {
        self.conformance(what, Some(size_is))?;
        let len = self.count(what, size_is, 1)?;
        self.take(len, what)
    }

    /// `count` UTF-16 code units (aligned to 2), checked against the input
    /// before allocating.
    pub fn wide_chars(&mut self, what: &'static str, count: u32) -> Result<Vec<u16>, NdrError> {
        if count > 0 {
            self.align(2, what)?;
        }
        let count = self.count(what, count, 2)?;
        let bytes = self.take(count * 2, what)?;
        Ok(bytes
            .chunks_exact(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .collect())
    }

    /// A `[string] wchar_t*` pointee: a conformant varying array of UTF-16
    /// code units whose last one is the terminating NUL (which is not part
    /// of the returned string).
    pub fn wide_string(&mut self, what: &'static str) -> Result<String, NdrError> {
        let max_count = self.conformance(what, None)?;
        let (first, actual) = self.variance(what, max_count)?;
        if first != 0 {
            return Err(NdrError::InvalidValue {
                what,
                offset: self.offset - 8,
                reason: "a string's variance offset must be 0",
            });
        }
        let start = self.offset;
        let units = self.wide_chars(what, actual)?;
        terminated_utf16(what, start, &units)
    }

    /// Fails unless the whole stub was read.
    pub fn finish(&self, what: &'static str) -> Result<(), NdrError> {
        if self.remaining() == 0 {
            return Ok(());
        }
        Err(NdrError::TrailingBytes {
            what,
            offset: self.offset,
            count: self.remaining(),
        })
    }
}

/// UTF-16 code units that end with exactly one NUL, as a string without it.
pub(crate) fn terminated_utf16(
    what: &'static str,
    offset: usize,
    units: &[u16],
) -> Result<String, NdrError> {
    match units.split_last() {
        Some((0, chars)) if !chars.contains(&0) => {
            String::from_utf16(chars).map_err(|_| NdrError::InvalidUtf16 { what, offset })
        }
        _ => Err(NdrError::StringNotTerminated { what, offset }),
    }
}
