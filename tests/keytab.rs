//! MIT keytabs (0x0502) against the keytab `ktutil` wrote for
//! `ad_legacy.json`, plus key versions, holes and malformed files.

mod ad_vectors;

use ad_vectors::{hex, keytab_bytes, num, text};
use hashsync::error::FormatError;
use hashsync::formats::{Keytab, KeytabEntry, Principal};
use hashsync::{EncryptionType, Iterations, KerberosKey, Password, Salt};

fn vector_keytab() -> Keytab {
    let v = &ad_vectors::of_kind("keytab")[0]["input"];
    let principal = Principal {
        realm: text(&v["realm"]).to_owned(),
        components: v["components"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| text(c).to_owned())
            .collect(),
        name_type: num(&v["name_type"]) as i32,
    };
    Keytab {
        entries: v["entries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| KeytabEntry {
                principal: principal.clone(),
                timestamp: num(&v["timestamp"]) as u32,
                kvno: num(&v["kvno"]) as u32,
                key: KerberosKey::new(
                    EncryptionType::new(num(&e["enctype"]) as i32),
                    &hex(&e["key_hex"]),
                )
                .unwrap(),
            })
            .collect(),
    }
}

#[test]
fn writes_the_ktutil_vector_byte_for_byte() {
    let written = vector_keytab().to_bytes().unwrap();
    assert!(written[..] == keytab_bytes()[..]);
}

#[test]
fn reads_the_ktutil_vector() {
    let parsed = Keytab::parse(&keytab_bytes()).unwrap();
    assert_eq!(parsed, vector_keytab());
    let v = &ad_vectors::of_kind("keytab")[0];
    assert_eq!(
        parsed.entries[0].principal.to_string(),
        text(&v["input"]["principal"])
    );
    assert_eq!(
        u64::from(parsed.entries[0].kvno),
        num(&v["expected"]["kvno32"])
    );
}

#[test]
fn writes_the_vector_from_the_password_and_ad_salt() {
    let v = &ad_vectors::of_kind("keytab")[0]["input"];
    let info = &v["informational"];
    let mut keytab = Keytab::default();
    keytab
        .add_password(
            &Principal::parse(text(&v["principal"])).unwrap(),
            &Password::new(text(&info["password"])),
            &Salt::from(text(&info["salt_used"])),
            Iterations::KERBEROS_DEFAULT,
            num(&v["kvno"]) as u32,
            num(&v["timestamp"]) as u32,
            &[
                EncryptionType::AES256_CTS_HMAC_SHA1_96,
                EncryptionType::AES128_CTS_HMAC_SHA1_96,
                EncryptionType::RC4_HMAC,
            ],
        )
        .unwrap();
    assert!(keytab.to_bytes().unwrap()[..] == keytab_bytes()[..]);
}

/// Written by MIT krb5 1.20.1 `ktutil`: `addent -password -p a@R -k 300 -e
/// aes128-cts-hmac-sha1-96 -s X` (password `pw`), `wkt`. The 8-bit kvno
/// holds 300's low byte (0x2c); the trailing 32-bit kvno holds 300.
const KTUTIL_KVNO_300: &str = "0502000000290001000152000161000000016b06e10e2c00110010\
                               32d27a0f7389786a67dc2a52a3b81bc60000012c";

#[test]
fn kvno_above_255_uses_the_32_bit_field() {
    let bytes = ::hex::decode(KTUTIL_KVNO_300).unwrap();
    let parsed = Keytab::parse(&bytes).unwrap();
    assert_eq!(parsed.entries.len(), 1);
    let entry = &parsed.entries[0];
    assert_eq!(entry.kvno, 300);
    assert_eq!(entry.principal, Principal::parse("a@R").unwrap());
    assert_eq!(
        entry.key.to_hex().as_str(),
        "32d27a0f7389786a67dc2a52a3b81bc6"
    );
    assert!(parsed.to_bytes().unwrap()[..] == bytes[..]);
    // Derived by the crate from the same password and salt.
    let mut ours = Keytab::default();
    ours.add_password(
        &Principal::parse("a@R").unwrap(),
        &Password::new("pw"),
        &Salt::from("X"),
        Iterations::KERBEROS_DEFAULT,
        300,
        entry.timestamp,
        &[EncryptionType::AES128_CTS_HMAC_SHA1_96],
    )
    .unwrap();
    assert!(ours.to_bytes().unwrap()[..] == bytes[..]);
}

#[test]
fn eight_bit_kvno_when_the_32_bit_field_is_absent_or_zero() {
    let full = ::hex::decode(KTUTIL_KVNO_300).unwrap();
    // Without the trailing kvno: record length 0x29 - 4.
    let mut short = full[..full.len() - 4].to_vec();
    short[5] = 0x25;
    assert_eq!(Keytab::parse(&short).unwrap().entries[0].kvno, 0x2c);
    // A zero 32-bit kvno defers to the 8-bit one.
    let mut zero = full.clone();
    let n = zero.len();
    zero[n - 4..].fill(0);
    assert_eq!(Keytab::parse(&zero).unwrap().entries[0].kvno, 0x2c);
}

fn sample_keytab() -> Keytab {
    let mut keytab = Keytab::default();
    let etypes = [
        EncryptionType::AES256_CTS_HMAC_SHA1_96,
        EncryptionType::AES128_CTS_HMAC_SHA1_96,
        EncryptionType::RC4_HMAC,
    ];
    for (principal, kvno) in [
        ("alice@EXAMPLE.COM", 1),
        ("alice@EXAMPLE.COM", 2),
        ("host/srv.example.com@EXAMPLE.COM", 256),
        ("bob@OTHER.ORG", 70_000),
    ] {
        let principal = Principal::parse(principal).unwrap();
        keytab
            .add_password(
                &principal,
                &Password::new("pässword"),
                &principal.mit_default_salt(),
                Iterations::new(2).unwrap(),
                kvno,
                1_700_000_000,
                &etypes,
            )
            .unwrap();
    }
    keytab
}

#[test]
fn several_principals_and_key_versions_round_trip() {
    let keytab = sample_keytab();
    assert_eq!(keytab.entries.len(), 12);
    let bytes = keytab.to_bytes().unwrap();
    assert_eq!(Keytab::parse(&bytes).unwrap(), keytab);
    let kvnos: Vec<u32> = Keytab::parse(&bytes)
        .unwrap()
        .entries
        .iter()
        .map(|e| e.kvno)
        .collect();
    assert_eq!(
        kvnos,
        [1, 1, 1, 2, 2, 2, 256, 256, 256, 70_000, 70_000, 70_000]
    );
    let host = &keytab.entries[6].principal;
    assert_eq!(host.components, ["host", "srv.example.com"]);
}

/// Splits a keytab into its records by hand: (offset of the length, length).
fn records(bytes: &[u8]) -> Vec<(usize, usize)> {
    let mut pos = 2;
    let mut out = Vec::new();
    while pos < bytes.len() {
        let len = i32::from_be_bytes(bytes[pos..pos + 4].try_into().unwrap());
        out.push((pos, len as usize));
        pos += 4 + len as usize;
    }
    out
}

#[test]
fn holes_are_skipped() {
    let bytes = keytab_bytes();
    let recs = records(&bytes);
    assert_eq!(recs.len(), 3);
    // Turn the middle record into a hole, as MIT's kadmin ktremove does:
    // negative length, zeroed contents.
    let (pos, len) = recs[1];
    let mut holed = bytes.clone();
    holed[pos..pos + 4].copy_from_slice(&(-(len as i32)).to_be_bytes());
    holed[pos + 4..pos + 4 + len].fill(0);
    let parsed = Keytab::parse(&holed).unwrap();
    let mut expected = vector_keytab();
    expected.entries.remove(1);
    assert_eq!(parsed, expected);
    // A hole at the end, and a zero length that ends the file early.
    let mut tail = bytes.clone();
    tail.extend_from_slice(&(-10i32).to_be_bytes());
    tail.extend_from_slice(&[0; 10]);
    assert_eq!(Keytab::parse(&tail).unwrap(), vector_keytab());
    let mut ended = bytes[..recs[1].0].to_vec();
    ended.extend_from_slice(&[0, 0, 0, 0, 0xde, 0xad]);
    assert_eq!(Keytab::parse(&ended).unwrap().entries.len(), 1);
}

#[test]
fn every_truncation_inside_a_record_is_an_error() {
    let bytes = keytab_bytes();
    let boundaries: Vec<usize> = records(&bytes)
        .iter()
        .map(|r| r.0)
        .chain([bytes.len()])
        .collect();
    for cut in 0..bytes.len() {
        let result = Keytab::parse(&bytes[..cut]);
        if boundaries.contains(&cut) {
            let whole = boundaries.iter().position(|b| *b == cut).unwrap();
            assert_eq!(result.unwrap().entries.len(), whole, "cut at {cut}");
        } else {
            assert!(
                matches!(result, Err(FormatError::Truncated { .. })),
                "cut at {cut}: {result:?}"
            );
        }
    }
}

#[test]
fn malformed_keytabs() {
    let good = keytab_bytes();
    let mut b = good.clone();
    b[1] = 0x01;
    assert_eq!(
        Keytab::parse(&b).unwrap_err(),
        FormatError::UnsupportedRevision {
            field: "keytab version",
            found: 0x0501
        }
    );
    let mut b = good.clone();
    b[0] = 0x12;
    assert!(matches!(
        Keytab::parse(&b).unwrap_err(),
        FormatError::WrongSignature {
            field: "keytab version",
            expected: 0x0502,
            found: 0x1202
        }
    ));
    let mut b = good.clone();
    b[2..6].copy_from_slice(&i32::MAX.to_be_bytes());
    assert!(matches!(
        Keytab::parse(&b).unwrap_err(),
        FormatError::Truncated {
            field: "keytab record",
            ..
        }
    ));
    let mut b = good.clone();
    b[2..6].copy_from_slice(&i32::MIN.to_be_bytes());
    assert!(matches!(
        Keytab::parse(&b).unwrap_err(),
        FormatError::Truncated {
            field: "keytab record",
            ..
        }
    ));
    let mut b = good.clone();
    b[6..8].copy_from_slice(&0xFFFFu16.to_be_bytes()); // component count
    assert!(matches!(
        Keytab::parse(&b).unwrap_err(),
        FormatError::CountTooLarge {
            field: "keytab component count",
            count: 0xFFFF,
            ..
        }
    ));
    let mut b = good.clone();
    b[8..10].copy_from_slice(&0x00FFu16.to_be_bytes()); // realm length
    assert!(matches!(
        Keytab::parse(&b).unwrap_err(),
        FormatError::Truncated {
            field: "keytab realm",
            ..
        }
    ));
    let mut b = good.clone();
    b[10] = 0xFF; // realm's first byte: not UTF-8
    assert_eq!(
        Keytab::parse(&b).unwrap_err(),
        FormatError::InvalidUtf8 {
            field: "keytab realm"
        }
    );
    // First record: 2 + 4 + 2 + (2 + 18) + (2 + 7) + 4 + 4 + 1 = enctype at 46.
    let mut b = good.clone();
    assert_eq!(&b[46..48], &[0, 18]);
    b[47] = 17; // aes128 with a 32-byte key
    assert_eq!(
        Keytab::parse(&b).unwrap_err(),
        FormatError::KeyLength {
            field: "keytab key",
            etype: 17,
            length: 32
        }
    );
}

#[test]
fn principals_and_unsupported_etypes() {
    assert!(Principal::parse("alice").is_err());
    assert!(Principal::parse("alice@").is_err());
    assert!(Principal::parse("a//b@R").is_err());
    let p = Principal::parse("svc/a@b@R").unwrap();
    assert_eq!((p.realm.as_str(), p.components.len()), ("R", 2));
    let err = Keytab::default()
        .add_password(
            &p,
            &Password::new("x"),
            &Salt::from("x"),
            Iterations::KERBEROS_DEFAULT,
            1,
            0,
            &[EncryptionType::DES_CBC_MD5],
        )
        .unwrap_err();
    assert_eq!(
        err,
        FormatError::UnsupportedEncryptionType {
            field: "etypes",
            etype: 3
        }
    );
}

/// The writer sizes the file exactly, so the key bytes are never left in a
/// reallocated buffer.
#[test]
fn keytab_buffer_never_grows() {
    let keytab = Keytab::parse(&ad_vectors::keytab_bytes()).unwrap();
    let bytes = keytab.to_bytes().unwrap();
    assert_eq!(bytes.capacity(), bytes.len());
    assert_eq!(&bytes[..], &ad_vectors::keytab_bytes()[..]);
}
