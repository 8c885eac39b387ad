//! DCE/RPC connection-oriented (C706 chapter 12, MS-RPCE) over TCP
//! (`ncacn_ip_tcp`), authenticated by NTLMv2 at packet privacy, as
//! MS-DRSR requires for DRSUAPI.
//!
//! Layers, each usable on its own:
//! - [`pdu`]: the PDUs, encoded and decoded without I/O;
//! - [`ntlm`]: the NTLMSSP client and its session security;
//! - [`Association`]: one association as a state machine without I/O
//!   (bind, `auth3`, sealed and fragmented calls, reassembled and
//!   verified replies);
//! - [`epm`]: the endpoint mapper's `ept_map` and protocol towers;
//! - [`RpcClient`]: the thin blocking driver over `std::net::TcpStream`.
//!
//! The connection's NTLM exported session key is the key of the secret
//! attributes DRS replicates: [`RpcClient::session_key`] hands it out as a
//! [`hashsync::formats::drs::SessionKey`].

mod association;
mod client;
mod credentials;
pub mod epm;
mod error;
pub mod ntlm;
pub mod pdu;
mod status;
mod syntax;
mod transcript;
mod wire;

pub use association::{Association, AssociationConfig};
pub use client::{RpcClient, lookup_port};
pub use credentials::{CredentialsError, ReplicationCredentials};
pub use error::RpcError;
pub use ntlm::NtlmError;
pub use status::{BindRejectReason, FaultStatus};
pub use syntax::{SyntaxId, Uuid};
pub use transcript::{Direction, Transcript, TranscriptEntry};
