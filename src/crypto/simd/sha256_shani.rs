//! SHA-256 PBKDF2 with SHA-NI, `N` chains interleaved.
//!
//! SHA-NI keeps the state as two registers, `abef` (A in the top lane,
//! then B, E, F) and `cdgh`; message registers hold four words with the
//! first in lane 0. A digest becomes the next message with two unpacks and
//! two shuffles per iteration.

use core::arch::x86_64::*;

use zeroize::Zeroize;

use super::sha256_lanes::K;
use super::{Chain, Sha256State};

/// Bit length of a digest message after HMAC's key block: (64 + 32) * 8.
pub(super) const DIGEST_MESSAGE_BITS: i32 = 768;

/// A SHA-256 state in SHA-NI layout.
#[derive(Clone, Copy)]
pub(super) struct State {
    pub(super) abef: __m128i,
    pub(super) cdgh: __m128i,
}

impl Zeroize for State {
    fn zeroize(&mut self) {
        self.abef.zeroize();
        self.cdgh.zeroize();
    }
}

#[target_feature(enable = "sha,sse2,ssse3,sse4.1")]
pub(super) fn load(words: &Sha256State) -> State {
    let [a, b, c, d, e, f, g, h] = words.map(|w| w as i32);
    State {
        abef: _mm_set_epi32(a, b, e, f),
        cdgh: _mm_set_epi32(c, d, g, h),
    }
}

#[target_feature(enable = "sha,sse2,ssse3,sse4.1")]
pub(super) fn store(state: State) -> Sha256State {
    [
        _mm_extract_epi32::<3>(state.abef),
        _mm_extract_epi32::<2>(state.abef),
        _mm_extract_epi32::<3>(state.cdgh),
        _mm_extract_epi32::<2>(state.cdgh),
        _mm_extract_epi32::<1>(state.abef),
        _mm_extract_epi32::<0>(state.abef),
        _mm_extract_epi32::<1>(state.cdgh),
        _mm_extract_epi32::<0>(state.cdgh),
    ]
    .map(|w| w as u32)
}

/// The padded one-block message holding a previous digest.
#[target_feature(enable = "sha,sse2,ssse3,sse4.1")]
pub(super) fn digest_message(digest: State) -> [__m128i; 4] {
    // unpackhi_epi64 gives (B, A, D, C) from lane 0 up; 0xB1 swaps pairs.
    let abcd = _mm_shuffle_epi32::<0xB1>(_mm_unpackhi_epi64(digest.abef, digest.cdgh));
    let efgh = _mm_shuffle_epi32::<0xB1>(_mm_unpacklo_epi64(digest.abef, digest.cdgh));
    [
        abcd,
        efgh,
        _mm_set_epi32(0, 0, 0, 0x8000_0000u32 as i32),
        _mm_set_epi32(DIGEST_MESSAGE_BITS, 0, 0, 0),
    ]
}

/// Four rounds of group `G` (0..16) for every lane; `G` is a constant,
/// so message indices fold away after inlining.
#[target_feature(enable = "sha,sse2,ssse3,sse4.1")]
#[inline]
pub(super) fn group<const G: usize, const N: usize>(
    abef: &mut [__m128i; N],
    cdgh: &mut [__m128i; N],
    w: &mut [[__m128i; 4]; N],
) {
    let k = _mm_set_epi32(
        K[4 * G + 3] as i32,
        K[4 * G + 2] as i32,
        K[4 * G + 1] as i32,
        K[4 * G] as i32,
    );
    for lane in 0..N {
        let w = &mut w[lane];
        if G >= 4 {
            // W[G] from W[G-4], W[G-3], W[G-2], W[G-1] (held at G%4, G+1, G+2, G+3).
            let sigma0 = _mm_sha256msg1_epu32(w[G % 4], w[(G + 1) % 4]);
            let minus7 = _mm_alignr_epi8::<4>(w[(G + 3) % 4], w[(G + 2) % 4]);
            w[G % 4] = _mm_sha256msg2_epu32(_mm_add_epi32(sigma0, minus7), w[(G + 3) % 4]);
        }
        let kw = _mm_add_epi32(w[G % 4], k);
        cdgh[lane] = _mm_sha256rnds2_epu32(cdgh[lane], abef[lane], kw);
        abef[lane] = _mm_sha256rnds2_epu32(abef[lane], cdgh[lane], _mm_shuffle_epi32::<0x0E>(kw));
    }
}

/// One compression per lane: `states[lane]` over `messages[lane]`.
#[target_feature(enable = "sha,sse2,ssse3,sse4.1")]
#[inline]
fn compress<const N: usize>(states: &[State; N], messages: [[__m128i; 4]; N]) -> [State; N] {
    let mut w = messages;
    let mut abef: [__m128i; N] = core::array::from_fn(|lane| states[lane].abef);
    let mut cdgh: [__m128i; N] = core::array::from_fn(|lane| states[lane].cdgh);
    macro_rules! groups {
        ($($g:literal)*) => { $( group::<$g, N>(&mut abef, &mut cdgh, &mut w); )* };
    }
    groups!(0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15);
    let out = core::array::from_fn(|lane| State {
        abef: _mm_add_epi32(abef[lane], states[lane].abef),
        cdgh: _mm_add_epi32(cdgh[lane], states[lane].cdgh),
    });
    w.zeroize();
    abef.zeroize();
    cdgh.zeroize();
    out
}

/// `T` of each chain after `iterations` iterations.
///
/// # Safety
/// The CPU must support SHA-NI, SSE2, SSSE3 and SSE4.1.
#[target_feature(enable = "sha,sse2,ssse3,sse4.1")]
pub(super) unsafe fn pbkdf2<const N: usize>(
    chains: &[Chain<Sha256State>; N],
    iterations: u32,
) -> [Sha256State; N] {
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
            t[lane].abef = _mm_xor_si128(t[lane].abef, u[lane].abef);
            t[lane].cdgh = _mm_xor_si128(t[lane].cdgh, u[lane].cdgh);
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
