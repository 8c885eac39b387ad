//! The sync engine's overhead over the work it cannot avoid.
//!
//! Ratios to read from one run (N pre-hashed accounts: NT hash +
//! `supplementalCredentials`, parsed per account as a real source would):
//! - `sync/engine_one_thread` over `sync/org_id_loop` — the engine's whole
//!   pipeline (source stream, parse, scope, queue, batches of 50, events,
//!   cursor commits, null transport) against N fresh OrgId hashes in a plain
//!   loop (target ≤ 1.10);
//! - `sync/engine_one_thread` over `sync/driver_all_cores` — the blocking
//!   driver's scaling (target ≥ 1.8 on 2 cores).
//!
//! The `_preparsed` variants hand out one parsed copy of the credentials,
//! so they show the engine's own cost without the `supplementalCredentials`
//! parser (which runs on the reading thread, serially).

use std::convert::Infallible;
use std::hint::black_box;
use std::time::Duration;

use base64::Engine as _;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use hashsync::sync::reference::NullTransport;
use hashsync::sync::{
    AccountCredentials, ChangeSource, ChannelConfig, Cursor, Driver, InMemoryCursorStore,
    ObjectGuid, Partition, SourceAccount, SourceItem, SourceStream, StoredHashes, VirtualClock,
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

/// Streams N copies of the vector account, each parsed from its raw
/// attributes when read.
struct PreHashedSource {
    nt: NtHash,
    blob: Vec<u8>,
    partition: Partition,
    /// Hand out one parsed copy instead of parsing per account (isolates
    /// the engine from the `supplementalCredentials` parser).
    preparsed: Option<StoredHashes>,
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
            let stored = match &self.preparsed {
                Some(stored) => stored.clone(),
                None => StoredHashes::from_attributes(self.nt.clone(), &self.blob).unwrap(),
            };
            let mut guid = [0u8; 16];
            guid[..8].copy_from_slice(&i.to_le_bytes());
            Ok(SourceItem::Account(
                SourceAccount::new(
                    ObjectGuid::from_bytes(guid),
                    format!("user{i}"),
                    AccountCredentials::Stored(stored),
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

fn full_sync(nt: &NtHash, blob: &[u8], threads: usize, preparsed: bool) -> u64 {
    let source = PreHashedSource {
        preparsed: preparsed.then(|| StoredHashes::from_attributes(nt.clone(), blob).unwrap()),
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
            .with_domain_services(Some(hashsync::model::ManagedDomainSettings::default())),
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
    assert_eq!(full_sync(&nt, &blob, 1, false), accounts);

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
    group.bench_function("engine_one_thread", |b| {
        b.iter(|| black_box(full_sync(&nt, &blob, 1, false)))
    });
    group.bench_function("engine_one_thread_preparsed", |b| {
        b.iter(|| black_box(full_sync(&nt, &blob, 1, true)))
    });
    group.bench_function(format!("driver_all_cores/{cores}"), |b| {
        b.iter(|| black_box(full_sync(&nt, &blob, cores, false)))
    });
    group.bench_function(format!("driver_all_cores_preparsed/{cores}"), |b| {
        b.iter(|| black_box(full_sync(&nt, &blob, cores, true)))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
