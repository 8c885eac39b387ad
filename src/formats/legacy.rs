//! Legacy credential records: the `[u32 LE attribute id][u32 LE length]
//! [value]` framing that carries `unicodePwd` and `supplementalCredentials`
//! to Entra Domain Services.

use zeroize::Zeroizing;

use crate::crypto::{Iterations, Salt};
use crate::error::FormatError;
use crate::formats::hex::HexCase;
use crate::formats::opaque::OpaqueBytes;
use crate::formats::reader::{ByteReader, to_u32};
use crate::formats::supplemental::{KeyGeneration, StoredCredentials};
use crate::secret::{KerberosKey, NtHash};

/// Attribute id of `unicodePwd` (its value: the 16-byte NT hash).
pub const UNICODE_PWD: u32 = 0x0009_005A;
/// Attribute id of `supplementalCredentials`.
pub const SUPPLEMENTAL_CREDENTIALS: u32 = 0x0009_007D;

/// One attribute record.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum AttributeRecord {
    /// `unicodePwd` (`0x0009005A`): the NT hash.
    UnicodePwd(NtHash),
    /// `supplementalCredentials` (`0x0009007D`): the raw attribute value.
    SupplementalCredentials(OpaqueBytes),
    /// Any other attribute, kept as it came.
    Other {
        /// The attribute id.
        id: u32,
        /// The value.
        value: OpaqueBytes,
    },
}

impl AttributeRecord {
    /// The attribute id on the wire.
    pub fn id(&self) -> u32 {
        match self {
            Self::UnicodePwd(_) => UNICODE_PWD,
            Self::SupplementalCredentials(_) => SUPPLEMENTAL_CREDENTIALS,
            Self::Other { id, .. } => *id,
        }
    }

    /// The value's bytes.
    pub fn expose_value(&self) -> &[u8] {
        match self {
            Self::UnicodePwd(hash) => hash.expose_secret(),
            Self::SupplementalCredentials(value) | Self::Other { value, .. } => {
                value.expose_secret()
            }
        }
    }

    /// Decodes a sequence of records, which must fill `bytes` exactly.
    ///
    /// ```
    /// use hashsync::formats::legacy::{self, AttributeRecord};
    /// use hashsync::NtHash;
    /// let nt = NtHash::from_hex("cf3a5525ee9414229e66279623ed5c58")?;
    /// let bytes = AttributeRecord::encode_all(&[AttributeRecord::UnicodePwd(nt.clone())])?;
    /// assert_eq!(&bytes[..8], [0x5a, 0x00, 0x09, 0x00, 16, 0, 0, 0]);
    /// assert_eq!(AttributeRecord::decode_all(&bytes)?, [AttributeRecord::UnicodePwd(nt)]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn decode_all(bytes: &[u8]) -> Result<Vec<Self>, FormatError> {
        let mut r = ByteReader::new(bytes);
        let mut records = Vec::new();
        while r.remaining() > 0 {
            let id = r.u32_le("attribute record id")?;
            let len = r.u32_le("attribute record length")?;
            let value_offset = r.position();
            if u64::from(len) > r.remaining() as u64 {
                return Err(FormatError::OutOfBounds {
                    field: "attribute record length",
                    offset: value_offset as u64,
                    length: u64::from(len),
                    size: bytes.len(),
                });
            }
            // Checked above: `len` fits in what is left.
            let value = r.take(len as usize, "attribute record value")?;
            records.push(match id {
                UNICODE_PWD => {
                    let hash = NtHash::from_slice(value).map_err(|_| FormatError::WrongLength {
                        field: "unicodePwd",
                        expected: NtHash::LEN,
                        found: value.len(),
                    })?;
                    Self::UnicodePwd(hash)
                }
                SUPPLEMENTAL_CREDENTIALS => {
                    Self::SupplementalCredentials(OpaqueBytes::from_slice(value))
                }
                id => Self::Other {
                    id,
                    value: OpaqueBytes::from_slice(value),
                },
            });
        }
        Ok(records)
    }

    /// Appends this record's bytes.
    pub fn encode_into(&self, out: &mut Vec<u8>) -> Result<(), FormatError> {
        push_record(out, self.id(), self.expose_value())
    }

    /// Encodes records one after the other.
    pub fn encode_all(records: &[Self]) -> Result<Zeroizing<Vec<u8>>, FormatError> {
        // Sized up front so no reallocation leaves an unzeroized copy.
        let size = records.iter().map(|r| 8 + r.expose_value().len()).sum();
        let mut out = Zeroizing::new(Vec::with_capacity(size));
        for record in records {
            record.encode_into(&mut out)?;
        }
        Ok(out)
    }
}

/// The records Domain Services receives for one account: `unicodePwd`,
/// then `supplementalCredentials` (build it with
/// [`StoredCredentials::to_bytes`](crate::formats::StoredCredentials::to_bytes);
/// Windows writes lower-case hex, [`HexCase::Lower`](crate::formats::HexCase)).
///
/// ```
/// use hashsync::formats::{HexCase, StoredCredentials, legacy};
/// use hashsync::{Iterations, Password, Salt, aes_keys, nt_hash};
/// let password = Password::new("Summer2024!");
/// let salt = Salt::from("ONPREM.CONTOSO.COMJohnDoe");
/// let stored = StoredCredentials::new(
///     aes_keys(&password, &salt, Iterations::KERBEROS_DEFAULT),
///     salt,
///     Iterations::KERBEROS_DEFAULT,
/// );
/// let records = legacy::encode_legacy_credentials(
///     &nt_hash(&password),
///     &stored.to_bytes(HexCase::Lower)?,
/// )?;
/// assert_eq!(&records[..4], legacy::UNICODE_PWD.to_le_bytes());
/// # Ok::<(), hashsync::FormatError>(())
/// ```
pub fn encode_legacy_credentials(
    nt_hash: &NtHash,
    supplemental_credentials: &[u8],
) -> Result<Zeroizing<Vec<u8>>, FormatError> {
    let mut out = Zeroizing::new(Vec::with_capacity(32 + supplemental_credentials.len()));
    AttributeRecord::UnicodePwd(nt_hash.clone()).encode_into(&mut out)?;
    push_record(&mut out, SUPPLEMENTAL_CREDENTIALS, supplemental_credentials)?;
    Ok(out)
}

/// The plaintext of `WindowsLegacyCredentials`: the `unicodePwd` record
/// holding the NT hash (or, when the tenant's SyncNtlmPasswords is off, a
/// random one in its place).
///
/// ```
/// use hashsync::formats::legacy::{self, AttributeRecord};
/// use hashsync::NtHash;
/// let nt = NtHash::from_hex("cf3a5525ee9414229e66279623ed5c58")?;
/// let bytes = legacy::windows_legacy_credentials(&nt)?;
/// assert_eq!(bytes.len(), 8 + 16);
/// assert_eq!(AttributeRecord::decode_all(&bytes)?, [AttributeRecord::UnicodePwd(nt)]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn windows_legacy_credentials(nt_hash: &NtHash) -> Result<Zeroizing<Vec<u8>>, FormatError> {
    AttributeRecord::encode_all(&[AttributeRecord::UnicodePwd(nt_hash.clone())])
}

/// The plaintext of `WindowsSupplementalCredentials`: the
/// `supplementalCredentials` record holding the `USER_PROPERTIES` AD would
/// write for the account's current Kerberos keys, with the salt and
/// iteration count AD stored them with (`Primary:Kerberos-Newer-Keys`,
/// `Primary:Kerberos` when there are DES keys, `Packages`; lower-case hex
/// as Windows writes it). Keys of other types (`rc4-hmac`, the NT hash)
/// travel in `WindowsLegacyCredentials` instead and are left out.
///
/// ```
/// use hashsync::formats::legacy::{self, AttributeRecord};
/// use hashsync::formats::StoredCredentials;
/// use hashsync::{Iterations, Password, Salt, aes_keys};
/// let salt = Salt::from("ONPREM.CONTOSO.COMalice");
/// let keys = aes_keys(&Password::new("Passw0rd!"), &salt, Iterations::KERBEROS_DEFAULT);
/// let bytes = legacy::windows_supplemental_credentials(
///     &salt,
///     Iterations::KERBEROS_DEFAULT,
///     [&keys.aes256, &keys.aes128],
/// )?;
/// let [AttributeRecord::SupplementalCredentials(value)] = &AttributeRecord::decode_all(&bytes)?[..]
/// else { panic!("one supplementalCredentials record") };
/// let stored = StoredCredentials::parse(value.expose_secret())?;
/// assert_eq!(stored.salt, salt);
/// assert_eq!(stored.current.aes256, Some(keys.aes256));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn windows_supplemental_credentials<'a>(
    salt: &Salt,
    iterations: Iterations,
    current_keys: impl IntoIterator<Item = &'a KerberosKey>,
) -> Result<Zeroizing<Vec<u8>>, FormatError> {
    let stored = StoredCredentials {
        salt: salt.clone(),
        iterations,
        current: KeyGeneration::from_keys(current_keys),
        old: None,
        older: None,
        wdigest: None,
        cleartext: None,
    };
    let value = stored.to_bytes(HexCase::Lower)?;
    let mut out = Zeroizing::new(Vec::with_capacity(8 + value.len()));
    push_record(&mut out, SUPPLEMENTAL_CREDENTIALS, &value)?;
    Ok(out)
}

/// Appends one `[id][length][value]` record.
fn push_record(out: &mut Vec<u8>, id: u32, value: &[u8]) -> Result<(), FormatError> {
    out.extend_from_slice(&id.to_le_bytes());
    out.extend_from_slice(&to_u32(value.len(), "attribute record length")?.to_le_bytes());
    out.extend_from_slice(value);
    Ok(())
}
