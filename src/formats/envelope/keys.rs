//! The managed domain's certificate (the sealing side holds only this) and
//! its private key (the managed domain's side), loaded from DER or PEM.

use core::fmt;

use der::{Decode, Encode};
use rsa::pkcs1::DecodeRsaPrivateKey;
use rsa::pkcs8::{DecodePrivateKey, DecodePublicKey};
use rsa::traits::PublicKeyParts;
use sha1::{Digest, Sha1};
use x509_cert::Certificate;
use zeroize::Zeroizing;

use super::EnvelopeError;
use super::layout::THUMBPRINT_SIZE;

/// A certificate's SHA-1 thumbprint: the hash of its DER encoding, as
/// Windows shows it (upper-case hex) and as an envelope names the
/// certificate it was sealed to.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Thumbprint([u8; THUMBPRINT_SIZE]);

impl Thumbprint {
    /// Wraps the 20 thumbprint bytes.
    pub const fn from_bytes(bytes: [u8; THUMBPRINT_SIZE]) -> Self {
        Self(bytes)
    }

    /// The thumbprint of a DER-encoded certificate.
    pub fn of_der(der: &[u8]) -> Self {
        Self(Sha1::digest(der).into())
    }

    /// The 20 bytes.
    pub const fn as_bytes(&self) -> &[u8; THUMBPRINT_SIZE] {
        &self.0
    }
}

impl fmt::Display for Thumbprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.iter().try_for_each(|b| write!(f, "{b:02X}"))
    }
}

impl fmt::Debug for Thumbprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Thumbprint({self})")
    }
}

/// The managed domain's encryption certificate (what
/// `GetWindowsCredentialsSyncConfig` hands Entra Connect): an X.509
/// certificate with an RSA public key, which seals envelopes.
#[derive(Clone)]
pub struct ManagedDomainCertificate {
    thumbprint: Thumbprint,
    public_key: rsa::PublicKey,
}

impl ManagedDomainCertificate {
    /// Reads a certificate in PEM (`-----BEGIN CERTIFICATE-----`) or DER;
    /// the thumbprint is taken over the DER bytes as given.
    pub fn parse(bytes: &[u8]) -> Result<Self, EnvelopeError> {
        match pem_text(bytes) {
            Some(text) => Self::from_pem(text),
            None => Self::from_der(bytes),
        }
    }

    /// Reads a PEM certificate.
    pub fn from_pem(pem: &str) -> Result<Self, EnvelopeError> {
        let invalid = |reason: String| EnvelopeError::InvalidCertificate { reason };
        let (label, der) =
            der::pem::decode_vec(pem.as_bytes()).map_err(|e| invalid(e.to_string()))?;
        if label != "CERTIFICATE" {
            return Err(invalid(format!(
                "PEM label {label:?}, expected CERTIFICATE"
            )));
        }
        Self::from_der(&der)
    }

    /// Reads a DER certificate.
    pub fn from_der(der: &[u8]) -> Result<Self, EnvelopeError> {
        let certificate =
            Certificate::from_der(der).map_err(|e| EnvelopeError::InvalidCertificate {
                reason: e.to_string(),
            })?;
        let not_rsa = |reason: String| EnvelopeError::NotRsaCertificate { reason };
        let spki = certificate
            .tbs_certificate()
            .subject_public_key_info()
            .to_der()
            .map_err(|e| not_rsa(e.to_string()))?;
        let public_key =
            rsa::PublicKey::from_public_key_der(&spki).map_err(|e| not_rsa(e.to_string()))?;
        // RSA-OAEP with SHA-1 carries at most k - 2*20 - 2 bytes; the
        // envelope wraps a 32-byte AES key.
        let needed = super::layout::AES_KEY_SIZE + 2 * 20 + 2;
        if public_key.size() < needed {
            return Err(not_rsa(format!(
                "an RSA modulus of {} bytes cannot wrap an AES-256 key with OAEP-SHA1 \
                 (at least {needed} bytes are needed)",
                public_key.size()
            )));
        }
        Ok(Self {
            thumbprint: Thumbprint::of_der(der),
            public_key,
        })
    }

    /// The certificate's SHA-1 thumbprint.
    pub fn thumbprint(&self) -> Thumbprint {
        self.thumbprint
    }

    /// The size of the RSA modulus in bytes: the size of a wrapped key.
    pub fn modulus_size(&self) -> usize {
        self.public_key.size()
    }

    pub(crate) fn public_key(&self) -> &rsa::PublicKey {
        &self.public_key
    }
}

impl fmt::Debug for ManagedDomainCertificate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ManagedDomainCertificate")
            .field("thumbprint", &self.thumbprint)
            .field("modulus_bits", &(self.modulus_size() * 8))
            .finish()
    }
}

/// The managed domain's certificate with its RSA private key: what Domain
/// Services holds, and what opens envelopes.
///
/// The `rsa` crate's private-key operations are not constant-time
/// (RUSTSEC-2023-0071, the Marvin attack): timing can leak key bits to
/// someone who can submit many chosen ciphertexts and time the answers.
/// Only the managed domain's side (and tests) opens envelopes; a sync
/// agent only seals, with the public key.
pub struct ManagedDomainKey {
    certificate: ManagedDomainCertificate,
    private_key: rsa::PrivateKey,
}

impl ManagedDomainKey {
    /// Pairs a certificate with its private key: PEM (`PRIVATE KEY`,
    /// PKCS#8, or `RSA PRIVATE KEY`, PKCS#1) or DER in either syntax. A
    /// key whose public half is not the certificate's is refused.
    pub fn new(
        certificate: ManagedDomainCertificate,
        private_key: &[u8],
    ) -> Result<Self, EnvelopeError> {
        let private_key = match pem_text(private_key) {
            Some(text) => parse_pem_key(text)?,
            None => parse_der_key(private_key)?,
        };
        if private_key.as_public_key() != certificate.public_key() {
            return Err(EnvelopeError::KeyDoesNotMatchCertificate {
                certificate: certificate.thumbprint(),
            });
        }
        Ok(Self {
            certificate,
            private_key,
        })
    }

    /// The certificate this key belongs to.
    pub fn certificate(&self) -> &ManagedDomainCertificate {
        &self.certificate
    }

    pub(crate) fn private_key(&self) -> &rsa::PrivateKey {
        &self.private_key
    }
}

impl fmt::Debug for ManagedDomainKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ManagedDomainKey")
            .field("certificate", &self.certificate)
            .field("private_key", &"[REDACTED]")
            .finish()
    }
}

/// The input as PEM text, when it looks like PEM.
fn pem_text(bytes: &[u8]) -> Option<&str> {
    let text = core::str::from_utf8(bytes).ok()?;
    text.trim_start().starts_with("-----BEGIN ").then_some(text)
}

fn parse_pem_key(pem: &str) -> Result<rsa::PrivateKey, EnvelopeError> {
    let invalid = |reason: String| EnvelopeError::InvalidPrivateKey { reason };
    let (label, der) = der::pem::decode_vec(pem.as_bytes()).map_err(|e| invalid(e.to_string()))?;
    let der = Zeroizing::new(der);
    match label {
        "PRIVATE KEY" => rsa::PrivateKey::from_pkcs8_der(&der).map_err(|e| invalid(e.to_string())),
        "RSA PRIVATE KEY" => {
            rsa::PrivateKey::from_pkcs1_der(&der).map_err(|e| invalid(e.to_string()))
        }
        other => Err(invalid(format!(
            "PEM label {other:?}, expected PRIVATE KEY or RSA PRIVATE KEY"
        ))),
    }
}

fn parse_der_key(der: &[u8]) -> Result<rsa::PrivateKey, EnvelopeError> {
    rsa::PrivateKey::from_pkcs8_der(der)
        .or_else(|_| rsa::PrivateKey::from_pkcs1_der(der))
        .map_err(|e| EnvelopeError::InvalidPrivateKey {
            reason: e.to_string(),
        })
}
