//! Two real Samba AD DCs in a private network namespace: the source forest
//! (127.0.0.2, ONPREM.CONTOSO.COM) and the stand-in for the managed domain
//! (127.0.0.3, AADDSCONTOSO.COM). Dropping the [`Lab`] stops both DCs and
//! every process left in the namespace, then deletes the namespace.

#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use hashsync_samba::ldapi_url;

const ADMIN_PASSWORD: &str = "Lab-Admin-Passw0rd!";
const TOOLS: [&str; 9] = [
    "/usr/sbin/samba",
    "/usr/bin/samba-tool",
    "/usr/bin/kinit",
    "/usr/bin/smbclient",
    "/usr/bin/python3",
    "/usr/bin/unshare",
    "/usr/bin/ss",
    "/usr/bin/ldbsearch",
    // The sealed run's managed-domain certificate and its thumbprint.
    "/usr/bin/openssl",
];

/// Whether a lab test should go on: true when the lab's tools are here.
/// Without them the test fails under CI (it must never skip there) and
/// otherwise says what is missing and ends.
pub fn tools_or_skip() -> bool {
    match check_tools() {
        Ok(()) => true,
        Err(missing) => {
            assert!(
                std::env::var_os("CI").is_none(),
                "the Samba lab cannot run under CI: {missing} (run .ci/install-samba)"
            );
            eprintln!("skipped: {missing}; install with sudo bash .ci/install-samba");
            false
        }
    }
}

/// Whether the lab can run here; `Err` names what is missing.
pub fn check_tools() -> Result<(), String> {
    let missing: Vec<&str> = TOOLS
        .iter()
        .copied()
        .filter(|tool| !Path::new(tool).exists())
        .collect();
    if !missing.is_empty() {
        return Err(format!("missing {}", missing.join(", ")));
    }
    if Command::new("ip").arg("-V").output().is_err() {
        return Err("missing ip (iproute2)".into());
    }
    let uid = Command::new("id")
        .arg("-u")
        .output()
        .map_err(|e| e.to_string())?;
    if String::from_utf8_lossy(&uid.stdout).trim() != "0" {
        return Err("network namespaces and mounts need root".into());
    }
    Ok(())
}

/// One DC.
pub struct Dc {
    pub host: &'static str,
    pub realm: &'static str,
    pub domain: &'static str,
    pub ip: &'static str,
    pub dir: PathBuf,
    master: Option<Child>,
}

/// tshark capturing the lab namespace's loopback into a file; stopped
/// with SIGINT (so the file is complete) when [`Capture::stop`]ped.
pub struct Capture(Child);

impl Capture {
    /// Waits a moment for the last packets, then stops tshark.
    pub fn stop(mut self) {
        std::thread::sleep(Duration::from_secs(1));
        let _ = Command::new("kill")
            .args(["-INT", &self.0.id().to_string()])
            .status();
        let _ = self.0.wait();
    }
}

/// The source DC of the lab under `root`, as a test's child process in
/// the namespace sees it (to run account operations; not started here).
pub fn source_at(root: &Path) -> Dc {
    Dc::new(root, "srcdc", "ONPREM.CONTOSO.COM", "ONPREM", "127.0.0.2")
}

impl Dc {
    /// Runs account operations (see `accounts.py`) at this DC (its
    /// database file: from any network namespace).
    pub fn accounts(&self, ops: serde_json::Value) -> Result<(), String> {
        let dc = self;
        let spec = serde_json::json!({
            "url": format!("tdb://{}", dc.dir.join("private/sam.ldb").display()),
            "smbconf": dc.smb_conf(),
            "ops": ops,
        });
        let mut child = Command::new("/usr/bin/python3")
            // Found from either member's tests (the lab is shared).
            .arg(
                Path::new(env!("CARGO_MANIFEST_DIR"))
                    .join("../hashsync-samba/tests/lab/accounts.py"),
            )
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| e.to_string())?;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(spec.to_string().as_bytes())
            .map_err(|e| e.to_string())?;
        let output = child.wait_with_output().map_err(|e| e.to_string())?;
        if !output.status.success() {
            return Err(format!(
                "accounts.py at {}: {}",
                dc.host,
                String::from_utf8_lossy(&output.stderr)
            ));
        }
        Ok(())
    }

    fn new(
        root: &Path,
        host: &'static str,
        realm: &'static str,
        domain: &'static str,
        ip: &'static str,
    ) -> Self {
        Self {
            host,
            realm,
            domain,
            ip,
            dir: root.join(host),
            master: None,
        }
    }

    pub fn smb_conf(&self) -> PathBuf {
        self.dir.join("etc/smb.conf")
    }

    pub fn socket(&self) -> PathBuf {
        self.dir.join("private/ldap_priv/ldapi")
    }

    pub fn url(&self) -> String {
        ldapi_url(self.socket())
    }

    fn provision(&self) -> Command {
        for sub in ["cache", "log", "run/wb"] {
            std::fs::create_dir_all(self.dir.join(sub)).unwrap();
        }
        let d = self.dir.display();
        let mut command = Command::new("samba-tool");
        command.args([
            "domain",
            "provision",
            "--server-role=dc",
            "--use-rfc2307",
            "--dns-backend=NONE",
            &format!("--realm={}", self.realm),
            &format!("--domain={}", self.domain),
            &format!("--host-name={}", self.host),
            &format!("--host-ip={}", self.ip),
            &format!("--adminpass={ADMIN_PASSWORD}"),
            &format!("--targetdir={d}"),
        ]);
        for option in [
            format!("interfaces={}", self.ip),
            "bind interfaces only=yes".into(),
            format!("netbios name={}", self.host),
            "disable netbios=yes".into(),
            format!("pid directory={d}/run"),
            format!("ncalrpc dir={d}/run/ncalrpc"),
            format!("ntp signd socket directory={d}/run/ntp_signd"),
            format!("binddns dir={d}/bind-dns"),
            format!("log file={d}/log/log.%m"),
            "dns update command=/bin/true".into(),
            "spn update command=/bin/true".into(),
        ] {
            command.arg(format!("--option={option}"));
        }
        if std::env::var_os("HASHSYNC_LAB_LDB_NOSYNC").is_some() {
            // Measurements only: no fsync at each ldb transaction commit.
            command.arg("--option=ldb:nosync=true");
        }
        command
    }

    fn relax_password_policy(&self) -> Result<(), String> {
        run(Command::new("samba-tool").args([
            "domain",
            "passwordsettings",
            "set",
            "--complexity=off",
            "--min-pwd-length=0",
            "--history-length=0",
            "--min-pwd-age=0",
            "--max-pwd-age=0",
            "-s",
            &self.smb_conf().to_string_lossy(),
            "-H",
            &format!("tdb://{}", self.dir.join("private/sam.ldb").display()),
        ]))
        .map(drop)
    }

    /// Starts the DC in the namespace, in its own mount namespace where its
    /// `run/wb` is `/run/samba` (libwbclient's fixed path).
    pub fn start(&mut self, namespace: &str) -> Result<(), String> {
        let log =
            std::fs::File::create(self.dir.join("log/samba.out")).map_err(|e| e.to_string())?;
        let _ = std::fs::remove_file(self.socket());
        let script = "mount --bind \"$1/run/wb\" /run/samba && exec samba -F -M single --debug-stdout -s \"$1/etc/smb.conf\"";
        let child = Command::new("ip")
            .args([
                "netns",
                "exec",
                namespace,
                "unshare",
                "-m",
                "--propagation",
                "private",
            ])
            .args(["sh", "-c", script, "sh"])
            .arg(&self.dir)
            .stdin(Stdio::null())
            .stdout(log.try_clone().map_err(|e| e.to_string())?)
            .stderr(log)
            .spawn()
            .map_err(|e| format!("start {}: {e}", self.host))?;
        self.master = Some(child);
        let deadline = Instant::now() + Duration::from_secs(60);
        let pipe = self.dir.join("run/wb/winbindd/pipe");
        loop {
            let listening = Command::new("ip")
                .args(["netns", "exec", namespace, "ss", "-ltn"])
                .output()
                .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
                .unwrap_or_default();
            let up = ["88", "389", "445"]
                .iter()
                .all(|port| listening.contains(&format!("{}:{port} ", self.ip)));
            if up && pipe.exists() && self.socket().exists() {
                return Ok(());
            }
            if let Some(Ok(Some(status))) = self.master.as_mut().map(Child::try_wait) {
                return Err(format!("{} exited while starting: {status}", self.host));
            }
            if Instant::now() > deadline {
                return Err(format!("{} did not come up within 60 s", self.host));
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// SIGTERM to the master, SIGKILL after 10 s.
    pub fn stop(&mut self) {
        let Some(mut child) = self.master.take() else {
            return;
        };
        let _ = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = child.kill();
        let _ = child.wait();
    }

    pub fn is_running(&self) -> bool {
        self.master.is_some()
    }
}

/// The two DCs and their namespace.
pub struct Lab {
    pub namespace: String,
    pub root: PathBuf,
    pub source: Dc,
    pub target: Dc,
    /// `samba_sync` reads the source by replication (`drs://` over TCP,
    /// inside the namespace) rather than over its `ldapi` socket.
    pub replicate: bool,
}

impl Lab {
    /// Provisions both DCs in parallel, then starts them.
    pub fn new() -> Result<Self, String> {
        let pid = std::process::id();
        let namespace = format!("hashsync-lab-{pid}");
        let root = std::env::temp_dir().join(format!("hashsync-lab-{pid}"));
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(&root).map_err(|e| e.to_string())?;
        let lab = Self {
            source: Dc::new(&root, "srcdc", "ONPREM.CONTOSO.COM", "ONPREM", "127.0.0.2"),
            target: Dc::new(
                &root,
                "tgtdc",
                "AADDSCONTOSO.COM",
                "AADDSCONTOSO",
                "127.0.0.3",
            ),
            namespace,
            root,
            replicate: false,
        };
        let mut lab = lab;
        std::fs::create_dir_all("/run/samba").map_err(|e| e.to_string())?;
        run(Command::new("ip").args(["netns", "add", &lab.namespace]))?;
        for command in [
            vec!["link", "set", "lo", "up"],
            vec!["addr", "add", "127.0.0.2/8", "dev", "lo"],
            vec!["addr", "add", "127.0.0.3/8", "dev", "lo"],
        ] {
            run(Command::new("ip")
                .args(["netns", "exec", &lab.namespace, "ip"])
                .args(command))?;
        }
        let started = Instant::now();
        let mut provisions: Vec<(String, Child)> = Vec::new();
        for dc in [&lab.source, &lab.target] {
            let log = std::fs::File::create(lab.root.join(format!("{}-provision.log", dc.host)))
                .map_err(|e| e.to_string())?;
            let child = dc
                .provision()
                .stdout(log.try_clone().map_err(|e| e.to_string())?)
                .stderr(log)
                .spawn()
                .map_err(|e| format!("samba-tool: {e}"))?;
            provisions.push((dc.host.to_owned(), child));
        }
        for (host, mut child) in provisions {
            let status = child.wait().map_err(|e| e.to_string())?;
            if !status.success() {
                let log = std::fs::read_to_string(lab.root.join(format!("{host}-provision.log")))
                    .unwrap_or_default();
                return Err(format!("provisioning {host} failed: {status}\n{log}"));
            }
        }
        lab.source.relax_password_policy()?;
        lab.target.relax_password_policy()?;
        eprintln!("lab: both DCs provisioned in {:.1?}", started.elapsed());
        let namespace = lab.namespace.clone();
        lab.source.start(&namespace)?;
        lab.target.start(&namespace)?;
        eprintln!("lab: both DCs up after {:.1?}", started.elapsed());
        for (dc, file) in [
            (&lab.source, "krb5-source.conf"),
            (&lab.target, "krb5-target.conf"),
        ] {
            std::fs::write(lab.root.join(file), krb5_conf(dc.realm, dc.ip))
                .map_err(|e| e.to_string())?;
        }
        Ok(lab)
    }

    /// From now on `samba_sync` reads the source by replication, as
    /// Administrator (the credentials file written here, mode 0600).
    pub fn read_by_replication(&mut self) -> Result<(), String> {
        use std::os::unix::fs::OpenOptionsExt;
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .write(true)
            .truncate(true)
            .mode(0o600)
            .open(self.replication_credentials())
            .map_err(|e| e.to_string())?;
        writeln!(
            file,
            "{}\\Administrator\n{ADMIN_PASSWORD}",
            self.source.domain
        )
        .map_err(|e| e.to_string())?;
        self.replicate = true;
        Ok(())
    }

    /// Starts tshark on the namespace's loopback, writing `pcap` (for
    /// captured vectors); ready once it returns.
    pub fn capture(&self, pcap: &Path) -> Capture {
        let child = Command::new("ip")
            .args([
                "netns",
                "exec",
                &self.namespace,
                "tshark",
                "-q",
                "-i",
                "lo",
                "-w",
            ])
            .arg(pcap)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("tshark");
        std::thread::sleep(Duration::from_secs(2));
        Capture(child)
    }

    /// The credentials file of [`Lab::read_by_replication`].
    pub fn replication_credentials(&self) -> PathBuf {
        self.root.join("replication-credentials")
    }

    /// The source URL `samba_sync` is given.
    pub fn source_url(&self) -> String {
        if self.replicate {
            format!("drs://{}", self.source.ip)
        } else {
            self.source.url()
        }
    }

    /// Runs account operations (see `accounts.py`) at a DC.
    pub fn accounts(&self, dc: &Dc, ops: serde_json::Value) -> Result<(), String> {
        dc.accounts(ops)
    }

    /// A Kerberos login (AS exchange) with only AES256 permitted.
    pub fn kinit(&self, dc: &Dc, user: &str, password: &str) -> bool {
        let config = self.root.join(if dc.host == self.source.host {
            "krb5-source.conf"
        } else {
            "krb5-target.conf"
        });
        let cache = self.root.join(format!("ccache-{}", dc.host));
        let mut child = Command::new("ip")
            .args(["netns", "exec", &self.namespace, "kinit"])
            .arg(format!("{user}@{}", dc.realm))
            .env("KRB5_CONFIG", &config)
            .env("KRB5CCNAME", format!("FILE:{}", cache.display()))
            .env("LANG", "C.UTF-8")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("kinit");
        let _ = child
            .stdin
            .take()
            .unwrap()
            .write_all(format!("{password}\n").as_bytes());
        let output = child.wait_with_output().expect("kinit");
        let _ = std::fs::remove_file(cache);
        output.status.success()
    }

    /// An NTLM logon (smbclient listing shares, Kerberos off).
    pub fn ntlm(&self, dc: &Dc, user: &str, password: &str) -> bool {
        let output = Command::new("ip")
            .args(["netns", "exec", &self.namespace, "smbclient"])
            .arg("-s")
            .arg(dc.smb_conf())
            .arg("-L")
            .arg(format!("//{}", dc.ip))
            .args(["-W", dc.domain, "--use-kerberos=off", "-U"])
            .arg(format!("{user}%{password}"))
            .env("LANG", "C.UTF-8")
            .stdin(Stdio::null())
            .output()
            .expect("smbclient");
        output.status.success()
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        self.source.stop();
        self.target.stop();
        // Whatever is left in the namespace (samba-dcerpcd helpers that
        // outlive smbd) is ours: end each by its pid.
        for pid in pids_in_namespace(&self.namespace) {
            let _ = Command::new("kill")
                .args(["-KILL", &pid.to_string()])
                .status();
        }
        let _ = Command::new("ip")
            .args(["netns", "del", &self.namespace])
            .status();
        if std::env::var_os("HASHSYNC_KEEP_LAB").is_none() {
            let _ = std::fs::remove_dir_all(&self.root);
        }
    }
}

/// Processes whose network namespace is the lab's.
fn pids_in_namespace(namespace: &str) -> Vec<u32> {
    use std::os::unix::fs::MetadataExt;
    let Ok(ours) = std::fs::metadata(format!("/run/netns/{namespace}")) else {
        return Vec::new();
    };
    let mut pids = Vec::new();
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|s| s.parse::<u32>().ok())
        else {
            continue;
        };
        if let Ok(meta) = std::fs::metadata(entry.path().join("ns/net"))
            && meta.ino() == ours.ino()
            && meta.dev() == ours.dev()
        {
            pids.push(pid);
        }
    }
    pids
}

fn krb5_conf(realm: &str, kdc: &str) -> String {
    format!(
        "[libdefaults]
    default_realm = {realm}
    dns_lookup_kdc = false
    dns_lookup_realm = false
    rdns = false
    dns_canonicalize_hostname = false
    udp_preference_limit = 1
    permitted_enctypes = aes256-cts-hmac-sha1-96
    default_tkt_enctypes = aes256-cts-hmac-sha1-96
    default_tgs_enctypes = aes256-cts-hmac-sha1-96

[realms]
    {realm} = {{
        kdc = {kdc}
    }}
"
    )
}

/// Runs a command; `Err` with its output when it fails.
pub fn run(command: &mut Command) -> Result<Output, String> {
    let output = command.output().map_err(|e| format!("{command:?}: {e}"))?;
    if output.status.success() {
        Ok(output)
    } else {
        Err(format!(
            "{command:?}: {}\n{}{}",
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ))
    }
}
