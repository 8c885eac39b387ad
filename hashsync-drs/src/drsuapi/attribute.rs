//! `ATTRVAL`, `ATTRVALBLOCK`, `ATTR` and `ATTRBLOCK` (MS-DRSR 5.6–5.10):
//! attribute values as replication carries them.

use core::fmt;

use zeroize::Zeroizing;

use super::AttrTyp;
use crate::ndr::{
    NdrError, NdrReader, NdrType, NdrWriter, len_u32, read_conformant_array, write_conformant_array,
};

/// Bytes one value may have (`[range(0,26214400)] valLen`).
const MAX_VALUE_LEN: u32 = 26_214_400;
/// Values one attribute may have (`[range(0,10485760)] valCount`).
const MAX_VALUES: u32 = 10_485_760;
/// Attributes one block may have (`[range(0,1048576)] attrCount`).
const MAX_ATTRIBUTES: u32 = 0x0010_0000;

/// `ATTRVAL`: one attribute value's bytes. Secret attributes arrive
/// encrypted with the session key; the bytes are zeroized on drop anyway
/// and `Debug` shows only their length.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct AttrValue(Zeroizing<Vec<u8>>);

impl AttrValue {
    /// Wraps bytes.
    pub fn new(bytes: Vec<u8>) -> Self {
        Self(Zeroizing::new(bytes))
    }

    /// The bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for AttrValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AttrValue({} bytes)", self.0.len())
    }
}

/// A length with the presence flag of the pointer that follows it.
pub struct Counted {
    len: u32,
    present: bool,
    offset: usize,
}

fn read_sized(
    r: &mut NdrReader<'_>,
    len_what: &'static str,
    ptr_what: &'static str,
    max: u32,
) -> Result<Counted, NdrError> {
    let offset = r.offset();
    let len = r.u32(len_what)?;
    r.check_range(len_what, len, 0, max)?;
    let present = r.unique_pointer(ptr_what)?;
    Ok(Counted {
        len,
        present,
        offset,
    })
}

/// Checks that a null pointer comes with a zero count.
fn null_means_empty(s: &Counted, what: &'static str) -> Result<bool, NdrError> {
    match (s.present, s.len) {
        (true, _) => Ok(true),
        (false, 0) => Ok(false),
        (false, _) => Err(NdrError::InvalidValue {
            what,
            offset: s.offset,
            reason: "the count is not 0 but the pointer is null",
        }),
    }
}

impl NdrType for AttrValue {
    type Scalars = Counted;
    const MIN_WIRE_SIZE: usize = 8;

    fn write_scalars(&self, w: &mut NdrWriter) {
        w.u32(len_u32(self.0.len()));
        w.pointer(true);
    }

    fn write_deferred(&self, w: &mut NdrWriter) {
        w.conformant_bytes(&self.0);
    }

    fn read_scalars(r: &mut NdrReader<'_>) -> Result<Counted, NdrError> {
        read_sized(r, "ATTRVAL.valLen", "ATTRVAL.pVal", MAX_VALUE_LEN)
    }

    fn read_deferred(s: Counted, r: &mut NdrReader<'_>) -> Result<Self, NdrError> {
        if !null_means_empty(&s, "ATTRVAL.pVal")? {
            return Ok(Self::default());
        }
        Ok(Self::new(
            r.conformant_bytes("ATTRVAL.pVal", s.len)?.to_vec(),
        ))
    }
}

/// `ATTR`: an attribute (`attrTyp`, relative to the message's prefix
/// table) and its values (`AttrVal`, an `ATTRVALBLOCK`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Attribute {
    /// `attrTyp`.
    pub attr_typ: AttrTyp,
    /// `AttrVal.pAVal` (`valCount` of them).
    pub values: Vec<AttrValue>,
}

impl Attribute {
    /// An attribute with these values.
    pub fn new(attr_typ: AttrTyp, values: Vec<AttrValue>) -> Self {
        Self { attr_typ, values }
    }
}

/// Scalars of an `ATTR`.
pub struct AttributeScalars {
    attr_typ: u32,
    values: Counted,
}

impl NdrType for Attribute {
    type Scalars = AttributeScalars;
    const MIN_WIRE_SIZE: usize = 12;

    fn write_scalars(&self, w: &mut NdrWriter) {
        w.u32(self.attr_typ.0);
        w.u32(len_u32(self.values.len()));
        w.pointer(!self.values.is_empty());
    }

    fn write_deferred(&self, w: &mut NdrWriter) {
        if !self.values.is_empty() {
            write_conformant_array(w, &self.values);
        }
    }

    fn read_scalars(r: &mut NdrReader<'_>) -> Result<AttributeScalars, NdrError> {
        let attr_typ = r.u32("ATTR.attrTyp")?;
        let values = read_sized(r, "ATTRVALBLOCK.valCount", "ATTRVALBLOCK.pAVal", MAX_VALUES)?;
        Ok(AttributeScalars { attr_typ, values })
    }

    fn read_deferred(s: AttributeScalars, r: &mut NdrReader<'_>) -> Result<Self, NdrError> {
        let values = if null_means_empty(&s.values, "ATTRVALBLOCK.pAVal")? {
            read_conformant_array(r, "ATTRVALBLOCK.pAVal", s.values.len)?
        } else {
            Vec::new()
        };
        Ok(Self {
            attr_typ: AttrTyp(s.attr_typ),
            values,
        })
    }
}

/// `ATTRBLOCK`: the attributes of one object.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct AttributeBlock {
    /// `pAttr` (`attrCount` of them).
    pub attributes: Vec<Attribute>,
}

impl AttributeBlock {
    /// A block of these attributes.
    pub fn new(attributes: Vec<Attribute>) -> Self {
        Self { attributes }
    }
}

impl NdrType for AttributeBlock {
    type Scalars = Counted;
    const MIN_WIRE_SIZE: usize = 8;

    fn write_scalars(&self, w: &mut NdrWriter) {
        w.u32(len_u32(self.attributes.len()));
        w.pointer(!self.attributes.is_empty());
    }

    fn write_deferred(&self, w: &mut NdrWriter) {
        if !self.attributes.is_empty() {
            write_conformant_array(w, &self.attributes);
        }
    }

    fn read_scalars(r: &mut NdrReader<'_>) -> Result<Counted, NdrError> {
        read_sized(r, "ATTRBLOCK.attrCount", "ATTRBLOCK.pAttr", MAX_ATTRIBUTES)
    }

    fn read_deferred(s: Counted, r: &mut NdrReader<'_>) -> Result<Self, NdrError> {
        let attributes = if null_means_empty(&s, "ATTRBLOCK.pAttr")? {
            read_conformant_array(r, "ATTRBLOCK.pAttr", s.len)?
        } else {
            Vec::new()
        };
        Ok(Self { attributes })
    }
}
