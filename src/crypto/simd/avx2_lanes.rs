//! Moving chain states in and out of AVX2 registers, shared by the SHA-1
//! and SHA-256 kernels: word `w` of chain `i` lives in lane `i` of register
//! `w`, so `WORDS` is the state width (5 or 8).

use core::arch::x86_64::*;

use zeroize::Zeroize;

use super::{AVX2_LANES, Chain};

/// Word `word` of every chain's state, chain `i` in lane `i`.
#[target_feature(enable = "avx2")]
fn gather<const WORDS: usize>(states: [&[u32; WORDS]; AVX2_LANES], word: usize) -> __m256i {
    let mut w = states.map(|s| s[word] as i32);
    let register = _mm256_set_epi32(w[7], w[6], w[5], w[4], w[3], w[2], w[1], w[0]);
    w.zeroize();
    register
}

/// The state `pick` selects from each chain, as `WORDS` registers.
#[target_feature(enable = "avx2")]
pub(super) fn load<const WORDS: usize>(
    chains: &[Chain<[u32; WORDS]>; AVX2_LANES],
    pick: fn(&Chain<[u32; WORDS]>) -> &[u32; WORDS],
) -> [__m256i; WORDS] {
    let states = core::array::from_fn(|lane| pick(&chains[lane]));
    core::array::from_fn(|word| gather(states, word))
}

/// Each lane's state back out of the registers.
#[target_feature(enable = "avx2")]
pub(super) fn store<const WORDS: usize>(state: &[__m256i; WORDS]) -> [[u32; WORDS]; AVX2_LANES] {
    let mut out = [[0u32; WORDS]; AVX2_LANES];
    for (word, register) in state.iter().enumerate() {
        let mut lanes = [
            _mm256_extract_epi32::<0>(*register),
            _mm256_extract_epi32::<1>(*register),
            _mm256_extract_epi32::<2>(*register),
            _mm256_extract_epi32::<3>(*register),
            _mm256_extract_epi32::<4>(*register),
            _mm256_extract_epi32::<5>(*register),
            _mm256_extract_epi32::<6>(*register),
            _mm256_extract_epi32::<7>(*register),
        ];
        for (chain, value) in out.iter_mut().zip(lanes) {
            chain[word] = value as u32;
        }
        lanes.zeroize();
    }
    out
}
