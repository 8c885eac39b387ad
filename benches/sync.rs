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
//!   prepared, on every core (target ≥ 1.9 on 2 cores);
//! - `sync/hashing_one_thread` over `sync/hashing_all_cores` — a reference
//!   with no engine at all: the same OrgId hashes, in batches of 50 as the
//!   driver makes them, on one fresh thread and on one fresh thread per
//!   core taking batches in turn. On a shared VM it moves with the machine
//!   as much as the driver does; the `scaling` bench interleaves both.
//!
//! The `_preparsed` variants hand out one parsed copy of the credentials,
//! so they show the engine's own cost without the `supplementalCredentials`
//! parser.

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use hashsync::{Iterations, OrgIdHash};

#[path = "full_sync.rs"]
mod full_sync;
use full_sync::{N, Parse, full_sync, hash_only, vector_account};

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
    group.bench_function("hashing_one_thread", |b| {
        b.iter(|| hash_only(&nt, accounts as usize, 1))
    });
    group.bench_function(format!("hashing_all_cores/{cores}"), |b| {
        b.iter(|| hash_only(&nt, accounts as usize, cores))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
