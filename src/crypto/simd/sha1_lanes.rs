//! SHA-1's compression (FIPS 180-4 §6.1.2) in lane form, for PBKDF2's
//! digest-sized messages.

use super::lanes::Lanes;
use super::pbkdf2_lanes::DigestCompression;

/// Bit length of a digest message after HMAC's key block: (64 + 20) * 8.
const DIGEST_MESSAGE_BITS: u32 = 672;

/// The round constants, one per 20 rounds (FIPS 180-4 §4.2.1).
const K: [u32; 4] = [0x5A82_7999, 0x6ED9_EBA1, 0x8F1B_BCDC, 0xCA62_C1D6];

/// SHA-1 over lanes.
pub(super) struct Sha1Lanes;

/// Round `T` (0..80) of every group: the message schedule step (from
/// round 16 on), then the round. `T` is a constant, so after inlining the
/// indices and the choice of function fold away and `w` stays in
/// registers; the message words that are constant (padding, zeros) fold
/// into the arithmetic.
#[inline(always)]
fn round<V: Lanes, const T: usize, const G: usize>(
    token: V::Token,
    v: &mut [[V; 5]; G],
    w: &mut [[V; 16]; G],
) {
    let k = V::splat(token, K[T / 20]);
    for (v, w) in v.iter_mut().zip(w.iter_mut()) {
        if T >= 16 {
            let mixed = w[(T + 13) % 16].parity(w[(T + 8) % 16], w[(T + 2) % 16]);
            w[T % 16] = mixed.xor(w[T % 16]).rotate_left::<1>();
        }
        let [a, b, c, d, e] = *v;
        let f = match T / 20 {
            0 => b.choose(c, d),
            2 => b.majority(c, d),
            _ => b.parity(c, d),
        };
        let sum = e.add(k).add(w[T % 16]).add(f).add(a.rotate_left::<5>());
        *v = [sum, a, b.rotate_left::<30>(), c, d];
    }
}

impl DigestCompression<5> for Sha1Lanes {
    #[inline(always)]
    fn compress_digest<V: Lanes, const G: usize>(
        token: V::Token,
        state: &[[V; 5]; G],
        digest: &[[V; 5]; G],
    ) -> [[V; 5]; G] {
        // Closures would be compiled without the kernel's target features
        // and keep the intrinsics inside them out of line: plain loops only.
        let zero = V::splat(token, 0);
        let mut w = [[zero; 16]; G];
        for (w, digest) in w.iter_mut().zip(digest) {
            w[..5].copy_from_slice(digest);
            w[5] = V::splat(token, 0x8000_0000);
            w[15] = V::splat(token, DIGEST_MESSAGE_BITS);
        }
        let mut v = *state;
        macro_rules! rounds {
            ($($t:literal)*) => { $( round::<V, $t, G>(token, &mut v, &mut w); )* };
        }
        rounds!(0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29
            30 31 32 33 34 35 36 37 38 39 40 41 42 43 44 45 46 47 48 49 50 51 52 53 54 55 56 57 58
            59 60 61 62 63 64 65 66 67 68 69 70 71 72 73 74 75 76 77 78 79);
        for (v, state) in v.iter_mut().zip(state) {
            for (word, initial) in v.iter_mut().zip(state) {
                *word = word.add(*initial);
            }
        }
        v
    }
}
