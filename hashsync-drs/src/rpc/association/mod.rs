//! One DCE/RPC association as a state machine without I/O: it writes the
//! PDUs to send and reads the PDUs received, and the caller moves the
//! bytes (see [`super::RpcClient`] for the blocking TCP driver).
//!
//! Order of calls: [`Association::bind`], send it; read one PDU, give it
//! to [`Association::handle_bind_ack`], send the `auth3` it may return.
//! Then per call: [`Association::request`], send every fragment; read
//! PDUs and give each to [`Association::handle_response`] until it
//! returns the reply stub. [`Association::alter_context`] adds an
//! interface (a presentation context) to a ready association.
//!
//! ```
//! use hashsync_drs::rpc::pdu::{Pdu, PacketType};
//! use hashsync_drs::rpc::{Association, AssociationConfig, RpcError, SyntaxId};
//! let mut association = Association::anonymous(SyntaxId::EPM, AssociationConfig::default());
//! let bind = association.bind()?;
//! let (header, pdu) = Pdu::decode(&bind)?;
//! assert_eq!(header.packet_type, PacketType::Bind);
//! let Pdu::Bind(bind) = pdu else { unreachable!() };
//! assert_eq!(bind.contexts[0].abstract_syntax, SyntaxId::EPM);
//! // No call before the server's bind_ack.
//! assert!(matches!(association.request(3, b""), Err(RpcError::NotReady(_))));
//! # Ok::<(), RpcError>(())
//! ```

use hashsync::formats::drs::SessionKey;

mod reply;

use super::credentials::ReplicationCredentials;
use super::error::RpcError;
use super::ntlm::{NtlmClient, NtlmSession, SIGNATURE_LEN};
use super::pdu::{
    AUTH_LEVEL_PKT_PRIVACY, AUTH_TYPE_NTLMSSP, Auth, Auth3, Bind, BindAck, ContextElement,
    HEADER_LEN, Header, PacketType, Pdu, SEC_TRAILER_LEN, SecTrailer, assemble, flags,
};
use super::syntax::SyntaxId;
use super::transcript::{Direction, Transcript};
use super::wire::{padding, put_u16, put_u32};

/// Offset of the stub in a request (no object UUID) and in a response.
const STUB_OFFSET: usize = 24;
/// Windows pads sealed stubs to 16 bytes, as does Samba's client.
const SEAL_PAD_ALIGN: usize = 16;
/// The `auth_context_id` this client uses.
const AUTH_CONTEXT_ID: u32 = 1;
/// The presentation context id of the one interface.
const CONTEXT_ID: u16 = 0;

/// Sizes and limits of an association.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct AssociationConfig {
    /// The largest fragment the client proposes to send.
    pub max_xmit_frag: u16,
    /// The largest fragment the client accepts; longer ones are refused
    /// before they are read.
    pub max_recv_frag: u16,
    /// The largest reassembled reply stub the client accepts.
    pub max_reply_len: usize,
    /// Keep every PDU and plaintext stub in a [`Transcript`] (for test
    /// vectors: it holds the plaintext of sealed calls).
    pub record_transcript: bool,
}

impl Default for AssociationConfig {
    /// 5840-byte fragments both ways (what Windows and Samba use), replies
    /// up to 64 MiB, no transcript.
    fn default() -> Self {
        Self {
            max_xmit_frag: 5840,
            max_recv_frag: 5840,
            max_reply_len: 64 << 20,
            record_transcript: false,
        }
    }
}

enum State {
    Unbound,
    AwaitingBindAck { call_id: u32 },
    AwaitingAlterContextResp { call_id: u32 },
    Ready,
    Broken,
}

/// A client association with one interface, anonymous or at NTLM packet
/// privacy.
pub struct Association {
    config: AssociationConfig,
    interface: SyntaxId,
    state: State,
    next_call_id: u32,
    max_xmit_frag: usize,
    ntlm: Option<(NtlmClient, String)>,
    session: Option<NtlmSession>,
    session_key: Option<SessionKey>,
    outstanding: Option<u32>,
    /// Presentation contexts accepted so far (ids 0, 1, …).
    contexts: u16,
    assoc_group_id: u32,
    reply: Vec<u8>,
    reply_started: bool,
    calls_completed: u64,
    transcript: Option<Transcript>,
}

impl Association {
    /// An association without authentication (the endpoint mapper).
    pub fn anonymous(interface: SyntaxId, config: AssociationConfig) -> Self {
        Self::new(interface, config, None)
    }

    /// An association authenticated by NTLM at packet privacy.
    pub fn sealed(
        interface: SyntaxId,
        credentials: &ReplicationCredentials,
        config: AssociationConfig,
    ) -> Self {
        let ntlm = (NtlmClient::new(credentials), credentials.account());
        Self::new(interface, config, Some(ntlm))
    }

    fn new(
        interface: SyntaxId,
        config: AssociationConfig,
        ntlm: Option<(NtlmClient, String)>,
    ) -> Self {
        Self {
            max_xmit_frag: usize::from(config.max_xmit_frag),
            transcript: config.record_transcript.then(Transcript::default),
            config,
            interface,
            state: State::Unbound,
            next_call_id: 1,
            ntlm,
            session: None,
            session_key: None,
            outstanding: None,
            contexts: 0,
            assoc_group_id: 0,
            reply: Vec::new(),
            reply_started: false,
            calls_completed: 0,
        }
    }

    /// The largest fragment the I/O layer may read.
    pub fn max_recv_frag(&self) -> usize {
        usize::from(self.config.max_recv_frag)
    }

    /// The NTLM exported session key, once authenticated.
    pub fn session_key(&self) -> Option<&SessionKey> {
        self.session_key.as_ref()
    }

    /// The transcript, if [`AssociationConfig::record_transcript`] is set.
    pub fn transcript(&self) -> Option<&Transcript> {
        self.transcript.as_ref()
    }

    /// The `bind` PDU (carrying the NTLM NEGOTIATE_MESSAGE when sealed).
    pub fn bind(&mut self) -> Result<Vec<u8>, RpcError> {
        if !matches!(self.state, State::Unbound) {
            return Err(RpcError::NotReady("bind already sent"));
        }
        let call_id = self.take_call_id();
        let bind = Bind {
            max_xmit_frag: self.config.max_xmit_frag,
            max_recv_frag: self.config.max_recv_frag,
            assoc_group_id: 0,
            contexts: vec![ContextElement {
                context_id: CONTEXT_ID,
                abstract_syntax: self.interface,
                transfer_syntaxes: vec![SyntaxId::NDR20],
            }],
            auth: self
                .ntlm
                .as_ref()
                .map(|(ntlm, _)| privacy(ntlm.negotiate().to_vec(), 0)),
        };
        let pdu = Pdu::Bind(bind).encode(flags::FIRST_FRAG | flags::LAST_FRAG, call_id)?;
        self.state = State::AwaitingBindAck { call_id };
        self.record(Direction::Sent, "pdu", &pdu);
        Ok(pdu)
    }

    /// Reads the answer to the bind; returns the `auth3` PDU to send when
    /// the association is sealed.
    pub fn handle_bind_ack(&mut self, bytes: &[u8]) -> Result<Option<Vec<u8>>, RpcError> {
        let State::AwaitingBindAck { call_id } = self.state else {
            return Err(RpcError::NotReady("no bind outstanding"));
        };
        self.state = State::Broken;
        self.record(Direction::Received, "pdu", bytes);
        let (header, pdu) = Pdu::decode(bytes)?;
        let ack = match pdu {
            Pdu::BindAck(ack) => ack,
            Pdu::BindNak(nak) if nak.reason.is_authentication() => {
                return Err(self.rejected(format!("bind_nak, reason {}", nak.reason)));
            }
            Pdu::BindNak(nak) => return Err(RpcError::BindRejected { reason: nak.reason }),
            other => {
                return Err(RpcError::UnexpectedPdu {
                    expected: "bind_ack",
                    got: other.packet_type().code(),
                });
            }
        };
        accepted("bind_ack", &header, call_id, &ack)?;
        self.assoc_group_id = ack.assoc_group_id;
        self.contexts = 1;
        // Our fragments must fit what the server receives.
        self.max_xmit_frag = self
            .max_xmit_frag
            .min(usize::from(ack.max_recv_frag))
            .max(HEADER_LEN + 8 + SEC_TRAILER_LEN + SIGNATURE_LEN + SEAL_PAD_ALIGN);
        let Some((ntlm, _)) = &self.ntlm else {
            self.state = State::Ready;
            return Ok(None);
        };
        let token = ack
            .auth
            .ok_or_else(|| RpcError::malformed("bind_ack", "no NTLM challenge"))?;
        if token.trailer.auth_type != AUTH_TYPE_NTLMSSP
            || token.trailer.auth_level != AUTH_LEVEL_PKT_PRIVACY
        {
            return Err(RpcError::malformed(
                "bind_ack",
                format!(
                    "auth type {} level {}, expected NTLMSSP privacy",
                    token.trailer.auth_type, token.trailer.auth_level
                ),
            ));
        }
        let authenticated = ntlm.authenticate(&token.value)?;
        self.session = Some(authenticated.session);
        self.session_key = Some(authenticated.session_key);
        let auth3 = Pdu::Auth3(Auth3 {
            auth: privacy(authenticated.message, 0),
        })
        .encode(flags::FIRST_FRAG | flags::LAST_FRAG, call_id)?;
        self.record(Direction::Sent, "pdu", &auth3);
        self.state = State::Ready;
        Ok(Some(auth3))
    }

    /// The request fragments of a call on the bind's interface (sealed
    /// when the association is).
    pub fn request(&mut self, opnum: u16, stub: &[u8]) -> Result<Vec<Vec<u8>>, RpcError> {
        self.request_in(CONTEXT_ID, opnum, stub)
    }

    /// The request fragments of a call on presentation context `context`
    /// (0 for the bind's interface, then the ids
    /// [`Association::alter_context`] returned).
    pub fn request_in(
        &mut self,
        context: u16,
        opnum: u16,
        stub: &[u8],
    ) -> Result<Vec<Vec<u8>>, RpcError> {
        if !matches!(self.state, State::Ready) || self.outstanding.is_some() {
            return Err(RpcError::NotReady("bind incomplete or a call outstanding"));
        }
        if context >= self.contexts {
            return Err(RpcError::NotReady("no such presentation context"));
        }
        let total =
            u32::try_from(stub.len()).map_err(|_| RpcError::RequestTooLong { len: stub.len() })?;
        let call_id = self.take_call_id();
        self.record(Direction::Sent, "stub", stub);
        let overhead = STUB_OFFSET
            + if self.session.is_some() {
                SEC_TRAILER_LEN + SIGNATURE_LEN
            } else {
                0
            };
        let chunk_len = (self.max_xmit_frag - overhead) / SEAL_PAD_ALIGN * SEAL_PAD_ALIGN;
        let mut fragments = Vec::new();
        let mut offset = 0;
        loop {
            let end = (offset + chunk_len).min(stub.len());
            let mut pfc = 0;
            if offset == 0 {
                pfc |= flags::FIRST_FRAG;
            }
            if end == stub.len() {
                pfc |= flags::LAST_FRAG;
            }
            let alloc_hint = total - offset as u32;
            let fragment = self.request_fragment(
                pfc,
                call_id,
                alloc_hint,
                (context, opnum),
                &stub[offset..end],
            )?;
            self.record(Direction::Sent, "pdu", &fragment);
            fragments.push(fragment);
            offset = end;
            if offset == stub.len() {
                break;
            }
        }
        self.outstanding = Some(call_id);
        self.reply.clear();
        self.reply_started = false;
        Ok(fragments)
    }

    fn request_fragment(
        &mut self,
        pfc: u8,
        call_id: u32,
        alloc_hint: u32,
        (context, opnum): (u16, u16),
        chunk: &[u8],
    ) -> Result<Vec<u8>, RpcError> {
        let mut body = Vec::with_capacity(8 + chunk.len() + SEAL_PAD_ALIGN);
        put_u32(&mut body, alloc_hint);
        put_u16(&mut body, context);
        put_u16(&mut body, opnum);
        body.extend_from_slice(chunk);
        let Some(session) = self.session.as_mut() else {
            return assemble(PacketType::Request, pfc, call_id, &body, None);
        };
        let pad = padding(chunk.len(), SEAL_PAD_ALIGN);
        body.resize(body.len() + pad, 0);
        let auth = privacy(vec![0; SIGNATURE_LEN], pad as u8);
        let mut pdu = assemble(PacketType::Request, pfc, call_id, &body, Some(&auth))?;
        let signed = pdu.len() - SIGNATURE_LEN;
        let sealed = STUB_OFFSET..STUB_OFFSET + chunk.len() + pad;
        let signature = session.seal(&mut pdu[..signed], sealed);
        pdu[signed..].copy_from_slice(&signature);
        Ok(pdu)
    }

    /// An `alter_context` PDU proposing one more interface on this
    /// association; returns the presentation context id it will have.
    /// On a sealed association the security context is the one the bind
    /// set up, so the PDU carries no authentication verifier.
    pub fn alter_context(&mut self, interface: SyntaxId) -> Result<(u16, Vec<u8>), RpcError> {
        if !matches!(self.state, State::Ready) || self.outstanding.is_some() {
            return Err(RpcError::NotReady("bind incomplete or a call outstanding"));
        }
        let context_id = self.contexts;
        let call_id = self.take_call_id();
        let pdu = Pdu::AlterContext(Bind {
            max_xmit_frag: self.config.max_xmit_frag,
            max_recv_frag: self.config.max_recv_frag,
            assoc_group_id: self.assoc_group_id,
            contexts: vec![ContextElement {
                context_id,
                abstract_syntax: interface,
                transfer_syntaxes: vec![SyntaxId::NDR20],
            }],
            auth: None,
        })
        .encode(flags::FIRST_FRAG | flags::LAST_FRAG, call_id)?;
        self.record(Direction::Sent, "pdu", &pdu);
        self.state = State::AwaitingAlterContextResp { call_id };
        Ok((context_id, pdu))
    }

    /// Reads the answer to an `alter_context`.
    pub fn handle_alter_context_resp(&mut self, bytes: &[u8]) -> Result<(), RpcError> {
        let State::AwaitingAlterContextResp { call_id } = self.state else {
            return Err(RpcError::NotReady("no alter_context outstanding"));
        };
        self.state = State::Broken;
        self.record(Direction::Received, "pdu", bytes);
        let (header, pdu) = Pdu::decode(bytes)?;
        let response = match pdu {
            Pdu::AlterContextResp(response) => response,
            Pdu::Fault(fault) => {
                return Err(RpcError::Fault {
                    status: fault.status,
                });
            }
            other => {
                return Err(RpcError::UnexpectedPdu {
                    expected: "alter_context_resp",
                    got: other.packet_type().code(),
                });
            }
        };
        if let Err(err) = accepted("alter_context_resp", &header, call_id, &response) {
            if matches!(err, RpcError::ContextRejected { .. }) {
                // The association itself is still good.
                self.state = State::Ready;
            }
            return Err(err);
        }
        self.contexts += 1;
        self.state = State::Ready;
        Ok(())
    }

    fn take_call_id(&mut self) -> u32 {
        let id = self.next_call_id;
        self.next_call_id = self.next_call_id.wrapping_add(1).max(1);
        id
    }

    fn rejected(&self, detail: String) -> RpcError {
        RpcError::AuthenticationRejected {
            user: self
                .ntlm
                .as_ref()
                .map(|(_, account)| account.clone())
                .unwrap_or_default(),
            detail,
        }
    }

    fn record(&mut self, direction: Direction, kind: &'static str, bytes: &[u8]) {
        if let Some(transcript) = self.transcript.as_mut() {
            transcript.push(direction, kind, bytes);
        }
    }
}

/// Whether a bind_ack or alter_context_resp answers call `call_id` and
/// accepts its one proposed context with NDR 2.0.
fn accepted(
    pdu: &'static str,
    header: &Header,
    call_id: u32,
    ack: &BindAck,
) -> Result<(), RpcError> {
    if header.call_id != call_id {
        return Err(RpcError::CallIdMismatch {
            expected: call_id,
            got: header.call_id,
        });
    }
    let result = ack
        .results
        .first()
        .ok_or_else(|| RpcError::malformed(pdu, "no context result"))?;
    if result.result != 0 {
        return Err(RpcError::ContextRejected {
            result: result.result,
            reason: result.reason,
        });
    }
    if result.transfer_syntax != SyntaxId::NDR20 {
        return Err(RpcError::malformed(
            pdu,
            "the server chose a transfer syntax other than NDR 2.0",
        ));
    }
    Ok(())
}

/// An NTLMSSP packet-privacy verifier around `token`.
fn privacy(token: Vec<u8>, pad_length: u8) -> Auth {
    Auth {
        trailer: SecTrailer {
            auth_type: AUTH_TYPE_NTLMSSP,
            auth_level: AUTH_LEVEL_PKT_PRIVACY,
            pad_length,
            context_id: AUTH_CONTEXT_ID,
        },
        value: token,
    }
}

impl core::fmt::Debug for Association {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Association")
            .field("interface", &self.interface)
            .field("sealed", &self.ntlm.is_some())
            .field("max_xmit_frag", &self.max_xmit_frag)
            .finish_non_exhaustive()
    }
}
