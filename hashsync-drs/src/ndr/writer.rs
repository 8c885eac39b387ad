//! The NDR20 writer.

use uuid::Uuid;

/// The first referent id, and the step between two: what MIDL and Samba
/// write, so that stubs compare easily with captures.
const FIRST_REFERENT: u32 = 0x0002_0000;
const REFERENT_STEP: u32 = 4;

/// Writes NDR20 (little-endian, 32-bit pointers) into a growing buffer.
///
/// Padding is zero. Referent ids of non-null pointers are 0x00020000,
/// 0x00020004, … in the order the pointers are written. The caller writes
/// pointees where NDR puts them (see [`NdrType`](super::NdrType)).
#[derive(Debug, Default)]
pub struct NdrWriter {
    buf: Vec<u8>,
    referents: u32,
}

impl NdrWriter {
    /// An empty stub.
    pub fn new() -> Self {
        Self::default()
    }

    /// Bytes written so far.
    pub fn len(&self) -> usize {
        self.buf.len()
    }

    /// Whether nothing was written.
    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    /// The stub.
    pub fn into_bytes(self) -> Vec<u8> {
        self.buf
    }

    /// Zero padding up to the next multiple of `alignment` (1, 2, 4 or 8).
    pub fn align(&mut self, alignment: usize) {
        let pad = self.buf.len().wrapping_neg() & (alignment - 1);
        self.buf.resize(self.buf.len() + pad, 0);
    }

    /// Raw bytes, unaligned.
    pub fn bytes(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    /// A `byte`.
    pub fn u8(&mut self, value: u8) {
        self.buf.push(value);
    }

    /// A `short`/`WCHAR`, aligned to 2.
    pub fn u16(&mut self, value: u16) {
        self.align(2);
        self.bytes(&value.to_le_bytes());
    }

    /// A `long`/`DWORD`, aligned to 4.
    pub fn u32(&mut self, value: u32) {
        self.align(4);
        self.bytes(&value.to_le_bytes());
    }

    /// A signed `long`, aligned to 4.
    pub fn i32(&mut self, value: i32) {
        self.align(4);
        self.bytes(&value.to_le_bytes());
    }

    /// A `hyper`, aligned to 8.
    pub fn u64(&mut self, value: u64) {
        self.align(8);
        self.bytes(&value.to_le_bytes());
    }

    /// A signed `hyper` (`USN`, `DSTIME`), aligned to 8.
    pub fn i64(&mut self, value: i64) {
        self.align(8);
        self.bytes(&value.to_le_bytes());
    }

    /// A `GUID`, aligned to 4.
    pub fn guid(&mut self, value: &Uuid) {
        self.align(4);
        self.bytes(&value.to_bytes_le());
    }

    /// A unique or full pointer: 0 when `present` is false, else the next
    /// referent id. A full pointer to a pointee already written is the
    /// caller's to repeat with [`NdrWriter::referent`].
    pub fn pointer(&mut self, present: bool) {
        if present {
            let id = FIRST_REFERENT.wrapping_add(self.referents.wrapping_mul(REFERENT_STEP));
            self.referents = self.referents.wrapping_add(1);
            self.u32(id);
        } else {
            self.u32(0);
        }
    }

    /// A given referent id (a full pointer repeating an earlier one, or an
    /// embedded reference pointer's placeholder).
    pub fn referent(&mut self, id: u32) {
        self.u32(id);
    }

    /// The maximum count of a conformant array.
    pub fn conformance(&mut self, max_count: u32) {
        self.u32(max_count);
    }

    /// The offset and actual count of a varying array.
    pub fn variance(&mut self, first: u32, actual: u32) {
        self.u32(first);
        self.u32(actual);
    }

    /// A conformant byte array: its maximum count, then the bytes.
    pub fn conformant_bytes(&mut self, bytes: &[u8]) {
        self.conformance(len_u32(bytes.len()));
        self.bytes(bytes);
    }

    /// UTF-16 code units, aligned to 2.
    pub fn wide_chars(&mut self, units: &[u16]) {
        if !units.is_empty() {
            self.align(2);
        }
        for unit in units {
            self.bytes(&unit.to_le_bytes());
        }
    }

    /// A `[string] wchar_t*` pointee: maximum count, offset 0, actual
    /// count (both counting the terminating NUL), the UTF-16 code units and
    /// the NUL.
    pub fn wide_string(&mut self, value: &str) {
        let mut units: Vec<u16> = value.encode_utf16().collect();
        units.push(0);
        let count = len_u32(units.len());
        self.conformance(count);
        self.variance(0, count);
        self.wide_chars(&units);
    }
}

/// A length as the 32-bit count NDR20 carries. Lengths beyond 4 GiB cannot
/// be represented; the messages in this crate never build them (their IDL
/// ranges are far smaller), so this saturates rather than fails.
pub(crate) fn len_u32(len: usize) -> u32 {
    u32::try_from(len).unwrap_or(u32::MAX)
}
