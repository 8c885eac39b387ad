//! Batches prepared on every core while the driver reads on.
//!
//! Preparing a batch (a PBKDF2 chain per OrgId hash, two more per
//! cleartext password's AES keys) is most of a sync's work; reading
//! accounts, scope, the engine's bookkeeping and events run on the
//! driver's thread. Each batch is cut into units of [`UNIT_REQUESTS`]
//! requests that any of `threads` threads may claim: `threads - 1` tasks
//! on the pool, and the driver's thread itself whenever it waits for a
//! batch. While the driver reads, up to [`READ_AHEAD_BATCHES`] batches are
//! in preparation, so a thread done with the oldest batch's units goes
//! on to the next batch's instead of waiting for the last unit: the
//! cores stay busy through the serial part and through each batch's tail.

use std::collections::VecDeque;
use std::ops::Range;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};

use super::super::credential::CredentialUpdate;
use super::super::engine::OutgoingBatch;
use super::super::transport::{Batch, BatchId};

/// Requests per unit of work: sixteen fill the widest kernels' lanes
/// (sixteen OrgId chains in one AVX-512 register, the thirty-two SHA-1
/// chains of sixteen cleartext passwords in two interleaved groups), so
/// cutting a batch into units costs no lane that one thread would fill.
const UNIT_REQUESTS: usize = 16;

/// Batches in preparation while the driver reads the next one.
const READ_AHEAD_BATCHES: usize = 2;

/// The batches being prepared, oldest first.
pub(in crate::sync::driver) struct Preparations {
    shared: Arc<Shared>,
    /// Pool tasks allowed at once: the driver's thread is the last one.
    helpers: usize,
}

/// What the driver's thread and the pool's tasks share.
struct Shared {
    state: Mutex<QueueState>,
}

struct QueueState {
    batches: VecDeque<Arc<BatchWork>>,
    /// Pool tasks running (each ends when no batch has a unit left).
    helpers_running: usize,
}

/// One batch, its units and their results.
struct BatchWork {
    outgoing: OutgoingBatch,
    units: usize,
    /// The next unit to claim; at or past `units`, none is left.
    next_unit: AtomicUsize,
    /// The batch will not be sent: claim nothing more.
    cancelled: AtomicBool,
    progress: Mutex<Progress>,
    /// Signalled when a unit is done or given up.
    unit_done: Condvar,
    /// Tests: the unit whose first preparation unwinds.
    #[cfg(test)]
    unwind_once: Mutex<Option<usize>>,
}

struct Progress {
    results: Vec<Option<crate::Result<Vec<CredentialUpdate>>>>,
    /// Units without a result yet (claimed or not).
    outstanding: usize,
    /// Claimed units whose thread unwound before a result: redone by the
    /// thread that finishes the batch.
    abandoned: Vec<usize>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // A thread that panicked holding a lock left the state whole (every
    // update is a single assignment or push), so the state stays usable.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl BatchWork {
    fn new(outgoing: OutgoingBatch) -> Self {
        let units = outgoing.requests.len().div_ceil(UNIT_REQUESTS);
        Self {
            outgoing,
            units,
            next_unit: AtomicUsize::new(0),
            cancelled: AtomicBool::new(false),
            progress: Mutex::new(Progress {
                results: (0..units).map(|_| None).collect(),
                outstanding: units,
                abandoned: Vec::new(),
            }),
            unit_done: Condvar::new(),
            #[cfg(test)]
            unwind_once: Mutex::new(None),
        }
    }

    fn has_unclaimed(&self) -> bool {
        !self.cancelled.load(Ordering::Relaxed)
            && self.next_unit.load(Ordering::Relaxed) < self.units
    }

    /// Claims the next unit and prepares it; false when none was left.
    fn run_one(&self) -> bool {
        if self.cancelled.load(Ordering::Relaxed) {
            return false;
        }
        let unit = self.next_unit.fetch_add(1, Ordering::Relaxed);
        if unit >= self.units {
            return false;
        }
        self.run(unit);
        true
    }

    fn requests(&self, unit: usize) -> Range<usize> {
        let start = unit * UNIT_REQUESTS;
        start..(start + UNIT_REQUESTS).min(self.outgoing.requests.len())
    }

    fn run(&self, unit: usize) {
        // Should the preparation unwind, the unit is handed back rather
        // than left outstanding for ever.
        struct GiveBack<'a> {
            work: &'a BatchWork,
            unit: usize,
            done: bool,
        }
        impl Drop for GiveBack<'_> {
            fn drop(&mut self) {
                if !self.done {
                    lock(&self.work.progress).abandoned.push(self.unit);
                    self.work.unit_done.notify_all();
                }
            }
        }
        let mut give_back = GiveBack {
            work: self,
            unit,
            done: false,
        };
        #[cfg(test)]
        if lock(&self.unwind_once)
            .take_if(|failing| *failing == unit)
            .is_some()
        {
            panic!("unit {unit} unwinds (test)");
        }
        let result = self.outgoing.prepare_requests(self.requests(unit));
        give_back.done = true;
        let mut progress = lock(&self.progress);
        progress.results[unit] = Some(result);
        progress.outstanding -= 1;
        drop(progress);
        self.unit_done.notify_all();
    }

    /// Waits until every unit has a result, preparing here those still
    /// unclaimed and those given up; then joins the results in order.
    fn join(&self) -> crate::Result<Batch> {
        while self.run_one() {}
        let mut progress = lock(&self.progress);
        loop {
            if let Some(unit) = progress.abandoned.pop() {
                drop(progress);
                self.run(unit);
                progress = lock(&self.progress);
                continue;
            }
            if progress.outstanding == 0 {
                break;
            }
            progress = self
                .unit_done
                .wait(progress)
                .unwrap_or_else(PoisonError::into_inner);
        }
        let mut updates = Vec::with_capacity(self.outgoing.requests.len());
        for result in progress.results.iter_mut() {
            match result.take() {
                Some(part) => updates.extend(part?),
                None => unreachable!("no unit is outstanding"),
            }
        }
        Ok(self.outgoing.with_updates(updates))
    }
}

impl Preparations {
    /// Preparations on `threads` threads, the caller's included (one
    /// thread, or a build without `parallel`: on the caller's alone).
    pub(in crate::sync::driver) fn new(threads: usize) -> Self {
        let helpers = if cfg!(feature = "parallel") {
            threads.saturating_sub(1)
        } else {
            0
        };
        Self {
            shared: Arc::new(Shared {
                state: Mutex::new(QueueState {
                    batches: VecDeque::new(),
                    helpers_running: 0,
                }),
            }),
            helpers,
        }
    }

    /// How many batches may stay in preparation while the driver reads
    /// on: [`READ_AHEAD_BATCHES`] with a pool to prepare them, none on one
    /// thread (there, a batch is prepared as it is sent).
    pub(in crate::sync::driver) fn read_ahead(&self) -> usize {
        if self.helpers > 0 {
            READ_AHEAD_BATCHES
        } else {
            0
        }
    }

    /// Batches in preparation.
    pub(in crate::sync::driver) fn len(&self) -> usize {
        lock(&self.shared.state).batches.len()
    }

    /// Queues `outgoing`; the pool starts on it at once if a task is free.
    pub(in crate::sync::driver) fn start(&mut self, outgoing: OutgoingBatch) {
        let work = Arc::new(BatchWork::new(outgoing));
        let mut state = lock(&self.shared.state);
        state.batches.push_back(work);
        if state.helpers_running < self.helpers {
            state.helpers_running += 1;
            drop(state);
            self.spawn_helper();
        }
    }

    #[cfg(feature = "parallel")]
    fn spawn_helper(&self) {
        let shared = Arc::clone(&self.shared);
        rayon::spawn(move || shared.help());
    }

    #[cfg(not(feature = "parallel"))]
    fn spawn_helper(&self) {
        unreachable!("no helpers without a pool")
    }

    /// The oldest batch, prepared: its units are claimed here too, then
    /// (while others hold its last ones) units of the later batches.
    /// `None` when nothing is in preparation.
    pub(in crate::sync::driver) fn finish_oldest(
        &mut self,
    ) -> Option<(BatchId, crate::Result<Batch>)> {
        let oldest = lock(&self.shared.state).batches.front().cloned()?;
        while oldest.run_one() {}
        loop {
            if lock(&oldest.progress).outstanding == 0 {
                break;
            }
            // Someone else holds the oldest batch's last unit: rather than
            // wait, take one of a later batch's.
            let later = lock(&self.shared.state)
                .batches
                .iter()
                .skip(1)
                .find(|work| work.has_unclaimed())
                .cloned();
            match later {
                Some(work) => {
                    work.run_one();
                }
                None => break,
            }
        }
        let prepared = oldest.join();
        lock(&self.shared.state).batches.pop_front();
        Some((oldest.outgoing.id, prepared))
    }

    /// Gives up every batch in preparation (none will be sent) and
    /// returns their ids, newest first: the order in which handing them
    /// back to the channel puts the oldest at the front of its queue.
    pub(in crate::sync::driver) fn cancel_all(&mut self) -> Vec<BatchId> {
        let mut state = lock(&self.shared.state);
        let mut ids = Vec::with_capacity(state.batches.len());
        while let Some(work) = state.batches.pop_back() {
            work.cancelled.store(true, Ordering::Relaxed);
            ids.push(work.outgoing.id);
        }
        ids
    }
}

impl Shared {
    /// A pool task: prepares units, oldest batch first, until none is left.
    #[cfg_attr(not(feature = "parallel"), allow(dead_code))]
    fn help(&self) {
        loop {
            let work = {
                let mut state = lock(&self.state);
                match state.batches.iter().find(|work| work.has_unclaimed()) {
                    Some(work) => Arc::clone(work),
                    None => {
                        state.helpers_running -= 1;
                        return;
                    }
                }
            };
            while work.run_one() {}
        }
    }
}

impl Drop for Preparations {
    fn drop(&mut self) {
        // Pool tasks still running end after their current unit.
        self.cancel_all();
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::sync::LegacyDelivery;
    use crate::sync::ObjectGuid;
    use crate::sync::credential::{RequestCredentials, StoredHashes, UpdateRequest};
    use crate::{Iterations, NtHash, Password};

    fn nt_hash_of(batch: u64, index: usize) -> NtHash {
        crate::nt_hash(&Password::new(&format!("batch {batch} account {index}")))
    }

    /// A batch of `len` requests, each with its own NT hash and GUID.
    fn batch(id: u64, len: usize) -> OutgoingBatch {
        let requests = (0..len)
            .map(|index| {
                let mut guid = [0u8; 16];
                guid[..8].copy_from_slice(&id.to_le_bytes());
                guid[8..].copy_from_slice(&(index as u64).to_le_bytes());
                Arc::new(UpdateRequest {
                    object_guid: ObjectGuid::from_bytes(guid),
                    distinguished_name: format!("CN=user{index},DC=onprem,DC=contoso,DC=com"),
                    sam_account_name: format!("user{index}"),
                    usn: index as u64 + 1,
                    change_date: None,
                    cloud_anchor: None,
                    credentials: RequestCredentials::Stored(StoredHashes {
                        nt_hash: nt_hash_of(id, index),
                        kerberos: None,
                    }),
                    force_change_on_logon: false,
                    domain_services: None,
                    delivery: LegacyDelivery::Plaintext,
                    org_id_iterations: Iterations::new(3).unwrap(),
                })
            })
            .collect();
        OutgoingBatch {
            id: BatchId(id),
            source_connector: "onprem.contoso.com".into(),
            target_connector: "contoso.onmicrosoft.com - Microsoft Entra ID".into(),
            requests,
        }
    }

    /// Every request of `outgoing` prepared once, in its place: each OrgId
    /// hash opens with that request's own NT hash (and no other's).
    fn assert_prepared(outgoing: &OutgoingBatch, prepared: &Batch) {
        assert_eq!(prepared.id, outgoing.id);
        assert_eq!(prepared.updates.len(), outgoing.requests.len());
        for (index, (request, update)) in
            outgoing.requests.iter().zip(&prepared.updates).enumerate()
        {
            assert_eq!(update.source_anchor, request.object_guid.source_anchor());
            assert!(
                update
                    .org_id
                    .verify_nt_hash(&nt_hash_of(outgoing.id.0, index))
            );
            let other = nt_hash_of(outgoing.id.0, index + 1);
            assert!(!update.org_id.verify_nt_hash(&other), "{index}");
        }
    }

    #[test]
    fn batches_are_prepared_whole_and_in_order_on_any_number_of_threads() {
        // Lengths at and around the unit size, and the largest batch.
        let lengths = [1, 15, 16, 17, 33, 50];
        for threads in [1, 2, 3, 8] {
            let mut preparations = Preparations::new(threads);
            let batches: Vec<OutgoingBatch> = lengths
                .iter()
                .enumerate()
                .map(|(id, len)| batch(id as u64, *len))
                .collect();
            for outgoing in &batches {
                preparations.start(outgoing.clone());
            }
            assert_eq!(preparations.len(), lengths.len());
            for outgoing in &batches {
                let (id, prepared) = preparations.finish_oldest().unwrap();
                assert_eq!(id, outgoing.id, "{threads} thread(s)");
                assert_prepared(outgoing, &prepared.unwrap());
            }
            assert!(preparations.finish_oldest().is_none());
        }
    }

    #[test]
    fn a_unit_whose_thread_unwound_is_prepared_again_by_the_finishing_thread() {
        let outgoing = batch(7, 40);
        let work = Arc::new(BatchWork::new(outgoing.clone()));
        *lock(&work.unwind_once) = Some(1);
        let unwinding = Arc::clone(&work);
        let thread = std::thread::spawn(move || while unwinding.run_one() {});
        assert!(thread.join().is_err(), "unit 1 unwound its thread");
        assert_eq!(lock(&work.progress).abandoned, vec![1]);
        assert!(work.has_unclaimed(), "units 2 and 3 were never claimed");
        assert_prepared(&outgoing, &work.join().unwrap());
    }

    #[test]
    fn cancelled_batches_come_back_newest_first_and_claim_nothing_more() {
        let mut preparations = Preparations::new(2);
        for id in 1..=3 {
            preparations.start(batch(id, 50));
        }
        let works: Vec<Arc<BatchWork>> = lock(&preparations.shared.state)
            .batches
            .iter()
            .cloned()
            .collect();
        assert_eq!(
            preparations.cancel_all(),
            vec![BatchId(3), BatchId(2), BatchId(1)]
        );
        assert_eq!(preparations.len(), 0);
        assert!(
            works
                .iter()
                .all(|work| !work.has_unclaimed() && !work.run_one())
        );
        assert!(preparations.finish_oldest().is_none());
        // Whatever a pool task was preparing, the queue stays usable.
        preparations.start(batch(4, 20));
        let (id, prepared) = preparations.finish_oldest().unwrap();
        assert_eq!(id, BatchId(4));
        assert_prepared(&batch(4, 20), &prepared.unwrap());
    }

    #[test]
    fn an_unpreparable_request_fails_its_batch_and_no_other() {
        let mut broken = batch(1, 33);
        let mut request = (*broken.requests[20]).clone();
        request.credentials = RequestCredentials::StoredAttributes(
            crate::sync::StoredAttributes::new(nt_hash_of(1, 20), b"not a blob"),
        );
        broken.requests[20] = Arc::new(request);
        let mut preparations = Preparations::new(2);
        preparations.start(broken);
        preparations.start(batch(2, 33));
        let (id, prepared) = preparations.finish_oldest().unwrap();
        assert_eq!(id, BatchId(1));
        assert_eq!(
            prepared.unwrap_err(),
            crate::Error::MalformedSupplementalCredentials
        );
        let (id, prepared) = preparations.finish_oldest().unwrap();
        assert_eq!(id, BatchId(2));
        assert_prepared(&batch(2, 33), &prepared.unwrap());
    }
}
