"""chat_client and a server that streams a message in many small frames.

usage: client_fragments.py CHAT_CLIENT

Servers send big messages as they produce them: Node's ws with
send(chunk, {fin: false}), Python websockets from an async iterator. Only
--max-message bounds what chat_client holds, so a message of 5000 one-byte
fragments (a ping among them) must print whole and the session end with
exit 0; --max-message 100 must still refuse 200 one-byte fragments with 1009
(exit 4).
"""

import base64
import hashlib
import socket
import subprocess
import sys
import threading

import wsharness as h

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


def scripted_server(fragments, seen):
    """Accepts one client, sends a text message of `fragments` one-byte
    frames (a ping after the first), then close 1000; records the client's
    frames in seen."""
    ls = socket.socket()
    ls.bind(("127.0.0.1", 0))
    ls.listen(1)

    def run():
        c, _ = ls.accept()
        c.settimeout(h.slow(10))
        buf = b""
        while b"\r\n\r\n" not in buf:
            buf += c.recv(4096)
        key = next(l.split(b":", 1)[1].strip() for l in buf.split(b"\r\n")
                   if l.lower().startswith(b"sec-websocket-key:"))
        accept = base64.b64encode(hashlib.sha1(key + GUID).digest())
        out = bytearray(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                        b"Connection: Upgrade\r\nSec-WebSocket-Accept: " + accept + b"\r\n\r\n")
        for i in range(fragments):
            out += bytes([(0x80 if i == fragments - 1 else 0) | (1 if i == 0 else 0), 1]) + b"abcdefghij"[i % 10:i % 10 + 1]
            if i == 0:
                out += b"\x89\x04frag"
        out += b"\x88\x02\x03\xe8"
        c.sendall(out)
        reader = h.FrameReader(c)
        while True:
            f = reader.read(h.slow(10))
            if f is None:
                break
            seen.append(f)
        c.close()
        ls.close()

    t = threading.Thread(target=run, daemon=True)
    t.start()
    return ls.getsockname()[1], t


def run_client(client, port, *args):
    return subprocess.run(h.wrap_argv([client, "-q", *args, f"ws://127.0.0.1:{port}/"]),
                          stdin=subprocess.DEVNULL, capture_output=True, timeout=h.slow(20))


def body(checks):
    client = sys.argv[1]
    n = 5000
    seen = []
    port, t = scripted_server(n, seen)
    r = run_client(client, port)
    t.join(h.slow(10))
    want = bytes(b"abcdefghij"[i % 10] for i in range(n)) + b"\n"
    checks.check(r.stdout == want, f"a text message in {n} one-byte fragments printed whole",
                 f"{len(r.stdout)} bytes out, stderr {r.stderr[-200:]!r}")
    checks.check(r.returncode == 0, "exit 0 after the server's close 1000", f"{r.returncode} {r.stderr[-200:]!r}")
    checks.check(any(f.opcode == h.OP_PONG and f.payload == b"frag" for f in seen),
                 "the ping between the fragments is answered", repr(seen[:4]))

    seen = []
    port, t = scripted_server(200, seen)
    r = run_client(client, port, "--max-message", "100")
    t.join(h.slow(10))
    closes = [f for f in seen if f.opcode == h.OP_CLOSE]
    checks.check(r.returncode == 4 and closes and closes[0].close_code() == 1009,
                 "--max-message 100: 200 one-byte fragments -> close 1009, exit 4",
                 f"{r.returncode} {closes!r} {r.stderr[-200:]!r}")


h.run_main("client_fragments", body)
