#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![warn(
    missing_docs,
    unreachable_pub,
    clippy::unwrap_used,
    clippy::expect_used
)]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

pub mod crypto;
pub mod error;
pub mod formats;
pub mod model;
pub mod secret;
pub mod sync;

pub use crypto::{
    AccountSaltAttributes, AesKeys, Iterations, Salt, aes_keys, nt_hash, org_id_hash, string_to_key,
};
pub use error::{
    AccountError, ConfigError, DriverError, Error, FormatError, OrgIdError, Result, SnapshotError,
};
pub use model::{
    ChannelEvent, ConfigurationParameter, Connector, ConnectorType, EncryptedString,
    FORCE_FULL_PASSWORD_SYNC, ParameterCollection, ParameterDataType, ParameterScope,
    PartitionSyncState, PasswordSyncConfiguration, PasswordSyncStatus, STAGING_MODE,
    SyncConfiguration,
};
pub use secret::{EncryptionType, KerberosKey, NtHash, OrgIdHash, Password, WDigestHash};
