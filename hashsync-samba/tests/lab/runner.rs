//! Running `samba_sync` against the lab, and login checks at the target.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::lab::Lab;

/// The example, built with the test profile.
pub fn example() -> PathBuf {
    crate::example::samba_sync(false)
}

/// Longest a `samba_sync` run may take before the test kills it.
const RUN_LIMIT: Duration = Duration::from_secs(180);

/// Kills a run that outlives [`RUN_LIMIT`], so a hung run fails the test
/// (exit code `None`) instead of hanging it. Disarmed when dropped.
pub struct Watchdog {
    done: Arc<AtomicBool>,
}

impl Watchdog {
    pub fn new(pid: u32) -> Self {
        let done = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&done);
        std::thread::spawn(move || {
            let deadline = Instant::now() + RUN_LIMIT;
            while Instant::now() < deadline {
                if flag.load(Ordering::SeqCst) {
                    return;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
            if !flag.load(Ordering::SeqCst) {
                eprintln!("samba_sync {pid} ran over {RUN_LIMIT:?}: killed");
                let _ = Command::new("kill")
                    .args(["-KILL", &pid.to_string()])
                    .status();
            }
        });
        Self { done }
    }
}

impl Drop for Watchdog {
    fn drop(&mut self) {
        self.done.store(true, Ordering::SeqCst);
    }
}

pub struct Run {
    pub code: Option<i32>,
    pub summary: Option<Value>,
    pub stderr: String,
}

/// `samba_sync` from `source` into the lab's target with `state`. A
/// `drs://` source is reached over TCP, so that run starts inside the
/// lab's namespace, with the lab's credentials file.
pub fn command(bin: &Path, source: &str, lab: &Lab, state: &Path) -> Command {
    let mut command = if source.starts_with("drs://") {
        let mut command = Command::new("ip");
        command.args(["netns", "exec", &lab.namespace]).arg(bin);
        command
            .arg("--source-credentials")
            .arg(lab.replication_credentials());
        command
    } else {
        Command::new(bin)
    };
    command
        .args(["--source", source, "--target", &lab.target.url(), "--state"])
        .arg(state);
    command
}

/// Runs `samba_sync` in the background, handing each stderr line to
/// `on_line` as it comes; returns the exit code and the summary.
pub fn run_watching(
    bin: &Path,
    lab: &mut Lab,
    state: &Path,
    on_line: impl FnMut(&mut Lab, &str),
) -> (Option<i32>, Option<Value>) {
    run_watching_with(bin, lab, state, &[], 1000, on_line)
}

/// [`run_watching`] with extra flags and `page` USNs (LDAP) or objects
/// (replication) a page.
pub fn run_watching_with(
    bin: &Path,
    lab: &mut Lab,
    state: &Path,
    extra: &[&str],
    page: u64,
    mut on_line: impl FnMut(&mut Lab, &str),
) -> (Option<i32>, Option<Value>) {
    use std::io::{BufRead, BufReader};
    let mut child = command(bin, &lab.source_url(), lab, state)
        .args(extra)
        .env("HASHSYNC_SAMBA_PAGE_USNS", page.to_string())
        .env("HASHSYNC_DRS_PAGE_OBJECTS", page.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let _watchdog = Watchdog::new(child.id());
    let stderr = child.stderr.take().unwrap();
    for line in BufReader::new(stderr).lines() {
        let line = line.unwrap();
        eprintln!("samba_sync: {line}");
        on_line(lab, &line);
    }
    let output = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let summary = stdout
        .lines()
        .last()
        .and_then(|l| serde_json::from_str(l).ok());
    (output.status.code(), summary)
}

/// One `samba_sync` run from the lab's source, `page` USNs (LDAP) or
/// objects (replication) a page.
pub fn sync(bin: &Path, lab: &Lab, state: &Path, extra: &[&str], page: u64) -> Run {
    sync_from(bin, &lab.source_url(), lab, state, extra, page)
}

pub fn sync_from(
    bin: &Path,
    source: &str,
    lab: &Lab,
    state: &Path,
    extra: &[&str],
    page_usns: u64,
) -> Run {
    let child = command(bin, source, lab, state)
        .args(extra)
        .env("HASHSYNC_SAMBA_PAGE_USNS", page_usns.to_string())
        .env("HASHSYNC_DRS_PAGE_OBJECTS", page_usns.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let _watchdog = Watchdog::new(child.id());
    let output = child.wait_with_output().unwrap();
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
    // A DC just restarted may need a moment before its KDC and smbd
    // answer: a few tries, a second apart. (A wrong key never logs in,
    // however often it is tried; assert_refused tries once.)
    let eventually = |login: &dyn Fn() -> bool| {
        (0..4).any(|attempt| {
            if attempt > 0 {
                std::thread::sleep(Duration::from_secs(1));
            }
            login()
        })
    };
    assert!(
        eventually(&|| lab.kinit(&lab.target, name, password)),
        "kinit (AES256 only) {name} at the target"
    );
    assert!(
        eventually(&|| lab.ntlm(&lab.target, name, password)),
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
