//! A replication (MS-DRSR) source for hashsync: the domain naming context
//! of an Active Directory (or Samba AD) DC read by `IDL_DRSGetNCChanges`,
//! the way Entra Connect, DSInternals and impacket read password hashes.
//!
//! Layers, bottom up, each usable on its own:
//! - [`ndr`]: the NDR20 transfer syntax, as much as DRSUAPI needs;
//! - [`drsuapi`]: the DRSUAPI requests and replies (sans-I/O);
//! - [`rpc`]: DCE/RPC connection-oriented over TCP, with NTLMSSP at
//!   packet privacy;
//! - [`DrsSource`]: the domain as a [`hashsync::sync::ChangeSource`]:
//!   resumable full syncs, incremental syncs from the saved USN and
//!   up-to-dateness vectors, the secrets decrypted with the connection's
//!   session key.

#![warn(missing_docs)]
#![forbid(unsafe_code)]

pub mod drsuapi;
pub mod ndr;
pub mod rpc;
mod source;

pub use source::{
    DEFAULT_PAGE_OBJECTS, DrsEndpoint, DrsSource, DrsSourceError, ERROR_DS_DRA_ACCESS_DENIED,
    EndpointError, GET_CHANGES, GET_CHANGES_ALL, ReplicationTimings,
};
