//! Seals and opens the `ADAuthInfo` envelopes that carry legacy
//! credentials to Entra Domain Services.
//!
//! ```sh
//! echo 5a0009001000000011111111111111111111111111111111 \
//!   | cargo run --example envelope -- seal --cert managed_domain_cert.pem
//! echo 'AQAAAAAAAAAB…' \
//!   | cargo run --example envelope -- open --cert managed_domain_cert.pem --key key.pem
//! ```
//!
//! - `seal --cert FILE`: the plaintext as hex on stdin (one line), the
//!   base64 envelope on stdout. The certificate is DER or PEM.
//! - `open --cert FILE --key FILE`: the base64 envelope on stdin (one
//!   line), the plaintext as hex on stdout. The key is PEM (PKCS#8 or
//!   PKCS#1) or DER.
//!
//! Malformed input, an unusable certificate or key, or an envelope sealed
//! to another certificate: a one-line error on stderr, exit 1. Bad usage:
//! exit 2. `--help`: this usage, exit 0.

#[path = "common/cli.rs"]
mod cli;

use std::path::PathBuf;

use base64::Engine as _;
use cli::{fail, read_file, stdin_line};
use hashsync::formats::envelope::{ManagedDomainCertificate, ManagedDomainKey};

const USAGE: &str =
    "usage: envelope seal --cert FILE   (hex plaintext on stdin, base64 envelope out)
       envelope open --cert FILE --key FILE   (base64 envelope on stdin, hex plaintext out)";

enum Mode {
    Seal,
    Open,
}

struct Args {
    mode: Mode,
    cert: PathBuf,
    key: Option<PathBuf>,
}

fn parse_args() -> Result<Args, lexopt::Error> {
    use lexopt::prelude::*;
    let mut parser = lexopt::Parser::from_env();
    let (mut mode, mut cert, mut key) = (None, None, None);
    while let Some(arg) = parser.next()? {
        match arg {
            Short('h') | Long("help") => {
                println!("{USAGE}");
                std::process::exit(0);
            }
            Long("cert") if cert.is_none() => cert = Some(PathBuf::from(parser.value()?)),
            Long("key") if key.is_none() => key = Some(PathBuf::from(parser.value()?)),
            Value(word) if mode.is_none() => {
                mode = Some(match word.string()?.as_str() {
                    "seal" => Mode::Seal,
                    "open" => Mode::Open,
                    other => return Err(format!("unknown command {other:?}: seal or open").into()),
                });
            }
            _ => return Err(arg.unexpected()),
        }
    }
    let mode = mode.ok_or("missing command: seal or open")?;
    let cert = cert.ok_or("--cert FILE is required")?;
    match (&mode, &key) {
        (Mode::Open, None) => return Err("open needs --key FILE".into()),
        (Mode::Seal, Some(_)) => return Err("seal takes no --key".into()),
        _ => {}
    }
    Ok(Args { mode, cert, key })
}

fn main() {
    let args = parse_args().unwrap_or_else(|e| fail(2, format!("{e} (--help for usage)")));
    let certificate = ManagedDomainCertificate::parse(&read_file("--cert", &args.cert))
        .unwrap_or_else(|e| fail(1, e));
    let line = stdin_line();
    match args.mode {
        Mode::Seal => {
            let plaintext = zeroize::Zeroizing::new(
                hex::decode(line.trim())
                    .unwrap_or_else(|_| fail(1, "stdin: the plaintext must be one line of hex")),
            );
            let envelope = certificate.seal(&plaintext).unwrap_or_else(|e| fail(1, e));
            println!(
                "{}",
                base64::engine::general_purpose::STANDARD.encode(envelope)
            );
        }
        Mode::Open => {
            // Checked in parse_args: open has a key.
            let key_path = args.key.unwrap_or_default();
            let key_bytes = zeroize::Zeroizing::new(read_file("--key", &key_path));
            let key = ManagedDomainKey::new(certificate, &key_bytes).unwrap_or_else(|e| fail(1, e));
            let envelope = base64::engine::general_purpose::STANDARD
                .decode(line.trim())
                .unwrap_or_else(|_| fail(1, "stdin: the envelope must be one line of base64"));
            let plaintext = key.open(&envelope).unwrap_or_else(|e| fail(1, e));
            println!("{}", *zeroize::Zeroizing::new(hex::encode(&*plaintext)));
        }
    }
}
