//! Replicated secret attributes against `tests/data/drs/vectors.json`
//! (encrypted from the MS-DRSR/MS-SAMR text, decrypted by impacket 0.13.1;
//! see `tests/data/drs/README.md`).

use hashsync::formats::drs::{
    DrsError, ReplicatedAttribute, SessionKey, decrypt_attribute_value, remove_des_layer,
    remove_session_key_layer,
};
use serde_json::Value;

fn vectors() -> Vec<Value> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/drs/vectors.json");
    let doc: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    doc["vectors"].as_array().unwrap().clone()
}

fn hex(v: &Value) -> Vec<u8> {
    hex::decode(v.as_str().unwrap()).unwrap()
}

struct Case {
    attribute: ReplicatedAttribute,
    rid: u32,
    session_key: SessionKey,
    encrypted: Vec<u8>,
    under_rc4: Vec<u8>,
    secret: Vec<u8>,
}

fn cases() -> Vec<Case> {
    vectors()
        .iter()
        .map(|v| Case {
            attribute: ReplicatedAttribute::from_name(v["attribute"].as_str().unwrap()).unwrap(),
            rid: u32::try_from(v["rid"].as_u64().unwrap()).unwrap(),
            session_key: SessionKey::new(hex(&v["session_key_hex"])),
            encrypted: hex(&v["encrypted_hex"]),
            under_rc4: hex(&v["under_rc4_hex"]),
            secret: hex(&v["secret_hex"]),
        })
        .collect()
}

#[test]
fn every_vector_decrypts() {
    let cases = cases();
    assert_eq!(cases.len(), 10);
    for attribute in [
        ReplicatedAttribute::UnicodePwd,
        ReplicatedAttribute::NtPwdHistory,
        ReplicatedAttribute::DbcsPwd,
        ReplicatedAttribute::LmPwdHistory,
        ReplicatedAttribute::SupplementalCredentials,
    ] {
        assert!(
            cases.iter().any(|c| c.attribute == attribute),
            "{attribute}"
        );
    }
    for c in &cases {
        let what = format!("{} rid {}", c.attribute, c.rid);
        let layer = remove_session_key_layer(&c.session_key, &c.encrypted).unwrap();
        assert_eq!(&layer[..], c.under_rc4, "{what}: session-key layer");
        let secret =
            decrypt_attribute_value(&c.session_key, c.attribute, Some(c.rid), &c.encrypted)
                .unwrap();
        assert_eq!(&secret[..], c.secret, "{what}");
        if c.attribute.has_des_layer() {
            let des = remove_des_layer(c.attribute, c.rid, &c.under_rc4).unwrap();
            assert_eq!(&des[..], c.secret, "{what}: DES layer");
        } else {
            // No RID needed, and one given is ignored.
            let without =
                decrypt_attribute_value(&c.session_key, c.attribute, None, &c.encrypted).unwrap();
            assert_eq!(&without[..], c.secret, "{what}");
        }
    }
}

#[test]
fn a_corrupted_value_fails_the_checksum() {
    for c in cases() {
        // Every bit after the salt: the checksum or the value changes.
        for byte in 16..c.encrypted.len() {
            let mut bad = c.encrypted.clone();
            bad[byte] ^= 1 << (byte % 8);
            assert_eq!(
                decrypt_attribute_value(&c.session_key, c.attribute, Some(c.rid), &bad),
                Err(DrsError::ChecksumMismatch),
                "{} byte {byte}",
                c.attribute
            );
        }
        // A changed salt changes the RC4 key.
        let mut bad = c.encrypted.clone();
        bad[0] ^= 1;
        assert_eq!(
            remove_session_key_layer(&c.session_key, &bad),
            Err(DrsError::ChecksumMismatch)
        );
    }
}

#[test]
fn another_session_key_fails_the_checksum() {
    let c = &cases()[0];
    let mut key = c.session_key.expose_secret().to_vec();
    key[0] ^= 0x80;
    assert_eq!(
        remove_session_key_layer(&SessionKey::new(key), &c.encrypted),
        Err(DrsError::ChecksumMismatch)
    );
}

#[test]
fn a_missing_rid_is_refused_for_the_hashes() {
    for c in cases().into_iter().filter(|c| c.attribute.has_des_layer()) {
        assert_eq!(
            decrypt_attribute_value(&c.session_key, c.attribute, None, &c.encrypted),
            Err(DrsError::MissingRid {
                attribute: c.attribute
            })
        );
    }
}

/// The checksum covers the DES-encrypted value, so a wrong RID cannot be
/// refused outright; what it must never do is hand out the true hashes.
#[test]
fn a_wrong_rid_never_yields_the_true_hashes() {
    for c in cases()
        .into_iter()
        .filter(|c| c.attribute.has_des_layer() && !c.secret.is_empty())
    {
        for wrong in [c.rid ^ 1, c.rid.wrapping_add(1000), 500, 0] {
            if wrong == c.rid {
                continue;
            }
            let got =
                decrypt_attribute_value(&c.session_key, c.attribute, Some(wrong), &c.encrypted)
                    .unwrap();
            for (n, hash) in c.secret.chunks(16).enumerate() {
                assert_ne!(
                    &got[n * 16..n * 16 + 16],
                    hash,
                    "{} rid {wrong}",
                    c.attribute
                );
            }
        }
    }
}

#[test]
fn short_and_misshapen_values_are_typed_errors() {
    let c = &cases()[0];
    for len in 0..20 {
        assert_eq!(
            remove_session_key_layer(&c.session_key, &c.encrypted[..len]),
            Err(DrsError::TooShort { length: len })
        );
    }
    // A truncated value: the checksum no longer matches.
    assert_eq!(
        remove_session_key_layer(&c.session_key, &c.encrypted[..c.encrypted.len() - 1]),
        Err(DrsError::ChecksumMismatch)
    );
    for (attribute, len) in [
        (ReplicatedAttribute::UnicodePwd, 15),
        (ReplicatedAttribute::UnicodePwd, 32),
        (ReplicatedAttribute::DbcsPwd, 0),
        (ReplicatedAttribute::NtPwdHistory, 24),
        (ReplicatedAttribute::LmPwdHistory, 8),
    ] {
        assert_eq!(
            remove_des_layer(attribute, 1105, &vec![0; len]),
            Err(DrsError::WrongLength {
                attribute,
                length: len
            })
        );
    }
    assert_eq!(
        remove_des_layer(ReplicatedAttribute::SupplementalCredentials, 1105, &[0; 16]),
        Err(DrsError::NoDesLayer {
            attribute: ReplicatedAttribute::SupplementalCredentials
        })
    );
}

#[test]
fn names_and_the_session_key_type() {
    for attribute in ReplicatedAttribute::ALL {
        assert_eq!(
            ReplicatedAttribute::from_name(attribute.name()),
            Some(attribute)
        );
    }
    assert_eq!(
        ReplicatedAttribute::from_name("UNICODEPWD"),
        Some(ReplicatedAttribute::UnicodePwd)
    );
    assert_eq!(ReplicatedAttribute::from_name("userPassword"), None);
    let key = SessionKey::from_hex("00112233445566778899AABBCCDDEEFF").unwrap();
    assert_eq!(format!("{key:?}"), "SessionKey([REDACTED])");
    assert_eq!(
        key,
        SessionKey::new(hex::decode("00112233445566778899aabbccddeeff").unwrap())
    );
    assert_eq!(SessionKey::from_hex("0g"), Err(DrsError::SessionKeyNotHex));
}
