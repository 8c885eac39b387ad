//! The password-sync object log: per account and connector, what happened
//! to its password changes, bounded in age and size, never holding a secret.
//!
//! Entries carry names (source anchor, `sAMAccountName`, DN), the change's
//! USN and date, a status in Entra Connect's words where it has one, and
//! for a skip the scope rule; never a hash, key or password.

use std::collections::{HashMap, VecDeque};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::model::Timestamp;

use super::super::account_query::AccountQuery;
use super::super::event::ItemOutcome;
use super::super::scope::SkipReason;

/// Entra Connect keeps seven days of password-sync object log.
pub const DEFAULT_MAX_AGE: Duration = Duration::from_secs(7 * 24 * 3600);
/// Entries kept per account (the oldest go first).
pub const DEFAULT_PER_ACCOUNT: usize = 50;
/// Entries kept in total (the oldest go first).
pub const DEFAULT_TOTAL: usize = 100_000;

/// What happened to one password change at one step.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub enum ObjectLogStatus {
    /// Read from the source (with its USN and change date).
    Read,
    /// Out of scope by a rule that keeps it out of the Entra connector
    /// space (Entra Connect's status for an object with no target object).
    NoTargetConnection,
    /// Must change password at next logon and the tenant's feature is off
    /// (Entra Connect's status for that case).
    FilteredByTarget,
    /// An attribute the credentials need is missing or unusable.
    MissingAttribute,
    /// Sent to the target connector (656).
    Sent,
    /// Stored by the target.
    Success,
    /// The target asked for a retry; the change waits in the retry queue.
    RetryRequestedByTarget,
    /// The target refused the change for good.
    NoRetry,
    /// A newer change of the same account replaced this one.
    Superseded,
    /// The retry queue was full; the change is read again next cycle.
    RetryQueueOverflow,
}

impl ObjectLogStatus {
    /// The status of a skip by `reason`.
    pub fn for_skip(reason: SkipReason) -> Self {
        match reason {
            SkipReason::MustChangePassword => Self::FilteredByTarget,
            SkipReason::InvalidInput => Self::MissingAttribute,
            _ => Self::NoTargetConnection,
        }
    }

    /// The status of a target's result.
    pub fn for_outcome(outcome: ItemOutcome) -> Self {
        match outcome {
            ItemOutcome::Success => Self::Success,
            ItemOutcome::Retrying => Self::RetryRequestedByTarget,
            ItemOutcome::NoRetry => Self::NoRetry,
            ItemOutcome::Superseded => Self::Superseded,
            _ => Self::RetryQueueOverflow,
        }
    }

    /// Whether this is the account's scope verdict (a skip).
    pub fn is_skip(self) -> bool {
        matches!(
            self,
            Self::NoTargetConnection | Self::FilteredByTarget | Self::MissingAttribute
        )
    }

    /// Whether this is a result: the target's answer or the change's end.
    pub fn is_result(self) -> bool {
        matches!(
            self,
            Self::Success
                | Self::RetryRequestedByTarget
                | Self::NoRetry
                | Self::Superseded
                | Self::RetryQueueOverflow
        )
    }

    /// The status's name, as serialised.
    pub fn name(self) -> &'static str {
        match self {
            Self::Read => "Read",
            Self::NoTargetConnection => "NoTargetConnection",
            Self::FilteredByTarget => "FilteredByTarget",
            Self::MissingAttribute => "MissingAttribute",
            Self::Sent => "Sent",
            Self::Success => "Success",
            Self::RetryRequestedByTarget => "RetryRequestedByTarget",
            Self::NoRetry => "NoRetry",
            Self::Superseded => "Superseded",
            Self::RetryQueueOverflow => "RetryQueueOverflow",
        }
    }
}

/// One entry of the object log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ObjectLogEntry {
    /// When it happened.
    pub time: Timestamp,
    /// The source (AD) connector.
    pub connector: String,
    /// The partition DN, when known.
    #[serde(default)]
    pub partition: Option<String>,
    /// Source anchor (ImmutableId).
    pub source_anchor: String,
    /// `sAMAccountName`.
    pub sam_account_name: String,
    /// `distinguishedName`, when known.
    #[serde(default)]
    pub distinguished_name: Option<String>,
    /// USN of the change.
    pub usn: u64,
    /// When the password changed (`pwdLastSet`), for a read.
    #[serde(default)]
    pub change_date: Option<Timestamp>,
    /// What happened.
    pub status: ObjectLogStatus,
    /// For a skip, the scope rule that excluded the account.
    #[serde(default)]
    pub scope_rule: Option<SkipReason>,
    /// Detail: why input was unusable, or the target's reason (never a
    /// secret value).
    #[serde(default)]
    pub detail: Option<String>,
    /// For a send or a result: the attempt number.
    #[serde(default)]
    pub attempt: Option<u32>,
}

impl ObjectLogEntry {
    /// An entry with the names and status; the rest empty.
    pub fn new(
        time: Timestamp,
        connector: impl Into<String>,
        source_anchor: impl Into<String>,
        sam_account_name: impl Into<String>,
        usn: u64,
        status: ObjectLogStatus,
    ) -> Self {
        Self {
            time,
            connector: connector.into(),
            partition: None,
            source_anchor: source_anchor.into(),
            sam_account_name: sam_account_name.into(),
            distinguished_name: None,
            usn,
            change_date: None,
            status,
            scope_rule: None,
            detail: None,
            attempt: None,
        }
    }

    /// Whether the entry is about the account `query` names.
    pub fn is_about(&self, query: &AccountQuery) -> bool {
        query.matches_names(
            &self.source_anchor,
            &self.sam_account_name,
            self.distinguished_name.as_deref(),
        )
    }
}

/// How long and how much the log keeps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ObjectLogLimits {
    /// Entries older than this go (default: seven days, as Entra Connect).
    pub max_age: Duration,
    /// Entries per account and connector (the oldest go first).
    pub per_account: usize,
    /// Entries in total (the oldest go first).
    pub total: usize,
}

impl Default for ObjectLogLimits {
    fn default() -> Self {
        Self {
            max_age: DEFAULT_MAX_AGE,
            per_account: DEFAULT_PER_ACCOUNT,
            total: DEFAULT_TOTAL,
        }
    }
}

impl ObjectLogLimits {
    /// Limits with the given bounds.
    pub fn new(max_age: Duration, per_account: usize, total: usize) -> Self {
        Self {
            max_age,
            per_account: per_account.max(1),
            total: total.max(1),
        }
    }
}

/// Where the object log lives. The engine's events feed it through
/// [`Diagnostics`](super::Diagnostics); hosts read it back per account.
pub trait ObjectLog {
    /// Records an entry (entries arrive in time order) and applies the
    /// bounds. A log that cannot store it says why.
    fn record(&mut self, entry: ObjectLogEntry) -> std::io::Result<()>;

    /// Drops entries older than the age bound at `now`.
    fn prune(&mut self, now: Timestamp) -> std::io::Result<()>;

    /// Every entry, oldest first.
    fn entries(&self) -> Vec<ObjectLogEntry>;

    /// The entries of one connector about the account `query` names,
    /// oldest first.
    /// The account is found by any entry that names it (a DN is only in
    /// some), then every entry with its source anchor is returned.
    fn history(&self, connector: &str, query: &AccountQuery) -> Vec<ObjectLogEntry> {
        history_of(&self.entries(), connector, query)
    }
}

/// The entries of `connector` about the account `query` names, by anchor.
pub(crate) fn history_of<'a>(
    entries: impl IntoIterator<Item = &'a ObjectLogEntry> + Clone,
    connector: &str,
    query: &AccountQuery,
) -> Vec<ObjectLogEntry> {
    let anchors: std::collections::HashSet<&str> = entries
        .clone()
        .into_iter()
        .filter(|entry| entry.connector == connector && entry.is_about(query))
        .map(|entry| entry.source_anchor.as_str())
        .collect();
    entries
        .into_iter()
        .filter(|entry| {
            entry.connector == connector && anchors.contains(entry.source_anchor.as_str())
        })
        .cloned()
        .collect()
}

impl<L: ObjectLog + ?Sized> ObjectLog for Box<L> {
    fn record(&mut self, entry: ObjectLogEntry) -> std::io::Result<()> {
        (**self).record(entry)
    }

    fn prune(&mut self, now: Timestamp) -> std::io::Result<()> {
        (**self).prune(now)
    }

    fn entries(&self) -> Vec<ObjectLogEntry> {
        (**self).entries()
    }

    fn history(&self, connector: &str, query: &AccountQuery) -> Vec<ObjectLogEntry> {
        (**self).history(connector, query)
    }
}

/// The reference object log, in memory.
///
/// ```
/// use std::time::Duration;
/// use hashsync::model::Timestamp;
/// use hashsync::sync::{AccountQuery, InMemoryObjectLog, ObjectLog, ObjectLogEntry, ObjectLogLimits, ObjectLogStatus};
///
/// let mut log = InMemoryObjectLog::new(ObjectLogLimits::new(Duration::from_secs(60), 2, 10));
/// for (second, usn) in [(1, 10), (2, 11), (3, 12)] {
///     let time = Timestamp::from_unix_millis(second * 1000);
///     log.record(ObjectLogEntry::new(time, "onprem", "anchor", "jsmith", usn, ObjectLogStatus::Read))?;
/// }
/// let history = log.history("onprem", &AccountQuery::parse("jsmith"));
/// assert_eq!(history.iter().map(|e| e.usn).collect::<Vec<_>>(), [11, 12]);
/// log.prune(Timestamp::from_unix_millis(62_500))?;
/// assert_eq!(log.entries().len(), 1);
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct InMemoryObjectLog {
    limits: ObjectLogLimits,
    entries: VecDeque<ObjectLogEntry>,
    per_account: HashMap<(String, String), usize>,
}

impl InMemoryObjectLog {
    /// An empty log with these bounds.
    pub fn new(limits: ObjectLogLimits) -> Self {
        Self {
            limits,
            entries: VecDeque::new(),
            per_account: HashMap::new(),
        }
    }

    /// The bounds.
    pub fn limits(&self) -> ObjectLogLimits {
        self.limits
    }

    /// Entries held.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the log is empty.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Adds an entry and applies the count bounds; returns whether any
    /// older entry was dropped.
    pub(crate) fn push(&mut self, entry: ObjectLogEntry) -> bool {
        let key = (entry.connector.clone(), entry.source_anchor.clone());
        let count = self.per_account.entry(key.clone()).or_default();
        *count += 1;
        let over = *count > self.limits.per_account;
        self.entries.push_back(entry);
        let mut dropped = false;
        if over && let Some(index) = self.entries.iter().position(|e| same_account(e, &key)) {
            self.remove_at(index);
            dropped = true;
        }
        while self.entries.len() > self.limits.total {
            self.remove_at(0);
            dropped = true;
        }
        dropped
    }

    /// Drops entries older than the age bound; returns whether any went.
    pub(crate) fn drop_older(&mut self, now: Timestamp) -> bool {
        let max_age = u64::try_from(self.limits.max_age.as_millis()).unwrap_or(u64::MAX);
        let oldest = now.unix_millis().saturating_sub(max_age);
        let mut dropped = false;
        while self
            .entries
            .front()
            .is_some_and(|e| e.time.unix_millis() < oldest)
        {
            self.remove_at(0);
            dropped = true;
        }
        dropped
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = &ObjectLogEntry> {
        self.entries.iter()
    }

    fn remove_at(&mut self, index: usize) {
        if let Some(entry) = self.entries.remove(index) {
            let key = (entry.connector, entry.source_anchor);
            if let Some(count) = self.per_account.get_mut(&key) {
                *count -= 1;
                if *count == 0 {
                    self.per_account.remove(&key);
                }
            }
        }
    }
}

fn same_account(entry: &ObjectLogEntry, key: &(String, String)) -> bool {
    entry.connector == key.0 && entry.source_anchor == key.1
}

impl ObjectLog for InMemoryObjectLog {
    fn record(&mut self, entry: ObjectLogEntry) -> std::io::Result<()> {
        self.push(entry);
        Ok(())
    }

    fn prune(&mut self, now: Timestamp) -> std::io::Result<()> {
        self.drop_older(now);
        Ok(())
    }

    fn entries(&self) -> Vec<ObjectLogEntry> {
        self.entries.iter().cloned().collect()
    }

    fn history(&self, connector: &str, query: &AccountQuery) -> Vec<ObjectLogEntry> {
        history_of(&self.entries, connector, query)
    }
}
