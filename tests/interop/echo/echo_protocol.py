"""echo_server, byte by byte on a raw socket: RFC 6455 rules a library peer
would never break for us.

usage: echo_protocol.py ECHO_SERVER

Each case runs on a fresh connection and asserts the exact close code the RFC
asks for (section 5 and 7.4.1), that the server then closes the TCP
connection and logs the problem with that code (7.1.7), and that a
well-behaved client connected the whole time is still served at the end.
"""

import re
import socket
import sys
import time

import wsharness as h
from wsharness import OP_BINARY, OP_CLOSE, OP_CONT, OP_PING, OP_PONG, OP_TEXT, encode_frame, read_message


def expect_close(checks, server, what, frames, code, max_message=None, problem=None):
    """Send frames on a fresh connection; the server must answer with a close
    frame carrying code and then close the connection, and log why (7.1.7:
    it SHOULD log the problem): the close code and, when given, problem (the
    status name, e.g. UNMASKED_FRAME)."""
    client = h.RawClient(server.port, "/")
    if not checks.check(client.upgraded, f"{what}: handshake 101", repr(client.response)):
        return
    peer = "[%s:%d]" % client.sock.getsockname()[:2]
    try:
        client.send(b"".join(frames))
    except (BrokenPipeError, ConnectionResetError):
        pass
    close, skipped = client.reader.read_until_close(10)
    got = close.close_code() if close else None
    checks.check(close is not None and got == code, f"{what}: close frame with {code}",
                 f"got {got if close else 'no close frame (' + str(client.reader.end) + ')'}"
                 f", {skipped} other frames before it")
    if close is not None:
        checks.check(not close.masked, f"{what}: server's close frame is unmasked")
        checks.check(client.reader.wait_closed(10), f"{what}: server closes the TCP connection after its close frame")
    client.close()
    # The log reaches us through a pipe and a reader thread: wait for the
    # connection's last line, "disconnected", written after the one checked.
    pattern = re.compile(re.escape(peer) + r" protocol error: \S.* \((%s)\); closing with %d$"
                         % (re.escape(problem) if problem else "[A-Z0-9_]+", code))
    deadline = time.monotonic() + h.slow(5)
    while (time.monotonic() < deadline
           and not any(f"{peer} disconnected" in line for line in list(server.stderr_lines))):
        time.sleep(0.02)
    checks.check(any(pattern.search(line) for line in list(server.stderr_lines)),
                 f"{what}: the server logs the problem and the close code "
                 f"('protocol error: <sentence> ({problem or 'NAME'}); closing with {code}')",
                 "\n".join(l for l in list(server.stderr_lines) if peer in l))


def cases(checks, server):
    bystander = h.RawClient(server.port, "/bystander")
    checks.check(bystander.upgraded, "bystander client connected (stays for all cases)")

    # --- things that must work
    c = h.RawClient(server.port, "/some/path?query=1")
    checks.check(c.upgraded, "handshake on an arbitrary path and query: 101 with the right Sec-WebSocket-Accept",
                 repr(c.response))
    c.send_frame(OP_TEXT, "h\u00e9llo \u4e16\u754c \U0001f600")
    op, payload, _ = read_message(c.reader)
    checks.check(op == OP_TEXT and payload == "h\u00e9llo \u4e16\u754c \U0001f600".encode(),
                 "single text frame echoed as text, byte-exact", f"op={op} payload={payload!r}")

    # A 3-byte character split across fragments is valid UTF-8 as a message;
    # a ping between the fragments is answered in the middle.
    euro = "\u20ac".encode()
    c.send(encode_frame(OP_TEXT, b"ab" + euro[:1], fin=False)
           + encode_frame(OP_PING, b"mid")
           + encode_frame(OP_CONT, euro[1:2], fin=False)
           + encode_frame(OP_CONT, euro[2:] + b"cd", fin=True))
    op, payload, controls = read_message(c.reader)
    checks.check(op == OP_TEXT and payload == b"ab" + euro + b"cd",
                 "fragmented text (a code point split across 3 fragments, ping in between) echoed whole",
                 f"op={op} payload={payload!r}")
    checks.check(any(f.opcode == OP_PONG and f.payload == b"mid" for f in controls),
                 "ping between fragments answered with its payload",
                 f"controls={controls}")

    c.send_frame(OP_BINARY, bytes(range(256)) * 300)
    op, payload, _ = read_message(c.reader)
    checks.check(op == OP_BINARY and payload == bytes(range(256)) * 300,
                 "76800-byte binary frame (64-bit length field) echoed byte-exact",
                 f"op={op} len={len(payload) if payload else None}")

    for size in (0, 125):
        c.send_frame(OP_PING, bytes([0x5A]) * size)
        frame = c.reader.read(10)
        checks.check(frame is not None and frame.opcode == OP_PONG and frame.payload == bytes([0x5A]) * size,
                     f"ping with {size}-byte payload -> pong with the same payload", repr(frame))

    # An unsolicited pong is allowed and ignored (RFC 6455 5.5.3).
    c.send_frame(OP_PONG, b"unsolicited")
    c.send_frame(OP_TEXT, b"after-pong")
    op, payload, _ = read_message(c.reader)
    checks.check(op == OP_TEXT and payload == b"after-pong", "unsolicited pong ignored, connection goes on",
                 f"op={op} payload={payload!r}")

    c.send_frame(OP_CLOSE, h.close_payload(1000, b"bye"))
    close, _ = c.reader.read_until_close(10)
    checks.check(close is not None and close.payload == h.close_payload(1000, b"bye"),
                 "close 1000 'bye' -> close frame 1000 'bye' back (the reason echoed, as ws and "
                 "websockets answer)", repr(close))
    # RFC 6455 7.1.1: the server closes the TCP connection first, right away.
    checks.check(c.reader.wait_closed(2), "server closes TCP within 2 s of the close handshake")
    c.close()

    c = h.RawClient(server.port)
    c.send_frame(OP_CLOSE, b"")
    close, _ = c.reader.read_until_close(10)
    checks.check(close is not None and close.close_code() in (None, 1000),
                 "empty close -> close frame back (empty or 1000)", repr(close))
    c.close()

    # echo_server --help: "close frames [are answered] with the same code".
    for code in (1001, 1003, 1011, 3000, 4999):
        c = h.RawClient(server.port)
        reason = f"reason \U0001f600 {code}".encode()
        c.send_frame(OP_CLOSE, h.close_payload(code, reason))
        close, _ = c.reader.read_until_close(10)
        checks.check(close is not None and close.payload == h.close_payload(code, reason),
                     f"close {code} -> close frame back with {code} and the same reason", repr(close))
        c.close()

    # --- protocol errors: 1002
    expect_close(checks, server, "unmasked client frame", [encode_frame(OP_TEXT, b"x", mask=False)], 1002,
                 problem="UNMASKED_FRAME")
    expect_close(checks, server, "RSV1 set without an extension", [encode_frame(OP_TEXT, b"x", rsv=4)], 1002)
    expect_close(checks, server, "RSV3 set on a ping", [encode_frame(OP_PING, b"x", rsv=1)], 1002)
    expect_close(checks, server, "reserved data opcode 0x3", [encode_frame(0x3, b"x")], 1002)
    expect_close(checks, server, "reserved control opcode 0xB", [encode_frame(0xB, b"x")], 1002)
    expect_close(checks, server, "ping with 126-byte payload", [encode_frame(OP_PING, b"p" * 126)], 1002)
    expect_close(checks, server, "fragmented ping", [encode_frame(OP_PING, b"p", fin=False)], 1002)
    expect_close(checks, server, "continuation with no message started", [encode_frame(OP_CONT, b"x")], 1002)
    expect_close(checks, server, "new text frame inside a fragmented message",
                 [encode_frame(OP_TEXT, b"a", fin=False), encode_frame(OP_TEXT, b"b")], 1002)
    expect_close(checks, server, "close with a 1-byte payload", [encode_frame(OP_CLOSE, b"\x03")], 1002)
    for code in (999, 1004, 1005, 1006, 1015, 1016, 2999, 5000):
        expect_close(checks, server, f"close with code {code} (not valid on the wire)",
                     [encode_frame(OP_CLOSE, h.close_payload(code))], 1002)
    expect_close(checks, server, "64-bit length with the most significant bit set",
                 [encode_frame(OP_BINARY, b"", length=1 << 63)], 1002)

    # --- invalid UTF-8: 1007, as soon as the bytes are seen
    expect_close(checks, server, "text frame with invalid UTF-8 (overlong 0xC0 0xAF)",
                 [encode_frame(OP_TEXT, b"ok \xc0\xaf")], 1007, problem="INVALID_UTF8")
    expect_close(checks, server, "text frame with a UTF-16 surrogate (0xED 0xA0 0x80)",
                 [encode_frame(OP_TEXT, b"\xed\xa0\x80")], 1007)
    expect_close(checks, server, "text frame with a code point above U+10FFFF",
                 [encode_frame(OP_TEXT, b"\xf4\x90\x80\x80")], 1007)
    expect_close(checks, server, "text ending in a truncated sequence",
                 [encode_frame(OP_TEXT, b"abc\xe2\x82")], 1007)
    expect_close(checks, server, "fail fast: first fragment (FIN=0) holds invalid UTF-8, rest never sent",
                 [encode_frame(OP_TEXT, b"abc\xff", fin=False)], 1007)
    expect_close(checks, server, "close reason with invalid UTF-8",
                 [encode_frame(OP_CLOSE, h.close_payload(1000, b"\xff"))], 1007)

    # --- what the bystander saw: nothing, and it is still served
    bystander.send_frame(OP_TEXT, b"still here")
    op, payload, _ = read_message(bystander.reader)
    checks.check(op == OP_TEXT and payload == b"still here",
                 "bystander still echoed after all the broken connections", f"op={op} payload={payload!r}")
    bystander.close()


def fail_is_final(checks, server):
    """RFC 6455 7.1.7: after failing the connection the server processes
    nothing more from the client: a ping, a text and a close glued behind
    the bad frame get no pong, no echo and no second close. Nor does it wait
    for a close in reply (the 5 s it gives a peer to answer a close of its
    own): TCP closes right after its close frame."""
    c = h.RawClient(server.port)
    c.send(encode_frame(OP_TEXT, b"bad \xff") + encode_frame(OP_PING, b"after")
           + encode_frame(OP_TEXT, b"after") + encode_frame(OP_CLOSE, h.close_payload(1000)))
    frames = c.reader.frames_until_close(10)
    checks.check([f.opcode for f in frames] == [OP_CLOSE] and frames[0].close_code() == 1007,
                 "fail: bad UTF-8 then ping, text and close in one write -> only close 1007 comes back",
                 str(frames))
    start = time.monotonic()
    closed = c.reader.wait_closed(h.slow(2.5))
    checks.check(closed, "fail: the server closes TCP without waiting for a close in reply",
                 f"{c.reader.end} after {time.monotonic() - start:.2f} s")
    c.close()


def stream_cases(checks, server):
    """How the bytes arrive must not matter: pipelined with the handshake, a
    byte at a time, many frames in one write, a message then a close."""
    import socket
    # The request and a first frame in one write, before the 101 is read.
    request, key = h.upgrade_request(server.port)
    sock = h.connect(server.port)
    sock.sendall(request + encode_frame(OP_TEXT, b"pipelined"))
    r = h.read_http_response(sock)
    reader = h.FrameReader(sock)
    reader.buf = bytearray(r.leftover if r else b"")
    op, payload, _ = read_message(reader)
    checks.check(r is not None and r.status == 101 and payload == b"pipelined",
                 "a frame sent in the same write as the request is echoed after the 101",
                 f"{r!r} payload={payload!r}")
    sock.close()

    # The request and a frame, one byte per write.
    sock = h.connect(server.port)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    data = request + encode_frame(OP_TEXT, "by\u00f6te".encode())
    for i in range(len(data)):
        sock.send(data[i:i + 1])
        if i % 16 == 0:
            time.sleep(0.002)
    r = h.read_http_response(sock)
    reader = h.FrameReader(sock)
    reader.buf = bytearray(r.leftover if r else b"")
    op, payload, _ = read_message(reader)
    checks.check(r is not None and r.status == 101 and payload == "by\u00f6te".encode(),
                 f"request and frame sent one byte per write ({len(data)} writes): 101, then the echo",
                 f"{r!r} payload={payload!r}")
    sock.close()

    # A thousand small frames in one write come back in order.
    c = h.RawClient(server.port)
    c.send(b"".join(encode_frame(OP_TEXT, f"m{i}") for i in range(1000)))
    got = []
    for _ in range(1000):
        op, payload, _ = read_message(c.reader)
        if payload is None:
            break
        got.append(payload)
    checks.check(got == [f"m{i}".encode() for i in range(1000)],
                 "1000 frames in one write: 1000 echoes, in order", f"{len(got)} echoes")

    # A message and a close in one write: the echo comes first, then the
    # close; nothing the peer sent before its close is dropped.
    c.send(encode_frame(OP_TEXT, b"last words") + encode_frame(OP_CLOSE, h.close_payload(1000)))
    frames = c.reader.frames_until_close(10)
    checks.check([f.opcode for f in frames] == [OP_TEXT, OP_CLOSE] and frames[0].payload == b"last words",
                 "text then close in one write -> the echo, then the close", str(frames))
    c.close()

    # Data after a close frame is ignored (RFC 6455 5.5.1).
    c = h.RawClient(server.port)
    c.send(encode_frame(OP_CLOSE, h.close_payload(1000)) + encode_frame(OP_TEXT, b"after close"))
    frames = []
    while True:
        frame = c.reader.read(5)
        if frame is None:
            break
        frames.append(frame)
    checks.check([f.opcode for f in frames] == [OP_CLOSE],
                 "a text frame after the client's close is not echoed: only the close comes back", str(frames))
    c.close()


def raw_handshake(port, request):
    sock = h.connect(port)
    try:
        sock.sendall(request)
        return h.read_http_response(sock, timeout=10)
    finally:
        sock.close()


def handshakes(checks, server):
    """RFC 6455 section 4.2 from the server's side, request by request."""
    port = server.port
    key = h.new_key()
    base = {
        "Host": f"{h.HOST}:{port}",
        "Upgrade": "websocket",
        "Connection": "Upgrade",
        "Sec-WebSocket-Key": key,
        "Sec-WebSocket-Version": "13",
    }

    def request(method="GET", path="/", version="HTTP/1.1", drop=(), **changes):
        headers = {k: v for k, v in base.items() if k not in drop}
        headers.update({k.replace("_", "-"): v for k, v in changes.items()})
        lines = [f"{method} {path} {version}"] + [f"{k}: {v}" for k, v in headers.items()]
        return ("\r\n".join(lines) + "\r\n\r\n").encode()

    def accepted(r):
        return (r is not None and r.status == 101
                and r.headers.get("sec-websocket-accept") == h.accept_for(key))

    r = raw_handshake(port, request(Connection="keep-alive, Upgrade", Upgrade="WebSocket"))
    checks.check(accepted(r), "Connection: keep-alive, Upgrade and Upgrade: WebSocket (Firefox style) -> 101",
                 repr(r))
    r = raw_handshake(port, request(Sec_WebSocket_Protocol="chat, superchat"))
    checks.check(accepted(r) and r.headers.get("sec-websocket-protocol") == "chat",
                 "subprotocols offered, no --protocol -> 101 names the client's first (as Node's ws server does)",
                 repr(r))
    r = raw_handshake(port, request(Sec_WebSocket_Extensions="permessage-deflate; client_max_window_bits, x-webkit-deflate-frame"))
    checks.check(accepted(r) and "sec-websocket-extensions" not in r.headers,
                 "extensions offered -> 101 without Sec-WebSocket-Extensions", repr(r))
    # RFC 6455 section 9.1: an offer that does not match the ABNF fails the
    # connection at once, here before the upgrade: a parameter without a
    # name, a quoted value that is not a token once unescaped, no name.
    for bad in ("permessage-deflate;", 'x; a="b c"', "; a=1"):
        r = raw_handshake(port, request(Sec_WebSocket_Extensions=bad))
        checks.check(r is not None and r.status == 400,
                     f"Sec-WebSocket-Extensions: {bad} -> 400", repr(r))
    r = raw_handshake(port, request(Sec_WebSocket_Version="8"))
    checks.check(r is not None and r.status == 426 and r.headers.get("sec-websocket-version", "").strip() == "13",
                 "Sec-WebSocket-Version: 8 -> 426 with Sec-WebSocket-Version: 13 (RFC 6455 4.4)", repr(r))
    r = raw_handshake(port, request(drop=("Sec-WebSocket-Key",)))
    checks.check(r is not None and r.status == 400, "no Sec-WebSocket-Key -> 400", repr(r))
    # RFC 6455 7.2.2: a refused opening handshake is aborted, i.e. the
    # server itself closes the TCP connection after its answer.
    for req, what in ((request(Sec_WebSocket_Version="8"), "version 8"),
                      (request(drop=("Sec-WebSocket-Key",)), "no key")):
        data, closed = h.exchange_until_close(port, req, timeout=h.slow(5))
        checks.check(closed and data.startswith(b"HTTP/1.1 4"),
                     f"refused upgrade ({what}): a 4xx, then the server closes TCP", repr(data[:60]))
    import base64
    short_key = base64.b64encode(b"fifteen bytes!!").decode()
    r = raw_handshake(port, request(Sec_WebSocket_Key=short_key))
    checks.check(r is not None and r.status == 400, "Sec-WebSocket-Key of 15 bytes -> 400", repr(r))
    # RFC 6455 section 4.1's own example key sets the two bits after its 16
    # bytes; Python websockets and Node ws take it, and so must we.
    rfc_key = "AQIDBAUGBwgJCgsMDQ4PEC=="
    r = raw_handshake(port, request(Sec_WebSocket_Key=rfc_key))
    checks.check(r is not None and r.status == 101
                 and r.headers.get("sec-websocket-accept") == h.accept_for(rfc_key),
                 f"the key of RFC 6455 4.1's example ({rfc_key}) -> 101 with its accept", repr(r))
    r = raw_handshake(port, request(drop=("Host",)))
    checks.check(r is not None and r.status == 400, "no Host header -> 400", repr(r))
    # RFC 9112 section 6: the protocol switches after the whole request, so
    # frames would start inside a body nothing reads (until 8 Dec 2026 the
    # body was taken for a frame and the connection failed with 1002).
    for extra, body, what in (({"Content_Length": "5"}, b"hello", "Content-Length: 5"),
                              ({"Transfer_Encoding": "chunked"}, b"0\r\n\r\n", "Transfer-Encoding: chunked")):
        r = raw_handshake(port, request(**extra) + body)
        checks.check(r is not None and r.status == 400, f"an upgrade request with a body ({what}) -> 400",
                     repr(r))
    r = raw_handshake(port, request(Content_Length="0"))
    checks.check(accepted(r), "Content-Length: 0 -> 101", repr(r))
    # RFC 9110 section 7.8: Upgrade with "Expect: 100-continue" gets a 100
    # before the 101; the frames follow the 101.
    sock = h.connect(port)
    data = b""
    try:
        sock.sendall(request(Expect="100-continue"))
        deadline = time.monotonic() + h.slow(10)
        while data.count(b"\r\n\r\n") < 2 and time.monotonic() < deadline:
            sock.settimeout(max(0.01, deadline - time.monotonic()))
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    except (OSError, socket.timeout):
        pass
    finally:
        sock.close()
    interim, _, final = data.partition(b"\r\n\r\n")
    checks.check(interim.startswith(b"HTTP/1.1 100 ") and final.startswith(b"HTTP/1.1 101 ")
                 and f"Sec-WebSocket-Accept: {h.accept_for(key)}".encode() in final,
                 "Expect: 100-continue -> 100 Continue, then 101", repr(data[:200]))
    # RFC 6455 section 3: a WebSocket URI has no fragment; '#' as data is %23.
    r = raw_handshake(port, request(path="/chat#top"))
    checks.check(r is not None and r.status == 400, "request target with a fragment (#) -> 400", repr(r))
    r = raw_handshake(port, request(path="/chat%23top"))
    checks.check(accepted(r), "request target with %23 -> 101", repr(r))
    r = raw_handshake(port, request(method="POST"))
    checks.check(r is not None and 400 <= r.status < 500 and r.status != 426,
                 "POST with upgrade headers -> a 4xx refusal", repr(r))
    r = raw_handshake(port, request(version="HTTP/1.0"))
    checks.check(r is not None and 400 <= r.status < 500 or r is not None and r.status == 505,
                 "HTTP/1.0 upgrade request -> refused (4xx or 505)", repr(r))
    r = raw_handshake(port, request(X_Big="b" * 9000))
    checks.check(r is not None and r.status == 431, "request head over 8 KiB -> 431", repr(r))
    # RFC 9110 section 9.3.2: the answer to HEAD has no content (echo_server
    # serves no page, so it refuses HEAD, with or without the upgrade's
    # headers, but still with a head only; chat_server answers its page's).
    plain_head = f"HEAD / HTTP/1.1\r\nHost: {h.HOST}:{port}\r\n\r\n".encode()
    for req, what in ((request(method="HEAD"), "HEAD with the upgrade's headers"),
                      (plain_head, "HEAD without them")):
        data, _ = h.exchange_until_close(port, req)
        head, blank, rest = data.partition(b"\r\n\r\n")
        checks.check(head.startswith(b"HTTP/1.1 ") and b" 101 " not in head[:13] and blank and rest == b"",
                     f"{what} -> an HTTP answer, not an upgrade, with no content after its head",
                     repr(data[:300]))
    checks.check(server.alive(), "server alive after the handshake cases")


def close_after_big(checks, server):
    """A client that sends a big message and its close frame at once, then
    reads steadily but slowly, gets the whole echo and then the close reply
    (RFC 6455 section 5.5.1: the server sends what it has before its close
    frame), though that takes longer than echo_server's 2 s bound for a
    peer that stopped reading; a peer that does stop reading is still
    dropped."""
    # More than the kernel buffers on both sides hold (4 MiB at most by
    # default), so that most of it waits in the server's own queue.
    size, rate = 14 * 1024 * 1024, 3 * 1024 * 1024
    msg = bytes(range(256)) * (size // 256)
    c = h.RawClient(server.port, rcvbuf=64 * 1024)
    c.send(encode_frame(OP_BINARY, msg) + encode_frame(OP_CLOSE, h.close_payload(1000, b"done")))
    got, end = bytearray(), "eof"
    c.sock.settimeout(h.slow(10))
    start = time.monotonic()
    while True:
        try:
            chunk = c.sock.recv(16384)
        except ConnectionResetError:
            end = "reset"
            break
        except TimeoutError:
            end = "timeout"
            break
        if not chunk:
            break
        got += chunk
        time.sleep(len(chunk) / rate)
    took = time.monotonic() - start
    echo_header = 10  # 127 and a 64-bit length
    checks.check(bytes(got[echo_header:echo_header + size]) == msg,
                 f"closing right after a {size}-byte message, read at {rate} B/s: the whole echo arrives",
                 f"{len(got)} bytes in {took:.1f} s, ended by {end}")
    checks.check(bytes(got[echo_header + size:echo_header + size + 8]) == b"\x88\x06\x03\xe8done" and end == "eof",
                 "... then the close reply 1000 \"done\" (the reason echoed), then TCP close", repr(bytes(got[echo_header + size:][:16])) + end)
    checks.check(took > 2.5, "... which took longer than the 2 s bound for a stalled peer",
                 f"{took:.1f} s")
    c.close()

    c = h.RawClient(server.port, rcvbuf=64 * 1024)
    peer = "[%s:%d]" % c.sock.getsockname()[:2]
    c.send(encode_frame(OP_BINARY, msg) + encode_frame(OP_CLOSE, h.close_payload(1000)))
    deadline = time.monotonic() + h.slow(10)
    dropped = False
    while not dropped and time.monotonic() < deadline:
        time.sleep(0.2)
        dropped = any(peer in line and "could not send the last bytes in time" in line
                      for line in list(server.stderr_lines))
    checks.check(dropped, "a peer that closes and then reads nothing is dropped (2 s after its last read)")
    c.close()


def log_injection(checks, server):
    """A close reason is any UTF-8 the peer likes; in echo_server's log (one
    line per event) it must neither forge a line nor reach a terminal as an
    escape sequence."""
    forged = "2099-01-01T00:00:00.000Z [10.9.8.7:4444] connected: WebSocket /admin"
    reason = ("x\n" + forged + "\x1b[2J\u009b").encode()
    c = h.RawClient(server.port)
    c.send_frame(OP_CLOSE, h.close_payload(1000, reason))
    close, _ = c.reader.read_until_close(10)
    c.close()
    checks.check(close is not None and close.close_code() == 1000,
                 "close with newline and escape characters in its reason is answered 1000", repr(close))
    deadline = time.monotonic() + h.slow(5)
    logged = []
    while not logged and time.monotonic() < deadline:
        time.sleep(0.1)
        logged = [line for line in list(server.stderr_lines) if "10.9.8.7" in line]
    checks.check(len(logged) == 1 and not logged[0].startswith("2099")
                 and "\\x0a2099" in logged[0] and "\\x1b[2J" in logged[0] and "\\xc2\\x9b" in logged[0]
                 and "\x1b" not in logged[0],
                 "the reason is logged on its own line with its control characters as \\xHH", repr(logged))


def default_limit(checks, server):
    """echo_server --help: default --max-message 16777216."""
    big = bytes(range(256)) * (16 * 1024 * 1024 // 256)
    c = h.RawClient(server.port)
    c.send_frame(OP_BINARY, big)
    op, payload, _ = read_message(c.reader, timeout=30)
    checks.check(op == OP_BINARY and payload == big, "default limit: a 16 MiB message is echoed whole",
                 f"op={op} len={len(payload) if payload else None}")
    c.close()
    expect_close(checks, server, "default limit: 16 MiB + 1 byte", [encode_frame(OP_BINARY, b"", length=len(big) + 1)],
                 1009)


def limits(checks, binary):
    server = h.Server(binary, "--max-message", "1024", name="echo_server(max 1024)")
    c = h.RawClient(server.port)
    c.send_frame(OP_BINARY, b"x" * 1024)
    op, payload, _ = read_message(c.reader)
    checks.check(op == OP_BINARY and payload == b"x" * 1024,
                 "--max-message 1024: a 1024-byte message is echoed", f"op={op}")
    c.send_frame(OP_TEXT, b"y" * 600, fin=False)
    c.send_frame(OP_CONT, b"y" * 424, fin=True)
    op, payload, _ = read_message(c.reader)
    checks.check(op == OP_TEXT and payload == b"y" * 1024,
                 "--max-message 1024: 1024 bytes in two fragments is echoed", f"op={op}")
    c.close()
    expect_close(checks, server, "--max-message 1024: a 1025-byte frame",
                 [encode_frame(OP_BINARY, b"z" * 1025)], 1009)
    expect_close(checks, server, "--max-message 1024: 1025 bytes across fragments",
                 [encode_frame(OP_TEXT, b"z" * 1000, fin=False), encode_frame(OP_CONT, b"z" * 25)], 1009)
    # Top bit clear: a legal length, only too big for our limits (RFC 6455
    # 7.4.1: 1009 is for a message too big to process).
    expect_close(checks, server, "--max-message 1024: header announcing 2^63-1 bytes",
                 [encode_frame(OP_BINARY, b"", length=(1 << 63) - 1)], 1009)
    server.kill()


def shutdown(checks, binary):
    """echo_server --help promises: SIGINT or SIGTERM closes every client with
    1001 and exits 0."""
    import signal
    for sig, name in ((signal.SIGTERM, "SIGTERM"), (signal.SIGINT, "SIGINT")):
        server = h.Server(binary, name=f"echo_server({name})")
        clients = [h.RawClient(server.port) for _ in range(3)]
        clients[0].send_frame(OP_TEXT, b"before")
        op, payload, _ = read_message(clients[0].reader)
        checks.check(payload == b"before", f"{name}: clients served before the signal")
        server.signal(sig)
        for i, c in enumerate(clients):
            close, _ = c.reader.read_until_close(10)
            checks.check(close is not None and close.close_code() == 1001,
                         f"{name}: client {i} gets close 1001", repr(close) if close else c.reader.end)
            if i < 2 and close is not None:  # the last one never answers
                c.send_frame(OP_CLOSE, h.close_payload(1001))
                checks.check(c.reader.wait_closed(2),
                             f"{name}: client {i} answered; its TCP connection closes within 2 s")
        code = server.wait(15)
        checks.check(code == 0, f"{name}: echo_server exits with status 0", f"exit {code}")
        for c in clients:
            c.close()
        server.kill()


def main():
    binary = sys.argv[1]

    def body(checks):
        server = h.Server(binary)
        cases(checks, server)
        handshakes(checks, server)
        stream_cases(checks, server)
        fail_is_final(checks, server)
        close_after_big(checks, server)
        log_injection(checks, server)
        default_limit(checks, server)
        checks.check(server.alive(), "echo_server still running after every case")
        server.kill()
        limits(checks, binary)
        shutdown(checks, binary)

    h.run_main("echo protocol (raw socket)", body)


if __name__ == "__main__":
    main()
