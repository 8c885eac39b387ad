//! One account: its view (scope, last change, last result, history) and a
//! single-object sync, `Invoke-ADSyncCSObjectPasswordHashSync`'s job.

use std::time::Instant;

use serde::Serialize;

use crate::model::{Partition, Timestamp};

use super::super::account_query::AccountQuery;
use super::super::credential::SourceAccount;
use super::super::engine::{Channel, ChannelConfig, ChannelConfigError, ChannelError, ReadMode};
use super::super::event::{Event, ItemOutcome};
use super::super::scope::{ScopeDecision, ScopePolicy, SelectivePasswordHashSync, SkipReason};
use super::super::source::{ChangeSource, SourceItem};
use super::super::transport::Transport;
use super::Diagnostics;
use super::object_log::{ObjectLogEntry, ObjectLogStatus};

/// The last change of the account that was read.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct LastChange {
    /// USN of the change.
    pub usn: u64,
    /// When the password changed (`pwdLastSet`), RFC 3339.
    pub change_date: Option<String>,
    /// When it was read, RFC 3339 (`None` when only the source says it).
    pub read_at: Option<String>,
}

/// The last result of the account's changes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct LastResult {
    /// The object log's status: Success, RetryRequestedByTarget, NoRetry, …
    pub status: ObjectLogStatus,
    /// USN of the change.
    pub usn: u64,
    /// When, RFC 3339.
    pub time: String,
    /// The detail (the target's reason for a no-retry).
    pub detail: Option<String>,
}

/// One account as an admin asks about it: is it in scope and by which
/// rule, its last change read, its last result, its history.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct AccountView {
    /// The account's `sAMAccountName` (the name asked for, if never seen).
    #[serde(rename = "sAMAccountName")]
    pub sam_account_name: String,
    /// The AD connector.
    pub connector: String,
    /// Whether password hash sync carries it.
    pub in_scope: bool,
    /// The rule that decides: for an account out of scope, the one that
    /// excludes it; for one in scope, `PHSIncluded` under selective sync's
    /// include mode, or none (the default rules).
    pub scope_rule: Option<String>,
    /// The last change read.
    pub last_change: Option<LastChange>,
    /// The last result.
    pub last_result: Option<LastResult>,
    /// The object log's entries, oldest first.
    pub history: Vec<ObjectLogEntry>,
}

impl AccountView {
    /// The view of the account `query` names at `connector`: from
    /// `account` (as the source reads it now), when given, for its scope
    /// and last change, and from the object log's `history`.
    pub fn build(
        connector: &str,
        query: &AccountQuery,
        scope: &ScopePolicy,
        account: Option<&SourceAccount>,
        history: Vec<ObjectLogEntry>,
    ) -> Self {
        let last_read = history
            .iter()
            .rev()
            .find(|e| e.status == ObjectLogStatus::Read);
        let (in_scope, rule) = match account {
            Some(account) => match scope.decide(account) {
                ScopeDecision::Skip(reason) => (false, Some(reason)),
                // The rules keep it, but the engine may have found its
                // input unusable (this change's skip in the log says so).
                ScopeDecision::Sync { .. } => match history
                    .iter()
                    .rev()
                    .find(|e| e.usn == account.usn && e.status.is_skip())
                {
                    Some(skip) => (false, skip.scope_rule),
                    None => (true, None),
                },
            },
            None => match history
                .iter()
                .rev()
                .find(|e| e.status != ObjectLogStatus::Read)
            {
                Some(entry) if entry.status.is_skip() => (false, entry.scope_rule),
                Some(_) => (true, None),
                None => (false, None),
            },
        };
        let scope_rule = match rule {
            Some(reason) => Some(rule_name(reason).to_owned()),
            None if in_scope && scope.selective == SelectivePasswordHashSync::Include => {
                Some(super::super::PHS_INCLUDED.to_owned())
            }
            None => None,
        };
        let last_change = match (account, last_read) {
            (Some(account), read) => Some(LastChange {
                usn: account.usn,
                change_date: account.change_date().map(Timestamp::to_rfc3339),
                read_at: read
                    .filter(|r| r.usn == account.usn)
                    .map(|r| r.time.to_rfc3339()),
            }),
            (None, Some(read)) => Some(LastChange {
                usn: read.usn,
                change_date: read.change_date.map(Timestamp::to_rfc3339),
                read_at: Some(read.time.to_rfc3339()),
            }),
            (None, None) => None,
        };
        let last_result = history
            .iter()
            .rev()
            .find(|e| e.status.is_result())
            .map(|e| LastResult {
                status: e.status,
                usn: e.usn,
                time: e.time.to_rfc3339(),
                detail: e.detail.clone(),
            });
        let sam_account_name = account
            .map(|a| a.sam_account_name.clone())
            .or_else(|| history.last().map(|e| e.sam_account_name.clone()))
            .unwrap_or_else(|| query.to_string());
        Self {
            sam_account_name,
            connector: connector.to_owned(),
            in_scope,
            scope_rule,
            last_change,
            last_result,
            history,
        }
    }
}

/// A scope rule's name, as serialised (the [`SkipReason`] variant).
fn rule_name(reason: SkipReason) -> &'static str {
    match reason {
        SkipReason::ObjectClass => "ObjectClass",
        SkipReason::Disabled => "Disabled",
        SkipReason::PhsFiltered => "PhsFiltered",
        SkipReason::NotPhsIncluded => "NotPhsIncluded",
        SkipReason::NoSamAccountName => "NoSamAccountName",
        SkipReason::SupportAccount => "SupportAccount",
        SkipReason::ExchangeSystemMailbox => "ExchangeSystemMailbox",
        SkipReason::ReplicationConflict => "ReplicationConflict",
        SkipReason::SyncServiceAccount => "SyncServiceAccount",
        SkipReason::CriticalSystemObject => "CriticalSystemObject",
        SkipReason::MustChangePassword => "MustChangePassword",
        _ => "InvalidInput",
    }
}

/// How a single-object sync ended.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub enum ObjectSyncOutcome {
    /// Stored by the target.
    Synced,
    /// No partition of the source has the account.
    NotFound,
    /// Out of scope, by this rule.
    OutOfScope(SkipReason),
    /// The target asked for a retry (the regular cycle will carry the
    /// change; a single-object sync does not wait).
    RetryRequested,
    /// The target refused it for good.
    Refused,
    /// The transport failed the batch.
    TransportFailed(String),
}

impl ObjectSyncOutcome {
    /// The reason for event 664, or `None` on success.
    fn failure(&self) -> Option<String> {
        Some(match self {
            Self::Synced => return None,
            Self::NotFound => "no such account in the source".to_owned(),
            Self::OutOfScope(reason) => {
                format!("out of scope ({})", rule_name(*reason))
            }
            Self::RetryRequested => "RetryRequestedByTarget".to_owned(),
            Self::Refused => "NoRetry: the target refused the change for good".to_owned(),
            Self::TransportFailed(reason) => format!("the batch failed: {reason}"),
        })
    }
}

/// What a single-object sync did.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct ObjectSyncReport {
    /// How it ended.
    pub outcome: ObjectSyncOutcome,
    /// The account as read, when found (credentials included: the caller's
    /// to drop).
    pub account: Option<SourceAccount>,
    /// The partition it was read from.
    pub partition: Option<String>,
    /// Every event of the sync, 664 last on a failure.
    pub events: Vec<Event>,
}

/// Why a single-object sync could not run at all.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SyncAccountError<E: std::error::Error + 'static> {
    /// The source failed listing partitions or reading the account.
    #[error("reading the account from the source failed: {0}")]
    Source(#[source] E),
    /// The channel configuration is invalid.
    #[error(transparent)]
    Config(#[from] ChannelConfigError),
    /// The engine refused an input (a bug; report it).
    #[error(transparent)]
    Channel(#[from] ChannelError),
    /// Preparing the credentials failed.
    #[error(transparent)]
    Prepare(#[from] crate::Error),
}

/// Syncs one account now: reads it from `source` (by
/// [`ChangeSource::read_account`]), runs it through the whole pipeline
/// (scope, credentials, a batch of one, `transport`, the result) on a
/// channel of its own with `config`, and reports the result, with event
/// 664 when it did not sync. No cursor is read or written: the channel's
/// saved cursor, and the driver's channel, are untouched. With
/// `diagnostics`, the read and every event are recorded.
pub fn sync_account<S: ChangeSource, T: Transport>(
    config: &ChannelConfig,
    source: &mut S,
    transport: &mut T,
    query: &AccountQuery,
    now: Instant,
    diagnostics: Option<&Diagnostics>,
) -> Result<ObjectSyncReport, SyncAccountError<S::Error>> {
    let mut found: Option<(Partition, SourceAccount)> = None;
    for partition in source.partitions().map_err(SyncAccountError::Source)? {
        if let Some(account) = source
            .read_account(&partition, query)
            .map_err(SyncAccountError::Source)?
        {
            found = Some((partition, account));
            break;
        }
    }
    let mut channel = Channel::new(config.clone(), now)?;
    let mut report = ObjectSyncReport {
        outcome: ObjectSyncOutcome::NotFound,
        account: None,
        partition: None,
        events: Vec::new(),
    };
    if let Some((partition, account)) = found {
        if let Some(diagnostics) = diagnostics {
            diagnostics.record_read(&config.source_connector, partition.dn(), &account);
        }
        report.partition = Some(partition.dn().to_owned());
        report.account = Some(account.clone());
        channel.begin_cycle(None);
        let handle = channel.begin_partition(partition, ReadMode::Incremental);
        channel.handle_source_item(handle, SourceItem::Account(account))?;
        channel.handle_source_end(handle)?;
        while let Some(outgoing) = channel.poll_batch(now) {
            let batch = match outgoing.prepare() {
                Ok(batch) => batch,
                Err(error) => {
                    channel.handle_batch_unsent(outgoing.id)?;
                    return Err(error.into());
                }
            };
            match transport.send(&batch) {
                Ok(results) => channel.handle_batch_results(batch.id, &results, now)?,
                Err(error) => {
                    report.outcome = ObjectSyncOutcome::TransportFailed(error.to_string());
                    channel.handle_batch_error(batch.id, &error.to_string(), now)?;
                    break;
                }
            }
        }
        channel.end_cycle();
        // The commits stay here: a single-object sync moves no cursor.
        while channel.poll_commit().is_some() {}
        while let Some(event) = channel.poll_event() {
            match &event {
                Event::AccountSkipped { reason, .. } => {
                    report.outcome = ObjectSyncOutcome::OutOfScope(*reason);
                }
                Event::PasswordChangeResult { outcome, .. }
                    if !matches!(report.outcome, ObjectSyncOutcome::TransportFailed(_)) =>
                {
                    report.outcome = match outcome {
                        ItemOutcome::Success => ObjectSyncOutcome::Synced,
                        ItemOutcome::NoRetry => ObjectSyncOutcome::Refused,
                        _ => ObjectSyncOutcome::RetryRequested,
                    };
                }
                _ => {}
            }
            report.events.push(event);
        }
    }
    if let Some(reason) = report.outcome.failure() {
        report.events.push(Event::SingleObjectSyncFailed {
            connector: config.source_connector.clone(),
            connector_id: config.source_connector_id,
            account: query.to_string(),
            source_anchor: report
                .account
                .as_ref()
                .map(|a| a.object_guid.source_anchor()),
            reason,
        });
    }
    if let Some(diagnostics) = diagnostics {
        for event in &report.events {
            diagnostics.record_event(event);
        }
    }
    Ok(report)
}
