//! Argument handling shared by the examples: flags, salt options and
//! password options, with one-line errors.
#![allow(dead_code)] // each example uses a different subset

use std::io::Read;
use std::process::exit;

use hashsync::{AccountSaltAttributes, NtHash, Password, Salt};

/// Prints a one-line error and exits with `code`.
pub fn fail(code: i32, message: impl std::fmt::Display) -> ! {
    eprintln!("error: {message}");
    exit(code)
}

/// Command-line flags, consumed by name; whatever is left is an error.
pub struct Flags {
    args: Vec<String>,
}

impl Flags {
    pub fn from_env() -> Self {
        Self::from_args(std::env::args().skip(1).collect())
    }

    pub fn from_args(args: Vec<String>) -> Self {
        Self { args }
    }

    /// The value of `--name VALUE` (or `--name=VALUE`), if present. A flag
    /// given twice is an error.
    pub fn value(&mut self, name: &str) -> Result<Option<String>, String> {
        let prefix = format!("{name}=");
        let mut found = None;
        let mut i = 0;
        while i < self.args.len() {
            if self.args[i] == name {
                if i + 1 >= self.args.len() {
                    return Err(format!("{name} needs a value"));
                }
                let value = self.args.remove(i + 1);
                self.args.remove(i);
                if found.replace(value).is_some() {
                    return Err(format!("{name} given twice"));
                }
            } else if let Some(value) = self.args[i].strip_prefix(&prefix) {
                let value = value.to_owned();
                self.args.remove(i);
                if found.replace(value).is_some() {
                    return Err(format!("{name} given twice"));
                }
            } else {
                i += 1;
            }
        }
        Ok(found)
    }

    /// The value of `--name N` parsed as a number.
    pub fn number<T: std::str::FromStr>(&mut self, name: &str) -> Result<Option<T>, String> {
        match self.value(name)? {
            None => Ok(None),
            Some(text) => text
                .parse()
                .map(Some)
                .map_err(|_| format!("{name} expects a number, got {text:?}")),
        }
    }

    /// Whether the switch `--name` is present.
    pub fn switch(&mut self, name: &str) -> bool {
        let before = self.args.len();
        self.args.retain(|a| a != name);
        self.args.len() != before
    }

    /// Fails on anything not consumed.
    pub fn finish(self) -> Result<(), String> {
        match self.args.first() {
            None => Ok(()),
            Some(arg) => Err(format!("unexpected argument {arg:?}")),
        }
    }
}

pub fn decode_hex(flag: &str, text: &str) -> Result<Vec<u8>, String> {
    base16ct::mixed::decode_vec(text).map_err(|_| format!("{flag} is not valid hex"))
}

/// `--salt TEXT | --salt-hex HEX | --realm R [--dns-domain D] --sam NAME [--upn UPN] [--uac N]`.
/// `Ok(None)` when no salt option is given.
pub fn salt(flags: &mut Flags) -> Result<Option<Salt>, String> {
    let text = flags.value("--salt")?;
    let hex = flags.value("--salt-hex")?;
    let realm = flags.value("--realm")?;
    let dns_domain = flags.value("--dns-domain")?;
    let sam = flags.value("--sam")?;
    let upn = flags.value("--upn")?;
    let uac: Option<u32> = flags.number("--uac")?;
    let attributes =
        realm.is_some() || dns_domain.is_some() || sam.is_some() || upn.is_some() || uac.is_some();
    match (text, hex, attributes) {
        (None, None, false) => Ok(None),
        (Some(text), None, false) => Ok(Some(Salt::from(text.as_str()))),
        (None, Some(hex), false) => Ok(Some(Salt::new(decode_hex("--salt-hex", &hex)?))),
        (None, None, true) => {
            let realm = realm.ok_or("account attributes need --realm")?;
            let sam = sam.ok_or("account attributes need --sam")?;
            let dns_domain = dns_domain.unwrap_or_else(|| realm.to_lowercase());
            let salt = Salt::for_account(&AccountSaltAttributes {
                realm: &realm,
                dns_domain: &dns_domain,
                sam_account_name: &sam,
                user_principal_name: upn.as_deref(),
                user_account_control: uac.unwrap_or(512),
            })
            .map_err(|e| e.to_string())?;
            Ok(Some(salt))
        }
        _ => {
            Err("give one of --salt, --salt-hex or account attributes (--realm, --sam, ...)".into())
        }
    }
}

/// What the password options gave.
pub enum Secret {
    /// A password; `kerberos_bytes` are the exact bytes string-to-key hashes
    /// (`--password-hex` may carry bytes that are not UTF-8).
    Password {
        password: Password,
        kerberos_bytes: zeroize::Zeroizing<Vec<u8>>,
    },
    /// `--nt-hash`: only the OrgId hash can be derived.
    NtHash(NtHash),
}

/// Password from stdin (UTF-8, one trailing newline removed) unless
/// `--password-hex HEX` (UTF-8 bytes), `--password-utf16le-hex HEX` (raw
/// UTF-16LE) or `--nt-hash HEX` is given.
pub fn secret(flags: &mut Flags) -> Result<Secret, String> {
    let utf8_hex = flags.value("--password-hex")?;
    let utf16_hex = flags.value("--password-utf16le-hex")?;
    let nt_hex = flags.value("--nt-hash")?;
    let given = [&utf8_hex, &utf16_hex, &nt_hex]
        .iter()
        .filter(|v| v.is_some())
        .count();
    if given > 1 {
        return Err("give at most one of --password-hex, --password-utf16le-hex, --nt-hash".into());
    }
    if let Some(hex) = nt_hex {
        let nt =
            NtHash::from_hex(&hex).map_err(|_| "--nt-hash must be 32 hex digits".to_string())?;
        return Ok(Secret::NtHash(nt));
    }
    let bytes = if let Some(hex) = utf16_hex {
        let raw = zeroize::Zeroizing::new(decode_hex("--password-utf16le-hex", &hex)?);
        let password =
            Password::from_utf16le(&raw).map_err(|e| format!("--password-utf16le-hex: {e}"))?;
        let kerberos_bytes = password.to_utf8_lossy();
        return Ok(Secret::Password {
            password,
            kerberos_bytes,
        });
    } else if let Some(hex) = utf8_hex {
        zeroize::Zeroizing::new(decode_hex("--password-hex", &hex)?)
    } else {
        let mut input = zeroize::Zeroizing::new(Vec::new());
        std::io::stdin()
            .read_to_end(&mut input)
            .map_err(|e| format!("cannot read the password from stdin: {e}"))?;
        if input.last() == Some(&b'\n') {
            input.pop();
        }
        if std::str::from_utf8(&input).is_err() {
            return Err("the password on stdin is not UTF-8".into());
        }
        input
    };
    // The NT hash needs UTF-16: bytes that are not UTF-8 convert lossily,
    // while Kerberos hashes the bytes exactly as given.
    let password = Password::from_utf8_lossy(&bytes);
    Ok(Secret::Password {
        password,
        kerberos_bytes: bytes,
    })
}

/// One JSON object with keys in the given order.
pub fn json_object(fields: &[(&str, serde_json::Value)]) -> String {
    let body: Vec<String> = fields
        .iter()
        .map(|(k, v)| format!("{}: {}", serde_json::Value::from(*k), v))
        .collect();
    format!("{{{}}}", body.join(", "))
}

/// One line from stdin, without its line ending, in a buffer that
/// zeroizes on drop; a read error is a one-line error, exit 1.
pub fn stdin_line() -> zeroize::Zeroizing<String> {
    let mut line = zeroize::Zeroizing::new(String::new());
    if let Err(e) = std::io::stdin().read_line(&mut line) {
        fail(1, format!("cannot read stdin: {e}"));
    }
    let end = line.trim_end_matches(['\r', '\n']).len();
    line.truncate(end);
    line
}

/// Reads a file named by a flag; failure is a one-line error, exit 1.
pub fn read_file(flag: &str, path: &std::path::Path) -> Vec<u8> {
    std::fs::read(path)
        .unwrap_or_else(|e| fail(1, format!("{flag} {}: cannot read: {e}", path.display())))
}
