//! PBKDF2-HMAC (RFC 8018) over a hash's raw compression function.
//!
//! Kerberos string-to-key and the OrgId hash spend all their time here, so
//! HMAC's keyed inner and outer states are computed once per password, and
//! each iteration is exactly two compressions of pre-padded blocks: no
//! buffering, no allocation. The compression functions are RustCrypto's
//! (`sha1::block_api::compress`, `sha2::block_api::compress256`), which pick
//! SHA-NI at run time.

use zeroize::Zeroize;

/// A Merkle–Damgård hash with 64-byte blocks and 32-bit big-endian words.
pub(crate) trait BlockHash {
    /// Chaining state.
    type State: Copy + AsRef<[u32]> + AsMut<[u32]> + Zeroize;
    /// Initial state.
    const IV: Self::State;
    /// Output length in bytes (`4 * state words`).
    const OUTPUT_LEN: usize;
    /// Runs the compression function over whole blocks.
    fn compress(state: &mut Self::State, blocks: &[[u8; 64]]);
}

/// SHA-1 (Kerberos AES string-to-key).
pub(crate) struct Sha1;

impl BlockHash for Sha1 {
    type State = [u32; 5];
    const IV: [u32; 5] = [
        0x6745_2301,
        0xEFCD_AB89,
        0x98BA_DCFE,
        0x1032_5476,
        0xC3D2_E1F0,
    ];
    const OUTPUT_LEN: usize = 20;
    fn compress(state: &mut [u32; 5], blocks: &[[u8; 64]]) {
        sha1::block_api::compress(state, blocks);
    }
}

/// SHA-256 (OrgId hash).
pub(crate) struct Sha256;

impl BlockHash for Sha256 {
    type State = [u32; 8];
    const IV: [u32; 8] = [
        0x6a09_e667,
        0xbb67_ae85,
        0x3c6e_f372,
        0xa54f_f53a,
        0x510e_527f,
        0x9b05_688c,
        0x1f83_d9ab,
        0x5be0_cd19,
    ];
    const OUTPUT_LEN: usize = 32;
    fn compress(state: &mut [u32; 8], blocks: &[[u8; 64]]) {
        sha2::block_api::compress256(state, blocks);
    }
}

/// Hashes `prefix_len` bytes already absorbed into `state` followed by
/// `message`, applying the final padding.
fn finish<H: BlockHash>(mut state: H::State, prefix_len: u64, message: &[u8]) -> H::State {
    let mut block = [0u8; 64];
    let mut chunks = message.chunks_exact(64);
    for chunk in &mut chunks {
        block.copy_from_slice(chunk);
        H::compress(&mut state, core::slice::from_ref(&block));
    }
    let rest = chunks.remainder();
    block = [0u8; 64];
    block[..rest.len()].copy_from_slice(rest);
    block[rest.len()] = 0x80;
    if rest.len() >= 56 {
        H::compress(&mut state, core::slice::from_ref(&block));
        block = [0u8; 64];
    }
    let bits = (prefix_len + message.len() as u64) * 8;
    block[56..].copy_from_slice(&bits.to_be_bytes());
    H::compress(&mut state, core::slice::from_ref(&block));
    block.zeroize();
    state
}

/// Writes the state's words big-endian into `out`.
fn store_words(words: &[u32], out: &mut [u8]) {
    for (word, bytes) in words.iter().zip(out.chunks_exact_mut(4)) {
        bytes.copy_from_slice(&word.to_be_bytes());
    }
}

/// The padded block of a message one digest long that follows a 64-byte
/// key block: PBKDF2 hashes only such messages after `U_1`, so only the
/// first `OUTPUT_LEN` bytes change per iteration.
fn digest_block<H: BlockHash>() -> [u8; 64] {
    let mut block = [0u8; 64];
    block[H::OUTPUT_LEN] = 0x80;
    block[56..].copy_from_slice(&((64 + H::OUTPUT_LEN) as u64 * 8).to_be_bytes());
    block
}

/// One PBKDF2 block in flight: HMAC's keyed inner and outer states and
/// `U_1`. Chains are independent of each other, which is what lets the
/// kernels run several at once.
#[derive(Clone, Copy, Default)]
pub(crate) struct Chain<S> {
    /// State after the `ipad` block.
    pub(crate) inner: S,
    /// State after the `opad` block.
    pub(crate) outer: S,
    /// `U_1`, as hash state words.
    pub(crate) first: S,
}

impl<S: Zeroize> Zeroize for Chain<S> {
    fn zeroize(&mut self) {
        self.inner.zeroize();
        self.outer.zeroize();
        self.first.zeroize();
    }
}

impl<S: Copy + AsRef<[u32]> + AsMut<[u32]> + Zeroize> Chain<S> {
    /// `T = U_1 ^ U_2 ^ … ^ U_iterations`, one compression at a time: the
    /// reference every multi-buffer kernel is tested against.
    pub(crate) fn iterate<H: BlockHash<State = S>>(&self, iterations: u32) -> S {
        let len = H::OUTPUT_LEN;
        let mut inner_block = digest_block::<H>();
        let mut outer_block = inner_block;
        let mut u = self.first;
        let mut t = u;
        for _ in 1..iterations {
            store_words(u.as_ref(), &mut inner_block[..len]);
            let mut state = self.inner;
            H::compress(&mut state, core::slice::from_ref(&inner_block));
            store_words(state.as_ref(), &mut outer_block[..len]);
            state.zeroize();
            u = self.outer;
            H::compress(&mut u, core::slice::from_ref(&outer_block));
            for (acc, word) in t.as_mut().iter_mut().zip(u.as_ref()) {
                *acc ^= word;
            }
        }
        inner_block.zeroize();
        outer_block.zeroize();
        u.zeroize();
        t
    }
}

/// Writes a state's words big-endian, `OUTPUT_LEN` bytes into `out`.
pub(crate) fn state_bytes<H: BlockHash>(state: &H::State, out: &mut [u8]) {
    store_words(state.as_ref(), &mut out[..H::OUTPUT_LEN]);
}

/// HMAC keyed with one password: the inner and outer states after the
/// `ipad`/`opad` blocks.
pub(crate) struct HmacKey<H: BlockHash> {
    inner: H::State,
    outer: H::State,
}

impl<H: BlockHash> HmacKey<H> {
    /// Keys HMAC; keys longer than a block are hashed first (RFC 2104).
    pub(crate) fn new(key: &[u8]) -> Self {
        let mut padded = [0u8; 64];
        if key.len() > 64 {
            let digest = finish::<H>(H::IV, 0, key);
            store_words(digest.as_ref(), &mut padded);
        } else {
            padded[..key.len()].copy_from_slice(key);
        }
        let mut ipad = padded.map(|b| b ^ 0x36);
        let mut opad = padded.map(|b| b ^ 0x5c);
        let mut inner = H::IV;
        let mut outer = H::IV;
        H::compress(&mut inner, core::slice::from_ref(&ipad));
        H::compress(&mut outer, core::slice::from_ref(&opad));
        padded.zeroize();
        ipad.zeroize();
        opad.zeroize();
        Self { inner, outer }
    }

    /// The work left for PBKDF2 block `T_index` (1-based) once `U_1` is
    /// known: the keyed states and `U_1`. [`Chain::iterate`] finishes it,
    /// and so do the multi-buffer kernels in `crypto::simd`.
    pub(crate) fn chain(&self, salt: &[u8], index: u32) -> Chain<H::State> {
        // U_1 = HMAC(P, S || INT(i)); the message is general, so pad it here.
        let mut first = Vec::with_capacity(salt.len() + 4);
        first.extend_from_slice(salt);
        first.extend_from_slice(&index.to_be_bytes());
        let mut inner = finish::<H>(self.inner, 64, &first);
        first.zeroize();
        let mut block = digest_block::<H>();
        store_words(inner.as_ref(), &mut block[..H::OUTPUT_LEN]);
        let mut u = self.outer;
        H::compress(&mut u, core::slice::from_ref(&block));
        block.zeroize();
        inner.zeroize();
        Chain {
            inner: self.inner,
            outer: self.outer,
            first: u,
        }
    }

    /// One PBKDF2 output block `T_index` (1-based) into `out`
    /// (`out.len() <= OUTPUT_LEN`).
    pub(crate) fn pbkdf2_block(&self, salt: &[u8], index: u32, iterations: u32, out: &mut [u8]) {
        debug_assert!(out.len() <= H::OUTPUT_LEN && iterations >= 1);
        let mut chain = self.chain(salt, index);
        let mut t = chain.iterate::<H>(iterations);
        let mut full = [0u8; 32];
        store_words(t.as_ref(), &mut full[..H::OUTPUT_LEN]);
        out.copy_from_slice(&full[..out.len()]);
        full.zeroize();
        t.zeroize();
        chain.zeroize();
    }

    /// PBKDF2 output of any length into `out`.
    pub(crate) fn pbkdf2(&self, salt: &[u8], iterations: u32, out: &mut [u8]) {
        for (i, chunk) in out.chunks_mut(H::OUTPUT_LEN).enumerate() {
            self.pbkdf2_block(salt, i as u32 + 1, iterations, chunk);
        }
    }
}

impl<H: BlockHash> Drop for HmacKey<H> {
    fn drop(&mut self) {
        self.inner.zeroize();
        self.outer.zeroize();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(s: &str) -> Vec<u8> {
        base16ct::mixed::decode_vec(s).unwrap()
    }

    // RFC 6070 §2, PBKDF2-HMAC-SHA1 test vectors.
    #[test]
    fn rfc6070_sha1() {
        let cases: &[(&[u8], &[u8], u32, &str)] = &[
            (
                b"password",
                b"salt",
                1,
                "0c60c80f961f0e71f3a9b524af6012062fe037a6",
            ),
            (
                b"password",
                b"salt",
                2,
                "ea6c014dc72d6f8ccd1ed92ace1d41f0d8de8957",
            ),
            (
                b"password",
                b"salt",
                4096,
                "4b007901b765489abead49d926f721d065a429c1",
            ),
            (
                b"passwordPASSWORDpassword",
                b"saltSALTsaltSALTsaltSALTsaltSALTsalt",
                4096,
                "3d2eec4fe41c849b80c8d83662c0e44a8b291a964cf2f07038",
            ),
            (
                b"pass\0word",
                b"sa\0lt",
                4096,
                "56fa6aa75548099dcc37d7f03425e0c3",
            ),
        ];
        for (password, salt, iterations, expected) in cases {
            let expected = hex(expected);
            let mut out = vec![0u8; expected.len()];
            HmacKey::<Sha1>::new(password).pbkdf2(salt, *iterations, &mut out);
            assert_eq!(out, expected, "{password:?} / {iterations}");
        }
    }

    // RFC 7914 §11, PBKDF2-HMAC-SHA256 test vectors.
    #[test]
    fn rfc7914_sha256() {
        let mut out = [0u8; 64];
        HmacKey::<Sha256>::new(b"passwd").pbkdf2(b"salt", 1, &mut out);
        assert_eq!(
            out.to_vec(),
            hex(
                "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc\
                 49ca9cccf179b645991664b39d77ef317c71b845b1e30bd509112041d3a19783"
            )
        );
        HmacKey::<Sha256>::new(b"Password").pbkdf2(b"NaCl", 80000, &mut out);
        assert_eq!(
            out.to_vec(),
            hex(
                "4ddcd8f60b98be21830cee5ef22701f9641a4418d04c0414aeff08876b34ab56\
                 a1d425a1225833549adb841b51c9b3176a272bdebba1d078478f62b397f33c8d"
            )
        );
    }

    #[test]
    fn long_keys_and_messages_cross_block_boundaries() {
        // Against RustCrypto's generic implementation, for every padding case
        // of the key (hashed when > 64 bytes) and of the salt message.
        for key_len in [0usize, 1, 55, 56, 63, 64, 65, 200] {
            for salt_len in [0usize, 51, 52, 55, 56, 60, 64, 119, 120, 300] {
                let key: Vec<u8> = (0..key_len).map(|i| i as u8).collect();
                let salt: Vec<u8> = (0..salt_len).map(|i| (i * 7) as u8).collect();
                let mut ours = [0u8; 40];
                let mut theirs = [0u8; 40];
                HmacKey::<Sha1>::new(&key).pbkdf2(&salt, 3, &mut ours);
                pbkdf2::pbkdf2_hmac::<sha1::Sha1>(&key, &salt, 3, &mut theirs);
                assert_eq!(ours, theirs, "sha1 key {key_len} salt {salt_len}");
                HmacKey::<Sha256>::new(&key).pbkdf2(&salt, 3, &mut ours);
                pbkdf2::pbkdf2_hmac::<sha2::Sha256>(&key, &salt, 3, &mut theirs);
                assert_eq!(ours, theirs, "sha256 key {key_len} salt {salt_len}");
            }
        }
    }
}
