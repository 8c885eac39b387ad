//! Stored credentials handed over unparsed, for the hashing threads to
//! parse.

use core::fmt;

use super::credential::StoredHashes;
use crate::error::AccountError;
use crate::secret::NtHash;

/// `unicodePwd` and the raw `supplementalCredentials` value as read from
/// AD, not yet parsed: the parse then runs when the batch is prepared, on
/// the hashing threads, instead of serially on the thread that reads the
/// source. Use [`AccountCredentials::Stored`](super::AccountCredentials::Stored) instead when the source
/// should reject a malformed value itself, per account.
///
/// ```
/// use hashsync::formats::{HexCase, StoredCredentials as Supplemental};
/// use hashsync::sync::{StoredAttributes, StoredHashes};
/// use hashsync::{Iterations, Password, Salt, aes_keys, nt_hash};
///
/// let password = Password::new("Passw0rd!");
/// let salt = Salt::from("ONPREM.CONTOSO.COMalice");
/// let keys = aes_keys(&password, &salt, Iterations::KERBEROS_DEFAULT);
/// let blob = Supplemental::new(keys, salt, Iterations::KERBEROS_DEFAULT)
///     .to_bytes(HexCase::Upper)?;
/// let raw = StoredAttributes::new(nt_hash(&password), &blob);
/// assert_eq!(raw.parse()?, StoredHashes::from_attributes(nt_hash(&password), &blob)?);
/// assert!(format!("{raw:?}").contains("supplemental_credentials: \"[REDACTED]\""));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct StoredAttributes {
    nt_hash: NtHash,
    supplemental_credentials: zeroize::Zeroizing<Vec<u8>>,
}

impl StoredAttributes {
    /// The NT hash (`unicodePwd`) and a copy of the raw
    /// `supplementalCredentials` value (zeroized on drop).
    pub fn new(nt_hash: NtHash, supplemental_credentials: &[u8]) -> Self {
        Self {
            nt_hash,
            supplemental_credentials: zeroize::Zeroizing::new(supplemental_credentials.to_vec()),
        }
    }

    /// Parses them, as [`StoredHashes::from_attributes`] does.
    pub fn parse(&self) -> core::result::Result<StoredHashes, AccountError> {
        StoredHashes::from_attributes(self.nt_hash.clone(), &self.supplemental_credentials)
    }
}

impl fmt::Debug for StoredAttributes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoredAttributes")
            .field("nt_hash", &self.nt_hash)
            .field("supplemental_credentials", &"[REDACTED]")
            .finish()
    }
}

impl PartialEq for StoredAttributes {
    /// In constant time for equal lengths, like the secret types.
    fn eq(&self, other: &Self) -> bool {
        let blobs = subtle::ConstantTimeEq::ct_eq(
            &self.supplemental_credentials[..],
            &other.supplemental_credentials[..],
        );
        (self.nt_hash == other.nt_hash) & bool::from(blobs)
    }
}

impl Eq for StoredAttributes {}
