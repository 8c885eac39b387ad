//! [`Lanes`] on AVX2 registers, and the kernels built on them.
//!
//! AVX2 has neither rotations nor three-input logic, so a rotation is two
//! shifts and an or, and Ch and Maj take three or four instructions.

use core::arch::x86_64::*;

use zeroize::Zeroize;

use super::lanes::Lanes;
use super::pbkdf2_lanes::pbkdf2;
use super::sha1_lanes::Sha1Lanes;
use super::sha256_lanes::Sha256Lanes;
use super::{Avx2, Chain, Sha1State, Sha256State};

/// Eight lanes in a 256-bit register. Only [`Lanes::splat`] and
/// [`Lanes::load`] make one, and both take an [`Avx2`] token, so every
/// `Ymm` in existence proves the CPU has AVX2: that is the safety
/// argument of every `unsafe` block below.
#[derive(Clone, Copy)]
pub(super) struct Ymm(__m256i);

impl Zeroize for Ymm {
    fn zeroize(&mut self) {
        self.0.zeroize();
    }
}

impl Ymm {
    /// Shifts by a count the compiler sees as a constant: it emits the
    /// immediate form (`vpslld ymm, ymm, imm8`).
    #[inline(always)]
    fn shift_left_by(self, bits: u32) -> Self {
        // SAFETY: a `Ymm` proves AVX2 (SSE2 comes with it).
        Self(unsafe { _mm256_sll_epi32(self.0, _mm_cvtsi32_si128(bits as i32)) })
    }
    #[inline(always)]
    fn shift_right_by(self, bits: u32) -> Self {
        // SAFETY: a `Ymm` proves AVX2 (SSE2 comes with it).
        Self(unsafe { _mm256_srl_epi32(self.0, _mm_cvtsi32_si128(bits as i32)) })
    }
    #[inline(always)]
    fn and(self, other: Self) -> Self {
        // SAFETY: a `Ymm` proves AVX2.
        Self(unsafe { _mm256_and_si256(self.0, other.0) })
    }
    #[inline(always)]
    fn or(self, other: Self) -> Self {
        // SAFETY: a `Ymm` proves AVX2.
        Self(unsafe { _mm256_or_si256(self.0, other.0) })
    }
}

impl Lanes for Ymm {
    type Token = Avx2;
    type Words = [u32; 8];
    const LANES: usize = 8;

    #[inline(always)]
    fn splat(_: Avx2, word: u32) -> Self {
        // SAFETY: the token proves AVX2.
        Self(unsafe { _mm256_set1_epi32(word as i32) })
    }
    #[inline(always)]
    fn load(_: Avx2, words: &[u32; 8]) -> Self {
        // SAFETY: the token proves AVX2; `words` is 32 readable bytes and
        // the load has no alignment requirement.
        Self(unsafe { _mm256_loadu_si256(words.as_ptr().cast()) })
    }
    #[inline(always)]
    fn store(self, words: &mut [u32; 8]) {
        // SAFETY: a `Ymm` proves AVX2; `words` is 32 writable bytes and
        // the store has no alignment requirement.
        unsafe { _mm256_storeu_si256(words.as_mut_ptr().cast(), self.0) }
    }
    #[inline(always)]
    fn add(self, other: Self) -> Self {
        // SAFETY: a `Ymm` proves AVX2.
        Self(unsafe { _mm256_add_epi32(self.0, other.0) })
    }
    #[inline(always)]
    fn xor(self, other: Self) -> Self {
        // SAFETY: a `Ymm` proves AVX2.
        Self(unsafe { _mm256_xor_si256(self.0, other.0) })
    }
    #[inline(always)]
    fn rotate_left<const BITS: i32>(self) -> Self {
        self.shift_left_by(BITS as u32)
            .or(self.shift_right_by(32 - BITS as u32))
    }
    #[inline(always)]
    fn rotate_right<const BITS: i32>(self) -> Self {
        self.shift_right_by(BITS as u32)
            .or(self.shift_left_by(32 - BITS as u32))
    }
    #[inline(always)]
    fn shift_right<const BITS: u32>(self) -> Self {
        self.shift_right_by(BITS)
    }
    #[inline(always)]
    fn choose(self, y: Self, z: Self) -> Self {
        z.xor(self.and(y.xor(z)))
    }
    #[inline(always)]
    fn majority(self, y: Self, z: Self) -> Self {
        self.and(y).or(z.and(self.or(y)))
    }
    #[inline(always)]
    fn parity(self, y: Self, z: Self) -> Self {
        self.xor(y).xor(z)
    }
}

/// SHA-1 PBKDF2 over eight chains; the generic kernel is
/// inlined here and so compiled for AVX2.
#[target_feature(enable = "avx2")]
pub(super) fn sha1(
    token: Avx2,
    chains: &[Chain<Sha1State>],
    iterations: u32,
    out: &mut [Sha1State],
) {
    pbkdf2::<Ymm, Sha1Lanes, 5, 1>(token, chains, iterations, out);
}

/// SHA-256 PBKDF2 over eight chains, like [`sha1`].
#[target_feature(enable = "avx2")]
pub(super) fn sha256(
    token: Avx2,
    chains: &[Chain<Sha256State>],
    iterations: u32,
    out: &mut [Sha256State],
) {
    pbkdf2::<Ymm, Sha256Lanes, 8, 1>(token, chains, iterations, out);
}
