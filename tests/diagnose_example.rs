//! The `diagnose` example's contract: its JSON shape, and the findings,
//! progress and account view a run produces.

mod example_binary;

use std::process::Command;

use example_binary::example;
use serde_json::Value;

fn diagnose(args: &[&str]) -> (Value, String) {
    let out = Command::new(example("diagnose"))
        .args(args)
        .arg("--json")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{args:?}: {stderr}");
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(text.trim_end().lines().count(), 1, "one JSON object");
    (serde_json::from_str(&text).unwrap(), stderr)
}

fn status<'a>(json: &'a Value, check: &str, connector: Option<&str>) -> &'a str {
    json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["check"] == check && f["connector"].as_str() == connector)
        .unwrap_or_else(|| panic!("{check}"))["status"]
        .as_str()
        .unwrap()
}

#[test]
fn the_json_has_the_contract_shape() {
    let (json, _) = diagnose(&[]);
    let keys: Vec<&str> = json
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys, ["findings", "progress"], "no object without --object");
    for finding in json["findings"].as_array().unwrap() {
        let keys: Vec<&str> = finding
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(
            keys,
            ["action", "check", "connector", "message", "scope", "status"]
        );
        assert!(
            ["tenant", "server", "connector", "domain"]
                .contains(&finding["scope"].as_str().unwrap())
        );
        assert!(["ok", "warning", "error"].contains(&finding["status"].as_str().unwrap()));
        assert_eq!(
            finding["connector"].is_null(),
            ["tenant", "server"].contains(&finding["scope"].as_str().unwrap())
        );
        assert_eq!(finding["status"], "ok", "a clean run: {finding}");
    }
    let progress = json["progress"].as_array().unwrap();
    assert_eq!(progress.len(), 2, "two forests");
    for forest in progress {
        assert_eq!(forest["read"], 200);
        assert_eq!(forest["completed"], true);
        let sum = ["synced", "skipped", "failed", "retrying"]
            .iter()
            .map(|k| forest[k].as_u64().unwrap())
            .sum::<u64>();
        assert_eq!(sum, 200);
    }
}

#[test]
fn staging_mode_and_no_retry_show_in_the_findings() {
    let (json, _) = diagnose(&["--staging-mode"]);
    assert_eq!(status(&json, "server.staging_mode", None), "warning");
    let (json, _) = diagnose(&["--no-retry-rate", "0.2", "--seed", "3"]);
    assert_eq!(
        status(&json, "connector.no_retry", Some("onprem.contoso.com")),
        "warning"
    );
    assert_eq!(status(&json, "server.staging_mode", None), "ok");
}

#[test]
fn object_and_sync_object_show_one_account() {
    // user0000001 is disabled in the synthetic directory.
    let (json, _) = diagnose(&["--object", "user0000001"]);
    let object = &json["object"];
    let keys: Vec<&str> = object
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "connector",
            "history",
            "in_scope",
            "last_change",
            "last_result",
            "sAMAccountName",
            "scope_rule"
        ]
    );
    assert_eq!(object["sAMAccountName"], "user0000001");
    assert_eq!(object["connector"], "onprem.contoso.com");
    assert_eq!(object["in_scope"], false);
    assert_eq!(object["scope_rule"], "Disabled");
    assert!(object["last_result"].is_null());

    // user0000010's password changed after the full sync.
    let (json, stderr) = diagnose(&["--sync-object", "user0000010"]);
    let object = &json["object"];
    assert_eq!(object["in_scope"], true);
    assert!(object["scope_rule"].is_null());
    assert_eq!(object["last_result"]["status"], "Success");
    assert!(stderr.contains("Synced"), "{stderr}");
    let sent = object["history"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["status"] == "Sent")
        .count();
    assert_eq!(sent, 3, "full sync, incremental, single-object sync");

    let out = Command::new(example("diagnose"))
        .args(["--object", "nobody"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let last = stderr.lines().last().unwrap();
    assert!(
        last.starts_with("error: ") && last.contains("nobody"),
        "{stderr}"
    );
    assert!(out.stdout.is_empty());
}

#[test]
fn text_output_is_grouped_like_the_cmdlet() {
    let out = Command::new(example("diagnose")).output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let order = [
        "Tenant",
        "Server",
        "AD connector \"onprem.contoso.com\"",
        "  Domains",
        "Full sync progress",
    ];
    let mut at = 0;
    for heading in order {
        let found = text[at..]
            .find(heading)
            .unwrap_or_else(|| panic!("{heading} in\n{text}"));
        at += found;
    }
}

#[test]
fn a_snapshot_runs_with_its_tenant_and_accounts() {
    let account = |n: u32, sam: &str, uac: u32| {
        serde_json::json!({
            "object_guid": format!("{n:08x}-0000-4000-8000-0000000000a5"),
            "distinguished_name": format!("CN={sam},CN=Users,DC=onprem,DC=contoso,DC=com"),
            "object_class": "user",
            "sAMAccountName": sam,
            "userPrincipalName": null,
            "userAccountControl": uac,
            "pwdLastSet": 133500000000000000u64,
            "adminDescription": null,
            "isCriticalSystemObject": false,
            "usn": 100 + u64::from(n),
            "password": format!("Snapshot-{n}-pw!"),
        })
    };
    let snapshot = serde_json::json!({
        "tenant": {"force_password_change_on_logon": false, "sync_ntlm_passwords": false},
        "forests": [{
            "connector": "onprem.contoso.com",
            "realm": "ONPREM.CONTOSO.COM",
            "dns_domain": "onprem.contoso.com",
            "netbios_domain": "ONPREM",
            "accounts": [account(1, "alice", 512), account(2, "bob", 514)],
            "changes": []
        }]
    });
    let dir = std::env::temp_dir().join(format!("hashsync-diagnose-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("snapshot.json");
    std::fs::write(&path, snapshot.to_string()).unwrap();
    let (json, _) = diagnose(&["--directory", path.to_str().unwrap(), "--object", "bob"]);
    // The snapshot's tenant: Domain Services without NTLM.
    assert_eq!(status(&json, "tenant.domain_services", None), "warning");
    let forest = &json["progress"][0];
    assert_eq!(forest["connector"], "onprem.contoso.com");
    assert_eq!(
        (
            forest["read"].as_u64(),
            forest["synced"].as_u64(),
            forest["skipped"].as_u64()
        ),
        (Some(2), Some(1), Some(1))
    );
    assert_eq!(json["object"]["scope_rule"], "Disabled");
    std::fs::remove_dir_all(&dir).unwrap();
}
