//! What can go wrong reading a domain by replication.

use crate::drsuapi::CursorError;
use crate::ndr::NdrError;
use crate::rpc::RpcError;

/// `ERROR_DS_DRA_ACCESS_DENIED`: the account may not replicate (MS-DRSR
/// 4.1.10.5.1: it lacks a control access right on the naming context).
pub const ERROR_DS_DRA_ACCESS_DENIED: u32 = 8453;

/// The control access right `DS-Replication-Get-Changes`, shown in the
/// ACL editor as "Replicating Directory Changes".
pub const GET_CHANGES: &str = "Replicating Directory Changes (DS-Replication-Get-Changes, 1131f6aa-9c07-11d1-f79f-00c04fc2dcd2)";

/// The control access right `DS-Replication-Get-Changes-All` ("Replicating
/// Directory Changes All"), needed for the secret attributes.
pub const GET_CHANGES_ALL: &str = "Replicating Directory Changes All (DS-Replication-Get-Changes-All, 1131f6ad-9c07-11d1-f79f-00c04fc2dcd2)";

/// Why the replication source failed. No variant carries a password, a
/// session key or a secret attribute's bytes.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DrsSourceError {
    /// The DCE/RPC layer failed (connecting, authenticating, a fault, a
    /// dropped connection); the next cycle connects again.
    #[error("{server}: {operation}: {source}")]
    Rpc {
        /// `host[:port]`.
        server: String,
        /// What the source was doing.
        operation: &'static str,
        /// The RPC error.
        #[source]
        source: RpcError,
    },
    /// The server's reply does not decode.
    #[error("{server}: {operation}: malformed reply: {source}")]
    MalformedReply {
        /// `host[:port]`.
        server: String,
        /// What the source was doing.
        operation: &'static str,
        /// Where the NDR stub was wrong.
        #[source]
        source: NdrError,
    },
    /// The account lacks a replication right on the domain.
    #[error(
        "{server}: {account} may not replicate {naming_context}: grant it {right} on the domain"
    )]
    MissingReplicationRight {
        /// `host[:port]`.
        server: String,
        /// `DOMAIN\user`.
        account: String,
        /// The domain's distinguished name.
        naming_context: String,
        /// The right it lacks ([`GET_CHANGES`] or [`GET_CHANGES_ALL`]).
        right: &'static str,
    },
    /// The server refused a call with a Windows error code.
    #[error("{server}: {operation} returned Windows error {code}")]
    Refused {
        /// `host[:port]`.
        server: String,
        /// The call.
        operation: &'static str,
        /// The error code (`WERROR`).
        code: u32,
    },
    /// The domain named by the credentials could not be resolved to its
    /// naming context.
    #[error(
        "{server}: the domain {domain:?} does not resolve to a naming context (DRSCrackNames status {status})"
    )]
    UnknownDomain {
        /// `host[:port]`.
        server: String,
        /// The NetBIOS domain name.
        domain: String,
        /// The `DS_NAME_ERROR_*` status.
        status: u32,
    },
    /// The partition asked for is not the one this source replicates.
    #[error(
        "{server}: no partition {partition:?} here (this source replicates {naming_context:?})"
    )]
    UnknownPartition {
        /// `host[:port]`.
        server: String,
        /// The partition asked for.
        partition: String,
        /// The source's naming context.
        naming_context: String,
    },
    /// A saved cursor does not parse: it was not written by this source.
    #[error("the saved replication cursor is unusable: {0}; discard it for a full sync")]
    Cursor(#[from] CursorError),
    /// A secret attribute did not decrypt with the connection's session
    /// key (a checksum mismatch): the connection's keys are not the
    /// server's, so nothing replicated on it can be trusted.
    #[error(
        "{server}: {attribute} of {distinguished_name} does not decrypt with the session key: {source}"
    )]
    Secret {
        /// `host[:port]`.
        server: String,
        /// The object.
        distinguished_name: String,
        /// The attribute.
        attribute: &'static str,
        /// What was wrong.
        #[source]
        source: hashsync::formats::drs::DrsError,
    },
}
