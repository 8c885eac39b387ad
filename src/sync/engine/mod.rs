//! The sans-I/O state machine of one channel (source connector -> target
//! connector).
//!
//! Split by concept: [`config`] (what a channel may be configured to, and
//! what it refuses), `read` (source accounts through the scope into
//! requests), `queue` (per-account slots, the retry queue and its backoff),
//! `batch` (batch assembly and results) and `partitions` (what is final,
//! cursor commits, full-sync completion).

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, VecDeque};
use std::time::Instant;

use super::credential::ObjectGuid;
use super::cursor::CursorCommit;
use super::event::{Event, FullSyncReason};
use super::source::SourceItem;
use super::transport::BatchId;

mod batch;
pub(crate) mod config;
mod partitions;
mod queue;
mod read;

pub use batch::OutgoingBatch;
pub use config::{
    Backoff, ChannelConfig, ChannelConfigError, DEFAULT_RETRY_QUEUE_LIMIT, MAX_BATCH_SIZE,
};

use partitions::{Counts, ForestState, PartitionTrack};
use queue::{AccountSlot, SplitMix64};

/// How a partition is read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ReadMode {
    /// Every account: a domain's full sync starts (618).
    Full,
    /// A full sync interrupted by a restart goes on from its saved cursor
    /// (marked [`in_full_sync`](super::Cursor::in_full_sync)).
    FullResumed,
    /// Changes since the saved cursor.
    Incremental,
}

/// A partition's sync status in a cycle, as Entra Connect records it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PartitionStatus {
    /// Reading or sending.
    InProgress,
    /// The cycle read the partition; what it read is final or waits in the
    /// retry queue.
    Successful,
    /// A source error or a retry-queue overflow; the cursor was held back.
    Failed,
    /// The cycle was cut short (the driver stopped).
    Interrupted,
}

/// A partition status change, for the sync-state record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatusChange {
    /// Partition DN.
    pub partition: String,
    /// New status.
    pub status: PartitionStatus,
}

/// A partition the channel is reading, as returned by [`Channel::begin_partition`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct PartitionHandle(usize);

/// The engine's refusal of an input that does not fit its state (a host bug).
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ChannelError {
    /// The partition handle did not come from this channel.
    #[error("unknown partition handle {0}")]
    UnknownPartition(usize),
    /// The partition's source stream already ended.
    #[error("partition {0} is not being read")]
    PartitionNotReading(usize),
    /// No batch with this id is in flight.
    #[error("no batch {0} in flight")]
    UnknownBatch(u64),
}

#[derive(Debug, Default)]
struct CycleState {
    active: bool,
    counts: Counts,
    no_retry: u64,
}

/// The sans-I/O state machine of one channel (source connector -> target
/// connector).
///
/// Like quinn-proto's `Connection`, a [`Channel`] owns no thread, clock,
/// socket, file or random source. The host feeds it source items
/// ([`Channel::handle_source_item`]), transport results
/// ([`Channel::handle_batch_results`], [`Channel::handle_batch_error`]) and
/// the time ([`Channel::handle_timeout`]), and pulls work: batches to send
/// ([`Channel::poll_batch`]), cursors to persist ([`Channel::poll_commit`]),
/// events ([`Channel::poll_event`]), partition status changes
/// ([`Channel::poll_status`]), heartbeat pings ([`Channel::poll_ping`]) and
/// when to wake it next ([`Channel::poll_timeout`]). Retry jitter comes
/// from a seeded generator, so a run is reproducible.
///
/// A cycle is [`begin_cycle`](Self::begin_cycle), a
/// [`begin_partition`](Self::begin_partition) and its source stream per
/// partition, sending until nothing is ready or in flight, then
/// [`end_cycle`](Self::end_cycle): changes that keep failing wait in the
/// retry queue, with backoff, for a later cycle; a cycle never waits for
/// them.
///
/// Guarantees:
/// - per account at most one update is in flight, and a newer change (by
///   USN) is never overwritten by an older one: older queued changes are
///   dropped, an older change that fails is not retried once a newer one
///   waits;
/// - a partition's cursor is committed only when every account the source
///   emitted before it has a final result (stored, no-retry, or replaced by
///   a newer change), so a restart from the persisted cursor loses nothing;
///   while a full sync is under way, commits are marked so, and a restart
///   resumes the same full sync;
/// - the retry queue is bounded; a failed change that does not fit is
///   reported and the partition's cursor is held where it was, so the
///   change is read again next cycle.
///
/// Driving it by hand, as a host with its own runtime would:
///
/// ```
/// use std::time::{Duration, Instant};
/// use hashsync::NtHash;
/// use hashsync::sync::{
///     AccountCredentials, Channel, ChannelConfig, Cursor, ItemResult, ObjectGuid,
///     Partition, ReadMode, SourceAccount, SourceItem, StoredHashes,
/// };
///
/// let now = Instant::now();
/// let mut channel = Channel::new(ChannelConfig::new("onprem.contoso.com", "aad"), now)?;
/// channel.begin_cycle(None);
/// let partition = channel.begin_partition(
///     Partition::new("DC=onprem,DC=contoso,DC=com", "onprem.contoso.com")?,
///     ReadMode::Incremental,
/// );
/// let account = SourceAccount::new(
///     ObjectGuid::from_bytes([7; 16]),
///     "alice",
///     AccountCredentials::Stored(StoredHashes {
///         nt_hash: NtHash::from_hex("fc525c9683e8fe067095ba2ddc971889")?,
///         kerberos: None,
///     }),
/// )
/// .with_distinguished_name("CN=alice,CN=Users,DC=onprem,DC=contoso,DC=com")
/// .with_usn(42);
/// channel.handle_source_item(partition, SourceItem::Account(account))?;
/// channel.handle_source_item(partition, SourceItem::Checkpoint(Cursor::new("usn:42")))?;
/// channel.handle_source_end(partition)?;
///
/// let outgoing = channel.poll_batch(now).expect("one item ready");
/// let batch = outgoing.prepare()?; // OrgId hash with a fresh salt
/// assert_eq!(batch.updates[0].usn, 42);
/// // ... send it; the target asks for a retry:
/// channel.handle_batch_results(batch.id, &[ItemResult::FailedRetry], now)?;
/// assert!(channel.poll_commit().is_none(), "not final yet");
/// let wake = channel.poll_timeout();
/// assert!(wake > now && wake <= now + Duration::from_secs(2));
/// channel.handle_timeout(wake);
/// let retry = channel.poll_batch(wake).expect("due");
/// channel.handle_batch_results(retry.id, &[ItemResult::Success], wake)?;
/// assert_eq!(channel.poll_commit().map(|c| c.cursor), Some(Cursor::new("usn:42")));
/// channel.end_cycle();
/// assert!(channel.is_settled());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct Channel {
    config: ChannelConfig,
    rng: SplitMix64,
    partitions: Vec<PartitionTrack>,
    accounts: HashMap<ObjectGuid, AccountSlot>,
    ready: VecDeque<ObjectGuid>,
    retry_timers: BinaryHeap<Reverse<(Instant, u64, ObjectGuid)>>,
    retrying: usize,
    next_timer: u64,
    in_flight: HashMap<BatchId, Vec<ObjectGuid>>,
    next_batch: u64,
    events: VecDeque<Event>,
    commits: VecDeque<CursorCommit>,
    statuses: VecDeque<StatusChange>,
    next_heartbeat: Instant,
    ping_due: bool,
    cycle: CycleState,
    forest: ForestState,
}

impl Channel {
    /// A channel with nothing read yet; `now` starts the heartbeat clock.
    /// Refuses a configuration the engine cannot run
    /// ([`ChannelConfig::validate`]).
    pub fn new(config: ChannelConfig, now: Instant) -> Result<Self, ChannelConfigError> {
        config.validate()?;
        let next_heartbeat = now + config.heartbeat_interval;
        Ok(Self {
            rng: SplitMix64(config.seed),
            config,
            partitions: Vec::new(),
            accounts: HashMap::new(),
            ready: VecDeque::new(),
            retry_timers: BinaryHeap::new(),
            retrying: 0,
            next_timer: 0,
            in_flight: HashMap::new(),
            next_batch: 0,
            events: VecDeque::new(),
            commits: VecDeque::new(),
            statuses: VecDeque::new(),
            next_heartbeat,
            ping_due: false,
            cycle: CycleState::default(),
            forest: ForestState::default(),
        })
    }

    /// The configuration.
    pub fn config(&self) -> &ChannelConfig {
        &self.config
    }

    /// Call when a sync cycle starts, before its partitions; `full_sync`
    /// says why the cycle starts a full sync of the forest, if it does
    /// (617; not repeated while that full sync is still under way).
    pub fn begin_cycle(&mut self, full_sync: Option<FullSyncReason>) {
        self.cycle = CycleState {
            active: true,
            ..CycleState::default()
        };
        if let Some(reason) = full_sync
            && !self.forest.in_full_sync
        {
            self.forest = ForestState {
                in_full_sync: true,
                domains_completed: 0,
            };
            self.push_event(|connector, connector_id| Event::ForestFullSyncStarted {
                connector,
                connector_id,
                reason,
            });
        }
    }

    /// Call when the cycle's partitions have been read and nothing is
    /// ready or in flight (what waits for a retry stays queued for the next
    /// cycle): reports each partition's status, the forest's full-sync
    /// completion (623) if it came, the no-retry count (620, when some)
    /// and the cycle's summary.
    pub fn end_cycle(&mut self) {
        self.report_partition_statuses(false);
        self.check_forest_done();
        let counts = self.cycle.counts;
        let no_retry = self.cycle.no_retry;
        if no_retry > 0 {
            self.push_event(|connector, connector_id| Event::NoRetryObjectsReported {
                connector,
                connector_id,
                count: no_retry,
            });
        }
        let retrying = self.retrying as u64;
        self.push_event(|connector, connector_id| Event::CycleCompleted {
            connector,
            connector_id,
            read: counts.read,
            synced: counts.synced,
            skipped: counts.skipped,
            failed: counts.failed,
            retrying,
        });
        self.cycle = CycleState::default();
    }

    /// Call when the host stops mid-cycle: the partitions begun in it are
    /// reported Interrupted; a full sync under way stays so (its commits
    /// are marked) and resumes at the next start.
    pub fn interrupt_cycle(&mut self) {
        self.report_partition_statuses(true);
        self.cycle = CycleState::default();
    }

    /// Whether the engine wants more source items before sending: false
    /// once a full batch is ready, or while the retry queue could not take
    /// another batch's failures on top of those of the batches in flight
    /// (wait for a retry to come due, or end the partition's read with
    /// [`Channel::handle_source_deferred`]). Feeding only while this holds
    /// keeps memory bounded by the batch and the retry queue, not by the
    /// directory, and a host that reads on while a batch is in flight never
    /// overflows the retry queue by doing so.
    pub fn wants_input(&self) -> bool {
        self.ready.len() < self.config.batch_size
            && self.retrying + self.in_flight() + self.config.batch_size
                <= self.config.retry_queue_limit
    }

    /// Feeds one item of a partition's source stream.
    pub fn handle_source_item(
        &mut self,
        partition: PartitionHandle,
        item: SourceItem,
    ) -> Result<(), ChannelError> {
        let index = self.reading_partition(partition)?;
        match item {
            SourceItem::Account(account) => self.handle_account(index, account),
            SourceItem::Checkpoint(cursor) => {
                let track = &mut self.partitions[index];
                if !track.held {
                    track.read_position = Some(cursor.clone());
                    track.checkpoints.push_back((track.next_seq, cursor));
                    self.try_commit(index);
                }
            }
        }
        Ok(())
    }

    /// The partition's source stream ended normally.
    pub fn handle_source_end(&mut self, partition: PartitionHandle) -> Result<(), ChannelError> {
        let index = self.reading_partition(partition)?;
        let track = &mut self.partitions[index];
        track.reading = false;
        track.read_complete = true;
        self.check_full_sync_done(index);
        Ok(())
    }

    /// The host stops reading the partition before its stream ended (the
    /// retry queue is full and the cycle is over): what was read goes on;
    /// the cursor stays at the last checkpoint fed, so the rest is read
    /// next cycle.
    pub fn handle_source_deferred(
        &mut self,
        partition: PartitionHandle,
    ) -> Result<(), ChannelError> {
        let index = self.reading_partition(partition)?;
        self.partitions[index].reading = false;
        Ok(())
    }

    /// The partition's source failed (611; 621 in a full sync). Items
    /// already read are still delivered, but the cursor stays before the
    /// failure.
    pub fn handle_source_error(
        &mut self,
        partition: PartitionHandle,
        reason: &str,
    ) -> Result<(), ChannelError> {
        let index = self.reading_partition(partition)?;
        let name = self.partition_dn(index);
        let text = reason.to_owned();
        self.push_event(|connector, connector_id| Event::PartitionFailed {
            connector,
            connector_id,
            partition: name,
            reason: text,
        });
        self.hold(index, reason);
        self.partitions[index].reading = false;
        Ok(())
    }

    /// Call when [`Channel::poll_timeout`] passes: moves due retries to the
    /// send queue, and when nothing was sent for the heartbeat interval,
    /// asks for a heartbeat ping ([`Channel::poll_ping`]).
    pub fn handle_timeout(&mut self, now: Instant) {
        self.promote_due_retries(now);
        if now >= self.next_heartbeat {
            if self.ready.is_empty() && self.in_flight.is_empty() {
                self.ping_due = true;
            }
            self.next_heartbeat = now + self.config.heartbeat_interval;
        }
    }

    /// Whether a heartbeat ping is due; if so, reports its start (653).
    /// Ping the target, then hand the outcome to
    /// [`Channel::handle_ping_result`].
    pub fn poll_ping(&mut self) -> bool {
        if !std::mem::take(&mut self.ping_due) {
            return false;
        }
        let retrying = self.retrying as u64;
        self.push_event(|connector, connector_id| Event::PingStarted {
            connector,
            connector_id,
            retrying,
        });
        true
    }

    /// The heartbeat ping's outcome: its end (654) or its error (655).
    pub fn handle_ping_result(&mut self, result: Result<(), &str>) {
        let retrying = self.retrying as u64;
        match result {
            Ok(()) => self.push_event(|connector, connector_id| Event::PingCompleted {
                connector,
                connector_id,
                retrying,
            }),
            Err(reason) => {
                let reason = reason.to_owned();
                self.push_event(|connector, connector_id| Event::PingFailed {
                    connector,
                    connector_id,
                    reason,
                });
            }
        }
    }

    /// When the engine next needs [`Channel::handle_timeout`]: the earliest
    /// retry or the next heartbeat.
    pub fn poll_timeout(&self) -> Instant {
        match self.next_retry() {
            Some(at) => at.min(self.next_heartbeat),
            None => self.next_heartbeat,
        }
    }

    /// The next event to log.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// The next cursor to persist (in order; persist before acting on later ones).
    pub fn poll_commit(&mut self) -> Option<CursorCommit> {
        self.commits.pop_front()
    }

    /// The next partition status change.
    pub fn poll_status(&mut self) -> Option<StatusChange> {
        self.statuses.pop_front()
    }

    /// True when nothing is queued, in flight or waiting for a retry, and
    /// no partition is being read.
    pub fn is_settled(&self) -> bool {
        self.accounts.is_empty()
            && self.in_flight.is_empty()
            && self.partitions.iter().all(|p| !p.reading)
    }

    /// True when nothing is ready to send or in flight (retries may wait).
    pub fn is_idle(&self) -> bool {
        self.ready.is_empty() && self.in_flight.is_empty()
    }

    /// Whether the forest is in a full sync.
    pub fn in_full_sync(&self) -> bool {
        self.forest.in_full_sync
    }

    /// Items waiting for a retry.
    pub fn retrying(&self) -> usize {
        self.retrying
    }

    /// Items in flight.
    pub fn in_flight(&self) -> usize {
        self.in_flight.values().map(Vec::len).sum()
    }

    fn reading_partition(&self, partition: PartitionHandle) -> Result<usize, ChannelError> {
        let track = self
            .partitions
            .get(partition.0)
            .ok_or(ChannelError::UnknownPartition(partition.0))?;
        if !track.reading {
            return Err(ChannelError::PartitionNotReading(partition.0));
        }
        Ok(partition.0)
    }

    fn push_event(&mut self, build: impl FnOnce(String, uuid::Uuid) -> Event) {
        let event = build(
            self.config.source_connector.clone(),
            self.config.source_connector_id,
        );
        self.events.push_back(event);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn backoff_doubles_caps_and_jitters_within_half() {
        let backoff = Backoff {
            initial: Duration::from_secs(2),
            max: Duration::from_secs(60),
        };
        assert_eq!(backoff.delay(1, 0.0), Duration::from_secs(1));
        let top = backoff.delay(1, 0.999_999);
        assert!(top < Duration::from_secs(2) && top > Duration::from_millis(1999));
        assert_eq!(backoff.delay(3, 0.0), Duration::from_secs(4));
        assert_eq!(backoff.delay(20, 0.0), Duration::from_secs(30));
        assert_eq!(backoff.delay(40, 0.5), Duration::from_secs(45));
    }
}
