//! NTLM session security with extended session security, 128-bit keys and
//! key exchange (MS-NLMP 3.4): sealing and signing messages, as DCE/RPC
//! packet privacy uses them.
//!
//! DCE/RPC seals a PDU the way SSPI's `EncryptMessage` does with the header
//! and the `sec_trailer` in `SECBUFFER_READONLY_WITH_CHECKSUM` buffers: the
//! signature covers the whole PDU up to the signature itself, but only the
//! stub and its padding are encrypted. With NTLMv2 (MS-NLMP 3.4.6.1) every
//! input buffer is signed, so this is one HMAC over the contiguous bytes.

use core::ops::Range;

use rc4::{KeyInit, Rc4, StreamCipher};
use subtle::ConstantTimeEq;

use super::keys::{Direction, Key16, hmac_md5, seal_key, sign_key};

/// Size of an `NTLMSSP_MESSAGE_SIGNATURE`.
pub const SIGNATURE_LEN: usize = 16;

/// The keys and sequence numbers of one authenticated NTLM session.
pub struct NtlmSession {
    send_sign: Key16,
    receive_sign: Key16,
    send_seal: Rc4,
    receive_seal: Rc4,
    send_sequence: u32,
    receive_sequence: u32,
}

impl NtlmSession {
    /// The client side of a session whose exported session key is `key`.
    pub(crate) fn client(exported_session_key: &[u8; 16]) -> Self {
        let rc4 = |key: Key16| Rc4::new_from_slice(key.as_slice()).expect("16-byte RC4 key");
        Self {
            send_sign: sign_key(exported_session_key, Direction::ClientToServer),
            receive_sign: sign_key(exported_session_key, Direction::ServerToClient),
            send_seal: rc4(seal_key(exported_session_key, Direction::ClientToServer)),
            receive_seal: rc4(seal_key(exported_session_key, Direction::ServerToClient)),
            send_sequence: 0,
            receive_sequence: 0,
        }
    }

    /// Seals `message[..signed_len]` in place: encrypts `encrypted` (a range
    /// inside it) and returns the signature over the plaintext of all
    /// `signed_len` bytes. Consumes one sequence number.
    pub(crate) fn seal(
        &mut self,
        message: &mut [u8],
        encrypted: Range<usize>,
    ) -> [u8; SIGNATURE_LEN] {
        let sequence = self.send_sequence;
        self.send_sequence = self.send_sequence.wrapping_add(1);
        let digest = hmac_md5(
            self.send_sign.as_slice(),
            &[&sequence.to_le_bytes(), message],
        );
        self.send_seal.apply_keystream(&mut message[encrypted]);
        signature(&mut self.send_seal, &digest, sequence)
    }

    /// Unseals `message` in place: decrypts `encrypted` (a range inside
    /// it), then checks `signature` over all of `message`. `Err` carries
    /// the sequence number expected when the signature does not verify.
    pub(crate) fn unseal(
        &mut self,
        message: &mut [u8],
        encrypted: Range<usize>,
        received: &[u8],
    ) -> Result<(), u32> {
        let sequence = self.receive_sequence;
        self.receive_sequence = self.receive_sequence.wrapping_add(1);
        self.receive_seal.apply_keystream(&mut message[encrypted]);
        let digest = hmac_md5(
            self.receive_sign.as_slice(),
            &[&sequence.to_le_bytes(), message],
        );
        let expected = signature(&mut self.receive_seal, &digest, sequence);
        if received.len() == SIGNATURE_LEN && bool::from(expected.ct_eq(received)) {
            Ok(())
        } else {
            Err(sequence)
        }
    }
}

/// `NTLMSSP_MESSAGE_SIGNATURE` with extended session security and key
/// exchange: version 1, RC4 of the first 8 digest bytes, sequence number.
fn signature(seal: &mut Rc4, digest: &[u8; 16], sequence: u32) -> [u8; SIGNATURE_LEN] {
    let mut out = [0u8; SIGNATURE_LEN];
    out[..4].copy_from_slice(&1u32.to_le_bytes());
    out[4..12].copy_from_slice(&digest[..8]);
    seal.apply_keystream(&mut out[4..12]);
    out[12..].copy_from_slice(&sequence.to_le_bytes());
    out
}

impl core::fmt::Debug for NtlmSession {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("NtlmSession")
            .field("keys", &"[REDACTED]")
            .field("send_sequence", &self.send_sequence)
            .field("receive_sequence", &self.receive_sequence)
            .finish()
    }
}
