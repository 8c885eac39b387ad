//! PBKDF2's iteration loop over `G` groups of lanes, one chain per lane,
//! and the packing of chains into lanes and of results back out.
//!
//! Word `w` of the chain in lane `i` of group `g` is lane `i` of the `w`th
//! vector of group `g`, so a digest's state vectors are the next message's
//! first words as they stand: no shuffling between iterations. Groups are
//! independent computations interleaved round by round, which gives an
//! out-of-order core more independent instructions than one group has.
//!
//! The arrays this loop keeps its states in are zeroized when it ends. A
//! compression's message schedule and working variables are not: they
//! are meant to live in registers, and zeroizing them would force them
//! into memory on every round (measured on Zen 4: 30% slower),
//! to clear copies that would otherwise never exist.

use zeroize::Zeroize;

use super::Chain;
use super::lanes::Lanes;

/// A hash's compression function in lane form, specialised to the only
/// messages PBKDF2 hashes after `U_1`.
pub(super) trait DigestCompression<const WORDS: usize> {
    /// Each lane's `state` compressed over the padded block that holds the
    /// lane's `digest` and follows HMAC's 64-byte key block.
    fn compress_digest<V: Lanes, const G: usize>(
        token: V::Token,
        state: &[[V; WORDS]; G],
        digest: &[[V; WORDS]; G],
    ) -> [[V; WORDS]; G];
}

/// Finishes up to `G * V::LANES` chains with `iterations` iterations each,
/// writing chain `i`'s `T` to `out[i]`. Lanes without a chain repeat the
/// first one and their results are dropped.
#[inline(always)]
pub(super) fn pbkdf2<V, H, const WORDS: usize, const G: usize>(
    token: V::Token,
    chains: &[Chain<[u32; WORDS]>],
    iterations: u32,
    out: &mut [[u32; WORDS]],
) where
    V: Lanes,
    H: DigestCompression<WORDS>,
{
    let mut inner = pack::<V, WORDS, G>(token, chains, |chain| &chain.inner);
    let mut outer = pack::<V, WORDS, G>(token, chains, |chain| &chain.outer);
    let mut u = pack::<V, WORDS, G>(token, chains, |chain| &chain.first);
    let mut t = u;
    let mut hashed = u;
    for _ in 1..iterations {
        hashed = H::compress_digest::<V, G>(token, &inner, &u);
        u = H::compress_digest::<V, G>(token, &outer, &hashed);
        for (t_group, u_group) in t.iter_mut().zip(&u) {
            for (acc, word) in t_group.iter_mut().zip(u_group) {
                *acc = acc.xor(*word);
            }
        }
    }
    unpack::<V, WORDS, G>(&t, out);
    hashed.zeroize();
    inner.zeroize();
    outer.zeroize();
    u.zeroize();
    t.zeroize();
}

/// The state `pick` selects from every chain, chain `g * LANES + i` in
/// lane `i` of group `g`.
#[inline(always)]
fn pack<V: Lanes, const WORDS: usize, const G: usize>(
    token: V::Token,
    chains: &[Chain<[u32; WORDS]>],
    pick: impl Fn(&Chain<[u32; WORDS]>) -> &[u32; WORDS],
) -> [[V; WORDS]; G] {
    let mut words = V::Words::default();
    let mut packed = [[V::splat(token, 0); WORDS]; G];
    for (group, vectors) in packed.iter_mut().enumerate() {
        for (word, vector) in vectors.iter_mut().enumerate() {
            for (lane, slot) in words.as_mut().iter_mut().enumerate() {
                let chain = chains.get(group * V::LANES + lane).unwrap_or(&chains[0]);
                *slot = pick(chain)[word];
            }
            *vector = V::load(token, &words);
        }
    }
    words.zeroize();
    packed
}

/// Each used lane's state into `out`, in chain order.
#[inline(always)]
fn unpack<V: Lanes, const WORDS: usize, const G: usize>(
    state: &[[V; WORDS]; G],
    out: &mut [[u32; WORDS]],
) {
    let mut words = V::Words::default();
    for (group, vectors) in state.iter().enumerate() {
        for (word, vector) in vectors.iter().enumerate() {
            vector.store(&mut words);
            let lanes = out.iter_mut().skip(group * V::LANES).take(V::LANES);
            for (chain, value) in lanes.zip(words.as_ref()) {
                chain[word] = *value;
            }
        }
    }
    words.zeroize();
}
