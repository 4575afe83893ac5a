"""chat_server fan-out under load (issue 5): 300 Node ws clients in one room,
10 of them send 100 messages each; every client must get all 1000 exactly
once, in each sender's order (chat_fanout.js checks). The server's memory and
descriptors are reported, and it must still serve a new client after.

usage: chat_fanout.py CHAT_SERVER CHAT_FANOUT_JS
"""

import sys

import wsharness as h

N, S, M = 300, 10, 100


def main():
    server_bin, script = sys.argv[1:3]

    def body(checks):
        h.raise_fd_limit(4096)
        server = h.Server(server_bin)
        rss0, fd0 = server.rss_kib(), server.fd_count()
        h.run_node_peer(checks, "fanout", [script, server.url("/"), str(N), str(S), str(M)], 110, min_ok=5)
        fd1 = server.settle(server.fd_count, fd0, 10)
        checks.info(f"server RSS {rss0} -> {server.rss_kib()} KiB, fds {fd0} -> {fd1}")
        checks.check(fd1 <= fd0, "all clients gone: server descriptors back to the baseline", f"{fd0} -> {fd1}")
        g = h.GoodClient(server.port, chat=True)
        checks.check(g.roundtrip("after the fan-out"), "a new client is served after the fan-out")
        g.close()

    h.run_main("chat fan-out", body)


if __name__ == "__main__":
    main()
