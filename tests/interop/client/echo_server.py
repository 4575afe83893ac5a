"""Echo server on Python websockets (Debian 12: 10.4, the legacy asyncio API)
for chat_client's tests. Same behaviour and output as echo_server.js, so the
driver can run every case against either peer.

  echo_server.py [--port 0] [--host 127.0.0.1] [--cert PEM --key PEM]

With --cert and --key it speaks wss:// (TLS).

Prints "listening on HOST:PORT", then one JSON object per line for what it
sees (open, message, pong, close). The path picks the behaviour:

  /echo            echo every message back, same type
  /close/CODE      echo the first message, then close with CODE, "server says bye"
  /ping            on open, ping with "are you there?" and report the pong
  /big/N           on open, send one text message of N bytes "x", then echo
  /notfound...     answer the upgrade with 404 Not Found
With TLS, {"ev": "tls", "sni": NAME} for every ClientHello that names a
server (Server Name Indication).
  /sink/MS         read nothing for MS milliseconds (the client's writes back
                   up), then take every message without echo or a line of
                   its own; at the close, one line: {"ev": "sink",
                   "messages": N, "bytes": N, "sha256": hex of each message
                   followed by a newline}
"""

import argparse
import asyncio
import base64
import hashlib
import http
import json
import socket
import ssl
import sys

import websockets

PING_PAYLOAD = b"are you there?"
SINK_RCVBUF = 65536


def emit(**event):
    print(json.dumps(event), flush=True)


async def handler(ws, path=None):
    path = ws.path
    emit(ev="open", path=path, protocol=ws.subprotocol,
         headers={k.lower(): v for k, v in ws.request_headers.raw_items()})
    if path == "/ping":
        waiter = await ws.ping(PING_PAYLOAD)
        try:
            await asyncio.wait_for(waiter, 10)
            emit(ev="pong_received", data_b64=base64.b64encode(PING_PAYLOAD).decode())
        except asyncio.TimeoutError:
            emit(ev="pong_timeout")
    elif path.startswith("/big/"):
        await ws.send("x" * int(path[5:]))
    elif path.startswith("/sink/"):
        # websockets stops reading the socket once its queue is full, but
        # what it read before that lets Linux grow the receive buffer (to
        # tcp_rmem's maximum, 32 MiB on some machines): a CI run saw all
        # 12 MiB of the test swallowed in 0.4 s. A fixed buffer, as Node's
        # paused socket has in effect, makes the client's writes back up.
        ws.transport.get_extra_info("socket").setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF,
                                                         SINK_RCVBUF)
        await asyncio.sleep(int(path[6:]) / 1000)
        digest, count, size = hashlib.sha256(), 0, 0
        try:
            async for msg in ws:
                raw = msg if isinstance(msg, bytes) else msg.encode("utf-8")
                digest.update(raw + b"\n")
                count, size = count + 1, size + len(raw)
        except websockets.ConnectionClosed:
            pass
        emit(ev="sink", messages=count, bytes=size, sha256=digest.hexdigest())
        await ws.wait_closed()
        emit(ev="close", code=ws.close_code, reason=ws.close_reason)
        return
    close_with = int(path[7:]) if path.startswith("/close/") else None
    try:
        async for msg in ws:
            binary = isinstance(msg, bytes)
            raw = msg if binary else msg.encode("utf-8")
            emit(ev="message", binary=binary, data_b64=base64.b64encode(raw).decode())
            await ws.send(msg)
            if close_with is not None:
                await ws.close(close_with, "server says bye")
                break
    except websockets.ConnectionClosed:
        pass
    await ws.wait_closed()
    emit(ev="close", code=ws.close_code, reason=ws.close_reason)


async def process_request(path, headers):
    if path.startswith("/notfound"):
        return http.HTTPStatus.NOT_FOUND, [("Content-Type", "text/plain")], b"no such endpoint\n"
    return None


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--cert")
    ap.add_argument("--key")
    args = ap.parse_args()
    tls = None
    if args.cert:
        tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        tls.load_cert_chain(args.cert, args.key)
        # The name the client asked for in its ClientHello (RFC 6455
        # section 4.1: clients MUST use SNI). Python calls this only when
        # there is one.
        tls.sni_callback = lambda ssl_object, name, context: emit(ev="tls", sni=name)
    async with websockets.serve(handler, args.host, args.port, subprotocols=["chat", "superchat"],
                                process_request=process_request, compression=None,
                                ping_interval=None, max_size=None, ssl=tls) as server:
        port = server.sockets[0].getsockname()[1]
        shown = f"[{args.host}]" if ":" in args.host else args.host
        print(f"listening on {shown}:{port}", flush=True)
        await asyncio.Future()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        sys.exit(0)
