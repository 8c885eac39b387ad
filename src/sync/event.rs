//! What the engine reports, with Entra Connect's numeric event ids.
//!
//! Every event names the source connector and carries structured fields a
//! host can log, show as progress or map to the Windows event log. No event
//! holds a secret: accounts appear by source anchor, DN and
//! `sAMAccountName` only. Serialising an [`Event`] gives a flat JSON object
//! with a numeric `"id"`, the variant's name as `"event"`, and its fields.
//!
//! Ids 611, 617–623 and 650–657 are Entra Connect's (domain error, full-sync
//! progress, batches, heartbeat, per-user request and result); 658 and 659
//! are this crate's, in the same range, for what Entra Connect logs only in
//! its trace files (skipped accounts, cursor commits).

use serde::Serialize;
use serde::ser::SerializeMap;

use super::scope::SkipReason;

/// The final or interim outcome of one item at the target.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[non_exhaustive]
pub enum ItemOutcome {
    /// Stored by the target.
    Success,
    /// Failed; it will be retried after a backoff.
    Retrying,
    /// Failed; the target says retrying is pointless.
    NoRetry,
    /// Failed, and a newer change of the same account replaces it.
    Superseded,
    /// Failed, and the retry queue was full: the change is re-read from the
    /// source next cycle (the cursor does not move past it).
    Overflowed,
}

/// Why a channel runs a full sync.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[non_exhaustive]
pub enum FullSyncReason {
    /// No saved cursor: the channel starts for the first time.
    FirstStart,
    /// The connector's `Microsoft.Synchronize.ForceFullPasswordSync` was `1`.
    ForceFullPasswordSync,
}

macro_rules! events {
    ($(
        $(#[$doc:meta])*
        $id:literal $name:ident {
            $( $(#[$fdoc:meta])* $field:ident : $ty:ty ),* $(,)?
        }
    )*) => {
        /// What the engine reports, with Entra Connect's numeric event ids.
        ///
        /// Every event names the source connector and carries structured fields a
        /// host can log, show as progress or map to the Windows event log. No event
        /// holds a secret: accounts appear by source anchor, DN and
        /// `sAMAccountName` only. Serialising an [`Event`] gives a flat JSON object
        /// with a numeric `"id"`, the variant's name as `"event"`, and its fields.
        ///
        /// Ids 611, 617–623 and 650–657 are Entra Connect's (domain error, full-sync
        /// progress, batches, heartbeat, per-user request and result); 658 and 659
        /// are this crate's, in the same range, for what Entra Connect logs only in
        /// its trace files (skipped accounts, cursor commits).
        #[derive(Clone, Debug, PartialEq, Eq)]
        #[non_exhaustive]
        pub enum Event {
            $(
                $(#[$doc])*
                $name {
                    /// Source (AD) connector name.
                    connector: String,
                    $( $(#[$fdoc])* $field: $ty, )*
                },
            )*
        }

        impl Event {
            /// The numeric event id.
            pub fn id(&self) -> u16 {
                match self { $( Self::$name { .. } => $id, )* }
            }

            /// The variant's name, as serialised in `"event"`.
            pub fn name(&self) -> &'static str {
                match self { $( Self::$name { .. } => stringify!($name), )* }
            }

            /// The source connector the event is about.
            pub fn connector(&self) -> &str {
                match self { $( Self::$name { connector, .. } => connector, )* }
            }
        }

        impl Serialize for Event {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                let mut map = serializer.serialize_map(None)?;
                map.serialize_entry("id", &self.id())?;
                map.serialize_entry("event", self.name())?;
                match self {
                    $( Self::$name { connector, $($field),* } => {
                        map.serialize_entry("connector", connector)?;
                        $( map.serialize_entry(stringify!($field), $field)?; )*
                    } )*
                }
                map.end()
            }
        }
    };
}

events! {
    /// A domain partition failed (source error); its cursor stays where it was.
    611 PartitionFailed {
        /// Partition name.
        partition: String,
        /// The source's error, as text.
        reason: String,
    }
    /// A forced or first full sync starts for the forest (connector).
    617 ForestFullSyncStarted {
        /// Why a full sync runs.
        reason: FullSyncReason,
    }
    /// A full sync starts for one domain.
    618 DomainFullSyncStarted {
        /// Partition name.
        partition: String,
    }
    /// Full-sync progress in one domain.
    619 DomainFullSyncProgress {
        /// Partition name.
        partition: String,
        /// Accounts read so far.
        read: u64,
        /// Accounts stored by the target.
        synced: u64,
        /// Accounts out of scope.
        skipped: u64,
        /// Accounts failed for good (no-retry).
        failed: u64,
    }
    /// A domain's full sync completed: every account read has a final result.
    620 DomainFullSyncCompleted {
        /// Partition name.
        partition: String,
        /// Accounts read.
        read: u64,
        /// Accounts stored by the target.
        synced: u64,
        /// Accounts out of scope.
        skipped: u64,
        /// Accounts failed for good (no-retry).
        failed: u64,
    }
    /// A domain's full sync failed (source error or retry-queue overflow);
    /// it resumes from the saved cursor on the next cycle.
    621 DomainFullSyncFailed {
        /// Partition name.
        partition: String,
        /// What went wrong.
        reason: String,
    }
    /// The forest's full sync completed in every domain.
    622 ForestFullSyncCompleted {
        /// Domains completed.
        domains: u64,
    }
    /// The forest's full sync failed in at least one domain.
    623 ForestFullSyncFailed {
        /// Domains that failed.
        failed_domains: u64,
    }
    /// A batch goes to the target connector.
    650 BatchStarted {
        /// Target connector name.
        target: String,
        /// Batch number within the channel.
        batch: u64,
        /// Items in the batch.
        count: u64,
    }
    /// A batch's results came back.
    651 BatchCompleted {
        /// Target connector name.
        target: String,
        /// Batch number.
        batch: u64,
        /// Items stored.
        succeeded: u64,
        /// Items to retry.
        retrying: u64,
        /// Items failed for good (no-retry, superseded or overflowed).
        failed: u64,
    }
    /// The whole batch failed at the transport; every item is retried.
    652 BatchFailed {
        /// Target connector name.
        target: String,
        /// Batch number.
        batch: u64,
        /// Items in the batch.
        count: u64,
        /// The transport's error, as text.
        reason: String,
    }
    /// The channel is idle and alive.
    653 Heartbeat {
        /// Items waiting for a retry.
        retrying: u64,
    }
    /// A sync cycle ended: everything read has a final result or waits in
    /// the retry queue.
    654 CycleCompleted {
        /// Accounts read this cycle.
        read: u64,
        /// Accounts stored.
        synced: u64,
        /// Accounts out of scope.
        skipped: u64,
        /// Accounts failed for good.
        failed: u64,
    }
    /// The retry queue is full: a failed change is not queued; the cursor
    /// is held so that the change is read again next cycle.
    655 RetryQueueOverflow {
        /// Partition name.
        partition: String,
        /// Source anchor of the account.
        source_anchor: String,
        /// `sAMAccountName`.
        sam_account_name: String,
        /// USN of the change.
        usn: u64,
        /// The queue's bound.
        limit: u64,
    }
    /// A password change is requested for one account.
    656 PasswordChangeRequest {
        /// Partition name.
        partition: String,
        /// Source anchor.
        source_anchor: String,
        /// `distinguishedName`.
        distinguished_name: String,
        /// `sAMAccountName`.
        sam_account_name: String,
        /// USN of the change.
        usn: u64,
        /// Sent with the force-change-on-logon flag.
        force_change_on_logon: bool,
    }
    /// The target's result for one account.
    657 PasswordChangeResult {
        /// Source anchor.
        source_anchor: String,
        /// `sAMAccountName`.
        sam_account_name: String,
        /// USN of the change.
        usn: u64,
        /// What happened.
        outcome: ItemOutcome,
        /// Attempts so far (1 for the first send).
        attempt: u32,
        /// When retrying: the backoff before the next attempt, in milliseconds.
        retry_in_ms: Option<u64>,
    }
    /// An account is out of scope or its input unusable (this crate's id).
    658 AccountSkipped {
        /// Partition name.
        partition: String,
        /// Source anchor.
        source_anchor: String,
        /// `sAMAccountName`.
        sam_account_name: String,
        /// USN of the change.
        usn: u64,
        /// The rule that excluded it.
        reason: SkipReason,
        /// Detail for unusable input (names the field, never its value).
        detail: Option<String>,
    }
    /// A partition's cursor moved past final results (this crate's id).
    659 CursorCommitted {
        /// Partition name.
        partition: String,
    }
}
