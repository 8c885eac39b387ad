//! SHA-256's compression (FIPS 180-4 §6.2.2) in lane form, for PBKDF2's
//! digest-sized messages.

use super::lanes::Lanes;
use super::pbkdf2_lanes::DigestCompression;

/// Bit length of a digest message after HMAC's key block: (64 + 32) * 8.
const DIGEST_MESSAGE_BITS: u32 = 768;

/// SHA-256 round constants (FIPS 180-4 §4.2.2).
pub(super) const K: [u32; 64] = [
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
];

/// SHA-256 over lanes.
pub(super) struct Sha256Lanes;

/// Round `T` (0..64) of every group: the message schedule step (from
/// round 16 on), then the round; `T` is a constant, so indices fold away
/// after inlining, as do the constant message words.
#[inline(always)]
fn round<V: Lanes, const T: usize, const G: usize>(
    token: V::Token,
    v: &mut [[V; 8]; G],
    w: &mut [[V; 16]; G],
) {
    let k = V::splat(token, K[T]);
    for (v, w) in v.iter_mut().zip(w.iter_mut()) {
        if T >= 16 {
            let w15 = w[(T + 1) % 16];
            let w2 = w[(T + 14) % 16];
            let sigma0 = w15
                .rotate_right::<7>()
                .parity(w15.rotate_right::<18>(), w15.shift_right::<3>());
            let sigma1 = w2
                .rotate_right::<17>()
                .parity(w2.rotate_right::<19>(), w2.shift_right::<10>());
            w[T % 16] = w[T % 16].add(sigma0).add(w[(T + 9) % 16]).add(sigma1);
        }
        let [a, b, c, d, e, f, g, h] = *v;
        let big_sigma1 = e
            .rotate_right::<6>()
            .parity(e.rotate_right::<11>(), e.rotate_right::<25>());
        let t1 = h.add(k).add(w[T % 16]).add(e.choose(f, g)).add(big_sigma1);
        let big_sigma0 = a
            .rotate_right::<2>()
            .parity(a.rotate_right::<13>(), a.rotate_right::<22>());
        let t2 = big_sigma0.add(a.majority(b, c));
        *v = [t1.add(t2), a, b, c, d.add(t1), e, f, g];
    }
}

impl DigestCompression<8> for Sha256Lanes {
    #[inline(always)]
    fn compress_digest<V: Lanes, const G: usize>(
        token: V::Token,
        state: &[[V; 8]; G],
        digest: &[[V; 8]; G],
    ) -> [[V; 8]; G] {
        // Closures would be compiled without the kernel's target features
        // and keep the intrinsics inside them out of line: plain loops only.
        let zero = V::splat(token, 0);
        let mut w = [[zero; 16]; G];
        for (w, digest) in w.iter_mut().zip(digest) {
            w[..8].copy_from_slice(digest);
            w[8] = V::splat(token, 0x8000_0000);
            w[15] = V::splat(token, DIGEST_MESSAGE_BITS);
        }
        let mut v = *state;
        macro_rules! rounds {
            ($($t:literal)*) => { $( round::<V, $t, G>(token, &mut v, &mut w); )* };
        }
        rounds!(0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29
            30 31 32 33 34 35 36 37 38 39 40 41 42 43 44 45 46 47 48 49 50 51 52 53 54 55 56 57 58
            59 60 61 62 63);
        for (v, state) in v.iter_mut().zip(state) {
            for (word, initial) in v.iter_mut().zip(state) {
                *word = word.add(*initial);
            }
        }
        v
    }
}
