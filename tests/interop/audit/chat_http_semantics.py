"""chat_server's plain HTTP answers as a generic HTTP client expects them
(curl -I, link checkers, load balancer health checks, proxies).

usage: chat_http_semantics.py CHAT_SERVER

- HEAD / and HEAD /index.html -> 200 with GET's Content-Type and
  Content-Length and no body (RFC 9110 section 9.1: a general-purpose server
  MUST support GET and HEAD); HEAD /nope -> 404 without a body; HEAD /
  with the upgrade's headers -> the page's head too (only GET upgrades).
- a method other than GET/HEAD -> 405 whose Allow lists GET and HEAD.
- an absolute-form target (GET http://host/ HTTP/1.1, RFC 9112 section
  3.2.2: a server MUST accept it) serves the page like GET /.
- an HTTP/1.1 request without Host, or one with two, -> 400 (RFC 9112
  section 3.2: MUST).
  HTTP/1.0 without Host still gets the page.
- a path with %XX for an unreserved character is the same path (RFC 3986
  section 6.2.2.2); %XX of a reserved one is not.
- every 2xx-4xx answer, the handshake's rejections (400, 426) included,
  carries a Date in IMF-fixdate form that is the current time (RFC 9110
  section 6.6.1: an origin server with a clock MUST send it).
Every answer is followed by the server closing the connection.
"""

import email.utils
import re
import sys
import time

import wsharness as h

# Every (status, headers) raw_exchange saw, for the Date check at the end.
answers = []
IMF_FIXDATE = re.compile(r"(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d "
                         r"(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} "
                         r"\d\d:\d\d:\d\d GMT")


def raw_exchange(port, request, timeout=10):
    """Sends request, reads until the server closes; returns (status,
    headers, body, closed)."""
    data, closed = h.exchange_until_close(port, request, timeout)
    status, headers, rest = h.split_response(data)
    answers.append((request.split(b"\r\n", 1)[0], status, headers, time.time()))
    return status, headers, rest, closed


def check_dates(checks):
    for line, status, headers, when in answers:
        if status is None or not 200 <= status < 500:
            continue
        date = headers.get("date", "")
        ok = IMF_FIXDATE.fullmatch(date) is not None
        if ok:
            ok = abs(email.utils.parsedate_to_datetime(date).timestamp() - when) < 60
        checks.check(ok, f"{line!r} -> {status} has a current IMF-fixdate Date", repr(date))


def body(checks):
    binary = sys.argv[1]
    server = h.Server(binary)
    port = server.port
    host = f"Host: 127.0.0.1:{port}\r\n"

    get = h.http_request(port, "GET", "/")
    checks.check(get is not None and get.status == 200, "GET / -> 200", repr(get))
    page_len = len(get.body) if get else -1

    for path in ("/", "/index.html", "/?room=1"):
        status, headers, rest, closed = raw_exchange(
            port, f"HEAD {path} HTTP/1.1\r\n{host}\r\n".encode())
        checks.check(status == 200, f"HEAD {path} -> 200", f"{status} {headers}")
        checks.check(headers.get("content-type", "").startswith("text/html"),
                     f"HEAD {path} has GET's Content-Type", repr(headers))
        checks.check(headers.get("content-length") == str(page_len),
                     f"HEAD {path} has GET's Content-Length ({page_len})", repr(headers))
        checks.check(rest == b"", f"HEAD {path} has no body", f"{len(rest)} bytes")
        checks.check(closed, f"HEAD {path}: the server closes the connection")

    # A HEAD is never an upgrade: with the upgrade's headers it still gets
    # the page's head (RFC 9110 section 9.3.2: no content in the answer).
    status, headers, rest, closed = raw_exchange(
        port, (f"HEAD / HTTP/1.1\r\n{host}Upgrade: websocket\r\nConnection: Upgrade\r\n"
               f"Sec-WebSocket-Key: {h.new_key()}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
    checks.check(status == 200 and rest == b"" and headers.get("content-length") == str(page_len),
                 "HEAD / with the upgrade's headers -> 200 with the page's head and no body",
                 f"{status} {headers} {len(rest)} bytes")
    status, headers, rest, closed = raw_exchange(port, f"HEAD /nope HTTP/1.1\r\n{host}\r\n".encode())
    checks.check(status == 404 and rest == b"", "HEAD /nope -> 404 without a body",
                 f"{status} {len(rest)} bytes")

    for method in ("POST", "PUT", "DELETE", "OPTIONS"):
        status, headers, rest, closed = raw_exchange(
            port, f"{method} / HTTP/1.1\r\n{host}Content-Length: 0\r\n\r\n".encode())
        allow = {m.strip() for m in headers.get("allow", "").split(",")}
        checks.check(status == 405, f"{method} / -> 405", f"{status}")
        checks.check({"GET", "HEAD"} <= allow, f"{method} / -> Allow lists GET and HEAD", repr(headers))
    # With the upgrade's headers too: the page still allows HEAD.
    status, headers, rest, closed = raw_exchange(
        port, (f"POST / HTTP/1.1\r\n{host}Upgrade: websocket\r\nConnection: Upgrade\r\n"
               f"Sec-WebSocket-Key: {h.new_key()}\r\nSec-WebSocket-Version: 13\r\n"
               "Content-Length: 0\r\n\r\n").encode())
    allow = {m.strip() for m in headers.get("allow", "").split(",")}
    checks.check(status == 405 and {"GET", "HEAD"} <= allow,
                 "POST / with the upgrade's headers -> 405 whose Allow lists GET and HEAD", repr(headers))

    status, headers, rest, closed = raw_exchange(
        port, f"GET http://127.0.0.1:{port}/ HTTP/1.1\r\n{host}\r\n".encode())
    checks.check(status == 200 and len(rest) == page_len,
                 "GET http://host:port/ (absolute form) -> 200 with the page", f"{status} {len(rest)}")
    status, headers, rest, closed = raw_exchange(
        port, f"GET http://127.0.0.1:{port}?x=1 HTTP/1.1\r\n{host}\r\n".encode())
    checks.check(status == 200, "GET http://host:port?x=1 (absolute form, no path) -> 200", f"{status}")
    status, headers, rest, closed = raw_exchange(
        port, f"GET http://127.0.0.1:{port}/nope HTTP/1.1\r\n{host}\r\n".encode())
    checks.check(status == 404, "GET http://host:port/nope -> 404", f"{status}")

    # RFC 3986 section 6.2.2.2: %XX of an unreserved character is that
    # character; a reserved one (%2F is "/" as data, not a separator) is not.
    for target, want in (("/%69ndex.html", 200), ("/chat%2Ejs", 200), ("/%63hat.CSS", 404),
                         ("/%2e%2E/index.html", 404), ("/%2Findex.html", 404), ("/index.html%", 404),
                         ("/index.htm%6C", 200), ("/index.htm%6", 404)):
        status, headers, rest, closed = raw_exchange(port, f"GET {target} HTTP/1.1\r\n{host}\r\n".encode())
        checks.check(status == want, f"GET {target} -> {want}", f"{status}")

    status, headers, rest, closed = raw_exchange(port, b"GET / HTTP/1.1\r\n\r\n")
    checks.check(status == 400 and closed, "HTTP/1.1 GET / without Host -> 400, then close", f"{status}")
    status, headers, rest, closed = raw_exchange(port, f"GET / HTTP/1.1\r\n{host}Host: other\r\n\r\n".encode())
    checks.check(status == 400 and closed, "GET / with two Host headers -> 400, then close", f"{status}")
    status, headers, rest, closed = raw_exchange(port, b"GET / HTTP/1.0\r\n\r\n")
    checks.check(status == 200 and len(rest) == page_len, "HTTP/1.0 GET / without Host -> 200",
                 f"{status}")

    # The handshake's own rejections (examples/common/server.c's reject).
    upgrade = f"GET / HTTP/1.1\r\n{host}Upgrade: websocket\r\nConnection: Upgrade\r\n"
    status, headers, rest, closed = raw_exchange(
        port, (upgrade + f"Sec-WebSocket-Key: {h.new_key()}\r\nSec-WebSocket-Version: 8\r\n\r\n").encode())
    checks.check(status == 426 and headers.get("sec-websocket-version") == "13",
                 "an upgrade offering version 8 -> 426 naming version 13 (RFC 6455 4.2.2, 4.4)",
                 f"{status} {headers.get('sec-websocket-version')!r}")
    status, headers, rest, closed = raw_exchange(
        port, (upgrade + "Sec-WebSocket-Version: 13\r\n\r\n").encode())
    checks.check(status == 400, "an upgrade without Sec-WebSocket-Key -> 400", f"{status}")
    status, headers, rest, closed = raw_exchange(
        port, (upgrade.replace("GET / ", "GET /#top ") + f"Sec-WebSocket-Key: {h.new_key()}\r\n"
               "Sec-WebSocket-Version: 13\r\n\r\n").encode())
    checks.check(status == 400, "an upgrade whose target has a fragment (#) -> 400 (RFC 6455 3)",
                 f"{status}")
    check_dates(checks)

    # The WebSocket side is untouched: an upgrade still gets 101.
    c = h.RawClient(port, "/")
    checks.check(c.upgraded, "an upgrade on / still gets 101", repr(c.response))
    c.close()


h.run_main("chat_http_semantics", body)
