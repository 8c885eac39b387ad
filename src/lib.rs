#![doc = include_str!("../README.md")]
#![cfg_attr(docsrs, feature(doc_cfg))]
// `unsafe` lives only in `crypto::simd` (the multi-buffer kernels), which
// allows it locally; every other module is denied it.
#![deny(unsafe_code)]
#![warn(
    missing_docs,
    unreachable_pub,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::undocumented_unsafe_blocks
)]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

pub mod crypto;
pub mod error;
pub mod formats;
#[cfg(feature = "sync")]
pub mod model;
pub mod secret;
#[cfg(feature = "sync")]
pub mod sync;

pub use crypto::{
    AccountSaltAttributes, AesKeys, Iterations, Salt, aes_keys, nt_hash, org_id_hash, string_to_key,
};
#[cfg(feature = "sync")]
pub use error::{AccountError, ConfigError, DriverError, SnapshotError};
pub use error::{Error, FormatError, OrgIdError, Result};
#[cfg(feature = "replication")]
pub use formats::drs::DrsError;
#[cfg(feature = "domain-services")]
pub use formats::envelope::EnvelopeError;
#[cfg(feature = "sync")]
pub use model::{
    ChannelEvent, ConfigurationParameter, Connector, ConnectorType, EncryptedString,
    FORCE_FULL_PASSWORD_SYNC, ParameterCollection, ParameterDataType, ParameterScope,
    PartitionSyncState, PasswordSyncConfiguration, PasswordSyncStatus, STAGING_MODE,
    SyncConfiguration,
};
pub use secret::{EncryptionType, KerberosKey, NtHash, OrgIdHash, Password, WDigestHash};

/// Forcing a PBKDF2 backend, for tests and benches only: not part of the
/// supported API, and may change in any release.
#[doc(hidden)]
pub mod __backend {
    pub use crate::crypto::backend::{
        Backend, aes_keys_with, legacy_keys_parallel_with, legacy_keys_with,
        org_id_hashes_parallel_with, org_id_hashes_with,
    };
}
