//! Decodes a `supplementalCredentials` value and prints what it holds as
//! one JSON object.
//!
//! ```sh
//! echo 'AAAAADAIAAA…' | cargo run --example inspect
//! ```
//!
//! Reads one base64 value from stdin (white space ignored) and prints
//! `{"salt", "iterations", "packages", "keys": [{"generation", "etype",
//! "iterations", "key"}], "des_keys": [{"generation", "etype", "key"}],
//! "wdigest", "cleartext_utf16le"}`. `keys` lists every key of
//! `Primary:Kerberos-Newer-Keys` (generation `current`, `old`, `older`, or
//! `service` should a value ever carry service keys); `des_keys` those of
//! `Primary:Kerberos`. Absent properties give `null` or `[]`. Malformed input:
//! a one-line error naming the field on stderr, exit code 1.

#[path = "common/cli.rs"]
mod cli;

use std::io::Read;

use base64::Engine as _;
use cli::{Flags, Spec, fail, json_object};
use hashsync::KerberosKey;
use hashsync::formats::{StoredKey, UserProperties};
use serde_json::{Value, json};

const USAGE: &str = "usage: inspect < VALUE

Decodes one base64 supplementalCredentials value from stdin (white space
ignored) and prints what it holds as one JSON object: salt, iterations,
packages, Kerberos keys by generation, DES keys, WDigest hashes, cleartext.
Takes no flags but --help.";

const SPEC: Spec = Spec {
    usage: USAGE,
    values: &[],
    switches: &[],
};

fn main() {
    let _ = Flags::from_env(&SPEC);
    let mut input = zeroize::Zeroizing::new(Vec::new());
    if let Err(e) = std::io::stdin().read_to_end(&mut input) {
        fail(1, format!("cannot read stdin: {e}"));
    }
    input.retain(|b| !b.is_ascii_whitespace());
    if input.is_empty() {
        fail(
            1,
            "no input: give a base64 supplementalCredentials value on stdin",
        );
    }
    let bytes = match base64::engine::general_purpose::STANDARD.decode(&*input) {
        Ok(bytes) => zeroize::Zeroizing::new(bytes),
        Err(e) => fail(1, format!("stdin is not base64: {e}")),
    };
    match UserProperties::parse(&bytes) {
        Ok(value) => println!("{}", describe(&value)),
        Err(e) => fail(1, e),
    }
}

fn key_hex(key: &KerberosKey) -> Value {
    key.to_hex().as_str().into()
}

fn describe(value: &UserProperties) -> String {
    let newer = value.kerberos_newer_keys();
    let older_revision = value.kerberos();
    let salt = newer
        .map(|n| &n.default_salt)
        .or(older_revision.map(|k| &k.default_salt))
        .map(|s| Value::from(s.to_string_lossy()));

    let mut keys = Vec::new();
    if let Some(n) = newer {
        let generations: [(&str, &[StoredKey]); 4] = [
            ("current", &n.credentials),
            ("service", &n.service_credentials),
            ("old", &n.old_credentials),
            ("older", &n.older_credentials),
        ];
        for (generation, stored) in generations {
            for k in stored {
                keys.push(json!({
                    "generation": generation,
                    "etype": k.key.etype().number(),
                    "iterations": k.iteration_count,
                    "key": key_hex(&k.key),
                }));
            }
        }
    }
    let mut des_keys = Vec::new();
    if let Some(k) = older_revision {
        for (generation, stored) in [("current", &k.credentials), ("old", &k.old_credentials)] {
            for key in stored {
                des_keys.push(json!({
                    "generation": generation,
                    "etype": key.etype().number(),
                    "key": key_hex(key),
                }));
            }
        }
    }
    let wdigest: Vec<Value> = value
        .wdigest()
        .map(|w| {
            w.hashes
                .iter()
                .map(|h| h.to_hex().as_str().into())
                .collect()
        })
        .unwrap_or_default();
    let cleartext = value
        .cleartext()
        .map(|p| Value::from(base16ct::lower::encode_string(&p.to_utf16le())));

    json_object(&[
        ("salt", salt.unwrap_or(Value::Null)),
        (
            "iterations",
            newer.map_or(Value::Null, |n| n.default_iteration_count.into()),
        ),
        ("packages", json!(value.packages().unwrap_or_default())),
        ("keys", Value::Array(keys)),
        ("des_keys", Value::Array(des_keys)),
        ("wdigest", Value::Array(wdigest)),
        ("cleartext_utf16le", cleartext.unwrap_or(Value::Null)),
    ])
}
