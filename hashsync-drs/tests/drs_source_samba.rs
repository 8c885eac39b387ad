//! The replication source against a real Samba AD DC (the lab's source
//! DC in its network namespace): what `DrsSource` replicates must be what
//! the DC holds, read independently over its privileged LDAP socket
//! (`SambaSource`): the same accounts, NT hashes and Kerberos keys.
//!
//! The DC listens only inside the lab's namespace, so the test provisions
//! the lab, then runs its own binary again under `ip netns exec` with
//! `HASHSYNC_DRS_LAB_CHILD` set; that child makes the connections.

#[path = "../../hashsync-samba/tests/lab/mod.rs"]
mod lab;

use std::collections::BTreeMap;
use std::process::Command;

use hashsync::Password;
use hashsync::sync::{AccountCredentials, ChangeSource, Cursor, SourceAccount, SourceItem};
use hashsync_drs::rpc::ReplicationCredentials;
use hashsync_drs::{DrsEndpoint, DrsSource};
use hashsync_samba::SambaSource;
use serde_json::json;

const ADMIN_PASSWORD: &str = "Lab-Admin-Passw0rd!";
const CHILD: &str = "HASHSYNC_DRS_LAB_CHILD";

#[test]
#[ignore = "needs Samba: sudo bash .ci/install-samba"]
fn replication_reads_what_the_dc_holds() {
    if let Some(url) = std::env::var_os(CHILD) {
        inside_namespace(&url.to_string_lossy());
        return;
    }
    if let Err(missing) = lab::check_tools() {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must run the Samba test: {missing}"
        );
        eprintln!("skipped: {missing}");
        return;
    }
    let lab = lab::Lab::new().expect("lab");
    let mut ops = Vec::new();
    for i in 0..30 {
        ops.push(json!({"op": "user", "name": format!("drs{i:02}"), "password": format!("Drs-Passw0rd-{i}")}));
    }
    ops.push(json!({"op": "computer", "name": "WS01", "password": "Computer-Passw0rd-WS01"}));
    lab.accounts(&lab.source, serde_json::Value::Array(ops))
        .expect("accounts");
    let status = Command::new("ip")
        .args(["netns", "exec", &lab.namespace])
        .arg(std::env::current_exe().unwrap())
        .args([
            "replication_reads_what_the_dc_holds",
            "--exact",
            "--include-ignored",
            "--nocapture",
        ])
        .env(CHILD, lab.source.url())
        .status()
        .expect("child test");
    assert!(
        status.success(),
        "the test body in the namespace failed: {status}"
    );
}

fn drs_source() -> DrsSource {
    let credentials =
        ReplicationCredentials::parse(r"ONPREM\Administrator", Password::new(ADMIN_PASSWORD))
            .unwrap();
    DrsSource::new(DrsEndpoint::parse("drs://127.0.0.2").unwrap(), credentials).with_page_objects(7)
}

fn accounts_of(items: Vec<SourceItem>) -> (BTreeMap<String, SourceAccount>, Vec<Cursor>) {
    let mut accounts = BTreeMap::new();
    let mut cursors = Vec::new();
    for item in items {
        match item {
            SourceItem::Account(account) => {
                accounts.insert(account.sam_account_name.clone(), account);
            }
            SourceItem::Checkpoint(cursor) => cursors.push(cursor),
            _ => {}
        }
    }
    (accounts, cursors)
}

fn stored(account: &SourceAccount) -> (String, Vec<String>) {
    match &account.credentials {
        AccountCredentials::Stored(stored) => (
            stored.nt_hash.to_hex().to_string(),
            stored
                .kerberos
                .iter()
                .flat_map(|k| k.keys.iter().map(|key| key.to_hex().to_string()))
                .collect(),
        ),
        other => panic!("{}: {other:?}", account.sam_account_name),
    }
}

fn inside_namespace(ldapi: &str) {
    let mut drs = drs_source();
    let partitions = drs.partitions().expect("partitions");
    eprintln!("partitions: {partitions:?}");
    assert_eq!(partitions.len(), 1);
    assert_eq!(
        partitions[0].dn().to_lowercase(),
        "dc=onprem,dc=contoso,dc=com"
    );
    let started = std::time::Instant::now();
    let items: Vec<SourceItem> = drs
        .full_sync(&partitions[0])
        .expect("full sync")
        .collect::<Result<_, _>>()
        .expect("replicated");
    eprintln!("full sync in {:?}: {:?}", started.elapsed(), drs.timings());
    let (replicated, cursors) = accounts_of(items);
    assert!(cursors.len() > 3, "{} pages", cursors.len());

    let mut ldap = SambaSource::new(ldapi);
    let ldap_partitions = ldap.partitions().unwrap();
    let items: Vec<SourceItem> = ldap
        .full_sync(&ldap_partitions[0])
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let (read, _) = accounts_of(items);
    assert_eq!(
        replicated.keys().collect::<Vec<_>>(),
        read.keys().collect::<Vec<_>>(),
        "the same accounts"
    );
    for (name, account) in &read {
        let copy = &replicated[name];
        assert_eq!(stored(copy), stored(account), "{name}: hashes");
        assert_eq!(copy.object_guid, account.object_guid, "{name}");
        assert_eq!(
            copy.user_account_control, account.user_account_control,
            "{name}"
        );
        assert_eq!(copy.pwd_last_set, account.pwd_last_set, "{name}");
        assert_eq!(copy.object_class, account.object_class, "{name}");
        assert_eq!(
            copy.distinguished_name.to_lowercase(),
            account.distinguished_name.to_lowercase(),
            "{name}"
        );
    }
    eprintln!("{} accounts agree", read.len());
}
