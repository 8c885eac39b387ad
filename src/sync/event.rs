//! What the engine and the driver report: [`Event`], with Entra Connect's
//! event ids.

use serde::Serialize;
use serde::ser::SerializeMap;
use uuid::Uuid;

use super::scope::SkipReason;

/// The final or interim outcome of one item at the target.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[non_exhaustive]
pub enum ItemOutcome {
    /// Stored by the target.
    Success,
    /// Failed; it waits in the retry queue for a later attempt.
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

/// `Some(id)` for an Entra Connect event, `None` for one of the crate's own.
macro_rules! entra_id {
    () => {
        None
    };
    ($id:literal) => {
        Some($id)
    };
}

macro_rules! events {
    ($(
        $(#[$doc:meta])*
        [$($id:literal)?] $name:ident {
            $( $(#[$fdoc:meta])* $field:ident : $ty:ty ),* $(,)?
        }
    )*) => {
        /// What the engine and the driver report, with Entra Connect's event ids.
        ///
        /// Every event names the source (AD) connector by name and by identifier
        /// (its GUID, as Entra Connect's event messages do) and carries structured
        /// fields a host can log, show as progress or map to the Windows event log.
        /// No event holds a secret: accounts appear by source anchor, DN and
        /// `sAMAccountName` only.
        ///
        /// Events that Entra Connect's password sync agent logs carry its id
        /// ([`Event::entra_connect_id`]), as Microsoft's troubleshooting page lists
        /// them:
        ///
        /// | id | event |
        /// |---|---|
        /// | 605 / 606 | an object is added to / removed from the retry queue |
        /// | 611 | error synchronizing a domain |
        /// | 617 / 618 | full sync started for a forest / a domain |
        /// | 619 | full sync progress in a domain |
        /// | 620 | objects the target refused for good (no-retry) were reported |
        /// | 621 | a domain's full sync attempt failed |
        /// | 622 / 623 | full sync completed for a domain / a forest |
        /// | 650 / 651 | batch upload started / ended |
        /// | 652 | batch upload error |
        /// | 653 / 654 | heartbeat ping started / ended |
        /// | 655 | heartbeat ping error |
        /// | 656 / 657 | per-user password change request sent / its result |
        /// | 664 | a single-object sync failed |
        ///
        /// Events of this crate's own (an account skipped and why, a cursor
        /// committed, a cycle's summary, a retry-queue overflow, a channel that
        /// cannot run) have no Entra Connect id: `entra_connect_id()` is `None`.
        ///
        /// Serialising an [`Event`] gives a flat JSON object: `"id"` (Entra
        /// Connect's number or `null`), `"kind"` (the variant's name; also under
        /// its former key `"event"`), `"connector"`, `"connector_id"` and the
        /// event's fields.
        #[derive(Clone, Debug, PartialEq, Eq)]
        #[non_exhaustive]
        pub enum Event {
            $(
                $(#[$doc])*
                $name {
                    /// Source (AD) connector name.
                    connector: String,
                    /// Source (AD) connector identifier.
                    connector_id: Uuid,
                    $( $(#[$fdoc])* $field: $ty, )*
                },
            )*
        }

        impl Event {
            /// Every variant's name, for the test that freezes the mapping.
            #[cfg(test)]
            const ALL_KINDS: &'static [&'static str] = &[$(stringify!($name)),*];

            /// Entra Connect's event id, or `None` for an event of this
            /// crate's own.
            pub fn entra_connect_id(&self) -> Option<u16> {
                match self { $( Self::$name { .. } => entra_id!($($id)?), )* }
            }

            /// The variant's name, as serialised in `"kind"`.
            pub fn kind(&self) -> &'static str {
                match self { $( Self::$name { .. } => stringify!($name), )* }
            }

            /// The source connector's name.
            pub fn connector(&self) -> &str {
                match self { $( Self::$name { connector, .. } => connector, )* }
            }

            /// The source connector's identifier.
            pub fn connector_id(&self) -> Uuid {
                match self { $( Self::$name { connector_id, .. } => *connector_id, )* }
            }
        }

        impl Serialize for Event {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                let mut map = serializer.serialize_map(None)?;
                map.serialize_entry("id", &self.entra_connect_id())?;
                map.serialize_entry("kind", self.kind())?;
                map.serialize_entry("event", self.kind())?;
                match self {
                    $( Self::$name { connector, connector_id, $($field),* } => {
                        map.serialize_entry("connector", connector)?;
                        map.serialize_entry("connector_id", connector_id)?;
                        $( map.serialize_entry(stringify!($field), $field)?; )*
                    } )*
                }
                map.end()
            }
        }
    };
}

events! {
    /// An object enters the retry queue after a retryable failure.
    [605] RetryQueueAdded {
        /// Partition DN.
        partition: String,
        /// Source anchor of the account.
        source_anchor: String,
        /// `sAMAccountName`.
        sam_account_name: String,
        /// USN of the change.
        usn: u64,
        /// Attempts so far.
        attempt: u32,
        /// The backoff before the next attempt, in milliseconds.
        retry_in_ms: u64,
        /// Objects in the queue now.
        queued: u64,
    }
    /// An object leaves the retry queue: its retry is due, or a newer
    /// change of the account replaced it.
    [606] RetryQueueRemoved {
        /// Partition DN.
        partition: String,
        /// Source anchor of the account.
        source_anchor: String,
        /// `sAMAccountName`.
        sam_account_name: String,
        /// USN of the change.
        usn: u64,
        /// Objects in the queue now.
        queued: u64,
    }
    /// Reading a domain partition failed (the source's error); its cursor
    /// stays where it was. The typed error goes to the host's
    /// [`Observer`](super::Observer).
    [611] PartitionFailed {
        /// Partition DN.
        partition: String,
        /// The source's error, as text for the log.
        reason: String,
    }
    /// A full sync starts for the forest (the AD connector).
    [617] ForestFullSyncStarted {
        /// Why a full sync runs.
        reason: FullSyncReason,
    }
    /// A full sync starts for one domain.
    [618] DomainFullSyncStarted {
        /// Partition DN.
        partition: String,
    }
    /// Full-sync progress in one domain.
    [619] DomainFullSyncProgress {
        /// Partition DN.
        partition: String,
        /// Accounts read so far (in this read).
        read: u64,
        /// Accounts stored by the target.
        synced: u64,
        /// Accounts out of scope.
        skipped: u64,
        /// Accounts failed for good (no-retry).
        failed: u64,
    }
    /// Objects the target refused for good were reported (once per cycle,
    /// only when there were some).
    [620] NoRetryObjectsReported {
        /// Objects refused for good in the cycle.
        count: u64,
    }
    /// A domain's full sync attempt failed (source error or retry-queue
    /// overflow); the full sync goes on from the saved cursor next cycle.
    [621] DomainFullSyncFailed {
        /// Partition DN.
        partition: String,
        /// What went wrong.
        reason: String,
    }
    /// A domain's full sync completed: every account read has a final result.
    [622] DomainFullSyncCompleted {
        /// Partition DN.
        partition: String,
        /// Accounts read (in the read that completed it).
        read: u64,
        /// Accounts stored by the target.
        synced: u64,
        /// Accounts out of scope.
        skipped: u64,
        /// Accounts failed for good (no-retry).
        failed: u64,
    }
    /// The forest's full sync completed in every domain.
    [623] ForestFullSyncCompleted {
        /// Domains completed.
        domains: u64,
    }
    /// A batch goes to the target connector.
    [650] BatchStarted {
        /// Target connector name.
        target: String,
        /// Batch number within the channel.
        batch: u64,
        /// Items in the batch.
        count: u64,
    }
    /// A batch's results came back.
    [651] BatchCompleted {
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
    /// The typed error goes to the host's [`Observer`](super::Observer).
    [652] BatchFailed {
        /// Target connector name.
        target: String,
        /// Batch number.
        batch: u64,
        /// Items in the batch.
        count: u64,
        /// The transport's error, as text for the log.
        reason: String,
    }
    /// The heartbeat: nothing changed for the heartbeat interval; the
    /// agent pings the target.
    [653] PingStarted {
        /// Objects waiting in the retry queue.
        retrying: u64,
    }
    /// The heartbeat ping ended (the event the troubleshooting script looks
    /// for, with the AD connector's identifier).
    [654] PingCompleted {
        /// Objects waiting in the retry queue.
        retrying: u64,
    }
    /// The heartbeat ping failed.
    [655] PingFailed {
        /// The transport's error, as text for the log.
        reason: String,
    }
    /// A password change request for one account is sent (in batch `batch`).
    [656] PasswordChangeRequest {
        /// Partition DN.
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
        /// The batch carrying it.
        batch: u64,
        /// Attempt number (1 for the first send).
        attempt: u32,
    }
    /// The target's result for one account.
    [657] PasswordChangeResult {
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
    /// The retry queue is full: a failed change is not queued; the cursor
    /// is held so that the change is read again next cycle.
    [] RetryQueueOverflow {
        /// Partition DN.
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
    /// An account is out of scope or its input unusable.
    [] AccountSkipped {
        /// Partition DN.
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
    /// A partition's cursor moved past final results.
    [] CursorCommitted {
        /// Partition DN.
        partition: String,
    }
    /// A sync cycle ended: everything read has a final result or waits in
    /// the retry queue for the next cycle.
    [] CycleCompleted {
        /// Accounts read this cycle.
        read: u64,
        /// Accounts stored.
        synced: u64,
        /// Accounts out of scope.
        skipped: u64,
        /// Accounts failed for good.
        failed: u64,
        /// Objects left in the retry queue.
        retrying: u64,
    }
    /// The tenant's password hash sync feature is off: the channel does not
    /// run (the service's words: "password hash sync is not activated for
    /// this company").
    [] PasswordHashSyncNotActivated {
        /// The service's message.
        message: String,
    }
    /// The server is in staging mode: password sync is suspended; the
    /// configuration (and a pending ForceFullPasswordSync) is kept.
    [] PasswordSyncSuspended {
        /// Why.
        reason: String,
    }
    /// The channel was stopped (password sync disabled or removed, or the
    /// driver shut down).
    [] ChannelStopped {
        /// Objects still in the retry queue, dropped with the channel (their
        /// changes are re-read from the saved cursor when it starts again).
        retrying: u64,
    }
    /// A single-object sync (an admin's "sync this account now") failed;
    /// see [`sync_account`](super::sync_account).
    [664] SingleObjectSyncFailed {
        /// What the admin named the account by.
        account: String,
        /// Source anchor, when the account was found.
        source_anchor: Option<String>,
        /// Why it failed, in the object log's words.
        reason: String,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every variant with Entra Connect's id (Microsoft's troubleshooting
    /// page, as DESIGN.md section 1 lists it) or none for the crate's own.
    #[test]
    fn the_event_id_mapping_is_entra_connects() {
        let c = || "onprem.contoso.com".to_owned();
        let id = Uuid::from_u128(0x6d1e5c0a_4f3b_4b8e_9a61_0c0a5e1d2a01);
        let s = String::new;
        let table: Vec<(Event, Option<u16>)> = vec![
            (
                Event::RetryQueueAdded {
                    connector: c(),
                    connector_id: id,
                    partition: s(),
                    source_anchor: s(),
                    sam_account_name: s(),
                    usn: 1,
                    attempt: 1,
                    retry_in_ms: 1,
                    queued: 1,
                },
                Some(605),
            ),
            (
                Event::RetryQueueRemoved {
                    connector: c(),
                    connector_id: id,
                    partition: s(),
                    source_anchor: s(),
                    sam_account_name: s(),
                    usn: 1,
                    queued: 0,
                },
                Some(606),
            ),
            (
                Event::PartitionFailed {
                    connector: c(),
                    connector_id: id,
                    partition: s(),
                    reason: s(),
                },
                Some(611),
            ),
            (
                Event::ForestFullSyncStarted {
                    connector: c(),
                    connector_id: id,
                    reason: FullSyncReason::FirstStart,
                },
                Some(617),
            ),
            (
                Event::DomainFullSyncStarted {
                    connector: c(),
                    connector_id: id,
                    partition: s(),
                },
                Some(618),
            ),
            (
                Event::DomainFullSyncProgress {
                    connector: c(),
                    connector_id: id,
                    partition: s(),
                    read: 0,
                    synced: 0,
                    skipped: 0,
                    failed: 0,
                },
                Some(619),
            ),
            (
                Event::NoRetryObjectsReported {
                    connector: c(),
                    connector_id: id,
                    count: 1,
                },
                Some(620),
            ),
            (
                Event::DomainFullSyncFailed {
                    connector: c(),
                    connector_id: id,
                    partition: s(),
                    reason: s(),
                },
                Some(621),
            ),
            (
                Event::DomainFullSyncCompleted {
                    connector: c(),
                    connector_id: id,
                    partition: s(),
                    read: 0,
                    synced: 0,
                    skipped: 0,
                    failed: 0,
                },
                Some(622),
            ),
            (
                Event::ForestFullSyncCompleted {
                    connector: c(),
                    connector_id: id,
                    domains: 1,
                },
                Some(623),
            ),
            (
                Event::BatchStarted {
                    connector: c(),
                    connector_id: id,
                    target: s(),
                    batch: 0,
                    count: 1,
                },
                Some(650),
            ),
            (
                Event::BatchCompleted {
                    connector: c(),
                    connector_id: id,
                    target: s(),
                    batch: 0,
                    succeeded: 1,
                    retrying: 0,
                    failed: 0,
                },
                Some(651),
            ),
            (
                Event::BatchFailed {
                    connector: c(),
                    connector_id: id,
                    target: s(),
                    batch: 0,
                    count: 1,
                    reason: s(),
                },
                Some(652),
            ),
            (
                Event::PingStarted {
                    connector: c(),
                    connector_id: id,
                    retrying: 0,
                },
                Some(653),
            ),
            (
                Event::PingCompleted {
                    connector: c(),
                    connector_id: id,
                    retrying: 0,
                },
                Some(654),
            ),
            (
                Event::PingFailed {
                    connector: c(),
                    connector_id: id,
                    reason: s(),
                },
                Some(655),
            ),
            (
                Event::PasswordChangeRequest {
                    connector: c(),
                    connector_id: id,
                    partition: s(),
                    source_anchor: s(),
                    distinguished_name: s(),
                    sam_account_name: s(),
                    usn: 1,
                    force_change_on_logon: false,
                    batch: 0,
                    attempt: 1,
                },
                Some(656),
            ),
            (
                Event::PasswordChangeResult {
                    connector: c(),
                    connector_id: id,
                    source_anchor: s(),
                    sam_account_name: s(),
                    usn: 1,
                    outcome: ItemOutcome::Success,
                    attempt: 1,
                    retry_in_ms: None,
                },
                Some(657),
            ),
            (
                Event::RetryQueueOverflow {
                    connector: c(),
                    connector_id: id,
                    partition: s(),
                    source_anchor: s(),
                    sam_account_name: s(),
                    usn: 1,
                    limit: 1,
                },
                None,
            ),
            (
                Event::AccountSkipped {
                    connector: c(),
                    connector_id: id,
                    partition: s(),
                    source_anchor: s(),
                    sam_account_name: s(),
                    usn: 1,
                    reason: SkipReason::Disabled,
                    detail: None,
                },
                None,
            ),
            (
                Event::CursorCommitted {
                    connector: c(),
                    connector_id: id,
                    partition: s(),
                },
                None,
            ),
            (
                Event::CycleCompleted {
                    connector: c(),
                    connector_id: id,
                    read: 0,
                    synced: 0,
                    skipped: 0,
                    failed: 0,
                    retrying: 0,
                },
                None,
            ),
            (
                Event::PasswordHashSyncNotActivated {
                    connector: c(),
                    connector_id: id,
                    message: s(),
                },
                None,
            ),
            (
                Event::PasswordSyncSuspended {
                    connector: c(),
                    connector_id: id,
                    reason: s(),
                },
                None,
            ),
            (
                Event::ChannelStopped {
                    connector: c(),
                    connector_id: id,
                    retrying: 0,
                },
                None,
            ),
            (
                Event::SingleObjectSyncFailed {
                    connector: c(),
                    connector_id: id,
                    account: s(),
                    source_anchor: None,
                    reason: s(),
                },
                Some(664),
            ),
        ];
        for (event, expected) in &table {
            assert_eq!(event.entra_connect_id(), *expected, "{}", event.kind());
            let json = serde_json::to_value(event).unwrap_or_default();
            match expected {
                Some(number) => assert_eq!(json["id"], *number, "{}", event.kind()),
                None => assert!(json["id"].is_null(), "{}", event.kind()),
            }
            assert_eq!(json["kind"], event.kind());
            assert_eq!(json["connector"], "onprem.contoso.com");
            assert_eq!(json["connector_id"], "6d1e5c0a-4f3b-4b8e-9a61-0c0a5e1d2a01");
        }
        let kinds: Vec<&str> = table.iter().map(|(e, _)| e.kind()).collect();
        assert_eq!(kinds, Event::ALL_KINDS, "every variant is in the table");
        // 658 (Domain Services sync) and 659 (password policy sync) are
        // Entra Connect's own events, not this crate's: nothing claims them.
        assert!(
            table
                .iter()
                .all(|(e, _)| !matches!(e.entra_connect_id(), Some(658 | 659)))
        );
    }
}
