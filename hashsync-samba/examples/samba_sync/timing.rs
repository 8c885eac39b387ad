//! Where a run's time goes: the source's reads and the target's writes,
//! timed from outside the adapters; the crash on demand; and the sealed
//! path to the target (the managed domain's certificate configured).

use std::cell::Cell;
use std::rc::Rc;
use std::time::{Duration, Instant};

use hashsync::model::Partition;
use hashsync::sync::{
    Batch, ChangeSource, Cursor, ItemResult, LegacySecrets, SealingError, SealingTransport,
    SourceItem, SourceStream, Transport,
};
use hashsync_samba::{SambaError, SambaSource, SambaTarget};

/// How updates reach the target: as the engine prepared them, or sealed
/// to the managed domain's certificate on the way (the target opens them
/// with its key).
pub(crate) enum Delivery {
    Plaintext(SambaTarget),
    Sealed(SealingTransport<SealedAtTarget>),
}

impl Delivery {
    /// The Samba target behind either path.
    pub(crate) fn samba(&mut self) -> &mut SambaTarget {
        match self {
            Delivery::Plaintext(target) => target,
            Delivery::Sealed(sealing) => &mut sealing.get_mut().target,
        }
    }

    /// How many updates reached the target sealed, on the sealed path.
    pub(crate) fn sealed(&self) -> Option<u64> {
        match self {
            Delivery::Plaintext(_) => None,
            Delivery::Sealed(sealing) => Some(sealing.get_ref().sealed),
        }
    }
}

/// The target behind the sealing: counts the envelopes it was handed, for
/// the run's report.
pub(crate) struct SealedAtTarget {
    pub(crate) target: SambaTarget,
    pub(crate) sealed: u64,
}

impl Transport for SealedAtTarget {
    type Error = SambaError;

    fn send(&mut self, batch: &Batch) -> Result<Vec<ItemResult>, SambaError> {
        self.sealed += batch
            .updates
            .iter()
            .filter(|u| matches!(u.legacy, Some(LegacySecrets::Sealed(_))))
            .count() as u64;
        self.target.send(batch)
    }
}

/// The target, counting delivered batches to crash on demand.
pub(crate) struct LoggedTarget {
    pub(crate) target: Delivery,
    /// Time spent writing to the target.
    pub(crate) spent: Duration,
    pub(crate) batches: u64,
    pub(crate) crash_after: Option<u64>,
}

impl Transport for LoggedTarget {
    type Error = SealingError<SambaError>;

    fn send(&mut self, batch: &Batch) -> Result<Vec<ItemResult>, Self::Error> {
        let started = Instant::now();
        let results = match &mut self.target {
            Delivery::Plaintext(target) => target.send(batch).map_err(SealingError::Transport),
            Delivery::Sealed(sealing) => sealing.send(batch),
        };
        self.spent += started.elapsed();
        self.batches += 1;
        if self.crash_after.is_some_and(|k| self.batches >= k) {
            eprintln!(
                "samba_sync: aborting after {} batch(es), as asked",
                self.batches
            );
            std::process::abort();
        }
        results
    }
}

/// The source, timing the reads (for the summary's breakdown).
pub(crate) struct TimedSource {
    pub(crate) source: SambaSource,
    pub(crate) spent: Rc<Cell<Duration>>,
}

struct TimedStream<'a> {
    pub(crate) stream: SourceStream<'a, SambaError>,
    pub(crate) spent: Rc<Cell<Duration>>,
}

impl Iterator for TimedStream<'_> {
    type Item = Result<SourceItem, SambaError>;

    fn next(&mut self) -> Option<Self::Item> {
        let started = Instant::now();
        let item = self.stream.next();
        self.spent.set(self.spent.get() + started.elapsed());
        item
    }
}

impl ChangeSource for TimedSource {
    type Error = SambaError;

    fn partitions(&mut self) -> Result<Vec<Partition>, SambaError> {
        let started = Instant::now();
        let partitions = self.source.partitions();
        self.spent.set(self.spent.get() + started.elapsed());
        partitions
    }

    fn full_sync(
        &mut self,
        partition: &Partition,
    ) -> Result<SourceStream<'_, SambaError>, SambaError> {
        let started = Instant::now();
        let spent = Rc::clone(&self.spent);
        let stream = self.source.full_sync(partition);
        spent.set(spent.get() + started.elapsed());
        stream.map(|stream| Box::new(TimedStream { stream, spent }) as SourceStream<'_, SambaError>)
    }

    fn changes_since(
        &mut self,
        partition: &Partition,
        cursor: &Cursor,
    ) -> Result<SourceStream<'_, SambaError>, SambaError> {
        let started = Instant::now();
        let spent = Rc::clone(&self.spent);
        let stream = self.source.changes_since(partition, cursor);
        spent.set(spent.get() + started.elapsed());
        stream.map(|stream| Box::new(TimedStream { stream, spent }) as SourceStream<'_, SambaError>)
    }
}
