//! `request`, `response`, `fault` and `auth3` (C706 12.6.4.9–12.6.4.11,
//! MS-RPCE 2.2.2.10).

use super::super::error::RpcError;
use super::super::status::FaultStatus;
use super::super::syntax::Uuid;
use super::super::wire::{Reader, Truncated, put_u16, put_u32};
use super::bind::offset;
use super::{Auth, Header, flags};

/// A `request` fragment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    /// The stub bytes the whole call still has to send, from this
    /// fragment on (a hint).
    pub alloc_hint: u32,
    /// The presentation context.
    pub context_id: u16,
    /// The operation number within the interface.
    pub opnum: u16,
    /// The object UUID (when `PFC_OBJECT_UUID` is set).
    pub object: Option<Uuid>,
    /// The stub of this fragment. With an authentication verifier it ends
    /// with `auth.trailer.pad_length` bytes of padding, and at packet
    /// privacy it is encrypted.
    pub stub: Vec<u8>,
    /// The authentication verifier.
    pub auth: Option<Auth>,
}

/// A `response` fragment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Response {
    /// The stub bytes the whole reply still has, from this fragment on (a
    /// hint, which may be 0).
    pub alloc_hint: u32,
    /// The presentation context.
    pub context_id: u16,
    /// Cancels the server received.
    pub cancel_count: u8,
    /// The stub of this fragment, padding included as for [`Request::stub`].
    pub stub: Vec<u8>,
    /// The authentication verifier.
    pub auth: Option<Auth>,
}

/// A `fault`: the call failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fault {
    /// Size hint of the stub.
    pub alloc_hint: u32,
    /// The presentation context.
    pub context_id: u16,
    /// Cancels the server received.
    pub cancel_count: u8,
    /// The status.
    pub status: FaultStatus,
}

/// An `auth3`: the third leg of a three-leg authentication (NTLMSSP
/// AUTHENTICATE), which the server does not answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Auth3 {
    /// The authentication verifier.
    pub auth: Auth,
}

impl Request {
    pub(super) fn encode_body(&self, out: &mut Vec<u8>) {
        put_u32(out, self.alloc_hint);
        put_u16(out, self.context_id);
        put_u16(out, self.opnum);
        if let Some(object) = self.object {
            out.extend_from_slice(&object.0);
        }
        out.extend_from_slice(&self.stub);
    }

    pub(super) fn decode(
        header: &Header,
        body: &[u8],
        auth: Option<Auth>,
    ) -> Result<Self, RpcError> {
        let t = |at: Truncated| RpcError::truncated("request", offset(at));
        let mut r = Reader::new(body);
        let alloc_hint = r.u32().map_err(t)?;
        let context_id = r.u16().map_err(t)?;
        let opnum = r.u16().map_err(t)?;
        let object = if header.flags & flags::OBJECT_UUID != 0 {
            Some(Uuid(r.array().map_err(t)?))
        } else {
            None
        };
        Ok(Self {
            alloc_hint,
            context_id,
            opnum,
            object,
            stub: r.rest().to_vec(),
            auth,
        })
    }

    /// The stub without the authentication padding.
    pub fn stub_without_padding(&self) -> &[u8] {
        strip(&self.stub, self.auth.as_ref())
    }
}

impl Response {
    pub(super) fn encode_body(&self, out: &mut Vec<u8>) {
        put_u32(out, self.alloc_hint);
        put_u16(out, self.context_id);
        out.extend_from_slice(&[self.cancel_count, 0]);
        out.extend_from_slice(&self.stub);
    }

    pub(super) fn decode(body: &[u8], auth: Option<Auth>) -> Result<Self, RpcError> {
        let t = |at: Truncated| RpcError::truncated("response", offset(at));
        let mut r = Reader::new(body);
        let alloc_hint = r.u32().map_err(t)?;
        let context_id = r.u16().map_err(t)?;
        let cancel_count = r.u8().map_err(t)?;
        r.u8().map_err(t)?;
        Ok(Self {
            alloc_hint,
            context_id,
            cancel_count,
            stub: r.rest().to_vec(),
            auth,
        })
    }

    /// The stub without the authentication padding.
    pub fn stub_without_padding(&self) -> &[u8] {
        strip(&self.stub, self.auth.as_ref())
    }
}

impl Fault {
    pub(super) fn encode_body(&self, out: &mut Vec<u8>) {
        put_u32(out, self.alloc_hint);
        put_u16(out, self.context_id);
        out.extend_from_slice(&[self.cancel_count, 0]);
        put_u32(out, self.status.0);
        put_u32(out, 0);
    }

    pub(super) fn decode(body: &[u8], _auth: Option<Auth>) -> Result<Self, RpcError> {
        let t = |at: Truncated| RpcError::truncated("fault", offset(at));
        let mut r = Reader::new(body);
        let alloc_hint = r.u32().map_err(t)?;
        let context_id = r.u16().map_err(t)?;
        let cancel_count = r.u8().map_err(t)?;
        r.u8().map_err(t)?;
        let status = FaultStatus(r.u32().map_err(t)?);
        // The 4 reserved bytes after the status, and any stub, are ignored.
        Ok(Self {
            alloc_hint,
            context_id,
            cancel_count,
            status,
        })
    }
}

impl Auth3 {
    pub(super) fn encode_body(&self, out: &mut Vec<u8>) {
        // MS-RPCE 2.2.2.10: four bytes of padding before the trailer.
        put_u32(out, 0);
    }

    pub(super) fn decode(body: &[u8], auth: Option<Auth>) -> Result<Self, RpcError> {
        if body.len() < 4 {
            return Err(RpcError::malformed("auth3", "shorter than its 4-byte pad"));
        }
        let auth =
            auth.ok_or_else(|| RpcError::malformed("auth3", "no authentication verifier"))?;
        Ok(Self { auth })
    }
}

fn strip<'a>(stub: &'a [u8], auth: Option<&Auth>) -> &'a [u8] {
    let pad = auth.map_or(0, |a| usize::from(a.trailer.pad_length));
    // split_auth checked pad_length against the body; the stub is the body
    // less the fixed fields, so cap at its length.
    &stub[..stub.len().saturating_sub(pad)]
}
