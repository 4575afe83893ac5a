"""interop_firefox: headless Firefox ESR (Debian's firefox-esr, Gecko's own
WebSocket and HTTP code) as a peer of echo_server and chat_server, driven
over Marionette (marionette.py next to this file).

usage: firefox_run.py ECHO_SERVER CHAT_SERVER FIREFOX SECONDS

echo: a page served from 127.0.0.1 runs firefox_echo.js: text (ASCII,
      multibyte up to 4-byte emoji, empty), binary (every byte value, empty,
      an ArrayBuffer, a view into part of one, a Blob), text and binary of
      125, 126, 65535, 65536 bytes and 1 MiB, then 1000 short messages; each
      must come back byte for byte, as the same type, in order. The server
      must pick its own subprotocol from Gecko's two and take no extension
      (Gecko offers permessage-deflate). Closes 1000, 3000 and 4999 with
      reasons (up to 123 bytes) come back as sent, wasClean, and
      echo_server logs each connection closed with its code, clean.
chat: Firefox loads chat_server's own page; messages typed into it (Send
      button, Enter, Shift+Enter for a new line, markup that must stay text,
      65536 bytes) reach a raw RFC 6455 client (wsharness.RawClient) as
      "Server: <message>"; that client's text and binary messages show up in
      the page; every message shows exactly once; Gecko's close on leaving
      the page is clean in chat_server's log.
keepalive: with --ping-interval 1 (3 under valgrind), the page stays
      connected through 3.5 intervals of silence: Gecko answers
      chat_server's pings (a client that does not is dropped after 2).

SECONDS is the test's ctest TIMEOUT: the script stops itself, Firefox
included, a little before ctest would kill it.
"""

import http.server
import os
import re
import signal
import socket
import sys
import threading
import time

import marionette
import wsharness as h

HERE = os.path.dirname(os.path.abspath(__file__))
PROTOCOL = "wsframe.echo"
# WebDriver key codes.
ENTER, SHIFT = "\ue007", "\ue008"


class PageServer(http.server.ThreadingHTTPServer):
    """The echo test's page and script, from 127.0.0.1: the page then has
    a real http: origin, as one on the web would."""

    PAGE = (b"<!doctype html><meta charset=utf-8><title>firefox echo</title>"
            b"<script src=firefox_echo.js></script>")

    def __init__(self):
        with open(os.path.join(HERE, "firefox_echo.js"), "rb") as f:
            script = f.read()
        files = {"/": ("text/html; charset=utf-8", self.PAGE),
                 "/firefox_echo.js": ("text/javascript; charset=utf-8", script)}

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                kind, body = files.get(self.path, ("text/plain", b"not found"))
                self.send_response(200 if self.path in files else 404)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        super().__init__((h.HOST, 0), Handler)
        self.url = f"http://{h.HOST}:{self.server_address[1]}/"
        threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True).start()

    def stop(self):
        self.shutdown()
        self.server_close()


class HandshakeCapture:
    """Accepts one connection, keeps its request head, hangs up."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind((h.HOST, 0))
        self.sock.listen(1)
        self.sock.settimeout(30)
        self.url = f"ws://{h.HOST}:{self.sock.getsockname()[1]}/capture"
        self.head = None
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self):
        try:
            conn, _ = self.sock.accept()
        except OSError:
            return
        with conn:
            conn.settimeout(10)
            data = b""
            try:
                while b"\r\n\r\n" not in data and len(data) < 16384:
                    chunk = conn.recv(4096)
                    if not chunk:
                        break
                    data += chunk
            except OSError:
                pass
            self.head = data.split(b"\r\n\r\n")[0].decode("latin-1")

    def close(self):
        self.sock.close()


# ---------------------------------------------------------------- echo_server

def echo_part(checks, fx, echo_bin):
    server = h.Server(echo_bin, "--protocol", PROTOCOL)
    pages = PageServer()
    capture = HandshakeCapture()
    try:
        fx.navigate(pages.url)
        ms = int(h.slow(20) * 1000)
        results = fx.execute_async(
            "const [args, done] = arguments;"
            "runEcho(args).then(done, (e) => done([{ok: false, what: 'runEcho ran to the end', detail: String(e)}]));",
            {"base": f"ws://{h.HOST}:{server.port}/", "protocol": PROTOCOL, "capture": capture.url, "ms": ms},
            timeout=h.slow(20) * 8)
        if capture.head:
            for line in capture.head.split("\r\n"):
                checks.info(f"Gecko's handshake: {line}")
        closes = []
        for r in results:
            if "info" in r:
                checks.info(r["info"])
            elif "close" in r:
                closes.append(r["close"])
            else:
                checks.check(r["ok"], f"echo: {r['what']}", r["detail"])
        checks.check(len(closes) == 3, "echo: Firefox closed three connections", repr(closes))
        for c in closes:
            h.check_clean_close(checks, server, c["path"], c["code"], c["reason"])
        peer = h.peer_of(server, "/echo", 1)
        checks.check(peer is not None
                     and h.logged(server, peer, rf"connected: .*, subprotocol {re.escape(PROTOCOL)} ", 0),
                     f"echo_server logs subprotocol {PROTOCOL} for /echo")
        checks.check(server.alive(), "echo_server still running")
    finally:
        capture.close()
        pages.stop()
        server.kill(dump=bool(checks.failed))


# ---------------------------------------------------------------- chat_server

# How many #messages entries show exactly want, once some do or after ms.
WAIT_SHOWN = """
const [want, ms, done] = arguments;
const deadline = Date.now() + ms;
(function poll() {
  const n = [...document.querySelectorAll('#messages > li')].filter((li) => li.textContent === want).length;
  if (n > 0 || Date.now() >= deadline) done(n); else setTimeout(poll, 50);
})();
"""

WAIT_OPEN = """
const [ms, done] = arguments;
const deadline = Date.now() + ms;
(function poll() {
  if (document.body.dataset.state === 'open' || Date.now() >= deadline) done(document.body.dataset.state || null);
  else setTimeout(poll, 50);
})();
"""

COUNT_SHOWN = """
return [...document.querySelectorAll('#messages > li')].filter((li) => li.textContent === arguments[0]).length;
"""


def exact_text(nbytes):
    """Valid UTF-8 of exactly nbytes bytes: ASCII, 2-, 3- and 4-byte characters."""
    unit = "x64k \u00e9\u4e2d\U0001f600 "
    text = unit * (nbytes // len(unit.encode()))
    return text + "." * (nbytes - len(text.encode()))


def chat_part(checks, fx, chat_bin):
    server = h.Server(chat_bin)
    peer = None
    try:
        url = f"http://{h.HOST}:{server.port}/"
        fx.navigate(url)
        page = fx.execute(
            "window.__errors = [];"
            "window.addEventListener('error', (e) => window.__errors.push(String(e.message)));"
            "const css = document.styleSheets[0];"
            "return {title: document.title, input: !!document.querySelector('textarea#messageInput'),"
            " messages: !!document.getElementById('messages'), button: !!document.getElementById('sendButton'),"
            " cssRules: css ? css.cssRules.length : 0};")
        checks.check(page["title"] == "libwsframe chat" and page["input"] and page["messages"] and page["button"],
                     "chat: Firefox loads chat_server's page (title, #messageInput, #messages, #sendButton)",
                     repr(page))
        checks.check(page["cssRules"] > 0, "chat: its stylesheet loaded under the page's Content-Security-Policy",
                     repr(page))
        state = fx.execute_async(WAIT_OPEN, int(h.slow(10) * 1000), timeout=h.slow(10) + 5)
        checks.check(state == "open", "chat: the page's WebSocket is open", repr(state))

        peer = h.RawClient(server.port, "/", timeout=h.slow(10))
        checks.check(peer.upgraded, "chat: a raw RFC 6455 client joins the room", repr(peer.response))
        peer_addr = f"[{h.HOST}:{peer.sock.getsockname()[1]}]"

        def peer_receives(want, label):
            opcode, payload, _ = h.read_message(peer.reader, h.slow(10))
            checks.check(opcode == h.OP_TEXT and payload == want.encode(), f"chat: the raw client gets {label}",
                         f"opcode {opcode}, {(payload or b'')[:60]!r}")

        def page_shows(want, label):
            n = fx.execute_async(WAIT_SHOWN, want, int(h.slow(10) * 1000), timeout=h.slow(10) + 5)
            checks.check(n >= 1, f"chat: the page shows {label}", f"{n} times")

        big = exact_text(65536)
        sent = [
            ("button", "hello from Gecko via the Send button \U0001f44b\U0001f389", None),
            ("enter", "\u4f60\u597d\uff0c\u4e16\u754c \u65e5\u672c\u8a9e\u306e\u30c6\u30ad\u30b9\u30c8 "
                      "\ud55c\uad6d\uc5b4 caf\u00e9 \U0001f680 via Enter", None),
            ("enter", '<b>html</b> & <img src=x onerror="window.__xss=1"> <script>window.__xss=2</script>', None),
            ("shift-enter", "line one\nline two", None),
            ("pasted", big, "a 65536-byte message"),
        ]
        inp = fx.find("#messageInput")
        button = fx.find("#sendButton")
        for how, text, label in sent:
            label = label or repr(text)
            if how == "button":
                fx.send_keys(inp, text)
                fx.click(button)
            elif how == "enter":
                fx.send_keys(inp, text + ENTER)
            elif how == "shift-enter":
                first, second = text.split("\n")
                # One call each: Marionette keeps Shift down to the end of
                # the call, RELEASE notwithstanding.
                fx.send_keys(inp, first)
                fx.send_keys(inp, SHIFT + ENTER)
                fx.send_keys(inp, second)
                value = fx.execute("return document.getElementById('messageInput').value;")
                checks.check(value == text, "chat: Shift+Enter is a new line in the input", repr(value))
                fx.send_keys(inp, ENTER)
            else:
                # 64 KiB typed key by key would take minutes: set like a paste.
                fx.execute("const i = document.getElementById('messageInput'); i.value = arguments[0];"
                           "i.dispatchEvent(new Event('input'));", text)
                fx.click(button)
            peer_receives("Server: " + text, f"{label} typed in Firefox ({how})")
            page_shows("Server: " + text, f"{label} (its own message, broadcast back)")
            value = fx.execute("return document.getElementById('messageInput').value;")
            checks.check(value == "", f"chat: the input is cleared after sending {label}", repr(value[:60]))

        from_peer = "from the raw client: gr\u00fc\u00dfe \u0001 \U0001f600 \u4e2d"
        peer.send_frame(h.OP_TEXT, from_peer)
        peer_receives("Server: " + from_peer, "its own text back")
        page_shows("Server: " + from_peer, "the raw client's text message")
        blob = bytes(range(256)) * 40
        peer.send_frame(h.OP_BINARY, blob)
        opcode, payload, _ = h.read_message(peer.reader, h.slow(10))
        checks.check(opcode == h.OP_BINARY and payload == blob, "chat: the raw client gets its binary message back",
                     f"opcode {opcode}, {len(payload or b'')} bytes")
        page_shows(f"[binary message, {len(blob)} bytes]", "the raw client's binary message as a notice")

        time.sleep(0.3)  # room for duplicates to arrive
        for _, text, label in sent + [(None, from_peer, None)]:
            n = fx.execute(COUNT_SHOWN, "Server: " + text)
            checks.check(n == 1, f"chat: the page shows {label or repr(text)} exactly once", f"{n} times")
        markup = fx.execute("return {b: document.querySelectorAll('#messages b').length,"
                            " img: document.querySelectorAll('#messages img').length,"
                            " script: document.querySelectorAll('#messages script').length,"
                            " xss: window.__xss === undefined ? null : window.__xss, errors: window.__errors};")
        checks.check(markup["b"] == 0 and markup["img"] == 0 and markup["script"] == 0 and markup["xss"] is None,
                     "chat: <b>, <img>, <script> in a message are shown as text, not markup", repr(markup))
        checks.check(not markup["errors"], "chat: no JavaScript errors in the page", repr(markup["errors"]))

        # Leaving the page closes its WebSocket: Gecko's own close.
        fx.navigate("about:blank")
        h.check_clean_close(checks, server, "/", 1001, exclude=peer_addr)

        peer.send_frame(h.OP_CLOSE, h.close_payload(1000))
        close, _ = peer.reader.read_until_close(h.slow(10))
        checks.check(close is not None and close.close_code() == 1000 and peer.reader.wait_closed(h.slow(10)),
                     "chat: the raw client's close 1000 is answered and TCP closed", repr(close))
        checks.check(server.alive(), "chat_server still running")
    finally:
        if peer is not None:
            peer.close()
        server.kill(dump=bool(checks.failed))


def keepalive_part(checks, fx, chat_bin):
    """chat_server pings a client silent for --ping-interval and drops it
    when no pong comes within another interval: a page that stays silent
    for several intervals is still connected only if Gecko answered."""
    # Under valgrind a starved server could see its timer before the pong
    # that arrived in time: longer intervals there.
    interval = 3 if h.WRAPPER else 1
    server = h.Server(chat_bin, "--ping-interval", str(interval))
    try:
        fx.navigate(f"http://{h.HOST}:{server.port}/")
        state = fx.execute_async(WAIT_OPEN, int(h.slow(10) * 1000), timeout=h.slow(10) + 5)
        checks.check(state == "open", f"keepalive: the page's WebSocket is open (--ping-interval {interval})",
                     repr(state))
        time.sleep(3.5 * interval)
        state = fx.execute("return document.body.dataset.state;")
        dropped = [x for x in server.stderr_lines if "disconnected" in x]
        checks.check(state == "open" and not dropped,
                     f"keepalive: silent for {3.5 * interval} s, Gecko answers chat_server's pings "
                     f"and stays connected", f"state {state!r}, {dropped}")
        fx.navigate("about:blank")
        h.check_clean_close(checks, server, "/", 1001)
    finally:
        server.kill(dump=bool(checks.failed))


def main():
    echo_bin, chat_bin, firefox, seconds = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])

    def on_alarm(*_):
        raise TimeoutError(f"interop_firefox still running after {seconds - 10:.0f} s")

    # Before ctest's own kill, so that the finally below still runs.
    signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(max(10, int(seconds - 10)))

    def body(checks):
        if not os.path.exists(firefox):
            checks.check(False, f"{firefox} is installed (Debian package firefox-esr)")
            return
        started = time.monotonic()
        fx = marionette.Firefox(firefox)
        try:
            checks.info(f"{fx.version} up in {time.monotonic() - started:.1f} s")
            echo_part(checks, fx, echo_bin)
            chat_part(checks, fx, chat_bin)
            keepalive_part(checks, fx, chat_bin)
            checks.check(not fx.trap.requests, "Firefox asked for nothing outside 127.0.0.1",
                         "; ".join(sorted(set(fx.trap.requests))))
        finally:
            fx.quit()
            signal.alarm(0)
        checks.info(f"{time.monotonic() - started:.1f} s in all")

    h.run_main("echo_server and chat_server with headless Firefox", body)


if __name__ == "__main__":
    main()
