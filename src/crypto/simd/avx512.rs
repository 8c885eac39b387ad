//! [`Lanes`] on AVX-512 registers, and the kernels built on them.
//!
//! Each method is one instruction: `vprold`/`vprord` rotate, and
//! `vpternlogd` computes Ch and Maj of three registers at once; 32
//! registers hold a SHA-1 or SHA-256 state and its whole message schedule.

use core::arch::x86_64::*;

use zeroize::Zeroize;

use super::lanes::Lanes;
use super::pbkdf2_lanes::pbkdf2;
use super::sha1_lanes::Sha1Lanes;
use super::sha256_lanes::Sha256Lanes;
use super::{Avx512, Chain, Sha1State, Sha256State};

/// Sixteen lanes in a 512-bit register. Only [`Lanes::splat`] and
/// [`Lanes::load`] make one, and both take an [`Avx512`] token, so every
/// `Zmm` in existence proves the CPU has AVX-512F: that is the safety
/// argument of every `unsafe` block below.
#[derive(Clone, Copy)]
pub(super) struct Zmm(__m512i);

impl Zeroize for Zmm {
    fn zeroize(&mut self) {
        self.0.zeroize();
    }
}

/// `vpternlogd` truth tables: bit `4x + 2y + z` of the immediate is the
/// function's value at `(x, y, z)`.
const CHOOSE: i32 = 0xCA;
const MAJORITY: i32 = 0xE8;

impl Lanes for Zmm {
    type Token = Avx512;
    type Words = [u32; 16];
    const LANES: usize = 16;

    #[inline(always)]
    fn splat(_: Avx512, word: u32) -> Self {
        // SAFETY: the token proves AVX-512F.
        Self(unsafe { _mm512_set1_epi32(word as i32) })
    }
    #[inline(always)]
    fn load(_: Avx512, words: &[u32; 16]) -> Self {
        // SAFETY: the token proves AVX-512F; `words` is 64 readable bytes
        // and the load has no alignment requirement.
        Self(unsafe { _mm512_loadu_si512(words.as_ptr().cast()) })
    }
    #[inline(always)]
    fn store(self, words: &mut [u32; 16]) {
        // SAFETY: a `Zmm` proves AVX-512F; `words` is 64 writable bytes
        // and the store has no alignment requirement.
        unsafe { _mm512_storeu_si512(words.as_mut_ptr().cast(), self.0) }
    }
    #[inline(always)]
    fn add(self, other: Self) -> Self {
        // SAFETY: a `Zmm` proves AVX-512F.
        Self(unsafe { _mm512_add_epi32(self.0, other.0) })
    }
    #[inline(always)]
    fn xor(self, other: Self) -> Self {
        // SAFETY: a `Zmm` proves AVX-512F.
        Self(unsafe { _mm512_xor_si512(self.0, other.0) })
    }
    #[inline(always)]
    fn rotate_left<const BITS: i32>(self) -> Self {
        // SAFETY: a `Zmm` proves AVX-512F.
        Self(unsafe { _mm512_rol_epi32::<BITS>(self.0) })
    }
    #[inline(always)]
    fn rotate_right<const BITS: i32>(self) -> Self {
        // SAFETY: a `Zmm` proves AVX-512F.
        Self(unsafe { _mm512_ror_epi32::<BITS>(self.0) })
    }
    #[inline(always)]
    fn shift_right<const BITS: u32>(self) -> Self {
        // SAFETY: a `Zmm` proves AVX-512F.
        Self(unsafe { _mm512_srli_epi32::<BITS>(self.0) })
    }
    #[inline(always)]
    fn choose(self, y: Self, z: Self) -> Self {
        // SAFETY: a `Zmm` proves AVX-512F.
        Self(unsafe { _mm512_ternarylogic_epi32::<CHOOSE>(self.0, y.0, z.0) })
    }
    #[inline(always)]
    fn majority(self, y: Self, z: Self) -> Self {
        // SAFETY: a `Zmm` proves AVX-512F.
        Self(unsafe { _mm512_ternarylogic_epi32::<MAJORITY>(self.0, y.0, z.0) })
    }
    #[inline(always)]
    fn parity(self, y: Self, z: Self) -> Self {
        // Two xors, not `vpternlogd`: the compiler folds the message
        // schedule's constant words into plain xors first, then fuses what
        // is left into `vpternlogd` itself.
        self.xor(y).xor(z)
    }
}

/// SHA-1 PBKDF2 over `G` groups of sixteen chains; the generic kernel is
/// inlined here and so compiled for AVX-512.
#[target_feature(enable = "avx512f")]
pub(super) fn sha1<const G: usize>(
    token: Avx512,
    chains: &[Chain<Sha1State>],
    iterations: u32,
    out: &mut [Sha1State],
) {
    pbkdf2::<Zmm, Sha1Lanes, 5, G>(token, chains, iterations, out);
}

/// SHA-256 PBKDF2 over sixteen chains, like [`sha1`].
#[target_feature(enable = "avx512f")]
pub(super) fn sha256(
    token: Avx512,
    chains: &[Chain<Sha256State>],
    iterations: u32,
    out: &mut [Sha256State],
) {
    pbkdf2::<Zmm, Sha256Lanes, 8, 1>(token, chains, iterations, out);
}
