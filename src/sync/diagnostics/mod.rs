//! Diagnostics an admin can act on: why one password did not sync, and
//! what a full sync is doing now — as data a host can show, log or alert
//! on, in the spirit of `Invoke-ADSyncDiagnostics -PasswordSync`.
//!
//! - [`Diagnostics`] gathers what the sync does: give the driver its
//!   [`observer`](Diagnostics::observer) and wrap each channel's source in
//!   [`Diagnostics::source`]. The engine's events feed the
//!   [object log](ObjectLog) (per account: read, skipped, sent, result) and
//!   the [full-sync progress](ForestProgress); the wrapped source adds each
//!   read's USN and change date, and the source's estimate of a full
//!   sync's size.
//! - [`diagnose`] turns the configuration, the partitions' sync states, the
//!   recent events and the object log into [`Finding`]s, each with a
//!   status and an action in an admin's words.
//! - [`AccountView`] is one account: in scope and by which rule, its last
//!   change read, its last result, its history; [`sync_account`] syncs it
//!   now without moving any cursor.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::model::{SyncConfiguration, Timestamp};

use super::account_query::AccountQuery;
use super::credential::SourceAccount;
use super::cursor::Cursor;
use super::driver::{Clock, Observer, PartitionSyncRecord};
use super::engine::StatusChange;
use super::event::{Event, ItemOutcome};
use super::source::{ChangeSource, SourceItem, SourceStream};
use crate::model::Partition;

mod account;
mod clock;
mod findings;
mod object_log;
mod progress;

pub use account::{
    AccountView, LastChange, LastResult, ObjectSyncOutcome, ObjectSyncReport, SyncAccountError,
    sync_account,
};
pub use clock::SharedClock;
pub use findings::{
    Finding, FindingScope, FindingStatus, HEARTBEAT_MAX_AGE, PERSISTENT_ERROR_WINDOW,
    PERSISTENT_ERRORS, diagnose,
};
pub use object_log::{
    DEFAULT_MAX_AGE, DEFAULT_PER_ACCOUNT, DEFAULT_TOTAL, InMemoryObjectLog, ObjectLog,
    ObjectLogEntry, ObjectLogLimits, ObjectLogStatus,
};
pub use progress::{DomainProgress, ForestProgress};

use progress::{ProgressStep, ProgressTracker};

/// Channel-level events kept for the findings (per-object events go to
/// the object log instead).
const RECENT_EVENTS: usize = 10_000;
/// How long channel-level events are kept: as long as the object log.
const RECENT_EVENTS_AGE: Duration = object_log::DEFAULT_MAX_AGE;

/// An event with the time it was observed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct TimedEvent {
    /// When.
    pub time: Timestamp,
    /// What.
    pub event: Event,
}

impl TimedEvent {
    /// An event at a time.
    pub fn new(time: Timestamp, event: Event) -> Self {
        Self { time, event }
    }
}

struct State {
    log: Box<dyn ObjectLog + Send>,
    clock: Box<dyn Clock + Send>,
    events: VecDeque<TimedEvent>,
    progress: ProgressTracker,
    /// Where each account with a change in flight or queued was read.
    partitions: HashMap<(String, String), String>,
    /// The target's reasons for refusals, until their results arrive.
    refusals: HashMap<(String, String), String>,
    log_errors: u64,
}

impl State {
    fn now(&mut self) -> (Instant, Timestamp) {
        let instant = self.clock.now();
        (
            instant,
            Timestamp::from_system_time(self.clock.system_time()),
        )
    }

    fn record(&mut self, entry: ObjectLogEntry) {
        if self.log.record(entry).is_err() {
            self.log_errors += 1;
        }
    }

    fn read(&mut self, connector: &str, partition: &str, account: &SourceAccount) {
        let (instant, time) = self.now();
        self.progress
            .step(connector, partition, ProgressStep::Read, instant);
        let mut entry = ObjectLogEntry::new(
            time,
            connector,
            account.object_guid.source_anchor(),
            account.sam_account_name.clone(),
            account.usn,
            ObjectLogStatus::Read,
        );
        entry.partition = Some(partition.to_owned());
        entry.distinguished_name = Some(account.distinguished_name.clone());
        entry.change_date = account.change_date();
        self.record(entry);
    }

    fn event(&mut self, event: &Event) {
        let (instant, time) = self.now();
        let connector = event.connector().to_owned();
        let step = |state: &mut Self, partition: Option<String>, step| {
            if let Some(partition) = partition {
                state.progress.step(&connector, &partition, step, instant);
            }
        };
        let per_object = match event {
            Event::AccountSkipped {
                partition,
                source_anchor,
                sam_account_name,
                usn,
                reason,
                detail,
                ..
            } => {
                step(self, Some(partition.clone()), ProgressStep::Skipped);
                let mut entry = ObjectLogEntry::new(
                    time,
                    event.connector(),
                    source_anchor.clone(),
                    sam_account_name.clone(),
                    *usn,
                    ObjectLogStatus::for_skip(*reason),
                );
                entry.partition = Some(partition.clone());
                entry.scope_rule = Some(*reason);
                entry.detail = detail.clone();
                self.record(entry);
                true
            }
            Event::PasswordChangeRequest {
                partition,
                source_anchor,
                distinguished_name,
                sam_account_name,
                usn,
                attempt,
                ..
            } => {
                self.partitions.insert(
                    (connector.clone(), source_anchor.clone()),
                    partition.clone(),
                );
                let mut entry = ObjectLogEntry::new(
                    time,
                    event.connector(),
                    source_anchor.clone(),
                    sam_account_name.clone(),
                    *usn,
                    ObjectLogStatus::Sent,
                );
                entry.partition = Some(partition.clone());
                entry.distinguished_name = Some(distinguished_name.clone());
                entry.attempt = Some(*attempt);
                self.record(entry);
                true
            }
            Event::PasswordChangeResult {
                source_anchor,
                sam_account_name,
                usn,
                outcome,
                attempt,
                ..
            } => {
                let key = (connector.clone(), source_anchor.clone());
                let partition = self.partitions.get(&key).cloned();
                match outcome {
                    ItemOutcome::Success => step(self, partition.clone(), ProgressStep::Synced),
                    ItemOutcome::NoRetry => step(self, partition.clone(), ProgressStep::Failed),
                    _ => {}
                }
                if *outcome != ItemOutcome::Retrying {
                    self.partitions.remove(&key);
                }
                let reason = self.refusals.remove(&key);
                let mut entry = ObjectLogEntry::new(
                    time,
                    event.connector(),
                    source_anchor.clone(),
                    sam_account_name.clone(),
                    *usn,
                    ObjectLogStatus::for_outcome(*outcome),
                );
                entry.partition = partition;
                entry.attempt = Some(*attempt);
                if *outcome == ItemOutcome::NoRetry {
                    entry.detail = Some(reason.map_or_else(
                        || "the target refused the change for good".to_owned(),
                        |reason| format!("the target refused the change for good: {reason}"),
                    ));
                }
                self.record(entry);
                true
            }
            Event::RetryQueueAdded { partition, .. } => {
                step(self, Some(partition.clone()), ProgressStep::Queued);
                true
            }
            Event::RetryQueueRemoved { partition, .. } => {
                step(self, Some(partition.clone()), ProgressStep::Dequeued);
                true
            }
            Event::DomainFullSyncCompleted { partition, .. } => {
                self.progress
                    .complete_domain(&connector, partition, instant);
                false
            }
            Event::ForestFullSyncCompleted { .. } => {
                self.progress.complete_forest(&connector);
                false
            }
            Event::CursorCommitted { .. }
            | Event::BatchStarted { .. }
            | Event::BatchCompleted { .. }
            | Event::DomainFullSyncProgress { .. } => true,
            _ => false,
        };
        if !per_object {
            self.keep(TimedEvent::new(time, event.clone()));
        }
    }

    fn keep(&mut self, event: TimedEvent) {
        let max_age = u64::try_from(RECENT_EVENTS_AGE.as_millis()).unwrap_or(u64::MAX);
        let oldest = event.time.unix_millis().saturating_sub(max_age);
        self.events.push_back(event);
        while self.events.len() > RECENT_EVENTS
            || self
                .events
                .front()
                .is_some_and(|e| e.time.unix_millis() < oldest)
        {
            self.events.pop_front();
        }
    }
}

/// What the sync did, gathered for diagnostics: the object log, the recent
/// channel-level events and the full-sync progress. Clones share the same
/// record, so the driver's observer, the wrapped sources and the host's
/// queries all see one.
///
/// Give the driver its [`observer`](Self::observer) and wrap each
/// channel's source in [`source`](Self::source): the engine's events feed
/// the [object log](ObjectLog) (per account: read, skipped, sent, result)
/// and the [full-sync progress](ForestProgress); the wrapped source adds
/// each read's USN and change date, and the source's estimate of a full
/// sync's size. [`findings`](Self::findings) runs [`diagnose`];
/// [`account_view`](Self::account_view) shows one account, and
/// [`sync_account`] syncs one now without moving any cursor.
///
/// ```
/// use std::sync::{Arc, Mutex};
/// use hashsync::Password;
/// use hashsync::sync::reference::{InMemoryDirectory, InMemorySource, InMemoryTransport};
/// use hashsync::sync::{
///     AccountCredentials, AccountQuery, ChannelConfig, Diagnostics, Driver, InMemoryCursorStore,
///     InMemoryObjectLog, ObjectGuid, ObjectLogStatus, Partition, SharedClock, SourceAccount,
///     VirtualClock,
/// };
///
/// let partition = Partition::new("DC=onprem,DC=contoso,DC=com", "onprem.contoso.com")?;
/// let mut directory = InMemoryDirectory::new();
/// directory.add_partition(partition.clone());
/// directory.add_account(
///     partition.dn(),
///     SourceAccount::new(
///         ObjectGuid::parse("00112233-4455-6677-8899-aabbccddeeff")?,
///         "jsmith",
///         AccountCredentials::Cleartext(Password::new("Welcome1")),
///     )
///     .with_pwd_last_set(133_500_000_000_000_000)
///     .with_usn(4711),
/// )?;
/// let source = InMemorySource::new(Arc::new(Mutex::new(directory)));
///
/// let clock = SharedClock::new(VirtualClock::new());
/// let diagnostics = Diagnostics::new(InMemoryObjectLog::default(), clock.clone());
/// let mut driver = Driver::with_clock(
///     InMemoryTransport::new(),
///     InMemoryCursorStore::new(),
///     clock,
///     diagnostics.observer(),
/// );
/// let config = ChannelConfig::new("onprem.contoso.com", "contoso.onmicrosoft.com - Microsoft Entra ID");
/// driver.start_channel(config, diagnostics.source("onprem.contoso.com", source), false)?;
/// driver.run_cycle()?;
///
/// let history = diagnostics.history("onprem.contoso.com", &AccountQuery::parse("jsmith"));
/// let statuses: Vec<_> = history.iter().map(|e| e.status).collect();
/// assert_eq!(statuses, [ObjectLogStatus::Read, ObjectLogStatus::Sent, ObjectLogStatus::Success]);
/// let progress = diagnostics.progress();
/// assert_eq!((progress[0].read, progress[0].synced, progress[0].completed), (1, 1, true));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct Diagnostics {
    state: Arc<Mutex<State>>,
}

impl std::fmt::Debug for Diagnostics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Diagnostics").finish_non_exhaustive()
    }
}

impl Diagnostics {
    /// A record over `log`, timed by `clock` (the driver's clock, shared:
    /// a [`SharedClock`] for a virtual one, [`SystemClock`](super::SystemClock) as it is).
    pub fn new(log: impl ObjectLog + Send + 'static, clock: impl Clock + Send + 'static) -> Self {
        Self {
            state: Arc::new(Mutex::new(State {
                log: Box::new(log),
                clock: Box::new(clock),
                events: VecDeque::new(),
                progress: ProgressTracker::default(),
                partitions: HashMap::new(),
                refusals: HashMap::new(),
                log_errors: 0,
            })),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // The record stays usable after a panic elsewhere: at worst one
        // entry is half-counted.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// An observer for the driver that records every event.
    pub fn observer(&self) -> DiagnosticsObserver<()> {
        self.observer_with(())
    }

    /// An observer that records every event and passes everything on to
    /// `inner` (the host's own observer).
    pub fn observer_with<O: Observer>(&self, inner: O) -> DiagnosticsObserver<O> {
        DiagnosticsObserver {
            diagnostics: self.clone(),
            inner,
        }
    }

    /// Wraps the source of `connector`'s channel, so every account read is
    /// logged with its USN and change date, and a full sync's progress
    /// knows the source's estimate of its size.
    pub fn source<S: ChangeSource>(&self, connector: &str, source: S) -> ObservedSource<S> {
        ObservedSource {
            diagnostics: self.clone(),
            connector: connector.to_owned(),
            inner: source,
        }
    }

    /// Records an event (what [`DiagnosticsObserver`] does; for a host that
    /// drives [`Channel`](super::Channel)s itself).
    pub fn record_event(&self, event: &Event) {
        self.lock().event(event);
    }

    /// Records an account read from `partition` of `connector`'s source
    /// (what [`ObservedSource`] does).
    pub fn record_read(&self, connector: &str, partition: &str, account: &SourceAccount) {
        self.lock().read(connector, partition, account);
    }

    /// Records the target's reason for refusing (or failing) the update of
    /// `source_anchor` from `connector`, as the host's transport learns it;
    /// the object log's next result for the account carries it. The reason
    /// must hold no secret (the target's error text, not the update).
    pub fn record_refusal(&self, connector: &str, source_anchor: &str, reason: impl Into<String>) {
        self.lock().refusals.insert(
            (connector.to_owned(), source_anchor.to_owned()),
            reason.into(),
        );
    }

    /// The full syncs under way or done, per forest and domain, now.
    pub fn progress(&self) -> Vec<ForestProgress> {
        let mut state = self.lock();
        let (now, _) = state.now();
        state.progress.view(now)
    }

    /// The channel-level events kept (per-object events are in the object
    /// log), oldest first.
    pub fn recent_events(&self) -> Vec<TimedEvent> {
        self.lock().events.iter().cloned().collect()
    }

    /// Every entry of the object log, oldest first.
    pub fn object_log(&self) -> Vec<ObjectLogEntry> {
        self.lock().log.entries()
    }

    /// The object log of the account `query` names, at `connector`.
    pub fn history(&self, connector: &str, query: &AccountQuery) -> Vec<ObjectLogEntry> {
        self.lock().log.history(connector, query)
    }

    /// Drops object-log entries past the age bound (also rotates a file log).
    pub fn prune(&self) {
        let mut state = self.lock();
        let (_, now) = state.now();
        if state.log.prune(now).is_err() {
            state.log_errors += 1;
        }
    }

    /// Entries the object log could not store (a file log's I/O errors).
    pub fn log_errors(&self) -> u64 {
        self.lock().log_errors
    }

    /// The wall-clock time now, on the record's clock.
    pub fn now(&self) -> Timestamp {
        self.lock().now().1
    }

    /// The findings for `configuration` and the driver's partition states,
    /// from what was recorded, now (see [`diagnose`]).
    pub fn findings(
        &self,
        configuration: &SyncConfiguration,
        states: &[PartitionSyncRecord],
    ) -> Vec<Finding> {
        let mut state = self.lock();
        let (_, now) = state.now();
        let events: Vec<TimedEvent> = state.events.iter().cloned().collect();
        diagnose(configuration, states, &events, &*state.log, now)
    }

    /// The view of one account of `connector` (see [`AccountView::build`]);
    /// `account` is the account as the source reads it now, if read.
    pub fn account_view(
        &self,
        scope: &super::ScopePolicy,
        connector: &str,
        query: &AccountQuery,
        account: Option<&SourceAccount>,
    ) -> AccountView {
        let history = self.history(connector, query);
        AccountView::build(connector, query, scope, account, history)
    }

    fn begin_full(&self, connector: &str, partition: &str, resumed: bool, total: Option<u64>) {
        let mut state = self.lock();
        let (now, _) = state.now();
        state
            .progress
            .begin(connector, partition, resumed, total, now);
    }
}

/// The driver's observer that feeds a [`Diagnostics`] record, then the
/// host's own observer.
#[derive(Debug)]
pub struct DiagnosticsObserver<O = ()> {
    diagnostics: Diagnostics,
    inner: O,
}

impl<O> DiagnosticsObserver<O> {
    /// The record it feeds.
    pub fn diagnostics(&self) -> &Diagnostics {
        &self.diagnostics
    }

    /// The host's observer.
    pub fn inner(&mut self) -> &mut O {
        &mut self.inner
    }
}

impl<O: Observer> Observer for DiagnosticsObserver<O> {
    fn event(&mut self, event: &Event) {
        self.diagnostics.record_event(event);
        self.inner.event(event);
    }

    fn status(&mut self, connector: &str, change: &StatusChange) {
        self.inner.status(connector, change);
    }

    fn source_error(
        &mut self,
        connector: &str,
        partition: Option<&str>,
        error: &(dyn std::error::Error + 'static),
    ) {
        self.inner.source_error(connector, partition, error);
    }

    fn transport_error(&mut self, connector: &str, error: &(dyn std::error::Error + 'static)) {
        self.inner.transport_error(connector, error);
    }
}

/// A channel's source, observed by a [`Diagnostics`] record: each account
/// read is logged (USN, change date), and a full read starts (or a resumed
/// one continues) the domain's progress with the source's estimate.
#[derive(Debug)]
pub struct ObservedSource<S> {
    diagnostics: Diagnostics,
    connector: String,
    inner: S,
}

impl<S> ObservedSource<S> {
    /// The wrapped source.
    pub fn inner(&mut self) -> &mut S {
        &mut self.inner
    }

    /// Gives back the wrapped source.
    pub fn into_inner(self) -> S {
        self.inner
    }
}

impl<S: ChangeSource> ChangeSource for ObservedSource<S> {
    type Error = S::Error;

    fn partitions(&mut self) -> Result<Vec<Partition>, Self::Error> {
        self.inner.partitions()
    }

    fn full_sync(
        &mut self,
        partition: &Partition,
    ) -> Result<SourceStream<'_, Self::Error>, Self::Error> {
        let total = self.inner.estimated_total(partition);
        self.diagnostics
            .begin_full(&self.connector, partition.dn(), false, total);
        let diagnostics = self.diagnostics.clone();
        let connector = self.connector.clone();
        let dn = partition.dn().to_owned();
        let stream = self.inner.full_sync(partition)?;
        let observed = Self::observe_with(diagnostics, connector, dn, stream);
        Ok(observed)
    }

    fn changes_since(
        &mut self,
        partition: &Partition,
        cursor: &Cursor,
    ) -> Result<SourceStream<'_, Self::Error>, Self::Error> {
        if cursor.in_full_sync() {
            let total = self.inner.estimated_total(partition);
            self.diagnostics
                .begin_full(&self.connector, partition.dn(), true, total);
        }
        let diagnostics = self.diagnostics.clone();
        let connector = self.connector.clone();
        let dn = partition.dn().to_owned();
        let stream = self.inner.changes_since(partition, cursor)?;
        Ok(Self::observe_with(diagnostics, connector, dn, stream))
    }

    fn read_account(
        &mut self,
        partition: &Partition,
        query: &AccountQuery,
    ) -> Result<Option<SourceAccount>, Self::Error> {
        // Not logged here: a single-object sync logs its own read.
        self.inner.read_account(partition, query)
    }

    fn estimated_total(&mut self, partition: &Partition) -> Option<u64> {
        self.inner.estimated_total(partition)
    }
}

impl<S> ObservedSource<S> {
    fn observe_with<'a, E: 'a>(
        diagnostics: Diagnostics,
        connector: String,
        partition: String,
        stream: SourceStream<'a, E>,
    ) -> SourceStream<'a, E> {
        Box::new(stream.inspect(move |item| {
            if let Ok(SourceItem::Account(account)) = item {
                diagnostics.record_read(&connector, &partition, account);
            }
        }))
    }
}
