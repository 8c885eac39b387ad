//! NTLMv2 (MS-NLMP), the client side: NEGOTIATE, then AUTHENTICATE in
//! answer to the server's CHALLENGE, then session security for DCE/RPC
//! packet privacy.
//!
//! Written here rather than taken from Devolutions' `sspi` crate (checked
//! 2026-12 against its releases and its repository):
//! - every release from 0.18.0 to the newest (0.23.1) pins `rsa` to an
//!   exact 0.10 release candidate (`=0.10.0-rc.x`), which cannot share the
//!   workspace's one lockfile with the released `rsa` 0.10.0 that
//!   `hashsync`'s `domain-services` feature uses (Cargo allows one version
//!   per semver-compatible range);
//! - 0.17.0, the newest that resolves, predates the NTLM fixes DCE/RPC
//!   sealing needs (DCE-style and sign-only `EncryptMessage`, sspi-rs #629,
//!   in 0.19.1; `NEGOTIATE_KEY_EXCH` handling, #670, in 0.21.1), and adds
//!   111 packages (picky 7.0.0-rc.18, a second `rand`, …) for one protocol;
//! - its NTLM draws the client challenge, time and session key itself
//!   (fixed values only through its private `__test-data` feature), so the
//!   MS-NLMP 4.2.4 known answers are not checkable through its public API.
//!
//! Its NTLM does support what sealing needs (`SECBUFFER_READONLY_WITH_CHECKSUM`
//! buffers signed but not encrypted, since 0.15.2; the session key through
//! `query_context_session_key`): a future `sspi` release without the `rsa`
//! pin could replace this module.
//!
//! The client always asks for extended session security, 128-bit keys,
//! key exchange, signing and sealing, and refuses a server that does not
//! grant them all. When the server's challenge carries a timestamp
//! (every Windows and Samba server does), the AUTHENTICATE message carries
//! a MIC over the three messages.

mod keys;
mod message;
mod session;

pub use session::{NtlmSession, SIGNATURE_LEN};

use hashsync::NtHash;
use hashsync::formats::drs::SessionKey;
use rc4::{KeyInit, Rc4, StreamCipher};
use zeroize::Zeroizing;

use self::keys::{hmac_md5, ntlmv2_responses, ntowf_v2};
use self::message::{Authenticate, MIC_OFFSET, REQUIRED_FLAGS, flag, parse_challenge};
use super::credentials::ReplicationCredentials;

/// An NTLMSSP failure on the client's side.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NtlmError {
    /// The server's CHALLENGE_MESSAGE is not one.
    #[error("malformed CHALLENGE_MESSAGE: {0}")]
    MalformedChallenge(String),
    /// The server did not grant a flag packet privacy needs.
    #[error("the server did not grant {flag}, which sealing needs")]
    FlagNotGranted {
        /// The flag's MS-NLMP name.
        flag: &'static str,
    },
    /// The operating system's random source failed.
    #[error("no random bytes for the client challenge and session key")]
    RandomSource,
}

/// The random inputs of one AUTHENTICATE message; tests fix them to the
/// MS-NLMP 4.2.4 values.
pub(crate) struct ClientRandomness {
    pub(crate) client_challenge: [u8; 8],
    pub(crate) exported_session_key: Zeroizing<[u8; 16]>,
    /// Used when the server's challenge carries no `MsvAvTimestamp`.
    pub(crate) timestamp: u64,
}

impl ClientRandomness {
    /// Fresh values from the operating system and the clock.
    fn fresh() -> Result<Self, NtlmError> {
        let mut client_challenge = [0u8; 8];
        let mut exported_session_key = Zeroizing::new([0u8; 16]);
        getrandom::fill(&mut client_challenge).map_err(|_| NtlmError::RandomSource)?;
        getrandom::fill(exported_session_key.as_mut()).map_err(|_| NtlmError::RandomSource)?;
        // FILETIME: 100 ns ticks since 1601-01-01.
        let since_unix = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        let timestamp = (since_unix.as_secs() + 11_644_473_600) * 10_000_000
            + u64::from(since_unix.subsec_nanos() / 100);
        Ok(Self {
            client_challenge,
            exported_session_key,
            timestamp,
        })
    }
}

/// The client's half of one NTLM authentication.
pub struct NtlmClient {
    user: String,
    domain: String,
    workstation: String,
    nt_hash: NtHash,
    negotiate: Vec<u8>,
}

/// What a completed authentication yields.
pub struct Authenticated {
    /// The AUTHENTICATE_MESSAGE to send (in `auth3`).
    pub message: Vec<u8>,
    /// Session security for the sealed calls.
    pub session: NtlmSession,
    /// The exported session key (the key DRS secrets are encrypted with).
    pub session_key: SessionKey,
}

impl NtlmClient {
    /// A client for `credentials`; the workstation name it reports is
    /// `HASHSYNC`.
    pub fn new(credentials: &ReplicationCredentials) -> Self {
        Self {
            user: credentials.user().to_owned(),
            domain: credentials.domain().to_owned(),
            workstation: "HASHSYNC".to_owned(),
            nt_hash: hashsync::nt_hash(credentials.password()),
            negotiate: message::negotiate(),
        }
    }

    /// The NEGOTIATE_MESSAGE (for the bind).
    pub fn negotiate(&self) -> &[u8] {
        &self.negotiate
    }

    /// The AUTHENTICATE_MESSAGE answering `challenge` (the token of the
    /// bind_ack), and the session it sets up.
    pub fn authenticate(&self, challenge: &[u8]) -> Result<Authenticated, NtlmError> {
        self.authenticate_with(challenge, ClientRandomness::fresh()?)
    }

    pub(crate) fn authenticate_with(
        &self,
        challenge_bytes: &[u8],
        random: ClientRandomness,
    ) -> Result<Authenticated, NtlmError> {
        let challenge = parse_challenge(challenge_bytes)?;
        for (bit, name) in REQUIRED_FLAGS {
            if challenge.flags & bit == 0 {
                return Err(NtlmError::FlagNotGranted { flag: name });
            }
        }
        let with_mic = challenge.timestamp.is_some();
        let target_info = if with_mic {
            message::with_mic_flag(&challenge.target_info)?
        } else {
            challenge.target_info.clone()
        };
        let response_key = ntowf_v2(self.nt_hash.expose_secret(), &self.user, &self.domain);
        let responses = ntlmv2_responses(
            &response_key,
            &challenge.server_challenge,
            &random.client_challenge,
            challenge.timestamp.unwrap_or(random.timestamp),
            &target_info,
            with_mic,
        );
        // KEY_EXCH: the exported session key travels RC4-encrypted under
        // the key-exchange key (the session base key for NTLMv2).
        let mut encrypted_key = *random.exported_session_key;
        Rc4::new_from_slice(responses.session_base_key.as_slice())
            .expect("16-byte RC4 key")
            .apply_keystream(&mut encrypted_key);
        let flags = challenge.flags & (message::CLIENT_FLAGS | flag::TARGET_INFO);
        let mut message = Authenticate {
            flags,
            lm_response: &responses.lm_response,
            nt_response: &responses.nt_response,
            domain: &self.domain,
            user: &self.user,
            workstation: &self.workstation,
            encrypted_session_key: &encrypted_key,
        }
        .encode();
        if with_mic {
            let mic = hmac_md5(
                random.exported_session_key.as_slice(),
                &[&self.negotiate, challenge_bytes, &message],
            );
            message[MIC_OFFSET..MIC_OFFSET + 16].copy_from_slice(&mic);
        }
        Ok(Authenticated {
            message,
            session: NtlmSession::client(&random.exported_session_key),
            session_key: SessionKey::new(random.exported_session_key.to_vec()),
        })
    }
}

impl core::fmt::Debug for NtlmClient {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("NtlmClient")
            .field("user", &self.user)
            .field("domain", &self.domain)
            .field("nt_hash", &"[REDACTED]")
            .finish()
    }
}

#[cfg(test)]
mod tests;
