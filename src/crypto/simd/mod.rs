//! Multi-buffer PBKDF2 kernels: the only place in the crate with `unsafe`.
//!
//! Each kernel finishes several independent PBKDF2 [`Chain`]s at once
//! (`T = U_1 ^ … ^ U_c`) with the chaining state kept in vector registers:
//! the message of every iteration is the previous digest plus constant
//! padding, so it is built from the state registers directly, never through
//! memory. Two families:
//!
//! - SHA-NI (`sha1_shani`, `sha256_shani`): a few chains interleaved, one
//!   per set of SHA registers, on the dedicated SHA instructions.
//! - Lanes (`lanes`, `sha1_lanes`, `sha256_lanes`, `pbkdf2_lanes`): one
//!   chain per 32-bit lane, written once over the [`lanes::Lanes`]
//!   vector trait. Its portable implementation on plain arrays runs on
//!   every CPU; the AVX2 (`avx2`) and AVX-512 (`avx512`) implementations
//!   are thin mappings to intrinsics, so the differential tests of the
//!   portable lanes exercise the same schedule, rounds, interleaving and
//!   packing the vector kernels run.
//!
//! Vector kernels are `#[target_feature]` functions, reached only through
//! the safe wrappers below, which take a token ([`ShaNi`], [`Avx2`],
//! [`Avx512`]) that can only be made after run-time detection found the
//! feature. On other architectures the tokens are uninhabited, so the
//! wrappers compile but can never be called.
//!
//! Secrets pass through registers and stack arrays; every array a kernel
//! fills is zeroized before it returns (register contents are beyond the
//! language's reach, as for every Rust zeroization).

use super::pbkdf2::Chain;

#[cfg(target_arch = "x86_64")]
mod avx2;
#[cfg(target_arch = "x86_64")]
mod avx512;
mod lanes;
mod pbkdf2_lanes;
mod sha1_lanes;
#[cfg(target_arch = "x86_64")]
mod sha1_shani;
mod sha256_lanes;
#[cfg(target_arch = "x86_64")]
mod sha256_shani;

use lanes::ArrayLanes;
use sha1_lanes::Sha1Lanes;
use sha256_lanes::Sha256Lanes;

/// SHA-1 chaining state words.
pub(crate) type Sha1State = [u32; 5];
/// SHA-256 chaining state words.
pub(crate) type Sha256State = [u32; 8];

/// SHA-1 chains the SHA-NI kernel keeps in flight at once. Zen 3 issues
/// `sha1rnds4` far faster than its latency, so one chain leaves the unit
/// idle most of the time; measured there (keys/s, one core): one chain
/// 1,560, two 2,230, three 2,660, four 2,790. More would spill registers.
pub(crate) const SHA1_SHANI_LANES: usize = 4;
/// SHA-256 chains the SHA-NI kernel keeps in flight at once: a SHA-256
/// state takes two registers more than SHA-1's, and on Zen 3 two chains
/// already reach what three or four do (OrgId hashes/s, one core: one
/// chain 11,700, two 18,000, four 18,000).
pub(crate) const SHA256_SHANI_LANES: usize = 2;
/// Lanes of a 256-bit register of 32-bit words (one group: with sixteen
/// registers a second group's message schedule would live in memory).
pub(crate) const AVX2_LANES: usize = 8;
/// Interleaved groups of the portable lane kernel: two, so interleaving
/// is exercised on every CPU.
const ARRAY_GROUPS: usize = 2;
/// Chains per call of the portable lane kernel.
pub(crate) const ARRAY_LANES: usize = ARRAY_GROUPS * lanes::ARRAY_LANES;
/// Lanes of a 512-bit register of 32-bit words.
const AVX512_LANES: usize = 16;
/// SHA-1 chains per AVX-512 kernel call: two interleaved groups of
/// sixteen. Measured on Zen 4 (one core, CPU time): one group about 7,600
/// AES keys/s, two about 8,050 (a SHA-1 state and schedule take 21 of the
/// 32 registers, so the second group spills a little but hides latency).
pub(crate) const AVX512_SHA1_LANES: usize = 2 * AVX512_LANES;
/// SHA-256 chains per AVX-512 kernel call: one group of sixteen. Two
/// groups measured 2% slower on Zen 4 (about 29,800 against 30,400 OrgId
/// hashes/s): a SHA-256 state and schedule take 24 registers.
pub(crate) const AVX512_SHA256_LANES: usize = AVX512_LANES;

/// Proof that this CPU has SHA-NI (with the SSE levels its kernels use).
#[cfg(target_arch = "x86_64")]
#[derive(Clone, Copy, Debug)]
pub(crate) struct ShaNi(());

/// Proof that this CPU has AVX2.
#[cfg(target_arch = "x86_64")]
#[derive(Clone, Copy, Debug)]
pub(crate) struct Avx2(());

/// Proof that this CPU has AVX-512F.
#[cfg(target_arch = "x86_64")]
#[derive(Clone, Copy, Debug)]
pub(crate) struct Avx512(());

/// Proof that this CPU has SHA-NI: uninhabited off x86-64.
#[cfg(not(target_arch = "x86_64"))]
#[derive(Clone, Copy, Debug)]
pub(crate) enum ShaNi {}

/// Proof that this CPU has AVX2: uninhabited off x86-64.
#[cfg(not(target_arch = "x86_64"))]
#[derive(Clone, Copy, Debug)]
pub(crate) enum Avx2 {}

/// Proof that this CPU has AVX-512F: uninhabited off x86-64.
#[cfg(not(target_arch = "x86_64"))]
#[derive(Clone, Copy, Debug)]
pub(crate) enum Avx512 {}

impl ShaNi {
    /// The token, if the CPU has SHA-NI, SSSE3 and SSE4.1.
    pub(crate) fn detect() -> Option<Self> {
        #[cfg(target_arch = "x86_64")]
        {
            let found = std::arch::is_x86_feature_detected!("sha")
                && std::arch::is_x86_feature_detected!("ssse3")
                && std::arch::is_x86_feature_detected!("sse4.1");
            found.then_some(Self(()))
        }
        #[cfg(not(target_arch = "x86_64"))]
        None
    }
}

impl Avx2 {
    /// The token, if the CPU has AVX2.
    pub(crate) fn detect() -> Option<Self> {
        #[cfg(target_arch = "x86_64")]
        {
            std::arch::is_x86_feature_detected!("avx2").then_some(Self(()))
        }
        #[cfg(not(target_arch = "x86_64"))]
        None
    }
}

impl Avx512 {
    /// The token, if the CPU has AVX-512F.
    pub(crate) fn detect() -> Option<Self> {
        #[cfg(target_arch = "x86_64")]
        {
            std::arch::is_x86_feature_detected!("avx512f").then_some(Self(()))
        }
        #[cfg(not(target_arch = "x86_64"))]
        None
    }
}

/// Finishes up to [`SHA1_SHANI_LANES`] SHA-1 chains with `iterations`
/// iterations each, writing each `T` to the matching `out` entry.
pub(crate) fn sha1_shani(
    token: ShaNi,
    chains: &[Chain<Sha1State>],
    iterations: u32,
    out: &mut [Sha1State],
) {
    #[cfg(target_arch = "x86_64")]
    {
        let _ = token;
        assert_lanes(chains.len(), out.len(), SHA1_SHANI_LANES);
        // SAFETY: `token` exists only if `ShaNi::detect` found SHA-NI,
        // SSSE3 and SSE4.1, the features these kernels are compiled with.
        unsafe {
            match chains.len() {
                1 => lanes_into(sha1_shani::pbkdf2::<1>(first_n(chains), iterations), out),
                2 => lanes_into(sha1_shani::pbkdf2::<2>(first_n(chains), iterations), out),
                3 => lanes_into(sha1_shani::pbkdf2::<3>(first_n(chains), iterations), out),
                _ => lanes_into(sha1_shani::pbkdf2::<4>(first_n(chains), iterations), out),
            }
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        let _ = (chains, iterations, out);
        match token {}
    }
}

/// Finishes up to [`SHA256_SHANI_LANES`] SHA-256 chains, like [`sha1_shani`].
pub(crate) fn sha256_shani(
    token: ShaNi,
    chains: &[Chain<Sha256State>],
    iterations: u32,
    out: &mut [Sha256State],
) {
    #[cfg(target_arch = "x86_64")]
    {
        let _ = token;
        assert_lanes(chains.len(), out.len(), SHA256_SHANI_LANES);
        // SAFETY: `token` exists only if `ShaNi::detect` found SHA-NI,
        // SSSE3 and SSE4.1, the features these kernels are compiled with.
        unsafe {
            match chains.len() {
                1 => lanes_into(sha256_shani::pbkdf2::<1>(first_n(chains), iterations), out),
                _ => lanes_into(sha256_shani::pbkdf2::<2>(first_n(chains), iterations), out),
            }
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        let _ = (chains, iterations, out);
        match token {}
    }
}

/// Finishes up to [`AVX2_LANES`] SHA-1 chains, one per 32-bit lane;
/// unused lanes repeat the first chain and are discarded.
pub(crate) fn sha1_avx2(
    token: Avx2,
    chains: &[Chain<Sha1State>],
    iterations: u32,
    out: &mut [Sha1State],
) {
    #[cfg(target_arch = "x86_64")]
    {
        assert_lanes(chains.len(), out.len(), AVX2_LANES);
        // SAFETY: `token` exists only if `Avx2::detect` found AVX2.
        unsafe { avx2::sha1(token, chains, iterations, out) }
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        let _ = (chains, iterations, out);
        match token {}
    }
}

/// Finishes up to [`AVX2_LANES`] SHA-256 chains, like [`sha1_avx2`].
pub(crate) fn sha256_avx2(
    token: Avx2,
    chains: &[Chain<Sha256State>],
    iterations: u32,
    out: &mut [Sha256State],
) {
    #[cfg(target_arch = "x86_64")]
    {
        assert_lanes(chains.len(), out.len(), AVX2_LANES);
        // SAFETY: `token` exists only if `Avx2::detect` found AVX2.
        unsafe { avx2::sha256(token, chains, iterations, out) }
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        let _ = (chains, iterations, out);
        match token {}
    }
}

/// Finishes up to [`AVX512_SHA1_LANES`] SHA-1 chains, one per 32-bit
/// lane, in two interleaved groups (one when sixteen chains or fewer are
/// left, so a short tail does not pay for a second group).
pub(crate) fn sha1_avx512(
    token: Avx512,
    chains: &[Chain<Sha1State>],
    iterations: u32,
    out: &mut [Sha1State],
) {
    #[cfg(target_arch = "x86_64")]
    {
        assert_lanes(chains.len(), out.len(), AVX512_SHA1_LANES);
        // SAFETY: `token` exists only if `Avx512::detect` found AVX-512F.
        unsafe {
            if chains.len() <= AVX512_LANES {
                avx512::sha1::<1>(token, chains, iterations, out)
            } else {
                avx512::sha1::<2>(token, chains, iterations, out)
            }
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        let _ = (chains, iterations, out);
        match token {}
    }
}

/// Finishes up to [`AVX512_SHA256_LANES`] SHA-256 chains, one per lane.
pub(crate) fn sha256_avx512(
    token: Avx512,
    chains: &[Chain<Sha256State>],
    iterations: u32,
    out: &mut [Sha256State],
) {
    #[cfg(target_arch = "x86_64")]
    {
        assert_lanes(chains.len(), out.len(), AVX512_SHA256_LANES);
        // SAFETY: `token` exists only if `Avx512::detect` found AVX-512F.
        unsafe { avx512::sha256(token, chains, iterations, out) }
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        let _ = (chains, iterations, out);
        match token {}
    }
}

/// Finishes up to [`ARRAY_LANES`] SHA-1 chains with the lane kernel on
/// plain arrays, in [`ARRAY_GROUPS`] interleaved groups: the vector
/// kernels' logic (groups included), on any CPU.
pub(crate) fn sha1_array_lanes(
    chains: &[Chain<Sha1State>],
    iterations: u32,
    out: &mut [Sha1State],
) {
    assert_lanes(chains.len(), out.len(), ARRAY_LANES);
    pbkdf2_lanes::pbkdf2::<ArrayLanes, Sha1Lanes, 5, ARRAY_GROUPS>((), chains, iterations, out);
}

/// Finishes up to [`ARRAY_LANES`] SHA-256 chains, like [`sha1_array_lanes`].
pub(crate) fn sha256_array_lanes(
    chains: &[Chain<Sha256State>],
    iterations: u32,
    out: &mut [Sha256State],
) {
    assert_lanes(chains.len(), out.len(), ARRAY_LANES);
    pbkdf2_lanes::pbkdf2::<ArrayLanes, Sha256Lanes, 8, ARRAY_GROUPS>((), chains, iterations, out);
}

/// The scheduler never hands a kernel more chains than it has lanes, nor
/// an output slice of another length.
fn assert_lanes(chains: usize, out: usize, lanes: usize) {
    assert!(
        (1..=lanes).contains(&chains) && chains == out,
        "kernel called with {chains} chains, {out} outputs, {lanes} lanes"
    );
}

/// The first `N` chains as an array (the caller checked the length).
#[cfg(target_arch = "x86_64")]
fn first_n<S: Copy, const N: usize>(chains: &[Chain<S>]) -> &[Chain<S>; N] {
    chains
        .get(..N)
        .and_then(|head| head.try_into().ok())
        .unwrap_or_else(|| unreachable!("length checked by assert_lanes"))
}

/// Copies the kernel's results for the used lanes into `out`, zeroizing
/// the kernel's array.
#[cfg(target_arch = "x86_64")]
fn lanes_into<S: Copy + zeroize::Zeroize, const N: usize>(mut result: [S; N], out: &mut [S]) {
    for (dst, src) in out.iter_mut().zip(&result) {
        *dst = *src;
    }
    zeroize::Zeroize::zeroize(&mut result);
}
