//! The vector operations the multi-buffer kernels are written over, and
//! their portable implementation on plain arrays.
//!
//! A [`Lanes`] value holds one 32-bit word of each of several independent
//! SHA computations, one per lane. The SHA-1 and SHA-256 lane kernels
//! (`sha1_lanes`, `sha256_lanes`) and the PBKDF2 loop around them
//! (`pbkdf2_lanes`) use nothing else, so the same kernel logic runs on
//! [`ArrayLanes`] (any CPU, and what the differential tests exercise
//! everywhere) and on AVX2 or AVX-512 registers, where each method is one
//! or two instructions.
//!
//! The vector implementations' methods are `#[inline(always)]`: a kernel
//! is entered through one `#[target_feature]` function, and only once
//! everything is inlined into it do the intrinsics become single
//! instructions of that feature set (which is also why the kernels use
//! loops, never closures: a closure is compiled without the features).
//! [`ArrayLanes`]' methods are the opposite, never inlined: inlined, the
//! compiler spends minutes vectorising thousands of scalar operations in
//! one block, for a kernel whose job is to be tested, not to be fast.

use zeroize::Zeroize;

/// One 32-bit word in each of [`Lanes::LANES`] lanes, and the operations
/// SHA-1 and SHA-256 need on it. Arithmetic is lane-wise and wrapping.
pub(super) trait Lanes: Copy + Zeroize {
    /// Proof that the CPU runs this type's instructions: every value is
    /// made from one (`splat`, `load`), so holding a value is the proof.
    type Token: Copy;
    /// One word per lane in memory, lane 0 first.
    type Words: Copy + Default + AsRef<[u32]> + AsMut<[u32]> + Zeroize;
    /// Number of lanes.
    const LANES: usize;

    /// `word` in every lane.
    fn splat(token: Self::Token, word: u32) -> Self;
    /// Lane `i` from `words[i]`.
    fn load(token: Self::Token, words: &Self::Words) -> Self;
    /// Lane `i` into `words[i]`.
    fn store(self, words: &mut Self::Words);
    /// `self + other`, modulo 2^32.
    fn add(self, other: Self) -> Self;
    /// `self ^ other`.
    fn xor(self, other: Self) -> Self;
    /// Rotation left by `BITS` (1..32).
    fn rotate_left<const BITS: i32>(self) -> Self;
    /// Rotation right by `BITS` (1..32).
    fn rotate_right<const BITS: i32>(self) -> Self;
    /// Logical shift right by `BITS` (1..32).
    fn shift_right<const BITS: u32>(self) -> Self;
    /// SHA's Ch: each bit of `self` picks `y`'s bit (1) or `z`'s (0).
    fn choose(self, y: Self, z: Self) -> Self;
    /// SHA's Maj: each bit is the majority of the three inputs' bits.
    fn majority(self, y: Self, z: Self) -> Self;
    /// SHA-1's Parity: `self ^ y ^ z`.
    fn parity(self, y: Self, z: Self) -> Self;
}

/// Sixteen lanes in a plain array: the portable implementation, plain
/// integer arithmetic that any CPU runs.
#[derive(Clone, Copy)]
pub(crate) struct ArrayLanes([u32; ARRAY_LANES]);

/// Lanes of [`ArrayLanes`]: as many as an AVX-512 register, so the
/// portable run packs and unpacks chains as the widest kernel does.
pub(crate) const ARRAY_LANES: usize = 16;

impl ArrayLanes {
    #[inline(always)]
    fn map(self, f: impl Fn(u32) -> u32) -> Self {
        Self(self.0.map(f))
    }

    #[inline(always)]
    fn zip3(self, y: Self, z: Self, f: impl Fn(u32, u32, u32) -> u32) -> Self {
        Self(core::array::from_fn(|i| f(self.0[i], y.0[i], z.0[i])))
    }
}

impl Zeroize for ArrayLanes {
    fn zeroize(&mut self) {
        self.0.zeroize();
    }
}

impl Lanes for ArrayLanes {
    type Token = ();
    type Words = [u32; ARRAY_LANES];
    const LANES: usize = ARRAY_LANES;

    #[inline(never)]
    fn splat((): (), word: u32) -> Self {
        Self([word; ARRAY_LANES])
    }
    #[inline(never)]
    fn load((): (), words: &Self::Words) -> Self {
        Self(*words)
    }
    #[inline(never)]
    fn store(self, words: &mut Self::Words) {
        *words = self.0;
    }
    #[inline(never)]
    fn add(self, other: Self) -> Self {
        Self(core::array::from_fn(|i| self.0[i].wrapping_add(other.0[i])))
    }
    #[inline(never)]
    fn xor(self, other: Self) -> Self {
        Self(core::array::from_fn(|i| self.0[i] ^ other.0[i]))
    }
    #[inline(never)]
    fn rotate_left<const BITS: i32>(self) -> Self {
        self.map(|x| x.rotate_left(BITS as u32))
    }
    #[inline(never)]
    fn rotate_right<const BITS: i32>(self) -> Self {
        self.map(|x| x.rotate_right(BITS as u32))
    }
    #[inline(never)]
    fn shift_right<const BITS: u32>(self) -> Self {
        self.map(|x| x >> BITS)
    }
    #[inline(never)]
    fn choose(self, y: Self, z: Self) -> Self {
        self.zip3(y, z, |x, y, z| (x & y) | (!x & z))
    }
    #[inline(never)]
    fn majority(self, y: Self, z: Self) -> Self {
        self.zip3(y, z, |x, y, z| (x & y) | (x & z) | (y & z))
    }
    #[inline(never)]
    fn parity(self, y: Self, z: Self) -> Self {
        self.zip3(y, z, |x, y, z| x ^ y ^ z)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The boolean functions bit by bit, from their definitions in
    /// FIPS 180-4 §4.1: Ch, Maj and Parity over every input combination.
    #[test]
    fn boolean_functions_follow_fips_180_4() {
        // Lane i holds bit pattern i of (x, y, z) in every bit position.
        let bit = |i: usize, shift: usize| if i >> shift & 1 == 1 { u32::MAX } else { 0 };
        let x = ArrayLanes(core::array::from_fn(|i| bit(i, 2)));
        let y = ArrayLanes(core::array::from_fn(|i| bit(i, 1)));
        let z = ArrayLanes(core::array::from_fn(|i| bit(i, 0)));
        for i in 0..8 {
            let (a, b, c) = (i >> 2 & 1, i >> 1 & 1, i & 1);
            let expect = |v: usize| if v == 1 { u32::MAX } else { 0 };
            assert_eq!(x.choose(y, z).0[i], expect(if a == 1 { b } else { c }));
            assert_eq!(x.majority(y, z).0[i], expect(usize::from(a + b + c >= 2)));
            assert_eq!(x.parity(y, z).0[i], expect(a ^ b ^ c));
        }
    }

    #[test]
    fn rotations_and_shifts_are_lane_wise() {
        let words: [u32; ARRAY_LANES] = core::array::from_fn(|i| 0x8000_0001 << (i % 2));
        let v = ArrayLanes::load((), &words);
        assert_eq!(v.rotate_left::<1>().0[0], 0x0000_0003);
        assert_eq!(v.rotate_right::<1>().0[0], 0xC000_0000);
        assert_eq!(v.shift_right::<1>().0[0], 0x4000_0000);
        assert_eq!(v.rotate_left::<1>().0[1], 0x0000_0004);
        assert_eq!(v.add(v).0[0], 0x0000_0002);
    }
}
