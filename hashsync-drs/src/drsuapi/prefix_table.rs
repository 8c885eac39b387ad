//! `SCHEMA_PREFIX_TABLE` (MS-DRSR 5.180) and the ATTRTYP ↔ OID mapping of
//! MS-DRSR 5.16.4.

use core::fmt;

use const_oid::ObjectIdentifier;

use crate::ndr::{
    NdrError, NdrReader, NdrType, NdrWriter, len_u32, read_conformant_array, write_conformant_array,
};

/// `ATTRTYP` (MS-DRSR 5.14): an attribute or class in compact form. Below
/// 0x80000000 it maps to an OID through a prefix table: the upper 16 bits
/// pick an entry (`ndx`), the lower 16 bits encode the OID's last arc.
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AttrTyp(pub u32);

impl fmt::Debug for AttrTyp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AttrTyp({:#010x})", self.0)
    }
}

/// Why an ATTRTYP has no OID in a prefix table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PrefixTableError {
    /// ATTRTYPs from 0x80000000 are `msDS-IntId` values, not mapped by a
    /// prefix table (MS-ADTS 3.1.1.2.6).
    #[error("ATTRTYP {0:#010x} is not prefix-mapped (msDS-IntId or reserved range)")]
    NotPrefixMapped(u32),
    /// The table has no entry with the ATTRTYP's index.
    #[error("ATTRTYP {0:#010x}: the prefix table has no entry for its index")]
    UnknownPrefix(u32),
    /// The entry's prefix and the ATTRTYP's low bits do not make an OID.
    #[error("ATTRTYP {0:#010x}: its prefix and low bits do not form a valid OID")]
    InvalidOid(u32),
}

/// One `PrefixTableEntry`: an index and an OID prefix in BER (the
/// encoded arcs, without tag and length).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct PrefixEntry {
    /// `ndx`.
    pub index: u32,
    /// `prefix.elements` (`prefix.length` is its length).
    pub prefix: Vec<u8>,
}

impl PrefixEntry {
    /// An entry.
    pub fn new(index: u32, prefix: Vec<u8>) -> Self {
        Self { index, prefix }
    }
}

/// Prefixes with the index MS-DRSR's default prefix table gives them
/// (2.5.4, 2.5.6, 1.2.840.113556.1.2, …1.3, 2.5.5, …1.4, …1.5), so that
/// the client's ATTRTYPs are the familiar ones (unicodePwd 0x0009005A).
const WELL_KNOWN_PREFIXES: [(u32, &[u8]); 7] = [
    (0, &[0x55, 0x04]),
    (1, &[0x55, 0x06]),
    (2, &[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x14, 0x01, 0x02]),
    (3, &[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x14, 0x01, 0x03]),
    (8, &[0x55, 0x05]),
    (9, &[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x14, 0x01, 0x04]),
    (10, &[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x14, 0x01, 0x05]),
];

/// Entries a table may have (`[range(0,1048576)] PrefixCount`).
const MAX_ENTRIES: u32 = 0x0010_0000;
/// Bytes an OID prefix may have (`[range(0,10000)] length`).
const MAX_PREFIX_LEN: u32 = 10_000;

/// `SCHEMA_PREFIX_TABLE`: the mapping between ATTRTYPs and OIDs that a
/// message's ATTRTYPs are relative to. Client and server each have their
/// own: a request's ATTRTYPs map through the client's table
/// (`PrefixTableDest`), a reply's through the server's
/// (`PrefixTableSrc`), whose indices may differ.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct PrefixTable {
    /// `pPrefixEntry`, `PrefixCount` of them.
    pub entries: Vec<PrefixEntry>,
}

/// An OID split as MS-DRSR 5.16.4 `MakeAttid` splits it: the prefix kept
/// in the table and the low 16 bits of the ATTRTYP.
fn split(oid: &ObjectIdentifier) -> Option<(&[u8], u32)> {
    let bytes = oid.as_bytes();
    let last = oid.arcs().last()?;
    if last < 128 {
        Some((bytes.get(..bytes.len().checked_sub(1)?)?, last))
    } else {
        let low = (last % 0x4000) | if last >= 0x4000 { 0x8000 } else { 0 };
        Some((bytes.get(..bytes.len().checked_sub(2)?)?, low))
    }
}

impl PrefixTable {
    /// A table with these entries.
    pub fn new(entries: Vec<PrefixEntry>) -> Self {
        Self { entries }
    }

    /// The client's table for `oids`: one entry per distinct prefix, with
    /// the default table's index where it has one and the next free index
    /// otherwise.
    pub fn for_oids(oids: &[ObjectIdentifier]) -> Self {
        let mut table = Self::default();
        for oid in oids {
            table.add(oid);
        }
        table
    }

    /// Adds the prefix of `oid` unless the table has it already, and gives
    /// the OID's ATTRTYP in this table (`None` for an OID with a single
    /// arc, which has no prefix).
    pub fn add(&mut self, oid: &ObjectIdentifier) -> Option<AttrTyp> {
        let (prefix, _) = split(oid)?;
        if !self.entries.iter().any(|e| e.prefix == prefix) {
            let taken = |index: u32| self.entries.iter().any(|e| e.index == index);
            let index = WELL_KNOWN_PREFIXES
                .iter()
                .find(|(index, known)| *known == prefix && !taken(*index))
                .map(|(index, _)| *index)
                .unwrap_or_else(|| {
                    let largest = self.entries.iter().map(|e| e.index).max();
                    largest.map_or(0, |i| i + 1).max(11)
                });
            self.entries.push(PrefixEntry::new(index, prefix.to_vec()));
        }
        self.attrtyp(oid)
    }

    /// The ATTRTYP of `oid` in this table (MS-DRSR 5.16.4 `MakeAttid`,
    /// without adding), or `None` if its prefix is not in the table.
    pub fn attrtyp(&self, oid: &ObjectIdentifier) -> Option<AttrTyp> {
        let (prefix, low) = split(oid)?;
        let entry = self.entries.iter().find(|e| e.prefix == prefix)?;
        (entry.index < 0x8000).then_some(AttrTyp((entry.index << 16) | low))
    }

    /// The OID of `attrtyp` in this table (MS-DRSR 5.16.4
    /// `OidFromAttid`).
    pub fn oid(&self, attrtyp: AttrTyp) -> Result<ObjectIdentifier, PrefixTableError> {
        let value = attrtyp.0;
        if value >= 0x8000_0000 {
            return Err(PrefixTableError::NotPrefixMapped(value));
        }
        let (index, mut low) = (value >> 16, value & 0xFFFF);
        let entry = self
            .entries
            .iter()
            .find(|e| e.index == index)
            .ok_or(PrefixTableError::UnknownPrefix(value))?;
        let mut bytes = entry.prefix.clone();
        if low < 128 {
            bytes.push(low as u8);
        } else {
            if low >= 0x8000 {
                low -= 0x8000;
            }
            bytes.push((((low / 128) % 128) + 128) as u8);
            bytes.push((low % 128) as u8);
        }
        ObjectIdentifier::from_bytes(&bytes).map_err(|_| PrefixTableError::InvalidOid(value))
    }
}

/// Scalars of a `SCHEMA_PREFIX_TABLE`.
pub struct PrefixTableScalars {
    count: u32,
    present: bool,
    offset: usize,
}

impl NdrType for PrefixTable {
    type Scalars = PrefixTableScalars;
    const MIN_WIRE_SIZE: usize = 8;

    fn write_scalars(&self, w: &mut NdrWriter) {
        w.u32(len_u32(self.entries.len()));
        w.pointer(!self.entries.is_empty());
    }

    fn write_deferred(&self, w: &mut NdrWriter) {
        if !self.entries.is_empty() {
            write_conformant_array(w, &self.entries);
        }
    }

    fn read_scalars(r: &mut NdrReader<'_>) -> Result<Self::Scalars, NdrError> {
        let offset = r.offset();
        let count = r.u32("SCHEMA_PREFIX_TABLE.PrefixCount")?;
        r.check_range("SCHEMA_PREFIX_TABLE.PrefixCount", count, 0, MAX_ENTRIES)?;
        let present = r.unique_pointer("SCHEMA_PREFIX_TABLE.pPrefixEntry")?;
        Ok(PrefixTableScalars {
            count,
            present,
            offset,
        })
    }

    fn read_deferred(s: Self::Scalars, r: &mut NdrReader<'_>) -> Result<Self, NdrError> {
        match (s.present, s.count) {
            (false, 0) => Ok(Self::default()),
            (false, _) => Err(NdrError::InvalidValue {
                what: "SCHEMA_PREFIX_TABLE.pPrefixEntry",
                offset: s.offset,
                reason: "PrefixCount is not 0 but the entries are null",
            }),
            (true, count) => Ok(Self {
                entries: read_conformant_array(r, "SCHEMA_PREFIX_TABLE.pPrefixEntry", count)?,
            }),
        }
    }
}

/// Scalars of a `PrefixTableEntry`.
pub struct PrefixEntryScalars {
    index: u32,
    len: u32,
    present: bool,
    offset: usize,
}

impl NdrType for PrefixEntry {
    type Scalars = PrefixEntryScalars;
    const MIN_WIRE_SIZE: usize = 12;

    fn write_scalars(&self, w: &mut NdrWriter) {
        w.u32(self.index);
        w.u32(len_u32(self.prefix.len()));
        w.pointer(!self.prefix.is_empty());
    }

    fn write_deferred(&self, w: &mut NdrWriter) {
        if !self.prefix.is_empty() {
            w.conformant_bytes(&self.prefix);
        }
    }

    fn read_scalars(r: &mut NdrReader<'_>) -> Result<Self::Scalars, NdrError> {
        let index = r.u32("PrefixTableEntry.ndx")?;
        let offset = r.offset();
        let len = r.u32("OID_t.length")?;
        r.check_range("OID_t.length", len, 0, MAX_PREFIX_LEN)?;
        let present = r.unique_pointer("OID_t.elements")?;
        Ok(PrefixEntryScalars {
            index,
            len,
            present,
            offset,
        })
    }

    fn read_deferred(s: Self::Scalars, r: &mut NdrReader<'_>) -> Result<Self, NdrError> {
        let prefix = match (s.present, s.len) {
            (false, 0) => Vec::new(),
            (false, _) => {
                return Err(NdrError::InvalidValue {
                    what: "OID_t.elements",
                    offset: s.offset,
                    reason: "length is not 0 but the elements are null",
                });
            }
            (true, len) => r.conformant_bytes("OID_t.elements", len)?.to_vec(),
        };
        Ok(Self {
            index: s.index,
            prefix,
        })
    }
}
