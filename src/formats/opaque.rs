//! Bytes the crate carries without reading them, which may hold secrets.

use core::fmt;

use subtle::{Choice, ConstantTimeEq};
use zeroize::{Zeroize, ZeroizeOnDrop};

/// A byte string that may hold secrets the crate does not interpret: the
/// value of an unknown `supplementalCredentials` property, a legacy
/// attribute record's value.
///
/// Like the types in [`secret`](crate::secret): zeroized on drop,
/// `[REDACTED]` in `Debug`, compared in constant time.
#[derive(Clone, Default)]
pub struct OpaqueBytes(Vec<u8>);

impl OpaqueBytes {
    /// Wraps bytes.
    pub fn new(bytes: Vec<u8>) -> Self {
        Self(bytes)
    }

    /// Copies bytes.
    pub fn from_slice(bytes: &[u8]) -> Self {
        Self(bytes.to_vec())
    }

    /// The bytes.
    pub fn expose_secret(&self) -> &[u8] {
        &self.0
    }

    /// Length in bytes (not secret).
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are no bytes.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl Drop for OpaqueBytes {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl ZeroizeOnDrop for OpaqueBytes {}

impl fmt::Debug for OpaqueBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "OpaqueBytes({} bytes, [REDACTED])", self.0.len())
    }
}

impl ConstantTimeEq for OpaqueBytes {
    fn ct_eq(&self, other: &Self) -> Choice {
        // The length is public; the content is not.
        if self.0.len() != other.0.len() {
            return Choice::from(0);
        }
        self.0.as_slice().ct_eq(other.0.as_slice())
    }
}

impl PartialEq for OpaqueBytes {
    fn eq(&self, other: &Self) -> bool {
        self.ct_eq(other).into()
    }
}

impl Eq for OpaqueBytes {}
