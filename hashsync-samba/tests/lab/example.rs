//! Builds the `samba_sync` example once per test binary and locates it.

use std::path::PathBuf;
use std::process::Command;

/// The example, built with the test profile (sharing this test's build of
/// hashsync) or with `--release` (for measurements).
pub fn samba_sync(release: bool) -> PathBuf {
    let mut command = Command::new(env!("CARGO"));
    command.args(["build", "-p", "hashsync-samba", "--example", "samba_sync"]);
    if release {
        command.arg("--release");
    } else {
        command.args(["--profile", "test"]);
    }
    let status = command
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .status()
        .unwrap();
    assert!(status.success(), "cargo build --example samba_sync");
    // This test runs from <target>/debug/deps.
    let exe = std::env::current_exe().unwrap();
    let target = exe.parent().unwrap().parent().unwrap().parent().unwrap();
    target
        .join(if release { "release" } else { "debug" })
        .join("examples/samba_sync")
}
