//! `bind`, `alter_context`, their acknowledgements and `bind_nak`
//! (C706 12.6.4.3–12.6.4.6, MS-RPCE 2.2.2.4–2.2.2.5).

use super::super::error::RpcError;
use super::super::status::BindRejectReason;
use super::super::syntax::SyntaxId;
use super::super::wire::{Reader, Truncated, pad_to, put_u16, put_u32};
use super::{Auth, HEADER_LEN};

/// A `bind` or `alter_context`: the client's fragment sizes and the
/// presentation contexts it proposes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bind {
    /// The largest fragment the client sends.
    pub max_xmit_frag: u16,
    /// The largest fragment the client accepts.
    pub max_recv_frag: u16,
    /// 0 for a new association group.
    pub assoc_group_id: u32,
    /// The proposed presentation contexts.
    pub contexts: Vec<ContextElement>,
    /// The authentication verifier (the first NTLMSSP message).
    pub auth: Option<Auth>,
}

/// One proposed presentation context (`p_cont_elem_t`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContextElement {
    /// `p_cont_id`: the id requests name the context by.
    pub context_id: u16,
    /// The interface.
    pub abstract_syntax: SyntaxId,
    /// The transfer syntaxes the client offers, best first.
    pub transfer_syntaxes: Vec<SyntaxId>,
}

/// A `bind_ack` or `alter_context_resp`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BindAck {
    /// The largest fragment the server sends.
    pub max_xmit_frag: u16,
    /// The largest fragment the server accepts.
    pub max_recv_frag: u16,
    /// The association group the server put the connection in.
    pub assoc_group_id: u32,
    /// `sec_addr`: the server's secondary address (its port as text, with
    /// the terminating NUL the wire carries removed).
    pub secondary_address: Vec<u8>,
    /// One result per proposed context, in order.
    pub results: Vec<ContextResult>,
    /// The authentication verifier (the NTLMSSP challenge).
    pub auth: Option<Auth>,
}

/// The server's answer to one proposed context (`p_result_t`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ContextResult {
    /// 0 acceptance, 1 user rejection, 2 provider rejection, 3 negotiate
    /// ack (MS-RPCE bind-time feature negotiation).
    pub result: u16,
    /// The provider's reason for a rejection.
    pub reason: u16,
    /// The transfer syntax chosen (nil when rejected).
    pub transfer_syntax: SyntaxId,
}

/// A `bind_nak`: the server refused the association.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BindNak {
    /// `provider_reject_reason`.
    pub reason: BindRejectReason,
    /// The protocol versions the server supports (`major`, `minor`).
    pub versions: Vec<(u8, u8)>,
}

/// A list length as the one-octet count the PDU carries.
fn count(len: usize, what: &'static str) -> Result<u8, RpcError> {
    u8::try_from(len)
        .map_err(|_| RpcError::malformed(what, format!("{len} entries, at most 255 fit")))
}

impl Bind {
    pub(super) fn encode_body(&self, out: &mut Vec<u8>) -> Result<(), RpcError> {
        put_u16(out, self.max_xmit_frag);
        put_u16(out, self.max_recv_frag);
        put_u32(out, self.assoc_group_id);
        out.extend_from_slice(&[count(self.contexts.len(), "bind")?, 0, 0, 0]);
        for context in &self.contexts {
            put_u16(out, context.context_id);
            out.extend_from_slice(&[count(context.transfer_syntaxes.len(), "bind")?, 0]);
            context.abstract_syntax.write(out);
            for syntax in &context.transfer_syntaxes {
                syntax.write(out);
            }
        }
        Ok(())
    }

    pub(super) fn decode(
        name: &'static str,
        body: &[u8],
        auth: Option<Auth>,
    ) -> Result<Self, RpcError> {
        let t = |at: Truncated| RpcError::truncated(name, offset(at));
        let mut r = Reader::new(body);
        let max_xmit_frag = r.u16().map_err(t)?;
        let max_recv_frag = r.u16().map_err(t)?;
        let assoc_group_id = r.u32().map_err(t)?;
        let count = r.u8().map_err(t)?;
        r.take(3).map_err(t)?;
        let mut contexts = Vec::with_capacity(usize::from(count));
        for _ in 0..count {
            let context_id = r.u16().map_err(t)?;
            let syntaxes = r.u8().map_err(t)?;
            r.u8().map_err(t)?;
            let abstract_syntax = SyntaxId::read(&mut r).map_err(t)?;
            let mut transfer_syntaxes = Vec::with_capacity(usize::from(syntaxes));
            for _ in 0..syntaxes {
                transfer_syntaxes.push(SyntaxId::read(&mut r).map_err(t)?);
            }
            contexts.push(ContextElement {
                context_id,
                abstract_syntax,
                transfer_syntaxes,
            });
        }
        Ok(Self {
            max_xmit_frag,
            max_recv_frag,
            assoc_group_id,
            contexts,
            auth,
        })
    }
}

impl BindAck {
    pub(super) fn encode_body(&self, out: &mut Vec<u8>) -> Result<(), RpcError> {
        put_u16(out, self.max_xmit_frag);
        put_u16(out, self.max_recv_frag);
        put_u32(out, self.assoc_group_id);
        let with_nul =
            self.secondary_address.len() + usize::from(!self.secondary_address.is_empty());
        let address_len = u16::try_from(with_nul)
            .map_err(|_| RpcError::malformed("bind_ack", "secondary address too long"))?;
        put_u16(out, address_len);
        out.extend_from_slice(&self.secondary_address);
        if with_nul > 0 {
            out.push(0);
        }
        // The result list is 4-aligned from the start of the PDU; `out`
        // holds the body, which starts at 16.
        pad_to(out, 4);
        out.extend_from_slice(&[count(self.results.len(), "bind_ack")?, 0, 0, 0]);
        for result in &self.results {
            put_u16(out, result.result);
            put_u16(out, result.reason);
            result.transfer_syntax.write(out);
        }
        Ok(())
    }

    pub(super) fn decode(
        name: &'static str,
        body: &[u8],
        auth: Option<Auth>,
    ) -> Result<Self, RpcError> {
        let t = |at: Truncated| RpcError::truncated(name, offset(at));
        let mut r = Reader::new(body);
        let max_xmit_frag = r.u16().map_err(t)?;
        let max_recv_frag = r.u16().map_err(t)?;
        let assoc_group_id = r.u32().map_err(t)?;
        let address_len = r.u16().map_err(t)?;
        let mut secondary_address = r.take(usize::from(address_len)).map_err(t)?.to_vec();
        if secondary_address.last() == Some(&0) {
            secondary_address.pop();
        }
        // Align to 4 counted from the start of the PDU (the body starts at
        // 16, a multiple of 4, so counting from the body is the same).
        r.align(4).map_err(t)?;
        let count = r.u8().map_err(t)?;
        r.take(3).map_err(t)?;
        let mut results = Vec::with_capacity(usize::from(count));
        for _ in 0..count {
            results.push(ContextResult {
                result: r.u16().map_err(t)?,
                reason: r.u16().map_err(t)?,
                transfer_syntax: SyntaxId::read(&mut r).map_err(t)?,
            });
        }
        Ok(Self {
            max_xmit_frag,
            max_recv_frag,
            assoc_group_id,
            secondary_address,
            results,
            auth,
        })
    }
}

impl BindNak {
    pub(super) fn encode_body(&self, out: &mut Vec<u8>) -> Result<(), RpcError> {
        put_u16(out, self.reason.0);
        out.push(count(self.versions.len(), "bind_nak")?);
        for (major, minor) in &self.versions {
            out.extend_from_slice(&[*major, *minor]);
        }
        Ok(())
    }

    pub(super) fn decode(body: &[u8]) -> Result<Self, RpcError> {
        let t = |at: Truncated| RpcError::truncated("bind_nak", offset(at));
        let mut r = Reader::new(body);
        let reason = BindRejectReason(r.u16().map_err(t)?);
        // Some servers end the PDU after the reason; the version list is
        // informative only.
        let mut versions = Vec::new();
        if let Ok(count) = r.u8() {
            for _ in 0..count {
                let Ok([major, minor]) = r.array::<2>() else {
                    break;
                };
                versions.push((major, minor));
            }
        }
        Ok(Self { reason, versions })
    }
}

/// An offset in the body, reported as an offset in the PDU.
pub(super) fn offset(at: Truncated) -> Truncated {
    Truncated {
        offset: at.offset + HEADER_LEN,
    }
}
