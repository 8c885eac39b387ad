//! The `ADAuthInfo` byte layout: eight little-endian `int32` header
//! fields, then the thumbprint, the wrapped key, the IV and the ciphertext.

use super::{EnvelopeError, Thumbprint};
use crate::error::FormatError;
use crate::formats::reader::ByteReader;

/// `version`: the only layout defined.
pub(crate) const VERSION: i32 = 1;
/// `encryptionKeyAlgorithm` 1: RSA-OAEP with SHA-1 wraps the AES key.
pub(crate) const KEY_ALGORITHM_RSA_OAEP_SHA1: i32 = 1;
/// `payloadEncryptionAlgorithm` 1: AES-256-CBC with PKCS#7 padding.
pub(crate) const PAYLOAD_ALGORITHM_AES256_CBC: i32 = 1;
/// Size of the SHA-1 certificate thumbprint.
pub(crate) const THUMBPRINT_SIZE: usize = 20;
/// Size of the AES-CBC initialisation vector.
pub(crate) const IV_SIZE: usize = 16;
/// Size of the AES-256 key.
pub(crate) const AES_KEY_SIZE: usize = 32;
/// Size of the header: eight `int32`.
pub(crate) const HEADER_SIZE: usize = 32;
/// AES block size.
const BLOCK_SIZE: usize = 16;

/// A parsed envelope: the header checked, each part a view into the
/// envelope's bytes. Parsing checks sizes and fixed values only; opening
/// ([`ManagedDomainKey::open`](super::ManagedDomainKey::open)) checks the
/// thumbprint and the cryptography.
///
/// ```
/// use hashsync::formats::envelope::SealedEnvelope;
/// let err = SealedEnvelope::parse(&[1, 0, 0, 0]).unwrap_err();
/// assert!(err.to_string().contains("reserved"));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SealedEnvelope<'a> {
    thumbprint: Thumbprint,
    wrapped_key: &'a [u8],
    iv: [u8; IV_SIZE],
    ciphertext: &'a [u8],
}

impl<'a> SealedEnvelope<'a> {
    /// Parses an envelope. Every size in the header must match the layout
    /// (thumbprint 20, IV 16, ciphertext a positive multiple of 16) and the
    /// parts must fill `bytes` exactly; the wrapped key's size is checked
    /// against the certificate when the envelope is opened.
    pub fn parse(bytes: &'a [u8]) -> Result<Self, EnvelopeError> {
        let mut reader = Reader(ByteReader::new(bytes));
        let version = reader.i32("version")?;
        expect(version, VERSION, "version")?;
        let reserved = reader.i32("reserved")?;
        expect(reserved, 0, "reserved")?;
        let key_algorithm = reader.i32("key algorithm")?;
        expect(key_algorithm, KEY_ALGORITHM_RSA_OAEP_SHA1, "key algorithm")?;
        let payload_algorithm = reader.i32("payload algorithm")?;
        expect(
            payload_algorithm,
            PAYLOAD_ALGORITHM_AES256_CBC,
            "payload algorithm",
        )?;
        let thumbprint_size = reader.i32("thumbprint size")?;
        expect(thumbprint_size, THUMBPRINT_SIZE as i32, "thumbprint size")?;
        let wrapped_key_size = reader.i32("wrapped key size")?;
        // RSA moduli run from 1024 to 8192 bits in what `rsa` accepts.
        let wrapped_key_size = match usize::try_from(wrapped_key_size) {
            Ok(size @ 128..=1024) => size,
            _ => {
                return Err(EnvelopeError::UnexpectedHeaderValue {
                    field: "wrapped key size",
                    expected: 256,
                    found: wrapped_key_size,
                });
            }
        };
        let iv_size = reader.i32("IV size")?;
        expect(iv_size, IV_SIZE as i32, "IV size")?;
        let ciphertext_size = reader.i32("ciphertext size")?;
        let ciphertext_size = match usize::try_from(ciphertext_size) {
            Ok(size) if size > 0 && size.is_multiple_of(BLOCK_SIZE) => size,
            _ => {
                return Err(EnvelopeError::CiphertextSize {
                    found: ciphertext_size,
                });
            }
        };
        let thumbprint = Thumbprint::from_bytes(reader.array("thumbprint")?);
        let wrapped_key = reader.take(wrapped_key_size, "wrapped key")?;
        let iv = reader.array("IV")?;
        let ciphertext = reader.take(ciphertext_size, "ciphertext")?;
        let extra = bytes.len() - reader.position();
        if extra != 0 {
            return Err(EnvelopeError::TrailingBytes { extra });
        }
        Ok(Self {
            thumbprint,
            wrapped_key,
            iv,
            ciphertext,
        })
    }

    /// The thumbprint of the certificate the envelope was sealed to.
    pub fn thumbprint(&self) -> Thumbprint {
        self.thumbprint
    }

    /// The RSA-OAEP-wrapped AES key, in the envelope's (reversed,
    /// CryptoAPI) byte order.
    pub fn wrapped_key(&self) -> &'a [u8] {
        self.wrapped_key
    }

    /// The AES-CBC initialisation vector.
    pub fn iv(&self) -> &[u8; IV_SIZE] {
        &self.iv
    }

    /// The AES-256-CBC ciphertext.
    pub fn ciphertext(&self) -> &'a [u8] {
        self.ciphertext
    }
}

/// Writes an envelope from its parts.
pub(crate) fn encode(
    thumbprint: &Thumbprint,
    wrapped_key_reversed: &[u8],
    iv: &[u8; IV_SIZE],
    ciphertext: &[u8],
) -> Result<Vec<u8>, EnvelopeError> {
    let size = |len: usize| {
        i32::try_from(len).map_err(|_| EnvelopeError::PlaintextTooLarge { length: len })
    };
    let header = [
        VERSION,
        0,
        KEY_ALGORITHM_RSA_OAEP_SHA1,
        PAYLOAD_ALGORITHM_AES256_CBC,
        THUMBPRINT_SIZE as i32,
        size(wrapped_key_reversed.len())?,
        IV_SIZE as i32,
        size(ciphertext.len())?,
    ];
    let mut out = Vec::with_capacity(
        HEADER_SIZE + THUMBPRINT_SIZE + wrapped_key_reversed.len() + IV_SIZE + ciphertext.len(),
    );
    for field in header {
        out.extend_from_slice(&field.to_le_bytes());
    }
    out.extend_from_slice(thumbprint.as_bytes());
    out.extend_from_slice(wrapped_key_reversed);
    out.extend_from_slice(iv);
    out.extend_from_slice(ciphertext);
    Ok(out)
}

fn expect(found: i32, expected: i32, field: &'static str) -> Result<(), EnvelopeError> {
    if found == expected {
        Ok(())
    } else {
        Err(EnvelopeError::UnexpectedHeaderValue {
            field,
            expected: i64::from(expected),
            found,
        })
    }
}

/// The shared bounds-checked reader, its short reads as envelope errors.
struct Reader<'a>(ByteReader<'a>);

impl<'a> Reader<'a> {
    fn position(&self) -> usize {
        self.0.position()
    }

    fn take(&mut self, len: usize, field: &'static str) -> Result<&'a [u8], EnvelopeError> {
        self.0.take(len, field).map_err(truncated)
    }

    fn array<const N: usize>(&mut self, field: &'static str) -> Result<[u8; N], EnvelopeError> {
        self.0.array(field).map_err(truncated)
    }

    fn i32(&mut self, field: &'static str) -> Result<i32, EnvelopeError> {
        self.array(field).map(i32::from_le_bytes)
    }
}

fn truncated(err: FormatError) -> EnvelopeError {
    match err {
        FormatError::Truncated {
            field,
            offset,
            needed,
            available,
        } => EnvelopeError::Truncated {
            field,
            offset,
            needed,
            available,
        },
        // `take` and `array` fail only by running out of input.
        _ => EnvelopeError::Truncated {
            field: "envelope",
            offset: 0,
            needed: 0,
            available: 0,
        },
    }
}
