//! Every PBKDF2 backend this CPU runs against the portable path, and the
//! portable path against an independent oracle (RustCrypto's `pbkdf2` +
//! `aes`, RFC 3961's n-fold constant), on seeded random inputs; plus every
//! string-to-key and OrgId vector in `tests/data`, through the bulk
//! API and each backend.

use aes::cipher::{BlockCipherEncrypt, KeyInit};
use hashsync::__backend::{self as backend, Backend};
use hashsync::crypto::bulk::{LegacyInput, LegacyKeys, OrgIdInput};
use hashsync::{EncryptionType, Error, Iterations, NtHash, OrgIdHash, Password, Salt};
use serde_json::Value;

/// SplitMix64: a fixed seed makes every failure reproducible.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn bytes(&mut self, len: usize) -> Vec<u8> {
        (0..len).map(|_| self.next() as u8).collect()
    }
    fn ascii(&mut self, len: usize) -> String {
        (0..len)
            .map(|_| (0x20 + self.below(0x5f)) as u8 as char)
            .collect()
    }
}

const NON_ASCII: &[char] = &['é', 'ß', 'Ж', '€', '漢', '😀', 'ñ', '\u{0}'];

/// Passwords of every shape the issue names: empty, 63/64/65 UTF-8 bytes
/// (HMAC keys longer than a block are hashed first), 256 UTF-16 units,
/// non-ASCII text and raw UTF-16 with unpaired surrogates.
fn password(rng: &mut Rng) -> Password {
    match rng.below(9) {
        0 => Password::new(""),
        1 => Password::new(&rng.ascii(63)),
        2 => Password::new(&rng.ascii(64)),
        3 => Password::new(&rng.ascii(65)),
        4 => Password::from_utf16((0..256).map(|_| 0x20 + rng.below(0xD000) as u16).collect()),
        5 => {
            let len = 1 + rng.below(30) as usize;
            let text: String = (0..len)
                .map(|_| NON_ASCII[rng.below(NON_ASCII.len() as u64) as usize])
                .collect();
            Password::new(&text)
        }
        6 => {
            let mut units: Vec<u16> = rng.ascii(10).encode_utf16().collect();
            units.insert(rng.below(10) as usize, 0xD800 + rng.below(0x800) as u16);
            Password::from_utf16(units)
        }
        _ => {
            let len = rng.below(100) as usize;
            Password::new(&rng.ascii(len))
        }
    }
}

/// Salts around SHA padding's edges (55/56 bytes with the 4-byte block
/// index appended, 64, 65) and beyond.
fn salt(rng: &mut Rng) -> Salt {
    let len = match rng.below(6) {
        0 => 0,
        1 => 51 + rng.below(6) as usize,
        2 => 56 + rng.below(10) as usize,
        3 => 100 + rng.below(100) as usize,
        _ => rng.below(50) as usize,
    };
    if rng.below(2) == 0 {
        Salt::new(rng.bytes(len))
    } else {
        Salt::new(rng.ascii(len).into_bytes())
    }
}

fn small_iterations(rng: &mut Rng) -> u32 {
    match rng.below(4) {
        0 => 1,
        1 => 2,
        _ => 3 + rng.below(14) as u32,
    }
}

/// RFC 3961 n-fold("kerberos", 128), from RFC 3961 Appendix A.1.
const KERBEROS_FOLDED: [u8; 16] = [
    0x6b, 0x65, 0x72, 0x62, 0x65, 0x72, 0x6f, 0x73, 0x7b, 0x9b, 0x5b, 0x2b, 0x93, 0x13, 0x2b, 0x93,
];

/// AES256 and AES128 keys computed without hashsync: RustCrypto PBKDF2,
/// then DK as RFC 3962 defines it.
fn oracle_aes(password: &Password, salt: &Salt, iterations: u32) -> (Vec<u8>, Vec<u8>) {
    let utf8 = String::from_utf16_lossy(password.expose_secret()).into_bytes();
    let mut tkey = [0u8; 32];
    pbkdf2::pbkdf2_hmac::<sha1::Sha1>(&utf8, salt.as_bytes(), iterations, &mut tkey);
    let dk = |key: &[u8], blocks: usize| -> Vec<u8> {
        let mut block = aes::Block::from(KERBEROS_FOLDED);
        let mut out = Vec::new();
        for _ in 0..blocks {
            if key.len() == 32 {
                aes::Aes256::new_from_slice(key)
                    .unwrap()
                    .encrypt_block(&mut block);
            } else {
                aes::Aes128::new_from_slice(key)
                    .unwrap()
                    .encrypt_block(&mut block);
            }
            out.extend_from_slice(&block);
        }
        out
    };
    (dk(&tkey, 2), dk(&tkey[..16], 1))
}

fn oracle_org_id(nt: &NtHash, salt: &[u8], iterations: u32) -> [u8; 32] {
    let hex = hex::encode_upper(nt.expose_secret());
    let utf16: Vec<u8> = hex.bytes().flat_map(|b| [b, 0]).collect();
    let mut out = [0u8; 32];
    pbkdf2::pbkdf2_hmac::<sha2::Sha256>(&utf16, salt, iterations, &mut out);
    out
}

struct LegacyCase {
    password: Password,
    salt: Salt,
    iterations: u32,
}

fn legacy_cases(rng: &mut Rng, count: usize, long_every: usize) -> Vec<LegacyCase> {
    (0..count)
        .map(|i| LegacyCase {
            password: password(rng),
            salt: salt(rng),
            iterations: if long_every != 0 && i % long_every == long_every - 1 {
                4096
            } else {
                small_iterations(rng)
            },
        })
        .collect()
}

fn legacy_inputs(cases: &[LegacyCase]) -> Vec<LegacyInput<'_>> {
    cases
        .iter()
        .map(|case| LegacyInput {
            password: &case.password,
            salt: &case.salt,
            iterations: case.iterations,
        })
        .collect()
}

fn assert_legacy_matches_oracle(cases: &[LegacyCase], keys: &[Result<LegacyKeys, Error>]) {
    assert_eq!(keys.len(), cases.len());
    for (i, (case, keys)) in cases.iter().zip(keys).enumerate() {
        let keys = keys.as_ref().unwrap();
        let (aes256, aes128) = oracle_aes(&case.password, &case.salt, case.iterations);
        assert_eq!(
            keys.aes.aes256.expose_secret(),
            &aes256[..],
            "item {i} aes256"
        );
        assert_eq!(
            keys.aes.aes128.expose_secret(),
            &aes128[..],
            "item {i} aes128"
        );
        assert_eq!(
            keys.nt_hash,
            hashsync::nt_hash(&case.password),
            "item {i} nt"
        );
    }
}

#[test]
fn this_cpu_lists_portable_and_what_it_detects() {
    let supported = Backend::supported();
    assert_eq!(supported[0], Backend::Portable);
    assert!(supported.contains(&Backend::best_for_kerberos()));
    assert!(supported.contains(&Backend::best_for_org_id()));
    #[cfg(target_arch = "x86_64")]
    {
        assert_eq!(
            supported.contains(&Backend::ShaNi),
            std::arch::is_x86_feature_detected!("sha")
        );
        assert_eq!(
            supported.contains(&Backend::Avx2),
            std::arch::is_x86_feature_detected!("avx2")
        );
    }
    for backend in Backend::ALL {
        let available = supported.contains(&backend);
        assert_eq!(backend::legacy_keys_with(backend, &[]).is_some(), available);
        assert_eq!(
            backend::org_id_hashes_with(backend, &[]).is_some(),
            available
        );
    }
}

#[test]
fn portable_bulk_matches_independent_oracle() {
    let mut rng = Rng(0x5eed_0001);
    let cases = legacy_cases(&mut rng, 300, 0);
    let keys = backend::legacy_keys_with(Backend::Portable, &legacy_inputs(&cases)).unwrap();
    assert_legacy_matches_oracle(&cases, &keys);
}

#[test]
fn every_backend_matches_portable_on_random_batches() {
    let mut rng = Rng(0x5eed_0002);
    let mut total = 0;
    for (batch, long_every) in [
        (1, 0),
        (15, 0),
        (16, 5),
        (17, 0),
        (1000, 0),
        (1000, 0),
        (33, 11),
    ] {
        let cases = legacy_cases(&mut rng, batch, long_every);
        let inputs = legacy_inputs(&cases);
        let reference = backend::legacy_keys_with(Backend::Portable, &inputs).unwrap();
        for backend in Backend::supported() {
            let keys = backend::legacy_keys_with(backend, &inputs).unwrap();
            assert_eq!(keys, reference, "{backend:?}, batch of {batch}");
            let parallel = backend::legacy_keys_parallel_with(backend, &inputs).unwrap();
            assert_eq!(
                parallel, reference,
                "{backend:?} on all cores, batch of {batch}"
            );
        }
        total += batch;
    }
    assert!(total >= 2000);
}

#[test]
fn single_password_path_matches_portable_on_every_backend() {
    let mut rng = Rng(0x5eed_0003);
    for i in 0..400 {
        let password = password(&mut rng);
        let salt = salt(&mut rng);
        let count = if i % 100 == 0 {
            4096
        } else {
            small_iterations(&mut rng)
        };
        let iterations = Iterations::new(count).unwrap();
        let utf8 = String::from_utf16_lossy(password.expose_secret()).into_bytes();
        let reference =
            backend::aes_keys_with(Backend::Portable, &utf8, &salt, iterations).unwrap();
        let (aes256, aes128) = oracle_aes(&password, &salt, count);
        assert_eq!(reference.aes256.expose_secret(), &aes256[..], "case {i}");
        assert_eq!(reference.aes128.expose_secret(), &aes128[..], "case {i}");
        for backend in Backend::supported() {
            let keys = backend::aes_keys_with(backend, &utf8, &salt, iterations).unwrap();
            assert_eq!(keys, reference, "{backend:?}, case {i}");
        }
        assert_eq!(
            hashsync::aes_keys(&password, &salt, iterations),
            reference,
            "case {i}"
        );
        let aes256 = hashsync::string_to_key(
            EncryptionType::AES256_CTS_HMAC_SHA1_96,
            &password,
            &salt,
            iterations,
        );
        assert_eq!(aes256.unwrap(), reference.aes256, "case {i}");
    }
}

#[test]
fn every_backend_matches_portable_and_oracle_on_org_id_batches() {
    let mut rng = Rng(0x5eed_0004);
    for batch in [1usize, 15, 16, 17, 1000] {
        let nts: Vec<NtHash> = (0..batch)
            .map(|_| NtHash::from_slice(&rng.bytes(16)).unwrap())
            .collect();
        let inputs: Vec<OrgIdInput<'_>> = nts
            .iter()
            .enumerate()
            .map(|(i, nt_hash)| OrgIdInput {
                nt_hash,
                salt: rng.bytes(10).try_into().unwrap(),
                iterations: if batch == 17 && i % 4 == 0 {
                    1000
                } else {
                    small_iterations(&mut rng)
                },
            })
            .collect();
        let reference = backend::org_id_hashes_with(Backend::Portable, &inputs).unwrap();
        for (input, hash) in inputs.iter().zip(&reference) {
            let hash = hash.as_ref().unwrap();
            assert_eq!(
                hash.expose_secret(),
                &oracle_org_id(input.nt_hash, &input.salt, input.iterations)
            );
            assert_eq!(
                (hash.salt(), hash.iterations()),
                (&input.salt, input.iterations)
            );
        }
        for backend in Backend::supported() {
            let hashes = backend::org_id_hashes_with(backend, &inputs).unwrap();
            assert_eq!(hashes, reference, "{backend:?}, batch of {batch}");
            let parallel = backend::org_id_hashes_parallel_with(backend, &inputs).unwrap();
            assert_eq!(
                parallel, reference,
                "{backend:?} on all cores, batch of {batch}"
            );
        }
    }
}

#[test]
fn zero_iterations_is_a_per_item_error_in_place() {
    let password = Password::new("pw");
    let salt = Salt::from("EXAMPLE.COMuser");
    let nt = hashsync::nt_hash(&password);
    for backend in Backend::supported() {
        let inputs: Vec<LegacyInput<'_>> = [3, 0, 5, 0]
            .into_iter()
            .map(|iterations| LegacyInput {
                password: &password,
                salt: &salt,
                iterations,
            })
            .collect();
        let keys = backend::legacy_keys_with(backend, &inputs).unwrap();
        assert_eq!(keys[1], Err(Error::ZeroIterations), "{backend:?}");
        assert_eq!(keys[3], Err(Error::ZeroIterations), "{backend:?}");
        let expected =
            |count| hashsync::aes_keys(&password, &salt, Iterations::new(count).unwrap());
        assert_eq!(keys[0].as_ref().unwrap().aes, expected(3), "{backend:?}");
        assert_eq!(keys[2].as_ref().unwrap().aes, expected(5), "{backend:?}");

        let inputs = [0, 7].map(|iterations| OrgIdInput {
            nt_hash: &nt,
            salt: [1; 10],
            iterations,
        });
        let hashes = backend::org_id_hashes_with(backend, &inputs).unwrap();
        assert_eq!(hashes[0], Err(Error::ZeroIterations), "{backend:?}");
        assert_eq!(
            hashes[1].as_ref().unwrap().expose_secret(),
            &oracle_org_id(&nt, &[1; 10], 7)
        );
    }
}

fn vectors(file: &str) -> Vec<Value> {
    let path = format!("{}/tests/data/{file}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let json: Value = serde_json::from_str(&text).unwrap();
    json["vectors"].as_array().unwrap().clone()
}

fn hex_field(value: &Value, field: &str) -> Vec<u8> {
    hex::decode(
        value[field]
            .as_str()
            .unwrap_or_else(|| panic!("missing {field}")),
    )
    .unwrap()
}

#[test]
fn string_to_key_vectors_through_bulk_and_every_backend() {
    let vectors: Vec<Value> = vectors("ad_legacy.json")
        .into_iter()
        .filter(|v| v["kind"] == "string_to_key")
        .collect();
    assert!(vectors.len() >= 14);
    let cases: Vec<(Password, Salt, u32, Vec<u8>)> = vectors
        .iter()
        .map(|v| {
            let utf8 = hex_field(&v["input"], "password_utf8_hex");
            let password = Password::new(std::str::from_utf8(&utf8).unwrap());
            let salt = Salt::new(hex_field(&v["input"], "salt_hex"));
            let iterations = v["input"]["iterations"].as_u64().unwrap() as u32;
            (password, salt, iterations, utf8)
        })
        .collect();
    let inputs: Vec<LegacyInput<'_>> = cases
        .iter()
        .map(|(password, salt, iterations, _)| LegacyInput {
            password,
            salt,
            iterations: *iterations,
        })
        .collect();
    let check = |keys: &[Result<LegacyKeys, Error>], label: &str| {
        for (v, keys) in vectors.iter().zip(keys) {
            let keys = keys.as_ref().unwrap();
            let id = v["id"].as_str().unwrap();
            let expected = &v["expected"];
            assert_eq!(
                keys.aes.aes256.expose_secret(),
                &hex_field(expected, "aes256_key_hex")[..],
                "{id} {label}"
            );
            assert_eq!(
                keys.aes.aes128.expose_secret(),
                &hex_field(expected, "aes128_key_hex")[..],
                "{id} {label}"
            );
            if expected.get("nt_hash_hex").is_some() {
                assert_eq!(
                    &keys.nt_hash.expose_secret()[..],
                    &hex_field(expected, "nt_hash_hex")[..],
                    "{id} {label}"
                );
            }
        }
    };
    check(&hashsync::crypto::bulk::legacy_keys(&inputs), "bulk");
    check(
        &hashsync::crypto::bulk::legacy_keys_on_current_thread(&inputs),
        "bulk, one thread",
    );
    for backend in Backend::supported() {
        check(
            &backend::legacy_keys_with(backend, &inputs).unwrap(),
            backend.name(),
        );
        check(
            &backend::legacy_keys_parallel_with(backend, &inputs).unwrap(),
            backend.name(),
        );
        for ((_, salt, iterations, utf8), v) in cases.iter().zip(&vectors) {
            let keys =
                backend::aes_keys_with(backend, utf8, salt, Iterations::new(*iterations).unwrap())
                    .unwrap();
            assert_eq!(
                keys.aes256.expose_secret(),
                &hex_field(&v["expected"], "aes256_key_hex")[..],
                "{} {backend:?} single",
                v["id"]
            );
            assert_eq!(
                keys.aes128.expose_secret(),
                &hex_field(&v["expected"], "aes128_key_hex")[..],
                "{} {backend:?} single",
                v["id"]
            );
        }
    }
}

#[test]
fn org_id_vectors_through_bulk_and_every_backend() {
    let all = vectors("org_id.json");
    let positive: Vec<&Value> = all.iter().filter(|v| v["kind"] == "org_id").collect();
    let negative: Vec<&Value> = all
        .iter()
        .filter(|v| v["kind"] == "org_id_negative")
        .collect();
    assert!(positive.len() >= 4 && !negative.is_empty());
    let nt_of = |input: &Value| match input.get("password_utf16le_hex") {
        Some(_) => hashsync::nt_hash(
            &Password::from_utf16le(&hex_field(input, "password_utf16le_hex")).unwrap(),
        ),
        None if input.get("nt_hash_hex").is_some() => {
            NtHash::from_slice(&hex_field(input, "nt_hash_hex")).unwrap()
        }
        None => hashsync::nt_hash(&Password::new(input["password"].as_str().unwrap())),
    };
    let nts: Vec<NtHash> = positive
        .iter()
        .chain(&negative)
        .map(|v| nt_of(&v["input"]))
        .collect();
    let inputs: Vec<OrgIdInput<'_>> = positive
        .iter()
        .chain(&negative)
        .zip(&nts)
        .map(|(v, nt_hash)| OrgIdInput {
            nt_hash,
            salt: hex_field(&v["input"], "salt_hex").try_into().unwrap(),
            iterations: v["input"]["iterations"].as_u64().unwrap() as u32,
        })
        .collect();
    let check = |hashes: &[Result<OrgIdHash, Error>], label: &str| {
        for (v, hash) in positive.iter().chain(&negative).zip(hashes) {
            let encoded = hash.as_ref().unwrap().encode();
            if v["kind"] == "org_id" {
                assert_eq!(
                    encoded.as_str(),
                    v["expected"]["org_id"].as_str().unwrap(),
                    "{} {label}",
                    v["id"]
                );
            } else {
                assert_ne!(
                    encoded.as_str(),
                    v["expected"]["must_not_equal"].as_str().unwrap(),
                    "{} {label}",
                    v["id"]
                );
            }
        }
    };
    check(&hashsync::crypto::bulk::org_id_hashes(&inputs), "bulk");
    check(
        &hashsync::crypto::bulk::org_id_hashes_on_current_thread(&inputs),
        "bulk, one thread",
    );
    for backend in Backend::supported() {
        check(
            &backend::org_id_hashes_with(backend, &inputs).unwrap(),
            backend.name(),
        );
        check(
            &backend::org_id_hashes_parallel_with(backend, &inputs).unwrap(),
            backend.name(),
        );
    }
}
