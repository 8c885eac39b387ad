//! The PDU decoder and the sealed stubs against Wireshark's DCE/RPC,
//! NTLMSSP and DRSUAPI dissectors, on a real exchange with the lab's Samba
//! DC (tests/data/rpc_samba/README.md tells how it was recorded).
//!
//! Every expected value here is read from tshark's text output, not from
//! this crate.

use std::collections::BTreeMap;
use std::path::Path;

use hashsync_drs::rpc::SyntaxId;
use hashsync_drs::rpc::epm::{ept_map_request, port_from_ept_map_reply};
use hashsync_drs::rpc::pdu::{Header, Pdu};

fn data(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/rpc_samba")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn stub(name: &str) -> Vec<u8> {
    std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data/rpc_samba")
            .join(name),
    )
    .unwrap()
}

/// Frame number → TCP payload (one whole PDU per frame here).
fn pdus() -> BTreeMap<u32, Vec<u8>> {
    data("pdus.tsv")
        .lines()
        .map(|line| {
            let (frame, payload) = line.split_once('\t').unwrap();
            (frame.parse().unwrap(), hex::decode(payload.trim()).unwrap())
        })
        .collect()
}

/// Frame number → the dissector's `Name: value` lines (first of each name).
fn dissected() -> BTreeMap<u32, BTreeMap<String, String>> {
    let mut frames = BTreeMap::new();
    let mut current: Option<(u32, BTreeMap<String, String>)> = None;
    for line in data("dissector.txt").lines() {
        if let Some(rest) = line.strip_prefix("Frame ") {
            if let Some((n, fields)) = current.take() {
                frames.insert(n, fields);
            }
            let number = rest.split(':').next().unwrap().parse().unwrap();
            current = Some((number, BTreeMap::new()));
            continue;
        }
        if let (Some((_, fields)), Some((name, value))) =
            (current.as_mut(), line.trim().split_once(": "))
        {
            fields
                .entry(name.to_owned())
                .or_insert_with(|| value.to_owned());
        }
    }
    if let Some((n, fields)) = current {
        frames.insert(n, fields);
    }
    frames
}

/// `"Bind (11)"` → 11; `"0x00006c77"` → 0x6c77; `"5840"` → 5840.
fn number(value: &str) -> u64 {
    let value = value.trim();
    if let (Some(open), Some(close)) = (value.rfind('('), value.rfind(')')) {
        return number(&value[open + 1..close]);
    }
    match value.strip_prefix("0x") {
        Some(hex) => u64::from_str_radix(hex, 16).unwrap(),
        None => value.parse().unwrap(),
    }
}

#[test]
fn the_pdu_decoder_agrees_with_wiresharks_dcerpc_dissector() {
    let pdus = pdus();
    let dissected = dissected();
    assert_eq!(pdus.len(), 10);
    for (frame, bytes) in &pdus {
        let f = &dissected[frame];
        let field = |name: &str| -> u64 {
            number(
                f.get(name)
                    .unwrap_or_else(|| panic!("frame {frame}: no {name}")),
            )
        };
        let (header, pdu): (Header, Pdu) = Pdu::decode(bytes).unwrap();
        assert_eq!(
            u64::from(header.packet_type.code()),
            field("Packet type"),
            "frame {frame}"
        );
        assert_eq!(
            u64::from(header.flags),
            field("Packet Flags"),
            "frame {frame}"
        );
        assert_eq!(
            u64::from(header.frag_length),
            field("Frag Length"),
            "frame {frame}"
        );
        assert_eq!(
            u64::from(header.auth_length),
            field("Auth Length"),
            "frame {frame}"
        );
        assert_eq!(u64::from(header.call_id), field("Call ID"), "frame {frame}");
        let auth = match &pdu {
            Pdu::Bind(bind) => {
                assert_eq!(u64::from(bind.max_xmit_frag), field("Max Xmit Frag"));
                assert_eq!(u64::from(bind.max_recv_frag), field("Max Recv Frag"));
                assert_eq!(u64::from(bind.assoc_group_id), field("Assoc Group"));
                assert_eq!(bind.contexts.len() as u64, field("Num Ctx Items"));
                let context = &bind.contexts[0];
                assert_eq!(u64::from(context.context_id), field("Context ID"));
                assert_eq!(
                    context.transfer_syntaxes.len() as u64,
                    field("Num Trans Items")
                );
                assert!(f["Interface"].ends_with(&context.abstract_syntax.uuid.to_string()));
                assert_eq!(
                    u64::from(context.abstract_syntax.major),
                    field("Interface Ver")
                );
                assert_eq!(
                    u64::from(context.abstract_syntax.minor),
                    field("Interface Ver Minor")
                );
                assert!(
                    f["Transfer Syntax"].ends_with(&context.transfer_syntaxes[0].uuid.to_string())
                );
                bind.auth.as_ref()
            }
            Pdu::BindAck(ack) => {
                assert_eq!(u64::from(ack.max_xmit_frag), field("Max Xmit Frag"));
                assert_eq!(u64::from(ack.max_recv_frag), field("Max Recv Frag"));
                assert_eq!(u64::from(ack.assoc_group_id), field("Assoc Group"));
                assert_eq!(ack.secondary_address, f["Scndry Addr"].as_bytes());
                assert_eq!(u64::from(ack.results[0].result), field("Ack result"));
                ack.auth.as_ref()
            }
            Pdu::Auth3(auth3) => Some(&auth3.auth),
            Pdu::Request(request) => {
                assert_eq!(u64::from(request.alloc_hint), field("Alloc hint"));
                assert_eq!(u64::from(request.context_id), field("Context ID"));
                assert_eq!(u64::from(request.opnum), field("Opnum"));
                request.auth.as_ref()
            }
            Pdu::Response(response) => {
                assert_eq!(u64::from(response.alloc_hint), field("Alloc hint"));
                assert_eq!(u64::from(response.context_id), field("Context ID"));
                response.auth.as_ref()
            }
            Pdu::Fault(fault) => {
                assert_eq!(u64::from(fault.alloc_hint), field("Alloc hint"));
                assert_eq!(u64::from(fault.status.0), field("Status"));
                None
            }
            other => panic!("frame {frame}: unexpected {other:?}"),
        };
        if let Some(auth) = auth {
            let t = auth.trailer;
            for (ours, name) in [
                (t.auth_type, "Auth type"),
                (t.auth_level, "Auth level"),
                (t.pad_length, "Auth pad len"),
            ] {
                assert_eq!(u64::from(ours), field(name), "frame {frame}: {name}");
            }
            assert_eq!(
                u64::from(t.context_id),
                field("Auth Context ID"),
                "frame {frame}"
            );
            assert_eq!(auth.value.len() as u64, field("Auth Length"));
        } else {
            assert_eq!(header.auth_length, 0);
        }
    }
}

/// Each frame's "Decrypted stub data" hex dump in decrypted.txt, in order.
fn wireshark_decrypted_stubs() -> Vec<Vec<u8>> {
    let mut stubs = Vec::new();
    let mut current: Option<Vec<u8>> = None;
    for line in data("decrypted.txt").lines() {
        if line.starts_with("Decrypted stub data") {
            current = Some(Vec::new());
            continue;
        }
        match current.as_mut() {
            Some(bytes) if line.len() > 6 && line.as_bytes()[4] == b' ' => {
                let hex_part = &line[6..line.len().min(6 + 48)];
                bytes.extend(
                    hex_part
                        .split_whitespace()
                        .map(|b| u8::from_str_radix(b, 16).unwrap()),
                );
            }
            Some(_) => stubs.push(current.take().unwrap()),
            None => {}
        }
    }
    stubs.extend(current);
    stubs
}

#[test]
fn the_unsealed_stubs_are_what_wireshark_decrypts() {
    // Frames 33, 36, 55, 56: DsBind request and response, DsUnbind
    // request and response. Wireshark's decrypted data includes the auth
    // padding; the client's stubs do not.
    let decrypted = wireshark_decrypted_stubs();
    assert_eq!(decrypted.len(), 4);
    let dissected = dissected();
    let names = [
        (33, "drsbind_request.stub"),
        (36, "drsbind_response.stub"),
        (55, "drsunbind_request.stub"),
        (56, "drsunbind_response.stub"),
    ];
    for ((frame, name), wireshark) in names.iter().zip(&decrypted) {
        let ours = stub(name);
        let pad = number(&dissected[frame]["Auth pad len"]) as usize;
        assert_eq!(ours.len() + pad, wireshark.len(), "{name}");
        assert_eq!(&wireshark[..ours.len()], &ours[..], "{name}");
    }
}

#[test]
fn the_drsbind_stubs_carry_what_the_drsuapi_dissector_shows() {
    let dissected = dissected();
    let request = stub("drsbind_request.stub");
    // bind_guid: e24d201a-4fd6-11d1-a3da-0000f875ae0d; length: 28;
    // supported_extensions: 0x05008041.
    assert!(dissected[&33]["bind_guid"].contains("e24d201a-4fd6-11d1-a3da-0000f875ae0d"));
    assert_eq!(number(&dissected[&33]["length"]), 28);
    let flags = dissected[&33]["supported_extensions"]
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned();
    assert_eq!(
        u32::from_le_bytes(request[32..36].try_into().unwrap()) as u64,
        number(&flags)
    );
    assert_eq!(u32::from_le_bytes(request[24..28].try_into().unwrap()), 28);
}

#[test]
fn ept_map_request_and_reply_agree_with_the_epm_dissector() {
    let pdus = pdus();
    let dissected = dissected();
    let (_, Pdu::Request(request)) = Pdu::decode(&pdus[&8]).unwrap() else {
        panic!("frame 8 is the ept_map request")
    };
    // Wireshark reads our tower as five floors for DRSUAPI over NDR,
    // TCP port 0, and max towers 4.
    assert_eq!(request.stub, ept_map_request(&SyntaxId::DRSUAPI));
    assert_eq!(number(&dissected[&8]["Number of floors"]), 5);
    assert_eq!(number(&dissected[&8]["Max Towers"]), 4);
    assert_eq!(number(&dissected[&8]["TCP Port"]), 0);
    let (_, Pdu::Response(response)) = Pdu::decode(&pdus[&9]).unwrap() else {
        panic!("frame 9 is the ept_map response")
    };
    let port = port_from_ept_map_reply(&response.stub).unwrap();
    assert_eq!(u64::from(port), number(&dissected[&9]["TCP Port"]));
    assert_eq!(port, 49153);
    // Every truncation of the reply is an error, never a panic.
    for len in 0..response.stub.len() {
        assert!(
            port_from_ept_map_reply(&response.stub[..len]).is_err(),
            "{len}"
        );
    }
}

#[test]
fn multi_fragment_sealing_and_reassembly_agree_with_wireshark() {
    // DsCrackNames with 300 names: 4 request and 10 response fragments,
    // each sealed with its own sequence number. Wireshark decrypted each
    // fragment on its own; the client's whole plaintext stubs must be the
    // concatenation, less each fragment's auth padding.
    let mut request = Vec::new();
    let mut response = Vec::new();
    let mut fragments = (0, 0);
    for line in data("cracknames_fragments.tsv").lines() {
        let fields: Vec<&str> = line.split('\t').collect();
        let (packet_type, pad) = (number(fields[1]), number(fields[2]) as usize);
        let mut plain = hex::decode(fields[3]).unwrap();
        plain.truncate(plain.len() - pad);
        match packet_type {
            0 => {
                request.extend_from_slice(&plain);
                fragments.0 += 1;
            }
            2 => {
                response.extend_from_slice(&plain);
                fragments.1 += 1;
            }
            other => panic!("packet type {other}"),
        }
    }
    assert_eq!(fragments, (4, 10));
    assert_eq!(request, stub("cracknames_request.stub"));
    assert_eq!(response, stub("cracknames_response.stub"));
}
