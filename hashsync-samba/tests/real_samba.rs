//! End to end against two real Samba AD DCs: passwords set at the source
//! forest log in at the target DC (Kerberos with only AES256 permitted, and
//! NTLM) after `samba_sync` carried their hashes; out-of-scope accounts do
//! not; incremental sync, a crash mid full sync, a source DC that goes
//! away, an account that reaches the target late, and the Domain Services
//! path (updates sealed to the managed domain's certificate, opened at the
//! target with its key), through `samba_sync` and in process.
//!
//! Needs root, a network namespace and Samba: `sudo bash .ci/install-samba`.
//! Under CI (`CI` set) missing tools fail the test instead of skipping it.

#[path = "lab/example.rs"]
mod example;
#[path = "lab/gate.rs"]
mod gate;
mod lab;
#[path = "lab/population.rs"]
mod population;
#[path = "lab/runner.rs"]
mod runner;
#[path = "lab/tcp_cut.rs"]
mod tcp_cut;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use gate::Gate;
use hashsync::formats::envelope::{ManagedDomainCertificate, ManagedDomainKey};
use hashsync::model::ManagedDomainSettings;
use hashsync::sync::{
    Batch, ChannelConfig, Driver, InMemoryCursorStore, ItemResult, LegacyDelivery, LegacySecrets,
    RunOutcome, Transport,
};
use hashsync_samba::ldapi_url;
use hashsync_samba::{
    ConfigurationStore, SambaError, SambaSource, SambaTarget, StateLock, WriteOutcome,
};
use lab::Lab;
use population::{Account, accounts, create_ops};
use runner::{
    Watchdog, assert_logs_in, assert_refused, command, example, run_watching, sync, sync_from,
};
use serde_json::{Value, json};

/// The example and its state directory.
struct Tool {
    bin: PathBuf,
    state: PathBuf,
}

/// The accounts created at both DCs.
struct People {
    in_scope: Vec<Account>,
    out_of_scope: Vec<Account>,
}

type Scenario = fn(&mut Lab, &Tool, &People);

#[test]
#[ignore = "needs Samba AD DC: sudo bash .ci/install-samba"]
fn passwords_from_a_real_source_dc_log_in_at_a_real_target_dc() {
    if !lab::tools_or_skip() {
        return;
    }
    // Once with the source read over its privileged LDAP socket, once by
    // replication (MS-DRSR over TCP, as Entra Connect reads AD), each on a
    // lab of its own. (One test: two labs at once would share the
    // process's namespace name.)
    run_lab(SourceRead::Ldap);
    run_lab(SourceRead::Replication);
}

/// How `samba_sync` reads the source DC.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum SourceRead {
    Ldap,
    Replication,
}

fn run_lab(read: SourceRead) {
    let started = Instant::now();
    let bin = example();
    let mut lab = Lab::new().expect("lab");
    if read == SourceRead::Replication {
        lab.read_by_replication().expect("credentials file");
    }
    let (in_scope, out_of_scope) = accounts();
    let all: Vec<&Account> = in_scope.iter().chain(&out_of_scope).collect();
    let mut source_ops = create_ops(&in_scope, false);
    source_ops.extend(create_ops(&out_of_scope, false));
    source_ops
        .push(json!({"op": "computer", "name": "WS01", "password": "Computer-Passw0rd-WS01"}));
    lab.accounts(&lab.source, Value::Array(source_ops))
        .expect("source accounts");
    let mut target_ops = create_ops(&in_scope, true);
    target_ops.extend(create_ops(&out_of_scope, true));
    target_ops
        .push(json!({"op": "computer", "name": "WS01", "password": "Target-Computer-Passw0rd"}));
    lab.accounts(&lab.target, Value::Array(target_ops))
        .expect("target accounts");
    eprintln!(
        "lab: {} accounts on each side after {:.1?}",
        all.len() + 1,
        started.elapsed()
    );

    // The passwords are right at the source (independent of hashsync).
    assert!(
        lab.kinit(&lab.source, "jdoe", "Upn-Passw0rd"),
        "kinit jdoe at the source"
    );
    assert!(
        lab.ntlm(&lab.source, "umlaut", "Pässwörd-äöü-日本語-✓"),
        "NTLM umlaut at the source"
    );
    // Before sync, nothing logs in at the target with the on-prem password.
    assert_refused(&lab, "jdoe", "Upn-Passw0rd");

    let state = lab.root.join("state");
    let tool = Tool { bin, state };
    let people = People {
        in_scope,
        out_of_scope,
    };
    let over_ldap: [(&str, Scenario); 10] = [
        ("full_sync_then_logins", full_sync_then_logins),
        (
            "incremental_newest_password_wins",
            incremental_newest_password_wins,
        ),
        (
            "crashes_mid_full_sync_converge",
            crashes_mid_full_sync_converge,
        ),
        ("source_dc_stopped_mid_cycle", source_dc_stopped_mid_cycle),
        (
            "source_dc_down_at_cycle_start",
            source_dc_down_at_cycle_start,
        ),
        ("account_late_at_the_target", account_late_at_the_target),
        ("target_away_batch_retried", target_away_batch_retried),
        ("samba_sync_sealed", samba_sync_sealed),
        (
            "sealed_for_the_managed_domain",
            sealed_for_the_managed_domain,
        ),
        (
            "no_kerberos_keys_leaves_ntlm_only",
            no_kerberos_keys_leaves_ntlm_only,
        ),
    ];
    // By replication: what the issue asks of the replication source (full
    // sync and logins, incremental changes, crashes converging, the DC
    // gone mid-reply) and the sealed path; the LDAP-specific scenarios
    // (a relay in front of the ldapi socket) and the in-process target
    // checks run once, over LDAP.
    let by_replication: [(&str, Scenario); 5] = [
        ("full_sync_then_logins", full_sync_then_logins),
        (
            "incremental_newest_password_wins",
            incremental_newest_password_wins,
        ),
        (
            "crashes_mid_full_sync_converge",
            crashes_mid_full_sync_converge,
        ),
        (
            "replication_dropped_mid_reply",
            replication_dropped_mid_reply,
        ),
        ("samba_sync_sealed", samba_sync_sealed),
    ];
    let scenarios: &[(&str, Scenario)] = match read {
        SourceRead::Ldap => &over_ldap,
        SourceRead::Replication => &by_replication,
    };
    for (name, scenario) in scenarios {
        scenario(&mut lab, &tool, &people);
        eprintln!(
            "{read:?}: scenario {name} done after {:.1?}",
            started.elapsed()
        );
    }
    drop(lab);
    eprintln!(
        "real-server test ({read:?}): {:.1?} in all",
        started.elapsed()
    );
}

fn full_sync_then_logins(lab: &mut Lab, tool: &Tool, people: &People) {
    let (bin, state) = (&tool.bin, &tool.state);
    let in_scope = &people.in_scope;
    let out_of_scope = &people.out_of_scope;
    // 1. First run: configuration built and saved, full sync.
    let events = lab.root.join("events.jsonl");
    let run = sync(
        bin,
        lab,
        state,
        &["--events", events.to_str().unwrap()],
        1000,
    );
    assert_eq!(run.code, Some(0), "first run");
    let summary = run.summary.expect("JSON summary");
    assert_eq!(summary["mode"], "full");
    let lines: Vec<Value> = std::fs::read_to_string(&events)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON object per line"))
        .collect();
    let successes = lines
        .iter()
        .filter(|e| e["event"] == "PasswordChangeResult" && e["outcome"] == "Success")
        .count();
    assert_eq!(
        successes,
        in_scope.len(),
        "one result event per synced account"
    );
    assert!(
        lines.iter().any(|e| e["event"] == "SourceSkipped"
            && e["sam_account_name"] == "Guest"
            && e["reason"].as_str().unwrap().contains("no password")),
        "Guest has no password: a skip with its reason"
    );
    assert_eq!(summary["synced"], in_scope.len() as u64, "{summary}");
    assert_eq!(summary["failed"], 0);
    // Ours, the computer, and Samba's own (Administrator, krbtgt, Guest, …).
    assert!(summary["out_of_scope"].as_u64().unwrap() > out_of_scope.len() as u64 + 1);
    let config = ConfigurationStore::open(state)
        .unwrap()
        .load()
        .unwrap()
        .expect("saved");
    assert!(
        config.connector("onprem.contoso.com").is_ok(),
        "AD connector named after the domain"
    );
    for a in in_scope {
        if !a.name.starts_with("bulk")
            || ["bulk001", "bulk050", "bulk070"].contains(&a.name.as_str())
        {
            assert_logs_in(lab, &a.name, &a.password);
            assert_refused(lab, &a.name, "Wrong-Passw0rd");
        }
    }
    for a in out_of_scope {
        assert_refused(lab, &a.name, &a.password);
    }
    assert!(
        !lab.kinit(&lab.target, "WS01$", "Computer-Passw0rd-WS01"),
        "computer out of scope"
    );
}

fn incremental_newest_password_wins(lab: &mut Lab, tool: &Tool, _: &People) {
    let (bin, state) = (&tool.bin, &tool.state);
    // 2. Password changes, one account twice: one incremental run.
    lab.accounts(
        &lab.source,
        json!([
            {"op": "setpassword", "name": "jdoe", "password": "Second-Passw0rd"},
            {"op": "setpassword", "name": "jdoe", "password": "Third-Passw0rd"},
            {"op": "setpassword", "name": "umlaut", "password": "Ümlaut-Zwei-✓"},
        ]),
    )
    .unwrap();
    // While another holder has the state directory, a run refuses to start.
    let held = StateLock::acquire(state).unwrap();
    let run = sync(bin, lab, state, &[], 1000);
    assert_eq!(run.code, Some(1));
    assert!(run.stderr.contains("in use"), "{}", run.stderr);
    drop(held);
    let run = sync(bin, lab, state, &[], 1000);
    assert_eq!(run.code, Some(0));
    let summary = run.summary.expect("JSON summary");
    assert_eq!(summary["mode"], "incremental");
    assert_eq!(summary["synced"], 2, "{summary}");
    assert_logs_in(lab, "jdoe", "Third-Passw0rd");
    assert_refused(lab, "jdoe", "Second-Passw0rd");
    assert_refused(lab, "jdoe", "Upn-Passw0rd");
    assert_logs_in(lab, "umlaut", "Ümlaut-Zwei-✓");
    assert_refused(lab, "umlaut", "Pässwörd-äöü-日本語-✓");
}

fn crashes_mid_full_sync_converge(lab: &mut Lab, tool: &Tool, people: &People) {
    let (bin, state) = (&tool.bin, &tool.state);
    let in_scope = &people.in_scope;
    // 3. A crash in the middle of a forced full sync (two batches and
    // several pages), then a normal run converges.
    lab.accounts(
        &lab.source,
        json!([
            {"op": "setpassword", "name": "bulk010", "password": "Crash-10-Passw0rd"},
            {"op": "setpassword", "name": "bulk069", "password": "Crash-69-Passw0rd"},
        ]),
    )
    .unwrap();
    let run = sync(
        bin,
        lab,
        state,
        &["--force-full-sync", "--crash-after-batches", "1"],
        40,
    );
    assert_ne!(run.code, Some(0), "aborted");
    assert!(run.summary.is_none(), "no summary from an aborted run");
    let config = ConfigurationStore::open(state)
        .unwrap()
        .load()
        .unwrap()
        .unwrap();
    assert!(
        !config
            .connector("onprem.contoso.com")
            .unwrap()
            .force_full_password_sync(),
        "flag back to 0"
    );
    let run = sync(bin, lab, state, &[], 40);
    assert_eq!(run.code, Some(0), "run after the crash");
    let summary = run.summary.expect("JSON summary");
    assert_eq!(summary["failed"], 0);
    assert_logs_in(lab, "bulk010", "Crash-10-Passw0rd");
    assert_logs_in(lab, "bulk069", "Crash-69-Passw0rd");
    assert_logs_in(lab, "jdoe", "Third-Passw0rd");
    let run = sync(bin, lab, state, &[], 40);
    assert_eq!(run.summary.expect("summary")["mode"], "incremental");
    // Crashing after the second batch: the first batch's pages are
    // committed, so the next run resumes the same full sync from there.
    lab.accounts(
        &lab.source,
        json!([
            {"op": "setpassword", "name": "bulk070", "password": "Resume-70-Passw0rd"},
        ]),
    )
    .unwrap();
    let run = sync(
        bin,
        lab,
        state,
        &["--force-full-sync", "--crash-after-batches", "2"],
        40,
    );
    assert_ne!(run.code, Some(0), "aborted");
    let run = sync(bin, lab, state, &[], 40);
    assert_eq!(run.code, Some(0), "run after the second crash");
    let summary = run.summary.expect("JSON summary");
    assert_eq!(
        summary["mode"], "full",
        "the resumed full sync is still a full sync"
    );
    let read = summary["read"].as_u64().unwrap();
    assert!(
        read > 0 && read < in_scope.len() as u64,
        "resumed past the committed pages: {summary}"
    );
    assert_logs_in(lab, "bulk070", "Resume-70-Passw0rd");
}

fn source_dc_stopped_mid_cycle(lab: &mut Lab, tool: &Tool, people: &People) {
    let (bin, state) = (&tool.bin, &tool.state);
    let in_scope = &people.in_scope;
    // 4a. The source DC stops in the middle of a full sync: a relay in
    // front of its socket holds one of the last page requests while the
    // DC is stopped (so the first batch has been written by then).
    let gates = lab.root.join("gates");
    std::fs::create_dir_all(&gates).unwrap();
    let counting = Gate::new(gates.join("count"), lab.source.socket(), None);
    let run = sync_from(
        bin,
        &ldapi_url(&counting.path),
        lab,
        state,
        &["--force-full-sync"],
        8,
    );
    assert_eq!(run.code, Some(0));
    let requests = counting.requests();
    assert!(requests > 10, "{requests} requests");
    lab.accounts(
        &lab.source,
        json!([
            {"op": "setpassword", "name": "bulk030", "password": "Midway-30-Passw0rd"},
        ]),
    )
    .unwrap();
    let gate = Gate::new(gates.join("hold"), lab.source.socket(), Some(requests - 2));
    let child = command(bin, &ldapi_url(&gate.path), lab, state)
        .arg("--force-full-sync")
        .env("HASHSYNC_SAMBA_PAGE_USNS", "8")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let _watchdog = Watchdog::new(child.id());
    assert!(
        gate.wait_until_held(Duration::from_secs(60)),
        "a late page request is held"
    );
    lab.source.stop();
    gate.release();
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    eprintln!("midway: {stderr}");
    assert_eq!(output.status.code(), Some(1), "a source error is exit 1");
    let message = stderr.lines().last().unwrap_or("");
    assert!(message.contains("full-sync page search"), "{message}");
    assert!(
        message.contains(&gate.path.display().to_string()),
        "{message}"
    );
    assert!(
        stderr.contains("batch 0: 50 written"),
        "the first batch went before the DC stopped"
    );
    let namespace = lab.namespace.clone();
    lab.source.start(&namespace).expect("source back");
    let run = sync(bin, lab, state, &[], 40);
    assert_eq!(run.code, Some(0), "the cycle after the DC is back");
    let summary = run.summary.expect("summary");
    assert_eq!(summary["mode"], "full", "the interrupted full sync resumes");
    assert!(
        summary["read"].as_u64().unwrap() < in_scope.len() as u64,
        "{summary}"
    );
    assert_logs_in(lab, "bulk030", "Midway-30-Passw0rd");
}

fn replication_dropped_mid_reply(lab: &mut Lab, tool: &Tool, people: &People) {
    let (bin, state) = (&tool.bin, &tool.state);
    let in_scope = &people.in_scope;
    // The replication connection drops in the middle of a reply, late in
    // a full sync (a relay cuts the second-to-last GetNCChanges reply in
    // half, so the first batch has been written by then): the run ends
    // with the RPC error (exit 1), and the next cycle resumes the same
    // full sync from the last committed page and loses nothing.
    let relayed = format!("drs://{}", tcp_cut::RELAY_IP);
    let counting = tcp_cut::TcpCut::start(lab, 0);
    let run = sync_from(bin, &relayed, lab, state, &["--force-full-sync"], 8);
    assert_eq!(run.code, Some(0), "through the relay, uncut");
    let replies = counting.responses();
    drop(counting);
    assert!(replies > 10, "{replies} replies");
    lab.accounts(
        &lab.source,
        json!([
            {"op": "setpassword", "name": "bulk060", "password": "Dropped-60-Passw0rd"},
        ]),
    )
    .unwrap();
    let cutting = tcp_cut::TcpCut::start(lab, replies - 2);
    let run = sync_from(bin, &relayed, lab, state, &["--force-full-sync"], 8);
    drop(cutting);
    assert_eq!(run.code, Some(1), "a source error is exit 1");
    let message = run.stderr.lines().last().unwrap_or("");
    assert!(message.contains(tcp_cut::RELAY_IP), "{message}");
    assert!(message.contains("IDL_DRSGetNCChanges"), "{message}");
    assert!(
        run.stderr.contains("batch 0: 50 written"),
        "the first batch went before the connection dropped"
    );
    let run = sync(bin, lab, state, &[], 40);
    assert_eq!(run.code, Some(0), "the next cycle");
    let summary = run.summary.expect("summary");
    assert_eq!(summary["mode"], "full", "the interrupted full sync resumes");
    assert!(
        summary["read"].as_u64().unwrap() < in_scope.len() as u64,
        "resumed past the committed pages: {summary}"
    );
    assert_eq!(summary["failed"], 0);
    assert_logs_in(lab, "bulk060", "Dropped-60-Passw0rd");
    assert!(
        run.stderr.contains("GetNCChanges call(s)"),
        "{}",
        run.stderr
    );
}

fn source_dc_down_at_cycle_start(lab: &mut Lab, tool: &Tool, _: &People) {
    let (bin, state) = (&tool.bin, &tool.state);
    // 4b. The source DC is down when a cycle starts: a typed error naming it; back, the next
    // cycle carries what changed meanwhile.
    lab.accounts(
        &lab.source,
        json!([
            {"op": "setpassword", "name": "bulk020", "password": "Away-20-Passw0rd"},
        ]),
    )
    .unwrap();
    lab.source.stop();
    let run = sync(bin, lab, state, &[], 1000);
    assert_eq!(run.code, Some(1));
    let message = run.stderr.lines().last().unwrap_or("");
    assert!(
        message.contains(&lab.source.socket().display().to_string()),
        "{message}"
    );
    assert!(message.contains("rootDSE read"), "{message}");
    let namespace = lab.namespace.clone();
    lab.source.start(&namespace).expect("source back");
    let run = sync(bin, lab, state, &[], 1000);
    assert_eq!(run.code, Some(0));
    assert_eq!(run.summary.expect("summary")["synced"], 1);
    assert_logs_in(lab, "bulk020", "Away-20-Passw0rd");
}

fn account_late_at_the_target(lab: &mut Lab, tool: &Tool, _: &People) {
    let (bin, state) = (&tool.bin, &tool.state);
    // 5. An account at the source that the target does not have yet:
    // retried, and written once it exists there.
    lab.accounts(
        &lab.source,
        json!([
            {"op": "user", "name": "late1", "password": "Late-Passw0rd"},
        ]),
    )
    .unwrap();
    let mut saw_retry = false;
    let (code, summary) = run_watching(bin, lab, state, |lab, line| {
        if line.contains("retry late1") && !saw_retry {
            saw_retry = true;
            let late = json!([{"op": "user", "name": "late1", "password": "Target-Late-0"}]);
            lab.accounts(&lab.target, late).unwrap();
        }
    });
    assert!(saw_retry, "late1 was retried");
    assert_eq!(code, Some(0));
    if summary.expect("summary")["synced"] == 0 {
        // The cycle ended with late1 waiting: the next one writes it.
        let run = sync(bin, lab, state, &[], 1000);
        assert_eq!(run.code, Some(0));
    }
    assert_logs_in(lab, "late1", "Late-Passw0rd");
}

fn target_away_batch_retried(lab: &mut Lab, tool: &Tool, _: &People) {
    let (bin, state) = (&tool.bin, &tool.state);
    // 6. The target goes away: the batch fails as a whole and every item
    // is retried; once the target is back, they are written.
    lab.accounts(
        &lab.source,
        json!([
            {"op": "setpassword", "name": "bulk040", "password": "Retry-40-Passw0rd"},
            {"op": "setpassword", "name": "spaces", "password": "  retried  "},
        ]),
    )
    .unwrap();
    lab.target.stop();
    let mut saw_batch_error = false;
    let (code, summary) = run_watching(bin, lab, state, |lab, line| {
        if line.contains("failed") && line.contains("every item is retried") && !saw_batch_error {
            saw_batch_error = true;
            assert!(
                line.contains("credential write") || line.contains("rootDSE read"),
                "{line}"
            );
            let namespace = lab.namespace.clone();
            lab.target.start(&namespace).expect("target back");
        }
    });
    assert!(
        saw_batch_error,
        "the batch failed while the target was away"
    );
    assert_eq!(
        code,
        Some(0),
        "a cycle with items waiting for a retry completed"
    );
    let synced = summary.expect("summary")["synced"].as_u64().unwrap();
    if synced < 2 {
        // The cycle ended with the items waiting; the cursor stayed before
        // them, so the next cycle reads and writes them.
        let run = sync(bin, lab, state, &[], 1000);
        assert_eq!(run.code, Some(0));
        let summary = run.summary.expect("summary");
        assert_eq!(synced + summary["synced"].as_u64().unwrap(), 2, "{summary}");
    }
    assert_logs_in(lab, "bulk040", "Retry-40-Passw0rd");
    assert_logs_in(lab, "spaces", "  retried  ");
}

fn samba_sync_sealed(lab: &mut Lab, tool: &Tool, _: &People) {
    let (bin, state) = (&tool.bin, &tool.state);
    // 7. The same CLI with the managed domain's certificate and key: a
    // fresh self-signed RSA-2048 pair from openssl, its SHA-1 thumbprint
    // from openssl too. The updates reach the target sealed to it, and
    // what the target opened and wrote logs in.
    let (cert, key) = (lab.root.join("md-cert.pem"), lab.root.join("md-key.pem"));
    let generated = Command::new("openssl")
        .args([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
        ])
        .args(["-subj", "/CN=managed domain (hashsync lab)", "-keyout"])
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .unwrap();
    assert!(generated.status.success(), "openssl req: {generated:?}");
    let fingerprint = Command::new("openssl")
        .args(["x509", "-noout", "-fingerprint", "-sha1", "-in"])
        .arg(&cert)
        .output()
        .unwrap();
    let fingerprint = String::from_utf8(fingerprint.stdout).unwrap();
    let thumbprint: String = fingerprint
        .trim()
        .rsplit('=')
        .next()
        .unwrap()
        .replace(':', "")
        .to_uppercase();
    assert_eq!(thumbprint.len(), 40, "{fingerprint}");
    lab.accounts(
        &lab.source,
        json!([
            {"op": "setpassword", "name": "bulk030", "password": "Sealed-Cli-30-Passw0rd"},
            {"op": "setpassword", "name": "spaces", "password": "  sealed via cli  "},
        ]),
    )
    .unwrap();
    let run = sync(
        bin,
        lab,
        state,
        &[
            "--managed-domain-cert",
            cert.to_str().unwrap(),
            "--managed-domain-key",
            key.to_str().unwrap(),
        ],
        1000,
    );
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let summary = run.summary.expect("JSON summary");
    assert_eq!(summary["mode"], "incremental", "{summary}");
    assert_eq!(summary["synced"], 2, "{summary}");
    assert_eq!(summary["failed"], 0, "{summary}");
    assert!(
        run.stderr.contains(&format!(
            "sealed to the managed domain's certificate {thumbprint}"
        )),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("2 update(s) reached the target sealed"),
        "{}",
        run.stderr
    );
    assert_logs_in(lab, "bulk030", "Sealed-Cli-30-Passw0rd");
    assert_logs_in(lab, "spaces", "  sealed via cli  ");
    assert_refused(lab, "spaces", "  retried  ");
}

/// Only envelopes reach the target's side: the Entra ID relay in between,
/// collapsed into the transport, never sees a legacy secret in the clear.
struct OnlySealed {
    target: SambaTarget,
    sealed: usize,
}

impl Transport for OnlySealed {
    type Error = SambaError;

    fn send(&mut self, batch: &Batch) -> Result<Vec<ItemResult>, SambaError> {
        for update in &batch.updates {
            assert!(
                matches!(update.legacy, Some(LegacySecrets::Sealed(_))),
                "a legacy secret in the clear"
            );
            self.sealed += 1;
        }
        self.target.send(batch)
    }
}

fn sealed_for_the_managed_domain(lab: &mut Lab, _: &Tool, people: &People) {
    // 8. The Domain Services path: legacy credentials sealed to the managed
    // domain's certificate (hashsync's envelope), opened at the target with
    // its private key, then written. In process, through the library.
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/data/envelope");
    let pem = std::fs::read_to_string(data.join("managed_domain_cert.pem")).unwrap();
    let certificate = ManagedDomainCertificate::from_pem(&pem).unwrap();
    let key_bytes = std::fs::read(data.join("managed_domain_key.pem")).unwrap();
    let key = ManagedDomainKey::new(certificate.clone(), &key_bytes).unwrap();
    lab.accounts(
        &lab.source,
        json!([{"op": "setpassword", "name": "long120", "password": "Sealed-Passw0rd-ü"}]),
    )
    .unwrap();
    let target = SambaTarget::new(&lab.target.url()).with_managed_domain_key(key);
    let transport = OnlySealed { target, sealed: 0 };
    let mut driver = Driver::new(transport, InMemoryCursorStore::new());
    // The channel seals as it prepares: the transport sees envelopes only.
    let channel = ChannelConfig::new(
        "onprem.contoso.com",
        "contoso.onmicrosoft.com - Microsoft Entra ID",
    )
    .with_domain_services(Some(ManagedDomainSettings::default()))
    .with_legacy_delivery(LegacyDelivery::sealed_to(certificate));
    driver
        .start_channel(channel, SambaSource::new(&lab.source.url()), false)
        .unwrap();
    assert_eq!(driver.run_cycle().unwrap(), RunOutcome::Settled);
    let (mut only_sealed, _, _) = driver.into_parts();
    assert_eq!(
        only_sealed.sealed,
        people.in_scope.len() + 1,
        "every in-scope account, sealed"
    );
    let written = only_sealed
        .target
        .drain_log()
        .into_iter()
        .filter(|w| matches!(w.outcome, WriteOutcome::Written { .. }))
        .count();
    assert_eq!(
        written, only_sealed.sealed,
        "each envelope opened and written"
    );
    assert_logs_in(lab, "long120", "Sealed-Passw0rd-ü");
    assert_logs_in(lab, "jdoe", "Third-Passw0rd");
}

fn no_kerberos_keys_leaves_ntlm_only(lab: &mut Lab, _: &Tool, _: &People) {
    // 9. A managed domain that does not sync Kerberos keys: the target gets
    // the NT hash and loses its supplementalCredentials, so NTLM works with
    // the new password and Kerberos AES256 works with neither (its old keys
    // are gone with the attribute).
    lab.accounts(
        &lab.source,
        json!([{"op": "setpassword", "name": "umlaut", "password": "Nur-NTLM-Passw0rd"}]),
    )
    .unwrap();
    let mut settings = ManagedDomainSettings::default();
    settings.sync_kerberos_passwords = false;
    let channel = ChannelConfig::new(
        "onprem.contoso.com",
        "contoso.onmicrosoft.com - Microsoft Entra ID",
    )
    .with_domain_services(Some(settings))
    .with_legacy_delivery(LegacyDelivery::Plaintext);
    let mut driver = Driver::new(
        SambaTarget::new(&lab.target.url()),
        InMemoryCursorStore::new(),
    );
    driver
        .start_channel(channel, SambaSource::new(&lab.source.url()), false)
        .unwrap();
    assert_eq!(driver.run_cycle().unwrap(), RunOutcome::Settled);
    assert!(
        lab.ntlm(&lab.target, "umlaut", "Nur-NTLM-Passw0rd"),
        "NTLM with the new password"
    );
    assert!(
        !lab.kinit(&lab.target, "umlaut", "Nur-NTLM-Passw0rd"),
        "no AES256 key for it"
    );
    assert!(
        !lab.kinit(&lab.target, "umlaut", "Ümlaut-Zwei-✓"),
        "the old AES256 key is gone"
    );
}
