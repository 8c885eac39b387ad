#!/usr/bin/python3
"""What Wireshark's dissector (tshark) reads of the captured DRSUAPI
exchange (hashsync-drs/tests/data/drs_exchange/drs_exchange.pcapng): it
decrypts each sealed PDU with the lab's public password (NTLMSSP), which
is a third implementation of the unsealing, and decodes the first page's
IDL_DRSGetNCChanges request.

For the first and the last GetNCChanges call of the capture (the full
sync's first page and the EXOP_REPL_OBJ read) it keeps, per PDU fragment,
the length and SHA-256 of Wireshark's decrypted stub data without the
auth padding, so that a test can check that the stubs the client recorded
are the bytes that travelled; and, for both requests, the drsuapi fields
Wireshark 4.0 shows (its IDL reads a version-8 request up to the prefix
table's count, then loses its way; it does not decode reply objects).

Usage: drs_exchange_tshark.py PCAP OUT.json
"""

import hashlib
import json
import subprocess
import sys

PASSWORD = "ntlmssp.nt_password:Lab-Admin-Passw0rd!"


def tshark(pcap, *args):
    return subprocess.run(["tshark", "-r", pcap, "-o", PASSWORD,
                           "-o", "dcerpc.reassemble_dcerpc:FALSE", *args],
                          capture_output=True, text=True, check=True).stdout


def pdus(pcap, stream):
    """(frame, call_id, pkt_type, opnum, auth_pad_len) of every request
    and response PDU, in order."""
    out = []
    rows = tshark(pcap, "-Y", "tcp.stream == %s && (dcerpc.pkt_type==0 || dcerpc.pkt_type==2)" % stream,
                  "-T", "fields",
                  "-e", "frame.number", "-e", "dcerpc.cn_call_id", "-e", "dcerpc.pkt_type",
                  "-e", "dcerpc.opnum", "-e", "dcerpc.auth_pad_len")
    for row in rows.splitlines():
        frame, calls, types, opnums, pads = (row.split("\t") + [""] * 5)[:5]
        calls, types, opnums = calls.split(","), types.split(","), opnums.split(",")
        pads = pads.split(",") if pads else ["0"] * len(calls)
        for i in range(len(calls)):
            out.append((int(frame), int(calls[i]), int(types[i]), int(opnums[i]), int(pads[i] or 0)))
    return out


def decrypted_stubs(pcap, frames):
    """Wireshark's decrypted stub data of each PDU of `frames`, in order."""
    text = tshark(pcap, "-Y", "frame.number in {%s}" % ",".join(map(str, frames)), "-x")
    out, hexes, grab = [], "", False
    for line in text.splitlines() + [""]:
        if line.startswith("Decrypted stub data"):
            grab, hexes = True, ""
            continue
        if grab and len(line) > 6 and line[4:6] == "  " and all(c in "0123456789abcdef" for c in line[:4]):
            hexes += line[6:54].replace(" ", "")
            continue
        if grab:
            out.append(bytes.fromhex(hexes))
            grab = False
    return out


def request_fields(pcap, frame):
    """The drsuapi fields of one request, flattened in the dissector's order."""
    layers = json.loads(tshark(pcap, "-Y", "frame.number==%d" % frame, "-T", "json"))[0]["_source"]["layers"]
    fields = []

    def walk(node, key):
        if isinstance(node, dict):
            for k, v in node.items():
                walk(v, k)
        elif isinstance(node, list):
            for v in node:
                walk(v, key)
        else:
            fields.append([key, node])

    walk(layers["drsuapi"], "")
    return fields


def main(pcap, out_path):
    # The DRSUAPI connection only (the endpoint mapper's ept_map is opnum 3 too).
    stream = tshark(pcap, "-Y", "drsuapi.opnum == 3", "-T", "fields", "-e", "tcp.stream").split()[0]
    all_pdus = pdus(pcap, stream)
    calls = []
    for frame, call, ptype, opnum, _ in all_pdus:
        if ptype == 0 and opnum == 3 and call not in calls:
            calls.append(call)
    doc = {"tshark": subprocess.run(["tshark", "--version"], capture_output=True, text=True).stdout.splitlines()[0]}
    for name, call in (("full", calls[0]), ("exop", calls[-1])):
        mine = [p for p in all_pdus if p[1] == call]
        frames = sorted({p[0] for p in mine})
        stubs = decrypted_stubs(pcap, frames)
        assert len(stubs) == len(mine), (name, len(stubs), len(mine))
        fragments = []
        for (frame, _, ptype, _, pad), stub in zip(mine, stubs):
            body = stub[: len(stub) - pad]
            fragments.append({"frame": frame, "pkt_type": ptype, "auth_pad_len": pad,
                              "len": len(body), "sha256": hashlib.sha256(body).hexdigest()})
        request_frame = next(p[0] for p in mine if p[2] == 0)
        doc[name] = {"call_id": call, "fragments": fragments,
                     "request_fields": request_fields(pcap, request_frame)}
    with open(out_path, "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
