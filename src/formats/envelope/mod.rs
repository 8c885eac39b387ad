//! The `ADAuthInfo` envelope that carries legacy credentials to Entra
//! Domain Services.
//!
//! Entra Connect, not the cloud, encrypts an account's legacy credentials
//! before they leave the server: a fresh AES-256 key and IV encrypt the
//! attribute records (AES-256-CBC, PKCS#7), and the managed domain's RSA
//! public key wraps the AES key (RSA-OAEP with SHA-1 and MGF1-SHA-1). Entra
//! ID stores the envelope; only Domain Services, holding the private key,
//! opens it.
//!
//! The layout, every integer little-endian `int32`:
//!
//! | field | value |
//! |---|---|
//! | version | 1 |
//! | reserved | 0 |
//! | key algorithm | 1 (RSA-OAEP, SHA-1) |
//! | payload algorithm | 1 (AES-256-CBC) |
//! | thumbprint size | 20 |
//! | wrapped key size | RSA modulus bytes (256 for RSA-2048) |
//! | IV size | 16 |
//! | ciphertext size | a multiple of 16 |
//!
//! then the certificate's SHA-1 thumbprint, the wrapped key **with its
//! bytes reversed** (CryptoAPI's little-endian order), the IV and the
//! ciphertext.
//!
//! Sealing needs only the certificate ([`ManagedDomainCertificate::seal`]);
//! opening needs the private key ([`ManagedDomainKey::open`]). The `rsa`
//! crate's private-key operations are not constant-time (RUSTSEC-2023-0071,
//! the Marvin attack); only the managed domain's side uses them.
//!
//! ```
//! use hashsync::formats::envelope::{ManagedDomainCertificate, ManagedDomainKey, SealedEnvelope};
//! # let cert_pem = include_str!("../../../tests/data/envelope/managed_domain_cert.pem");
//! # let key_pem = include_str!("../../../tests/data/envelope/managed_domain_key.pem");
//! let certificate = ManagedDomainCertificate::parse(cert_pem.as_bytes())?;
//! let envelope = certificate.seal(b"attribute records")?;
//! assert_eq!(SealedEnvelope::parse(&envelope)?.thumbprint(), certificate.thumbprint());
//!
//! let key = ManagedDomainKey::new(certificate, key_pem.as_bytes())?;
//! assert_eq!(&key.open(&envelope)?[..], b"attribute records");
//! # Ok::<(), hashsync::formats::envelope::EnvelopeError>(())
//! ```

mod error;
mod keys;
mod layout;

use aes::Aes256;
use cbc::cipher::block_padding::Pkcs7;
use cbc::cipher::{BlockModeDecrypt, BlockModeEncrypt, KeyIvInit};
use rsa::traits::PublicKeyParts;
use sha1::Sha1;
use zeroize::Zeroizing;

pub use error::EnvelopeError;
pub use keys::{ManagedDomainCertificate, ManagedDomainKey, Thumbprint};
pub use layout::SealedEnvelope;
use layout::{AES_KEY_SIZE, IV_SIZE};

/// Size of the SHA-1 OAEP seed.
const OAEP_SEED_SIZE: usize = 20;

impl ManagedDomainCertificate {
    /// Seals `plaintext` to this certificate with a fresh AES-256 key, IV
    /// and OAEP seed from the operating system's random number generator.
    pub fn seal(&self, plaintext: &[u8]) -> Result<Vec<u8>, EnvelopeError> {
        let mut aes_key = Zeroizing::new([0u8; AES_KEY_SIZE]);
        let mut iv = [0u8; IV_SIZE];
        getrandom::fill(aes_key.as_mut()).map_err(|_| EnvelopeError::RandomSource)?;
        getrandom::fill(&mut iv).map_err(|_| EnvelopeError::RandomSource)?;
        let mut seed = Zeroizing::new([0u8; OAEP_SEED_SIZE]);
        getrandom::fill(seed.as_mut()).map_err(|_| EnvelopeError::RandomSource)?;
        self.seal_with_key_material(plaintext, &aes_key, &iv, &seed)
    }

    /// Seals with the given AES key, IV and OAEP seed, for known-answer
    /// tests only: reusing key material across envelopes breaks them. Not
    /// part of the supported API.
    #[doc(hidden)]
    pub fn seal_with_key_material(
        &self,
        plaintext: &[u8],
        aes_key: &[u8; AES_KEY_SIZE],
        iv: &[u8; IV_SIZE],
        oaep_seed: &[u8; OAEP_SEED_SIZE],
    ) -> Result<Vec<u8>, EnvelopeError> {
        let padded_len = (plaintext.len() / 16 + 1) * 16;
        if i32::try_from(padded_len).is_err() {
            return Err(EnvelopeError::PlaintextTooLarge {
                length: plaintext.len(),
            });
        }
        let mut wrapped = self
            .public_key()
            .oaep_encrypt_with_rng::<Sha1, _>(&mut OneSeed(Some(*oaep_seed)), aes_key)
            .map_err(|e| EnvelopeError::KeyWrap {
                reason: e.to_string(),
            })?;
        wrapped.reverse();
        // Encrypted in place: the buffer starts as a copy of the plaintext,
        // so it zeroizes if anything fails before every byte is ciphertext.
        let mut buffer = Zeroizing::new(vec![0u8; padded_len]);
        buffer[..plaintext.len()].copy_from_slice(plaintext);
        let ciphertext_len = cbc::Encryptor::<Aes256>::new(aes_key.into(), iv.into())
            .encrypt_padded::<Pkcs7>(&mut buffer, plaintext.len())
            .map_err(|_| EnvelopeError::PlaintextTooLarge {
                length: plaintext.len(),
            })?
            .len();
        layout::encode(&self.thumbprint(), &wrapped, iv, &buffer[..ciphertext_len])
    }
}

impl ManagedDomainKey {
    /// Opens an envelope sealed to this key's certificate: checks the
    /// header and sizes, that the envelope names this certificate, unwraps
    /// the AES key, decrypts and removes the padding.
    pub fn open(&self, envelope: &[u8]) -> Result<Zeroizing<Vec<u8>>, EnvelopeError> {
        let sealed = SealedEnvelope::parse(envelope)?;
        let certificate = self.certificate();
        if sealed.thumbprint() != certificate.thumbprint() {
            return Err(EnvelopeError::WrongCertificate {
                sealed_to: sealed.thumbprint(),
                this_certificate: certificate.thumbprint(),
            });
        }
        let modulus_size = self.private_key().size();
        if sealed.wrapped_key().len() != modulus_size {
            return Err(EnvelopeError::UnexpectedHeaderValue {
                field: "wrapped key size",
                expected: modulus_size as i64,
                found: sealed.wrapped_key().len() as i32,
            });
        }
        let mut wrapped = sealed.wrapped_key().to_vec();
        wrapped.reverse();
        let aes_key = Zeroizing::new(
            self.private_key()
                .oaep_decrypt::<Sha1>(&wrapped)
                .map_err(|_| EnvelopeError::KeyUnwrap)?,
        );
        let aes_key = <&[u8; AES_KEY_SIZE]>::try_from(aes_key.as_slice()).map_err(|_| {
            EnvelopeError::AesKeyLength {
                found: aes_key.len(),
            }
        })?;
        let mut buffer = Zeroizing::new(sealed.ciphertext().to_vec());
        let plaintext_len = cbc::Decryptor::<Aes256>::new(aes_key.into(), sealed.iv().into())
            .decrypt_padded::<Pkcs7>(&mut buffer)
            .map_err(|_| EnvelopeError::Padding)?
            .len();
        buffer.truncate(plaintext_len);
        Ok(buffer)
    }
}

/// Hands out one fixed OAEP seed, then refuses: the known-answer path's
/// stand-in for the operating system's generator.
struct OneSeed(Option<[u8; OAEP_SEED_SIZE]>);

/// The only failure of [`OneSeed`]: asked for more than its one seed.
#[derive(Debug)]
struct SeedSpent;

impl core::fmt::Display for SeedSpent {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("the fixed OAEP seed was already used")
    }
}

impl core::error::Error for SeedSpent {}

impl rsa::rand_core::TryRng for OneSeed {
    type Error = SeedSpent;

    fn try_next_u32(&mut self) -> Result<u32, SeedSpent> {
        Err(SeedSpent)
    }

    fn try_next_u64(&mut self) -> Result<u64, SeedSpent> {
        Err(SeedSpent)
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), SeedSpent> {
        match self.0.take() {
            Some(seed) if dst.len() == seed.len() => {
                dst.copy_from_slice(&seed);
                Ok(())
            }
            _ => Err(SeedSpent),
        }
    }
}

impl rsa::rand_core::TryCryptoRng for OneSeed {}

impl Drop for OneSeed {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.0);
    }
}
