"""chat_server's and echo_server's command lines: values that cannot work
are refused at startup, naming the value (exit 2), instead of starting a
server that locks every browser out.

usage: chat_args.py CHAT_SERVER ECHO_SERVER

- --origin must be an origin as browsers send it: `null` or
  scheme://host[:port] (host may be [IPv6]). A trailing slash, a path, a
  query, a fragment, a user name, no scheme (`localhost:8080`, `*`) or a bad
  port: exit 2 with the value and the expected form. Good ones start, and a
  browser's Origin of the same origin gets 101.
- a stray argument (`--port 8080 extra`) is named, for both servers, and
  so is a port given twice (`--port 0 0`).
- the port can also be given as -p N or as a lone number after the options
  (`echo_server 9001`, as `python3 -m http.server 8000` takes it): each
  form listens where it says and upgrades a client. echo_server without a
  port listens on 9001, where Autobahn's fuzzingclient looks (or, when
  something else has 9001, says so and exits 1).
- where each server listens by default and with --host: echo_server and
  `--host localhost` on both loopbacks, 127.0.0.1 and ::1 (RFC 6761: what
  browsers and Node 18, which tries ::1 first and does not fall back, take
  localhost to be); chat_server on every interface of both families; `::`
  alone on both families; `0.0.0.0` and `127.0.0.1` on IPv4 only. A client
  at each address that should answer gets 101; one at an address that
  should not is refused. In a network namespace of its own (`unshare -n`,
  where ::1 is not up), echo_server still starts, on 127.0.0.1 alone: an
  address family the machine lacks is skipped, not fatal.
"""

import signal
import socket
import subprocess
import sys
import time

import wsharness as h

BAD_ORIGINS = [
    ("http://localhost:8080/", "trailing slash"),
    ("http://localhost:8080/chat", "path"),
    ("localhost:8080", "no scheme"),
    ("*", "no scheme"),
    ("http://localhost:8080?x=1", "query"),
    ("http://localhost:8080#top", "fragment"),
    ("http://user@localhost:8080", "user name"),
    ("http://localhost:0", "port"),
    ("http://localhost:65536", "port"),
    ("http://[::1:8080", "IPv6"),
    ("https://", "no host"),
    ("", "no scheme"),
]
GOOD_ORIGINS = [
    ("http://localhost:8080", "http://localhost:8080"),
    ("https://chat.example.com", "https://chat.example.com"),
    ("http://[::1]:8080", "http://[::1]:8080"),
    ("null", "null"),
]


def run(argv):
    return subprocess.run(h.wrap_argv(argv), capture_output=True, text=True, timeout=h.slow(10))


def stop(checks, server, what):
    """SIGTERM must end server with exit 0."""
    server.signal(signal.SIGTERM)
    checks.check(server.wait(h.slow(10)) == 0, f"{what}: exits 0 on SIGTERM")
    server.kill(dump=False)


def listens(checks, argv, what, port=None):
    """Start argv (a server that is to pick the port given, or a free one
    for 0), check it says where it listens and upgrades a client there,
    and exits 0 on SIGTERM."""
    server = h.Proc(argv, what, ours=True)
    match = server.wait_stdout(
        lambda lines: next((m for m in map(h.LISTEN_RE.search, lines) if m), None), h.slow(10))
    if port is not None and match is None and server.wait(h.slow(10)) == 1:
        # Someone else's server on that port: the refusal must name it.
        checks.check(any(f"port {port}" in line and "in use" in line for line in server.stderr_lines),
                     f"{what}: port {port} taken by another program: says so, exit 1",
                     "\n".join(server.stderr_lines))
        server.kill(dump=False)
        return
    if checks.check(match is not None and (port is None or int(match.group(2)) == port),
                    f"{what}: listening on {'port ' + str(port) if port else 'a free port'}",
                    "\n".join(server.stdout_lines)):
        c = h.RawClient(int(match.group(2)))
        checks.check(c.upgraded, f"{what}: a client there gets 101", repr(c.response))
        c.close()
    stop(checks, server, what)


def ipv6_loopback():
    """This machine has ::1 (a container may run without IPv6)."""
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


def where(checks, argv, what, listed, answer, refuse=()):
    """Start argv with port 0: its 'listening on' lines, one per address,
    must name exactly the addresses in listed, in that order (each
    "addr:PORT", the port the same everywhere), a client at each address of
    answer must get 101, and a connection to each of refuse must be
    refused."""
    server = h.Proc(argv, what, ours=True)
    # Both print every address with one flush; chat_server's "open ... in a
    # browser" follows them.
    server.wait_stdout(lambda lines: sum("listening on" in x for x in lines) >= len(listed) and
                       ("chat_server" not in what or any(x.startswith("open ") for x in lines)),
                       h.slow(10))
    lines = [x.strip() for x in server.all_stdout if "listening on" in x]
    match = h.LISTEN_RE.search(lines[0] if lines else "")
    if not checks.check(match is not None, f"{what}: says where it listens", repr(lines)):
        server.kill()
        return
    port = int(match.group(2))
    want = [f"listening on {a}:{port}" for a in listed]
    checks.check(lines == want, f"{what}: {' / '.join(want)}", repr(lines))
    for addr in answer:
        try:
            c = h.RawClient(port, host=addr, timeout=h.slow(5))
            ok, got = c.upgraded, repr(c.response)
            c.close()
        except OSError as e:
            ok, got = False, repr(e)
        checks.check(ok, f"{what}: a client at {addr} gets 101", got)
    for addr in refuse:
        try:
            h.connect(port, h.slow(5), host=addr).close()
            refused = False
        except ConnectionRefusedError:
            refused = True
        checks.check(refused, f"{what}: {addr} is refused (not listened on)")
    stop(checks, server, what)


def addresses(checks, chat_server, echo_server):
    v6 = ipv6_loopback()
    if not v6:
        print("note: no ::1 on this machine; the IPv6 halves are not checked", flush=True)
    both_loopbacks = ["127.0.0.1", "[::1]"] if v6 else ["127.0.0.1"]
    lo6 = ["::1"] if v6 else []
    where(checks, [echo_server, "-p", "0"], "echo_server (default host)", both_loopbacks,
          ["127.0.0.1"] + lo6)
    where(checks, [chat_server, "--host", "localhost", "-p", "0"], "chat_server --host localhost",
          both_loopbacks, ["127.0.0.1"] + lo6)
    where(checks, [chat_server, "-p", "0"], "chat_server (default host)",
          ["0.0.0.0", "[::]"] if v6 else ["0.0.0.0"], ["127.0.0.1"] + lo6)
    if v6:
        where(checks, [echo_server, "--host", "::", "-p", "0"], "echo_server --host ::", ["[::]"],
              ["127.0.0.1", "::1"])
        where(checks, [echo_server, "--host", "::1", "-p", "0"], "echo_server --host ::1",
              ["[::1]"], ["::1"], refuse=["127.0.0.1"])
    where(checks, [echo_server, "--host", "0.0.0.0", "-p", "0"], "echo_server --host 0.0.0.0",
          ["0.0.0.0"], ["127.0.0.1"], refuse=lo6)
    where(checks, [chat_server, "--host", "127.0.0.1", "-p", "0"], "chat_server --host 127.0.0.1",
          ["127.0.0.1"], ["127.0.0.1"], refuse=lo6)
    without_ipv6_loopback(checks, echo_server)


def without_ipv6_loopback(checks, echo_server):
    """echo_server's default host where ::1 cannot be bound: a new network
    namespace, whose loopback is down (127.0.0.1 binds there, ::1 does
    not). It needs the right to make one (root here)."""
    probe = subprocess.run(["unshare", "-n", "true"], capture_output=True, timeout=10)
    if probe.returncode != 0:
        print(f"note: unshare -n is not allowed here ({probe.stderr.decode().strip()}); "
              "the start without ::1 is not checked", flush=True)
        return
    what = "echo_server in a namespace without ::1"
    server = h.Proc(["unshare", "-n", *h.wrap_argv([echo_server, "-p", "0"])], what)
    server.wait_stdout(lambda lines: any("listening on" in x for x in lines), h.slow(10))
    # A second line would come with the same flush; give it a moment anyway.
    time.sleep(0.2)
    lines = [x.strip() for x in server.all_stdout if "listening on" in x]
    checks.check(len(lines) == 1 and lines[0].startswith("listening on 127.0.0.1:"),
                 f"{what}: listens on 127.0.0.1 alone", repr(lines) + " " + repr(list(server.stderr_lines)[-3:]))
    stop(checks, server, what)


def body(checks):
    chat_server, echo_server = sys.argv[1:3]
    for origin, word in BAD_ORIGINS:
        r = run([chat_server, "--port", "0", "--host", h.HOST, "--origin", origin])
        h.record_exit(f"chat_server --origin {origin!r}", r.returncode)
        checks.check(r.returncode == 2 and f"--origin '{origin}'" in r.stderr and word in r.stderr
                     and "scheme://host[:port]" in r.stderr,
                     f"--origin {origin!r}: exit 2, names the value, says why ({word}) and the form",
                     f"exit {r.returncode}, stderr {r.stderr!r}")
    for origin, sent in GOOD_ORIGINS:
        server = h.Server(chat_server, "--origin", origin, name=f"chat_server(--origin {origin})")
        c = h.RawClient(server.port, headers={"Origin": sent})
        checks.check(c.upgraded, f"--origin {origin}: starts; Origin: {sent} -> 101", repr(c.response))
        c.close()
        stop(checks, server, f"--origin {origin}")

    for binary in (chat_server, echo_server):
        r = run([binary, "--port", "8080", "extra"])
        h.record_exit(f"{binary} --port 8080 extra", r.returncode)
        checks.check(r.returncode == 2 and "unexpected argument 'extra'" in r.stderr,
                     f"{binary.rsplit('/', 1)[-1]} --port 8080 extra: exit 2 naming 'extra'",
                     f"exit {r.returncode}, stderr {r.stderr[:200]!r}")
    for binary in (chat_server, echo_server):
        name = binary.rsplit('/', 1)[-1]
        r = run([binary, "--port", "0", "0"])
        h.record_exit(f"{binary} --port 0 0", r.returncode)
        checks.check(r.returncode == 2 and "the port is given twice" in r.stderr,
                     f"{name} --port 0 0: exit 2, the port is given twice",
                     f"exit {r.returncode}, stderr {r.stderr[:200]!r}")
        r = run([binary, "--host", h.HOST, "9001x"])
        h.record_exit(f"{binary} 9001x", r.returncode)
        checks.check(r.returncode == 2 and "unexpected argument '9001x'" in r.stderr,
                     f"{name} 9001x: exit 2 naming '9001x'",
                     f"exit {r.returncode}, stderr {r.stderr[:200]!r}")
        listens(checks, [binary, "--host", h.HOST, "0"], f"{name} --host {h.HOST} 0")
        listens(checks, [binary, "--host", h.HOST, "-p", "0"], f"{name} --host {h.HOST} -p 0")
    listens(checks, [echo_server], "echo_server (no port)", port=9001)
    addresses(checks, chat_server, echo_server)


if __name__ == "__main__":
    h.run_main("chat_server and echo_server arguments", body)
