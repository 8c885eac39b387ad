//! The `derive` example's command-line contract: flags, JSON fields, exit codes.
//! Expected values are the vectors' (`tests/data`).

mod example_binary;

use example_binary::{example, run_with_stdin};
use std::process::Output;

fn derive(args: &[&str], stdin: &[u8]) -> Output {
    run_with_stdin(&example("derive"), args, stdin)
}

fn json(out: &Output) -> serde_json::Value {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn account_attributes_from_stdin() {
    // acct-s05: the UPN's name part salts, not the sAMAccountName.
    let out = derive(
        &[
            "--realm",
            "ONPREM.CONTOSO.COM",
            "--sam",
            "jsmith",
            "--upn",
            "John.Smith@contoso.com",
        ],
        b"Welcome1\n",
    );
    let v = json(&out);
    assert_eq!(v["salt"], "ONPREM.CONTOSO.COMJohn.Smith");
    assert_eq!(
        v["salt_hex"],
        "4f4e5052454d2e434f4e544f534f2e434f4d4a6f686e2e536d697468"
    );
    assert_eq!(v["iterations"], 4096);
    assert_eq!(v["nt_hash"], "cf3a5525ee9414229e66279623ed5c58");
    assert_eq!(v["aes128"], "1ec34c36846441bbea28f31bb6c451b7");
    assert_eq!(
        v["aes256"],
        "07f68b533052ffb906fffe75dbd2c2a6385a0ee6ce8fc154f0bf028c8feba6b5"
    );
    assert!(v.get("org_id").is_none());
}

#[test]
fn computer_account_defaults_dns_domain_to_lower_realm() {
    // acct-s11.
    let out = derive(
        &[
            "--realm",
            "ONPREM.CONTOSO.COM",
            "--sam",
            "WKS01$",
            "--uac",
            "4096",
            "--password-hex",
            "4d616368696e652d50617373773072642d31323334353637383930",
        ],
        b"",
    );
    let v = json(&out);
    assert_eq!(v["salt"], "ONPREM.CONTOSO.COMhostwks01.onprem.contoso.com");
    assert_eq!(
        v["aes256"],
        "7bcadeaad6ffdbdcb8333ece1a7a0937503f8743ff8add46589e3bb66781735a"
    );
}

#[test]
fn explicit_salt_iterations_and_org_id() {
    // RFC 3962 B (iteration count 2) and DSInternals TestVector1 for the OrgId.
    let out = derive(
        &[
            "--salt",
            "ATHENA.MIT.EDUraeburn",
            "--iterations",
            "2",
            "--org-id-salt",
            "181a3024085fcee2f70e",
        ],
        b"password",
    );
    let v = json(&out);
    assert_eq!(v["aes128"], "c651bf29e2300ac27fa469d693bdda13");
    let out = derive(
        &["--salt", "x", "--org-id-salt", "181a3024085fcee2f70e"],
        b"Pa$$w0rd\n",
    );
    assert_eq!(
        json(&out)["org_id"],
        "v1;PPH1_MD4,181a3024085fcee2f70e,1000,b39525c3bc72a1136fcf7c8a338e0c14313d0450d1a4c98ef0a6ddada3bc5b0a;"
    );
}

#[test]
fn nt_hash_derives_only_the_org_id() {
    // DSInternals historical vector: 100 iterations.
    let out = derive(
        &[
            "--nt-hash",
            "92937945b518814341de3f726500d4ff",
            "--org-id-salt",
            "317ee9d1dec6508fa510",
            "--org-id-iterations",
            "100",
        ],
        b"",
    );
    let v = json(&out);
    assert_eq!(
        v["org_id"],
        "v1;PPH1_MD4,317ee9d1dec6508fa510,100,f4a257ffec53809081a605ce8ddedfbc9df9777b80256763bc0a6dd895ef404f;"
    );
    assert!(v.get("aes256").is_none());
}

#[test]
fn unpaired_surrogate_password() {
    // "a" + lone high surrogate: the NT hash runs over the raw units, the
    // AES keys over "a\u{FFFD}", so both must equal a password typed as "a\u{FFFD}"
    // for AES, and differ from it for the NT hash.
    let raw = derive(
        &[
            "--salt",
            "S",
            "--iterations",
            "1",
            "--password-utf16le-hex",
            "610000d8",
        ],
        b"",
    );
    let replaced = derive(
        &["--salt", "S", "--iterations", "1"],
        "a\u{FFFD}".as_bytes(),
    );
    let (raw, replaced) = (json(&raw), json(&replaced));
    assert_eq!(raw["aes256"], replaced["aes256"]);
    assert_ne!(raw["nt_hash"], replaced["nt_hash"]);
}

#[test]
fn bad_arguments_exit_2_with_one_line() {
    let cases: &[&[&str]] = &[
        &["--salt", "x", "--iterations", "0"],
        &["--salt", "x", "--iterations", "many"],
        &["--salt-hex", "zz"],
        &["--salt", "x", "--salt-hex", "00"],
        &["--sam", "bob"],
        &["--realm", "R", "--sam", ""],
        &["--salt", "x", "--unknown"],
        &["--salt", "x", "--org-id-salt", "0011"],
        &["--salt", "x", "--password-utf16le-hex", "414"],
        &["--nt-hash", "00"],
        &["--iterations"],
        &[],
    ];
    for args in cases {
        let out = derive(args, b"pw");
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert_eq!(stderr.trim_end().lines().count(), 1, "{args:?}: {stderr}");
        assert!(out.stdout.is_empty(), "{args:?}");
        assert!(
            !stderr.contains("pw"),
            "{args:?} leaks the password: {stderr}"
        );
    }
}
