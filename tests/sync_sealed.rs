//! With the managed domain's certificate configured on the channel
//! (`LegacyDelivery::Sealed`), no legacy secret reaches the transport:
//! what a recording transport receives, and what the JSON-lines transport
//! writes, is searched for every account's NT hash and Kerberos keys (raw,
//! hex both cases, base64). The envelopes open with the managed domain's
//! key to the vectors' values (Samba, MIT krb5). The transport-side
//! wrappers (`SealingTransport`, `JsonLinesTransport::sealed`) for batches
//! built elsewhere are checked the same way.

mod sync_support;

use base64::Engine as _;
use hashsync::formats::envelope::{ManagedDomainCertificate, ManagedDomainKey};
use hashsync::sync::reference::{InMemorySource, JsonLinesTransport};
use hashsync::sync::{
    AccountCredentials, Batch, ChannelConfig, CredentialUpdate, Driver, InMemoryCursorStore,
    ItemResult, LegacyDelivery, LegacySecrets, SealingTransport, StoredHashes,
    SyncCredentialsChangeItem, Transport,
};
use hashsync::{NtHash, Password};
use serde_json::Value;
use sync_support::*;

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/envelope");

fn certificate() -> ManagedDomainCertificate {
    ManagedDomainCertificate::parse(
        &std::fs::read(format!("{DATA}/managed_domain_cert.pem")).unwrap(),
    )
    .unwrap()
}

fn key() -> ManagedDomainKey {
    ManagedDomainKey::new(
        certificate(),
        &std::fs::read(format!("{DATA}/managed_domain_key.pem")).unwrap(),
    )
    .unwrap()
}

/// The vector users: even ones with their cleartext password, odd ones as
/// AD stores them (NT hash and Samba's `supplementalCredentials`).
fn source_accounts() -> Vec<(VectorAccount, hashsync::sync::SourceAccount)> {
    user_vectors()
        .into_iter()
        .enumerate()
        .map(|(i, v)| {
            let n = i as u32 + 1;
            let account = if i % 2 == 0 {
                cleartext_user(n, &v, 10 + n as u64)
            } else {
                let blob = base64::engine::general_purpose::STANDARD
                    .decode(&v.supplemental_b64)
                    .unwrap();
                let nt = NtHash::from_hex(&v.nt_hash_hex).unwrap();
                let mut account = user(
                    n,
                    &v.sam,
                    v.upn.as_deref(),
                    10 + n as u64,
                    AccountCredentials::Stored(StoredHashes::from_attributes(nt, &blob).unwrap()),
                );
                account.user_account_control = v.uac;
                account
            };
            (v, account)
        })
        .collect()
}

/// Every secret of every account, as bytes.
fn secrets(accounts: &[(VectorAccount, hashsync::sync::SourceAccount)]) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for (v, _) in accounts {
        out.push((
            format!("{} NT hash", v.sam),
            hex::decode(&v.nt_hash_hex).unwrap(),
        ));
        out.push((
            format!("{} AES256", v.sam),
            hex::decode(&v.aes256_hex).unwrap(),
        ));
        out.push((
            format!("{} AES128", v.sam),
            hex::decode(&v.aes128_hex).unwrap(),
        ));
    }
    assert!(out.len() >= 6);
    out
}

/// The first secret `haystack` holds raw, in hex (either case) or base64.
fn leaked(haystack: &[u8], secrets: &[(String, Vec<u8>)]) -> Option<String> {
    let text = String::from_utf8_lossy(haystack).to_lowercase();
    let original = String::from_utf8_lossy(haystack);
    secrets.iter().find_map(|(name, secret)| {
        let b64 = base64::engine::general_purpose::STANDARD.encode(secret);
        if haystack.windows(secret.len()).any(|w| w == &secret[..]) {
            Some(format!("raw {name}"))
        } else if text.contains(&hex::encode(secret)) {
            Some(format!("hex {name}"))
        } else if original.contains(b64.trim_end_matches('=')) {
            // Unpadded too: inside a longer value the padding is gone.
            Some(format!("base64 {name}"))
        } else {
            None
        }
    })
}

fn assert_no_secret(haystack: &[u8], secrets: &[(String, Vec<u8>)], what: &str) {
    assert_eq!(leaked(haystack, secrets), None, "{what}");
}

/// Keeps every byte of every update it receives.
#[derive(Default)]
struct Recording {
    received: Vec<u8>,
    updates: Vec<CredentialUpdate>,
}

impl Transport for Recording {
    type Error = std::io::Error;

    fn send(&mut self, batch: &Batch) -> Result<Vec<ItemResult>, std::io::Error> {
        for update in &batch.updates {
            self.received
                .extend_from_slice(format!("{update:?}").as_bytes());
            self.received
                .extend_from_slice(update.org_id.encode().as_bytes());
            let sealed = update
                .legacy
                .as_ref()
                .and_then(LegacySecrets::sealed)
                .expect("sealed before the transport");
            self.received
                .extend_from_slice(&sealed.windows_legacy_credentials);
            if let Some(s) = &sealed.windows_supplemental_credentials {
                self.received.extend_from_slice(s);
            }
            self.updates.push(update.clone());
        }
        Ok(vec![ItemResult::Success; batch.updates.len()])
    }
}

/// The JSON-lines transport's output, one value a line.
fn json_lines(out: Vec<u8>) -> Vec<Value> {
    String::from_utf8(out)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// One full sync of `accounts` through `transport`, legacy credentials
/// delivered as `delivery` says.
fn run_with<T: Transport>(
    transport: T,
    accounts: &[(VectorAccount, hashsync::sync::SourceAccount)],
    delivery: LegacyDelivery,
) -> T {
    let directory = directory_with(accounts.iter().map(|(_, a)| a.clone()).collect());
    let mut driver = Driver::new(transport, InMemoryCursorStore::new());
    driver
        .start_channel(
            ChannelConfig::new(AD, AAD)
                .with_domain_services(Some(hashsync::model::ManagedDomainSettings::default()))
                .with_legacy_delivery(delivery),
            InMemorySource::new(directory),
            false,
        )
        .unwrap();
    driver.run_cycle().unwrap();
    driver.into_parts().0
}

/// The channel seals to the managed domain's certificate.
fn run_sealed<T: Transport>(
    transport: T,
    accounts: &[(VectorAccount, hashsync::sync::SourceAccount)],
) -> T {
    run_with(
        transport,
        accounts,
        LegacyDelivery::sealed_to(certificate()),
    )
}

/// The channel hands legacy credentials over in the clear.
fn run_plaintext<T: Transport>(
    transport: T,
    accounts: &[(VectorAccount, hashsync::sync::SourceAccount)],
) -> T {
    run_with(transport, accounts, LegacyDelivery::Plaintext)
}

/// Checks every recorded update against its vector account: sealed to the
/// certificate, opening to the account's NT hash and AES keys with its
/// salt, and an OrgId hash of the real password.
fn assert_envelopes_open_to_the_vectors(
    recording: &Recording,
    accounts: &[(VectorAccount, hashsync::sync::SourceAccount)],
) {
    assert_eq!(recording.updates.len(), accounts.len());
    let key = key();
    for (v, account) in accounts {
        let anchor = account.object_guid.source_anchor();
        let update = recording
            .updates
            .iter()
            .find(|u| u.source_anchor == anchor)
            .unwrap();
        assert!(
            update
                .legacy
                .as_ref()
                .and_then(LegacySecrets::plaintext)
                .is_none()
        );
        let sealed = update
            .legacy
            .as_ref()
            .and_then(LegacySecrets::sealed)
            .unwrap();
        assert_eq!(sealed.thumbprint().unwrap(), certificate().thumbprint());
        let opened = sealed.open(&key).unwrap();
        assert_eq!(opened.nt_hash.to_hex().as_str(), v.nt_hash_hex, "{}", v.sam);
        let kerberos = opened.kerberos.expect("Kerberos keys sealed");
        assert_eq!(
            hex::encode(kerberos.salt.as_bytes()),
            v.salt_hex,
            "{}",
            v.sam
        );
        let key_hex: Vec<String> = kerberos
            .keys
            .iter()
            .map(|k| k.to_hex().to_string())
            .collect();
        assert!(
            key_hex.contains(&v.aes256_hex) && key_hex.contains(&v.aes128_hex),
            "{}",
            v.sam
        );
        // The OrgId hash still comes from the real NT hash.
        assert!(update.org_id.verify_password(&Password::new(&v.password)));
    }
}

#[test]
fn a_channel_sealing_to_the_certificate_hands_the_transport_only_envelopes() {
    let accounts = source_accounts();
    let secrets = secrets(&accounts);
    let recording = run_sealed(Recording::default(), &accounts);
    assert_no_secret(&recording.received, &secrets, "transport");
    assert_envelopes_open_to_the_vectors(&recording, &accounts);
}

#[test]
fn a_sealing_channel_makes_the_plain_json_lines_transport_write_ciphertext_only() {
    let accounts = source_accounts();
    let secrets = secrets(&accounts);
    let out = run_sealed(JsonLinesTransport::plaintext(Vec::new()), &accounts).into_inner();
    assert_no_secret(&out, &secrets, "JSON lines");
    let lines = json_lines(out);
    assert_eq!(lines.len(), accounts.len());
    for line in &lines {
        assert_eq!(line["nt_hash"], Value::Null);
        assert_eq!(line["kerberos_keys"], serde_json::json!([]));
        assert!(line["windows_legacy_credentials"].is_string());
        assert!(line["windows_supplemental_credentials"].is_string());
    }
}

#[test]
fn a_channel_with_domain_services_and_no_delivery_is_refused() {
    let mut driver = Driver::new(Recording::default(), InMemoryCursorStore::new());
    let refused = driver.start_channel(
        ChannelConfig::new(AD, AAD)
            .with_domain_services(Some(hashsync::model::ManagedDomainSettings::default())),
        InMemorySource::new(directory_with(Vec::new())),
        false,
    );
    match refused {
        Err(hashsync::DriverError::ChannelConfig(reason)) => {
            assert_eq!(
                reason,
                hashsync::sync::ChannelConfigError::LegacyDeliveryUnset
            );
            // The message tells the host both ways out.
            let message = reason.to_string();
            assert!(message.contains("LegacyDelivery::Sealed"), "{message}");
            assert!(message.contains("LegacyDelivery::Plaintext"), "{message}");
        }
        other => panic!("expected LegacyDeliveryUnset, got {other:?}"),
    }
    assert!(driver.transport().updates.is_empty());
}

/// A host relaying batches of a plaintext channel: the wrapper seals them
/// before its inner transport sees them.
#[test]
fn a_sealing_transport_seals_a_plaintext_channels_batches() {
    let accounts = source_accounts();
    let secrets = secrets(&accounts);
    let sealing = run_plaintext(
        SealingTransport::new(Recording::default(), certificate()),
        &accounts,
    );
    assert_eq!(
        sealing.certificate().thumbprint(),
        certificate().thumbprint()
    );
    let recording = sealing.into_inner();
    assert_no_secret(&recording.received, &secrets, "transport");
    assert_envelopes_open_to_the_vectors(&recording, &accounts);
}

#[test]
fn the_sealing_json_lines_file_holds_no_legacy_secret() {
    let accounts = source_accounts();
    let secrets = secrets(&accounts);
    let out = run_plaintext(
        JsonLinesTransport::sealed(Vec::new(), certificate()),
        &accounts,
    )
    .into_inner();
    assert_no_secret(&out, &secrets, "JSON lines");
    let lines = json_lines(out);
    assert_eq!(lines.len(), accounts.len());
    let key = key();
    for line in &lines {
        assert_eq!(line["nt_hash"], Value::Null);
        assert_eq!(line["salt"], Value::Null);
        assert_eq!(line["kerberos_keys"], serde_json::json!([]));
        assert!(line["org_id"].as_str().unwrap().starts_with("v1;PPH1_MD4,"));
        let envelope = |field: &str| {
            base64::engine::general_purpose::STANDARD
                .decode(line[field].as_str().unwrap())
                .unwrap()
        };
        let (v, _) = accounts
            .iter()
            .find(|(_, a)| a.object_guid.source_anchor() == line["source_anchor"])
            .unwrap();
        let records = key.open(&envelope("windows_legacy_credentials")).unwrap();
        assert_eq!(hex::encode(&records[8..]), v.nt_hash_hex);
        assert!(
            key.open(&envelope("windows_supplemental_credentials"))
                .is_ok()
        );
    }
}

#[test]
fn the_upload_item_carries_envelopes_only() {
    let accounts = source_accounts();
    let secrets = secrets(&accounts);
    let sealed = run_sealed(Recording::default(), &accounts).updates;
    let item = SyncCredentialsChangeItem::from_update(&sealed[0]).with_cloud_anchor("User_0b1c");
    let json = serde_json::to_value(&item).unwrap();
    let mut names: Vec<&str> = json
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    names.sort_unstable();
    assert_eq!(
        names,
        [
            "ChangeDate",
            "CloudAnchor",
            "CredentialData",
            "ForcePasswordChangeOnLogon",
            "SourceAnchor",
            "WindowsLegacyCredentials",
            "WindowsSupplementalCredentials",
        ]
    );
    assert_eq!(json["CredentialData"], sealed[0].org_id.encode().as_str());
    assert_eq!(json["CloudAnchor"], "User_0b1c");
    assert_eq!(json["SourceAnchor"], sealed[0].source_anchor.as_str());
    // The update's change date (pwdLastSet of the source account).
    assert_eq!(
        json["ChangeDate"],
        sealed[0].change_date.to_rfc3339().as_str()
    );
    let text = serde_json::to_vec(&item).unwrap();
    assert_no_secret(&text, &secrets, "upload item");
    assert!(!format!("{item:?}").contains("PPH1"));

    // A plaintext update: the legacy fields stay empty, nothing leaks.
    let plain = run_plaintext(
        hashsync::sync::reference::InMemoryTransport::new(),
        &accounts,
    );
    let (_, update) = plain.state().next().unwrap();
    let item = SyncCredentialsChangeItem::from_update(update);
    assert_eq!(item.windows_legacy_credentials, None);
    assert_eq!(item.windows_supplemental_credentials, None);
    assert_no_secret(
        &serde_json::to_vec(&item).unwrap(),
        &secrets,
        "plaintext item",
    );
}

/// The search itself works: the plaintext JSON-lines transport (the
/// explicit choice) does write every account's secrets.
#[test]
fn the_plaintext_transport_is_caught_by_the_same_search() {
    let accounts = source_accounts();
    let out = run_plaintext(JsonLinesTransport::plaintext(Vec::new()), &accounts).into_inner();
    for secret in secrets(&accounts) {
        let found = leaked(&out, std::slice::from_ref(&secret));
        assert!(found.is_some_and(|f| f.starts_with("hex")), "{}", secret.0);
    }
}

/// An account without Kerberos keys: only `WindowsLegacyCredentials`, and
/// the JSON line says `null` for the other envelope.
#[test]
fn an_account_without_kerberos_keys_seals_the_nt_hash_only() {
    let v = &user_vectors()[0];
    let nt = NtHash::from_hex(&v.nt_hash_hex).unwrap();
    let account = user(
        1,
        &v.sam,
        v.upn.as_deref(),
        7,
        AccountCredentials::Stored(StoredHashes {
            nt_hash: nt.clone(),
            kerberos: None,
        }),
    );
    let accounts = vec![(v.clone(), account)];
    let recording = run_sealed(Recording::default(), &accounts);
    let sealed = recording.updates[0]
        .legacy
        .as_ref()
        .and_then(LegacySecrets::sealed)
        .unwrap();
    assert_eq!(sealed.windows_supplemental_credentials, None);
    let opened = sealed.open(&key()).unwrap();
    assert_eq!(opened.nt_hash, nt);
    assert_eq!(opened.kerberos, None);
    assert!(format!("{sealed:?}").contains("bytes"));

    let out = run_plaintext(
        JsonLinesTransport::sealed(Vec::new(), certificate()),
        &accounts,
    )
    .into_inner();
    let line: Value = serde_json::from_slice(out.trim_ascii_end()).unwrap();
    assert!(line["windows_legacy_credentials"].is_string());
    assert_eq!(line["windows_supplemental_credentials"], Value::Null);
    assert!(
        line.as_object()
            .unwrap()
            .contains_key("windows_supplemental_credentials")
    );
}
