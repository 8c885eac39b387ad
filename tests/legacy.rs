//! Legacy credential records (`[u32 LE id][u32 LE length][value]`), built
//! by hand from DESIGN.md's description and the Samba vectors.

mod ad_vectors;

use ad_vectors::{hex, supplemental_bytes, text};
use hashsync::NtHash;
use hashsync::error::FormatError;
use hashsync::formats::legacy::{
    AttributeRecord, SUPPLEMENTAL_CREDENTIALS, UNICODE_PWD, encode_legacy_credentials,
};
use hashsync::formats::{OpaqueBytes, StoredCredentials};

/// One record by hand.
fn record(id: u32, value: &[u8]) -> Vec<u8> {
    let mut b = id.to_le_bytes().to_vec();
    b.extend_from_slice(&(value.len() as u32).to_le_bytes());
    b.extend_from_slice(value);
    b
}

#[test]
fn attribute_ids() {
    assert_eq!(UNICODE_PWD.to_le_bytes(), [0x5A, 0x00, 0x09, 0x00]);
    assert_eq!(
        SUPPLEMENTAL_CREDENTIALS.to_le_bytes(),
        [0x7D, 0x00, 0x09, 0x00]
    );
}

#[test]
fn every_vector_account_encodes_and_decodes() {
    for vector in ad_vectors::of_kind("ad_account") {
        let id = text(&vector["id"]);
        let nt = hex(&vector["expected"]["nt_hash_hex"]);
        let sc = supplemental_bytes(&vector);
        let mut expected = record(0x0009_005A, &nt);
        expected.extend(record(0x0009_007D, &sc));

        let nt_hash = NtHash::from_slice(&nt).unwrap();
        let encoded = encode_legacy_credentials(&nt_hash, &sc).unwrap();
        assert!(encoded[..] == expected[..], "{id}");
        let records = [
            AttributeRecord::UnicodePwd(nt_hash.clone()),
            AttributeRecord::SupplementalCredentials(OpaqueBytes::from_slice(&sc)),
        ];
        assert!(AttributeRecord::encode_all(&records).unwrap()[..] == expected[..]);

        let decoded = AttributeRecord::decode_all(&expected).unwrap();
        assert_eq!(decoded, records, "{id}");
        // What Domain Services receives parses back to the stored credentials.
        let AttributeRecord::SupplementalCredentials(value) = &decoded[1] else {
            panic!("{id}: second record is not supplementalCredentials");
        };
        let stored = StoredCredentials::parse(value.expose_secret()).unwrap();
        assert_eq!(
            stored.current.aes256.unwrap().to_hex().as_str(),
            text(&vector["expected"]["aes256_key_hex"])
        );
    }
}

#[test]
fn unknown_attributes_and_empty_input() {
    assert!(AttributeRecord::decode_all(&[]).unwrap().is_empty());
    let bytes = [record(0x1234_5678, b"abc"), record(7, b"")].concat();
    let decoded = AttributeRecord::decode_all(&bytes).unwrap();
    assert_eq!(decoded.len(), 2);
    assert_eq!(
        (decoded[0].id(), decoded[0].expose_value()),
        (0x1234_5678, &b"abc"[..])
    );
    assert_eq!((decoded[1].id(), decoded[1].expose_value()), (7, &b""[..]));
    assert!(AttributeRecord::encode_all(&decoded).unwrap()[..] == bytes[..]);
}

#[test]
fn malformed_records() {
    let good = record(0x0009_005A, &[0x11; 16]);
    for cut in 1..good.len() {
        assert!(
            matches!(
                AttributeRecord::decode_all(&good[..cut]).unwrap_err(),
                FormatError::Truncated { .. } | FormatError::OutOfBounds { .. }
            ),
            "cut at {cut}"
        );
    }
    let mut b = good.clone();
    b[4..8].copy_from_slice(&u32::MAX.to_le_bytes());
    assert_eq!(
        AttributeRecord::decode_all(&b).unwrap_err(),
        FormatError::OutOfBounds {
            field: "attribute record length",
            offset: 8,
            length: u64::from(u32::MAX),
            size: 24
        }
    );
    assert_eq!(
        AttributeRecord::decode_all(&record(0x0009_005A, &[0; 15])).unwrap_err(),
        FormatError::WrongLength {
            field: "unicodePwd",
            expected: 16,
            found: 15
        }
    );
}

/// The plaintexts of the Domain Services envelopes, built from each
/// vector's expected keys (Samba's, cross-checked by MIT krb5) and stored
/// salt, and read back by the existing parsers.
#[test]
fn domain_services_plaintexts_round_trip() {
    use hashsync::formats::UserProperties;
    use hashsync::formats::legacy::{windows_legacy_credentials, windows_supplemental_credentials};
    use hashsync::{EncryptionType, Iterations, KerberosKey, Salt};

    for vector in ad_vectors::of_kind("ad_account") {
        let id = text(&vector["id"]);
        let expected = &vector["expected"];
        let nt = hex(&expected["nt_hash_hex"]);
        let nt_hash = NtHash::from_slice(&nt).unwrap();
        let legacy = windows_legacy_credentials(&nt_hash).unwrap();
        assert!(legacy[..] == record(0x0009_005A, &nt)[..], "{id}");

        let key = |etype, field: &str| KerberosKey::new(etype, &hex(&expected[field])).unwrap();
        let aes256 = key(EncryptionType::AES256_CTS_HMAC_SHA1_96, "aes256_key_hex");
        let aes128 = key(EncryptionType::AES128_CTS_HMAC_SHA1_96, "aes128_key_hex");
        let aux = &vector["aux_input"];
        let des_md5 = KerberosKey::new(
            EncryptionType::DES_CBC_MD5,
            &hex(&aux["des_cbc_md5_key_hex"]),
        )
        .unwrap();
        let des_crc = KerberosKey::new(
            EncryptionType::DES_CBC_CRC,
            &hex(&aux["des_cbc_crc_key_hex"]),
        )
        .unwrap();
        let salt = Salt::from(hex(&expected["salt_hex"]));
        let iterations =
            Iterations::new(u32::try_from(ad_vectors::num(&expected["iterations"])).unwrap())
                .unwrap();
        // The NT hash's rc4-hmac key travels in the other envelope.
        let rc4 = nt_hash.to_rc4_key();
        let bytes = windows_supplemental_credentials(
            &salt,
            iterations,
            [&aes256, &aes128, &des_md5, &des_crc, &rc4],
        )
        .unwrap();
        assert_eq!(bytes[..4], [0x7D, 0x00, 0x09, 0x00], "{id}");
        let records = AttributeRecord::decode_all(&bytes).unwrap();
        let [AttributeRecord::SupplementalCredentials(value)] = &records[..] else {
            panic!("{id}: one supplementalCredentials record");
        };
        let ours = UserProperties::parse(value.expose_secret()).unwrap();
        let newer = ours.kerberos_newer_keys().unwrap();
        assert_eq!(newer.default_salt, salt, "{id}");
        assert_eq!(newer.default_iteration_count, iterations.get(), "{id}");
        let keys: Vec<_> = newer.credentials.iter().map(|k| k.key.clone()).collect();
        assert_eq!(
            keys,
            [aes256, aes128, des_md5.clone(), des_crc.clone()],
            "{id}"
        );
        assert_eq!(
            ours.kerberos().unwrap().credentials,
            [des_md5, des_crc],
            "{id}"
        );
        assert_eq!(ours.kerberos().unwrap().default_salt, salt, "{id}");
        assert!(newer.old_credentials.is_empty() && newer.older_credentials.is_empty());
        // The same properties, in the order Samba wrote them.
        let samba = UserProperties::parse(&supplemental_bytes(&vector)).unwrap();
        let ours_names: Vec<&str> = ours.properties.iter().map(|p| p.name()).collect();
        let samba_names: Vec<&str> = samba
            .properties
            .iter()
            .map(|p| p.name())
            .filter(|n| ours_names.contains(n))
            .collect();
        assert_eq!(ours_names, samba_names, "{id}");
        assert_eq!(
            ours_names,
            [
                "Primary:Kerberos-Newer-Keys",
                "Primary:Kerberos",
                "Packages"
            ],
            "{id}"
        );
        assert_eq!(
            ours.packages().unwrap(),
            ["Kerberos-Newer-Keys", "Kerberos"],
            "{id}"
        );
    }
}
