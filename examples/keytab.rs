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
#[path = "common/secret_file.rs"]
mod secret_file;

use cli::{Flags, PASSWORD_FLAGS, SALT_FLAGS, Secret, Spec, fail, json_object};
use hashsync::formats::{Keytab, Principal};
use hashsync::{EncryptionType, Iterations, crypto, nt_hash};
use serde_json::{Value, json};

const USAGE: &str = "usage: keytab --principal NAME@REALM --out FILE SALT [PASSWORD]
              [--kvno N] [--etypes 18,17,23] [--timestamp SECONDS]

Writes an MIT keytab (0x0502, mode 0600, replaced atomically) with the
principal's keys derived from its password and AD salt, and prints a JSON
summary without keys. The password comes on stdin (prompted for, without
echo, on a terminal), unless given as hex.

  --principal NAME@REALM         the principal (components split at '/')
  --out FILE                     the keytab to write
  --kvno N                       key version number (default 1)
  --etypes LIST                  comma-separated, each once, of 18, 17, 23 (default 18,17,23)
  --timestamp SECONDS            entry timestamp (default now)
SALT (needed for etypes 17 and 18), one of:
  --salt TEXT | --salt-hex HEX | --realm R --sam NAME [--dns-domain D] [--upn UPN] [--uac N]
PASSWORD, instead of stdin:
  --password-hex HEX | --password-utf16le-hex HEX | --nt-hash HEX (etype 23 only)
  --help                         show this text";

const SPEC: Spec = Spec {
    usage: USAGE,
    values: &[
        &SALT_FLAGS,
        &PASSWORD_FLAGS,
        &["--principal", "--out", "--kvno", "--etypes", "--timestamp"],
    ],
    switches: &[],
};

fn main() {
    let (keytab, out, summary) = match plan(Flags::from_env(&SPEC)) {
        Ok(plan) => plan,
        Err(message) => fail(2, message),
    };
    let bytes = match keytab.to_bytes() {
        Ok(bytes) => bytes,
        Err(e) => fail(2, e),
    };
    if let Err(e) = secret_file::write_secret_file(&out, bytes.as_slice()) {
        fail(1, format!("cannot write {out}: {e}"));
    }
    println!("{summary}");
}

fn etypes(list: &str) -> Result<Vec<EncryptionType>, String> {
    let mut etypes = Vec::new();
    for n in list.split(',') {
        let etype = match n.trim().parse::<i32>() {
            Ok(n @ (17 | 18 | 23)) => EncryptionType::new(n),
            _ => return Err(format!("--etypes: {n:?} is not one of 17, 18, 23")),
        };
        if etypes.contains(&etype) {
            return Err(format!("--etypes: {} is listed twice", etype.number()));
        }
        etypes.push(etype);
    }
    Ok(etypes)
}

fn plan(mut flags: Flags) -> Result<(Keytab, String, String), String> {
    let principal = flags
        .value("--principal")?
        .ok_or("--principal NAME@REALM is required")?;
    let principal = Principal::parse(&principal).map_err(|e| format!("--principal: {e}"))?;
    let out = flags.value("--out")?.ok_or("--out FILE is required")?;
    let kvno = flags
        .number_in("--kvno", 0, u64::from(u32::MAX))?
        .map_or(1, |k| k as u32);
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
