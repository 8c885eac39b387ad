//! A full sync's progress, per forest and domain, queryable at any moment.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use serde::Serialize;

/// The window of the read rate.
const RATE_WINDOW: Duration = Duration::from_secs(60);

/// One domain's full sync, as it stands.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[non_exhaustive]
pub struct DomainProgress {
    /// The partition DN.
    pub partition: String,
    /// Accounts read so far.
    pub read: u64,
    /// Accounts stored by the target.
    pub synced: u64,
    /// Accounts out of scope.
    pub skipped: u64,
    /// Accounts refused for good (no-retry).
    pub failed: u64,
    /// Accounts waiting in the retry queue.
    pub retrying: u64,
    /// Accounts read per second over the last minute (`None` before any
    /// time has passed).
    pub rate_per_second: Option<f64>,
    /// Time since the full sync began, in seconds.
    pub elapsed_seconds: f64,
    /// The source's estimate of the accounts a full sync reads, if it has one.
    pub estimated_total: Option<u64>,
    /// Seconds left at the last minute's rate, when the total is known.
    pub eta_seconds: Option<f64>,
    /// The domain's full sync completed (622).
    pub completed: bool,
}

/// One forest's (AD connector's) full sync: its domains and their sums.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[non_exhaustive]
pub struct ForestProgress {
    /// The AD connector.
    pub connector: String,
    /// Accounts read, over the domains.
    pub read: u64,
    /// Accounts stored.
    pub synced: u64,
    /// Accounts out of scope.
    pub skipped: u64,
    /// Accounts refused for good.
    pub failed: u64,
    /// Accounts waiting in the retry queue.
    pub retrying: u64,
    /// Accounts read per second over the last minute.
    pub rate_per_second: Option<f64>,
    /// Time since the forest's full sync began, in seconds.
    pub elapsed_seconds: f64,
    /// The sum of the domains' estimates, when each has one.
    pub estimated_total: Option<u64>,
    /// Seconds left at the last minute's rate.
    pub eta_seconds: Option<f64>,
    /// Every domain completed (623).
    pub completed: bool,
    /// Per domain.
    pub domains: Vec<DomainProgress>,
}

#[derive(Debug)]
struct DomainTrack {
    connector: String,
    partition: String,
    started: Instant,
    ended: Option<Instant>,
    read: u64,
    synced: u64,
    skipped: u64,
    failed: u64,
    retrying: u64,
    estimated_total: Option<u64>,
    /// `(when, read so far)`, the last minute's and one before it.
    samples: VecDeque<(Instant, u64)>,
}

impl DomainTrack {
    fn rate(&self, now: Instant) -> Option<f64> {
        // The baseline: the oldest sample kept, at or before the window.
        let (first, first_read) = *self.samples.front()?;
        let since = now.saturating_duration_since(first);
        if since.is_zero() {
            return None;
        }
        Some((self.read - first_read) as f64 / since.as_secs_f64())
    }

    fn sample(&mut self, now: Instant) {
        self.samples.push_back((now, self.read));
        // Keep one sample at or before the window's start as the baseline.
        while self.samples.len() > 1 && self.samples[1].0 + RATE_WINDOW <= now {
            self.samples.pop_front();
        }
    }

    fn view(&self, now: Instant) -> DomainProgress {
        let end = self.ended.unwrap_or(now);
        let rate = self.ended.is_none().then(|| self.rate(now)).flatten();
        let eta = match (self.estimated_total, rate) {
            _ if self.ended.is_some() => Some(0.0),
            (Some(total), Some(rate)) if rate > 0.0 => {
                Some(total.saturating_sub(self.read) as f64 / rate)
            }
            _ => None,
        };
        DomainProgress {
            partition: self.partition.clone(),
            read: self.read,
            synced: self.synced,
            skipped: self.skipped,
            failed: self.failed,
            retrying: self.retrying,
            rate_per_second: rate,
            elapsed_seconds: end.saturating_duration_since(self.started).as_secs_f64(),
            estimated_total: self.estimated_total,
            eta_seconds: eta,
            completed: self.ended.is_some(),
        }
    }
}

/// What a step of the sync did to one domain's counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ProgressStep {
    Read,
    Skipped,
    Synced,
    Failed,
    Queued,
    Dequeued,
}

/// The full syncs under way or done, fed by [`Diagnostics`](super::Diagnostics).
#[derive(Debug, Default)]
pub(crate) struct ProgressTracker {
    domains: Vec<DomainTrack>,
    forests_completed: Vec<String>,
}

impl ProgressTracker {
    /// A domain's full sync begins (a full read starts), or a resumed one
    /// goes on (`resumed`: the counts are kept).
    pub(crate) fn begin(
        &mut self,
        connector: &str,
        partition: &str,
        resumed: bool,
        estimated_total: Option<u64>,
        now: Instant,
    ) {
        self.forests_completed.retain(|c| c != connector);
        if let Some(track) = self.find(connector, partition) {
            track.estimated_total = estimated_total.or(track.estimated_total);
            if resumed && track.ended.is_none() {
                return;
            }
            *track = DomainTrack::new(connector, partition, estimated_total, now);
            return;
        }
        self.domains
            .push(DomainTrack::new(connector, partition, estimated_total, now));
    }

    /// Counts a step in a full sync under way (steps outside one are not
    /// counted).
    pub(crate) fn step(
        &mut self,
        connector: &str,
        partition: &str,
        step: ProgressStep,
        now: Instant,
    ) {
        let Some(track) = self
            .find(connector, partition)
            .filter(|t| t.ended.is_none())
        else {
            return;
        };
        match step {
            ProgressStep::Read => track.read += 1,
            ProgressStep::Skipped => track.skipped += 1,
            ProgressStep::Synced => track.synced += 1,
            ProgressStep::Failed => track.failed += 1,
            ProgressStep::Queued => track.retrying += 1,
            ProgressStep::Dequeued => track.retrying = track.retrying.saturating_sub(1),
        }
        if step == ProgressStep::Read {
            track.sample(now);
        }
    }

    /// A domain's full sync completed (622).
    pub(crate) fn complete_domain(&mut self, connector: &str, partition: &str, now: Instant) {
        if let Some(track) = self.find(connector, partition) {
            track.ended.get_or_insert(now);
        }
    }

    /// A forest's full sync completed (623).
    pub(crate) fn complete_forest(&mut self, connector: &str) {
        if !self.forests_completed.iter().any(|c| c == connector) {
            self.forests_completed.push(connector.to_owned());
        }
    }

    /// The progress of every forest that has had a full sync, as of `now`.
    pub(crate) fn view(&self, now: Instant) -> Vec<ForestProgress> {
        let mut forests: Vec<ForestProgress> = Vec::new();
        for track in &self.domains {
            let domain = track.view(now);
            let index = match forests.iter().position(|f| f.connector == track.connector) {
                Some(index) => index,
                None => {
                    forests.push(ForestProgress {
                        connector: track.connector.clone(),
                        read: 0,
                        synced: 0,
                        skipped: 0,
                        failed: 0,
                        retrying: 0,
                        rate_per_second: None,
                        elapsed_seconds: 0.0,
                        estimated_total: Some(0),
                        eta_seconds: None,
                        completed: false,
                        domains: Vec::new(),
                    });
                    forests.len() - 1
                }
            };
            let forest = &mut forests[index];
            forest.read += domain.read;
            forest.synced += domain.synced;
            forest.skipped += domain.skipped;
            forest.failed += domain.failed;
            forest.retrying += domain.retrying;
            forest.rate_per_second = match (forest.rate_per_second, domain.rate_per_second) {
                (Some(a), Some(b)) => Some(a + b),
                (a, b) => a.or(b),
            };
            forest.elapsed_seconds = forest.elapsed_seconds.max(domain.elapsed_seconds);
            forest.estimated_total = forest
                .estimated_total
                .zip(domain.estimated_total)
                .map(|(a, b)| a + b);
            forest.domains.push(domain);
        }
        for forest in &mut forests {
            forest.completed = self.forests_completed.contains(&forest.connector)
                || forest.domains.iter().all(|d| d.completed);
            forest.eta_seconds = if forest.completed {
                Some(0.0)
            } else {
                match (forest.estimated_total, forest.rate_per_second) {
                    (Some(total), Some(rate)) if rate > 0.0 => {
                        Some(total.saturating_sub(forest.read) as f64 / rate)
                    }
                    _ => None,
                }
            };
        }
        forests
    }

    fn find(&mut self, connector: &str, partition: &str) -> Option<&mut DomainTrack> {
        self.domains
            .iter_mut()
            .find(|t| t.connector == connector && t.partition == partition)
    }
}

impl DomainTrack {
    fn new(connector: &str, partition: &str, estimated_total: Option<u64>, now: Instant) -> Self {
        let mut samples = VecDeque::new();
        samples.push_back((now, 0));
        Self {
            connector: connector.to_owned(),
            partition: partition.to_owned(),
            started: now,
            ended: None,
            read: 0,
            synced: 0,
            skipped: 0,
            failed: 0,
            retrying: 0,
            estimated_total,
            samples,
        }
    }
}
