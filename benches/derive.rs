//! Single-password derivation speed, against the plain RustCrypto baseline.
//!
//! Ratios to read from one run: `hashsync/aes128+aes256` over
//! `rustcrypto_pbkdf2_dk/aes256` in keys/s (target ≥ 2: one password's
//! two PBKDF2 blocks side by side on SHA-NI), and `hashsync/aes128+aes256`
//! over `hashsync/aes256` in time (target ≤ 1.05: AES128 comes free).

use std::hint::black_box;
use std::time::Duration;

use aes::cipher::{BlockCipherEncrypt, KeyInit};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use hashsync::{
    EncryptionType, Iterations, NtHash, Password, Salt, aes_keys, nt_hash, org_id_hash,
    string_to_key,
};

/// n-fold("kerberos", 128), RFC 3961 Appendix A.1.
const KERBEROS_FOLDED: [u8; 16] = [
    0x6b, 0x65, 0x72, 0x62, 0x65, 0x72, 0x6f, 0x73, 0x7b, 0x9b, 0x5b, 0x2b, 0x93, 0x13, 0x2b, 0x93,
];

/// What other Rust code does: `pbkdf2_hmac::<Sha1>` then DK with `aes`.
fn rustcrypto_aes256(password: &[u8], salt: &[u8]) -> [u8; 32] {
    let mut tkey = [0u8; 32];
    pbkdf2::pbkdf2_hmac::<sha1::Sha1>(password, salt, 4096, &mut tkey);
    let cipher = aes::Aes256::new_from_slice(&tkey).unwrap();
    let mut block = aes::Block::from(KERBEROS_FOLDED);
    let mut key = [0u8; 32];
    cipher.encrypt_block(&mut block);
    key[..16].copy_from_slice(&block);
    cipher.encrypt_block(&mut block);
    key[16..].copy_from_slice(&block);
    key
}

fn bench(c: &mut Criterion) {
    let password = Password::new("Summer2024!");
    let salt = Salt::from("ONPREM.CONTOSO.COMJohnDoe");
    let iterations = Iterations::KERBEROS_DEFAULT;

    let mut group = c.benchmark_group("string_to_key");
    group.throughput(Throughput::Elements(1));
    group
        .sample_size(20)
        .measurement_time(Duration::from_secs(4));
    group.bench_function("rustcrypto_pbkdf2_dk/aes256", |b| {
        b.iter(|| rustcrypto_aes256(black_box(b"Summer2024!"), black_box(salt.as_bytes())))
    });
    group.bench_function("hashsync/aes256", |b| {
        b.iter(|| {
            string_to_key(
                EncryptionType::AES256_CTS_HMAC_SHA1_96,
                black_box(&password),
                &salt,
                iterations,
            )
        })
    });
    group.bench_function("hashsync/aes128+aes256", |b| {
        b.iter(|| aes_keys(black_box(&password), &salt, iterations))
    });
    group.finish();

    let mut group = c.benchmark_group("nt_hash");
    group.throughput(Throughput::Elements(1));
    group.bench_function("hashsync", |b| b.iter(|| nt_hash(black_box(&password))));
    group.finish();

    let nt = NtHash::from_bytes([0x92; 16]);
    let mut group = c.benchmark_group("org_id");
    group.throughput(Throughput::Elements(1));
    group.sample_size(30);
    group.bench_function("rustcrypto_pbkdf2_hmac_sha256", |b| {
        let hex: Vec<u8> = hex::encode_upper(nt.expose_secret())
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        b.iter(|| {
            let mut out = [0u8; 32];
            pbkdf2::pbkdf2_hmac::<sha2::Sha256>(black_box(&hex), &[7; 10], 1000, &mut out);
            out
        })
    });
    group.bench_function("hashsync", |b| {
        b.iter(|| org_id_hash(black_box(&nt), [7; 10], Iterations::ORG_ID_DEFAULT))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
