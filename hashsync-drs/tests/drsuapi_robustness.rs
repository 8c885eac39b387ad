//! Hostile replies: the impacket-serialised version-6 reply (see
//! `tests/data/README.md`) truncated at every offset and mutated at every
//! byte gives a typed error or a well-formed value, never a panic; counts
//! that do not fit the input are refused before allocating; a long object
//! list does not recurse.

use hashsync_drs::drsuapi::{BindReply, DsName, EntInf, GetNcChangesReply, ReplEntInf};
use hashsync_drs::ndr::NdrError;

fn impacket_reply() -> Vec<u8> {
    let v: serde_json::Value =
        serde_json::from_str(include_str!("data/drsuapi_impacket.json")).unwrap();
    hex::decode(v["getncchanges_reply_v6"]["stub"].as_str().unwrap()).unwrap()
}

#[test]
fn every_truncation_is_a_truncation_error() {
    let stub = impacket_reply();
    assert!(GetNcChangesReply::decode(&stub).is_ok());
    for len in 0..stub.len() {
        match GetNcChangesReply::decode(&stub[..len]) {
            Err(
                NdrError::Truncated { offset, .. } | NdrError::CountExceedsInput { offset, .. },
            ) => {
                assert!(offset <= len, "offset {offset} past the end {len}");
            }
            other => panic!("truncated at {len}: {other:?}"),
        }
    }
}

#[test]
fn every_single_byte_mutation_is_an_error_or_a_well_formed_reply() {
    let stub = impacket_reply();
    let mut parsed = 0;
    for i in 0..stub.len() {
        for x in [0x01, 0x80, 0xFF, 0x7F] {
            let mut mutated = stub.clone();
            mutated[i] ^= x;
            if let Ok(reply) = GetNcChangesReply::decode(&mutated) {
                parsed += 1;
                // Whatever parses is a value our encoder writes and reads
                // back unchanged.
                assert_eq!(GetNcChangesReply::decode(&reply.encode()).unwrap(), reply);
            }
        }
    }
    // Mutations of values (not lengths or pointers) must still parse.
    assert!(
        parsed > stub.len(),
        "{parsed} of {} mutations parsed",
        4 * stub.len()
    );
}

#[test]
fn other_reply_versions_are_refused_by_name() {
    let mut stub = impacket_reply();
    for version in [1u32, 2, 7, 9, 0xFFFF_FFFF] {
        stub[..4].copy_from_slice(&version.to_le_bytes());
        match GetNcChangesReply::decode(&stub) {
            Err(NdrError::UnsupportedVersion {
                version: v,
                offset: 0,
                ..
            }) => assert_eq!(v, version),
            other => panic!("version {version}: {other:?}"),
        }
        assert_eq!(GetNcChangesReply::peek_return_code(&stub), Some(0));
    }
    let mut stub = impacket_reply();
    stub[4..8].copy_from_slice(&9u32.to_le_bytes());
    assert!(matches!(
        GetNcChangesReply::decode(&stub),
        Err(NdrError::UnsupportedVersion {
            version: 9,
            offset: 4,
            ..
        })
    ));
}

#[test]
fn trailing_bytes_are_refused() {
    let mut stub = impacket_reply();
    let len = stub.len();
    stub.push(0);
    assert_eq!(
        GetNcChangesReply::decode(&stub),
        Err(NdrError::TrailingBytes {
            what: "IDL_DRSGetNCChanges reply",
            offset: len,
            count: 1
        })
    );
}

/// A bind reply whose DRS_EXTENSIONS claims `cb` bytes.
fn bind_reply_claiming(cb: u32, max_count: u32) -> Vec<u8> {
    let mut stub = Vec::new();
    stub.extend_from_slice(&0x0002_0000u32.to_le_bytes());
    stub.extend_from_slice(&max_count.to_le_bytes());
    stub.extend_from_slice(&cb.to_le_bytes());
    stub.extend_from_slice(&[0; 24]);
    stub
}

#[test]
fn hostile_counts_are_refused_before_allocating() {
    assert!(matches!(
        BindReply::decode(&bind_reply_claiming(0xFFFF_FFF0, 0xFFFF_FFF0)),
        Err(NdrError::OutOfRange {
            what: "DRS_EXTENSIONS.cb",
            value: 0xFFFF_FFF0,
            ..
        })
    ));
    assert!(matches!(
        BindReply::decode(&bind_reply_claiming(24, 28)),
        Err(NdrError::ConformanceMismatch {
            max_count: 28,
            expected: 24,
            ..
        })
    ));
    assert!(matches!(
        BindReply::decode(&bind_reply_claiming(9000, 9000)),
        Err(NdrError::Truncated {
            what: "DRS_EXTENSIONS.rgb",
            needed: 9000,
            ..
        })
    ));

    // An attribute claiming a million values, in a reply of a few hundred
    // bytes: valCount is within its IDL range, but cannot fit the input.
    let mut reply = GetNcChangesReply::default();
    let mut item = ReplEntInf::default();
    item.entinf = EntInf::default();
    item.entinf.name = Some(DsName::from_dn("CN=x"));
    let mut attribute = hashsync_drs::drsuapi::Attribute::default();
    attribute
        .values
        .push(hashsync_drs::drsuapi::AttrValue::new(vec![1, 2, 3]));
    item.entinf.attributes.attributes.push(attribute);
    reply.objects.push(item);
    let stub = reply.encode();
    // Every count followed by a referent id (attrCount then pAttr,
    // valCount then pAVal, valLen then pVal), set to a million.
    let mut checked = 0;
    for pos in 0..stub.len() - 8 {
        let referent = u32::from_le_bytes(stub[pos + 4..pos + 8].try_into().unwrap());
        if pos % 4 != 0 || stub[pos..pos + 4] == [0; 4] || referent & 0xFFFF_0000 != 0x0002_0000 {
            continue;
        }
        let mut mutated = stub.clone();
        mutated[pos..pos + 4].copy_from_slice(&1_000_000u32.to_le_bytes());
        match GetNcChangesReply::decode(&mutated) {
            Err(NdrError::ConformanceMismatch { .. } | NdrError::CountExceedsInput { .. }) => {
                checked += 1
            }
            other => panic!("count at {pos}: {other:?}"),
        }
    }
    assert!(checked >= 3, "{checked}");
}

#[test]
fn a_long_object_list_does_not_recurse() {
    let mut reply = GetNcChangesReply::default();
    reply.objects = (0..200_000).map(|_| ReplEntInf::default()).collect();
    let stub = reply.encode();
    let decoded = GetNcChangesReply::decode(&stub).unwrap();
    assert_eq!(decoded.objects.len(), 200_000);
}

#[test]
fn an_error_reply_in_version_1_still_gives_its_return_code() {
    // MS-DRSR 4.1.10.5: on a refusal the server sets version 1 and a zeroed
    // DRS_MSG_GETCHGREPLY_V1 (two GUIDs, null pNC, padding, two USN
    // vectors, null vector, empty prefix table, four zero fields, null
    // pObjects, fMoreData), then the return value: 8453, access denied.
    let mut stub = [1u32.to_le_bytes(), 1u32.to_le_bytes()].concat();
    stub.extend_from_slice(&[0; 32 + 4 + 4 + 48 + 4 + 8 + 20]);
    stub.extend_from_slice(&8453u32.to_le_bytes());
    assert_eq!(stub.len(), 132);
    assert_eq!(GetNcChangesReply::peek_return_code(&stub), Some(8453));
    assert!(matches!(
        GetNcChangesReply::decode(&stub),
        Err(NdrError::UnsupportedVersion { version: 1, .. })
    ));
    assert_eq!(GetNcChangesReply::peek_return_code(&[1, 2, 3]), None);
}
