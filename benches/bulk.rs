//! Multi-buffer PBKDF2 against RustCrypto and against the machine's raw
//! SHA-1 and SHA-256 compression rates, in one run so the ratios are
//! comparable. Throughput is in elements: compressions for the raw
//! `sha*_compress` groups, keys (passwords) or OrgId hashes elsewhere.
//!
//! An AES256 key at 4096 iterations is 2 blocks x 4096 iterations x 2
//! compressions = 16,384 SHA-1 compressions; an OrgId hash at 1000
//! iterations is 2,000 SHA-256 compressions plus about 4 for HMAC's keys
//! and `U_1`. Keys/s x 16,384 (hashes/s x 2,004) over a raw compression
//! rate is the fraction of that rate reached.
//!
//! Ratios to read from one run (the targets on an AVX-512 CPU in brackets):
//! - `bulk_legacy_one_core/<best>` over `single_password/rustcrypto_pbkdf2_aes256` (7x);
//! - `single_password/hashsync_aes_keys` over the same baseline (2x);
//! - `bulk_org_id_one_core/<best>` over `bulk_org_id_one_core/rustcrypto_pbkdf2_sha256` (3.2x);
//! - `bulk_*_all_cores/legacy_keys` (or `org_id_hashes`) over `*_on_current_thread` (1.8x on 2 cores).
//!
//! `portable-lanes` is left out: it exists to be tested, and at 4096
//! iterations it would take most of the run.

use std::hint::black_box;
use std::time::Duration;

use aes::cipher::{BlockCipherEncrypt, KeyInit};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use hashsync::__backend::{self as backend, Backend};
use hashsync::crypto::bulk::{self, LegacyInput, OrgIdInput};
use hashsync::{Iterations, NtHash, Password, Salt};

/// Passwords per bulk call on one core: 160 SHA-1 chains (80 SHA-256
/// ones), a multiple of every kernel's lane count (2, 4, 8, 16, 32).
const BATCH: usize = 80;
/// Passwords per bulk call on all cores.
const BATCH_ALL_CORES: usize = 320;

/// RFC 3961 n-fold("kerberos", 128).
const KERBEROS_FOLDED: [u8; 16] = [
    0x6b, 0x65, 0x72, 0x62, 0x65, 0x72, 0x6f, 0x73, 0x7b, 0x9b, 0x5b, 0x2b, 0x93, 0x13, 0x2b, 0x93,
];

fn passwords(count: usize) -> Vec<Password> {
    (0..count)
        .map(|i| Password::new(&format!("Summer{i}!Winter")))
        .collect()
}

/// The plain RustCrypto way: `pbkdf2_hmac::<Sha1>`, then DK.
fn rustcrypto_aes256(password: &[u8], salt: &[u8]) -> [u8; 32] {
    let mut tkey = [0u8; 32];
    pbkdf2::pbkdf2_hmac::<sha1::Sha1>(password, salt, 4096, &mut tkey);
    let cipher = aes::Aes256::new_from_slice(&tkey).unwrap();
    let mut block = aes::Block::from(KERBEROS_FOLDED);
    let mut key = [0u8; 32];
    for half in key.chunks_mut(16) {
        cipher.encrypt_block(&mut block);
        half.copy_from_slice(&block);
    }
    key
}

fn compression_limits(c: &mut Criterion) {
    let mut group = c.benchmark_group("sha1_compress");
    let blocks = vec![[0x5au8; 64]; 256];
    group.throughput(Throughput::Elements(blocks.len() as u64));
    group.bench_function("rustcrypto_1_stream", |b| {
        let mut state = [
            0x6745_2301u32,
            0xEFCD_AB89,
            0x98BA_DCFE,
            0x1032_5476,
            0xC3D2_E1F0,
        ];
        b.iter(|| {
            sha1::block_api::compress(&mut state, black_box(&blocks));
            black_box(state)
        })
    });
    // Four independent states, block by block: what out-of-order execution
    // can overlap across calls of the single-stream function.
    group.bench_function("rustcrypto_4_streams", |b| {
        let mut states = [[
            0x6745_2301u32,
            0xEFCD_AB89,
            0x98BA_DCFE,
            0x1032_5476,
            0xC3D2_E1F0,
        ]; 4];
        b.iter(|| {
            for quad in black_box(&blocks).chunks_exact(4) {
                for (state, block) in states.iter_mut().zip(quad) {
                    sha1::block_api::compress(state, core::slice::from_ref(block));
                }
            }
            black_box(states)
        })
    });
    group.finish();

    let mut group = c.benchmark_group("sha256_compress");
    group.throughput(Throughput::Elements(blocks.len() as u64));
    let iv = [
        0x6a09_e667u32,
        0xbb67_ae85,
        0x3c6e_f372,
        0xa54f_f53a,
        0x510e_527f,
        0x9b05_688c,
        0x1f83_d9ab,
        0x5be0_cd19,
    ];
    group.bench_function("rustcrypto_1_stream", |b| {
        let mut state = iv;
        b.iter(|| {
            sha2::block_api::compress256(&mut state, black_box(&blocks));
            black_box(state)
        })
    });
    group.bench_function("rustcrypto_4_streams", |b| {
        let mut states = [iv; 4];
        b.iter(|| {
            for quad in black_box(&blocks).chunks_exact(4) {
                for (state, block) in states.iter_mut().zip(quad) {
                    sha2::block_api::compress256(state, core::slice::from_ref(block));
                }
            }
            black_box(states)
        })
    });
    group.finish();
}

/// The backends worth timing: all this CPU supports but `portable-lanes`.
fn timed_backends() -> Vec<Backend> {
    Backend::supported()
        .into_iter()
        .filter(|backend| *backend != Backend::PortableLanes)
        .collect()
}

fn single_password(c: &mut Criterion) {
    let mut group = c.benchmark_group("single_password");
    group.throughput(Throughput::Elements(1));
    let password = Password::new("Summer2024!Winter");
    let utf8 = b"Summer2024!Winter";
    let salt = Salt::from("ONPREM.CONTOSO.COMJohn.Smith");
    group.bench_function("rustcrypto_pbkdf2_aes256", |b| {
        b.iter(|| rustcrypto_aes256(black_box(utf8), salt.as_bytes()))
    });
    group.bench_function("hashsync_aes_keys", |b| {
        b.iter(|| hashsync::aes_keys(black_box(&password), &salt, Iterations::KERBEROS_DEFAULT))
    });
    for backend in timed_backends() {
        group.bench_function(BenchmarkId::new("aes_keys_with", backend.name()), |b| {
            b.iter(|| {
                backend::aes_keys_with(
                    backend,
                    black_box(utf8),
                    &salt,
                    Iterations::KERBEROS_DEFAULT,
                )
            })
        });
    }
    group.finish();
}

fn bulk_legacy(c: &mut Criterion) {
    let salt = Salt::from("ONPREM.CONTOSO.COMJohn.Smith");
    let one_core = passwords(BATCH);
    let inputs: Vec<LegacyInput<'_>> = one_core
        .iter()
        .map(|password| LegacyInput {
            password,
            salt: &salt,
            iterations: 4096,
        })
        .collect();
    let mut group = c.benchmark_group("bulk_legacy_one_core");
    group.throughput(Throughput::Elements(BATCH as u64));
    for backend in timed_backends() {
        group.bench_function(backend.name(), |b| {
            b.iter(|| backend::legacy_keys_with(backend, black_box(&inputs)))
        });
    }
    group.finish();

    let all = passwords(BATCH_ALL_CORES);
    let inputs: Vec<LegacyInput<'_>> = all
        .iter()
        .map(|password| LegacyInput {
            password,
            salt: &salt,
            iterations: 4096,
        })
        .collect();
    let mut group = c.benchmark_group("bulk_legacy_all_cores");
    group.throughput(Throughput::Elements(BATCH_ALL_CORES as u64));
    group.bench_function("legacy_keys", |b| {
        b.iter(|| bulk::legacy_keys(black_box(&inputs)))
    });
    group.bench_function("legacy_keys_on_current_thread", |b| {
        b.iter(|| bulk::legacy_keys_on_current_thread(black_box(&inputs)))
    });
    group.finish();
}

fn bulk_org_id(c: &mut Criterion) {
    let nts: Vec<NtHash> = passwords(BATCH_ALL_CORES)
        .iter()
        .map(hashsync::nt_hash)
        .collect();
    let inputs: Vec<OrgIdInput<'_>> = nts
        .iter()
        .enumerate()
        .map(|(i, nt_hash)| OrgIdInput {
            nt_hash,
            salt: [i as u8; 10],
            iterations: 1000,
        })
        .collect();
    let mut group = c.benchmark_group("bulk_org_id_one_core");
    group.throughput(Throughput::Elements(BATCH as u64));
    group.bench_function("rustcrypto_pbkdf2_sha256", |b| {
        b.iter(|| {
            for input in &inputs[..BATCH] {
                let hex = hex::encode_upper(input.nt_hash.expose_secret());
                let utf16: Vec<u8> = hex.bytes().flat_map(|b| [b, 0]).collect();
                let mut out = [0u8; 32];
                pbkdf2::pbkdf2_hmac::<sha2::Sha256>(&utf16, &input.salt, 1000, &mut out);
                black_box(out);
            }
        })
    });
    for backend in timed_backends() {
        group.bench_function(backend.name(), |b| {
            b.iter(|| backend::org_id_hashes_with(backend, black_box(&inputs[..BATCH])))
        });
    }
    group.finish();

    let mut group = c.benchmark_group("bulk_org_id_all_cores");
    group.throughput(Throughput::Elements(BATCH_ALL_CORES as u64));
    group.bench_function("org_id_hashes", |b| {
        b.iter(|| bulk::org_id_hashes(black_box(&inputs)))
    });
    group.bench_function("org_id_hashes_on_current_thread", |b| {
        b.iter(|| bulk::org_id_hashes_on_current_thread(black_box(&inputs)))
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3));
    targets = compression_limits, single_password, bulk_legacy, bulk_org_id
}
criterion_main!(benches);
