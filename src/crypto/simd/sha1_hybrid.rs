//! SHA-1 PBKDF2 on both units at once: eight AVX2 lanes and
//! [`NI_CHAINS`] SHA-NI chains in one instruction stream.
//!
//! SHA-NI rounds and AVX2 integer arithmetic compete only partly for the
//! same execution ports, so neither kernel alone keeps a core busy. Here
//! every fourth AVX2 round is followed by one four-round SHA-NI group (80
//! rounds each way), fine-grained enough for out-of-order execution to
//! overlap them.

use core::arch::x86_64::*;

use zeroize::Zeroize;

use super::sha1_avx2 as vector;
use super::sha1_shani as ni;
use super::{AVX2_LANES, Chain, Sha1State};

/// SHA-NI chains beside the eight AVX2 lanes.
pub(crate) const NI_CHAINS: usize = 2;
/// Chains per call.
pub(crate) const LANES: usize = AVX2_LANES + NI_CHAINS;

/// One compression per chain: the AVX2 lanes of `state` over the message
/// holding `digest`, and each SHA-NI chain likewise.
#[target_feature(enable = "avx2,sha,sse2,ssse3,sse4.1")]
#[inline]
#[allow(clippy::too_many_lines)]
fn compress(
    state: &vector::State,
    digest: &vector::State,
    ni_states: &[ni::State; NI_CHAINS],
    ni_digests: &[ni::State; NI_CHAINS],
) -> (vector::State, [ni::State; NI_CHAINS]) {
    let mut w = [_mm256_setzero_si256(); 16];
    w[..5].copy_from_slice(digest);
    w[5] = vector::splat(0x8000_0000);
    w[15] = vector::splat(ni::DIGEST_MESSAGE_BITS as u32);
    let mut v = *state;

    let mut ni_w = ni_digests.map(|digest| ni::digest_message(digest));
    let mut abcd: [__m128i; NI_CHAINS] = core::array::from_fn(|lane| ni_states[lane].abcd);
    let mut previous = abcd;
    for lane in 0..NI_CHAINS {
        let e = _mm_add_epi32(ni_states[lane].e, ni_w[lane][0]);
        abcd[lane] = _mm_sha1rnds4_epu32::<0>(abcd[lane], e);
    }

    vector::round::<0>(&mut v, &mut w);
    vector::round::<1>(&mut v, &mut w);
    vector::round::<2>(&mut v, &mut w);
    vector::round::<3>(&mut v, &mut w);
    ni::group::<0, NI_CHAINS>(1, &mut abcd, &mut previous, &mut ni_w);
    vector::round::<4>(&mut v, &mut w);
    vector::round::<5>(&mut v, &mut w);
    vector::round::<6>(&mut v, &mut w);
    vector::round::<7>(&mut v, &mut w);
    ni::group::<0, NI_CHAINS>(2, &mut abcd, &mut previous, &mut ni_w);
    vector::round::<8>(&mut v, &mut w);
    vector::round::<9>(&mut v, &mut w);
    vector::round::<10>(&mut v, &mut w);
    vector::round::<11>(&mut v, &mut w);
    ni::group::<0, NI_CHAINS>(3, &mut abcd, &mut previous, &mut ni_w);
    vector::round::<12>(&mut v, &mut w);
    vector::round::<13>(&mut v, &mut w);
    vector::round::<14>(&mut v, &mut w);
    vector::round::<15>(&mut v, &mut w);
    ni::group::<0, NI_CHAINS>(4, &mut abcd, &mut previous, &mut ni_w);
    vector::round::<16>(&mut v, &mut w);
    vector::round::<17>(&mut v, &mut w);
    vector::round::<18>(&mut v, &mut w);
    vector::round::<19>(&mut v, &mut w);
    ni::group::<1, NI_CHAINS>(5, &mut abcd, &mut previous, &mut ni_w);
    vector::round::<20>(&mut v, &mut w);
    vector::round::<21>(&mut v, &mut w);
    vector::round::<22>(&mut v, &mut w);
    vector::round::<23>(&mut v, &mut w);
    ni::group::<1, NI_CHAINS>(6, &mut abcd, &mut previous, &mut ni_w);
    vector::round::<24>(&mut v, &mut w);
    vector::round::<25>(&mut v, &mut w);
    vector::round::<26>(&mut v, &mut w);
    vector::round::<27>(&mut v, &mut w);
    ni::group::<1, NI_CHAINS>(7, &mut abcd, &mut previous, &mut ni_w);
    vector::round::<28>(&mut v, &mut w);
    vector::round::<29>(&mut v, &mut w);
    vector::round::<30>(&mut v, &mut w);
    vector::round::<31>(&mut v, &mut w);
    ni::group::<1, NI_CHAINS>(8, &mut abcd, &mut previous, &mut ni_w);
    vector::round::<32>(&mut v, &mut w);
    vector::round::<33>(&mut v, &mut w);
    vector::round::<34>(&mut v, &mut w);
    vector::round::<35>(&mut v, &mut w);
    ni::group::<1, NI_CHAINS>(9, &mut abcd, &mut previous, &mut ni_w);
    vector::round::<36>(&mut v, &mut w);
    vector::round::<37>(&mut v, &mut w);
    vector::round::<38>(&mut v, &mut w);
    vector::round::<39>(&mut v, &mut w);
    ni::group::<2, NI_CHAINS>(10, &mut abcd, &mut previous, &mut ni_w);
    vector::round::<40>(&mut v, &mut w);
    vector::round::<41>(&mut v, &mut w);
    vector::round::<42>(&mut v, &mut w);
    vector::round::<43>(&mut v, &mut w);
    ni::group::<2, NI_CHAINS>(11, &mut abcd, &mut previous, &mut ni_w);
    vector::round::<44>(&mut v, &mut w);
    vector::round::<45>(&mut v, &mut w);
    vector::round::<46>(&mut v, &mut w);
    vector::round::<47>(&mut v, &mut w);
    ni::group::<2, NI_CHAINS>(12, &mut abcd, &mut previous, &mut ni_w);
    vector::round::<48>(&mut v, &mut w);
    vector::round::<49>(&mut v, &mut w);
    vector::round::<50>(&mut v, &mut w);
    vector::round::<51>(&mut v, &mut w);
    ni::group::<2, NI_CHAINS>(13, &mut abcd, &mut previous, &mut ni_w);
    vector::round::<52>(&mut v, &mut w);
    vector::round::<53>(&mut v, &mut w);
    vector::round::<54>(&mut v, &mut w);
    vector::round::<55>(&mut v, &mut w);
    ni::group::<2, NI_CHAINS>(14, &mut abcd, &mut previous, &mut ni_w);
    vector::round::<56>(&mut v, &mut w);
    vector::round::<57>(&mut v, &mut w);
    vector::round::<58>(&mut v, &mut w);
    vector::round::<59>(&mut v, &mut w);
    ni::group::<3, NI_CHAINS>(15, &mut abcd, &mut previous, &mut ni_w);
    vector::round::<60>(&mut v, &mut w);
    vector::round::<61>(&mut v, &mut w);
    vector::round::<62>(&mut v, &mut w);
    vector::round::<63>(&mut v, &mut w);
    ni::group::<3, NI_CHAINS>(16, &mut abcd, &mut previous, &mut ni_w);
    vector::round::<64>(&mut v, &mut w);
    vector::round::<65>(&mut v, &mut w);
    vector::round::<66>(&mut v, &mut w);
    vector::round::<67>(&mut v, &mut w);
    ni::group::<3, NI_CHAINS>(17, &mut abcd, &mut previous, &mut ni_w);
    vector::round::<68>(&mut v, &mut w);
    vector::round::<69>(&mut v, &mut w);
    vector::round::<70>(&mut v, &mut w);
    vector::round::<71>(&mut v, &mut w);
    ni::group::<3, NI_CHAINS>(18, &mut abcd, &mut previous, &mut ni_w);
    vector::round::<72>(&mut v, &mut w);
    vector::round::<73>(&mut v, &mut w);
    vector::round::<74>(&mut v, &mut w);
    vector::round::<75>(&mut v, &mut w);
    ni::group::<3, NI_CHAINS>(19, &mut abcd, &mut previous, &mut ni_w);
    vector::round::<76>(&mut v, &mut w);
    vector::round::<77>(&mut v, &mut w);
    vector::round::<78>(&mut v, &mut w);
    vector::round::<79>(&mut v, &mut w);

    let out = core::array::from_fn(|i| _mm256_add_epi32(state[i], v[i]));
    let ni_out = core::array::from_fn(|lane| ni::State {
        abcd: _mm_add_epi32(abcd[lane], ni_states[lane].abcd),
        e: _mm_sha1nexte_epu32(previous[lane], ni_states[lane].e),
    });
    w.zeroize();
    v.zeroize();
    ni_w.zeroize();
    abcd.zeroize();
    previous.zeroize();
    (out, ni_out)
}

/// `T` of each of the [`LANES`] chains after `iterations` iterations: the
/// first eight on AVX2, the rest on SHA-NI.
///
/// # Safety
/// The CPU must support AVX2, SHA-NI, SSE2, SSSE3 and SSE4.1.
#[target_feature(enable = "avx2,sha,sse2,ssse3,sse4.1")]
pub(super) unsafe fn pbkdf2(
    chains: &[Chain<Sha1State>; LANES],
    iterations: u32,
) -> [Sha1State; LANES] {
    let (vector_chains, ni_chains) = chains.split_at(AVX2_LANES);
    let vector_chains: &[Chain<Sha1State>; AVX2_LANES] = vector_chains
        .try_into()
        .unwrap_or_else(|_| unreachable!("split at AVX2_LANES"));
    let mut inner = vector::load(vector_chains, |c| &c.inner);
    let mut outer = vector::load(vector_chains, |c| &c.outer);
    let mut u = vector::load(vector_chains, |c| &c.first);
    let mut t = u;
    let mut ni_inner: [ni::State; NI_CHAINS] =
        core::array::from_fn(|i| ni::load(&ni_chains[i].inner));
    let mut ni_outer: [ni::State; NI_CHAINS] =
        core::array::from_fn(|i| ni::load(&ni_chains[i].outer));
    let mut ni_u: [ni::State; NI_CHAINS] = core::array::from_fn(|i| ni::load(&ni_chains[i].first));
    let mut ni_t = ni_u;
    for _ in 1..iterations {
        let (mut hashed, mut ni_hashed) = compress(&inner, &u, &ni_inner, &ni_u);
        (u, ni_u) = compress(&outer, &hashed, &ni_outer, &ni_hashed);
        for (acc, word) in t.iter_mut().zip(&u) {
            *acc = _mm256_xor_si256(*acc, *word);
        }
        for (acc, word) in ni_t.iter_mut().zip(&ni_u) {
            acc.abcd = _mm_xor_si128(acc.abcd, word.abcd);
            acc.e = _mm_xor_si128(acc.e, word.e);
        }
        hashed.zeroize();
        ni_hashed.zeroize();
    }
    let vector_out = vector::store(&t);
    let out = core::array::from_fn(|lane| {
        if lane < AVX2_LANES {
            vector_out[lane]
        } else {
            ni::store(ni_t[lane - AVX2_LANES])
        }
    });
    inner.zeroize();
    outer.zeroize();
    u.zeroize();
    t.zeroize();
    ni_inner.zeroize();
    ni_outer.zeroize();
    ni_u.zeroize();
    ni_t.zeroize();
    out
}
