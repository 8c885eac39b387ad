//! The association state machine and the blocking client against scripted
//! servers: fragmentation, reassembly, the errors a server can cause
//! (faults, rejected binds, wrong call ids, oversized or cut fragments,
//! silence, bad signatures), never a panic or a hang.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::time::{Duration, Instant};

use hashsync::Password;
use hashsync_drs::rpc::pdu::{
    Auth, BindAck, BindNak, ContextResult, Fault, Header, Pdu, Response, SecTrailer, flags,
};
use hashsync_drs::rpc::{
    Association, AssociationConfig, BindRejectReason, FaultStatus, ReplicationCredentials,
    RpcClient, RpcError, SyntaxId,
};

const FIRST_LAST: u8 = flags::FIRST_FRAG | flags::LAST_FRAG;

fn credentials() -> ReplicationCredentials {
    ReplicationCredentials::parse(r"Domain\User", Password::new("Password")).unwrap()
}

fn bind_ack(call_id: u32, result: u16, auth: Option<Auth>) -> Vec<u8> {
    Pdu::BindAck(BindAck {
        max_xmit_frag: 5840,
        max_recv_frag: 5840,
        assoc_group_id: 0x5151,
        secondary_address: b"49153".to_vec(),
        results: vec![ContextResult {
            result,
            reason: if result == 0 { 0 } else { 2 },
            transfer_syntax: SyntaxId::NDR20,
        }],
        auth,
    })
    .encode(FIRST_LAST, call_id)
    .unwrap()
}

fn response(call_id: u32, pfc: u8, stub: &[u8]) -> Vec<u8> {
    Pdu::Response(Response {
        alloc_hint: stub.len() as u32,
        context_id: 0,
        cancel_count: 0,
        stub: stub.to_vec(),
        auth: None,
    })
    .encode(pfc, call_id)
    .unwrap()
}

fn fault(call_id: u32, status: u32) -> Vec<u8> {
    Pdu::Fault(Fault {
        alloc_hint: 0,
        context_id: 0,
        cancel_count: 0,
        status: FaultStatus(status),
    })
    .encode(FIRST_LAST | flags::DID_NOT_EXECUTE, call_id)
    .unwrap()
}

fn bound_anonymous(config: AssociationConfig) -> Association {
    let mut association = Association::anonymous(SyntaxId::EPM, config);
    let bind = association.bind().unwrap();
    assert_eq!(Header::parse(&bind).unwrap().call_id, 1);
    assert_eq!(
        association.handle_bind_ack(&bind_ack(1, 0, None)).unwrap(),
        None
    );
    association
}

#[test]
fn a_large_request_is_split_at_max_xmit_frag_and_the_reply_reassembled() {
    let mut association = bound_anonymous(AssociationConfig::default());
    let stub: Vec<u8> = (0..20_000u32).map(|i| i as u8).collect();
    let fragments = association.request(7, &stub).unwrap();
    assert_eq!(fragments.len(), 4);
    let mut rebuilt = Vec::new();
    for (index, fragment) in fragments.iter().enumerate() {
        assert!(fragment.len() <= 5840);
        let (header, pdu) = Pdu::decode(fragment).unwrap();
        assert_eq!(header.flags & flags::FIRST_FRAG != 0, index == 0);
        assert_eq!(header.flags & flags::LAST_FRAG != 0, index == 3);
        assert_eq!(header.call_id, 2);
        let Pdu::Request(request) = pdu else { panic!() };
        assert_eq!(request.opnum, 7);
        assert_eq!(request.alloc_hint as usize, stub.len() - rebuilt.len());
        rebuilt.extend_from_slice(&request.stub);
    }
    assert_eq!(rebuilt, stub);

    assert_eq!(
        association
            .handle_response(&response(2, flags::FIRST_FRAG, b"ab"))
            .unwrap(),
        None
    );
    assert_eq!(
        association.handle_response(&response(2, 0, b"cd")).unwrap(),
        None
    );
    assert_eq!(
        association
            .handle_response(&response(2, flags::LAST_FRAG, b"ef"))
            .unwrap(),
        Some(b"abcdef".to_vec())
    );
}

#[test]
fn a_fault_names_its_status_and_leaves_the_association_usable() {
    let mut association = bound_anonymous(AssociationConfig::default());
    association.request(99, b"x").unwrap();
    let err = association
        .handle_response(&fault(2, 0x1c01_0002))
        .unwrap_err();
    assert!(matches!(err, RpcError::Fault { status } if status == FaultStatus::OP_RNG_ERROR));
    assert!(err.to_string().contains("nca_s_op_rng_error"), "{err}");
    association.request(1, b"y").unwrap();
    assert_eq!(
        association
            .handle_response(&response(3, FIRST_LAST, b"ok"))
            .unwrap(),
        Some(b"ok".to_vec())
    );
}

#[test]
fn replies_out_of_order_for_another_call_or_too_large_are_refused() {
    let mut association = bound_anonymous(AssociationConfig::default());
    association.request(1, b"x").unwrap();
    assert!(matches!(
        association.handle_response(&response(5, FIRST_LAST, b"")),
        Err(RpcError::CallIdMismatch {
            expected: 2,
            got: 5
        })
    ));

    let mut association = bound_anonymous(AssociationConfig::default());
    association.request(1, b"x").unwrap();
    assert!(matches!(
        association.handle_response(&response(2, flags::LAST_FRAG, b"")),
        Err(RpcError::MalformedPdu { .. })
    ));

    let mut config = AssociationConfig::default();
    config.max_reply_len = 3;
    let mut association = bound_anonymous(config);
    association.request(1, b"x").unwrap();
    association
        .handle_response(&response(2, flags::FIRST_FRAG, b"ab"))
        .unwrap();
    assert!(matches!(
        association.handle_response(&response(2, flags::LAST_FRAG, b"cd")),
        Err(RpcError::ReplyTooLong { limit: 3 })
    ));
    // A broken association refuses further calls.
    assert!(matches!(
        association.request(1, b"x"),
        Err(RpcError::NotReady(_))
    ));
}

#[test]
fn rejected_binds_are_typed() {
    let mut association = Association::anonymous(SyntaxId::DRSUAPI, AssociationConfig::default());
    association.bind().unwrap();
    let nak = Pdu::BindNak(BindNak {
        reason: BindRejectReason(4),
        versions: vec![(5, 0)],
    })
    .encode(FIRST_LAST, 1)
    .unwrap();
    let err = association.handle_bind_ack(&nak).unwrap_err();
    assert!(matches!(err, RpcError::BindRejected { reason } if reason.0 == 4));
    assert!(err.to_string().contains("protocol_version_not_supported"));

    let mut association = Association::anonymous(SyntaxId::DRSUAPI, AssociationConfig::default());
    association.bind().unwrap();
    assert!(matches!(
        association.handle_bind_ack(&bind_ack(1, 2, None)),
        Err(RpcError::ContextRejected {
            result: 2,
            reason: 2
        })
    ));

    let mut association = Association::anonymous(SyntaxId::DRSUAPI, AssociationConfig::default());
    association.bind().unwrap();
    assert!(matches!(
        association.handle_bind_ack(&bind_ack(9, 0, None)),
        Err(RpcError::CallIdMismatch {
            expected: 1,
            got: 9
        })
    ));
}

/// MS-NLMP 4.2.4's CHALLENGE_MESSAGE fields (flags e28a8233, server
/// challenge 0123456789abcdef, target info "Domain"/"Server") plus an
/// MsvAvTimestamp, as a server would send it.
fn challenge() -> Vec<u8> {
    let info = hex::decode(
        "02000c0044006f006d00610069006e0001000c0053006500720076006500720007000800000000000000000000000000",
    )
    .unwrap();
    let mut m = b"NTLMSSP\0\x02\0\0\0".to_vec();
    m.extend_from_slice(&[0, 0, 0, 0, 56, 0, 0, 0]);
    m.extend_from_slice(&0xe28a_8233u32.to_le_bytes());
    m.extend_from_slice(&hex::decode("0123456789abcdef").unwrap());
    m.extend_from_slice(&[0; 8]);
    m.extend_from_slice(&[info.len() as u8, 0, info.len() as u8, 0, 56, 0, 0, 0]);
    m.extend_from_slice(&hex::decode("060070170000000f").unwrap());
    m.extend_from_slice(&info);
    m
}

fn ntlm_auth(token: Vec<u8>) -> Auth {
    Auth {
        trailer: SecTrailer {
            auth_type: 10,
            auth_level: 6,
            pad_length: 0,
            context_id: 1,
        },
        value: token,
    }
}

/// A sealed-looking reply to call 2 whose signature is made up.
fn forged_reply() -> Vec<u8> {
    Pdu::Response(Response {
        alloc_hint: 16,
        context_id: 0,
        cancel_count: 0,
        stub: vec![0x42; 16],
        auth: Some(ntlm_auth(vec![
            1, 0, 0, 0, 9, 9, 9, 9, 9, 9, 9, 9, 0, 0, 0, 0,
        ])),
    })
    .encode(FIRST_LAST, 2)
    .unwrap()
}

fn bound_sealed() -> Association {
    let mut association = Association::sealed(
        SyntaxId::DRSUAPI,
        &credentials(),
        AssociationConfig::default(),
    );
    let bind = association.bind().unwrap();
    let (_, Pdu::Bind(bind)) = Pdu::decode(&bind).unwrap() else {
        panic!()
    };
    let negotiate = bind.auth.unwrap();
    assert_eq!(
        (negotiate.trailer.auth_type, negotiate.trailer.auth_level),
        (10, 6)
    );
    assert_eq!(&negotiate.value[..12], b"NTLMSSP\0\x01\0\0\0");
    let auth3 = association
        .handle_bind_ack(&bind_ack(1, 0, Some(ntlm_auth(challenge()))))
        .unwrap()
        .expect("auth3");
    let (header, Pdu::Auth3(auth3)) = Pdu::decode(&auth3).unwrap() else {
        panic!()
    };
    assert_eq!(header.call_id, 1);
    assert_eq!(&auth3.auth.value[..12], b"NTLMSSP\0\x03\0\0\0");
    assert_eq!(association.session_key().unwrap().expose_secret().len(), 16);
    association
}

#[test]
fn a_sealed_request_encrypts_its_stub_and_a_forged_reply_is_refused() {
    let mut association = bound_sealed();
    let stub = b"plaintext stub, 31 bytes long!!";
    let fragments = association.request(0, stub).unwrap();
    let (header, Pdu::Request(request)) = Pdu::decode(&fragments[0]).unwrap() else {
        panic!()
    };
    assert_eq!(header.auth_length, 16);
    let auth = request.auth.as_ref().unwrap();
    assert_eq!(
        (
            auth.trailer.auth_type,
            auth.trailer.auth_level,
            auth.trailer.pad_length
        ),
        (10, 6, 1)
    );
    assert_eq!(request.stub.len(), 32);
    assert_ne!(&request.stub[..31], stub);
    // NTLMSSP_MESSAGE_SIGNATURE: version 1, sequence number 0.
    assert_eq!(auth.value[..4], [1, 0, 0, 0]);
    assert_eq!(auth.value[12..], [0, 0, 0, 0]);

    let forged = forged_reply();
    assert!(matches!(
        association.handle_response(&forged),
        Err(RpcError::BadSignature { sequence: 0 })
    ));
}

#[test]
fn a_sealed_association_refuses_an_unsealed_reply_and_maps_a_first_refusal() {
    let mut association = bound_sealed();
    association.request(0, b"x").unwrap();
    assert!(matches!(
        association.handle_response(&response(2, FIRST_LAST, b"clear")),
        Err(RpcError::MalformedPdu { .. })
    ));

    let mut association = bound_sealed();
    association.request(0, b"x").unwrap();
    match association.handle_response(&fault(2, 5)) {
        Err(RpcError::AuthenticationRejected { user, detail }) => {
            assert_eq!(user, r"Domain\User");
            assert!(detail.contains("access denied"), "{detail}");
        }
        other => panic!("{other:?}"),
    }
}

/// A one-connection server that answers with `script` after reading what
/// the client sends first.
fn scripted_server(script: Vec<u8>, close: bool) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        let mut buf = [0u8; 4096];
        let _ = stream.read(&mut buf);
        let _ = stream.write_all(&script);
        if close {
            drop(stream);
        } else {
            std::thread::sleep(Duration::from_secs(5));
        }
    });
    port
}

fn connect(port: u16) -> RpcError {
    RpcClient::connect(
        "127.0.0.1",
        Some(port),
        &credentials(),
        Duration::from_millis(300),
    )
    .unwrap_err()
}

#[test]
fn a_silent_server_is_a_timeout() {
    let started = Instant::now();
    let err = connect(scripted_server(Vec::new(), false));
    assert!(matches!(err, RpcError::Timeout { .. }), "{err:?}");
    assert!(started.elapsed() < Duration::from_secs(3));
}

#[test]
fn a_connection_closed_mid_pdu_says_how_much_arrived() {
    let ack = bind_ack(1, 0, Some(ntlm_auth(challenge())));
    let err = connect(scripted_server(ack[..10].to_vec(), true));
    assert!(
        matches!(
            err,
            RpcError::ConnectionClosed {
                received: 10,
                expected: 16
            }
        ),
        "{err:?}"
    );
    let err = connect(scripted_server(ack[..40].to_vec(), true));
    assert!(
        matches!(err, RpcError::ConnectionClosed { received: 40, expected } if expected == ack.len()),
        "{err:?}"
    );
}

#[test]
fn an_oversized_fragment_is_refused_before_it_is_read() {
    let mut header = bind_ack(1, 0, None)[..16].to_vec();
    header[8..10].copy_from_slice(&60_000u16.to_le_bytes());
    let err = connect(scripted_server(header, false));
    assert!(
        matches!(
            err,
            RpcError::FragmentTooLong {
                length: 60_000,
                limit: 5840
            }
        ),
        "{err:?}"
    );
}

#[test]
fn a_bind_nak_from_a_server_is_typed_and_a_closed_port_is_a_connect_error() {
    let nak = Pdu::BindNak(BindNak {
        reason: BindRejectReason::INVALID_CHECKSUM,
        versions: vec![],
    })
    .encode(FIRST_LAST, 1)
    .unwrap();
    let err = connect(scripted_server(nak, true));
    assert!(
        matches!(err, RpcError::AuthenticationRejected { .. }),
        "{err:?}"
    );

    let port = {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    assert!(matches!(connect(port), RpcError::Connect { .. }));
}

#[test]
fn mutated_bind_acks_and_replies_never_panic() {
    let ack = bind_ack(1, 0, Some(ntlm_auth(challenge())));
    for at in 0..ack.len() {
        for value in [0x00, 0xff, ack[at] ^ 0x01] {
            let mut mutated = ack.clone();
            mutated[at] = value;
            let mut association = Association::sealed(
                SyntaxId::DRSUAPI,
                &credentials(),
                AssociationConfig::default(),
            );
            association.bind().unwrap();
            let _ = association.handle_bind_ack(&mutated);
        }
    }
    let reply = forged_reply();
    for at in 0..reply.len() {
        for value in [0x00, 0xff, reply[at] ^ 0x01] {
            let mut mutated = reply.clone();
            mutated[at] = value;
            let mut association = bound_sealed();
            association.request(0, b"x").unwrap();
            assert!(association.handle_response(&mutated).is_err());
        }
    }
    // Truncations, with frag_length rewritten to match.
    for len in 16..reply.len() {
        let mut cut = reply[..len].to_vec();
        cut[8..10].copy_from_slice(&(len as u16).to_le_bytes());
        let mut association = bound_sealed();
        association.request(0, b"x").unwrap();
        assert!(association.handle_response(&cut).is_err(), "{len}");
    }
}

#[test]
fn a_server_that_trickles_bytes_still_times_out() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        let mut buf = [0u8; 4096];
        let _ = stream.read(&mut buf);
        // A header that promises 200 bytes, then one byte every 100 ms.
        let mut header = bind_ack(1, 0, None)[..16].to_vec();
        header[8..10].copy_from_slice(&200u16.to_le_bytes());
        let _ = stream.write_all(&header);
        for _ in 0..50 {
            std::thread::sleep(Duration::from_millis(100));
            if stream.write_all(&[0]).is_err() {
                return;
            }
        }
    });
    let started = Instant::now();
    let err = connect(port);
    assert!(matches!(err, RpcError::Timeout { .. }), "{err:?}");
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
}

fn alter_context_resp(call_id: u32, result: u16) -> Vec<u8> {
    let bind_ack = bind_ack(call_id, result, None);
    let (_, Pdu::BindAck(ack)) = Pdu::decode(&bind_ack).unwrap() else {
        panic!()
    };
    Pdu::AlterContextResp(ack)
        .encode(FIRST_LAST, call_id)
        .unwrap()
}

#[test]
fn alter_context_adds_a_presentation_context_or_is_refused_without_breaking() {
    let mut association = bound_anonymous(AssociationConfig::default());
    assert!(matches!(
        association.request_in(1, 0, b""),
        Err(RpcError::NotReady(_))
    ));
    let (context, pdu) = association.alter_context(SyntaxId::DRSUAPI).unwrap();
    assert_eq!(context, 1);
    let (header, Pdu::AlterContext(alter)) = Pdu::decode(&pdu).unwrap() else {
        panic!()
    };
    assert_eq!(header.call_id, 2);
    assert_eq!(alter.assoc_group_id, 0x5151);
    assert_eq!(alter.contexts[0].context_id, 1);
    assert_eq!(alter.contexts[0].abstract_syntax, SyntaxId::DRSUAPI);
    association
        .handle_alter_context_resp(&alter_context_resp(2, 0))
        .unwrap();
    let fragments = association.request_in(1, 5, b"abc").unwrap();
    let (_, Pdu::Request(request)) = Pdu::decode(&fragments[0]).unwrap() else {
        panic!()
    };
    assert_eq!((request.context_id, request.opnum), (1, 5));
    association
        .handle_response(&response(3, FIRST_LAST, b""))
        .unwrap();

    let (_, _) = association.alter_context(SyntaxId::NDR20).unwrap();
    assert!(matches!(
        association.handle_alter_context_resp(&alter_context_resp(4, 2)),
        Err(RpcError::ContextRejected { result: 2, .. })
    ));
    assert!(matches!(
        association.request_in(2, 0, b""),
        Err(RpcError::NotReady(_))
    ));
    association.request_in(1, 0, b"still usable").unwrap();
}
