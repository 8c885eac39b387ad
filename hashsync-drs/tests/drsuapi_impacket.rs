//! The DRSUAPI decoders against stubs serialised by impacket 0.13.1
//! (`tools/vectors/drsuapi.py`, provenance in `tests/data/README.md`):
//! every field checked against the values the script put in.

use std::str::FromStr;

use const_oid::ObjectIdentifier;
use hashsync_drs::drsuapi::{
    AttrTyp, BindReply, BindRequest, GetNcChangesReply, GetNcChangesRequest, UnbindReply,
    UnbindRequest,
};
use serde_json::Value;
use uuid::Uuid;

fn vectors() -> Value {
    serde_json::from_str(include_str!("data/drsuapi_impacket.json")).unwrap()
}

fn stub(v: &Value, name: &str) -> Vec<u8> {
    hex::decode(v[name]["stub"].as_str().unwrap()).unwrap()
}

fn uuid(v: &Value) -> Uuid {
    Uuid::from_str(v.as_str().unwrap()).unwrap()
}

fn u64_of(v: &Value) -> u64 {
    v.as_u64().unwrap()
}

#[test]
fn getncchanges_reply_v6_from_impacket() {
    let v = vectors();
    let stub = stub(&v, "getncchanges_reply_v6");
    let e = &v["getncchanges_reply_v6"]["expected"];
    let reply = GetNcChangesReply::decode(&stub).unwrap();

    assert_eq!(reply.dsa_obj_src, uuid(&e["dsa_obj_src"]));
    assert_eq!(reply.invocation_id_src, uuid(&e["invocation_id_src"]));
    let nc = reply.naming_context.as_ref().unwrap();
    assert_eq!(nc.dn, e["nc_dn"].as_str().unwrap());
    assert_eq!(nc.guid, uuid(&e["nc_guid"]));
    assert!(nc.sid.is_none());
    let usn = |u: &hashsync_drs::drsuapi::UsnVector| {
        vec![
            u.high_obj_update as u64,
            u.reserved as u64,
            u.high_prop_update as u64,
        ]
    };
    let expected_usn =
        |k: &str| -> Vec<u64> { e[k].as_array().unwrap().iter().map(u64_of).collect() };
    assert_eq!(usn(&reply.usn_vector_from), expected_usn("usn_vector_from"));
    assert_eq!(usn(&reply.usn_vector_to), expected_usn("usn_vector_to"));

    let utd = reply.up_to_date_src.as_ref().unwrap();
    let cursors = e["up_to_date_src"].as_array().unwrap();
    assert_eq!(utd.cursors.len(), cursors.len());
    for (c, x) in utd.cursors.iter().zip(cursors) {
        assert_eq!(c.dsa, uuid(&x["dsa"]));
        assert_eq!(c.high_prop_update as u64, u64_of(&x["usn"]));
        assert_eq!(c.time_last_sync_success as u64, u64_of(&x["time"]));
    }

    let table = e["prefix_table"].as_array().unwrap();
    assert_eq!(reply.prefix_table_src.entries.len(), table.len());
    for (entry, x) in reply.prefix_table_src.entries.iter().zip(table) {
        assert_eq!(u64::from(entry.index), u64_of(&x["index"]));
        assert_eq!(hex::encode(&entry.prefix), x["prefix"].as_str().unwrap());
    }

    assert_eq!(u64::from(reply.extended_ret), u64_of(&e["extended_ret"]));
    assert_eq!(u64::from(reply.num_objects), u64_of(&e["num_objects"]));
    assert_eq!(u64::from(reply.num_bytes), u64_of(&e["num_bytes"]));
    assert_eq!(reply.more_data, e["more_data"].as_bool().unwrap());
    assert_eq!(
        u64::from(reply.nc_size_objects),
        u64_of(&e["nc_size_objects"])
    );
    assert_eq!(
        u64::from(reply.nc_size_values),
        u64_of(&e["nc_size_values"])
    );
    assert_eq!(u64::from(reply.drs_error), u64_of(&e["drs_error"]));
    assert_eq!(u64::from(reply.return_code), u64_of(&e["return_code"]));
    assert!(reply.linked_values.is_empty());

    // The raw objects, field by field.
    let objects = e["objects"].as_array().unwrap();
    assert_eq!(reply.objects.len(), objects.len());
    for (item, x) in reply.objects.iter().zip(objects) {
        let name = item.entinf.name.as_ref().unwrap();
        assert_eq!(name.dn, x["dn"].as_str().unwrap());
        assert_eq!(name.guid, uuid(&x["name_guid"]));
        assert_eq!(
            name.sid.as_ref().map(ToString::to_string),
            x["name_sid"].as_str().map(str::to_owned)
        );
        assert_eq!(u64::from(item.entinf.flags), u64_of(&x["flags"]));
        assert_eq!(item.is_nc_prefix, x["is_nc_prefix"].as_bool().unwrap());
        assert_eq!(
            item.parent_guid,
            x["parent_guid"]
                .as_str()
                .map(|s| Uuid::from_str(s).unwrap())
        );
        match x["meta_data"].as_array() {
            None => assert!(item.meta_data.is_none()),
            Some(stamps) => {
                let got = item.meta_data.as_ref().unwrap();
                assert_eq!(got.len(), stamps.len());
                for (m, s) in got.iter().zip(stamps) {
                    assert_eq!(u64::from(m.version), u64_of(&s["version"]));
                    assert_eq!(m.time_changed as u64, u64_of(&s["time_changed"]));
                    assert_eq!(m.dsa_originating, uuid(&s["dsa_originating"]));
                    assert_eq!(m.usn_originating as u64, u64_of(&s["usn_originating"]));
                }
            }
        }
        let attributes = x["attributes"].as_array().unwrap();
        assert_eq!(item.entinf.attributes.attributes.len(), attributes.len());
        for (a, xa) in item.entinf.attributes.attributes.iter().zip(attributes) {
            assert_eq!(u64::from(a.attr_typ.0), u64_of(&xa["attrtyp"]));
            let values: Vec<String> = a.values.iter().map(|v| hex::encode(v.as_bytes())).collect();
            let expected: Vec<&str> = xa["values"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_str().unwrap())
                .collect();
            assert_eq!(values, expected);
            // The OID through the server's table (impacket's OidFromAttid).
            let oid = reply
                .prefix_table_src
                .oid(a.attr_typ)
                .ok()
                .map(|o| o.to_string());
            assert_eq!(oid, xa["oid"].as_str().map(str::to_owned));
        }
    }

    // The by-OID view: GUID and SID from the name or from the attributes.
    let objects_view = reply.clone().into_replicated_objects();
    for (object, x) in objects_view.iter().zip(objects) {
        assert_eq!(object.guid, uuid(&x["guid"]));
        assert_eq!(
            object.sid.as_ref().unwrap().to_string(),
            x["sid"].as_str().unwrap()
        );
        assert_eq!(u64::from(object.rid().unwrap()), u64_of(&x["rid"]));
        let classes: Vec<String> = object
            .object_classes
            .iter()
            .map(ToString::to_string)
            .collect();
        let expected: Vec<&str> = x["object_classes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        assert_eq!(classes, expected);
        for xa in x["attributes"].as_array().unwrap() {
            let values: Vec<&str> = xa["values"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_str().unwrap())
                .collect();
            match xa["oid"].as_str() {
                Some(oid) => {
                    let oid = ObjectIdentifier::new(oid).unwrap();
                    let got: Vec<String> = object
                        .values(&oid)
                        .iter()
                        .map(|v| hex::encode(v.as_bytes()))
                        .collect();
                    assert_eq!(got, values, "{oid}");
                }
                None => {
                    let attrtyp = AttrTyp(u64_of(&xa["attrtyp"]) as u32);
                    assert!(object.unmapped.iter().any(|a| a.attr_typ == attrtyp));
                }
            }
        }
    }

    // Our encoder writes the same values back (referent ids differ from
    // impacket's random ones, so compare decoded values, not bytes).
    assert_eq!(GetNcChangesReply::decode(&reply.encode()).unwrap(), reply);
}

#[test]
fn getncchanges_request_v8_from_impacket() {
    let v = vectors();
    let e = &v["getncchanges_request_v8"]["expected"];
    let request = GetNcChangesRequest::decode(&stub(&v, "getncchanges_request_v8")).unwrap();
    assert_eq!(hex::encode(request.handle.0), e["handle"].as_str().unwrap());
    assert_eq!(request.dsa_obj_dest, uuid(&e["dsa_obj_dest"]));
    assert_eq!(request.invocation_id_src, uuid(&e["invocation_id_src"]));
    assert_eq!(request.naming_context.dn, e["nc_dn"].as_str().unwrap());
    assert_eq!(request.naming_context.guid, uuid(&e["nc_guid"]));
    let u = request.usn_vector_from;
    let x: Vec<u64> = e["usn_vector_from"]
        .as_array()
        .unwrap()
        .iter()
        .map(u64_of)
        .collect();
    assert_eq!(
        vec![
            u.high_obj_update as u64,
            u.reserved as u64,
            u.high_prop_update as u64
        ],
        x
    );
    let utd = request.up_to_date_dest.as_ref().unwrap();
    let cursors = e["up_to_date_dest"].as_array().unwrap();
    assert_eq!(utd.cursors.len(), cursors.len());
    for (c, x) in utd.cursors.iter().zip(cursors) {
        assert_eq!(c.dsa, uuid(&x["dsa"]));
        assert_eq!(c.high_prop_update as u64, u64_of(&x["usn"]));
    }
    assert_eq!(u64::from(request.flags.0), u64_of(&e["flags"]));
    assert_eq!(u64::from(request.max_objects), u64_of(&e["max_objects"]));
    assert_eq!(u64::from(request.max_bytes), u64_of(&e["max_bytes"]));
    assert_eq!(u64::from(request.extended_op), u64_of(&e["extended_op"]));
    assert_eq!(request.fsmo_info, u64_of(&e["fsmo_info"]));
    let set: Vec<u64> = request
        .partial_attr_set
        .as_ref()
        .unwrap()
        .attributes
        .iter()
        .map(|a| u64::from(a.0))
        .collect();
    let expected: Vec<u64> = e["partial_attr_set"]
        .as_array()
        .unwrap()
        .iter()
        .map(u64_of)
        .collect();
    assert_eq!(set, expected);
    assert!(request.partial_attr_set_ex.is_none());
    let table = e["prefix_table"].as_array().unwrap();
    assert_eq!(request.prefix_table_dest.entries.len(), table.len());
    for (entry, x) in request.prefix_table_dest.entries.iter().zip(table) {
        assert_eq!(u64::from(entry.index), u64_of(&x["index"]));
        assert_eq!(hex::encode(&entry.prefix), x["prefix"].as_str().unwrap());
    }
    assert_eq!(
        GetNcChangesRequest::decode(&request.encode()).unwrap(),
        request
    );
}

fn check_extensions(ext: &hashsync_drs::drsuapi::DrsExtensions, e: &Value) {
    assert_eq!(u64::from(ext.cb), u64_of(&e["cb"]));
    assert_eq!(u64::from(ext.flags.0), u64_of(&e["dwFlags"]));
    assert_eq!(ext.site_obj_guid, uuid(&e["SiteObjGuid"]));
    assert_eq!(i64::from(ext.pid), e["Pid"].as_i64().unwrap());
    assert_eq!(u64::from(ext.repl_epoch), u64_of(&e["dwReplEpoch"]));
    assert_eq!(u64::from(ext.flags_ext), u64_of(&e["dwFlagsExt"]));
    assert_eq!(ext.config_obj_guid, uuid(&e["ConfigObjGUID"]));
    assert_eq!(u64::from(ext.ext_caps), u64_of(&e["dwExtCaps"]));
}

#[test]
fn bind_from_impacket() {
    let v = vectors();
    let request = BindRequest::decode(&stub(&v, "bind_request")).unwrap();
    let e = &v["bind_request"]["expected"];
    assert_eq!(request.client_dsa, uuid(&e["client_dsa"]));
    check_extensions(&request.extensions, e);
    assert_eq!(BindRequest::decode(&request.encode()).unwrap(), request);

    for name in ["bind_reply", "bind_reply_short"] {
        let reply = BindReply::decode(&stub(&v, name)).unwrap();
        let e = &v[name]["expected"];
        check_extensions(reply.server_extensions.as_ref().unwrap(), e);
        assert_eq!(hex::encode(reply.handle.0), e["handle"].as_str().unwrap());
        assert_eq!(u64::from(reply.return_code), u64_of(&e["return_code"]));
        assert_eq!(BindReply::decode(&reply.encode()).unwrap(), reply);
    }
}

#[test]
fn unbind_from_impacket() {
    let v = vectors();
    let request = UnbindRequest::decode(&stub(&v, "unbind_request")).unwrap();
    assert_eq!(
        hex::encode(request.handle.0),
        v["unbind_request"]["expected"]["handle"].as_str().unwrap()
    );
    // No pointers: our encoding is byte for byte impacket's.
    assert_eq!(request.encode(), stub(&v, "unbind_request"));
    let reply = UnbindReply::decode(&stub(&v, "unbind_reply")).unwrap();
    assert!(reply.handle.is_null());
    assert_eq!(reply.return_code, 0);
    assert_eq!(reply.encode(), stub(&v, "unbind_reply"));
}
