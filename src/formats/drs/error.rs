//! What can go wrong decrypting a replicated secret.

use super::ReplicatedAttribute;

/// Why a replicated secret attribute value could not be decrypted. Never
/// holds key material, the checksum or the secret.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DrsError {
    /// The value is shorter than its salt and checksum (20 bytes).
    #[error(
        "encrypted value of {length} bytes is shorter than its 16-byte salt and 4-byte checksum"
    )]
    TooShort {
        /// Its length.
        length: usize,
    },
    /// The CRC32 inside does not match the decrypted value: the value was
    /// altered, or decrypted with another session key than the
    /// connection's.
    #[error("checksum mismatch: the value is corrupt or the session key is not the connection's")]
    ChecksumMismatch,
    /// A password hash attribute needs the account's RID to remove its DES
    /// layer, and none was given.
    #[error("{attribute} carries a DES layer keyed by the account's RID: give the RID")]
    MissingRid {
        /// The attribute.
        attribute: ReplicatedAttribute,
    },
    /// The decrypted value's length does not suit the attribute (16 bytes
    /// for `unicodePwd` and `dBCSPwd`, a multiple of 16 for the histories).
    #[error("{attribute}: {length} bytes is not a whole number of 16-byte hashes")]
    WrongLength {
        /// The attribute.
        attribute: ReplicatedAttribute,
        /// Length of the value under the DES layer.
        length: usize,
    },
    /// The attribute has no DES layer (`supplementalCredentials`).
    #[error("{attribute} has no DES layer")]
    NoDesLayer {
        /// The attribute.
        attribute: ReplicatedAttribute,
    },
    /// A session key given as text is not hex.
    #[error("session key is not hex")]
    SessionKeyNotHex,
}
