//! The password-sync engine: a sans-I/O state machine per source connector
//! and a thin blocking driver over the host's source and transport.
//!
//! Data flows one way: source -> scope -> credentials -> batches ->
//! transport -> results -> cursor. [`Channel`] is the state machine;
//! [`ChangeSource`], [`Transport`] and [`CursorStore`] are what a host
//! implements; [`reference`] holds implementations for tests and examples.

mod credential;
mod cursor;
mod driver;
mod engine;
mod event;
pub mod reference;
mod scope;
mod source;
mod transport;

pub use credential::{
    AccountCredentials, CredentialUpdate, LegacyCredentials, ObjectGuid, PartitionInfo,
    SourceAccount, StoredCredentials, StoredKerberosKeys, UpdateRequest,
};
pub use cursor::{Cursor, CursorCommit, CursorStore, InMemoryCursorStore};
pub use driver::{Clock, Driver, Observer, RunOutcome, SystemClock, VirtualClock, prepare_batch};
pub use engine::{
    Backoff, Channel, ChannelConfig, ChannelError, MAX_BATCH_SIZE, OutgoingBatch, PartitionHandle,
    PartitionStatus, ReadMode, StatusChange,
};
pub use event::{Event, FullSyncReason, ItemOutcome};
pub use scope::{ScopeDecision, ScopePolicy, SkipReason, UF_ACCOUNTDISABLE};
pub use source::{ChangeSource, SourceItem, SourceStream};
pub use transport::{Batch, BatchId, ItemResult, Transport};
