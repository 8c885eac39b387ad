//! `ENTINF` (MS-DRSR 5.53), `PROPERTY_META_DATA_EXT_VECTOR` (5.156) and
//! `REPLENTINFLIST` (5.166): the objects of a `GetNCChanges` reply.

use uuid::Uuid;

use super::{AttributeBlock, DsName};
use crate::ndr::{NdrError, NdrReader, NdrType, NdrWriter, len_u32, read_pointee, write_pointee};

/// `ENTINF`: one object's name and attributes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct EntInf {
    /// `pName` (null only from a broken server).
    pub name: Option<DsName>,
    /// `ulFlags` (`ENTINF_FROM_MASTER` 0x1, `ENTINF_DYNAMIC_OBJECT` 0x2,
    /// `ENTINF_REMOTE_MODIFY` 0x10000).
    pub flags: u32,
    /// `AttrBlock`.
    pub attributes: AttributeBlock,
}

impl EntInf {
    /// An object with this name and these attributes.
    pub fn new(name: Option<DsName>, flags: u32, attributes: AttributeBlock) -> Self {
        Self {
            name,
            flags,
            attributes,
        }
    }
}

/// Scalars of an `ENTINF`.
pub struct EntInfScalars {
    name: bool,
    flags: u32,
    attributes: <AttributeBlock as NdrType>::Scalars,
}

impl NdrType for EntInf {
    type Scalars = EntInfScalars;
    const MIN_WIRE_SIZE: usize = 16;

    fn write_scalars(&self, w: &mut NdrWriter) {
        w.pointer(self.name.is_some());
        w.u32(self.flags);
        self.attributes.write_scalars(w);
    }

    fn write_deferred(&self, w: &mut NdrWriter) {
        write_pointee(w, self.name.as_ref());
        self.attributes.write_deferred(w);
    }

    fn read_scalars(r: &mut NdrReader<'_>) -> Result<EntInfScalars, NdrError> {
        Ok(EntInfScalars {
            name: r.unique_pointer("ENTINF.pName")?,
            flags: r.u32("ENTINF.ulFlags")?,
            attributes: AttributeBlock::read_scalars(r)?,
        })
    }

    fn read_deferred(s: EntInfScalars, r: &mut NdrReader<'_>) -> Result<Self, NdrError> {
        let name = read_pointee(r, s.name)?;
        let attributes = AttributeBlock::read_deferred(s.attributes, r)?;
        Ok(Self {
            name,
            flags: s.flags,
            attributes,
        })
    }
}

/// `PROPERTY_META_DATA_EXT`: the stamp of one attribute's last change.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct PropertyMetaData {
    /// `dwVersion`.
    pub version: u32,
    /// `timeChanged` (`DSTIME`).
    pub time_changed: i64,
    /// `uuidDsaOriginating`.
    pub dsa_originating: Uuid,
    /// `usnOriginating`.
    pub usn_originating: i64,
}

impl PropertyMetaData {
    /// A stamp with these fields.
    pub fn new(
        version: u32,
        time_changed: i64,
        dsa_originating: Uuid,
        usn_originating: i64,
    ) -> Self {
        Self {
            version,
            time_changed,
            dsa_originating,
            usn_originating,
        }
    }

    pub(crate) fn write(&self, w: &mut NdrWriter) {
        w.align(8);
        w.u32(self.version);
        w.i64(self.time_changed);
        w.guid(&self.dsa_originating);
        w.i64(self.usn_originating);
    }

    pub(crate) fn read(r: &mut NdrReader<'_>) -> Result<Self, NdrError> {
        r.align(8, "PROPERTY_META_DATA_EXT")?;
        Ok(Self {
            version: r.u32("PROPERTY_META_DATA_EXT.dwVersion")?,
            time_changed: r.i64("PROPERTY_META_DATA_EXT.timeChanged")?,
            dsa_originating: r.guid("PROPERTY_META_DATA_EXT.uuidDsaOriginating")?,
            usn_originating: r.i64("PROPERTY_META_DATA_EXT.usnOriginating")?,
        })
    }
}

/// Wire size of a `PROPERTY_META_DATA_EXT`.
const META_DATA_SIZE: usize = 40;
/// Stamps a vector may hold (`[range(0,1048576)] cNumProps`).
const MAX_META_DATA: u32 = 0x0010_0000;

/// `PROPERTY_META_DATA_EXT_VECTOR`, one stamp per attribute of the
/// object's `ATTRBLOCK`, in the same order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct MetaDataVector(pub Vec<PropertyMetaData>);

impl NdrType for MetaDataVector {
    type Scalars = Self;
    const MIN_WIRE_SIZE: usize = 8;

    fn write_scalars(&self, w: &mut NdrWriter) {
        let count = len_u32(self.0.len());
        w.conformance(count);
        w.align(8);
        w.u32(count);
        for stamp in &self.0 {
            stamp.write(w);
        }
    }

    fn write_deferred(&self, _: &mut NdrWriter) {}

    fn read_scalars(r: &mut NdrReader<'_>) -> Result<Self, NdrError> {
        let what = "PROPERTY_META_DATA_EXT_VECTOR.rgMetaData";
        let max_count = r.conformance(what, None)?;
        r.align(8, "PROPERTY_META_DATA_EXT_VECTOR")?;
        let count = r.size_is(
            "PROPERTY_META_DATA_EXT_VECTOR.cNumProps",
            what,
            max_count,
            (0, MAX_META_DATA),
        )?;
        let count = r.count(what, count, META_DATA_SIZE)?;
        let mut stamps = Vec::with_capacity(count);
        for _ in 0..count {
            stamps.push(PropertyMetaData::read(r)?);
        }
        Ok(Self(stamps))
    }

    fn read_deferred(scalars: Self, _: &mut NdrReader<'_>) -> Result<Self, NdrError> {
        Ok(scalars)
    }
}

/// One item of `REPLENTINFLIST`: a replicated object (its `pNextEntInf`
/// link is its position in [`GetNcChangesReply::objects`](super::GetNcChangesReply)).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ReplEntInf {
    /// `Entinf`.
    pub entinf: EntInf,
    /// `fIsNCPrefix`: whether this is the naming context's root.
    pub is_nc_prefix: bool,
    /// `pParentGuid`.
    pub parent_guid: Option<Uuid>,
    /// `pMetaDataExt`: one stamp per attribute, if sent.
    pub meta_data: Option<Vec<PropertyMetaData>>,
}

impl ReplEntInf {
    /// An item with these fields.
    pub fn new(
        entinf: EntInf,
        is_nc_prefix: bool,
        parent_guid: Option<Uuid>,
        meta_data: Option<Vec<PropertyMetaData>>,
    ) -> Self {
        Self {
            entinf,
            is_nc_prefix,
            parent_guid,
            meta_data,
        }
    }
}

/// Scalars of one `REPLENTINFLIST` item.
struct ItemScalars {
    entinf: EntInfScalars,
    is_nc_prefix: u32,
    parent_guid: bool,
    meta_data: bool,
}

fn write_item_scalars(w: &mut NdrWriter, item: &ReplEntInf, has_next: bool) {
    w.pointer(has_next);
    item.entinf.write_scalars(w);
    w.u32(u32::from(item.is_nc_prefix));
    w.pointer(item.parent_guid.is_some());
    w.pointer(item.meta_data.is_some());
}

fn write_item_deferred(w: &mut NdrWriter, item: &ReplEntInf) {
    item.entinf.write_deferred(w);
    if let Some(guid) = &item.parent_guid {
        w.guid(guid);
    }
    if let Some(stamps) = &item.meta_data {
        MetaDataVector(stamps.clone()).write_scalars(w);
    }
}

/// Writes the pointee of `pObjects`: the list's items, each the pointee
/// of the previous one's `pNextEntInf`.
///
/// NDR puts a pointee's own pointees right after it, and `pNextEntInf` is
/// an item's first pointer: so the scalars of every item come first, in
/// list order, and then the deferred data of each item from the *last*
/// to the first. Written (and read) that way without recursion, so a long
/// list cannot exhaust the stack.
pub(crate) fn write_object_list(w: &mut NdrWriter, items: &[ReplEntInf]) {
    for (i, item) in items.iter().enumerate() {
        write_item_scalars(w, item, i + 1 < items.len());
    }
    for item in items.iter().rev() {
        write_item_deferred(w, item);
    }
}

/// Reads what [`write_object_list`] writes.
pub(crate) fn read_object_list(r: &mut NdrReader<'_>) -> Result<Vec<ReplEntInf>, NdrError> {
    let mut scalars = Vec::new();
    loop {
        // Each item's scalars take at least 32 bytes, so the list is
        // bounded by the input.
        r.count("REPLENTINFLIST", 1, 32)?;
        let next = r.unique_pointer("REPLENTINFLIST.pNextEntInf")?;
        let item = ItemScalars {
            entinf: EntInf::read_scalars(r)?,
            is_nc_prefix: r.u32("REPLENTINFLIST.fIsNCPrefix")?,
            parent_guid: r.unique_pointer("REPLENTINFLIST.pParentGuid")?,
            meta_data: r.unique_pointer("REPLENTINFLIST.pMetaDataExt")?,
        };
        scalars.push(item);
        if !next {
            break;
        }
    }
    let mut items = Vec::with_capacity(scalars.len());
    for s in scalars.into_iter().rev() {
        let entinf = EntInf::read_deferred(s.entinf, r)?;
        let parent_guid = if s.parent_guid {
            Some(r.guid("REPLENTINFLIST.pParentGuid")?)
        } else {
            None
        };
        let meta_data = read_pointee::<MetaDataVector>(r, s.meta_data)?.map(|v| v.0);
        items.push(ReplEntInf {
            entinf,
            is_nc_prefix: s.is_nc_prefix != 0,
            parent_guid,
            meta_data,
        });
    }
    items.reverse();
    Ok(items)
}
