//! Batch assembly: taking ready changes into batches, and applying what
//! the transport answered (or that a batch never left).

use std::sync::Arc;
use std::time::Instant;

use super::super::credential::{CredentialUpdate, UpdateRequest};
use super::super::event::{Event, ItemOutcome};
use super::super::transport::{Batch, BatchId, ItemResult};
use super::{Channel, ChannelError};

/// A batch the engine wants sent. Prepare it into a [`Batch`] (computes
/// OrgId hashes), send it, and hand the results back under
/// [`OutgoingBatch::id`]; if it cannot be prepared, hand it back with
/// [`Channel::handle_batch_unsent`].
#[derive(Clone, Debug)]
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
    pub fn prepare(&self) -> crate::Result<Batch> {
        let updates = self.prepare_requests(0..self.requests.len())?;
        Ok(self.with_updates(updates))
    }

    /// Prepares the requests in `range` on this thread, in order (the
    /// driver spreads a batch's ranges over its threads).
    pub(crate) fn prepare_requests(
        &self,
        range: std::ops::Range<usize>,
    ) -> crate::Result<Vec<CredentialUpdate>> {
        let requests: Vec<&UpdateRequest> = self.requests[range].iter().map(|r| &**r).collect();
        super::super::credential::prepare_all(&requests)
    }

    /// The transport batch holding `updates` (prepared from
    /// [`OutgoingBatch::requests`], in order).
    pub fn with_updates(&self, updates: Vec<CredentialUpdate>) -> Batch {
        Batch {
            id: self.id,
            source_connector: self.source_connector.clone(),
            target_connector: self.target_connector.clone(),
            updates,
        }
    }
}

impl Channel {
    /// The next batch to send, if any item is ready (due retries included).
    /// Each item's password change request (656) and the batch's start
    /// (650) are reported here, as the batch is handed out to be sent.
    pub fn poll_batch(&mut self, now: Instant) -> Option<OutgoingBatch> {
        self.promote_due_retries(now);
        let id = BatchId(self.next_batch);
        let mut guids = Vec::new();
        let mut requests = Vec::new();
        let mut sent = Vec::new();
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
            sent.push((entry.partition, entry.attempts, Arc::clone(&entry.request)));
            requests.push(Arc::clone(&entry.request));
            slot.in_flight = Some(entry);
            guids.push(guid);
        }
        if guids.is_empty() {
            return None;
        }
        self.next_batch += 1;
        self.next_heartbeat = now + self.config.heartbeat_interval;
        let count = guids.len() as u64;
        self.in_flight.insert(id, guids);
        let target = self.config.target_connector.clone();
        self.push_event(|connector, connector_id| Event::BatchStarted {
            connector,
            connector_id,
            target,
            batch: id.0,
            count,
        });
        for (partition, attempt, request) in sent {
            let partition = self.partition_dn(partition);
            self.push_event(|connector, connector_id| Event::PasswordChangeRequest {
                connector,
                connector_id,
                partition,
                source_anchor: request.object_guid.source_anchor(),
                distinguished_name: request.distinguished_name.clone(),
                sam_account_name: request.sam_account_name.clone(),
                usn: request.usn,
                force_change_on_logon: request.force_change_on_logon,
                batch: id.0,
                attempt,
            });
        }
        Some(OutgoingBatch {
            id,
            source_connector: self.config.source_connector.clone(),
            target_connector: self.config.target_connector.clone(),
            requests,
        })
    }

    /// The target's per-item results for a batch, in the batch's order. A
    /// result list of the wrong length counts as a failed batch (652).
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
        self.push_event(|connector, connector_id| Event::BatchCompleted {
            connector,
            connector_id,
            target,
            batch: batch.0,
            succeeded,
            retrying,
            failed,
        });
        Ok(())
    }

    /// The whole batch failed at the transport (652); every item is
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
        self.push_event(|connector, connector_id| Event::BatchFailed {
            connector,
            connector_id,
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

    /// The batch was never sent (preparing it failed): its items go back
    /// to the front of the send queue as they were, and its 650/656 events,
    /// if not polled yet, are withdrawn.
    pub fn handle_batch_unsent(&mut self, batch: BatchId) -> Result<(), ChannelError> {
        let guids = self
            .in_flight
            .remove(&batch)
            .ok_or(ChannelError::UnknownBatch(batch.0))?;
        let mut finished = Vec::new();
        for guid in guids.into_iter().rev() {
            let Some(slot) = self.accounts.get_mut(&guid) else {
                continue;
            };
            let Some(mut entry) = slot.in_flight.take() else {
                continue;
            };
            entry.attempts = entry.attempts.saturating_sub(1);
            if slot.waiting.is_some() {
                // A newer change waits: the unsent older one is final.
                finished.push((entry.partition, entry.seq));
            } else {
                slot.waiting = Some(entry);
            }
            if !slot.queued {
                slot.queued = true;
                self.ready.push_front(guid);
            }
        }
        for (partition, seq) in finished {
            self.finish(partition, seq);
        }
        self.events.retain(|event| {
            !matches!(event,
                Event::BatchStarted { batch: b, .. } | Event::PasswordChangeRequest { batch: b, .. }
                    if *b == batch.0)
        });
        Ok(())
    }
}
