//! The `IDL_DRSGetNCChanges` request (opnum 3, MS-DRSR 4.1.10), version
//! 8: `DRS_MSG_GETCHGREQ_V8` (4.1.10.2.5).

use core::ops::BitOr;

use uuid::Uuid;

use super::vectors::UpToDateV1;
use super::{
    DrsHandle, DsName, PartialAttributeSet, PrefixTable, ReplicationCursor, UpToDateVector,
    UsnVector,
};
use crate::ndr::{
    NdrError, NdrReader, NdrType, NdrWriter, read_pointee, read_value, write_pointee,
};

/// `ulFlags` of a `GetNCChanges` request: `DRS_OPTIONS` (MS-DRSR 5.41).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct ReplicationFlags(pub u32);

impl ReplicationFlags {
    /// `DRS_ASYNC_OP`.
    pub const ASYNC_OP: Self = Self(0x0000_0001);
    /// `DRS_WRIT_REP`: the client holds a writable replica (replicates
    /// every attribute, secrets included).
    pub const WRIT_REP: Self = Self(0x0000_0010);
    /// `DRS_INIT_SYNC`.
    pub const INIT_SYNC: Self = Self(0x0000_0020);
    /// `DRS_PER_SYNC`.
    pub const PER_SYNC: Self = Self(0x0000_0040);
    /// `DRS_CRITICAL_ONLY`.
    pub const CRITICAL_ONLY: Self = Self(0x0000_0400);
    /// `DRS_GET_ANC`: parents before children.
    pub const GET_ANC: Self = Self(0x0000_0800);
    /// `DRS_GET_NC_SIZE`.
    pub const GET_NC_SIZE: Self = Self(0x0000_1000);
    /// `DRS_FULL_SYNC_NOW`: replicate from scratch (the server ignores
    /// the up-to-dateness vector).
    pub const FULL_SYNC_NOW: Self = Self(0x0000_8000);
    /// `DRS_FULL_SYNC_IN_PROGRESS`.
    pub const FULL_SYNC_IN_PROGRESS: Self = Self(0x0001_0000);
    /// `DRS_SYNC_URGENT`.
    pub const SYNC_URGENT: Self = Self(0x0008_0000);
    /// `DRS_NEVER_SYNCED`.
    pub const NEVER_SYNCED: Self = Self(0x0020_0000);
    /// `DRS_SPECIAL_SECRET_PROCESSING`.
    pub const SPECIAL_SECRET_PROCESSING: Self = Self(0x0040_0000);
    /// `DRS_USE_COMPRESSION` (asks for the compressed reply versions this
    /// crate does not read: leave it clear).
    pub const USE_COMPRESSION: Self = Self(0x1000_0000);

    /// A full replication, as secrets-reading clients (DSInternals)
    /// request it: `INIT_SYNC | WRIT_REP | NEVER_SYNCED | FULL_SYNC_NOW |
    /// SYNC_URGENT`.
    pub const FULL_REPLICATION: Self = Self(
        Self::INIT_SYNC.0
            | Self::WRIT_REP.0
            | Self::NEVER_SYNCED.0
            | Self::FULL_SYNC_NOW.0
            | Self::SYNC_URGENT.0,
    );

    /// An incremental replication from a saved cursor: `INIT_SYNC |
    /// WRIT_REP | SYNC_URGENT` (without `FULL_SYNC_NOW`, which would make
    /// the server ignore the up-to-dateness vector).
    pub const INCREMENTAL_REPLICATION: Self =
        Self(Self::INIT_SYNC.0 | Self::WRIT_REP.0 | Self::SYNC_URGENT.0);

    /// Whether every bit of `other` is set.
    pub fn contains(self, other: Self) -> bool {
        self.0 & other.0 == other.0
    }
}

impl BitOr for ReplicationFlags {
    type Output = Self;
    fn bitor(self, rhs: Self) -> Self {
        Self(self.0 | rhs.0)
    }
}

/// `IDL_DRSGetNCChanges(hDrs, dwInVersion = 8, pmsgIn)` with
/// `DRS_MSG_GETCHGREQ_V8`.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct GetNcChangesRequest {
    /// `hDrs`, from `IDL_DRSBind`.
    pub handle: DrsHandle,
    /// `uuidDsaObjDest`: the client's DSA GUID (the `puuidClientDsa` of
    /// the bind).
    pub dsa_obj_dest: Uuid,
    /// `uuidInvocIdSrc`: the server's invocation id from its last reply
    /// (null starts a new cycle, MS-DRSR 4.1.10.7).
    pub invocation_id_src: Uuid,
    /// `pNC`: the naming context to replicate.
    pub naming_context: DsName,
    /// `usnvecFrom`: zero for a full replication, else the previous
    /// reply's `usnvecTo`.
    pub usn_vector_from: UsnVector,
    /// `pUpToDateVecDest` (sent as version 1).
    pub up_to_date_dest: Option<UpToDateVector>,
    /// `ulFlags`.
    pub flags: ReplicationFlags,
    /// `cMaxObjects`: the page size in objects.
    pub max_objects: u32,
    /// `cMaxBytes`: the page size in bytes.
    pub max_bytes: u32,
    /// `ulExtendedOp`: 0 (no extended operation).
    pub extended_op: u32,
    /// `liFsmoInfo`.
    pub fsmo_info: u64,
    /// `pPartialAttrSet`: the attributes to replicate (MS-DRSR: null for
    /// a full replica; secretsdump sends one with `DRS_WRIT_REP`). `None`
    /// asks for every attribute.
    pub partial_attr_set: Option<PartialAttributeSet>,
    /// `pPartialAttrSetEx1`.
    pub partial_attr_set_ex: Option<PartialAttributeSet>,
    /// `PrefixTableDest`: the table the ATTRTYPs of the two attribute
    /// sets are relative to.
    pub prefix_table_dest: PrefixTable,
}

impl GetNcChangesRequest {
    /// The opnum of `IDL_DRSGetNCChanges`.
    pub const OPNUM: u16 = 3;
    /// `dwInVersion`.
    pub const VERSION: u32 = 8;

    /// The next page of the replication of `naming_context` from
    /// `cursor` (its invocation id, USN vector and up-to-dateness vector
    /// become `uuidInvocIdSrc`, `usnvecFrom` and `pUpToDateVecDest`),
    /// asking for [`PartialAttributeSet::password_sync`]: a full
    /// replication ([`ReplicationFlags::FULL_REPLICATION`]) from an empty
    /// cursor, else incremental. After each reply, the next cursor is
    /// [`GetNcChangesReply::cursor_after`](super::GetNcChangesReply::cursor_after).
    pub fn password_sync(
        handle: DrsHandle,
        dsa_obj_dest: Uuid,
        naming_context: DsName,
        cursor: &ReplicationCursor,
        max_objects: u32,
        max_bytes: u32,
    ) -> Self {
        let (prefix_table_dest, set) = PartialAttributeSet::password_sync();
        let full = cursor.up_to_date.is_none();
        Self {
            handle,
            dsa_obj_dest,
            invocation_id_src: cursor.invocation_id,
            naming_context,
            usn_vector_from: cursor.usn_vector,
            up_to_date_dest: cursor.up_to_date.clone(),
            flags: if full {
                ReplicationFlags::FULL_REPLICATION
            } else {
                ReplicationFlags::INCREMENTAL_REPLICATION
            },
            max_objects,
            max_bytes,
            extended_op: 0,
            fsmo_info: 0,
            partial_attr_set: Some(set),
            partial_attr_set_ex: None,
            prefix_table_dest,
        }
    }

    /// The request stub: `hDrs`, `dwInVersion`, then `pmsgIn` (a `[ref]`
    /// pointer, so no referent id): the union's discriminant and the
    /// version-8 arm.
    pub fn encode(&self) -> Vec<u8> {
        let mut w = NdrWriter::new();
        w.bytes(&self.handle.0);
        w.u32(Self::VERSION);
        w.u32(Self::VERSION);
        w.align(8);
        w.guid(&self.dsa_obj_dest);
        w.guid(&self.invocation_id_src);
        w.pointer(true);
        self.usn_vector_from.write_scalars(&mut w);
        w.pointer(self.up_to_date_dest.is_some());
        w.u32(self.flags.0);
        w.u32(self.max_objects);
        w.u32(self.max_bytes);
        w.u32(self.extended_op);
        w.u64(self.fsmo_info);
        w.pointer(self.partial_attr_set.is_some());
        w.pointer(self.partial_attr_set_ex.is_some());
        self.prefix_table_dest.write_scalars(&mut w);
        // Deferred, in pointer order.
        write_pointee(&mut w, Some(&self.naming_context));
        write_pointee(
            &mut w,
            self.up_to_date_dest.clone().map(UpToDateV1).as_ref(),
        );
        write_pointee(&mut w, self.partial_attr_set.as_ref());
        write_pointee(&mut w, self.partial_attr_set_ex.as_ref());
        self.prefix_table_dest.write_deferred(&mut w);
        w.into_bytes()
    }

    /// Parses a request stub (tests, captures); refuses any version but 8.
    pub fn decode(stub: &[u8]) -> Result<Self, NdrError> {
        let mut r = NdrReader::new(stub);
        let mut handle = [0; 20];
        handle.copy_from_slice(r.take(20, "hDrs")?);
        let offset = r.offset();
        let version = r.u32("dwInVersion")?;
        let tag_offset = r.offset();
        let tag = r.u32("DRS_MSG_GETCHGREQ switch")?;
        for (version, offset) in [(version, offset), (tag, tag_offset)] {
            if version != Self::VERSION {
                return Err(NdrError::UnsupportedVersion {
                    what: "DRS_MSG_GETCHGREQ",
                    offset,
                    version,
                    supported: "8",
                });
            }
        }
        r.align(8, "DRS_MSG_GETCHGREQ_V8")?;
        let dsa_obj_dest = r.guid("uuidDsaObjDest")?;
        let invocation_id_src = r.guid("uuidInvocIdSrc")?;
        r.ref_pointer("pNC")?;
        let usn_vector_from = UsnVector::read_scalars(&mut r)?;
        let utd = r.unique_pointer("pUpToDateVecDest")?;
        let flags = ReplicationFlags(r.u32("ulFlags")?);
        let max_objects = r.u32("cMaxObjects")?;
        let max_bytes = r.u32("cMaxBytes")?;
        let extended_op = r.u32("ulExtendedOp")?;
        let fsmo_info = r.u64("liFsmoInfo")?;
        let pas = r.unique_pointer("pPartialAttrSet")?;
        let pas_ex = r.unique_pointer("pPartialAttrSetEx1")?;
        let table = PrefixTable::read_scalars(&mut r)?;
        let naming_context = read_value(&mut r)?;
        let up_to_date_dest = read_pointee::<UpToDateV1>(&mut r, utd)?.map(|v| v.0);
        let partial_attr_set = read_pointee(&mut r, pas)?;
        let partial_attr_set_ex = read_pointee(&mut r, pas_ex)?;
        let prefix_table_dest = PrefixTable::read_deferred(table, &mut r)?;
        r.finish("IDL_DRSGetNCChanges request")?;
        Ok(Self {
            handle: DrsHandle(handle),
            dsa_obj_dest,
            invocation_id_src,
            naming_context,
            usn_vector_from,
            up_to_date_dest,
            flags,
            max_objects,
            max_bytes,
            extended_op,
            fsmo_info,
            partial_attr_set,
            partial_attr_set_ex,
            prefix_table_dest,
        })
    }
}
