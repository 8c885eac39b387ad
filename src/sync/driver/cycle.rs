//! One sync cycle of one channel: read every partition, send what is
//! ready, hand the results back, persist commits, and end the cycle
//! without waiting for retries beyond the cycle's deadline.

use std::time::{Duration, Instant};

use crate::error::DriverError;
use crate::model::Timestamp;

use super::super::cursor::CursorStore;
use super::super::engine::{Channel, ReadMode};
use super::super::event::FullSyncReason;
use super::super::source::ChangeSource;
use super::super::transport::Transport;
use super::super::transport::{Batch, BatchId};
use super::preparing::Preparations;
use super::{Clock, Observer, PartitionSyncRecord, RunOutcome, StopHandle};

/// How often a sleeping driver looks at its stop handle.
const STOP_POLL: Duration = Duration::from_millis(250);

/// A run that must end now (a stop, or the simulated crash).
pub(super) type Abort = Option<RunOutcome>;

/// The parts of the driver a cycle needs, borrowed apart from the channels.
pub(super) struct Parts<'a, T, C, K, O> {
    pub(super) transport: &'a mut T,
    pub(super) cursors: &'a mut C,
    pub(super) clock: &'a mut K,
    pub(super) observer: &'a mut O,
    pub(super) stop: &'a StopHandle,
    pub(super) states: &'a mut Vec<PartitionSyncRecord>,
    pub(super) batch_limit: Option<u64>,
    pub(super) batches_sent: &'a mut u64,
    pub(super) retries_first: bool,
    /// The batches being prepared while the next accounts are read,
    /// oldest first; sent in that order before anything else.
    pub(super) preparing: Preparations,
}

impl<T, C, K, O> Parts<'_, T, C, K, O>
where
    T: Transport,
    C: CursorStore,
    K: Clock,
    O: Observer,
{
    /// One cycle of `channel` over `source`, ending by `deadline`. Batches
    /// still being prepared when the cycle ends early (an error) were never
    /// sent: their items go back to the send queue.
    pub(super) fn cycle<S: ChangeSource>(
        &mut self,
        channel: &mut Channel,
        source: &mut S,
        forced: Option<FullSyncReason>,
        deadline: Instant,
    ) -> Result<Abort, DriverError<S::Error, C::Error>> {
        let outcome = self.cycle_inner(channel, source, forced, deadline);
        self.give_back_prepared(channel)?;
        outcome
    }

    fn cycle_inner<S: ChangeSource>(
        &mut self,
        channel: &mut Channel,
        source: &mut S,
        forced: Option<FullSyncReason>,
        deadline: Instant,
    ) -> Result<Abort, DriverError<S::Error, C::Error>> {
        let connector = channel.config().source_connector.clone();
        let now = self.clock.now();
        channel.handle_timeout(now);
        self.heartbeat(channel);
        let partitions = match source.partitions() {
            Ok(partitions) => partitions,
            Err(source) => {
                self.observer.source_error(&connector, None, &source);
                self.flush(channel)?;
                return Err(DriverError::Source { connector, source });
            }
        };
        let mut plan = Vec::with_capacity(partitions.len());
        for partition in partitions {
            // Within this process, the channel's read position: changes
            // waiting in the retry queue are not read (and sent) again.
            let cursor = match channel.read_position(partition.dn()) {
                Some(position) => Some(position),
                None => self
                    .cursors
                    .load(&connector, partition.dn())
                    .map_err(|source| DriverError::CursorStore {
                        connector: connector.clone(),
                        source,
                    })?,
            };
            plan.push((partition, cursor));
        }
        // The forest's full sync starts (617) when forced or when no
        // partition has a cursor yet (the first start). A partition without
        // a cursor beside others that have one (its full sync not begun
        // before a restart, or a domain added) gets its domain full sync;
        // one whose cursor is marked resumes it.
        let full = forced.or_else(|| {
            plan.iter()
                .all(|(_, cursor)| cursor.is_none())
                .then_some(FullSyncReason::FirstStart)
        });
        channel.begin_cycle(full);
        for (partition, cursor) in plan {
            let mode = match &cursor {
                None => ReadMode::Full,
                Some(cursor) if cursor.in_full_sync() => ReadMode::FullResumed,
                Some(_) => ReadMode::Incremental,
            };
            let handle = channel.begin_partition(partition.clone(), mode);
            let stream = match &cursor {
                Some(cursor) => source.changes_since(&partition, cursor),
                None => source.full_sync(&partition),
            };
            let mut stream = match stream {
                Ok(stream) => stream,
                Err(err) => {
                    self.observer
                        .source_error(&connector, Some(partition.dn()), &err);
                    channel
                        .handle_source_error(handle, &err.to_string())
                        .map_err(DriverError::Channel)?;
                    continue;
                }
            };
            let mut ended = false;
            while !ended {
                while !ended && channel.wants_input() {
                    let handled = match stream.next() {
                        Some(Ok(item)) => channel.handle_source_item(handle, item),
                        Some(Err(err)) => {
                            ended = true;
                            // The batches prepared in the background were
                            // read before the error: their results (and
                            // the commits they allow) come first, as they
                            // would on one thread.
                            if let Some(abort) = self.send_prepared(channel)? {
                                return self.abort(channel, abort);
                            }
                            self.observer
                                .source_error(&connector, Some(partition.dn()), &err);
                            channel.handle_source_error(handle, &err.to_string())
                        }
                        None => {
                            ended = true;
                            channel.handle_source_end(handle)
                        }
                    };
                    handled.map_err(DriverError::Channel)?;
                }
                // While more is to be read, the ready batches are prepared
                // on the pool as the next accounts are read.
                if let Some(abort) = self.send_ready_while_reading(channel, !ended)? {
                    return self.abort(channel, abort);
                }
                if ended {
                    break;
                }
                if !channel.wants_input() {
                    // Back-pressure: the retry queue could not take another
                    // batch's failures. Wait for a retry within the cycle,
                    // or leave the rest of the partition for the next one.
                    match channel.next_retry().filter(|at| *at <= deadline) {
                        Some(at) => {
                            if let Some(abort) = self.wait_for(channel, at) {
                                return self.abort(channel, abort);
                            }
                        }
                        None => {
                            channel
                                .handle_source_deferred(handle)
                                .map_err(DriverError::Channel)?;
                            ended = true;
                        }
                    }
                }
                // Retries first: let pending retries come due (within the
                // cycle) before reading new accounts.
                while self.retries_first && !ended && channel.wants_input() {
                    let Some(at) = channel.next_retry().filter(|at| *at <= deadline) else {
                        break;
                    };
                    if let Some(abort) = self.wait_for(channel, at) {
                        return self.abort(channel, abort);
                    }
                    if let Some(abort) = self.send_ready(channel)? {
                        return self.abort(channel, abort);
                    }
                }
            }
        }
        loop {
            if let Some(abort) = self.send_ready(channel)? {
                return self.abort(channel, abort);
            }
            let due = channel.next_retry().filter(|at| *at <= deadline);
            match due {
                Some(at) if self.retries_first => {
                    if let Some(abort) = self.wait_for(channel, at) {
                        return self.abort(channel, abort);
                    }
                }
                _ => break,
            }
        }
        channel.end_cycle();
        self.flush(channel)?;
        Ok(None)
    }

    /// Ends the run: flushes what the channel still holds (a stop while
    /// waiting leaves its Interrupted statuses queued) and passes `abort` on.
    fn abort<SE: std::error::Error + 'static>(
        &mut self,
        channel: &mut Channel,
        abort: RunOutcome,
    ) -> Result<Abort, DriverError<SE, C::Error>> {
        self.flush(channel)?;
        Ok(Some(abort))
    }

    /// Pings the target when the channel's heartbeat is due.
    pub(super) fn heartbeat(&mut self, channel: &mut Channel) {
        if !channel.poll_ping() {
            return;
        }
        match self.transport.ping() {
            Ok(()) => channel.handle_ping_result(Ok(())),
            Err(err) => {
                let connector = channel.config().source_connector.clone();
                self.observer.transport_error(&connector, &err);
                channel.handle_ping_result(Err(&err.to_string()));
            }
        }
    }

    /// Sends every batch the channel has ready, flushing after each.
    /// Returns an abort at the batch limit or on a stop.
    fn send_ready<SE: std::error::Error + 'static>(
        &mut self,
        channel: &mut Channel,
    ) -> Result<Abort, DriverError<SE, C::Error>> {
        self.send_ready_while_reading(channel, false)
    }

    /// [`send_ready`](Self::send_ready) for a driver that reads on. With
    /// `more_to_read`, ready batches are not waited for: each starts on
    /// the pool and up to [`Preparations::read_ahead`] stay in preparation (the
    /// oldest sent once there are more) while the next accounts are read,
    /// so that the reading thread's work (accounts, scope, events)
    /// overlaps the hashing. Only while the channel would take another
    /// batch's input even if every batch in flight failed whole, so
    /// back-pressure is unchanged; without that, or with nothing more to
    /// read, every batch is sent before the call returns.
    fn send_ready_while_reading<SE: std::error::Error + 'static>(
        &mut self,
        channel: &mut Channel,
        more_to_read: bool,
    ) -> Result<Abort, DriverError<SE, C::Error>> {
        loop {
            if self.stop.is_stopped() {
                self.give_back_prepared(channel)?;
                channel.interrupt_cycle();
                self.flush(channel)?;
                return Ok(Some(RunOutcome::Stopped));
            }
            let now = self.clock.now();
            let polled = match channel.poll_batch(now) {
                Some(outgoing) => {
                    self.preparing.start(outgoing);
                    true
                }
                None => false,
            };
            let window = if more_to_read && channel.wants_input() {
                self.preparing.read_ahead()
            } else {
                0
            };
            if self.preparing.len() > window {
                if let Some((id, prepared)) = self.preparing.finish_oldest()
                    && let Some(abort) = self.deliver(channel, id, prepared)?
                {
                    return Ok(Some(abort));
                }
                continue;
            }
            if !polled {
                break;
            }
        }
        self.flush(channel)?;
        Ok(None)
    }

    /// Sends every batch prepared in the background, oldest first, and
    /// hands their results to the channel.
    fn send_prepared<SE: std::error::Error + 'static>(
        &mut self,
        channel: &mut Channel,
    ) -> Result<Abort, DriverError<SE, C::Error>> {
        while let Some((id, prepared)) = self.preparing.finish_oldest() {
            if let Some(abort) = self.deliver(channel, id, prepared)? {
                return Ok(Some(abort));
            }
        }
        Ok(None)
    }

    /// Hands every batch still in preparation back to the channel unsent.
    fn give_back_prepared<SE: std::error::Error + 'static>(
        &mut self,
        channel: &mut Channel,
    ) -> Result<(), DriverError<SE, C::Error>> {
        for id in self.preparing.cancel_all() {
            channel
                .handle_batch_unsent(id)
                .map_err(DriverError::Channel)?;
        }
        Ok(())
    }

    /// Sends one prepared batch and hands its results to the channel (a
    /// batch that could not be prepared goes back to the send queue and
    /// ends the run with the error). Returns an abort at the batch limit.
    fn deliver<SE: std::error::Error + 'static>(
        &mut self,
        channel: &mut Channel,
        id: BatchId,
        prepared: crate::Result<Batch>,
    ) -> Result<Abort, DriverError<SE, C::Error>> {
        let batch = match prepared {
            Ok(batch) => batch,
            Err(err) => {
                channel
                    .handle_batch_unsent(id)
                    .map_err(DriverError::Channel)?;
                self.flush(channel)?;
                return Err(DriverError::Prepare(err));
            }
        };
        let sent = self.transport.send(&batch);
        *self.batches_sent += 1;
        if self
            .batch_limit
            .is_some_and(|limit| *self.batches_sent >= limit)
        {
            self.flush(channel)?;
            return Ok(Some(RunOutcome::Interrupted));
        }
        let now = self.clock.now();
        let handled = match sent {
            Ok(results) => channel.handle_batch_results(batch.id, &results, now),
            Err(err) => {
                let connector = channel.config().source_connector.clone();
                self.observer.transport_error(&connector, &err);
                channel.handle_batch_error(batch.id, &err.to_string(), now)
            }
        };
        handled.map_err(DriverError::Channel)?;
        self.flush(channel)?;
        Ok(None)
    }

    /// Sleeps until `at` (watching the stop handle) and hands the channel
    /// the time.
    fn wait_for(&mut self, channel: &mut Channel, at: Instant) -> Abort {
        if !self.sleep_until(at) {
            channel.interrupt_cycle();
            return Some(RunOutcome::Stopped);
        }
        let now = self.clock.now();
        channel.handle_timeout(now);
        None
    }

    /// Sleeps until `deadline`; false if a stop came first.
    pub(super) fn sleep_until(&mut self, deadline: Instant) -> bool {
        loop {
            if self.stop.is_stopped() {
                return false;
            }
            let now = self.clock.now();
            if now >= deadline {
                return true;
            }
            self.clock.sleep_until(deadline.min(now + STOP_POLL));
        }
    }

    /// Persists cursor commits and passes events and status changes on,
    /// recording each partition's sync state.
    pub(super) fn flush<SE: std::error::Error + 'static>(
        &mut self,
        channel: &mut Channel,
    ) -> Result<(), DriverError<SE, C::Error>> {
        while let Some(event) = channel.poll_event() {
            self.observer.event(&event);
        }
        let config = channel.config();
        let connector = config.source_connector.clone();
        let connector_id = config.source_connector_id;
        while let Some(change) = channel.poll_status() {
            let now = Timestamp::from_system_time(self.clock.system_time());
            PartitionSyncRecord::record(self.states, &connector, connector_id, &change, now);
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
