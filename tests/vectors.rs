//! Known-answer tests for the derivation core. Expected values come from
//! `tests/data` (MIT krb5, Samba, impacket, DSInternals) and from the
//! RFC texts; none is computed by the crate.

use hashsync::crypto::{aes_keys_from_utf8, aes_pbkdf2, nfold};
use hashsync::{
    AccountSaltAttributes, EncryptionType, Error, Iterations, NtHash, OrgIdError, OrgIdHash,
    Password, Salt, aes_keys, nt_hash, org_id_hash, string_to_key,
};
use serde_json::Value;

fn load(name: &str) -> Vec<Value> {
    let path = format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let doc: Value = serde_json::from_str(&text).unwrap();
    doc["vectors"].as_array().unwrap().clone()
}

fn of_kind(file: &str, kind: &str) -> Vec<Value> {
    let all: Vec<Value> = load(file)
        .into_iter()
        .filter(|v| v["kind"] == kind)
        .collect();
    assert!(!all.is_empty(), "no {kind} vectors in {file}");
    all
}

fn hex(v: &Value) -> Vec<u8> {
    hex::decode(v.as_str().unwrap()).unwrap()
}

/// Both AES keys against a vector's `aes256_key_hex` and `aes128_key_hex`.
fn assert_keys_match(keys: &hashsync::AesKeys, expected: &Value, id: &Value) {
    assert_eq!(
        keys.aes256.expose_secret(),
        hex(&expected["aes256_key_hex"]),
        "{id} aes256"
    );
    assert_eq!(
        keys.aes128.expose_secret(),
        hex(&expected["aes128_key_hex"]),
        "{id} aes128"
    );
}

fn text(v: &Value) -> &str {
    v.as_str().unwrap()
}

#[test]
fn nfold_vectors_file() {
    for v in of_kind("ad_legacy.json", "nfold") {
        let input = &v["input"];
        let mut out = vec![0u8; input["output_bits"].as_u64().unwrap() as usize / 8];
        nfold(&hex(&input["input_hex"]), &mut out);
        assert_eq!(out, hex(&v["expected"]["output_hex"]), "{}", v["id"]);
    }
}

/// RFC 3961 Appendix A.1, the rows the vectors file does not carry.
#[test]
fn nfold_rfc3961_a1() {
    let rows: &[(&str, usize, &str)] = &[
        ("Rough Consensus, and Running Code", 64, "bb6ed30870b7f0e0"),
        (
            "password",
            168,
            "59e4a8ca7c0385c3c37b3f6d2000247cb6e6bd5b3e",
        ),
        (
            "MASSACHVSETTS INSTITVTE OF TECHNOLOGY",
            192,
            "db3b0d8f0b061e603282b308a50841229ad798fab9540c1b",
        ),
        ("Q", 168, "518a54a215a8452a518a54a215a8452a518a54a215"),
        ("ba", 168, "fb25d531ae8974499f52fd92ea9857c4ba24cf297e"),
        ("kerberos", 64, "6b65726265726f73"),
        (
            "kerberos",
            168,
            "8372c236344e5f1550cd0747e15d62ca7a5a3bcea4",
        ),
    ];
    for (input, bits, expected) in rows {
        let mut out = vec![0u8; bits / 8];
        nfold(input.as_bytes(), &mut out);
        assert_eq!(hex::encode(out), *expected, "{bits}-fold({input:?})");
    }
}

#[test]
fn string_to_key_vectors_file() {
    for v in of_kind("ad_legacy.json", "string_to_key") {
        let (input, expected) = (&v["input"], &v["expected"]);
        let id = &v["id"];
        let password_utf8 = hex(&input["password_utf8_hex"]);
        let salt = Salt::new(hex(&input["salt_hex"]));
        let iterations = Iterations::new(input["iterations"].as_u64().unwrap() as u32).unwrap();

        if let Some(pbkdf2) = expected.get("aes256_pbkdf2_hex") {
            let mut out = [0u8; 32];
            aes_pbkdf2(&password_utf8, &salt, iterations, &mut out);
            assert_eq!(out.to_vec(), hex(pbkdf2), "{id} aes256 pbkdf2");
            let mut out = [0u8; 16];
            aes_pbkdf2(&password_utf8, &salt, iterations, &mut out);
            assert_eq!(
                out.to_vec(),
                hex(&expected["aes128_pbkdf2_hex"]),
                "{id} aes128 pbkdf2"
            );
        }

        let keys = aes_keys_from_utf8(&password_utf8, &salt, iterations);
        assert_keys_match(&keys, expected, id);

        // The same through Password and through the one-etype entry point.
        let password = Password::new(std::str::from_utf8(&password_utf8).unwrap());
        assert_eq!(aes_keys(&password, &salt, iterations), keys, "{id}");
        for key in [&keys.aes256, &keys.aes128] {
            let single = string_to_key(key.etype(), &password, &salt, iterations).unwrap();
            assert_eq!(&single, key, "{id} {:?}", key.etype());
        }
        if let Some(nt) = expected.get("nt_hash_hex") {
            assert_eq!(
                nt_hash(&password).expose_secret().to_vec(),
                hex(nt),
                "{id} nt"
            );
            let rc4 =
                string_to_key(EncryptionType::RC4_HMAC, &password, &salt, iterations).unwrap();
            assert_eq!(rc4.expose_secret(), hex(nt), "{id} rc4");
        }
    }
}

/// RFC 3962 Appendix B, the vectors the file does not carry: a binary salt,
/// passwords of exactly and just over one HMAC block, and a non-BMP character.
#[test]
fn string_to_key_rfc3962_appendix_b() {
    let x64 = "X".repeat(64);
    let x65 = "X".repeat(65);
    /// password, salt, iterations, 256-bit PBKDF2 output, AES128 key, AES256 key.
    type Row<'a> = (&'a str, &'a [u8], u32, &'a str, &'a str, &'a str);
    let rows: &[Row] = &[
        (
            "password",
            &[0x12, 0x34, 0x56, 0x78, 0x78, 0x56, 0x34, 0x12],
            5,
            "d1daa78615f287e6a1c8b120d7062a493f98d203e6be49a6adf4fa574b6e64ee",
            "e9b23d52273747dd5c35cb55be619d8e",
            "97a4e786be20d81a382d5ebc96d5909cabcdadc87ca48f574504159f16c36e31",
        ),
        (
            &x64,
            b"pass phrase equals block size",
            1200,
            "139c30c0966bc32ba55fdbf212530ac9c5ec59f1a452f5cc9ad940fea0598ed1",
            "59d1bb789a828b1aa54ef9c2883f69ed",
            "89adee3608db8bc71f1bfbfe459486b05618b70cbae22092534e56c553ba4b34",
        ),
        (
            &x65,
            b"pass phrase exceeds block size",
            1200,
            "9ccad6d468770cd51b10e6a68721be611a8b4d282601db3b36be9246915ec82a",
            "cb8005dc5f90179a7f02104c0018751d",
            "d78c5c9cb872a8c9dad4697f0bb5b2d21496c82beb2caeda2112fceea057401b",
        ),
        (
            "\u{1D11E}",
            b"EXAMPLE.COMpianist",
            50,
            "6b9cf26d45455a43a5b8bb276a403b39e7fe37a0c41e02c281ff3069e1e94f52",
            "f149c1f2e154a73452d43e7fe62a56e5",
            "4b6d9839f84406df1f09cc166db4b83c571848b784a3d6bdc346589a3e393f9e",
        ),
    ];
    for (password, salt, iterations, pbkdf2, aes128, aes256) in rows {
        let salt = Salt::new(salt.to_vec());
        let iterations = Iterations::new(*iterations).unwrap();
        let mut out = [0u8; 32];
        aes_pbkdf2(password.as_bytes(), &salt, iterations, &mut out);
        assert_eq!(hex::encode(out), *pbkdf2);
        let keys = aes_keys(&Password::new(password), &salt, iterations);
        assert_eq!(keys.aes128.to_hex().as_str(), *aes128);
        assert_eq!(keys.aes256.to_hex().as_str(), *aes256);
    }
}

#[test]
fn nt_hash_vectors() {
    for v in of_kind("ad_legacy.json", "nt_hash") {
        let password = Password::from_utf16le(&hex(&v["input"]["password_utf16le_hex"])).unwrap();
        assert_eq!(
            nt_hash(&password).expose_secret().to_vec(),
            hex(&v["expected"]["nt_hash_hex"])
        );
    }
}

fn salt_for(input: &Value) -> Result<Salt, Error> {
    Salt::for_account(&AccountSaltAttributes {
        realm: text(&input["realm"]),
        dns_domain: text(&input["dns_domain"]),
        sam_account_name: text(&input["sAMAccountName"]),
        user_principal_name: input["userPrincipalName"].as_str(),
        user_account_control: input["userAccountControl"].as_u64().unwrap() as u32,
    })
}

#[test]
fn salt_rule_vectors() {
    for v in of_kind("ad_legacy.json", "salt") {
        let salt = salt_for(&v["input"]).unwrap();
        assert_eq!(
            salt.as_bytes(),
            hex(&v["expected"]["salt_hex"]),
            "{}",
            v["id"]
        );
    }
}

/// The trust-account rule of `vectors/README.md` (rule 1), which has no
/// Samba vector: `UPPER(realm) + "krbtgt" + name without one trailing "$"`.
#[test]
fn salt_rule_trust_account() {
    let salt = Salt::for_account(&AccountSaltAttributes {
        realm: "onprem.contoso.com",
        dns_domain: "onprem.contoso.com",
        sam_account_name: "FABRIKAM$",
        user_principal_name: Some("ignored@fabrikam.com"),
        user_account_control: 0x800,
    })
    .unwrap();
    assert_eq!(salt.as_bytes(), b"ONPREM.CONTOSO.COMkrbtgtFABRIKAM");
}

/// Rule 3: `/` separators are removed from the UPN's name part, and the part
/// after the last `@` is dropped.
#[test]
fn salt_rule_upn_separators() {
    let salt = Salt::for_account(&AccountSaltAttributes {
        realm: "ONPREM.CONTOSO.COM",
        dns_domain: "onprem.contoso.com",
        sam_account_name: "svc",
        user_principal_name: Some("http/web@odd@contoso.com"),
        user_account_control: 512,
    })
    .unwrap();
    assert_eq!(salt.as_bytes(), b"ONPREM.CONTOSO.COMhttpweb@odd");
}

#[test]
fn salt_rules_refuse_empty_names() {
    let base = AccountSaltAttributes {
        realm: "ONPREM.CONTOSO.COM",
        dns_domain: "onprem.contoso.com",
        sam_account_name: "",
        user_principal_name: None,
        user_account_control: 512,
    };
    let empty_sam = Error::EmptyAttribute {
        attribute: "sAMAccountName",
    };
    assert_eq!(Salt::for_account(&base), Err(empty_sam));
    for uac in [0x800, 0x1000, 0x2000] {
        let only_dollar = AccountSaltAttributes {
            sam_account_name: "$",
            user_account_control: uac,
            ..base
        };
        assert_eq!(
            Salt::for_account(&only_dollar),
            Err(empty_sam),
            "uac {uac:#x}"
        );
    }
    let empty_upn = AccountSaltAttributes {
        sam_account_name: "bob",
        user_principal_name: Some("@contoso.com"),
        ..base
    };
    assert_eq!(
        Salt::for_account(&empty_upn),
        Err(Error::EmptyAttribute {
            attribute: "userPrincipalName"
        })
    );
    let empty_realm = AccountSaltAttributes {
        sam_account_name: "bob",
        realm: "",
        ..base
    };
    assert_eq!(
        Salt::for_account(&empty_realm),
        Err(Error::EmptyAttribute { attribute: "realm" })
    );
}

#[test]
fn ad_account_vectors_salt_nt_and_aes() {
    for v in of_kind("ad_legacy.json", "ad_account") {
        let (input, expected, id) = (&v["input"], &v["expected"], &v["id"]);
        let salt = salt_for(input).unwrap();
        assert_eq!(salt.as_bytes(), hex(&expected["salt_hex"]), "{id} salt");
        let password = Password::from_utf16le(&hex(&input["password_utf16le_hex"])).unwrap();
        password.check_ad_length().unwrap();
        assert_eq!(
            &password.to_utf8_lossy()[..],
            &hex(&input["password_utf8_hex"])[..],
            "{id} utf8"
        );
        assert_eq!(
            nt_hash(&password).expose_secret().to_vec(),
            hex(&expected["nt_hash_hex"]),
            "{id} nt"
        );
        let iterations = Iterations::new(expected["iterations"].as_u64().unwrap() as u32).unwrap();
        assert_eq!(iterations, Iterations::KERBEROS_DEFAULT);
        let keys = aes_keys(&password, &salt, iterations);
        assert_keys_match(&keys, expected, id);
    }
}

#[test]
fn org_id_vectors() {
    for v in of_kind("org_id.json", "org_id") {
        let (input, expected, id) = (&v["input"], &v["expected"], &v["id"]);
        let nt = match input.get("password_utf16le_hex") {
            Some(utf16) => {
                let password = Password::from_utf16le(&hex(utf16)).unwrap();
                let nt = nt_hash(&password);
                assert_eq!(
                    nt.expose_secret().to_vec(),
                    hex(&expected["nt_hash_hex"]),
                    "{id} nt"
                );
                nt
            }
            None => NtHash::from_slice(&hex(&input["nt_hash_hex"])).unwrap(),
        };
        let salt: [u8; 10] = hex(&input["salt_hex"]).try_into().unwrap();
        let iterations = Iterations::new(input["iterations"].as_u64().unwrap() as u32).unwrap();
        let org_id = org_id_hash(&nt, salt, iterations);
        let want = text(&expected["org_id"]);
        assert_eq!(org_id.encode().as_str(), want, "{id}");

        // Parsing honours the string's own iteration count (100 in old agents).
        let parsed = OrgIdHash::parse(want).unwrap();
        assert_eq!(parsed.iterations(), iterations.get());
        assert_eq!(parsed, org_id);
        assert!(parsed.verify_nt_hash(&nt), "{id} verify nt");
        if let Some(password) = input.get("password") {
            assert!(
                parsed.verify_password(&Password::new(text(password))),
                "{id} verify password"
            );
            assert!(
                !parsed.verify_password(&Password::new("wrong")),
                "{id} wrong password"
            );
        }
        assert!(
            !parsed.verify_nt_hash(&NtHash::from_bytes([0; 16])),
            "{id} wrong nt"
        );
    }
}

#[test]
fn org_id_negative_vector() {
    for v in of_kind("org_id.json", "org_id_negative") {
        let input = &v["input"];
        let nt = nt_hash(&Password::new(text(&input["password"])));
        let salt: [u8; 10] = hex(&input["salt_hex"]).try_into().unwrap();
        let iterations = Iterations::new(input["iterations"].as_u64().unwrap() as u32).unwrap();
        let ours = org_id_hash(&nt, salt, iterations);
        let wrong = text(&v["expected"]["must_not_equal"]);
        assert_ne!(ours.encode().as_str(), wrong);
        assert!(!OrgIdHash::parse(wrong).unwrap().verify_nt_hash(&nt));
    }
}

#[test]
fn org_id_random_salt_is_fresh_and_verifies() {
    let nt = nt_hash(&Password::new("Pa$$w0rd"));
    let a = OrgIdHash::generate(&nt, Iterations::ORG_ID_DEFAULT).unwrap();
    let b = OrgIdHash::generate(&nt, Iterations::ORG_ID_DEFAULT).unwrap();
    assert_ne!(a.salt(), b.salt());
    assert!(a.verify_nt_hash(&nt) && b.verify_nt_hash(&nt));
    assert_eq!(a.iterations(), 1000);
}

#[test]
fn malformed_org_id_strings() {
    let good_salt = "181a3024085fcee2f70e";
    let good_hash = "b39525c3bc72a1136fcf7c8a338e0c14313d0450d1a4c98ef0a6ddada3bc5b0a";
    let cases: Vec<(String, OrgIdError)> = vec![
        (
            format!("v2;PPH1_MD4,{good_salt},1000,{good_hash};"),
            OrgIdError::WrongPrefix,
        ),
        (
            format!("v1;PPH1_SHA,{good_salt},1000,{good_hash};"),
            OrgIdError::WrongPrefix,
        ),
        (String::new(), OrgIdError::WrongPrefix),
        (
            format!("v1;PPH1_MD4,{good_salt},1000,{good_hash}"),
            OrgIdError::MissingTerminator,
        ),
        (
            format!("v1;PPH1_MD4,{good_salt},{good_hash};"),
            OrgIdError::FieldCount { found: 2 },
        ),
        (
            format!("v1;PPH1_MD4,{good_salt},1000,{good_hash},x;"),
            OrgIdError::FieldCount { found: 4 },
        ),
        (
            format!("v1;PPH1_MD4,zz1a3024085fcee2f70e,1000,{good_hash};"),
            OrgIdError::NotHex { field: "salt" },
        ),
        (
            format!(
                "v1;PPH1_MD4,{good_salt},1000,g39525c3bc72a1136fcf7c8a338e0c14313d0450d1a4c98ef0a6ddada3bc5b0a;"
            ),
            OrgIdError::NotHex { field: "hash" },
        ),
        (
            format!("v1;PPH1_MD4,181a3024,1000,{good_hash};"),
            OrgIdError::WrongLength {
                field: "salt",
                expected: 20,
                found: 8,
            },
        ),
        (
            format!("v1;PPH1_MD4,{good_salt},1000,{};", &good_hash[..62]),
            OrgIdError::WrongLength {
                field: "hash",
                expected: 64,
                found: 62,
            },
        ),
        (
            format!("v1;PPH1_MD4,{good_salt},0,{good_hash};"),
            OrgIdError::BadIterations,
        ),
        (
            format!("v1;PPH1_MD4,{good_salt},-5,{good_hash};"),
            OrgIdError::BadIterations,
        ),
        (
            format!("v1;PPH1_MD4,{good_salt},+5,{good_hash};"),
            OrgIdError::BadIterations,
        ),
        (
            format!("v1;PPH1_MD4,{good_salt},99999999999,{good_hash};"),
            OrgIdError::BadIterations,
        ),
        (
            format!("v1;PPH1_MD4,{good_salt},,{good_hash};"),
            OrgIdError::BadIterations,
        ),
    ];
    for (input, want) in cases {
        assert_eq!(OrgIdHash::parse(&input).unwrap_err(), want, "{input:?}");
        let as_crate_error: Error = want.into();
        assert!(
            as_crate_error
                .to_string()
                .starts_with("malformed OrgId hash")
        );
    }
    // Upper-case hex is accepted, and re-encodes lower-case.
    let upper = format!(
        "v1;PPH1_MD4,{},1000,{};",
        good_salt.to_uppercase(),
        good_hash.to_uppercase()
    );
    let parsed = OrgIdHash::parse(&upper).unwrap();
    assert_eq!(
        parsed.encode().as_str(),
        format!("v1;PPH1_MD4,{good_salt},1000,{good_hash};")
    );
}

#[test]
fn zero_iterations_is_an_error() {
    assert_eq!(Iterations::new(0), Err(Error::ZeroIterations));
    assert_eq!(Iterations::new(1).map(Iterations::get), Ok(1));
}

#[test]
fn ad_password_cap_is_256_units() {
    let ok = Password::from_utf16(vec![0x41; 256]);
    assert_eq!(ok.check_ad_length(), Ok(()));
    let long = Password::from_utf16(vec![0x41; 257]);
    assert_eq!(
        long.check_ad_length(),
        Err(Error::PasswordTooLong {
            units: 257,
            max: 256
        })
    );
    // The derivations themselves take any length (as MIT Kerberos does).
    let salt = Salt::from("ONPREM.CONTOSO.COMalice");
    let _ = aes_keys(&long, &salt, Iterations::new(1).unwrap());
    let _ = nt_hash(&long);
}

#[test]
fn odd_utf16_length_is_an_error() {
    assert_eq!(
        Password::from_utf16le(&[0x41, 0x00, 0x42]).unwrap_err(),
        Error::OddUtf16Length { len: 3 }
    );
}

#[test]
fn unsupported_etype_is_an_error() {
    let err = string_to_key(
        EncryptionType::DES_CBC_MD5,
        &Password::new("x"),
        &Salt::from("s"),
        Iterations::default(),
    )
    .unwrap_err();
    assert_eq!(err, Error::UnsupportedEncryptionType { etype: 3 });
}

/// Formats every secret type with `{:?}` and `{:#?}` and checks that no
/// byte of the secret appears, in hex or as text.
#[test]
fn debug_never_shows_secret_bytes() {
    let password = Password::new("Hunter2-Secret");
    let nt = nt_hash(&password);
    let keys = aes_keys(
        &password,
        &Salt::from("ONPREM.CONTOSO.COMalice"),
        Iterations::new(1).unwrap(),
    );
    let org_id = org_id_hash(&nt, [7; 10], Iterations::new(1).unwrap());
    let secrets: Vec<(String, Vec<u8>)> = vec![
        (format!("{password:?}{password:#?}"), b"Hunter2".to_vec()),
        (format!("{nt:?}{nt:#?}"), nt.expose_secret().to_vec()),
        (
            format!("{:?}{:#?}", keys.aes256, keys.aes256),
            keys.aes256.expose_secret().to_vec(),
        ),
        (
            format!("{keys:?}{keys:#?}"),
            keys.aes128.expose_secret().to_vec(),
        ),
        (
            format!("{:?}", nt.to_rc4_key()),
            nt.expose_secret().to_vec(),
        ),
        (
            format!("{org_id:?}{org_id:#?}"),
            org_id.expose_secret().to_vec(),
        ),
    ];
    for (formatted, secret) in secrets {
        assert!(formatted.contains("REDACTED"), "{formatted}");
        let lower = hex::encode(&secret);
        for window in [&lower[..8], &lower[lower.len() - 8..]] {
            assert!(
                !formatted.to_lowercase().contains(window),
                "{formatted} shows {window}"
            );
        }
        assert!(!formatted.contains("Hunter2"), "{formatted}");
        let as_decimal = format!("{}, {}", secret[0], secret[1]);
        assert!(
            !formatted.contains(&as_decimal),
            "{formatted} shows bytes {as_decimal}"
        );
    }
}

#[test]
fn secrets_compare_by_value() {
    assert_eq!(Password::new("a"), Password::new("a"));
    assert_ne!(Password::new("a"), Password::new("b"));
    assert_ne!(Password::new("a"), Password::new("aa"));
    let a = NtHash::from_bytes([1; 16]);
    assert_eq!(a, NtHash::from_bytes([1; 16]));
    assert_ne!(a, NtHash::from_bytes([2; 16]));
}
