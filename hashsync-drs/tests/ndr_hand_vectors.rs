//! NDR20 encodings written out by hand from the IDL (C706 chapter 14,
//! MS-DRSR), byte by byte: the expected bytes here were not produced by
//! the encoder under test.

use std::str::FromStr;

use const_oid::ObjectIdentifier;
use hashsync_drs::drsuapi::{
    AttrTyp, BindRequest, DrsExtensions, DrsHandle, DsName, ExtensionFlags, GetNcChangesReply,
    PartialAttributeSet, Sid, UnbindRequest, schema,
};
use hashsync_drs::ndr::{NdrReader, NdrWriter, read_value, write_value};
use uuid::Uuid;

fn h(hex: &str) -> Vec<u8> {
    hex::decode(hex.replace([' ', '\n'], "")).unwrap()
}

#[test]
fn primitives_align_to_their_size() {
    let mut w = NdrWriter::new();
    w.u8(0xAA);
    w.u16(0x0102);
    w.u8(0xBB);
    w.u32(0x0304_0506);
    w.u8(0xCC);
    w.i64(-2);
    assert_eq!(
        w.into_bytes(),
        h("aa 00 0201 bb 000000 06050403 cc 000000 feffffffffffffff")
    );
}

#[test]
fn wide_string_is_conformant_varying_with_its_nul() {
    // [string] wchar_t*: max count 3, offset 0, actual count 3, "AB\0".
    let expected = h("03000000 00000000 03000000 4100 4200 0000");
    let mut w = NdrWriter::new();
    w.wide_string("AB");
    assert_eq!(w.into_bytes(), expected);
    let mut r = NdrReader::new(&expected);
    assert_eq!(r.wide_string("s").unwrap(), "AB");
    r.finish("s").unwrap();
}

/// `DSNAME` for `DC=x` with a GUID and the SID S-1-5-21-1-2-3-500: the
/// string's maximum count hoisted to the front, structLen = 56 + 2 × 5.
const DSNAME: &str = "05000000 42000000 1c000000
    33221100 5544 7766 8899aabbccddeeff
    01 05 000000000005 15000000 01000000 02000000 03000000 f4010000
    04000000 4400 4300 3d00 7800 0000";

#[test]
fn dsname_by_hand() {
    let sid = Sid::from_bytes(&h(
        "010500000000000515000000010000000200000003000000f4010000",
    ))
    .unwrap();
    assert_eq!(sid.to_string(), "S-1-5-21-1-2-3-500");
    assert_eq!(sid.rid(), Some(500));
    let mut name = DsName::from_dn("DC=x");
    name.guid = Uuid::from_str("00112233-4455-6677-8899-aabbccddeeff").unwrap();
    name.sid = Some(sid);
    let mut w = NdrWriter::new();
    write_value(&mut w, &name);
    assert_eq!(w.into_bytes(), h(DSNAME));
    let bytes = h(DSNAME);
    let mut r = NdrReader::new(&bytes);
    assert_eq!(read_value::<DsName>(&mut r).unwrap(), name);
    r.finish("DSNAME").unwrap();
}

#[test]
fn bind_request_by_hand() {
    let mut extensions = DrsExtensions::replication_client();
    extensions.flags =
        ExtensionFlags::BASE | ExtensionFlags::GETCHGREQ_V8 | ExtensionFlags::GETCHGREPLY_V6;
    extensions.pid = 7;
    extensions.ext_caps = 0xFFFF_FFFF;
    let client = Uuid::from_str("e24d201a-4fd6-11d1-a3da-0000f875ae0d").unwrap();
    let expected = h("00000200 1a204de2 d64f d111 a3da0000f875ae0d
        04000200 34000000 34000000
        01000005 00000000000000000000000000000000 07000000 00000000 00000000
        00000000000000000000000000000000 ffffffff");
    let request = BindRequest::new(client, extensions);
    assert_eq!(request.encode(), expected);
    assert_eq!(BindRequest::decode(&expected).unwrap(), request);
}

#[test]
fn unbind_request_is_the_bare_handle() {
    let handle = DrsHandle(*b"\x00\x00\x00\x00ABCDEFGHIJKLMNOP");
    assert_eq!(
        UnbindRequest::new(handle).encode(),
        h("00000000 4142434445464748494a4b4c4d4e4f50")
    );
}

/// A version-6 reply with no objects: pNC null, a one-cursor V2 vector,
/// a one-entry prefix table (index 9, 1.2.840.113556.1.4), return 0.
pub const EMPTY_REPLY: &str = "
    06000000 06000000
    0102030405060708090a0b0c0d0e0f10 1112131415161718191a1b1c1d1e1f20
    00000000 00000000
    0100000000000000 0000000000000000 0200000000000000
    0a00000000000000 0000000000000000 1400000000000000
    00000200 01000000 04000200
    00000000 00000000 00000000 00000000 00000000
    00000000 00000000 00000000 00000000 00000000
    01000000 02000000 00000000 01000000 00000000
    aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa 0010000000000000 0500000000000000
    01000000 09000000 08000000 08000200
    08000000 2a864886f7140104
    00000000";

#[test]
fn empty_reply_by_hand() {
    let stub = h(EMPTY_REPLY);
    let reply = GetNcChangesReply::decode(&stub).unwrap();
    assert_eq!(
        reply.dsa_obj_src.to_bytes_le(),
        *b"\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f\x10"
    );
    assert!(reply.naming_context.is_none());
    assert_eq!(reply.usn_vector_from.high_obj_update, 1);
    assert_eq!(reply.usn_vector_from.high_prop_update, 2);
    assert_eq!(reply.usn_vector_to.high_obj_update, 10);
    assert_eq!(reply.usn_vector_to.high_prop_update, 20);
    let utd = reply.up_to_date_src.as_ref().unwrap();
    assert_eq!(utd.cursors.len(), 1);
    assert_eq!(utd.cursors[0].dsa.to_bytes_le(), [0xAA; 16]);
    assert_eq!(utd.cursors[0].high_prop_update, 0x1000);
    assert_eq!(utd.cursors[0].time_last_sync_success, 5);
    assert_eq!(reply.prefix_table_src.entries.len(), 1);
    assert_eq!(reply.prefix_table_src.entries[0].index, 9);
    assert_eq!(
        reply.prefix_table_src.oid(AttrTyp(0x0009_005A)).unwrap(),
        schema::UNICODE_PWD
    );
    assert!(reply.objects.is_empty());
    assert!(!reply.more_data);
    assert_eq!(reply.return_code, 0);
    assert_eq!(GetNcChangesReply::peek_return_code(&stub), Some(0));
    // Referent ids in pointer order, as MIDL numbers them: byte for byte.
    assert_eq!(reply.encode(), stub);
}

#[test]
fn password_sync_attribute_set_uses_the_default_prefix_indices() {
    // ATTRTYPs by hand (MS-DRSR 5.16.4 with the default table's indices
    // 0 = 2.5.4, 2 = 1.2.840.113556.1.2, 9 = 1.2.840.113556.1.4).
    let (table, set) = PartialAttributeSet::password_sync();
    let expected = [
        (0x0000_0000, "2.5.4.0"),
        (0x0002_0030, "1.2.840.113556.1.2.48"),
        (0x0002_00E2, "1.2.840.113556.1.2.226"),
        (0x0009_0002, "1.2.840.113556.1.4.2"),
        (0x0009_0008, "1.2.840.113556.1.4.8"),
        (0x0009_0037, "1.2.840.113556.1.4.55"),
        (0x0009_005A, "1.2.840.113556.1.4.90"),
        (0x0009_005E, "1.2.840.113556.1.4.94"),
        (0x0009_0060, "1.2.840.113556.1.4.96"),
        (0x0009_007D, "1.2.840.113556.1.4.125"),
        (0x0009_0092, "1.2.840.113556.1.4.146"),
        (0x0009_00A0, "1.2.840.113556.1.4.160"),
        (0x0009_00DD, "1.2.840.113556.1.4.221"),
        (0x0009_0290, "1.2.840.113556.1.4.656"),
        (0x0009_0364, "1.2.840.113556.1.4.868"),
    ];
    let got: Vec<u32> = set.attributes.iter().map(|a| a.0).collect();
    assert_eq!(got, expected.map(|(a, _)| a));
    for (attrtyp, oid) in expected {
        assert_eq!(
            table.oid(AttrTyp(attrtyp)).unwrap(),
            ObjectIdentifier::new(oid).unwrap()
        );
    }
    let prefixes: Vec<(u32, String)> = table
        .entries
        .iter()
        .map(|e| (e.index, hex::encode(&e.prefix)))
        .collect();
    assert_eq!(
        prefixes,
        [
            (0, "5504".to_owned()),
            (9, "2a864886f7140104".to_owned()),
            (2, "2a864886f7140102".to_owned()),
        ]
    );
    // PARTIAL_ATTR_VECTOR_V1_EXT: max count, dwVersion 1, reserved, cAttrs.
    let mut w = NdrWriter::new();
    write_value(
        &mut w,
        &PartialAttributeSet::new(vec![AttrTyp(0x0009_005A), AttrTyp(0)]),
    );
    assert_eq!(
        w.into_bytes(),
        h("02000000 01000000 00000000 02000000 5a000900 00000000")
    );
}

#[test]
fn prefix_mapping_of_large_arcs() {
    // 1.2.840.113556.1.4.20000: the arc takes three bytes (81 9c 20); the
    // prefix keeps the first, the ATTRTYP's low word is 20000 mod 16384
    // with the 0x8000 bit (MS-DRSR 5.16.4).
    let oid = ObjectIdentifier::new("1.2.840.113556.1.4.20000").unwrap();
    let (table, set) = PartialAttributeSet::for_oids(&[oid]);
    assert_eq!(hex::encode(&table.entries[0].prefix), "2a864886f714010481");
    assert_eq!(set.attributes[0].0 & 0xFFFF, 0x8000 | (20000 % 16384));
    assert_eq!(table.oid(set.attributes[0]).unwrap(), oid);
}

#[test]
fn a_sid_too_long_for_nt4sid_is_written_as_absent() {
    let long = Sid::from_bytes(&[&[1u8, 6, 0, 0, 0, 0, 0, 5][..], &[0; 24]].concat()).unwrap();
    let mut name = DsName::from_dn("");
    name.sid = Some(long);
    let mut w = NdrWriter::new();
    write_value(&mut w, &name);
    let bytes = w.into_bytes();
    // SidLen (after the max count and structLen) is 0.
    assert_eq!(bytes[8..12], [0, 0, 0, 0]);
    let mut r = NdrReader::new(&bytes);
    assert_eq!(read_value::<DsName>(&mut r).unwrap().sid, None);
}
