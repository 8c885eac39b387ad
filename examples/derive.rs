//! Derives an account's legacy credentials (NT hash, AES128 and AES256
//! Kerberos keys) and optionally its OrgId hash, and prints them as JSON.
//!
//! ```sh
//! echo -n 'Summer2024!' | cargo run --release --example derive -- --realm ONPREM.CONTOSO.COM --sam JohnDoe
//! cargo run --release --example derive -- --salt-hex 4142 --password-hex 70617373 --iterations 1
//! cargo run --release --example derive -- --nt-hash 92937945b518814341de3f726500d4ff --org-id-salt a42b92067e4b8123101a
//! ```
//!
//! Bad arguments: a one-line error on stderr and exit code 2.

#[path = "common/cli.rs"]
mod cli;

use cli::{Flags, PASSWORD_FLAGS, SALT_FLAGS, Secret, Spec, fail, json_object};
use hashsync::{Iterations, OrgIdHash, crypto, nt_hash, org_id_hash};
use serde_json::Value;

const USAGE: &str =
    "usage: derive SALT [PASSWORD] [--iterations N] [--org-id-salt HEX [--org-id-iterations N]]

Derives an account's NT hash and AES128/AES256 Kerberos keys (and, with
--org-id-salt or --nt-hash, its OrgId hash) and prints them as one JSON
object. The password comes on stdin (prompted for, without echo, on a
terminal), unless given as hex.

SALT, one of:
  --salt TEXT                    the salt as text
  --salt-hex HEX                 the salt's bytes
  --realm R --sam NAME           AD's salt rules for an account, with
    [--dns-domain D] [--upn UPN] [--uac N]   (defaults: lower-case realm, no UPN, 512)
PASSWORD, instead of stdin:
  --password-hex HEX             UTF-8 bytes, hashed as given
  --password-utf16le-hex HEX     raw UTF-16LE (machine accounts)
  --nt-hash HEX                  an NT hash: only the OrgId hash is derived
  --iterations N                 PBKDF2 iterations for the AES keys (default 4096, at most 10000000)
  --org-id-salt HEX              10-byte OrgId salt (default: random, when no AES keys are asked)
  --org-id-iterations N          OrgId iterations (default 1000)
  --help                         show this text";

const SPEC: Spec = Spec {
    usage: USAGE,
    values: &[
        &SALT_FLAGS,
        &PASSWORD_FLAGS,
        &["--iterations", "--org-id-salt", "--org-id-iterations"],
    ],
    switches: &[],
};

fn main() {
    match run(Flags::from_env(&SPEC)) {
        Ok(json) => println!("{json}"),
        Err(message) => fail(2, message),
    }
}

fn run(mut flags: Flags) -> Result<String, String> {
    let salt = cli::salt(&mut flags)?;
    let secret = cli::secret(&mut flags)?;
    let iterations = flags.iterations("--iterations")?.unwrap_or(4096);
    let iterations = Iterations::new(iterations).map_err(|e| format!("--iterations: {e}"))?;
    let org_id_salt = flags.value("--org-id-salt")?;
    let org_id_iterations = flags.iterations("--org-id-iterations")?;
    if org_id_iterations.is_some() && org_id_salt.is_none() {
        return Err("--org-id-iterations needs --org-id-salt".into());
    }
    let org_id_iterations = Iterations::new(org_id_iterations.unwrap_or(1000))
        .map_err(|e| format!("--org-id-iterations: {e}"))?;
    let org_id_salt = match org_id_salt {
        None => None,
        Some(hex) => Some(
            <[u8; 10]>::try_from(cli::decode_hex("--org-id-salt", &hex)?)
                .map_err(|_| "--org-id-salt must be 10 bytes (20 hex digits)".to_string())?,
        ),
    };
    flags.finish()?;

    let mut fields: Vec<(&str, Value)> = Vec::new();
    if let Some(salt) = &salt {
        fields.push(("salt", salt.to_string_lossy().into()));
        fields.push((
            "salt_hex",
            base16ct::lower::encode_string(salt.as_bytes()).into(),
        ));
    }
    let nt = match secret {
        Secret::Password {
            password,
            kerberos_bytes,
        } => {
            let salt = salt
                .as_ref()
                .ok_or("a salt option is needed: --salt, --salt-hex or --realm/--sam")?;
            let nt = nt_hash(&password);
            let keys = crypto::aes_keys_from_utf8(&kerberos_bytes, salt, iterations);
            fields.push(("iterations", iterations.get().into()));
            fields.push(("nt_hash", nt.to_hex().as_str().into()));
            fields.push(("aes128", keys.aes128.to_hex().as_str().into()));
            fields.push(("aes256", keys.aes256.to_hex().as_str().into()));
            nt
        }
        Secret::NtHash(nt) => {
            fields.push(("nt_hash", nt.to_hex().as_str().into()));
            nt
        }
    };
    let with_org_id = org_id_salt.is_some() || fields.iter().all(|(k, _)| *k != "aes256");
    if with_org_id {
        let org_id = match org_id_salt {
            Some(salt) => org_id_hash(&nt, salt, org_id_iterations),
            None => OrgIdHash::generate(&nt, org_id_iterations).map_err(|e| e.to_string())?,
        };
        fields.push(("org_id", org_id.encode().as_str().into()));
    }
    Ok(json_object(&fields))
}
