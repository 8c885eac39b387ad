//! Argument handling shared by the examples, on `lexopt`: the flags each
//! example declares, salt and password options, and one-line errors.
#![allow(dead_code)] // each example uses a different subset

use std::ffi::OsString;
use std::io::{IsTerminal, Read};
use std::process::exit;

use hashsync::{AccountSaltAttributes, NtHash, Password, Salt};

/// The largest PBKDF2 iteration count the examples accept: AD uses 4096
/// and Entra ID 1000; ten million already takes seconds per key.
pub const MAX_ITERATIONS: u32 = 10_000_000;

/// Prints a one-line error and exits with `code`.
pub fn fail(code: i32, message: impl std::fmt::Display) -> ! {
    // One line, whatever the message holds.
    let message = message.to_string().replace('\n', " ");
    eprintln!("error: {message}");
    exit(code)
}

/// What an example accepts: its usage text, the flags that take a value
/// (in groups, such as [`SALT_FLAGS`]) and the switches.
pub struct Spec {
    pub usage: &'static str,
    pub values: &'static [&'static [&'static str]],
    pub switches: &'static [&'static str],
}

/// The parsed command line: each flag's value, by name.
pub struct Flags {
    values: Vec<(&'static str, String)>,
    switches: Vec<&'static str>,
}

impl Flags {
    /// Parses the process's arguments. `--help` (or `-h`) prints the usage
    /// and exits 0; a bad command line is a one-line error and exit 2.
    pub fn from_env(spec: &Spec) -> Self {
        match Self::parse(spec, std::env::args_os().skip(1)) {
            Ok(Some(flags)) => flags,
            Ok(None) => {
                println!("{}", spec.usage);
                exit(0)
            }
            Err(message) => fail(2, format!("{message} (see --help)")),
        }
    }

    /// Parses `args`; `Ok(None)` means help was asked for.
    pub fn parse(
        spec: &Spec,
        args: impl IntoIterator<Item = OsString>,
    ) -> Result<Option<Self>, String> {
        use lexopt::Arg;
        let mut parser = lexopt::Parser::from_args(args);
        let mut flags = Self {
            values: Vec::new(),
            switches: Vec::new(),
        };
        while let Some(arg) = parser.next().map_err(|e| e.to_string())? {
            match arg {
                Arg::Short('h') | Arg::Long("help") => return Ok(None),
                Arg::Long(name) => {
                    let flag = format!("--{name}");
                    let mut values = spec.values.iter().flat_map(|group| group.iter());
                    if let Some(known) = values.find(|v| **v == flag) {
                        let value = parser
                            .value()
                            .map_err(|_| format!("{flag} needs a value"))?
                            .into_string()
                            .map_err(|_| format!("the value of {flag} is not valid UTF-8"))?;
                        if flags.values.iter().any(|(n, _)| n == known) {
                            return Err(format!("{flag} given twice"));
                        }
                        flags.values.push((known, value));
                    } else if let Some(known) = spec.switches.iter().find(|v| **v == flag) {
                        if flags.switches.contains(known) {
                            return Err(format!("{flag} given twice"));
                        }
                        flags.switches.push(known);
                    } else {
                        return Err(format!("unknown flag {flag}"));
                    }
                }
                Arg::Short(c) => return Err(format!("unknown flag -{c}")),
                Arg::Value(value) => {
                    return Err(match value.into_string() {
                        Ok(text) => format!("unexpected argument {text:?}"),
                        Err(_) => "an argument is not valid UTF-8".to_owned(),
                    });
                }
            }
        }
        Ok(Some(flags))
    }

    /// The value of `--name VALUE` (or `--name=VALUE`), if given.
    pub fn value(&mut self, name: &str) -> Result<Option<String>, String> {
        Ok(self
            .values
            .iter()
            .position(|(n, _)| *n == name)
            .map(|i| self.values.remove(i).1))
    }

    /// The value of `--name N` parsed as a number.
    pub fn number<T: std::str::FromStr>(&mut self, name: &str) -> Result<Option<T>, String> {
        match self.value(name)? {
            None => Ok(None),
            Some(text) => text
                .trim()
                .parse()
                .map(Some)
                .map_err(|_| format!("{name} expects a number in range, got {text:?}")),
        }
    }

    /// `--name N`, refused outside `min..=max`.
    pub fn number_in(&mut self, name: &str, min: u64, max: u64) -> Result<Option<u64>, String> {
        match self.number::<u64>(name)? {
            Some(n) if n < min || n > max => {
                Err(format!("{name} must be between {min} and {max}, got {n}"))
            }
            other => Ok(other),
        }
    }

    /// A PBKDF2 iteration count: 1 to [`MAX_ITERATIONS`].
    pub fn iterations(&mut self, name: &str) -> Result<Option<u32>, String> {
        Ok(self
            .number_in(name, 1, u64::from(MAX_ITERATIONS))?
            .map(|n| n as u32))
    }

    /// A probability: a number in [0, 1].
    pub fn rate(&mut self, name: &str) -> Result<Option<f64>, String> {
        match self.number::<f64>(name)? {
            Some(p) if !(0.0..=1.0).contains(&p) => {
                Err(format!("{name} must be between 0 and 1, got {p}"))
            }
            other => Ok(other),
        }
    }

    /// Whether the switch `--name` was given.
    pub fn switch(&mut self, name: &str) -> bool {
        self.switches.contains(&name)
    }

    /// Every flag was declared, so nothing can be left over; kept so each
    /// example states where its parsing ends.
    pub fn finish(self) -> Result<(), String> {
        Ok(())
    }
}

pub fn decode_hex(flag: &str, text: &str) -> Result<Vec<u8>, String> {
    base16ct::mixed::decode_vec(text.trim()).map_err(|_| format!("{flag} is not valid hex"))
}

/// The salt flags, for [`Spec::values`].
pub const SALT_FLAGS: [&str; 7] = [
    "--salt",
    "--salt-hex",
    "--realm",
    "--dns-domain",
    "--sam",
    "--upn",
    "--uac",
];

/// The password flags, for [`Spec::values`].
pub const PASSWORD_FLAGS: [&str; 3] = ["--password-hex", "--password-utf16le-hex", "--nt-hash"];

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

/// Password from stdin (UTF-8, one trailing newline removed; prompted for
/// without echo when stdin is a terminal) unless `--password-hex HEX`
/// (UTF-8 bytes), `--password-utf16le-hex HEX` (raw UTF-16LE) or
/// `--nt-hash HEX` is given.
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
        read_password()?
    };
    // The NT hash needs UTF-16: bytes that are not UTF-8 convert lossily,
    // while Kerberos hashes the bytes exactly as given.
    let password = Password::from_utf8_lossy(&bytes);
    Ok(Secret::Password {
        password,
        kerberos_bytes: bytes,
    })
}

/// The password from a terminal prompt (no echo), or from piped stdin.
fn read_password() -> Result<zeroize::Zeroizing<Vec<u8>>, String> {
    if std::io::stdin().is_terminal() {
        let typed = zeroize::Zeroizing::new(
            rpassword::prompt_password("Password: ")
                .map_err(|e| format!("cannot read the password: {e}"))?,
        );
        return Ok(zeroize::Zeroizing::new(typed.as_bytes().to_vec()));
    }
    let mut input = zeroize::Zeroizing::new(Vec::new());
    std::io::stdin()
        .read_to_end(&mut input)
        .map_err(|e| format!("cannot read the password from stdin: {e}"))?;
    if input.is_empty() {
        return Err("no input: give the password on stdin (or --password-hex)".into());
    }
    if input.last() == Some(&b'\n') {
        input.pop();
    }
    if std::str::from_utf8(&input).is_err() {
        return Err("the password on stdin is not UTF-8".into());
    }
    Ok(input)
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
