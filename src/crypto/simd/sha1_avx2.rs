//! SHA-1 PBKDF2 over eight chains with AVX2: lane `i` of every register
//! belongs to chain `i`, so a digest's state words are the next message's
//! first five words without any shuffling.

use core::arch::x86_64::*;

use zeroize::Zeroize;

use super::{AVX2_LANES, Chain, Sha1State};

/// Bit length of a digest message after HMAC's key block: (64 + 20) * 8.
const DIGEST_MESSAGE_BITS: i32 = 672;

type State = [__m256i; 5];

macro_rules! rotate_left {
    ($name:ident, $bits:literal) => {
        #[target_feature(enable = "avx2")]
        fn $name(x: __m256i) -> __m256i {
            _mm256_or_si256(
                _mm256_slli_epi32::<$bits>(x),
                _mm256_srli_epi32::<{ 32 - $bits }>(x),
            )
        }
    };
}
rotate_left!(rotl1, 1);
rotate_left!(rotl5, 5);
rotate_left!(rotl30, 30);

#[target_feature(enable = "avx2")]
fn splat(word: u32) -> __m256i {
    _mm256_set1_epi32(word as i32)
}

/// Word `word` of every chain's state, chain `i` in lane `i`.
#[target_feature(enable = "avx2")]
fn gather(states: [&Sha1State; AVX2_LANES], word: usize) -> __m256i {
    let w = states.map(|s| s[word] as i32);
    _mm256_set_epi32(w[7], w[6], w[5], w[4], w[3], w[2], w[1], w[0])
}

#[target_feature(enable = "avx2")]
fn load(
    chains: &[Chain<Sha1State>; AVX2_LANES],
    pick: fn(&Chain<Sha1State>) -> &Sha1State,
) -> State {
    let states = core::array::from_fn(|lane| pick(&chains[lane]));
    core::array::from_fn(|word| gather(states, word))
}

#[target_feature(enable = "avx2")]
fn store(state: &State) -> [Sha1State; AVX2_LANES] {
    let mut out = [[0u32; 5]; AVX2_LANES];
    for (word, register) in state.iter().enumerate() {
        let lanes = [
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
    }
    out
}

/// One compression of `state` over the padded message holding `digest`.
#[target_feature(enable = "avx2")]
fn compress_digest(state: &State, digest: &State) -> State {
    let mut w = [_mm256_setzero_si256(); 16];
    w[..5].copy_from_slice(digest);
    w[5] = splat(0x8000_0000);
    w[15] = _mm256_set1_epi32(DIGEST_MESSAGE_BITS);
    let [mut a, mut b, mut c, mut d, mut e] = *state;
    for t in 0..80 {
        if t >= 16 {
            let x = _mm256_xor_si256(
                _mm256_xor_si256(w[(t + 13) % 16], w[(t + 8) % 16]),
                _mm256_xor_si256(w[(t + 2) % 16], w[t % 16]),
            );
            w[t % 16] = rotl1(x);
        }
        let (f, k) = match t {
            0..20 => (
                _mm256_xor_si256(d, _mm256_and_si256(b, _mm256_xor_si256(c, d))),
                0x5A82_7999,
            ),
            20..40 => (_mm256_xor_si256(_mm256_xor_si256(b, c), d), 0x6ED9_EBA1),
            40..60 => (
                _mm256_or_si256(
                    _mm256_and_si256(b, c),
                    _mm256_and_si256(d, _mm256_or_si256(b, c)),
                ),
                0x8F1B_BCDC,
            ),
            _ => (_mm256_xor_si256(_mm256_xor_si256(b, c), d), 0xCA62_C1D6),
        };
        let sum = _mm256_add_epi32(
            _mm256_add_epi32(rotl5(a), f),
            _mm256_add_epi32(_mm256_add_epi32(e, splat(k)), w[t % 16]),
        );
        e = d;
        d = c;
        c = rotl30(b);
        b = a;
        a = sum;
    }
    let mut working = [a, b, c, d, e];
    let out = core::array::from_fn(|i| _mm256_add_epi32(state[i], working[i]));
    w.zeroize();
    working.zeroize();
    out
}

/// `T` of each of the eight chains after `iterations` iterations.
///
/// # Safety
/// The CPU must support AVX2.
#[target_feature(enable = "avx2")]
pub(super) unsafe fn pbkdf2(
    chains: &[Chain<Sha1State>; AVX2_LANES],
    iterations: u32,
) -> [Sha1State; AVX2_LANES] {
    let mut inner = load(chains, |c| &c.inner);
    let mut outer = load(chains, |c| &c.outer);
    let mut u = load(chains, |c| &c.first);
    let mut t = u;
    for _ in 1..iterations {
        let mut hashed = compress_digest(&inner, &u);
        u = compress_digest(&outer, &hashed);
        for (acc, word) in t.iter_mut().zip(&u) {
            *acc = _mm256_xor_si256(*acc, *word);
        }
        hashed.zeroize();
    }
    let out = store(&t);
    inner.zeroize();
    outer.zeroize();
    u.zeroize();
    t.zeroize();
    out
}
