//! `supplementalCredentials`: the `USER_PROPERTIES` structure (MS-SAMR
//! 2.2.10.1–2.2.10.7) in which AD keeps every credential other than the NT
//! hash.
//!
//! The attribute is a header, then properties whose names are UTF-16LE and
//! whose values are ASCII hex of a binary structure. [`UserProperties`]
//! parses and builds the whole attribute; [`StoredCredentials`] is the typed
//! view sync works with (salt, iteration count, keys per password
//! generation, WDigest hashes, cleartext).

mod kerberos;
mod stored;
mod wdigest;

pub use kerberos::{KerberosStoredCredential, KerberosStoredCredentialNew, StoredKey};
pub use stored::{KeyGeneration, StoredCredentials};
pub use wdigest::WDigestCredentials;

use zeroize::Zeroizing;

use crate::error::FormatError;
use crate::formats::hex::{self, HexCase};
use crate::formats::opaque::OpaqueBytes;
use crate::formats::reader::{ByteReader, to_u16, to_u32};
use crate::formats::text::{decode_utf16le, encode_utf16le};
use crate::secret::Password;

/// Name of the property holding [`KerberosStoredCredentialNew`].
pub const KERBEROS_NEWER_KEYS: &str = "Primary:Kerberos-Newer-Keys";
/// Name of the property holding [`KerberosStoredCredential`].
pub const KERBEROS: &str = "Primary:Kerberos";
/// Name of the property holding [`WDigestCredentials`].
pub const WDIGEST: &str = "Primary:WDigest";
/// Name of the property holding the cleartext password.
pub const CLEARTEXT: &str = "Primary:CLEARTEXT";
/// Name of the property listing the credential packages.
pub const PACKAGES: &str = "Packages";

/// `PropertySignature`: every `USER_PROPERTIES` carries 0x50.
const PROPERTY_SIGNATURE: u16 = 0x50;
/// Reserved1, Length, Reserved2, Reserved3: the part `Length` does not count.
const PREFIX_LEN: usize = 12;
const RESERVED4_LEN: usize = 96;
/// NameLength, ValueLength, Reserved.
const PROPERTY_HEADER_LEN: usize = 6;

/// One `USER_PROPERTY`, decoded according to its name.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum UserProperty {
    /// `Primary:Kerberos-Newer-Keys`.
    KerberosNewerKeys(KerberosStoredCredentialNew),
    /// `Primary:Kerberos`.
    Kerberos(KerberosStoredCredential),
    /// `Primary:WDigest`.
    WDigest(WDigestCredentials),
    /// `Primary:CLEARTEXT`: the password as UTF-16LE, stored when the
    /// account or domain allows reversible encryption.
    Cleartext(Password),
    /// `Packages`: the names of the credential packages present, without
    /// their `Primary:` prefix.
    Packages(Vec<String>),
    /// Any other property (`Primary:NTLM-Strong-NTOWF`, vendor ones): its
    /// name and its value exactly as stored, hex text included, so a
    /// round trip changes nothing. The name must not be one of the names
    /// above.
    Unknown {
        /// The property name.
        name: String,
        /// The raw value (normally hex text), untouched.
        value: OpaqueBytes,
    },
}

impl UserProperty {
    /// The property name as stored.
    pub fn name(&self) -> &str {
        match self {
            Self::KerberosNewerKeys(_) => KERBEROS_NEWER_KEYS,
            Self::Kerberos(_) => KERBEROS,
            Self::WDigest(_) => WDIGEST,
            Self::Cleartext(_) => CLEARTEXT,
            Self::Packages(_) => PACKAGES,
            Self::Unknown { name, .. } => name,
        }
    }

    fn decode(name: String, value: &[u8]) -> Result<Self, FormatError> {
        let property = match name.as_str() {
            KERBEROS_NEWER_KEYS => Self::KerberosNewerKeys(KerberosStoredCredentialNew::parse(
                &hex::decode(value, "Primary:Kerberos-Newer-Keys value")?,
            )?),
            KERBEROS => Self::Kerberos(KerberosStoredCredential::parse(&hex::decode(
                value,
                "Primary:Kerberos value",
            )?)?),
            WDIGEST => Self::WDigest(WDigestCredentials::parse(&hex::decode(
                value,
                "Primary:WDigest value",
            )?)?),
            CLEARTEXT => {
                let bytes = hex::decode(value, "Primary:CLEARTEXT value")?;
                Self::Cleartext(Password::from_utf16le(&bytes).map_err(|_| {
                    FormatError::InvalidUtf16 {
                        field: "Primary:CLEARTEXT value",
                    }
                })?)
            }
            PACKAGES => {
                let bytes = hex::decode(value, "Packages value")?;
                let text = decode_utf16le(&bytes, "Packages value")?;
                let names = if text.is_empty() {
                    Vec::new()
                } else {
                    text.split('\0').map(str::to_owned).collect()
                };
                Self::Packages(names)
            }
            _ => Self::Unknown {
                name,
                value: OpaqueBytes::from_slice(value),
            },
        };
        Ok(property)
    }

    /// The stored value: hex of the binary structure, in `case`.
    fn encode_value(&self, case: HexCase) -> Result<Zeroizing<Vec<u8>>, FormatError> {
        let binary = match self {
            Self::KerberosNewerKeys(v) => v.to_bytes()?,
            Self::Kerberos(v) => v.to_bytes()?,
            Self::WDigest(v) => v.to_bytes()?,
            Self::Cleartext(password) => password.to_utf16le(),
            Self::Packages(names) => {
                let mut bytes = Zeroizing::new(Vec::new());
                encode_utf16le(&names.join("\0"), &mut bytes);
                bytes
            }
            Self::Unknown { value, .. } => {
                return Ok(Zeroizing::new(value.expose_secret().to_vec()));
            }
        };
        let mut text = Zeroizing::new(Vec::with_capacity(binary.len() * 2));
        hex::encode_into(&binary, case, &mut text);
        Ok(text)
    }
}

/// A whole `supplementalCredentials` value (`USER_PROPERTIES`).
///
/// Parsing ignores the reserved fields, as MS-SAMR says; building writes
/// them as Windows and Samba do (zeros, and UTF-16 spaces in `Reserved4`).
/// Typed properties are re-encoded from their fields, so a parse → build
/// round trip reproduces a Windows or Samba value byte for byte when
/// `hex_case` matches the one it was written in.
///
/// ```
/// use hashsync::formats::{HexCase, UserProperties, UserProperty};
/// let value = UserProperties {
///     properties: vec![UserProperty::Packages(vec!["Kerberos".into()])],
///     hex_case: HexCase::Lower,
/// };
/// let bytes = value.to_bytes()?;
/// assert_eq!(UserProperties::parse(&bytes)?, value);
/// # Ok::<(), hashsync::error::FormatError>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UserProperties {
    /// The properties, in stored order.
    pub properties: Vec<UserProperty>,
    /// The case hex digits are written in; parsing sets it to the case the
    /// input used (lower case when it shows none).
    pub hex_case: HexCase,
}

impl UserProperties {
    /// Parses an attribute value. Every length and count is checked against
    /// the input before it is used; bad input is a [`FormatError`] naming
    /// the field.
    pub fn parse(bytes: &[u8]) -> Result<Self, FormatError> {
        let mut prefix = ByteReader::new(bytes);
        prefix.u32_le("USER_PROPERTIES.Reserved1")?;
        let length = prefix.u32_le("USER_PROPERTIES.Length")?;
        prefix.u16_le("USER_PROPERTIES.Reserved2")?;
        prefix.u16_le("USER_PROPERTIES.Reserved3")?;
        // Length counts from Reserved4 to the end of the last property;
        // Reserved5 (one byte) and anything after it are outside.
        let end = PREFIX_LEN as u64 + u64::from(length);
        if end > bytes.len() as u64 {
            return Err(FormatError::OutOfBounds {
                field: "USER_PROPERTIES.Length",
                offset: PREFIX_LEN as u64,
                length: u64::from(length),
                size: bytes.len(),
            });
        }
        // `end` is at most `bytes.len()`, so the cast is exact.
        let mut r = ByteReader::new(&bytes[..end as usize]);
        r.take(PREFIX_LEN, "USER_PROPERTIES.Length")?;
        r.take(RESERVED4_LEN, "USER_PROPERTIES.Reserved4")?;
        let signature = r.u16_le("USER_PROPERTIES.PropertySignature")?;
        if signature != PROPERTY_SIGNATURE {
            return Err(FormatError::WrongSignature {
                field: "USER_PROPERTIES.PropertySignature",
                expected: u32::from(PROPERTY_SIGNATURE),
                found: u32::from(signature),
            });
        }
        let mut value = Self::default();
        // PropertyCount is absent when there are no properties.
        if r.remaining() == 0 {
            return Ok(value);
        }
        let count = usize::from(r.u16_le("USER_PROPERTIES.PropertyCount")?);
        r.check_count(count, PROPERTY_HEADER_LEN, "USER_PROPERTIES.PropertyCount")?;
        let mut case = None;
        value.properties.reserve(count);
        for _ in 0..count {
            let name_len = r.u16_le("USER_PROPERTY.NameLength")?;
            let value_len = r.u16_le("USER_PROPERTY.ValueLength")?;
            r.u16_le("USER_PROPERTY.Reserved")?;
            let name = decode_utf16le(
                r.take(usize::from(name_len), "USER_PROPERTY.PropertyName")?,
                "USER_PROPERTY.PropertyName",
            )?;
            let raw = r.take(usize::from(value_len), "USER_PROPERTY.PropertyValue")?;
            let property = UserProperty::decode(name, raw)?;
            if case.is_none() && !matches!(property, UserProperty::Unknown { .. }) {
                case = HexCase::detect(raw);
            }
            value.properties.push(property);
        }
        value.hex_case = case.unwrap_or_default();
        Ok(value)
    }

    /// The attribute value, hex written in [`Self::hex_case`]. Fails only
    /// when a part is too large for its length field.
    pub fn to_bytes(&self) -> Result<Zeroizing<Vec<u8>>, FormatError> {
        // Encode every value first so the output can be sized exactly: a
        // growing buffer would leave copies of the secrets in freed memory.
        let mut encoded = Vec::with_capacity(self.properties.len());
        for property in &self.properties {
            let mut name = Vec::new();
            encode_utf16le(property.name(), &mut name);
            encoded.push((name, property.encode_value(self.hex_case)?));
        }
        let properties_len: usize = encoded
            .iter()
            .map(|(name, value)| PROPERTY_HEADER_LEN + name.len() + value.len())
            .sum();
        let tail = if encoded.is_empty() { 0 } else { 2 + 1 }; // PropertyCount, Reserved5
        let mut out = Zeroizing::new(Vec::with_capacity(
            PREFIX_LEN + RESERVED4_LEN + 2 + tail + properties_len,
        ));
        out.extend_from_slice(&0u32.to_le_bytes()); // Reserved1
        out.extend_from_slice(&0u32.to_le_bytes()); // Length, patched below
        out.extend_from_slice(&0u32.to_le_bytes()); // Reserved2, Reserved3
        for _ in 0..RESERVED4_LEN / 2 {
            out.extend_from_slice(&[0x20, 0x00]);
        }
        out.extend_from_slice(&PROPERTY_SIGNATURE.to_le_bytes());
        if !self.properties.is_empty() {
            let count = to_u16(self.properties.len(), "USER_PROPERTIES.PropertyCount")?;
            out.extend_from_slice(&count.to_le_bytes());
            for (property, (name, value)) in self.properties.iter().zip(&encoded) {
                // Windows and Samba mark `Packages` with 2, the others with 1.
                let reserved: u16 = if matches!(property, UserProperty::Packages(_)) {
                    2
                } else {
                    1
                };
                out.extend_from_slice(
                    &to_u16(name.len(), "USER_PROPERTY.NameLength")?.to_le_bytes(),
                );
                out.extend_from_slice(
                    &to_u16(value.len(), "USER_PROPERTY.ValueLength")?.to_le_bytes(),
                );
                out.extend_from_slice(&reserved.to_le_bytes());
                out.extend_from_slice(name);
                out.extend_from_slice(value);
            }
        }
        let length = to_u32(out.len() - PREFIX_LEN, "USER_PROPERTIES.Length")?;
        out[4..8].copy_from_slice(&length.to_le_bytes());
        if !self.properties.is_empty() {
            out.push(0); // Reserved5
        }
        Ok(out)
    }

    /// The first property with this name.
    pub fn get(&self, name: &str) -> Option<&UserProperty> {
        self.properties.iter().find(|p| p.name() == name)
    }

    /// `Primary:Kerberos-Newer-Keys`, if present.
    pub fn kerberos_newer_keys(&self) -> Option<&KerberosStoredCredentialNew> {
        self.properties.iter().find_map(|p| match p {
            UserProperty::KerberosNewerKeys(v) => Some(v),
            _ => None,
        })
    }

    /// `Primary:Kerberos`, if present.
    pub fn kerberos(&self) -> Option<&KerberosStoredCredential> {
        self.properties.iter().find_map(|p| match p {
            UserProperty::Kerberos(v) => Some(v),
            _ => None,
        })
    }

    /// `Primary:WDigest`, if present.
    pub fn wdigest(&self) -> Option<&WDigestCredentials> {
        self.properties.iter().find_map(|p| match p {
            UserProperty::WDigest(v) => Some(v),
            _ => None,
        })
    }

    /// `Primary:CLEARTEXT`, if present.
    pub fn cleartext(&self) -> Option<&Password> {
        self.properties.iter().find_map(|p| match p {
            UserProperty::Cleartext(v) => Some(v),
            _ => None,
        })
    }

    /// `Packages`, if present.
    pub fn packages(&self) -> Option<&[String]> {
        self.properties.iter().find_map(|p| match p {
            UserProperty::Packages(v) => Some(v.as_slice()),
            _ => None,
        })
    }
}
