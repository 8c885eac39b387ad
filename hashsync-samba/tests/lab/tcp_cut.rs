//! A TCP relay in the lab's namespace (`tcp_cut.py`) in front of the
//! source DC's DCE/RPC ports, at 127.0.0.4: it counts the DC's replies
//! and can cut one in the middle, so the replication connection drops
//! mid-reply at a chosen point.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::lab::Lab;

/// The relay's address: `drs://127.0.0.4` reaches the source DC through it.
pub const RELAY_IP: &str = "127.0.0.4";

pub struct TcpCut {
    child: Child,
    count_file: PathBuf,
}

impl TcpCut {
    /// Relays every port the source DC listens on (135 and its dynamic
    /// RPC ports); with `cut_at` > 0, cuts the `cut_at`-th reply.
    pub fn start(lab: &Lab, cut_at: u64) -> Self {
        let ns = |args: &[&str]| {
            Command::new("ip")
                .args(["netns", "exec", &lab.namespace])
                .args(args)
                .output()
                .expect("ip netns exec")
        };
        // Already there after the first relay: "File exists" is fine.
        let _ = ns(&["ip", "addr", "add", &format!("{RELAY_IP}/8"), "dev", "lo"]);
        let listening = String::from_utf8(ns(&["ss", "-ltnH"]).stdout).unwrap();
        let source = format!("{}:", lab.source.ip);
        let ports: Vec<String> = listening
            .split_whitespace()
            .filter_map(|field| field.strip_prefix(&source))
            .filter(|port| port.parse::<u16>().is_ok_and(|p| p == 135 || p >= 1024))
            .map(str::to_owned)
            .collect();
        assert!(
            ports.iter().any(|p| p == "135"),
            "the DC's endpoint mapper: {listening}"
        );
        let count_file = lab.root.join(format!("tcp-cut-{cut_at}.count"));
        let _ = std::fs::remove_file(&count_file);
        let script =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../hashsync-samba/tests/lab/tcp_cut.py");
        let mut child = Command::new("ip")
            .args(["netns", "exec", &lab.namespace, "/usr/bin/python3"])
            .arg(script)
            .args([RELAY_IP, lab.source.ip, &ports.join(",")])
            .arg(&count_file)
            .arg(cut_at.to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("tcp_cut.py");
        // Ready once it says so.
        let mut line = String::new();
        use std::io::BufRead;
        std::io::BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        assert_eq!(line.trim(), "relaying", "tcp_cut.py did not start");
        Self { child, count_file }
    }

    /// DCE/RPC replies relayed so far (on the RPC ports, not 135).
    pub fn responses(&self) -> u64 {
        let deadline = Instant::now() + Duration::from_secs(2);
        loop {
            if let Some(n) = std::fs::read_to_string(&self.count_file)
                .ok()
                .and_then(|t| t.trim().parse().ok())
            {
                return n;
            }
            if Instant::now() > deadline {
                return 0;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for TcpCut {
    fn drop(&mut self) {
        // `ip netns exec` execs python3: this pid is the relay's.
        let _ = Command::new("kill")
            .arg(self.child.id().to_string())
            .status();
        let _ = self.child.wait();
    }
}
