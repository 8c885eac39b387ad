//! Where a run's time goes: the source's reads and the target's writes,
//! timed from outside the adapters; the crash on demand; and the count of
//! sealed updates (the managed domain's certificate configured).

use std::cell::Cell;
use std::rc::Rc;
use std::time::{Duration, Instant};

use hashsync::model::Partition;
use hashsync::sync::{
    Batch, ChangeSource, Cursor, ItemResult, LegacySecrets, SourceItem, SourceStream, Transport,
};
use hashsync_samba::{SambaError, SambaTarget};

use crate::source::{Source, SourceError};

/// The target, counting delivered batches to crash on demand and, when
/// the channel seals to the managed domain's certificate, the envelopes
/// it was handed (the target opens them with its key).
pub(crate) struct LoggedTarget {
    pub(crate) target: SambaTarget,
    /// Updates that arrived sealed; `None` on the plaintext path.
    pub(crate) sealed: Option<u64>,
    /// Time spent writing to the target.
    pub(crate) spent: Duration,
    pub(crate) batches: u64,
    pub(crate) crash_after: Option<u64>,
}

impl Transport for LoggedTarget {
    type Error = SambaError;

    fn send(&mut self, batch: &Batch) -> Result<Vec<ItemResult>, Self::Error> {
        if let Some(sealed) = &mut self.sealed {
            *sealed += batch
                .updates
                .iter()
                .filter(|u| matches!(u.legacy, Some(LegacySecrets::Sealed(_))))
                .count() as u64;
        }
        let started = Instant::now();
        let results = self.target.send(batch);
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
    pub(crate) source: Source,
    pub(crate) spent: Rc<Cell<Duration>>,
    /// Replication's own split, left here when the source is dropped.
    pub(crate) report: Rc<std::cell::RefCell<Option<String>>>,
}

impl Drop for TimedSource {
    fn drop(&mut self) {
        *self.report.borrow_mut() = self.source.replication_report();
    }
}

struct TimedStream<'a> {
    pub(crate) stream: SourceStream<'a, SourceError>,
    pub(crate) spent: Rc<Cell<Duration>>,
}

impl Iterator for TimedStream<'_> {
    type Item = Result<SourceItem, SourceError>;

    fn next(&mut self) -> Option<Self::Item> {
        let started = Instant::now();
        let item = self.stream.next();
        self.spent.set(self.spent.get() + started.elapsed());
        item
    }
}

impl ChangeSource for TimedSource {
    type Error = SourceError;

    fn partitions(&mut self) -> Result<Vec<Partition>, SourceError> {
        let started = Instant::now();
        let partitions = self.source.partitions();
        self.spent.set(self.spent.get() + started.elapsed());
        partitions
    }

    fn full_sync(
        &mut self,
        partition: &Partition,
    ) -> Result<SourceStream<'_, SourceError>, SourceError> {
        let started = Instant::now();
        let spent = Rc::clone(&self.spent);
        let stream = self.source.full_sync(partition);
        spent.set(spent.get() + started.elapsed());
        stream
            .map(|stream| Box::new(TimedStream { stream, spent }) as SourceStream<'_, SourceError>)
    }

    fn changes_since(
        &mut self,
        partition: &Partition,
        cursor: &Cursor,
    ) -> Result<SourceStream<'_, SourceError>, SourceError> {
        let started = Instant::now();
        let spent = Rc::clone(&self.spent);
        let stream = self.source.changes_since(partition, cursor);
        spent.set(spent.get() + started.elapsed());
        stream
            .map(|stream| Box::new(TimedStream { stream, spent }) as SourceStream<'_, SourceError>)
    }
}
