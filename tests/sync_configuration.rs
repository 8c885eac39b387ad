//! Channels started from Entra Connect's configuration: the
//! ForceFullPasswordSync flag consumed and reset, staging mode, disabled
//! channels, tenant settings, and the per-partition sync state.

mod sync_support;

use hashsync::model::{
    ConfigurationParameter, Connector, ConnectorType, FORCE_FULL_PASSWORD_SYNC,
    ManagedDomainSettings, ParameterDataType, ParameterScope, Partition, PasswordSyncStatus,
    SyncConfiguration, Timestamp,
};
use hashsync::sync::reference::{InMemorySource, InMemoryTransport};
use hashsync::sync::{
    ChannelConfig, ChannelStart, Cursor, CursorStore, Driver, InMemoryCursorStore, RunOutcome,
    VirtualClock, interrupt_running_cycles, record_partition_status,
};
use hashsync::{ConfigError, DriverError};
use sync_support::*;

fn configuration() -> SyncConfiguration {
    let mut config = SyncConfiguration::new();
    let mut ad = Connector::new(AD, ConnectorType::Ad, "onprem.contoso.com").unwrap();
    ad.add_partition(Partition::new(partition().dn(), "onprem.contoso.com").unwrap())
        .unwrap();
    config.add_or_replace_connector(ad).unwrap();
    config
        .add_or_replace_connector(
            Connector::new(AAD, ConnectorType::Waad, "contoso.onmicrosoft.com").unwrap(),
        )
        .unwrap();
    config.set_password_sync(AD, AAD, true).unwrap();
    config.drain_events().for_each(drop);
    config
}

/// Tutorial step 3: the flag set to 1, the channel disabled and re-enabled.
fn force_full_sync(config: &mut SyncConfiguration) {
    let mut c = config.connector(AD).unwrap().clone();
    let mut p = ConfigurationParameter::new(
        FORCE_FULL_PASSWORD_SYNC,
        ParameterDataType::String,
        ParameterScope::ConnectorGlobal,
    )
    .unwrap();
    p.set_value(1).unwrap();
    c.global_parameters_mut().remove(p.name());
    c.global_parameters_mut().add(p).unwrap();
    config.add_or_replace_connector(c).unwrap();
    config.set_password_sync(AD, AAD, false).unwrap();
    config.set_password_sync(AD, AAD, true).unwrap();
}

fn flag(config: &SyncConfiguration) -> Option<String> {
    config
        .connector(AD)
        .unwrap()
        .global_parameters()
        .get(FORCE_FULL_PASSWORD_SYNC)
        .and_then(|p| p.value())
        .map(str::to_owned)
}

fn source() -> InMemorySource {
    let accounts = user_vectors()
        .iter()
        .enumerate()
        .map(|(i, v)| cleartext_user(i as u32 + 1, v, 100 + i as u64))
        .collect();
    InMemorySource::new(directory_with(accounts))
}

struct Run {
    start: ChannelStart,
    delivered: usize,
    recorder: Recorder,
}

fn run(
    config: &mut SyncConfiguration,
    cursors: &mut InMemoryCursorStore,
    source: InMemorySource,
) -> Result<Run, DriverError<hashsync::sync::reference::MemorySourceError, std::convert::Infallible>>
{
    let mut transport = InMemoryTransport::new();
    let mut recorder = Recorder::default();
    let mut driver =
        Driver::with_clock(&mut transport, cursors, VirtualClock::new(), &mut recorder);
    let channel = ChannelConfig::from_configuration(config, AD)
        .unwrap()
        .unwrap();
    let start = driver.start_configured(config, channel, source)?;
    driver.run_cycle()?;
    drop(driver);
    Ok(Run {
        start,
        delivered: transport.log().len(),
        recorder,
    })
}

#[test]
fn force_full_password_sync_is_consumed_reset_and_discards_the_cursor() {
    let mut config = configuration();
    let mut cursors = InMemoryCursorStore::new();
    let source = source();
    let users = user_vectors().len();
    // A saved cursor past every account: incremental sync would send nothing.
    cursors
        .save(AD, partition().dn(), &Cursor::new("U:100000"))
        .unwrap();
    let quiet = run(&mut config, &mut cursors, source.clone()).unwrap();
    assert_eq!(quiet.start, ChannelStart::Started { full_sync: false });
    assert_eq!(quiet.delivered, 0);

    force_full_sync(&mut config);
    assert_eq!(flag(&config).as_deref(), Some("1"));
    let forced = run(&mut config, &mut cursors, source.clone()).unwrap();
    assert_eq!(forced.start, ChannelStart::Started { full_sync: true });
    assert_eq!(flag(&config).as_deref(), Some("0"), "flag reset to 0");
    assert_eq!(forced.delivered, users, "every account re-read");
    assert!(forced.recorder.ids().contains(&617));
    assert!(forced.recorder.events.iter().any(|e| matches!(
        e,
        hashsync::sync::Event::ForestFullSyncStarted {
            reason: hashsync::sync::FullSyncReason::ForceFullPasswordSync,
            ..
        }
    )));
    let high = source.directory().lock().unwrap().highest_usn();
    assert_eq!(
        cursors.get(AD, partition().dn()),
        Some(&Cursor::new(format!("U:{high}")))
    );

    // Back to incremental: the next start sends nothing new.
    let after = run(&mut config, &mut cursors, source).unwrap();
    assert_eq!(after.start, ChannelStart::Started { full_sync: false });
    assert_eq!(after.delivered, 0);
    assert!(!after.recorder.ids().contains(&617));
}

#[test]
fn first_start_without_a_cursor_is_a_full_sync() {
    let mut config = configuration();
    let mut cursors = InMemoryCursorStore::new();
    let first = run(&mut config, &mut cursors, source()).unwrap();
    assert_eq!(first.start, ChannelStart::Started { full_sync: false });
    assert_eq!(first.delivered, user_vectors().len());
    assert!(first.recorder.events.iter().any(|e| matches!(
        e,
        hashsync::sync::Event::ForestFullSyncStarted {
            reason: hashsync::sync::FullSyncReason::FirstStart,
            ..
        }
    )));
}

#[test]
fn staging_mode_means_no_sync_at_all() {
    let mut config = configuration();
    force_full_sync(&mut config);
    config.global_settings_mut().set_staging_mode(true).unwrap();
    let mut cursors = InMemoryCursorStore::new();
    cursors
        .save(AD, partition().dn(), &Cursor::new("U:7"))
        .unwrap();
    let err = match run(&mut config, &mut cursors, source()) {
        Err(err) => err,
        Ok(_) => panic!("staging mode must refuse"),
    };
    assert!(
        matches!(err, DriverError::Configuration(ConfigError::StagingModeOn)),
        "{err:?}"
    );
    assert_eq!(flag(&config).as_deref(), Some("1"), "flag not consumed");
    assert_eq!(cursors.get(AD, partition().dn()), Some(&Cursor::new("U:7")));
}

#[test]
fn a_disabled_channel_does_not_run() {
    let mut config = configuration();
    config.set_password_sync(AD, AAD, false).unwrap();
    let mut cursors = InMemoryCursorStore::new();
    let run = run(&mut config, &mut cursors, source()).unwrap();
    assert_eq!(run.start, ChannelStart::Disabled);
    assert_eq!(run.delivered, 0);
}

#[test]
fn tenant_settings_reach_the_channel() {
    let mut config = configuration();
    let channel = ChannelConfig::from_configuration(&config, AD)
        .unwrap()
        .unwrap();
    assert_eq!(channel.target_connector, AAD);
    assert!(!channel.scope.force_password_change_on_logon);
    assert!(channel.sync_ntlm_passwords);
    config
        .tenant_mut()
        .company_features
        .force_password_change_on_logon = true;
    let mut managed_domain = ManagedDomainSettings::default();
    managed_domain.sync_ntlm_passwords = false;
    config.tenant_mut().managed_domain = Some(managed_domain);
    let channel = ChannelConfig::from_configuration(&config, AD)
        .unwrap()
        .unwrap();
    assert!(channel.scope.force_password_change_on_logon);
    assert!(!channel.sync_ntlm_passwords);
    assert!(
        ChannelConfig::from_configuration(&config, AAD).is_err(),
        "not an AD connector"
    );
}

#[test]
fn partition_sync_state_follows_the_cycles() {
    let mut config = configuration();
    let mut cursors = InMemoryCursorStore::new();
    let done = run(&mut config, &mut cursors, source()).unwrap();
    for (i, (connector, change)) in done.recorder.statuses.iter().enumerate() {
        let at = Timestamp::from_unix_millis(1_000 + i as u64);
        record_partition_status(&mut config, connector, change, at).unwrap();
    }
    let state = config.partition_sync_state(AD, partition().dn()).unwrap();
    assert_eq!(state.status, PasswordSyncStatus::Successful);
    assert_eq!(
        state.last_cycle_start,
        Some(Timestamp::from_unix_millis(1_000))
    );
    assert_eq!(
        state.last_successful_cycle_end,
        Some(Timestamp::from_unix_millis(1_001))
    );

    // A crash mid-cycle leaves it in progress; the next start marks it interrupted.
    force_full_sync(&mut config);
    let mut transport = InMemoryTransport::new();
    let mut recorder = Recorder::default();
    let mut driver = Driver::with_clock(
        &mut transport,
        &mut cursors,
        VirtualClock::new(),
        &mut recorder,
    );
    let channel = ChannelConfig::from_configuration(&config, AD)
        .unwrap()
        .unwrap();
    driver
        .start_configured(&mut config, channel, source())
        .unwrap();
    driver.set_batch_limit(Some(1));
    assert_eq!(driver.run_cycle().unwrap(), RunOutcome::Interrupted);
    drop(driver);
    for (connector, change) in &recorder.statuses {
        record_partition_status(
            &mut config,
            connector,
            change,
            Timestamp::from_unix_millis(5_000),
        )
        .unwrap();
    }
    let state = config.partition_sync_state(AD, partition().dn()).unwrap();
    assert_eq!(state.status, PasswordSyncStatus::InProgress);
    let n = interrupt_running_cycles(&mut config, AD, Timestamp::from_unix_millis(6_000)).unwrap();
    assert_eq!(n, 1);
    let state = config.partition_sync_state(AD, partition().dn()).unwrap();
    assert_eq!(state.status, PasswordSyncStatus::Interrupted);
    assert_eq!(
        state.last_successful_cycle_end,
        Some(Timestamp::from_unix_millis(1_001))
    );
}
