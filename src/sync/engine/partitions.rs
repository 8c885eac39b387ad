//! Partition bookkeeping: what each domain partition has read, which of it
//! is final, when its cursor may be committed, and when its full sync (and
//! the forest's) completes.

use std::collections::{BTreeSet, VecDeque};

use crate::model::Partition;

use super::super::cursor::{Cursor, CursorCommit};
use super::super::event::{Event, ItemOutcome};
use super::{Channel, PartitionHandle, PartitionStatus, ReadMode, StatusChange};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct Counts {
    pub(super) read: u64,
    pub(super) synced: u64,
    pub(super) skipped: u64,
    pub(super) failed: u64,
}

#[derive(Debug)]
pub(super) struct PartitionTrack {
    pub(super) info: Partition,
    pub(super) next_seq: u64,
    /// Sequence numbers of emitted in-scope accounts without a final result.
    pub(super) unfinished: BTreeSet<u64>,
    /// `(boundary, cursor)`: committable once every seq below `boundary` is final.
    pub(super) checkpoints: VecDeque<(u64, Cursor)>,
    /// No more commits in this read (source error or retry overflow).
    pub(super) held: bool,
    pub(super) held_reason: Option<String>,
    pub(super) reading: bool,
    /// The source stream of the current read ended normally.
    pub(super) read_complete: bool,
    /// Begun in the current cycle; its status is reported at the cycle's end.
    pub(super) in_cycle: bool,
    /// A full sync is under way (durable: commits carry the mark).
    pub(super) full_sync: bool,
    pub(super) last_commit: Option<Cursor>,
    /// The last checkpoint fed while not held: where the next cycle's read
    /// goes on in this process (the committed cursor may be behind it,
    /// held back by changes waiting in the retry queue).
    pub(super) read_position: Option<Cursor>,
    pub(super) counts: Counts,
}

/// The forest's (channel's) full sync.
#[derive(Debug, Default)]
pub(super) struct ForestState {
    pub(super) in_full_sync: bool,
    pub(super) domains_completed: u64,
}

impl Channel {
    /// Call before feeding a partition's source stream. `Full` starts a
    /// domain's full sync (618); `FullResumed` continues one a restart
    /// interrupted (its saved cursor is marked
    /// [`in_full_sync`](Cursor::in_full_sync)): no new start event, and
    /// 622/623 follow when it completes.
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
                    next_seq: 0,
                    unfinished: BTreeSet::new(),
                    checkpoints: VecDeque::new(),
                    held: false,
                    held_reason: None,
                    reading: false,
                    read_complete: false,
                    in_cycle: false,
                    full_sync: false,
                    last_commit: None,
                    read_position: None,
                    counts: Counts::default(),
                });
                self.partitions.len() - 1
            }
        };
        let track = &mut self.partitions[index];
        track.held = false;
        track.held_reason = None;
        track.reading = true;
        track.read_complete = false;
        track.in_cycle = true;
        track.full_sync = mode != ReadMode::Incremental;
        track.counts = Counts::default();
        let partition = track.info.dn().to_owned();
        if track.full_sync {
            self.forest.in_full_sync = true;
        }
        if mode == ReadMode::Full {
            let partition = partition.clone();
            self.push_event(|connector, connector_id| Event::DomainFullSyncStarted {
                connector,
                connector_id,
                partition,
            });
        }
        self.statuses.push_back(StatusChange {
            partition,
            status: PartitionStatus::InProgress,
        });
        PartitionHandle(index)
    }

    /// Where the next cycle should read partition `dn` from in this
    /// process, if the channel knows better than the saved cursor: past
    /// the changes it has read whose results are not final yet (they wait
    /// in the retry queue), so they are not read and sent again. `None`
    /// before the first read, and after a read that was held (a source
    /// error or an overflow: those changes must be read again from the
    /// saved cursor). Marked [`in_full_sync`](Cursor::in_full_sync) while
    /// the partition's full sync is under way.
    pub fn read_position(&self, dn: &str) -> Option<Cursor> {
        let track = self.partitions.iter().find(|p| p.info.dn() == dn)?;
        if track.held {
            return None;
        }
        let position = track.read_position.clone()?;
        Some(position.with_full_sync(track.full_sync))
    }

    pub(super) fn partition_dn(&self, index: usize) -> String {
        self.partitions[index].info.dn().to_owned()
    }

    pub(super) fn count_outcome(&mut self, index: usize, outcome: ItemOutcome) {
        let counts = &mut self.partitions[index].counts;
        match outcome {
            ItemOutcome::Success => {
                counts.synced += 1;
                self.cycle.counts.synced += 1;
            }
            ItemOutcome::NoRetry => {
                counts.failed += 1;
                self.cycle.counts.failed += 1;
                self.cycle.no_retry += 1;
            }
            ItemOutcome::Overflowed => {
                counts.failed += 1;
                self.cycle.counts.failed += 1;
            }
            _ => {}
        }
    }

    /// Stops commits for the rest of this read: later checkpoints would
    /// skip a change that is not final. A full sync's attempt fails (621).
    pub(super) fn hold(&mut self, index: usize, reason: &str) {
        let track = &mut self.partitions[index];
        track.held = true;
        track.checkpoints.clear();
        // What failed must be read again: from the committed cursor.
        track.read_position = None;
        if track.held_reason.is_some() {
            return;
        }
        track.held_reason = Some(reason.to_owned());
        if track.full_sync {
            let partition = track.info.dn().to_owned();
            let reason = reason.to_owned();
            self.push_event(|connector, connector_id| Event::DomainFullSyncFailed {
                connector,
                connector_id,
                partition,
                reason,
            });
        }
    }

    /// A change of partition `index` has a final result.
    pub(super) fn finish(&mut self, index: usize, seq: u64) {
        self.partitions[index].unfinished.remove(&seq);
        self.try_commit(index);
        self.check_full_sync_done(index);
    }

    pub(super) fn try_commit(&mut self, index: usize) {
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
            let cursor = cursor.with_full_sync(track.full_sync);
            track.last_commit = Some(cursor.clone());
            self.push_commit(index, cursor);
        }
    }

    fn push_commit(&mut self, index: usize, cursor: Cursor) {
        let partition = self.partition_dn(index);
        self.commits.push_back(CursorCommit {
            partition: partition.clone(),
            cursor,
        });
        self.push_event(|connector, connector_id| Event::CursorCommitted {
            connector,
            connector_id,
            partition,
        });
    }

    /// A domain's full sync completes when its read ended normally and
    /// every account read has a final result: 622, the cursor committed
    /// again without the full-sync mark, and perhaps the forest's 623.
    pub(super) fn check_full_sync_done(&mut self, index: usize) {
        let track = &mut self.partitions[index];
        if !track.full_sync
            || track.reading
            || !track.read_complete
            || track.held
            || !track.unfinished.is_empty()
        {
            return;
        }
        track.full_sync = false;
        let counts = track.counts;
        let partition = track.info.dn().to_owned();
        if let Some(cursor) = track.last_commit.take() {
            let cursor = cursor.with_full_sync(false);
            track.last_commit = Some(cursor.clone());
            self.push_commit(index, cursor);
        }
        self.forest.domains_completed += 1;
        self.push_event(|connector, connector_id| Event::DomainFullSyncCompleted {
            connector,
            connector_id,
            partition,
            read: counts.read,
            synced: counts.synced,
            skipped: counts.skipped,
            failed: counts.failed,
        });
        if !self.cycle.active {
            self.check_forest_done();
        }
    }

    /// The forest's full sync completes when no domain is in one any more
    /// (checked once every partition of a cycle has been begun).
    pub(super) fn check_forest_done(&mut self) {
        if !self.forest.in_full_sync || self.partitions.iter().any(|p| p.full_sync) {
            return;
        }
        let domains = self.forest.domains_completed;
        self.forest = ForestState::default();
        self.push_event(|connector, connector_id| Event::ForestFullSyncCompleted {
            connector,
            connector_id,
            domains,
        });
    }

    pub(super) fn progress_event(&mut self, index: usize) {
        let track = &self.partitions[index];
        let partition = track.info.dn().to_owned();
        let counts = track.counts;
        self.push_event(|connector, connector_id| Event::DomainFullSyncProgress {
            connector,
            connector_id,
            partition,
            read: counts.read,
            synced: counts.synced,
            skipped: counts.skipped,
            failed: counts.failed,
        });
    }

    /// Reports the status of every partition begun in the cycle: Successful,
    /// or Failed when its read was held (source error, overflow); with
    /// `interrupted`, Interrupted instead.
    pub(super) fn report_partition_statuses(&mut self, interrupted: bool) {
        for track in &mut self.partitions {
            if !track.in_cycle {
                continue;
            }
            track.in_cycle = false;
            track.reading = false;
            let status = if interrupted {
                PartitionStatus::Interrupted
            } else if track.held {
                PartitionStatus::Failed
            } else {
                PartitionStatus::Successful
            };
            self.statuses.push_back(StatusChange {
                partition: track.info.dn().to_owned(),
                status,
            });
        }
    }
}
