//! How legacy credentials leave the engine: sealed to the managed domain's
//! certificate, or in the clear by the host's explicit choice.

#[cfg(feature = "domain-services")]
use std::sync::Arc;

#[cfg(feature = "domain-services")]
use crate::formats::envelope::ManagedDomainCertificate;

/// How a channel hands NT hashes and Kerberos keys to its transport, when
/// the tenant's Domain Services settings send them.
///
/// Entra Connect seals them on the server, to the managed domain's public
/// key, before anything leaves it ([`Sealed`](Self::Sealed)); the engine
/// then seals each update while preparing it, on the hashing threads, and
/// the transport receives envelopes only. [`Plaintext`](Self::Plaintext)
/// is for tests and for targets the host runs and trusts (a Samba DC it
/// writes to directly); there is no default, so that the clear path is
/// always a decision someone wrote down.
///
/// ```
/// use hashsync::model::ManagedDomainSettings;
/// use hashsync::sync::{ChannelConfig, ChannelConfigError, LegacyDelivery};
///
/// let config = ChannelConfig::new("onprem.contoso.com", "contoso - Microsoft Entra ID")
///     .with_domain_services(Some(ManagedDomainSettings::default()));
/// assert_eq!(config.validate(), Err(ChannelConfigError::LegacyDeliveryUnset));
/// assert_eq!(config.with_legacy_delivery(LegacyDelivery::Plaintext).validate(), Ok(()));
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum LegacyDelivery {
    /// Sealed to the managed domain's certificate: each update carries the
    /// `WindowsLegacyCredentials` and `WindowsSupplementalCredentials`
    /// envelopes and no plaintext legacy secret.
    #[cfg(feature = "domain-services")]
    Sealed(Arc<ManagedDomainCertificate>),
    /// In the clear, for tests and targets the host trusts.
    Plaintext,
}

impl LegacyDelivery {
    /// Sealed to `certificate`.
    #[cfg(feature = "domain-services")]
    pub fn sealed_to(certificate: ManagedDomainCertificate) -> Self {
        Self::Sealed(Arc::new(certificate))
    }

    /// The certificate updates are sealed to, if they are sealed.
    #[cfg(feature = "domain-services")]
    pub fn certificate(&self) -> Option<&ManagedDomainCertificate> {
        match self {
            Self::Sealed(certificate) => Some(certificate),
            Self::Plaintext => None,
        }
    }
}
