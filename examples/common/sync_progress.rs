//! The `force_full_sync` example's observer: readable progress on stderr,
//! the events file (one JSON line per event), the totals for the summary
//! and the target's last error.

use std::error::Error;
use std::fs::File;
use std::io::{BufWriter, Write};

use hashsync::sync::{Diagnostics, Event, ItemOutcome, Observer};

/// Per-forest totals over every run, re-reads after a crash included.
#[derive(Default, Clone, Copy)]
pub struct Totals {
    /// In-scope changes queued for sending.
    pub read: u64,
    /// Deliveries the target accepted.
    pub synced: u64,
    /// Reads out of scope.
    pub skipped: u64,
    /// Changes the target refused for good.
    pub failed: u64,
}

/// Prints readable progress, writes the events file, keeps the last
/// transport error.
pub struct Progress {
    pub events: Option<BufWriter<File>>,
    pub write_error: Option<std::io::Error>,
    pub totals: Vec<(String, Totals)>,
    pub retries: u64,
    pub no_retry: u64,
    pub overflows: u64,
    /// The last error the target answered with (typed, from the driver).
    pub target_error: Option<String>,
    /// Items that got a final result (stored or refused for good).
    pub final_results: u64,
    /// Every event (and, through the wrapped sources, each read), for the
    /// progress lines.
    pub diagnostics: Diagnostics,
}

impl Progress {
    /// The totals of `connector`, made on first use.
    pub fn totals(&mut self, connector: &str) -> &mut Totals {
        let index = match self.totals.iter().position(|(c, _)| c == connector) {
            Some(index) => index,
            None => {
                self.totals.push((connector.to_owned(), Totals::default()));
                self.totals.len() - 1
            }
        };
        &mut self.totals[index].1
    }
}

impl Progress {
    /// One domain's full-sync progress, from the diagnostics record: read
    /// of the source's total, synced, skipped, failed, in the retry queue,
    /// the rate over the last minute, the time elapsed and an ETA.
    fn progress_line(&self, connector: &str, partition: &str) {
        let progress = self.diagnostics.progress();
        let Some(d) = progress
            .iter()
            .filter(|forest| forest.connector == connector)
            .flat_map(|forest| &forest.domains)
            .find(|domain| domain.partition == partition)
        else {
            return;
        };
        let total = d.estimated_total.map_or("?".to_owned(), |t| t.to_string());
        let rate = d
            .rate_per_second
            .map_or("-".to_owned(), |r| format!("{r:.0}/s"));
        let eta = d
            .eta_seconds
            .map_or("unknown".to_owned(), |e| format!("{e:.0} s"));
        eprintln!(
            "  domain {partition}: {}/{total} read, {} synced, {} out of scope, {} failed, {} in the retry queue; {rate} over the last minute, {:.0} s elapsed, ETA {eta}",
            d.read, d.synced, d.skipped, d.failed, d.retrying, d.elapsed_seconds
        );
    }
}

impl Observer for Progress {
    fn event(&mut self, event: &Event) {
        self.diagnostics.record_event(event);
        if let Some(out) = self.events.as_mut() {
            let written = serde_json::to_writer(&mut *out, event)
                .map_err(std::io::Error::from)
                .and_then(|()| out.write_all(b"\n"));
            if let Err(e) = written {
                self.write_error.get_or_insert(e);
            }
        }
        match event {
            Event::ForestFullSyncStarted {
                connector, reason, ..
            } => {
                eprintln!("forest {connector}: full sync started ({reason:?})")
            }
            Event::DomainFullSyncStarted { partition, .. } => {
                eprintln!("  domain {partition}: full sync started")
            }
            Event::DomainFullSyncProgress {
                connector,
                partition,
                ..
            } => self.progress_line(connector, partition),
            Event::DomainFullSyncCompleted {
                partition,
                read,
                synced,
                skipped,
                failed,
                ..
            } => eprintln!(
                "  domain {partition}: full sync complete: {read} read, {synced} synced, {skipped} out of scope, {failed} failed"
            ),
            Event::DomainFullSyncFailed {
                partition, reason, ..
            } => {
                eprintln!(
                    "  domain {partition}: full sync attempt failed: {reason}; it goes on next cycle"
                )
            }
            Event::ForestFullSyncCompleted {
                connector, domains, ..
            } => {
                eprintln!("forest {connector}: full sync complete in {domains} domain(s)")
            }
            Event::PartitionFailed {
                connector,
                partition,
                reason,
                ..
            } => {
                eprintln!("forest {connector}: domain {partition} failed: {reason}")
            }
            Event::BatchFailed {
                connector,
                batch,
                reason,
                ..
            } => {
                eprintln!("forest {connector}: batch {batch} failed: {reason}")
            }
            Event::PasswordSyncSuspended {
                connector, reason, ..
            } => eprintln!("forest {connector}: {reason}"),
            Event::RetryQueueOverflow { .. } => self.overflows += 1,
            Event::AccountSkipped { connector, .. } => self.totals(connector).skipped += 1,
            Event::PasswordChangeRequest {
                connector, attempt, ..
            } if *attempt == 1 => self.totals(connector).read += 1,
            Event::PasswordChangeResult {
                connector, outcome, ..
            } => match outcome {
                ItemOutcome::Success => {
                    self.final_results += 1;
                    self.totals(connector).synced += 1;
                }
                ItemOutcome::Retrying => self.retries += 1,
                ItemOutcome::NoRetry => {
                    self.final_results += 1;
                    self.no_retry += 1;
                    self.totals(connector).failed += 1;
                }
                _ => {}
            },
            Event::CycleCompleted {
                connector,
                read,
                synced,
                skipped,
                failed,
                retrying,
                ..
            } if *read > 0 => eprintln!(
                "forest {connector}: cycle done: {read} read, {synced} synced, {skipped} out of scope, {failed} failed, {retrying} waiting for a retry"
            ),
            _ => {}
        }
    }

    fn transport_error(&mut self, _connector: &str, error: &(dyn Error + 'static)) {
        self.target_error = Some(error.to_string());
    }
}
