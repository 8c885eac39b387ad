//! `REPLVALINF_V1` (MS-DRSR 5.167): a linked attribute value replicated
//! on its own (group memberships under linked-value replication).

use super::{AttrTyp, AttrValue, DsName, PropertyMetaData};
use crate::ndr::{NdrError, NdrReader, NdrType, NdrWriter, read_pointee, write_pointee};

/// `REPLVALINF_V1`. Password hash sync does not use them; they are read
/// (bounded like everything else) so that a reply carrying some parses.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct LinkedValue {
    /// `pObject`: the object holding the link.
    pub object: Option<DsName>,
    /// `attrTyp`: the link attribute.
    pub attr_typ: AttrTyp,
    /// `Aval`: the value (a DN-binary blob).
    pub value: AttrValue,
    /// `fIsPresent`: false for a removed value.
    pub is_present: bool,
    /// `MetaData.timeCreated`.
    pub time_created: i64,
    /// `MetaData.MetaData`.
    pub meta_data: PropertyMetaData,
}

/// Scalars of a `REPLVALINF_V1`.
pub struct LinkedValueScalars {
    object: bool,
    attr_typ: u32,
    value: <AttrValue as NdrType>::Scalars,
    is_present: u32,
    time_created: i64,
    meta_data: PropertyMetaData,
}

impl NdrType for LinkedValue {
    type Scalars = LinkedValueScalars;
    const MIN_WIRE_SIZE: usize = 64;

    fn write_scalars(&self, w: &mut NdrWriter) {
        w.align(8);
        w.pointer(self.object.is_some());
        w.u32(self.attr_typ.0);
        self.value.write_scalars(w);
        w.u32(u32::from(self.is_present));
        w.i64(self.time_created);
        self.meta_data.write(w);
    }

    fn write_deferred(&self, w: &mut NdrWriter) {
        write_pointee(w, self.object.as_ref());
        self.value.write_deferred(w);
    }

    fn read_scalars(r: &mut NdrReader<'_>) -> Result<LinkedValueScalars, NdrError> {
        r.align(8, "REPLVALINF_V1")?;
        Ok(LinkedValueScalars {
            object: r.unique_pointer("REPLVALINF_V1.pObject")?,
            attr_typ: r.u32("REPLVALINF_V1.attrTyp")?,
            value: AttrValue::read_scalars(r)?,
            is_present: r.u32("REPLVALINF_V1.fIsPresent")?,
            time_created: r.i64("VALUE_META_DATA_EXT_V1.timeCreated")?,
            meta_data: PropertyMetaData::read(r)?,
        })
    }

    fn read_deferred(s: LinkedValueScalars, r: &mut NdrReader<'_>) -> Result<Self, NdrError> {
        let object = read_pointee(r, s.object)?;
        let value = AttrValue::read_deferred(s.value, r)?;
        Ok(Self {
            object,
            attr_typ: AttrTyp(s.attr_typ),
            value,
            is_present: s.is_present != 0,
            time_created: s.time_created,
            meta_data: s.meta_data,
        })
    }
}
