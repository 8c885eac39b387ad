#!/usr/bin/env python3
"""NDR vectors for DRSUAPI (MS-DRSR) messages, serialised by impacket 0.13.1
(impacket.dcerpc.v5.drsuapi / ndr), an NDR implementation hashsync does not
share code with.

Builds, with impacket's structure classes:
- an IDL_DRSGetNCChanges reply (DRSGetNCChangesResponse, version 6) with two
  objects, a server prefix table whose indices differ from the client's
  default ones, an up-to-dateness vector (V2), metadata, a parent GUID;
- an IDL_DRSBind request and reply, an IDL_DRSUnbind request and reply;
- an IDL_DRSGetNCChanges request (version 8) with a partial attribute set.

Each stub is parsed back by impacket before it is written, and the expected
field values come from the values put in (the ATTRTYP -> OID mapping from
impacket's drsuapi.OidFromAttid and MakeAttid, MS-DRSR 5.16.4). impacket
writes random referent ids; the script seeds Python's random module so the
output is reproducible.

Limits of impacket that shape the vectors: its DRS_MSG_GETCHGREPLY_V6 types
rgValues as a plain DWORD (no REPLVALINF_V1 array), so the reply carries
no linked values (cNumValues 0, rgValues null).

Usage: drsuapi.py OUT.json
"""

import json
import random
import struct
import sys
import uuid

from impacket.dcerpc.v5 import drsuapi
from impacket.dcerpc.v5.dtypes import NULL
from impacket.dcerpc.v5.ndr import NDRPOINTERNULL
from impacket.uuid import string_to_bin

random.seed(15)


def guid(s):
    return string_to_bin(s)


def sid_bytes(text):
    parts = text.split("-")
    revision, authority, subs = int(parts[1]), int(parts[2]), [int(p) for p in parts[3:]]
    out = bytes([revision, len(subs)]) + authority.to_bytes(6, "big")
    return out + b"".join(struct.pack("<I", s) for s in subs)


def dsname(dn, g=None, sid=None):
    name = drsuapi.DSNAME()
    sid = sid or b""
    name["structLen"] = 56 + 2 * (len(dn) + 1)
    name["SidLen"] = len(sid)
    name["Guid"] = guid(g) if g else b"\x00" * 16
    name["Sid"] = sid + b"\x00" * (28 - len(sid))
    name["NameLen"] = len(dn)
    name["StringName"] = dn + "\x00"
    return name


def pdsname(dn, g=None, sid=None):
    p = drsuapi.PDSNAME()
    p["Data"] = dsname(dn, g, sid)
    return p


# --- the server's prefix table -------------------------------------------
# MakeAttid numbers prefixes by position; the server here renumbers them
# (SERVER_INDEX) so a client that assumed its own indices would map wrong.
ATTRIBUTES = {
    "objectClass": "2.5.4.0",
    "objectGUID": "1.2.840.113556.1.4.2",
    "objectSid": "1.2.840.113556.1.4.146",
    "sAMAccountName": "1.2.840.113556.1.4.221",
    "userAccountControl": "1.2.840.113556.1.4.8",
    "pwdLastSet": "1.2.840.113556.1.4.96",
    "isDeleted": "1.2.840.113556.1.2.48",
    "unicodePwd": "1.2.840.113556.1.4.90",
    "supplementalCredentials": "1.2.840.113556.1.4.125",
    # an arc of 16384 or more: the 0x8000 bit of MS-DRSR 5.16.4
    "syntheticLargeArc": "1.2.840.113556.1.4.20000",
}
CLASSES = {
    "top": "2.5.6.0",
    "person": "2.5.6.6",
    "organizationalPerson": "2.5.6.7",
    "user": "1.2.840.113556.1.5.9",
}
table = []
positional = {}
for oid in list(ATTRIBUTES.values()) + list(CLASSES.values()):
    positional[oid] = drsuapi.MakeAttid(table, oid)["Data"]
SERVER_INDEX = [0x17, 0x0305, 5, 0x4000, 2, 0x7FFF, 0x21, 9]
assert len(table) <= len(SERVER_INDEX), len(table)
for pos, entry in enumerate(table):
    entry["ndx"] = SERVER_INDEX[pos]
attrtyp = {oid: (SERVER_INDEX[a >> 16] << 16) | (a & 0xFFFF) for oid, a in positional.items()}


def oid_of(a):
    """impacket's OidFromAttid over the renumbered table."""
    entries = []
    for e in table:
        entries.append({"ndx": e["ndx"], "prefix": {"length": e["prefix"]["length"],
                        "elements": [bytes([b]) if isinstance(b, int) else b for b in e["prefix"]["elements"]]}})
    return drsuapi.OidFromAttid(entries, a)


for oid, a in attrtyp.items():
    assert oid_of(a) == oid, (oid, hex(a), oid_of(a))

INTID = 0x80001234  # an msDS-IntId ATTRTYP: no prefix-table mapping


def attr(a, values):
    at = drsuapi.ATTR()
    at["attrTyp"] = a
    at["AttrVal"]["valCount"] = len(values)
    if values:
        for v in values:
            val = drsuapi.ATTRVAL()
            val["valLen"] = len(v)
            val["pVal"] = list(v)
            at["AttrVal"]["pAVal"].append(val)
    else:
        at["AttrVal"]["pAVal"] = NULL
    return at


def rnd(n):
    return bytes(random.randrange(256) for _ in range(n))


DOMAIN_SID = "S-1-5-21-1004336348-1177238915-682003330"
USERS = [
    {
        "dn": "CN=Ana Pérez,CN=Users,DC=lab,DC=example",
        "guid": "6e8b4a44-1b0e-4c6f-9a1d-0c5f1b2a3d4e",
        "sid": DOMAIN_SID + "-1104",
        "sid_in_name": True,
        "parent_guid": "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0",
        "meta_data": [(1, 13345678901, "11111111-2222-3333-4444-555555555555", 4101),
                      (3, 13345678999, "11111111-2222-3333-4444-555555555555", 4107)],
        "flags": 1,
        "is_nc_prefix": 0,
        "attributes": [
            ("objectClass", [struct.pack("<I", attrtyp[CLASSES[c]]) for c in ("top", "person", "organizationalPerson", "user")]),
            ("sAMAccountName", ["ana".encode("utf-16-le")]),
            ("userAccountControl", [struct.pack("<I", 512)]),
            ("pwdLastSet", [struct.pack("<q", 133000000000000000)]),
            ("unicodePwd", [rnd(36)]),
            ("supplementalCredentials", [rnd(97)]),
            ("syntheticLargeArc", [b"\x01\x02"]),
            (INTID, [b"\xaa\xbb\xcc"]),
        ],
    },
    {
        "dn": "CN=svc-backup,CN=Users,DC=lab,DC=example",
        "guid": None,  # no GUID in the name: it comes from objectGUID
        "sid": DOMAIN_SID + "-1105",
        "sid_in_name": False,  # nor the SID: objectSid
        "parent_guid": None,
        "meta_data": None,
        "flags": 0,
        "is_nc_prefix": 0,
        "attributes": [
            ("objectGUID", [uuid.UUID("a1b2c3d4-e5f6-4789-9abc-def012345678").bytes_le]),
            ("objectSid", [sid_bytes(DOMAIN_SID + "-1105")]),
            ("sAMAccountName", ["svc-backup".encode("utf-16-le")]),
            ("isDeleted", []),  # an attribute with no values
            ("unicodePwd", [rnd(36)]),
        ],
    },
]


def attrtyp_of(name):
    return name if isinstance(name, int) else attrtyp[ATTRIBUTES[name]]


def entry(user):
    e = drsuapi.REPLENTINFLIST()
    sid = sid_bytes(user["sid"]) if user["sid_in_name"] else None
    e["Entinf"]["pName"] = pdsname(user["dn"], user["guid"], sid)
    e["Entinf"]["ulFlags"] = user["flags"]
    e["Entinf"]["AttrBlock"]["attrCount"] = len(user["attributes"])
    for name, values in user["attributes"]:
        e["Entinf"]["AttrBlock"]["pAttr"].append(attr(attrtyp_of(name), values))
    e["fIsNCPrefix"] = user["is_nc_prefix"]
    if user["parent_guid"]:
        e["pParentGuidm"] = guid(user["parent_guid"])
    else:
        e["pParentGuidm"] = NULL
    if user["meta_data"]:
        vec = e["pMetaDataExt"]
        vec["cNumProps"] = len(user["meta_data"])
        for version, time, dsa, usn in user["meta_data"]:
            m = drsuapi.PROPERTY_META_DATA_EXT()
            m["dwVersion"] = version
            m["timeChanged"] = time
            m["uuidDsaOriginating"] = guid(dsa)
            m["usnOriginating"] = usn
            vec["rgMetaData"].append(m)
    else:
        e["pMetaDataExt"] = NULL
    return e


def reply_v6():
    resp = drsuapi.DRSGetNCChangesResponse()
    resp["pdwOutVersion"] = 6
    resp["pmsgOut"]["tag"] = 6
    v6 = resp["pmsgOut"]["V6"]
    v6["uuidDsaObjSrc"] = guid("9b2c5a0e-8f41-4d8e-b3f4-2c6a1e0d7f11")
    v6["uuidInvocIdSrc"] = guid("3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f")
    v6["pNC"] = pdsname("DC=lab,DC=example", "deadbeef-0000-4000-8000-000000000001")
    v6["usnvecFrom"]["usnHighObjUpdate"] = 0
    v6["usnvecFrom"]["usnReserved"] = 0
    v6["usnvecFrom"]["usnHighPropUpdate"] = 0
    v6["usnvecTo"]["usnHighObjUpdate"] = 4107
    v6["usnvecTo"]["usnReserved"] = 0
    v6["usnvecTo"]["usnHighPropUpdate"] = 4107
    utd = v6["pUpToDateVecSrc"]
    utd["dwVersion"] = 2
    utd["dwReserved1"] = 0
    utd["cNumCursors"] = 2
    utd["dwReserved2"] = 0
    for dsa, usn, t in [("11111111-2222-3333-4444-555555555555", 4107, 13345679000),
                        ("3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f", 4200, 13345679001)]:
        c = drsuapi.UPTODATE_CURSOR_V2()
        c["uuidDsa"] = guid(dsa)
        c["usnHighPropUpdate"] = usn
        c["timeLastSyncSuccess"] = t
        utd["rgCursors"].append(c)
    v6["PrefixTableSrc"]["PrefixCount"] = len(table)
    for e in table:
        v6["PrefixTableSrc"]["pPrefixEntry"].append(e)
    v6["ulExtendedRet"] = 0
    v6["cNumObjects"] = 2
    v6["cNumBytes"] = 1234
    first, second = entry(USERS[0]), entry(USERS[1])
    # REPLENTINFLIST declares pNextEntInf as a bare NDRPOINTER (impacket
    # swaps in the list type only when parsing): link the items by hand.
    link = drsuapi.PREPLENTINFLIST()
    link.fields["Data"] = second
    first.fields["pNextEntInf"] = link
    second.fields["pNextEntInf"] = NDRPOINTERNULL()
    head = drsuapi.PREPLENTINFLIST()
    head.fields["Data"] = first
    v6.fields["pObjects"] = head
    v6["fMoreData"] = 1
    v6["cNumNcSizeObjectsc"] = 0
    v6["cNumNcSizeValues"] = 0
    v6["cNumValues"] = 0
    v6["rgValues"] = 0
    v6["dwDRSError"] = 0
    resp["ErrorCode"] = 0
    return resp


def expected_reply():
    objects = []
    for u in USERS:
        attributes = []
        for name, values in u["attributes"]:
            a = attrtyp_of(name)
            attributes.append({
                "attrtyp": a,
                "oid": None if a >= 0x80000000 else oid_of(a),
                "values": [v.hex() for v in values],
            })
        objects.append({
            "dn": u["dn"],
            "name_guid": u["guid"] or "00000000-0000-0000-0000-000000000000",
            "name_sid": u["sid"] if u["sid_in_name"] else None,
            "guid": u["guid"] or "a1b2c3d4-e5f6-4789-9abc-def012345678",
            "sid": u["sid"],
            "rid": int(u["sid"].rsplit("-", 1)[1]),
            "flags": u["flags"],
            "is_nc_prefix": bool(u["is_nc_prefix"]),
            "parent_guid": u["parent_guid"],
            "meta_data": None if u["meta_data"] is None else [
                {"version": v, "time_changed": t, "dsa_originating": d, "usn_originating": n}
                for v, t, d, n in u["meta_data"]],
            "attributes": attributes,
            "object_classes": [CLASSES[c] for c in ("top", "person", "organizationalPerson", "user")]
            if u is USERS[0] else [],
        })
    return {
        "dsa_obj_src": "9b2c5a0e-8f41-4d8e-b3f4-2c6a1e0d7f11",
        "invocation_id_src": "3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f",
        "nc_dn": "DC=lab,DC=example",
        "nc_guid": "deadbeef-0000-4000-8000-000000000001",
        "usn_vector_from": [0, 0, 0],
        "usn_vector_to": [4107, 0, 4107],
        "up_to_date_src": [
            {"dsa": "11111111-2222-3333-4444-555555555555", "usn": 4107, "time": 13345679000},
            {"dsa": "3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f", "usn": 4200, "time": 13345679001}],
        "prefix_table": [{"index": e["ndx"], "prefix": bytes(
            b[0] if isinstance(b, bytes) else b for b in e["prefix"]["elements"]).hex()} for e in table],
        "extended_ret": 0,
        "num_objects": 2,
        "num_bytes": 1234,
        "more_data": True,
        "nc_size_objects": 0,
        "nc_size_values": 0,
        "drs_error": 0,
        "return_code": 0,
        "objects": objects,
    }


# --- bind / unbind -------------------------------------------------------
CLIENT_DSA = "e24d201a-4fd6-11d1-a3da-0000f875ae0d"
CLIENT_FLAGS = 0x0FFFFFFF & 0x07FFDFFF  # filled in below from the spec bits
EXT = dict(dwFlags=0x04000000 | 0x01000000 | 0x00400000 | 0x00008000 | 0x00001000 | 0x00000040 | 0x00000001,
           SiteObjGuid="00000000-0000-0000-0000-000000000000", Pid=1234, dwReplEpoch=0,
           dwFlagsExt=0, ConfigObjGUID="00000000-0000-0000-0000-000000000000", dwExtCaps=0xFFFFFFFF)


def extensions(values):
    ext = drsuapi.DRS_EXTENSIONS_INT()
    ext["dwFlags"] = values["dwFlags"]
    ext["SiteObjGuid"] = guid(values["SiteObjGuid"])
    ext["Pid"] = values["Pid"]
    ext["dwReplEpoch"] = values["dwReplEpoch"]
    ext["dwFlagsExt"] = values["dwFlagsExt"]
    ext["ConfigObjGUID"] = guid(values["ConfigObjGUID"])
    ext["dwExtCaps"] = values["dwExtCaps"]
    return ext.getData()


def bind_request():
    req = drsuapi.DRSBind()
    req["puuidClientDsa"] = guid(CLIENT_DSA)
    rgb = extensions(EXT)
    req["pextClient"]["cb"] = len(rgb)
    req["pextClient"]["rgb"] = list(rgb)
    return req


SERVER_EXT = dict(dwFlags=0x3FFFFFFF & ~0x10, SiteObjGuid="5a6b7c8d-9e0f-4a1b-8c2d-3e4f5a6b7c8d",
                  Pid=4242, dwReplEpoch=0, dwFlagsExt=0x5, ConfigObjGUID="00000000-0000-0000-0000-000000000000",
                  dwExtCaps=0)
HANDLE = bytes(range(1, 21))


def bind_reply(cb):
    resp = drsuapi.DRSBindResponse()
    rgb = extensions(SERVER_EXT)[:cb]
    resp["ppextServer"]["cb"] = len(rgb)
    resp["ppextServer"]["rgb"] = list(rgb)
    resp["phDrs"] = HANDLE
    resp["ErrorCode"] = 0
    return resp


def unbind_request():
    req = drsuapi.DRSUnbind()
    req["phDrs"] = HANDLE
    return req


def unbind_reply():
    resp = drsuapi.DRSUnbindResponse()
    resp["phDrs"] = b"\x00" * 20
    resp["ErrorCode"] = 0
    return resp


# --- GetNCChanges request v8 ----------------------------------------------
def request_v8():
    req = drsuapi.DRSGetNCChanges()
    req["hDrs"] = HANDLE
    req["dwInVersion"] = 8
    req["pmsgIn"]["tag"] = 8
    v8 = req["pmsgIn"]["V8"]
    v8["uuidDsaObjDest"] = guid(CLIENT_DSA)
    v8["uuidInvocIdSrc"] = guid("3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f")
    v8["pNC"] = dsname("DC=lab,DC=example", "deadbeef-0000-4000-8000-000000000001")
    v8["usnvecFrom"]["usnHighObjUpdate"] = 4107
    v8["usnvecFrom"]["usnReserved"] = 0
    v8["usnvecFrom"]["usnHighPropUpdate"] = 4107
    utd = v8["pUpToDateVecDest"]
    utd["dwVersion"] = 1
    utd["dwReserved1"] = 0
    utd["cNumCursors"] = 1
    utd["dwReserved2"] = 0
    c = drsuapi.UPTODATE_CURSOR_V1()
    c["uuidDsa"] = guid("11111111-2222-3333-4444-555555555555")
    c["usnHighPropUpdate"] = 4107
    utd["rgCursors"].append(c)
    v8["ulFlags"] = 0x00080030
    v8["cMaxObjects"] = 1000
    v8["cMaxBytes"] = 0x00A00000
    v8["ulExtendedOp"] = 0
    v8["liFsmoInfo"]["QuadPart"] = 0
    client_table = []
    pas_attrtyps = [drsuapi.MakeAttid(client_table, oid) for oid in
                    ("1.2.840.113556.1.4.90", "1.2.840.113556.1.4.125", "1.2.840.113556.1.4.221", "2.5.4.0")]
    pas = [a["Data"] for a in pas_attrtyps]
    v8["pPartialAttrSet"]["dwVersion"] = 1
    v8["pPartialAttrSet"]["dwReserved1"] = 0
    v8["pPartialAttrSet"]["cAttrs"] = len(pas)
    for a in pas_attrtyps:
        v8["pPartialAttrSet"]["rgPartialAttr"].append(a)
    v8["pPartialAttrSetEx1"] = NULL
    v8["PrefixTableDest"]["PrefixCount"] = len(client_table)
    for e in client_table:
        v8["PrefixTableDest"]["pPrefixEntry"].append(e)
    expected = {
        "handle": HANDLE.hex(), "dsa_obj_dest": CLIENT_DSA,
        "invocation_id_src": "3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f",
        "nc_dn": "DC=lab,DC=example", "nc_guid": "deadbeef-0000-4000-8000-000000000001",
        "usn_vector_from": [4107, 0, 4107],
        "up_to_date_dest": [{"dsa": "11111111-2222-3333-4444-555555555555", "usn": 4107}],
        "flags": 0x00080030, "max_objects": 1000, "max_bytes": 0x00A00000,
        "extended_op": 0, "fsmo_info": 0, "partial_attr_set": pas,
        "prefix_table": [{"index": e["ndx"], "prefix": bytes(
            b[0] if isinstance(b, bytes) else b for b in e["prefix"]["elements"]).hex()} for e in client_table],
    }
    return req, expected


def stub(msg, parse_class):
    data = msg.getData()
    parse_class(data)  # impacket must read its own bytes back
    return data.hex()


def main():
    out_path = sys.argv[1]
    req8, req8_expected = request_v8()
    vectors = {
        "provenance": "tools/vectors/drsuapi.py with impacket 0.13.1 (NDR by impacket.dcerpc.v5.ndr); "
                      "random.seed(15)",
        "getncchanges_reply_v6": {"stub": stub(reply_v6(), drsuapi.DRSGetNCChangesResponse),
                                  "expected": expected_reply()},
        "getncchanges_request_v8": {"stub": stub(req8, drsuapi.DRSGetNCChanges), "expected": req8_expected},
        "bind_request": {"stub": stub(bind_request(), drsuapi.DRSBind),
                         "expected": {"client_dsa": CLIENT_DSA, "cb": 52, **EXT}},
        "bind_reply": {"stub": stub(bind_reply(52), drsuapi.DRSBindResponse),
                       "expected": {"cb": 52, "handle": HANDLE.hex(), "return_code": 0, **SERVER_EXT}},
        "bind_reply_short": {"stub": stub(bind_reply(28), drsuapi.DRSBindResponse),
                             "expected": {"cb": 28, "handle": HANDLE.hex(), "return_code": 0,
                                          **SERVER_EXT, "dwFlagsExt": 0, "dwExtCaps": 0}},
        "unbind_request": {"stub": stub(unbind_request(), drsuapi.DRSUnbind), "expected": {"handle": HANDLE.hex()}},
        "unbind_reply": {"stub": stub(unbind_reply(), drsuapi.DRSUnbindResponse),
                         "expected": {"handle": "00" * 20, "return_code": 0}},
    }
    with open(out_path, "w") as f:
        json.dump(vectors, f, indent=1, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
