//! A thin blocking driver: runs channels over a source per channel, one
//! transport and one cursor store, in Entra Connect's 2-minute cycle.
//!
//! A cycle, per channel: read every partition (a full sync, a full sync
//! resumed from its marked cursor, or the changes since the saved cursor),
//! feeding the engine only while it wants input, so memory is bounded by
//! the batch; prepare each batch with every core (the OrgId hash dominates
//! the cost); send it; hand the results back; persist each cursor commit at
//! once; record each partition's sync state. A cycle never waits for
//! changes that keep failing: they stay in the retry queue, with backoff,
//! for the next cycle. [`Driver::run`] repeats cycles every two minutes on
//! its [`Clock`], with a heartbeat ping after 30 minutes without changes,
//! until its [`StopHandle`] stops it.

use std::time::{Duration, Instant};

use uuid::Uuid;

use crate::error::{ConfigError, DriverError};
use crate::model::{PartitionSyncState, PasswordSyncStatus, SyncConfiguration, Timestamp};

use super::cursor::CursorStore;
use super::engine::{Channel, ChannelConfig, OutgoingBatch, PartitionStatus, StatusChange};
use super::event::{Event, FullSyncReason};
use super::source::ChangeSource;
use super::transport::{Batch, Transport};

mod clock;
mod cycle;
mod preparing;

pub use clock::{Clock, StopHandle, SystemClock, VirtualClock};

use cycle::Parts;
use preparing::Preparations;

/// Entra Connect's password sync cycle: every 2 minutes (not configurable).
pub const CYCLE_INTERVAL: Duration = Duration::from_secs(120);

/// What the driver tells the host as it runs. Every method has an empty
/// default; `()` observes nothing.
///
/// Host errors arrive typed: the source's and the transport's own error
/// values, as `dyn Error` a host downcasts to its type; events carry only
/// their text for the log.
pub trait Observer {
    /// An engine event.
    fn event(&mut self, event: &Event) {
        let _ = event;
    }

    /// A partition's status changed (the driver records the sync state
    /// itself: [`Driver::partition_sync_states`]).
    fn status(&mut self, connector: &str, change: &StatusChange) {
        let _ = (connector, change);
    }

    /// The source failed: listing partitions (`partition` is `None`) or
    /// reading one.
    fn source_error(
        &mut self,
        connector: &str,
        partition: Option<&str>,
        error: &(dyn std::error::Error + 'static),
    ) {
        let _ = (connector, partition, error);
    }

    /// The transport failed a whole batch, or the heartbeat ping.
    fn transport_error(&mut self, connector: &str, error: &(dyn std::error::Error + 'static)) {
        let _ = (connector, error);
    }
}

impl Observer for () {}

impl<O: Observer + ?Sized> Observer for &mut O {
    fn event(&mut self, event: &Event) {
        (**self).event(event);
    }

    fn status(&mut self, connector: &str, change: &StatusChange) {
        (**self).status(connector, change);
    }

    fn source_error(
        &mut self,
        connector: &str,
        partition: Option<&str>,
        error: &(dyn std::error::Error + 'static),
    ) {
        (**self).source_error(connector, partition, error);
    }

    fn transport_error(&mut self, connector: &str, error: &(dyn std::error::Error + 'static)) {
        (**self).transport_error(connector, error);
    }
}

/// How a run ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum RunOutcome {
    /// Every channel is settled: each change read has a final result.
    Settled,
    /// The cycle ended with changes waiting in the retry queue; later
    /// cycles retry them.
    Retrying {
        /// Objects in the retry queues.
        queued: usize,
    },
    /// The batch limit was reached (a simulated crash): the last batch was
    /// sent but its results were never handed to the engine.
    Interrupted,
    /// The stop handle stopped the run (after the batch in flight).
    Stopped,
}

/// One partition's password-sync state as the driver records it, as
/// `Get-ADSyncPartitionPasswordSyncState` reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct PartitionSyncRecord {
    /// The source connector's name.
    pub connector: String,
    /// The source connector's identifier.
    pub connector_id: Uuid,
    /// The partition's DN.
    pub partition: String,
    /// Last cycle, last successful cycle, status.
    pub state: PartitionSyncState,
}

impl PartitionSyncRecord {
    fn record(
        records: &mut Vec<Self>,
        connector: &str,
        connector_id: Uuid,
        change: &StatusChange,
        now: Timestamp,
    ) {
        let index = match records
            .iter()
            .position(|r| r.connector == connector && r.partition == change.partition)
        {
            Some(index) => index,
            None => {
                records.push(Self {
                    connector: connector.to_owned(),
                    connector_id,
                    partition: change.partition.clone(),
                    state: PartitionSyncState::default(),
                });
                records.len() - 1
            }
        };
        let state = &mut records[index].state;
        let outcome = match change.status {
            PartitionStatus::InProgress => return state.begin_cycle(now),
            PartitionStatus::Successful => PasswordSyncStatus::Successful,
            PartitionStatus::Failed => PasswordSyncStatus::Failed,
            PartitionStatus::Interrupted => PasswordSyncStatus::Interrupted,
        };
        // A status for a cycle not begun (a host feeding the engine by
        // hand) has nothing to end.
        let _ = state.end_cycle(now, outcome);
    }
}

struct ChannelRun<S> {
    channel: Channel,
    source: S,
    full_sync: Option<FullSyncReason>,
}

/// A thin blocking driver: runs channels over a source per channel, one
/// transport and one cursor store, in Entra Connect's 2-minute cycle.
///
/// A cycle, per channel: read every partition (a full sync, a full sync
/// resumed from its marked cursor, or the changes since the saved cursor),
/// feeding the engine only while it wants input, so memory is bounded by
/// the batch; prepare each batch with every core (the OrgId hash dominates
/// the cost); send it; hand the results back; persist each cursor commit at
/// once; record each partition's sync state. A cycle never waits for
/// changes that keep failing: they stay in the retry queue, with backoff,
/// for the next cycle. [`Driver::run`] repeats cycles every two minutes on
/// its [`Clock`], with a heartbeat ping after 30 minutes without changes,
/// until its [`StopHandle`] stops it.
pub struct Driver<S, T, C, K = SystemClock, O = ()> {
    channels: Vec<ChannelRun<S>>,
    transport: T,
    cursors: C,
    clock: K,
    observer: O,
    stop: StopHandle,
    states: Vec<PartitionSyncRecord>,
    threads: usize,
    batch_limit: Option<u64>,
    batches_sent: u64,
    retries_first: bool,
}

impl<S, T, C> Driver<S, T, C>
where
    S: ChangeSource,
    T: Transport,
    C: CursorStore,
{
    /// A driver on the system clock, observing nothing, hashing on every
    /// available core.
    pub fn new(transport: T, cursors: C) -> Self {
        Self::with_clock(transport, cursors, SystemClock, ())
    }
}

impl<S, T, C, K, O> Driver<S, T, C, K, O>
where
    S: ChangeSource,
    T: Transport,
    C: CursorStore,
    K: Clock,
    O: Observer,
{
    /// A driver with the given clock and observer.
    pub fn with_clock(transport: T, cursors: C, clock: K, observer: O) -> Self {
        Self {
            channels: Vec::new(),
            transport,
            cursors,
            clock,
            observer,
            stop: StopHandle::default(),
            states: Vec::new(),
            threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
            batch_limit: None,
            batches_sent: 0,
            retries_first: false,
        }
    }

    /// Threads that prepare batches, the calling thread included (1 = on
    /// the calling thread alone; the default is every core). With more
    /// than one, up to two batches are prepared on rayon's pool while the
    /// next accounts are read, and the calling thread joins in whenever it
    /// waits for one; batches are still sent, and their results handed
    /// back, one at a time and in order.
    pub fn set_threads(&mut self, threads: usize) {
        self.threads = threads.max(1);
    }

    /// Stop after this many batches in total (simulates a crash: the last
    /// batch's results are dropped).
    pub fn set_batch_limit(&mut self, limit: Option<u64>) {
        self.batch_limit = limit;
    }

    /// Retries first: within a cycle (never past its two minutes), wait for
    /// pending retries to come due before reading more accounts and before
    /// ending the cycle. Off by default (retries wait for the next cycle);
    /// worth turning on with a [`VirtualClock`], where waiting is free.
    pub fn set_retries_first(&mut self, on: bool) {
        self.retries_first = on;
    }

    /// A handle that stops the driver's runs.
    pub fn stop_handle(&self) -> StopHandle {
        self.stop.clone()
    }

    /// Uses `handle` as the driver's stop handle (one made before the
    /// driver, e.g. held by its transport or observer).
    pub fn set_stop_handle(&mut self, handle: StopHandle) {
        self.stop = handle;
    }

    /// Batches sent so far.
    pub fn batches_sent(&self) -> u64 {
        self.batches_sent
    }

    /// The transport.
    pub fn transport(&self) -> &T {
        &self.transport
    }

    /// The cursor store.
    pub fn cursors(&self) -> &C {
        &self.cursors
    }

    /// The clock.
    pub fn clock(&mut self) -> &mut K {
        &mut self.clock
    }

    /// The observer.
    pub fn observer(&mut self) -> &mut O {
        &mut self.observer
    }

    /// Gives back the transport, cursor store and observer.
    pub fn into_parts(self) -> (T, C, O) {
        (self.transport, self.cursors, self.observer)
    }

    /// The source connectors of the running channels.
    pub fn channel_names(&self) -> impl Iterator<Item = &str> {
        self.channels
            .iter()
            .map(|run| run.channel.config().source_connector.as_str())
    }

    /// Objects waiting in the retry queues of every channel.
    pub fn retrying(&self) -> usize {
        self.channels.iter().map(|run| run.channel.retrying()).sum()
    }

    /// Each partition's password-sync state as the driver recorded it.
    pub fn partition_sync_states(&self) -> &[PartitionSyncRecord] {
        &self.states
    }

    /// Writes the recorded partition states into `configuration` (which
    /// must know each connector and partition).
    pub fn record_partition_states(
        &self,
        configuration: &mut SyncConfiguration,
    ) -> Result<(), ConfigError> {
        for record in &self.states {
            *configuration.partition_sync_state_mut(&record.connector, &record.partition)? =
                record.state;
        }
        Ok(())
    }

    /// Seeds the record of a partition (a state read from a configuration).
    pub(crate) fn seed_partition_state(&mut self, record: PartitionSyncRecord) {
        match self
            .states
            .iter_mut()
            .find(|r| r.connector == record.connector && r.partition == record.partition)
        {
            Some(existing) => *existing = record,
            None => self.states.push(record),
        }
    }

    /// Starts a channel. With `force_full_sync` (the connector's
    /// ForceFullPasswordSync flag, which the caller consumes) its saved
    /// cursors are discarded first; partitions without a cursor get a full
    /// sync, those with a cursor marked in a full sync resume it, the
    /// others continue incrementally. Refuses a configuration the engine
    /// cannot run, and a connector that already has a channel.
    pub fn start_channel(
        &mut self,
        config: ChannelConfig,
        source: S,
        force_full_sync: bool,
    ) -> Result<(), DriverError<S::Error, C::Error>> {
        let connector = config.source_connector.clone();
        if self.channel_names().any(|name| name == connector) {
            return Err(DriverError::ChannelRunning { connector });
        }
        let now = self.clock.now();
        let channel = Channel::new(config, now).map_err(DriverError::ChannelConfig)?;
        if force_full_sync {
            self.cursors
                .discard(&connector)
                .map_err(|source| DriverError::CursorStore {
                    connector: connector.clone(),
                    source,
                })?;
        }
        self.channels.push(ChannelRun {
            channel,
            source,
            full_sync: force_full_sync.then_some(FullSyncReason::ForceFullPasswordSync),
        });
        Ok(())
    }

    /// Stops and removes the channel of `connector` (password sync was
    /// disabled or removed), between cycles: what waits in its retry queue
    /// is dropped (the cursor is behind it, so the next start reads it
    /// again). Returns whether there was one.
    pub fn stop_channel(&mut self, connector: &str) -> bool {
        let Some(index) = self
            .channels
            .iter()
            .position(|run| run.channel.config().source_connector == connector)
        else {
            return false;
        };
        let run = self.channels.remove(index);
        let config = run.channel.config();
        self.observer.event(&Event::ChannelStopped {
            connector: config.source_connector.clone(),
            connector_id: config.source_connector_id,
            retrying: run.channel.retrying() as u64,
        });
        true
    }

    fn parts(&mut self) -> (Parts<'_, T, C, K, O>, &mut Vec<ChannelRun<S>>) {
        (
            Parts {
                transport: &mut self.transport,
                cursors: &mut self.cursors,
                clock: &mut self.clock,
                observer: &mut self.observer,
                stop: &self.stop,
                states: &mut self.states,
                batch_limit: self.batch_limit,
                batches_sent: &mut self.batches_sent,
                retries_first: self.retries_first,
                preparing: Preparations::new(self.threads),
            },
            &mut self.channels,
        )
    }

    /// Runs one sync cycle on every channel, starting now; it ends within
    /// [`CYCLE_INTERVAL`] of clock time (at once on a [`VirtualClock`]),
    /// whatever the target answers.
    pub fn run_cycle(&mut self) -> Result<RunOutcome, DriverError<S::Error, C::Error>> {
        let start = self.clock.now();
        let deadline = start + CYCLE_INTERVAL;
        let (mut parts, channels) = self.parts();
        for run in channels.iter_mut() {
            let forced = run.full_sync.take();
            if let Some(abort) = parts.cycle(&mut run.channel, &mut run.source, forced, deadline)? {
                return Ok(abort);
            }
        }
        let queued: usize = channels.iter().map(|run| run.channel.retrying()).sum();
        let settled = channels.iter().all(|run| run.channel.is_settled());
        Ok(if settled && queued == 0 {
            RunOutcome::Settled
        } else {
            RunOutcome::Retrying { queued }
        })
    }

    /// Runs cycles every [`CYCLE_INTERVAL`] until the clock reaches
    /// `deadline` (the last cycle starts before it), the stop handle stops
    /// it, or the batch limit interrupts it. Returns the last cycle's
    /// outcome.
    pub fn run_until(
        &mut self,
        deadline: Instant,
    ) -> Result<RunOutcome, DriverError<S::Error, C::Error>> {
        self.run_cycles(Some(deadline), false)
    }

    /// Runs cycles every [`CYCLE_INTERVAL`] until every channel is
    /// settled, or `budget` of clock time has passed (then the outcome is
    /// [`RunOutcome::Retrying`] with what is still queued).
    pub fn run_until_settled(
        &mut self,
        budget: Duration,
    ) -> Result<RunOutcome, DriverError<S::Error, C::Error>> {
        let deadline = self.clock.now() + budget;
        self.run_cycles(Some(deadline), true)
    }

    /// Runs cycles every [`CYCLE_INTERVAL`], as the sync service does,
    /// until the stop handle stops it (or the batch limit interrupts it).
    pub fn run(&mut self) -> Result<RunOutcome, DriverError<S::Error, C::Error>> {
        self.run_cycles(None, false)
    }

    fn run_cycles(
        &mut self,
        deadline: Option<Instant>,
        until_settled: bool,
    ) -> Result<RunOutcome, DriverError<S::Error, C::Error>> {
        loop {
            let start = self.clock.now();
            let outcome = self.run_cycle()?;
            match outcome {
                RunOutcome::Interrupted | RunOutcome::Stopped => return Ok(outcome),
                RunOutcome::Settled if until_settled => return Ok(outcome),
                _ => {}
            }
            let next = start + CYCLE_INTERVAL;
            if deadline.is_some_and(|deadline| next > deadline) {
                return Ok(outcome);
            }
            let (mut parts, _) = self.parts();
            if !parts.sleep_until(next) {
                return Ok(RunOutcome::Stopped);
            }
        }
    }
}

/// Prepares a batch on `threads` threads (the calling thread included),
/// each running the bulk derivations (several SIMD chains at once).
pub fn prepare_batch(outgoing: &OutgoingBatch, threads: usize) -> crate::Result<Batch> {
    let mut preparations = Preparations::new(threads);
    preparations.start(outgoing.clone());
    preparations
        .finish_oldest()
        .map_or_else(|| outgoing.prepare(), |(_, prepared)| prepared)
}
