//! The OrgId hash Entra ID stores for password hash sync.

use core::str::FromStr;

use zeroize::{Zeroize, Zeroizing};

use super::kerberos::Iterations;
use super::nt::nt_hash;
use super::pbkdf2::{HmacKey, Sha256};
use crate::error::{Error, OrgIdError, Result};
use crate::secret::{NtHash, OrgIdHash, Password};

const PREFIX: &str = "v1;PPH1_MD4,";

/// The OrgId hash of an NT hash with a given salt:
/// `PBKDF2-HMAC-SHA256(UTF-16LE(upper-case hex(NT hash)), salt, iterations, 32)`.
///
/// ```
/// use hashsync::{org_id_hash, Iterations, NtHash};
/// // DSInternals' ConvertTo-OrgIdHash, example 3.
/// let nt = NtHash::from_hex("92937945b518814341de3f726500d4ff")?;
/// let salt = [0xa4, 0x2b, 0x92, 0x06, 0x7e, 0x4b, 0x81, 0x23, 0x10, 0x1a];
/// let hash = org_id_hash(&nt, salt, Iterations::ORG_ID_DEFAULT);
/// assert!(hash.encode().ends_with(",1000,f0fc762ea9051ef754652becd83ee5e54c1c857c1c0965abac5d85de9c143911;"));
/// # Ok::<(), hashsync::Error>(())
/// ```
pub fn org_id_hash(nt_hash: &NtHash, salt: [u8; 10], iterations: Iterations) -> OrgIdHash {
    let mut hash = [0u8; 32];
    org_id_pbkdf2(nt_hash, &salt, iterations.get(), &mut hash);
    OrgIdHash {
        salt,
        iterations: iterations.get(),
        hash,
    }
}

/// The PBKDF2 password: UTF-16LE of the upper-case hex of the NT hash.
pub(crate) fn org_id_password(nt_hash: &NtHash) -> Zeroizing<[u8; 64]> {
    let mut password = Zeroizing::new([0u8; 64]);
    let mut hex = [0u8; 32];
    let _ = base16ct::upper::encode(nt_hash.expose_secret(), &mut hex);
    for (pair, digit) in password.chunks_exact_mut(2).zip(hex) {
        pair[0] = digit;
    }
    hex.zeroize();
    password
}

fn org_id_pbkdf2(nt_hash: &NtHash, salt: &[u8], iterations: u32, out: &mut [u8; 32]) {
    HmacKey::<Sha256>::new(&org_id_password(nt_hash)[..]).pbkdf2(salt, iterations, out);
}

impl OrgIdHash {
    /// The OrgId hash of an NT hash with a fresh random 10-byte salt, as
    /// every sync of a password does.
    pub fn generate(nt_hash: &NtHash, iterations: Iterations) -> Result<Self> {
        let mut salt = [0u8; 10];
        getrandom::fill(&mut salt).map_err(|_| Error::RandomSource)?;
        Ok(org_id_hash(nt_hash, salt, iterations))
    }

    /// Parses `v1;PPH1_MD4,<salt hex>,<iterations>,<hash hex>;` (hex in either case).
    pub fn parse(text: &str) -> Result<Self, OrgIdError> {
        let rest = text.strip_prefix(PREFIX).ok_or(OrgIdError::WrongPrefix)?;
        let fields = rest
            .strip_suffix(';')
            .ok_or(OrgIdError::MissingTerminator)?;
        let parts: Vec<&str> = fields.split(',').collect();
        let [salt_hex, iterations, hash_hex] = parts[..] else {
            return Err(OrgIdError::FieldCount { found: parts.len() });
        };
        let mut salt = [0u8; 10];
        decode_field(salt_hex, "salt", &mut salt)?;
        let iterations = match iterations.parse::<u32>() {
            Ok(n) if n > 0 && iterations.bytes().all(|b| b.is_ascii_digit()) => n,
            _ => return Err(OrgIdError::BadIterations),
        };
        let mut hash = [0u8; 32];
        decode_field(hash_hex, "hash", &mut hash)?;
        Ok(Self {
            salt,
            iterations,
            hash,
        })
    }

    /// The `v1;PPH1_MD4,…;` string, lower-case hex.
    pub fn encode(&self) -> Zeroizing<String> {
        let mut hash_hex = Zeroizing::new(base16ct::lower::encode_string(&self.hash));
        let text = format!(
            "{PREFIX}{},{},{};",
            base16ct::lower::encode_string(&self.salt),
            self.iterations,
            hash_hex.as_str()
        );
        hash_hex.zeroize();
        Zeroizing::new(text)
    }

    /// Whether `nt_hash` matches, using this hash's own salt and iteration
    /// count (old agents used 100 iterations). Compares in constant time.
    pub fn verify_nt_hash(&self, nt_hash: &NtHash) -> bool {
        let mut candidate = [0u8; 32];
        org_id_pbkdf2(nt_hash, &self.salt, self.iterations, &mut candidate);
        let ok = subtle::ConstantTimeEq::ct_eq(&candidate[..], &self.hash[..]).into();
        candidate.zeroize();
        ok
    }

    /// Whether `password` matches (through its NT hash).
    pub fn verify_password(&self, password: &Password) -> bool {
        self.verify_nt_hash(&nt_hash(password))
    }
}

impl FromStr for OrgIdHash {
    type Err = OrgIdError;
    fn from_str(text: &str) -> Result<Self, OrgIdError> {
        Self::parse(text)
    }
}

fn decode_field(hex: &str, field: &'static str, out: &mut [u8]) -> Result<(), OrgIdError> {
    if hex.len() != out.len() * 2 {
        return Err(OrgIdError::WrongLength {
            field,
            expected: out.len() * 2,
            found: hex.len(),
        });
    }
    base16ct::mixed::decode(hex, out).map_err(|_| OrgIdError::NotHex { field })?;
    Ok(())
}
