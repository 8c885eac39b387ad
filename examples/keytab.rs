//! Writes an MIT keytab (0x0502) for one principal from its password, with
//! the account's AD salt.
//!
//! ```sh
//! echo -n 'Summer2024!' | cargo run --example keytab -- --principal JohnDoe@ONPREM.CONTOSO.COM \
//!     --realm ONPREM.CONTOSO.COM --sam JohnDoe --kvno 2 --out johndoe.keytab
//! klist -k -e -K johndoe.keytab
//! ```
//!
//! Options: `--principal NAME@REALM`, a salt as in `derive` (`--salt TEXT`,
//! `--salt-hex HEX`, or `--realm R [--dns-domain D] --sam NAME [--upn UPN]
//! [--uac N]`; needed for etypes 17 and 18), `[--kvno N]` (default 1),
//! `[--etypes 18,17,23]` (the default), `[--timestamp SECONDS]` (default
//! now), `--out FILE`, and the password as in `derive` (stdin, or
//! `--password-hex`, `--password-utf16le-hex`, or `--nt-hash` for etype 23
//! alone). Prints a JSON summary without keys. Bad arguments: a one-line
//! error and exit code 2; a file that cannot be written: exit code 1.

#[path = "common/cli.rs"]
mod cli;

use cli::{Flags, Secret, fail, json_object};
use hashsync::formats::{Keytab, Principal};
use hashsync::{EncryptionType, Iterations, crypto, nt_hash};
use serde_json::{Value, json};

fn main() {
    let (keytab, out, summary) = match plan(Flags::from_env()) {
        Ok(plan) => plan,
        Err(message) => fail(2, message),
    };
    let bytes = match keytab.to_bytes() {
        Ok(bytes) => bytes,
        Err(e) => fail(2, e),
    };
    if let Err(e) = std::fs::write(&out, bytes.as_slice()) {
        fail(1, format!("cannot write {out}: {e}"));
    }
    println!("{summary}");
}

fn etypes(list: &str) -> Result<Vec<EncryptionType>, String> {
    list.split(',')
        .map(|n| match n.trim().parse::<i32>() {
            Ok(n @ (17 | 18 | 23)) => Ok(EncryptionType::new(n)),
            _ => Err(format!("--etypes: {n:?} is not one of 17, 18, 23")),
        })
        .collect()
}

fn plan(mut flags: Flags) -> Result<(Keytab, String, String), String> {
    let principal = flags
        .value("--principal")?
        .ok_or("--principal NAME@REALM is required")?;
    let principal = Principal::parse(&principal).map_err(|e| format!("--principal: {e}"))?;
    let out = flags.value("--out")?.ok_or("--out FILE is required")?;
    let kvno = flags.number::<u32>("--kvno")?.unwrap_or(1);
    let etypes = etypes(
        &flags
            .value("--etypes")?
            .unwrap_or_else(|| "18,17,23".into()),
    )?;
    let timestamp = match flags.number::<u32>("--timestamp")? {
        Some(t) => t,
        None => std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as u32),
    };
    let salt = cli::salt(&mut flags)?;
    let secret = cli::secret(&mut flags)?;
    flags.finish()?;

    let needs_aes = etypes.iter().any(|e| *e != EncryptionType::RC4_HMAC);
    let keys = match &secret {
        Secret::Password {
            password,
            kerberos_bytes,
        } => {
            let aes = match (&salt, needs_aes) {
                (Some(salt), true) => Some(crypto::aes_keys_from_utf8(
                    kerberos_bytes,
                    salt,
                    Iterations::KERBEROS_DEFAULT,
                )),
                (None, true) => {
                    return Err(
                        "etypes 17 and 18 need a salt: --salt, --salt-hex or --realm/--sam".into(),
                    );
                }
                _ => None,
            };
            etypes
                .iter()
                .map(|&e| match (&aes, e) {
                    (Some(k), EncryptionType::AES256_CTS_HMAC_SHA1_96) => k.aes256.clone(),
                    (Some(k), EncryptionType::AES128_CTS_HMAC_SHA1_96) => k.aes128.clone(),
                    _ => nt_hash(password).to_rc4_key(),
                })
                .collect::<Vec<_>>()
        }
        Secret::NtHash(nt) => {
            if needs_aes {
                return Err("--nt-hash gives only the etype 23 key: pass --etypes 23".into());
            }
            vec![nt.to_rc4_key(); etypes.len()]
        }
    };
    let mut keytab = Keytab::default();
    keytab.add_keys(&principal, kvno, timestamp, keys);

    let summary = json_object(&[
        ("principal", principal.to_string().into()),
        ("kvno", kvno.into()),
        ("timestamp", timestamp.into()),
        (
            "etypes",
            json!(etypes.iter().map(|e| e.number()).collect::<Vec<_>>()),
        ),
        (
            "salt",
            salt.map_or(Value::Null, |s| s.to_string_lossy().into()),
        ),
        ("out", out.clone().into()),
    ]);
    Ok((keytab, out, summary))
}
