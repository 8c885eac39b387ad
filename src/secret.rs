//! Secret values: passwords, NT hashes, Kerberos keys and OrgId hashes.
//!
//! Every type here zeroizes its bytes on drop, prints `[REDACTED]` in
//! `Debug`, compares in constant time and has no `Serialize`. Reaching the
//! bytes takes an explicit `expose_secret` call, so every use is greppable.

use core::fmt;

use subtle::{Choice, ConstantTimeEq};
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::error::{Error, Result};

/// Windows refuses Active Directory passwords longer than this many UTF-16 units.
pub const AD_MAX_PASSWORD_UNITS: usize = 256;

/// A password as Windows holds it: a sequence of UTF-16 code units.
///
/// User passwords are text; machine and managed-service-account passwords are
/// random UTF-16 buffers that may hold unpaired surrogates, so both
/// [`Password::new`] (text) and [`Password::from_utf16`] (raw units) exist.
/// The derivations accept any length; [`Password::check_ad_length`] applies
/// Windows' 256-unit limit where an AD account password enters a program.
#[derive(Clone, Default)]
pub struct Password {
    units: Vec<u16>,
}

impl Password {
    /// A password from text.
    pub fn new(text: &str) -> Self {
        let mut units = Vec::with_capacity(text.len());
        units.extend(text.encode_utf16());
        Self { units }
    }

    /// A password from raw UTF-16 code units (unpaired surrogates allowed).
    pub fn from_utf16(units: Vec<u16>) -> Self {
        Self { units }
    }

    /// A password from raw UTF-16LE bytes, as `unicodePwd` and MS-SAMR carry it.
    pub fn from_utf16le(bytes: &[u8]) -> Result<Self> {
        if !bytes.len().is_multiple_of(2) {
            return Err(Error::OddUtf16Length { len: bytes.len() });
        }
        let units = bytes
            .chunks_exact(2)
            .map(|pair| u16::from_le_bytes([pair[0], pair[1]]))
            .collect();
        Ok(Self { units })
    }

    /// A password from UTF-8 bytes; invalid sequences become U+FFFD.
    pub fn from_utf8_lossy(bytes: &[u8]) -> Self {
        let text = Zeroizing::new(String::from_utf8_lossy(bytes).into_owned());
        Self::new(&text)
    }

    /// Refuses a password longer than Windows allows for an AD account.
    ///
    /// ```
    /// use hashsync::{Error, Password};
    /// let long = Password::new(&"x".repeat(257));
    /// assert_eq!(long.check_ad_length(), Err(Error::PasswordTooLong { units: 257, max: 256 }));
    /// ```
    pub fn check_ad_length(&self) -> Result<()> {
        if self.units.len() > AD_MAX_PASSWORD_UNITS {
            return Err(Error::PasswordTooLong {
                units: self.units.len(),
                max: AD_MAX_PASSWORD_UNITS,
            });
        }
        Ok(())
    }

    /// Length in UTF-16 code units.
    pub fn len_utf16(&self) -> usize {
        self.units.len()
    }

    /// Whether the password is empty.
    pub fn is_empty(&self) -> bool {
        self.units.is_empty()
    }

    /// The raw UTF-16 code units.
    pub fn expose_secret(&self) -> &[u16] {
        &self.units
    }

    /// The UTF-16LE bytes (the NT hash's input).
    pub fn to_utf16le(&self) -> Zeroizing<Vec<u8>> {
        let mut out = Zeroizing::new(Vec::with_capacity(self.units.len() * 2));
        for unit in &self.units {
            out.extend_from_slice(&unit.to_le_bytes());
        }
        out
    }

    /// The UTF-8 bytes Kerberos hashes: MS-KILE converts the UTF-16 password
    /// to UTF-8, and each unpaired surrogate becomes U+FFFD (`EF BF BD`).
    pub fn to_utf8_lossy(&self) -> Zeroizing<Vec<u8>> {
        // Three bytes per unit is the worst case, so the buffer never
        // reallocates and leaves no unzeroized copy behind.
        let mut out = Zeroizing::new(Vec::with_capacity(self.units.len() * 3));
        let mut buf = [0u8; 4];
        for c in char::decode_utf16(self.units.iter().copied()) {
            let c = c.unwrap_or(char::REPLACEMENT_CHARACTER);
            out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
        }
        buf.zeroize();
        out
    }
}

impl From<&str> for Password {
    fn from(text: &str) -> Self {
        Self::new(text)
    }
}

impl Drop for Password {
    fn drop(&mut self) {
        self.units.zeroize();
    }
}

impl ZeroizeOnDrop for Password {}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password([REDACTED])")
    }
}

impl ConstantTimeEq for Password {
    fn ct_eq(&self, other: &Self) -> Choice {
        // The length is not secret enough to hide; the content is.
        let a: &[u16] = &self.units;
        let b: &[u16] = &other.units;
        if a.len() != b.len() {
            return Choice::from(0);
        }
        a.iter()
            .zip(b)
            .fold(Choice::from(1), |acc, (x, y)| acc & x.ct_eq(y))
    }
}

impl PartialEq for Password {
    fn eq(&self, other: &Self) -> bool {
        self.ct_eq(other).into()
    }
}

impl Eq for Password {}

/// Implements the traits every fixed-size secret shares.
macro_rules! fixed_secret {
    ($name:ident, $len:expr, $what:literal) => {
        impl $name {
            /// Length in bytes.
            pub const LEN: usize = $len;

            /// Wraps raw bytes.
            pub const fn from_bytes(bytes: [u8; $len]) -> Self {
                Self(bytes)
            }

            /// Wraps a slice, which must be exactly [`Self::LEN`] bytes long.
            pub fn from_slice(bytes: &[u8]) -> Result<Self> {
                let bytes = <[u8; $len]>::try_from(bytes).map_err(|_| Error::WrongLength {
                    what: $what,
                    expected: $len,
                    found: bytes.len(),
                })?;
                Ok(Self(bytes))
            }

            /// Parses hex (either case), which must encode exactly [`Self::LEN`] bytes.
            pub fn from_hex(hex: &str) -> Result<Self> {
                let mut bytes = [0u8; $len];
                let decoded =
                    base16ct::mixed::decode(hex, &mut bytes).map_err(|_| Error::WrongLength {
                        what: $what,
                        expected: $len,
                        found: hex.len() / 2,
                    });
                match decoded {
                    Ok(d) if d.len() == $len => Ok(Self(bytes)),
                    Ok(d) => Err(Error::WrongLength {
                        what: $what,
                        expected: $len,
                        found: d.len(),
                    }),
                    Err(e) => Err(e),
                }
            }

            /// The raw bytes.
            pub fn expose_secret(&self) -> &[u8; $len] {
                &self.0
            }

            /// Lower-case hex of the bytes, in a buffer that zeroizes on drop.
            pub fn to_hex(&self) -> Zeroizing<String> {
                Zeroizing::new(base16ct::lower::encode_string(&self.0))
            }
        }

        impl Drop for $name {
            fn drop(&mut self) {
                self.0.zeroize();
            }
        }

        impl ZeroizeOnDrop for $name {}

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(concat!(stringify!($name), "([REDACTED])"))
            }
        }

        impl ConstantTimeEq for $name {
            fn ct_eq(&self, other: &Self) -> Choice {
                self.0.ct_eq(&other.0)
            }
        }

        impl PartialEq for $name {
            fn eq(&self, other: &Self) -> bool {
                self.ct_eq(other).into()
            }
        }

        impl Eq for $name {}
    };
}

/// The NT hash (NTOWFv1): MD4 over the password's UTF-16LE bytes.
///
/// AD stores it in `unicodePwd`; Kerberos uses it as the `rc4-hmac` key.
#[derive(Clone)]
pub struct NtHash([u8; 16]);

fixed_secret!(NtHash, 16, "NT hash");

impl NtHash {
    /// The `rc4-hmac` (etype 23) Kerberos key, which is the NT hash itself.
    pub fn to_rc4_key(&self) -> KerberosKey {
        KerberosKey::new(EncryptionType::RC4_HMAC, &self.0)
            .unwrap_or_else(|_| unreachable!("an NT hash is a valid rc4-hmac key"))
    }
}

/// One WDigest hash: MD5 over a `user:realm:password` variant (MS-SAMR
/// 2.2.10.2). `supplementalCredentials` stores 29 of them per password.
#[derive(Clone)]
pub struct WDigestHash([u8; 16]);

fixed_secret!(WDigestHash, 16, "WDigest hash");

/// A Kerberos encryption type number (RFC 3961 §8, IANA's registry).
///
/// A newtype rather than an enum: keytabs and `supplementalCredentials` carry
/// numbers this crate does not know, and those must round-trip unchanged.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "sync", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "sync", serde(transparent))]
pub struct EncryptionType(i32);

impl EncryptionType {
    /// `des-cbc-crc` (1).
    pub const DES_CBC_CRC: Self = Self(1);
    /// `des-cbc-md5` (3).
    pub const DES_CBC_MD5: Self = Self(3);
    /// `aes128-cts-hmac-sha1-96` (17).
    pub const AES128_CTS_HMAC_SHA1_96: Self = Self(17);
    /// `aes256-cts-hmac-sha1-96` (18).
    pub const AES256_CTS_HMAC_SHA1_96: Self = Self(18);
    /// `rc4-hmac` (23), whose key is the NT hash.
    pub const RC4_HMAC: Self = Self(23);

    /// The type with this number.
    pub const fn new(number: i32) -> Self {
        Self(number)
    }

    /// The number on the wire.
    pub const fn number(self) -> i32 {
        self.0
    }

    /// The key length this type requires, when the crate knows the type.
    pub const fn key_len(self) -> Option<usize> {
        match self.0 {
            1 | 3 => Some(8),
            17 | 23 => Some(16),
            18 => Some(32),
            _ => None,
        }
    }

    /// The name MIT Kerberos uses, when the crate knows the type.
    pub const fn name(self) -> Option<&'static str> {
        match self.0 {
            1 => Some("des-cbc-crc"),
            3 => Some("des-cbc-md5"),
            17 => Some("aes128-cts-hmac-sha1-96"),
            18 => Some("aes256-cts-hmac-sha1-96"),
            23 => Some("arcfour-hmac"),
            _ => None,
        }
    }
}

impl fmt::Debug for EncryptionType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => write!(f, "{name}({})", self.0),
            None => write!(f, "EncryptionType({})", self.0),
        }
    }
}

impl fmt::Display for EncryptionType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// Longest key held inline: AES256's 32 bytes.
const MAX_KEY_LEN: usize = 32;

/// A Kerberos key: its encryption type and key bytes (up to 32, held inline).
#[derive(Clone)]
pub struct KerberosKey {
    etype: EncryptionType,
    len: u8,
    bytes: [u8; MAX_KEY_LEN],
}

impl KerberosKey {
    /// A key of the given type. Known types must have their exact key length;
    /// unknown types accept any key up to 32 bytes.
    pub fn new(etype: EncryptionType, key: &[u8]) -> Result<Self> {
        let expected = etype.key_len().unwrap_or(key.len());
        if key.len() != expected || key.len() > MAX_KEY_LEN {
            return Err(Error::WrongLength {
                what: "Kerberos key",
                expected: expected.min(MAX_KEY_LEN),
                found: key.len(),
            });
        }
        let mut bytes = [0u8; MAX_KEY_LEN];
        bytes[..key.len()].copy_from_slice(key);
        Ok(Self {
            etype,
            len: key.len() as u8,
            bytes,
        })
    }

    /// The encryption type.
    pub fn etype(&self) -> EncryptionType {
        self.etype
    }

    /// The key bytes.
    pub fn expose_secret(&self) -> &[u8] {
        &self.bytes[..usize::from(self.len)]
    }

    /// Lower-case hex of the key bytes, in a buffer that zeroizes on drop.
    pub fn to_hex(&self) -> Zeroizing<String> {
        Zeroizing::new(base16ct::lower::encode_string(self.expose_secret()))
    }
}

impl Drop for KerberosKey {
    fn drop(&mut self) {
        self.bytes.zeroize();
    }
}

impl ZeroizeOnDrop for KerberosKey {}

impl fmt::Debug for KerberosKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KerberosKey")
            .field("etype", &self.etype)
            .field("key", &"[REDACTED]")
            .finish()
    }
}

impl ConstantTimeEq for KerberosKey {
    fn ct_eq(&self, other: &Self) -> Choice {
        // Type and length are public; only the key bytes are compared secretly.
        let same_shape = self.etype == other.etype && self.len == other.len;
        Choice::from(u8::from(same_shape)) & self.bytes.ct_eq(&other.bytes)
    }
}

impl PartialEq for KerberosKey {
    fn eq(&self, other: &Self) -> bool {
        self.ct_eq(other).into()
    }
}

impl Eq for KerberosKey {}

/// The hash Entra ID stores for password hash sync (the "OrgId" hash):
/// `PBKDF2-HMAC-SHA256(UTF-16LE(upper-case hex(NT hash)), salt, iterations, 32)`.
///
/// The salt and iteration count are public; the 32-byte hash is a password
/// verifier and is treated as a secret. Build one with
/// [`org_id_hash`](crate::org_id_hash), parse one with [`OrgIdHash::parse`].
#[derive(Clone)]
pub struct OrgIdHash {
    pub(crate) salt: [u8; 10],
    pub(crate) iterations: u32,
    pub(crate) hash: [u8; 32],
}

impl OrgIdHash {
    /// The 10-byte salt.
    pub fn salt(&self) -> &[u8; 10] {
        &self.salt
    }

    /// The PBKDF2 iteration count.
    pub fn iterations(&self) -> u32 {
        self.iterations
    }

    /// The 32-byte PBKDF2 output.
    pub fn expose_secret(&self) -> &[u8; 32] {
        &self.hash
    }
}

impl Drop for OrgIdHash {
    fn drop(&mut self) {
        self.hash.zeroize();
    }
}

impl ZeroizeOnDrop for OrgIdHash {}

impl fmt::Debug for OrgIdHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OrgIdHash")
            .field("iterations", &self.iterations)
            .field("hash", &"[REDACTED]")
            .finish_non_exhaustive()
    }
}

impl ConstantTimeEq for OrgIdHash {
    fn ct_eq(&self, other: &Self) -> Choice {
        let same_params = self.salt == other.salt && self.iterations == other.iterations;
        Choice::from(u8::from(same_params)) & self.hash.ct_eq(&other.hash)
    }
}

impl PartialEq for OrgIdHash {
    fn eq(&self, other: &Self) -> bool {
        self.ct_eq(other).into()
    }
}

impl Eq for OrgIdHash {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lossy_utf8_replaces_unpaired_surrogates() {
        // 'a', lone high surrogate, 'b', lone low surrogate.
        let pw = Password::from_utf16(vec![0x61, 0xD800, 0x62, 0xDC00]);
        assert_eq!(
            &pw.to_utf8_lossy()[..],
            b"a\xEF\xBF\xBDb\xEF\xBF\xBD".as_slice()
        );
    }

    #[test]
    fn surrogate_pair_becomes_four_utf8_bytes() {
        let pw = Password::new("\u{1F600}");
        assert_eq!(pw.len_utf16(), 2);
        assert_eq!(&pw.to_utf8_lossy()[..], "\u{1F600}".as_bytes());
    }

    #[test]
    fn kerberos_key_rejects_wrong_length() {
        let err = KerberosKey::new(EncryptionType::AES256_CTS_HMAC_SHA1_96, &[0; 16]).unwrap_err();
        assert_eq!(
            err,
            Error::WrongLength {
                what: "Kerberos key",
                expected: 32,
                found: 16
            }
        );
    }

    #[test]
    fn nt_hash_hex_must_be_16_bytes() {
        assert!(NtHash::from_hex("00").is_err());
        assert!(NtHash::from_hex("zz112233445566778899aabbccddeeff").is_err());
        let h = NtHash::from_hex("00112233445566778899AABBCCDDEEFF").unwrap();
        assert_eq!(h.to_hex().as_str(), "00112233445566778899aabbccddeeff");
    }
}
