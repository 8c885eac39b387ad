//! The `IDL_DRSGetNCChanges` reply, version 6: `DRS_MSG_GETCHGREPLY_V6`
//! (MS-DRSR 4.1.10.2.11).

use uuid::Uuid;

use super::entinf::{read_object_list, write_object_list};
use super::vectors::UpToDateV2;
use super::{DsName, LinkedValue, PrefixTable, ReplEntInf, UpToDateVector, UsnVector};
use crate::ndr::{
    NdrError, NdrReader, NdrType, NdrWriter, len_u32, read_conformant_array, read_pointee,
    write_conformant_array, write_pointee,
};

/// The reply version this crate reads.
pub const REPLY_VERSION: u32 = 6;
/// Linked values a reply may carry (`[range(0,1048576)] cNumValues`).
const MAX_VALUES: u32 = 0x0010_0000;

/// The reply stub of `IDL_DRSGetNCChanges`: `pdwOutVersion` (6), the
/// `DRS_MSG_GETCHGREPLY` union (its discriminant, then the version-6 arm)
/// and the return value. Each field is named as in the IDL, so that it
/// can be checked against Wireshark's DRSUAPI dissector.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct GetNcChangesReply {
    /// `uuidDsaObjSrc`: the server's DSA GUID.
    pub dsa_obj_src: Uuid,
    /// `uuidInvocIdSrc`: the server's invocation id.
    pub invocation_id_src: Uuid,
    /// `pNC`.
    pub naming_context: Option<DsName>,
    /// `usnvecFrom`: the request's, echoed.
    pub usn_vector_from: UsnVector,
    /// `usnvecTo`: the next request's `usnvecFrom`.
    pub usn_vector_to: UsnVector,
    /// `pUpToDateVecSrc`: the server's up-to-dateness vector (sent with
    /// the last page).
    pub up_to_date_src: Option<UpToDateVector>,
    /// `PrefixTableSrc`: the server's table, which every ATTRTYP of this
    /// reply is relative to.
    pub prefix_table_src: PrefixTable,
    /// `ulExtendedRet`.
    pub extended_ret: u32,
    /// `cNumObjects`, as sent (not checked against `objects`).
    pub num_objects: u32,
    /// `cNumBytes`.
    pub num_bytes: u32,
    /// `pObjects`: the linked list, in list order.
    pub objects: Vec<ReplEntInf>,
    /// `fMoreData`: whether another page follows.
    pub more_data: bool,
    /// `cNumNcSizeObjects`.
    pub nc_size_objects: u32,
    /// `cNumNcSizeValues`.
    pub nc_size_values: u32,
    /// `rgValues` (`cNumValues` of them).
    pub linked_values: Vec<LinkedValue>,
    /// `dwDRSError`.
    pub drs_error: u32,
    /// The return value of the call: 0, or a Windows error code (8453
    /// `ERROR_DS_DRA_ACCESS_DENIED` when replication rights are missing).
    pub return_code: u32,
}

impl GetNcChangesReply {
    /// The return value of a reply stub, whatever its version: the last
    /// four bytes. Read it before [`GetNcChangesReply::decode`]: a server
    /// that refuses the call (missing replication rights give 8453,
    /// `ERROR_DS_DRA_ACCESS_DENIED`) answers with version 1 and a zeroed
    /// message (MS-DRSR 4.1.10.5), which `decode` refuses as
    /// [`NdrError::UnsupportedVersion`].
    pub fn peek_return_code(stub: &[u8]) -> Option<u32> {
        let tail = stub
            .len()
            .checked_sub(4)
            .and_then(|start| stub.get(start..))?;
        Some(u32::from_le_bytes([tail[0], tail[1], tail[2], tail[3]]))
    }

    /// The reply stub (for tests and fuzzing).
    pub fn encode(&self) -> Vec<u8> {
        let mut w = NdrWriter::new();
        w.u32(REPLY_VERSION);
        w.u32(REPLY_VERSION);
        w.align(8);
        w.guid(&self.dsa_obj_src);
        w.guid(&self.invocation_id_src);
        w.pointer(self.naming_context.is_some());
        self.usn_vector_from.write_scalars(&mut w);
        self.usn_vector_to.write_scalars(&mut w);
        w.pointer(self.up_to_date_src.is_some());
        self.prefix_table_src.write_scalars(&mut w);
        w.u32(self.extended_ret);
        w.u32(self.num_objects);
        w.u32(self.num_bytes);
        w.pointer(!self.objects.is_empty());
        w.u32(u32::from(self.more_data));
        w.u32(self.nc_size_objects);
        w.u32(self.nc_size_values);
        w.u32(len_u32(self.linked_values.len()));
        w.pointer(!self.linked_values.is_empty());
        w.u32(self.drs_error);
        write_pointee(&mut w, self.naming_context.as_ref());
        write_pointee(&mut w, self.up_to_date_src.clone().map(UpToDateV2).as_ref());
        self.prefix_table_src.write_deferred(&mut w);
        write_object_list(&mut w, &self.objects);
        if !self.linked_values.is_empty() {
            write_conformant_array(&mut w, &self.linked_values);
        }
        w.u32(self.return_code);
        w.into_bytes()
    }

    /// Parses the reply stub. Any version but 6 is refused with
    /// [`NdrError::UnsupportedVersion`] naming it; so is a union
    /// discriminant that disagrees with `pdwOutVersion`.
    pub fn decode(stub: &[u8]) -> Result<Self, NdrError> {
        let mut r = NdrReader::new(stub);
        let offset = r.offset();
        let version = r.u32("pdwOutVersion")?;
        if version != REPLY_VERSION {
            return Err(NdrError::UnsupportedVersion {
                what: "pdwOutVersion",
                offset,
                version,
                supported: "6",
            });
        }
        let offset = r.offset();
        let tag = r.u32("DRS_MSG_GETCHGREPLY switch")?;
        if tag != version {
            return Err(NdrError::UnsupportedVersion {
                what: "DRS_MSG_GETCHGREPLY switch",
                offset,
                version: tag,
                supported: "6 (as pdwOutVersion)",
            });
        }
        r.align(8, "DRS_MSG_GETCHGREPLY_V6")?;
        let dsa_obj_src = r.guid("uuidDsaObjSrc")?;
        let invocation_id_src = r.guid("uuidInvocIdSrc")?;
        let nc = r.unique_pointer("pNC")?;
        let usn_vector_from = UsnVector::read_scalars(&mut r)?;
        let usn_vector_to = UsnVector::read_scalars(&mut r)?;
        let utd = r.unique_pointer("pUpToDateVecSrc")?;
        let table = PrefixTable::read_scalars(&mut r)?;
        let extended_ret = r.u32("ulExtendedRet")?;
        let num_objects = r.u32("cNumObjects")?;
        let num_bytes = r.u32("cNumBytes")?;
        let objects = r.unique_pointer("pObjects")?;
        let more_data = r.u32("fMoreData")? != 0;
        let nc_size_objects = r.u32("cNumNcSizeObjects")?;
        let nc_size_values = r.u32("cNumNcSizeValues")?;
        let values_offset = r.offset();
        let num_values = r.u32("cNumValues")?;
        r.check_range("cNumValues", num_values, 0, MAX_VALUES)?;
        let values = r.unique_pointer("rgValues")?;
        let drs_error = r.u32("dwDRSError")?;

        let naming_context = read_pointee(&mut r, nc)?;
        let up_to_date_src = read_pointee::<UpToDateV2>(&mut r, utd)?.map(|v| v.0);
        let prefix_table_src = PrefixTable::read_deferred(table, &mut r)?;
        let objects = if objects {
            read_object_list(&mut r)?
        } else {
            Vec::new()
        };
        let linked_values = match (values, num_values) {
            (true, n) => read_conformant_array(&mut r, "rgValues", n)?,
            (false, 0) => Vec::new(),
            (false, _) => {
                return Err(NdrError::InvalidValue {
                    what: "rgValues",
                    offset: values_offset,
                    reason: "cNumValues is not 0 but rgValues is null",
                });
            }
        };
        let return_code = r.u32("IDL_DRSGetNCChanges return value")?;
        r.finish("IDL_DRSGetNCChanges reply")?;
        Ok(Self {
            dsa_obj_src,
            invocation_id_src,
            naming_context,
            usn_vector_from,
            usn_vector_to,
            up_to_date_src,
            prefix_table_src,
            extended_ret,
            num_objects,
            num_bytes,
            objects,
            more_data,
            nc_size_objects,
            nc_size_values,
            linked_values,
            drs_error,
            return_code,
        })
    }
}
