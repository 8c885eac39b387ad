//! Kerberos string-to-key for the AES encryption types (RFC 3962) and the
//! RFC 3961 machinery under it: n-fold and DK.

use aes::cipher::{BlockCipherEncrypt, BlockSizeUser, KeyInit, consts::U16};
use zeroize::Zeroize;

use super::dispatch::{Engine, Job};
use super::nt::nt_hash;
use super::pbkdf2::{HmacKey, Sha1, state_bytes};
use super::salt::Salt;
use super::simd::Sha1State;
use crate::error::{Error, Result};
use crate::secret::{EncryptionType, KerberosKey, Password};

/// A PBKDF2 iteration count: at least one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Iterations(core::num::NonZeroU32);

impl Iterations {
    /// Kerberos AES string-to-key default (RFC 3962), what AD always uses.
    pub const KERBEROS_DEFAULT: Self = Self(core::num::NonZeroU32::new(4096).unwrap());
    /// What current Entra Connect versions use for the OrgId hash.
    pub const ORG_ID_DEFAULT: Self = Self(core::num::NonZeroU32::new(1000).unwrap());

    /// An iteration count; zero is [`Error::ZeroIterations`].
    pub const fn new(count: u32) -> Result<Self> {
        match core::num::NonZeroU32::new(count) {
            Some(n) => Ok(Self(n)),
            None => Err(Error::ZeroIterations),
        }
    }

    /// The count.
    pub const fn get(self) -> u32 {
        self.0.get()
    }
}

impl Default for Iterations {
    fn default() -> Self {
        Self::KERBEROS_DEFAULT
    }
}

/// The pair of AES keys AD derives from every password.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AesKeys {
    /// `aes256-cts-hmac-sha1-96` (18).
    pub aes256: KerberosKey,
    /// `aes128-cts-hmac-sha1-96` (17).
    pub aes128: KerberosKey,
}

/// n-fold (RFC 3961 §5.1): stretches or folds `input` to `out.len()` bytes.
///
/// `input` is repeated, each copy rotated 13 more bits to the right, up to
/// the least common multiple of both lengths; the result is cut into
/// `out.len()`-byte pieces that are summed with one's-complement addition.
///
/// ```
/// let mut out = [0u8; 8];
/// hashsync::crypto::nfold(b"012345", &mut out);
/// assert_eq!(out, [0xbe, 0x07, 0x26, 0x31, 0x27, 0x6b, 0x19, 0x55]); // RFC 3961 A.1
/// ```
pub fn nfold(input: &[u8], out: &mut [u8]) {
    out.fill(0);
    if input.is_empty() || out.is_empty() {
        return;
    }
    let (n, m) = (input.len(), out.len());
    let lcm = n / gcd(n, m) * m;
    let in_bits = n * 8;
    // Bit b (MSB-first) of copy k is input bit (b - 13k) mod in_bits.
    let bit = |pos: usize| -> u16 {
        let (copy, b) = (pos / in_bits, pos % in_bits);
        let src = (b + in_bits - (13 * copy) % in_bits) % in_bits;
        u16::from(input[src / 8] >> (7 - src % 8) & 1)
    };
    // Sum from the least significant end; carries wrap around at the end.
    let mut sums = vec![0u32; m];
    for chunk in 0..lcm / m {
        for (j, sum) in sums.iter_mut().enumerate() {
            let mut byte = 0u16;
            for b in 0..8 {
                byte = byte << 1 | bit((chunk * m + j) * 8 + b);
            }
            *sum += u32::from(byte);
        }
    }
    let mut carry = 0u32;
    loop {
        for (o, sum) in out.iter_mut().zip(sums.iter_mut()).rev() {
            let v = *sum + carry;
            *o = v as u8;
            carry = v >> 8;
            *sum = u32::from(*o);
        }
        if carry == 0 {
            break;
        }
    }
}

fn gcd(a: usize, b: usize) -> usize {
    if b == 0 { a } else { gcd(b, a % b) }
}

/// RFC 3961 DK with the AES random-to-key (identity): encrypts
/// `n-fold(constant, 128)` repeatedly under `base` and concatenates.
fn derive_key<C: BlockCipherEncrypt + BlockSizeUser<BlockSize = U16> + KeyInit>(
    base: &[u8],
    constant: &[u8],
    out: &mut [u8],
) {
    let cipher =
        C::new_from_slice(base).unwrap_or_else(|_| unreachable!("caller passes key-sized base"));
    let mut block = aes::Block::default();
    nfold(constant, &mut block);
    for chunk in out.chunks_mut(16) {
        cipher.encrypt_block(&mut block);
        chunk.copy_from_slice(&block[..chunk.len()]);
    }
    block.zeroize();
}

/// The "kerberos" usage constant of RFC 3962's string-to-key.
const KERBEROS: &[u8] = b"kerberos";

/// PBKDF2-HMAC-SHA1 output for AES string-to-key, before DK: `out` is
/// 16 bytes for AES128 or 32 for AES256 (RFC 3962 §4).
pub fn aes_pbkdf2(password_utf8: &[u8], salt: &Salt, iterations: Iterations, out: &mut [u8]) {
    HmacKey::<Sha1>::new(password_utf8).pbkdf2(salt.as_bytes(), iterations.get(), out);
}

/// Both AES keys from the password's UTF-8 bytes: PBKDF2's first block is
/// computed once and serves both (AES128's 16 bytes are a prefix of
/// AES256's 32), so this costs what AES256 alone costs. PBKDF2's two blocks
/// are independent chains, run side by side where the CPU allows (SHA-NI).
pub fn aes_keys_from_utf8(password_utf8: &[u8], salt: &Salt, iterations: Iterations) -> AesKeys {
    aes_keys_with_engine(Engine::pair(), password_utf8, salt, iterations)
}

/// [`aes_keys_from_utf8`] on a given engine.
pub(crate) fn aes_keys_with_engine(
    engine: Engine,
    password_utf8: &[u8],
    salt: &Salt,
    iterations: Iterations,
) -> AesKeys {
    let mut tkey = [0u8; 32];
    aes256_pbkdf2(
        engine,
        password_utf8,
        salt.as_bytes(),
        iterations.get(),
        &mut tkey,
    );
    let keys = aes_keys_from_tkey(&tkey);
    tkey.zeroize();
    keys
}

/// Both AES keys from the 32 bytes of PBKDF2 output (`tkey` of RFC 3962).
pub(crate) fn aes_keys_from_tkey(tkey: &[u8; 32]) -> AesKeys {
    let mut k256 = [0u8; 32];
    let mut k128 = [0u8; 16];
    derive_key::<aes::Aes256>(tkey, KERBEROS, &mut k256);
    derive_key::<aes::Aes128>(&tkey[..16], KERBEROS, &mut k128);
    let keys = AesKeys {
        aes256: KerberosKey::new(EncryptionType::AES256_CTS_HMAC_SHA1_96, &k256)
            .unwrap_or_else(|_| unreachable!("32-byte AES256 key")),
        aes128: KerberosKey::new(EncryptionType::AES128_CTS_HMAC_SHA1_96, &k128)
            .unwrap_or_else(|_| unreachable!("16-byte AES128 key")),
    };
    k256.zeroize();
    k128.zeroize();
    keys
}

/// Both AES keys of a password, with the UTF-8 conversion AD applies
/// (unpaired surrogates become U+FFFD).
///
/// ```
/// use hashsync::{aes_keys, Iterations, Password, Salt};
/// // RFC 3962 Appendix B, first vector.
/// let keys = aes_keys(&Password::new("password"), &Salt::from("ATHENA.MIT.EDUraeburn"), Iterations::new(1)?);
/// assert_eq!(keys.aes128.to_hex().as_str(), "42263c6e89f4fc28b8df68ee09799f15");
/// # Ok::<(), hashsync::Error>(())
/// ```
pub fn aes_keys(password: &Password, salt: &Salt, iterations: Iterations) -> AesKeys {
    aes_keys_from_utf8(&password.to_utf8_lossy(), salt, iterations)
}

/// One key of one encryption type: 17, 18 (RFC 3962) or 23 (the NT hash,
/// which ignores salt and iterations). Other types are
/// [`Error::UnsupportedEncryptionType`].
pub fn string_to_key(
    etype: EncryptionType,
    password: &Password,
    salt: &Salt,
    iterations: Iterations,
) -> Result<KerberosKey> {
    match etype {
        EncryptionType::AES128_CTS_HMAC_SHA1_96 | EncryptionType::AES256_CTS_HMAC_SHA1_96 => {
            let len = if etype == EncryptionType::AES256_CTS_HMAC_SHA1_96 {
                32
            } else {
                16
            };
            let mut tkey = [0u8; 32];
            let utf8 = password.to_utf8_lossy();
            if len == 32 {
                // AES256 needs both PBKDF2 blocks: run them side by side.
                aes256_pbkdf2(
                    Engine::pair(),
                    &utf8,
                    salt.as_bytes(),
                    iterations.get(),
                    &mut tkey,
                );
            } else {
                aes_pbkdf2(&utf8, salt, iterations, &mut tkey[..len]);
            }
            let mut key = [0u8; 32];
            if len == 32 {
                derive_key::<aes::Aes256>(&tkey, KERBEROS, &mut key);
            } else {
                derive_key::<aes::Aes128>(&tkey[..16], KERBEROS, &mut key[..16]);
            }
            let result = KerberosKey::new(etype, &key[..len]);
            tkey.zeroize();
            key.zeroize();
            result
        }
        EncryptionType::RC4_HMAC => Ok(nt_hash(password).to_rc4_key()),
        other => Err(Error::UnsupportedEncryptionType {
            etype: other.number(),
        }),
    }
}

/// PBKDF2-HMAC-SHA1 with a 32-byte output (AES256 string-to-key before
/// DK): its two blocks are independent chains, run side by side when the
/// CPU allows.
fn aes256_pbkdf2(
    engine: Engine,
    password: &[u8],
    salt: &[u8],
    iterations: u32,
    out: &mut [u8; 32],
) {
    let key = HmacKey::<Sha1>::new(password);
    let mut jobs = [1, 2].map(|index| Job {
        chain: key.chain(salt, index),
        iterations,
    });
    let t = engine.sha1(&jobs);
    jobs.zeroize();
    tkey_from_blocks(&t[0], &t[1], out);
}

/// `T_1 || T_2[..12]`: the 32 bytes of PBKDF2-HMAC-SHA1 AES256 uses.
pub(crate) fn tkey_from_blocks(first: &Sha1State, second: &Sha1State, out: &mut [u8; 32]) {
    let mut block = [0u8; 20];
    state_bytes::<Sha1>(first, &mut block);
    out[..20].copy_from_slice(&block);
    state_bytes::<Sha1>(second, &mut block);
    out[20..].copy_from_slice(&block[..12]);
    block.zeroize();
}
