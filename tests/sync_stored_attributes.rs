//! A source that hands over `unicodePwd` and `supplementalCredentials`
//! unparsed (`AccountCredentials::StoredAttributes`): the driver parses
//! them where it prepares each batch, on its hashing threads, and sends
//! what the same attributes give when the source parses them itself.

use std::convert::Infallible;

use hashsync::formats::{HexCase, StoredCredentials as Supplemental};
use hashsync::model::ManagedDomainSettings;
use hashsync::sync::{
    AccountCredentials, Batch, ChangeSource, ChannelConfig, CredentialUpdate, Cursor, Driver,
    InMemoryCursorStore, ItemResult, ObjectGuid, Partition, SourceAccount, SourceItem,
    SourceStream, StoredAttributes, Transport, VirtualClock,
};
use hashsync::{DriverError, Error, Iterations, Password, Salt, aes_keys, nt_hash};

const ACCOUNTS: u64 = 120;

/// `ACCOUNTS` accounts with account `i`'s password `Pw-{i}!`, stored as AD
/// would store them; `broken` truncates one account's value.
struct RawSource {
    broken: Option<u64>,
}

fn password(i: u64) -> Password {
    Password::new(&format!("Pw-{i}!"))
}

fn salt(i: u64) -> Salt {
    Salt::from(format!("ONPREM.CONTOSO.COMuser{i}").as_str())
}

fn partition() -> Partition {
    Partition::new("DC=onprem,DC=contoso,DC=com", "onprem.contoso.com").unwrap()
}

impl ChangeSource for RawSource {
    type Error = Infallible;

    fn partitions(&mut self) -> Result<Vec<Partition>, Infallible> {
        Ok(vec![partition()])
    }

    fn full_sync(&mut self, _: &Partition) -> Result<SourceStream<'_, Infallible>, Infallible> {
        let broken = self.broken;
        let accounts = (0..ACCOUNTS).map(move |i| {
            let keys = aes_keys(&password(i), &salt(i), Iterations::KERBEROS_DEFAULT);
            let mut blob = Supplemental::new(keys, salt(i), Iterations::KERBEROS_DEFAULT)
                .to_bytes(HexCase::Upper)
                .unwrap();
            if broken == Some(i) {
                let half = blob.len() / 2;
                blob.truncate(half);
            }
            let mut guid = [0u8; 16];
            guid[..8].copy_from_slice(&i.to_le_bytes());
            let credentials = AccountCredentials::StoredAttributes(StoredAttributes::new(
                nt_hash(&password(i)),
                &blob,
            ));
            Ok(SourceItem::Account(
                SourceAccount::new(
                    ObjectGuid::from_bytes(guid),
                    format!("user{i}"),
                    credentials,
                )
                .with_distinguished_name(format!("CN=user{i},CN=Users,DC=onprem,DC=contoso,DC=com"))
                .with_pwd_last_set(133_500_000_000_000_000)
                .with_usn(i + 1),
            ))
        });
        let end = std::iter::once(Ok(SourceItem::Checkpoint(Cursor::new("end"))));
        Ok(Box::new(accounts.chain(end)))
    }

    fn changes_since(
        &mut self,
        partition: &Partition,
        _: &Cursor,
    ) -> Result<SourceStream<'_, Infallible>, Infallible> {
        self.full_sync(partition)
    }
}

/// Keeps every update it is sent.
#[derive(Default)]
struct Recorder {
    updates: Vec<CredentialUpdate>,
}

impl Transport for Recorder {
    type Error = Infallible;

    fn send(&mut self, batch: &Batch) -> Result<Vec<ItemResult>, Infallible> {
        self.updates.extend(batch.updates.iter().cloned());
        Ok(vec![ItemResult::Success; batch.updates.len()])
    }
}

fn run(source: RawSource, threads: usize) -> (Result<(), String>, Vec<CredentialUpdate>) {
    let mut driver = Driver::with_clock(
        Recorder::default(),
        InMemoryCursorStore::new(),
        VirtualClock::new(),
        (),
    );
    driver.set_threads(threads);
    driver
        .start_channel(
            ChannelConfig::new(
                "onprem.contoso.com",
                "contoso.onmicrosoft.com - Microsoft Entra ID",
            )
            .with_domain_services(Some(ManagedDomainSettings::default()))
            .with_legacy_delivery(hashsync::sync::LegacyDelivery::Plaintext),
            source,
            true,
        )
        .unwrap();
    let outcome = match driver.run_cycle() {
        Ok(_) => Ok(()),
        Err(DriverError::Prepare(Error::MalformedSupplementalCredentials)) => {
            Err("malformed".to_owned())
        }
        Err(other) => Err(other.to_string()),
    };
    (outcome, driver.into_parts().0.updates)
}

#[test]
fn raw_attributes_are_parsed_on_the_hashing_threads_and_sent_as_stored() {
    for threads in [1, 2] {
        let (outcome, updates) = run(RawSource { broken: None }, threads);
        assert_eq!(outcome, Ok(()), "{threads} threads");
        assert_eq!(updates.len() as u64, ACCOUNTS, "{threads} threads");
        for update in &updates {
            let i: u64 = update.sam_account_name["user".len()..].parse().unwrap();
            let expected = aes_keys(&password(i), &salt(i), Iterations::KERBEROS_DEFAULT);
            let legacy = update.legacy.as_ref().unwrap().plaintext().unwrap();
            let kerberos = legacy.kerberos.as_ref().unwrap();
            assert_eq!(kerberos.salt, salt(i));
            assert!(kerberos.keys.contains(&expected.aes256), "user{i}");
            assert!(kerberos.keys.contains(&expected.aes128), "user{i}");
            assert!(update.org_id.verify_password(&password(i)), "user{i}");
        }
    }
}

#[test]
fn a_value_that_does_not_parse_stops_the_run_with_a_typed_error() {
    let (outcome, updates) = run(RawSource { broken: Some(77) }, 2);
    assert_eq!(outcome, Err("malformed".to_owned()));
    // The batches before the broken account's went out; its own did not.
    assert!(updates.len() < 77);
    assert!(updates.iter().all(|u| u.sam_account_name != "user77"));
}
