//! Records the `IDL_DRSGetNCChanges` vectors of `tests/data/drs_exchange/`
//! from a real exchange with the lab's Samba DC: a full sync's first page
//! (request and reply) and an `EXOP_REPL_OBJ` request and reply, made by
//! `DrsSource` itself (its connections keep a transcript when asked), plus
//! that connection's session key and a pcap of the whole run.
//!
//! Not a test of anything, so it does nothing unless asked (CI's
//! `--include-ignored` runs pass through): run it to regenerate the vectors
//! (`tests/data/drs_exchange/regenerate.sh`, see `tests/data/README.md`),
//! as root with Samba, tshark and ethtool:
//! `HASHSYNC_DRS_EXCHANGE_DIR=/tmp/drs-exchange cargo test -p hashsync-drs
//! --test drs_exchange_capture -- --ignored --nocapture`.
//!
//! The DC listens only inside the lab's namespace, so the run provisions
//! the lab, then runs its own binary again under `ip netns exec`.

#[path = "../../hashsync-samba/tests/lab/mod.rs"]
mod lab;

use std::path::{Path, PathBuf};
use std::process::Command;

use hashsync::Password;
use hashsync::sync::{ChangeSource, Cursor, SourceItem};
use hashsync_drs::drsuapi::{GetNcChangesReply, GetNcChangesRequest};
use hashsync_drs::rpc::{Direction, ReplicationCredentials};
use hashsync_drs::{DrsEndpoint, DrsSource};
use serde_json::json;

const ADMIN_PASSWORD: &str = "Lab-Admin-Passw0rd!";
const CHILD: &str = "HASHSYNC_DRS_EXCHANGE_CHILD";
const LAB_ROOT: &str = "HASHSYNC_DRS_EXCHANGE_LAB_ROOT";
const OUT: &str = "HASHSYNC_DRS_EXCHANGE_DIR";
/// `EXOP_REPL_OBJ` (MS-DRSR 4.1.10.2.21 EXOP_REQ).
const EXOP_REPL_OBJ: u32 = 6;

/// The accounts of the capture, with their public test passwords: the
/// user whose password changes between the full sync and the
/// incremental one is read again whole by `EXOP_REPL_OBJ`.
const USERS: [(&str, &str); 3] = [
    ("vecalice", "Vector-Alice-Passw0rd"),
    ("vecbob", "Vector-Bob-Passw0rd"),
    ("veccarol", "Vector-Carol-Passw0rd"),
];
const COMPUTER: (&str, &str) = ("VECWS01", "Vector-Computer-Passw0rd");
const CHANGED: (&str, &str) = ("vecbob", "Vector-Bob-Changed-Passw0rd");

#[test]
#[ignore = "regenerates tests/data/drs_exchange (with HASHSYNC_DRS_EXCHANGE_DIR): needs Samba (sudo bash .ci/install-samba), tshark and ethtool"]
fn capture_drs_exchange() {
    let Some(out) = std::env::var_os(OUT).map(PathBuf::from) else {
        eprintln!("not regenerating: set {OUT} to the directory to write");
        return;
    };
    if std::env::var_os(CHILD).is_some() {
        inside_namespace(&out);
        return;
    }
    lab::check_tools().expect("the lab's tools");
    let _ = std::fs::remove_dir_all(&out);
    std::fs::create_dir_all(&out).unwrap();
    let lab = lab::Lab::new().expect("lab");
    let mut ops: Vec<_> = USERS
        .iter()
        .map(|(name, password)| json!({"op": "user", "name": name, "password": password}))
        .collect();
    ops.push(json!({"op": "computer", "name": COMPUTER.0, "password": COMPUTER.1}));
    lab.accounts(&lab.source, serde_json::Value::Array(ops))
        .expect("accounts");
    // Ethernet-sized segments, no segmentation offload: at most one sealed
    // PDU ends in each captured frame. (Wireshark 4.0 shows the first
    // PDU's decryption for every PDU of a frame holding several, and its
    // RC4 state is lost from there on.)
    for command in [
        &["ip", "link", "set", "dev", "lo", "mtu", "1500"][..],
        &[
            "ethtool", "-K", "lo", "tso", "off", "gso", "off", "gro", "off",
        ],
    ] {
        lab::run(
            Command::new("ip")
                .args(["netns", "exec", &lab.namespace])
                .args(command),
        )
        .expect("segment sizes");
    }
    let capture = lab.capture(&out.join("drs_exchange.pcapng"));
    let status = Command::new("ip")
        .args(["netns", "exec", &lab.namespace])
        .arg(std::env::current_exe().unwrap())
        .args([
            "capture_drs_exchange",
            "--exact",
            "--include-ignored",
            "--nocapture",
        ])
        .env(CHILD, "1")
        .env(LAB_ROOT, &lab.root)
        .env(OUT, &out)
        .status()
        .expect("child");
    capture.stop();
    assert!(
        status.success(),
        "the capture in the namespace failed: {status}"
    );
    let version = Command::new("samba").arg("--version").output().unwrap();
    std::fs::write(out.join("samba-version.txt"), version.stdout).unwrap();
}

fn inside_namespace(out: &Path) {
    let credentials =
        ReplicationCredentials::parse(r"ONPREM\Administrator", Password::new(ADMIN_PASSWORD))
            .unwrap();
    let mut source = DrsSource::new(DrsEndpoint::parse("drs://127.0.0.2").unwrap(), credentials)
        .recording_transcript();
    let partition = source.partitions().expect("partitions").remove(0);
    let items: Vec<SourceItem> = source
        .full_sync(&partition)
        .expect("full sync")
        .collect::<Result<_, _>>()
        .expect("replicated");
    let last: Cursor = items
        .iter()
        .rev()
        .find_map(|item| match item {
            SourceItem::Checkpoint(cursor) => Some(cursor.clone()),
            SourceItem::Account(_) => None,
        })
        .expect("a checkpoint");
    let root = PathBuf::from(std::env::var_os(LAB_ROOT).unwrap());
    lab::source_at(&root)
        .accounts(json!([{"op": "setpassword", "name": CHANGED.0, "password": CHANGED.1}]))
        .expect("setpassword");
    let changed: Vec<SourceItem> = source
        .changes_since(&partition, &last)
        .expect("incremental")
        .collect::<Result<_, _>>()
        .expect("replicated");
    assert!(
        changed
            .iter()
            .any(|item| matches!(item, SourceItem::Account(a) if a.sam_account_name == CHANGED.0)),
        "the changed account"
    );

    let (transcript, session_key) = source.recorded().expect("a recorded session");
    let sent: Vec<&[u8]> = transcript.of(Direction::Sent, "stub").collect();
    let received: Vec<&[u8]> = transcript.of(Direction::Received, "stub").collect();
    assert_eq!(sent.len(), received.len());
    // Calls in order: DsBind, DsCrackNames, then the GetNCChanges ones
    // (each request decodes as one; the others do not).
    let calls: Vec<(GetNcChangesRequest, &[u8], &[u8])> = sent
        .iter()
        .zip(&received)
        .filter_map(|(request, reply)| {
            GetNcChangesRequest::decode(request)
                .ok()
                .map(|decoded| (decoded, *request, *reply))
        })
        .collect();
    let (_, full_request, full_reply) = calls.first().expect("a GetNCChanges call");
    let (_, exop_request, exop_reply) = calls
        .iter()
        .find(|(decoded, _, _)| decoded.extended_op == EXOP_REPL_OBJ)
        .expect("an EXOP_REPL_OBJ call");
    for (name, bytes) in [
        ("getncchanges_full_request.stub", full_request),
        ("getncchanges_full_reply.stub", full_reply),
        ("getncchanges_exop_request.stub", exop_request),
        ("getncchanges_exop_reply.stub", exop_reply),
    ] {
        std::fs::write(out.join(name), bytes).unwrap();
    }
    let first = GetNcChangesReply::decode(full_reply).expect("the first page");
    eprintln!(
        "first page: {} objects, {} bytes, more_data {}; {} GetNCChanges calls",
        first.objects.len(),
        full_reply.len(),
        first.more_data,
        calls.len()
    );
    // Public test data: the key of a connection to a throwaway lab DC
    // whose password is in this repository.
    std::fs::write(
        out.join("session_key.hex"),
        format!("{}\n", hex::encode(session_key.expose_secret())),
    )
    .unwrap();
    let mut passwords: serde_json::Map<_, _> = USERS
        .iter()
        .map(|(name, password)| (name.to_string(), json!(password)))
        .collect();
    passwords.insert(format!("{}$", COMPUTER.0), json!(COMPUTER.1));
    passwords.insert("Administrator".into(), json!(ADMIN_PASSWORD));
    let accounts = json!({
        "full_sync": passwords,
        "exop": {CHANGED.0: CHANGED.1},
    });
    std::fs::write(
        out.join("accounts.json"),
        serde_json::to_string_pretty(&accounts).unwrap() + "\n",
    )
    .unwrap();
    source.close();
}
