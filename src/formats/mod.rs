//! Byte formats that carry legacy credentials: `supplementalCredentials`,
//! the attribute records sent to Domain Services, and MIT keytabs.
//!
//! Every parser here reads untrusted bytes: offsets, lengths and counts are
//! checked against the input before use, and bad input is a
//! [`FormatError`](crate::error::FormatError) naming the field, never a
//! panic.

#[cfg(feature = "replication")]
pub mod drs;
#[cfg(feature = "domain-services")]
pub mod envelope;
mod hex;
pub mod keytab;
pub mod legacy;
mod opaque;
mod reader;
pub mod supplemental;
mod text;

pub use hex::HexCase;
pub use keytab::{Keytab, KeytabEntry, Principal};
pub use legacy::AttributeRecord;
pub use opaque::OpaqueBytes;
pub use supplemental::{
    KerberosStoredCredential, KerberosStoredCredentialNew, KeyGeneration, StoredCredentials,
    StoredKey, UserProperties, UserProperty, WDigestCredentials,
};
