//! The Kerberos properties: `Primary:Kerberos-Newer-Keys`
//! (`KERB_STORED_CREDENTIAL_NEW`, revision 4, MS-SAMR 2.2.10.5–2.2.10.7) and
//! `Primary:Kerberos` (`KERB_STORED_CREDENTIAL`, revision 3, 2.2.10.3–2.2.10.4).
//!
//! Both are a fixed header, arrays of key entries, then the default salt
//! (UTF-16LE) and the key bytes, located by offsets from the structure's
//! start. Parsing follows the offsets; building lays the parts out in the
//! order Windows and Samba use, so a Samba value rebuilds byte for byte.

use crate::crypto::Salt;
use crate::error::FormatError;
use crate::formats::reader::{ByteReader, slice_at, to_u16, to_u32};
use crate::formats::text::{decode_utf16le, encode_utf16le, utf16le_len};
use crate::secret::{EncryptionType, KerberosKey};

/// A key of `Primary:Kerberos-Newer-Keys` with its own iteration count
/// (`KERB_KEY_DATA_NEW`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredKey {
    /// PBKDF2 iteration count this key was derived with.
    pub iteration_count: u32,
    /// The key and its encryption type.
    pub key: KerberosKey,
}

/// `Primary:Kerberos-Newer-Keys`: AES (and DES) keys of the current and
/// previous passwords, with the salt they were derived with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KerberosStoredCredentialNew {
    /// `Flags`; zero in practice.
    pub flags: u16,
    /// `DefaultSalt`: the salt every key was derived with.
    pub default_salt: Salt,
    /// `DefaultIterationCount`.
    pub default_iteration_count: u32,
    /// `Credentials`: keys of the current password.
    pub credentials: Vec<StoredKey>,
    /// `ServiceCredentials`: empty per MS-SAMR.
    pub service_credentials: Vec<StoredKey>,
    /// `OldCredentials`: keys of the previous password.
    pub old_credentials: Vec<StoredKey>,
    /// `OlderCredentials`: keys of the password before that.
    pub older_credentials: Vec<StoredKey>,
}

/// `Primary:Kerberos`: the revision-3 credentials, DES keys only.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KerberosStoredCredential {
    /// `Flags`; zero in practice.
    pub flags: u16,
    /// `DefaultSalt`.
    pub default_salt: Salt,
    /// `Credentials`: keys of the current password.
    pub credentials: Vec<KerberosKey>,
    /// `OldCredentials`: keys of the previous password.
    pub old_credentials: Vec<KerberosKey>,
}

const NEW_HEADER_LEN: usize = 24;
const NEW_ENTRY_LEN: usize = 24;
const OLD_HEADER_LEN: usize = 16;
const OLD_ENTRY_LEN: usize = 20;
/// Windows and Samba follow the revision-3 key entries with 20 zero bytes.
const OLD_ENTRIES_PADDING: usize = 20;

/// One key entry before its bytes are fetched.
struct KeyEntry {
    iteration_count: u32,
    key_type: u32,
    key_length: u32,
    key_offset: u32,
}

impl KeyEntry {
    fn fetch(&self, structure: &[u8], field: &'static str) -> Result<KerberosKey, FormatError> {
        let bytes = slice_at(structure, self.key_offset, self.key_length, field)?;
        // Key types are small positive numbers; the wrap keeps odd values visible.
        let etype = EncryptionType::new(self.key_type as i32);
        KerberosKey::new(etype, bytes).map_err(|_| FormatError::KeyLength {
            field,
            etype: etype.number(),
            length: bytes.len(),
        })
    }
}

fn read_salt(
    structure: &[u8],
    length: u16,
    offset: u32,
    field: &'static str,
) -> Result<Salt, FormatError> {
    let bytes = slice_at(structure, offset, u32::from(length), field)?;
    Ok(Salt::from(decode_utf16le(bytes, field)?.as_str()))
}

fn salt_text<'a>(salt: &'a Salt, field: &'static str) -> Result<&'a str, FormatError> {
    core::str::from_utf8(salt.as_bytes()).map_err(|_| FormatError::InvalidUtf8 { field })
}

fn read_new_entries(
    reader: &mut ByteReader<'_>,
    count: u16,
    field: &'static str,
) -> Result<Vec<KeyEntry>, FormatError> {
    reader.check_count(usize::from(count), NEW_ENTRY_LEN, field)?;
    (0..count)
        .map(|_| {
            reader.take(8, "KERB_KEY_DATA_NEW.Reserved")?;
            Ok(KeyEntry {
                iteration_count: reader.u32_le("KERB_KEY_DATA_NEW.IterationCount")?,
                key_type: reader.u32_le("KERB_KEY_DATA_NEW.KeyType")?,
                key_length: reader.u32_le("KERB_KEY_DATA_NEW.KeyLength")?,
                key_offset: reader.u32_le("KERB_KEY_DATA_NEW.KeyOffset")?,
            })
        })
        .collect()
}

fn read_old_entries(
    reader: &mut ByteReader<'_>,
    count: u16,
    field: &'static str,
) -> Result<Vec<KeyEntry>, FormatError> {
    reader.check_count(usize::from(count), OLD_ENTRY_LEN, field)?;
    (0..count)
        .map(|_| {
            reader.take(8, "KERB_KEY_DATA.Reserved")?;
            Ok(KeyEntry {
                iteration_count: 0,
                key_type: reader.u32_le("KERB_KEY_DATA.KeyType")?,
                key_length: reader.u32_le("KERB_KEY_DATA.KeyLength")?,
                key_offset: reader.u32_le("KERB_KEY_DATA.KeyOffset")?,
            })
        })
        .collect()
}

fn fetch_new(
    structure: &[u8],
    entries: &[KeyEntry],
    field: &'static str,
) -> Result<Vec<StoredKey>, FormatError> {
    entries
        .iter()
        .map(|e| {
            Ok(StoredKey {
                iteration_count: e.iteration_count,
                key: e.fetch(structure, field)?,
            })
        })
        .collect()
}

fn fetch_old(
    structure: &[u8],
    entries: &[KeyEntry],
    field: &'static str,
) -> Result<Vec<KerberosKey>, FormatError> {
    entries.iter().map(|e| e.fetch(structure, field)).collect()
}

/// Appends one key entry; `key_offset` advances past the key.
fn write_entry(
    out: &mut Vec<u8>,
    iteration_count: Option<u32>,
    key: &KerberosKey,
    key_offset: &mut usize,
) -> Result<(), FormatError> {
    let len = key.expose_secret().len();
    out.extend_from_slice(&[0u8; 8]); // Reserved1..3
    if let Some(count) = iteration_count {
        out.extend_from_slice(&count.to_le_bytes());
    }
    // Key types are written as the unsigned 32-bit field they came from.
    out.extend_from_slice(&(key.etype().number() as u32).to_le_bytes());
    out.extend_from_slice(&to_u32(len, "KeyLength")?.to_le_bytes());
    out.extend_from_slice(&to_u32(*key_offset, "KeyOffset")?.to_le_bytes());
    *key_offset += len;
    Ok(())
}

impl KerberosStoredCredentialNew {
    /// The `Revision` this structure carries.
    pub const REVISION: u16 = 4;

    /// Parses the decoded (binary) property value.
    pub fn parse(bytes: &[u8]) -> Result<Self, FormatError> {
        let mut r = ByteReader::new(bytes);
        let revision = r.u16_le("KERB_STORED_CREDENTIAL_NEW.Revision")?;
        if revision != Self::REVISION {
            return Err(FormatError::UnsupportedRevision {
                field: "KERB_STORED_CREDENTIAL_NEW.Revision",
                found: u32::from(revision),
            });
        }
        let flags = r.u16_le("KERB_STORED_CREDENTIAL_NEW.Flags")?;
        let counts = [
            r.u16_le("KERB_STORED_CREDENTIAL_NEW.CredentialCount")?,
            r.u16_le("KERB_STORED_CREDENTIAL_NEW.ServiceCredentialCount")?,
            r.u16_le("KERB_STORED_CREDENTIAL_NEW.OldCredentialCount")?,
            r.u16_le("KERB_STORED_CREDENTIAL_NEW.OlderCredentialCount")?,
        ];
        let salt_length = r.u16_le("KERB_STORED_CREDENTIAL_NEW.DefaultSaltLength")?;
        r.u16_le("KERB_STORED_CREDENTIAL_NEW.DefaultSaltMaximumLength")?;
        let salt_offset = r.u32_le("KERB_STORED_CREDENTIAL_NEW.DefaultSaltOffset")?;
        let default_iteration_count =
            r.u32_le("KERB_STORED_CREDENTIAL_NEW.DefaultIterationCount")?;
        let current =
            read_new_entries(&mut r, counts[0], "KERB_STORED_CREDENTIAL_NEW.Credentials")?;
        let service = read_new_entries(
            &mut r,
            counts[1],
            "KERB_STORED_CREDENTIAL_NEW.ServiceCredentials",
        )?;
        let old = read_new_entries(
            &mut r,
            counts[2],
            "KERB_STORED_CREDENTIAL_NEW.OldCredentials",
        )?;
        let older = read_new_entries(
            &mut r,
            counts[3],
            "KERB_STORED_CREDENTIAL_NEW.OlderCredentials",
        )?;
        Ok(Self {
            flags,
            default_salt: read_salt(
                bytes,
                salt_length,
                salt_offset,
                "KERB_STORED_CREDENTIAL_NEW.DefaultSalt",
            )?,
            default_iteration_count,
            credentials: fetch_new(bytes, &current, "KERB_STORED_CREDENTIAL_NEW.Credentials")?,
            service_credentials: fetch_new(
                bytes,
                &service,
                "KERB_STORED_CREDENTIAL_NEW.ServiceCredentials",
            )?,
            old_credentials: fetch_new(bytes, &old, "KERB_STORED_CREDENTIAL_NEW.OldCredentials")?,
            older_credentials: fetch_new(
                bytes,
                &older,
                "KERB_STORED_CREDENTIAL_NEW.OlderCredentials",
            )?,
        })
    }

    /// The binary property value: header, key entries (current, service,
    /// old, older), salt, then the keys in entry order.
    pub fn to_bytes(&self) -> Result<zeroize::Zeroizing<Vec<u8>>, FormatError> {
        let salt = salt_text(&self.default_salt, "KERB_STORED_CREDENTIAL_NEW.DefaultSalt")?;
        let salt_len = to_u16(
            utf16le_len(salt),
            "KERB_STORED_CREDENTIAL_NEW.DefaultSaltLength",
        )?;
        let groups = [
            (
                &self.credentials,
                "KERB_STORED_CREDENTIAL_NEW.CredentialCount",
            ),
            (
                &self.service_credentials,
                "KERB_STORED_CREDENTIAL_NEW.ServiceCredentialCount",
            ),
            (
                &self.old_credentials,
                "KERB_STORED_CREDENTIAL_NEW.OldCredentialCount",
            ),
            (
                &self.older_credentials,
                "KERB_STORED_CREDENTIAL_NEW.OlderCredentialCount",
            ),
        ];
        let entries: usize = groups.iter().map(|(keys, _)| keys.len()).sum();
        let salt_offset = NEW_HEADER_LEN + entries * NEW_ENTRY_LEN;
        let mut key_offset = salt_offset + usize::from(salt_len);
        let keys_len: usize = groups
            .iter()
            .flat_map(|(keys, _)| keys.iter())
            .map(|k| k.key.expose_secret().len())
            .sum();

        // Sized exactly: a growing buffer would leave copies of the keys
        // behind in freed memory.
        let mut out = zeroize::Zeroizing::new(Vec::with_capacity(key_offset + keys_len));
        out.extend_from_slice(&Self::REVISION.to_le_bytes());
        out.extend_from_slice(&self.flags.to_le_bytes());
        for (keys, field) in groups {
            out.extend_from_slice(&to_u16(keys.len(), field)?.to_le_bytes());
        }
        out.extend_from_slice(&salt_len.to_le_bytes());
        out.extend_from_slice(&salt_len.to_le_bytes());
        out.extend_from_slice(
            &to_u32(salt_offset, "KERB_STORED_CREDENTIAL_NEW.DefaultSaltOffset")?.to_le_bytes(),
        );
        out.extend_from_slice(&self.default_iteration_count.to_le_bytes());
        for (keys, _) in groups {
            for k in keys {
                write_entry(&mut out, Some(k.iteration_count), &k.key, &mut key_offset)?;
            }
        }
        encode_utf16le(salt, &mut out);
        for (keys, _) in groups {
            for k in keys {
                out.extend_from_slice(k.key.expose_secret());
            }
        }
        Ok(out)
    }
}

impl KerberosStoredCredential {
    /// The `Revision` this structure carries.
    pub const REVISION: u16 = 3;

    /// Parses the decoded (binary) property value.
    pub fn parse(bytes: &[u8]) -> Result<Self, FormatError> {
        let mut r = ByteReader::new(bytes);
        let revision = r.u16_le("KERB_STORED_CREDENTIAL.Revision")?;
        if revision != Self::REVISION {
            return Err(FormatError::UnsupportedRevision {
                field: "KERB_STORED_CREDENTIAL.Revision",
                found: u32::from(revision),
            });
        }
        let flags = r.u16_le("KERB_STORED_CREDENTIAL.Flags")?;
        let current_count = r.u16_le("KERB_STORED_CREDENTIAL.CredentialCount")?;
        let old_count = r.u16_le("KERB_STORED_CREDENTIAL.OldCredentialCount")?;
        let salt_length = r.u16_le("KERB_STORED_CREDENTIAL.DefaultSaltLength")?;
        r.u16_le("KERB_STORED_CREDENTIAL.DefaultSaltMaximumLength")?;
        let salt_offset = r.u32_le("KERB_STORED_CREDENTIAL.DefaultSaltOffset")?;
        let current =
            read_old_entries(&mut r, current_count, "KERB_STORED_CREDENTIAL.Credentials")?;
        let old = read_old_entries(&mut r, old_count, "KERB_STORED_CREDENTIAL.OldCredentials")?;
        Ok(Self {
            flags,
            default_salt: read_salt(
                bytes,
                salt_length,
                salt_offset,
                "KERB_STORED_CREDENTIAL.DefaultSalt",
            )?,
            credentials: fetch_old(bytes, &current, "KERB_STORED_CREDENTIAL.Credentials")?,
            old_credentials: fetch_old(bytes, &old, "KERB_STORED_CREDENTIAL.OldCredentials")?,
        })
    }

    /// The binary property value: header, key entries (current, old), 20
    /// zero bytes, salt, then the keys in entry order.
    pub fn to_bytes(&self) -> Result<zeroize::Zeroizing<Vec<u8>>, FormatError> {
        let salt = salt_text(&self.default_salt, "KERB_STORED_CREDENTIAL.DefaultSalt")?;
        let salt_len = to_u16(
            utf16le_len(salt),
            "KERB_STORED_CREDENTIAL.DefaultSaltLength",
        )?;
        let groups = [
            (&self.credentials, "KERB_STORED_CREDENTIAL.CredentialCount"),
            (
                &self.old_credentials,
                "KERB_STORED_CREDENTIAL.OldCredentialCount",
            ),
        ];
        let entries: usize = groups.iter().map(|(keys, _)| keys.len()).sum();
        let salt_offset = OLD_HEADER_LEN + entries * OLD_ENTRY_LEN + OLD_ENTRIES_PADDING;
        let mut key_offset = salt_offset + usize::from(salt_len);
        let keys_len: usize = groups
            .iter()
            .flat_map(|(keys, _)| keys.iter())
            .map(|k| k.expose_secret().len())
            .sum();

        // Sized exactly, so the buffer never reallocates (see above).
        let mut out = zeroize::Zeroizing::new(Vec::with_capacity(key_offset + keys_len));
        out.extend_from_slice(&Self::REVISION.to_le_bytes());
        out.extend_from_slice(&self.flags.to_le_bytes());
        for (keys, field) in groups {
            out.extend_from_slice(&to_u16(keys.len(), field)?.to_le_bytes());
        }
        out.extend_from_slice(&salt_len.to_le_bytes());
        out.extend_from_slice(&salt_len.to_le_bytes());
        out.extend_from_slice(
            &to_u32(salt_offset, "KERB_STORED_CREDENTIAL.DefaultSaltOffset")?.to_le_bytes(),
        );
        for (keys, _) in groups {
            for k in keys {
                write_entry(&mut out, None, k, &mut key_offset)?;
            }
        }
        out.extend_from_slice(&[0u8; OLD_ENTRIES_PADDING]);
        encode_utf16le(salt, &mut out);
        for (keys, _) in groups {
            for k in keys {
                out.extend_from_slice(k.expose_secret());
            }
        }
        Ok(out)
    }
}
