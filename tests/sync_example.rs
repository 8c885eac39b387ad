//! The `force_full_sync` example's command-line contract: the no-argument
//! tutorial run, `--directory`/`--out`/`--events` with cleartext and
//! pre-hashed (Samba DC) accounts, fault injection with crashes, bad
//! snapshots and bad flags.

mod example_binary;
mod sync_support;

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::Command;

use example_binary::example;
use hashsync::{NtHash, OrgIdHash, Password};
use serde_json::{Value, json};
use sync_support::*;

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("hashsync-sync-example-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

fn guid_text(n: u32) -> String {
    format!("{n:08x}-0000-4000-8000-0000000000a5")
}

/// Python: base64.b64encode(uuid.UUID(guid_text(n)).bytes_le) — the first
/// group little-endian, the rest as written.
fn anchor(n: u32) -> String {
    use base64::Engine as _;
    let mut bytes = [0u8; 16];
    bytes[..4].copy_from_slice(&n.to_le_bytes());
    bytes[4..8].copy_from_slice(&[0x00, 0x00, 0x00, 0x40]);
    bytes[8..].copy_from_slice(&[0x80, 0, 0, 0, 0, 0, 0, 0xa5]);
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// A snapshot of the vector users: the first half as cleartext, the rest
/// pre-hashed (unicodePwd + the Samba DC's supplementalCredentials), plus
/// out-of-scope accounts, with one password change per forest.
fn snapshot() -> Value {
    let vectors = user_vectors();
    let mut accounts = Vec::new();
    for (i, v) in vectors.iter().enumerate() {
        let n = i as u32 + 1;
        let mut account = json!({
            "object_guid": guid_text(n),
            "distinguished_name": format!("CN={},CN=Users,DC=onprem,DC=contoso,DC=com", v.sam),
            "object_class": "user",
            "sAMAccountName": v.sam,
            "userPrincipalName": v.upn,
            "userAccountControl": v.uac,
            "pwdLastSet": 133500000000000000u64,
            "adminDescription": null,
            "isCriticalSystemObject": false,
            "usn": 1000 + u64::from(n),
        });
        if i % 2 == 0 {
            account["password"] = json!(v.password);
        } else {
            account["unicodePwd_hex"] = json!(v.nt_hash_hex);
            account["supplementalCredentials_b64"] = json!(v.supplemental_b64);
        }
        accounts.push(account);
    }
    // Out of scope by the default rules; "filtered" only with selective
    // password hash sync in exclude mode (it is off by default).
    let out_of_scope = [
        ("disabled", json!({"userAccountControl": 514})),
        ("filtered", json!({"adminDescription": "PHSFiltered"})),
        ("MSOL_0123456789ab", json!({})),
        ("krbtgt", json!({"isCriticalSystemObject": true})),
        ("mustchange", json!({"pwdLastSet": 0})),
    ];
    for (k, (sam, fields)) in out_of_scope.iter().enumerate() {
        let n = 100 + k as u32;
        let mut account = json!({
            "object_guid": guid_text(n),
            "distinguished_name": format!("CN={sam},CN=Users,DC=onprem,DC=contoso,DC=com"),
            "object_class": "user",
            "sAMAccountName": sam,
            "userPrincipalName": null,
            "userAccountControl": 512,
            "pwdLastSet": 133500000000000000u64,
            "adminDescription": null,
            "isCriticalSystemObject": false,
            "usn": 2000 + u64::from(n),
            "password": "Out-Of-Scope-1",
        });
        for (key, value) in fields.as_object().unwrap() {
            account[key] = value.clone();
        }
        accounts.push(account);
    }
    json!({
        "tenant": {"force_password_change_on_logon": false, "sync_ntlm_passwords": true},
        "forests": [{
            "connector": AD,
            "realm": "ONPREM.CONTOSO.COM",
            "dns_domain": "onprem.contoso.com",
            "netbios_domain": "ONPREM",
            "accounts": accounts,
            "changes": [
                {"usn": 5000, "object_guid": guid_text(2), "password": "Changed-After-Full-1"},
                {"usn": 5001, "object_guid": guid_text(3), "password": "Changed-After-Full-2"}
            ]
        }]
    })
}

fn read_lines(path: &PathBuf) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// The newest credentials each in-scope account must end with.
fn expected() -> HashMap<String, (u64, NtHash, Option<String>)> {
    let mut map = HashMap::new();
    for (i, v) in user_vectors().iter().enumerate() {
        let n = i as u32 + 1;
        map.insert(
            anchor(n),
            (
                1000 + u64::from(n),
                NtHash::from_hex(&v.nt_hash_hex).unwrap(),
                Some(v.aes256_hex.clone()),
            ),
        );
    }
    for (n, usn, password) in [
        (2, 5000, "Changed-After-Full-1"),
        (3, 5001, "Changed-After-Full-2"),
    ] {
        map.insert(
            anchor(n),
            (usn, hashsync::nt_hash(&Password::new(password)), None),
        );
    }
    // `filtered` (PHSFiltered): in scope while selective sync is off.
    map.insert(
        anchor(101),
        (
            2101,
            hashsync::nt_hash(&Password::new("Out-Of-Scope-1")),
            None,
        ),
    );
    map
}

fn check_final_state(lines: &[Value], excused: &[(String, u64)]) {
    let mut last: HashMap<String, &Value> = HashMap::new();
    for line in lines {
        last.insert(line["source_anchor"].as_str().unwrap().to_owned(), line);
    }
    let expected = expected();
    for (anchor, (usn, nt, aes256)) in &expected {
        if excused.contains(&(anchor.clone(), *usn)) {
            continue;
        }
        let line = last
            .get(anchor)
            .unwrap_or_else(|| panic!("{anchor} never delivered"));
        assert_eq!(line["usn"].as_u64().unwrap(), *usn, "{anchor} not newest");
        assert_eq!(line["nt_hash"], nt.to_hex().as_str());
        let org_id: OrgIdHash = line["org_id"].as_str().unwrap().parse().unwrap();
        assert!(org_id.verify_nt_hash(nt));
        if let Some(aes256) = aes256 {
            let key = line["kerberos_keys"]
                .as_array()
                .unwrap()
                .iter()
                .find(|k| k["etype"] == 18)
                .unwrap();
            assert_eq!(key["key"], aes256.as_str());
        }
    }
    for anchor in last.keys() {
        assert!(expected.contains_key(anchor), "{anchor} is out of scope");
    }
}

#[test]
fn no_arguments_runs_the_tutorial_on_two_synthetic_forests() {
    let out = Command::new(example("force_full_sync")).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    for forest in ["onprem.contoso.com", "fabrikam.com"] {
        assert!(
            stderr.contains(&format!(
                "forest {forest}: full sync started (ForceFullPasswordSync)"
            )),
            "{stderr}"
        );
        assert!(
            stderr.contains(&format!("forest {forest}: full sync complete")),
            "{stderr}"
        );
        assert!(
            stderr.contains(&format!("forest {forest}: 5 password change(s)")),
            "{stderr}"
        );
    }
    assert!(
        stderr.contains("domain DC=fabrikam,DC=com: full sync complete"),
        "{stderr}"
    );
    assert!(stderr.contains("# Summary"));
    assert!(stderr.contains("ForceFullPasswordSync = 0"));
    let config: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(config["connectors"].as_array().unwrap().len() >= 3);
}

#[test]
fn directory_out_events_deliver_exactly_the_newest_credentials() {
    let (code, stderr, lines, events) = run_snapshot("snapshot", &snapshot(), &[]);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(
        lines.len(),
        user_vectors().len() + 1 + 2,
        "full sync (the vectors and the PHSFiltered account) then two changes"
    );
    check_final_state(&lines, &[]);
    for line in &lines {
        assert_eq!(line["target"], AAD);
        assert_eq!(line["source_connector"], AD);
        assert_eq!(line["force_change_on_logon"], false);
    }
    // Pre-hashed accounts carry the DC's stored salt.
    let v = &user_vectors()[1];
    let line = lines
        .iter()
        .find(|l| l["source_anchor"] == anchor(2))
        .unwrap();
    assert_eq!(line["salt_hex"], v.salt_hex.as_str());
    let salt_text = String::from_utf8(hex::decode(&v.salt_hex).unwrap()).unwrap();
    assert_eq!(line["salt"], salt_text.as_str(), "as derive prints it");
    // pwdLastSet 133500000000000000; Python: datetime.fromtimestamp(
    // (133500000000000000 - 116444736000000000) // 10**7, timezone.utc)
    assert_eq!(line["change_date"], "2024-01-17T21:20:00.000Z");
    // "id" is Entra Connect's number or null; "kind" names the event.
    assert!(events.iter().all(|e| e["id"].is_u64() || e["id"].is_null()));
    assert!(events.iter().all(|e| e["kind"].is_string()));
    let ids: std::collections::BTreeSet<u64> =
        events.iter().filter_map(|e| e["id"].as_u64()).collect();
    assert_eq!(
        ids,
        [617, 618, 622, 623, 650, 651, 656, 657]
            .into_iter()
            .collect(),
        "a full sync, then incremental"
    );
    let skipped: Vec<&Value> = events
        .iter()
        .filter(|e| e["kind"] == "AccountSkipped")
        .collect();
    assert_eq!(skipped.len(), 4);
    assert!(skipped.iter().all(|e| e["id"].is_null()));
    let text = serde_json::to_string(&events).unwrap();
    for v in user_vectors() {
        assert!(!text.contains(&v.nt_hash_hex) && !text.contains(&v.password));
    }
}

#[test]
fn faults_and_crashes_still_end_with_the_newest_credentials() {
    let snapshot_path = scratch("snapshot-faults.json");
    std::fs::write(&snapshot_path, snapshot().to_string()).unwrap();
    let out_path = scratch("out-faults.jsonl");
    let events_path = scratch("events-faults.jsonl");
    let out = Command::new(example("force_full_sync"))
        .arg("--directory")
        .arg(&snapshot_path)
        .args([
            "--fail-rate",
            "0.3",
            "--no-retry-rate",
            "0.05",
            "--seed",
            "11",
        ])
        .args(["--crash-after-batches", "2"])
        .arg("--out")
        .arg(&out_path)
        .arg("--events")
        .arg(&events_path)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("crash after 2 batches"), "{stderr}");
    let events = read_lines(&events_path);
    let mut excused = Vec::new();
    let mut succeeded = Vec::new();
    for e in &events {
        if e["id"] == 657 {
            let key = (
                e["source_anchor"].as_str().unwrap().to_owned(),
                e["usn"].as_u64().unwrap(),
            );
            match e["outcome"].as_str().unwrap() {
                "NoRetry" => excused.push(key),
                "Success" => succeeded.push(key),
                _ => {}
            }
        }
    }
    excused.retain(|k| !succeeded.contains(k));
    assert!(events.iter().any(|e| e["outcome"] == "Retrying"));
    check_final_state(&read_lines(&out_path), &excused);
}

#[test]
fn a_bad_snapshot_is_one_line_exit_1_and_nothing_delivered() {
    let mut bad = snapshot();
    bad["forests"][0]["accounts"][1]["unicodePwd_hex"] = json!("not-hex");
    let snapshot_path = scratch("bad.json");
    std::fs::write(&snapshot_path, bad.to_string()).unwrap();
    let out_path = scratch("bad-out.jsonl");
    let _ = std::fs::remove_file(&out_path);
    let out = Command::new(example("force_full_sync"))
        .arg("--directory")
        .arg(&snapshot_path)
        .arg("--out")
        .arg(&out_path)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    let sam = &user_vectors()[1].sam;
    assert!(
        stderr.contains(sam.as_str()) && stderr.contains("unicodePwd_hex"),
        "{stderr}"
    );
    assert!(!out_path.exists(), "nothing delivered");
    assert!(out.stdout.is_empty());
}

#[test]
fn synthetic_null_transport_and_bad_flags() {
    let out = Command::new(example("force_full_sync"))
        .args(["--synthetic", "300", "--null-transport"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("forest fabrikam.com: full sync complete"),
        "{stderr}"
    );
    for args in [
        &["--fail-rate", "1.5"][..],
        &["--out", "x", "--null-transport"],
        &["--synthetic", "many"],
        &["--bogus"],
    ] {
        let out = Command::new(example("force_full_sync"))
            .args(args)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
    }
}

/// Runs the example on `snapshot` with `args`; returns (exit code, stderr,
/// delivery lines, event lines).
fn run_snapshot(
    name: &str,
    snapshot: &Value,
    args: &[&str],
) -> (Option<i32>, String, Vec<Value>, Vec<Value>) {
    let snapshot_path = scratch(&format!("{name}.json"));
    std::fs::write(&snapshot_path, snapshot.to_string()).unwrap();
    let out_path = scratch(&format!("{name}-out.jsonl"));
    let events_path = scratch(&format!("{name}-events.jsonl"));
    let _ = std::fs::remove_file(&out_path);
    let _ = std::fs::remove_file(&events_path);
    let out = Command::new(example("force_full_sync"))
        .arg("--directory")
        .arg(&snapshot_path)
        .arg("--out")
        .arg(&out_path)
        .arg("--events")
        .arg(&events_path)
        .args(args)
        .output()
        .unwrap();
    let lines = if out_path.exists() {
        read_lines(&out_path)
    } else {
        Vec::new()
    };
    let events = if events_path.exists() {
        read_lines(&events_path)
    } else {
        Vec::new()
    };
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        lines,
        events,
    )
}

fn count_id(events: &[Value], id: u64) -> usize {
    events.iter().filter(|e| e["id"] == id).count()
}

#[test]
fn a_crashed_run_still_reports_each_domain_and_forest_completed() {
    let events_path = scratch("crash-events.jsonl");
    let out = Command::new(example("force_full_sync"))
        .args([
            "--synthetic",
            "120",
            "--null-transport",
            "--crash-after-batches",
            "3",
        ])
        .arg("--events")
        .arg(&events_path)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("crash after 3 batches"), "{stderr}");
    let events = read_lines(&events_path);
    // Two forests of one domain each: 622 per domain, 623 per forest.
    assert_eq!(count_id(&events, 622), 2, "{stderr}");
    assert_eq!(count_id(&events, 623), 2);
    // A forest whose first batch was lost in a crash had nothing durable
    // yet: its full sync starts again (FirstStart); the others resume.
    assert!(count_id(&events, 617) >= 2);
    for connector in ["onprem.contoso.com", "fabrikam.com"] {
        assert!(
            events
                .iter()
                .any(|e| e["id"] == 623 && e["connector"] == connector)
        );
    }
}

#[test]
fn staging_mode_runs_the_script_saves_it_and_suspends_sync() {
    let (code, stderr, lines, events) = run_snapshot("staging", &snapshot(), &["--staging-mode"]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        stderr.contains("-Enable $true"),
        "the script ran to its end: {stderr}"
    );
    assert!(stderr.contains("suspended by staging mode"), "{stderr}");
    assert!(stderr.contains("ForceFullPasswordSync = 1"), "{stderr}");
    assert!(lines.is_empty(), "nothing delivered");
    assert!(
        !events.iter().any(|e| e["id"] == 656),
        "nothing read or sent"
    );
    assert!(
        events
            .iter()
            .any(|e| e["kind"] == "PasswordSyncSuspended" && e["id"].is_null())
    );
}

#[test]
fn a_tenant_without_password_hash_sync_is_one_line_exit_1() {
    let mut tenant_off = snapshot();
    tenant_off["tenant"]["password_hash_sync"] = json!(false);
    let (code, stderr, lines, _) = run_snapshot("phs-off", &tenant_off, &[]);
    assert_eq!(code, Some(1));
    assert!(lines.is_empty(), "nothing delivered");
    let last = stderr.lines().last().unwrap();
    assert!(last.starts_with("error: "), "{stderr}");
    assert!(
        last.contains("password hash sync is not activated for this company"),
        "{last}"
    );
    assert!(
        last.contains("PasswordHashSync"),
        "names the tenant feature: {last}"
    );
    assert_eq!(stderr.lines().filter(|l| l.starts_with("error")).count(), 1);
}

#[test]
fn without_domain_services_only_the_org_id_hash_leaves() {
    let mut no_ds = snapshot();
    no_ds["tenant"]["domain_services"] = json!(false);
    let (code, stderr, lines, _) = run_snapshot("no-ds", &no_ds, &[]);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(lines.len(), user_vectors().len() + 1 + 2);
    let expected = expected();
    for line in &lines {
        assert!(line["nt_hash"].is_null(), "{line}");
        assert!(
            line["salt"].is_null() && line["salt_hex"].is_null(),
            "{line}"
        );
        assert_eq!(line["kerberos_keys"], json!([]));
        let (_, nt, _) = &expected[line["source_anchor"].as_str().unwrap()];
        let org_id: OrgIdHash = line["org_id"].as_str().unwrap().parse().unwrap();
        if line["usn"].as_u64().unwrap() == expected[line["source_anchor"].as_str().unwrap()].0 {
            assert!(org_id.verify_nt_hash(nt), "{line}");
        }
    }
    // Kerberos off: NT hashes, no keys.
    let mut no_kerberos = snapshot();
    no_kerberos["tenant"]["sync_kerberos_passwords"] = json!(false);
    let (code, stderr, lines, _) = run_snapshot("no-kerberos", &no_kerberos, &[]);
    assert_eq!(code, Some(0), "{stderr}");
    for line in &lines {
        assert!(line["nt_hash"].is_string(), "{line}");
        assert_eq!(line["kerberos_keys"], json!([]));
    }
}

#[test]
fn selective_password_hash_sync_modes() {
    let (code, stderr, lines, _) =
        run_snapshot("sel-exclude", &snapshot(), &["--selective-phs", "exclude"]);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(lines.len(), user_vectors().len() + 2);
    assert!(
        !lines.iter().any(|l| l["source_anchor"] == anchor(101)),
        "PHSFiltered left out"
    );
    let mut included = snapshot();
    included["forests"][0]["accounts"][0]["adminDescription"] = json!("PHSIncluded");
    let (code, stderr, lines, _) =
        run_snapshot("sel-include", &included, &["--selective-phs", "include"]);
    assert_eq!(code, Some(0), "{stderr}");
    let anchors: std::collections::HashSet<&str> = lines
        .iter()
        .map(|l| l["source_anchor"].as_str().unwrap())
        .collect();
    assert_eq!(
        anchors,
        [anchor(1).as_str()].into_iter().collect(),
        "only PHSIncluded"
    );
    let out = Command::new(example("force_full_sync"))
        .args(["--selective-phs", "sometimes"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn idle_hours_leave_heartbeat_pairs_with_the_ad_connectors_identifier() {
    let (code, stderr, _, events) = run_snapshot("idle", &snapshot(), &["--simulate-hours", "3"]);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(
        count_id(&events, 653),
        6,
        "a ping every 30 minutes for 3 hours"
    );
    assert_eq!(count_id(&events, 654), 6);
    for ping in events.iter().filter(|e| e["id"] == 654) {
        assert_eq!(ping["connector"], AD);
        // The example's fixed identifier for the first AD connector.
        assert_eq!(ping["connector_id"], "6d1e5c0a-4f3b-4b8e-9a61-0c0a5e1d2a01");
    }
}

#[test]
fn a_target_that_fails_every_item_ends_within_a_minute_naming_it() {
    let started = std::time::Instant::now();
    let out = Command::new(example("force_full_sync"))
        .args(["--synthetic", "60", "--out", "/dev/full"])
        .output()
        .unwrap();
    let took = started.elapsed();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let last = stderr.lines().last().unwrap();
    assert!(last.contains("No space left on device"), "{last}");
    // 60 users per forest, 4 of each out of scope (the generator's indexes
    // 1 to 4: disabled, must change, MSOL_, critical): 112 queued.
    assert!(last.contains("112 item(s) still queued"), "{last}");
    assert!(took < std::time::Duration::from_secs(60), "{took:?}");
}

/// `--managed-domain-cert`: every line carries the two base64 envelopes,
/// `"nt_hash": null` and `"kerberos_keys": []`; no NT hash or AES key of
/// any account is in the file (hex either case, base64); the envelopes
/// open with the key to the expected credentials, and the example, given
/// `--managed-domain-key`, says it opened them all.
#[test]
fn managed_domain_certificate_seals_every_delivery() {
    use base64::Engine as _;
    use hashsync::formats::envelope::{ManagedDomainCertificate, ManagedDomainKey};
    let data = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/envelope");
    let cert = format!("{data}/managed_domain_cert.pem");
    let key_file = format!("{data}/managed_domain_key.pem");
    let snapshot_path = scratch("snapshot-sealed.json");
    std::fs::write(&snapshot_path, snapshot().to_string()).unwrap();
    let out_path = scratch("out-sealed.jsonl");
    let out = Command::new(example("force_full_sync"))
        .arg("--directory")
        .arg(&snapshot_path)
        .arg("--out")
        .arg(&out_path)
        .args([
            "--managed-domain-cert",
            &cert,
            "--managed-domain-key",
            &key_file,
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    // The vectors, the PHSFiltered account (selective sync is off), two changes.
    let delivered = user_vectors().len() + 1 + 2;
    assert!(
        stderr.contains(&format!(
            "{delivered} update(s) sealed; {delivered} opened again with --managed-domain-key"
        )),
        "{stderr}"
    );

    let text = std::fs::read_to_string(&out_path).unwrap();
    let lowered = text.to_lowercase();
    let b64 = |bytes: &[u8]| base64::engine::general_purpose::STANDARD.encode(bytes);
    let mut secrets: Vec<Vec<u8>> = Vec::new();
    for v in user_vectors() {
        for hex_text in [&v.nt_hash_hex, &v.aes256_hex, &v.aes128_hex] {
            secrets.push(hex::decode(hex_text).unwrap());
        }
    }
    for (_, nt, _) in expected().values() {
        secrets.push(nt.expose_secret().to_vec());
    }
    for secret in &secrets {
        assert!(!lowered.contains(&hex::encode(secret)));
        assert!(!text.contains(b64(secret).trim_end_matches('=')));
    }

    let certificate = ManagedDomainCertificate::parse(&std::fs::read(&cert).unwrap()).unwrap();
    let key = ManagedDomainKey::new(certificate, &std::fs::read(&key_file).unwrap()).unwrap();
    let lines = read_lines(&out_path);
    assert_eq!(lines.len(), delivered);
    let mut last: HashMap<String, &Value> = HashMap::new();
    for line in &lines {
        assert_eq!(line["nt_hash"], Value::Null);
        assert_eq!(line["kerberos_keys"], json!([]));
        assert!(line["windows_supplemental_credentials"].is_string());
        last.insert(line["source_anchor"].as_str().unwrap().to_owned(), line);
    }
    for (anchor, (usn, nt, _)) in expected() {
        let line = last[&anchor];
        assert_eq!(line["usn"].as_u64().unwrap(), usn);
        let envelope = base64::engine::general_purpose::STANDARD
            .decode(line["windows_legacy_credentials"].as_str().unwrap())
            .unwrap();
        let records = key.open(&envelope).unwrap();
        // [0x0009005A][16][NT hash]
        assert_eq!(records[..8], [0x5a, 0x00, 0x09, 0x00, 16, 0, 0, 0]);
        assert_eq!(records[8..], nt.expose_secret()[..], "{anchor}");
    }
}

#[test]
fn managed_domain_flags_are_checked() {
    let out = Command::new(example("force_full_sync"))
        .args(["--managed-domain-key", "key.pem", "--null-transport"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--managed-domain-cert"));
    let data = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/envelope");
    // The other domain's key does not belong to this certificate: exit 1,
    // one line, before anything runs.
    let out = Command::new(example("force_full_sync"))
        .args([
            "--managed-domain-cert",
            &format!("{data}/managed_domain_cert.pem"),
            "--managed-domain-key",
            &format!("{data}/other_domain_key.pem"),
            "--null-transport",
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
    assert!(stderr.contains("does not belong"), "{stderr}");
    assert!(out.stdout.is_empty());
}

#[test]
fn a_target_failing_almost_every_item_gives_up_within_a_minute() {
    let started = std::time::Instant::now();
    let out = Command::new(example("force_full_sync"))
        .args([
            "--synthetic",
            "40",
            "--null-transport",
            "--fail-rate",
            "0.99",
        ])
        .output()
        .unwrap();
    let took = started.elapsed();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let last = stderr.lines().last().unwrap();
    assert!(
        last.contains("keeps failing") && last.contains("still queued"),
        "{last}"
    );
    assert!(took < std::time::Duration::from_secs(60), "{took:?}");
}
