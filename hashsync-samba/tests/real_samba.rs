//! End to end against two real Samba AD DCs: passwords set at the source
//! forest log in at the target DC (Kerberos with only AES256 permitted, and
//! NTLM) after `samba_sync` carried their hashes; out-of-scope accounts do
//! not; incremental sync, a crash mid full sync, a source DC that goes
//! away, and an account that reaches the target late.
//!
//! Needs root, a network namespace and Samba: `sudo bash .ci/install-samba`.
//! Under CI (`CI` set) missing tools fail the test instead of skipping it.

#[path = "lab/gate.rs"]
mod gate;
mod lab;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use gate::Gate;
use hashsync_samba::ConfigurationStore;
use hashsync_samba::ldapi_url;
use lab::{Lab, check_tools};
use serde_json::{Value, json};

const BULK: usize = 70;

struct Account {
    name: String,
    password: String,
    upn: Option<&'static str>,
    disabled: bool,
    must_change: bool,
}

fn user(name: &str, password: &str) -> Account {
    Account {
        name: name.to_owned(),
        password: password.to_owned(),
        upn: None,
        disabled: false,
        must_change: false,
    }
}

fn long_password() -> String {
    let password: String = "Long-password-0123456789-"
        .chars()
        .cycle()
        .take(120)
        .collect();
    assert_eq!(password.chars().count(), 120);
    password
}

/// The accounts synced (in scope) and those scope must refuse.
fn accounts() -> (Vec<Account>, Vec<Account>) {
    let mut in_scope = vec![
        Account {
            upn: Some("John.Doe@contoso.example"),
            ..user("jdoe", "Upn-Passw0rd")
        },
        user("umlaut", "Pässwörd-äöü-日本語-✓"),
        user("long120", &long_password()),
        user("spaces", "  spaced out password  "),
    ];
    for i in 1..=BULK {
        in_scope.push(user(&format!("bulk{i:03}"), &format!("Bulk-{i}-Passw0rd")));
    }
    let out_of_scope = vec![
        Account {
            disabled: true,
            ..user("disabled1", "Disabled-Passw0rd")
        },
        Account {
            must_change: true,
            ..user("mustchange", "MustChange-Passw0rd")
        },
        user("MSOL_0123456789ab", "Msol-Passw0rd"),
    ];
    (in_scope, out_of_scope)
}

fn create_ops(accounts: &[Account], target_copy: bool) -> Vec<Value> {
    accounts
        .iter()
        .enumerate()
        .map(|(i, a)| {
            if target_copy {
                // Same names at the target, unrelated passwords.
                json!({"op": "user", "name": a.name, "password": format!("Target-{i}-{}", std::process::id())})
            } else {
                json!({"op": "user", "name": a.name, "password": a.password, "upn": a.upn,
                       "disabled": a.disabled, "must_change": a.must_change})
            }
        })
        .collect()
}

fn example() -> PathBuf {
    // The test profile shares this test's build of hashsync.
    let status = Command::new(env!("CARGO"))
        .args([
            "build",
            "--profile",
            "test",
            "-p",
            "hashsync-samba",
            "--example",
            "samba_sync",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .status()
        .unwrap();
    assert!(status.success(), "cargo build --example samba_sync");
    let deps = std::env::current_exe().unwrap();
    deps.parent()
        .unwrap()
        .parent()
        .unwrap()
        .join("examples/samba_sync")
}

struct Run {
    code: Option<i32>,
    summary: Option<Value>,
    stderr: String,
}

fn sync(bin: &Path, lab: &Lab, state: &Path, extra: &[&str], page_usns: u64) -> Run {
    sync_from(bin, &lab.source.url(), lab, state, extra, page_usns)
}

fn sync_from(
    bin: &Path,
    source: &str,
    lab: &Lab,
    state: &Path,
    extra: &[&str],
    page_usns: u64,
) -> Run {
    let output = Command::new(bin)
        .args(["--source", source, "--target", &lab.target.url(), "--state"])
        .arg(state)
        .args(extra)
        .env("HASHSYNC_SAMBA_PAGE_USNS", page_usns.to_string())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    eprintln!(
        "samba_sync {extra:?}: {:?}\n{stderr}{stdout}",
        output.status.code()
    );
    Run {
        code: output.status.code(),
        summary: stdout
            .lines()
            .last()
            .and_then(|l| serde_json::from_str(l).ok()),
        stderr,
    }
}

fn assert_logs_in(lab: &Lab, name: &str, password: &str) {
    assert!(
        lab.kinit(&lab.target, name, password),
        "kinit (AES256 only) {name} at the target"
    );
    assert!(
        lab.ntlm(&lab.target, name, password),
        "NTLM {name} at the target"
    );
}

fn assert_refused(lab: &Lab, name: &str, password: &str) {
    assert!(
        !lab.kinit(&lab.target, name, password),
        "kinit {name} at the target must fail"
    );
    assert!(
        !lab.ntlm(&lab.target, name, password),
        "NTLM {name} at the target must fail"
    );
}

#[test]
#[ignore = "needs Samba AD DC: sudo bash .ci/install-samba"]
fn passwords_from_a_real_source_dc_log_in_at_a_real_target_dc() {
    if let Err(missing) = check_tools() {
        if std::env::var_os("CI").is_some() {
            panic!("the Samba lab cannot run under CI: {missing} (run .ci/install-samba)");
        }
        eprintln!("skipped: {missing}; install with sudo bash .ci/install-samba");
        return;
    }
    let started = Instant::now();
    let bin = example();
    let mut lab = Lab::new().expect("lab");
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
    // 1. First run: configuration built and saved, full sync.
    let events = lab.root.join("events.jsonl");
    let run = sync(
        &bin,
        &lab,
        &state,
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
    let config = ConfigurationStore::open(&state)
        .unwrap()
        .load()
        .unwrap()
        .expect("saved");
    assert!(
        config.connector("onprem.contoso.com").is_ok(),
        "AD connector named after the domain"
    );
    for a in &in_scope {
        if !a.name.starts_with("bulk")
            || ["bulk001", "bulk050", "bulk070"].contains(&a.name.as_str())
        {
            assert_logs_in(&lab, &a.name, &a.password);
            assert_refused(&lab, &a.name, "Wrong-Passw0rd");
        }
    }
    for a in &out_of_scope {
        assert_refused(&lab, &a.name, &a.password);
    }
    assert!(
        !lab.kinit(&lab.target, "WS01$", "Computer-Passw0rd-WS01"),
        "computer out of scope"
    );
    eprintln!(
        "scenario 1 (full sync, logins) done after {:.1?}",
        started.elapsed()
    );

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
    let run = sync(&bin, &lab, &state, &[], 1000);
    assert_eq!(run.code, Some(0));
    let summary = run.summary.expect("JSON summary");
    assert_eq!(summary["mode"], "incremental");
    assert_eq!(summary["synced"], 2, "{summary}");
    assert_logs_in(&lab, "jdoe", "Third-Passw0rd");
    assert_refused(&lab, "jdoe", "Second-Passw0rd");
    assert_refused(&lab, "jdoe", "Upn-Passw0rd");
    assert_logs_in(&lab, "umlaut", "Ümlaut-Zwei-✓");
    assert_refused(&lab, "umlaut", "Pässwörd-äöü-日本語-✓");
    eprintln!(
        "scenario 2 (incremental) done after {:.1?}",
        started.elapsed()
    );

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
        &bin,
        &lab,
        &state,
        &["--force-full-sync", "--crash-after-batches", "1"],
        40,
    );
    assert_ne!(run.code, Some(0), "aborted");
    assert!(run.summary.is_none(), "no summary from an aborted run");
    let config = ConfigurationStore::open(&state)
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
    let run = sync(&bin, &lab, &state, &[], 40);
    assert_eq!(run.code, Some(0), "run after the crash");
    let summary = run.summary.expect("JSON summary");
    assert_eq!(summary["failed"], 0);
    assert_logs_in(&lab, "bulk010", "Crash-10-Passw0rd");
    assert_logs_in(&lab, "bulk069", "Crash-69-Passw0rd");
    assert_logs_in(&lab, "jdoe", "Third-Passw0rd");
    let run = sync(&bin, &lab, &state, &[], 40);
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
        &bin,
        &lab,
        &state,
        &["--force-full-sync", "--crash-after-batches", "2"],
        40,
    );
    assert_ne!(run.code, Some(0), "aborted");
    let run = sync(&bin, &lab, &state, &[], 40);
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
    assert_logs_in(&lab, "bulk070", "Resume-70-Passw0rd");
    eprintln!(
        "scenario 3 (crash mid full sync) done after {:.1?}",
        started.elapsed()
    );

    // 4a. The source DC stops in the middle of a full sync: a relay in
    // front of its socket holds one of the last page requests while the
    // DC is stopped (so the first batch has been written by then).
    let gates = lab.root.join("gates");
    std::fs::create_dir_all(&gates).unwrap();
    let counting = Gate::new(gates.join("count"), lab.source.socket(), None);
    let run = sync_from(
        &bin,
        &ldapi_url(&counting.path),
        &lab,
        &state,
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
    let child = Command::new(&bin)
        .args([
            "--source",
            &ldapi_url(&gate.path),
            "--target",
            &lab.target.url(),
            "--state",
        ])
        .arg(&state)
        .arg("--force-full-sync")
        .env("HASHSYNC_SAMBA_PAGE_USNS", "8")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
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
    let run = sync(&bin, &lab, &state, &[], 40);
    assert_eq!(run.code, Some(0), "the cycle after the DC is back");
    let summary = run.summary.expect("summary");
    assert_eq!(summary["mode"], "full", "the interrupted full sync resumes");
    assert!(
        summary["read"].as_u64().unwrap() < in_scope.len() as u64,
        "{summary}"
    );
    assert_logs_in(&lab, "bulk030", "Midway-30-Passw0rd");
    eprintln!(
        "scenario 4a (source DC stopped mid-cycle) done after {:.1?}",
        started.elapsed()
    );

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
    let run = sync(&bin, &lab, &state, &[], 1000);
    assert_eq!(run.code, Some(1));
    let message = run.stderr.lines().last().unwrap_or("");
    assert!(
        message.contains(&lab.source.socket().display().to_string()),
        "{message}"
    );
    assert!(message.contains("rootDSE read"), "{message}");
    let namespace = lab.namespace.clone();
    lab.source.start(&namespace).expect("source back");
    let run = sync(&bin, &lab, &state, &[], 1000);
    assert_eq!(run.code, Some(0));
    assert_eq!(run.summary.expect("summary")["synced"], 1);
    assert_logs_in(&lab, "bulk020", "Away-20-Passw0rd");
    eprintln!(
        "scenario 4 (source DC away) done after {:.1?}",
        started.elapsed()
    );

    // 5. An account at the source that the target does not have yet:
    // retried, and written once it exists there.
    lab.accounts(
        &lab.source,
        json!([
            {"op": "user", "name": "late1", "password": "Late-Passw0rd"},
        ]),
    )
    .unwrap();
    let mut child = Command::new(&bin)
        .args([
            "--source",
            &lab.source.url(),
            "--target",
            &lab.target.url(),
            "--state",
        ])
        .arg(&state)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let mut saw_retry = false;
    for line in BufReader::new(stderr).lines() {
        let line = line.unwrap();
        eprintln!("late: {line}");
        if line.contains("retry late1") && !saw_retry {
            saw_retry = true;
            lab.accounts(
                &lab.target,
                json!([
                    {"op": "user", "name": "late1", "password": "Target-Late-0"},
                ]),
            )
            .unwrap();
        }
    }
    let output = child.wait_with_output().unwrap();
    assert!(saw_retry, "late1 was retried");
    assert_eq!(output.status.code(), Some(0));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let summary: Value = serde_json::from_str(stdout.lines().last().unwrap()).unwrap();
    if summary["synced"] == 0 {
        // The cycle ended with late1 waiting: the next one writes it.
        let run = sync(&bin, &lab, &state, &[], 1000);
        assert_eq!(run.code, Some(0));
    }
    assert_logs_in(&lab, "late1", "Late-Passw0rd");
    eprintln!(
        "scenario 5 (late account) done after {:.1?}",
        started.elapsed()
    );

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
    let mut child = Command::new(&bin)
        .args([
            "--source",
            &lab.source.url(),
            "--target",
            &lab.target.url(),
            "--state",
        ])
        .arg(&state)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let mut saw_batch_error = false;
    for line in BufReader::new(stderr).lines() {
        let line = line.unwrap();
        eprintln!("target away: {line}");
        if line.contains("failed") && line.contains("every item is retried") && !saw_batch_error {
            saw_batch_error = true;
            assert!(
                line.contains("credential write") || line.contains("rootDSE read"),
                "{line}"
            );
            let namespace = lab.namespace.clone();
            lab.target.start(&namespace).expect("target back");
        }
    }
    let output = child.wait_with_output().unwrap();
    assert!(
        saw_batch_error,
        "the batch failed while the target was away"
    );
    assert_eq!(output.status.code(), Some(0));
    assert_logs_in(&lab, "bulk040", "Retry-40-Passw0rd");
    assert_logs_in(&lab, "spaces", "  retried  ");
    eprintln!(
        "scenario 6 (target away, batch retried) done after {:.1?}",
        started.elapsed()
    );
    drop(lab);
    eprintln!("real-server test: {:.1?} in all", started.elapsed());
}
