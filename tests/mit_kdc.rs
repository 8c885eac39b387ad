//! Against real MIT Kerberos (Debian's `krb5-kdc`, `krb5-admin-server`,
//! `krb5-user`; `.ci/install-krb5` installs them):
//!
//! * a KDC on loopback, with principals created by `kadmin.local` from known
//!   passwords (ASCII, non-ASCII, long, AD-style salts through renames),
//!   issues a ticket to `kinit -k -t` for every keytab the crate writes, and
//!   refuses keytabs with the wrong salt or an outdated key version;
//! * `klist -k -e -K` on keytabs `ktutil` writes lists exactly the keys the
//!   crate derives, and the crate reads those files (and `kadmin`'s holes).
//!
//! They need the tools, so a plain `cargo test` lists them as ignored with
//! the install step as the reason; `cargo test -- --include-ignored` (as
//! `.ci/run` does) runs them, and then missing tools are a failure, never
//! a silent pass.

mod ad_vectors;

use std::io::Write as _;
use std::net::{TcpListener, TcpStream, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use ad_vectors::{hex, num, text};
use hashsync::formats::{Keytab, Principal};
use hashsync::{
    AccountSaltAttributes, EncryptionType, Iterations, Password, Salt, aes_keys, nt_hash,
};

const REALM: &str = "HASHSYNC.TEST";
const DNS_DOMAIN: &str = "hashsync.test";
const TOOLS: [&str; 6] = [
    "kdb5_util",
    "kadmin.local",
    "krb5kdc",
    "kinit",
    "klist",
    "ktutil",
];
const AES256: EncryptionType = EncryptionType::AES256_CTS_HMAC_SHA1_96;
const AES128: EncryptionType = EncryptionType::AES128_CTS_HMAC_SHA1_96;
const RC4: EncryptionType = EncryptionType::RC4_HMAC;

/// Where a plain `cargo test` says why these tests did not run.
const NEEDS: &str = "needs MIT Kerberos: sudo bash .ci/install-krb5";

/// The MIT tools; their absence fails the test, which was asked to run.
fn tools() -> Vec<PathBuf> {
    let dirs: Vec<PathBuf> = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .unwrap_or_default()
        .into_iter()
        .chain(["/usr/sbin", "/sbin", "/usr/bin"].map(PathBuf::from))
        .collect();
    let mut found = Vec::new();
    let mut missing = Vec::new();
    for tool in TOOLS {
        match dirs.iter().map(|d| d.join(tool)).find(|p| p.is_file()) {
            Some(path) => found.push(path),
            None => missing.push(tool),
        }
    }
    assert!(
        missing.is_empty(),
        "MIT Kerberos tools missing ({}): this test {NEEDS}",
        missing.join(", ")
    );
    found
}

/// A scratch directory, removed when dropped.
struct ScratchDir(PathBuf);

impl ScratchDir {
    fn new(label: &str) -> Self {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        let dir =
            std::env::temp_dir().join(format!("hashsync-{label}-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }

    fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for ScratchDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A realm's configuration files and, once started, its KDC process. The
/// KDC is killed on drop, whatever happened in the test.
struct Realm {
    tools: Vec<PathBuf>,
    dir: ScratchDir,
    kdc: Option<Child>,
    port: u16,
}

impl Drop for Realm {
    fn drop(&mut self) {
        if let Some(mut kdc) = self.kdc.take() {
            let _ = kdc.kill();
            let _ = kdc.wait();
        }
    }
}

/// A port free for both TCP and UDP on loopback, at the time of asking.
fn free_port() -> u16 {
    loop {
        let tcp = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = tcp.local_addr().unwrap().port();
        if UdpSocket::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
}

impl Realm {
    fn new(tools: Vec<PathBuf>) -> Self {
        let dir = ScratchDir::new("mit-kdc");
        let port = free_port();
        let d = dir.0.display();
        std::fs::write(
            dir.path("krb5.conf"),
            format!(
                "[libdefaults]\n default_realm = {REALM}\n dns_lookup_kdc = false\n \
                 dns_lookup_realm = false\n rdns = false\n udp_preference_limit = 1\n \
                 allow_rc4 = true\n permitted_enctypes = aes256-cts-hmac-sha1-96 \
                 aes128-cts-hmac-sha1-96 arcfour-hmac\n\
                 [realms]\n {REALM} = {{\n  kdc = 127.0.0.1:{port}\n }}\n"
            ),
        )
        .unwrap();
        std::fs::write(
            dir.path("kdc.conf"),
            format!(
                "[kdcdefaults]\n kdc_listen = 127.0.0.1:{port}\n kdc_tcp_listen = 127.0.0.1:{port}\n\
                 [realms]\n {REALM} = {{\n  database_name = {d}/principal\n  \
                 key_stash_file = {d}/stash\n  acl_file = {d}/kadm5.acl\n  \
                 supported_enctypes = aes256-cts-hmac-sha1-96:normal \
                 aes128-cts-hmac-sha1-96:normal arcfour-hmac:normal\n }}\n\
                 [logging]\n kdc = FILE:{d}/kdc.log\n"
            ),
        )
        .unwrap();
        std::fs::write(dir.path("kadm5.acl"), "").unwrap();
        Self {
            tools,
            dir,
            kdc: None,
            port,
        }
    }

    fn command(&self, tool: &str) -> Command {
        let path = self
            .tools
            .iter()
            .find(|p| p.file_name().unwrap() == tool)
            .unwrap();
        let mut cmd = Command::new(path);
        cmd.env("KRB5_CONFIG", self.dir.path("krb5.conf"))
            .env("KRB5_KDC_PROFILE", self.dir.path("kdc.conf"))
            .env(
                "KRB5CCNAME",
                format!("FILE:{}", self.dir.path("ccache").display()),
            )
            .env_remove("KRB5_KTNAME")
            .env_remove("KRB5_CLIENT_KTNAME")
            .stdin(Stdio::null());
        cmd
    }

    fn kadmin(&self, query: &[&str]) -> Output {
        let mut cmd = self.command("kadmin.local");
        cmd.args(["-r", REALM, "-q"]);
        // kadmin splits the query on white space; none of ours has any inside an argument.
        cmd.arg(query.join(" "));
        succeed(cmd)
    }

    fn create_database(&self) {
        let mut cmd = self.command("kdb5_util");
        cmd.args(["create", "-s", "-r", REALM, "-P", "master-key-password"]);
        succeed(cmd);
    }

    fn start_kdc(&mut self) {
        let mut cmd = self.command("krb5kdc");
        cmd.args(["-n", "-r", REALM])
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        self.kdc = Some(cmd.spawn().unwrap());
        let deadline = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            if let Some(status) = self.kdc.as_mut().unwrap().try_wait().unwrap() {
                panic!("krb5kdc exited: {status}; log: {}", self.kdc_log());
            }
            assert!(
                Instant::now() < deadline,
                "krb5kdc did not listen on {}",
                self.port
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn kdc_log(&self) -> String {
        std::fs::read_to_string(self.dir.path("kdc.log")).unwrap_or_default()
    }

    /// `kinit -k -t keytab principal`: whether a ticket was issued.
    fn kinit(&self, keytab: &Path, principal: &str) -> bool {
        let mut cmd = self.command("kinit");
        cmd.args(["-k", "-t"]).arg(keytab).arg(principal);
        cmd.output().unwrap().status.success()
    }

    /// The reply etype of the KDC's last issued ticket, from its log.
    fn last_reply_etype(&self) -> i32 {
        let log = self.kdc_log();
        let line = log.lines().rev().find(|l| l.contains("ISSUE:")).unwrap();
        let rep = line.split("rep=").nth(1).unwrap();
        let number = rep.split('(').nth(1).unwrap().split(')').next().unwrap();
        number.parse().unwrap()
    }
}

fn succeed(mut cmd: Command) -> Output {
    let output = cmd.output().unwrap();
    assert!(
        output.status.success(),
        "{cmd:?} failed: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

fn now() -> u32 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as u32
}

struct Account {
    /// The name the KDC knows at the end.
    principal: &'static str,
    /// The name the keys were made under (MIT salts with it); AD's salt
    /// rules give the same salt for `ad`.
    created_as: &'static str,
    password: String,
    ad: AccountSaltAttributes<'static>,
}

fn accounts() -> Vec<Account> {
    let long: String = "Correct-Horse-Battery-Staple_".repeat(8) + "ü€";
    assert!(long.encode_utf16().count() > 200 && long.encode_utf16().count() <= 256);
    let user = |sam: &'static str, upn: Option<&'static str>| AccountSaltAttributes {
        realm: REALM,
        dns_domain: DNS_DOMAIN,
        sam_account_name: sam,
        user_principal_name: upn,
        user_account_control: 0x200,
    };
    vec![
        Account {
            principal: "alice",
            created_as: "alice",
            password: "Summer2024!".into(),
            ad: user("alice", Some("alice@hashsync.test")),
        },
        Account {
            principal: "bob",
            created_as: "bob",
            password: "Pässwörd€2024✓日本".into(),
            ad: user("bob", None),
        },
        Account {
            principal: "carol",
            created_as: "carol",
            password: long,
            ad: user("carol", Some("carol@example.org")),
        },
        // UPN prefix differs from sAMAccountName: AD salts with the UPN.
        // MIT keeps the old name's salt across a rename, which gives it.
        Account {
            principal: "jsmith",
            created_as: "John.Smith",
            password: "W1nter!2025".into(),
            ad: user("jsmith", Some("John.Smith@contoso.com")),
        },
        // A computer: AD salts with host/<name>.<domain>, which is MIT's
        // default salt of that host principal.
        Account {
            principal: "WS01$",
            created_as: "host/ws01.hashsync.test",
            password: "Machine-Pässw0rd-1234567890".into(),
            ad: AccountSaltAttributes {
                realm: REALM,
                dns_domain: DNS_DOMAIN,
                sam_account_name: "WS01$",
                user_principal_name: None,
                user_account_control: 0x1000,
            },
        },
    ]
}

fn write_keytab(
    dir: &ScratchDir,
    name: &str,
    principal: &Principal,
    entries: &[(&Password, &Salt, u32, &[EncryptionType])],
) -> PathBuf {
    let mut keytab = Keytab::default();
    for (password, salt, kvno, etypes) in entries {
        keytab
            .add_password(
                principal,
                password,
                salt,
                Iterations::KERBEROS_DEFAULT,
                *kvno,
                now(),
                etypes,
            )
            .unwrap();
    }
    let path = dir.path(name);
    std::fs::write(&path, keytab.to_bytes().unwrap().as_slice()).unwrap();
    path
}

#[test]
#[ignore = "needs MIT Kerberos: sudo bash .ci/install-krb5"]
fn a_real_kdc_accepts_keytabs_the_crate_writes() {
    let tools = tools();
    let mut realm = Realm::new(tools);
    realm.create_database();
    let accounts = accounts();
    for a in &accounts {
        realm.kadmin(&[
            "addprinc",
            "+requires_preauth",
            "-pw",
            &a.password,
            a.created_as,
        ]);
        if a.created_as != a.principal {
            realm.kadmin(&["renprinc", "-force", a.created_as, a.principal]);
        }
    }
    realm.start_kdc();

    for (i, a) in accounts.iter().enumerate() {
        let name = format!("{}@{REALM}", a.principal);
        let principal = Principal::parse(&name).unwrap();
        let password = Password::new(&a.password);
        let salt = Salt::for_account(&a.ad).unwrap();
        let created = Principal::parse(&format!("{}@{REALM}", a.created_as)).unwrap();
        assert_eq!(
            salt,
            created.mit_default_salt(),
            "{name}: AD salt and MIT salt differ"
        );

        for etype in [AES256, AES128, RC4] {
            let path = write_keytab(
                &realm.dir,
                &format!("{i}-{etype}.kt"),
                &principal,
                &[(&password, &salt, 1, &[etype])],
            );
            assert!(
                realm.kinit(&path, &name),
                "{name}: kinit refused the crate's etype {etype} keytab"
            );
            assert_eq!(realm.last_reply_etype(), etype.number(), "{name}");
        }
        let all = write_keytab(
            &realm.dir,
            &format!("{i}-all.kt"),
            &principal,
            &[(&password, &salt, 1, &[AES256, AES128, RC4])],
        );
        assert!(
            realm.kinit(&all, &name),
            "{name}: kinit refused the crate's keytab"
        );
        assert_eq!(realm.last_reply_etype(), 18);

        // Controls: a wrong password or (where it differs) a wrong salt fails.
        let wrong = write_keytab(
            &realm.dir,
            &format!("{i}-wrong.kt"),
            &principal,
            &[(&Password::new("not-the-password"), &salt, 1, &[AES256])],
        );
        assert!(
            !realm.kinit(&wrong, &name),
            "{name}: a wrong key got a ticket"
        );
        let mit_salt = principal.mit_default_salt();
        if mit_salt != salt {
            let path = write_keytab(
                &realm.dir,
                &format!("{i}-mitsalt.kt"),
                &principal,
                &[(&password, &mit_salt, 1, &[AES256])],
            );
            assert!(
                !realm.kinit(&path, &name),
                "{name}: the MIT default salt got a ticket"
            );
        }
    }

    // Key versions: a password change makes kvno 2; a keytab holding both
    // versions works, one holding only the old version does not.
    let alice = Principal::parse(&format!("alice@{REALM}")).unwrap();
    let salt = alice.mit_default_salt();
    let (old_pw, new_pw) = (Password::new("Summer2024!"), Password::new("Autumn2025?"));
    let holes = realm.dir.path("holes.kt");
    realm.kadmin(&[
        "ktadd",
        "-k",
        holes.to_str().unwrap(),
        "-norandkey",
        "alice",
    ]);
    realm.kadmin(&["cpw", "-pw", "Autumn2025?", "alice"]);
    realm.kadmin(&[
        "ktadd",
        "-k",
        holes.to_str().unwrap(),
        "-norandkey",
        "alice",
    ]);
    let both = write_keytab(
        &realm.dir,
        "kvno-both.kt",
        &alice,
        &[
            (&old_pw, &salt, 1, &[AES256, AES128]),
            (&new_pw, &salt, 2, &[AES256, AES128]),
        ],
    );
    assert!(
        realm.kinit(&both, &alice.to_string()),
        "kvno 1 + 2 keytab refused"
    );
    let old_only = write_keytab(
        &realm.dir,
        "kvno-old.kt",
        &alice,
        &[(&old_pw, &salt, 1, &[AES256])],
    );
    assert!(
        !realm.kinit(&old_only, &alice.to_string()),
        "an outdated key got a ticket"
    );

    // kadmin's ktremove leaves holes where the kvno 1 entries were.
    realm.kadmin(&["ktremove", "-k", holes.to_str().unwrap(), "alice", "old"]);
    let bytes = std::fs::read(&holes).unwrap();
    let mut pos = 2;
    let mut hole_count = 0;
    while pos + 4 <= bytes.len() {
        let len = i32::from_be_bytes(bytes[pos..pos + 4].try_into().unwrap());
        hole_count += usize::from(len < 0);
        pos += 4 + len.unsigned_abs() as usize;
    }
    assert_eq!(hole_count, 3, "kadmin ktremove should leave 3 holes");
    let parsed = Keytab::parse(&bytes).unwrap();
    let new_keys = aes_keys(&new_pw, &salt, Iterations::KERBEROS_DEFAULT);
    let listed: Vec<(u32, i32, String)> = parsed
        .entries
        .iter()
        .map(|e| (e.kvno, e.key.etype().number(), e.key.to_hex().to_string()))
        .collect();
    assert_eq!(
        listed,
        [
            (2, 18, new_keys.aes256.to_hex().to_string()),
            (2, 17, new_keys.aes128.to_hex().to_string()),
            (2, 23, nt_hash(&new_pw).to_hex().to_string()),
        ]
    );
    assert!(parsed.entries.iter().all(|e| e.principal == alice));
    // The crate's own reading of kadmin's file works with the KDC too.
    let rewritten = realm.dir.path("rewritten.kt");
    std::fs::write(&rewritten, parsed.to_bytes().unwrap().as_slice()).unwrap();
    assert!(realm.kinit(&rewritten, &alice.to_string()));

    drop(realm); // stops the KDC
}

/// `klist -k -e -K` lines: (kvno, principal, etype name, key hex).
fn klist_keys(realm: &Realm, keytab: &Path) -> Vec<(u32, String, String, String)> {
    let mut cmd = realm.command("klist");
    cmd.args(["-k", "-e", "-K"]).arg(keytab);
    let out = String::from_utf8(succeed(cmd).stdout).unwrap();
    out.lines()
        .filter(|l| l.contains("(0x"))
        .map(|l| {
            let mut words = l.split_whitespace();
            let kvno = words.next().unwrap().parse().unwrap();
            let principal = words.next().unwrap().to_owned();
            let etype = words.next().unwrap().trim_matches(['(', ')']).to_owned();
            let key = words
                .next()
                .unwrap()
                .trim_matches(['(', ')'])
                .trim_start_matches("0x");
            (kvno, principal, etype, key.to_owned())
        })
        .collect()
}

#[test]
#[ignore = "needs MIT Kerberos: sudo bash .ci/install-krb5"]
fn ktutil_keys_are_the_keys_the_crate_derives() {
    let tools = tools();
    let realm = Realm::new(tools);
    let mut cases: Vec<(String, String, Salt)> = ad_vectors::of_kind("ad_account")
        .iter()
        .map(|v| {
            let password = String::from_utf8(hex(&v["input"]["password_utf8_hex"])).unwrap();
            let principal = format!(
                "{}@{}",
                text(&v["input"]["sAMAccountName"]),
                text(&v["input"]["realm"])
            );
            assert_eq!(num(&v["expected"]["iterations"]), 4096);
            (
                principal,
                password,
                Salt::new(hex(&v["expected"]["salt_hex"])),
            )
        })
        .collect();
    for a in accounts() {
        cases.push((
            format!("{}@{REALM}", a.principal),
            a.password.clone(),
            Salt::for_account(&a.ad).unwrap(),
        ));
    }

    let path = realm.dir.path("ktutil.kt");
    let mut script = String::new();
    for (kvno, (principal, password, salt)) in cases.iter().enumerate() {
        let salt = std::str::from_utf8(salt.as_bytes()).unwrap();
        for etype in [
            "aes256-cts-hmac-sha1-96",
            "aes128-cts-hmac-sha1-96",
            "arcfour-hmac",
        ] {
            script.push_str(&format!(
                "addent -password -p {principal} -k {} -e {etype} -s {salt}\n{password}\n",
                kvno + 1
            ));
        }
    }
    script.push_str(&format!("wkt {}\nquit\n", path.display()));
    let mut ktutil = realm.command("ktutil");
    ktutil
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let mut child = ktutil.spawn().unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(script.as_bytes())
        .unwrap();
    assert!(child.wait().unwrap().success());

    let listed = klist_keys(&realm, &path);
    assert_eq!(listed.len(), cases.len() * 3, "klist listed {listed:?}");
    let mut ours = Keytab::default();
    for (kvno, (principal, password, salt)) in cases.iter().enumerate() {
        let pw = Password::new(password);
        let keys = aes_keys(&pw, salt, Iterations::KERBEROS_DEFAULT);
        let expected = [
            ("aes256-cts-hmac-sha1-96", keys.aes256.to_hex().to_string()),
            ("aes128-cts-hmac-sha1-96", keys.aes128.to_hex().to_string()),
            ("DEPRECATED:arcfour-hmac", nt_hash(&pw).to_hex().to_string()),
        ];
        for (j, (etype, key)) in expected.iter().enumerate() {
            let (k, p, e, listed_key) = &listed[kvno * 3 + j];
            assert_eq!((*k as usize, p.as_str()), (kvno + 1, principal.as_str()));
            assert_eq!(
                e.trim_start_matches("DEPRECATED:"),
                etype.trim_start_matches("DEPRECATED:")
            );
            assert_eq!(
                listed_key, key,
                "{principal} {etype}: ktutil and the crate disagree"
            );
        }
        ours.add_password(
            &Principal::parse(principal).unwrap(),
            &pw,
            salt,
            Iterations::KERBEROS_DEFAULT,
            kvno as u32 + 1,
            0,
            &[AES256, AES128, RC4],
        )
        .unwrap();
    }

    // The crate reads ktutil's file, and writes the same bytes given
    // ktutil's timestamps.
    let bytes = std::fs::read(&path).unwrap();
    let parsed = Keytab::parse(&bytes).unwrap();
    for (entry, theirs) in ours.entries.iter_mut().zip(&parsed.entries) {
        entry.timestamp = theirs.timestamp;
    }
    assert_eq!(parsed, ours);
    assert!(ours.to_bytes().unwrap()[..] == bytes[..]);

    // And klist lists the crate's file exactly as ktutil's.
    let ours_path = realm.dir.path("ours.kt");
    std::fs::write(&ours_path, ours.to_bytes().unwrap().as_slice()).unwrap();
    assert_eq!(klist_keys(&realm, &ours_path), listed);
}
