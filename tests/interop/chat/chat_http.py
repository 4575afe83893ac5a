"""chat_server's HTTP side and its options (issue 5).

usage: chat_http.py CHAT_SERVER

- GET / -> 200 text/html with the page (messageInput, messages), its CSP and
  the --max-message it is told; GET and HEAD /chat.js and /chat.css with
  their types; GET /nope -> 404; POST / -> 405 with Allow.
- protocol errors fail the one connection with 1002/1007; fragments are
  reassembled; the rest of the room is not disturbed.
- --max-clients 3: the 4th upgrade gets 503 before any upgrade; a freed slot
  can be taken again.
- --origin (twice): a listed Origin gets 101, another one 403.
- --max-message 1000: 1000 bytes are broadcast, 1001 bytes get close 1009 and
  the other client keeps being served.
- --ping-interval 1: an idle client is pinged.
"""

import sys
import time

import wsharness as h
from echo_protocol import expect_close, handshakes
from wsharness import OP_CONT, encode_frame
from wsharness import OP_CLOSE, OP_PING, OP_PONG, OP_TEXT


def http_pages(checks, binary):
    server = h.Server(binary)
    r = h.http_request(server.port, "GET", "/")
    checks.check(r is not None and r.status == 200, "GET / -> 200", repr(r))
    if r is not None:
        ctype = r.headers.get("content-type", "")
        checks.check(ctype.startswith("text/html"), "GET / is text/html", ctype)
        page = r.body.decode("utf-8", "replace")
        checks.check('id="messageInput"' in page or "id='messageInput'" in page or "id=messageInput" in page,
                     "page has an element with id messageInput")
        checks.check('id="messages"' in page or "id='messages'" in page or "id=messages" in page,
                     "page has an element with id messages")
        checks.check('src="chat.js"' in page and 'href="chat.css"' in page,
                     "page loads chat.js and chat.css by relative URLs")
        checks.check('data-max-message="65536"' in page, "page carries the default --max-message")
        csp = r.headers.get("content-security-policy", "")
        checks.check("default-src 'none'" in csp and "script-src 'self'" in csp
                     and "frame-ancestors 'none'" in csp
                     and r.headers.get("referrer-policy") == "no-referrer"
                     and r.headers.get("x-frame-options") == "DENY",
                     "page has its CSP, Referrer-Policy and X-Frame-Options", repr(r.headers))
    for path, ctype, word in (("/chat.js", "text/javascript; charset=utf-8", "WebSocket"),
                              ("/chat.css", "text/css; charset=utf-8", "#messages")):
        r = h.http_request(server.port, "GET", path)
        checks.check(r is not None and r.status == 200 and r.headers.get("content-type") == ctype
                     and word in r.body.decode("utf-8", "replace")
                     and r.headers.get("x-content-type-options") == "nosniff",
                     f"GET {path} -> 200 {ctype}, nosniff", repr(r))
        length = len(r.body) if r else -1
        data, _ = h.exchange_until_close(
            server.port, f"HEAD {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
        status, headers, rest = h.split_response(data)
        checks.check(status == 200 and headers.get("content-type") == ctype
                     and headers.get("content-length") == str(length) and rest == b"",
                     f"HEAD {path} -> GET's head without the body", f"{status} {headers} {len(rest)}")
        cl = r.headers.get("content-length")
        checks.check(cl is None or int(cl) == len(r.body), "Content-Length matches the body", f"{cl} vs {len(r.body)}")

    r = h.http_request(server.port, "GET", "/nope")
    checks.check(r is not None and r.status == 404, "GET /nope -> 404", repr(r))
    r = h.http_request(server.port, "POST", "/", body=b"x=1")
    checks.check(r is not None and r.status == 405, "POST / -> 405", repr(r))
    checks.check(r is not None and "GET" in r.headers.get("allow", ""),
                 "405 response has an Allow header listing GET (RFC 9110 15.5.6)", repr(r))

    c = h.RawClient(server.port, "/")
    checks.check(c.upgraded, "upgrade on / -> 101 with the right Sec-WebSocket-Accept", repr(c.response))
    c.close()
    # The same RFC 6455 4.2 request cases echo_server gets.
    handshakes(checks, server)
    checks.check(server.alive(), "server alive after the HTTP requests")
    server.kill()


def protocol_errors(checks, binary):
    """The chat room fails broken peers with the RFC's close codes, and the
    rest of the room does not notice."""
    server = h.Server(binary, name="chat_server(protocol)")
    watcher = h.GoodClient(server.port, chat=True)
    expect_close(checks, server, "chat: unmasked client frame", [encode_frame(OP_TEXT, b"x", mask=False)], 1002,
                 problem="UNMASKED_FRAME")
    expect_close(checks, server, "chat: reserved opcode 0x3", [encode_frame(0x3, b"x")], 1002)
    expect_close(checks, server, "chat: RSV1 without an extension", [encode_frame(OP_TEXT, b"x", rsv=4)], 1002)
    expect_close(checks, server, "chat: text with invalid UTF-8", [encode_frame(OP_TEXT, b"bad \xc3\x28")], 1007,
                 problem="INVALID_UTF8")
    expect_close(checks, server, "chat: first fragment with invalid UTF-8, rest never sent",
                 [encode_frame(OP_TEXT, b"abc\xff", fin=False)], 1007)
    expect_close(checks, server, "chat: continuation with no message started", [encode_frame(OP_CONT, b"x")], 1002)
    expect_close(checks, server, "chat: close code 1005 on the wire", [encode_frame(OP_CLOSE, h.close_payload(1005))],
                 1002)
    c = h.RawClient(server.port)
    c.send(encode_frame(OP_TEXT, "fr\u00e4g".encode()[:3], fin=False) + encode_frame(OP_CONT, "fr\u00e4g".encode()[3:]))
    frame = c.reader.read(10)
    checks.check(frame is not None and frame.opcode == OP_TEXT and frame.payload == "Server: fr\u00e4g".encode(),
                 "chat: a text message in two fragments (a code point split between them) is broadcast whole",
                 repr(frame))
    c.send_frame(OP_CLOSE, h.close_payload(1000))
    close, _ = c.reader.read_until_close(10)
    checks.check(close is not None and close.close_code() == 1000, "chat: close 1000 -> close 1000 back", repr(close))
    c.close()
    # The request and a first message in one write; then a message and a
    # close in one write: both messages reach the room, the close comes last.
    request, _ = h.upgrade_request(server.port)
    sock = h.connect(server.port)
    sock.sendall(request + encode_frame(OP_TEXT, b"pipelined hello"))
    r = h.read_http_response(sock)
    reader = h.FrameReader(sock)
    reader.buf = bytearray(r.leftover if r else b"")
    frame = reader.read(10)
    checks.check(r is not None and r.status == 101 and frame is not None
                 and frame.payload == b"Server: pipelined hello",
                 "chat: a message in the same write as the request is broadcast after the 101", f"{r!r} {frame!r}")
    sock.sendall(encode_frame(OP_TEXT, b"last words") + encode_frame(OP_CLOSE, h.close_payload(1000)))
    frames = []
    while True:
        frame = reader.read(10)
        if frame is None:
            break
        frames.append(frame)
        if frame.opcode == OP_CLOSE:
            break
    checks.check([f.opcode for f in frames] == [OP_TEXT, OP_CLOSE] and frames[0].payload == b"Server: last words",
                 "chat: text then close in one write -> the broadcast reaches the sender, then the close",
                 str(frames))
    sock.close()
    seen = []
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and b"Server: last words" not in seen:
        frame = watcher.reader.read(max(0.0, deadline - time.monotonic()))
        if frame is None:
            break
        seen.append(frame.payload)
    checks.check(b"Server: pipelined hello" in seen and b"Server: last words" in seen,
                 "chat: the other client got both messages, the last one sent just before a close", str(seen))
    checks.check(watcher.roundtrip("unbothered"), "chat: the rest of the room is still served")
    server.kill()


def max_clients(checks, binary):
    server = h.Server(binary, "--max-clients", "3", name="chat_server(max 3)")
    clients = [h.RawClient(server.port) for _ in range(3)]
    checks.check(all(c.upgraded for c in clients), "--max-clients 3: three clients get 101",
                 str([c.response for c in clients]))
    fourth = h.RawClient(server.port)
    checks.check(fourth.response is not None and fourth.response.status == 503,
                 "--max-clients 3: the 4th gets HTTP 503", repr(fourth.response))
    fourth.close()
    # A client that leaves frees its slot.
    clients[0].send_frame(OP_CLOSE, h.close_payload(1000))
    clients[0].reader.read_until_close(5)
    clients[0].close()
    ok = False
    deadline = time.monotonic() + 5
    while not ok and time.monotonic() < deadline:
        again = h.RawClient(server.port)
        ok = again.upgraded
        if not ok:
            again.close()
            time.sleep(0.1)
    checks.check(ok, "--max-clients 3: after one leaves, a new client gets 101")
    server.kill()


def origins(checks, binary):
    good, other = "http://good.example", "https://also-good.example:8443"
    server = h.Server(binary, "--origin", good, "--origin", other, name="chat_server(origins)")
    for origin in (good, other):
        c = h.RawClient(server.port, headers={"Origin": origin})
        checks.check(c.upgraded, f"--origin: allowed Origin {origin} -> 101", repr(c.response))
        c.close()
    for origin in ("http://evil.example", "http://good.example.evil.example", "null"):
        c = h.RawClient(server.port, headers={"Origin": origin})
        checks.check(c.response is not None and c.response.status == 403,
                     f"--origin: Origin {origin} -> 403", repr(c.response))
        c.close()
    c = h.RawClient(server.port)
    checks.info(f"--origin set, request without Origin -> {c.response.status if c.response else 'closed'}")
    c.close()
    server.kill()


def max_message(checks, binary):
    server = h.Server(binary, "--max-message", "1000", name="chat_server(max-message 1000)")
    watcher = h.GoodClient(server.port, chat=True)
    big = h.GoodClient(server.port, chat=True)
    checks.check(watcher.upgraded and big.upgraded, "two clients connected")
    text = "m" * 1000
    checks.check(big.roundtrip(text), "--max-message 1000: a 1000-byte message is broadcast (sender sees it)")
    frame = None
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        frame = watcher.reader.read(5)
        if frame is None or frame.payload == f"Server: {text}".encode():
            break
    checks.check(frame is not None and frame.payload == f"Server: {text}".encode(),
                 "--max-message 1000: the other client gets it too")
    big.send_frame(OP_TEXT, "n" * 1001)
    close, _ = big.reader.read_until_close(10)
    checks.check(close is not None and close.close_code() == 1009,
                 "--max-message 1000: a 1001-byte message -> close 1009",
                 repr(close) if close else f"no close frame ({big.reader.end})")
    checks.check(watcher.roundtrip("still here"), "--max-message: the other client is still served")
    r = h.http_request(server.port, "GET", "/")
    checks.check(r is not None and b'data-max-message="1000"' in r.body,
                 "--max-message 1000: the page is told the limit", repr(r))
    server.kill()


def keepalive(checks, binary):
    server = h.Server(binary, "--ping-interval", "1", name="chat_server(ping 1s)")
    c = h.RawClient(server.port)
    frame = c.reader.read(4)
    checks.check(frame is not None and frame.opcode == OP_PING,
                 "--ping-interval 1: an idle client gets a ping within 4 s", repr(frame))
    if frame is not None and frame.opcode == OP_PING:
        c.send_frame(OP_PONG, frame.payload)
    alive_until = time.monotonic() + 4
    pongs, dropped = 0, None
    while time.monotonic() < alive_until:
        frame = c.reader.read(max(0.0, alive_until - time.monotonic()))
        if frame is None:
            dropped = c.reader.end if c.reader.end != "timeout" else None
            break
        if frame.opcode == OP_PING:
            c.send_frame(OP_PONG, frame.payload)
            pongs += 1
        elif frame.opcode == OP_CLOSE:
            dropped = f"close frame {frame.close_code()}"
            break
    checks.check(dropped is None and pongs >= 2,
                 "--ping-interval 1: a client answering pings stays connected for 4 s (and is pinged again)",
                 f"dropped: {dropped}, pings answered: {pongs}")
    g = h.GoodClient(server.port, chat=True)
    checks.check(g.roundtrip("keepalive ok"), "--ping-interval 1: messages flow as usual")
    server.kill()


def main():
    binary = sys.argv[1]

    def body(checks):
        http_pages(checks, binary)
        protocol_errors(checks, binary)
        max_clients(checks, binary)
        origins(checks, binary)
        max_message(checks, binary)
        keepalive(checks, binary)

    h.run_main("chat HTTP and options", body)


if __name__ == "__main__":
    main()
