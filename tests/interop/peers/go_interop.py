"""Our programs against Go's WebSocket implementations, from Debian 12's
packages (tests/run.sh installs them; CMake builds go_peer.go offline):

  gorilla/websocket 1.5 (golang-github-gorilla-websocket-dev)
  nhooyr.io/websocket 1.8 (golang-nhooyr-websocket-dev)

usage: go_interop.py ECHO_SERVER CHAT_SERVER CHAT_CLIENT GO_PEER [echo|chat|client]...

echo:   echo_server (--protocol echo.v2 --protocol echo.v1) with each library
        as the client; go_peer.go does the client's checks (see there). Here:
        the server logs echo.v2 selected, and each connection's close 1000
        with the reason as sent, clean.
chat:   chat_server (--ping-interval 1) with three gorilla clients (checks in
        go_peer.go); here: the three closes logged clean, nobody dropped for
        want of a pong.
client: chat_client against an echo server of each library (go_peer server,
        127.0.0.1, a free port): stdin lines (multibyte, empty, ~100 KB) back
        on stdout exactly, the server got each once as text and close 1000,
        chat_client exits 0; -s other -s superchat gets superchat selected;
        the server's pings right after the upgrade are all answered.
"""

import hashlib
import re
import sys
import time

import wsharness as h

SEED = 6455
PROTOCOL = "superchat"
LIBS = ("gorilla", "nhooyr")


def run_go_peer(checks, go_peer, name, args, seconds, min_ok):
    # The peer's own deadline ends it, with its checks so far printed,
    # before the harness's does.
    deadline_ms = int(h.slow(seconds) * 1000)
    h.run_peer(checks, name, [go_peer, *args, str(deadline_ms)], h.slow(seconds) + 10, min_ok)


def echo(checks, binary, go_peer):
    server = h.Server(binary, "--protocol", "echo.v2", "--protocol", "echo.v1")
    for lib in LIBS:
        t0 = time.monotonic()
        run_go_peer(checks, go_peer, f"{lib} echo", ["echo", lib, server.url(""), str(SEED)], 30, min_ok=25)
        checks.info(f"{lib} against echo_server: {time.monotonic() - t0:.2f} s")
        peer = h.peer_of(server, f"/{lib}/echo", h.slow(5))
        checks.check(peer is not None and h.logged(server, peer, r"connected: .*, subprotocol echo\.v2 ", 0),
                     f"echo_server: logs echo.v2 selected for /{lib}/echo")
        h.check_clean_close(checks, server, f"/{lib}/echo", 1000, f"bye from {lib}")
    h.check_clean_close(checks, server, "/gorilla/fragments", 1000, "bye from gorilla fragments")
    checks.check(server.alive(), "echo_server still running after the clients left")
    server.kill(dump=False)


def chat(checks, binary, go_peer):
    server = h.Server(binary, "--ping-interval", "1")
    run_go_peer(checks, go_peer, "gorilla chat", ["chat", server.url("")], 20, min_ok=20)
    h.check_chat_left_clean(checks, server, "gorilla", 3)


class GoServer(h.Proc):
    """go_peer's echo server; what it saw, from its event lines."""

    def __init__(self, go_peer, lib):
        super().__init__([go_peer, "server", lib, "0"], f"{lib} server")
        match = self.wait_stdout(lambda lines: next((m for m in map(h.LISTEN_RE.search, lines) if m), None),
                                 h.slow(10))
        if not match:
            self.kill()
            raise RuntimeError(f"{self.name} did not print 'listening on HOST:PORT'")
        self.port = int(match.group(2))

    def events(self, kind, path):
        return [line.split()[2:] for line in self.all_stdout if line.startswith(f"{kind} {path} ")]

    def closed(self, path, timeout):
        """(code, pongs, pings) from the closed line for path, or None."""
        regex = re.compile(rf"^closed {re.escape(path)} code=(-?\d+) pongs=(\d+)/(\d+)$")
        match = self.wait_stdout(lambda lines: next((m for m in map(regex.match, lines) if m), None), timeout)
        return tuple(map(int, match.groups())) if match else None


def digest(line):
    data = line.encode("utf-8")
    return ["text", str(len(data)), hashlib.sha256(data).hexdigest()]


def client(checks, exe, go_peer):
    lines = h.client_lines(SEED + 1)
    for lib in LIBS:
        server = GoServer(go_peer, lib)
        url = f"ws://{h.HOST}:{server.port}"
        h.check_lines_echoed(checks, exe, lib, f"{url}/lines", lines)
        closed = server.closed("/lines", h.slow(5))
        checks.check(server.events("message", "/lines") == [digest(line) for line in lines],
                     f"client/{lib}: the server received each line once, as text (length and SHA-256)",
                     f"{len(server.events('message', '/lines'))} messages")
        checks.check(closed is not None and closed[0] == 1000, f"client/{lib}: the server saw close 1000",
                     repr(closed))
        checks.check(server.events("connected", "/lines") == [["protocol=", "extensions="]],
                     f"client/{lib}: no subprotocol or extension offered, none selected",
                     repr(server.events("connected", "/lines")))
        # gorilla's pings go out before it reads a thing, so they precede
        # everything chat_client sees. nhooyr pings from another goroutine,
        # which may lose the race with chat_client's close: counted below,
        # where chat_client lingers (-w 1).
        if lib == "gorilla":
            checks.check(closed is not None and closed[1] == closed[2] == 3,
                         f"client/{lib}: the server's 3 pings (0, 12, 125 bytes) answered with pongs, "
                         f"same payloads", repr(closed))
        else:
            checks.info(f"client/{lib}: pongs/pings before chat_client's close: "
                        f"{closed[1] if closed else '?'}/{closed[2] if closed else '?'}")

        code, out, err = h.run_chat_client(exe, f"chat_client -s -> {lib}",
                                           ["-s", "other", "-s", PROTOCOL, "-x", "with a subprotocol", "-w", "1",
                                            f"{url}/protocol"])
        checks.check(code == 0 and out == ["with a subprotocol"],
                     f"client/{lib}: -s other -s {PROTOCOL}: the message comes back, exit 0",
                     f"exit {code}, stdout {out}, stderr {err[-5:]}")
        checks.check(any(line.endswith(f"subprotocol {PROTOCOL}") and "connected to" in line for line in err),
                     f"client/{lib}: chat_client reports subprotocol {PROTOCOL}", f"stderr {err[:3]}")
        checks.check(server.events("connected", "/protocol") == [[f"protocol={PROTOCOL}", "extensions="]],
                     f"client/{lib}: the server selected {PROTOCOL}", repr(server.events("connected", "/protocol")))
        closed = server.closed("/protocol", h.slow(5))
        checks.check(closed is not None and closed[0] == 1000 and closed[1] == closed[2] == 3,
                     f"client/{lib}: close 1000, and the server's 3 pings answered with pongs "
                     f"({lib} matched each payload)", repr(closed))
        checks.check(not any(line.split()[0] not in ("listening", "connected", "message", "closed")
                             for line in server.all_stdout),
                     f"client/{lib}: the server reported no error or unexpected pong",
                     repr([x for x in server.all_stdout if x.split()[0] not in ("message",)][-5:]))
        server.kill(dump=False)


def main():
    echo_server, chat_server, chat_client, go_peer = sys.argv[1:5]
    parts = sys.argv[5:] or ["echo", "chat", "client"]

    def body(checks):
        h.run_parts(checks, parts, {
            "echo": lambda: echo(checks, echo_server, go_peer),
            "chat": lambda: chat(checks, chat_server, go_peer),
            "client": lambda: client(checks, chat_client, go_peer),
        })

    h.run_main("our programs against gorilla/websocket and nhooyr.io/websocket", body)


if __name__ == "__main__":
    main()
