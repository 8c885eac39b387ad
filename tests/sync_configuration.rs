//! Channels started from Entra Connect's configuration: the
//! ForceFullPasswordSync flag consumed and reset, staging mode, disabled
//! channels, tenant settings, and the per-partition sync state.

mod sync_support;

use hashsync::model::{
    ConfigurationParameter, Connector, ConnectorType, FORCE_FULL_PASSWORD_SYNC,
    ManagedDomainSettings, ParameterDataType, ParameterScope, Partition, PasswordSyncStatus,
    SyncConfiguration, Timestamp,
};
use hashsync::sync::Event;
use hashsync::sync::reference::{InMemorySource, InMemoryTransport};
use hashsync::sync::{
    ChannelConfig, ChannelStart, Cursor, CursorStore, Driver, InMemoryCursorStore, RunOutcome,
    VirtualClock, interrupt_running_cycles, record_partition_status,
};
use hashsync::{ConfigError, DriverError, Password};
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
    config.tenant_mut().company_features.password_hash_sync = true;
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
fn tenant_without_password_hash_sync_runs_no_channel_and_says_so() {
    let mut config = configuration();
    config.tenant_mut().company_features.password_hash_sync = false;
    let mut cursors = InMemoryCursorStore::new();
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
    let err = driver
        .start_configured(&mut config, channel, source())
        .unwrap_err();
    assert!(
        matches!(
            &err,
            DriverError::Configuration(ConfigError::PasswordHashSyncNotActivated { connector })
                if connector == AD
        ),
        "{err:?}"
    );
    assert_eq!(
        driver.run_cycle().unwrap(),
        RunOutcome::Settled,
        "no channel"
    );
    drop(driver);
    assert!(transport.log().is_empty(), "nothing delivered");
    let said = recorder.events.iter().find_map(|e| match e {
        Event::PasswordHashSyncNotActivated { message, .. } => Some(message.clone()),
        _ => None,
    });
    let said = said.expect("an event says so");
    assert!(
        said.contains("password hash sync is not activated for this company"),
        "{said}"
    );
    assert!(
        std::error::Error::source(&err)
            .unwrap()
            .to_string()
            .contains("password hash sync is not activated for this company")
    );
    assert_eq!(flag(&config), None, "nothing consumed");
}

#[test]
fn staging_mode_keeps_the_configuration_and_the_pending_full_sync() {
    let mut config = configuration();
    config.global_settings_mut().set_staging_mode(true).unwrap();
    // The tutorial's script runs to its end in staging mode.
    force_full_sync(&mut config);
    assert_eq!(flag(&config).as_deref(), Some("1"));
    assert!(config.password_sync(AD).unwrap().unwrap().enabled());
    let mut cursors = InMemoryCursorStore::new();
    cursors
        .save(AD, partition().dn(), &Cursor::new("U:7"))
        .unwrap();
    let suspended = run(&mut config, &mut cursors, source()).unwrap();
    assert_eq!(suspended.start, ChannelStart::StagingMode);
    assert_eq!(suspended.delivered, 0, "nothing read or delivered");
    assert_eq!(suspended.recorder.count_kind("PasswordSyncSuspended"), 1);
    assert_eq!(flag(&config).as_deref(), Some("1"), "still pending");
    assert_eq!(cursors.get(AD, partition().dn()), Some(&Cursor::new("U:7")));

    // Leaving staging mode: the pending full sync runs and consumes the flag.
    config
        .global_settings_mut()
        .set_staging_mode(false)
        .unwrap();
    let live = run(&mut config, &mut cursors, source()).unwrap();
    assert_eq!(live.start, ChannelStart::Started { full_sync: true });
    assert_eq!(flag(&config).as_deref(), Some("0"));
    assert_eq!(live.delivered, user_vectors().len());
    assert_eq!(live.recorder.count(617), 1);
    assert_eq!(live.recorder.count(622), 1);
    assert_eq!(live.recorder.count(623), 1);
}

/// Runs one full sync with `domain_services` and returns the deliveries
/// with their vectors.
fn deliveries_with(
    domain_services: Option<ManagedDomainSettings>,
) -> Vec<(VectorAccount, hashsync::sync::CredentialUpdate)> {
    let mut config = configuration();
    config.tenant_mut().managed_domain = domain_services;
    let mut cursors = InMemoryCursorStore::new();
    let mut transport = InMemoryTransport::new();
    let mut driver = Driver::with_clock(&mut transport, &mut cursors, VirtualClock::new(), ());
    let channel = ChannelConfig::from_configuration(&config, AD)
        .unwrap()
        .unwrap()
        .with_legacy_delivery(hashsync::sync::LegacyDelivery::Plaintext);
    driver
        .start_configured(&mut config, channel, source())
        .unwrap();
    assert_eq!(driver.run_cycle().unwrap(), RunOutcome::Settled);
    drop(driver);
    user_vectors()
        .into_iter()
        .enumerate()
        .map(|(i, v)| {
            let anchor = guid(i as u32 + 1).source_anchor();
            let update = transport.get(AAD, &anchor).expect("delivered").clone();
            (v, update)
        })
        .collect()
}

#[test]
fn legacy_credentials_leave_only_with_domain_services_and_its_settings() {
    // No Domain Services: the OrgId hash alone (Entra Connect's default).
    for (v, update) in deliveries_with(None) {
        assert!(update.legacy.is_none(), "{}: no legacy credential", v.id);
        assert!(
            update.org_id.verify_password(&Password::new(&v.password)),
            "{}",
            v.id
        );
    }
    // Domain Services with its defaults: the vectors' NT hash and AES keys.
    for (v, update) in deliveries_with(Some(ManagedDomainSettings::default())) {
        let legacy = plaintext(&update);
        assert_eq!(legacy.nt_hash.to_hex().as_str(), v.nt_hash_hex, "{}", v.id);
        assert_eq!(
            aes256_hex(&update).as_deref(),
            Some(v.aes256_hex.as_str()),
            "{}",
            v.id
        );
    }
    // Each Domain Services setting off in turn.
    let off = |change: fn(&mut ManagedDomainSettings)| {
        let mut settings = ManagedDomainSettings::default();
        change(&mut settings);
        deliveries_with(Some(settings))
    };
    // SyncNtlmPasswords off: a random NT hash, real Kerberos keys, OrgId of the real hash.
    for (v, update) in off(|s| s.sync_ntlm_passwords = false) {
        let legacy = plaintext(&update);
        assert_ne!(legacy.nt_hash.to_hex().as_str(), v.nt_hash_hex, "{}", v.id);
        assert_eq!(
            aes256_hex(&update).as_deref(),
            Some(v.aes256_hex.as_str()),
            "{}",
            v.id
        );
        assert!(
            update.org_id.verify_password(&Password::new(&v.password)),
            "{}",
            v.id
        );
    }
    // SyncKerberosPasswords off: the real NT hash, no Kerberos keys.
    for (v, update) in off(|s| s.sync_kerberos_passwords = false) {
        let legacy = plaintext(&update);
        assert_eq!(legacy.nt_hash.to_hex().as_str(), v.nt_hash_hex, "{}", v.id);
        assert!(legacy.kerberos.is_none(), "{}", v.id);
    }
    // SyncOnPremPasswords off: no legacy credential at all.
    for (v, update) in off(|s| s.sync_on_prem_passwords = false) {
        assert!(update.legacy.is_none(), "{}", v.id);
        assert!(
            update.org_id.verify_password(&Password::new(&v.password)),
            "{}",
            v.id
        );
    }
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
    assert_eq!(
        channel.source_connector_id,
        config.connector(AD).unwrap().identifier()
    );
    assert!(!channel.scope.force_password_change_on_logon);
    assert_eq!(
        channel.domain_services, None,
        "no Domain Services configured"
    );
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
    assert!(!channel.domain_services.unwrap().sync_ntlm_passwords);
    assert!(
        ChannelConfig::from_configuration(&config, AAD).is_err(),
        "not an AD connector"
    );
}

/// A driver on a virtual clock whose wall time starts at `start`, with the
/// configured channel started.
fn started_at<'a>(
    config: &mut SyncConfiguration,
    transport: &'a mut InMemoryTransport,
    cursors: &'a mut InMemoryCursorStore,
    start: std::time::SystemTime,
) -> Driver<InMemorySource, &'a mut InMemoryTransport, &'a mut InMemoryCursorStore, VirtualClock> {
    let mut driver = Driver::with_clock(transport, cursors, VirtualClock::starting_at(start), ());
    let channel = ChannelConfig::from_configuration(config, AD)
        .unwrap()
        .unwrap();
    driver.start_configured(config, channel, source()).unwrap();
    driver
}

#[test]
fn the_driver_records_partition_sync_states() {
    use std::time::{Duration, UNIX_EPOCH};
    let mut config = configuration();
    let mut cursors = InMemoryCursorStore::new();
    let start = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    let mut transport = InMemoryTransport::new();
    let mut driver = started_at(&mut config, &mut transport, &mut cursors, start);
    assert_eq!(driver.run_cycle().unwrap(), RunOutcome::Settled);
    let records = driver.partition_sync_states().to_vec();
    driver.record_partition_states(&mut config).unwrap();
    drop(driver);
    assert_eq!(records.len(), 1);
    assert_eq!(
        records[0].connector_id,
        config.connector(AD).unwrap().identifier()
    );
    assert_eq!(records[0].partition, partition().dn());
    let state = config.partition_sync_state(AD, partition().dn()).unwrap();
    assert_eq!(state, records[0].state);
    assert_eq!(state.status, PasswordSyncStatus::Successful);
    let begun = Timestamp::from_unix_millis(1_700_000_000_000);
    assert_eq!(
        state.last_cycle_start,
        Some(begun),
        "the virtual clock's time"
    );
    assert_eq!(state.last_successful_cycle_start, Some(begun));
    assert!(state.last_successful_cycle_end >= Some(begun));

    // A crash mid-cycle leaves it in progress; the next start records it
    // Interrupted, keeping the last successful cycle.
    force_full_sync(&mut config);
    let mut driver = started_at(
        &mut config,
        &mut transport,
        &mut cursors,
        start + Duration::from_secs(600),
    );
    driver.set_batch_limit(Some(1));
    assert_eq!(driver.run_cycle().unwrap(), RunOutcome::Interrupted);
    driver.record_partition_states(&mut config).unwrap();
    drop(driver);
    let state = config.partition_sync_state(AD, partition().dn()).unwrap();
    assert_eq!(state.status, PasswordSyncStatus::InProgress);
    let driver = started_at(
        &mut config,
        &mut transport,
        &mut cursors,
        start + Duration::from_secs(1200),
    );
    let state = config.partition_sync_state(AD, partition().dn()).unwrap();
    assert_eq!(state.status, PasswordSyncStatus::Interrupted);
    assert_eq!(
        state.last_cycle_end,
        Some(Timestamp::from_unix_millis(1_700_001_200_000))
    );
    assert_eq!(state.last_successful_cycle_start, Some(begun));
    // The helpers for hosts driving a channel by hand agree.
    let mut copy = config.clone();
    assert_eq!(
        interrupt_running_cycles(&mut copy, AD, Timestamp::from_unix_millis(1)).unwrap(),
        0
    );
    let change = hashsync::sync::StatusChange {
        partition: partition().dn().to_owned(),
        status: hashsync::sync::PartitionStatus::InProgress,
    };
    record_partition_status(&mut copy, AD, &change, Timestamp::from_unix_millis(9)).unwrap();
    assert_eq!(
        copy.partition_sync_state(AD, partition().dn())
            .unwrap()
            .status,
        PasswordSyncStatus::InProgress
    );
    drop(driver);
}
