//! Full-sync throughput from one real Samba DC to another, for the note:
//! about 2,000 accounts, read once over the source's privileged LDAP socket
//! and once by replication (`drs://`, `IDL_DRSGetNCChanges` over TCP inside
//! the lab's namespace), side by side, with the time split into source
//! read, LDAP write and the rest (hashing, engine, state files) as
//! `samba_sync` reports it, and for replication its split of the read
//! into RPC and decoding/decryption.
//! Not a timed assertion: it prints the figures (name the CPU with them).
//!
//! `HASHSYNC_SAMBA_THROUGHPUT=1 cargo test -p hashsync-samba --test throughput -- --ignored --nocapture`
//! (without the variable it returns at once, so CI's run of the ignored
//! tests does not spend minutes on a measurement).
//! `HASHSYNC_SAMBA_THROUGHPUT_ACCOUNTS=N` changes the count;
//! `HASHSYNC_LAB_LDB_NOSYNC=1` provisions both DCs with `ldb:nosync`
//! (no fsync per transaction), to see how much of a write is the commit.

#[path = "lab/example.rs"]
mod example;
mod lab;
#[path = "lab/runner.rs"]
mod runner;

use std::time::Instant;

use lab::Lab;
use serde_json::{Value, json};

/// Accounts by default; `HASHSYNC_SAMBA_THROUGHPUT_ACCOUNTS` overrides.
const ACCOUNTS: usize = 2000;

#[test]
#[ignore = "needs Samba AD DC: sudo bash .ci/install-samba; prints figures"]
fn full_sync_of_two_thousand_accounts() {
    if std::env::var_os("HASHSYNC_SAMBA_THROUGHPUT").is_none() {
        eprintln!("a measurement: set HASHSYNC_SAMBA_THROUGHPUT=1 to run it");
        return;
    }
    if !lab::tools_or_skip() {
        return;
    }
    let bin = example::samba_sync(true);
    let accounts: usize = std::env::var("HASHSYNC_SAMBA_THROUGHPUT_ACCOUNTS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(ACCOUNTS);
    eprintln!("load before: {}", load_average());
    let mut lab = Lab::new().expect("lab");
    let ops = |target: bool| -> Value {
        Value::Array(
            (0..accounts)
                .map(|i| {
                    let password = if target {
                        format!("T-{i}-x")
                    } else {
                        format!("Perf-{i}-Passw0rd")
                    };
                    json!({"op": "user", "name": format!("perf{i:05}"), "password": password})
                })
                .collect(),
        )
    };
    let started = Instant::now();
    std::thread::scope(|scope| {
        let source = scope.spawn(|| lab.accounts(&lab.source, ops(false)));
        let target = scope.spawn(|| lab.accounts(&lab.target, ops(true)));
        source.join().unwrap().expect("source accounts");
        target.join().unwrap().expect("target accounts");
    });
    eprintln!(
        "{accounts} accounts on each DC in {:.1?}",
        started.elapsed()
    );
    let ldap = full_sync(&bin, &lab, "state-ldap", accounts);
    lab.read_by_replication().expect("replication credentials");
    // The target now holds the hashes the LDAP run wrote; a new state
    // makes this a full sync again, writing every account.
    let drs = full_sync(&bin, &lab, "state-drs", accounts);
    eprintln!("full sync of {accounts} accounts DC to DC, side by side:");
    for (source, seconds) in [("LDAP (ldapi)", ldap), ("replication (drs://)", drs)] {
        eprintln!(
            "  {source:<22} {seconds:6.2} s wall, {:5.0} accounts/s",
            accounts as f64 / seconds
        );
    }
    eprintln!("load: {}", load_average());
    let last = accounts - 1;
    assert!(lab.kinit(
        &lab.target,
        &format!("perf{last:05}"),
        &format!("Perf-{last}-Passw0rd")
    ));
}

/// One full sync from the lab's source (as `lab.source_url()` says) with a
/// new state directory `state`; prints `samba_sync`'s split, returns the
/// wall time in seconds.
fn full_sync(bin: &std::path::Path, lab: &Lab, state: &str, accounts: usize) -> f64 {
    let state = lab.root.join(state);
    let started = Instant::now();
    let output = runner::command(bin, &lab.source_url(), lab, &state)
        .output()
        .unwrap();
    let elapsed = started.elapsed().as_secs_f64();
    let stderr = String::from_utf8_lossy(&output.stderr);
    let stdout = String::from_utf8_lossy(&output.stdout);
    for line in stderr
        .lines()
        .filter(|l| l.contains(" in all:") || l.contains("GetNCChanges call"))
    {
        eprintln!("{line}");
    }
    eprintln!("{}", stdout.trim());
    assert!(output.status.success(), "{stderr}");
    let summary: Value = serde_json::from_str(stdout.lines().last().unwrap()).unwrap();
    assert_eq!(summary["synced"], accounts as u64, "{}", lab.source_url());
    eprintln!(
        "{}: {elapsed:.2} s wall, {:.0} accounts/s",
        lab.source_url(),
        accounts as f64 / elapsed
    );
    elapsed
}

/// `/proc/loadavg`, for the figures' context.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .unwrap_or_default()
        .trim()
        .to_owned()
}
