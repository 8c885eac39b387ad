#!/usr/bin/python3
"""DRSUAPI stubs made and read by Samba's own NDR (the pidl-generated
marshalling of librpc/idl/drsuapi.idl, through python3-samba's
samba.ndr.ndr_pack_in/_out and ndr_unpack_in/_out): the implementation the
lab's Samba DC answers replication with. Runs with the system interpreter
(/usr/bin/python3, where python3-samba installs).

  drsuapi_samba.py vectors OUT.json
      Builds an IDL_DRSGetNCChanges version-6 reply with two objects and two
      linked values (REPLVALINF_V1, which impacket cannot serialise), a
      version-8 request and a DRSBind reply, packs them with Samba's NDR and
      writes the stubs with the values put in.

  drsuapi_samba.py check < IN.json > OUT.json
      Unpacks each stub of IN.json ({"name": {"kind": "getncchanges_in" |
      "getncchanges_out" | "bind_in" | "bind_out", "stub": hex}}) with
      Samba's NDR, which refuses trailing bytes, and prints the fields read.
"""

import json
import sys

from samba import ndr
from samba.dcerpc import drsuapi, misc, security


def guid(s):
    return misc.GUID(s)


def identifier(dn, g=None, sid=None):
    ident = drsuapi.DsReplicaObjectIdentifier()
    ident.dn = dn
    if g:
        ident.guid = guid(g)
    if sid:
        ident.sid = security.dom_sid(sid)
    return ident


def value(blob):
    v = drsuapi.DsAttributeValue()
    v.blob = blob
    return v


def attribute(attid, blobs):
    a = drsuapi.DsReplicaAttribute()
    a.attid = attid
    a.value_ctr = drsuapi.DsAttributeValueCtr()
    a.value_ctr.num_values = len(blobs)
    a.value_ctr.values = [value(b) for b in blobs]
    return a


# DSTIME fields (seconds since 1601) are NTTIME_1sec in Samba's IDL: its
# Python objects hold 100 ns units and the wire holds seconds. Times below
# are in seconds, as on the wire.
def nttime(seconds):
    return seconds * 10_000_000


def meta(version, time, dsa, usn):
    m = drsuapi.DsReplicaMetaData()
    m.version = version
    m.originating_change_time = nttime(time)
    m.originating_invocation_id = guid(dsa)
    m.originating_usn = usn
    return m


DSA = "0a0b0c0d-1e1f-4a4b-8c8d-9e9fa0a1a2a3"
INVOCATION = "b1b2b3b4-c5c6-4d7e-8f90-a1a2a3a4a5a6"
ORIGIN = "5d5e5f60-6162-4364-9566-676869707172"
DOMAIN = "S-1-5-21-2000000001-2000000002-2000000003"
# Samba's own prefix indices are not the client's: 1.2.840.113556.1.4 at
# 0x000A and 2.5.4 at 0x0001 here.
MAPPINGS = [(0x0001, bytes.fromhex("5504")), (0x000A, bytes.fromhex("2a864886f7140104")),
            (0x0002, bytes.fromhex("2a864886f7140102")), (0x0004, bytes.fromhex("2a864886f7140105"))]
OBJECTS = [
    {"dn": "CN=alice,CN=Users,DC=samba,DC=example", "guid": "c0ffee00-1111-4222-8333-444455556666",
     "sid": DOMAIN + "-1201", "flags": 0, "is_nc_prefix": False,
     "parent_guid": "c0ffee00-0000-4000-8000-00000000ffff",
     "attributes": [(0x000A005A, [bytes(range(36))]), (0x000A00DD, ["alice".encode("utf-16-le")]),
                    (0x00010000, [bytes.fromhex("09000400")])],
     "meta_data": [(1, 13300000001, ORIGIN, 3001), (2, 13300000002, ORIGIN, 3002), (1, 13300000003, ORIGIN, 3003)]},
    {"dn": "DC=samba,DC=example", "guid": "c0ffee00-0000-4000-8000-00000000ffff", "sid": DOMAIN,
     "flags": 1, "is_nc_prefix": True, "parent_guid": None,
     "attributes": [(0x00020030, [])], "meta_data": None},
]
LINKS = [
    {"dn": "CN=Domain Admins,CN=Users,DC=samba,DC=example", "guid": "abcdef01-2345-4678-9abc-def012345678",
     "attid": 0x0002001F, "blob": bytes.fromhex("00112233445566778899"), "flags": 1,
     "add_time": 13300000100, "meta": (1, 13300000101, ORIGIN, 3100)},
    {"dn": "CN=Backup,CN=Users,DC=samba,DC=example", "guid": None,
     "attid": 0x0002001F, "blob": b"", "flags": 0,
     "add_time": 13300000200, "meta": (2, 13300000201, ORIGIN, 3200)},
]


# The smallest version-6 reply, written out from the IDL: level 6, union
# arm 6, zero GUIDs, null pointers, zero counts, WERR_OK. Samba's Python
# bindings cannot build the DsGetNCChangesCtr union from scratch (they
# crash), so the reply is unpacked from this and its fields then set.
EMPTY_REPLY = bytes.fromhex("06000000" "06000000" + "00" * 32 + "00000000" "00000000" + "00" * 48
                            + "00000000" * 13 + "00000000")


def reply():
    call = drsuapi.DsGetNCChanges()
    ndr.ndr_unpack_out(call, EMPTY_REPLY)
    c = call.out_ctr
    c.source_dsa_guid = guid(DSA)
    c.source_dsa_invocation_id = guid(INVOCATION)
    c.naming_context = identifier("DC=samba,DC=example", "c0ffee00-0000-4000-8000-00000000ffff", DOMAIN)
    c.old_highwatermark = drsuapi.DsReplicaHighWaterMark()
    c.old_highwatermark.tmp_highest_usn, c.old_highwatermark.reserved_usn, c.old_highwatermark.highest_usn = 100, 0, 90
    c.new_highwatermark = drsuapi.DsReplicaHighWaterMark()
    c.new_highwatermark.tmp_highest_usn, c.new_highwatermark.reserved_usn, c.new_highwatermark.highest_usn = 3200, 0, 3200
    utd = drsuapi.DsReplicaCursor2CtrEx()
    utd.version = 2
    cursor = drsuapi.DsReplicaCursor2()
    cursor.source_dsa_invocation_id = guid(INVOCATION)
    cursor.highest_usn = 3200
    # last_sync_success is a plain NTTIME in Samba's IDL: the wire holds
    # the Python value as is.
    cursor.last_sync_success = 13300000300
    utd.cursors = [cursor]
    utd.count = 1
    c.uptodateness_vector = utd
    c.mapping_ctr = drsuapi.DsReplicaOIDMapping_Ctr()
    maps = []
    for index, prefix in MAPPINGS:
        m = drsuapi.DsReplicaOIDMapping()
        m.id_prefix = index
        m.oid = drsuapi.DsReplicaOID()
        m.oid.length = len(prefix)
        m.oid.binary_oid = list(prefix)
        maps.append(m)
    c.mapping_ctr.mappings = maps
    c.mapping_ctr.num_mappings = len(maps)
    c.extended_ret = 0
    items = []
    for o in OBJECTS:
        item = drsuapi.DsReplicaObjectListItemEx()
        item.object = drsuapi.DsReplicaObject()
        item.object.identifier = identifier(o["dn"], o["guid"], o["sid"])
        item.object.flags = o["flags"]
        item.object.attribute_ctr = drsuapi.DsReplicaAttributeCtr()
        item.object.attribute_ctr.attributes = [attribute(a, b) for a, b in o["attributes"]]
        item.object.attribute_ctr.num_attributes = len(o["attributes"])
        item.is_nc_prefix = o["is_nc_prefix"]
        if o["parent_guid"]:
            item.parent_object_guid = guid(o["parent_guid"])
        if o["meta_data"]:
            item.meta_data_ctr = drsuapi.DsReplicaMetaDataCtr()
            item.meta_data_ctr.meta_data = [meta(*m) for m in o["meta_data"]]
            item.meta_data_ctr.count = len(o["meta_data"])
        items.append(item)
    items[0].next_object = items[1]
    c.first_object = items[0]
    c.object_count = len(items)
    c.more_data = 0
    c.nc_object_count = 7
    c.nc_linked_attributes_count = 2
    links = []
    for l in LINKS:
        la = drsuapi.DsReplicaLinkedAttribute()
        la.identifier = identifier(l["dn"], l["guid"])
        la.attid = l["attid"]
        la.value = value(l["blob"])
        la.flags = l["flags"]
        la.originating_add_time = nttime(l["add_time"])
        la.meta_data = meta(*l["meta"])
        links.append(la)
    c.linked_attributes = links
    c.linked_attributes_count = len(links)
    # drs_error stays WERR_OK (from the template)
    # call.result is already WERR_OK (from the template); setting it crashes the bindings
    return ndr.ndr_pack_out(call)


def request():
    call = drsuapi.DsGetNCChanges()
    call.in_bind_handle = misc.policy_handle()
    call.in_bind_handle.handle_type = 0
    call.in_bind_handle.uuid = guid("01020304-0506-0708-090a-0b0c0d0e0f10")
    call.in_level = 8
    r = drsuapi.DsGetNCChangesRequest8()
    r.destination_dsa_guid = guid(DSA)
    r.source_dsa_invocation_id = misc.GUID()
    r.naming_context = identifier("DC=samba,DC=example")
    r.highwatermark = drsuapi.DsReplicaHighWaterMark()
    r.highwatermark.tmp_highest_usn, r.highwatermark.reserved_usn, r.highwatermark.highest_usn = 3200, 0, 3200
    r.uptodateness_vector = None
    r.replica_flags = 0x00288030
    r.max_object_count = 500
    r.max_ndr_size = 8 << 20
    r.extended_op = 0
    r.fsmo_info = 0
    pas = drsuapi.DsPartialAttributeSet()
    pas.version = 1
    pas.attids = [0x0009005A, 0x0009007D]
    pas.num_attids = 2
    r.partial_attribute_set = pas
    r.partial_attribute_set_ex = None
    r.mapping_ctr = drsuapi.DsReplicaOIDMapping_Ctr()
    m = drsuapi.DsReplicaOIDMapping()
    m.id_prefix = 9
    m.oid = drsuapi.DsReplicaOID()
    m.oid.binary_oid = list(bytes.fromhex("2a864886f7140104"))
    m.oid.length = 8
    r.mapping_ctr.mappings = [m]
    r.mapping_ctr.num_mappings = 1
    call.in_req = r
    return ndr.ndr_pack_in(call)


def bind_reply():
    call = drsuapi.DsBind()
    info = drsuapi.DsBindInfo28()
    info.supported_extensions = 0x1FFFFFFF
    info.site_guid = guid("9a9b9c9d-0000-4111-8222-333344445555")
    info.pid = 777
    info.repl_epoch = 3
    ctr = drsuapi.DsBindInfoCtr()
    ctr.length = 28
    ctr.info = info
    call.out_bind_info = ctr
    call.out_bind_handle = misc.policy_handle()
    call.out_bind_handle.handle_type = 0
    call.out_bind_handle.uuid = guid("deadbeef-aaaa-4bbb-8ccc-ddddeeeeffff")
    call.result = 0
    return ndr.ndr_pack_out(call)


def vectors(path):
    out = {
        "provenance": "tools/vectors/drsuapi_samba.py vectors, Samba %s python3-samba (pidl NDR)" % samba_version(),
        "getncchanges_reply_v6": {"stub": reply().hex(), "expected": {
            "dsa_obj_src": DSA, "invocation_id_src": INVOCATION,
            "usn_vector_from": [100, 0, 90], "usn_vector_to": [3200, 0, 3200],
            "up_to_date_src": [{"dsa": INVOCATION, "usn": 3200, "time": 13300000300}],
            "prefix_table": [{"index": i, "prefix": p.hex()} for i, p in MAPPINGS],
            "objects": [{**o, "attributes": [{"attrtyp": a, "values": [b.hex() for b in v]} for a, v in o["attributes"]],
                         "meta_data": None if o["meta_data"] is None else [list(m) for m in o["meta_data"]]}
                        for o in OBJECTS],
            "linked_values": [{**l, "blob": l["blob"].hex(), "meta": list(l["meta"])} for l in LINKS],
            "nc_size_objects": 7, "nc_size_values": 2, "more_data": False, "return_code": 0}},
        "getncchanges_request_v8": {"stub": request().hex(), "expected": {
            "handle": "00000000" + misc.GUID("01020304-0506-0708-090a-0b0c0d0e0f10").__ndr_pack__().hex(),
            "dsa_obj_dest": DSA, "nc_dn": "DC=samba,DC=example", "usn_vector_from": [3200, 0, 3200],
            "flags": 0x00288030, "max_objects": 500, "max_bytes": 8 << 20,
            "partial_attr_set": [0x0009005A, 0x0009007D],
            "prefix_table": [{"index": 9, "prefix": "2a864886f7140104"}]}},
        "bind_reply": {"stub": bind_reply().hex(), "expected": {
            "cb": 28, "flags": 0x1FFFFFFF, "site_obj_guid": "9a9b9c9d-0000-4111-8222-333344445555",
            "pid": 777, "repl_epoch": 3, "handle": "00000000" + misc.GUID(
                "deadbeef-aaaa-4bbb-8ccc-ddddeeeeffff").__ndr_pack__().hex(), "return_code": 0}},
    }
    with open(path, "w") as f:
        json.dump(out, f, indent=1, sort_keys=True)
        f.write("\n")


def samba_version():
    import samba
    return samba.version


def ident_fields(i):
    if i is None:
        return None
    sid = str(i.sid) if i.__ndr_size_sid else None
    return {"dn": i.dn, "guid": str(i.guid), "sid": sid}


def unpack_getncchanges_out(data):
    """The fields of an IDL_DRSGetNCChanges reply stub, read by Samba's NDR."""
    call = drsuapi.DsGetNCChanges()
    ndr.ndr_unpack_out(call, data)
    c = call.out_ctr
    objects = []
    item = c.first_object
    while item is not None:
        o = item.object
        objects.append({
            "name": ident_fields(o.identifier), "flags": o.flags,
            "is_nc_prefix": bool(item.is_nc_prefix),
            "parent_guid": str(item.parent_object_guid) if item.parent_object_guid else None,
            "meta_data": None if item.meta_data_ctr is None else [
                [m.version, m.originating_change_time // 10_000_000, str(m.originating_invocation_id), m.originating_usn]
                for m in item.meta_data_ctr.meta_data],
            "attributes": [{"attrtyp": a.attid, "values": [bytes(x.blob).hex() if x.blob is not None else "" for x in (a.value_ctr.values or [])]}
                           for a in (o.attribute_ctr.attributes or [])]})
        item = item.next_object
    return {
        "level": call.out_level_out, "dsa_obj_src": str(c.source_dsa_guid),
        "invocation_id_src": str(c.source_dsa_invocation_id),
        "nc": ident_fields(c.naming_context),
        "usn_vector_from": [c.old_highwatermark.tmp_highest_usn, c.old_highwatermark.reserved_usn, c.old_highwatermark.highest_usn],
        "usn_vector_to": [c.new_highwatermark.tmp_highest_usn, c.new_highwatermark.reserved_usn, c.new_highwatermark.highest_usn],
        "up_to_date_src": None if c.uptodateness_vector is None else [
            [str(x.source_dsa_invocation_id), x.highest_usn, x.last_sync_success] for x in c.uptodateness_vector.cursors],
        "prefix_table": [[m.id_prefix, bytes(m.oid.binary_oid).hex() if m.oid.binary_oid else ""] for m in (c.mapping_ctr.mappings or [])],
        "extended_ret": c.extended_ret, "object_count": c.object_count, "more_data": bool(c.more_data),
        "nc_size_objects": c.nc_object_count, "nc_size_values": c.nc_linked_attributes_count,
        "objects": objects,
        "linked_values": [{"name": ident_fields(l.identifier), "attid": l.attid,
                           "blob": bytes(l.value.blob).hex() if l.value.blob is not None else "",
                           "flags": l.flags, "add_time": l.originating_add_time // 10_000_000,
                           "meta": [l.meta_data.version, l.meta_data.originating_change_time // 10_000_000,
                                    str(l.meta_data.originating_invocation_id), l.meta_data.originating_usn]}
                          for l in (c.linked_attributes or [])],
        "drs_error": c.drs_error[0], "return_code": call.result[0]}


def unpack_getncchanges_in(data):
    """The fields of an IDL_DRSGetNCChanges request stub, read by Samba's NDR."""
    call = drsuapi.DsGetNCChanges()
    ndr.ndr_unpack_in(call, data)
    r = call.in_req
    return {
        "level": call.in_level, "dsa_obj_dest": str(r.destination_dsa_guid),
        "invocation_id_src": str(r.source_dsa_invocation_id), "nc": ident_fields(r.naming_context),
        "usn_vector_from": [r.highwatermark.tmp_highest_usn, r.highwatermark.reserved_usn, r.highwatermark.highest_usn],
        "up_to_date_dest": None if r.uptodateness_vector is None else [
            [str(x.source_dsa_invocation_id), x.highest_usn] for x in r.uptodateness_vector.cursors],
        "flags": r.replica_flags, "max_objects": r.max_object_count, "max_bytes": r.max_ndr_size,
        "extended_op": r.extended_op, "fsmo_info": r.fsmo_info,
        "partial_attr_set": None if r.partial_attribute_set is None else list(r.partial_attribute_set.attids),
        "partial_attr_set_ex": None if r.partial_attribute_set_ex is None else list(r.partial_attribute_set_ex.attids),
        "prefix_table": [[m.id_prefix, bytes(m.oid.binary_oid).hex()] for m in (r.mapping_ctr.mappings or [])]}


def check():
    stubs = json.load(sys.stdin)
    out = {}
    for name, v in stubs.items():
        data = bytes.fromhex(v["stub"])
        kind = v["kind"]
        try:
            if kind == "getncchanges_out":
                out[name] = unpack_getncchanges_out(data)
            elif kind == "getncchanges_in":
                out[name] = unpack_getncchanges_in(data)
            elif kind == "bind_in":
                call = drsuapi.DsBind()
                ndr.ndr_unpack_in(call, data)
                info = call.in_bind_info.info
                out[name] = {"client_dsa": str(call.in_bind_guid), "length": call.in_bind_info.length,
                             "flags": info.supported_extensions, "site_obj_guid": str(info.site_guid),
                             "pid": info.pid, "repl_epoch": getattr(info, "repl_epoch", None),
                             "flags_ext": getattr(info, "supported_extensions_ext", None),
                             "config_obj_guid": str(getattr(info, "config_dn_guid", misc.GUID()))}
            elif kind == "bind_out":
                call = drsuapi.DsBind()
                ndr.ndr_unpack_out(call, data)
                out[name] = {"length": call.out_bind_info.length, "return_code": call.result[0],
                             "handle_uuid": str(call.out_bind_handle.uuid)}
            else:
                raise ValueError(kind)
        except Exception as e:  # reported, so the test can say which stub Samba refused
            out[name] = {"error": "%s: %s" % (type(e).__name__, e)}
    json.dump(out, sys.stdout, indent=1, sort_keys=True)


if __name__ == "__main__":
    if sys.argv[1] == "vectors":
        vectors(sys.argv[2])
    elif sys.argv[1] == "check":
        check()
    else:
        sys.exit(__doc__)
