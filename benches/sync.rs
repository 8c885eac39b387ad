//! The sync engine's overhead over the work it cannot avoid.
//!
//! Ratios to read from one run (N pre-hashed accounts: NT hash +
//! `supplementalCredentials`, parsed per account as a real source would):
//! - `sync/engine_one_thread` over `sync/org_id_loop` — the engine's whole
//!   pipeline (source stream, parse, scope, queue, batches of 50, events,
//!   cursor commits, null transport) against N fresh OrgId hashes in a plain
//!   loop (target ≤ 1.10);
//! - `sync/engine_one_thread` over `sync/driver_all_cores` — the blocking
//!   driver's scaling with the parse on the reading thread;
//! - `sync/engine_one_thread_raw` over `sync/driver_all_cores_raw` — the
//!   same with the source handing over raw attributes
//!   (`AccountCredentials::StoredAttributes`), parsed where the batch is
//!   prepared, on every core (target ≥ 1.9 on 2 cores).
//!
//! The `_preparsed` variants hand out one parsed copy of the credentials,
//! so they show the engine's own cost without the `supplementalCredentials`
//! parser.

use std::convert::Infallible;
use std::hint::black_box;
use std::time::Duration;

use base64::Engine as _;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use hashsync::sync::reference::NullTransport;
use hashsync::sync::{
    AccountCredentials, ChangeSource, ChannelConfig, Cursor, Driver, InMemoryCursorStore,
    ObjectGuid, Partition, SourceAccount, SourceItem, SourceStream, StoredAttributes, StoredHashes,
    VirtualClock,
};
use hashsync::{Iterations, NtHash, OrgIdHash};

const N: u64 = 2000;

/// Samba AD DC account `acct-s03` (JohnDoe) from tests/data/ad_legacy.json.
fn vector_account() -> (NtHash, Vec<u8>) {
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
enum Parse {
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

fn full_sync(nt: &NtHash, blob: &[u8], threads: usize, parse: Parse) -> u64 {
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

fn bench(c: &mut Criterion) {
    let (nt, blob) = vector_account();
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let accounts = N - N / 50;
    for parse in [Parse::WhenRead, Parse::Once, Parse::InPrepare] {
        assert_eq!(full_sync(&nt, &blob, 1, parse), accounts);
    }

    let mut group = c.benchmark_group("sync");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(10));
    group.throughput(Throughput::Elements(accounts));
    group.bench_function("org_id_loop", |b| {
        b.iter(|| {
            for _ in 0..accounts {
                black_box(OrgIdHash::generate(black_box(&nt), Iterations::ORG_ID_DEFAULT).unwrap());
            }
        })
    });
    for (suffix, parse) in [
        ("", Parse::WhenRead),
        ("_preparsed", Parse::Once),
        ("_raw", Parse::InPrepare),
    ] {
        group.bench_function(format!("engine_one_thread{suffix}"), |b| {
            b.iter(|| black_box(full_sync(&nt, &blob, 1, parse)))
        });
        group.bench_function(format!("driver_all_cores{suffix}/{cores}"), |b| {
            b.iter(|| black_box(full_sync(&nt, &blob, cores, parse)))
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
