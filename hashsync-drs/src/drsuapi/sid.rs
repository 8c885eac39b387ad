//! Security identifiers as DRSUAPI carries them (in `DSNAME.Sid` and the
//! `objectSid` attribute).

use core::fmt;

/// Sub-authorities a SID can have (MS-DTYP 2.4.2.2).
const MAX_SUB_AUTHORITIES: usize = 15;

/// A binary security identifier (MS-DTYP 2.4.2.2): revision 1, a count of
/// sub-authorities, a 48-bit big-endian identifier authority, then the
/// sub-authorities as little-endian 32-bit integers.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Sid(Vec<u8>);

impl Sid {
    /// Parses a binary SID; `None` unless the revision is 1 and the length
    /// matches the sub-authority count.
    pub fn from_bytes(bytes: &[u8]) -> Option<Self> {
        let (&revision, rest) = bytes.split_first()?;
        let &count = rest.first()?;
        let count = usize::from(count);
        (revision == 1 && count <= MAX_SUB_AUTHORITIES && bytes.len() == 8 + 4 * count)
            .then(|| Self(bytes.to_vec()))
    }

    /// The binary form.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The sub-authorities, in order.
    pub fn sub_authorities(&self) -> impl Iterator<Item = u32> + '_ {
        self.0[8..]
            .chunks_exact(4)
            .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
    }

    /// The relative identifier: the last sub-authority (what keys the DES
    /// layer of replicated password hashes), if there is one.
    pub fn rid(&self) -> Option<u32> {
        self.sub_authorities().last()
    }

    fn authority(&self) -> u64 {
        self.0[2..8]
            .iter()
            .fold(0, |acc, &b| (acc << 8) | u64::from(b))
    }
}

/// The string form, `S-1-5-21-…`.
impl fmt::Display for Sid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "S-{}-{}", self.0[0], self.authority())?;
        for sub in self.sub_authorities() {
            write!(f, "-{sub}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Sid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Sid({self})")
    }
}
