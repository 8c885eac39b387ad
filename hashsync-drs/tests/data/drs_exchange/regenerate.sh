#!/usr/bin/env bash
# Rebuilds this directory from a new real exchange with the lab's Samba DC.
# As root, with Samba and python3-samba (sudo bash .ci/install-samba),
# tshark and ethtool, and impacket in target/vectors-venv
# (bash .ci/install-python-vectors):
#   bash hashsync-drs/tests/data/drs_exchange/regenerate.sh
# Every file here changes (new DC, new GUIDs, new session key).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../../.." && pwd)
out=$(mktemp -d)
cd "$repo"
HASHSYNC_DRS_EXCHANGE_DIR="$out" cargo test -p hashsync-drs --test drs_exchange_capture \
  -- --ignored --nocapture
# Samba's NDR and impacket's decryption: expected.json.
/usr/bin/python3 tools/vectors/drs_exchange.py "$out"
# Wireshark's decryption of every PDU and its reading of the requests.
/usr/bin/python3 tools/vectors/drs_exchange_tshark.py "$out/drs_exchange.pcapng" "$out/tshark.json"
cp "$out"/*.stub "$out"/session_key.hex "$out"/accounts.json "$out"/expected.json \
  "$out"/tshark.json "$out"/samba-version.txt "$out"/drs_exchange.pcapng "$here/"
chmod 644 "$here"/*.stub "$here"/*.json "$here"/*.hex "$here"/*.txt "$here"/*.pcapng
rm -r "$out"
