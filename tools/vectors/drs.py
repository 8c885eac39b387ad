#!/usr/bin/env python3
"""Vectors for replicated secret attributes (MS-DRSR GetNCChanges), made by
two implementations that hashsync does not share code with:

- an encryption written here from the specifications: MS-SAMR 2.2.11.1.3
  (DES keys from the RID) and 2.2.11.1.1 (a 16-byte hash as two DES
  blocks), then MS-DRSR 4.1.10.6.12 / 5.55 ENCRYPTED_PAYLOAD: a 16-byte
  salt and RC4(MD5(session key || salt)) over [CRC32 LE][value];
- impacket 0.13.1's decryption: drsuapi.DecryptAttributeValue (the RC4
  layer; it drops the checksum unchecked, so the checksum is checked here
  with zlib.crc32) and drsuapi.removeDESLayer, which secretsdump applies to
  each 16-byte hash (histories hash by hash).

Every vector is encrypted by the first and decrypted by the second; the
script stops unless both give back the secret.

Usage: drs.py OUT.json
"""

import hashlib
import json
import struct
import sys
import zlib

from Cryptodome.Cipher import ARC4, DES
from impacket import ntlm
from impacket.dcerpc.v5 import drsuapi


def spread_key(key7):
    """MS-SAMR 2.2.11.1.2: a 7-byte key as 8 DES key bytes, 7 bits each
    (the parity bit, the lowest, left zero)."""
    n = int.from_bytes(key7, "big")
    return bytes(((n >> (49 - 7 * i)) & 0x7F) << 1 for i in range(8))


def rid_keys(rid):
    i = struct.pack("<I", rid)
    k1 = bytes([i[0], i[1], i[2], i[3], i[0], i[1], i[2]])
    k2 = bytes([i[3], i[0], i[1], i[2], i[3], i[0], i[1]])
    return spread_key(k1), spread_key(k2)


def add_des_layer(hashes, rid):
    k1, k2 = rid_keys(rid)
    out = b""
    for j in range(0, len(hashes), 16):
        h = hashes[j : j + 16]
        out += DES.new(k1, DES.MODE_ECB).encrypt(h[:8]) + DES.new(k2, DES.MODE_ECB).encrypt(h[8:])
    return out


def add_session_key_layer(session_key, salt, value):
    rc4_key = hashlib.md5(session_key + salt).digest()
    payload = struct.pack("<I", zlib.crc32(value) & 0xFFFFFFFF) + value
    return salt + ARC4.new(rc4_key).encrypt(payload)


class FakeConnection:
    """What DecryptAttributeValue asks of a DCE/RPC connection."""

    def __init__(self, session_key):
        self.session_key = session_key

    def get_session_key(self):
        return self.session_key


def impacket_decrypt(session_key, attribute, rid, encrypted):
    under_rc4 = drsuapi.DecryptAttributeValue(FakeConnection(session_key), encrypted)
    # impacket returns the value after the checksum without checking it.
    rc4_key = hashlib.md5(session_key + encrypted[:16]).digest()
    checksum = struct.unpack("<I", ARC4.new(rc4_key).decrypt(encrypted[16:])[:4])[0]
    assert checksum == zlib.crc32(under_rc4) & 0xFFFFFFFF, "checksum"
    if attribute == "supplementalCredentials":
        return under_rc4, under_rc4
    secret = b"".join(
        drsuapi.removeDESLayer(under_rc4[j : j + 16], rid) for j in range(0, len(under_rc4), 16)
    )
    return under_rc4, secret


def label_bytes(label, n):
    out = b""
    counter = 0
    while len(out) < n:
        out += hashlib.sha256(f"{label} {counter}".encode()).digest()
        counter += 1
    return out[:n]


def main(out_path):
    nt = lambda p: ntlm.compute_nthash(p)
    lm = lambda p: ntlm.compute_lmhash(p)
    cases = [
        ("unicodePwd", 1105, [nt("Passw0rd!")]),
        ("unicodePwd", 500, [nt("Summer2024!")]),
        ("unicodePwd", 0x12345678, [nt("")]),
        ("unicodePwd", 0xFFFFFFFF, [nt("Zażółć gęślą jaźń")]),
        ("ntPwdHistory", 1106, [nt("Passw0rd!"), nt("Winter2023!"), nt("Autumn2023!")]),
        ("ntPwdHistory", 1107, []),
        ("dBCSPwd", 1105, [lm("PASSW0RD!")]),
        ("lmPwdHistory", 1105, [lm("PASSW0RD!"), lm("OLDPASS1")]),
        ("supplementalCredentials", 1105, [label_bytes("user properties", 1234)]),
        ("supplementalCredentials", 1105, [b""]),
    ]
    session_keys = [label_bytes("session key 16", 16), label_bytes("session key 32", 32)]
    vectors = []
    for n, (attribute, rid, parts) in enumerate(cases):
        secret = b"".join(parts)
        session_key = session_keys[n % 2]
        salt = label_bytes(f"salt {n}", 16)
        if attribute == "supplementalCredentials":
            under_rc4 = secret
        else:
            under_rc4 = add_des_layer(secret, rid)
        encrypted = add_session_key_layer(session_key, salt, under_rc4)
        got_under_rc4, got_secret = impacket_decrypt(session_key, attribute, rid, encrypted)
        assert got_under_rc4 == under_rc4, (attribute, rid)
        assert got_secret == secret, (attribute, rid)
        vectors.append(
            {
                "attribute": attribute,
                "rid": rid,
                "session_key_hex": session_key.hex(),
                "salt_hex": salt.hex(),
                "checksum": zlib.crc32(under_rc4) & 0xFFFFFFFF,
                "under_rc4_hex": under_rc4.hex(),
                "encrypted_hex": encrypted.hex(),
                "secret_hex": secret.hex(),
            }
        )
    doc = {
        "source": "tools/vectors/drs.py: encrypted from the MS-DRSR/MS-SAMR text, "
        "decrypted by impacket 0.13.1 (drsuapi.DecryptAttributeValue, removeDESLayer); "
        "the two agree on every vector",
        "vectors": vectors,
    }
    with open(out_path, "w") as f:
        f.write(json.dumps(doc, indent=1) + "\n")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.stderr.write(__doc__)
        sys.exit(2)
    main(sys.argv[1])
