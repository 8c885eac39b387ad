//! encode → decode gives back every value (proptest), for every message
//! and for the saved cursor.

use hashsync_drs::drsuapi::{
    AttrTyp, AttrValue, Attribute, BindReply, BindRequest, CursorError, DrsExtensions, DrsHandle,
    DsName, EntInf, ExtensionFlags, GetNcChangesReply, GetNcChangesRequest, LinkedValue,
    PartialAttributeSet, PrefixEntry, PrefixTable, PropertyMetaData, ReplEntInf, ReplicationCursor,
    ReplicationFlags, Sid, UnbindReply, UnbindRequest, UpToDateCursor, UpToDateVector, UsnVector,
};
use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;
use uuid::Uuid;

fn guid() -> impl Strategy<Value = Uuid> {
    any::<u128>().prop_map(Uuid::from_u128)
}

fn sid() -> impl Strategy<Value = Sid> {
    (any::<u8>(), vec(any::<u32>(), 0..=5)).prop_map(|(authority, subs)| {
        let mut bytes = vec![1, subs.len() as u8, 0, 0, 0, 0, 0, authority];
        for s in subs {
            bytes.extend_from_slice(&s.to_le_bytes());
        }
        Sid::from_bytes(&bytes).unwrap()
    })
}

prop_compose! {
    fn dsname()(guid in guid(), sid in option::of(sid()), dn in "[ -~éß€𝄞]{0,24}") -> DsName {
        let mut name = DsName::from_dn(dn);
        name.guid = guid;
        name.sid = sid;
        name
    }
}

fn value() -> impl Strategy<Value = AttrValue> {
    vec(any::<u8>(), 0..40).prop_map(AttrValue::new)
}

fn attribute() -> impl Strategy<Value = Attribute> {
    (any::<u32>(), vec(value(), 0..4)).prop_map(|(a, values)| Attribute::new(AttrTyp(a), values))
}

fn meta_data() -> impl Strategy<Value = PropertyMetaData> {
    (any::<u32>(), any::<i64>(), guid(), any::<i64>())
        .prop_map(|(v, t, d, u)| PropertyMetaData::new(v, t, d, u))
}

prop_compose! {
    fn item()(
        name in option::of(dsname()),
        flags in any::<u32>(),
        attributes in vec(attribute(), 0..4),
        is_nc_prefix in any::<bool>(),
        parent in option::of(guid()),
        stamps in option::of(vec(meta_data(), 0..3)),
    ) -> ReplEntInf {
        let block = hashsync_drs::drsuapi::AttributeBlock::new(attributes);
        ReplEntInf::new(EntInf::new(name, flags, block), is_nc_prefix, parent, stamps)
    }
}

prop_compose! {
    fn linked_value()(
        object in option::of(dsname()),
        a in any::<u32>(),
        value in value(),
        is_present in any::<bool>(),
        created in any::<i64>(),
        stamp in meta_data(),
    ) -> LinkedValue {
        let mut v = LinkedValue::default();
        v.object = object;
        v.attr_typ = AttrTyp(a);
        v.value = value;
        v.is_present = is_present;
        v.time_created = created;
        v.meta_data = stamp;
        v
    }
}

fn usn() -> impl Strategy<Value = UsnVector> {
    (any::<i64>(), any::<i64>(), any::<i64>()).prop_map(|(a, b, c)| UsnVector::new(a, b, c))
}

fn up_to_date(with_time: bool) -> impl Strategy<Value = UpToDateVector> {
    vec((guid(), any::<i64>(), any::<i64>()), 0..4).prop_map(move |cursors| {
        UpToDateVector::new(
            cursors
                .into_iter()
                .map(|(d, u, t)| UpToDateCursor::new(d, u, if with_time { t } else { 0 }))
                .collect(),
        )
    })
}

fn prefix_table() -> impl Strategy<Value = PrefixTable> {
    vec((any::<u32>(), vec(any::<u8>(), 0..12)), 0..4).prop_map(|e| {
        PrefixTable::new(e.into_iter().map(|(i, p)| PrefixEntry::new(i, p)).collect())
    })
}

prop_compose! {
    fn reply()(
        ids in (guid(), guid()),
        nc in option::of(dsname()),
        usns in (usn(), usn()),
        utd in option::of(up_to_date(true)),
        table in prefix_table(),
        counts in any::<[u32; 7]>(),
        objects in vec(item(), 0..4),
        more in any::<bool>(),
        values in vec(linked_value(), 0..3),
    ) -> GetNcChangesReply {
        let mut r = GetNcChangesReply::default();
        (r.dsa_obj_src, r.invocation_id_src) = ids;
        r.naming_context = nc;
        (r.usn_vector_from, r.usn_vector_to) = usns;
        r.up_to_date_src = utd;
        r.prefix_table_src = table;
        [r.extended_ret, r.num_objects, r.num_bytes, r.nc_size_objects, r.nc_size_values, r.drs_error, r.return_code] = counts;
        r.objects = objects;
        r.more_data = more;
        r.linked_values = values;
        r
    }
}

fn attribute_set() -> impl Strategy<Value = PartialAttributeSet> {
    vec(any::<u32>().prop_map(AttrTyp), 1..6).prop_map(PartialAttributeSet::new)
}

prop_compose! {
    fn request()(
        handle in any::<[u8; 20]>(),
        ids in (guid(), guid()),
        nc in dsname(),
        from in usn(),
        utd in option::of(up_to_date(false)),
        numbers in any::<(u32, u32, u32, u32, u64)>(),
        sets in (option::of(attribute_set()), option::of(attribute_set())),
        table in prefix_table(),
    ) -> GetNcChangesRequest {
        let cursor = ReplicationCursor::new(ids.1, from, utd);
        let mut r = GetNcChangesRequest::password_sync(DrsHandle(handle), ids.0, nc, &cursor, 0, 0);
        assert_eq!(r.invocation_id_src, ids.1);
        r.flags = ReplicationFlags(numbers.0);
        (r.max_objects, r.max_bytes, r.extended_op, r.fsmo_info) = (numbers.1, numbers.2, numbers.3, numbers.4);
        (r.partial_attr_set, r.partial_attr_set_ex) = sets;
        r.prefix_table_dest = table;
        r
    }
}

prop_compose! {
    fn extensions()(flags in any::<u32>(), site in guid(), pid in any::<i32>(),
                    epoch in any::<u32>(), ext in any::<u32>(), config in guid(), caps in any::<u32>())
                    -> DrsExtensions {
        let mut e = DrsExtensions::replication_client();
        e.flags = ExtensionFlags(flags);
        e.site_obj_guid = site;
        e.pid = pid;
        e.repl_epoch = epoch;
        e.flags_ext = ext;
        e.config_obj_guid = config;
        e.ext_caps = caps;
        e
    }
}

proptest! {
    #[test]
    fn getncchanges_reply_round_trips(reply in reply()) {
        prop_assert_eq!(GetNcChangesReply::decode(&reply.encode()).unwrap(), reply);
    }

    #[test]
    fn getncchanges_request_round_trips(request in request()) {
        prop_assert_eq!(GetNcChangesRequest::decode(&request.encode()).unwrap(), request);
    }

    #[test]
    fn bind_round_trips(client in guid(), ext in extensions(), handle in any::<[u8; 20]>(),
                        server in option::of(extensions()), code in any::<u32>()) {
        let request = BindRequest::new(client, ext);
        prop_assert_eq!(BindRequest::decode(&request.encode()).unwrap(), request);
        let reply = BindReply::new(server, DrsHandle(handle), code);
        prop_assert_eq!(BindReply::decode(&reply.encode()).unwrap(), reply);
        let unbind = UnbindRequest::new(DrsHandle(handle));
        prop_assert_eq!(UnbindRequest::decode(&unbind.encode()).unwrap(), unbind);
        let unbound = UnbindReply::new(DrsHandle(handle), code);
        prop_assert_eq!(UnbindReply::decode(&unbound.encode()).unwrap(), unbound);
    }

    #[test]
    fn cursor_round_trips(id in guid(), usn in usn(), utd in option::of(up_to_date(true))) {
        let cursor = ReplicationCursor::new(id, usn, utd);
        let bytes = cursor.to_bytes();
        prop_assert_eq!(ReplicationCursor::from_bytes(&bytes).unwrap(), cursor);
        for len in 0..bytes.len() {
            prop_assert!(matches!(ReplicationCursor::from_bytes(&bytes[..len]), Err(CursorError::Truncated(_) | CursorError::BadMagic)));
        }
    }

    #[test]
    fn prefix_table_maps_back_what_it_mapped(arcs in vec(0u32..2_000_000, 1..6), root in 0u32..3) {
        // OIDs under 1.2.840.113556.1.<root>: OID -> ATTRTYP -> OID.
        let oids: Vec<_> = arcs.iter().map(|a| {
            const_oid::ObjectIdentifier::new(&format!("1.2.840.113556.1.{root}.{a}")).unwrap()
        }).collect();
        let (table, set) = PartialAttributeSet::for_oids(&oids);
        for oid in &oids {
            let attrtyp = table.attrtyp(oid).unwrap();
            prop_assert!(set.attributes.contains(&attrtyp));
            prop_assert_eq!(table.oid(attrtyp).unwrap(), *oid);
        }
    }
}

#[test]
fn cursor_format_is_refused_when_foreign() {
    assert_eq!(
        ReplicationCursor::from_bytes(b"NOTACURSOR"),
        Err(CursorError::BadMagic)
    );
    let mut bytes = ReplicationCursor::default().to_bytes();
    bytes[6] = 2;
    assert_eq!(
        ReplicationCursor::from_bytes(&bytes),
        Err(CursorError::UnsupportedVersion(2))
    );
    let mut bytes = ReplicationCursor::default().to_bytes();
    bytes.push(0);
    assert!(matches!(
        ReplicationCursor::from_bytes(&bytes),
        Err(CursorError::Malformed(_))
    ));
    // Hand-written: magic, version 1, no vector, the invocation id, USNs
    // 1, 0, 2.
    let expected = hex::decode(
        "48534452534301 00 00112233445566778899aabbccddeeff
         0100000000000000 0000000000000000 0200000000000000"
            .replace([' ', '\n'], ""),
    )
    .unwrap();
    let id = Uuid::from_u128(0x0011_2233_4455_6677_8899_aabb_ccdd_eeff);
    assert_eq!(
        ReplicationCursor::new(id, UsnVector::new(1, 0, 2), None).to_bytes(),
        expected
    );
}

#[test]
fn the_cursor_after_a_page_keeps_the_last_vector() {
    let mut reply = GetNcChangesReply::default();
    reply.invocation_id_src = Uuid::from_u128(7);
    reply.usn_vector_to = UsnVector::new(10, 0, 9);
    let vector = UpToDateVector::new(vec![UpToDateCursor::new(Uuid::from_u128(1), 9, 0)]);
    let start = ReplicationCursor::new(Uuid::nil(), UsnVector::default(), Some(vector.clone()));
    // An intermediate page: no vector in the reply, the previous one stays;
    // the invocation id and USN vector are the reply's.
    let after = reply.cursor_after(&start);
    assert_eq!(
        after,
        ReplicationCursor::new(Uuid::from_u128(7), UsnVector::new(10, 0, 9), Some(vector))
    );
    assert!(!after.is_empty());
    assert!(ReplicationCursor::default().is_empty());
    // The last page: its vector replaces it.
    let newer = UpToDateVector::new(vec![UpToDateCursor::new(Uuid::from_u128(1), 20, 5)]);
    reply.up_to_date_src = Some(newer.clone());
    assert_eq!(reply.cursor_after(&start).up_to_date, Some(newer));
}
