//! Known answers from MS-NLMP 4.2.4 (NTLMv2 authentication): user "User",
//! domain "Domain", password "Password", server challenge
//! 0123456789abcdef, client challenge aaaaaaaaaaaaaaaa, time 0, random
//! session key 55…55, target info NetBIOS domain "Domain" and NetBIOS
//! server "Server".

use hashsync::Password;
use zeroize::Zeroizing;

use super::keys::{Direction, ntlmv2_responses, ntowf_v2, seal_key, sign_key};
use super::message::{self, parse_challenge};
use super::*;

fn unhex(s: &str) -> Vec<u8> {
    hex::decode(s.replace(' ', "")).unwrap()
}

/// MS-NLMP 4.2.4: the AV pairs of the example CHALLENGE_MESSAGE.
fn spec_target_info() -> Vec<u8> {
    unhex(
        "02000c00 44006f006d00610069006e00 \
         01000c00 53006500720076006500720000000000",
    )
}

/// A CHALLENGE_MESSAGE assembled from the fields MS-NLMP 4.2.4 and
/// 4.2.4.3 give (flags 33 82 8a e2, target name "Server").
fn spec_challenge() -> Vec<u8> {
    let target_name = unhex("530065007200760065007200"); // "Server"
    let info = spec_target_info();
    let mut m = Vec::new();
    m.extend_from_slice(b"NTLMSSP\0");
    m.extend_from_slice(&2u32.to_le_bytes());
    // TargetNameFields: len 12, maxlen 12, offset 56.
    m.extend_from_slice(&[12, 0, 12, 0, 56, 0, 0, 0]);
    m.extend_from_slice(&unhex("33828ae2"));
    m.extend_from_slice(&unhex("0123456789abcdef"));
    m.extend_from_slice(&[0; 8]);
    // TargetInfoFields at 68.
    let n = info.len() as u8;
    m.extend_from_slice(&[n, 0, n, 0, 68, 0, 0, 0]);
    // Version 6.0.6000, revision 15.
    m.extend_from_slice(&unhex("060070170000000f"));
    m.extend_from_slice(&target_name);
    m.extend_from_slice(&info);
    m
}

/// The payload bytes an AUTHENTICATE_MESSAGE field (len, maxlen, offset)
/// at `at` points to.
fn payload(m: &[u8], at: usize) -> &[u8] {
    let len = u16::from_le_bytes([m[at], m[at + 1]]) as usize;
    let off = u32::from_le_bytes(m[at + 4..at + 8].try_into().unwrap()) as usize;
    &m[off..off + len]
}

fn spec_random() -> ClientRandomness {
    ClientRandomness {
        client_challenge: [0xaa; 8],
        exported_session_key: Zeroizing::new([0x55; 16]),
        timestamp: 0,
    }
}

fn spec_client() -> NtlmClient {
    NtlmClient::new(&ReplicationCredentials::new(
        "Domain",
        "User",
        Password::new("Password"),
    ))
}

#[test]
fn ntowf_v2_matches_4_2_4_1_1() {
    let nt = hashsync::nt_hash(&Password::new("Password"));
    assert_eq!(
        *ntowf_v2(nt.expose_secret(), "User", "Domain"),
        unhex("0c868a403bfd7a93a3001ef22ef02e3f")[..]
    );
}

#[test]
fn responses_and_session_base_key_match_4_2_4_1_and_4_2_4_2() {
    let nt = hashsync::nt_hash(&Password::new("Password"));
    let key = ntowf_v2(nt.expose_secret(), "User", "Domain");
    let server: [u8; 8] = unhex("0123456789abcdef").try_into().unwrap();
    let r = ntlmv2_responses(&key, &server, &[0xaa; 8], 0, &spec_target_info(), false);
    // 4.2.4.2.1 LMv2 response.
    assert_eq!(
        r.lm_response,
        unhex("86c35097ac9cec102554764a57cccc19aaaaaaaaaaaaaaaa")
    );
    // 4.2.4.2.2 NTProofStr, then temp.
    assert_eq!(
        r.nt_response[..16],
        unhex("68cd0ab851e51c96aabc927bebef6a1c")[..]
    );
    assert_eq!(
        r.nt_response[16..],
        unhex(
            "0101000000000000 0000000000000000 aaaaaaaaaaaaaaaa 00000000 \
             02000c0044006f006d00610069006e00 01000c00530065007200760065007200 0000000000000000"
        )[..]
    );
    // 4.2.4.1.2 session base key.
    assert_eq!(
        *r.session_base_key,
        unhex("8de40ccadbc14a82f15cb0ad0de95ca3")[..]
    );
}

#[test]
fn authenticate_message_carries_the_4_2_4_values() {
    let challenge = spec_challenge();
    assert_eq!(
        parse_challenge(&challenge).unwrap().target_info,
        spec_target_info()
    );
    let done = spec_client()
        .authenticate_with(&challenge, spec_random())
        .unwrap();
    let m = &done.message;
    let field = |at: usize| payload(m, at);
    assert_eq!(&m[..12], b"NTLMSSP\0\x03\0\0\0");
    assert_eq!(
        field(12),
        unhex("86c35097ac9cec102554764a57cccc19aaaaaaaaaaaaaaaa")
    );
    assert_eq!(
        field(20)[..16],
        unhex("68cd0ab851e51c96aabc927bebef6a1c")[..]
    );
    assert_eq!(field(28), unhex("44006f006d00610069006e00")); // "Domain"
    assert_eq!(field(36), unhex("5500730065007200")); // "User"
    // 4.2.4.2.3: RC4(session base key, random session key).
    assert_eq!(field(52), unhex("c5dad2544fc9799094ce1ce90bc9d03e"));
    // No timestamp in the challenge: no MIC.
    assert_eq!(m[72..88], [0; 16]);
    assert_eq!(done.session_key.expose_secret(), [0x55; 16]);
}

#[test]
fn sign_and_seal_keys_and_sealed_plaintext_match_4_2_4_4() {
    let key = [0x55; 16];
    assert_eq!(
        *seal_key(&key, Direction::ClientToServer),
        unhex("59f600973cc4960a25480a7c196e4c58")[..]
    );
    assert_eq!(
        *sign_key(&key, Direction::ClientToServer),
        unhex("4788dc861b4782f35d43fd98fe1a2d39")[..]
    );
    let mut session = NtlmSession::client(&key);
    let mut message = "Plaintext"
        .encode_utf16()
        .flat_map(u16::to_le_bytes)
        .collect::<Vec<u8>>();
    let len = message.len();
    let signature = session.seal(&mut message, 0..len);
    assert_eq!(message, unhex("54e50165bf1936dc996020c1811b0f06fb5f"));
    assert_eq!(
        signature.to_vec(),
        unhex("010000007fb38ec5c55d497600000000")
    );
}

#[test]
fn sealing_only_part_still_signs_the_whole_message() {
    // Header-like bytes stay in clear; changing them breaks the signature.
    let key = [0x11; 16];
    let mut a = NtlmSession::client(&key);
    let mut b = NtlmSession::client(&key);
    let mut m1 = b"HEADERstub-bytesTRAILER".to_vec();
    let mut m2 = b"HEADERstub-bytesTRAILEX".to_vec();
    let s1 = a.seal(&mut m1, 6..16);
    let s2 = b.seal(&mut m2, 6..16);
    assert_eq!(&m1[..6], b"HEADER");
    assert_ne!(&m1[6..16], b"stub-bytes");
    assert_eq!(m1[6..16], m2[6..16]);
    assert_ne!(s1[4..12], s2[4..12]);
    // Sequence numbers advance per message.
    let s3 = a.seal(&mut b"x".to_vec(), 0..1);
    assert_eq!(s3[12..], 1u32.to_le_bytes());
}

#[test]
fn unseal_refuses_a_bad_signature() {
    let mut session = NtlmSession::client(&[0x22; 16]);
    let mut message = vec![0u8; 40];
    assert_eq!(session.unseal(&mut message, 8..32, &[0; 16]), Err(0));
    assert_eq!(session.unseal(&mut message, 8..32, &[1; 3]), Err(1));
}

#[test]
fn refuses_a_server_that_does_not_grant_sealing() {
    let mut challenge = spec_challenge();
    // Clear NTLMSSP_NEGOTIATE_SEAL (0x20) in the flags at offset 20.
    challenge[20] &= !0x20;
    assert_eq!(
        spec_client()
            .authenticate_with(&challenge, spec_random())
            .err(),
        Some(NtlmError::FlagNotGranted {
            flag: "NTLMSSP_NEGOTIATE_SEAL"
        })
    );
}

#[test]
fn a_timestamp_in_the_challenge_brings_a_mic_and_a_zero_lm_response() {
    // The spec's target info with an MsvAvTimestamp before MsvAvEOL.
    let mut info = spec_target_info();
    info.truncate(info.len() - 4);
    info.extend_from_slice(&unhex("07000800 0102030405060708 00000000"));
    let mut challenge = spec_challenge();
    challenge.truncate(68);
    challenge[40] = info.len() as u8;
    challenge[42] = info.len() as u8;
    challenge.extend_from_slice(&info);
    let parsed = parse_challenge(&challenge).unwrap();
    assert_eq!(parsed.timestamp, Some(0x0807_0605_0403_0201));
    let done = spec_client()
        .authenticate_with(&challenge, spec_random())
        .unwrap();
    let m = &done.message;
    let field = |at: usize| payload(m, at);
    assert_eq!(field(12), [0; 24]);
    let nt = field(20);
    // The blob's time is the server's, and MsvAvFlags says a MIC follows.
    assert_eq!(nt[24..32], 0x0807_0605_0403_0201u64.to_le_bytes());
    let blob_pairs = &nt[44..nt.len() - 4];
    let pairs = message::av_pairs(blob_pairs).unwrap();
    assert!(pairs.contains(&(6, &2u32.to_le_bytes()[..])), "{pairs:?}");
    assert_ne!(m[72..88], [0; 16]);
}

#[test]
fn truncated_challenges_are_errors_at_every_length() {
    let challenge = spec_challenge();
    for len in 0..challenge.len() {
        assert!(
            spec_client()
                .authenticate_with(&challenge[..len], spec_random())
                .is_err(),
            "{len}"
        );
    }
}
