//! `DRS_EXTENSIONS_INT` (MS-DRSR 5.39): the capabilities client and server
//! exchange in `IDL_DRSBind`, which decide the message versions.

use core::ops::BitOr;

use uuid::Uuid;

use crate::ndr::{NdrError, NdrReader, NdrType, NdrWriter};

/// `DRS_EXTENSIONS_INT.dwFlags`: capability bits (MS-DRSR 5.39).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct ExtensionFlags(pub u32);

impl ExtensionFlags {
    /// `DRS_EXT_BASE`.
    pub const BASE: Self = Self(0x0000_0001);
    /// `DRS_EXT_ASYNCREPL`.
    pub const ASYNC_REPL: Self = Self(0x0000_0002);
    /// `DRS_EXT_REMOVEAPI`.
    pub const REMOVE_API: Self = Self(0x0000_0004);
    /// `DRS_EXT_MOVEREQ_V2`.
    pub const MOVEREQ_V2: Self = Self(0x0000_0008);
    /// `DRS_EXT_GETCHG_DEFLATE`.
    pub const GETCHG_DEFLATE: Self = Self(0x0000_0010);
    /// `DRS_EXT_DCINFO_V1`.
    pub const DCINFO_V1: Self = Self(0x0000_0020);
    /// `DRS_EXT_RESTORE_USN_OPTIMIZATION`.
    pub const RESTORE_USN_OPTIMIZATION: Self = Self(0x0000_0040);
    /// `DRS_EXT_ADDENTRY`.
    pub const ADDENTRY: Self = Self(0x0000_0080);
    /// `DRS_EXT_KCC_EXECUTE`.
    pub const KCC_EXECUTE: Self = Self(0x0000_0100);
    /// `DRS_EXT_ADDENTRY_V2`.
    pub const ADDENTRY_V2: Self = Self(0x0000_0200);
    /// `DRS_EXT_LINKED_VALUE_REPLICATION`.
    pub const LINKED_VALUE_REPLICATION: Self = Self(0x0000_0400);
    /// `DRS_EXT_DCINFO_V2`.
    pub const DCINFO_V2: Self = Self(0x0000_0800);
    /// `DRS_EXT_INSTANCE_TYPE_NOT_REQ_ON_MOD`.
    pub const INSTANCE_TYPE_NOT_REQ_ON_MOD: Self = Self(0x0000_1000);
    /// `DRS_EXT_CRYPTO_BIND`.
    pub const CRYPTO_BIND: Self = Self(0x0000_2000);
    /// `DRS_EXT_GET_REPL_INFO`.
    pub const GET_REPL_INFO: Self = Self(0x0000_4000);
    /// `DRS_EXT_STRONG_ENCRYPTION`: secrets under MD5(session key ‖ salt)
    /// rather than the bare session key.
    pub const STRONG_ENCRYPTION: Self = Self(0x0000_8000);
    /// `DRS_EXT_DCINFO_VFFFFFFFF`.
    pub const DCINFO_VFFFFFFFF: Self = Self(0x0001_0000);
    /// `DRS_EXT_TRANSITIVE_MEMBERSHIP`.
    pub const TRANSITIVE_MEMBERSHIP: Self = Self(0x0002_0000);
    /// `DRS_EXT_ADD_SID_HISTORY`.
    pub const ADD_SID_HISTORY: Self = Self(0x0004_0000);
    /// `DRS_EXT_POST_BETA3`.
    pub const POST_BETA3: Self = Self(0x0008_0000);
    /// `DRS_EXT_GETCHGREQ_V5`.
    pub const GETCHGREQ_V5: Self = Self(0x0010_0000);
    /// `DRS_EXT_GETMEMBERSHIPS2`.
    pub const GETMEMBERSHIPS2: Self = Self(0x0020_0000);
    /// `DRS_EXT_GETCHGREQ_V6`.
    pub const GETCHGREQ_V6: Self = Self(0x0040_0000);
    /// `DRS_EXT_NONDOMAIN_NCS`.
    pub const NONDOMAIN_NCS: Self = Self(0x0080_0000);
    /// `DRS_EXT_GETCHGREQ_V8`.
    pub const GETCHGREQ_V8: Self = Self(0x0100_0000);
    /// `DRS_EXT_GETCHGREPLY_V5`.
    pub const GETCHGREPLY_V5: Self = Self(0x0200_0000);
    /// `DRS_EXT_GETCHGREPLY_V6` (the same bit is `DRS_EXT_ADDENTRYREPLY_V3`).
    pub const GETCHGREPLY_V6: Self = Self(0x0400_0000);
    /// `DRS_EXT_ADDENTRYREPLY_V3` (the same bit as `GETCHGREPLY_V6`).
    pub const ADDENTRYREPLY_V3: Self = Self(0x0400_0000);
    /// `DRS_EXT_WHISTLER_BETA3`.
    pub const WHISTLER_BETA3: Self = Self(0x0800_0000);
    /// `DRS_EXT_W2K3_DEFLATE`.
    pub const W2K3_DEFLATE: Self = Self(0x1000_0000);
    /// `DRS_EXT_GETCHGREQ_V10`.
    pub const GETCHGREQ_V10: Self = Self(0x2000_0000);

    /// What this client asserts: version 8 requests and version 6
    /// replies, uncompressed (no `GETCHG_DEFLATE`/`W2K3_DEFLATE`, so the
    /// server never answers with the compressed versions 2 and 7), strong
    /// encryption of secrets, and the Windows Server 2003 baseline bits a
    /// replication client announces.
    pub const REPLICATION_CLIENT: Self = Self(
        Self::BASE.0
            | Self::ASYNC_REPL.0
            | Self::REMOVE_API.0
            | Self::MOVEREQ_V2.0
            | Self::DCINFO_V1.0
            | Self::RESTORE_USN_OPTIMIZATION.0
            | Self::ADDENTRY.0
            | Self::KCC_EXECUTE.0
            | Self::ADDENTRY_V2.0
            | Self::LINKED_VALUE_REPLICATION.0
            | Self::DCINFO_V2.0
            | Self::INSTANCE_TYPE_NOT_REQ_ON_MOD.0
            | Self::CRYPTO_BIND.0
            | Self::GET_REPL_INFO.0
            | Self::STRONG_ENCRYPTION.0
            | Self::DCINFO_VFFFFFFFF.0
            | Self::TRANSITIVE_MEMBERSHIP.0
            | Self::ADD_SID_HISTORY.0
            | Self::POST_BETA3.0
            | Self::GETCHGREQ_V5.0
            | Self::GETMEMBERSHIPS2.0
            | Self::GETCHGREQ_V6.0
            | Self::NONDOMAIN_NCS.0
            | Self::GETCHGREQ_V8.0
            | Self::GETCHGREPLY_V5.0
            | Self::GETCHGREPLY_V6.0
            | Self::WHISTLER_BETA3.0,
    );

    /// Whether every bit of `other` is set.
    pub fn contains(self, other: Self) -> bool {
        self.0 & other.0 == other.0
    }
}

impl BitOr for ExtensionFlags {
    type Output = Self;
    fn bitor(self, rhs: Self) -> Self {
        Self(self.0 | rhs.0)
    }
}

/// `cb` of a complete `DRS_EXTENSIONS_INT` (`dwFlags` through
/// `dwExtCaps`).
pub const EXTENSIONS_LEN: u32 = 52;
/// Bytes `DRS_EXTENSIONS.cb` may claim (`[range(1,10000)]`).
const MAX_EXTENSIONS_LEN: u32 = 10_000;

/// `DRS_EXTENSIONS_INT`, carried as the bytes of a `DRS_EXTENSIONS`
/// (`cb`, then `cb` bytes: `dwFlags` onward). Older peers send fewer
/// fields (`cb` 24, 28, 32, 48); those missing read as zero.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct DrsExtensions {
    /// `cb`: the byte count after `cb` ([`EXTENSIONS_LEN`] when this
    /// crate writes; fields past it are not written).
    pub cb: u32,
    /// `dwFlags`.
    pub flags: ExtensionFlags,
    /// `SiteObjGuid`.
    pub site_obj_guid: Uuid,
    /// `Pid`.
    pub pid: i32,
    /// `dwReplEpoch`.
    pub repl_epoch: u32,
    /// `dwFlagsExt` (`DRS_EXT_ADAM` 0x1, `DRS_EXT_LH_BETA2` 0x2,
    /// `DRS_EXT_RECYCLE_BIN` 0x4, `DRS_EXT_GETCHGREPLY_V9` 0x100, …).
    pub flags_ext: u32,
    /// `ConfigObjGUID`.
    pub config_obj_guid: Uuid,
    /// `dwExtCaps`.
    pub ext_caps: u32,
}

impl DrsExtensions {
    /// A client's extensions: [`ExtensionFlags::REPLICATION_CLIENT`], no
    /// site, epoch 0, no `dwFlagsExt` bits (in particular not
    /// `GETCHGREPLY_V9`, so the reply is version 6), the null
    /// `ConfigObjGUID` (MS-DRSR 4.1.3.1 for a client that is not a DC).
    pub fn replication_client() -> Self {
        Self {
            cb: EXTENSIONS_LEN,
            flags: ExtensionFlags::REPLICATION_CLIENT,
            ..Self::default()
        }
    }

    fn to_int_bytes(self) -> Vec<u8> {
        let mut bytes = Vec::with_capacity(EXTENSIONS_LEN as usize);
        bytes.extend_from_slice(&self.flags.0.to_le_bytes());
        bytes.extend_from_slice(&self.site_obj_guid.to_bytes_le());
        bytes.extend_from_slice(&self.pid.to_le_bytes());
        bytes.extend_from_slice(&self.repl_epoch.to_le_bytes());
        bytes.extend_from_slice(&self.flags_ext.to_le_bytes());
        bytes.extend_from_slice(&self.config_obj_guid.to_bytes_le());
        bytes.extend_from_slice(&self.ext_caps.to_le_bytes());
        bytes.resize(self.cb.min(MAX_EXTENSIONS_LEN) as usize, 0);
        bytes
    }

    fn from_int_bytes(cb: u32, bytes: &[u8]) -> Self {
        let mut full = [0u8; EXTENSIONS_LEN as usize];
        let n = bytes.len().min(full.len());
        full[..n].copy_from_slice(&bytes[..n]);
        let u32_at =
            |i: usize| u32::from_le_bytes([full[i], full[i + 1], full[i + 2], full[i + 3]]);
        let guid_at = |i: usize| {
            let mut g = [0u8; 16];
            g.copy_from_slice(&full[i..i + 16]);
            Uuid::from_bytes_le(g)
        };
        Self {
            cb,
            flags: ExtensionFlags(u32_at(0)),
            site_obj_guid: guid_at(4),
            pid: u32_at(20) as i32,
            repl_epoch: u32_at(24),
            flags_ext: u32_at(28),
            config_obj_guid: guid_at(32),
            ext_caps: u32_at(48),
        }
    }
}

impl NdrType for DrsExtensions {
    type Scalars = Self;
    const MIN_WIRE_SIZE: usize = 9;

    fn write_scalars(&self, w: &mut NdrWriter) {
        let bytes = self.to_int_bytes();
        let cb = bytes.len() as u32;
        w.conformance(cb);
        w.u32(cb);
        w.bytes(&bytes);
    }

    fn write_deferred(&self, _: &mut NdrWriter) {}

    fn read_scalars(r: &mut NdrReader<'_>) -> Result<Self, NdrError> {
        let max_count = r.conformance("DRS_EXTENSIONS.rgb", None)?;
        let cb = r.size_is(
            "DRS_EXTENSIONS.cb",
            "DRS_EXTENSIONS.rgb",
            max_count,
            (1, MAX_EXTENSIONS_LEN),
        )?;
        let bytes = r.take(cb as usize, "DRS_EXTENSIONS.rgb")?;
        Ok(Self::from_int_bytes(cb, bytes))
    }

    fn read_deferred(scalars: Self, _: &mut NdrReader<'_>) -> Result<Self, NdrError> {
        Ok(scalars)
    }
}
