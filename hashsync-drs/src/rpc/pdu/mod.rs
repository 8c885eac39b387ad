//! Connection-oriented DCE/RPC v5.0 PDUs (C706 chapter 12, MS-RPCE 2.2.2),
//! encoded and decoded without I/O.
//!
//! Every PDU starts with the 16-byte common header; a PDU that carries
//! authentication ends with the 8-byte `sec_trailer` and `auth_length`
//! bytes of the security provider's token. Only little-endian data
//! representation with ASCII characters and IEEE floats (`drep` 10 00 00
//! 00) is accepted: it is what Windows and Samba answer a client that
//! sends it.

mod bind;
mod call;

pub use bind::{Bind, BindAck, BindNak, ContextElement, ContextResult};
pub use call::{Auth3, Fault, Request, Response};

use super::error::RpcError;
use super::wire::{Reader, put_u16, put_u32};

/// Size of the common header.
pub const HEADER_LEN: usize = 16;
/// Size of the `sec_trailer` in front of the authentication token.
pub const SEC_TRAILER_LEN: usize = 8;
/// `drep`: little-endian integers, ASCII characters, IEEE floats.
pub const DREP_LITTLE_ENDIAN: [u8; 4] = [0x10, 0, 0, 0];

/// `pfc_flags` bits (C706 12.6.3.1, MS-RPCE 2.2.2.3).
pub mod flags {
    /// First fragment of a PDU sequence.
    pub const FIRST_FRAG: u8 = 0x01;
    /// Last fragment of a PDU sequence.
    pub const LAST_FRAG: u8 = 0x02;
    /// In a bind: the client supports header signing (MS-RPCE); in other
    /// PDUs: a cancel was pending.
    pub const SUPPORT_HEADER_SIGN: u8 = 0x04;
    /// Concurrent multiplexing.
    pub const CONC_MPX: u8 = 0x10;
    /// The call did not execute (in a fault).
    pub const DID_NOT_EXECUTE: u8 = 0x20;
    /// `maybe` semantics.
    pub const MAYBE: u8 = 0x40;
    /// A request carries an object UUID.
    pub const OBJECT_UUID: u8 = 0x80;
}

/// The packet types this crate speaks (`PTYPE`, C706 12.6.3.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PacketType {
    /// `request` (0).
    Request,
    /// `response` (2).
    Response,
    /// `fault` (3).
    Fault,
    /// `bind` (11).
    Bind,
    /// `bind_ack` (12).
    BindAck,
    /// `bind_nak` (13).
    BindNak,
    /// `alter_context` (14).
    AlterContext,
    /// `alter_context_resp` (15).
    AlterContextResp,
    /// `auth3` (16, MS-RPCE).
    Auth3,
}

impl PacketType {
    /// The `PTYPE` octet.
    pub fn code(self) -> u8 {
        match self {
            Self::Request => 0,
            Self::Response => 2,
            Self::Fault => 3,
            Self::Bind => 11,
            Self::BindAck => 12,
            Self::BindNak => 13,
            Self::AlterContext => 14,
            Self::AlterContextResp => 15,
            Self::Auth3 => 16,
        }
    }

    /// The type of a `PTYPE` octet, if this crate speaks it.
    pub fn from_code(code: u8) -> Option<Self> {
        Some(match code {
            0 => Self::Request,
            2 => Self::Response,
            3 => Self::Fault,
            11 => Self::Bind,
            12 => Self::BindAck,
            13 => Self::BindNak,
            14 => Self::AlterContext,
            15 => Self::AlterContextResp,
            16 => Self::Auth3,
            _ => return None,
        })
    }

    /// The name C706 gives it.
    pub fn name(self) -> &'static str {
        match self {
            Self::Request => "request",
            Self::Response => "response",
            Self::Fault => "fault",
            Self::Bind => "bind",
            Self::BindAck => "bind_ack",
            Self::BindNak => "bind_nak",
            Self::AlterContext => "alter_context",
            Self::AlterContextResp => "alter_context_resp",
            Self::Auth3 => "auth3",
        }
    }
}

/// The common header of every connection-oriented PDU.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header {
    /// `PTYPE`.
    pub packet_type: PacketType,
    /// `pfc_flags` (see [`flags`]).
    pub flags: u8,
    /// Length of the whole fragment, header included.
    pub frag_length: u16,
    /// Length of the authentication token (after the `sec_trailer`).
    pub auth_length: u16,
    /// The call this PDU belongs to.
    pub call_id: u32,
}

impl Header {
    /// Parses the first 16 bytes of a PDU.
    ///
    /// The I/O layer calls this on the first 16 bytes it reads, to learn
    /// how many more make up the fragment.
    pub fn parse(bytes: &[u8]) -> Result<Self, RpcError> {
        let mut r = Reader::new(bytes);
        let t = |at| RpcError::truncated("header", at);
        let (major, minor) = (r.u8().map_err(t)?, r.u8().map_err(t)?);
        if (major, minor) != (5, 0) {
            return Err(RpcError::malformed(
                "header",
                format!("RPC version {major}.{minor}, expected 5.0"),
            ));
        }
        let code = r.u8().map_err(t)?;
        let packet_type = PacketType::from_code(code)
            .ok_or_else(|| RpcError::malformed("header", format!("unknown packet type {code}")))?;
        let flags = r.u8().map_err(t)?;
        let drep: [u8; 4] = r.array().map_err(t)?;
        if drep[0] & 0xf0 != 0x10 || drep[0] & 0x0f != 0 || drep[1] != 0 {
            return Err(RpcError::malformed(
                "header",
                format!(
                    "data representation {drep:02x?}: only little-endian ASCII IEEE is supported"
                ),
            ));
        }
        let header = Self {
            packet_type,
            flags,
            frag_length: r.u16().map_err(t)?,
            auth_length: r.u16().map_err(t)?,
            call_id: r.u32().map_err(t)?,
        };
        let least = HEADER_LEN
            + if header.auth_length > 0 {
                SEC_TRAILER_LEN + usize::from(header.auth_length)
            } else {
                0
            };
        if usize::from(header.frag_length) < least {
            return Err(RpcError::malformed(
                "header",
                format!(
                    "frag_length {} shorter than header and authentication ({least})",
                    header.frag_length
                ),
            ));
        }
        Ok(header)
    }

    fn write(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&[5, 0, self.packet_type.code(), self.flags]);
        out.extend_from_slice(&DREP_LITTLE_ENDIAN);
        put_u16(out, self.frag_length);
        put_u16(out, self.auth_length);
        put_u32(out, self.call_id);
    }
}

/// Authentication type 10: NTLMSSP (`RPC_C_AUTHN_WINNT`, MS-RPCE 2.2.1.1.7).
pub const AUTH_TYPE_NTLMSSP: u8 = 10;
/// Authentication level 6: packet privacy (MS-RPCE 2.2.1.1.8).
pub const AUTH_LEVEL_PKT_PRIVACY: u8 = 6;

/// The `sec_trailer` (MS-RPCE 2.2.2.11).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SecTrailer {
    /// `auth_type` (10 = NTLMSSP).
    pub auth_type: u8,
    /// `auth_level` (6 = packet privacy).
    pub auth_level: u8,
    /// Bytes of padding between the stub and this trailer.
    pub pad_length: u8,
    /// `auth_context_id`.
    pub context_id: u32,
}

impl SecTrailer {
    fn write(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&[self.auth_type, self.auth_level, self.pad_length, 0]);
        put_u32(out, self.context_id);
    }
}

/// A PDU's authentication verifier: trailer and token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Auth {
    /// The `sec_trailer`.
    pub trailer: SecTrailer,
    /// The token: an NTLMSSP message in bind, bind_ack and auth3; the
    /// 16-byte NTLMSSP signature in request and response.
    pub value: Vec<u8>,
}

/// A decoded PDU.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Pdu {
    /// `bind`.
    Bind(Bind),
    /// `bind_ack`.
    BindAck(BindAck),
    /// `bind_nak`.
    BindNak(BindNak),
    /// `alter_context` (same layout as bind).
    AlterContext(Bind),
    /// `alter_context_resp` (same layout as bind_ack).
    AlterContextResp(BindAck),
    /// `auth3`.
    Auth3(Auth3),
    /// `request`.
    Request(Request),
    /// `response`.
    Response(Response),
    /// `fault`.
    Fault(Fault),
}

impl Pdu {
    /// Decodes one whole fragment (exactly `frag_length` bytes).
    pub fn decode(bytes: &[u8]) -> Result<(Header, Self), RpcError> {
        let header = Header::parse(bytes)?;
        if bytes.len() != usize::from(header.frag_length) {
            return Err(RpcError::malformed(
                header.packet_type.name(),
                format!(
                    "{} bytes given for a frag_length of {}",
                    bytes.len(),
                    header.frag_length
                ),
            ));
        }
        let (body, auth) = split_auth(&header, bytes)?;
        let name = header.packet_type.name();
        let pdu = match header.packet_type {
            PacketType::Bind => Self::Bind(Bind::decode(name, body, auth)?),
            PacketType::AlterContext => Self::AlterContext(Bind::decode(name, body, auth)?),
            PacketType::BindAck => Self::BindAck(BindAck::decode(name, body, auth)?),
            PacketType::AlterContextResp => {
                Self::AlterContextResp(BindAck::decode(name, body, auth)?)
            }
            PacketType::BindNak => Self::BindNak(BindNak::decode(body)?),
            PacketType::Auth3 => Self::Auth3(Auth3::decode(body, auth)?),
            PacketType::Request => Self::Request(Request::decode(&header, body, auth)?),
            PacketType::Response => Self::Response(Response::decode(body, auth)?),
            PacketType::Fault => Self::Fault(Fault::decode(body, auth)?),
        };
        Ok((header, pdu))
    }

    /// The packet type.
    pub fn packet_type(&self) -> PacketType {
        match self {
            Self::Bind(_) => PacketType::Bind,
            Self::BindAck(_) => PacketType::BindAck,
            Self::BindNak(_) => PacketType::BindNak,
            Self::AlterContext(_) => PacketType::AlterContext,
            Self::AlterContextResp(_) => PacketType::AlterContextResp,
            Self::Auth3(_) => PacketType::Auth3,
            Self::Request(_) => PacketType::Request,
            Self::Response(_) => PacketType::Response,
            Self::Fault(_) => PacketType::Fault,
        }
    }

    /// Encodes the PDU as one fragment; `frag_length` and `auth_length`
    /// are computed.
    pub fn encode(&self, flags: u8, call_id: u32) -> Result<Vec<u8>, RpcError> {
        let mut body = Vec::new();
        let auth = match self {
            Self::Bind(b) | Self::AlterContext(b) => {
                b.encode_body(&mut body)?;
                b.auth.as_ref()
            }
            Self::BindAck(b) | Self::AlterContextResp(b) => {
                b.encode_body(&mut body)?;
                b.auth.as_ref()
            }
            Self::BindNak(b) => {
                b.encode_body(&mut body)?;
                None
            }
            Self::Auth3(a) => {
                a.encode_body(&mut body);
                Some(&a.auth)
            }
            Self::Request(r) => {
                r.encode_body(&mut body);
                r.auth.as_ref()
            }
            Self::Response(r) => {
                r.encode_body(&mut body);
                r.auth.as_ref()
            }
            Self::Fault(f) => {
                f.encode_body(&mut body);
                None
            }
        };
        assemble(self.packet_type(), flags, call_id, &body, auth)
    }
}

/// Header, body, then the authentication verifier if any.
pub(crate) fn assemble(
    packet_type: PacketType,
    flags: u8,
    call_id: u32,
    body: &[u8],
    auth: Option<&Auth>,
) -> Result<Vec<u8>, RpcError> {
    let auth_len = auth.map_or(0, |a| SEC_TRAILER_LEN + a.value.len());
    let total = HEADER_LEN + body.len() + auth_len;
    let frag_length = u16::try_from(total).map_err(|_| RpcError::FragmentTooLong {
        length: total,
        limit: usize::from(u16::MAX),
    })?;
    let auth_length = auth.map_or(Ok(0), |a| {
        u16::try_from(a.value.len()).map_err(|_| RpcError::FragmentTooLong {
            length: total,
            limit: usize::from(u16::MAX),
        })
    })?;
    let mut out = Vec::with_capacity(total);
    Header {
        packet_type,
        flags,
        frag_length,
        auth_length,
        call_id,
    }
    .write(&mut out);
    out.extend_from_slice(body);
    if let Some(auth) = auth {
        auth.trailer.write(&mut out);
        out.extend_from_slice(&auth.value);
    }
    Ok(out)
}

/// The body (after the header, before the `sec_trailer`) and the
/// authentication verifier of a whole fragment.
fn split_auth<'a>(header: &Header, bytes: &'a [u8]) -> Result<(&'a [u8], Option<Auth>), RpcError> {
    let body = &bytes[HEADER_LEN..];
    if header.auth_length == 0 {
        return Ok((body, None));
    }
    let name = header.packet_type.name();
    let token_len = usize::from(header.auth_length);
    // Header::parse checked frag_length covers trailer and token.
    let trailer_at = body.len() - token_len - SEC_TRAILER_LEN;
    let mut r = Reader::new(&body[trailer_at..]);
    let t = |at| RpcError::truncated("sec_trailer", at);
    let trailer = SecTrailer {
        auth_type: r.u8().map_err(t)?,
        auth_level: r.u8().map_err(t)?,
        pad_length: r.u8().map_err(t)?,
        context_id: {
            r.u8().map_err(t)?;
            r.u32().map_err(t)?
        },
    };
    let value = r.rest().to_vec();
    if usize::from(trailer.pad_length) > trailer_at {
        return Err(RpcError::malformed(
            name,
            format!(
                "auth_pad_length {} longer than the {trailer_at} body bytes",
                trailer.pad_length
            ),
        ));
    }
    Ok((&body[..trailer_at], Some(Auth { trailer, value })))
}

#[cfg(test)]
mod tests;
