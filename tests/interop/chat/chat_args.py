"""chat_server's and echo_server's command lines: values that cannot work
are refused at startup, naming the value (exit 2), instead of starting a
server that locks every browser out.

usage: chat_args.py CHAT_SERVER ECHO_SERVER

- --origin must be an origin as browsers send it: `null` or
  scheme://host[:port] (host may be [IPv6]). A trailing slash, a path, a
  query, a fragment, a user name, no scheme (`localhost:8080`, `*`) or a bad
  port: exit 2 with the value and the expected form. Good ones start, and a
  browser's Origin of the same origin gets 101.
- a stray argument (`--port 8080 extra`) is named, for both servers;
  echo_server without --port says --port is required.
"""

import signal
import subprocess
import sys

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
        server.signal(signal.SIGTERM)
        checks.check(server.wait(h.slow(10)) == 0, f"--origin {origin}: exits 0 on SIGTERM")
        server.kill(dump=False)

    for binary in (chat_server, echo_server):
        r = run([binary, "--port", "8080", "extra"])
        h.record_exit(f"{binary} --port 8080 extra", r.returncode)
        checks.check(r.returncode == 2 and "unexpected argument 'extra'" in r.stderr,
                     f"{binary.rsplit('/', 1)[-1]} --port 8080 extra: exit 2 naming 'extra'",
                     f"exit {r.returncode}, stderr {r.stderr[:200]!r}")
    r = run([echo_server])
    h.record_exit("echo_server", r.returncode)
    checks.check(r.returncode == 2 and "--port is required" in r.stderr,
                 "echo_server without --port: exit 2, says --port is required",
                 f"exit {r.returncode}, stderr {r.stderr[:200]!r}")


if __name__ == "__main__":
    h.run_main("chat_server and echo_server arguments", body)
