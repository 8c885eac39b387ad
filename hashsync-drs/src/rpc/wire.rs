//! Little-endian reading and writing for the PDU, tower and NTLMSSP codecs.
//!
//! Every read is bounds-checked and fails with the offset at which the
//! input ran out, so a truncated or lying length field is a typed error,
//! never a panic.

/// The input ended (or a length pointed) past its end.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Truncated {
    /// Where the missing bytes should have started.
    pub(crate) offset: usize,
}

/// A bounds-checked little-endian reader over a byte slice.
pub(crate) struct Reader<'a> {
    bytes: &'a [u8],
    position: usize,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(bytes: &'a [u8]) -> Self {
        Self { bytes, position: 0 }
    }

    /// Bytes left.
    pub(crate) fn remaining(&self) -> usize {
        self.bytes.len() - self.position
    }

    pub(crate) fn take(&mut self, len: usize) -> Result<&'a [u8], Truncated> {
        let end = self
            .position
            .checked_add(len)
            .filter(|end| *end <= self.bytes.len())
            .ok_or(Truncated {
                offset: self.position,
            })?;
        let out = &self.bytes[self.position..end];
        self.position = end;
        Ok(out)
    }

    pub(crate) fn array<const N: usize>(&mut self) -> Result<[u8; N], Truncated> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }

    pub(crate) fn u8(&mut self) -> Result<u8, Truncated> {
        Ok(self.array::<1>()?[0])
    }

    pub(crate) fn u16(&mut self) -> Result<u16, Truncated> {
        Ok(u16::from_le_bytes(self.array()?))
    }

    pub(crate) fn u32(&mut self) -> Result<u32, Truncated> {
        Ok(u32::from_le_bytes(self.array()?))
    }

    /// Skips to the next multiple of `align` counted from the start.
    pub(crate) fn align(&mut self, align: usize) -> Result<(), Truncated> {
        let pad = padding(self.position, align);
        self.take(pad).map(drop)
    }

    /// Everything not yet read.
    pub(crate) fn rest(&mut self) -> &'a [u8] {
        let out = &self.bytes[self.position..];
        self.position = self.bytes.len();
        out
    }
}

/// Bytes needed after `len` to reach a multiple of `align` (a power of two).
pub(crate) fn padding(len: usize, align: usize) -> usize {
    (align - len % align) % align
}

pub(crate) fn put_u16(out: &mut Vec<u8>, value: u16) {
    out.extend_from_slice(&value.to_le_bytes());
}

pub(crate) fn put_u32(out: &mut Vec<u8>, value: u32) {
    out.extend_from_slice(&value.to_le_bytes());
}

/// Pads `out` with zeros to a multiple of `align`.
pub(crate) fn pad_to(out: &mut Vec<u8>, align: usize) {
    out.resize(out.len() + padding(out.len(), align), 0);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_little_endian_and_reports_where_input_ends() {
        let mut r = Reader::new(&[1, 2, 3, 4, 5, 6, 7]);
        assert_eq!(r.u16(), Ok(0x0201));
        assert_eq!(r.u32(), Ok(0x0605_0403));
        assert_eq!(r.u16(), Err(Truncated { offset: 6 }));
        assert_eq!(r.u8(), Ok(7));
        assert_eq!(r.take(usize::MAX), Err(Truncated { offset: 7 }));
    }

    #[test]
    fn padding_reaches_the_next_multiple() {
        assert_eq!(padding(0, 4), 0);
        assert_eq!(padding(5, 4), 3);
        assert_eq!(padding(17, 16), 15);
        let mut v = vec![1, 2, 3];
        pad_to(&mut v, 8);
        assert_eq!(v, [1, 2, 3, 0, 0, 0, 0, 0]);
    }
}
