//! Many derivations at once: NT hash and both AES keys for many
//! (password, salt) pairs, and OrgId hashes for many NT hashes.
//!
//! One password's PBKDF2 is a chain of thousands of dependent compressions,
//! which leaves most of a modern core idle. Many passwords are many
//! independent chains, and the crate packs them into the lanes of the
//! fastest kernel this CPU has (sixteen AVX-512 lanes, eight AVX2 lanes or
//! several interleaved SHA-NI chains, chosen by measuring them on the first
//! call; see the README's "Backends"), then spreads the work over all cores
//! with `rayon` (with the `parallel` feature; without it, the all-cores
//! functions run on the calling thread). Results come back in input order, one `Result` per
//! input, holding the same zeroizing secret types as the single-item API.
//!
//! ```
//! use hashsync::crypto::bulk::{self, LegacyInput};
//! use hashsync::{aes_keys, Iterations, Password, Salt};
//!
//! let passwords = [Password::new("Summer2024!"), Password::new("hunter2")];
//! let salt = Salt::from("ONPREM.CONTOSO.COMjsmith");
//! let inputs: Vec<LegacyInput<'_>> = passwords
//!     .iter()
//!     .map(|password| LegacyInput { password, salt: &salt, iterations: 4096 })
//!     .collect();
//! let keys = bulk::legacy_keys(&inputs);
//! let first = keys[0].as_ref().map_err(|e| *e)?;
//! assert_eq!(first.aes, aes_keys(&passwords[0], &salt, Iterations::KERBEROS_DEFAULT));
//! assert_eq!(first.nt_hash, hashsync::nt_hash(&passwords[0]));
//! # Ok::<(), hashsync::Error>(())
//! ```

#[cfg(feature = "parallel")]
use rayon::prelude::*;
use zeroize::{Zeroize, Zeroizing};

use super::dispatch::{Job, Plan};
use super::kerberos::{AesKeys, Iterations, aes_keys_from_tkey, tkey_from_blocks};
use super::nt::nt_hash;
use super::org_id::org_id_password;
use super::pbkdf2::{HmacKey, Sha1, Sha256, state_bytes};
use super::salt::Salt;
use crate::error::{Error, Result};
use crate::secret::{NtHash, OrgIdHash, Password};

/// Passwords per `rayon` task: 32 SHA-1 chains (two per password) fill
/// every kernel's lanes exactly (2, 4, 8, 16 or 32), and a thousand
/// passwords still make 63 tasks to balance over the cores.
const LEGACY_TASK_INPUTS: usize = 16;
/// NT hashes per `rayon` task: one SHA-256 chain each, 32 as above.
const ORG_ID_TASK_INPUTS: usize = 32;

/// One account's input to [`legacy_keys`].
#[derive(Clone, Copy, Debug)]
pub struct LegacyInput<'a> {
    /// The password (AES keys use its lossy UTF-8 conversion, as AD does).
    pub password: &'a Password,
    /// The Kerberos salt (the account's stored one, when syncing).
    pub salt: &'a Salt,
    /// The PBKDF2 iteration count: 4096 for AD; a raw number as found in
    /// stored credentials, so zero is reported as [`Error::ZeroIterations`].
    pub iterations: u32,
}

/// One password's legacy credentials: what Entra Domain Services needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LegacyKeys {
    /// The NT hash (RC4-HMAC key).
    pub nt_hash: NtHash,
    /// The AES256 and AES128 Kerberos keys.
    pub aes: AesKeys,
}

/// NT hash and both AES keys for every input, on all cores; results in
/// input order (see the [module example](self)).
pub fn legacy_keys(inputs: &[LegacyInput<'_>]) -> Vec<Result<LegacyKeys>> {
    legacy_keys_parallel(Plan::bulk_sha1(), inputs)
}

/// [`legacy_keys`] on the calling thread only: for callers that manage
/// their own threads, and for one-core measurements.
///
/// ```
/// use hashsync::crypto::bulk::{self, LegacyInput};
/// use hashsync::{Error, Password, Salt};
///
/// let password = Password::new("hunter2");
/// let salt = Salt::from("EXAMPLE.COMuser");
/// let keys = bulk::legacy_keys_on_current_thread(&[
///     LegacyInput { password: &password, salt: &salt, iterations: 0 },
///     LegacyInput { password: &password, salt: &salt, iterations: 1 },
/// ]);
/// assert_eq!(keys[0], Err(Error::ZeroIterations));
/// assert!(keys[1].is_ok());
/// ```
pub fn legacy_keys_on_current_thread(inputs: &[LegacyInput<'_>]) -> Vec<Result<LegacyKeys>> {
    legacy_keys_with_plan(Plan::bulk_sha1(), inputs)
}

/// One input to [`org_id_hashes`].
#[derive(Clone, Copy, Debug)]
pub struct OrgIdInput<'a> {
    /// The account's NT hash.
    pub nt_hash: &'a NtHash,
    /// The 10-byte salt.
    pub salt: [u8; 10],
    /// The PBKDF2 iteration count (1000 today, 100 in old agents); zero is
    /// reported as [`Error::ZeroIterations`].
    pub iterations: u32,
}

/// OrgId hashes for every input, on all cores; results in input order.
///
/// ```
/// use hashsync::crypto::bulk::{self, OrgIdInput};
/// use hashsync::NtHash;
///
/// // DSInternals' ConvertTo-OrgIdHash, example 3.
/// let nt = NtHash::from_hex("92937945b518814341de3f726500d4ff")?;
/// let salt = [0xa4, 0x2b, 0x92, 0x06, 0x7e, 0x4b, 0x81, 0x23, 0x10, 0x1a];
/// let hashes = bulk::org_id_hashes(&[OrgIdInput { nt_hash: &nt, salt, iterations: 1000 }]);
/// assert!(hashes[0].as_ref().map_err(|e| *e)?.encode().ends_with(
///     ",1000,f0fc762ea9051ef754652becd83ee5e54c1c857c1c0965abac5d85de9c143911;"
/// ));
/// # Ok::<(), hashsync::Error>(())
/// ```
pub fn org_id_hashes(inputs: &[OrgIdInput<'_>]) -> Vec<Result<OrgIdHash>> {
    org_id_hashes_parallel(Plan::bulk_sha256(), inputs)
}

/// [`org_id_hashes`] on the calling thread only.
pub fn org_id_hashes_on_current_thread(inputs: &[OrgIdInput<'_>]) -> Vec<Result<OrgIdHash>> {
    org_id_hashes_with_plan(Plan::bulk_sha256(), inputs)
}

/// Fresh OrgId hashes (a new random salt each, as every password sync
/// does) for many NT hashes, on all cores; in input order.
///
/// ```
/// use hashsync::crypto::bulk;
/// use hashsync::{nt_hash, Iterations, Password};
///
/// let nts = [nt_hash(&Password::new("a")), nt_hash(&Password::new("b"))];
/// let hashes = bulk::generate_org_id_hashes(&nts, Iterations::ORG_ID_DEFAULT)?;
/// assert!(hashes[1].verify_nt_hash(&nts[1]) && !hashes[1].verify_nt_hash(&nts[0]));
/// # Ok::<(), hashsync::Error>(())
/// ```
pub fn generate_org_id_hashes(
    nt_hashes: &[NtHash],
    iterations: Iterations,
) -> Result<Vec<OrgIdHash>> {
    let mut salts = vec![[0u8; 10]; nt_hashes.len()];
    getrandom::fill(salts.as_flattened_mut()).map_err(|_| Error::RandomSource)?;
    let inputs: Vec<OrgIdInput<'_>> = nt_hashes
        .iter()
        .zip(salts)
        .map(|(nt_hash, salt)| OrgIdInput {
            nt_hash,
            salt,
            iterations: iterations.get(),
        })
        .collect();
    org_id_hashes(&inputs).into_iter().collect()
}

pub(crate) fn legacy_keys_parallel(
    plan: &Plan,
    inputs: &[LegacyInput<'_>],
) -> Vec<Result<LegacyKeys>> {
    #[cfg(feature = "parallel")]
    let chunks = inputs.par_chunks(LEGACY_TASK_INPUTS);
    #[cfg(not(feature = "parallel"))]
    let chunks = inputs.chunks(LEGACY_TASK_INPUTS);
    let parts: Vec<Vec<Result<LegacyKeys>>> = chunks
        .map(|chunk| legacy_keys_with_plan(plan, chunk))
        .collect();
    parts.into_iter().flatten().collect()
}

pub(crate) fn legacy_keys_with_plan(
    plan: &Plan,
    inputs: &[LegacyInput<'_>],
) -> Vec<Result<LegacyKeys>> {
    // Two chains per valid input (PBKDF2 blocks T_1 and T_2); the capacity
    // is exact, so the vector never reallocates and leaves no copy behind.
    let mut jobs = Zeroizing::new(Vec::with_capacity(2 * inputs.len()));
    for input in inputs.iter().filter(|input| input.iterations > 0) {
        let key = HmacKey::<Sha1>::new(&input.password.to_utf8_lossy());
        for index in [1, 2] {
            jobs.push(Job {
                chain: key.chain(input.salt.as_bytes(), index),
                iterations: input.iterations,
            });
        }
    }
    let blocks = plan.sha1(&jobs);
    jobs.zeroize();
    let mut pairs = blocks.chunks_exact(2);
    inputs
        .iter()
        .map(|input| {
            if input.iterations == 0 {
                return Err(Error::ZeroIterations);
            }
            let pair = pairs
                .next()
                .unwrap_or_else(|| unreachable!("two blocks per valid input"));
            let mut tkey = [0u8; 32];
            tkey_from_blocks(&pair[0], &pair[1], &mut tkey);
            let aes = aes_keys_from_tkey(&tkey);
            tkey.zeroize();
            Ok(LegacyKeys {
                nt_hash: nt_hash(input.password),
                aes,
            })
        })
        .collect()
}

pub(crate) fn org_id_hashes_parallel(
    plan: &Plan,
    inputs: &[OrgIdInput<'_>],
) -> Vec<Result<OrgIdHash>> {
    #[cfg(feature = "parallel")]
    let chunks = inputs.par_chunks(ORG_ID_TASK_INPUTS);
    #[cfg(not(feature = "parallel"))]
    let chunks = inputs.chunks(ORG_ID_TASK_INPUTS);
    let parts: Vec<Vec<Result<OrgIdHash>>> = chunks
        .map(|chunk| org_id_hashes_with_plan(plan, chunk))
        .collect();
    parts.into_iter().flatten().collect()
}

pub(crate) fn org_id_hashes_with_plan(
    plan: &Plan,
    inputs: &[OrgIdInput<'_>],
) -> Vec<Result<OrgIdHash>> {
    let mut jobs = Zeroizing::new(Vec::with_capacity(inputs.len()));
    for input in inputs.iter().filter(|input| input.iterations > 0) {
        let key = HmacKey::<Sha256>::new(&org_id_password(input.nt_hash)[..]);
        jobs.push(Job {
            chain: key.chain(&input.salt, 1),
            iterations: input.iterations,
        });
    }
    let blocks = plan.sha256(&jobs);
    jobs.zeroize();
    let mut blocks = blocks.iter();
    inputs
        .iter()
        .map(|input| {
            if input.iterations == 0 {
                return Err(Error::ZeroIterations);
            }
            let block = blocks
                .next()
                .unwrap_or_else(|| unreachable!("one block per valid input"));
            let mut hash = [0u8; 32];
            state_bytes::<Sha256>(block, &mut hash);
            Ok(OrgIdHash {
                salt: input.salt,
                iterations: input.iterations,
                hash,
            })
        })
        .collect()
}
