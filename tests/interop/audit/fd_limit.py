"""chat_server started with few file descriptors still reaches --max-clients.

usage: fd_limit.py CHAT_SERVER

Many systems start processes with a soft RLIMIT_NOFILE of 1024. Short of
descriptors, accept() fails with EMFILE and new clients wait in the listen
backlog with neither a 101 nor the documented 503. The server raises its soft
limit towards the hard one at startup, as far as --max-clients needs.

Here it starts with a soft limit of 128 and --max-clients 150: 150 upgrades
get 101 and the 151st gets 503, each within seconds.
"""

import resource
import socket
import sys
import time

import wsharness as h

CLIENTS = 150
START_SOFT_LIMIT = 128


def read_status(sock, deadline):
    buf = b""
    while b"\r\n" not in buf:
        left = deadline - time.monotonic()
        if left <= 0:
            return None
        sock.settimeout(left)
        try:
            chunk = sock.recv(4096)
        except (socket.timeout, ConnectionResetError):
            return None
        if not chunk:
            return None
        buf += chunk
    return int(buf.split(b" ", 2)[1])


def body(checks):
    binary = sys.argv[1]
    h.raise_fd_limit(CLIENTS * 2 + 64)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < CLIENTS + 256 + 64:
        checks.check(True, f"skipped: hard descriptor limit {hard} is too low for this test")
        return
    # The server inherits the low soft limit; ours goes back up at once.
    resource.setrlimit(resource.RLIMIT_NOFILE, (START_SOFT_LIMIT, hard))
    try:
        server = h.Server(binary, "--max-clients", str(CLIENTS))
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    with open(f"/proc/{server.pid}/limits") as f:
        line = next(l for l in f if l.startswith("Max open files"))
    checks.info(f"server: {line.strip()}")

    socks, statuses = [], []
    # One budget for all: a server out of descriptors leaves each waiting.
    deadline = time.monotonic() + h.slow(20)
    for _ in range(CLIENTS + 1):
        sock = h.connect(server.port)
        sock.sendall(h.upgrade_request(server.port)[0])
        socks.append(sock)
        statuses.append(read_status(sock, min(deadline, time.monotonic() + h.slow(5))))
    upgraded = statuses[:CLIENTS].count(101)
    checks.check(upgraded == CLIENTS, f"{CLIENTS} clients get 101 with a soft limit of {START_SOFT_LIMIT} at start",
                 f"{upgraded} got 101; statuses: {sorted(set(map(str, statuses)))}")
    checks.check(statuses[CLIENTS] == 503, f"client {CLIENTS + 1} gets 503 (--max-clients)",
                 repr(statuses[CLIENTS]))
    for sock in socks:
        sock.close()
    checks.check(server.alive(), "the server is still running")


h.run_main("fd_limit", body)
