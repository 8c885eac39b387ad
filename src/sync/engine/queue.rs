//! The send queue and the retry queue: per-account slots, coalescing by
//! USN, results, backoff timers.

use std::cmp::Reverse;
use std::sync::Arc;
use std::time::Instant;

use super::super::credential::{ObjectGuid, UpdateRequest};
use super::super::event::{Event, ItemOutcome};
use super::super::transport::ItemResult;
use super::Channel;

/// One change of one account, on its way to the target.
#[derive(Debug)]
pub(super) struct Entry {
    pub(super) partition: usize,
    pub(super) seq: u64,
    pub(super) usn: u64,
    pub(super) request: Arc<UpdateRequest>,
    pub(super) attempts: u32,
    /// When waiting in the retry queue: when the retry is due.
    pub(super) retry_at: Option<Instant>,
    pub(super) timer: u64,
}

/// Per account: the change in flight and the one waiting (fresh or for a
/// retry); `queued` while the account is in the ready queue.
#[derive(Debug, Default)]
pub(super) struct AccountSlot {
    pub(super) in_flight: Option<Entry>,
    pub(super) waiting: Option<Entry>,
    pub(super) queued: bool,
}

impl Channel {
    /// Puts a fresh change in its account's slot, coalescing by USN: a
    /// change not newer than the one in flight or waiting is dropped (it
    /// is final at once), a newer one replaces the waiting one.
    pub(super) fn enqueue(&mut self, guid: ObjectGuid, entry: Entry) {
        let slot = self.accounts.entry(guid).or_default();
        let stale_vs_flight = slot.in_flight.as_ref().is_some_and(|f| f.usn >= entry.usn);
        let stale_vs_waiting = slot.waiting.as_ref().is_some_and(|w| w.usn >= entry.usn);
        let mut left_queue = None;
        let finished = if stale_vs_flight || stale_vs_waiting {
            Some((entry.partition, entry.seq))
        } else {
            let replaced = slot.waiting.replace(entry);
            if let Some(old) = replaced.as_ref().filter(|old| old.retry_at.is_some()) {
                self.retrying -= 1;
                left_queue = Some((old.partition, Arc::clone(&old.request)));
            }
            replaced.map(|old| (old.partition, old.seq))
        };
        let due = slot.waiting.as_ref().is_some_and(|w| w.retry_at.is_none());
        if slot.in_flight.is_none() && !slot.queued && due {
            slot.queued = true;
            self.ready.push_back(guid);
        }
        if let Some((partition, request)) = left_queue {
            self.retry_removed_event(partition, &request);
        }
        if let Some((partition, seq)) = finished {
            self.finish(partition, seq);
        }
    }

    /// Applies one item's result; returns the outcome, or `None` when the
    /// account had nothing in flight (a host bug, ignored).
    pub(super) fn handle_item_result(
        &mut self,
        guid: ObjectGuid,
        result: ItemResult,
        now: Instant,
    ) -> Option<ItemOutcome> {
        let slot = self.accounts.get_mut(&guid)?;
        let mut entry = slot.in_flight.take()?;
        let newer_waiting = slot.waiting.is_some();
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
        let mut retry_in = None;
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
        self.count_outcome(partition, outcome);
        if outcome == ItemOutcome::Overflowed {
            let limit = self.config.retry_queue_limit as u64;
            let dn = self.partition_dn(partition);
            let sam_account_name = request.sam_account_name.clone();
            self.push_event(|connector, connector_id| Event::RetryQueueOverflow {
                connector,
                connector_id,
                partition: dn,
                source_anchor: guid.source_anchor(),
                sam_account_name,
                usn,
                limit,
            });
            self.hold(partition, "retry queue overflow");
        }
        let sam_account_name = request.sam_account_name.clone();
        self.push_event(|connector, connector_id| Event::PasswordChangeResult {
            connector,
            connector_id,
            source_anchor: guid.source_anchor(),
            sam_account_name,
            usn,
            outcome,
            attempt,
            retry_in_ms: retry_in,
        });
        if let Some(retry_in_ms) = retry_in {
            let dn = self.partition_dn(partition);
            let sam_account_name = request.sam_account_name.clone();
            let queued = self.retrying as u64;
            self.push_event(|connector, connector_id| Event::RetryQueueAdded {
                connector,
                connector_id,
                partition: dn,
                source_anchor: guid.source_anchor(),
                sam_account_name,
                usn,
                attempt,
                retry_in_ms,
                queued,
            });
        } else {
            self.finish(partition, seq);
        }
        Some(outcome)
    }

    /// Moves retries due at `now` from the retry queue to the send queue.
    pub(super) fn promote_due_retries(&mut self, now: Instant) {
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
            let (partition, request) = (entry.partition, Arc::clone(&entry.request));
            self.retrying -= 1;
            if slot.in_flight.is_none() && !slot.queued {
                slot.queued = true;
                self.ready.push_back(guid);
            }
            self.retry_removed_event(partition, &request);
        }
    }

    /// The earliest retry in the queue, if any.
    pub fn next_retry(&self) -> Option<Instant> {
        self.retry_timers.peek().map(|Reverse((at, _, _))| *at)
    }

    fn retry_removed_event(&mut self, partition: usize, request: &UpdateRequest) {
        let dn = self.partition_dn(partition);
        let queued = self.retrying as u64;
        let source_anchor = request.object_guid.source_anchor();
        let sam_account_name = request.sam_account_name.clone();
        let usn = request.usn;
        self.push_event(|connector, connector_id| Event::RetryQueueRemoved {
            connector,
            connector_id,
            partition: dn,
            source_anchor,
            sam_account_name,
            usn,
            queued,
        });
    }
}

/// SplitMix64: a small, seedable generator for retry jitter (not for secrets).
#[derive(Clone, Debug)]
pub(super) struct SplitMix64(pub(super) u64);

impl SplitMix64 {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `[0, 1)`.
    pub(super) fn next_unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
