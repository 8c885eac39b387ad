//! Secret attributes as MS-DRSR replication (`IDL_DRSGetNCChanges`)
//! delivers them, and their decryption.
//!
//! A replication source encrypts each secret attribute value with the RPC
//! session key (MS-DRSR 4.1.10.6.12 and the `ENCRYPTED_PAYLOAD` structure,
//! 5.55): a 16-byte random salt, then RC4 keyed with
//! `MD5(session key ‖ salt)` over `[CRC32 of the value, little-endian]
//! [value]`. The password hashes (`unicodePwd`, `ntPwdHistory`, `dBCSPwd`,
//! `lmPwdHistory`) carry one more layer inside: each 16-byte hash is DES
//! encrypted, its two halves under two keys derived from the account's RID
//! (MS-SAMR 2.2.11.1.3). `supplementalCredentials` has no DES layer.
//!
//! [`decrypt_attribute_value`] removes both. The checksum covers the value
//! *with* its DES layer, so a corrupted value is refused
//! ([`DrsError::ChecksumMismatch`]) but a wrong RID cannot be noticed: the
//! DES layer then yields 16 wrong bytes. The RID must come from the same
//! replicated object (the last sub-authority of its `objectSid`).
//!
//! ```
//! use hashsync::formats::drs::{ReplicatedAttribute, SessionKey, decrypt_attribute_value};
//! let session_key = SessionKey::new(vec![0x11; 16]);
//! // An empty value, encrypted with the salt 00…00: its checksum (0)
//! // under RC4(MD5(session key ‖ salt)).
//! # let encrypted = hex::decode("00000000000000000000000000000000a4eac71a").unwrap();
//! let secret = decrypt_attribute_value(
//!     &session_key,
//!     ReplicatedAttribute::SupplementalCredentials,
//!     None,
//!     &encrypted,
//! )?;
//! assert!(secret.is_empty());
//! # Ok::<(), hashsync::formats::drs::DrsError>(())
//! ```

mod des_layer;
mod error;

use core::fmt;

use md5::{Digest, Md5};
use rc4::{KeyInit, Rc4, StreamCipher};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use crate::formats::opaque::OpaqueBytes;

pub use des_layer::remove_des_layer;
pub use error::DrsError;

/// Size of the random salt in front of every encrypted value.
pub const SALT_SIZE: usize = 16;
/// Size of the CRC32 in front of the secret.
const CHECKSUM_SIZE: usize = 4;

/// The RPC session key of the DRSUAPI connection (from the NTLM or
/// Kerberos authentication that set it up): the key that protects every
/// replicated secret. Zeroized on drop, `[REDACTED]` in `Debug`, compared
/// in constant time.
#[derive(Clone, PartialEq, Eq)]
pub struct SessionKey(OpaqueBytes);

impl SessionKey {
    /// Wraps the session key's bytes.
    pub fn new(bytes: Vec<u8>) -> Self {
        Self(OpaqueBytes::new(bytes))
    }

    /// Parses hex (either case).
    pub fn from_hex(hex: &str) -> Result<Self, DrsError> {
        base16ct::mixed::decode_vec(hex)
            .map(Self::new)
            .map_err(|_| DrsError::SessionKeyNotHex)
    }

    /// The bytes.
    pub fn expose_secret(&self) -> &[u8] {
        self.0.expose_secret()
    }
}

impl fmt::Debug for SessionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SessionKey([REDACTED])")
    }
}

/// A secret attribute replication delivers encrypted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ReplicatedAttribute {
    /// `unicodePwd`: the NT hash (16 bytes, DES layer).
    UnicodePwd,
    /// `ntPwdHistory`: previous NT hashes (16 bytes each, DES layer).
    NtPwdHistory,
    /// `dBCSPwd`: the LM hash (16 bytes, DES layer).
    DbcsPwd,
    /// `lmPwdHistory`: previous LM hashes (16 bytes each, DES layer).
    LmPwdHistory,
    /// `supplementalCredentials`: `USER_PROPERTIES` (no DES layer).
    SupplementalCredentials,
}

impl ReplicatedAttribute {
    /// Every attribute, in declaration order.
    pub const ALL: [Self; 5] = [
        Self::UnicodePwd,
        Self::NtPwdHistory,
        Self::DbcsPwd,
        Self::LmPwdHistory,
        Self::SupplementalCredentials,
    ];

    /// The LDAP display name.
    pub fn name(self) -> &'static str {
        match self {
            Self::UnicodePwd => "unicodePwd",
            Self::NtPwdHistory => "ntPwdHistory",
            Self::DbcsPwd => "dBCSPwd",
            Self::LmPwdHistory => "lmPwdHistory",
            Self::SupplementalCredentials => "supplementalCredentials",
        }
    }

    /// The attribute with this LDAP display name (compared without regard
    /// to case, as LDAP does).
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|a| a.name().eq_ignore_ascii_case(name))
    }

    /// Whether the value carries the RID-keyed DES layer (the password
    /// hashes do).
    pub fn has_des_layer(self) -> bool {
        !matches!(self, Self::SupplementalCredentials)
    }
}

impl fmt::Display for ReplicatedAttribute {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Decrypts one replicated attribute value: removes the session-key layer
/// ([`remove_session_key_layer`], checking the CRC32) and, for the password
/// hashes, the DES layer keyed by `rid` ([`remove_des_layer`]).
///
/// `rid` is required for the DES-layered attributes
/// ([`DrsError::MissingRid`] without it) and ignored for
/// `supplementalCredentials`. A wrong RID is not detectable (see the
/// [module docs](self)): it yields wrong hashes.
pub fn decrypt_attribute_value(
    session_key: &SessionKey,
    attribute: ReplicatedAttribute,
    rid: Option<u32>,
    encrypted: &[u8],
) -> Result<Zeroizing<Vec<u8>>, DrsError> {
    // Refuse before any decryption when the RID is needed and absent.
    let rid = match (attribute.has_des_layer(), rid) {
        (true, None) => return Err(DrsError::MissingRid { attribute }),
        (_, rid) => rid,
    };
    let value = remove_session_key_layer(session_key, encrypted)?;
    match rid {
        Some(rid) if attribute.has_des_layer() => remove_des_layer(attribute, rid, &value),
        _ => Ok(value),
    }
}

/// Removes the session-key layer: `salt[16]`, then RC4 keyed with
/// `MD5(session key ‖ salt)` over `[CRC32 LE][value]`. The CRC32 must match
/// the decrypted value.
pub fn remove_session_key_layer(
    session_key: &SessionKey,
    encrypted: &[u8],
) -> Result<Zeroizing<Vec<u8>>, DrsError> {
    if encrypted.len() < SALT_SIZE + CHECKSUM_SIZE {
        return Err(DrsError::TooShort {
            length: encrypted.len(),
        });
    }
    let (salt, ciphertext) = encrypted.split_at(SALT_SIZE);
    let mut md5 = Md5::new();
    md5.update(session_key.expose_secret());
    md5.update(salt);
    let rc4_key = Zeroizing::new(<[u8; 16]>::from(md5.finalize()));
    let mut plaintext = Zeroizing::new(ciphertext.to_vec());
    // MD5 yields 16 bytes, within RC4's 1..=256.
    let mut rc4 = Rc4::new_from_slice(rc4_key.as_slice()).map_err(|_| DrsError::TooShort {
        length: encrypted.len(),
    })?;
    rc4.apply_keystream(&mut plaintext);
    let (checksum, value) = plaintext.split_at(CHECKSUM_SIZE);
    let computed = crc32fast::hash(value).to_le_bytes();
    if !bool::from(computed.ct_eq(checksum)) {
        return Err(DrsError::ChecksumMismatch);
    }
    Ok(Zeroizing::new(value.to_vec()))
}
