//! SHA-256 PBKDF2 over eight chains with AVX2, one chain per lane.

use core::arch::x86_64::*;

use zeroize::Zeroize;

use super::avx2_lanes::{load, store};
use super::sha256_shani::K;
use super::{AVX2_LANES, Chain, Sha256State};

/// Bit length of a digest message after HMAC's key block: (64 + 32) * 8.
const DIGEST_MESSAGE_BITS: i32 = 768;

pub(super) type State = [__m256i; 8];

macro_rules! rotate_right {
    ($name:ident, $bits:literal) => {
        #[target_feature(enable = "avx2")]
        fn $name(x: __m256i) -> __m256i {
            _mm256_or_si256(
                _mm256_srli_epi32::<$bits>(x),
                _mm256_slli_epi32::<{ 32 - $bits }>(x),
            )
        }
    };
}
rotate_right!(rotr2, 2);
rotate_right!(rotr6, 6);
rotate_right!(rotr7, 7);
rotate_right!(rotr11, 11);
rotate_right!(rotr13, 13);
rotate_right!(rotr17, 17);
rotate_right!(rotr18, 18);
rotate_right!(rotr19, 19);
rotate_right!(rotr22, 22);
rotate_right!(rotr25, 25);

#[target_feature(enable = "avx2")]
fn xor3(a: __m256i, b: __m256i, c: __m256i) -> __m256i {
    _mm256_xor_si256(_mm256_xor_si256(a, b), c)
}

/// Round `T` (0..64): the message schedule step, then the round itself;
/// `T` is a constant, so indices and branches fold away after inlining.
#[target_feature(enable = "avx2")]
#[inline]
pub(super) fn round<const T: usize>(v: &mut State, w: &mut [__m256i; 16]) {
    if T >= 16 {
        let w15 = w[(T + 1) % 16];
        let w2 = w[(T + 14) % 16];
        let sigma0 = xor3(rotr7(w15), rotr18(w15), _mm256_srli_epi32::<3>(w15));
        let sigma1 = xor3(rotr17(w2), rotr19(w2), _mm256_srli_epi32::<10>(w2));
        w[T % 16] = _mm256_add_epi32(
            _mm256_add_epi32(w[T % 16], sigma0),
            _mm256_add_epi32(w[(T + 9) % 16], sigma1),
        );
    }
    let [a, b, c, d, e, f, g, h] = *v;
    let big_sigma1 = xor3(rotr6(e), rotr11(e), rotr25(e));
    let choose = _mm256_xor_si256(g, _mm256_and_si256(e, _mm256_xor_si256(f, g)));
    let t1 = _mm256_add_epi32(
        _mm256_add_epi32(h, big_sigma1),
        _mm256_add_epi32(
            choose,
            _mm256_add_epi32(_mm256_set1_epi32(K[T] as i32), w[T % 16]),
        ),
    );
    let big_sigma0 = xor3(rotr2(a), rotr13(a), rotr22(a));
    let majority = _mm256_or_si256(
        _mm256_and_si256(a, b),
        _mm256_and_si256(c, _mm256_or_si256(a, b)),
    );
    let t2 = _mm256_add_epi32(big_sigma0, majority);
    *v = [
        _mm256_add_epi32(t1, t2),
        a,
        b,
        c,
        _mm256_add_epi32(d, t1),
        e,
        f,
        g,
    ];
}

/// One compression of `state` over the padded message holding `digest`.
#[target_feature(enable = "avx2")]
#[inline]
fn compress_digest(state: &State, digest: &State) -> State {
    let mut w = [_mm256_setzero_si256(); 16];
    w[..8].copy_from_slice(digest);
    w[8] = _mm256_set1_epi32(0x8000_0000u32 as i32);
    w[15] = _mm256_set1_epi32(DIGEST_MESSAGE_BITS);
    let mut v = *state;
    macro_rules! rounds {
        ($($t:literal)*) => { $( round::<$t>(&mut v, &mut w); )* };
    }
    rounds!(0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31 32 33 34 35 36 37 38 39 40 41 42 43 44 45 46 47 48 49 50 51 52 53 54 55 56 57 58 59 60 61 62 63);
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
    chains: &[Chain<Sha256State>; AVX2_LANES],
    iterations: u32,
) -> [Sha256State; AVX2_LANES] {
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
