//! A replicated object seen through the server's prefix table: its
//! attributes by OID, its GUID and its SID.

use const_oid::ObjectIdentifier;
use uuid::Uuid;

use super::schema::{OBJECT_CLASS, OBJECT_GUID, OBJECT_SID};
use super::{AttrValue, Attribute, GetNcChangesReply, PrefixTable, ReplEntInf, Sid};

/// One attribute of a [`ReplicatedObject`], by OID.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ObjectAttribute {
    /// The attribute's OID (mapped through the server's prefix table).
    pub oid: ObjectIdentifier,
    /// Its values, as replicated (secret ones still encrypted with the
    /// session key).
    pub values: Vec<AttrValue>,
}

/// A replicated object: the `ENTINF` of one `REPLENTINFLIST` item with
/// its ATTRTYPs mapped to OIDs through the reply's `PrefixTableSrc`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ReplicatedObject {
    /// The objectGUID: the name's GUID, else the `objectGUID` attribute,
    /// else the null GUID.
    pub guid: Uuid,
    /// The objectSid: the name's SID, else the `objectSid` attribute.
    pub sid: Option<Sid>,
    /// The distinguished name (empty if the server sent none).
    pub dn: String,
    /// `fIsNCPrefix`.
    pub is_nc_prefix: bool,
    /// `pParentGuid`.
    pub parent_guid: Option<Uuid>,
    /// The attributes whose ATTRTYP the prefix table maps, in reply order.
    pub attributes: Vec<ObjectAttribute>,
    /// The `objectClass` values mapped to class OIDs (each value is an
    /// ATTRTYP), in the order replication sends them: the most specific
    /// class first, `top` last (Samba 4.17 checked).
    pub object_classes: Vec<ObjectIdentifier>,
    /// Attributes whose ATTRTYP the table does not map (msDS-IntId
    /// attributes, or a prefix the table lacks), kept as they came.
    pub unmapped: Vec<Attribute>,
}

impl ReplicatedObject {
    /// Maps one reply item through the server's prefix table `table`.
    pub fn new(item: ReplEntInf, table: &PrefixTable) -> Self {
        let name = item.entinf.name.unwrap_or_default();
        let mut object = Self {
            guid: name.guid,
            sid: name.sid,
            dn: name.dn,
            is_nc_prefix: item.is_nc_prefix,
            parent_guid: item.parent_guid,
            ..Self::default()
        };
        for attribute in item.entinf.attributes.attributes {
            match table.oid(attribute.attr_typ) {
                Ok(oid) => object.attributes.push(ObjectAttribute {
                    oid,
                    values: attribute.values,
                }),
                Err(_) => object.unmapped.push(attribute),
            }
        }
        if object.guid.is_nil()
            && let Some(Ok(bytes)) = object.value(&OBJECT_GUID).map(<[u8; 16]>::try_from)
        {
            object.guid = Uuid::from_bytes_le(bytes);
        }
        if object.sid.is_none() {
            object.sid = object.value(&OBJECT_SID).and_then(Sid::from_bytes);
        }
        object.object_classes = object
            .values(&OBJECT_CLASS)
            .iter()
            .filter_map(|v| <[u8; 4]>::try_from(v.as_bytes()).ok())
            .filter_map(|b| table.oid(super::AttrTyp(u32::from_le_bytes(b))).ok())
            .collect();
        object
    }

    /// The values of the attribute `oid` (empty if it was not sent).
    pub fn values(&self, oid: &ObjectIdentifier) -> &[AttrValue] {
        self.attributes
            .iter()
            .find(|a| a.oid == *oid)
            .map_or(&[], |a| &a.values[..])
    }

    /// The first value of the attribute `oid`, if any.
    pub fn value(&self, oid: &ObjectIdentifier) -> Option<&[u8]> {
        self.values(oid).first().map(AttrValue::as_bytes)
    }

    /// The RID (last sub-authority of the SID), which keys the DES layer
    /// of the replicated password hashes.
    pub fn rid(&self) -> Option<u32> {
        self.sid.as_ref().and_then(Sid::rid)
    }
}

impl GetNcChangesReply {
    /// The reply's objects with their attributes by OID (through
    /// `PrefixTableSrc`), consuming the reply so that secret values are
    /// moved, not copied.
    pub fn into_replicated_objects(self) -> Vec<ReplicatedObject> {
        let table = self.prefix_table_src;
        self.objects
            .into_iter()
            .map(|item| ReplicatedObject::new(item, &table))
            .collect()
    }
}
