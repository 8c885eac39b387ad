//! The RPC transport against a real Samba AD DC (the lab's source DC,
//! 127.0.0.2, in a private network namespace): endpoint mapper lookup,
//! NTLM packet privacy, `IDL_DRSBind`, fragmented sealed calls both ways
//! (`IDL_DRSCrackNames` with many names), `IDL_DRSUnbind`, an
//! `alter_context` adding a second presentation context on the sealed
//! association, and a wrong password.
//!
//! The lab's DCs listen only inside the namespace, so the test's TCP
//! connections must start there: the test provisions the lab, then runs
//! its own binary again under `ip netns exec` with `HASHSYNC_RPC_LAB_CHILD`
//! set, and that child makes every connection. (A `setns` call would need
//! `unsafe` or a new dependency; a child process needs neither.)
//!
//! Run: `sudo bash .ci/install-samba`, then as root
//! `cargo test -p hashsync-drs --test rpc_samba -- --include-ignored`.
//! With `HASHSYNC_RPC_CAPTURE_DIR=DIR` the run also records a pcap of the
//! exchange (tshark in the namespace) and the child's transcript there.

#[path = "../../hashsync-samba/tests/lab/mod.rs"]
mod lab;

use std::process::Command;
use std::time::Duration;

use hashsync::Password;
use hashsync_drs::rpc::{
    AssociationConfig, Direction, ReplicationCredentials, RpcClient, RpcError, SyntaxId,
    lookup_port,
};

/// The lab's Administrator password (hashsync-samba/tests/lab/mod.rs).
const ADMIN_PASSWORD: &str = "Lab-Admin-Passw0rd!";
const DC: &str = "127.0.0.2";
const CHILD: &str = "HASHSYNC_RPC_LAB_CHILD";
const TIMEOUT: Duration = Duration::from_secs(20);

/// NTDSAPI's client DSA GUID (`e24d201a-4fd6-11d1-a3da-0000f875ae0d`),
/// what Windows' DsBind sends as `puuidClientDsa`.
const NTDSAPI_CLIENT_GUID: [u8; 16] = [
    0x1a, 0x20, 0x4d, 0xe2, 0xd6, 0x4f, 0xd1, 0x11, 0xa3, 0xda, 0x00, 0x00, 0xf8, 0x75, 0xae, 0x0d,
];

/// `DRS_EXT_*` bits (MS-DRSR 5.39 DRS_EXTENSIONS_INT).
const DRS_EXT_BASE: u32 = 0x0000_0001;
const DRS_EXT_RESTORE_USN_OPTIMIZATION: u32 = 0x0000_0040;
const DRS_EXT_STRONG_ENCRYPTION: u32 = 0x0000_8000;
const DRS_EXT_GETCHGREQ_V8: u32 = 0x0100_0000;
const DRS_EXT_GETCHGREPLY_V6: u32 = 0x0400_0000;

#[test]
#[ignore = "needs Samba: sudo bash .ci/install-samba"]
fn drsuapi_over_ntlm_privacy_against_samba() {
    if std::env::var_os(CHILD).is_some() {
        inside_namespace();
        return;
    }
    if !lab::tools_or_skip() {
        return;
    }
    let lab = lab::Lab::new().expect("lab");
    let capture_dir = std::env::var_os("HASHSYNC_RPC_CAPTURE_DIR").map(std::path::PathBuf::from);
    let capture = capture_dir.as_ref().map(|dir| {
        std::fs::create_dir_all(dir).unwrap();
        lab.capture(&dir.join("drsuapi.pcap"))
    });
    let status = Command::new("ip")
        .args(["netns", "exec", &lab.namespace])
        .arg(std::env::current_exe().unwrap())
        .args([
            "drsuapi_over_ntlm_privacy_against_samba",
            "--exact",
            "--include-ignored",
            "--nocapture",
        ])
        .env(CHILD, "1")
        .status()
        .expect("child test");
    if let Some(capture) = capture {
        capture.stop();
    }
    assert!(
        status.success(),
        "the test body in the namespace failed: {status}"
    );
}

fn credentials(password: &str) -> ReplicationCredentials {
    ReplicationCredentials::parse(r"ONPREM\Administrator", Password::new(password)).unwrap()
}

/// The test body, run inside the lab's namespace.
fn inside_namespace() {
    let port = lookup_port(DC, &SyntaxId::DRSUAPI, TIMEOUT).expect("ept_map");
    assert!(port != 135 && port != 0, "DRSUAPI port {port}");
    eprintln!("endpoint mapper: DRSUAPI on TCP port {port}");

    let mut config = AssociationConfig::default();
    config.record_transcript = true;
    let mut client =
        RpcClient::connect_with(DC, None, &credentials(ADMIN_PASSWORD), TIMEOUT, config)
            .expect("bind with NTLM privacy");
    assert_eq!(client.session_key().expose_secret().len(), 16);

    let reply = client.call(0, &drs_bind_request(28)).expect("IDL_DRSBind");
    let bound = parse_drs_bind_reply(&reply);
    assert_eq!(bound.status, 0, "IDL_DRSBind returned {:#x}", bound.status);
    assert_ne!(bound.handle[4..], [0; 16], "a nil DRS_HANDLE");
    let server_flags = bound.server_flags.expect("server extensions");
    assert_eq!(
        server_flags & (DRS_EXT_GETCHGREQ_V8 | DRS_EXT_GETCHGREPLY_V6),
        DRS_EXT_GETCHGREQ_V8 | DRS_EXT_GETCHGREPLY_V6,
        "server DRS_EXTENSIONS dwFlags {server_flags:#x}"
    );

    // Many names: the request and its reply both span several sealed
    // fragments (5840 bytes each).
    let names = 300;
    let request = drs_crack_names_request(&bound.handle, names);
    assert!(request.len() > 3 * 5840, "{}", request.len());
    let reply = client.call(12, &request).expect("IDL_DRSCrackNames");
    assert!(reply.len() > 2 * 5840, "reply of {} bytes", reply.len());
    let cracked = parse_crack_names_reply(&reply);
    assert_eq!(cracked.len(), names);
    for (status, name) in &cracked {
        assert_eq!(*status, 0, "DS_NAME_NO_ERROR");
        assert_eq!(
            name.to_lowercase(),
            "cn=administrator,cn=users,dc=onprem,dc=contoso,dc=com"
        );
    }
    let received = client
        .transcript()
        .unwrap()
        .of(Direction::Received, "pdu")
        .count();
    assert!(received >= 4, "{received} PDUs received");

    let reply = client.call(1, &bound.handle).expect("IDL_DRSUnbind");
    assert_eq!(reply.len(), 24);
    assert_eq!(reply[..20], [0; 20], "the handle is closed");
    assert_eq!(reply[20..], [0; 4], "IDL_DRSUnbind returned an error");

    // alter_context: DRSUAPI again as presentation context 1 on the same
    // sealed association, and a second DRSBind through it.
    let context = client
        .add_interface(SyntaxId::DRSUAPI)
        .expect("alter_context");
    assert_eq!(context, 1);
    let reply = client
        .call_in(context, 0, &drs_bind_request(28))
        .expect("IDL_DRSBind on context 1");
    let second = parse_drs_bind_reply(&reply);
    assert_eq!(second.status, 0);
    assert_ne!(second.handle, bound.handle);
    let reply = client
        .call_in(context, 1, &second.handle)
        .expect("IDL_DRSUnbind");
    assert_eq!(reply[20..], [0; 4]);

    if let Some(dir) = std::env::var_os("HASHSYNC_RPC_CAPTURE_DIR") {
        let dir = std::path::PathBuf::from(dir);
        let transcript = client.transcript().unwrap();
        for (index, entry) in transcript.entries.iter().enumerate() {
            let direction = match entry.direction {
                Direction::Sent => "sent",
                Direction::Received => "received",
            };
            let name = format!("{index:03}-{direction}-{}.bin", entry.kind);
            std::fs::write(dir.join(name), &entry.bytes).unwrap();
        }
    }

    // A wrong password: NTLM's auth3 has no answer, so the refusal comes
    // with the first call.
    let outcome = RpcClient::connect(DC, Some(port), &credentials("wrong-password"), TIMEOUT)
        .and_then(|mut client| client.call(0, &drs_bind_request(28)));
    match outcome {
        Err(RpcError::AuthenticationRejected { user, detail }) => {
            assert_eq!(user, r"ONPREM\Administrator");
            assert!(!detail.contains("wrong-password"));
            eprintln!("wrong password: {detail}");
        }
        other => panic!("expected AuthenticationRejected, got {other:?}"),
    }
}

/// `IDL_DRSBind(puuidClientDsa, pextClient)` (MS-DRSR 4.1.3) with a
/// `DRS_EXTENSIONS_INT` of `cb` bytes after its own `cb` (28: dwFlags,
/// SiteObjGuid, Pid, dwReplEpoch).
fn drs_bind_request(cb: u32) -> Vec<u8> {
    let mut stub = Vec::new();
    // [in, unique] UUID *puuidClientDsa
    stub.extend_from_slice(&0x0002_0000u32.to_le_bytes());
    stub.extend_from_slice(&NTDSAPI_CLIENT_GUID);
    // [in, unique] DRS_EXTENSIONS *pextClient: a conformant struct, so the
    // array's max count comes first, then cb, then rgb[cb].
    stub.extend_from_slice(&0x0002_0004u32.to_le_bytes());
    stub.extend_from_slice(&cb.to_le_bytes());
    stub.extend_from_slice(&cb.to_le_bytes());
    let flags = DRS_EXT_BASE
        | DRS_EXT_RESTORE_USN_OPTIMIZATION
        | DRS_EXT_STRONG_ENCRYPTION
        | DRS_EXT_GETCHGREQ_V8
        | DRS_EXT_GETCHGREPLY_V6;
    let mut rgb = vec![0u8; cb as usize];
    rgb[..4].copy_from_slice(&flags.to_le_bytes());
    // SiteObjGuid nil, Pid 0, dwReplEpoch 0.
    stub.extend_from_slice(&rgb);
    while !stub.len().is_multiple_of(4) {
        stub.push(0);
    }
    stub
}

struct DrsBound {
    server_flags: Option<u32>,
    handle: [u8; 20],
    status: u32,
}

/// Reads NDR's little-endian primitives off a reply stub.
struct Cursor<'a> {
    stub: &'a [u8],
    at: usize,
}

impl Cursor<'_> {
    fn u32(&mut self) -> u32 {
        let v = u32::from_le_bytes(self.stub[self.at..self.at + 4].try_into().unwrap());
        self.at += 4;
        v
    }

    fn take(&mut self, len: usize) -> &[u8] {
        let out = &self.stub[self.at..self.at + len];
        self.at += len;
        out
    }

    fn align4(&mut self) {
        self.at += (4 - self.at % 4) % 4;
    }

    fn end(&self) {
        assert_eq!(self.at, self.stub.len(), "trailing bytes in the reply");
    }
}

/// `[out] DRS_EXTENSIONS **ppextServer, [out, ref] DRS_HANDLE *phDrs`, then
/// the return value.
fn parse_drs_bind_reply(stub: &[u8]) -> DrsBound {
    let mut r = Cursor { stub, at: 0 };
    let server_flags = (r.u32() != 0).then(|| {
        let max_count = r.u32();
        let cb = r.u32();
        assert_eq!(max_count, cb);
        let rgb = r.take(cb as usize);
        let flags = u32::from_le_bytes(rgb[..4].try_into().unwrap());
        r.align4();
        flags
    });
    let handle: [u8; 20] = r.take(20).try_into().unwrap();
    let status = r.u32();
    r.end();
    DrsBound {
        server_flags,
        handle,
        status,
    }
}

fn push_u32(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_le_bytes());
}

/// `IDL_DRSCrackNames(hDrs, 1, DRS_MSG_CRACKREQ_V1)` (MS-DRSR 4.1.4)
/// asking `count` times for `ONPREM\Administrator` (DS_NT4_ACCOUNT_NAME,
/// 2) as an RFC 1779 DN (DS_FQDN_1779_NAME, 1).
fn drs_crack_names_request(handle: &[u8; 20], count: usize) -> Vec<u8> {
    let mut stub = handle.to_vec();
    push_u32(&mut stub, 1); // dwInVersion
    push_u32(&mut stub, 1); // the union's discriminant
    for field in [0, 0, 0, 2, 1, count as u32] {
        // CodePage, LocaleId, dwFlags, formatOffered, formatDesired, cNames
        push_u32(&mut stub, field);
    }
    push_u32(&mut stub, 0x0002_0000); // rpNames
    push_u32(&mut stub, count as u32); // its max count
    for i in 0..count {
        push_u32(&mut stub, 0x0002_0004 + 4 * i as u32);
    }
    let name: Vec<u16> = r"ONPREM\Administrator".encode_utf16().chain([0]).collect();
    for _ in 0..count {
        push_u32(&mut stub, name.len() as u32); // max count
        push_u32(&mut stub, 0); // offset
        push_u32(&mut stub, name.len() as u32); // actual count
        for unit in &name {
            stub.extend_from_slice(&unit.to_le_bytes());
        }
        while !stub.len().is_multiple_of(4) {
            stub.push(0);
        }
    }
    stub
}

/// The items of a `DRS_MSG_CRACKREPLY_V1`: status and name of each.
fn parse_crack_names_reply(stub: &[u8]) -> Vec<(u32, String)> {
    let mut r = Cursor { stub, at: 0 };
    assert_eq!(r.u32(), 1, "pdwOutVersion");
    assert_eq!(r.u32(), 1, "union discriminant");
    assert_ne!(r.u32(), 0, "pResult");
    let items = r.u32() as usize;
    assert_ne!(r.u32(), 0, "rItems");
    assert_eq!(r.u32() as usize, items, "rItems max count");
    let entries: Vec<(u32, u32, u32)> = (0..items).map(|_| (r.u32(), r.u32(), r.u32())).collect();
    let string = |r: &mut Cursor<'_>, present: u32| -> String {
        if present == 0 {
            return String::new();
        }
        let (_max, _offset, actual) = (r.u32(), r.u32(), r.u32() as usize);
        let units: Vec<u16> = r
            .take(2 * actual)
            .chunks_exact(2)
            .map(|pair| u16::from_le_bytes([pair[0], pair[1]]))
            .collect();
        r.align4();
        String::from_utf16_lossy(&units)
            .trim_end_matches('\0')
            .to_owned()
    };
    let mut out = Vec::with_capacity(items);
    for (status, domain, name) in entries {
        let _domain = string(&mut r, domain);
        out.push((status, string(&mut r, name)));
    }
    let status = r.u32();
    assert_eq!(status, 0, "IDL_DRSCrackNames returned {status:#x}");
    r.end();
    out
}
