//! SHA-1 PBKDF2 over eight chains with AVX2: lane `i` of every register
//! belongs to chain `i`, so a digest's state words are the next message's
//! first five words without any shuffling.

use core::arch::x86_64::*;

use zeroize::Zeroize;

use super::avx2_lanes::{load, store};
use super::{AVX2_LANES, Chain, Sha1State};

/// Bit length of a digest message after HMAC's key block: (64 + 20) * 8.
const DIGEST_MESSAGE_BITS: i32 = 672;

pub(super) type State = [__m256i; 5];

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
pub(super) fn splat(word: u32) -> __m256i {
    _mm256_set1_epi32(word as i32)
}

/// Round `T` (0..80): the message schedule step, then the round itself.
/// `T` is a constant, so after inlining every index and branch folds away
/// and `w` lives in registers (or plain stack slots), never indexed.
#[target_feature(enable = "avx2")]
#[inline]
pub(super) fn round<const T: usize>(v: &mut State, w: &mut [__m256i; 16]) {
    if T >= 16 {
        let x = _mm256_xor_si256(
            _mm256_xor_si256(w[(T + 13) % 16], w[(T + 8) % 16]),
            _mm256_xor_si256(w[(T + 2) % 16], w[T % 16]),
        );
        w[T % 16] = rotl1(x);
    }
    let [a, b, c, d, e] = *v;
    let (f, k) = match T {
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
        _mm256_add_epi32(_mm256_add_epi32(e, splat(k)), w[T % 16]),
    );
    *v = [sum, a, rotl30(b), c, d];
}

/// One compression of `state` over the padded message holding `digest`.
#[target_feature(enable = "avx2")]
#[inline]
fn compress_digest(state: &State, digest: &State) -> State {
    let mut w = [_mm256_setzero_si256(); 16];
    w[..5].copy_from_slice(digest);
    w[5] = splat(0x8000_0000);
    w[15] = _mm256_set1_epi32(DIGEST_MESSAGE_BITS);
    let mut v = *state;
    macro_rules! rounds {
        ($($t:literal)*) => { $( round::<$t>(&mut v, &mut w); )* };
    }
    rounds!(0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31 32 33 34 35 36 37 38 39 40 41 42 43 44 45 46 47 48 49 50 51 52 53 54 55 56 57 58 59 60 61 62 63 64 65 66 67 68 69 70 71 72 73 74 75 76 77 78 79);
    let out = core::array::from_fn(|i| _mm256_add_epi32(state[i], v[i]));
    w.zeroize();
    v.zeroize();
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
