#!/usr/bin/python3
"""Expected values of the IDL_DRSGetNCChanges stubs captured from the lab's
Samba DC (hashsync-drs/tests/data/drs_exchange/), from two implementations
hashsync shares no code with:

- Samba's own NDR (python3-samba, the pidl-generated marshalling the DC
  itself replies with) unpacks each request and reply stub into its fields
  (drsuapi_samba.unpack_getncchanges_in/_out); this script adds, per
  attribute, the OID its ATTRTYP maps to through the reply's prefix table
  (MS-DRSR 5.16.4, written here from the text), the value lengths and a
  SHA-256 over the values;
- impacket 0.13.1 (run from target/vectors-venv, made by
  .ci/install-python-vectors) decrypts every replicated unicodePwd and
  supplementalCredentials with the recorded session key
  (drsuapi.DecryptAttributeValue, the CRC32 checked here, then
  drsuapi.removeDESLayer with the RID of the object's SID); the NT hash of
  each account whose password the capture set must equal MD4 of the
  password's UTF-16LE, computed here, or the script stops.

  /usr/bin/python3 tools/vectors/drs_exchange.py DIR
      reads DIR/*.stub, DIR/session_key.hex and DIR/accounts.json, writes
      DIR/expected.json.

  target/vectors-venv/bin/python tools/vectors/drs_exchange.py decrypt
      (called by the first form) JSON on stdin, JSON on stdout.
"""

import datetime
import hashlib
import json
import os
import struct
import subprocess
import sys
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
VENV_PYTHON = os.path.join(HERE, "..", "..", "target", "vectors-venv", "bin", "python")

STUBS = {
    "full_request": ("getncchanges_full_request.stub", "in"),
    "full_reply": ("getncchanges_full_reply.stub", "out"),
    "exop_request": ("getncchanges_exop_request.stub", "in"),
    "exop_reply": ("getncchanges_exop_reply.stub", "out"),
}

UNICODE_PWD = "1.2.840.113556.1.4.90"
SUPPLEMENTAL_CREDENTIALS = "1.2.840.113556.1.4.125"
SAM_ACCOUNT_NAME = "1.2.840.113556.1.4.221"
OBJECT_CLASS = "2.5.4.0"


def oid_from_ber(body):
    """The dotted OID of a BER OID body (X.690 8.19)."""
    arcs, n = [], 0
    for b in body:
        n = (n << 7) | (b & 0x7F)
        if not b & 0x80:
            arcs.append(n)
            n = 0
    first = min(arcs[0] // 40, 2)
    return ".".join(str(a) for a in [first, arcs[0] - 40 * first] + arcs[1:])


def oid_of(attrtyp, table):
    """MS-DRSR 5.16.4 OidFromAttid: the prefix of the table entry whose
    index is the high 16 bits, then the low 16 bits as one arc (one BER
    byte below 128, else two, the 0x8000 bit dropped)."""
    prefix = table.get(attrtyp >> 16)
    if prefix is None:
        return None
    low = attrtyp & 0xFFFF
    if low < 128:
        tail = bytes([low])
    else:
        low &= 0x7FFF
        tail = bytes([0x80 | (low >> 7), low & 0x7F])
    return oid_from_ber(prefix + tail)


def values_digest(values):
    """SHA-256 over the values, each as its 4-byte LE length then bytes."""
    h = hashlib.sha256()
    for v in values:
        h.update(struct.pack("<I", len(v)) + v)
    return h.hexdigest()


def utf16(b):
    return b.decode("utf-16-le")


def reply_fields(fields, secrets):
    """Samba's fields of a reply, values summarised, secrets set aside."""
    # The schemaInfo entry (0xFF, then 20 bytes; MS-DRSR 5.16.4) maps nothing.
    table = {index: bytes.fromhex(prefix) for index, prefix in fields["prefix_table"]
             if not (len(prefix) == 42 and prefix.startswith("ff"))}
    for o in fields["objects"]:
        oids = {}
        for a in o["attributes"]:
            values = [bytes.fromhex(v) for v in a.pop("values")]
            a["oid"] = oid_of(a["attrtyp"], table)
            a["value_lengths"] = [len(v) for v in values]
            a["values_sha256"] = values_digest(values)
            oids[a["oid"]] = values
        o["object_classes"] = [oid_of(struct.unpack("<I", v)[0], table)
                               for v in oids.get(OBJECT_CLASS, [])]
        name = oids.get(SAM_ACCOUNT_NAME)
        o["sam_account_name"] = utf16(name[0]) if name else None
        if UNICODE_PWD in oids or SUPPLEMENTAL_CREDENTIALS in oids:
            sid = o["name"]["sid"]
            secrets.append({
                "guid": o["name"]["guid"], "sam_account_name": o["sam_account_name"],
                "rid": int(sid.rsplit("-", 1)[1]),
                "unicode_pwd": [v.hex() for v in oids.get(UNICODE_PWD, [])],
                "supplemental_credentials": [v.hex() for v in oids.get(SUPPLEMENTAL_CREDENTIALS, [])]})
    return fields


def samba(directory):
    sys.path.insert(0, HERE)
    import samba as samba_module
    from samba import ndr
    from samba.dcerpc import drsuapi

    import drsuapi_samba

    expected = {}
    secrets = {}
    for key, (file, direction) in STUBS.items():
        with open(os.path.join(directory, file), "rb") as f:
            data = f.read()
        if direction == "in":
            fields = drsuapi_samba.unpack_getncchanges_in(data)
            call = drsuapi.DsGetNCChanges()
            ndr.ndr_unpack_in(call, data)
            fields["handle"] = [call.in_bind_handle.handle_type, str(call.in_bind_handle.uuid)]
        else:
            found = []
            fields = reply_fields(drsuapi_samba.unpack_getncchanges_out(data), found)
            secrets[key] = found
        fields["stub_len"] = len(data)
        expected[key] = fields
    with open(os.path.join(directory, "session_key.hex")) as f:
        session_key = f.read().strip()
    with open(os.path.join(directory, "accounts.json")) as f:
        accounts = json.load(f)
    request = {"session_key": session_key, "secrets": secrets,
               "passwords": {"full_reply": accounts["full_sync"], "exop_reply": accounts["exop"]}}
    run = subprocess.run([VENV_PYTHON, os.path.abspath(__file__), "decrypt"],
                         input=json.dumps(request), capture_output=True, text=True, check=True)
    expected["secrets"] = json.loads(run.stdout)
    expected["provenance"] = {
        "samba_ndr": "python3-samba " + samba_module.version,
        "decryption": run.stderr.strip(),
        "made": datetime.date.today().isoformat(),
    }
    with open(os.path.join(directory, "expected.json"), "w") as f:
        f.write(dump(expected))


def dump(value, depth=0):
    """JSON with one line per object and per linked value (a diff of a new
    capture stays readable)."""
    pad = " " * depth
    if isinstance(value, dict) and depth < 2:
        items = [pad + " " + json.dumps(k) + ": " + dump(v, depth + 1).lstrip()
                 for k, v in sorted(value.items())]
        return pad + "{\n" + ",\n".join(items) + "\n" + pad + "}" + ("\n" if depth == 0 else "")
    if isinstance(value, list) and value and isinstance(value[0], dict):
        items = [pad + " " + json.dumps(v, sort_keys=True) for v in value]
        return pad + "[\n" + ",\n".join(items) + "\n" + pad + "]"
    return pad + json.dumps(value, sort_keys=True)


def decrypt():
    from Cryptodome.Cipher import ARC4
    from Cryptodome.Hash import MD4
    from impacket.dcerpc.v5 import drsuapi

    class Connection:
        def __init__(self, key):
            self.key = key

        def get_session_key(self):
            return self.key

    request = json.load(sys.stdin)
    key = bytes.fromhex(request["session_key"])

    def rc4_layer(encrypted):
        plain = drsuapi.DecryptAttributeValue(Connection(key), encrypted)
        # impacket drops the checksum unchecked: check it here.
        rc4_key = hashlib.md5(key + encrypted[:16]).digest()
        checksum = struct.unpack("<I", ARC4.new(rc4_key).decrypt(encrypted[16:])[:4])[0]
        assert checksum == zlib.crc32(plain) & 0xFFFFFFFF, "CRC32 of a decrypted value"
        return plain

    out = {}
    for reply, objects in request["secrets"].items():
        passwords = request["passwords"][reply]
        rows = []
        for o in objects:
            row = {"guid": o["guid"], "sam_account_name": o["sam_account_name"], "rid": o["rid"]}
            nt = [drsuapi.removeDESLayer(rc4_layer(bytes.fromhex(v)), o["rid"]) for v in o["unicode_pwd"]]
            row["nt_hash"] = nt[0].hex() if nt else None
            sc = [rc4_layer(bytes.fromhex(v)) for v in o["supplemental_credentials"]]
            row["supplemental_credentials_len"] = len(sc[0]) if sc else None
            row["supplemental_credentials_sha256"] = hashlib.sha256(sc[0]).hexdigest() if sc else None
            password = passwords.get(o["sam_account_name"])
            if password is not None:
                md4 = MD4.new(password.encode("utf-16-le")).hexdigest()
                assert row["nt_hash"] == md4, (o["sam_account_name"], row["nt_hash"], md4)
                row["password"] = password
                row["md4_of_password"] = md4
            rows.append(row)
        missing = set(passwords) - {r["sam_account_name"] for r in rows}
        assert not missing, ("accounts with known passwords not replicated", reply, missing)
        out[reply] = rows
    json.dump(out, sys.stdout)
    from impacket import version
    sys.stderr.write("impacket %s (drsuapi.DecryptAttributeValue, removeDESLayer)\n" % version.version)


if __name__ == "__main__":
    if len(sys.argv) == 2 and sys.argv[1] == "decrypt":
        decrypt()
    elif len(sys.argv) == 2:
        samba(sys.argv[1])
    else:
        sys.exit(__doc__)
