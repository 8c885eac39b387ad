#!/usr/bin/env python3
"""Decodes DRSUAPI stubs with Wireshark's DRSUAPI dissector (tshark), to
check hashsync-drs's NDR against a third implementation.

Wraps each stub of IN.json in a connection-oriented DCE/RPC exchange over
TCP (a bind to DRSUAPI e3514235-4b06-11d1-ab04-00c04fc2dcd2 v4.0 with NDR
transfer syntax, its bind_ack, then request/response PDUs with the given
opnum), writes them as a pcap, runs `tshark -T json -d tcp.port==49152,dcerpc`
and keeps the drsuapi fields of each PDU.

IN.json: {"name": {"opnum": N, "direction": "request"|"response",
"stub": hex}, ...}. Writes OUT.json: {"tshark": version, "name":
{"stub": hex, "fields": {field: [values...]}}, ...} and, with a third
argument, the pcap.

Usage: drsuapi_tshark.py IN.json OUT.json [OUT.pcap]
"""

import json
import struct
import subprocess
import sys
import uuid

DRSUAPI = uuid.UUID("e3514235-4b06-11d1-ab04-00c04fc2dcd2")
NDR = uuid.UUID("8a885d04-1ceb-11c9-9fe8-08002b104860")
CLIENT, SERVER = ("10.0.0.1", 50000), ("10.0.0.2", 49152)


def pdu(ptype, call_id, body):
    header = struct.pack("<BBBB4sHHI", 5, 0, ptype, 0x03, b"\x10\x00\x00\x00",
                         16 + len(body), 0, call_id)
    return header + body


def bind(call_id):
    ctx = struct.pack("<HBB", 0, 1, 0) + DRSUAPI.bytes_le + struct.pack("<HH", 4, 0)
    ctx += NDR.bytes_le + struct.pack("<I", 2)
    body = struct.pack("<HHIBBH", 5840, 5840, 0, 1, 0, 0) + ctx
    return pdu(11, call_id, body)


def bind_ack(call_id):
    port = b"49152\x00"
    sec = struct.pack("<H", len(port)) + port
    sec += b"\x00" * ((-(8 + len(sec))) % 4)
    body = struct.pack("<HHI", 5840, 5840, 0x1234) + sec
    body += struct.pack("<BBH", 1, 0, 0) + struct.pack("<HH", 0, 0) + NDR.bytes_le + struct.pack("<I", 2)
    return pdu(12, call_id, body)


def request(call_id, opnum, stub):
    return pdu(0, call_id, struct.pack("<IHH", len(stub), 0, opnum) + stub)


def response(call_id, stub):
    return pdu(2, call_id, struct.pack("<IHBB", len(stub), 0, 0, 0) + stub)


def ip(a):
    return bytes(int(x) for x in a.split("."))


class Tcp:
    def __init__(self):
        self.seq = {CLIENT: 1000, SERVER: 9000}
        self.packets = []

    def send(self, src, dst, payload):
        tcp = struct.pack(">HHIIBBHHH", src[1], dst[1], self.seq[src], self.seq[dst], 5 << 4, 0x18,
                          65535, 0, 0)
        self.seq[src] += len(payload)
        total = 20 + len(tcp) + len(payload)
        iph = struct.pack(">BBHHHBBH4s4s", 0x45, 0, total, 0, 0, 64, 6, 0, ip(src[0]), ip(dst[0]))
        eth = b"\x02\x00\x00\x00\x00\x02" + b"\x02\x00\x00\x00\x00\x01" + b"\x08\x00"
        self.packets.append(eth + iph + tcp + payload)

    def pcap(self):
        out = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)
        for i, p in enumerate(self.packets):
            out += struct.pack("<IIII", 1700000000 + i, 0, len(p), len(p)) + p
        return out


def fields_of(layer, out):
    for key, value in layer.items():
        if isinstance(value, dict):
            fields_of(value, out)
        elif isinstance(value, list):
            for v in value:
                if isinstance(v, dict):
                    fields_of(v, out)
                else:
                    out.setdefault(key, []).append(v)
        elif key.startswith("drsuapi."):
            out.setdefault(key, []).append(value)


def main():
    stubs = json.load(open(sys.argv[1]))
    tcp = Tcp()
    tcp.send(CLIENT, SERVER, bind(1))
    tcp.send(SERVER, CLIENT, bind_ack(1))
    order = []
    for call_id, (name, v) in enumerate(sorted(stubs.items()), start=2):
        stub = bytes.fromhex(v["stub"])
        # A response is dissected by the opnum of its request: send one
        # (an empty stub the dissector may flag) before each response.
        tcp.send(CLIENT, SERVER, request(call_id, v["opnum"], stub if v["direction"] == "request" else b""))
        if v["direction"] == "response":
            tcp.send(SERVER, CLIENT, response(call_id, stub))
        order.append((name, call_id, v))
    pcap = tcp.pcap()
    path = sys.argv[3] if len(sys.argv) > 3 else "/tmp/drsuapi_tshark.pcap"
    open(path, "wb").write(pcap)
    version = subprocess.run(["tshark", "--version"], capture_output=True, text=True).stdout.splitlines()[0]
    decoded = json.loads(subprocess.run(
        ["tshark", "-r", path, "-T", "json", "-d", "tcp.port==49152,dcerpc", "-o", "tcp.desegment_tcp_streams:TRUE"],
        capture_output=True, text=True, check=True).stdout)
    out = {"tshark": version}
    for name, call_id, v in order:
        fields = {}
        ptype = "0" if v["direction"] == "request" else "2"
        for packet in decoded:
            layers = packet["_source"]["layers"]
            rpc = layers.get("dcerpc", {})
            if rpc.get("dcerpc.cn_call_id") == str(call_id) and rpc.get("dcerpc.pkt_type") == ptype:
                fields_of(layers.get("drsuapi", {}), fields)
                fields["_malformed"] = ["_ws.malformed" in json.dumps(layers)]
        out[name] = {"stub": v["stub"], "fields": fields}
    with open(sys.argv[2], "w") as f:
        json.dump(out, f, indent=1, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
