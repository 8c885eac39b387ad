//! The NT hash: MD4 over the password's UTF-16LE bytes (MS-NLMP NTOWFv1).

use md4::{Digest, Md4};
use zeroize::Zeroize;

use crate::secret::{NtHash, Password};

/// MD4 over the raw UTF-16LE units, unpaired surrogates included: no
/// normalization and no length cap (callers apply
/// [`Password::check_ad_length`] where AD's limit matters).
///
/// ```
/// use hashsync::{nt_hash, Password};
/// // MS-SAMR 4.3.
/// let h = nt_hash(&Password::new("OLDPASSWORD"));
/// assert_eq!(h.to_hex().as_str(), "6677b2c394311355b54f25eec5bfacf5");
/// ```
pub fn nt_hash(password: &Password) -> NtHash {
    let mut hasher = Md4::new();
    hasher.update(&password.to_utf16le()[..]);
    let mut digest: [u8; 16] = hasher.finalize().into();
    let hash = NtHash::from_bytes(digest);
    digest.zeroize();
    hash
}
