//! Each finding of the diagnostics: produced by a scenario that causes it,
//! absent (the check `ok`) otherwise. Time runs on virtual clocks.

mod sync_support;

use std::time::Duration;

use hashsync::Password;
use hashsync::model::{Connector, ConnectorType, SyncConfiguration};
use hashsync::sync::reference::{
    FaultConfig, FaultInjectingTransport, InMemorySource, InMemoryTransport, MemorySourceError,
};
use hashsync::sync::{
    AccountCredentials, ChangeSource, ChannelConfig, Clock, Cursor, Diagnostics,
    DiagnosticsObserver, Driver, Finding, FindingScope, FindingStatus, InMemoryCursorStore,
    InMemoryObjectLog, ObservedSource, Partition, SharedClock, SourceStream, VirtualClock,
};
use sync_support::*;

/// The tutorial's server: one AD connector with one domain, the Entra ID
/// connector, the tenant's feature on, password sync enabled.
fn configuration() -> SyncConfiguration {
    let mut config = SyncConfiguration::new();
    let mut ad = Connector::new(AD, ConnectorType::Ad, "onprem.contoso.com").unwrap();
    ad.add_partition(partition()).unwrap();
    config.add_or_replace_connector(ad).unwrap();
    config
        .add_or_replace_connector(Connector::entra_id(AAD, "contoso.onmicrosoft.com").unwrap())
        .unwrap();
    config.tenant_mut().company_features.password_hash_sync = true;
    config.set_password_sync(AD, AAD, true).unwrap();
    config.drain_events().for_each(drop);
    config
}

fn users(count: u32) -> Vec<hashsync::sync::SourceAccount> {
    (0..count)
        .map(|n| {
            user(
                n + 1,
                &format!("user{n}"),
                None,
                u64::from(n) + 1,
                AccountCredentials::Cleartext(Password::new(&format!("Pw-{n}-x!"))),
            )
        })
        .collect()
}

type Harness<S, T> = Driver<
    ObservedSource<S>,
    T,
    InMemoryCursorStore,
    SharedClock<VirtualClock>,
    DiagnosticsObserver,
>;

/// A driver and a diagnostics record on one virtual clock.
fn harness<S: ChangeSource, T: hashsync::sync::Transport>(
    config: ChannelConfig,
    source: S,
    transport: T,
) -> (Harness<S, T>, Diagnostics, SharedClock<VirtualClock>) {
    let clock = SharedClock::new(VirtualClock::new());
    let diagnostics = Diagnostics::new(InMemoryObjectLog::default(), clock.clone());
    let mut driver = Driver::with_clock(
        transport,
        InMemoryCursorStore::new(),
        clock.clone(),
        diagnostics.observer(),
    );
    driver.set_threads(1);
    driver
        .start_channel(config, diagnostics.source(AD, source), false)
        .unwrap();
    (driver, diagnostics, clock)
}

fn find<'a>(findings: &'a [Finding], check: &str) -> &'a Finding {
    let matching: Vec<&Finding> = findings.iter().filter(|f| f.check == check).collect();
    assert_eq!(matching.len(), 1, "{check}: {findings:#?}");
    matching[0]
}

fn assert_only_problems(findings: &[Finding], expected: &[(&str, FindingStatus)]) {
    for finding in findings {
        let want = expected
            .iter()
            .find(|(check, _)| *check == finding.check)
            .map_or(FindingStatus::Ok, |(_, status)| *status);
        assert_eq!(finding.status, want, "{finding:#?}");
        if want != FindingStatus::Ok {
            assert!(
                !finding.action.is_empty(),
                "a problem says what to do: {finding:#?}"
            );
        }
    }
}

/// A settled, healthy run: every check is ok.
fn healthy() -> (SyncConfiguration, Vec<Finding>) {
    let config = configuration();
    let source = InMemorySource::new(directory_with(users(5)));
    let channel = ChannelConfig::new(AD, AAD);
    let (mut driver, diagnostics, _clock) = harness(channel, source, InMemoryTransport::new());
    driver.run_cycle().unwrap();
    let findings = diagnostics.findings(&config, driver.partition_sync_states());
    (config, findings)
}

#[test]
fn a_healthy_server_has_every_check_ok_with_its_scope() {
    let (_, findings) = healthy();
    assert_only_problems(&findings, &[]);
    let scopes: Vec<(&str, FindingScope, Option<&str>)> = findings
        .iter()
        .map(|f| (f.check, f.scope, f.connector.as_deref()))
        .collect();
    assert_eq!(
        scopes,
        [
            ("tenant.password_hash_sync", FindingScope::Tenant, None),
            ("tenant.domain_services", FindingScope::Tenant, None),
            ("server.staging_mode", FindingScope::Server, None),
            ("connector.password_sync", FindingScope::Connector, Some(AD)),
            (
                "connector.target_connector",
                FindingScope::Connector,
                Some(AD)
            ),
            ("connector.heartbeat", FindingScope::Connector, Some(AD)),
            ("connector.last_cycle", FindingScope::Connector, Some(AD)),
            ("connector.retry_queue", FindingScope::Connector, Some(AD)),
            ("connector.no_retry", FindingScope::Connector, Some(AD)),
            (
                "domain.last_successful_cycle",
                FindingScope::Domain,
                Some(AD)
            ),
            ("domain.persistent_errors", FindingScope::Domain, Some(AD)),
        ]
    );
    let json = serde_json::to_value(&findings[0]).unwrap();
    let keys: Vec<&str> = json
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        ["action", "check", "connector", "message", "scope", "status"]
    );
    assert_eq!(json["scope"], "tenant");
    assert_eq!(json["status"], "ok");
    assert!(json["connector"].is_null());
}

#[test]
fn staging_mode_is_a_warning_only_when_on() {
    let (mut config, findings) = healthy();
    assert_eq!(
        find(&findings, "server.staging_mode").status,
        FindingStatus::Ok
    );
    config.global_settings_mut().set_staging_mode(true).unwrap();
    let findings = hashsync::sync::diagnose(
        &config,
        &[],
        &[],
        &InMemoryObjectLog::default(),
        hashsync::model::Timestamp::from_unix_millis(0),
    );
    let staging = find(&findings, "server.staging_mode");
    assert_eq!(staging.status, FindingStatus::Warning);
    assert!(staging.message.contains("staging mode"));
}

#[test]
fn the_tenant_feature_off_is_an_error() {
    let (mut config, findings) = healthy();
    assert_eq!(
        find(&findings, "tenant.password_hash_sync").status,
        FindingStatus::Ok
    );
    config.tenant_mut().company_features.password_hash_sync = false;
    let findings = hashsync::sync::diagnose(
        &config,
        &[],
        &[],
        &InMemoryObjectLog::default(),
        hashsync::model::Timestamp::from_unix_millis(0),
    );
    let feature = find(&findings, "tenant.password_hash_sync");
    assert_eq!(feature.status, FindingStatus::Error);
    assert!(feature.action.contains("password hash synchronization"));
}

#[test]
fn a_disabled_channel_is_an_error_and_expects_no_heartbeat() {
    let (mut config, findings) = healthy();
    assert_eq!(
        find(&findings, "connector.password_sync").status,
        FindingStatus::Ok
    );
    config.set_password_sync(AD, AAD, false).unwrap();
    let findings = hashsync::sync::diagnose(
        &config,
        &[],
        &[],
        &InMemoryObjectLog::default(),
        hashsync::model::Timestamp::from_unix_millis(10 * 3600 * 1000),
    );
    let channel = find(&findings, "connector.password_sync");
    assert_eq!(channel.status, FindingStatus::Error);
    assert!(
        channel.action.contains("-Enable $true"),
        "{}",
        channel.action
    );
    assert_eq!(
        find(&findings, "connector.heartbeat").status,
        FindingStatus::Ok
    );
}

#[test]
fn no_heartbeat_for_over_three_hours_is_an_error() {
    let config = configuration();
    let source = InMemorySource::new(directory_with(users(3)));
    let (mut driver, diagnostics, clock) = harness(
        ChannelConfig::new(AD, AAD),
        source,
        InMemoryTransport::new(),
    );
    // An hour of idle 2-minute cycles: the heartbeat pings after 30 minutes.
    let end = clock.clone().now() + Duration::from_secs(3600);
    driver.run_until(end).unwrap();
    let pings = diagnostics
        .recent_events()
        .iter()
        .filter(|e| e.event.entra_connect_id() == Some(654))
        .count();
    assert!(pings >= 1, "an hour idle pings at least once");
    let states = driver.partition_sync_states().to_vec();
    let status = |diagnostics: &Diagnostics| {
        find(
            &diagnostics.findings(&config, &states),
            "connector.heartbeat",
        )
        .status
    };
    assert_eq!(status(&diagnostics), FindingStatus::Ok);
    // The service stops: no cycle, no ping. Under 3 hours since the last
    // ping is fine; over 3 hours is the script's failure.
    clock.with(|c| c.advance(Duration::from_secs(2 * 3600)));
    assert_eq!(status(&diagnostics), FindingStatus::Ok);
    clock.with(|c| c.advance(Duration::from_secs(3600 + 60)));
    let findings = diagnostics.findings(&config, &states);
    let heartbeat = find(&findings, "connector.heartbeat");
    assert_eq!(heartbeat.status, FindingStatus::Error, "{heartbeat:#?}");
    assert!(heartbeat.message.contains("654"));
}

/// A source whose partition reads fail while `failing` is set.
struct FailingSource {
    inner: InMemorySource,
    failing: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl FailingSource {
    fn check(&self) -> Result<(), MemorySourceError> {
        if self.failing.load(std::sync::atomic::Ordering::SeqCst) {
            Err(MemorySourceError::UnknownPartition(
                "the DC is unreachable".into(),
            ))
        } else {
            Ok(())
        }
    }
}

impl ChangeSource for FailingSource {
    type Error = MemorySourceError;

    fn partitions(&mut self) -> Result<Vec<Partition>, MemorySourceError> {
        self.inner.partitions()
    }

    fn full_sync(
        &mut self,
        partition: &Partition,
    ) -> Result<SourceStream<'_, MemorySourceError>, MemorySourceError> {
        self.check()?;
        self.inner.full_sync(partition)
    }

    fn changes_since(
        &mut self,
        partition: &Partition,
        cursor: &Cursor,
    ) -> Result<SourceStream<'_, MemorySourceError>, MemorySourceError> {
        self.check()?;
        self.inner.changes_since(partition, cursor)
    }
}

/// `errors` failed cycles, 20 minutes apart, then the findings.
fn domain_errors(errors: usize) -> Vec<Finding> {
    let config = configuration();
    let failing = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let source = FailingSource {
        inner: InMemorySource::new(directory_with(users(3))),
        failing: failing.clone(),
    };
    let (mut driver, diagnostics, clock) = harness(
        ChannelConfig::new(AD, AAD),
        source,
        InMemoryTransport::new(),
    );
    driver.run_cycle().unwrap();
    failing.store(true, std::sync::atomic::Ordering::SeqCst);
    for _ in 0..errors {
        clock.with(|c| c.advance(Duration::from_secs(20 * 60)));
        driver.run_cycle().unwrap();
    }
    let count = diagnostics
        .recent_events()
        .iter()
        .filter(|e| e.event.entra_connect_id() == Some(611))
        .count();
    assert_eq!(count, errors, "one 611 per failed cycle");
    diagnostics.findings(&config, driver.partition_sync_states())
}

#[test]
fn five_domain_errors_in_two_hours_are_persistent_four_are_not() {
    let five = domain_errors(5);
    let persistent = find(&five, "domain.persistent_errors");
    assert_eq!(persistent.status, FindingStatus::Error, "{persistent:#?}");
    assert!(persistent.message.contains("persistent"));
    assert_eq!(
        find(&five, "connector.last_cycle").status,
        FindingStatus::Error
    );

    let four = domain_errors(4);
    assert_eq!(
        find(&four, "domain.persistent_errors").status,
        FindingStatus::Warning
    );

    let none = domain_errors(0);
    assert_eq!(
        find(&none, "domain.persistent_errors").status,
        FindingStatus::Ok
    );
    assert_eq!(
        find(&none, "connector.last_cycle").status,
        FindingStatus::Ok
    );
}

#[test]
fn five_errors_spread_over_more_than_two_hours_are_not_persistent() {
    let config = configuration();
    let failing = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
    let source = FailingSource {
        inner: InMemorySource::new(directory_with(users(3))),
        failing,
    };
    let (mut driver, diagnostics, clock) = harness(
        ChannelConfig::new(AD, AAD),
        source,
        InMemoryTransport::new(),
    );
    for _ in 0..5 {
        driver.run_cycle().unwrap();
        clock.with(|c| c.advance(Duration::from_secs(40 * 60)));
    }
    // Errors at 0, 40, 80, 120, 160 minutes; now is 200: three are within
    // the last two hours.
    let findings = diagnostics.findings(&config, driver.partition_sync_states());
    let errors = find(&findings, "domain.persistent_errors");
    assert_eq!(errors.status, FindingStatus::Warning);
    assert!(errors.message.contains(" 3 errors"), "{}", errors.message);
}

fn faulty_run(faults: FaultConfig, queue_limit: usize) -> Vec<Finding> {
    let config = configuration();
    let source = InMemorySource::new(directory_with(users(20)));
    let mut channel = ChannelConfig::new(AD, AAD);
    channel.batch_size = 5;
    channel.retry_queue_limit = queue_limit;
    let transport = FaultInjectingTransport::new(InMemoryTransport::new(), faults);
    let (mut driver, diagnostics, _clock) = harness(channel, source, transport);
    driver.run_cycle().unwrap();
    diagnostics.findings(&config, driver.partition_sync_states())
}

#[test]
fn no_retry_results_are_counted_per_account() {
    let mut faults = FaultConfig::default();
    faults.no_retry_rate = 1.0;
    let findings = faulty_run(faults, 2000);
    let no_retry = find(&findings, "connector.no_retry");
    assert_eq!(no_retry.status, FindingStatus::Warning);
    assert!(
        no_retry.message.starts_with("20 accounts"),
        "{}",
        no_retry.message
    );
    assert_eq!(
        find(&findings, "connector.retry_queue").status,
        FindingStatus::Ok
    );

    let findings = faulty_run(FaultConfig::default(), 2000);
    assert_only_problems(&findings, &[]);
}

/// A host driving the engine by hand: 13 changes fail with retry, the
/// queue has room for `limit`; every event goes to the diagnostics record.
fn queue_scenario(limit: usize) -> Vec<Finding> {
    use hashsync::sync::{Channel, ItemResult, ReadMode, SourceItem};
    let config = configuration();
    let clock = SharedClock::new(VirtualClock::new());
    let diagnostics = Diagnostics::new(InMemoryObjectLog::default(), clock.clone());
    let now = clock.clone().now();
    let mut channel_config = ChannelConfig::new(AD, AAD);
    channel_config.retry_queue_limit = limit;
    channel_config.batch_size = 10;
    let mut channel = Channel::new(channel_config, now).unwrap();
    channel.begin_cycle(None);
    let p = channel.begin_partition(partition(), ReadMode::Incremental);
    for account in users(13) {
        channel
            .handle_source_item(p, SourceItem::Account(account))
            .unwrap();
    }
    channel
        .handle_source_item(p, SourceItem::Checkpoint(Cursor::new("after")))
        .unwrap();
    channel.handle_source_end(p).unwrap();
    while let Some(batch) = channel.poll_batch(now) {
        let failed = vec![ItemResult::FailedRetry; batch.requests.len()];
        channel
            .handle_batch_results(batch.id, &failed, now)
            .unwrap();
    }
    channel.end_cycle();
    while let Some(event) = channel.poll_event() {
        diagnostics.record_event(&event);
    }
    diagnostics.findings(&config, &[])
}

#[test]
fn a_retry_queue_overflow_is_an_error_a_queue_a_warning() {
    let findings = queue_scenario(10);
    let queue = find(&findings, "connector.retry_queue");
    assert_eq!(queue.status, FindingStatus::Error, "{queue:#?}");
    assert!(
        queue.message.contains("overflowed 3 times"),
        "{}",
        queue.message
    );
    assert!(
        queue.message.contains("10 objects queued"),
        "{}",
        queue.message
    );
    // Room for all: they wait, no overflow.
    let findings = queue_scenario(2000);
    let queue = find(&findings, "connector.retry_queue");
    assert_eq!(queue.status, FindingStatus::Warning, "{queue:#?}");
    assert!(queue.message.starts_with("13 objects"), "{}", queue.message);
}

#[test]
fn domain_services_without_ntlm_is_a_warning() {
    let mut config = configuration();
    let mut managed = hashsync::model::ManagedDomainSettings::default();
    let at = hashsync::model::Timestamp::from_unix_millis(0);
    let check = |config: &SyncConfiguration| {
        let findings =
            hashsync::sync::diagnose(config, &[], &[], &InMemoryObjectLog::default(), at);
        find(&findings, "tenant.domain_services").clone()
    };
    assert_eq!(
        check(&config).status,
        FindingStatus::Ok,
        "no Domain Services"
    );
    config.tenant_mut().managed_domain = Some(managed);
    assert_eq!(
        check(&config).status,
        FindingStatus::Ok,
        "every legacy credential"
    );
    managed.sync_ntlm_passwords = false;
    config.tenant_mut().managed_domain = Some(managed);
    let finding = check(&config);
    assert_eq!(finding.status, FindingStatus::Warning);
    assert!(finding.message.contains("NTLM"));
}

/// The configured start, as the service does it, for each gate.
#[test]
fn the_configured_gates_show_in_the_findings_of_a_real_start() {
    use hashsync::sync::ChannelStart;
    for gate in ["staging", "disabled", "feature off", "none"] {
        let mut config = configuration();
        match gate {
            "staging" => config.global_settings_mut().set_staging_mode(true).unwrap(),
            "disabled" => {
                config.set_password_sync(AD, AAD, false).unwrap();
            }
            "feature off" => config.tenant_mut().company_features.password_hash_sync = false,
            _ => {}
        }
        let clock = SharedClock::new(VirtualClock::new());
        let diagnostics = Diagnostics::new(InMemoryObjectLog::default(), clock.clone());
        let mut driver = Driver::with_clock(
            InMemoryTransport::new(),
            InMemoryCursorStore::new(),
            clock,
            diagnostics.observer(),
        );
        let channel = ChannelConfig::new(AD, AAD);
        let source = diagnostics.source(AD, InMemorySource::new(directory_with(users(2))));
        let start = driver.start_configured(&mut config, channel, source);
        match gate {
            "staging" => assert!(matches!(start, Ok(ChannelStart::StagingMode))),
            "disabled" => assert!(matches!(start, Ok(ChannelStart::Disabled))),
            "feature off" => assert!(start.is_err()),
            _ => {
                assert!(matches!(start, Ok(ChannelStart::Started { .. })));
                driver.run_cycle().unwrap();
            }
        }
        let findings = diagnostics.findings(&config, driver.partition_sync_states());
        let expected: &[(&str, FindingStatus)] = match gate {
            "staging" => &[
                ("server.staging_mode", FindingStatus::Warning),
                ("connector.last_cycle", FindingStatus::Warning),
                ("domain.last_successful_cycle", FindingStatus::Warning),
            ],
            "disabled" => &[
                ("connector.password_sync", FindingStatus::Error),
                ("connector.last_cycle", FindingStatus::Warning),
                ("domain.last_successful_cycle", FindingStatus::Warning),
            ],
            "feature off" => &[
                ("tenant.password_hash_sync", FindingStatus::Error),
                ("connector.last_cycle", FindingStatus::Warning),
                ("domain.last_successful_cycle", FindingStatus::Warning),
            ],
            _ => &[],
        };
        assert_only_problems(&findings, expected);
    }
}
