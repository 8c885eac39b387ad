//! NTLMv2 key computations (MS-NLMP 3.3.2, 3.4.5): the response key, the
//! challenge responses, the session base key and the four directional
//! signing and sealing keys.

use hmac::{Hmac, KeyInit, Mac};
use md5::{Digest, Md5};
use zeroize::Zeroizing;

/// A 16-byte secret that zeroizes on drop.
pub(crate) type Key16 = Zeroizing<[u8; 16]>;

/// HMAC-MD5 over the concatenation of `parts`.
pub(crate) fn hmac_md5(key: &[u8], parts: &[&[u8]]) -> [u8; 16] {
    // HMAC takes keys of any length.
    let mut mac = <Hmac<Md5> as KeyInit>::new_from_slice(key).expect("HMAC accepts any key length");
    for part in parts {
        mac.update(part);
    }
    mac.finalize().into_bytes().into()
}

/// `NTOWFv2` = HMAC-MD5(NT hash, UTF-16LE(uppercase(user) ‖ domain)).
pub(crate) fn ntowf_v2(nt_hash: &[u8; 16], user: &str, domain: &str) -> Key16 {
    let identity: Zeroizing<Vec<u8>> = Zeroizing::new(
        user.to_uppercase()
            .encode_utf16()
            .chain(domain.encode_utf16())
            .flat_map(u16::to_le_bytes)
            .collect(),
    );
    Zeroizing::new(hmac_md5(nt_hash, &[&identity]))
}

/// What the NTLMv2 computation yields for one challenge.
pub(crate) struct Ntlmv2Responses {
    /// `NtChallengeResponse` = NTProofStr ‖ temp.
    pub(crate) nt_response: Vec<u8>,
    /// `LmChallengeResponse`: LMv2, or 24 zero bytes when the server sent
    /// a timestamp (MS-NLMP 3.1.5.1.2).
    pub(crate) lm_response: Vec<u8>,
    /// `SessionBaseKey` = HMAC-MD5(ResponseKeyNT, NTProofStr), which is
    /// also the key-exchange key for NTLMv2.
    pub(crate) session_base_key: Key16,
}

/// The NTLMv2 responses (MS-NLMP 3.3.2) to `server_challenge`.
pub(crate) fn ntlmv2_responses(
    response_key: &[u8; 16],
    server_challenge: &[u8; 8],
    client_challenge: &[u8; 8],
    timestamp: u64,
    target_info: &[u8],
    zero_lm: bool,
) -> Ntlmv2Responses {
    // temp = RespType 1, HiRespType 1, Z(6), time, client challenge, Z(4),
    // the AV pairs, Z(4).
    let mut temp = Vec::with_capacity(32 + target_info.len());
    temp.extend_from_slice(&[1, 1, 0, 0, 0, 0, 0, 0]);
    temp.extend_from_slice(&timestamp.to_le_bytes());
    temp.extend_from_slice(client_challenge);
    temp.extend_from_slice(&[0; 4]);
    temp.extend_from_slice(target_info);
    temp.extend_from_slice(&[0; 4]);
    let proof = hmac_md5(response_key, &[server_challenge, &temp]);
    let mut nt_response = proof.to_vec();
    nt_response.extend_from_slice(&temp);
    let lm_response = if zero_lm {
        vec![0; 24]
    } else {
        let mut lm = hmac_md5(response_key, &[server_challenge, client_challenge]).to_vec();
        lm.extend_from_slice(client_challenge);
        lm
    };
    Ntlmv2Responses {
        nt_response,
        lm_response,
        session_base_key: Zeroizing::new(hmac_md5(response_key, &[&proof])),
    }
}

/// Which way a key protects traffic.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Direction {
    ClientToServer,
    ServerToClient,
}

/// `SIGNKEY` with extended session security (MS-NLMP 3.4.5.2).
pub(crate) fn sign_key(exported_session_key: &[u8; 16], direction: Direction) -> Key16 {
    let magic: &[u8] = match direction {
        Direction::ClientToServer => {
            b"session key to client-to-server signing key magic constant\0"
        }
        Direction::ServerToClient => {
            b"session key to server-to-client signing key magic constant\0"
        }
    };
    md5_of(exported_session_key, magic)
}

/// `SEALKEY` with extended session security and 128-bit keys (MS-NLMP
/// 3.4.5.3).
pub(crate) fn seal_key(exported_session_key: &[u8; 16], direction: Direction) -> Key16 {
    let magic: &[u8] = match direction {
        Direction::ClientToServer => {
            b"session key to client-to-server sealing key magic constant\0"
        }
        Direction::ServerToClient => {
            b"session key to server-to-client sealing key magic constant\0"
        }
    };
    md5_of(exported_session_key, magic)
}

fn md5_of(key: &[u8; 16], magic: &[u8]) -> Key16 {
    let mut md5 = Md5::new();
    md5.update(key);
    md5.update(magic);
    Zeroizing::new(md5.finalize().into())
}
