//! What can go wrong sealing or opening an `ADAuthInfo` envelope.

use super::Thumbprint;
use crate::error::FormatError;

/// What is wrong with an envelope, a certificate or a private key.
///
/// Never holds key material or plaintext: a variant names the field and
/// the value that was wrong with it, or, for a foreign envelope, the
/// certificate it was sealed to.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EnvelopeError {
    /// The certificate is neither an X.509 certificate in DER nor one in
    /// PEM (`-----BEGIN CERTIFICATE-----`).
    #[error("certificate: not an X.509 certificate in DER or PEM ({reason})")]
    InvalidCertificate {
        /// What the decoder said.
        reason: String,
    },
    /// The certificate's public key is not an RSA key this crate can use
    /// (Domain Services issues RSA certificates, 2048 bits and up).
    #[error("certificate: the subject public key is not a usable RSA key ({reason})")]
    NotRsaCertificate {
        /// What the key decoder said.
        reason: String,
    },
    /// The private key is not an RSA key in PEM (PKCS#8 `PRIVATE KEY` or
    /// PKCS#1 `RSA PRIVATE KEY`) or DER.
    #[error("private key: not an RSA private key in PKCS#8 or PKCS#1 ({reason})")]
    InvalidPrivateKey {
        /// What the decoder said.
        reason: String,
    },
    /// The private key does not belong to the certificate: its public half
    /// differs from the certificate's.
    #[error("private key does not belong to certificate {certificate}")]
    KeyDoesNotMatchCertificate {
        /// The certificate's thumbprint.
        certificate: Thumbprint,
    },
    /// The envelope ends inside a field.
    #[error("envelope {field}: needs {needed} bytes at offset {offset}, only {available} left")]
    Truncated {
        /// The field being read.
        field: &'static str,
        /// Where the field starts.
        offset: usize,
        /// Bytes the field needs.
        needed: usize,
        /// Bytes left in the envelope.
        available: usize,
    },
    /// A header field holds a value this layout does not allow (version,
    /// reserved, an algorithm, or a size that must be fixed).
    #[error("envelope {field}: expected {expected}, found {found}")]
    UnexpectedHeaderValue {
        /// The header field.
        field: &'static str,
        /// The value the layout requires.
        expected: i64,
        /// The value found.
        found: i32,
    },
    /// The ciphertext size is negative, zero or not a whole number of AES
    /// blocks.
    #[error("envelope ciphertext size: {found} is not a positive multiple of 16")]
    CiphertextSize {
        /// The size in the header.
        found: i32,
    },
    /// Bytes follow the ciphertext the header announced.
    #[error("envelope: {extra} bytes after the ciphertext")]
    TrailingBytes {
        /// How many.
        extra: usize,
    },
    /// The envelope was sealed to another certificate. Open it with the
    /// key of the certificate named here (an earlier certificate of the
    /// managed domain, after a rollover).
    #[error("envelope was sealed to certificate {sealed_to}, not to {this_certificate}")]
    WrongCertificate {
        /// The thumbprint in the envelope.
        sealed_to: Thumbprint,
        /// The thumbprint of the certificate given to open it.
        this_certificate: Thumbprint,
    },
    /// RSA-OAEP refused the wrapped key: the envelope was altered, or the
    /// key was wrapped with another padding.
    #[error("envelope wrapped key: RSA-OAEP decryption failed")]
    KeyUnwrap,
    /// The unwrapped AES key is not 32 bytes.
    #[error("envelope wrapped key: holds {found} bytes, an AES-256 key is 32")]
    AesKeyLength {
        /// Length of the unwrapped key.
        found: usize,
    },
    /// The decrypted payload does not end in valid PKCS#7 padding: the
    /// ciphertext or IV was altered.
    #[error("envelope ciphertext: bad PKCS#7 padding after decryption")]
    Padding,
    /// The plaintext is too large for the header's 32-bit size field.
    #[error("plaintext of {length} bytes is too large for an envelope")]
    PlaintextTooLarge {
        /// Its length.
        length: usize,
    },
    /// RSA-OAEP could not wrap the key with this certificate's public key.
    #[error("RSA-OAEP key wrap failed ({reason})")]
    KeyWrap {
        /// What the RSA implementation said.
        reason: String,
    },
    /// The plaintext inside (the attribute records) could not be encoded
    /// or, after opening, is not what the envelope should hold.
    #[error("envelope plaintext: {0}")]
    Plaintext(#[from] FormatError),
    /// The operating system's random number generator failed; nothing was
    /// sealed.
    #[error("the operating system's random number generator failed")]
    RandomSource,
}
