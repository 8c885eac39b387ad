//! Killed at any instant (SIGKILL), a state file written with
//! `write_atomically` holds one complete version, never a torn one, and
//! no reader ever sees it missing.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use hashsync_samba::write_atomically;

const CHILD: &str = "HASHSYNC_ATOMIC_WRITER_DIR";
const BODY: usize = 256 * 1024;

/// Version `n`: a header, a body derived from `n`, a trailer.
fn version(n: u64) -> Vec<u8> {
    let mut bytes = format!("version {n}\n").into_bytes();
    bytes.extend((0..BODY).map(|i| (n as usize).wrapping_mul(31).wrapping_add(i) as u8));
    bytes.extend_from_slice(b"\nend\n");
    bytes
}

/// Whether `bytes` is exactly one complete version.
fn is_complete(bytes: &[u8]) -> bool {
    let Some(newline) = bytes.iter().position(|&b| b == b'\n') else {
        return false;
    };
    let Some(n) = std::str::from_utf8(&bytes[..newline])
        .ok()
        .and_then(|h| h.strip_prefix("version "))
        .and_then(|n| n.parse::<u64>().ok())
    else {
        return false;
    };
    bytes == version(n).as_slice()
}

/// Not a test of its own: the writer the other test kills.
#[test]
fn atomic_writer_child() {
    let Some(dir) = std::env::var_os(CHILD) else {
        return;
    };
    let path = PathBuf::from(dir).join("state.json");
    for n in 1.. {
        write_atomically(&path, &version(n)).unwrap();
    }
}

fn spawn_writer(dir: &Path) -> std::process::Child {
    Command::new(std::env::current_exe().unwrap())
        .args([
            "atomic_writer_child",
            "--exact",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD, dir)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap()
}

#[test]
fn a_writer_killed_at_any_instant_leaves_old_or_new() {
    let dir = std::env::temp_dir().join(format!("hashsync-atomic-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("state.json");
    write_atomically(&path, &version(0)).unwrap();
    let mut seen = std::collections::BTreeSet::new();
    for round in 0..40u64 {
        let mut writer = spawn_writer(&dir);
        // Vary the instant of the kill.
        std::thread::sleep(Duration::from_millis(20 + (round * 7) % 60));
        writer.kill().unwrap(); // SIGKILL
        writer.wait().unwrap();
        let bytes = std::fs::read(&path).expect("the state file is never missing");
        assert!(is_complete(&bytes), "round {round}: torn state file");
        seen.insert(bytes[..20].to_vec());
    }
    // The writer made progress between kills (the test is not vacuous).
    assert!(seen.len() > 1, "the writer never replaced the file");
    let mode = {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(&path).unwrap().permissions().mode() & 0o777
    };
    assert_eq!(mode, 0o600);
    std::fs::remove_dir_all(&dir).unwrap();
}
