//! The status codes a DCE/RPC server answers with: fault statuses
//! (C706 appendix E, MS-RPCE 2.2.2.x, MS-ERREF) and bind_nak reasons
//! (C706 12.6.4.10, MS-RPCE 2.2.2.5).

use core::fmt;

/// The status of a `fault` PDU.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct FaultStatus(pub u32);

impl FaultStatus {
    /// `ERROR_ACCESS_DENIED` (MS-ERREF), what Windows and Samba answer to a
    /// call on an association whose authentication failed, and to a caller
    /// without the right to call.
    pub const ACCESS_DENIED: Self = Self(0x0000_0005);
    /// `nca_s_op_rng_error`: the operation number is beyond the interface.
    pub const OP_RNG_ERROR: Self = Self(0x1c01_0002);
    /// `nca_s_unk_if`: the server does not offer the interface.
    pub const UNKNOWN_INTERFACE: Self = Self(0x1c01_0003);
    /// `nca_s_proto_error`: the server saw a protocol error.
    pub const PROTO_ERROR: Self = Self(0x1c01_000b);
    /// `rpc_x_bad_stub_data` (`RPC_X_BAD_STUB_DATA`): the server could not
    /// unmarshal the request's stub.
    pub const BAD_STUB_DATA: Self = Self(0x0000_06f7);
    /// `RPC_S_SEC_PKG_ERROR`: the security package refused the call.
    pub const SEC_PKG_ERROR: Self = Self(0x0000_0721);

    /// The name of a well-known status.
    pub fn name(self) -> Option<&'static str> {
        Some(match self.0 {
            0x0000_0005 => "access denied",
            0x0000_06f7 => "rpc_x_bad_stub_data",
            0x0000_0721 => "rpc_s_sec_pkg_error",
            0x0000_06d3 => "rpc_s_unknown_authn_service",
            0x1c01_0001 => "nca_s_comm_failure",
            0x1c01_0002 => "nca_s_op_rng_error",
            0x1c01_0003 => "nca_s_unk_if",
            0x1c01_0006 => "nca_s_wrong_boot_time",
            0x1c01_0009 => "nca_s_you_crashed",
            0x1c01_000b => "nca_s_proto_error",
            0x1c01_0013 => "nca_s_out_args_too_big",
            0x1c01_0014 => "nca_s_server_too_busy",
            0x1c01_0017 => "nca_s_unsupported_type",
            0x1c00_0001 => "nca_s_fault_int_div_by_zero",
            0x1c00_0002 => "nca_s_fault_addr_error",
            0x1c00_0003 => "nca_s_fault_fp_div_zero",
            0x1c00_0006 => "nca_s_fault_invalid_tag",
            0x1c00_0007 => "nca_s_fault_invalid_bound",
            0x1c00_0008 => "nca_rpc_version_mismatch",
            0x1c00_0009 => "nca_unspec_reject",
            0x1c00_000d => "nca_s_fault_cancel",
            0x1c00_0012 => "nca_s_fault_unspec",
            0x1c00_001a => "nca_s_fault_context_mismatch",
            0x1c00_001b => "nca_s_fault_remote_no_memory",
            0x1c00_001c => "nca_invalid_pres_context_id",
            0x1c00_001d => "nca_unsupported_authn_level",
            0x1c00_001f => "nca_invalid_checksum",
            _ => return None,
        })
    }

    /// Whether this status says the caller is not allowed in: the answer to
    /// a wrong password (after `auth3`) or a missing right.
    pub fn is_access_denied(self) -> bool {
        self == Self::ACCESS_DENIED || self == Self::SEC_PKG_ERROR
    }
}

impl fmt::Display for FaultStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => write!(f, "{:#010x} ({name})", self.0),
            None => write!(f, "{:#010x}", self.0),
        }
    }
}

impl fmt::Debug for FaultStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "FaultStatus({self})")
    }
}

/// The reason of a `bind_nak` (`provider_reject_reason`).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct BindRejectReason(pub u16);

impl BindRejectReason {
    /// `authentication_type_not_recognized` (MS-RPCE): the server does not
    /// know the requested authentication service.
    pub const AUTHENTICATION_TYPE_NOT_RECOGNIZED: Self = Self(8);
    /// `invalid_checksum` (MS-RPCE): the authentication failed.
    pub const INVALID_CHECKSUM: Self = Self(9);

    /// The name of a defined reason.
    pub fn name(self) -> Option<&'static str> {
        Some(match self.0 {
            0 => "reason_not_specified",
            1 => "temporary_congestion",
            2 => "local_limit_exceeded",
            3 => "called_paddr_unknown",
            4 => "protocol_version_not_supported",
            5 => "default_context_not_supported",
            6 => "user_data_not_readable",
            7 => "no_psap_available",
            8 => "authentication_type_not_recognized",
            9 => "invalid_checksum",
            _ => return None,
        })
    }

    /// Whether the bind was refused for its authentication.
    pub fn is_authentication(self) -> bool {
        self == Self::AUTHENTICATION_TYPE_NOT_RECOGNIZED || self == Self::INVALID_CHECKSUM
    }
}

impl fmt::Display for BindRejectReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => write!(f, "{} ({name})", self.0),
            None => write!(f, "{}", self.0),
        }
    }
}

impl fmt::Debug for BindRejectReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "BindRejectReason({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_the_common_statuses() {
        assert_eq!(
            FaultStatus(0x1c01_0002).to_string(),
            "0x1c010002 (nca_s_op_rng_error)"
        );
        assert_eq!(FaultStatus(5).to_string(), "0x00000005 (access denied)");
        assert_eq!(FaultStatus(0x1234).to_string(), "0x00001234");
        assert!(FaultStatus(5).is_access_denied());
        assert_eq!(
            BindRejectReason(4).to_string(),
            "4 (protocol_version_not_supported)"
        );
        assert!(BindRejectReason(9).is_authentication());
        assert!(!BindRejectReason(2).is_authentication());
    }
}
