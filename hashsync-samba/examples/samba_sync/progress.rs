//! Progress on stderr, the events file, and the counts of the summary.

use std::fs::File;
use std::io::{BufWriter, Write};

use hashsync::sync::{Event, ItemOutcome, Observer};
use hashsync_samba::{SambaError, SambaTarget, SkipLog, TargetWrite, WriteOutcome};

use crate::Summary;

pub(crate) struct Progress {
    pub(crate) events: Option<BufWriter<File>>,
    pub(crate) skips: SkipLog,
    pub(crate) summary: Summary,
    pub(crate) write_error: Option<std::io::Error>,
    /// The source's first error, typed (the exit message).
    pub(crate) partition_error: Option<String>,
}

impl Progress {
    fn line(&mut self, value: &serde_json::Value) {
        if let Some(out) = self.events.as_mut() {
            let written = serde_json::to_writer(&mut *out, value)
                .map_err(std::io::Error::from)
                .and_then(|()| out.write_all(b"\n"))
                .and_then(|()| out.flush());
            if let Err(e) = written {
                self.write_error.get_or_insert(e);
            }
        }
    }

    /// Objects the source left out (no password yet, unusable attributes).
    pub(crate) fn log_skips(&mut self) {
        for skip in self.skips.drain() {
            eprintln!(
                "  skipped {} ({}): {}",
                skip.sam_account_name, skip.distinguished_name, skip.reason
            );
            self.summary.read += 1;
            self.summary.out_of_scope += 1;
            let line = serde_json::json!({
                "id": null, "event": "SourceSkipped",
                "sam_account_name": skip.sam_account_name,
                "distinguished_name": skip.distinguished_name,
                "reason": skip.reason.to_string(),
            });
            self.line(&line);
        }
    }

    /// What the target said per update, refusals with the server's words.
    pub(crate) fn log_target(&mut self, target: &mut SambaTarget) {
        for TargetWrite {
            sam_account_name,
            outcome,
            ..
        } in target.drain_log()
        {
            let line = match outcome {
                WriteOutcome::Written { .. } => continue,
                WriteOutcome::NotYetAtTarget => serde_json::json!({
                    "id": null, "event": "TargetRetryRequested",
                    "sam_account_name": sam_account_name,
                    "reason": "RetryRequestedByTarget: no such account at the target yet",
                }),
                WriteOutcome::Refused { code, message } => {
                    eprintln!("  target refused {sam_account_name}: {code} {message}");
                    serde_json::json!({
                        "id": null, "event": "TargetRefused",
                        "sam_account_name": sam_account_name,
                        "code": code, "message": message,
                    })
                }
                WriteOutcome::Unbuildable { reason } => {
                    eprintln!("  cannot write {sam_account_name}: {reason}");
                    serde_json::json!({
                        "id": null, "event": "TargetRefused",
                        "sam_account_name": sam_account_name,
                        "code": null, "message": reason,
                    })
                }
                _ => continue,
            };
            self.line(&line);
        }
    }
}

impl Observer for Progress {
    fn source_error(
        &mut self,
        _connector: &str,
        _partition: Option<&str>,
        error: &(dyn std::error::Error + 'static),
    ) {
        // The adapter's own error: it names the server and the operation.
        let message = match error.downcast_ref::<SambaError>() {
            Some(samba) => samba.to_string(),
            None => error.to_string(),
        };
        self.partition_error.get_or_insert(message);
    }

    fn event(&mut self, event: &Event) {
        if self.events.is_some() {
            match serde_json::to_value(event) {
                Ok(value) => self.line(&value),
                Err(e) => {
                    self.write_error.get_or_insert(e.into());
                }
            }
        }
        match event {
            Event::DomainFullSyncStarted { partition, .. } => {
                eprintln!("  domain {partition}: full sync started")
            }
            Event::DomainFullSyncProgress {
                partition,
                read,
                synced,
                skipped,
                ..
            } => eprintln!(
                "  domain {partition}: {read} read, {synced} synced, {skipped} out of scope"
            ),
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
            Event::PartitionFailed {
                partition, reason, ..
            } => eprintln!("  domain {partition}: failed: {reason}"),
            Event::BatchCompleted {
                batch,
                succeeded,
                retrying,
                failed,
                ..
            } => eprintln!(
                "  batch {batch}: {succeeded} written, {retrying} to retry, {failed} refused"
            ),
            Event::BatchFailed { batch, reason, .. } => {
                eprintln!("  batch {batch} failed: {reason}; every item is retried")
            }
            Event::AccountSkipped {
                sam_account_name,
                reason,
                ..
            } => {
                eprintln!("  out of scope: {sam_account_name} ({reason:?})");
                self.summary.read += 1;
                self.summary.out_of_scope += 1;
            }
            Event::PasswordChangeRequest { .. } => self.summary.read += 1,
            Event::PasswordChangeResult {
                sam_account_name,
                outcome,
                retry_in_ms,
                ..
            } => match outcome {
                ItemOutcome::Success => self.summary.synced += 1,
                ItemOutcome::NoRetry => self.summary.failed += 1,
                ItemOutcome::Retrying => eprintln!(
                    "  retry {sam_account_name} in {} ms",
                    retry_in_ms.unwrap_or(0)
                ),
                _ => {}
            },
            _ => {}
        }
    }
}
