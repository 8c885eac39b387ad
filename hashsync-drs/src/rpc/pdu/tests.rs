//! PDUs written byte by byte from the C706 chapter 12 and MS-RPCE 2.2.2
//! layouts (the expected bytes are typed from the tables, not produced by
//! the encoder), then every truncation and every single-byte mutation.

use super::*;
use crate::rpc::status::{BindRejectReason, FaultStatus};
use crate::rpc::syntax::SyntaxId;

fn unhex(s: &str) -> Vec<u8> {
    hex::decode(s.split_whitespace().collect::<String>()).unwrap()
}

/// A bind for DRSUAPI v4.0 over NDR v2, no authentication, call id 1.
const BIND: &str = "
    05 00 0b 03  10 00 00 00  48 00 00 00  01 00 00 00
    d0 16 d0 16  00 00 00 00
    01 00 00 00
    00 00 01 00
    35 42 51 e3 06 4b d1 11 ab 04 00 c0 4f c2 dc d2  04 00 00 00
    04 5d 88 8a eb 1c c9 11 9f e8 08 00 2b 10 48 60  02 00 00 00";

/// A bind_ack: 5840/5840, group 0x12345678, secondary address \"135\"
/// (4 bytes with its NUL, then 2 bytes of padding to reach 4-byte
/// alignment), one result: acceptance of NDR v2.
const BIND_ACK: &str = "
    05 00 0c 03  10 00 00 00  3c 00 00 00  01 00 00 00
    d0 16 d0 16  78 56 34 12
    04 00 31 33 35 00  00 00
    01 00 00 00
    00 00 00 00
    04 5d 88 8a eb 1c c9 11 9f e8 08 00 2b 10 48 60  02 00 00 00";

/// A bind_nak: reason 4 (protocol_version_not_supported), one version 5.0.
const BIND_NAK: &str = "
    05 00 0d 03  10 00 00 00  15 00 00 00  01 00 00 00
    04 00  01  05 00";

/// A request, call 7, opnum 12, context 0, stub 0a 0b 0c, 13 bytes of
/// padding, then a sec_trailer (NTLMSSP, privacy, pad 13, context 1) and a
/// 16-byte token.
const SEALED_REQUEST: &str = "
    05 00 00 03  10 00 00 00  40 00 10 00  07 00 00 00
    03 00 00 00  00 00  0c 00
    0a 0b 0c  00 00 00 00 00 00 00 00 00 00 00 00 00
    0a 06 0d 00  01 00 00 00
    01 00 00 00 11 11 11 11 11 11 11 11 00 00 00 00";

/// A fault for call 2: nca_s_op_rng_error, did-not-execute.
const FAULT: &str = "
    05 00 03 23  10 00 00 00  20 00 00 00  02 00 00 00
    20 00 00 00  00 00  00 00
    02 00 01 1c  00 00 00 00";

/// A response, last fragment only, call 9, stub de ad.
const RESPONSE: &str = "
    05 00 02 02  10 00 00 00  1a 00 00 00  09 00 00 00
    02 00 00 00  00 00  00 00
    de ad";

#[test]
fn bind_encodes_to_the_c706_layout() {
    let bind = Pdu::Bind(Bind {
        max_xmit_frag: 5840,
        max_recv_frag: 5840,
        assoc_group_id: 0,
        contexts: vec![ContextElement {
            context_id: 0,
            abstract_syntax: SyntaxId::DRSUAPI,
            transfer_syntaxes: vec![SyntaxId::NDR20],
        }],
        auth: None,
    });
    let bytes = unhex(BIND);
    assert_eq!(
        bind.encode(flags::FIRST_FRAG | flags::LAST_FRAG, 1)
            .unwrap(),
        bytes
    );
    let (header, decoded) = Pdu::decode(&bytes).unwrap();
    assert_eq!(decoded, bind);
    assert_eq!((header.frag_length, header.call_id), (72, 1));
}

#[test]
fn bind_ack_decodes_with_its_aligned_result_list() {
    let bytes = unhex(BIND_ACK);
    let (_, pdu) = Pdu::decode(&bytes).unwrap();
    let Pdu::BindAck(ack) = &pdu else {
        panic!("{pdu:?}")
    };
    assert_eq!((ack.max_xmit_frag, ack.max_recv_frag), (5840, 5840));
    assert_eq!(ack.assoc_group_id, 0x1234_5678);
    assert_eq!(ack.secondary_address, b"135");
    assert_eq!(
        ack.results,
        [ContextResult {
            result: 0,
            reason: 0,
            transfer_syntax: SyntaxId::NDR20
        }]
    );
    assert_eq!(pdu.encode(0x03, 1).unwrap(), bytes);
}

#[test]
fn bind_nak_carries_its_reason() {
    let (_, pdu) = Pdu::decode(&unhex(BIND_NAK)).unwrap();
    assert_eq!(
        pdu,
        Pdu::BindNak(BindNak {
            reason: BindRejectReason(4),
            versions: vec![(5, 0)]
        })
    );
}

#[test]
fn sealed_request_splits_stub_padding_and_verifier() {
    let bytes = unhex(SEALED_REQUEST);
    let (header, pdu) = Pdu::decode(&bytes).unwrap();
    assert_eq!(
        (header.frag_length, header.auth_length, header.call_id),
        (64, 16, 7)
    );
    let Pdu::Request(request) = &pdu else {
        panic!("{pdu:?}")
    };
    assert_eq!(
        (request.alloc_hint, request.context_id, request.opnum),
        (3, 0, 12)
    );
    assert_eq!(request.stub.len(), 16);
    assert_eq!(request.stub_without_padding(), [0x0a, 0x0b, 0x0c]);
    let auth = request.auth.as_ref().unwrap();
    assert_eq!(
        auth.trailer,
        SecTrailer {
            auth_type: AUTH_TYPE_NTLMSSP,
            auth_level: AUTH_LEVEL_PKT_PRIVACY,
            pad_length: 13,
            context_id: 1
        }
    );
    assert_eq!(auth.value, unhex("01000000 1111111111111111 00000000"));
    assert_eq!(pdu.encode(header.flags, 7).unwrap(), bytes);
}

#[test]
fn fault_and_response_decode() {
    let (header, pdu) = Pdu::decode(&unhex(FAULT)).unwrap();
    assert_eq!(
        header.flags,
        flags::FIRST_FRAG | flags::LAST_FRAG | flags::DID_NOT_EXECUTE
    );
    let Pdu::Fault(fault) = pdu else { panic!() };
    assert_eq!(fault.status, FaultStatus::OP_RNG_ERROR);
    let (header, pdu) = Pdu::decode(&unhex(RESPONSE)).unwrap();
    assert_eq!(header.flags, flags::LAST_FRAG);
    let Pdu::Response(response) = pdu else {
        panic!()
    };
    assert_eq!(
        (response.alloc_hint, response.stub.as_slice()),
        (2, &[0xde, 0xad][..])
    );
}

#[test]
fn header_refuses_other_versions_representations_and_short_lengths() {
    let good = unhex(RESPONSE);
    let mut v4 = good.clone();
    v4[0] = 4;
    let mut big_endian = good.clone();
    big_endian[4] = 0x00;
    let mut short = good.clone();
    short[8] = 15;
    let mut unknown = good.clone();
    unknown[2] = 99;
    let mut auth_too_long = good.clone();
    auth_too_long[10] = 0x20;
    for (name, bytes) in [
        ("version", v4),
        ("drep", big_endian),
        ("frag_length", short),
        ("ptype", unknown),
        ("auth_length", auth_too_long),
    ] {
        assert!(
            matches!(Header::parse(&bytes), Err(RpcError::MalformedPdu { .. })),
            "{name}"
        );
    }
}

/// Every prefix of every PDU, with `frag_length` rewritten to claim the
/// prefix is whole, is a typed error or a shorter valid PDU, never a panic;
/// and a plain prefix is always an error.
#[test]
fn truncation_at_every_offset_is_a_typed_error() {
    for pdu in [BIND, BIND_ACK, BIND_NAK, SEALED_REQUEST, FAULT, RESPONSE] {
        let bytes = unhex(pdu);
        for len in 0..bytes.len() {
            assert!(Pdu::decode(&bytes[..len]).is_err(), "prefix {len}");
            if len >= HEADER_LEN {
                let mut lying = bytes[..len].to_vec();
                lying[8..10].copy_from_slice(&(len as u16).to_le_bytes());
                let _ = Pdu::decode(&lying);
            }
        }
    }
}

#[test]
fn every_single_byte_mutation_decodes_or_fails_without_panic() {
    for pdu in [BIND, BIND_ACK, BIND_NAK, SEALED_REQUEST, FAULT, RESPONSE] {
        let bytes = unhex(pdu);
        for at in 0..bytes.len() {
            for value in [0x00, 0x01, 0x7f, 0x80, 0xff, bytes[at] ^ 0x10] {
                let mut mutated = bytes.clone();
                mutated[at] = value;
                let _ = Pdu::decode(&mutated);
            }
        }
    }
}
