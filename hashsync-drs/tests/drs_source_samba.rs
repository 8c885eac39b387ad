//! The replication source against a real Samba AD DC (the lab's source
//! DC in its network namespace): what `DrsSource` replicates must be what
//! the DC holds, read independently over its privileged LDAP socket
//! (`SambaSource`): the same accounts, NT hashes and Kerberos keys.
//!
//! Then incremental replication from the saved cursor: a password change
//! and a `pwdLastSet`-only change come back as exactly those accounts,
//! read whole; a new connection resumes from the cursor with nothing new;
//! an account without replication rights, or with only "Replicating
//! Directory Changes", gets the typed error naming the right it lacks; a
//! wrong password is refused as such.
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
use hashsync_drs::rpc::{ReplicationCredentials, RpcError};
use hashsync_drs::{DrsEndpoint, DrsSource, DrsSourceError};
use hashsync_samba::SambaSource;
use serde_json::json;

const ADMIN_PASSWORD: &str = "Lab-Admin-Passw0rd!";
const CHILD: &str = "HASHSYNC_DRS_LAB_CHILD";
const LAB_ROOT: &str = "HASHSYNC_DRS_LAB_ROOT";

#[test]
#[ignore = "needs Samba: sudo bash .ci/install-samba"]
fn replication_reads_what_the_dc_holds() {
    if let Some(url) = std::env::var_os(CHILD) {
        inside_namespace(&url.to_string_lossy());
        return;
    }
    if !lab::tools_or_skip() {
        return;
    }
    let lab = lab::Lab::new().expect("lab");
    let mut ops = Vec::new();
    for i in 0..30 {
        ops.push(json!({"op": "user", "name": format!("drs{i:02}"), "password": format!("Drs-Passw0rd-{i}")}));
    }
    ops.push(json!({"op": "computer", "name": "WS01", "password": "Computer-Passw0rd-WS01"}));
    ops.extend([
        json!({"op": "user", "name": "norights", "password": "No-Rights-Passw0rd"}),
        json!({"op": "user", "name": "halfrights", "password": "Half-Rights-Passw0rd"}),
        json!({"op": "grant", "name": "halfrights", "rights": ["get-changes"]}),
        json!({"op": "user", "name": "svcsync", "password": "Svc-Sync-Passw0rd"}),
        json!({"op": "grant", "name": "svcsync", "rights": ["get-changes", "get-changes-all"]}),
    ]);
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
        .env(LAB_ROOT, &lab.root)
        .status()
        .expect("child test");
    assert!(
        status.success(),
        "the test body in the namespace failed: {status}"
    );
}

fn drs_source() -> DrsSource {
    drs_source_as(r"ONPREM\Administrator", ADMIN_PASSWORD)
}

fn drs_source_as(account: &str, password: &str) -> DrsSource {
    let credentials = ReplicationCredentials::parse(account, Password::new(password)).unwrap();
    DrsSource::new(DrsEndpoint::parse("drs://127.0.0.2").unwrap(), credentials).with_page_objects(7)
}

/// Everything `source` replicates from `cursor` (a full sync without).
fn replicate(
    source: &mut DrsSource,
    cursor: Option<&Cursor>,
) -> (BTreeMap<String, SourceAccount>, Vec<Cursor>) {
    let partition = source.partitions().expect("partitions").remove(0);
    let stream = match cursor {
        Some(cursor) => source.changes_since(&partition, cursor),
        None => source.full_sync(&partition),
    };
    let items: Vec<SourceItem> = stream
        .expect("stream")
        .collect::<Result<_, _>>()
        .expect("replicated");
    accounts_of(items)
}

/// What the DC's privileged LDAP socket says of `name` now.
fn ldap_account(ldapi: &str, name: &str) -> SourceAccount {
    let mut ldap = SambaSource::new(ldapi);
    let partition = ldap.partitions().unwrap().remove(0);
    let query = hashsync::sync::AccountQuery::parse(name);
    ldap.read_account(&partition, &query).unwrap().expect(name)
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
    incremental(ldapi, cursors.last().unwrap().clone());
    rights();
}

fn incremental(ldapi: &str, after_full: Cursor) {
    let root = std::path::PathBuf::from(std::env::var_os(LAB_ROOT).unwrap());
    let dc = lab::source_at(&root);
    // A password change: that account alone, read whole, new hashes.
    dc.accounts(json!([{"op": "setpassword", "name": "drs05", "password": "Changed-Passw0rd-5"}]))
        .unwrap();
    let mut drs = drs_source();
    let (changed, cursors) = replicate(&mut drs, Some(&after_full));
    assert_eq!(
        changed.keys().collect::<Vec<_>>(),
        ["drs05"],
        "only what changed"
    );
    let now = ldap_account(ldapi, "drs05");
    assert_eq!(stored(&changed["drs05"]), stored(&now), "the new hashes");
    assert_eq!(
        changed["drs05"].sam_account_name, "drs05",
        "read whole: the name too"
    );
    assert_ne!(
        stored(&now).0,
        hashsync::nt_hash(&Password::new("Drs-Passw0rd-5"))
            .to_hex()
            .to_string()
    );
    let after_password = cursors.last().unwrap().clone();

    // pwdLastSet alone (must change at next logon): no secret in the
    // change, the account still comes whole, with its hashes.
    dc.accounts(json!([{"op": "expire", "name": "drs07"}]))
        .unwrap();
    let (changed, cursors) = replicate(&mut drs, Some(&after_password));
    assert_eq!(changed.keys().collect::<Vec<_>>(), ["drs07"]);
    assert_eq!(changed["drs07"].pwd_last_set, 0);
    assert_eq!(
        stored(&changed["drs07"]),
        stored(&ldap_account(ldapi, "drs07"))
    );
    let after_expiry = cursors.last().unwrap().clone();

    // A deletion: nothing to sync, and it blocks nothing.
    dc.accounts(json!([{"op": "delete", "name": "drs09"}]))
        .unwrap();
    let (changed, cursors) = replicate(&mut drs, Some(&after_expiry));
    assert!(changed.is_empty(), "{:?}", changed.keys());
    let after_expiry = cursors.last().unwrap().clone();
    drs.close();

    // The cursor survives a restart: a new source, nothing new.
    let mut restarted = drs_source();
    let (changed, cursors) = replicate(&mut restarted, Some(&after_expiry));
    assert!(changed.is_empty(), "{:?}", changed.keys());
    assert!(
        !cursors.is_empty(),
        "a checkpoint even when nothing changed"
    );
    eprintln!("incremental: {:?}", restarted.timings());
}

fn rights() {
    let refused = |account: &str, password: &str| {
        let mut source = drs_source_as(account, password);
        let partition = source.partitions().expect("partitions").remove(0);
        let mut stream = source.full_sync(&partition).unwrap();
        match stream.next() {
            Some(Err(error)) => error,
            other => panic!("{account}: expected a refusal, got {other:?}"),
        }
    };
    for (account, password, right) in [
        (
            r"ONPREM\norights",
            "No-Rights-Passw0rd",
            hashsync_drs::GET_CHANGES,
        ),
        (
            r"ONPREM\halfrights",
            "Half-Rights-Passw0rd",
            hashsync_drs::GET_CHANGES_ALL,
        ),
    ] {
        match refused(account, password) {
            DrsSourceError::MissingReplicationRight {
                right: missing,
                account: who,
                naming_context,
                ..
            } => {
                assert_eq!(missing, right, "{account}");
                assert_eq!(who, account);
                assert_eq!(naming_context.to_lowercase(), "dc=onprem,dc=contoso,dc=com");
            }
            other => panic!("{account}: {other:?}"),
        }
    }
    // With both rights, an ordinary account replicates.
    let (accounts, _) = replicate(
        &mut drs_source_as(r"ONPREM\svcsync", "Svc-Sync-Passw0rd"),
        None,
    );
    assert!(accounts.contains_key("drs00"));
    // A wrong password: refused as authentication, the password in no message.
    let mut wrong = drs_source_as(r"ONPREM\Administrator", "Not-The-Passw0rd");
    match wrong.partitions() {
        Err(
            error @ DrsSourceError::Rpc {
                source: RpcError::AuthenticationRejected { .. },
                ..
            },
        ) => {
            assert!(!format!("{error:?}{error}").contains("Not-The-Passw0rd"));
        }
        other => panic!("wrong password: {other:?}"),
    }
}
