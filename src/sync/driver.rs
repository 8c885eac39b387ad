//! A thin blocking driver: runs one or many channels over a source per
//! channel, one transport and one cursor store.
//!
//! Per cycle and channel it reads every partition (full sync or changes
//! since the saved cursor), feeding the engine only while it wants input,
//! so memory is bounded by the batch; prepares each batch with every core
//! (the OrgId hash dominates the cost); sends it; hands the results back;
//! persists each cursor commit at once. It then keeps sending retries,
//! sleeping on its [`Clock`] until the engine's next timeout, until every
//! channel is settled.

use std::time::{Duration, Instant};

use crate::error::DriverError;

use super::cursor::CursorStore;
use super::engine::{Channel, ChannelConfig, OutgoingBatch, ReadMode, StatusChange};
use super::event::{Event, FullSyncReason};
use super::source::ChangeSource;
use super::transport::{Batch, Transport};

/// Where the driver gets the time and how it waits.
pub trait Clock {
    /// The current instant.
    fn now(&mut self) -> Instant;
    /// Blocks until `deadline` (or pretends to).
    fn sleep_until(&mut self, deadline: Instant);
}

/// The real clock: [`Instant::now`] and [`std::thread::sleep`].
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&mut self) -> Instant {
        Instant::now()
    }

    fn sleep_until(&mut self, deadline: Instant) {
        let now = Instant::now();
        if deadline > now {
            std::thread::sleep(deadline - now);
        }
    }
}

/// A clock that jumps instead of sleeping: retries and heartbeats happen
/// at once, in order (tests, examples, replays).
#[derive(Clone, Copy, Debug)]
pub struct VirtualClock {
    now: Instant,
}

impl VirtualClock {
    /// A virtual clock starting at the real current instant.
    pub fn new() -> Self {
        Self {
            now: Instant::now(),
        }
    }

    /// Moves the clock forward.
    pub fn advance(&mut self, by: Duration) {
        self.now += by;
    }
}

impl Default for VirtualClock {
    fn default() -> Self {
        Self::new()
    }
}

impl Clock for VirtualClock {
    fn now(&mut self) -> Instant {
        self.now
    }

    fn sleep_until(&mut self, deadline: Instant) {
        self.now = self.now.max(deadline);
    }
}

/// What the driver tells the host as it runs. Every method has an empty
/// default; `()` observes nothing.
pub trait Observer {
    /// An engine event.
    fn event(&mut self, event: &Event) {
        let _ = event;
    }

    /// A partition's status changed (for the per-partition sync state).
    fn status(&mut self, connector: &str, change: &StatusChange) {
        let _ = (connector, change);
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
}

/// How a run ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RunOutcome {
    /// Every channel is settled: each change read has a final result.
    Settled,
    /// The batch limit was reached (a simulated crash): the last batch was
    /// sent but its results were never handed to the engine.
    Interrupted,
}

struct ChannelRun<S> {
    channel: Channel,
    source: S,
    full_sync: Option<FullSyncReason>,
}

/// A thin blocking driver: runs one or many channels over a source per
/// channel, one transport and one cursor store.
///
/// Per cycle and channel it reads every partition (full sync or changes
/// since the saved cursor), feeding the engine only while it wants input,
/// so memory is bounded by the batch; prepares each batch with every core
/// (the OrgId hash dominates the cost); sends it; hands the results back;
/// persists each cursor commit at once. It then keeps sending retries,
/// sleeping on its [`Clock`] until the engine's next timeout, until every
/// channel is settled.
pub struct Driver<S, T, C, K = SystemClock, O = ()> {
    channels: Vec<ChannelRun<S>>,
    transport: T,
    cursors: C,
    clock: K,
    observer: O,
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
            threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
            batch_limit: None,
            batches_sent: 0,
            retries_first: false,
        }
    }

    /// Threads used to prepare a batch (1 = on the calling thread).
    pub fn set_threads(&mut self, threads: usize) {
        self.threads = threads.max(1);
    }

    /// Stop after this many batches in total (simulates a crash: the last
    /// batch's results are dropped).
    pub fn set_batch_limit(&mut self, limit: Option<u64>) {
        self.batch_limit = limit;
    }

    /// Retries first: while reading, wait for pending retries to come due
    /// before reading more accounts, so each batch carries them ahead of new
    /// ones. Off by default (a host on the system clock keeps reading while
    /// retries back off); worth turning on with a [`VirtualClock`], where
    /// waiting is free, or when the cursor must advance within few batches.
    pub fn set_retries_first(&mut self, on: bool) {
        self.retries_first = on;
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

    /// Gives back the transport, cursor store and observer.
    pub fn into_parts(self) -> (T, C, O) {
        (self.transport, self.cursors, self.observer)
    }

    /// Starts a channel. With `force_full_sync` (the connector's
    /// ForceFullPasswordSync flag, which the caller consumes) its saved
    /// cursors are discarded first; partitions without a cursor get a full
    /// sync, the others continue incrementally.
    pub fn start_channel(
        &mut self,
        config: ChannelConfig,
        source: S,
        force_full_sync: bool,
    ) -> Result<(), DriverError<S::Error, C::Error>> {
        let connector = config.source_connector.clone();
        if force_full_sync {
            self.cursors
                .discard(&connector)
                .map_err(|source| DriverError::CursorStore {
                    connector: connector.clone(),
                    source,
                })?;
        }
        let now = self.clock.now();
        self.channels.push(ChannelRun {
            channel: Channel::new(config, now),
            source,
            full_sync: force_full_sync.then_some(FullSyncReason::ForceFullPasswordSync),
        });
        Ok(())
    }

    /// Runs one sync cycle on every channel, then sends until settled (or
    /// until the batch limit).
    pub fn run_cycle(&mut self) -> Result<RunOutcome, DriverError<S::Error, C::Error>> {
        for index in 0..self.channels.len() {
            if self.read_channel(index)? == RunOutcome::Interrupted {
                return Ok(RunOutcome::Interrupted);
            }
        }
        self.drain()
    }

    fn read_channel(
        &mut self,
        index: usize,
    ) -> Result<RunOutcome, DriverError<S::Error, C::Error>> {
        let run = &mut self.channels[index];
        let connector = run.channel.config().source_connector.clone();
        let partitions = run
            .source
            .partitions()
            .map_err(|source| DriverError::Source {
                connector: connector.clone(),
                source,
            })?;
        let mut plan = Vec::with_capacity(partitions.len());
        for partition in partitions {
            let cursor = self
                .cursors
                .load(&connector, partition.dn())
                .map_err(|source| DriverError::CursorStore {
                    connector: connector.clone(),
                    source,
                })?;
            plan.push((partition, cursor));
        }
        let run = &mut self.channels[index];
        let full = run.full_sync.take().or_else(|| {
            plan.iter()
                .any(|(_, cursor)| cursor.is_none())
                .then_some(FullSyncReason::FirstStart)
        });
        run.channel.begin_cycle(full);
        for (partition, cursor) in plan {
            let run = &mut self.channels[index];
            let mode = if cursor.is_some() {
                ReadMode::Incremental
            } else {
                ReadMode::Full
            };
            let handle = run.channel.begin_partition(partition.clone(), mode);
            let stream = match &cursor {
                Some(cursor) => run.source.changes_since(&partition, cursor),
                None => run.source.full_sync(&partition),
            };
            let mut stream = match stream {
                Ok(stream) => stream,
                Err(err) => {
                    run.channel
                        .handle_source_error(handle, &err.to_string())
                        .map_err(DriverError::Channel)?;
                    continue;
                }
            };
            let mut pump = Pump {
                transport: &mut self.transport,
                cursors: &mut self.cursors,
                clock: &mut self.clock,
                observer: &mut self.observer,
                threads: self.threads,
                batch_limit: self.batch_limit,
                batches_sent: &mut self.batches_sent,
            };
            let retries_first = self.retries_first;
            let mut ended = false;
            while !ended {
                while !ended && run.channel.wants_input() {
                    match stream.next() {
                        Some(Ok(item)) => run
                            .channel
                            .handle_source_item(handle, item)
                            .map_err(DriverError::Channel)?,
                        Some(Err(err)) => {
                            run.channel
                                .handle_source_error(handle, &err.to_string())
                                .map_err(DriverError::Channel)?;
                            ended = true;
                        }
                        None => {
                            run.channel
                                .handle_source_end(handle)
                                .map_err(DriverError::Channel)?;
                            ended = true;
                        }
                    }
                }
                let Some(sent) = pump.send_ready(&mut run.channel)? else {
                    return Ok(RunOutcome::Interrupted);
                };
                if sent == 0 && !ended {
                    // Back-pressure: the retry queue is nearly full; wait
                    // for retries to come due instead of reading on.
                    pump.wait_for_timer(&mut run.channel);
                }
                // Retries first: let every pending retry come due (as long
                // as a batch has room) before reading new accounts.
                while retries_first
                    && !ended
                    && run.channel.retrying() > 0
                    && run.channel.wants_input()
                {
                    pump.wait_for_timer(&mut run.channel);
                }
            }
        }
        let run = &mut self.channels[index];
        run.channel.end_cycle_input();
        let mut pump = Pump {
            transport: &mut self.transport,
            cursors: &mut self.cursors,
            clock: &mut self.clock,
            observer: &mut self.observer,
            threads: self.threads,
            batch_limit: self.batch_limit,
            batches_sent: &mut self.batches_sent,
        };
        pump.flush(&mut run.channel)?;
        Ok(RunOutcome::Settled)
    }

    /// Sends ready batches and due retries until every channel is settled.
    fn drain(&mut self) -> Result<RunOutcome, DriverError<S::Error, C::Error>> {
        loop {
            let mut pump = Pump {
                transport: &mut self.transport,
                cursors: &mut self.cursors,
                clock: &mut self.clock,
                observer: &mut self.observer,
                threads: self.threads,
                batch_limit: self.batch_limit,
                batches_sent: &mut self.batches_sent,
            };
            for run in &mut self.channels {
                if pump.send_ready(&mut run.channel)?.is_none() {
                    return Ok(RunOutcome::Interrupted);
                }
            }
            let waiting: Vec<Instant> = self
                .channels
                .iter()
                .filter(|run| !run.channel.is_settled())
                .map(|run| run.channel.poll_timeout())
                .collect();
            let Some(deadline) = waiting.into_iter().min() else {
                return Ok(RunOutcome::Settled);
            };
            self.clock.sleep_until(deadline);
            let now = self.clock.now();
            for run in &mut self.channels {
                run.channel.handle_timeout(now);
            }
        }
    }
}

/// The parts of the driver a send needs, borrowed apart from the source.
struct Pump<'a, T, C, K, O> {
    transport: &'a mut T,
    cursors: &'a mut C,
    clock: &'a mut K,
    observer: &'a mut O,
    threads: usize,
    batch_limit: Option<u64>,
    batches_sent: &'a mut u64,
}

impl<T, C, K, O> Pump<'_, T, C, K, O>
where
    T: Transport,
    C: CursorStore,
    K: Clock,
    O: Observer,
{
    /// Sends every batch the channel has ready, then flushes its outputs.
    /// Returns how many batches were sent, or `None` at the batch limit.
    fn send_ready<SE: std::error::Error + 'static>(
        &mut self,
        channel: &mut Channel,
    ) -> Result<Option<usize>, DriverError<SE, C::Error>> {
        let mut sent_batches = 0;
        loop {
            let now = self.clock.now();
            let Some(outgoing) = channel.poll_batch(now) else {
                break;
            };
            let batch = prepare_batch(&outgoing, self.threads).map_err(DriverError::Prepare)?;
            drop(outgoing);
            let sent = self.transport.send(&batch);
            *self.batches_sent += 1;
            if self
                .batch_limit
                .is_some_and(|limit| *self.batches_sent >= limit)
            {
                self.flush(channel)?;
                return Ok(None);
            }
            let now = self.clock.now();
            let handled = match sent {
                Ok(results) => channel.handle_batch_results(batch.id, &results, now),
                Err(err) => channel.handle_batch_error(batch.id, &err.to_string(), now),
            };
            handled.map_err(DriverError::Channel)?;
            self.flush(channel)?;
            sent_batches += 1;
        }
        self.flush(channel)?;
        Ok(Some(sent_batches))
    }

    /// Sleeps until the channel's next timer and hands it the time.
    fn wait_for_timer(&mut self, channel: &mut Channel) {
        self.clock.sleep_until(channel.poll_timeout());
        let now = self.clock.now();
        channel.handle_timeout(now);
    }

    /// Persists cursor commits and passes events and status changes on.
    fn flush<SE: std::error::Error + 'static>(
        &mut self,
        channel: &mut Channel,
    ) -> Result<(), DriverError<SE, C::Error>> {
        while let Some(event) = channel.poll_event() {
            self.observer.event(&event);
        }
        let connector = channel.config().source_connector.clone();
        while let Some(change) = channel.poll_status() {
            self.observer.status(&connector, &change);
        }
        while let Some(commit) = channel.poll_commit() {
            self.cursors
                .save(&connector, &commit.partition, &commit.cursor)
                .map_err(|source| DriverError::CursorStore {
                    connector: connector.clone(),
                    source,
                })?;
        }
        Ok(())
    }
}

/// Prepares a batch on `threads` threads (the calling thread included),
/// each running the bulk derivations (several SIMD chains at once).
pub fn prepare_batch(outgoing: &OutgoingBatch, threads: usize) -> crate::Result<Batch> {
    outgoing.prepare_on(threads)
}
