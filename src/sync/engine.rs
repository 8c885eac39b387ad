//! The sans-I/O state machine of one channel (source connector -> target
//! connector).
//!
//! Like quinn-proto's `Connection`, a [`Channel`] owns no thread, clock,
//! socket, file or random source. The host feeds it source items
//! ([`Channel::handle_source_item`]), transport results
//! ([`Channel::handle_batch_results`], [`Channel::handle_batch_error`]) and
//! the time ([`Channel::handle_timeout`]), and pulls work: batches to send
//! ([`Channel::poll_batch`]), cursors to persist ([`Channel::poll_commit`]),
//! events ([`Channel::poll_event`]), partition status changes
//! ([`Channel::poll_status`]) and when to wake it next
//! ([`Channel::poll_timeout`]). Retry jitter comes from a seeded generator,
//! so a run is reproducible.
//!
//! Guarantees:
//! - per account at most one update is in flight, and a newer change (by
//!   USN) is never overwritten by an older one: older queued changes are
//!   dropped, an older change that fails is not retried once a newer one
//!   waits;
//! - a partition's cursor is committed only when every account the source
//!   emitted before it has a final result (stored, no-retry, or replaced by
//!   a newer change), so a restart from the persisted cursor loses nothing;
//! - the retry queue is bounded; a failed change that does not fit is
//!   reported (event 655) and the partition's cursor is held where it was,
//!   so the change is read again next cycle.

use crate::model::Partition;
use std::cmp::Reverse;
use std::collections::{BTreeSet, BinaryHeap, HashMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::crypto::{AccountSaltAttributes, Iterations, Salt};
use crate::secret::AD_MAX_PASSWORD_UNITS;

use super::credential::{
    AccountCredentials, ObjectGuid, RequestCredentials, SourceAccount, UpdateRequest,
};
use super::cursor::{Cursor, CursorCommit};
use super::event::{Event, FullSyncReason, ItemOutcome};
use super::scope::{ScopeDecision, ScopePolicy, SkipReason};
use super::source::SourceItem;
use super::transport::{BatchId, ItemResult};

/// Entra Connect's largest upload batch.
pub const MAX_BATCH_SIZE: usize = 50;

/// Exponential backoff with jitter for failed items.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Backoff {
    /// Delay before the first retry.
    pub initial: Duration,
    /// Longest delay.
    pub max: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Self {
            initial: Duration::from_secs(2),
            max: Duration::from_secs(300),
        }
    }
}

impl Backoff {
    /// The delay before retry number `attempt` (1-based): `initial * 2^(attempt-1)`
    /// capped at `max`, then "equal jitter": half fixed, half drawn from
    /// `unit` (a number in `[0, 1)`).
    pub fn delay(&self, attempt: u32, unit: f64) -> Duration {
        let exponent = attempt.saturating_sub(1).min(31);
        let base = self.initial.saturating_mul(1u32 << exponent).min(self.max);
        let half = base / 2;
        half + half.mul_f64(unit.clamp(0.0, 1.0))
    }
}

/// How a channel is configured. [`ChannelConfig::new`] gives Entra Connect's
/// defaults.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct ChannelConfig {
    /// Source (AD) connector name.
    pub source_connector: String,
    /// Target (Entra ID) connector name.
    pub target_connector: String,
    /// Which accounts are synced.
    pub scope: ScopePolicy,
    /// Whether the managed domain syncs NTLM passwords; when not, a random
    /// NT hash is sent as the legacy credential (the OrgId hash still comes
    /// from the real one).
    pub sync_ntlm_passwords: bool,
    /// Items per batch, 1 to [`MAX_BATCH_SIZE`].
    pub batch_size: usize,
    /// Items that may wait for a retry at once (2000 in Entra Connect).
    pub retry_queue_limit: usize,
    /// Retry backoff.
    pub backoff: Backoff,
    /// Idle time between heartbeats (about 30 minutes in Entra Connect).
    pub heartbeat_interval: Duration,
    /// A full-sync progress event every this many accounts read.
    pub progress_interval: u64,
    /// OrgId hash iteration count (1000).
    pub org_id_iterations: Iterations,
    /// Seed of the retry jitter.
    pub seed: u64,
}

impl ChannelConfig {
    /// A channel between two connectors with Entra Connect's defaults.
    pub fn new(source_connector: impl Into<String>, target_connector: impl Into<String>) -> Self {
        Self {
            source_connector: source_connector.into(),
            target_connector: target_connector.into(),
            scope: ScopePolicy::default(),
            sync_ntlm_passwords: true,
            batch_size: MAX_BATCH_SIZE,
            retry_queue_limit: 2000,
            backoff: Backoff::default(),
            heartbeat_interval: Duration::from_secs(30 * 60),
            progress_interval: 1000,
            org_id_iterations: Iterations::ORG_ID_DEFAULT,
            seed: 0,
        }
    }
}

/// How a partition is read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ReadMode {
    /// Every account (full sync).
    Full,
    /// Changes since the saved cursor.
    Incremental,
}

/// A partition's sync status, as Entra Connect records it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PartitionStatus {
    /// Reading or sending.
    InProgress,
    /// Every account read has a final result; the cursor is committed.
    Successful,
    /// A source error or a retry-queue overflow; the cursor was held back.
    Failed,
}

/// A partition status change, for the host's sync-state record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatusChange {
    /// Partition name.
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

/// A batch the engine wants sent. Prepare it into a
/// [`Batch`](super::transport::Batch) (computes OrgId hashes), send it, and
/// hand the results back under [`OutgoingBatch::id`].
#[derive(Debug)]
pub struct OutgoingBatch {
    /// Id to hand back with the results.
    pub id: BatchId,
    /// Source connector name.
    pub source_connector: String,
    /// Target connector name.
    pub target_connector: String,
    /// What to prepare, in order.
    pub requests: Vec<Arc<UpdateRequest>>,
}

impl OutgoingBatch {
    /// Prepares every request on this thread (several SIMD chains at once).
    pub fn prepare(&self) -> crate::Result<super::transport::Batch> {
        self.prepare_on(1)
    }

    /// Prepares every request on `threads` threads (a batch is too small for
    /// the bulk API's own work split), each running several SIMD chains.
    pub(crate) fn prepare_on(&self, threads: usize) -> crate::Result<super::transport::Batch> {
        let requests: Vec<&UpdateRequest> = self.requests.iter().map(|r| &**r).collect();
        if threads <= 1 || requests.len() < 2 || cfg!(not(feature = "parallel")) {
            let updates = super::credential::prepare_all(&requests)?;
            return Ok(self.with_updates(updates));
        }
        // On rayon's persistent pool: spawning fresh threads for every
        // batch of 50 cost about a fifth of the hashing time.
        let chunk = requests.len().div_ceil(threads);
        #[cfg(feature = "parallel")]
        let parts: Vec<crate::Result<Vec<_>>> = {
            use rayon::prelude::*;
            requests
                .par_chunks(chunk)
                .map(super::credential::prepare_all)
                .collect()
        };
        #[cfg(not(feature = "parallel"))]
        let parts: Vec<crate::Result<Vec<_>>> = requests
            .chunks(chunk)
            .map(super::credential::prepare_all)
            .collect();
        let mut updates = Vec::with_capacity(requests.len());
        for part in parts {
            updates.extend(part?);
        }
        Ok(self.with_updates(updates))
    }

    /// The transport batch holding `updates` (prepared from
    /// [`OutgoingBatch::requests`], in order).
    pub fn with_updates(
        &self,
        updates: Vec<super::credential::CredentialUpdate>,
    ) -> super::transport::Batch {
        super::transport::Batch {
            id: self.id,
            source_connector: self.source_connector.clone(),
            target_connector: self.target_connector.clone(),
            updates,
        }
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Counts {
    read: u64,
    synced: u64,
    skipped: u64,
    failed: u64,
}

#[derive(Debug)]
struct PartitionTrack {
    info: Partition,
    mode: ReadMode,
    next_seq: u64,
    /// Sequence numbers of emitted in-scope accounts without a final result.
    unfinished: BTreeSet<u64>,
    /// `(boundary, cursor)`: committable once every seq below `boundary` is final.
    checkpoints: VecDeque<(u64, Cursor)>,
    /// No more commits in this read (source error or retry overflow).
    held: bool,
    held_reason: Option<String>,
    reading: bool,
    finished: bool,
    counts: Counts,
}

#[derive(Debug)]
struct Entry {
    partition: usize,
    seq: u64,
    usn: u64,
    request: Arc<UpdateRequest>,
    attempts: u32,
    retry_at: Option<Instant>,
    timer: u64,
}

#[derive(Debug, Default)]
struct AccountSlot {
    in_flight: Option<Entry>,
    waiting: Option<Entry>,
    queued: bool,
}

#[derive(Debug, Default)]
struct CycleState {
    active: bool,
    input_done: bool,
    full_sync: Option<FullSyncReason>,
    counts: Counts,
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
/// ([`Channel::poll_status`]) and when to wake it next
/// ([`Channel::poll_timeout`]). Retry jitter comes from a seeded generator,
/// so a run is reproducible.
///
/// Guarantees:
/// - per account at most one update is in flight, and a newer change (by
///   USN) is never overwritten by an older one: older queued changes are
///   dropped, an older change that fails is not retried once a newer one
///   waits;
/// - a partition's cursor is committed only when every account the source
///   emitted before it has a final result (stored, no-retry, or replaced by
///   a newer change), so a restart from the persisted cursor loses nothing;
/// - the retry queue is bounded; a failed change that does not fit is
///   reported (event 655) and the partition's cursor is held where it was,
///   so the change is read again next cycle.
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
/// let mut channel = Channel::new(ChannelConfig::new("onprem.contoso.com", "aad"), now);
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
    cycle: CycleState,
}

impl Channel {
    /// A channel with nothing read yet; `now` starts the heartbeat clock.
    pub fn new(mut config: ChannelConfig, now: Instant) -> Self {
        config.batch_size = config.batch_size.clamp(1, MAX_BATCH_SIZE);
        let next_heartbeat = now + config.heartbeat_interval;
        Self {
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
            cycle: CycleState::default(),
        }
    }

    /// The configuration.
    pub fn config(&self) -> &ChannelConfig {
        &self.config
    }

    /// Call when a sync cycle starts, before its partitions; `full_sync`
    /// says why the cycle is a full sync, if it is (event 617).
    pub fn begin_cycle(&mut self, full_sync: Option<FullSyncReason>) {
        self.cycle = CycleState {
            active: true,
            input_done: false,
            full_sync,
            counts: Counts::default(),
        };
        if let Some(reason) = full_sync {
            self.push_event(|connector| Event::ForestFullSyncStarted { connector, reason });
        }
    }

    /// Call when every partition of the cycle has been read (or failed):
    /// the cycle's summary events follow once every result is final.
    pub fn end_cycle_input(&mut self) {
        self.cycle.input_done = true;
        self.check_cycle_done();
    }

    /// Call before feeding a partition's source stream.
    pub fn begin_partition(&mut self, info: Partition, mode: ReadMode) -> PartitionHandle {
        let index = match self
            .partitions
            .iter()
            .position(|p| p.info.dn() == info.dn())
        {
            Some(index) => index,
            None => {
                self.partitions.push(PartitionTrack {
                    info,
                    mode,
                    next_seq: 0,
                    unfinished: BTreeSet::new(),
                    checkpoints: VecDeque::new(),
                    held: false,
                    held_reason: None,
                    reading: false,
                    finished: true,
                    counts: Counts::default(),
                });
                self.partitions.len() - 1
            }
        };
        let track = &mut self.partitions[index];
        track.mode = mode;
        track.held = false;
        track.held_reason = None;
        track.reading = true;
        track.finished = false;
        track.counts = Counts::default();
        let partition = track.info.dn().to_owned();
        if mode == ReadMode::Full {
            let partition = partition.clone();
            self.push_event(|connector| Event::DomainFullSyncStarted {
                connector,
                partition,
            });
        }
        self.statuses.push_back(StatusChange {
            partition,
            status: PartitionStatus::InProgress,
        });
        PartitionHandle(index)
    }

    /// Whether the engine wants more source items before sending: false
    /// once a full batch is ready, or while the retry queue could not take
    /// another batch's failures (wait for [`Channel::poll_timeout`] then).
    /// Feeding only while this holds keeps memory bounded by the batch and
    /// the retry queue, not by the directory.
    pub fn wants_input(&self) -> bool {
        self.ready.len() < self.config.batch_size
            && self.retrying + self.config.batch_size <= self.config.retry_queue_limit
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
        self.partitions[index].reading = false;
        self.check_partition_done(index);
        Ok(())
    }

    /// The partition's source failed (event 611). Items already read are
    /// still delivered, but the cursor stays before the failure.
    pub fn handle_source_error(
        &mut self,
        partition: PartitionHandle,
        reason: &str,
    ) -> Result<(), ChannelError> {
        let index = self.reading_partition(partition)?;
        let name = self.partitions[index].info.dn().to_owned();
        self.hold(index, reason);
        self.partitions[index].reading = false;
        let reason = reason.to_owned();
        self.push_event(|connector| Event::PartitionFailed {
            connector,
            partition: name,
            reason,
        });
        self.check_partition_done(index);
        Ok(())
    }

    /// The next batch to send, if any item is ready (due retries included).
    pub fn poll_batch(&mut self, now: Instant) -> Option<OutgoingBatch> {
        self.promote_due_retries(now);
        let mut guids = Vec::new();
        let mut requests = Vec::new();
        while guids.len() < self.config.batch_size {
            let Some(guid) = self.ready.pop_front() else {
                break;
            };
            let Some(slot) = self.accounts.get_mut(&guid) else {
                continue;
            };
            slot.queued = false;
            let due = slot.waiting.as_ref().is_some_and(|w| w.retry_at.is_none());
            if slot.in_flight.is_some() || !due {
                continue;
            }
            let Some(mut entry) = slot.waiting.take() else {
                continue;
            };
            entry.attempts += 1;
            requests.push(Arc::clone(&entry.request));
            slot.in_flight = Some(entry);
            guids.push(guid);
        }
        if guids.is_empty() {
            return None;
        }
        let id = BatchId(self.next_batch);
        self.next_batch += 1;
        self.next_heartbeat = now + self.config.heartbeat_interval;
        let count = guids.len() as u64;
        self.in_flight.insert(id, guids);
        let target = self.config.target_connector.clone();
        self.push_event(|connector| Event::BatchStarted {
            connector,
            target,
            batch: id.0,
            count,
        });
        Some(OutgoingBatch {
            id,
            source_connector: self.config.source_connector.clone(),
            target_connector: self.config.target_connector.clone(),
            requests,
        })
    }

    /// The target's per-item results for a batch, in the batch's order. A
    /// result list of the wrong length counts as a failed batch.
    pub fn handle_batch_results(
        &mut self,
        batch: BatchId,
        results: &[ItemResult],
        now: Instant,
    ) -> Result<(), ChannelError> {
        let expected = self
            .in_flight
            .get(&batch)
            .ok_or(ChannelError::UnknownBatch(batch.0))?
            .len();
        if results.len() != expected {
            let reason = format!(
                "transport returned {} results for {expected} items",
                results.len()
            );
            return self.handle_batch_error(batch, &reason, now);
        }
        let guids = self.in_flight.remove(&batch).unwrap_or_default();
        let (mut succeeded, mut retrying, mut failed) = (0, 0, 0);
        for (guid, result) in guids.into_iter().zip(results) {
            match self.handle_item_result(guid, *result, now) {
                Some(ItemOutcome::Success) => succeeded += 1,
                Some(ItemOutcome::Retrying) => retrying += 1,
                Some(_) => failed += 1,
                None => {}
            }
        }
        let target = self.config.target_connector.clone();
        self.push_event(|connector| Event::BatchCompleted {
            connector,
            target,
            batch: batch.0,
            succeeded,
            retrying,
            failed,
        });
        Ok(())
    }

    /// The whole batch failed at the transport (event 652); every item is
    /// treated as a retryable failure.
    pub fn handle_batch_error(
        &mut self,
        batch: BatchId,
        reason: &str,
        now: Instant,
    ) -> Result<(), ChannelError> {
        let guids = self
            .in_flight
            .remove(&batch)
            .ok_or(ChannelError::UnknownBatch(batch.0))?;
        let target = self.config.target_connector.clone();
        let count = guids.len() as u64;
        let reason = reason.to_owned();
        self.push_event(|connector| Event::BatchFailed {
            connector,
            target,
            batch: batch.0,
            count,
            reason,
        });
        for guid in guids {
            self.handle_item_result(guid, ItemResult::FailedRetry, now);
        }
        Ok(())
    }

    /// Call when [`Channel::poll_timeout`] passes: moves due retries to the
    /// send queue and emits a heartbeat (653) when idle.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.promote_due_retries(now);
        if now >= self.next_heartbeat {
            if self.ready.is_empty() && self.in_flight.is_empty() {
                let retrying = self.retrying as u64;
                self.push_event(|connector| Event::Heartbeat {
                    connector,
                    retrying,
                });
            }
            self.next_heartbeat = now + self.config.heartbeat_interval;
        }
    }

    /// When the engine next needs [`Channel::handle_timeout`]: the earliest
    /// retry or the next heartbeat.
    pub fn poll_timeout(&self) -> Instant {
        match self.retry_timers.peek() {
            Some(Reverse((at, _, _))) => (*at).min(self.next_heartbeat),
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

    fn handle_account(&mut self, index: usize, account: SourceAccount) {
        let track = &mut self.partitions[index];
        let seq = track.next_seq;
        track.next_seq += 1;
        track.counts.read += 1;
        self.cycle.counts.read += 1;
        let read = track.counts.read;
        if track.mode == ReadMode::Full && read.is_multiple_of(self.config.progress_interval.max(1))
        {
            self.progress_event(index);
        }
        let request = match self.config.scope.decide(&account) {
            ScopeDecision::Skip(reason) => {
                return self.skip(index, &account, reason, None);
            }
            ScopeDecision::Sync {
                force_change_on_logon,
            } => match self.build_request(index, &account, force_change_on_logon) {
                Ok(request) => request,
                Err(detail) => {
                    return self.skip(index, &account, SkipReason::InvalidInput, Some(detail));
                }
            },
        };
        let partition = self.partitions[index].info.dn().to_owned();
        let event = Event::PasswordChangeRequest {
            connector: self.config.source_connector.clone(),
            partition,
            source_anchor: account.object_guid.source_anchor(),
            distinguished_name: account.distinguished_name,
            sam_account_name: account.sam_account_name,
            usn: account.usn,
            force_change_on_logon: request.force_change_on_logon,
        };
        self.events.push_back(event);
        self.partitions[index].unfinished.insert(seq);
        let entry = Entry {
            partition: index,
            seq,
            usn: account.usn,
            request: Arc::new(request),
            attempts: 0,
            retry_at: None,
            timer: 0,
        };
        self.enqueue(account.object_guid, entry);
    }

    fn build_request(
        &self,
        index: usize,
        account: &SourceAccount,
        force_change_on_logon: bool,
    ) -> Result<UpdateRequest, String> {
        let info = &self.partitions[index].info;
        let credentials = match &account.credentials {
            AccountCredentials::Cleartext(password) => {
                password.check_ad_length().map_err(|_| {
                    format!(
                        "password is {} UTF-16 units long; Active Directory allows at most {}",
                        password.len_utf16(),
                        AD_MAX_PASSWORD_UNITS
                    )
                })?;
                let salt = Salt::for_account(&AccountSaltAttributes {
                    realm: info.realm(),
                    dns_domain: info.dns_name(),
                    sam_account_name: &account.sam_account_name,
                    user_principal_name: account.user_principal_name.as_deref(),
                    user_account_control: account.user_account_control,
                })
                .map_err(|err| err.to_string())?;
                RequestCredentials::Cleartext {
                    password: password.clone(),
                    salt,
                }
            }
            AccountCredentials::Stored(stored) => RequestCredentials::Stored(stored.clone()),
        };
        Ok(UpdateRequest {
            object_guid: account.object_guid,
            distinguished_name: account.distinguished_name.clone(),
            sam_account_name: account.sam_account_name.clone(),
            usn: account.usn,
            credentials,
            force_change_on_logon,
            send_real_nt_hash: self.config.sync_ntlm_passwords,
            org_id_iterations: self.config.org_id_iterations,
        })
    }

    fn skip(
        &mut self,
        index: usize,
        account: &SourceAccount,
        reason: SkipReason,
        detail: Option<String>,
    ) {
        self.partitions[index].counts.skipped += 1;
        self.cycle.counts.skipped += 1;
        let event = Event::AccountSkipped {
            connector: self.config.source_connector.clone(),
            partition: self.partitions[index].info.dn().to_owned(),
            source_anchor: account.object_guid.source_anchor(),
            sam_account_name: account.sam_account_name.clone(),
            usn: account.usn,
            reason,
            detail,
        };
        self.events.push_back(event);
    }

    /// Puts a fresh change in its account's slot, coalescing by USN.
    fn enqueue(&mut self, guid: ObjectGuid, entry: Entry) {
        let slot = self.accounts.entry(guid).or_default();
        let stale_vs_flight = slot.in_flight.as_ref().is_some_and(|f| f.usn > entry.usn);
        let stale_vs_waiting = slot.waiting.as_ref().is_some_and(|w| w.usn > entry.usn);
        let finished = if stale_vs_flight || stale_vs_waiting {
            Some((entry.partition, entry.seq))
        } else {
            let replaced = slot.waiting.replace(entry);
            if replaced.as_ref().is_some_and(|old| old.retry_at.is_some()) {
                self.retrying -= 1;
            }
            replaced.map(|old| (old.partition, old.seq))
        };
        let due = slot.waiting.as_ref().is_some_and(|w| w.retry_at.is_none());
        if slot.in_flight.is_none() && !slot.queued && due {
            slot.queued = true;
            self.ready.push_back(guid);
        }
        if let Some((partition, seq)) = finished {
            self.finish(partition, seq);
        }
    }

    /// Applies one item's result; returns the outcome, or `None` when the
    /// account had nothing in flight (a host bug, ignored).
    fn handle_item_result(
        &mut self,
        guid: ObjectGuid,
        result: ItemResult,
        now: Instant,
    ) -> Option<ItemOutcome> {
        let slot = self.accounts.get_mut(&guid)?;
        let mut entry = slot.in_flight.take()?;
        let newer_waiting = slot.waiting.is_some();
        let mut retry_in = None;
        let outcome = match result {
            ItemResult::Success => ItemOutcome::Success,
            ItemResult::FailedNoRetry => ItemOutcome::NoRetry,
            ItemResult::FailedRetry if newer_waiting => ItemOutcome::Superseded,
            ItemResult::FailedRetry if self.retrying >= self.config.retry_queue_limit => {
                ItemOutcome::Overflowed
            }
            ItemResult::FailedRetry => ItemOutcome::Retrying,
        };
        let request = Arc::clone(&entry.request);
        let (partition, seq, usn, attempt) =
            (entry.partition, entry.seq, entry.usn, entry.attempts);
        if outcome == ItemOutcome::Retrying {
            let delay = self.config.backoff.delay(attempt, self.rng.next_unit());
            let at = now + delay;
            self.next_timer += 1;
            entry.retry_at = Some(at);
            entry.timer = self.next_timer;
            self.retry_timers.push(Reverse((at, self.next_timer, guid)));
            self.retrying += 1;
            retry_in = Some(u64::try_from(delay.as_millis()).unwrap_or(u64::MAX));
            if let Some(slot) = self.accounts.get_mut(&guid) {
                slot.waiting = Some(entry);
            }
        } else if let Some(slot) = self.accounts.get_mut(&guid) {
            if slot.waiting.is_some() && !slot.queued {
                slot.queued = true;
                self.ready.push_back(guid);
            }
            if slot.waiting.is_none() {
                self.accounts.remove(&guid);
            }
        }
        let counts = &mut self.partitions[partition].counts;
        match outcome {
            ItemOutcome::Success => {
                counts.synced += 1;
                self.cycle.counts.synced += 1;
            }
            ItemOutcome::NoRetry | ItemOutcome::Overflowed => {
                counts.failed += 1;
                self.cycle.counts.failed += 1;
            }
            _ => {}
        }
        if outcome == ItemOutcome::Overflowed {
            let limit = self.config.retry_queue_limit as u64;
            let event = Event::RetryQueueOverflow {
                connector: self.config.source_connector.clone(),
                partition: self.partitions[partition].info.dn().to_owned(),
                source_anchor: guid.source_anchor(),
                sam_account_name: request.sam_account_name.clone(),
                usn,
                limit,
            };
            self.events.push_back(event);
            self.hold(partition, "retry queue overflow");
        }
        let event = Event::PasswordChangeResult {
            connector: self.config.source_connector.clone(),
            source_anchor: guid.source_anchor(),
            sam_account_name: request.sam_account_name.clone(),
            usn,
            outcome,
            attempt,
            retry_in_ms: retry_in,
        };
        self.events.push_back(event);
        if outcome != ItemOutcome::Retrying {
            self.finish(partition, seq);
        }
        Some(outcome)
    }

    fn promote_due_retries(&mut self, now: Instant) {
        while let Some(Reverse((at, timer, guid))) = self.retry_timers.peek().copied() {
            if at > now {
                break;
            }
            self.retry_timers.pop();
            let Some(slot) = self.accounts.get_mut(&guid) else {
                continue;
            };
            let Some(entry) = slot.waiting.as_mut() else {
                continue;
            };
            if entry.timer != timer || entry.retry_at.is_none() {
                continue;
            }
            entry.retry_at = None;
            self.retrying -= 1;
            if slot.in_flight.is_none() && !slot.queued {
                slot.queued = true;
                self.ready.push_back(guid);
            }
        }
    }

    /// Stops commits for the rest of this read: later checkpoints would
    /// skip a change that is not final.
    fn hold(&mut self, index: usize, reason: &str) {
        let track = &mut self.partitions[index];
        track.held = true;
        track.checkpoints.clear();
        if track.held_reason.is_none() {
            track.held_reason = Some(reason.to_owned());
        }
    }

    /// A change of partition `index` has a final result.
    fn finish(&mut self, index: usize, seq: u64) {
        self.partitions[index].unfinished.remove(&seq);
        self.try_commit(index);
        self.check_partition_done(index);
    }

    fn try_commit(&mut self, index: usize) {
        let track = &mut self.partitions[index];
        if track.held {
            return;
        }
        let low = track.unfinished.first().copied().unwrap_or(track.next_seq);
        let mut last = None;
        while track
            .checkpoints
            .front()
            .is_some_and(|(boundary, _)| *boundary <= low)
        {
            last = track.checkpoints.pop_front();
        }
        if let Some((_, cursor)) = last {
            let partition = track.info.dn().to_owned();
            self.commits.push_back(CursorCommit {
                partition: partition.clone(),
                cursor,
            });
            self.push_event(|connector| Event::CursorCommitted {
                connector,
                partition,
            });
        }
    }

    fn check_partition_done(&mut self, index: usize) {
        let track = &mut self.partitions[index];
        if track.reading || track.finished || !track.unfinished.is_empty() {
            return;
        }
        track.finished = true;
        let failed = track.held;
        let partition = track.info.dn().to_owned();
        let mode = track.mode;
        let counts = track.counts;
        let reason = track.held_reason.clone().unwrap_or_default();
        if mode == ReadMode::Full {
            let partition = partition.clone();
            if failed {
                self.push_event(|connector| Event::DomainFullSyncFailed {
                    connector,
                    partition,
                    reason,
                });
            } else {
                self.push_event(|connector| Event::DomainFullSyncCompleted {
                    connector,
                    partition,
                    read: counts.read,
                    synced: counts.synced,
                    skipped: counts.skipped,
                    failed: counts.failed,
                });
            }
        }
        self.statuses.push_back(StatusChange {
            partition,
            status: if failed {
                PartitionStatus::Failed
            } else {
                PartitionStatus::Successful
            },
        });
        self.check_cycle_done();
    }

    fn check_cycle_done(&mut self) {
        if !self.cycle.active
            || !self.cycle.input_done
            || self.partitions.iter().any(|p| !p.finished)
        {
            return;
        }
        self.cycle.active = false;
        let counts = self.cycle.counts;
        if self.cycle.full_sync.is_some() {
            let failed_domains = self.partitions.iter().filter(|p| p.held).count() as u64;
            let domains = self.partitions.len() as u64;
            if failed_domains > 0 {
                self.push_event(|connector| Event::ForestFullSyncFailed {
                    connector,
                    failed_domains,
                });
            } else {
                self.push_event(|connector| Event::ForestFullSyncCompleted { connector, domains });
            }
        }
        self.push_event(|connector| Event::CycleCompleted {
            connector,
            read: counts.read,
            synced: counts.synced,
            skipped: counts.skipped,
            failed: counts.failed,
        });
    }

    fn progress_event(&mut self, index: usize) {
        let track = &self.partitions[index];
        let partition = track.info.dn().to_owned();
        let counts = track.counts;
        self.push_event(|connector| Event::DomainFullSyncProgress {
            connector,
            partition,
            read: counts.read,
            synced: counts.synced,
            skipped: counts.skipped,
            failed: counts.failed,
        });
    }

    fn push_event(&mut self, build: impl FnOnce(String) -> Event) {
        self.events
            .push_back(build(self.config.source_connector.clone()));
    }
}

/// SplitMix64: a small, seedable generator for retry jitter (not for secrets).
#[derive(Clone, Debug)]
struct SplitMix64(u64);

impl SplitMix64 {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `[0, 1)`.
    fn next_unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn splitmix_is_deterministic_and_in_unit_range() {
        let mut a = SplitMix64(7);
        let mut b = SplitMix64(7);
        for _ in 0..1000 {
            let x = a.next_unit();
            assert_eq!(x, b.next_unit());
            assert!((0.0..1.0).contains(&x));
        }
    }
}
