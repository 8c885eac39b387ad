//! Live interoperability with the independent scripts in `tools/vectors`
//! (Python `cryptography`, impacket): envelopes the crate seals open in
//! the script, envelopes the script seals with fresh key material open
//! here, and the DRS vectors regenerate identically.
//!
//! Ignored by default (they need Python); `.ci/install-python-vectors`
//! installs the interpreter they use and `.ci/run` runs them with
//! `--include-ignored`. When the interpreter is missing they fail, never
//! skip.

mod example_binary;

use std::path::PathBuf;
use std::process::Command;

use example_binary::run_with_stdin;

use base64::Engine as _;
use hashsync::formats::envelope::{ManagedDomainCertificate, ManagedDomainKey};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

fn python() -> PathBuf {
    let path = std::env::var_os("HASHSYNC_VECTORS_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(ROOT).join("target/vectors-venv/bin/python3"));
    assert!(
        path.exists(),
        "{} is missing: run bash .ci/install-python-vectors (or set HASHSYNC_VECTORS_PYTHON)",
        path.display()
    );
    path
}

fn data(name: &str) -> String {
    format!("{ROOT}/tests/data/envelope/{name}")
}

/// Runs `tools/vectors/envelope.py ARGS` with `input` on stdin.
fn script(args: &[&str], input: &str) -> String {
    let script = format!("{ROOT}/tools/vectors/envelope.py");
    let args: Vec<&str> = std::iter::once(script.as_str())
        .chain(args.iter().copied())
        .collect();
    let out = run_with_stdin(&python(), &args, input.as_bytes());
    assert!(
        out.status.success(),
        "envelope.py {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

fn plaintexts() -> Vec<Vec<u8>> {
    vec![
        Vec::new(),
        vec![0x5a],
        (0..16).collect(),
        (0..=255).collect(),
        [
            &0x0009_005Au32.to_le_bytes()[..],
            &16u32.to_le_bytes(),
            &[0xab; 16],
        ]
        .concat(),
    ]
}

#[test]
#[ignore = "needs python3 cryptography: bash .ci/install-python-vectors"]
fn crate_sealed_envelopes_open_in_the_script() {
    let certificate =
        ManagedDomainCertificate::parse(&std::fs::read(data("managed_domain_cert.pem")).unwrap())
            .unwrap();
    for plaintext in plaintexts() {
        let envelope = certificate.seal(&plaintext).unwrap();
        let b64 = base64::engine::general_purpose::STANDARD.encode(&envelope);
        let opened = script(
            &[
                "open",
                &data("managed_domain_cert.pem"),
                &data("managed_domain_key.pem"),
            ],
            &format!("{b64}\n"),
        );
        assert_eq!(opened, hex::encode(&plaintext));
    }
}

#[test]
#[ignore = "needs python3 cryptography: bash .ci/install-python-vectors"]
fn script_sealed_envelopes_open_in_the_crate() {
    let pem = std::fs::read(data("managed_domain_cert.pem")).unwrap();
    let key = ManagedDomainKey::new(
        ManagedDomainCertificate::parse(&pem).unwrap(),
        &std::fs::read(data("managed_domain_key.pem")).unwrap(),
    )
    .unwrap();
    for plaintext in plaintexts() {
        let b64 = script(
            &["seal", &data("managed_domain_cert.der")],
            &format!("{}\n", hex::encode(&plaintext)),
        );
        let envelope = base64::engine::general_purpose::STANDARD
            .decode(b64)
            .unwrap();
        assert_eq!(&key.open(&envelope).unwrap()[..], plaintext);
    }
}

#[test]
#[ignore = "needs python3 impacket: bash .ci/install-python-vectors"]
fn drs_vectors_regenerate_identically() {
    let out = std::env::temp_dir().join(format!("hashsync-drs-{}.json", std::process::id()));
    let status = Command::new(python())
        .arg(format!("{ROOT}/tools/vectors/drs.py"))
        .arg(&out)
        .status()
        .unwrap();
    assert!(status.success(), "drs.py failed");
    let fresh = std::fs::read(&out).unwrap();
    std::fs::remove_file(&out).unwrap();
    let committed = std::fs::read(format!("{ROOT}/tests/data/drs/vectors.json")).unwrap();
    assert!(
        fresh == committed,
        "tests/data/drs/vectors.json differs from drs.py's output"
    );
}
