//! The reply side of a call: response fragments checked, unsealed and
//! reassembled; faults mapped.

use super::super::error::RpcError;
use super::super::ntlm::SIGNATURE_LEN;
use super::super::pdu::{
    AUTH_LEVEL_PKT_PRIVACY, AUTH_TYPE_NTLMSSP, Header, PacketType, Pdu, SEC_TRAILER_LEN, flags,
};
use super::super::status::FaultStatus;
use super::super::transcript::Direction;
use super::{Association, STUB_OFFSET, State};

impl Association {
    /// Reads one fragment of the reply; returns the whole reply stub
    /// (unsealed, padding removed) with the last fragment.
    pub fn handle_response(&mut self, bytes: &[u8]) -> Result<Option<Vec<u8>>, RpcError> {
        let Some(call_id) = self.outstanding else {
            return Err(RpcError::NotReady("no call outstanding"));
        };
        self.record(Direction::Received, "pdu", bytes);
        match self.response_fragment(call_id, bytes) {
            Ok(Some(stub)) => {
                self.outstanding = None;
                self.calls_completed += 1;
                self.record(Direction::Received, "stub", &stub);
                Ok(Some(stub))
            }
            Ok(None) => Ok(None),
            Err(err @ RpcError::Fault { .. }) => {
                // A fault ends the call, not the association.
                self.outstanding = None;
                self.reply.clear();
                Err(err)
            }
            Err(err) => {
                self.state = State::Broken;
                self.outstanding = None;
                Err(err)
            }
        }
    }

    fn response_fragment(
        &mut self,
        call_id: u32,
        bytes: &[u8],
    ) -> Result<Option<Vec<u8>>, RpcError> {
        let header = Header::parse(bytes)?;
        if bytes.len() != usize::from(header.frag_length) {
            return Err(RpcError::malformed(
                "response",
                "length differs from frag_length",
            ));
        }
        match header.packet_type {
            PacketType::Response => {}
            PacketType::Fault => {
                let (_, Pdu::Fault(fault)) = Pdu::decode(bytes)? else {
                    return Err(RpcError::malformed("fault", "not a fault"));
                };
                if header.call_id != call_id && header.call_id != 0 {
                    return Err(RpcError::CallIdMismatch {
                        expected: call_id,
                        got: header.call_id,
                    });
                }
                // NTLM's auth3 has no answer: a wrong password shows as a
                // fault on the first sealed call. Windows answers access
                // denied; Samba 4.17 nca_s_proto_error (and disconnects).
                let refusal =
                    fault.status.is_access_denied() || fault.status == FaultStatus::PROTO_ERROR;
                if self.session.is_some() && self.calls_completed == 0 && refusal {
                    return Err(self.rejected(format!(
                        "fault {} on the first call after auth3",
                        fault.status
                    )));
                }
                return Err(RpcError::Fault {
                    status: fault.status,
                });
            }
            other => {
                return Err(RpcError::UnexpectedPdu {
                    expected: "response",
                    got: other.code(),
                });
            }
        }
        if header.call_id != call_id {
            return Err(RpcError::CallIdMismatch {
                expected: call_id,
                got: header.call_id,
            });
        }
        let first = header.flags & flags::FIRST_FRAG != 0;
        if first == self.reply_started {
            return Err(RpcError::malformed(
                "response",
                if first {
                    "a first fragment in the middle of a reply"
                } else {
                    "a continuation fragment before the first"
                },
            ));
        }
        self.reply_started = true;
        let stub = self.open_fragment(&header, bytes)?;
        if self.reply.len() + stub.len() > self.config.max_reply_len {
            return Err(RpcError::ReplyTooLong {
                limit: self.config.max_reply_len,
            });
        }
        self.reply.extend_from_slice(&stub);
        if header.flags & flags::LAST_FRAG != 0 {
            Ok(Some(core::mem::take(&mut self.reply)))
        } else {
            Ok(None)
        }
    }

    /// The plaintext stub of one response fragment.
    fn open_fragment(&mut self, header: &Header, bytes: &[u8]) -> Result<Vec<u8>, RpcError> {
        if bytes.len() < STUB_OFFSET {
            return Err(RpcError::malformed(
                "response",
                "shorter than its fixed fields",
            ));
        }
        let Some(session) = self.session.as_mut() else {
            if header.auth_length != 0 {
                return Err(RpcError::malformed(
                    "response",
                    "authenticated reply on an anonymous association",
                ));
            }
            return Ok(bytes[STUB_OFFSET..].to_vec());
        };
        if usize::from(header.auth_length) != SIGNATURE_LEN {
            return Err(RpcError::malformed(
                "response",
                format!("auth_length {} on a sealed association", header.auth_length),
            ));
        }
        let signature_at = bytes.len() - SIGNATURE_LEN;
        let trailer_at = signature_at - SEC_TRAILER_LEN;
        if trailer_at < STUB_OFFSET {
            return Err(RpcError::malformed(
                "response",
                "sec_trailer overlaps the fixed fields",
            ));
        }
        let trailer = &bytes[trailer_at..signature_at];
        if trailer[0] != AUTH_TYPE_NTLMSSP || trailer[1] != AUTH_LEVEL_PKT_PRIVACY {
            return Err(RpcError::malformed(
                "response",
                format!(
                    "auth type {} level {}, expected NTLMSSP privacy",
                    trailer[0], trailer[1]
                ),
            ));
        }
        let pad = usize::from(trailer[2]);
        if pad > trailer_at - STUB_OFFSET {
            return Err(RpcError::malformed(
                "response",
                "auth_pad_length beyond the stub",
            ));
        }
        let mut plain = bytes[..signature_at].to_vec();
        session
            .unseal(&mut plain, STUB_OFFSET..trailer_at, &bytes[signature_at..])
            .map_err(|sequence| RpcError::BadSignature { sequence })?;
        plain.truncate(trailer_at - pad);
        Ok(plain.split_off(STUB_OFFSET))
    }
}
