//! Decrypts one secret attribute value as DRS replication
//! (`IDL_DRSGetNCChanges`) delivers it.
//!
//! ```sh
//! echo c0b3e4998ee569f76a173ad37a3345f259542dd03bda2d72c4bb2cc5cf2c387eab5dc2fd \
//!   | cargo run --example drs_decrypt -- --session-key dd7618c0fdd9fa2641d0c5b8bef81cd5 \
//!       --attribute unicodePwd --rid 1105
//! ```
//!
//! `--session-key HEX --attribute unicodePwd|ntPwdHistory|supplementalCredentials
//! [--rid N]`: the encrypted value as hex on stdin (one line), the
//! decrypted secret as hex on stdout. `--rid` is required for the
//! DES-layered attributes (`unicodePwd`, `ntPwdHistory`). A checksum
//! mismatch or malformed input: a one-line error on stderr, exit 1. Bad
//! usage: exit 2. `--help`: this usage, exit 0.

#[path = "common/cli.rs"]
mod cli;

use cli::{fail, stdin_line};
use hashsync::formats::drs::{ReplicatedAttribute, SessionKey, decrypt_attribute_value};

const USAGE: &str = "usage: drs_decrypt --session-key HEX \
--attribute unicodePwd|ntPwdHistory|supplementalCredentials [--rid N]
  (encrypted value as hex on stdin, decrypted secret as hex on stdout)";

const ATTRIBUTES: [ReplicatedAttribute; 3] = [
    ReplicatedAttribute::UnicodePwd,
    ReplicatedAttribute::NtPwdHistory,
    ReplicatedAttribute::SupplementalCredentials,
];

struct Args {
    session_key: SessionKey,
    attribute: ReplicatedAttribute,
    rid: Option<u32>,
}

fn parse_args() -> Result<Args, lexopt::Error> {
    use lexopt::prelude::*;
    let mut parser = lexopt::Parser::from_env();
    let (mut session_key, mut attribute, mut rid) = (None, None, None);
    while let Some(arg) = parser.next()? {
        match arg {
            Short('h') | Long("help") => {
                println!("{USAGE}");
                std::process::exit(0);
            }
            Long("session-key") if session_key.is_none() => {
                let text = zeroize::Zeroizing::new(parser.value()?.string()?);
                session_key =
                    Some(SessionKey::from_hex(&text).map_err(|_| "--session-key expects hex")?);
            }
            Long("attribute") if attribute.is_none() => {
                let name = parser.value()?.string()?;
                attribute = Some(
                    ATTRIBUTES
                        .into_iter()
                        .find(|a| a.name() == name)
                        .ok_or_else(|| {
                            format!(
                                "--attribute {name:?}: one of unicodePwd, ntPwdHistory, supplementalCredentials"
                            )
                        })?,
                );
            }
            Long("rid") if rid.is_none() => rid = Some(parser.value()?.parse()?),
            _ => return Err(arg.unexpected()),
        }
    }
    let session_key = session_key.ok_or("--session-key HEX is required")?;
    let attribute = attribute.ok_or("--attribute NAME is required")?;
    if attribute.has_des_layer() && rid.is_none() {
        return Err(format!("--attribute {attribute} needs --rid N (the account's RID)").into());
    }
    Ok(Args {
        session_key,
        attribute,
        rid,
    })
}

fn main() {
    let args = parse_args().unwrap_or_else(|e| fail(2, format!("{e} (--help for usage)")));
    let line = stdin_line();
    let encrypted = hex::decode(line.trim())
        .unwrap_or_else(|_| fail(1, "stdin: the encrypted value must be one line of hex"));
    let secret = decrypt_attribute_value(&args.session_key, args.attribute, args.rid, &encrypted)
        .unwrap_or_else(|e| fail(1, e));
    println!("{}", *zeroize::Zeroizing::new(hex::encode(&*secret)));
}
