//! supplementalCredentials against the Samba 4.17 vectors in
//! `ad_legacy.json`: every decoded field, byte-for-byte rebuilds from the
//! derived keys, round trips, and malformed input.

mod ad_vectors;

use ad_vectors::{hex, num, property_layout, supplemental_bytes, supplemental_values, text};
use hashsync::error::FormatError;
use hashsync::formats::{
    HexCase, KerberosStoredCredential, KerberosStoredCredentialNew, KeyGeneration,
    StoredCredentials, UserProperties, UserProperty, WDigestCredentials,
};
use hashsync::{
    EncryptionType, Iterations, KerberosKey, Password, Salt, aes_keys, secret::WDigestHash,
};
use serde_json::Value;

fn key_hex(key: &KerberosKey) -> String {
    key.to_hex().to_string()
}

fn salt_hex(salt: &Salt) -> String {
    ::hex::encode(salt.as_bytes())
}

/// Compares parsed KERB_KEY_DATA(_NEW) entries with the vector's decoded ones.
fn check_new_keys(id: &str, what: &str, parsed: &[hashsync::formats::StoredKey], expected: &Value) {
    let expected = expected.as_array().unwrap();
    assert_eq!(parsed.len(), expected.len(), "{id} {what} count");
    for (p, e) in parsed.iter().zip(expected) {
        assert_eq!(
            u64::from(p.iteration_count),
            num(&e["IterationCount"]),
            "{id} {what}"
        );
        assert_eq!(
            p.key.etype().number() as u64,
            num(&e["KeyType"]),
            "{id} {what}"
        );
        assert_eq!(
            p.key.expose_secret().len() as u64,
            num(&e["KeyLength"]),
            "{id} {what}"
        );
        assert_eq!(key_hex(&p.key), text(&e["Key"]), "{id} {what}");
    }
}

fn check_old_keys(id: &str, what: &str, parsed: &[KerberosKey], expected: &Value) {
    let expected = expected.as_array().unwrap();
    assert_eq!(parsed.len(), expected.len(), "{id} {what} count");
    for (p, e) in parsed.iter().zip(expected) {
        assert_eq!(p.etype().number() as u64, num(&e["KeyType"]), "{id} {what}");
        assert_eq!(
            p.expose_secret().len() as u64,
            num(&e["KeyLength"]),
            "{id} {what}"
        );
        assert_eq!(key_hex(p), text(&e["Key"]), "{id} {what}");
    }
}

fn salt_utf16_len(salt: &Salt) -> u64 {
    std::str::from_utf8(salt.as_bytes())
        .unwrap()
        .encode_utf16()
        .count() as u64
        * 2
}

#[test]
fn every_vector_parses_to_its_decoded_fields() {
    for vector in ad_vectors::of_kind("ad_account") {
        let id = text(&vector["id"]);
        let sc = &vector["expected"]["supplementalCredentials"];
        let bytes = supplemental_bytes(&vector);
        assert_eq!(bytes.len() as u64, num(&sc["length"]), "{id}");
        let parsed = UserProperties::parse(&bytes).unwrap();

        let names: Vec<&str> = parsed.properties.iter().map(UserProperty::name).collect();
        let order: Vec<&str> = sc["property_order"]
            .as_array()
            .unwrap()
            .iter()
            .map(text)
            .collect();
        assert_eq!(names, order, "{id} property order");
        assert_eq!(text(&sc["hex_case"]), "upper");
        assert_eq!(parsed.hex_case, HexCase::Upper, "{id}");

        let packages: Vec<&str> = sc["packages_value"]
            .as_array()
            .unwrap()
            .iter()
            .map(text)
            .collect();
        assert_eq!(parsed.packages().unwrap(), packages, "{id} Packages");

        let nk = &sc["kerberos_newer_keys"];
        let newer: &KerberosStoredCredentialNew = parsed.kerberos_newer_keys().unwrap();
        assert_eq!(num(&nk["Revision"]), 4);
        assert_eq!(u64::from(newer.flags), num(&nk["Flags"]), "{id}");
        assert_eq!(
            newer.default_salt.to_string_lossy(),
            text(&nk["DefaultSalt"]),
            "{id}"
        );
        assert_eq!(
            salt_hex(&newer.default_salt),
            text(&vector["expected"]["salt_hex"]),
            "{id}"
        );
        assert_eq!(
            salt_utf16_len(&newer.default_salt),
            num(&nk["DefaultSaltLength"]),
            "{id}"
        );
        assert_eq!(
            u64::from(newer.default_iteration_count),
            num(&nk["DefaultIterationCount"])
        );
        assert_eq!(
            newer.credentials.len() as u64,
            num(&nk["CredentialCount"]),
            "{id}"
        );
        assert_eq!(
            newer.service_credentials.len() as u64,
            num(&nk["ServiceCredentialCount"])
        );
        assert_eq!(
            newer.old_credentials.len() as u64,
            num(&nk["OldCredentialCount"]),
            "{id}"
        );
        assert_eq!(
            newer.older_credentials.len() as u64,
            num(&nk["OlderCredentialCount"])
        );
        check_new_keys(id, "Credentials", &newer.credentials, &nk["Credentials"]);
        check_new_keys(
            id,
            "ServiceCredentials",
            &newer.service_credentials,
            &nk["ServiceCredentials"],
        );
        check_new_keys(
            id,
            "OldCredentials",
            &newer.old_credentials,
            &nk["OldCredentials"],
        );
        check_new_keys(
            id,
            "OlderCredentials",
            &newer.older_credentials,
            &nk["OlderCredentials"],
        );

        let k = &sc["kerberos"];
        let kerberos: &KerberosStoredCredential = parsed.kerberos().unwrap();
        assert_eq!(num(&k["Revision"]), 3);
        assert_eq!(u64::from(kerberos.flags), num(&k["Flags"]), "{id}");
        assert_eq!(
            kerberos.default_salt.to_string_lossy(),
            text(&k["DefaultSalt"]),
            "{id}"
        );
        assert_eq!(
            salt_utf16_len(&kerberos.default_salt),
            num(&k["DefaultSaltLength"]),
            "{id}"
        );
        assert_eq!(
            kerberos.credentials.len() as u64,
            num(&k["CredentialCount"]),
            "{id}"
        );
        assert_eq!(
            kerberos.old_credentials.len() as u64,
            num(&k["OldCredentialCount"]),
            "{id}"
        );
        check_old_keys(id, "Credentials", &kerberos.credentials, &k["Credentials"]);
        check_old_keys(
            id,
            "OldCredentials",
            &kerberos.old_credentials,
            &k["OldCredentials"],
        );

        let w = &sc["wdigest"];
        let wdigest: &WDigestCredentials = parsed.wdigest().unwrap();
        assert_eq!(num(&w["Version"]), 1);
        assert_eq!(
            wdigest.hashes.len() as u64,
            num(&w["NumberOfHashes"]),
            "{id}"
        );
        let hashes: Vec<String> = wdigest
            .hashes
            .iter()
            .map(|h| h.to_hex().to_string())
            .collect();
        let expected: Vec<&str> = w["hashes"].as_array().unwrap().iter().map(text).collect();
        assert_eq!(hashes, expected, "{id} WDigest");
        let expected: Vec<&str> = vector["expected"]["wdigest_hashes_hex"]
            .as_array()
            .unwrap()
            .iter()
            .map(text)
            .collect();
        assert_eq!(hashes, expected, "{id} WDigest vs expected");
        assert!(
            parsed.cleartext().is_none(),
            "{id}: Samba stored no cleartext"
        );

        // The header, by hand: Length counts from Reserved4 to the end of
        // the last property; Reserved5 follows.
        let h = &sc["header"];
        let length = u32::from_le_bytes(bytes[4..8].try_into().unwrap());
        assert_eq!(u64::from(length), num(&h["Length"]));
        assert_eq!(
            12 + u64::from(length) + num(&h["trailing_len"]),
            bytes.len() as u64
        );
    }
}

#[test]
fn typed_view_has_the_vector_salt_and_keys() {
    for vector in ad_vectors::of_kind("ad_account") {
        let id = text(&vector["id"]);
        let e = &vector["expected"];
        let aux = &vector["aux_input"];
        let stored = StoredCredentials::parse(&supplemental_bytes(&vector)).unwrap();
        assert_eq!(salt_hex(&stored.salt), text(&e["salt_hex"]), "{id}");
        assert_eq!(
            u64::from(stored.iterations.get()),
            num(&e["iterations"]),
            "{id}"
        );
        let c = &stored.current;
        assert_eq!(
            key_hex(c.aes256.as_ref().unwrap()),
            text(&e["aes256_key_hex"]),
            "{id}"
        );
        assert_eq!(
            key_hex(c.aes128.as_ref().unwrap()),
            text(&e["aes128_key_hex"]),
            "{id}"
        );
        assert_eq!(
            key_hex(c.des_cbc_md5.as_ref().unwrap()),
            text(&aux["des_cbc_md5_key_hex"])
        );
        assert_eq!(
            key_hex(c.des_cbc_crc.as_ref().unwrap()),
            text(&aux["des_cbc_crc_key_hex"])
        );
        match aux["old_credentials"].as_array() {
            Some(old) => {
                let parsed_old = stored.old.as_ref().unwrap();
                let keys: Vec<String> = parsed_old.keys().map(key_hex).collect();
                let expected: Vec<&str> = old.iter().map(|k| text(&k["Key"])).collect();
                assert_eq!(keys, expected, "{id} old keys");
            }
            None => assert!(stored.old.is_none(), "{id}"),
        }
        assert!(stored.older.is_none());
        assert_eq!(stored.wdigest.as_ref().unwrap().len(), 29);
        assert!(stored.cleartext.is_none());
    }
}

fn key(etype: i32, hex_text: &str) -> KerberosKey {
    KerberosKey::new(
        EncryptionType::new(etype),
        &::hex::decode(hex_text).unwrap(),
    )
    .unwrap()
}

/// StoredCredentials from the password (derived by the crate), the
/// vector's random DES and old keys, and its WDigest hashes.
fn rebuild_input(vector: &Value) -> StoredCredentials {
    let input = &vector["input"];
    let e = &vector["expected"];
    let aux = &vector["aux_input"];
    let password = Password::from_utf16le(&hex(&input["password_utf16le_hex"])).unwrap();
    let salt = Salt::new(hex(&e["salt_hex"]));
    let iterations = Iterations::new(num(&e["iterations"]) as u32).unwrap();
    let derived = aes_keys(&password, &salt, iterations);
    let mut stored = StoredCredentials::new(derived, salt, iterations);
    stored.current = stored
        .current
        .clone()
        .with_des(
            key(3, text(&aux["des_cbc_md5_key_hex"])),
            key(1, text(&aux["des_cbc_crc_key_hex"])),
        )
        .unwrap();
    if let Some(old) = aux["old_credentials"].as_array() {
        let mut generation = KeyGeneration::default();
        for k in old {
            let parsed = key(num(&k["KeyType"]) as i32, text(&k["Key"]));
            match num(&k["KeyType"]) {
                18 => generation.aes256 = Some(parsed),
                17 => generation.aes128 = Some(parsed),
                3 => generation.des_cbc_md5 = Some(parsed),
                1 => generation.des_cbc_crc = Some(parsed),
                other => panic!("unexpected old key type {other}"),
            }
        }
        stored.old = Some(generation);
    }
    stored.wdigest = Some(
        e["wdigest_hashes_hex"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| WDigestHash::from_hex(text(h)).unwrap())
            .collect(),
    );
    stored
}

#[test]
fn rebuilds_every_samba_value_byte_for_byte_from_derived_keys() {
    for vector in ad_vectors::of_kind("ad_account") {
        let id = text(&vector["id"]);
        let built = rebuild_input(&vector).to_bytes(HexCase::Upper).unwrap();
        assert!(
            built[..] == supplemental_bytes(&vector)[..],
            "{id}: rebuilt value differs from Samba's"
        );
    }
}

#[test]
fn lower_case_build_differs_only_in_hex_letters() {
    for vector in ad_vectors::of_kind("ad_account") {
        let samba = supplemental_bytes(&vector);
        let lower = rebuild_input(&vector).to_bytes(HexCase::Lower).unwrap();
        assert_eq!(lower.len(), samba.len());
        // Outside the property values the bytes are identical; inside, the
        // values are Samba's with A-F lowered.
        let mut expected = samba.clone();
        for (_, _, offset, len) in property_layout(&samba) {
            expected[offset..offset + len].make_ascii_lowercase();
        }
        assert!(lower[..] == expected[..]);
        assert_ne!(&lower[..], &samba[..]);
        let parsed = UserProperties::parse(&lower).unwrap();
        assert_eq!(parsed.hex_case, HexCase::Lower);
        let mut upper = UserProperties::parse(&samba).unwrap();
        upper.hex_case = HexCase::Lower;
        assert_eq!(parsed, upper);
    }
}

#[test]
fn parse_build_parse_round_trips() {
    for (id, bytes) in supplemental_values() {
        let parsed = UserProperties::parse(&bytes).unwrap();
        let rebuilt = parsed.to_bytes().unwrap();
        assert!(
            rebuilt[..] == bytes[..],
            "{id}: parse → build is not lossless"
        );
        assert_eq!(UserProperties::parse(&rebuilt).unwrap(), parsed);

        let stored = StoredCredentials::from_user_properties(&parsed).unwrap();
        let via_stored = stored.to_bytes(parsed.hex_case).unwrap();
        assert!(
            via_stored[..] == bytes[..],
            "{id}: typed view → build is not lossless"
        );
        assert_eq!(StoredCredentials::parse(&via_stored).unwrap(), stored);
    }
}

/// A USER_PROPERTIES header by hand: Length, 96 reserved bytes, signature.
fn header(length: u32) -> Vec<u8> {
    let mut b = vec![0, 0, 0, 0];
    b.extend_from_slice(&length.to_le_bytes());
    b.extend_from_slice(&[0; 4]);
    b.extend_from_slice(&[0; 96]);
    b.extend_from_slice(&[0x50, 0x00]);
    b
}

fn utf16le(text: &str) -> Vec<u8> {
    text.encode_utf16().flat_map(u16::to_le_bytes).collect()
}

/// One USER_PROPERTY by hand.
fn property(name: &str, value: &[u8]) -> Vec<u8> {
    let name = utf16le(name);
    let mut b = Vec::new();
    b.extend_from_slice(&(name.len() as u16).to_le_bytes());
    b.extend_from_slice(&(value.len() as u16).to_le_bytes());
    b.extend_from_slice(&[7, 0]); // Reserved: ignored
    b.extend_from_slice(&name);
    b.extend_from_slice(value);
    b
}

fn with_properties(props: &[Vec<u8>]) -> Vec<u8> {
    let body: usize = props.iter().map(Vec::len).sum();
    let mut b = header((96 + 2 + 2 + body) as u32);
    b.extend_from_slice(&(props.len() as u16).to_le_bytes());
    for p in props {
        b.extend_from_slice(p);
    }
    b.push(0);
    b
}

#[test]
fn empty_attribute_has_no_property_count() {
    // MS-SAMR 2.2.10.1: PropertyCount is absent when there are no properties.
    let bytes = header(98);
    let parsed = UserProperties::parse(&bytes).unwrap();
    assert!(parsed.properties.is_empty());
    let mut with_reserved5 = bytes.clone();
    with_reserved5.push(0);
    assert!(
        UserProperties::parse(&with_reserved5)
            .unwrap()
            .properties
            .is_empty()
    );
    // Built, it is the same 110 bytes (with Samba's space-filled Reserved4).
    let built = UserProperties::default().to_bytes().unwrap();
    assert_eq!(built.len(), 110);
    assert_eq!(&built[4..8], &98u32.to_le_bytes());
    assert_eq!(&built[108..110], &[0x50, 0]);
    assert!(matches!(
        StoredCredentials::parse(&bytes),
        Err(FormatError::Missing { .. })
    ));
}

#[test]
fn cleartext_lower_case_and_unknown_properties() {
    let password = "Pässwörd \u{1F600}";
    let cleartext = ::hex::encode(utf16le(password)); // lower case, as MS-SAMR says
    let unknown_value = b"00112233AABBccdd".to_vec();
    let packages = ::hex::encode(utf16le("CLEARTEXT\0NTLM-Strong-NTOWF"));
    let bytes = with_properties(&[
        property("Packages", packages.as_bytes()),
        property("Primary:CLEARTEXT", cleartext.as_bytes()),
        property("Primary:NTLM-Strong-NTOWF", &unknown_value),
    ]);
    let parsed = UserProperties::parse(&bytes).unwrap();
    assert_eq!(parsed.hex_case, HexCase::Lower);
    assert_eq!(
        parsed.packages().unwrap(),
        ["CLEARTEXT", "NTLM-Strong-NTOWF"]
    );
    assert_eq!(parsed.cleartext().unwrap(), &Password::new(password));
    match parsed.get("Primary:NTLM-Strong-NTOWF").unwrap() {
        UserProperty::Unknown { name, value } => {
            assert_eq!(name, "Primary:NTLM-Strong-NTOWF");
            assert_eq!(value.expose_secret(), unknown_value.as_slice());
        }
        other => panic!("unexpected {other:?}"),
    }
    // Rebuilt: identical except the reserved fields the spec says to ignore
    // (Reserved4 and the per-property Reserved).
    let rebuilt = parsed.to_bytes().unwrap();
    assert_eq!(rebuilt.len(), bytes.len());
    assert_eq!(UserProperties::parse(&rebuilt).unwrap(), parsed);
    let layout_in = property_layout(&bytes);
    let layout_out = property_layout(&rebuilt);
    for (a, b) in layout_in.iter().zip(&layout_out) {
        assert_eq!((a.1.as_str(), a.3), (b.1.as_str(), b.3));
        assert_eq!(bytes[a.2..a.2 + a.3], rebuilt[b.2..b.2 + b.3]);
    }
    // No Kerberos property: no typed view.
    assert_eq!(
        StoredCredentials::parse(&bytes).unwrap_err(),
        FormatError::Missing {
            field: "Primary:Kerberos-Newer-Keys and Primary:Kerberos"
        }
    );
}

#[test]
fn cleartext_and_older_keys_survive_the_builder() {
    let vector = &ad_vectors::of_kind("ad_account")[1];
    let mut stored = rebuild_input(vector);
    stored.older = stored.old.clone();
    stored.cleartext = Some(Password::from_utf16(vec![0x61, 0xD800, 0x62]));
    let bytes = stored.to_bytes(HexCase::Lower).unwrap();
    let parsed = UserProperties::parse(&bytes).unwrap();
    let names: Vec<&str> = parsed.properties.iter().map(UserProperty::name).collect();
    assert_eq!(
        names,
        [
            "Primary:Kerberos-Newer-Keys",
            "Primary:Kerberos",
            "Packages",
            "Primary:WDigest",
            "Primary:CLEARTEXT"
        ]
    );
    assert_eq!(
        parsed.packages().unwrap(),
        ["Kerberos-Newer-Keys", "Kerberos", "WDigest", "CLEARTEXT"]
    );
    assert_eq!(
        parsed
            .kerberos_newer_keys()
            .unwrap()
            .older_credentials
            .len(),
        4
    );
    assert_eq!(
        StoredCredentials::from_user_properties(&parsed).unwrap(),
        stored
    );
}

#[test]
fn secrets_stay_out_of_debug_output() {
    let vector = &ad_vectors::of_kind("ad_account")[0];
    let parsed = UserProperties::parse(&supplemental_bytes(vector)).unwrap();
    let stored = StoredCredentials::from_user_properties(&parsed).unwrap();
    let debug = format!("{parsed:?} {stored:?}");
    for secret in [
        text(&vector["expected"]["aes256_key_hex"]),
        text(&vector["expected"]["wdigest_hashes_hex"][0]),
        text(&vector["aux_input"]["des_cbc_md5_key_hex"]),
    ] {
        assert!(!debug.to_lowercase().contains(secret));
    }
    assert!(debug.contains("REDACTED"));
}

// --- malformed input -------------------------------------------------------

#[test]
fn every_truncation_is_an_error() {
    for (id, bytes) in supplemental_values() {
        let length = u32::from_le_bytes(bytes[4..8].try_into().unwrap()) as usize;
        for cut in 0..12 + length {
            assert!(
                UserProperties::parse(&bytes[..cut]).is_err(),
                "{id}: truncated to {cut} bytes parsed"
            );
        }
        // Only Reserved5 may go: it is outside Length.
        assert!(UserProperties::parse(&bytes[..12 + length]).is_ok());
    }
}

fn first_value() -> Vec<u8> {
    supplemental_values().remove(0).1
}

#[test]
fn length_pointing_outside() {
    let mut bytes = first_value();
    let size = bytes.len();
    bytes[4..8].copy_from_slice(&u32::MAX.to_le_bytes());
    assert_eq!(
        UserProperties::parse(&bytes).unwrap_err(),
        FormatError::OutOfBounds {
            field: "USER_PROPERTIES.Length",
            offset: 12,
            length: u64::from(u32::MAX),
            size
        }
    );
}

#[test]
fn wrong_signature() {
    let mut bytes = first_value();
    bytes[108] = 0x51;
    assert_eq!(
        UserProperties::parse(&bytes).unwrap_err(),
        FormatError::WrongSignature {
            field: "USER_PROPERTIES.PropertySignature",
            expected: 0x50,
            found: 0x51
        }
    );
}

#[test]
fn absurd_property_count() {
    let mut bytes = first_value();
    bytes[110..112].copy_from_slice(&0xFFFFu16.to_le_bytes());
    assert!(matches!(
        UserProperties::parse(&bytes).unwrap_err(),
        FormatError::CountTooLarge {
            field: "USER_PROPERTIES.PropertyCount",
            count: 0xFFFF,
            ..
        }
    ));
    // A count one too high runs out of bytes in the next property header.
    let mut bytes = first_value();
    bytes[110] += 1;
    assert!(matches!(
        UserProperties::parse(&bytes).unwrap_err(),
        FormatError::Truncated {
            field: "USER_PROPERTY.NameLength",
            ..
        }
    ));
}

#[test]
fn property_value_length_pointing_outside() {
    let mut bytes = first_value();
    let (pos, ..) = property_layout(&bytes)[3];
    bytes[pos + 2..pos + 4].copy_from_slice(&0xFFFFu16.to_le_bytes());
    assert!(matches!(
        UserProperties::parse(&bytes).unwrap_err(),
        FormatError::Truncated {
            field: "USER_PROPERTY.PropertyValue",
            needed: 0xFFFF,
            ..
        }
    ));
}

#[test]
fn odd_hex_length() {
    let bytes = first_value();
    let (pos, _, offset, len) = property_layout(&bytes)[0].clone();
    // Drop the value's last hex digit and shift everything after it.
    let mut odd = bytes.clone();
    odd.remove(offset + len - 1);
    odd[pos + 2..pos + 4].copy_from_slice(&((len - 1) as u16).to_le_bytes());
    let length = u32::from_le_bytes(odd[4..8].try_into().unwrap()) - 1;
    odd[4..8].copy_from_slice(&length.to_le_bytes());
    assert_eq!(
        UserProperties::parse(&odd).unwrap_err(),
        FormatError::OddHexLength {
            field: "Primary:Kerberos-Newer-Keys value",
            length: len - 1
        }
    );
}

#[test]
fn non_hex_characters() {
    let bytes = first_value();
    for (index, field) in [
        (0, "Primary:Kerberos-Newer-Keys value"),
        (1, "Primary:Kerberos value"),
        (2, "Packages value"),
        (3, "Primary:WDigest value"),
    ] {
        let (_, _, offset, _) = property_layout(&bytes)[index];
        for (bad, position) in [(b'G', 5), (b' ', 0), (0xFF, 9)] {
            let mut mutated = bytes.clone();
            mutated[offset + position] = bad;
            assert_eq!(
                UserProperties::parse(&mutated).unwrap_err(),
                FormatError::NotHex { field, position }
            );
        }
    }
}

/// The binary KERB_STORED_CREDENTIAL_NEW of the first vector, by hand.
fn newer_keys_binary() -> Vec<u8> {
    let bytes = first_value();
    let (_, _, offset, len) = property_layout(&bytes)[0];
    ::hex::decode(&bytes[offset..offset + len]).unwrap()
}

#[test]
fn kerberos_offsets_and_counts_pointing_outside() {
    let good = newer_keys_binary();
    assert!(KerberosStoredCredentialNew::parse(&good).is_ok());
    let size = good.len();

    let mut b = good.clone();
    b[0] = 5; // Revision
    assert_eq!(
        KerberosStoredCredentialNew::parse(&b).unwrap_err(),
        FormatError::UnsupportedRevision {
            field: "KERB_STORED_CREDENTIAL_NEW.Revision",
            found: 5
        }
    );

    let mut b = good.clone();
    b[4..6].copy_from_slice(&0xFFFFu16.to_le_bytes()); // CredentialCount
    assert!(matches!(
        KerberosStoredCredentialNew::parse(&b).unwrap_err(),
        FormatError::CountTooLarge {
            field: "KERB_STORED_CREDENTIAL_NEW.Credentials",
            count: 0xFFFF,
            ..
        }
    ));

    let mut b = good.clone();
    b[16..20].copy_from_slice(&0xFFFF_FFF0u32.to_le_bytes()); // DefaultSaltOffset
    assert_eq!(
        KerberosStoredCredentialNew::parse(&b).unwrap_err(),
        FormatError::OutOfBounds {
            field: "KERB_STORED_CREDENTIAL_NEW.DefaultSalt",
            offset: 0xFFFF_FFF0,
            length: 46,
            size
        }
    );

    // First key entry starts at 24: KeyLength at +16, KeyOffset at +20.
    let mut b = good.clone();
    b[24 + 20..24 + 24].copy_from_slice(&(size as u32 - 31).to_le_bytes());
    assert_eq!(
        KerberosStoredCredentialNew::parse(&b).unwrap_err(),
        FormatError::OutOfBounds {
            field: "KERB_STORED_CREDENTIAL_NEW.Credentials",
            offset: size as u64 - 31,
            length: 32,
            size
        }
    );

    let mut b = good.clone();
    b[24 + 16..24 + 20].copy_from_slice(&16u32.to_le_bytes()); // AES256 with 16 bytes
    assert_eq!(
        KerberosStoredCredentialNew::parse(&b).unwrap_err(),
        FormatError::KeyLength {
            field: "KERB_STORED_CREDENTIAL_NEW.Credentials",
            etype: 18,
            length: 16
        }
    );

    let mut b = good.clone();
    b[12..14].copy_from_slice(&45u16.to_le_bytes()); // odd salt length
    assert_eq!(
        KerberosStoredCredentialNew::parse(&b).unwrap_err(),
        FormatError::InvalidUtf16 {
            field: "KERB_STORED_CREDENTIAL_NEW.DefaultSalt"
        }
    );

    for cut in 0..24 + 4 * 24 {
        assert!(matches!(
            KerberosStoredCredentialNew::parse(&good[..cut]).unwrap_err(),
            FormatError::Truncated { .. } | FormatError::CountTooLarge { .. }
        ));
    }
    for cut in 24 + 4 * 24..size {
        assert!(matches!(
            KerberosStoredCredentialNew::parse(&good[..cut]).unwrap_err(),
            FormatError::OutOfBounds { .. }
        ));
    }
}

#[test]
fn wdigest_version_and_count() {
    let bytes = first_value();
    let (_, _, offset, len) = property_layout(&bytes)[3];
    let good = ::hex::decode(&bytes[offset..offset + len]).unwrap();
    assert_eq!(WDigestCredentials::parse(&good).unwrap().hashes.len(), 29);
    let mut b = good.clone();
    b[2] = 2;
    assert_eq!(
        WDigestCredentials::parse(&b).unwrap_err(),
        FormatError::UnsupportedRevision {
            field: "WDIGEST_CREDENTIALS.Version",
            found: 2
        }
    );
    let mut b = good.clone();
    b[3] = 30;
    assert!(matches!(
        WDigestCredentials::parse(&b).unwrap_err(),
        FormatError::CountTooLarge {
            field: "WDIGEST_CREDENTIALS.NumberOfHashes",
            count: 30,
            ..
        }
    ));
}

#[test]
fn zero_default_iteration_count_has_no_typed_view() {
    let mut b = newer_keys_binary();
    b[20..24].copy_from_slice(&0u32.to_le_bytes());
    let newer = KerberosStoredCredentialNew::parse(&b).unwrap();
    let value = UserProperties {
        properties: vec![UserProperty::KerberosNewerKeys(newer)],
        hex_case: HexCase::Upper,
    };
    assert_eq!(
        StoredCredentials::from_user_properties(&value).unwrap_err(),
        FormatError::ZeroIterations {
            field: "KERB_STORED_CREDENTIAL_NEW.DefaultIterationCount"
        }
    );
}

/// Found by the `supplemental` fuzz target: a value whose only hex letters
/// sit in bytes the rebuild drops reparses with the default case; the
/// properties and the rebuilt bytes are unchanged.
#[test]
fn hex_case_of_a_value_without_letter_digits() {
    // KERB_STORED_CREDENTIAL_NEW with no keys and an empty salt, followed by
    // two bytes outside the structure that hold the only letters ("AB").
    let mut binary = vec![
        4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 24, 0, 0, 0, 0, 16, 0, 0,
    ];
    binary.push(0xAB);
    let value = ::hex::encode_upper(&binary);
    let bytes = with_properties(&[property("Primary:Kerberos-Newer-Keys", value.as_bytes())]);
    let parsed = UserProperties::parse(&bytes).unwrap();
    assert_eq!(parsed.hex_case, HexCase::Upper);
    let rebuilt = parsed.to_bytes().unwrap();
    let reparsed = UserProperties::parse(&rebuilt).unwrap();
    assert_eq!(reparsed.hex_case, HexCase::Lower);
    assert_eq!(reparsed.properties, parsed.properties);
    assert!(reparsed.to_bytes().unwrap()[..] == rebuilt[..]);
}

#[test]
fn revision_3_offsets_and_revision() {
    let bytes = first_value();
    let (_, _, offset, len) = property_layout(&bytes)[1];
    let good = ::hex::decode(&bytes[offset..offset + len]).unwrap();
    let size = good.len();
    let parsed = KerberosStoredCredential::parse(&good).unwrap();
    assert!(parsed.to_bytes().unwrap()[..] == good[..]);

    let mut b = good.clone();
    b[0] = 4;
    assert_eq!(
        KerberosStoredCredential::parse(&b).unwrap_err(),
        FormatError::UnsupportedRevision {
            field: "KERB_STORED_CREDENTIAL.Revision",
            found: 4
        }
    );
    // First KERB_KEY_DATA at 16: KeyLength at +12, KeyOffset at +16.
    let mut b = good.clone();
    b[16 + 16..16 + 20].copy_from_slice(&(size as u32).to_le_bytes());
    assert_eq!(
        KerberosStoredCredential::parse(&b).unwrap_err(),
        FormatError::OutOfBounds {
            field: "KERB_STORED_CREDENTIAL.Credentials",
            offset: size as u64,
            length: 8,
            size
        }
    );
    let mut b = good.clone();
    b[6..8].copy_from_slice(&0xFFFFu16.to_le_bytes()); // OldCredentialCount
    assert!(matches!(
        KerberosStoredCredential::parse(&b).unwrap_err(),
        FormatError::CountTooLarge {
            field: "KERB_STORED_CREDENTIAL.OldCredentials",
            ..
        }
    ));
}

/// Builders size their output exactly: a buffer that grows reallocates and
/// leaves unzeroized copies of the keys in freed memory.
#[test]
fn secret_buffers_never_grow() {
    for (id, bytes) in supplemental_values() {
        let parsed = UserProperties::parse(&bytes).unwrap();
        let rebuilt = parsed.to_bytes().unwrap();
        assert_eq!(rebuilt.capacity(), rebuilt.len(), "{id} USER_PROPERTIES");
        if let Some(newer) = parsed.kerberos_newer_keys() {
            let b = newer.to_bytes().unwrap();
            assert_eq!(b.capacity(), b.len(), "{id} Primary:Kerberos-Newer-Keys");
        }
        if let Some(old) = parsed.kerberos() {
            let b = old.to_bytes().unwrap();
            assert_eq!(b.capacity(), b.len(), "{id} Primary:Kerberos");
        }
    }
}
