//! `IDL_DRSGetNCChanges` as the lab's Samba DC really answered it
//! (`tests/data/drs_exchange/`, recorded by `tests/drs_exchange_capture.rs`
//! from `DrsSource`'s own connection): a full sync's first page and an
//! `EXOP_REPL_OBJ` read, request and reply each, and that connection's
//! session key.
//!
//! The expected values (`expected.json`) come from Samba's own NDR
//! (python3-samba, which unpacked every stub) and impacket 0.13.1 (which
//! decrypted every secret), through `tools/vectors/drs_exchange.py`; the
//! NT hash of each account whose password the capture set is MD4 of that
//! password, computed by the script. Here our decoders read the same
//! stubs: every field must agree, the objects must map to the same OIDs,
//! and our decryption must give impacket's hashes. Then the real reply is
//! truncated at every offset and mutated byte by byte: typed errors or
//! well-formed values, never a panic.

use std::collections::BTreeMap;
use std::path::PathBuf;

use hashsync::formats::drs::{ReplicatedAttribute, SessionKey, decrypt_attribute_value};
use hashsync_drs::drsuapi::{
    DsName, GetNcChangesReply, GetNcChangesRequest, PrefixTable, PropertyMetaData,
    ReplicatedObject, schema,
};
use hashsync_drs::ndr::NdrError;
use serde_json::Value;
use sha2::{Digest, Sha256};
use uuid::Uuid;

fn data(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/drs_exchange")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn expected() -> Value {
    serde_json::from_slice(&data("expected.json")).unwrap()
}

fn session_key() -> SessionKey {
    SessionKey::from_hex(String::from_utf8(data("session_key.hex")).unwrap().trim()).unwrap()
}

fn full_request() -> Vec<u8> {
    data("getncchanges_full_request.stub")
}
fn full_reply() -> Vec<u8> {
    data("getncchanges_full_reply.stub")
}
fn exop_request() -> Vec<u8> {
    data("getncchanges_exop_request.stub")
}
fn exop_reply() -> Vec<u8> {
    data("getncchanges_exop_reply.stub")
}

fn uuid(v: &Value) -> Uuid {
    Uuid::parse_str(v.as_str().unwrap_or_else(|| panic!("a GUID: {v}"))).unwrap()
}

fn int(v: &Value) -> i64 {
    v.as_i64().unwrap_or_else(|| panic!("an integer: {v}"))
}

/// Samba's `[tmp_highest_usn, reserved_usn, highest_usn]`.
fn usn_vector(v: &Value) -> [i64; 3] {
    [int(&v[0]), int(&v[1]), int(&v[2])]
}

fn check_name(what: &str, ours: Option<&DsName>, samba: &Value) {
    if samba.is_null() {
        assert!(ours.is_none(), "{what}: {ours:?}");
        return;
    }
    let ours = ours.unwrap_or_else(|| panic!("{what}: no name"));
    assert_eq!(ours.dn, samba["dn"].as_str().unwrap(), "{what}: DN");
    assert_eq!(ours.guid, uuid(&samba["guid"]), "{what}: GUID");
    assert_eq!(
        ours.sid.as_ref().map(ToString::to_string),
        samba["sid"].as_str().map(str::to_owned),
        "{what}: SID"
    );
}

fn check_prefix_table(what: &str, ours: &PrefixTable, samba: &Value) {
    let samba: Vec<(u32, String)> = samba
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (int(&e[0]) as u32, e[1].as_str().unwrap().to_owned()))
        .collect();
    let ours: Vec<(u32, String)> = ours
        .entries
        .iter()
        .map(|e| (e.index, hex::encode(&e.prefix)))
        .collect();
    assert_eq!(ours, samba, "{what}: prefix table");
}

fn check_meta_data(what: &str, ours: &PropertyMetaData, samba: &Value) {
    assert_eq!(
        (
            ours.version as i64,
            ours.time_changed,
            ours.dsa_originating,
            ours.usn_originating
        ),
        (
            int(&samba[0]),
            int(&samba[1]),
            uuid(&samba[2]),
            int(&samba[3])
        ),
        "{what}: meta data"
    );
}

/// SHA-256 over the values, each as its 4-byte LE length then its bytes
/// (as the script digests them).
fn values_digest<'a>(values: impl IntoIterator<Item = &'a [u8]>) -> String {
    let mut sha = Sha256::new();
    for value in values {
        sha.update((value.len() as u32).to_le_bytes());
        sha.update(value);
    }
    hex::encode(sha.finalize())
}

fn check_request(stub: &[u8], samba: &Value) -> GetNcChangesRequest {
    let request = GetNcChangesRequest::decode(stub).expect("the captured request");
    assert_eq!(stub.len() as i64, int(&samba["stub_len"]));
    assert_eq!(int(&samba["level"]), 8);
    let handle_type = u32::from_le_bytes(request.handle.0[..4].try_into().unwrap());
    assert_eq!(handle_type as i64, int(&samba["handle"][0]), "handle type");
    assert_eq!(
        Uuid::from_slice_le(&request.handle.0[4..]).unwrap(),
        uuid(&samba["handle"][1]),
        "handle"
    );
    assert_eq!(request.dsa_obj_dest, uuid(&samba["dsa_obj_dest"]));
    assert_eq!(request.invocation_id_src, uuid(&samba["invocation_id_src"]));
    check_name(
        "naming context",
        Some(&request.naming_context),
        &samba["nc"],
    );
    let usn = request.usn_vector_from;
    assert_eq!(
        [usn.high_obj_update, usn.reserved, usn.high_prop_update],
        usn_vector(&samba["usn_vector_from"])
    );
    match (
        &request.up_to_date_dest,
        samba["up_to_date_dest"].as_array(),
    ) {
        (None, None) => {}
        (Some(ours), Some(samba)) => {
            let ours: Vec<(Uuid, i64)> = ours
                .cursors
                .iter()
                .map(|c| (c.dsa, c.high_prop_update))
                .collect();
            let samba: Vec<(Uuid, i64)> = samba.iter().map(|c| (uuid(&c[0]), int(&c[1]))).collect();
            assert_eq!(ours, samba, "up-to-dateness vector");
        }
        (ours, samba) => panic!("up-to-dateness vector: {ours:?} against {samba:?}"),
    }
    assert_eq!(request.flags.0 as i64, int(&samba["flags"]), "ulFlags");
    assert_eq!(request.max_objects as i64, int(&samba["max_objects"]));
    assert_eq!(request.max_bytes as i64, int(&samba["max_bytes"]));
    assert_eq!(request.extended_op as i64, int(&samba["extended_op"]));
    assert_eq!(request.fsmo_info as i64, int(&samba["fsmo_info"]));
    let set = |ours: &Option<hashsync_drs::drsuapi::PartialAttributeSet>, samba: &Value| match (
        ours,
        samba.as_array(),
    ) {
        (None, None) => {}
        (Some(ours), Some(samba)) => {
            let ours: Vec<i64> = ours.attributes.iter().map(|a| a.0 as i64).collect();
            let samba: Vec<i64> = samba.iter().map(int).collect();
            assert_eq!(ours, samba, "partial attribute set");
        }
        (ours, samba) => panic!("partial attribute set: {ours:?} against {samba:?}"),
    };
    set(&request.partial_attr_set, &samba["partial_attr_set"]);
    set(&request.partial_attr_set_ex, &samba["partial_attr_set_ex"]);
    check_prefix_table(
        "request",
        &request.prefix_table_dest,
        &samba["prefix_table"],
    );
    // Our encoder made it: what we decode, we write back byte for byte.
    assert!(request.encode() == stub, "re-encoded request");
    request
}

fn check_reply(what: &str, stub: &[u8], samba: &Value) -> GetNcChangesReply {
    let reply = GetNcChangesReply::decode(stub).expect("the captured reply");
    assert_eq!(stub.len() as i64, int(&samba["stub_len"]));
    assert_eq!(int(&samba["level"]), 6);
    assert_eq!(reply.dsa_obj_src, uuid(&samba["dsa_obj_src"]));
    assert_eq!(reply.invocation_id_src, uuid(&samba["invocation_id_src"]));
    check_name(what, reply.naming_context.as_ref(), &samba["nc"]);
    for (ours, key) in [
        (reply.usn_vector_from, "usn_vector_from"),
        (reply.usn_vector_to, "usn_vector_to"),
    ] {
        assert_eq!(
            [ours.high_obj_update, ours.reserved, ours.high_prop_update],
            usn_vector(&samba[key]),
            "{what}: {key}"
        );
    }
    match (&reply.up_to_date_src, samba["up_to_date_src"].as_array()) {
        (None, None) => {}
        (Some(ours), Some(samba)) => {
            let ours: Vec<(Uuid, i64, i64)> = ours
                .cursors
                .iter()
                .map(|c| (c.dsa, c.high_prop_update, c.time_last_sync_success))
                .collect();
            let samba: Vec<(Uuid, i64, i64)> = samba
                .iter()
                .map(|c| (uuid(&c[0]), int(&c[1]), int(&c[2])))
                .collect();
            assert_eq!(ours, samba, "{what}: up-to-dateness cursors");
        }
        (ours, samba) => panic!("{what}: up-to-dateness vector {ours:?} against {samba:?}"),
    }
    check_prefix_table(what, &reply.prefix_table_src, &samba["prefix_table"]);
    assert_eq!(reply.extended_ret as i64, int(&samba["extended_ret"]));
    assert_eq!(reply.num_objects as i64, int(&samba["object_count"]));
    assert_eq!(reply.more_data, samba["more_data"].as_bool().unwrap());
    assert_eq!(reply.nc_size_objects as i64, int(&samba["nc_size_objects"]));
    assert_eq!(reply.nc_size_values as i64, int(&samba["nc_size_values"]));
    assert_eq!(reply.drs_error as i64, int(&samba["drs_error"]));
    assert_eq!(reply.return_code as i64, int(&samba["return_code"]));

    let objects = samba["objects"].as_array().unwrap();
    assert_eq!(reply.objects.len(), objects.len(), "{what}: objects");
    for (index, (ours, samba)) in reply.objects.iter().zip(objects).enumerate() {
        let at = format!("{what}: object {index}");
        check_name(&at, ours.entinf.name.as_ref(), &samba["name"]);
        assert_eq!(ours.entinf.flags as i64, int(&samba["flags"]), "{at}");
        assert_eq!(
            ours.is_nc_prefix,
            samba["is_nc_prefix"].as_bool().unwrap(),
            "{at}"
        );
        assert_eq!(
            ours.parent_guid,
            samba["parent_guid"]
                .as_str()
                .map(|_| uuid(&samba["parent_guid"])),
            "{at}: parent"
        );
        match (&ours.meta_data, samba["meta_data"].as_array()) {
            (None, None) => {}
            (Some(ours), Some(samba)) => {
                assert_eq!(ours.len(), samba.len(), "{at}: meta data");
                for (m, s) in ours.iter().zip(samba) {
                    check_meta_data(&at, m, s);
                }
            }
            (ours, samba) => panic!("{at}: meta data {ours:?} against {samba:?}"),
        }
        let attributes = samba["attributes"].as_array().unwrap();
        let block = &ours.entinf.attributes.attributes;
        assert_eq!(block.len(), attributes.len(), "{at}: attributes");
        for (a, s) in block.iter().zip(attributes) {
            assert_eq!(a.attr_typ.0 as i64, int(&s["attrtyp"]), "{at}: ATTRTYP");
            let lengths: Vec<i64> = a.values.iter().map(|v| v.as_bytes().len() as i64).collect();
            let samba_lengths: Vec<i64> = s["value_lengths"]
                .as_array()
                .unwrap()
                .iter()
                .map(int)
                .collect();
            assert_eq!(
                lengths, samba_lengths,
                "{at}: {:?} value lengths",
                a.attr_typ
            );
            assert_eq!(
                values_digest(a.values.iter().map(|v| v.as_bytes())),
                s["values_sha256"].as_str().unwrap(),
                "{at}: {:?} values",
                a.attr_typ
            );
        }
    }

    let links = samba["linked_values"].as_array().unwrap();
    assert_eq!(
        reply.linked_values.len(),
        links.len(),
        "{what}: linked values"
    );
    for (index, (ours, samba)) in reply.linked_values.iter().zip(links).enumerate() {
        let at = format!("{what}: linked value {index}");
        check_name(&at, ours.object.as_ref(), &samba["name"]);
        assert_eq!(ours.attr_typ.0 as i64, int(&samba["attid"]), "{at}");
        assert_eq!(
            hex::encode(ours.value.as_bytes()),
            samba["blob"].as_str().unwrap(),
            "{at}"
        );
        // Samba's `flags` is DRS_LINKED_VALUE_FLAG_ACTIVE (1): fIsPresent.
        assert_eq!(ours.is_present, int(&samba["flags"]) & 1 == 1, "{at}");
        assert_eq!(ours.time_created, int(&samba["add_time"]), "{at}");
        check_meta_data(&at, &ours.meta_data, &samba["meta"]);
    }
    // Samba's referent ids and its order of deferred pointers differ
    // from ours, so our encoding is not byte for byte Samba's; it must
    // still hold the same values.
    assert!(
        GetNcChangesReply::decode(&reply.encode()).as_ref() == Ok(&reply),
        "{what}: re-encoded reply"
    );
    reply
}

/// The objects mapped by OID must be the script's mapping of Samba's
/// ATTRTYPs through the same prefix table (MS-DRSR 5.16.4).
fn check_objects(what: &str, reply: GetNcChangesReply, samba: &Value) -> Vec<ReplicatedObject> {
    let objects = reply.into_replicated_objects();
    for (index, (object, samba)) in objects
        .iter()
        .zip(samba["objects"].as_array().unwrap())
        .enumerate()
    {
        let at = format!("{what}: object {index} ({})", object.dn);
        assert_eq!(object.dn, samba["name"]["dn"].as_str().unwrap(), "{at}");
        assert_eq!(object.guid, uuid(&samba["name"]["guid"]), "{at}");
        assert_eq!(
            object.sid.as_ref().map(ToString::to_string).as_deref(),
            samba["name"]["sid"].as_str(),
            "{at}"
        );
        let classes: Vec<String> = object
            .object_classes
            .iter()
            .map(|o| o.to_string())
            .collect();
        let samba_classes: Vec<String> = samba["object_classes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o.as_str().unwrap().to_owned())
            .collect();
        assert_eq!(classes, samba_classes, "{at}: object classes");
        assert!(object.unmapped.is_empty(), "{at}: {:?}", object.unmapped);
        let ours: BTreeMap<String, (Vec<usize>, String)> = object
            .attributes
            .iter()
            .map(|a| {
                (
                    a.oid.to_string(),
                    (
                        a.values.iter().map(|v| v.as_bytes().len()).collect(),
                        values_digest(a.values.iter().map(|v| v.as_bytes())),
                    ),
                )
            })
            .collect();
        let theirs: BTreeMap<String, (Vec<usize>, String)> = samba["attributes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| {
                (
                    a["oid"].as_str().unwrap().to_owned(),
                    (
                        a["value_lengths"]
                            .as_array()
                            .unwrap()
                            .iter()
                            .map(|n| int(n) as usize)
                            .collect(),
                        a["values_sha256"].as_str().unwrap().to_owned(),
                    ),
                )
            })
            .collect();
        assert_eq!(ours, theirs, "{at}: attributes by OID");
        let name = object
            .value(&schema::SAM_ACCOUNT_NAME)
            .map(|v| String::from_utf16(&utf16(v)).unwrap());
        assert_eq!(name.as_deref(), samba["sam_account_name"].as_str(), "{at}");
    }
    objects
}

fn utf16(bytes: &[u8]) -> Vec<u16> {
    bytes
        .chunks_exact(2)
        .map(|p| u16::from_le_bytes([p[0], p[1]]))
        .collect()
}

/// Our decryption of every secret against impacket's.
fn check_secrets(what: &str, objects: &[ReplicatedObject], samba: &Value) -> usize {
    let key = session_key();
    let mut known = 0;
    let rows = samba.as_array().unwrap();
    let with_secrets = objects
        .iter()
        .filter(|o| {
            // Present, even without values (Guest's unicodePwd).
            o.attributes
                .iter()
                .any(|a| a.oid == schema::UNICODE_PWD || a.oid == schema::SUPPLEMENTAL_CREDENTIALS)
        })
        .count();
    assert_eq!(with_secrets, rows.len(), "{what}: objects with secrets");
    for row in rows {
        let guid = uuid(&row["guid"]);
        let object = objects.iter().find(|o| o.guid == guid).expect("the object");
        let at = format!("{what}: {}", object.dn);
        let rid = object.rid().expect("a RID");
        assert_eq!(rid as i64, int(&row["rid"]), "{at}");
        let nt = object.value(&schema::UNICODE_PWD).map(|encrypted| {
            hex::encode(
                decrypt_attribute_value(
                    &key,
                    ReplicatedAttribute::UnicodePwd,
                    Some(rid),
                    encrypted,
                )
                .unwrap_or_else(|e| panic!("{at}: {e}"))
                .as_slice(),
            )
        });
        assert_eq!(nt.as_deref(), row["nt_hash"].as_str(), "{at}: NT hash");
        if let Some(md4) = row["md4_of_password"].as_str() {
            assert_eq!(nt.as_deref(), Some(md4), "{at}: MD4 of the password");
            known += 1;
        }
        let credentials = object
            .value(&schema::SUPPLEMENTAL_CREDENTIALS)
            .map(|encrypted| {
                decrypt_attribute_value(
                    &key,
                    ReplicatedAttribute::SupplementalCredentials,
                    Some(rid),
                    encrypted,
                )
                .unwrap_or_else(|e| panic!("{at}: {e}"))
            });
        assert_eq!(
            credentials.as_ref().map(|c| c.len() as i64),
            row["supplemental_credentials_len"].as_i64(),
            "{at}"
        );
        assert_eq!(
            credentials
                .as_ref()
                .map(|c| hex::encode(Sha256::digest(c.as_slice()))),
            row["supplemental_credentials_sha256"]
                .as_str()
                .map(str::to_owned),
            "{at}: supplementalCredentials"
        );
    }
    known
}

#[test]
fn the_full_sync_request_is_what_samba_reads() {
    let expected = expected();
    let request = check_request(&full_request(), &expected["full_request"]);
    // A full sync's first page: from nothing, no extended operation.
    assert_eq!(request.usn_vector_from.high_obj_update, 0);
    assert!(request.up_to_date_dest.is_none());
    assert_eq!(request.extended_op, 0);
}

#[test]
fn the_exop_request_is_what_samba_reads() {
    let expected = expected();
    let request = check_request(&exop_request(), &expected["exop_request"]);
    assert_eq!(request.extended_op, 6, "EXOP_REPL_OBJ");
    assert_eq!(request.max_objects, 1);
}

#[test]
fn the_first_page_is_what_samba_reads_and_impacket_decrypts() {
    let expected = expected();
    let reply = check_reply("full sync", &full_reply(), &expected["full_reply"]);
    assert!(reply.objects.len() > 100, "{}", reply.objects.len());
    assert!(!reply.linked_values.is_empty());
    let objects = check_objects("full sync", reply, &expected["full_reply"]);
    let known = check_secrets("full sync", &objects, &expected["secrets"]["full_reply"]);
    // Administrator, three users and a computer, with passwords set.
    assert_eq!(known, 5);
}

#[test]
fn the_exop_reply_is_what_samba_reads_and_impacket_decrypts() {
    let expected = expected();
    let reply = check_reply("EXOP_REPL_OBJ", &exop_reply(), &expected["exop_reply"]);
    assert_eq!(reply.objects.len(), 1);
    let objects = check_objects("EXOP_REPL_OBJ", reply, &expected["exop_reply"]);
    let known = check_secrets(
        "EXOP_REPL_OBJ",
        &objects,
        &expected["secrets"]["exop_reply"],
    );
    assert_eq!(known, 1, "the changed password");
}

#[test]
fn the_session_key_is_an_ntlm_exported_session_key() {
    assert_eq!(session_key().expose_secret().len(), 16);
}

/// Decodes, maps and decrypts whatever parses; `Err` is fine, a panic is
/// not (the test harness reports it).
fn read_everything(stub: &[u8], key: &SessionKey) -> bool {
    let Ok(reply) = GetNcChangesReply::decode(stub) else {
        return false;
    };
    assert_eq!(
        GetNcChangesReply::decode(&reply.encode()).as_ref(),
        Ok(&reply)
    );
    for object in reply.into_replicated_objects() {
        for (oid, attribute) in [
            (schema::UNICODE_PWD, ReplicatedAttribute::UnicodePwd),
            (
                schema::SUPPLEMENTAL_CREDENTIALS,
                ReplicatedAttribute::SupplementalCredentials,
            ),
        ] {
            if let Some(value) = object.value(&oid) {
                let _ = decrypt_attribute_value(key, attribute, object.rid(), value);
            }
        }
    }
    true
}

fn every_truncation(stub: &[u8]) {
    assert!(GetNcChangesReply::decode(stub).is_ok());
    for len in 0..stub.len() {
        match GetNcChangesReply::decode(&stub[..len]) {
            Err(
                NdrError::Truncated { offset, .. } | NdrError::CountExceedsInput { offset, .. },
            ) => assert!(offset <= len, "offset {offset} past the end {len}"),
            other => panic!("truncated at {len}: {other:?}"),
        }
    }
}

#[test]
fn the_real_replies_truncated_anywhere_are_truncation_errors() {
    every_truncation(&exop_reply());
    every_truncation(&full_reply());
}

#[test]
fn the_real_requests_truncated_anywhere_are_errors() {
    for stub in [full_request(), exop_request()] {
        for len in 0..stub.len() {
            assert!(GetNcChangesRequest::decode(&stub[..len]).is_err(), "{len}");
        }
    }
}

#[test]
fn the_real_exop_reply_mutated_anywhere_is_an_error_or_well_formed() {
    let stub = exop_reply();
    let key = session_key();
    let mut parsed = 0;
    for i in 0..stub.len() {
        for x in [0x01, 0x80, 0xFF] {
            let mut mutated = stub.clone();
            mutated[i] ^= x;
            parsed += usize::from(read_everything(&mutated, &key));
        }
    }
    assert!(parsed > stub.len(), "{parsed} of {} parsed", 3 * stub.len());
}

/// The first page is 147 KB and read whole after each mutation: every
/// byte of its scalars, vectors and prefix table (the first 2 KB), then
/// every 31st byte (a stride prime to NDR's alignments, so every position
/// within the 4- and 8-byte fields is hit) through the objects and linked
/// values. The `EXOP_REPL_OBJ` reply above is mutated at every byte.
#[test]
fn the_real_first_page_mutated_is_an_error_or_well_formed() {
    let stub = full_reply();
    let key = session_key();
    let mut parsed = 0;
    let offsets: Vec<usize> = (0..2048).chain((2048..stub.len()).step_by(31)).collect();
    for &i in &offsets {
        let mut mutated = stub.clone();
        mutated[i] ^= 0xFF;
        parsed += usize::from(read_everything(&mutated, &key));
    }
    assert!(
        parsed > offsets.len() / 2,
        "{parsed} of {} parsed",
        offsets.len()
    );
}

fn tshark() -> Value {
    serde_json::from_slice(&data("tshark.json")).unwrap()
}

/// Wireshark decrypted every sealed PDU of the two calls on its own
/// (NTLMSSP with the lab's password): fragment by fragment, without auth
/// padding, those are the stubs the client recorded.
#[test]
fn the_recorded_stubs_are_what_wireshark_decrypted() {
    let tshark = tshark();
    for (call, request, reply) in [
        ("full", full_request(), full_reply()),
        ("exop", exop_request(), exop_reply()),
    ] {
        for (pkt_type, stub) in [(0, &request), (2, &reply)] {
            let fragments: Vec<&Value> = tshark[call]["fragments"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|f| int(&f["pkt_type"]) == pkt_type)
                .collect();
            assert!(!fragments.is_empty(), "{call}: PDUs of type {pkt_type}");
            let mut at = 0;
            for fragment in &fragments {
                let len = int(&fragment["len"]) as usize;
                let piece = stub.get(at..at + len).unwrap_or_else(|| {
                    panic!("{call}: frame {} past the stub's end", fragment["frame"])
                });
                assert_eq!(
                    hex::encode(Sha256::digest(piece)),
                    fragment["sha256"].as_str().unwrap(),
                    "{call}: frame {}",
                    fragment["frame"]
                );
                at += len;
            }
            assert_eq!(at, stub.len(), "{call}: the whole stub");
        }
    }
    // The first page's reply spans many fragments.
    let replies = tshark["full"]["fragments"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| int(&f["pkt_type"]) == 2)
        .count();
    assert!(replies > 20, "{replies} fragments");
}

/// The first value Wireshark's DRSUAPI dissector shows for `field`.
fn field<'a>(fields: &'a Value, name: &str) -> &'a str {
    fields
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f[0] == name)
        .and_then(|f| f[1].as_str())
        .unwrap_or_else(|| panic!("no {name} in the dissection"))
}

fn number(fields: &Value, name: &str) -> i64 {
    field(fields, name).parse().unwrap()
}

/// Wireshark 4.0's DRSUAPI dissector reads a version-8 request up to the
/// prefix table's count (its names for the fields are its own: guid1 is
/// uuidDsaObjDest, unknown1 ulFlags, …).
#[test]
fn the_requests_are_what_wireshark_reads() {
    let tshark = tshark();
    for (call, stub) in [("full", full_request()), ("exop", exop_request())] {
        let fields = &tshark[call]["request_fields"];
        let request = GetNcChangesRequest::decode(&stub).unwrap();
        let hex_bytes = |name| field(fields, name).replace(':', "");
        assert_eq!(
            hex_bytes("drsuapi.DsGetNCChanges.bind_handle"),
            hex::encode(request.handle.0),
            "{call}"
        );
        assert_eq!(number(fields, "drsuapi.DsGetNCChanges.level"), 8);
        let guid = |name| Uuid::parse_str(field(fields, name)).unwrap();
        assert_eq!(
            guid("drsuapi.DsGetNCChangesRequest8.guid1"),
            request.dsa_obj_dest
        );
        assert_eq!(
            guid("drsuapi.DsGetNCChangesRequest8.guid2"),
            request.invocation_id_src
        );
        assert_eq!(
            guid("drsuapi.DsReplicaSyncRequest1Info.guid1"),
            request.naming_context.guid,
            "{call}: naming context GUID"
        );
        assert_eq!(
            field(fields, "drsuapi.DsReplicaSyncRequest1Info.nc_dn"),
            request.naming_context.dn
        );
        assert_eq!(
            number(fields, "drsuapi.DsReplicaSyncRequest1Info.str_len") as usize,
            request.naming_context.dn.encode_utf16().count()
        );
        let usn = request.usn_vector_from;
        assert_eq!(
            [
                number(fields, "drsuapi.DsGetNCChangesUsnTriple.usn1"),
                number(fields, "drsuapi.DsGetNCChangesUsnTriple.usn2"),
                number(fields, "drsuapi.DsGetNCChangesUsnTriple.usn3"),
            ],
            [usn.high_obj_update, usn.reserved, usn.high_prop_update]
        );
        // pUpToDateVecDest: a null pointer.
        assert!(request.up_to_date_dest.is_none());
        assert_eq!(field(fields, "dcerpc.null_pointer"), "00:00:00:00");
        for (name, ours) in [
            ("unknown1", request.flags.0 as i64),
            ("unknown2", request.max_objects as i64),
            ("unknown3", request.max_bytes as i64),
            ("unknown4", request.extended_op as i64),
            ("h1", request.fsmo_info as i64),
        ] {
            assert_eq!(
                number(fields, &format!("drsuapi.DsGetNCChangesRequest8.{name}")),
                ours,
                "{call}: {name}"
            );
        }
        assert_eq!(
            number(fields, "drsuapi.DsGetNCChangesRequest8.unique_ptr1") != 0,
            request.partial_attr_set.is_some()
        );
        assert_eq!(
            number(fields, "drsuapi.DsGetNCChangesRequest8.unique_ptr2") != 0,
            request.partial_attr_set_ex.is_some()
        );
        assert_eq!(
            number(fields, "drsuapi.DsGetNCChangesRequest_Ctr12.count") as usize,
            request.prefix_table_dest.entries.len(),
            "{call}: PrefixTableDest.PrefixCount"
        );
    }
}
