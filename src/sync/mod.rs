//! The password-sync engine: a sans-I/O state machine per source connector
//! and a thin blocking driver over the host's source and transport.
//!
//! Data flows one way: source -> scope -> credentials -> batches ->
//! transport -> results -> cursor. [`Channel`] is the state machine (one
//! per AD connector); [`ChangeSource`], [`Transport`] and [`CursorStore`]
//! are what a host implements; [`Driver`] runs channels over them, and
//! [`reference`](mod@reference) holds implementations for tests and examples.
//! [`Diagnostics`] records what the sync does (a per-account object log,
//! full-sync progress) for [`diagnose`]'s findings, the one-account
//! [`AccountView`] and [`sync_account`], a single-object sync.
//!
//! ```
//! use std::sync::{Arc, Mutex};
//! use hashsync::Password;
//! use hashsync::model::ManagedDomainSettings;
//! use hashsync::sync::reference::{InMemoryDirectory, InMemorySource, InMemoryTransport};
//! use hashsync::sync::{
//!     AccountCredentials, ChannelConfig, Driver, InMemoryCursorStore, LegacyDelivery,
//!     ObjectGuid, Partition, SourceAccount,
//! };
//!
//! let partition = Partition::new("DC=onprem,DC=contoso,DC=com", "onprem.contoso.com")?;
//! let mut directory = InMemoryDirectory::new();
//! directory.add_partition(partition.clone());
//! directory.add_account(
//!     partition.dn(),
//!     SourceAccount::new(
//!         ObjectGuid::parse("00112233-4455-6677-8899-aabbccddeeff")?,
//!         "jsmith",
//!         AccountCredentials::Cleartext(Password::new("Welcome1")),
//!     )
//!     .with_distinguished_name("CN=jsmith,CN=Users,DC=onprem,DC=contoso,DC=com")
//!     .with_user_principal_name("John.Smith@contoso.com")
//!     .with_usn(4711),
//! )?;
//! let source = InMemorySource::new(Arc::new(Mutex::new(directory)));
//!
//! let aad = "contoso.onmicrosoft.com - Microsoft Entra ID";
//! let mut driver = Driver::new(InMemoryTransport::new(), InMemoryCursorStore::new());
//! // A tenant with Domain Services: legacy credentials go too, here in the
//! // clear (a real host seals them: `LegacyDelivery::sealed_to`).
//! let config = ChannelConfig::new("onprem.contoso.com", aad)
//!     .with_domain_services(Some(ManagedDomainSettings::default()))
//!     .with_legacy_delivery(LegacyDelivery::Plaintext);
//! driver.start_channel(config, source, false)?;
//! driver.run_cycle()?; // no saved cursor: a full sync
//!
//! let update = driver.transport().get(aad, "MyIRAFVEd2aImaq7zN3u/w==").expect("delivered");
//! let legacy = update.legacy.as_ref().expect("Domain Services");
//! let legacy = legacy.plaintext().expect("delivered in the clear, as chosen");
//! assert_eq!(legacy.nt_hash.to_hex().as_str(), "cf3a5525ee9414229e66279623ed5c58");
//! assert!(update.org_id.verify_password(&Password::new("Welcome1")));
//! assert!(driver.cursors().get("onprem.contoso.com", partition.dn()).is_some());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod account_query;
mod configured;
mod credential;
mod cursor;
mod delivery;
mod diagnostics;
mod driver;
mod engine;
mod event;
pub mod reference;
mod scope;
#[cfg(feature = "domain-services")]
mod sealed;
mod source;
mod stored_attributes;
mod transport;

pub use crate::model::Partition;
pub use account_query::AccountQuery;
pub use configured::{ChannelStart, interrupt_running_cycles, record_partition_status};
pub use credential::{
    AccountCredentials, CredentialUpdate, LegacyCredentials, LegacySecrets, ObjectGuid,
    SourceAccount, StoredHashes, StoredKerberosKeys, UpdateRequest,
};
pub use cursor::{Cursor, CursorCommit, CursorStore, InMemoryCursorStore};
pub use delivery::LegacyDelivery;
pub use diagnostics::{
    AccountView, DEFAULT_MAX_AGE, DEFAULT_PER_ACCOUNT, DEFAULT_TOTAL, Diagnostics,
    DiagnosticsObserver, DomainProgress, Finding, FindingScope, FindingStatus, ForestProgress,
    HEARTBEAT_MAX_AGE, InMemoryObjectLog, LastChange, LastResult, ObjectLog, ObjectLogEntry,
    ObjectLogLimits, ObjectLogStatus, ObjectSyncOutcome, ObjectSyncReport, ObservedSource,
    PERSISTENT_ERROR_WINDOW, PERSISTENT_ERRORS, SharedClock, SyncAccountError, TimedEvent,
    diagnose, sync_account,
};
pub use driver::{
    CYCLE_INTERVAL, Clock, Driver, Observer, PartitionSyncRecord, RunOutcome, StopHandle,
    SystemClock, VirtualClock, prepare_batch,
};
pub use engine::{
    Backoff, Channel, ChannelConfig, ChannelConfigError, ChannelError, DEFAULT_RETRY_QUEUE_LIMIT,
    MAX_BATCH_SIZE, OutgoingBatch, PartitionHandle, PartitionStatus, ReadMode, StatusChange,
};
pub use event::{Event, FullSyncReason, ItemOutcome};
pub use scope::{
    PHS_FILTERED, PHS_INCLUDED, ScopeDecision, ScopePolicy, SelectivePasswordHashSync, SkipReason,
    UF_ACCOUNTDISABLE,
};
#[cfg(feature = "domain-services")]
pub use sealed::{
    SealedLegacyCredentials, SealingError, SealingTransport, SyncCredentialsChangeItem,
};
pub use source::{ChangeSource, SourceItem, SourceStream};
pub use stored_attributes::StoredAttributes;
pub use transport::{Batch, BatchId, ItemResult, Transport};
