//! `Primary:WDigest` (`WDIGEST_CREDENTIALS`, MS-SAMR 2.2.10.2): 29 MD5
//! hashes of `user:realm:password` variants for HTTP digest authentication.

use crate::error::FormatError;
use crate::formats::reader::{ByteReader, to_u16};
use crate::secret::WDigestHash;

/// The hashes of `Primary:WDigest`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WDigestCredentials {
    /// The hashes, in the order MS-SAMR 3.1.1.8.11.3.1 defines (29 of them).
    pub hashes: Vec<WDigestHash>,
}

/// `Reserved1` as Windows and Samba write it (the spec says ignore it).
const RESERVED1: u8 = 0x31;
const HEADER_LEN: usize = 16;

impl WDigestCredentials {
    /// `Version`: MS-SAMR defines only 1.
    pub const VERSION: u8 = 1;
    /// How many hashes MS-SAMR defines.
    pub const HASH_COUNT: usize = 29;

    /// Parses the decoded (binary) property value.
    pub fn parse(bytes: &[u8]) -> Result<Self, FormatError> {
        let mut r = ByteReader::new(bytes);
        r.u8("WDIGEST_CREDENTIALS.Reserved1")?;
        r.u8("WDIGEST_CREDENTIALS.Reserved2")?;
        let version = r.u8("WDIGEST_CREDENTIALS.Version")?;
        if version != Self::VERSION {
            return Err(FormatError::UnsupportedRevision {
                field: "WDIGEST_CREDENTIALS.Version",
                found: u32::from(version),
            });
        }
        let count = usize::from(r.u8("WDIGEST_CREDENTIALS.NumberOfHashes")?);
        r.take(12, "WDIGEST_CREDENTIALS.Reserved3")?;
        r.check_count(
            count,
            WDigestHash::LEN,
            "WDIGEST_CREDENTIALS.NumberOfHashes",
        )?;
        let hashes = (0..count)
            .map(|_| {
                Ok(WDigestHash::from_bytes(
                    r.array("WDIGEST_CREDENTIALS.Hash")?,
                ))
            })
            .collect::<Result<_, FormatError>>()?;
        Ok(Self { hashes })
    }

    /// The binary property value.
    pub fn to_bytes(&self) -> Result<zeroize::Zeroizing<Vec<u8>>, FormatError> {
        let count = to_u16(self.hashes.len(), "WDIGEST_CREDENTIALS.NumberOfHashes")?;
        let count = u8::try_from(count).map_err(|_| FormatError::TooLarge {
            field: "WDIGEST_CREDENTIALS.NumberOfHashes",
            found: u64::from(count),
            max: u64::from(u8::MAX),
        })?;
        let mut out =
            zeroize::Zeroizing::new(Vec::with_capacity(HEADER_LEN + self.hashes.len() * 16));
        out.extend_from_slice(&[RESERVED1, 0, Self::VERSION, count]);
        out.extend_from_slice(&[0u8; 12]);
        for hash in &self.hashes {
            out.extend_from_slice(hash.expose_secret());
        }
        Ok(out)
    }
}
