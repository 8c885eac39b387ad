//! The value of an `EncryptedString` parameter: a connector's password or key.

use core::fmt;

use serde::{Deserialize, Deserializer};
use subtle::{Choice, ConstantTimeEq};
use zeroize::{Zeroize, ZeroizeOnDrop};

/// A secret parameter value, such as the AD connector account's password.
///
/// Entra Connect keeps these encrypted at rest; this crate keeps them in
/// memory only: the text zeroizes on drop, `Debug` prints `[REDACTED]`,
/// comparison is constant-time, and there is no `Serialize`. A
/// configuration saved with serde leaves these values out; a host that must
/// keep them exports them on purpose with
/// [`SyncConfiguration::export_secrets`](crate::model::SyncConfiguration::export_secrets)
/// and stores them in its own protected store (DPAPI, a keyring, a vault).
///
/// ```
/// use hashsync::model::EncryptedString;
/// let secret = EncryptedString::new("P@ssw0rd");
/// assert_eq!(format!("{secret:?}"), "EncryptedString([REDACTED])");
/// assert_eq!(secret.expose_secret(), "P@ssw0rd");
/// ```
#[derive(Clone, Default)]
pub struct EncryptedString {
    text: String,
}

impl EncryptedString {
    /// Takes ownership of `text` (its buffer is zeroized when this drops).
    pub fn new(text: impl Into<String>) -> Self {
        Self { text: text.into() }
    }

    /// The secret text.
    pub fn expose_secret(&self) -> &str {
        &self.text
    }
}

impl Drop for EncryptedString {
    fn drop(&mut self) {
        self.text.zeroize();
    }
}

impl ZeroizeOnDrop for EncryptedString {}

impl fmt::Debug for EncryptedString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("EncryptedString([REDACTED])")
    }
}

impl ConstantTimeEq for EncryptedString {
    fn ct_eq(&self, other: &Self) -> Choice {
        // The length is not secret enough to hide; the content is.
        self.text.as_bytes().ct_eq(other.text.as_bytes())
    }
}

impl PartialEq for EncryptedString {
    fn eq(&self, other: &Self) -> bool {
        self.ct_eq(other).into()
    }
}

impl Eq for EncryptedString {}

/// Reading a secret is not disclosing it: a host loads its own secret store
/// (or an admin writes a value into a configuration file) through serde.
impl<'de> Deserialize<'de> for EncryptedString {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(Self::new)
    }
}
