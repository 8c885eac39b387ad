#!/usr/bin/env python3
"""Seeds fuzz/corpus/<target>/ with the real values of tests/data."""
import base64, json, os, pathlib

root = pathlib.Path(__file__).resolve().parent
vectors = json.loads((root.parent / "tests/data/ad_legacy.json").read_text())
for target in ("supplemental", "keytab", "legacy"):
    (root / "corpus" / target).mkdir(parents=True, exist_ok=True)

def record(attribute_id, value):
    return attribute_id.to_bytes(4, "little") + len(value).to_bytes(4, "little") + value

for v in vectors["vectors"]:
    if v["kind"] == "ad_account":
        sc = base64.b64decode(v["expected"]["supplementalCredentials"]["b64"])
        nt = bytes.fromhex(v["expected"]["nt_hash_hex"])
        (root / "corpus/supplemental" / v["id"]).write_bytes(sc)
        (root / "corpus/legacy" / v["id"]).write_bytes(record(0x0009005A, nt) + record(0x0009007D, sc))
    elif v["kind"] == "keytab":
        (root / "corpus/keytab" / v["id"]).write_bytes(bytes.fromhex(v["expected"]["keytab_hex"]))

# hashsync-drs: the impacket-serialised DRSUAPI stubs.
drs = json.loads((root.parent / "hashsync-drs/tests/data/drsuapi_impacket.json").read_text())
(root / "corpus/drsuapi_reply").mkdir(parents=True, exist_ok=True)
for name in ("getncchanges_reply_v6", "bind_reply", "bind_reply_short"):
    (root / "corpus/drsuapi_reply" / name).write_bytes(bytes.fromhex(drs[name]["stub"]))
