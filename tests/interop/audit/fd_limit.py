"""chat_server started with few file descriptors still reaches --max-clients.

usage: fd_limit.py CHAT_SERVER

Many systems start processes with a soft RLIMIT_NOFILE of 1024. Short of
descriptors, accept() fails with EMFILE and new clients wait in the listen
backlog with neither a 101 nor the documented 503. The server raises its soft
limit towards the hard one at startup, as far as --max-clients needs.

Here it starts with a soft limit of 128 and --max-clients 150: 150 upgrades
get 101 and the 151st gets 503, each within seconds. Then, with no
--max-clients, the same start: the soft limit goes up to the hard one, and
1,100 upgrades all get 101. Without --max-clients the server holds as many
clients as the hard limit leaves room for (the limit less 256 handshaking
and 64 spare): a fixed default (it was 10,000) turned away a load test's
10,001st client on a machine with room for twice as many. Last, started
under a hard limit of 1,000, the server says it takes 680 clients, 680
upgrades get 101 and the 681st gets 503, not a wait in the backlog.
"""

import re
import resource
import socket
import sys
import time

import wsharness as h

CLIENTS = 150
START_SOFT_LIMIT = 128
# Descriptors the server keeps for itself beyond its clients: 256 still
# handshaking, 64 for the listeners, the loop and stdio.
RESERVED = 256 + 64
MANY_CLIENTS = 1100
LOW_HARD_LIMIT = 1000


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


def start_with_low_limit(binary, *args):
    """The server inherits a soft limit of START_SOFT_LIMIT; ours goes back up
    at once. Returns the server and its soft limit after its start."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (START_SOFT_LIMIT, hard))
    try:
        server = h.Server(binary, *args)
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    with open(f"/proc/{server.pid}/limits") as f:
        line = next(l for l in f if l.startswith("Max open files"))
    return server, line


def upgrade_all(server, count, budget_s):
    """count upgrade requests, one after another; their status codes (None:
    no answer in time). One budget for all: a server out of descriptors
    leaves each waiting."""
    socks, statuses = [], []
    deadline = time.monotonic() + h.slow(budget_s)
    for _ in range(count):
        sock = h.connect(server.port)
        sock.sendall(h.upgrade_request(server.port)[0])
        socks.append(sock)
        statuses.append(read_status(sock, min(deadline, time.monotonic() + h.slow(5))))
    return socks, statuses


def body(checks):
    binary = sys.argv[1]
    h.raise_fd_limit(MANY_CLIENTS * 2 + 64)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < CLIENTS + 256 + 64:
        checks.check(True, f"skipped: hard descriptor limit {hard} is too low for this test")
        return

    server, limits = start_with_low_limit(binary, "--max-clients", str(CLIENTS))
    checks.info(f"server: {limits.strip()}")
    fill(checks, server, CLIENTS, 20, f"with a soft limit of {START_SOFT_LIMIT} at start",
         "--max-clients")

    server, limits = start_with_low_limit(binary)
    checks.info(f"server with the default --max-clients: {limits.strip()}")
    server_soft = limits.split()[3]
    expected = 1 << 20 if hard == resource.RLIM_INFINITY else hard
    checks.check(server_soft == "unlimited" or int(server_soft) >= expected,
                 f"without --max-clients the server raises its soft limit to the hard one ({expected})",
                 limits.strip())
    said = client_room(server)
    checks.check(said == expected - RESERVED,
                 f"without --max-clients it says it takes {expected - RESERVED} clients",
                 f"{said}; stderr: {list(server.stderr_lines)[:3]}")
    if soft < MANY_CLIENTS + 64 or (hard != resource.RLIM_INFINITY and hard < MANY_CLIENTS + 256 + 64):
        checks.check(True, f"skipped {MANY_CLIENTS} clients: descriptor limits {soft}/{hard}")
    else:
        socks, statuses = upgrade_all(server, MANY_CLIENTS, 60)
        upgraded = statuses.count(101)
        checks.check(upgraded == MANY_CLIENTS,
                     f"{MANY_CLIENTS} clients (more than the old default of 1000) get 101 without --max-clients",
                     f"{upgraded} got 101; statuses: {sorted(set(map(str, statuses)))}")
        for sock in socks:
            sock.close()
        checks.check(server.alive(), "the server is still running")
    server.kill(dump=False)
    low_hard_limit(checks, binary)


def fill(checks, server, room, budget_s, how, limit_named):
    """room upgrades get 101 and the next one 503, logged naming what set
    the limit (echo_server has no --max-clients to name); then the server
    is stopped."""
    socks, statuses = upgrade_all(server, room + 1, budget_s)
    upgraded = statuses[:room].count(101)
    checks.check(upgraded == room, f"{room} clients get 101 {how}",
                 f"{upgraded} got 101; statuses: {sorted(set(map(str, statuses)))}")
    checks.check(statuses[room] == 503, f"client {room + 1} gets 503, not a wait in the backlog",
                 repr(statuses[room]))
    refused = f"refused: {room} clients already ({limit_named})"
    logged = server.wait_stderr(lambda lines: any(refused in x for x in lines), h.slow(5))
    checks.check(logged, f"the refusal is logged as '{refused}'",
                 f"stderr: {[x for x in server.stderr_lines if 'refused' in x][:2]}")
    for sock in socks:
        sock.close()
    checks.check(server.alive(), "the server is still running")
    server.kill(dump=False)


def client_room(server):
    """N from the server's 'up to N clients at once' line, None without one."""
    line = server.wait_stderr(lambda lines: next((x for x in lines if "clients at once" in x), None),
                              h.slow(5))
    m = re.search(r"up to (\d+) clients at once", line or "")
    return int(m.group(1)) if m else None


def low_hard_limit(checks, binary):
    """The last check, as it lowers this process's hard limit for good: the
    server inherits it."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < LOW_HARD_LIMIT:
        checks.check(True, f"skipped the {LOW_HARD_LIMIT}-descriptor start: hard limit {hard}")
        return
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(soft, LOW_HARD_LIMIT), LOW_HARD_LIMIT))
    room = LOW_HARD_LIMIT - RESERVED
    server = h.Server(binary)
    said = client_room(server)
    checks.check(said == room, f"under a hard limit of {LOW_HARD_LIMIT} it says it takes {room} clients",
                 f"{said}; stderr: {list(server.stderr_lines)[:3]}")
    fill(checks, server, room, 60, f"under a hard limit of {LOW_HARD_LIMIT}",
         "the file descriptor limit")


h.run_main("fd_limit", body)
