"""Our programs against more independent WebSocket implementations, the
ones Debian 12 packages for Python (tests/run.sh installs them):

  aiohttp 3.8 (python3-aiohttp)       tornado 6.2 (python3-tornado)
  websocket-client 1.2 (python3-websocket)
  wsproto 1.2 (python3-wsproto)       autobahn-python 22.7 (python3-autobahn)

usage: peers.py ECHO_SERVER CHAT_SERVER CHAT_CLIENT [echo|chat|client]...

echo:   echo_server as the server, each library as the client: multibyte
        text, every byte value, empty messages, sizes on both sides of the
        7/16/64-bit length edges and 1 MiB, a fragmented message where the
        library can send one, ping -> pong with the same payload, and close
        1000 -> 1000 back, the server's TCP close, and its log calling the
        close clean. permessage-deflate is offered where the library can;
        the server takes no extension, so everything must go uncompressed.
chat:   chat_server with aiohttp, tornado and websocket-client connected at
        once: each one's message reaches all three as "Server: <message>",
        a binary one unchanged; GET / through aiohttp's HTTP client is the
        page (200, text/html).
client: chat_client against echo servers written with aiohttp, tornado and
        autobahn (in this process, on 127.0.0.1, free ports): stdin lines
        (multibyte, empty, ~100 KB) back on stdout exactly, the server saw
        each and close 1000, exit 0; a subprotocol the server selects; an
        aiohttp server answering an extension that was not offered ->
        the handshake fails (exit 2).

A library that does not import fails the test: run.sh installs them all.
"""

import asyncio
import importlib
import random
import re
import socket
import struct
import sys
import threading
import time

import wsharness as h

SEED = 6455
PING_PAYLOADS = (b"", b"ping \x00\xff payload", bytes(range(125)))
CLOSE_REASON = "bye"


# ---------------------------------------------------------------- helpers

def echo_plan():
    """(label, message): str is a text message, bytes a binary one."""
    rng = random.Random(SEED)
    pool = h.TextPool(rng, chars=20_000)
    plan = [
        ("multibyte text", "h\u00e9llo w\u00f6rld \u2014 \u4e2d\u6587 \u65e5\u672c\u8a9e "
                           "\U0001f600\U0001f680 \u0000 \U0010ffff end"),
        ("binary with all 256 byte values", bytes(range(256)) + bytes(reversed(range(256)))),
        ("empty text", ""),
        ("empty binary", b""),
    ]
    for n in (125, 126, 65535, 65536, 1 << 20):
        plan.append((f"{n}-byte text", h.exact_text(pool, n)))
        plan.append((f"{n}-byte binary", rng.randbytes(n)))
    return plan


FRAGMENTS_TEXT = ["fr\u00e4g", "ment\u00e9d \U0001f600", "", " te", "xt \u4e2d"]
FRAGMENTS_BINARY = [b"\x00bin", b"", b"ary\xff" * 5000, b"\x80"]


def describe(value):
    if value is None:
        return "nothing"
    return f"{type(value).__name__}[{len(value)}] {value[:24]!r}"


def check_echo(checks, who, label, sent, got):
    """got must be sent itself: same type (text/binary), same bytes."""
    return checks.check(type(got) is type(sent) and got == sent, f"{who}: {label} echoed exactly",
                        f"sent {describe(sent)}, got {describe(got)}")


def wait_stderr(proc, pattern, timeout):
    """The first stderr line of proc matching pattern within timeout, or None."""
    regex = re.compile(pattern)
    return proc.wait_stderr(lambda lines: next((line for line in lines if regex.search(line)), None),
                            timeout)


def check_server_saw_clean_close(checks, who, server, local_port):
    """The server's log line for this connection: close 1000, clean."""
    if local_port is None:
        checks.check(False, f"{who}: the client's local port is known")
        return
    line = wait_stderr(server, rf"\[127\.0\.0\.1:{local_port}\] disconnected:", h.slow(5))
    checks.check(line is not None and "close code 1000, clean" in line,
                 f"{who}: {server.name} logs the connection closed with 1000, clean", repr(line))


async def bounded(awaitable, seconds=10):
    return await asyncio.wait_for(awaitable, h.slow(seconds))


# ------------------------------------------------------ echo_server clients

async def aiohttp_echo(checks, server, plan):
    import aiohttp
    who = f"aiohttp {aiohttp.__version__}"
    async with aiohttp.ClientSession() as session:
        # autoping=False: pongs come out of receive(), so their payload can be checked.
        ws = await bounded(session.ws_connect(server.url("/aiohttp"), compress=15, autoping=False,
                                              max_msg_size=0, timeout=h.slow(10)))
        port = ws.get_extra_info("sockname")[1]
        offered = ws._response.request_info.headers.get("Sec-WebSocket-Extensions")
        checks.check(offered and "permessage-deflate" in offered, f"{who}: offers permessage-deflate",
                     repr(offered))
        checks.check(ws.compress == 0 and "Sec-WebSocket-Extensions" not in ws._response.headers,
                     f"{who}: the server took no extension, the client goes on uncompressed",
                     f"compress={ws.compress} {dict(ws._response.headers)}")
        for label, msg in plan:
            if isinstance(msg, str):
                await ws.send_str(msg)
            else:
                await ws.send_bytes(msg)
            reply = await ws.receive(timeout=h.slow(10))
            got = reply.data if reply.type in (aiohttp.WSMsgType.TEXT, aiohttp.WSMsgType.BINARY) else None
            check_echo(checks, who, label, msg, got)
        checks.info(f"{who}: cannot send a fragmented message (no API for it)")
        for payload in PING_PAYLOADS:
            await ws.ping(payload)
            reply = await ws.receive(timeout=h.slow(10))
            checks.check(reply.type == aiohttp.WSMsgType.PONG and reply.data == payload,
                         f"{who}: ping with {len(payload)} bytes -> pong with the same payload",
                         f"{reply.type} {reply.data!r:.60}")
        closed = await bounded(ws.close(code=1000, message=CLOSE_REASON.encode()))
        checks.check(closed and ws.close_code == 1000, f"{who}: close 1000 -> the server's close carries 1000",
                     f"closed={closed} close_code={ws.close_code}")
    check_server_saw_clean_close(checks, who, server, port)


async def tornado_echo(checks, server, plan):
    import tornado
    from tornado.websocket import websocket_connect
    who = f"tornado {tornado.version}"
    conn = await bounded(websocket_connect(server.url("/tornado"), compression_options={},
                                           connect_timeout=h.slow(10), max_message_size=16 << 20))
    port = conn.protocol.stream.socket.getsockname()[1]
    checks.check(conn.request.headers.get("Sec-WebSocket-Extensions", "").startswith("permessage-deflate"),
                 f"{who}: offers permessage-deflate", repr(conn.request.headers.get("Sec-WebSocket-Extensions")))
    checks.check("Sec-WebSocket-Extensions" not in conn.headers and conn.protocol._compressor is None,
                 f"{who}: the server took no extension, the client goes on uncompressed",
                 repr(conn.headers.get("Sec-WebSocket-Extensions")))
    for label, msg in plan:
        await conn.write_message(msg, binary=isinstance(msg, bytes))
        check_echo(checks, who, label, msg, await bounded(conn.read_message()))
    checks.info(f"{who}: cannot send a fragmented message (no API for it)")
    for payload in PING_PAYLOADS:
        pong = asyncio.get_running_loop().create_future()
        conn.on_pong = lambda data, f=pong: f.done() or f.set_result(data)
        conn.ping(payload)
        try:
            got = await bounded(pong)
        except asyncio.TimeoutError:
            got = None
        checks.check(got == payload, f"{who}: ping with {len(payload)} bytes -> pong with the same payload",
                     repr(got))
    conn.close(1000, CLOSE_REASON)
    end = await bounded(conn.read_message())
    checks.check(end is None and conn.close_code == 1000,
                 f"{who}: close 1000 -> the server's close carries 1000",
                 f"read {describe(end)}, close_code={conn.close_code}")
    check_server_saw_clean_close(checks, who, server, port)


def websocket_client_echo(checks, server, plan):
    import websocket
    from websocket import ABNF
    who = f"websocket-client {websocket.__version__}"
    ws = websocket.create_connection(server.url("/websocket-client"), timeout=h.slow(10))
    port = ws.sock.getsockname()[1]
    try:
        for label, msg in plan:
            if isinstance(msg, str):
                ws.send(msg)
            else:
                ws.send_binary(msg)
            opcode, data = ws.recv_data()
            got = data.decode("utf-8") if opcode == ABNF.OPCODE_TEXT else data if opcode == ABNF.OPCODE_BINARY else None
            check_echo(checks, who, label, msg, got)
        # Fragments through the frame API: first frame with the opcode,
        # then continuations, the last with FIN.
        # The text is cut into bytes inside a 4-byte sequence (U+1F600).
        text_bytes = "".join(FRAGMENTS_TEXT).encode("utf-8")
        cut = text_bytes.index("\U0001f600".encode("utf-8")) + 2
        for parts in ([text_bytes[:3], text_bytes[3:cut], b"", text_bytes[cut:]], FRAGMENTS_BINARY):
            text = parts is not FRAGMENTS_BINARY
            for i, part in enumerate(parts):
                opcode = (ABNF.OPCODE_TEXT if text else ABNF.OPCODE_BINARY) if i == 0 else ABNF.OPCODE_CONT
                ws.send_frame(ABNF.create_frame(part, opcode, fin=int(i == len(parts) - 1)))
            opcode, data = ws.recv_data()
            got = data.decode("utf-8") if opcode == ABNF.OPCODE_TEXT else data if opcode == ABNF.OPCODE_BINARY else None
            whole = b"".join(parts).decode("utf-8") if text else b"".join(parts)
            check_echo(checks, who, f"{'text' if text else 'binary'} message in {len(parts)} fragments"
                       f"{' (one cut inside a UTF-8 sequence)' if text else ''}", whole, got)
        for payload in PING_PAYLOADS:
            ws.ping(payload)
            opcode, data = ws.recv_data(control_frame=True)
            checks.check(opcode == ABNF.OPCODE_PONG and data == payload,
                         f"{who}: ping with {len(payload)} bytes -> pong with the same payload",
                         f"opcode {opcode} {data!r:.60}")
        # send_close + recv_frame rather than close(): close() hides the
        # server's code, and recv_data() answers a close with another close.
        ws.send_close(1000, CLOSE_REASON.encode())
        frame = ws.recv_frame()
        code = struct.unpack("!H", frame.data[:2])[0] if frame.opcode == ABNF.OPCODE_CLOSE and len(frame.data) >= 2 else None
        checks.check(code == 1000, f"{who}: close 1000 -> the server's close carries 1000",
                     f"opcode {frame.opcode} {frame.data!r:.40}")
        checks.check(h.is_closed_by_peer(ws.sock, h.slow(5)), f"{who}: then the server closes TCP")
    finally:
        ws.shutdown()
    check_server_saw_clean_close(checks, who, server, port)


class WsprotoClient:
    """wsproto (sans-I/O, as libwsframe is) driven over a blocking socket."""

    def __init__(self, port, target, extensions):
        from wsproto import ConnectionType, WSConnection
        from wsproto.events import Request
        self.sock = h.connect(port, h.slow(10))
        self.ws = WSConnection(ConnectionType.CLIENT)
        self.pending = []
        self.eof = False
        self.request_head = self.ws.send(Request(host=f"{h.HOST}:{port}", target=target, extensions=extensions))
        self.sock.sendall(self.request_head)

    def send(self, event):
        self.sock.sendall(self.ws.send(event))

    def event(self, timeout=10):
        """The next event, reading the socket as needed; None on EOF or timeout."""
        deadline = time.monotonic() + h.slow(timeout)
        while not self.pending:
            self.pending.extend(self.ws.events())
            if self.pending:
                break
            if self.eof:
                return None
            self.sock.settimeout(max(0.01, deadline - time.monotonic()))
            try:
                data = self.sock.recv(1 << 20)
            except socket.timeout:
                return None
            self.eof = not data
            self.ws.receive_data(data or None)
        return self.pending.pop(0)

    def message(self):
        """One whole data message (wsproto hands out pieces): str or bytes."""
        from wsproto.events import Message, TextMessage
        parts = []
        while True:
            ev = self.event()
            if not isinstance(ev, Message):
                return None if not parts else ("".join(parts) if isinstance(parts[0], str) else b"".join(parts))
            parts.append(ev.data)
            if ev.message_finished:
                if isinstance(ev, TextMessage):
                    return "".join(parts)
                return b"".join(parts)


def wsproto_echo(checks, server, plan):
    import wsproto
    from wsproto.connection import ConnectionState
    from wsproto.events import (AcceptConnection, BytesMessage, CloseConnection, Ping, Pong,
                                TextMessage)
    from wsproto.extensions import PerMessageDeflate
    who = f"wsproto {wsproto.__version__}"
    c = WsprotoClient(server.port, "/wsproto", [PerMessageDeflate()])
    port = c.sock.getsockname()[1]
    try:
        checks.check(b"permessage-deflate" in c.request_head, f"{who}: offers permessage-deflate",
                     repr(c.request_head))
        ev = c.event()
        checks.check(isinstance(ev, AcceptConnection) and ev.extensions == [],
                     f"{who}: permessage-deflate offered, accepted without an extension", repr(ev))
        for label, msg in plan:
            c.send(TextMessage(msg) if isinstance(msg, str) else BytesMessage(msg))
            check_echo(checks, who, label, msg, c.message())
        for parts in (FRAGMENTS_TEXT, FRAGMENTS_BINARY):
            kind = TextMessage if isinstance(parts[0], str) else BytesMessage
            for i, part in enumerate(parts):
                c.send(kind(part, message_finished=i == len(parts) - 1))
                if i == 1:
                    c.send(Ping(b"between fragments"))
            ev = c.event()
            checks.check(isinstance(ev, Pong) and ev.payload == b"between fragments",
                         f"{who}: {kind.__name__}: a ping between fragments is answered at once", repr(ev))
            whole = "".join(parts) if kind is TextMessage else b"".join(parts)
            check_echo(checks, who, f"{kind.__name__} in {len(parts)} fragments (a ping among them)",
                       whole, c.message())
        for payload in PING_PAYLOADS:
            c.send(Ping(payload))
            ev = c.event()
            checks.check(isinstance(ev, Pong) and ev.payload == payload,
                         f"{who}: ping with {len(payload)} bytes -> pong with the same payload", repr(ev))
        c.send(CloseConnection(code=1000, reason=CLOSE_REASON))
        ev = c.event()
        checks.check(isinstance(ev, CloseConnection) and ev.code == 1000
                     and c.ws.state == ConnectionState.CLOSED,
                     f"{who}: close 1000 -> the server's close carries 1000", f"{ev!r} state {c.ws.state}")
        checks.check(h.is_closed_by_peer(c.sock, h.slow(5)), f"{who}: then the server closes TCP")
    finally:
        c.sock.close()
    check_server_saw_clean_close(checks, who, server, port)


async def autobahn_echo(checks, server, plan):
    import autobahn
    from autobahn.asyncio.websocket import WebSocketClientFactory, WebSocketClientProtocol
    from autobahn.websocket.compress import PerMessageDeflateOffer, PerMessageDeflateResponseAccept
    who = f"autobahn {autobahn.__version__}"
    events = asyncio.Queue()

    class Client(WebSocketClientProtocol):
        request_head = None

        def sendData(self, data, sync=False, chopsize=None):
            if self.request_head is None:  # the upgrade request: what it offered
                self.request_head = bytes(data)
            super().sendData(data, sync, chopsize)

        def onConnect(self, response):
            events.put_nowait(("connect", response))

        def onOpen(self):
            events.put_nowait(("open", None))

        def onMessage(self, payload, isBinary):
            events.put_nowait(("message", payload if isBinary else payload.decode("utf-8")))

        def onPong(self, payload):
            events.put_nowait(("pong", payload))

        def onClose(self, wasClean, code, reason):
            events.put_nowait(("close", (wasClean, code, reason)))

    factory = WebSocketClientFactory(server.url("/autobahn"))
    factory.protocol = Client
    factory.setProtocolOptions(
        perMessageCompressionOffers=[PerMessageDeflateOffer()],
        perMessageCompressionAccept=lambda response: PerMessageDeflateResponseAccept(response),
        autoPingInterval=0, openHandshakeTimeout=h.slow(10), closeHandshakeTimeout=h.slow(5),
        # The server must close TCP after the close handshake (RFC 6455
        # 7.1.1); autobahn calls the close unclean when it does not in time.
        serverConnectionDropTimeout=h.slow(5))

    async def next_event(kind):
        ev, value = await bounded(events.get())
        return value if ev == kind else (ev, value)

    transport, proto = await bounded(asyncio.get_running_loop().create_connection(factory, h.HOST, server.port))
    port = transport.get_extra_info("sockname")[1]
    try:
        response = await next_event("connect")
        checks.check(b"permessage-deflate" in (proto.request_head or b""), f"{who}: offers permessage-deflate",
                     repr(proto.request_head))
        checks.check(getattr(response, "extensions", None) == [] and await next_event("open") is None,
                     f"{who}: permessage-deflate offered, open without an extension",
                     repr(getattr(response, "headers", response)))
        checks.check(proto.websocket_extensions_in_use == [], f"{who}: no extension in use",
                     repr(proto.websocket_extensions_in_use))
        for label, msg in plan:
            proto.sendMessage(msg.encode("utf-8") if isinstance(msg, str) else msg, isBinary=isinstance(msg, bytes))
            check_echo(checks, who, label, msg, await next_event("message"))
        for parts in (FRAGMENTS_TEXT, FRAGMENTS_BINARY):
            text = isinstance(parts[0], str)
            whole = "".join(parts) if text else b"".join(parts)
            data = whole.encode("utf-8") if text else whole
            # fragmentSize: autobahn cuts the message into frames of 7 bytes.
            proto.sendMessage(data, isBinary=not text, fragmentSize=7)
            check_echo(checks, who, f"{'text' if text else 'binary'} message in {-(-len(data) // 7)} "
                       f"fragments of 7 bytes", whole, await next_event("message"))
        for payload in PING_PAYLOADS:
            proto.sendPing(payload)
            got = await next_event("pong")
            checks.check(got == payload, f"{who}: ping with {len(payload)} bytes -> pong with the same payload",
                         repr(got))
        proto.sendClose(1000, CLOSE_REASON)
        got = await next_event("close")
        clean, code = (got[0], got[1]) if isinstance(got, tuple) and len(got) == 3 else (None, None)
        checks.check(clean is True and code == 1000,
                     f"{who}: close 1000 -> clean, the server's close carries 1000 and the server "
                     f"closed TCP", f"{got!r} ({proto.wasNotCleanReason!r})")
    finally:
        transport.abort()
    check_server_saw_clean_close(checks, who, server, port)


def part_echo(checks, binary):
    server = h.Server(binary)
    fds = server.fd_count()
    plan = echo_plan()
    checks.info(f"{len(plan)} messages, {sum(len(m.encode() if isinstance(m, str) else m) for _, m in plan)} "
                f"bytes, for each client")
    for name, run in (("aiohttp", lambda: asyncio.run(aiohttp_echo(checks, server, plan))),
                      ("tornado", lambda: asyncio.run(tornado_echo(checks, server, plan))),
                      ("websocket-client", lambda: websocket_client_echo(checks, server, plan)),
                      ("wsproto", lambda: wsproto_echo(checks, server, plan)),
                      ("autobahn", lambda: asyncio.run(autobahn_echo(checks, server, plan)))):
        t0 = time.monotonic()
        run()
        checks.info(f"{name} against echo_server: {time.monotonic() - t0:.2f} s")
    checks.check(server.alive(), "echo_server still running after the five clients")
    after = server.settle(server.fd_count, fds, h.slow(5))
    checks.check(after <= fds, "echo_server's descriptors back to the baseline", f"{fds} -> {after}")
    server.kill(dump=False)


# ---------------------------------------------------------- chat_server

async def part_chat(checks, binary):
    import aiohttp
    import websocket
    from tornado.websocket import websocket_connect
    server = h.Server(binary)
    url = server.url("/")
    async with aiohttp.ClientSession() as session:
        async with session.get(f"http://{h.HOST}:{server.port}/",
                               timeout=aiohttp.ClientTimeout(total=h.slow(10))) as resp:
            body = await resp.read()
            checks.check(resp.status == 200 and resp.content_type == "text/html",
                         "chat: aiohttp GET / -> 200 text/html", f"{resp.status} {resp.content_type}")
            checks.check(b"messageInput" in body and len(body) == resp.content_length,
                         "chat: the body is the chat page, Content-Length bytes",
                         f"{len(body)} bytes, Content-Length {resp.content_length}")

        a = await bounded(session.ws_connect(url, timeout=h.slow(10)))
        t = await bounded(websocket_connect(url, connect_timeout=h.slow(10)))
        w = await asyncio.to_thread(websocket.create_connection, url, timeout=h.slow(10))

        async def recv_a():
            m = await a.receive(timeout=h.slow(10))
            return m.data if m.type in (aiohttp.WSMsgType.TEXT, aiohttp.WSMsgType.BINARY) else None

        async def recv_t():
            return await bounded(t.read_message())

        def recv_w_sync():
            from websocket import ABNF
            opcode, data = w.recv_data()
            return data.decode("utf-8") if opcode == ABNF.OPCODE_TEXT else data if opcode == ABNF.OPCODE_BINARY else None

        async def recv_w():
            return await asyncio.to_thread(recv_w_sync)

        receivers = {"aiohttp": recv_a, "tornado": recv_t, "websocket-client": recv_w}
        sends = [
            ("aiohttp", lambda m: a.send_str(m), "from aiohttp: h\u00e9llo \U0001f600"),
            ("tornado", lambda m: t.write_message(m), "from tornado: \u4e2d\u6587 \u2014 ok"),
            ("websocket-client", lambda m: asyncio.to_thread(w.send, m), "from websocket-client: \u00fc\u00df"),
            ("websocket-client", lambda m: asyncio.to_thread(w.send_binary, m), bytes(range(256))),
        ]
        for sender, send, msg in sends:
            await send(msg)
            want = f"Server: {msg}" if isinstance(msg, str) else msg
            got = await asyncio.gather(*(r() for r in receivers.values()), return_exceptions=True)
            for name, value in zip(receivers, got):
                if isinstance(value, BaseException):
                    value = None
                checks.check(type(value) is type(want) and value == want,
                             f"chat: {'text' if isinstance(msg, str) else 'binary'} from {sender} reaches "
                             f"{name}{' as Server: <message>' if isinstance(msg, str) else ' unchanged'}",
                             f"want {describe(want)}, got {describe(value)}")

        closed = await bounded(a.close(code=1000))
        checks.check(closed and a.close_code == 1000, "chat: aiohttp closes 1000, 1000 back", f"{a.close_code}")
        t.close(1000)
        await bounded(t.read_message())
        checks.check(t.close_code == 1000, "chat: tornado closes 1000, 1000 back", f"{t.close_code}")

        def close_w():
            from websocket import ABNF
            w.send_close(1000)
            frame = w.recv_frame()
            w.shutdown()
            return frame.data[:2] if frame.opcode == ABNF.OPCODE_CLOSE else None
        got = await asyncio.to_thread(close_w)
        checks.check(got == struct.pack("!H", 1000), "chat: websocket-client closes 1000, 1000 back", repr(got))
    line = wait_stderr(server, r"disconnected: .*\(0 clients\)", h.slow(5))
    clean = [x for x in server.stderr_lines if "disconnected: close code 1000, clean" in x]
    checks.check(line is not None and len(clean) == 3,
                 "chat: chat_server logs all three gone, each with close 1000, clean", repr(line))
    checks.check(server.alive(), "chat_server still running")
    server.kill(dump=False)


# ------------------------------------------------ servers for chat_client

class LoopThread:
    """An asyncio loop in a thread, for the servers chat_client talks to."""

    def __init__(self):
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def run(self, coro, timeout=10):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def stop(self):
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)


class Record:
    """What a test server saw: messages, selected protocols, close codes."""

    def __init__(self):
        self.lock = threading.Lock()
        self.messages = []
        self.protocols = []
        self.closes = []

    def add(self, field, value):
        with self.lock:
            getattr(self, field).append(value)

    def wait(self, field, count, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(getattr(self, field)) >= count:
                    break
            time.sleep(0.05)
        with self.lock:
            return list(getattr(self, field))

    def clear(self):
        with self.lock:
            self.messages.clear()
            self.protocols.clear()
            self.closes.clear()


PROTOCOL = "superchat"


async def start_aiohttp(rec):
    """An aiohttp echo server; /badext answers an extension nobody offered."""
    from aiohttp import WSMsgType, web

    async def handler(request):
        ws = web.WebSocketResponse(protocols=(PROTOCOL,), max_msg_size=0)
        if request.path == "/badext":
            ws.headers["Sec-WebSocket-Extensions"] = "permessage-deflate"
        await ws.prepare(request)
        rec.add("protocols", ws.ws_protocol)
        async for msg in ws:
            if msg.type == WSMsgType.TEXT:
                rec.add("messages", msg.data)
                await ws.send_str(msg.data)
            elif msg.type == WSMsgType.BINARY:
                rec.add("messages", msg.data)
                await ws.send_bytes(msg.data)
        rec.add("closes", ws.close_code)
        return ws

    app = web.Application()
    app.router.add_get("/{tail:.*}", handler)
    runner = web.AppRunner(app, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, h.HOST, 0)
    await site.start()
    return site._server.sockets[0].getsockname()[1], runner.cleanup


async def start_tornado(rec):
    import tornado.httpserver
    import tornado.netutil
    import tornado.web
    import tornado.websocket

    class Echo(tornado.websocket.WebSocketHandler):
        def select_subprotocol(self, subprotocols):
            return PROTOCOL if PROTOCOL in subprotocols else None

        def open(self):
            rec.add("protocols", self.selected_subprotocol)

        async def on_message(self, message):
            rec.add("messages", message)
            await self.write_message(message, binary=isinstance(message, bytes))

        def on_close(self):
            rec.add("closes", self.close_code)

    app = tornado.web.Application([(r"/.*", Echo)], websocket_max_message_size=16 << 20)
    sockets = tornado.netutil.bind_sockets(0, h.HOST)
    server = tornado.httpserver.HTTPServer(app)
    server.add_sockets(sockets)

    async def stop():
        server.stop()
    return sockets[0].getsockname()[1], stop


async def start_autobahn(rec):
    from autobahn.asyncio.websocket import WebSocketServerFactory, WebSocketServerProtocol

    class Echo(WebSocketServerProtocol):
        def onConnect(self, request):
            chosen = PROTOCOL if PROTOCOL in request.protocols else None
            rec.add("protocols", chosen)
            return chosen

        def onMessage(self, payload, isBinary):
            rec.add("messages", payload if isBinary else payload.decode("utf-8"))
            self.sendMessage(payload, isBinary)

        def onClose(self, wasClean, code, reason):
            rec.add("closes", code if wasClean else ("unclean", code, self.wasNotCleanReason))

    factory = WebSocketServerFactory()
    factory.protocol = Echo
    factory.setProtocolOptions(autoPingInterval=0, openHandshakeTimeout=10, closeHandshakeTimeout=5)
    server = await asyncio.get_running_loop().create_server(factory, h.HOST, 0)

    async def stop():
        server.close()
    return server.sockets[0].getsockname()[1], stop


def part_client(checks, exe):
    loop = LoopThread()
    lines = h.client_lines(SEED + 1)
    try:
        for kind, start in (("aiohttp", start_aiohttp), ("tornado", start_tornado),
                            ("autobahn", start_autobahn)):
            rec = Record()
            port, stop = loop.run(start(rec))
            url = f"ws://{h.HOST}:{port}/echo"
            checks.info(f"{kind} echo server on port {port}")
            h.check_lines_echoed(checks, exe, kind, url, lines)
            got = rec.wait("messages", len(lines), h.slow(5))
            checks.check(got == lines, f"client/{kind}: the server received each line once, as text",
                         f"{len(got)} messages")
            closes = rec.wait("closes", 1, h.slow(5))
            checks.check(closes == [1000], f"client/{kind}: the server saw close 1000", repr(closes))
            checks.check(rec.protocols == [None], f"client/{kind}: no subprotocol offered, none selected",
                         repr(rec.protocols))

            rec.clear()
            code, out, err = h.run_chat_client(
                exe, f"chat_client -s -> {kind}",
                ["-s", "other", "-s", PROTOCOL, "-x", "with a subprotocol", "-w", "1", url])
            checks.check(code == 0 and out == ["with a subprotocol"],
                         f"client/{kind}: -s other -s {PROTOCOL}: the message comes back, exit 0",
                         f"exit {code}, stdout {out}, stderr {err[-5:]}")
            checks.check(any(line.endswith(f"subprotocol {PROTOCOL}") and "connected to" in line for line in err),
                         f"client/{kind}: chat_client reports subprotocol {PROTOCOL}", f"stderr {err[:3]}")
            checks.check(rec.protocols == [PROTOCOL], f"client/{kind}: the server selected {PROTOCOL}",
                         repr(rec.protocols))

            if kind == "aiohttp":
                rec.clear()
                code, out, err = h.run_chat_client(exe, "chat_client -> aiohttp /badext",
                                                   ["-x", "never sent", f"ws://{h.HOST}:{port}/badext"])
                checks.check(code == 2 and any("handshake failed" in line and "extension" in line for line in err),
                             "client/aiohttp: a 101 with an extension not offered fails the handshake, exit 2",
                             f"exit {code}, stderr {err[-3:]}")
                checks.check(rec.wait("messages", 1, 0.5) == [], "client/aiohttp: ... and nothing was sent",
                             repr(rec.messages))
            loop.run(stop())
    finally:
        loop.stop()


# ------------------------------------------------------------------- main

def main():
    echo_server, chat_server, chat_client = sys.argv[1:4]
    parts = sys.argv[4:] or ["echo", "chat", "client"]

    def body(checks):
        # A missing package is a failed check, not a skip: run.sh installs them.
        missing = []
        for module, package in (("aiohttp", "python3-aiohttp"), ("tornado", "python3-tornado"),
                                ("websocket", "python3-websocket"), ("wsproto", "python3-wsproto"),
                                ("autobahn.asyncio.websocket", "python3-autobahn")):
            try:
                importlib.import_module(module)
            except ImportError as exc:
                missing.append(module)
                checks.check(False, f"import {module} (Debian {package}; tests/run.sh installs it)", repr(exc))
        if missing:
            return
        h.run_parts(checks, parts, {
            "echo": lambda: part_echo(checks, echo_server),
            "chat": lambda: asyncio.run(part_chat(checks, chat_server)),
            "client": lambda: part_client(checks, chat_client),
        })

    h.run_main("our programs against aiohttp, tornado, websocket-client, wsproto, autobahn", body)


if __name__ == "__main__":
    main()
