"""echo_server and chat_server with undici's WebSocket as the client: the
WHATWG WebSocket API that Node 22+ ships as its global, from the npm package
(tests/package.json) so that Debian 12's Node 18 runs it too.

usage: undici_interop.py ECHO_SERVER CHAT_SERVER UNDICI_CLIENT_JS

undici_client.js does the client's checks (see there); this script starts
each server, runs it, and reads the server's side from its log: the
subprotocol it selected, each close reason as the client sent it (4-byte
UTF-8 and the 123-byte maximum included), and every connection ending with
the client's code, clean.
"""

import sys

import wsharness as h

SEED = 6455
# (code, reason): the first closes the connection that carried the echo
# checks, each other one a connection of its own.
CLOSES = [
    (1000, "bye from undici"),
    (3000, "registered range \U0001f600"),
    # 123 bytes, the most a close frame has room for: 2 + 40 * 3 + 1.
    (4999, "\u00e9" + "\u4e2d" * 40 + "x"),
]


def echo(checks, binary, script):
    server = h.Server(binary, "--protocol", "echo.v2", "--protocol", "echo.v1")
    h.run_node_peer(checks, "undici echo",
                    [script, "echo", server.url(""), str(SEED), str(int(h.slow(25) * 1000)),
                     *(f"{code}={reason}" for code, reason in CLOSES)],
                    h.slow(30), min_ok=20)
    peer = h.peer_of(server, "/undici/echo", h.slow(5))
    checks.check(peer is not None and h.logged(server, peer, r"connected: .*, subprotocol echo\.v2 ", 0),
                 "echo_server: logs echo.v2 selected for /undici/echo")
    h.check_clean_close(checks, server, "/undici/echo", *CLOSES[0])
    for code, reason in CLOSES[1:]:
        h.check_clean_close(checks, server, f"/undici/close-{code}", code, reason)
    checks.check(server.alive(), "echo_server still running after the clients left")
    server.kill(dump=False)


def chat(checks, binary, script):
    server = h.Server(binary, "--ping-interval", "1")
    h.run_node_peer(checks, "undici chat",
                    [script, "chat", server.url(""), str(SEED), str(int(h.slow(15) * 1000))],
                    h.slow(20), min_ok=10)
    h.check_chat_left_clean(checks, server, "undici", 3)


def main():
    echo_bin, chat_bin, script = sys.argv[1:4]

    def body(checks):
        echo(checks, echo_bin, script)
        chat(checks, chat_bin, script)

    h.run_main("undici interop", body)


if __name__ == "__main__":
    main()
