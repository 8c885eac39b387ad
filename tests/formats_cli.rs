//! The `inspect` and `keytab` examples' command-line contracts: flags, JSON
//! fields, exit codes. Expected values are the vectors' (`tests/data`).

mod ad_vectors;
mod example_binary;

use example_binary::{example, run_with_stdin};
use std::path::PathBuf;
use std::process::{Command, Output};

use ad_vectors::{num, text};
use serde_json::Value;

fn run(name: &str, args: &[&str], stdin: &[u8]) -> Output {
    run_with_stdin(&example(name), args, stdin)
}

fn strings(v: &Value) -> Vec<&str> {
    v.as_array().unwrap().iter().map(text).collect()
}

#[test]
fn inspect_prints_every_vector_field() {
    for vector in ad_vectors::of_kind("ad_account") {
        let id = text(&vector["id"]);
        let sc = &vector["expected"]["supplementalCredentials"];
        let out = run("inspect", &[], format!("{}\n", text(&sc["b64"])).as_bytes());
        assert!(
            out.status.success(),
            "{id}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let json: Value = serde_json::from_slice(&out.stdout).unwrap();
        let keys: Vec<&str> = json
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        let mut expected_keys = [
            "salt",
            "iterations",
            "packages",
            "keys",
            "des_keys",
            "wdigest",
            "cleartext_utf16le",
        ];
        expected_keys.sort();
        let mut sorted = keys.clone();
        sorted.sort();
        assert_eq!(sorted, expected_keys, "{id}");

        assert_eq!(json["salt"], vector["expected"]["salt"], "{id}");
        assert_eq!(json["iterations"], vector["expected"]["iterations"], "{id}");
        assert_eq!(
            strings(&json["packages"]),
            strings(&sc["packages_value"]),
            "{id}"
        );
        let nk = &sc["kerberos_newer_keys"];
        let mut expected = Vec::new();
        for (generation, list) in [
            ("current", &nk["Credentials"]),
            ("old", &nk["OldCredentials"]),
            ("older", &nk["OlderCredentials"]),
        ] {
            for k in list.as_array().unwrap() {
                expected.push(serde_json::json!({
                    "generation": generation,
                    "etype": k["KeyType"],
                    "iterations": k["IterationCount"],
                    "key": k["Key"],
                }));
            }
        }
        assert_eq!(json["keys"].as_array().unwrap(), &expected, "{id}");
        assert_eq!(json["keys"][0]["key"], vector["expected"]["aes256_key_hex"]);
        let k = &sc["kerberos"];
        let mut expected = Vec::new();
        for (generation, list) in [
            ("current", &k["Credentials"]),
            ("old", &k["OldCredentials"]),
        ] {
            for key in list.as_array().unwrap() {
                expected.push(serde_json::json!({
                    "generation": generation,
                    "etype": key["KeyType"],
                    "key": key["Key"],
                }));
            }
        }
        assert_eq!(json["des_keys"].as_array().unwrap(), &expected, "{id}");
        assert_eq!(
            json["wdigest"], vector["expected"]["wdigest_hashes_hex"],
            "{id}"
        );
        assert_eq!(json["cleartext_utf16le"], Value::Null, "{id}");
        assert_eq!(out.stdout.iter().filter(|b| **b == b'\n').count(), 1);
    }
}

fn assert_one_line_error(out: &Output, needle: &str) {
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert!(out.stdout.is_empty());
    let stderr = String::from_utf8(out.stderr.clone()).unwrap();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains(needle), "{stderr:?} does not name {needle}");
}

#[test]
fn inspect_rejects_malformed_input_naming_the_field() {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD;
    let good = ad_vectors::supplemental_bytes(&ad_vectors::of_kind("ad_account")[0]);

    let mut bad = good.clone();
    bad[108] = 0x51;
    assert_one_line_error(
        &run("inspect", &[], b64.encode(&bad).as_bytes()),
        "USER_PROPERTIES.PropertySignature",
    );
    let mut bad = good.clone();
    let (_, _, offset, _) = ad_vectors::property_layout(&good)[3];
    bad[offset + 4] = b'x';
    assert_one_line_error(
        &run("inspect", &[], b64.encode(&bad).as_bytes()),
        "Primary:WDigest value",
    );
    assert_one_line_error(
        &run("inspect", &[], b64.encode(&good[..500]).as_bytes()),
        "USER_PROPERTIES.Length",
    );
    assert_one_line_error(&run("inspect", &[], b"not base64!"), "base64");
}

#[test]
fn keytab_writes_the_ktutil_vector() {
    let v = &ad_vectors::of_kind("keytab")[0];
    let input = &v["input"];
    let dir = std::env::temp_dir().join(format!("hashsync-keytab-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let out_path = dir.join("vector.kt");
    let kvno = num(&input["kvno"]).to_string();
    let timestamp = num(&input["timestamp"]).to_string();
    let password = text(&input["informational"]["password"]);
    let base = [
        "--principal",
        text(&input["principal"]),
        "--kvno",
        &kvno,
        "--timestamp",
        &timestamp,
        "--etypes",
        "18,17,23",
        "--out",
        out_path.to_str().unwrap(),
    ];
    let expected = ad_vectors::hex(&v["expected"]["keytab_hex"]);

    // Salt from the account attributes, password on stdin.
    let mut args = base.to_vec();
    args.extend(["--realm", text(&input["realm"]), "--sam", "JohnDoe"]);
    let out = run("keytab", &args, format!("{password}\n").as_bytes());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(std::fs::read(&out_path).unwrap(), expected);
    assert_klist_lists_the_vector_keys(&out_path, v);
    let summary: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(summary["salt"], input["informational"]["salt_used"]);
    assert_eq!(summary["etypes"], serde_json::json!([18, 17, 23]));

    // Explicit salt, password as hex.
    let password_hex = hex::encode(password);
    let mut args = base.to_vec();
    args.extend([
        "--salt",
        text(&input["informational"]["salt_used"]),
        "--password-hex",
        &password_hex,
    ]);
    std::fs::remove_file(&out_path).unwrap();
    let out = run("keytab", &args, b"");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(std::fs::read(&out_path).unwrap(), expected);

    // Bad arguments: exit code 2, one line, nothing written.
    std::fs::remove_file(&out_path).unwrap();
    for (args, needle) in [
        (vec!["--out", out_path.to_str().unwrap()], "--principal"),
        (
            vec!["--principal", "a@R", "--out", out_path.to_str().unwrap()],
            "salt",
        ),
        (
            vec![
                "--principal",
                "a@R",
                "--salt",
                "x",
                "--etypes",
                "18,3",
                "--out",
                "f",
            ],
            "--etypes",
        ),
        (
            vec!["--principal", "nobody", "--salt", "x", "--out", "f"],
            "--principal",
        ),
    ] {
        let out = run("keytab", &args, b"pw\n");
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert_eq!(stderr.lines().count(), 1);
        assert!(stderr.contains(needle), "{stderr}");
        assert!(!out_path.exists());
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// `klist -k -e -K` (MIT krb5) lists the vector's keys for the file the
/// example wrote. Skipped with a warning when klist is missing, except
/// under `CI`.
fn assert_klist_lists_the_vector_keys(path: &std::path::Path, vector: &Value) {
    let klist = ["/usr/bin/klist", "/usr/local/bin/klist"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.is_file());
    let Some(klist) = klist else {
        assert!(std::env::var_os("CI").is_none(), "klist missing under CI");
        eprintln!("WARNING: klist (MIT krb5-user) missing; keytab example not checked with it");
        return;
    };
    let out = Command::new(klist)
        .args(["-k", "-e", "-K"])
        .arg(path)
        .env("KRB5_CONFIG", "/dev/null")
        .output()
        .unwrap();
    assert!(out.status.success());
    let listing = String::from_utf8(out.stdout).unwrap();
    let keys: Vec<String> = listing
        .lines()
        .filter_map(|l| l.split("(0x").nth(1))
        .map(|k| k.trim_end_matches(')').to_owned())
        .collect();
    let expected: Vec<&str> = vector["input"]["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| text(&e["key_hex"]))
        .collect();
    assert_eq!(keys, expected, "{listing}");
    assert!(listing.contains(text(&vector["input"]["principal"])));
}
