//! `DSNAME` (MS-DRSR 5.50): an object's identity by GUID, SID and DN.

use uuid::Uuid;

use super::Sid;
use crate::ndr::{NdrError, NdrReader, NdrType, NdrWriter, len_u32, terminated_utf16};

/// Bytes of `NT4SID`, the fixed SID buffer in a `DSNAME`.
const NT4SID_SIZE: usize = 28;
/// Bytes of a `DSNAME` before its string: `structLen`, `SidLen`, `Guid`,
/// `Sid`, `NameLen`.
const FIXED_SIZE: u32 = 4 + 4 + 16 + NT4SID_SIZE as u32 + 4;

/// `DSNAME`: an object named by its GUID, its SID (security principals
/// only) and its distinguished name, any of which may be absent (the null
/// GUID, no SID, an empty DN).
///
/// On the wire it is a conformant structure: the string's maximum count
/// (`NameLen + 1`) first, then `structLen` (56 plus two bytes per
/// character including the NUL; computed when writing, not checked when
/// reading), `SidLen`, `Guid`, the 28-byte `Sid` buffer, `NameLen`, and
/// the UTF-16 name with its NUL.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct DsName {
    /// `Guid`: the objectGUID, or the null GUID.
    pub guid: Uuid,
    /// `Sid` (its first `SidLen` bytes), if `SidLen` is not 0. At most
    /// 28 bytes (five sub-authorities) fit; a longer one is written as no
    /// SID.
    pub sid: Option<Sid>,
    /// `StringName`, without its NUL: the DN, or empty.
    pub dn: String,
}

impl DsName {
    /// A name by GUID only (the way a client names a naming context it
    /// knows the GUID of).
    pub fn from_guid(guid: Uuid) -> Self {
        Self {
            guid,
            ..Self::default()
        }
    }

    /// A name by distinguished name only.
    pub fn from_dn(dn: impl Into<String>) -> Self {
        Self {
            dn: dn.into(),
            ..Self::default()
        }
    }
}

impl NdrType for DsName {
    type Scalars = Self;
    const MIN_WIRE_SIZE: usize = 4 + FIXED_SIZE as usize + 2;

    fn write_scalars(&self, w: &mut NdrWriter) {
        let mut units: Vec<u16> = self.dn.encode_utf16().collect();
        units.push(0);
        let max_count = len_u32(units.len());
        w.conformance(max_count);
        w.u32(FIXED_SIZE.saturating_add(max_count.saturating_mul(2)));
        // NT4SID holds 28 bytes (five sub-authorities); a longer SID cannot
        // be carried in a DSNAME and is written as absent.
        let sid = self
            .sid
            .as_ref()
            .map(Sid::as_bytes)
            .filter(|sid| sid.len() <= NT4SID_SIZE)
            .unwrap_or_default();
        w.u32(len_u32(sid.len()));
        w.guid(&self.guid);
        let mut buffer = [0u8; NT4SID_SIZE];
        buffer[..sid.len()].copy_from_slice(sid);
        w.bytes(&buffer);
        w.u32(max_count - 1);
        w.wide_chars(&units);
    }

    fn write_deferred(&self, _: &mut NdrWriter) {}

    fn read_scalars(r: &mut NdrReader<'_>) -> Result<Self, NdrError> {
        let max_count = r.conformance("DSNAME.StringName", None)?;
        r.u32("DSNAME.structLen")?;
        let sid_offset = r.offset();
        let sid_len = r.u32("DSNAME.SidLen")?;
        let guid = r.guid("DSNAME.Guid")?;
        let buffer = r.take(NT4SID_SIZE, "DSNAME.Sid")?;
        let sid = match sid_len {
            0 => None,
            len => {
                let sid = usize::try_from(len)
                    .ok()
                    .and_then(|len| buffer.get(..len))
                    .and_then(Sid::from_bytes);
                Some(sid.ok_or(NdrError::InvalidValue {
                    what: "DSNAME.Sid",
                    offset: sid_offset,
                    reason: "SidLen must be that of a well-formed SID of at most 28 bytes",
                })?)
            }
        };
        let name_offset = r.offset();
        let name_len = r.u32("DSNAME.NameLen")?;
        if name_len.checked_add(1) != Some(max_count) {
            return Err(NdrError::ConformanceMismatch {
                what: "DSNAME.StringName",
                offset: name_offset,
                max_count,
                expected: name_len.wrapping_add(1),
            });
        }
        let start = r.offset();
        let units = r.wide_chars("DSNAME.StringName", max_count)?;
        let dn = terminated_utf16("DSNAME.StringName", start, &units)?;
        Ok(Self { guid, sid, dn })
    }

    fn read_deferred(scalars: Self, _: &mut NdrReader<'_>) -> Result<Self, NdrError> {
        Ok(scalars)
    }
}
