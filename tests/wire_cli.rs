//! The `envelope` and `drs_decrypt` examples' command-line contracts:
//! flags, stdin/stdout, exit codes. Expected values come from the
//! independent vectors in `tests/data/envelope` and `tests/data/drs`.

mod example_binary;

use std::process::Output;

use base64::Engine as _;
use example_binary::{example, run_with_stdin};
use serde_json::Value;

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data");

fn run(name: &str, args: &[&str], stdin: &str) -> Output {
    run_with_stdin(&example(name), args, stdin.as_bytes())
}

fn stdout(out: &Output) -> String {
    assert!(
        out.status.success(),
        "exit {:?}: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout.clone()).unwrap();
    assert!(
        text.ends_with('\n') && text.matches('\n').count() == 1,
        "{text:?}"
    );
    text.trim_end().to_owned()
}

/// Exit `code` with one line on stderr that contains `needle`, nothing on stdout.
fn assert_fails(out: &Output, code: i32, needle: &str) {
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(code), "{err}");
    assert!(out.stdout.is_empty());
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(err.contains(needle), "{err:?} lacks {needle:?}");
}

fn json(path: &str) -> Value {
    serde_json::from_slice(&std::fs::read(format!("{DATA}/{path}")).unwrap()).unwrap()
}

fn file(name: &str) -> String {
    format!("{DATA}/envelope/{name}")
}

/// `envelope open` with the managed domain's certificate and key.
fn open(stdin: &str) -> Output {
    run(
        "envelope",
        &[
            "open",
            "--cert",
            &file("managed_domain_cert.pem"),
            "--key",
            &file("managed_domain_key.pem"),
        ],
        stdin,
    )
}

#[test]
fn envelope_open_opens_the_scripts_envelopes() {
    let doc = json("envelope/vectors.json");
    let cert = file("managed_domain_cert.pem");
    for v in doc["fixed_key_material"].as_array().unwrap() {
        for (key, field) in [
            ("managed_domain_key.pem", "envelope_b64"),
            ("managed_domain_key_pkcs1.pem", "envelope_random_oaep_b64"),
        ] {
            let out = run(
                "envelope",
                &["open", "--cert", &cert, "--key", &file(key)],
                &format!("{}\n", v[field].as_str().unwrap()),
            );
            assert_eq!(stdout(&out), v["plaintext_hex"].as_str().unwrap());
        }
    }
}

#[test]
fn envelope_seal_then_open() {
    let doc = json("envelope/vectors.json");
    let plaintext = "5a000900100000001111111111111111111111111111111a";
    let sealed = stdout(&run(
        "envelope",
        &["seal", "--cert", &file("managed_domain_cert.der")],
        &format!("{plaintext}\n"),
    ));
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(&sealed)
        .unwrap();
    // Header and thumbprint as the script's layout has them.
    assert_eq!(bytes[..4], 1i32.to_le_bytes());
    assert_eq!(
        hex::encode(&bytes[32..52]),
        doc["thumbprint_hex"].as_str().unwrap()
    );
    assert_eq!(stdout(&open(&format!("{sealed}\n"))), plaintext);
}

#[test]
fn envelope_errors() {
    let doc = json("envelope/vectors.json");
    // The wrong certificate is named.
    let other = doc["other_thumbprint_hex"].as_str().unwrap().to_uppercase();
    let out = open(&format!("{}\n", doc["sealed_to_other"].as_str().unwrap()));
    assert_fails(&out, 1, &other);
    // Truncated, not base64, empty.
    let good = doc["fixed_key_material"][0]["envelope_b64"]
        .as_str()
        .unwrap();
    let short = base64::engine::general_purpose::STANDARD.encode(
        &base64::engine::general_purpose::STANDARD
            .decode(good)
            .unwrap()[..100],
    );
    assert_fails(&open(&format!("{short}\n")), 1, "wrapped key");
    assert_fails(&open("!!not base64!!\n"), 1, "base64");
    assert_fails(&open(""), 1, "version");
    // Seal: bad hex; a key where the certificate belongs.
    let seal = |cert: &str, stdin: &str| run("envelope", &["seal", "--cert", cert], stdin);
    assert_fails(&seal(&file("managed_domain_cert.pem"), "xyz\n"), 1, "hex");
    assert_fails(
        &seal(&file("managed_domain_key.pem"), "00\n"),
        1,
        "certificate",
    );
    assert_fails(&seal("/nonexistent/cert.pem", "00\n"), 1, "cannot read");
}

#[test]
fn envelope_usage() {
    let help = run("envelope", &["--help"], "");
    assert_eq!(help.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&help.stdout).contains("seal --cert FILE"));
    for args in [
        &[][..],
        &["seal"],
        &["open", "--cert", "c.pem"],
        &["seal", "--cert", "c.pem", "--key", "k.pem"],
        &["frobnicate", "--cert", "c.pem"],
        &["seal", "--cert", "c.pem", "--bogus"],
        &["seal", "--cert"],
    ] {
        let out = run("envelope", args, "");
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(out.stdout.is_empty(), "{args:?}");
    }
}

#[test]
fn drs_decrypt_decrypts_every_vector_it_names() {
    let doc = json("drs/vectors.json");
    let mut seen = Vec::new();
    for v in doc["vectors"].as_array().unwrap() {
        let attribute = v["attribute"].as_str().unwrap();
        if !["unicodePwd", "ntPwdHistory", "supplementalCredentials"].contains(&attribute) {
            continue;
        }
        seen.push(attribute);
        let rid = v["rid"].to_string();
        let key = v["session_key_hex"].as_str().unwrap();
        let mut args = vec!["--session-key", key, "--attribute", attribute];
        if attribute != "supplementalCredentials" {
            args.extend(["--rid", &rid]);
        }
        let out = run(
            "drs_decrypt",
            &args,
            &format!("{}\n", v["encrypted_hex"].as_str().unwrap()),
        );
        assert_eq!(
            stdout(&out),
            v["secret_hex"].as_str().unwrap(),
            "{attribute}"
        );
    }
    assert!(seen.contains(&"unicodePwd") && seen.contains(&"ntPwdHistory"));
    assert!(seen.contains(&"supplementalCredentials"));
}

#[test]
fn drs_decrypt_errors_and_usage() {
    let doc = json("drs/vectors.json");
    let v = &doc["vectors"][0];
    assert_eq!(v["attribute"], "unicodePwd");
    let key = v["session_key_hex"].as_str().unwrap();
    let encrypted = v["encrypted_hex"].as_str().unwrap();
    let rid = v["rid"].to_string();
    let args = [
        "--session-key",
        key,
        "--attribute",
        "unicodePwd",
        "--rid",
        &rid,
    ];
    // A flipped bit: checksum mismatch.
    let mut bad = hex::decode(encrypted).unwrap();
    bad[20] ^= 1;
    assert_fails(
        &run("drs_decrypt", &args, &format!("{}\n", hex::encode(bad))),
        1,
        "checksum",
    );
    assert_fails(&run("drs_decrypt", &args, "zz\n"), 1, "hex");
    assert_fails(&run("drs_decrypt", &args, "00\n"), 1, "shorter");

    let help = run("drs_decrypt", &["--help"], "");
    assert_eq!(help.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&help.stdout).contains("--session-key HEX"));
    for args in [
        &["--session-key", key, "--attribute", "unicodePwd"][..],
        &["--session-key", key, "--attribute", "ntPwdHistory"],
        &["--attribute", "supplementalCredentials"],
        &["--session-key", key],
        &[
            "--session-key",
            "xyz",
            "--attribute",
            "supplementalCredentials",
        ],
        &["--session-key", key, "--attribute", "userPassword"],
        &[
            "--session-key",
            key,
            "--attribute",
            "unicodePwd",
            "--rid",
            "-1",
        ],
        &[
            "--session-key",
            key,
            "--attribute",
            "unicodePwd",
            "--rid",
            "1",
            "extra",
        ],
    ] {
        let out = run("drs_decrypt", args, &format!("{encrypted}\n"));
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(out.stdout.is_empty(), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    }
    let missing_rid = run(
        "drs_decrypt",
        &["--session-key", key, "--attribute", "unicodePwd"],
        "",
    );
    assert!(String::from_utf8_lossy(&missing_rid.stderr).contains("--rid"));
}
