//! The ADAuthInfo envelope against `tests/data/envelope/vectors.json`,
//! which `tools/vectors/envelope.py` wrote with Python's `cryptography`
//! from the layout (see `tests/data/README.md`): envelopes the script
//! sealed open here, the crate's envelopes for the same key material are
//! byte for byte the script's, and damaged envelopes give typed errors.

use base64::Engine as _;
use hashsync::formats::envelope::{
    EnvelopeError, ManagedDomainCertificate, ManagedDomainKey, SealedEnvelope, Thumbprint,
};
use serde_json::Value;

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/envelope");

fn read(name: &str) -> Vec<u8> {
    std::fs::read(format!("{DIR}/{name}")).unwrap()
}

fn vectors() -> Value {
    serde_json::from_slice(&read("vectors.json")).unwrap()
}

fn hex(v: &Value) -> Vec<u8> {
    hex::decode(v.as_str().unwrap()).unwrap()
}

fn b64(v: &Value) -> Vec<u8> {
    base64::engine::general_purpose::STANDARD
        .decode(v.as_str().unwrap())
        .unwrap()
}

fn array<const N: usize>(v: &Value) -> [u8; N] {
    hex(v).try_into().unwrap()
}

fn certificate() -> ManagedDomainCertificate {
    ManagedDomainCertificate::parse(&read("managed_domain_cert.pem")).unwrap()
}

fn key() -> ManagedDomainKey {
    ManagedDomainKey::new(certificate(), &read("managed_domain_key.pem")).unwrap()
}

fn header_fields(envelope: &[u8]) -> Vec<i64> {
    envelope[..32]
        .chunks_exact(4)
        .map(|c| i64::from(i32::from_le_bytes(c.try_into().unwrap())))
        .collect()
}

#[test]
fn thumbprint_is_the_scripts() {
    let doc = vectors();
    let cert = certificate();
    assert_eq!(
        cert.thumbprint().as_bytes()[..],
        hex(&doc["thumbprint_hex"])
    );
    assert_eq!(
        cert.modulus_size() as u64,
        doc["modulus_bytes"].as_u64().unwrap()
    );
    // DER and PEM of one certificate: one thumbprint.
    let der = ManagedDomainCertificate::parse(&read("managed_domain_cert.der")).unwrap();
    assert_eq!(der.thumbprint(), cert.thumbprint());
    assert_eq!(
        cert.thumbprint().to_string(),
        doc["thumbprint_hex"].as_str().unwrap().to_uppercase()
    );
}

#[test]
fn fixed_key_material_seals_to_the_scripts_bytes() {
    let doc = vectors();
    let cert = certificate();
    for v in doc["fixed_key_material"].as_array().unwrap() {
        let name = v["name"].as_str().unwrap();
        let plaintext = hex(&v["plaintext_hex"]);
        let sealed = cert
            .seal_with_key_material(
                &plaintext,
                &array(&v["aes_key_hex"]),
                &array(&v["iv_hex"]),
                &array(&v["oaep_seed_hex"]),
            )
            .unwrap();
        // Field by field, so a failure names the field.
        let expected_header: Vec<i64> = v["header"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_i64().unwrap())
            .collect();
        assert_eq!(header_fields(&sealed), expected_header, "{name}: header");
        assert_eq!(expected_header[..5], [1, 0, 1, 1, 20], "{name}");
        assert_eq!(expected_header[5], 256, "{name}: wrapped key size");
        assert_eq!(expected_header[6], 16, "{name}: IV size");
        assert_eq!(
            expected_header[7] as usize,
            (plaintext.len() / 16 + 1) * 16,
            "{name}: ciphertext size"
        );
        assert_eq!(
            sealed[32..52],
            hex(&v["thumbprint_hex"])[..],
            "{name}: thumbprint"
        );
        assert_eq!(
            sealed[52..308],
            hex(&v["wrapped_key_reversed_hex"])[..],
            "{name}: wrapped key (reversed)"
        );
        assert_eq!(sealed[308..324], hex(&v["iv_hex"])[..], "{name}: IV");
        assert_eq!(
            sealed[324..],
            hex(&v["ciphertext_hex"])[..],
            "{name}: ciphertext"
        );
        assert_eq!(sealed, b64(&v["envelope_b64"]), "{name}: whole envelope");
    }
}

#[test]
fn the_wrapped_key_is_stored_reversed() {
    let doc = vectors();
    let v = &doc["fixed_key_material"][5];
    let mut envelope = b64(&v["envelope_b64"]);
    let key = key();
    assert_eq!(&key.open(&envelope).unwrap()[..], hex(&v["plaintext_hex"]));
    // In RSA's own (big-endian) order the same bytes are not a valid
    // OAEP ciphertext for this key.
    envelope[52..308].reverse();
    assert_eq!(key.open(&envelope), Err(EnvelopeError::KeyUnwrap));
}

#[test]
fn envelopes_sealed_by_the_script_open() {
    let doc = vectors();
    let key = key();
    let pkcs1 =
        ManagedDomainKey::new(certificate(), &read("managed_domain_key_pkcs1.pem")).unwrap();
    for v in doc["fixed_key_material"].as_array().unwrap() {
        let plaintext = hex(&v["plaintext_hex"]);
        for field in ["envelope_b64", "envelope_random_oaep_b64"] {
            assert_eq!(&key.open(&b64(&v[field])).unwrap()[..], plaintext);
            assert_eq!(&pkcs1.open(&b64(&v[field])).unwrap()[..], plaintext);
        }
    }
    for v in doc["random_key_material"].as_array().unwrap() {
        assert_eq!(
            &key.open(&b64(&v["envelope_b64"])).unwrap()[..],
            hex(&v["plaintext_hex"])
        );
    }
}

#[test]
fn fresh_envelopes_differ_and_open() {
    let cert = certificate();
    let a = cert.seal(b"same plaintext").unwrap();
    let b = cert.seal(b"same plaintext").unwrap();
    assert_ne!(a, b, "fresh key, IV and seed each time");
    assert_ne!(a[308..324], b[308..324], "IV");
    let key = key();
    assert_eq!(&key.open(&a).unwrap()[..], b"same plaintext");
    assert_eq!(&key.open(&b).unwrap()[..], b"same plaintext");
}

#[test]
fn the_wrong_certificate_is_named() {
    let doc = vectors();
    let envelope = b64(&doc["sealed_to_other"]);
    let other = Thumbprint::from_bytes(array(&doc["other_thumbprint_hex"]));
    let err = key().open(&envelope).unwrap_err();
    assert_eq!(
        err,
        EnvelopeError::WrongCertificate {
            sealed_to: other,
            this_certificate: certificate().thumbprint(),
        }
    );
    let upper = doc["other_thumbprint_hex"].as_str().unwrap().to_uppercase();
    assert!(err.to_string().contains(&upper), "{err}");
    // The other domain's key opens it.
    let other_cert = ManagedDomainCertificate::parse(&read("other_domain_cert.pem")).unwrap();
    let other_key = ManagedDomainKey::new(other_cert, &read("other_domain_key.pem")).unwrap();
    assert_eq!(&other_key.open(&envelope).unwrap()[..], b"not for you");
}

#[test]
fn a_key_of_another_certificate_is_refused() {
    let err = ManagedDomainKey::new(certificate(), &read("other_domain_key.pem")).unwrap_err();
    assert_eq!(
        err,
        EnvelopeError::KeyDoesNotMatchCertificate {
            certificate: certificate().thumbprint()
        }
    );
}

#[test]
fn malformed_certificates_and_keys_are_typed_errors() {
    assert!(matches!(
        ManagedDomainCertificate::parse(b"not a certificate"),
        Err(EnvelopeError::InvalidCertificate { .. })
    ));
    let der = read("managed_domain_cert.der");
    assert!(matches!(
        ManagedDomainCertificate::parse(&der[..der.len() - 1]),
        Err(EnvelopeError::InvalidCertificate { .. })
    ));
    // A private key where a certificate belongs.
    assert!(matches!(
        ManagedDomainCertificate::parse(&read("managed_domain_key.pem")),
        Err(EnvelopeError::InvalidCertificate { .. })
    ));
    assert!(matches!(
        ManagedDomainKey::new(certificate(), &read("managed_domain_cert.pem")),
        Err(EnvelopeError::InvalidPrivateKey { .. })
    ));
    assert!(matches!(
        ManagedDomainKey::new(certificate(), b"\x30\x03\x02\x01\x00"),
        Err(EnvelopeError::InvalidPrivateKey { .. })
    ));
}

fn sample() -> (Vec<u8>, Vec<u8>) {
    let doc = vectors();
    let v = &doc["fixed_key_material"][6];
    (b64(&v["envelope_b64"]), hex(&v["plaintext_hex"]))
}

#[test]
fn truncation_at_every_offset_is_a_typed_error() {
    let (envelope, _) = sample();
    let key = key();
    for len in 0..envelope.len() {
        match key.open(&envelope[..len]) {
            Err(EnvelopeError::Truncated {
                offset,
                needed,
                available,
                ..
            }) => {
                assert!(offset + available == len && needed > available, "at {len}");
            }
            other => panic!("truncated at {len}: {other:?}"),
        }
    }
    let mut longer = envelope.clone();
    longer.push(0);
    assert_eq!(
        key.open(&longer),
        Err(EnvelopeError::TrailingBytes { extra: 1 })
    );
}

#[test]
fn bit_flips_in_the_header_and_thumbprint_are_typed_errors() {
    let (envelope, _) = sample();
    let key = key();
    for byte in 0..52 {
        for bit in 0..8 {
            let mut bad = envelope.clone();
            bad[byte] ^= 1 << bit;
            let err = key.open(&bad).unwrap_err();
            let fitting = match byte {
                0..=15 | 16..=19 | 24..=27 => {
                    matches!(err, EnvelopeError::UnexpectedHeaderValue { .. })
                }
                20..=23 => matches!(
                    err,
                    EnvelopeError::UnexpectedHeaderValue {
                        field: "wrapped key size",
                        ..
                    } | EnvelopeError::Truncated { .. }
                        | EnvelopeError::TrailingBytes { .. }
                ),
                28..=31 => matches!(
                    err,
                    EnvelopeError::CiphertextSize { .. }
                        | EnvelopeError::Truncated { .. }
                        | EnvelopeError::TrailingBytes { .. }
                ),
                _ => matches!(err, EnvelopeError::WrongCertificate { .. }),
            };
            assert!(fitting, "byte {byte} bit {bit}: {err:?}");
        }
    }
}

#[test]
fn bit_flips_in_the_wrapped_key_fail_the_unwrap() {
    let (envelope, _) = sample();
    let key = key();
    // One bit per byte (a different bit each time): every flip is a
    // private-key operation, and 256 of them cover every byte.
    for byte in 52..308 {
        let mut bad = envelope.clone();
        bad[byte] ^= 1 << (byte % 8);
        assert_eq!(key.open(&bad), Err(EnvelopeError::KeyUnwrap), "byte {byte}");
    }
}

/// The envelope has no MAC: AES-CBC without one cannot notice every
/// change. A flipped IV or ciphertext bit either breaks the padding (a
/// typed error) or yields a different plaintext, which the attribute
/// record parsers then judge; it never yields the original, never panics.
#[test]
fn bit_flips_in_the_iv_and_ciphertext_never_yield_the_plaintext() {
    let (envelope, plaintext) = sample();
    let key = key();
    let mut padding_errors = 0;
    for byte in 308..envelope.len() {
        for bit in 0..8 {
            let mut bad = envelope.clone();
            bad[byte] ^= 1 << bit;
            match key.open(&bad) {
                Err(EnvelopeError::Padding) => padding_errors += 1,
                Ok(opened) => assert_ne!(&opened[..], plaintext, "byte {byte} bit {bit}"),
                Err(other) => panic!("byte {byte} bit {bit}: {other:?}"),
            }
        }
    }
    // Flips in the last block or the block before it scramble the padding.
    assert!(padding_errors > 0);
}

#[test]
fn parse_exposes_the_parts() {
    let doc = vectors();
    let v = &doc["fixed_key_material"][0];
    let envelope = b64(&v["envelope_b64"]);
    let parsed = SealedEnvelope::parse(&envelope).unwrap();
    assert_eq!(
        parsed.thumbprint().as_bytes()[..],
        hex(&v["thumbprint_hex"])
    );
    assert_eq!(parsed.wrapped_key(), hex(&v["wrapped_key_reversed_hex"]));
    assert_eq!(parsed.iv()[..], hex(&v["iv_hex"]));
    assert_eq!(parsed.ciphertext(), hex(&v["ciphertext_hex"]));
}

#[test]
fn errors_and_debug_hold_no_key_material() {
    let key = key();
    let debug = format!("{key:?}");
    assert!(debug.contains("[REDACTED]"), "{debug}");
    assert!(
        !debug.contains("modulus: ") && !debug.contains("primes"),
        "{debug}"
    );
}
