//! Running `samba_sync` against the lab, and login checks at the target.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::lab::Lab;

pub fn example() -> PathBuf {
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

pub struct Run {
    pub code: Option<i32>,
    pub summary: Option<Value>,
    pub stderr: String,
}

pub fn sync(bin: &Path, lab: &Lab, state: &Path, extra: &[&str], page_usns: u64) -> Run {
    sync_from(bin, &lab.source.url(), lab, state, extra, page_usns)
}

pub fn sync_from(
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

pub fn assert_logs_in(lab: &Lab, name: &str, password: &str) {
    assert!(
        lab.kinit(&lab.target, name, password),
        "kinit (AES256 only) {name} at the target"
    );
    assert!(
        lab.ntlm(&lab.target, name, password),
        "NTLM {name} at the target"
    );
}

pub fn assert_refused(lab: &Lab, name: &str, password: &str) {
    assert!(
        !lab.kinit(&lab.target, name, password),
        "kinit {name} at the target must fail"
    );
    assert!(
        !lab.ntlm(&lab.target, name, password),
        "NTLM {name} at the target must fail"
    );
}
