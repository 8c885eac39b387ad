//! The DRSUAPI codecs against Samba's own NDR (pidl, through
//! python3-samba): stubs Samba packed (`tools/vectors/drsuapi_samba.py
//! vectors`, provenance in `tests/data/README.md`) decoded field by field,
//! and, live, stubs this crate encodes unpacked by Samba
//! (`drsuapi_samba.py check`).

use std::io::Write;
use std::process::{Command, Stdio};
use std::str::FromStr;

use hashsync_drs::drsuapi::{
    AttrTyp, AttrValue, Attribute, AttributeBlock, BindReply, BindRequest, DrsExtensions,
    DrsHandle, DsName, EntInf, GetNcChangesReply, GetNcChangesRequest, LinkedValue, PrefixEntry,
    PrefixTable, PropertyMetaData, ReplEntInf, ReplicationCursor, Sid, UpToDateCursor,
    UpToDateVector, UsnVector, schema,
};
use serde_json::{Value, json};
use uuid::Uuid;

fn vectors() -> Value {
    serde_json::from_str(include_str!("data/drsuapi_samba.json")).unwrap()
}

fn stub(v: &Value, name: &str) -> Vec<u8> {
    hex::decode(v[name]["stub"].as_str().unwrap()).unwrap()
}

fn uuid(v: &Value) -> Uuid {
    Uuid::from_str(v.as_str().unwrap()).unwrap()
}

fn n(v: &Value) -> i64 {
    v.as_i64().unwrap()
}

fn usn_of(u: &UsnVector) -> Value {
    json!([u.high_obj_update, u.reserved, u.high_prop_update])
}

fn stamp_of(m: &PropertyMetaData) -> Value {
    json!([
        m.version,
        m.time_changed,
        m.dsa_originating.to_string(),
        m.usn_originating
    ])
}

#[test]
fn getncchanges_reply_v6_from_samba() {
    let v = vectors();
    let e = &v["getncchanges_reply_v6"]["expected"];
    let reply = GetNcChangesReply::decode(&stub(&v, "getncchanges_reply_v6")).unwrap();
    assert_eq!(reply.dsa_obj_src, uuid(&e["dsa_obj_src"]));
    assert_eq!(reply.invocation_id_src, uuid(&e["invocation_id_src"]));
    assert_eq!(usn_of(&reply.usn_vector_from), e["usn_vector_from"]);
    assert_eq!(usn_of(&reply.usn_vector_to), e["usn_vector_to"]);
    let utd = reply.up_to_date_src.as_ref().unwrap();
    let c = &e["up_to_date_src"][0];
    assert_eq!(utd.cursors.len(), 1);
    assert_eq!(utd.cursors[0].dsa, uuid(&c["dsa"]));
    assert_eq!(utd.cursors[0].high_prop_update, n(&c["usn"]));
    assert_eq!(utd.cursors[0].time_last_sync_success, n(&c["time"]));
    let table: Vec<Value> = reply
        .prefix_table_src
        .entries
        .iter()
        .map(|p| json!({"index": p.index, "prefix": hex::encode(&p.prefix)}))
        .collect();
    assert_eq!(Value::from(table), e["prefix_table"]);
    assert_eq!(reply.more_data, e["more_data"].as_bool().unwrap());
    assert_eq!(i64::from(reply.nc_size_objects), n(&e["nc_size_objects"]));
    assert_eq!(i64::from(reply.nc_size_values), n(&e["nc_size_values"]));
    assert_eq!(i64::from(reply.return_code), n(&e["return_code"]));
    assert_eq!(reply.num_objects, 2);

    let objects = e["objects"].as_array().unwrap();
    assert_eq!(reply.objects.len(), objects.len());
    for (item, x) in reply.objects.iter().zip(objects) {
        let name = item.entinf.name.as_ref().unwrap();
        assert_eq!(name.dn, x["dn"].as_str().unwrap());
        assert_eq!(name.guid, uuid(&x["guid"]));
        assert_eq!(
            name.sid.as_ref().unwrap().to_string(),
            x["sid"].as_str().unwrap()
        );
        assert_eq!(i64::from(item.entinf.flags), n(&x["flags"]));
        assert_eq!(item.is_nc_prefix, x["is_nc_prefix"].as_bool().unwrap());
        assert_eq!(
            item.parent_guid.map(|g| g.to_string()),
            x["parent_guid"].as_str().map(str::to_owned)
        );
        let stamps = item
            .meta_data
            .as_ref()
            .map(|m| Value::from(m.iter().map(stamp_of).collect::<Vec<_>>()));
        assert_eq!(stamps.unwrap_or(Value::Null), x["meta_data"]);
        let attributes: Vec<Value> = item
            .entinf
            .attributes
            .attributes
            .iter()
            .map(|a| {
                let values: Vec<String> =
                    a.values.iter().map(|v| hex::encode(v.as_bytes())).collect();
                json!({"attrtyp": a.attr_typ.0, "values": values})
            })
            .collect();
        assert_eq!(Value::from(attributes), x["attributes"]);
    }

    let links = e["linked_values"].as_array().unwrap();
    assert_eq!(reply.linked_values.len(), links.len());
    for (l, x) in reply.linked_values.iter().zip(links) {
        let object = l.object.as_ref().unwrap();
        assert_eq!(object.dn, x["dn"].as_str().unwrap());
        let guid = x["guid"]
            .as_str()
            .map_or(Uuid::nil(), |g| Uuid::from_str(g).unwrap());
        assert_eq!(object.guid, guid);
        assert_eq!(i64::from(l.attr_typ.0), n(&x["attid"]));
        assert_eq!(hex::encode(l.value.as_bytes()), x["blob"].as_str().unwrap());
        assert_eq!(l.is_present, n(&x["flags"]) == 1);
        assert_eq!(l.time_created, n(&x["add_time"]));
        assert_eq!(stamp_of(&l.meta_data), x["meta"]);
    }

    // Samba's table maps its own indices: 0x000A005A is unicodePwd there,
    // and the objectClass value 0x00040009 is the user class.
    let objects = reply.clone().into_replicated_objects();
    assert_eq!(objects[0].values(&schema::UNICODE_PWD).len(), 1);
    assert_eq!(
        objects[0].value(&schema::SAM_ACCOUNT_NAME),
        Some(&b"a\0l\0i\0c\0e\0"[..])
    );
    assert_eq!(objects[0].object_classes, [schema::CLASS_USER]);
    assert_eq!(objects[0].rid(), Some(1201));
    assert!(objects[1].is_nc_prefix);
    assert_eq!(objects[1].values(&schema::IS_DELETED).len(), 0);

    assert_eq!(GetNcChangesReply::decode(&reply.encode()).unwrap(), reply);
}

#[test]
fn getncchanges_request_v8_and_bind_reply_from_samba() {
    let v = vectors();
    let e = &v["getncchanges_request_v8"]["expected"];
    let request = GetNcChangesRequest::decode(&stub(&v, "getncchanges_request_v8")).unwrap();
    assert_eq!(hex::encode(request.handle.0), e["handle"].as_str().unwrap());
    assert_eq!(request.dsa_obj_dest, uuid(&e["dsa_obj_dest"]));
    assert_eq!(request.naming_context.dn, e["nc_dn"].as_str().unwrap());
    assert_eq!(usn_of(&request.usn_vector_from), e["usn_vector_from"]);
    assert!(request.up_to_date_dest.is_none());
    assert_eq!(i64::from(request.flags.0), n(&e["flags"]));
    assert_eq!(i64::from(request.max_objects), n(&e["max_objects"]));
    assert_eq!(i64::from(request.max_bytes), n(&e["max_bytes"]));
    let set: Vec<u32> = request
        .partial_attr_set
        .as_ref()
        .unwrap()
        .attributes
        .iter()
        .map(|a| a.0)
        .collect();
    assert_eq!(json!(set), e["partial_attr_set"]);
    assert_eq!(
        request.prefix_table_dest.entries,
        [PrefixEntry::new(
            9,
            hex::decode("2a864886f7140104").unwrap()
        )]
    );

    let e = &v["bind_reply"]["expected"];
    let reply = BindReply::decode(&stub(&v, "bind_reply")).unwrap();
    let ext = reply.server_extensions.unwrap();
    assert_eq!(i64::from(ext.cb), n(&e["cb"]));
    assert_eq!(i64::from(ext.flags.0), n(&e["flags"]));
    assert_eq!(ext.site_obj_guid, uuid(&e["site_obj_guid"]));
    assert_eq!(i64::from(ext.pid), n(&e["pid"]));
    assert_eq!(i64::from(ext.repl_epoch), n(&e["repl_epoch"]));
    assert_eq!(
        (ext.flags_ext, ext.ext_caps, ext.config_obj_guid),
        (0, 0, Uuid::nil())
    );
    assert_eq!(hex::encode(reply.handle.0), e["handle"].as_str().unwrap());
    assert_eq!(i64::from(reply.return_code), n(&e["return_code"]));
}

/// A reply with everything this crate encodes: objects (with and without
/// names, SIDs, parents, metadata), empty and null value arrays, linked
/// values, a vector and a prefix table.
fn our_reply() -> GetNcChangesReply {
    let mut reply = GetNcChangesReply::default();
    reply.dsa_obj_src = Uuid::from_u128(0x1111);
    reply.invocation_id_src = Uuid::from_u128(0x2222);
    reply.naming_context = Some(DsName::from_dn("DC=ours,DC=example"));
    reply.usn_vector_from = UsnVector::new(5, 0, 4);
    reply.usn_vector_to = UsnVector::new(900, 0, 899);
    reply.up_to_date_src = Some(UpToDateVector::new(vec![
        UpToDateCursor::new(Uuid::from_u128(0x2222), 899, 13_300_000_000),
        UpToDateCursor::new(Uuid::from_u128(0x3333), 12, 13_200_000_000),
    ]));
    reply.prefix_table_src = PrefixTable::new(vec![
        PrefixEntry::new(0, hex::decode("5504").unwrap()),
        PrefixEntry::new(0x17, hex::decode("2a864886f7140104").unwrap()),
    ]);
    let sid = Sid::from_bytes(
        &hex::decode("010500000000000515000000010000000200000003000000e9030000").unwrap(),
    );
    let mut name = DsName::from_dn("CN=Bob Ünicode,CN=Users,DC=ours,DC=example");
    name.guid = Uuid::from_u128(0xB0B);
    name.sid = sid;
    let attributes = AttributeBlock::new(vec![
        Attribute::new(AttrTyp(0x0017_005A), vec![AttrValue::new(vec![7; 36])]),
        Attribute::new(
            AttrTyp(0x0017_00DD),
            vec![AttrValue::new(b"b\0o\0b\0".to_vec())],
        ),
        Attribute::new(
            AttrTyp(0x0000_0000),
            vec![AttrValue::new(vec![1, 0, 0, 0]), AttrValue::new(vec![])],
        ),
        Attribute::new(AttrTyp(0x0017_0030), vec![]),
    ]);
    let first = ReplEntInf::new(
        EntInf::new(Some(name), 1, attributes),
        false,
        Some(Uuid::from_u128(0xFA7E)),
        Some(vec![PropertyMetaData::new(
            1,
            13_300_000_001,
            Uuid::from_u128(0x2222),
            800,
        )]),
    );
    let second = ReplEntInf::new(
        EntInf::new(
            Some(DsName::from_dn("DC=ours,DC=example")),
            0,
            AttributeBlock::default(),
        ),
        true,
        None,
        None,
    );
    reply.objects = vec![first, second];
    reply.num_objects = 2;
    reply.more_data = true;
    let mut link = LinkedValue::default();
    link.object = Some(DsName::from_dn("CN=G,DC=ours,DC=example"));
    link.attr_typ = AttrTyp(0x0002_001F);
    link.value = AttrValue::new(vec![0xAB; 11]);
    link.is_present = true;
    link.time_created = 13_300_000_002;
    link.meta_data = PropertyMetaData::new(3, 13_300_000_003, Uuid::from_u128(0x2222), 801);
    reply.linked_values = vec![link];
    reply
}

fn samba_check(stubs: &Value) -> Value {
    let python =
        std::env::var("HASHSYNC_SAMBA_PYTHON").unwrap_or_else(|_| "/usr/bin/python3".into());
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tools/vectors/drsuapi_samba.py"
    );
    let mut child = Command::new(&python)
        .args([script, "check"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{python} (python3-samba) could not start: {e}"));
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stubs.to_string().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "drsuapi_samba.py check failed (is python3-samba installed?)"
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
#[ignore = "needs Samba's Python bindings: sudo bash .ci/install-samba"]
fn samba_reads_what_we_encode() {
    let reply = our_reply();
    let request = GetNcChangesRequest::password_sync(
        DrsHandle([9; 20]),
        Uuid::from_u128(0xC11E),
        DsName::from_dn("DC=ours,DC=example"),
        &ReplicationCursor::new(
            Uuid::from_u128(0x2222),
            UsnVector::new(900, 0, 899),
            reply.up_to_date_src.clone(),
        ),
        250,
        1 << 20,
    );
    let bind = BindRequest::new(Uuid::from_u128(0xC11E), DrsExtensions::replication_client());
    let got = samba_check(&json!({
        "reply": {"kind": "getncchanges_out", "stub": hex::encode(reply.encode())},
        "request": {"kind": "getncchanges_in", "stub": hex::encode(request.encode())},
        "bind": {"kind": "bind_in", "stub": hex::encode(bind.encode())},
    }));

    let r = &got["reply"];
    assert!(r.get("error").is_none(), "Samba refused our reply: {r}");
    assert_eq!(r["level"], 6);
    assert_eq!(uuid(&r["dsa_obj_src"]), reply.dsa_obj_src);
    assert_eq!(r["nc"]["dn"], "DC=ours,DC=example");
    assert_eq!(r["usn_vector_from"], usn_of(&reply.usn_vector_from));
    assert_eq!(r["usn_vector_to"], usn_of(&reply.usn_vector_to));
    let cursors: Vec<Value> = reply
        .up_to_date_src
        .as_ref()
        .unwrap()
        .cursors
        .iter()
        .map(|c| {
            json!([
                c.dsa.to_string(),
                c.high_prop_update,
                c.time_last_sync_success
            ])
        })
        .collect();
    assert_eq!(r["up_to_date_src"], Value::from(cursors));
    assert_eq!(
        r["prefix_table"],
        json!([[0, "5504"], [0x17, "2a864886f7140104"]])
    );
    assert_eq!(r["more_data"], true);
    assert_eq!(r["object_count"], 2);
    let first = &r["objects"][0];
    assert_eq!(
        first["name"]["dn"],
        "CN=Bob Ünicode,CN=Users,DC=ours,DC=example"
    );
    assert_eq!(first["name"]["sid"], "S-1-5-21-1-2-3-1001");
    assert_eq!(uuid(&first["name"]["guid"]), Uuid::from_u128(0xB0B));
    assert_eq!(uuid(&first["parent_guid"]), Uuid::from_u128(0xFA7E));
    assert_eq!(
        first["meta_data"],
        json!([[
            1,
            13_300_000_001i64,
            Uuid::from_u128(0x2222).to_string(),
            800
        ]])
    );
    assert_eq!(
        first["attributes"],
        json!([
            {"attrtyp": 0x0017_005A, "values": [hex::encode([7; 36])]},
            {"attrtyp": 0x0017_00DD, "values": ["62006f006200"]},
            {"attrtyp": 0, "values": ["01000000", ""]},
            {"attrtyp": 0x0017_0030, "values": []},
        ])
    );
    assert_eq!(r["objects"][1]["is_nc_prefix"], true);
    assert_eq!(r["objects"][1]["meta_data"], Value::Null);
    assert_eq!(
        r["linked_values"],
        json!([{"name": {"dn": "CN=G,DC=ours,DC=example", "guid": Uuid::nil().to_string(), "sid": null},
                "attid": 0x0002_001F, "blob": hex::encode([0xAB; 11]), "flags": 1,
                "add_time": 13_300_000_002i64, "meta": [3, 13_300_000_003i64, Uuid::from_u128(0x2222).to_string(), 801]}])
    );

    let q = &got["request"];
    assert!(q.get("error").is_none(), "Samba refused our request: {q}");
    assert_eq!(q["level"], 8);
    assert_eq!(uuid(&q["dsa_obj_dest"]), Uuid::from_u128(0xC11E));
    assert_eq!(uuid(&q["invocation_id_src"]), Uuid::from_u128(0x2222));
    assert_eq!(q["nc"]["dn"], "DC=ours,DC=example");
    assert_eq!(q["usn_vector_from"], json!([900, 0, 899]));
    let cursors: Vec<Value> = reply
        .up_to_date_src
        .as_ref()
        .unwrap()
        .cursors
        .iter()
        .map(|c| json!([c.dsa.to_string(), c.high_prop_update]))
        .collect();
    assert_eq!(q["up_to_date_dest"], Value::from(cursors));
    assert_eq!(q["flags"], request.flags.0);
    assert_eq!(q["max_objects"], 250);
    assert_eq!(q["max_bytes"], 1 << 20);
    let set: Vec<u32> = request
        .partial_attr_set
        .as_ref()
        .unwrap()
        .attributes
        .iter()
        .map(|a| a.0)
        .collect();
    assert_eq!(q["partial_attr_set"], json!(set));
    assert_eq!(q["partial_attr_set_ex"], Value::Null);
    let table: Vec<Value> = request
        .prefix_table_dest
        .entries
        .iter()
        .map(|e| json!([e.index, hex::encode(&e.prefix)]))
        .collect();
    assert_eq!(q["prefix_table"], Value::from(table));

    let b = &got["bind"];
    assert!(b.get("error").is_none(), "Samba refused our bind: {b}");
    assert_eq!(uuid(&b["client_dsa"]), Uuid::from_u128(0xC11E));
    assert_eq!(b["length"], 52);
    assert_eq!(b["flags"], DrsExtensions::replication_client().flags.0);
}
