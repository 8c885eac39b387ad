//! Presentation syntax identifiers: an interface (or transfer syntax) UUID
//! and its version, as the bind PDU and the endpoint mapper's towers carry
//! them.

use core::fmt;

/// A UUID in the byte order DCE/RPC puts on the wire with little-endian
/// data representation: `time_low`, `time_mid` and `time_hi_and_version`
/// little-endian, then the eight clock-sequence and node bytes as written.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Uuid(pub [u8; 16]);

impl Uuid {
    /// The UUID written `time_low-time_mid-time_hi-clock-node`.
    pub const fn from_fields(time_low: u32, time_mid: u16, time_hi: u16, rest: [u8; 8]) -> Self {
        let a = time_low.to_le_bytes();
        let b = time_mid.to_le_bytes();
        let c = time_hi.to_le_bytes();
        Self([
            a[0], a[1], a[2], a[3], b[0], b[1], c[0], c[1], rest[0], rest[1], rest[2], rest[3],
            rest[4], rest[5], rest[6], rest[7],
        ])
    }

    /// The nil UUID.
    pub const NIL: Self = Self([0; 16]);
}

impl fmt::Display for Uuid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let b = &self.0;
        let time_low = u32::from_le_bytes([b[0], b[1], b[2], b[3]]);
        let time_mid = u16::from_le_bytes([b[4], b[5]]);
        let time_hi = u16::from_le_bytes([b[6], b[7]]);
        write!(f, "{time_low:08x}-{time_mid:04x}-{time_hi:04x}-")?;
        for byte in &b[8..10] {
            write!(f, "{byte:02x}")?;
        }
        f.write_str("-")?;
        for byte in &b[10..] {
            write!(f, "{byte:02x}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Uuid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Uuid({self})")
    }
}

/// An abstract or transfer syntax: a UUID and a `major.minor` version.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SyntaxId {
    /// The interface or transfer syntax UUID.
    pub uuid: Uuid,
    /// Major version.
    pub major: u16,
    /// Minor version.
    pub minor: u16,
}

impl SyntaxId {
    /// NDR version 2.0, the transfer syntax (C706 14.1):
    /// `8a885d04-1ceb-11c9-9fe8-08002b104860` v2.
    pub const NDR20: Self = Self {
        uuid: Uuid::from_fields(
            0x8a88_5d04,
            0x1ceb,
            0x11c9,
            [0x9f, 0xe8, 0x08, 0x00, 0x2b, 0x10, 0x48, 0x60],
        ),
        major: 2,
        minor: 0,
    };

    /// DRSUAPI, the directory replication interface (MS-DRSR 2.1):
    /// `e3514235-4b06-11d1-ab04-00c04fc2dcd2` v4.0.
    pub const DRSUAPI: Self = Self {
        uuid: Uuid::from_fields(
            0xe351_4235,
            0x4b06,
            0x11d1,
            [0xab, 0x04, 0x00, 0xc0, 0x4f, 0xc2, 0xdc, 0xd2],
        ),
        major: 4,
        minor: 0,
    };

    /// The endpoint mapper (C706 appendix O, MS-RPCE 2.2.1.2.x):
    /// `e1af8308-5d1f-11c9-91a4-08002b14a0fa` v3.0.
    pub const EPM: Self = Self {
        uuid: Uuid::from_fields(
            0xe1af_8308,
            0x5d1f,
            0x11c9,
            [0x91, 0xa4, 0x08, 0x00, 0x2b, 0x14, 0xa0, 0xfa],
        ),
        major: 3,
        minor: 0,
    };

    /// The 20 bytes of `p_syntax_id_t`: UUID, then the version as one
    /// little-endian `u32` whose low half is the major version.
    pub(crate) fn write(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.uuid.0);
        out.extend_from_slice(&self.major.to_le_bytes());
        out.extend_from_slice(&self.minor.to_le_bytes());
    }

    pub(crate) fn read(
        r: &mut crate::rpc::wire::Reader<'_>,
    ) -> Result<Self, crate::rpc::wire::Truncated> {
        Ok(Self {
            uuid: Uuid(r.array()?),
            major: r.u16()?,
            minor: r.u16()?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drsuapi_uuid_is_little_endian_on_the_wire() {
        // e3514235-4b06-11d1-ab04-00c04fc2dcd2, its first three fields
        // byte-swapped as NDR's little-endian representation puts them.
        assert_eq!(
            SyntaxId::DRSUAPI.uuid.0,
            [
                0x35, 0x42, 0x51, 0xe3, 0x06, 0x4b, 0xd1, 0x11, 0xab, 0x04, 0x00, 0xc0, 0x4f, 0xc2,
                0xdc, 0xd2
            ]
        );
        assert_eq!(
            SyntaxId::DRSUAPI.uuid.to_string(),
            "e3514235-4b06-11d1-ab04-00c04fc2dcd2"
        );
        assert_eq!(
            SyntaxId::NDR20.uuid.to_string(),
            "8a885d04-1ceb-11c9-9fe8-08002b104860"
        );
    }
}
