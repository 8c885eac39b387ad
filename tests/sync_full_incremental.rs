//! Full sync, then incremental sync, on the in-memory source and transport.

mod sync_support;

use hashsync::sync::reference::{InMemorySource, InMemoryTransport};
use hashsync::sync::{
    ChannelConfig, Driver, Event, InMemoryCursorStore, PartitionStatus, RunOutcome, VirtualClock,
};
use hashsync::{EncryptionType, NtHash, Password};
use sync_support::*;

const CONNECTOR_ID: hashsync::model::Uuid =
    hashsync::model::Uuid::from_u128(0x6d1e5c0a_4f3b_4b8e_9a61_0c0a5e1d2a01);

/// A channel to a tenant with Domain Services, so legacy credentials travel.
fn channel_config() -> ChannelConfig {
    ChannelConfig::new(AD, AAD)
        .with_source_connector_id(CONNECTOR_ID)
        .with_domain_services(Some(hashsync::model::ManagedDomainSettings::default()))
        .with_legacy_delivery(hashsync::sync::LegacyDelivery::Plaintext)
}

#[test]
fn full_then_incremental_delivers_vector_credentials_and_then_only_changes() {
    let vectors = user_vectors();
    assert!(vectors.len() >= 5);
    let accounts = vectors
        .iter()
        .enumerate()
        .map(|(i, v)| cleartext_user(i as u32 + 1, v, 100 + i as u64))
        .collect();
    let directory = directory_with(accounts);
    let source = InMemorySource::new(directory.clone()).with_page_size(2);
    let mut transport = InMemoryTransport::new();
    let mut cursors = InMemoryCursorStore::new();
    let mut recorder = Recorder::default();

    let mut driver = Driver::with_clock(
        &mut transport,
        &mut cursors,
        VirtualClock::new(),
        &mut recorder,
    );
    driver.set_threads(2);
    driver
        .start_channel(channel_config(), source.clone(), false)
        .unwrap();
    assert_eq!(driver.run_cycle().unwrap(), RunOutcome::Settled);

    // Every vector user arrived with the Samba DC's NT hash, salt and AES keys.
    for (i, v) in vectors.iter().enumerate() {
        let anchor = guid(i as u32 + 1).source_anchor();
        let update = driver.transport().get(AAD, &anchor).unwrap();
        assert_eq!(
            plaintext(update).nt_hash.to_hex().as_str(),
            v.nt_hash_hex,
            "{}",
            v.id
        );
        let kerberos = plaintext(update).kerberos.as_ref().unwrap();
        assert_eq!(
            hex::encode(kerberos.salt.as_bytes()),
            v.salt_hex,
            "{}",
            v.id
        );
        assert_eq!(
            key_hex(update, EncryptionType::AES256_CTS_HMAC_SHA1_96).unwrap(),
            v.aes256_hex
        );
        assert_eq!(
            key_hex(update, EncryptionType::AES128_CTS_HMAC_SHA1_96).unwrap(),
            v.aes128_hex
        );
        let nt = NtHash::from_hex(&v.nt_hash_hex).unwrap();
        assert!(update.org_id.verify_nt_hash(&nt), "{}", v.id);
        assert_eq!(update.org_id.iterations(), 1000);
        assert_eq!(update.usn, 100 + i as u64);
        assert!(!update.force_change_on_logon);
        assert_eq!(update.sam_account_name, v.sam);
    }
    assert_eq!(driver.transport().len(), vectors.len());
    assert_eq!(driver.transport().log().len(), vectors.len());
    let (_, _, _) = driver.into_parts();
    let high = directory.lock().unwrap().highest_usn();
    assert_eq!(
        cursors.get(AD, partition().dn()).unwrap().as_bytes(),
        format!("U:{high}").as_bytes()
    );
    // The Entra Connect events of a full sync, exactly (DESIGN.md 1).
    let ids: std::collections::BTreeSet<u16> = recorder.ids().into_iter().collect();
    assert_eq!(
        ids,
        [617, 618, 622, 623, 650, 651, 656, 657]
            .into_iter()
            .collect(),
        "no 620 without no-retry objects, no ping in a busy run"
    );
    assert_eq!(
        recorder.count(656),
        vectors.len(),
        "one request per account sent"
    );
    assert_eq!(recorder.count(657), vectors.len());
    assert_eq!((recorder.count(622), recorder.count(623)), (1, 1));
    assert!(
        recorder
            .events
            .iter()
            .all(|e| e.connector() == AD && e.connector_id() == CONNECTOR_ID)
    );
    // 617 first, the forest's 623 after the domain's 622.
    assert_eq!(recorder.ids().first(), Some(&617));
    let position = |id| recorder.ids().iter().position(|i| *i == id).unwrap();
    assert!(position(622) < position(623));
    assert!(recorder.events.iter().any(|e| matches!(
        e,
        Event::DomainFullSyncCompleted { read, synced, .. } if *read == vectors.len() as u64 && *synced == vectors.len() as u64
    )));
    assert_eq!(
        recorder.statuses.last().unwrap().1.status,
        PartitionStatus::Successful
    );

    // Two password changes, then an incremental cycle: only those two travel.
    let new_password = "Incremental-Change-1";
    let usn = directory
        .lock()
        .unwrap()
        .set_password(guid(1), Password::new(new_password))
        .unwrap();
    directory
        .lock()
        .unwrap()
        .set_password(guid(3), Password::new("Another-Change-2"))
        .unwrap();
    let mut recorder = Recorder::default();
    let mut driver = Driver::with_clock(
        &mut transport,
        &mut cursors,
        VirtualClock::new(),
        &mut recorder,
    );
    driver
        .start_channel(channel_config(), source, false)
        .unwrap();
    assert_eq!(driver.run_cycle().unwrap(), RunOutcome::Settled);
    drop(driver);
    assert_eq!(transport.log().len(), vectors.len() + 2);
    let update = transport.get(AAD, &guid(1).source_anchor()).unwrap();
    assert_eq!(update.usn, usn);
    let expected = hashsync::nt_hash(&Password::new(new_password));
    assert_eq!(plaintext(update).nt_hash, expected);
    assert!(update.org_id.verify_password(&Password::new(new_password)));
    // The salt is still the UPN-based one AD uses for vector 1.
    let salt = &plaintext(update).kerberos.as_ref().unwrap().salt;
    assert_eq!(hex::encode(salt.as_bytes()), vectors[0].salt_hex);
    let ids: std::collections::BTreeSet<u16> = recorder.ids().into_iter().collect();
    assert_eq!(
        ids,
        [650, 651, 656, 657].into_iter().collect(),
        "incremental is not a full sync"
    );
}
