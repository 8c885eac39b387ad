//! The running service: the 2-minute cycle, the heartbeat, the stop
//! handle, a full sync that survives crashes, and every way the engine
//! could have waited forever. Every time bound is on the virtual clock.

mod sync_support;

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use hashsync::model::Uuid;
use hashsync::sync::reference::{
    FaultConfig, FaultInjectingTransport, InMemoryDirectory, InMemorySource, InMemoryTransport,
    MemorySourceError,
};
use hashsync::sync::{
    Batch, CYCLE_INTERVAL, Channel, ChannelConfig, ChannelConfigError, Clock, Cursor, CursorStore,
    Driver, Event, InMemoryCursorStore, ItemOutcome, ItemResult, Observer, Partition,
    PartitionStatus, ReadMode, RunOutcome, SourceItem, StatusChange, StopHandle, Transport,
    VirtualClock,
};
use hashsync::{DriverError, Password};
use sync_support::*;

const CONNECTOR_ID: Uuid = Uuid::from_u128(0x6d1e5c0a_4f3b_4b8e_9a61_0c0a5e1d2a01);

fn config() -> ChannelConfig {
    ChannelConfig::new(AD, AAD).with_source_connector_id(CONNECTOR_ID)
}

/// `n` cleartext users with the first vector's password, USNs 1..=n.
fn users(n: u32) -> Vec<hashsync::sync::SourceAccount> {
    let v = &user_vectors()[0];
    (1..=n)
        .map(|i| {
            let mut account = cleartext_user(i, v, u64::from(i));
            account.sam_account_name = format!("user{i:03}");
            account.user_principal_name = None;
            account
        })
        .collect()
}

/// A clock shared with the test, to read how much virtual time passed.
#[derive(Clone)]
struct SharedClock(Rc<RefCell<VirtualClock>>);

impl SharedClock {
    fn new() -> Self {
        Self(Rc::new(RefCell::new(VirtualClock::new())))
    }

    fn elapsed(&self) -> Duration {
        self.0.borrow().elapsed()
    }
}

impl Clock for SharedClock {
    fn now(&mut self) -> Instant {
        self.0.borrow_mut().now()
    }

    fn sleep_until(&mut self, deadline: Instant) {
        self.0.borrow_mut().sleep_until(deadline);
    }
}

/// A target that fails every batch.
#[derive(Default)]
struct BrokenTarget {
    batches: u64,
    accounts: std::collections::HashSet<String>,
}

impl Transport for BrokenTarget {
    type Error = std::io::Error;

    fn send(&mut self, batch: &Batch) -> Result<Vec<ItemResult>, std::io::Error> {
        self.batches += 1;
        for update in &batch.updates {
            self.accounts.insert(update.source_anchor.clone());
        }
        Err(std::io::Error::other("no space left on device"))
    }
}

/// Records typed host errors beside the events.
#[derive(Default)]
struct ErrorRecorder {
    recorder: Recorder,
    transport_errors: Vec<std::io::ErrorKind>,
    source_errors: Vec<MemorySourceError>,
}

impl Observer for ErrorRecorder {
    fn event(&mut self, event: &Event) {
        self.recorder.events.push(event.clone());
    }

    fn status(&mut self, connector: &str, change: &StatusChange) {
        self.recorder
            .statuses
            .push((connector.to_owned(), change.clone()));
    }

    fn source_error(
        &mut self,
        _connector: &str,
        _partition: Option<&str>,
        error: &(dyn std::error::Error + 'static),
    ) {
        let typed = error.downcast_ref::<MemorySourceError>().expect("typed");
        self.source_errors.push(typed.clone());
    }

    fn transport_error(&mut self, _connector: &str, error: &(dyn std::error::Error + 'static)) {
        let typed = error.downcast_ref::<std::io::Error>().expect("typed");
        self.transport_errors.push(typed.kind());
    }
}

#[test]
fn a_crashed_full_sync_resumes_as_the_same_full_sync_and_completes() {
    // One forest, two domains, 24 users each; a crash every 2 batches.
    let second = Partition::new(
        "DC=child,DC=onprem,DC=contoso,DC=com",
        "child.onprem.contoso.com",
    )
    .unwrap();
    let mut directory = InMemoryDirectory::new();
    directory.add_partition(partition());
    directory.add_partition(second.clone());
    for (i, account) in users(48).into_iter().enumerate() {
        let dn = if i < 24 { partition() } else { second.clone() };
        directory.add_account(dn.dn(), account).unwrap();
    }
    let directory = Arc::new(Mutex::new(directory));
    let source = InMemorySource::new(directory.clone()).with_page_size(3);
    let mut target = InMemoryTransport::new();
    let mut cursors = InMemoryCursorStore::new();
    let mut recorder = Recorder::default();
    let mut runs = Vec::new();
    for run in 0.. {
        assert!(run < 100, "no progress");
        let before = recorder.events.len();
        let mut driver = Driver::with_clock(
            &mut target,
            &mut cursors,
            VirtualClock::new(),
            &mut recorder,
        );
        driver.set_threads(1);
        let mut config = config();
        config.batch_size = 5;
        config.progress_interval = 4;
        driver.start_channel(config, source.clone(), false).unwrap();
        driver.set_batch_limit(Some(2));
        let outcome = driver.run_cycle().unwrap();
        drop(driver);
        runs.push(before..recorder.events.len());
        if outcome == RunOutcome::Settled {
            break;
        }
        // Mid-way, the saved cursor says a full sync is under way.
        if run == 0 {
            let saved = cursors.load(AD, partition().dn()).unwrap().unwrap();
            assert!(saved.in_full_sync(), "{saved:?}");
        }
    }
    assert!(runs.len() > 5, "the crashes happened ({} runs)", runs.len());
    // The full sync started once, each domain completed once, the forest once.
    assert_eq!(recorder.count(617), 1);
    // A domain whose full sync crashed before its first commit (nothing
    // durable yet) starts it again; one with a marked cursor resumes it.
    assert!(recorder.count(618) >= 2);
    assert_eq!(recorder.count(622), 2);
    assert_eq!(recorder.count(623), 1);
    let completed: Vec<&str> = recorder
        .events
        .iter()
        .filter_map(|e| match e {
            Event::DomainFullSyncCompleted { partition, .. } => Some(partition.as_str()),
            _ => None,
        })
        .collect();
    assert!(completed.contains(&partition().dn()) && completed.contains(&second.dn()));
    let last = |id| {
        recorder
            .events
            .iter()
            .rposition(|e| e.entra_connect_id() == Some(id))
            .unwrap()
    };
    assert!(
        last(622) < last(623),
        "the forest completes after its domains"
    );
    // A resumed run keeps reporting progress without a new start.
    let resumed = &recorder.events[runs[1].clone()];
    assert!(resumed.iter().any(|e| e.entra_connect_id() == Some(619)));
    assert!(!resumed.iter().any(|e| e.entra_connect_id() == Some(617)));
    // Everything arrived, and the final cursors are incremental ones.
    assert_eq!(target.len(), 48);
    for dn in [partition().dn(), second.dn()] {
        let cursor = cursors.load(AD, dn).unwrap().unwrap();
        assert!(!cursor.in_full_sync());
        assert_eq!(cursor, Cursor::new("U:48"));
    }
}

#[test]
fn an_idle_service_pings_every_30_minutes_with_the_connectors_identifier() {
    let source = InMemorySource::new(directory_with(users(3)));
    let clock = SharedClock::new();
    let mut recorder = Recorder::default();
    let mut driver = Driver::with_clock(
        InMemoryTransport::new(),
        InMemoryCursorStore::new(),
        clock.clone(),
        &mut recorder,
    );
    driver.start_channel(config(), source, false).unwrap();
    let start = driver.clock().now();
    let outcome = driver
        .run_until(start + Duration::from_secs(3 * 3600))
        .unwrap();
    assert_eq!(outcome, RunOutcome::Settled);
    drop(driver);
    assert_eq!(
        clock.elapsed(),
        Duration::from_secs(3 * 3600),
        "cycles up to the deadline"
    );
    // 91 cycles: at 0, 2, …, 180 minutes.
    assert_eq!(recorder.count_kind("CycleCompleted"), 91);
    assert_eq!(recorder.count(653), 6, "a ping every 30 minutes");
    assert_eq!(recorder.count(654), 6);
    let pings: Vec<&Event> = recorder
        .events
        .iter()
        .filter(|e| e.entra_connect_id() == Some(654))
        .collect();
    for ping in &pings {
        assert_eq!(ping.connector_id(), CONNECTOR_ID);
        let json = serde_json::to_value(ping).unwrap();
        assert_eq!(json["connector_id"], CONNECTOR_ID.to_string());
        assert_eq!(json["id"], 654);
    }
    // 15 two-minute cycles between consecutive pings, each 653 right before its 654.
    let mut cycles_since = None;
    for (i, event) in recorder.events.iter().enumerate() {
        match event.entra_connect_id() {
            Some(654) => {
                assert_eq!(recorder.events[i - 1].entra_connect_id(), Some(653));
                if let Some(cycles) = cycles_since {
                    assert_eq!(cycles, 15);
                }
                cycles_since = Some(0);
            }
            _ if event.kind() == "CycleCompleted" => {
                if let Some(cycles) = cycles_since.as_mut() {
                    *cycles += 1;
                }
            }
            _ => {}
        }
    }
}

/// A target that stops its driver while handling its `stop_at`-th batch.
struct StoppingTarget {
    inner: InMemoryTransport,
    stop: StopHandle,
    stop_at: u64,
    batches: u64,
}

impl Transport for StoppingTarget {
    type Error = std::convert::Infallible;

    fn send(&mut self, batch: &Batch) -> Result<Vec<ItemResult>, Self::Error> {
        self.batches += 1;
        if self.batches == self.stop_at {
            self.stop.stop();
        }
        self.inner.send(batch)
    }
}

#[test]
fn the_stop_handle_finishes_the_batch_in_flight_and_flushes_its_commits() {
    // One thread: the third batch's results were handled and its commit
    // persisted at the last checkpoint the source handed over (one per
    // account; the 15th account's comes with the next read, which the stop
    // prevented), so the 15th account is sent again on resume.
    stop_after_the_third_batch(1, "F:40:14", &[15]);
    // Two threads: the driver read the next five accounts (and the 15th
    // account's checkpoint) while the third batch was prepared on the
    // pool, so the commit covers all fifteen and nothing is sent twice;
    // the fourth batch, polled but never sent, is not lost either.
    stop_after_the_third_batch(2, "F:40:15", &[]);
}

fn stop_after_the_third_batch(threads: usize, committed: &str, sent_again: &[u64]) {
    let directory = directory_with(users(40));
    let source = InMemorySource::new(directory);
    let stop = StopHandle::default();
    let mut cursors = InMemoryCursorStore::new();
    let mut recorder = Recorder::default();
    let mut target = StoppingTarget {
        inner: InMemoryTransport::new(),
        stop: stop.clone(),
        stop_at: 3,
        batches: 0,
    };
    let mut driver = Driver::with_clock(
        &mut target,
        &mut cursors,
        VirtualClock::new(),
        &mut recorder,
    );
    driver.set_stop_handle(stop.clone());
    driver.set_threads(threads);
    let mut config = config();
    config.batch_size = 5;
    driver.start_channel(config, source.clone(), false).unwrap();
    assert_eq!(
        driver.run().unwrap(),
        RunOutcome::Stopped,
        "run() returns on stop"
    );
    drop(driver);
    assert_eq!(target.batches, 3, "nothing sent after the stop");
    assert_eq!(target.inner.len(), 15);
    assert_eq!(recorder.count(651), 3);
    assert_eq!(
        cursors.get(AD, partition().dn()),
        Some(&Cursor::new(committed).with_full_sync(true)),
        "{threads} thread(s)"
    );
    assert_eq!(
        recorder.statuses.last().map(|(_, s)| s.status),
        Some(PartitionStatus::Interrupted)
    );
    // A new driver resumes there: nothing lost, nothing sent twice but
    // what came after the last commit.
    let mut rest = InMemoryTransport::new();
    let mut recorder = Recorder::default();
    let mut driver =
        Driver::with_clock(&mut rest, &mut cursors, VirtualClock::new(), &mut recorder);
    driver.set_threads(threads);
    driver
        .start_channel(ChannelConfig::new(AD, AAD), source, false)
        .unwrap();
    assert_eq!(driver.run_cycle().unwrap(), RunOutcome::Settled);
    drop(driver);
    assert_eq!(
        rest.len(),
        25 + sent_again.len(),
        "accounts 16..=40, and those again"
    );
    let twice: Vec<u64> = rest
        .state()
        .filter(|(_, update)| target.inner.get(AAD, &update.source_anchor).is_some())
        .map(|(_, update)| update.usn)
        .collect();
    assert_eq!(
        twice, sent_again,
        "{threads} thread(s): only the accounts after the last commit again"
    );
    assert_eq!(
        target.inner.len() + rest.len() - twice.len(),
        40,
        "nothing lost"
    );
    assert_eq!(recorder.count(622), 1, "the same full sync completes");
    assert_eq!(recorder.count(617), 0);
}

#[test]
fn a_target_failing_every_item_ends_each_cycle_and_keeps_the_items_queued() {
    for retries_first in [false, true] {
        let clock = SharedClock::new();
        let mut observer = ErrorRecorder::default();
        let mut cursors = InMemoryCursorStore::new();
        let mut driver = Driver::with_clock(
            BrokenTarget::default(),
            &mut cursors,
            clock.clone(),
            &mut observer,
        );
        driver.set_retries_first(retries_first);
        driver
            .start_channel(
                config(),
                InMemorySource::new(directory_with(users(30))),
                false,
            )
            .unwrap();
        assert_eq!(
            driver.run_cycle().unwrap(),
            RunOutcome::Retrying { queued: 30 }
        );
        assert!(clock.elapsed() <= CYCLE_INTERVAL, "{:?}", clock.elapsed());
        let outcome = driver.run_until_settled(Duration::from_secs(3600)).unwrap();
        assert_eq!(outcome, RunOutcome::Retrying { queued: 30 });
        assert!(
            clock.elapsed() <= Duration::from_secs(3600) + 2 * CYCLE_INTERVAL,
            "{:?}",
            clock.elapsed()
        );
        let (target, _, _) = driver.into_parts();
        assert!(target.batches > 2, "later cycles retried");
        assert!(observer.recorder.count(652) as u64 == target.batches);
        assert!(observer.recorder.count(605) >= 30);
        assert!(
            observer.recorder.count(606) >= 30,
            "due retries left the queue"
        );
        assert_eq!(observer.transport_errors.len() as u64, target.batches);
        assert!(
            observer
                .transport_errors
                .iter()
                .all(|k| *k == std::io::ErrorKind::Other)
        );
        assert!(
            cursors.get(AD, partition().dn()).is_none(),
            "nothing final, nothing committed"
        );
    }
}

#[test]
fn a_full_retry_queue_ends_the_read_for_this_cycle() {
    // With two threads a batch is in flight while the next is read: the
    // retry queue's bound holds all the same, and nothing overflows.
    for threads in [1, 2] {
        let clock = SharedClock::new();
        let mut cursors = InMemoryCursorStore::new();
        let mut recorder = Recorder::default();
        let mut driver = Driver::with_clock(
            BrokenTarget::default(),
            &mut cursors,
            clock.clone(),
            &mut recorder,
        );
        driver.set_threads(threads);
        let mut config = config();
        config.batch_size = 10;
        config.retry_queue_limit = 25;
        let source = InMemorySource::new(directory_with(users(200)));
        driver.start_channel(config, source, false).unwrap();
        let outcome = driver.run_cycle().unwrap();
        assert!(
            matches!(outcome, RunOutcome::Retrying { queued } if queued <= 25),
            "{threads} thread(s): {outcome:?}"
        );
        assert!(clock.elapsed() <= CYCLE_INTERVAL, "{:?}", clock.elapsed());
        let read = driver.transport().accounts.len();
        assert!(
            read <= 25,
            "{threads} thread(s): the rest waits for later cycles ({read} read)"
        );
        drop(driver);
        let overflows = recorder
            .events
            .iter()
            .filter(|e| matches!(e, Event::RetryQueueOverflow { .. }))
            .count();
        assert_eq!(overflows, 0, "{threads} thread(s)");
    }
}

#[test]
fn configurations_the_engine_cannot_run_are_refused_when_the_channel_is_built() {
    let now = Instant::now();
    let mut small_queue = config();
    small_queue.retry_queue_limit = 10;
    assert_eq!(
        Channel::new(small_queue.clone(), now).unwrap_err(),
        ChannelConfigError::RetryQueueSmallerThanBatch {
            retry_queue_limit: 10,
            batch_size: 50
        }
    );
    let mut zero_batch = config();
    zero_batch.batch_size = 0;
    assert_eq!(
        Channel::new(zero_batch, now).unwrap_err(),
        ChannelConfigError::BatchSize { batch_size: 0 }
    );
    let mut big_batch = config();
    big_batch.batch_size = 51;
    assert!(Channel::new(big_batch, now).is_err());
    let mut no_backoff = config();
    no_backoff.backoff.initial = Duration::ZERO;
    assert_eq!(
        Channel::new(no_backoff, now).unwrap_err(),
        ChannelConfigError::ZeroBackoff
    );
    let mut driver = Driver::with_clock(
        InMemoryTransport::new(),
        InMemoryCursorStore::new(),
        VirtualClock::new(),
        (),
    );
    let err = driver
        .start_channel(
            small_queue,
            InMemorySource::new(directory_with(users(1))),
            false,
        )
        .unwrap_err();
    assert!(
        matches!(
            err,
            DriverError::ChannelConfig(ChannelConfigError::RetryQueueSmallerThanBatch { .. })
        ),
        "{err:?}"
    );
    let message = std::error::Error::source(&err).unwrap().to_string();
    assert!(
        message.contains("retry queue limit 10 is smaller than the batch size 50"),
        "{message}"
    );
}

/// A target that answers one result short.
struct ShortTarget;

impl Transport for ShortTarget {
    type Error = std::convert::Infallible;

    fn send(&mut self, batch: &Batch) -> Result<Vec<ItemResult>, Self::Error> {
        Ok(vec![ItemResult::Success; batch.updates.len() - 1])
    }
}

#[test]
fn the_fault_injector_passes_a_short_answer_to_the_engine() {
    let transport = FaultInjectingTransport::new(ShortTarget, FaultConfig::default());
    let mut recorder = Recorder::default();
    let mut driver = Driver::with_clock(
        transport,
        InMemoryCursorStore::new(),
        VirtualClock::new(),
        &mut recorder,
    );
    driver
        .start_channel(
            config(),
            InMemorySource::new(directory_with(users(3))),
            false,
        )
        .unwrap();
    assert_eq!(
        driver.run_cycle().unwrap(),
        RunOutcome::Retrying { queued: 3 }
    );
    drop(driver);
    let reason = recorder
        .events
        .iter()
        .find_map(|e| match e {
            Event::BatchFailed { reason, .. } => Some(reason.clone()),
            _ => None,
        })
        .expect("652");
    assert_eq!(reason, "transport returned 2 results for 3 items");
    assert!(!recorder.events.iter().any(|e| matches!(
        e,
        Event::PasswordChangeResult {
            outcome: ItemOutcome::Success,
            ..
        }
    )));
}

#[test]
fn a_batch_that_cannot_be_prepared_goes_back_to_the_queue() {
    let now = Instant::now();
    let mut channel = Channel::new(config(), now).unwrap();
    channel.begin_cycle(None);
    let p = channel.begin_partition(partition(), ReadMode::Incremental);
    for account in users(2) {
        channel
            .handle_source_item(p, SourceItem::Account(account))
            .unwrap();
    }
    channel
        .handle_source_item(p, SourceItem::Checkpoint(Cursor::new("U:2")))
        .unwrap();
    channel.handle_source_end(p).unwrap();
    let first = channel.poll_batch(now).unwrap();
    channel.handle_batch_unsent(first.id).unwrap();
    let events: Vec<Event> = std::iter::from_fn(|| channel.poll_event()).collect();
    assert!(
        !events
            .iter()
            .any(|e| matches!(e.entra_connect_id(), Some(650 | 656))),
        "an unsent batch was never started: {events:?}"
    );
    let again = channel.poll_batch(now).expect("back in the queue");
    assert_eq!(
        again.requests.iter().map(|r| r.usn()).collect::<Vec<_>>(),
        vec![1, 2]
    );
    let attempts: Vec<u32> = std::iter::from_fn(|| channel.poll_event())
        .filter_map(|e| match e {
            Event::PasswordChangeRequest { attempt, .. } => Some(attempt),
            _ => None,
        })
        .collect();
    assert_eq!(attempts, vec![1, 1], "still the first attempt");
    channel
        .handle_batch_results(again.id, &[ItemResult::Success; 2], now)
        .unwrap();
    assert_eq!(
        channel.poll_commit().map(|c| c.cursor),
        Some(Cursor::new("U:2"))
    );
}

#[test]
fn host_errors_reach_the_host_typed() {
    let mut cursors = InMemoryCursorStore::new();
    cursors
        .save(AD, partition().dn(), &Cursor::new("not-a-cursor"))
        .unwrap();
    let mut observer = ErrorRecorder::default();
    let mut driver = Driver::with_clock(
        InMemoryTransport::new(),
        &mut cursors,
        VirtualClock::new(),
        &mut observer,
    );
    driver
        .start_channel(
            config(),
            InMemorySource::new(directory_with(users(2))),
            false,
        )
        .unwrap();
    driver.run_cycle().unwrap();
    drop(driver);
    assert_eq!(observer.source_errors, vec![MemorySourceError::BadCursor]);
    assert_eq!(observer.recorder.count(611), 1);
    assert_eq!(
        observer.recorder.statuses.last().map(|(_, s)| s.status),
        Some(PartitionStatus::Failed)
    );
}

#[test]
fn a_disabled_channel_is_stopped_and_removed() {
    use hashsync::model::{Connector, ConnectorType, SyncConfiguration};
    let mut configuration = SyncConfiguration::new();
    let mut ad = Connector::new(AD, ConnectorType::Ad, "onprem.contoso.com").unwrap();
    ad.add_partition(partition()).unwrap();
    configuration.add_or_replace_connector(ad).unwrap();
    configuration
        .add_or_replace_connector(Connector::entra_id(AAD, "contoso.onmicrosoft.com").unwrap())
        .unwrap();
    configuration
        .tenant_mut()
        .company_features
        .password_hash_sync = true;
    configuration.set_password_sync(AD, AAD, true).unwrap();
    configuration.drain_events().for_each(drop);
    let mut recorder = Recorder::default();
    let mut driver = Driver::with_clock(
        InMemoryTransport::new(),
        InMemoryCursorStore::new(),
        VirtualClock::new(),
        &mut recorder,
    );
    let channel = ChannelConfig::from_configuration(&configuration, AD)
        .unwrap()
        .unwrap();
    let source = InMemorySource::new(directory_with(users(2)));
    driver
        .start_configured(&mut configuration, channel, source.clone())
        .unwrap();
    driver.run_cycle().unwrap();
    assert_eq!(driver.transport().len(), 2);
    configuration.set_password_sync(AD, AAD, false).unwrap();
    assert_eq!(
        driver.apply_channel_events(&mut configuration),
        vec![AD.to_owned()]
    );
    assert_eq!(driver.channel_names().count(), 0);
    source
        .directory()
        .lock()
        .unwrap()
        .set_password(guid(1), Password::new("After-Disable-1"));
    driver.run_cycle().unwrap();
    assert_eq!(
        driver.transport().log().len(),
        2,
        "a stopped channel sends nothing"
    );
    drop(driver);
    assert_eq!(recorder.count_kind("ChannelStopped"), 1);
}

#[test]
fn a_long_running_driver_with_faults_ends_with_the_newest_credentials() {
    // One driver across many cycles (its read positions in play), 40%
    // retryable failures, password changes landing between cycles.
    let directory = directory_with(users(60));
    let source = InMemorySource::new(directory.clone()).with_page_size(4);
    let mut target = InMemoryTransport::new();
    let mut cursors = InMemoryCursorStore::new();
    let mut faults = FaultConfig::default();
    faults.retry_rate = 0.4;
    faults.seed = 5;
    let mut driver = Driver::with_clock(
        FaultInjectingTransport::new(&mut target, faults),
        &mut cursors,
        VirtualClock::new(),
        (),
    );
    driver.set_threads(1);
    let mut config = config();
    config.batch_size = 7;
    driver.start_channel(config, source, false).unwrap();
    let mut newest = std::collections::HashMap::new();
    for round in 0..6u32 {
        driver.run_cycle().unwrap();
        let mut dir = directory.lock().unwrap();
        for k in 0..5u32 {
            let n = 1 + (round * 11 + k * 7) % 60;
            let password = format!("Round-{round}-{k}");
            let usn = dir.set_password(guid(n), Password::new(&password)).unwrap();
            newest.insert(guid(n).source_anchor(), (usn, password));
        }
        drop(dir);
        let now = driver.clock().now();
        driver.clock().sleep_until(now + CYCLE_INTERVAL);
    }
    let outcome = driver
        .run_until_settled(Duration::from_secs(6 * 3600))
        .unwrap();
    assert_eq!(outcome, RunOutcome::Settled);
    drop(driver);
    let high = directory.lock().unwrap().highest_usn();
    assert_eq!(
        cursors.get(AD, partition().dn()),
        Some(&Cursor::new(format!("U:{high}")))
    );
    assert_eq!(target.len(), 60);
    let original = Password::new(&user_vectors()[0].password);
    for (_, account) in directory.lock().unwrap().accounts() {
        let anchor = account.object_guid.source_anchor();
        let stored = target.get(AAD, &anchor).expect("delivered");
        assert_eq!(
            stored.usn, account.usn,
            "{} not newest",
            account.sam_account_name
        );
        let password = match newest.get(&anchor) {
            Some((_, password)) => Password::new(password),
            None => original.clone(),
        };
        assert!(
            stored.org_id.verify_password(&password),
            "{}",
            account.sam_account_name
        );
    }
}

/// A virtual clock that asks for a stop the first time the driver sleeps.
struct StoppingClock {
    clock: VirtualClock,
    stop: StopHandle,
}

impl Clock for StoppingClock {
    fn now(&mut self) -> Instant {
        self.clock.now()
    }

    fn sleep_until(&mut self, deadline: Instant) {
        self.stop.stop();
        self.clock.sleep_until(deadline);
    }
}

#[test]
fn a_stop_while_waiting_for_a_retry_records_the_partition_interrupted() {
    let stop = StopHandle::default();
    let clock = StoppingClock {
        clock: VirtualClock::new(),
        stop: stop.clone(),
    };
    let mut recorder = Recorder::default();
    let mut driver = Driver::with_clock(
        BrokenTarget::default(),
        InMemoryCursorStore::new(),
        clock,
        &mut recorder,
    );
    driver.set_stop_handle(stop);
    driver.set_retries_first(true);
    driver
        .start_channel(
            config(),
            InMemorySource::new(directory_with(users(3))),
            false,
        )
        .unwrap();
    assert_eq!(driver.run().unwrap(), RunOutcome::Stopped);
    assert_eq!(
        driver.transport().batches,
        1,
        "stopped in the wait for the retry"
    );
    let states = driver.partition_sync_states().to_vec();
    drop(driver);
    assert_eq!(
        recorder.statuses.last().map(|(_, s)| s.status),
        Some(PartitionStatus::Interrupted),
        "flushed before returning"
    );
    assert_eq!(
        states[0].state.status,
        hashsync::PasswordSyncStatus::Interrupted
    );
}
