//! Legacy credentials sealed for Entra Domain Services: the two envelopes
//! an update carries once the managed domain's certificate is configured,
//! the transport wrapper that seals every batch, and the upload item.
//!
//! Entra Connect seals before anything leaves the server: the NT hash goes
//! into `WindowsLegacyCredentials` (a `unicodePwd` attribute record), the
//! Kerberos keys with their stored salt into `WindowsSupplementalCredentials`
//! (a `supplementalCredentials` record), each in its own
//! [envelope](crate::formats::envelope).

use core::fmt;

use base64::Engine as _;
use serde::{Deserialize, Serialize};
use zeroize::Zeroize;

use super::credential::{CredentialUpdate, LegacyCredentials, LegacySecrets, StoredKerberosKeys};
use super::transport::{Batch, ItemResult, Transport};
use crate::error::FormatError;
use crate::formats::envelope::{
    EnvelopeError, ManagedDomainCertificate, ManagedDomainKey, SealedEnvelope, Thumbprint,
};
use crate::formats::legacy::{
    AttributeRecord, windows_legacy_credentials, windows_supplemental_credentials,
};

/// An update's legacy credentials, sealed to the managed domain's
/// certificate. Holds ciphertext only; `Debug` shows the sizes, not the
/// bytes.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SealedLegacyCredentials {
    /// The `WindowsLegacyCredentials` envelope: the `unicodePwd` record.
    pub windows_legacy_credentials: Vec<u8>,
    /// The `WindowsSupplementalCredentials` envelope: the
    /// `supplementalCredentials` record, when the account has Kerberos keys.
    pub windows_supplemental_credentials: Option<Vec<u8>>,
}

impl fmt::Debug for SealedLegacyCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SealedLegacyCredentials")
            .field(
                "windows_legacy_credentials",
                &format_args!("{} bytes", self.windows_legacy_credentials.len()),
            )
            .field(
                "windows_supplemental_credentials",
                &self
                    .windows_supplemental_credentials
                    .as_ref()
                    .map(|e| format!("{} bytes", e.len())),
            )
            .finish()
    }
}

impl SealedLegacyCredentials {
    /// Seals `legacy` to `certificate`, each envelope with fresh key
    /// material.
    pub fn seal(
        legacy: &LegacyCredentials,
        certificate: &ManagedDomainCertificate,
    ) -> Result<Self, EnvelopeError> {
        let records = windows_legacy_credentials(&legacy.nt_hash)?;
        let windows_legacy_credentials = certificate.seal(&records)?;
        let windows_supplemental_credentials = match &legacy.kerberos {
            Some(kerberos) => {
                let records = windows_supplemental_credentials(
                    &kerberos.salt,
                    kerberos.iterations,
                    &kerberos.keys,
                )?;
                Some(certificate.seal(&records)?)
            }
            None => None,
        };
        Ok(Self {
            windows_legacy_credentials,
            windows_supplemental_credentials,
        })
    }

    /// Opens both envelopes with the managed domain's key, as Domain
    /// Services does before it writes `unicodePwd` and
    /// `supplementalCredentials`.
    pub fn open(&self, key: &ManagedDomainKey) -> Result<LegacyCredentials, EnvelopeError> {
        let nt_hash = open_record(
            key,
            &self.windows_legacy_credentials,
            "WindowsLegacyCredentials unicodePwd record",
            |record| match record {
                AttributeRecord::UnicodePwd(hash) => Some(hash),
                _ => None,
            },
        )?;
        let kerberos = match &self.windows_supplemental_credentials {
            None => None,
            Some(envelope) => {
                let value = open_record(
                    key,
                    envelope,
                    "WindowsSupplementalCredentials supplementalCredentials record",
                    |record| match record {
                        AttributeRecord::SupplementalCredentials(value) => Some(value),
                        _ => None,
                    },
                )?;
                let stored = crate::formats::StoredCredentials::parse(value.expose_secret())?;
                Some(StoredKerberosKeys {
                    keys: stored.current.keys().cloned().collect(),
                    salt: stored.salt.clone(),
                    iterations: stored.iterations,
                })
            }
        };
        Ok(LegacyCredentials { nt_hash, kerberos })
    }

    /// The certificate the `WindowsLegacyCredentials` envelope names.
    pub fn thumbprint(&self) -> Result<Thumbprint, EnvelopeError> {
        SealedEnvelope::parse(&self.windows_legacy_credentials).map(|e| e.thumbprint())
    }
}

/// Opens `envelope` and picks the one attribute record it must hold.
fn open_record<T>(
    key: &ManagedDomainKey,
    envelope: &[u8],
    field: &'static str,
    pick: impl FnMut(AttributeRecord) -> Option<T>,
) -> Result<T, EnvelopeError> {
    let records = key.open(envelope)?;
    AttributeRecord::decode_all(&records)?
        .into_iter()
        .find_map(pick)
        .ok_or(EnvelopeError::Plaintext(FormatError::Missing { field }))
}

impl CredentialUpdate {
    /// Replaces plaintext legacy credentials with their envelopes sealed to
    /// `certificate`; already sealed ones are left as they are. On error
    /// the update is unchanged.
    pub fn seal_legacy(
        &mut self,
        certificate: &ManagedDomainCertificate,
    ) -> Result<(), EnvelopeError> {
        if let Some(LegacySecrets::Plaintext(legacy)) = &self.legacy {
            let sealed = SealedLegacyCredentials::seal(legacy, certificate)?;
            // The plaintext is dropped here, and zeroized with it.
            self.legacy = Some(LegacySecrets::Sealed(sealed));
        }
        Ok(())
    }
}

impl Batch {
    /// A copy of the batch with every update's legacy credentials sealed
    /// to `certificate` (same id, connectors and order).
    pub fn seal_legacy(
        &self,
        certificate: &ManagedDomainCertificate,
    ) -> Result<Batch, EnvelopeError> {
        let updates = self
            .updates
            .iter()
            .map(|update| {
                let mut update = update.clone();
                update.seal_legacy(certificate).map(|()| update)
            })
            .collect::<Result<_, _>>()?;
        Ok(Batch {
            id: self.id,
            source_connector: self.source_connector.clone(),
            target_connector: self.target_connector.clone(),
            updates,
        })
    }
}

/// A transport that seals every update's legacy credentials to the
/// managed domain's certificate before the inner transport sees them, for
/// batches a host builds or relays itself. A channel whose
/// [`LegacyDelivery`](super::LegacyDelivery) is `Sealed` needs no wrapper:
/// its updates are sealed as they are prepared. The inner transport never
/// receives a plaintext NT hash or Kerberos key.
#[derive(Debug)]
pub struct SealingTransport<T> {
    inner: T,
    certificate: ManagedDomainCertificate,
}

impl<T> SealingTransport<T> {
    /// Seals to `certificate` in front of `inner`.
    pub fn new(inner: T, certificate: ManagedDomainCertificate) -> Self {
        Self { inner, certificate }
    }

    /// The certificate updates are sealed to.
    pub fn certificate(&self) -> &ManagedDomainCertificate {
        &self.certificate
    }

    /// The inner transport.
    pub fn get_ref(&self) -> &T {
        &self.inner
    }

    /// The inner transport, mutably.
    pub fn get_mut(&mut self) -> &mut T {
        &mut self.inner
    }

    /// Gives the inner transport back.
    pub fn into_inner(self) -> T {
        self.inner
    }
}

/// Why a [`SealingTransport`] failed a batch (the engine retries it).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SealingError<E> {
    /// Sealing failed (the operating system's random source, or a
    /// certificate RSA-OAEP cannot use); nothing was sent.
    #[error("sealing legacy credentials: {0}")]
    Seal(#[source] EnvelopeError),
    /// The inner transport failed.
    #[error(transparent)]
    Transport(E),
}

impl<T: Transport> Transport for SealingTransport<T> {
    type Error = SealingError<T::Error>;

    fn send(&mut self, batch: &Batch) -> Result<Vec<ItemResult>, Self::Error> {
        let sealed = batch
            .seal_legacy(&self.certificate)
            .map_err(SealingError::Seal)?;
        self.inner.send(&sealed).map_err(SealingError::Transport)
    }
}

/// One item of the credential upload (`ProvisionCredentials`), shaped as
/// Entra Connect's `SyncCredentialsChangeItem` and serialised with its
/// field names, for a host's upload code. Legacy credentials appear only
/// sealed, as base64 envelopes; plaintext ones are never serialised (the
/// fields are then `null`, as without Domain Services).
///
/// ```
/// use hashsync::sync::SyncCredentialsChangeItem;
/// let item = SyncCredentialsChangeItem::new(
///     "2026-12-01T20:00:00Z",
///     "MyIRAFVEd2aImaq7zN3u/w==",
///     "v1;PPH1_MD4,00112233445566778899,1000,00;",
/// );
/// let json = serde_json::to_value(&item)?;
/// assert_eq!(json["SourceAnchor"], "MyIRAFVEd2aImaq7zN3u/w==");
/// assert_eq!(json["WindowsLegacyCredentials"], serde_json::Value::Null);
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
#[non_exhaustive]
pub struct SyncCredentialsChangeItem {
    /// When the password changed (the host's clock; ISO 8601).
    pub change_date: String,
    /// The cloud anchor of the Entra ID object, when the host knows it.
    pub cloud_anchor: Option<String>,
    /// The source anchor (ImmutableId).
    pub source_anchor: String,
    /// The OrgId hash string (`v1;PPH1_MD4,…;`).
    pub credential_data: String,
    /// The user must change the password at next logon.
    pub force_password_change_on_logon: bool,
    /// Base64 of the `WindowsLegacyCredentials` envelope.
    pub windows_legacy_credentials: Option<String>,
    /// Base64 of the `WindowsSupplementalCredentials` envelope.
    pub windows_supplemental_credentials: Option<String>,
}

impl SyncCredentialsChangeItem {
    /// An item with only the OrgId hash (no cloud anchor, no legacy
    /// credentials).
    pub fn new(
        change_date: impl Into<String>,
        source_anchor: impl Into<String>,
        credential_data: impl Into<String>,
    ) -> Self {
        Self {
            change_date: change_date.into(),
            cloud_anchor: None,
            source_anchor: source_anchor.into(),
            credential_data: credential_data.into(),
            force_password_change_on_logon: false,
            windows_legacy_credentials: None,
            windows_supplemental_credentials: None,
        }
    }

    /// The item for `update`: its change date (RFC 3339, UTC), anchors and
    /// OrgId hash, and the envelopes when its legacy credentials are
    /// sealed. Plaintext legacy credentials are left out.
    pub fn from_update(update: &CredentialUpdate) -> Self {
        let b64 = |bytes: &[u8]| base64::engine::general_purpose::STANDARD.encode(bytes);
        let org_id = update.org_id.encode();
        let mut item = Self::new(
            update.change_date.to_rfc3339(),
            &update.source_anchor,
            org_id.as_str(),
        );
        item.force_password_change_on_logon = update.force_change_on_logon;
        item.cloud_anchor = update.cloud_anchor.clone();
        if let Some(sealed) = update.legacy.as_ref().and_then(LegacySecrets::sealed) {
            item.windows_legacy_credentials = Some(b64(&sealed.windows_legacy_credentials));
            item.windows_supplemental_credentials =
                sealed.windows_supplemental_credentials.as_deref().map(b64);
        }
        item
    }

    /// Sets the cloud anchor.
    pub fn with_cloud_anchor(mut self, cloud_anchor: impl Into<String>) -> Self {
        self.cloud_anchor = Some(cloud_anchor.into());
        self
    }
}

impl Drop for SyncCredentialsChangeItem {
    fn drop(&mut self) {
        self.credential_data.zeroize();
    }
}

impl fmt::Debug for SyncCredentialsChangeItem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SyncCredentialsChangeItem")
            .field("change_date", &self.change_date)
            .field("cloud_anchor", &self.cloud_anchor)
            .field("source_anchor", &self.source_anchor)
            .field("credential_data", &"[REDACTED]")
            .field(
                "force_password_change_on_logon",
                &self.force_password_change_on_logon,
            )
            .field(
                "windows_legacy_credentials",
                &self.windows_legacy_credentials,
            )
            .field(
                "windows_supplemental_credentials",
                &self.windows_supplemental_credentials,
            )
            .finish()
    }
}
