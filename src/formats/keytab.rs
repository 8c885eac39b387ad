//! MIT Kerberos keytab files, version 0x0502, as `ktutil` and `kadmin`
//! write them.
//!
//! Layout (big-endian): `05 02`, then records, each `i32 length` followed by
//! that many bytes: `u16` component count (realm not counted), `u16`-length
//! realm, `u16`-length components, `u32` name type, `u32` timestamp, `u8`
//! kvno, `u16` enctype, `u16`-length key, and, when at least four bytes of
//! the record remain, a `u32` kvno that supersedes the 8-bit one unless it
//! is zero. A negative length marks a hole (a deleted entry) of that many
//! bytes; a zero length ends the file.

use zeroize::Zeroizing;

use crate::crypto::{Iterations, Salt, aes_keys, nt_hash};
use crate::error::FormatError;
use crate::formats::reader::{ByteReader, to_u16};
use crate::secret::{EncryptionType, KerberosKey, Password};

/// The first two bytes of a version-2 keytab.
const MAGIC: u16 = 0x0502;

/// `KRB5_NT_PRINCIPAL`: the name type of users and of `ktutil`'s entries.
pub const NT_PRINCIPAL: i32 = 1;
/// `KRB5_NT_SRV_HST`: the name type of host-based services.
pub const NT_SRV_HST: i32 = 3;

/// A Kerberos principal name: realm, components and name type.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Principal {
    /// The realm.
    pub realm: String,
    /// The name components (`host/server.example.com` has two).
    pub components: Vec<String>,
    /// The name type ([`NT_PRINCIPAL`] for users).
    pub name_type: i32,
}

impl Principal {
    /// Parses `comp1/comp2@REALM` (name type [`NT_PRINCIPAL`]). Escapes are
    /// not interpreted; the realm is the text after the last `@`.
    ///
    /// ```
    /// use hashsync::formats::Principal;
    /// let p = Principal::parse("host/srv.example.com@EXAMPLE.COM")?;
    /// assert_eq!(p.components, ["host", "srv.example.com"]);
    /// assert_eq!(p.mit_default_salt().as_bytes(), b"EXAMPLE.COMhostsrv.example.com");
    /// # Ok::<(), hashsync::error::FormatError>(())
    /// ```
    pub fn parse(text: &str) -> Result<Self, FormatError> {
        let (name, realm) = text.rsplit_once('@').ok_or(FormatError::InvalidPrincipal {
            field: "principal",
            reason: "has no @REALM",
        })?;
        if realm.is_empty() {
            return Err(FormatError::InvalidPrincipal {
                field: "realm",
                reason: "is empty",
            });
        }
        if name.is_empty() || name.split('/').any(str::is_empty) {
            return Err(FormatError::InvalidPrincipal {
                field: "principal",
                reason: "has an empty name component",
            });
        }
        Ok(Self {
            realm: realm.to_owned(),
            components: name.split('/').map(str::to_owned).collect(),
            name_type: NT_PRINCIPAL,
        })
    }

    /// MIT's default salt: the realm followed by every component. This is
    /// not what AD uses; see [`Salt::for_account`].
    pub fn mit_default_salt(&self) -> Salt {
        let mut salt = self.realm.clone();
        for c in &self.components {
            salt.push_str(c);
        }
        Salt::from(salt.as_str())
    }
}

impl core::fmt::Display for Principal {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{}@{}", self.components.join("/"), self.realm)
    }
}

/// One keytab entry: a key of one principal at one key version.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeytabEntry {
    /// Whose key this is.
    pub principal: Principal,
    /// When the entry was written, seconds since the Unix epoch.
    pub timestamp: u32,
    /// The key version number.
    pub kvno: u32,
    /// The key and its encryption type.
    pub key: KerberosKey,
}

/// A keytab: entries in file order, holes dropped.
///
/// ```
/// use hashsync::formats::{Keytab, Principal};
/// use hashsync::{EncryptionType, Iterations, Password, Salt};
/// let principal = Principal::parse("alice@EXAMPLE.COM")?;
/// let mut keytab = Keytab::default();
/// keytab.add_password(
///     &principal,
///     &Password::new("secret"),
///     &Salt::from("EXAMPLE.COMalice"),
///     Iterations::KERBEROS_DEFAULT,
///     3,
///     1_700_000_000,
///     &[EncryptionType::AES256_CTS_HMAC_SHA1_96, EncryptionType::RC4_HMAC],
/// )?;
/// let bytes = keytab.to_bytes()?;
/// assert_eq!(&bytes[..2], [0x05, 0x02]);
/// assert_eq!(Keytab::parse(&bytes)?, keytab);
/// # Ok::<(), hashsync::error::FormatError>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Keytab {
    /// The entries.
    pub entries: Vec<KeytabEntry>,
}

impl Keytab {
    /// Parses a version 0x0502 keytab.
    pub fn parse(bytes: &[u8]) -> Result<Self, FormatError> {
        let mut r = ByteReader::new(bytes);
        let magic = r.u16_be("keytab version")?;
        if magic != MAGIC {
            return Err(if magic >> 8 == 0x05 {
                FormatError::UnsupportedRevision {
                    field: "keytab version",
                    found: u32::from(magic),
                }
            } else {
                FormatError::WrongSignature {
                    field: "keytab version",
                    expected: u32::from(MAGIC),
                    found: u32::from(magic),
                }
            });
        }
        let mut entries = Vec::new();
        while r.remaining() > 0 {
            let length = r.i32_be("keytab record length")?;
            if length == 0 {
                break;
            }
            let record = r.take(length.unsigned_abs() as usize, "keytab record")?;
            if length > 0 {
                entries.push(read_entry(record)?);
            }
        }
        Ok(Self { entries })
    }

    /// The file's bytes. Each entry gets both kvno fields: the low 8 bits,
    /// as `ktutil` writes them, and the full 32-bit value.
    pub fn to_bytes(&self) -> Result<Zeroizing<Vec<u8>>, FormatError> {
        // Sized exactly: a growing buffer would leave copies of the keys
        // behind in freed memory.
        let total = 2 + self
            .entries
            .iter()
            .map(|e| 4 + record_len(e))
            .sum::<usize>();
        let mut out = Zeroizing::new(Vec::with_capacity(total));
        out.extend_from_slice(&MAGIC.to_be_bytes());
        for entry in &self.entries {
            let len = record_len(entry);
            let length = i32::try_from(len).map_err(|_| FormatError::TooLarge {
                field: "keytab record length",
                found: len as u64,
                max: i32::MAX as u64,
            })?;
            out.extend_from_slice(&length.to_be_bytes());
            let start = out.len();
            write_entry(entry, &mut out)?;
            debug_assert_eq!(out.len() - start, len);
        }
        Ok(out)
    }

    /// Adds the keys of `password` for `principal`, one entry per etype in
    /// the given order: 17 and 18 from `salt` and `iterations` (for an AD
    /// account pass its AD salt, not [`Principal::mit_default_salt`]), 23 the
    /// NT hash.
    #[allow(clippy::too_many_arguments)]
    pub fn add_password(
        &mut self,
        principal: &Principal,
        password: &Password,
        salt: &Salt,
        iterations: Iterations,
        kvno: u32,
        timestamp: u32,
        etypes: &[EncryptionType],
    ) -> Result<(), FormatError> {
        if let Some(bad) = etypes.iter().find(|e| {
            ![
                EncryptionType::AES256_CTS_HMAC_SHA1_96,
                EncryptionType::AES128_CTS_HMAC_SHA1_96,
                EncryptionType::RC4_HMAC,
            ]
            .contains(e)
        }) {
            return Err(FormatError::UnsupportedEncryptionType {
                field: "etypes",
                etype: bad.number(),
            });
        }
        let needs_aes = etypes.iter().any(|e| *e != EncryptionType::RC4_HMAC);
        let aes = needs_aes.then(|| aes_keys(password, salt, iterations));
        let keys = etypes.iter().map(|&etype| match (&aes, etype) {
            (Some(k), EncryptionType::AES256_CTS_HMAC_SHA1_96) => k.aes256.clone(),
            (Some(k), EncryptionType::AES128_CTS_HMAC_SHA1_96) => k.aes128.clone(),
            _ => nt_hash(password).to_rc4_key(),
        });
        self.add_keys(principal, kvno, timestamp, keys);
        Ok(())
    }

    /// Adds one entry per key, in order: for keys derived elsewhere (stored
    /// AD keys, an NT hash as the `rc4-hmac` key).
    pub fn add_keys(
        &mut self,
        principal: &Principal,
        kvno: u32,
        timestamp: u32,
        keys: impl IntoIterator<Item = KerberosKey>,
    ) {
        self.entries.extend(keys.into_iter().map(|key| KeytabEntry {
            principal: principal.clone(),
            timestamp,
            kvno,
            key,
        }));
    }
}

fn read_text(r: &mut ByteReader<'_>, field: &'static str) -> Result<String, FormatError> {
    let len = r.u16_be(field)?;
    let bytes = r.take(usize::from(len), field)?;
    String::from_utf8(bytes.to_vec()).map_err(|_| FormatError::InvalidUtf8 { field })
}

fn read_entry(record: &[u8]) -> Result<KeytabEntry, FormatError> {
    let mut r = ByteReader::new(record);
    let count = usize::from(r.u16_be("keytab component count")?);
    let realm = read_text(&mut r, "keytab realm")?;
    // Each component takes at least its two length bytes.
    r.check_count(count, 2, "keytab component count")?;
    let components = (0..count)
        .map(|_| read_text(&mut r, "keytab component"))
        .collect::<Result<Vec<_>, _>>()?;
    let name_type = r.i32_be("keytab name type")?;
    let timestamp = r.u32_be("keytab timestamp")?;
    let kvno8 = r.u8("keytab kvno")?;
    let etype = EncryptionType::new(i32::from(r.u16_be("keytab enctype")?));
    let key_len = r.u16_be("keytab key length")?;
    let key_bytes = r.take(usize::from(key_len), "keytab key")?;
    let key = KerberosKey::new(etype, key_bytes).map_err(|_| FormatError::KeyLength {
        field: "keytab key",
        etype: etype.number(),
        length: key_bytes.len(),
    })?;
    let kvno = match r.remaining() {
        0..=3 => u32::from(kvno8),
        _ => match r.u32_be("keytab kvno32")? {
            0 => u32::from(kvno8),
            kvno32 => kvno32,
        },
    };
    Ok(KeytabEntry {
        principal: Principal {
            realm,
            components,
            name_type,
        },
        timestamp,
        kvno,
        key,
    })
}

fn write_text(text: &str, field: &'static str, out: &mut Vec<u8>) -> Result<(), FormatError> {
    out.extend_from_slice(&to_u16(text.len(), field)?.to_be_bytes());
    out.extend_from_slice(text.as_bytes());
    Ok(())
}

/// Bytes [`write_entry`] writes for `entry` (the record without its length).
fn record_len(entry: &KeytabEntry) -> usize {
    let p = &entry.principal;
    let names: usize = p.components.iter().map(|c| 2 + c.len()).sum();
    // count, realm, components, name type, timestamp, kvno8, etype, key, kvno32
    2 + 2 + p.realm.len() + names + 4 + 4 + 1 + 2 + 2 + entry.key.expose_secret().len() + 4
}

fn write_entry(entry: &KeytabEntry, out: &mut Vec<u8>) -> Result<(), FormatError> {
    let p = &entry.principal;
    out.extend_from_slice(&to_u16(p.components.len(), "keytab component count")?.to_be_bytes());
    write_text(&p.realm, "keytab realm", out)?;
    for c in &p.components {
        write_text(c, "keytab component", out)?;
    }
    out.extend_from_slice(&p.name_type.to_be_bytes());
    out.extend_from_slice(&entry.timestamp.to_be_bytes());
    out.push(entry.kvno as u8); // the low 8 bits, as MIT writes them
    let etype = u16::try_from(entry.key.etype().number()).map_err(|_| FormatError::TooLarge {
        field: "keytab enctype",
        found: entry.key.etype().number() as u64,
        max: u64::from(u16::MAX),
    })?;
    out.extend_from_slice(&etype.to_be_bytes());
    let key = entry.key.expose_secret();
    out.extend_from_slice(&to_u16(key.len(), "keytab key length")?.to_be_bytes());
    out.extend_from_slice(key);
    out.extend_from_slice(&entry.kvno.to_be_bytes());
    Ok(())
}
