//! Random input to every parser of the RPC layer: the PDU decoder, the
//! bind_ack and response handlers of a sealed association, the endpoint
//! mapper's reply. Each may refuse, none may panic.

use hashsync::Password;
use hashsync_drs::rpc::epm::{port_from_ept_map_reply, tcp_port};
use hashsync_drs::rpc::pdu::{Header, Pdu};
use hashsync_drs::rpc::{Association, AssociationConfig, ReplicationCredentials, SyntaxId};
use proptest::prelude::*;

fn sealed() -> Association {
    let credentials = ReplicationCredentials::parse(r"D\u", Password::new("p")).unwrap();
    Association::sealed(
        SyntaxId::DRSUAPI,
        &credentials,
        AssociationConfig::default(),
    )
}

/// A header that passes the version and representation checks, with
/// random type, flags, lengths and call id, then random bytes.
fn plausible_pdu() -> impl Strategy<Value = Vec<u8>> {
    (
        prop::sample::select(vec![0u8, 2, 3, 11, 12, 13, 14, 15, 16]),
        any::<u8>(),
        0u16..64,
        1u32..4,
        prop::collection::vec(any::<u8>(), 0..200),
    )
        .prop_map(|(ptype, flags, auth_length, call_id, body)| {
            let mut pdu = vec![5, 0, ptype, flags, 0x10, 0, 0, 0];
            pdu.extend_from_slice(&((16 + body.len()) as u16).to_le_bytes());
            pdu.extend_from_slice(&auth_length.to_le_bytes());
            pdu.extend_from_slice(&call_id.to_le_bytes());
            pdu.extend_from_slice(&body);
            pdu
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn the_decoder_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        let _ = Header::parse(&bytes);
        let _ = Pdu::decode(&bytes);
    }

    #[test]
    fn plausible_pdus_never_panic_the_decoder_or_an_association(pdu in plausible_pdu()) {
        let _ = Pdu::decode(&pdu);
        let mut association = sealed();
        association.bind().unwrap();
        let _ = association.handle_bind_ack(&pdu);
        let mut anonymous = Association::anonymous(SyntaxId::EPM, AssociationConfig::default());
        anonymous.bind().unwrap();
        if anonymous.handle_bind_ack(&pdu).is_ok() {
            anonymous.request(3, b"stub").unwrap();
            let _ = anonymous.handle_response(&pdu);
        }
    }

    #[test]
    fn endpoint_mapper_replies_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        let _ = port_from_ept_map_reply(&bytes);
        let _ = tcp_port(&bytes);
    }
}
