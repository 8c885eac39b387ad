//! The full sync both the `sync` and `scaling` benches run: N pre-hashed
//! copies of one real account streamed through the blocking driver into a
//! null transport, and the same accounts' OrgId hashes with no engine.

// Each bench includes this file and uses a part of it.
#![allow(dead_code)]

use std::convert::Infallible;
use std::hint::black_box;

use base64::Engine as _;
use hashsync::crypto::bulk::{OrgIdInput, org_id_hashes_on_current_thread};
use hashsync::sync::reference::NullTransport;
use hashsync::sync::{
    AccountCredentials, ChangeSource, ChannelConfig, Cursor, Driver, InMemoryCursorStore,
    ObjectGuid, Partition, SourceAccount, SourceItem, SourceStream, StoredAttributes, StoredHashes,
    VirtualClock,
};
use hashsync::{Iterations, NtHash};

pub const N: u64 = 2000;

/// Samba AD DC account `acct-s03` (JohnDoe) from tests/data/ad_legacy.json.
pub fn vector_account() -> (NtHash, Vec<u8>) {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/data/ad_legacy.json");
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let v = json["vectors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["id"] == "acct-s03")
        .unwrap();
    let nt = NtHash::from_hex(v["expected"]["nt_hash_hex"].as_str().unwrap()).unwrap();
    let blob = base64::engine::general_purpose::STANDARD
        .decode(
            v["expected"]["supplementalCredentials"]["b64"]
                .as_str()
                .unwrap(),
        )
        .unwrap();
    (nt, blob)
}

/// Where the source's `supplementalCredentials` gets parsed.
#[derive(Clone, Copy)]
pub enum Parse {
    /// Per account, on the reading thread, as a source that validates.
    WhenRead,
    /// Never: one parsed copy for all (isolates the engine from the parser).
    Once,
    /// Per account, where the batch is prepared (raw attributes handed over).
    InPrepare,
}

/// Streams N copies of the vector account.
struct PreHashedSource {
    nt: NtHash,
    blob: Vec<u8>,
    partition: Partition,
    parse: Parse,
    preparsed: StoredHashes,
}

impl ChangeSource for PreHashedSource {
    type Error = Infallible;

    fn partitions(&mut self) -> Result<Vec<Partition>, Infallible> {
        Ok(vec![self.partition.clone()])
    }

    fn full_sync(&mut self, _: &Partition) -> Result<SourceStream<'_, Infallible>, Infallible> {
        let stream = (0..N).map(|i| {
            if i % 50 == 49 {
                // A page boundary every 50 accounts, as a DirSync cookie.
                return Ok(SourceItem::Checkpoint(Cursor::new(i.to_string())));
            }
            let credentials = match self.parse {
                Parse::WhenRead => AccountCredentials::Stored(
                    StoredHashes::from_attributes(self.nt.clone(), &self.blob).unwrap(),
                ),
                Parse::Once => AccountCredentials::Stored(self.preparsed.clone()),
                Parse::InPrepare => AccountCredentials::StoredAttributes(StoredAttributes::new(
                    self.nt.clone(),
                    &self.blob,
                )),
            };
            let mut guid = [0u8; 16];
            guid[..8].copy_from_slice(&i.to_le_bytes());
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
        Ok(Box::new(stream))
    }

    fn changes_since(
        &mut self,
        partition: &Partition,
        _: &Cursor,
    ) -> Result<SourceStream<'_, Infallible>, Infallible> {
        self.full_sync(partition)
    }
}

pub fn full_sync(nt: &NtHash, blob: &[u8], threads: usize, parse: Parse) -> u64 {
    let source = PreHashedSource {
        parse,
        preparsed: StoredHashes::from_attributes(nt.clone(), blob).unwrap(),
        nt: nt.clone(),
        blob: blob.to_vec(),
        partition: Partition::new("DC=onprem,DC=contoso,DC=com", "onprem.contoso.com").unwrap(),
    };
    let mut driver = Driver::with_clock(
        NullTransport::new(),
        InMemoryCursorStore::new(),
        VirtualClock::new(),
        (),
    );
    driver.set_threads(threads);
    driver
        .start_channel(
            // A Domain Services tenant: legacy credentials travel too.
            ChannelConfig::new(
                "onprem.contoso.com",
                "contoso.onmicrosoft.com - Microsoft Entra ID",
            )
            .with_domain_services(Some(hashsync::model::ManagedDomainSettings::default()))
            .with_legacy_delivery(hashsync::sync::LegacyDelivery::Plaintext),
            source,
            true,
        )
        .unwrap();
    driver.run_cycle().unwrap();
    driver.transport().updates()
}

/// `accounts` OrgId hashes of `nt`, in batches of 50, on `threads` plain
/// threads, each taking the next batch when done with one.
pub fn hash_only(nt: &NtHash, accounts: usize, threads: usize) {
    let batch = |size: usize| {
        let inputs: Vec<OrgIdInput<'_>> = (0..size)
            .map(|_| OrgIdInput {
                nt_hash: nt,
                salt: [0x5a; 10],
                iterations: Iterations::ORG_ID_DEFAULT.get(),
            })
            .collect();
        black_box(org_id_hashes_on_current_thread(&inputs));
    };
    let next = std::sync::atomic::AtomicUsize::new(0);
    let work = || {
        loop {
            let start = next.fetch_add(50, std::sync::atomic::Ordering::Relaxed);
            if start >= accounts {
                break;
            }
            batch((accounts - start).min(50));
        }
    };
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(work);
        }
    });
}
