"""An HTTP CONNECT proxy for chat_client's --proxy tests (asyncio, no
dependencies).

  connect_proxy.py [--port 0] [--deny]

Prints "listening on 127.0.0.1:PORT", then one JSON line per CONNECT
({"ev": "connect", "target": "HOST:PORT"}) and one when its tunnel ends
({"ev": "tunnel_closed", "records": {...}}: when the client spoke TLS, how
many TLS records of each content type it sent; 23 is application data).
It tunnels only to 127.0.0.1 and ::1: a request for any other host is
answered 403, so no test can reach beyond the machine through it. With --deny every request is
answered 407 Proxy Authentication Required.
"""

import argparse
import asyncio
import json
import sys

ALLOWED = {"127.0.0.1", "::1", "localhost"}


def emit(**event):
    print(json.dumps(event), flush=True)


class RecordCounter:
    """Counts the TLS records in one direction of a tunnel by their 5-byte
    headers (content type, version, length: RFC 8446 section 5.1)."""

    def __init__(self):
        self.pending = bytearray()
        self.skip = 0
        self.counts = {}
        self.tls = None

    def feed(self, data):
        if self.tls is None:
            self.tls = data[:1] == b"\x16"  # a ClientHello's handshake record
        if not self.tls:
            return
        self.pending += data
        while True:
            if self.skip:
                take = min(self.skip, len(self.pending))
                del self.pending[:take]
                self.skip -= take
                if self.skip:
                    return
            if len(self.pending) < 5:
                return
            kind = self.pending[0]
            self.counts[str(kind)] = self.counts.get(str(kind), 0) + 1
            self.skip = 5 + int.from_bytes(self.pending[3:5], "big")


async def pipe(reader, writer, observe=None):
    try:
        while True:
            data = await reader.read(65536)
            if not data:
                break
            if observe:
                observe(data)
            writer.write(data)
            await writer.drain()
    except (ConnectionError, asyncio.CancelledError):
        pass
    finally:
        try:
            writer.write_eof()
        except (OSError, RuntimeError):
            pass


async def handle(reader, writer, deny):
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except (asyncio.IncompleteReadError, asyncio.LimitOverrunError):
        writer.close()
        return
    line = head.split(b"\r\n", 1)[0].decode("latin-1")
    parts = line.split(" ")
    if len(parts) != 3 or parts[0] != "CONNECT":
        writer.write(b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n")
        writer.close()
        return
    target = parts[1]
    emit(ev="connect", target=target, host_header=next(
        (l.split(b":", 1)[1].strip().decode() for l in head.split(b"\r\n")
         if l.lower().startswith(b"host:")), None))
    host, _, port = target.rpartition(":")
    host = host.strip("[]")
    if deny:
        writer.write(b"HTTP/1.1 407 Proxy Authentication Required\r\n"
                     b"Proxy-Authenticate: Basic realm=\"test\"\r\nContent-Length: 0\r\n\r\n")
        writer.close()
        return
    if host not in ALLOWED:
        writer.write(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
        writer.close()
        return
    try:
        up_reader, up_writer = await asyncio.open_connection(host, int(port))
    except OSError:
        writer.write(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
        writer.close()
        return
    writer.write(b"HTTP/1.1 200 Connection Established\r\n\r\n")
    await writer.drain()
    upstream = RecordCounter()
    await asyncio.gather(pipe(reader, up_writer, upstream.feed), pipe(up_reader, writer))
    emit(ev="tunnel_closed", target=target, records=upstream.counts if upstream.tls else None)
    writer.close()
    up_writer.close()


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--deny", action="store_true")
    args = ap.parse_args()
    server = await asyncio.start_server(lambda r, w: handle(r, w, args.deny), "127.0.0.1",
                                        args.port)
    print(f"listening on 127.0.0.1:{server.sockets[0].getsockname()[1]}", flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        sys.exit(0)
