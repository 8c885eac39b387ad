//! A bounds-checked cursor over untrusted bytes.
//!
//! Every read names the field it reads, so a short input becomes a
//! [`FormatError::Truncated`] that says which field ran out.

use crate::error::FormatError;

/// Reads fields front to back; never reads past the end.
pub(crate) struct ByteReader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> ByteReader<'a> {
    pub(crate) fn new(bytes: &'a [u8]) -> Self {
        Self { bytes, pos: 0 }
    }

    /// Current offset from the start.
    pub(crate) fn position(&self) -> usize {
        self.pos
    }

    /// Bytes not read yet.
    pub(crate) fn remaining(&self) -> usize {
        self.bytes.len() - self.pos
    }

    /// The next `len` bytes.
    pub(crate) fn take(
        &mut self,
        len: usize,
        field: &'static str,
    ) -> Result<&'a [u8], FormatError> {
        let available = self.remaining();
        if len > available {
            return Err(FormatError::Truncated {
                field,
                offset: self.pos,
                needed: len,
                available,
            });
        }
        let out = &self.bytes[self.pos..self.pos + len];
        self.pos += len;
        Ok(out)
    }

    /// The next `N` bytes as an array.
    pub(crate) fn array<const N: usize>(
        &mut self,
        field: &'static str,
    ) -> Result<[u8; N], FormatError> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N, field)?);
        Ok(out)
    }

    /// Checks that `count` elements of `size` bytes fit in what is left,
    /// before anything is allocated for them.
    pub(crate) fn check_count(
        &self,
        count: usize,
        size: usize,
        field: &'static str,
    ) -> Result<(), FormatError> {
        let needed = count as u64 * size as u64;
        if needed > self.remaining() as u64 {
            return Err(FormatError::CountTooLarge {
                field,
                count,
                needed,
                available: self.remaining(),
            });
        }
        Ok(())
    }

    pub(crate) fn u8(&mut self, field: &'static str) -> Result<u8, FormatError> {
        Ok(self.array::<1>(field)?[0])
    }

    pub(crate) fn u16_le(&mut self, field: &'static str) -> Result<u16, FormatError> {
        Ok(u16::from_le_bytes(self.array(field)?))
    }

    pub(crate) fn u32_le(&mut self, field: &'static str) -> Result<u32, FormatError> {
        Ok(u32::from_le_bytes(self.array(field)?))
    }

    pub(crate) fn u16_be(&mut self, field: &'static str) -> Result<u16, FormatError> {
        Ok(u16::from_be_bytes(self.array(field)?))
    }

    pub(crate) fn u32_be(&mut self, field: &'static str) -> Result<u32, FormatError> {
        Ok(u32::from_be_bytes(self.array(field)?))
    }

    pub(crate) fn i32_be(&mut self, field: &'static str) -> Result<i32, FormatError> {
        Ok(i32::from_be_bytes(self.array(field)?))
    }
}

/// `len` bytes at `offset` inside `bytes`, for formats that locate their
/// parts by offset rather than by order.
pub(crate) fn slice_at<'a>(
    bytes: &'a [u8],
    offset: u32,
    len: u32,
    field: &'static str,
) -> Result<&'a [u8], FormatError> {
    let end = u64::from(offset) + u64::from(len);
    if end > bytes.len() as u64 {
        return Err(FormatError::OutOfBounds {
            field,
            offset: u64::from(offset),
            length: u64::from(len),
            size: bytes.len(),
        });
    }
    // Both bounds are within `bytes.len()`, a usize, so the casts are exact.
    Ok(&bytes[offset as usize..end as usize])
}

/// `value` as a `u16` length field, or [`FormatError::TooLarge`].
pub(crate) fn to_u16(value: usize, field: &'static str) -> Result<u16, FormatError> {
    u16::try_from(value).map_err(|_| FormatError::TooLarge {
        field,
        found: value as u64,
        max: u64::from(u16::MAX),
    })
}

/// `value` as a `u32` length or offset field, or [`FormatError::TooLarge`].
pub(crate) fn to_u32(value: usize, field: &'static str) -> Result<u32, FormatError> {
    u32::try_from(value).map_err(|_| FormatError::TooLarge {
        field,
        found: value as u64,
        max: u64::from(u32::MAX),
    })
}
