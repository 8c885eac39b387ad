//! SHA-1 PBKDF2 with SHA-NI, `N` chains interleaved.
//!
//! Register layout follows the SHA-NI instructions: `abcd` holds A in the
//! top lane down to D in lane 0; `e` holds E in the top lane and zeros
//! below (which `sha1nexte` preserves). A message register holds four
//! words with the first in the top lane, so a digest's `abcd` *is* the
//! first message register of the next block, and `e` plus the `0x80`
//! padding word is the second.

use core::arch::x86_64::*;

use zeroize::Zeroize;

use super::{Chain, Sha1State};

/// Bit length of a digest message after HMAC's key block: (64 + 20) * 8.
pub(super) const DIGEST_MESSAGE_BITS: i32 = 672;

/// A SHA-1 state in SHA-NI layout.
#[derive(Clone, Copy)]
pub(super) struct State {
    pub(super) abcd: __m128i,
    pub(super) e: __m128i,
}

#[target_feature(enable = "sha,sse2,ssse3,sse4.1")]
pub(super) fn load(words: &Sha1State) -> State {
    let [a, b, c, d, e] = words.map(|w| w as i32);
    State {
        abcd: _mm_set_epi32(a, b, c, d),
        e: _mm_set_epi32(e, 0, 0, 0),
    }
}

#[target_feature(enable = "sha,sse2,ssse3,sse4.1")]
pub(super) fn store(state: State) -> Sha1State {
    [
        _mm_extract_epi32::<3>(state.abcd),
        _mm_extract_epi32::<2>(state.abcd),
        _mm_extract_epi32::<1>(state.abcd),
        _mm_extract_epi32::<0>(state.abcd),
        _mm_extract_epi32::<3>(state.e),
    ]
    .map(|w| w as u32)
}

/// The padded one-block message holding a previous digest.
#[target_feature(enable = "sha,sse2,ssse3,sse4.1")]
pub(super) fn digest_message(digest: State) -> [__m128i; 4] {
    [
        digest.abcd,
        _mm_or_si128(digest.e, _mm_set_epi32(0, 0x8000_0000u32 as i32, 0, 0)),
        _mm_setzero_si128(),
        _mm_set_epi32(0, 0, 0, DIGEST_MESSAGE_BITS),
    ]
}

/// Four rounds of group `g` (1..20) for every lane, with round function `F`.
#[target_feature(enable = "sha,sse2,ssse3,sse4.1")]
pub(super) fn group<const F: i32, const N: usize>(
    g: usize,
    abcd: &mut [__m128i; N],
    previous: &mut [__m128i; N],
    w: &mut [[__m128i; 4]; N],
) {
    for lane in 0..N {
        let w = &mut w[lane];
        if g >= 4 {
            // W[g] from W[g-4], W[g-3], W[g-2], W[g-1] (held at g%4, g+1, g+2, g+3).
            let mixed = _mm_xor_si128(_mm_sha1msg1_epu32(w[g % 4], w[(g + 1) % 4]), w[(g + 2) % 4]);
            w[g % 4] = _mm_sha1msg2_epu32(mixed, w[(g + 3) % 4]);
        }
        let e = _mm_sha1nexte_epu32(previous[lane], w[g % 4]);
        previous[lane] = abcd[lane];
        abcd[lane] = _mm_sha1rnds4_epu32::<F>(abcd[lane], e);
    }
}

/// One compression per lane: `states[lane]` over `messages[lane]`.
#[target_feature(enable = "sha,sse2,ssse3,sse4.1")]
fn compress<const N: usize>(states: &[State; N], messages: [[__m128i; 4]; N]) -> [State; N] {
    let mut w = messages;
    let mut abcd: [__m128i; N] = core::array::from_fn(|lane| states[lane].abcd);
    let mut previous = abcd;
    for lane in 0..N {
        let e = _mm_add_epi32(states[lane].e, w[lane][0]);
        abcd[lane] = _mm_sha1rnds4_epu32::<0>(abcd[lane], e);
    }
    for g in 1..5 {
        group::<0, N>(g, &mut abcd, &mut previous, &mut w);
    }
    for g in 5..10 {
        group::<1, N>(g, &mut abcd, &mut previous, &mut w);
    }
    for g in 10..15 {
        group::<2, N>(g, &mut abcd, &mut previous, &mut w);
    }
    for g in 15..20 {
        group::<3, N>(g, &mut abcd, &mut previous, &mut w);
    }
    let out = core::array::from_fn(|lane| State {
        abcd: _mm_add_epi32(abcd[lane], states[lane].abcd),
        e: _mm_sha1nexte_epu32(previous[lane], states[lane].e),
    });
    w.zeroize();
    abcd.zeroize();
    previous.zeroize();
    out
}

/// `T` of each chain after `iterations` iterations.
///
/// # Safety
/// The CPU must support SHA-NI, SSE2, SSSE3 and SSE4.1.
#[target_feature(enable = "sha,sse2,ssse3,sse4.1")]
pub(super) unsafe fn pbkdf2<const N: usize>(
    chains: &[Chain<Sha1State>; N],
    iterations: u32,
) -> [Sha1State; N] {
    let mut inner: [State; N] = core::array::from_fn(|lane| load(&chains[lane].inner));
    let mut outer: [State; N] = core::array::from_fn(|lane| load(&chains[lane].outer));
    let mut u: [State; N] = core::array::from_fn(|lane| load(&chains[lane].first));
    let mut t = u;
    for _ in 1..iterations {
        let mut messages = u.map(|digest| digest_message(digest));
        let mut hashed = compress(&inner, messages);
        messages = hashed.map(|digest| digest_message(digest));
        u = compress(&outer, messages);
        for lane in 0..N {
            t[lane].abcd = _mm_xor_si128(t[lane].abcd, u[lane].abcd);
            t[lane].e = _mm_xor_si128(t[lane].e, u[lane].e);
        }
        messages.zeroize();
        hashed.zeroize();
    }
    let out = t.map(|state| store(state));
    inner.zeroize();
    outer.zeroize();
    u.zeroize();
    t.zeroize();
    out
}

impl Zeroize for State {
    fn zeroize(&mut self) {
        self.abcd.zeroize();
        self.e.zeroize();
    }
}
