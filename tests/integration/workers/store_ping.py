# Opens a worker (v2) connection to a TCPStore server and PINGs it:
#   store_ping.py HOST PORT   exit 0 when answered, 3 when the server closed the connection.
import socket
import struct
import sys

VALIDATE, PING, MAGIC, NONCE = 0, 13, 0x3C85F7CE, 0x5EED

with socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=5) as s:
    s.sendall(struct.pack("<BIBI", VALIDATE, MAGIC, PING, NONCE))
    reply = b""
    while len(reply) < 4:
        chunk = s.recv(4 - len(reply))
        if not chunk:
            print("refused", flush=True)
            sys.exit(3)
        reply += chunk
    assert struct.unpack("<I", reply)[0] == NONCE, "bad PING echo"
    print("answered", flush=True)
