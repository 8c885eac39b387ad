#!/usr/bin/env bash
# Rebuilds this directory from a capture run of the real-DC test:
#   HASHSYNC_RPC_CAPTURE_DIR=/tmp/rpc-capture \
#     cargo test -p hashsync-drs --test rpc_samba -- --include-ignored
#   bash hashsync-drs/tests/data/rpc_samba/regenerate.sh /tmp/rpc-capture
# Needs tshark. The frame numbers are those of the capture committed here;
# a new capture may number its frames differently: check `tshark -r`.
set -euo pipefail
src=$1
here=$(cd "$(dirname "$0")" && pwd)
password='Lab-Admin-Passw0rd!'
# ept_map request/response, bind, bind_ack, auth3, DsBind request/response,
# DsUnbind request/response, and the fault that answers the wrong
# password's first call.
frames=(8 9 27 30 32 33 36 55 56 67)
filter="frame.number in {$(IFS=,; echo "${frames[*]}")}"
cp "$src/drsuapi.pcap" "$here/drsuapi.pcapng"
chmod 644 "$here/drsuapi.pcapng"
tshark -r "$here/drsuapi.pcapng" -Y "$filter" -T fields -e frame.number -e tcp.payload \
  >"$here/pdus.tsv" 2>/dev/null
tshark -r "$here/drsuapi.pcapng" -o "ntlmssp.nt_password:$password" -Y "$filter" \
  -O dcerpc,epm,drsuapi,ntlmssp 2>/dev/null >"$here/dissector.txt"
tshark -r "$here/drsuapi.pcapng" -o "ntlmssp.nt_password:$password" \
  -Y "frame.number in {33,36,55,56}" -x 2>/dev/null >"$here/decrypted.txt"
# The client's own record of the plaintext stubs (transcript entries 3, 6,
# 23 and 26 of that run: DsBind and DsUnbind, sent and received).
cp "$src/003-sent-stub.bin" "$here/drsbind_request.stub"
cp "$src/006-received-stub.bin" "$here/drsbind_response.stub"
cp "$src/023-sent-stub.bin" "$here/drsunbind_request.stub"
cp "$src/026-received-stub.bin" "$here/drsunbind_response.stub"
tshark --version | head -1 >"$here/tshark-version.txt"
# DsCrackNames (call 3): 4 sealed request and 10 sealed response fragments,
# each with Wireshark's decryption (reassembly off, so every fragment is
# decrypted on its own): frame, packet type, auth pad length, hex.
cn_frames="37,38,40,41,43,44,46,47,48,49,50,51,52,53"
tshark -r "$here/drsuapi.pcapng" -o "ntlmssp.nt_password:$password" -o dcerpc.reassemble_dcerpc:FALSE \
  -Y "frame.number in {$cn_frames}" -T fields -e frame.number -e dcerpc.pkt_type -e dcerpc.auth_pad_len \
  2>/dev/null >"$here/.fields"
tshark -r "$here/drsuapi.pcapng" -o "ntlmssp.nt_password:$password" -o dcerpc.reassemble_dcerpc:FALSE \
  -Y "frame.number in {$cn_frames}" -x 2>/dev/null |
  awk '/^Decrypted stub data/ {grab=1; hex=""; next}
       grab && /^[0-9a-f][0-9a-f][0-9a-f][0-9a-f]  / {h=substr($0,7,48); gsub(/ /,"",h); hex=hex h; next}
       grab {print hex; grab=0}
       END {if (grab) print hex}' >"$here/.hex"
paste "$here/.fields" "$here/.hex" >"$here/cracknames_fragments.tsv"
rm "$here/.fields" "$here/.hex"
cp "$src/007-sent-stub.bin" "$here/cracknames_request.stub"
cp "$src/022-received-stub.bin" "$here/cracknames_response.stub"
