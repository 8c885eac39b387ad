//! The three NTLMSSP messages (MS-NLMP 2.2.1) and the `AV_PAIR` list
//! (2.2.2.1).

use super::NtlmError;
use crate::rpc::wire::{Reader, put_u16, put_u32};

/// `NTLMSSP\0`.
pub(crate) const SIGNATURE: &[u8; 8] = b"NTLMSSP\0";

/// `NEGOTIATE_FLAGS` bits (MS-NLMP 2.2.2.5) this client uses.
pub(crate) mod flag {
    pub(crate) const UNICODE: u32 = 0x0000_0001;
    pub(crate) const REQUEST_TARGET: u32 = 0x0000_0004;
    pub(crate) const SIGN: u32 = 0x0000_0010;
    pub(crate) const SEAL: u32 = 0x0000_0020;
    pub(crate) const NTLM: u32 = 0x0000_0200;
    pub(crate) const ALWAYS_SIGN: u32 = 0x0000_8000;
    pub(crate) const EXTENDED_SESSION_SECURITY: u32 = 0x0008_0000;
    pub(crate) const TARGET_INFO: u32 = 0x0080_0000;
    pub(crate) const VERSION: u32 = 0x0200_0000;
    pub(crate) const NEGOTIATE_128: u32 = 0x2000_0000;
    pub(crate) const KEY_EXCH: u32 = 0x4000_0000;
    pub(crate) const NEGOTIATE_56: u32 = 0x8000_0000;
}

/// `AV_PAIR` ids (MS-NLMP 2.2.2.1).
pub(crate) mod av {
    pub(crate) const EOL: u16 = 0;
    pub(crate) const FLAGS: u16 = 6;
    pub(crate) const TIMESTAMP: u16 = 7;
}

/// `MsvAvFlags` bit: the AUTHENTICATE message carries a MIC.
pub(crate) const AV_FLAG_MIC_PRESENT: u32 = 0x0000_0002;

/// The flags this client asks for: NTLMv2 with extended session security,
/// 128-bit keys, key exchange, signing and sealing (what MS-RPCE packet
/// privacy needs), Unicode strings.
pub(crate) const CLIENT_FLAGS: u32 = flag::UNICODE
    | flag::REQUEST_TARGET
    | flag::SIGN
    | flag::SEAL
    | flag::NTLM
    | flag::ALWAYS_SIGN
    | flag::EXTENDED_SESSION_SECURITY
    | flag::VERSION
    | flag::NEGOTIATE_128
    | flag::KEY_EXCH
    | flag::NEGOTIATE_56;

/// What sealing at packet privacy cannot do without, by name.
pub(crate) const REQUIRED_FLAGS: [(u32, &str); 6] = [
    (flag::UNICODE, "NTLMSSP_NEGOTIATE_UNICODE"),
    (flag::SIGN, "NTLMSSP_NEGOTIATE_SIGN"),
    (flag::SEAL, "NTLMSSP_NEGOTIATE_SEAL"),
    (
        flag::EXTENDED_SESSION_SECURITY,
        "NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY",
    ),
    (flag::NEGOTIATE_128, "NTLMSSP_NEGOTIATE_128"),
    (flag::KEY_EXCH, "NTLMSSP_NEGOTIATE_KEY_EXCH"),
];

/// The `VERSION` structure (MS-NLMP 2.2.2.10) this client sends: 10.0,
/// build 20348, NTLMSSP revision 15.
pub(crate) const CLIENT_VERSION: [u8; 8] = [10, 0, 0x7c, 0x4f, 0, 0, 0, 0x0f];

/// NEGOTIATE_MESSAGE: no domain, no workstation, a version.
pub(crate) fn negotiate() -> Vec<u8> {
    let mut out = Vec::with_capacity(40);
    out.extend_from_slice(SIGNATURE);
    put_u32(&mut out, 1);
    put_u32(&mut out, CLIENT_FLAGS);
    // DomainNameFields and WorkstationFields: empty, at the payload (40).
    for _ in 0..2 {
        put_u16(&mut out, 0);
        put_u16(&mut out, 0);
        put_u32(&mut out, 40);
    }
    out.extend_from_slice(&CLIENT_VERSION);
    out
}

/// The parts of a CHALLENGE_MESSAGE the client uses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Challenge {
    pub(crate) flags: u32,
    pub(crate) server_challenge: [u8; 8],
    /// The raw `AV_PAIR` list, which the NTLMv2 response covers.
    pub(crate) target_info: Vec<u8>,
    /// `MsvAvTimestamp`, when the server sent one.
    pub(crate) timestamp: Option<u64>,
}

/// Parses a CHALLENGE_MESSAGE.
pub(crate) fn parse_challenge(bytes: &[u8]) -> Result<Challenge, NtlmError> {
    let bad = |reason: &str| NtlmError::MalformedChallenge(reason.to_owned());
    let t = |at: crate::rpc::wire::Truncated| {
        NtlmError::MalformedChallenge(format!("truncated at byte {}", at.offset))
    };
    let mut r = Reader::new(bytes);
    if r.take(8).map_err(t)? != SIGNATURE {
        return Err(bad("no NTLMSSP signature"));
    }
    if r.u32().map_err(t)? != 2 {
        return Err(bad("not a CHALLENGE_MESSAGE (type 2)"));
    }
    let _target_name = field(&mut r).map_err(t)?;
    let flags = r.u32().map_err(t)?;
    let server_challenge = r.array().map_err(t)?;
    r.take(8).map_err(t)?;
    let (info_len, info_offset) = field(&mut r).map_err(t)?;
    let target_info = if flags & flag::TARGET_INFO != 0 {
        let start = info_offset as usize;
        start
            .checked_add(usize::from(info_len))
            .and_then(|end| bytes.get(start..end))
            .ok_or_else(|| bad("TargetInfoFields point past the message"))?
            .to_vec()
    } else {
        Vec::new()
    };
    let timestamp = av_pairs(&target_info)?
        .into_iter()
        .find(|(id, _)| *id == av::TIMESTAMP)
        .map(|(_, value)| {
            <[u8; 8]>::try_from(value)
                .map(u64::from_le_bytes)
                .map_err(|_| bad("MsvAvTimestamp is not 8 bytes"))
        })
        .transpose()?;
    Ok(Challenge {
        flags,
        server_challenge,
        target_info,
        timestamp,
    })
}

/// A `(len, offset)` payload field; the max-length half is ignored.
fn field(r: &mut Reader<'_>) -> Result<(u16, u32), crate::rpc::wire::Truncated> {
    let len = r.u16()?;
    r.u16()?;
    Ok((len, r.u32()?))
}

/// Splits an `AV_PAIR` list up to `MsvAvEOL`.
pub(crate) fn av_pairs(list: &[u8]) -> Result<Vec<(u16, &[u8])>, NtlmError> {
    let mut pairs = Vec::new();
    let mut r = Reader::new(list);
    while r.remaining() > 0 {
        let t = |_| NtlmError::MalformedChallenge("AV_PAIR list truncated".to_owned());
        let id = r.u16().map_err(t)?;
        let len = r.u16().map_err(t)?;
        let value = r.take(usize::from(len)).map_err(t)?;
        if id == av::EOL {
            return Ok(pairs);
        }
        pairs.push((id, value));
    }
    if list.is_empty() {
        Ok(pairs)
    } else {
        Err(NtlmError::MalformedChallenge(
            "AV_PAIR list without MsvAvEOL".to_owned(),
        ))
    }
}

/// The server's `AV_PAIR` list with `MsvAvFlags` saying a MIC follows
/// (MS-NLMP 3.1.5.1.2: the client adds or updates that pair).
pub(crate) fn with_mic_flag(target_info: &[u8]) -> Result<Vec<u8>, NtlmError> {
    let mut out = Vec::with_capacity(target_info.len() + 8);
    let mut flagged = false;
    for (id, value) in av_pairs(target_info)? {
        put_u16(&mut out, id);
        put_u16(&mut out, value.len() as u16);
        if id == av::FLAGS && value.len() == 4 {
            let old = u32::from_le_bytes([value[0], value[1], value[2], value[3]]);
            out.extend_from_slice(&(old | AV_FLAG_MIC_PRESENT).to_le_bytes());
            flagged = true;
        } else {
            out.extend_from_slice(value);
        }
    }
    if !flagged {
        put_u16(&mut out, av::FLAGS);
        put_u16(&mut out, 4);
        put_u32(&mut out, AV_FLAG_MIC_PRESENT);
    }
    put_u16(&mut out, av::EOL);
    put_u16(&mut out, 0);
    Ok(out)
}

/// The fields of an AUTHENTICATE_MESSAGE.
pub(crate) struct Authenticate<'a> {
    pub(crate) flags: u32,
    pub(crate) lm_response: &'a [u8],
    pub(crate) nt_response: &'a [u8],
    pub(crate) domain: &'a str,
    pub(crate) user: &'a str,
    pub(crate) workstation: &'a str,
    pub(crate) encrypted_session_key: &'a [u8],
}

/// Offset of the MIC in the AUTHENTICATE_MESSAGE this client writes.
pub(crate) const MIC_OFFSET: usize = 72;
const AUTHENTICATE_HEADER_LEN: usize = 88;

impl Authenticate<'_> {
    /// The message with a zero MIC (the caller fills it in).
    pub(crate) fn encode(&self) -> Vec<u8> {
        let utf16 = |s: &str| {
            s.encode_utf16()
                .flat_map(u16::to_le_bytes)
                .collect::<Vec<u8>>()
        };
        let (domain, user, workstation) = (
            utf16(self.domain),
            utf16(self.user),
            utf16(self.workstation),
        );
        // Payload order: domain, user, workstation, LM, NT, session key.
        let parts: [&[u8]; 6] = [
            &domain,
            &user,
            &workstation,
            self.lm_response,
            self.nt_response,
            self.encrypted_session_key,
        ];
        let mut offsets = [0u32; 6];
        let mut at = AUTHENTICATE_HEADER_LEN;
        for (slot, part) in offsets.iter_mut().zip(parts) {
            *slot = at as u32;
            at += part.len();
        }
        let mut out = Vec::with_capacity(at);
        out.extend_from_slice(SIGNATURE);
        put_u32(&mut out, 3);
        // Field order in the header: LM, NT, domain, user, workstation, key.
        for index in [3, 4, 0, 1, 2, 5] {
            let len = parts[index].len() as u16;
            put_u16(&mut out, len);
            put_u16(&mut out, len);
            put_u32(&mut out, offsets[index]);
        }
        put_u32(&mut out, self.flags);
        out.extend_from_slice(&CLIENT_VERSION);
        out.extend_from_slice(&[0; 16]);
        for part in parts {
            out.extend_from_slice(part);
        }
        out
    }
}
