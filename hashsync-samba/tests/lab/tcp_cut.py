# A TCP relay in the lab's namespace that can drop a DCE/RPC connection in
# the middle of a reply. It listens on LISTEN_IP at each of PORTS and relays
# to TARGET_IP at the same port (the endpoint mapper's answer stays right).
# On every port but 135 it counts the DCE/RPC responses the server sends
# (PDU type 2 with PFC_LAST_FRAG) and writes the count to COUNT_FILE. With
# CUT_AT > 0, the first fragment of response number CUT_AT is cut in half:
# half its bytes reach the client, then both sockets close. That happens
# once; later connections are relayed whole.
#
#   python3 tcp_cut.py LISTEN_IP TARGET_IP PORT,PORT,... COUNT_FILE CUT_AT
import socket
import sys
import threading

listen_ip, target_ip, ports, count_file, cut_at = sys.argv[1:6]
ports = [int(p) for p in ports.split(",")]
cut_at = int(cut_at)
lock = threading.Lock()
state = {"responses": 0, "cut": False}


def pump_client(client, server):
    try:
        while True:
            data = client.recv(65536)
            if not data:
                break
            server.sendall(data)
    except OSError:
        pass
    for s in (client, server):
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def read_exact(sock, n):
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            return None
        data += chunk
    return data


def pump_server(server, client, count):
    try:
        while True:
            if not count:
                data = server.recv(65536)
                if not data:
                    break
                client.sendall(data)
                continue
            header = read_exact(server, 16)
            if header is None:
                break
            length = int.from_bytes(header[8:10], "little")
            body = read_exact(server, max(length - 16, 0))
            if body is None:
                break
            pdu = header + body
            ptype, flags = header[2], header[3]
            first = flags & 0x01
            cut = False
            with lock:
                if ptype == 2 and first and not state["cut"] and cut_at > 0 \
                        and state["responses"] + 1 == cut_at:
                    state["cut"] = True
                    cut = True
                if ptype == 2 and flags & 0x02:
                    state["responses"] += 1
                    with open(count_file, "w") as f:
                        f.write(str(state["responses"]))
            if cut:
                client.sendall(pdu[: len(pdu) // 2])
                break
            client.sendall(pdu)
    except OSError:
        pass
    for s in (client, server):
        try:
            s.shutdown(socket.SHUT_RDWR)
            s.close()
        except OSError:
            pass


def serve(port):
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((listen_ip, port))
    listener.listen(16)
    while True:
        client, _ = listener.accept()
        server = socket.create_connection((target_ip, port))
        count = port != 135
        threading.Thread(target=pump_client, args=(client, server), daemon=True).start()
        threading.Thread(target=pump_server, args=(server, client, count), daemon=True).start()


for port in ports:
    threading.Thread(target=serve, args=(port,), daemon=True).start()
print("relaying", flush=True)
threading.Event().wait()
