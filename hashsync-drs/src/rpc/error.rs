//! What can go wrong between us and the RPC server.

use std::io;
use std::time::Duration;

use super::ntlm::NtlmError;
use super::status::{BindRejectReason, FaultStatus};

/// An error of the DCE/RPC transport, its PDUs or its authentication.
///
/// No variant carries a password, a key or stub bytes.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RpcError {
    /// The TCP connection could not be made.
    #[error("cannot connect to {address}: {source}")]
    Connect {
        /// `host:port`.
        address: String,
        /// The socket error.
        #[source]
        source: io::Error,
    },
    /// Reading or writing the socket failed.
    #[error("socket error while {during}: {source}")]
    Io {
        /// What the client was doing.
        during: &'static str,
        /// The socket error.
        #[source]
        source: io::Error,
    },
    /// The server sent nothing within the timeout.
    #[error("the server sent nothing for {timeout:?} while the client was {during}")]
    Timeout {
        /// What the client was waiting for.
        during: &'static str,
        /// The configured timeout.
        timeout: Duration,
    },
    /// The server closed the connection in the middle of a PDU (or before
    /// the answer the client waited for).
    #[error("the server closed the connection after {received} of {expected} bytes of a PDU")]
    ConnectionClosed {
        /// Bytes of the PDU received.
        received: usize,
        /// Bytes the PDU should have had (16, the header, when unknown).
        expected: usize,
    },
    /// A PDU that does not follow C706/MS-RPCE.
    #[error("malformed {pdu} PDU: {reason}")]
    MalformedPdu {
        /// Which PDU (or part of one).
        pdu: &'static str,
        /// What was wrong.
        reason: String,
    },
    /// A fragment longer than this client accepts.
    #[error("fragment of {length} bytes exceeds the limit of {limit} bytes")]
    FragmentTooLong {
        /// The fragment's `frag_length`.
        length: usize,
        /// The largest the client accepts.
        limit: usize,
    },
    /// The reassembled reply would exceed the configured limit.
    #[error("reply larger than the limit of {limit} bytes")]
    ReplyTooLong {
        /// The largest reply stub the client accepts.
        limit: usize,
    },
    /// A PDU of a type the client did not expect at that point.
    #[error("expected a {expected} PDU, got packet type {got}")]
    UnexpectedPdu {
        /// What the client waited for.
        expected: &'static str,
        /// The `PTYPE` received.
        got: u8,
    },
    /// A reply to another call than the one outstanding.
    #[error("reply for call id {got} while call id {expected} was outstanding")]
    CallIdMismatch {
        /// The outstanding call.
        expected: u32,
        /// The call id the server answered.
        got: u32,
    },
    /// The server refused the bind (`bind_nak`).
    #[error("the server refused the bind: {reason}")]
    BindRejected {
        /// Its `provider_reject_reason`.
        reason: BindRejectReason,
    },
    /// The server accepted the association but not the interface or its
    /// transfer syntax.
    #[error("the server refused the presentation context (result {result}, reason {reason})")]
    ContextRejected {
        /// `p_cont_def_result_t`: 1 user rejection, 2 provider rejection.
        result: u16,
        /// `p_provider_reason_t`: 1 abstract syntax, 2 transfer syntax not supported.
        reason: u16,
    },
    /// The authentication was refused: wrong user name or password, or
    /// an account the server does not let in. Check the credentials.
    #[error("the server refused the credentials of {user}: {detail}")]
    AuthenticationRejected {
        /// `DOMAIN\user` (never the password).
        user: String,
        /// How the server said so.
        detail: String,
    },
    /// The server answered the call with a fault.
    #[error("the call failed with fault status {status}")]
    Fault {
        /// The fault status.
        status: FaultStatus,
    },
    /// The NTLMSSP exchange failed on our side.
    #[error("NTLM: {0}")]
    Ntlm(#[from] NtlmError),
    /// A sealed reply whose signature does not verify: altered in transit,
    /// or out of sequence.
    #[error("the signature of reply fragment {sequence} does not verify")]
    BadSignature {
        /// The NTLM sequence number the fragment should have carried.
        sequence: u32,
    },
    /// The endpoint mapper knows no TCP endpoint of the interface.
    #[error(
        "the endpoint mapper has no ncacn_ip_tcp endpoint for the interface (status {status:#x})"
    )]
    EndpointNotFound {
        /// `ept_map`'s status (0x16c9a0d6 is `ept_s_not_registered`).
        status: u32,
    },
    /// The stub is larger than a request may carry (`alloc_hint` is 32 bits).
    #[error("request stub of {len} bytes is too large")]
    RequestTooLong {
        /// The stub's length.
        len: usize,
    },
    /// The association is not ready for this call (bind not completed, or
    /// a previous error broke it).
    #[error("the association is not usable: {0}")]
    NotReady(&'static str),
}

impl RpcError {
    pub(crate) fn malformed(pdu: &'static str, reason: impl Into<String>) -> Self {
        Self::MalformedPdu {
            pdu,
            reason: reason.into(),
        }
    }

    pub(crate) fn truncated(pdu: &'static str, at: super::wire::Truncated) -> Self {
        Self::malformed(pdu, format!("truncated at byte {}", at.offset))
    }
}
