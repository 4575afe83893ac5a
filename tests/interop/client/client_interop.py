"""chat_client against independent servers: Python websockets and Node ws.

usage: client_interop.py python|node CHAT_CLIENT CASE

Starts echo_server.py or echo_server.js (next to this file) on an ephemeral
port of 127.0.0.1, runs chat_client against it with real stdin bytes and
checks three things for each case: what chat_client printed (byte-exact), how
it exited, and what the server saw (its JSON event lines). The cases are
listed in CASES at the bottom; each is one ctest.
"""

import base64
import json
import hashlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time

import wsharness as h

HERE = os.path.dirname(os.path.abspath(__file__))
CLOSE_BOUND = 3.0  # chat_client's documented wait for the server's close


class EchoServer(h.Proc):
    """tls: (cert, key) PEM files to serve wss:// with; extra: more
    arguments for the server (--tls12, Node only)."""

    def __init__(self, kind, host=h.HOST, tls=None, extra=()):
        if kind == "python":
            argv = [sys.executable, os.path.join(HERE, "echo_server.py")]
            env = None
        else:
            argv = [os.environ.get("WS_NODE") or "node", os.path.join(HERE, "echo_server.js")]
            env = h.node_env()
        if tls:
            argv += ["--cert", tls[0], "--key", tls[1]]
        super().__init__(argv + list(extra) + ["--host", host, "--port", "0"],
                         f"{kind} {'wss' if tls else 'ws'} echo server", env=env)
        self.scheme = "wss" if tls else "ws"
        self.host = f"[{host}]" if ":" in host else host
        match = self.wait_stdout(
            lambda lines: next((m for m in map(h.LISTEN_RE.search, lines) if m), None), 15)
        if not match:
            self.kill()
            raise RuntimeError(f"{self.name} did not start")
        self.port = int(match.group(2))
        print(f"info: {self.name} on port {self.port}", flush=True)

    def url(self, path):
        return f"{self.scheme}://{self.host}:{self.port}{path}"

    def events(self, kind=None):
        out = []
        for line in list(self.all_stdout):
            if line.startswith("{"):
                ev = json.loads(line)
                if kind is None or ev["ev"] == kind:
                    out.append(ev)
        return out

    def wait_event(self, kind, count=1, timeout=10.0):
        """The events of this kind once there are count of them (or what
        there is at the timeout)."""
        self.wait_stdout(lambda _: len(self.events(kind)) >= count, timeout)
        return self.events(kind)


def data_of(ev):
    return base64.b64decode(ev["data_b64"])


class Client:
    """chat_client as a child: bytes in, bytes out (drained by threads, so
    neither side blocks on a full pipe), exit status and timing."""

    def __init__(self, binary, args, stdin_bytes=None, hold_stdout=False):
        """hold_stdout: stdout is not read until release_stdout(), like a
        pager whose user went away."""
        self.argv = h.wrap_argv([binary, *args])
        print(f"info: run {' '.join(self.argv)}", flush=True)
        self.proc = subprocess.Popen(self.argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, preexec_fn=h._die_with_parent)
        self._out = bytearray()
        self._err = bytearray()
        self._cond = threading.Condition()
        self._stdout_gate = threading.Event()
        if not hold_stdout:
            self._stdout_gate.set()
        self._threads = [threading.Thread(target=self._drain, args=(self.proc.stdout, self._out, self._stdout_gate)),
                         threading.Thread(target=self._drain, args=(self.proc.stderr, self._err))]
        for t in self._threads:
            t.daemon = True
            t.start()
        self.rc = None
        self.elapsed = None
        if stdin_bytes is not None:
            self.write(stdin_bytes)
            self.finish()

    def _drain(self, stream, into, gate=None):
        if gate is not None:
            gate.wait()
        while True:
            chunk = stream.read1(65536)
            with self._cond:
                into.extend(chunk)
                self._cond.notify_all()
            if not chunk:
                return

    def release_stdout(self):
        self._stdout_gate.set()

    def write(self, data):
        try:
            self.proc.stdin.write(data)
            self.proc.stdin.flush()
        except BrokenPipeError:
            pass  # it exited early; the checks say whether it should have

    def wait_out(self, nbytes, timeout=20):
        """Wait until stdout holds nbytes (or the timeout, or the exit)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while len(self._out) < nbytes and time.monotonic() < deadline:
                if self.proc.poll() is not None and not self._threads[0].is_alive():
                    break
                self._cond.wait(0.1)
            return len(self._out) >= nbytes

    def finish(self, timeout=20):
        """Close stdin and wait for the exit. Returns the seconds from
        closing stdin to the exit."""
        t_close = time.monotonic()
        try:
            self.proc.stdin.close()
        except BrokenPipeError:
            pass
        killed = False
        try:
            self.proc.wait(h.slow(timeout))
        except subprocess.TimeoutExpired:
            print(f"info: still running {h.slow(timeout)}s after stdin EOF; killed", flush=True)
            self.proc.kill()
            self.proc.wait()
            killed = True
        self.elapsed = time.monotonic() - t_close
        self.release_stdout()
        for t in self._threads:
            t.join(5)
        self.rc = self.proc.returncode
        h.record_exit(f"chat_client (pid {self.proc.pid})", None if killed else self.rc)
        self.report()
        return self.elapsed

    def wait_exit(self, timeout):
        """Wait for chat_client to exit with stdin still open. True if it did."""
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            pass
        exited = self.proc.poll() is not None
        self.finish(timeout=5)
        return exited

    def report(self):
        print(f"info: exit {self.rc} {self.elapsed:.2f}s after stdin EOF; "
              f"stdout {len(self._out)} bytes", flush=True)
        for line in self.stderr.splitlines()[-(300 if h.WRAPPER and self.rc else 30):]:
            print(f"  [chat_client stderr] {line[:300]}", flush=True)

    @property
    def out(self):
        return bytes(self._out)

    @property
    def err(self):
        return bytes(self._err)

    @property
    def stderr(self):
        return self.err.decode("utf-8", "replace")


# ---------------------------------------------------------------- the cases

def talk(exe, args, stdin_bytes, expected_out):
    """Write stdin, wait until stdout has as many bytes as expected, then
    EOF: a server that sees our close stops echoing, so an EOF right behind
    the input would race the echoes (--wait is the answer for a real pipe;
    case_wait tests it)."""
    client = Client(exe, args)
    client.write(stdin_bytes)
    client.wait_out(len(expected_out), 30)
    client.finish()
    return client


def round_trip(exe, args, sent):
    lines = b"".join(line + b"\n" for line in sent)
    return talk(exe, args, lines, lines)


def check_round_trip(checks, server, client, sent, binary):
    expected_out = b"".join(line + b"\n" for line in sent)
    checks.check(client.rc == 0, "chat_client exits 0 after stdin EOF", f"exit {client.rc}")
    checks.check(client.out == expected_out,
                 f"stdout is exactly the {len(sent)} lines, each once, in order",
                 f"got {len(client.out)} bytes, want {len(expected_out)}; first difference at "
                 f"{next((i for i, (a, b) in enumerate(zip(client.out, expected_out)) if a != b), min(len(client.out), len(expected_out)))}")
    msgs = server.wait_event("message", len(sent), 5)
    got = [data_of(m) for m in msgs]
    checks.check(got == sent, "the server received every line once, in order, byte-exact",
                 f"{len(got)} messages, want {len(sent)}")
    checks.check(all(m["binary"] == binary for m in msgs),
                 f"every message arrived as {'binary' if binary else 'text'}")
    closes = server.wait_event("close", 1, 5)
    checks.check(closes and closes[0]["code"] == 1000, "the server saw close code 1000",
                 f"{closes}")


def case_lines(checks, server, exe):
    sent = [
        b"hello",
        b"",
        b"  spaces and\ttabs  ",
        "emoji \U0001F600\U0001F389 \u2764\ufe0f ok".encode(),
        "CJK \u4f60\u597d\uff0c\u4e16\u754c \u65e5\u672c\u8a9e \ud55c\uad6d\uc5b4".encode(),
        b"0123456789abcdef" * 4096,  # 64 KiB exactly
        "\u00e9".encode() * 40000,  # 80000 bytes of 2-byte sequences, over one stdin read
        "caf\u00e9 \u00fcber stra\u00dfe".encode(),
    ] + [f"numbered line {i}".encode() for i in range(300)]
    client = round_trip(exe, [server.url("/echo")], sent)
    checks.check(len(sent[5]) == 65536, "one line is 64 KiB")
    check_round_trip(checks, server, client, sent, binary=False)
    checks.check("connected to" in client.stderr, "status on stderr says it connected")


def case_binary(checks, server, exe):
    every_byte = bytes(b for b in range(256) if b != 0x0A)
    sent = [every_byte, b"\x00\x00\x00", b"\xff\xfe\xfd not UTF-8 \xc0\x80", b"plain", b"",
            every_byte * 300]
    client = round_trip(exe, ["-b", "-q", server.url("/echo")], sent)
    check_round_trip(checks, server, client, sent, binary=True)
    checks.check(client.err == b"", "-q: nothing on stderr", client.stderr[:200])


def case_invalid_utf8(checks, server, exe):
    client = talk(exe, [server.url("/echo")], b"good\nbad \xff\xfe here\nafter\n", b"good\nafter\n")
    checks.check(client.rc == 0, "exit 0", f"exit {client.rc}")
    checks.check(client.out == b"good\nafter\n", "the invalid line is not sent, the others are",
                 repr(client.out))
    checks.check("line 2 is not valid UTF-8" in client.stderr, "stderr names the bad line")
    msgs = server.wait_event("message", 2, 5)
    time.sleep(0.2)
    checks.check([data_of(m) for m in server.events("message")] == [b"good", b"after"],
                 "the server never saw invalid UTF-8", f"{msgs}")


def case_headers(checks, server, exe):
    args = ["--protocol", "nope", "--protocol", "chat", "-H", "X-Test-Token: abc 123",
            "--header", "Authorization:Bearer t0k3n", "--origin", "http://example.test",
            server.url("/echo?room=1")]
    client = talk(exe, args, b"hi\n", b"hi\n")
    checks.check(client.rc == 0, "exit 0", f"exit {client.rc}")
    checks.check(client.out == b"hi\n", "the line came back", repr(client.out))
    opens = server.wait_event("open", 1, 5)
    checks.check(len(opens) == 1, "the server saw one connection")
    if not opens:
        return
    ev = opens[0]
    hdr = ev["headers"]
    checks.check(ev["path"] == "/echo?room=1", "path and query arrive as given", ev["path"])
    checks.check(ev["protocol"] == "chat", "subprotocol chat negotiated", f"{ev['protocol']}")
    checks.check(hdr.get("sec-websocket-protocol", "").replace(" ", "") == "nope,chat",
                 "both subprotocols offered, in order", hdr.get("sec-websocket-protocol"))
    checks.check(hdr.get("x-test-token") == "abc 123", "custom header -H seen by the server",
                 f"{hdr.get('x-test-token')}")
    checks.check(hdr.get("authorization") == "Bearer t0k3n", "second -H, no space after colon",
                 f"{hdr.get('authorization')}")
    checks.check(hdr.get("origin") == "http://example.test", "--origin sent",
                 f"{hdr.get('origin')}")
    checks.check("subprotocol chat" in client.stderr, "chat_client reports the subprotocol")
    client = talk(exe, ["--protocol", "nope", server.url("/echo")], b"still works\n",
                  b"still works\n")
    checks.check(client.rc == 0 and "the server chose no subprotocol" in client.stderr,
                 "a server that picks none of ours: reported, and the session goes on")
    opens = server.wait_event("open", 2, 5)
    checks.check(len(opens) == 2 and opens[1]["protocol"] is None, "no subprotocol on the server")


def case_eof_close(checks, server, exe):
    client = Client(exe, [server.url("/echo")])
    client.write(b"one\n")
    checks.check(client.wait_out(4, 10), "the echo came back before EOF")
    elapsed = client.finish()
    checks.check(client.rc == 0, "stdin EOF -> exit 0", f"exit {client.rc}")
    checks.check(elapsed < CLOSE_BOUND, f"exits within {CLOSE_BOUND}s of EOF",
                 f"{elapsed:.2f}s")
    checks.check(client.out == b"one\n", "the echo was printed", repr(client.out))
    closes = server.wait_event("close", 1, 5)
    checks.check(closes and closes[0]["code"] == 1000, "the server saw close 1000", f"{closes}")


def case_closed_stdio(checks, server, exe):
    """Started with stdin, stdout or stderr closed (a daemon manager, cron,
    `chat_client ... >&-`): the client must not take that number for its
    socket, or it writes its output into the connection (the server sees a
    broken frame) or reads its own socket as stdin (and hangs)."""
    def run(closed, args):
        def close_it():
            os.close(closed)
        started = time.monotonic()
        try:
            proc = subprocess.run([exe] + args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, preexec_fn=close_it, timeout=15)
        except subprocess.TimeoutExpired:
            return None, b"", time.monotonic() - started
        return proc.returncode, proc.stdout, time.monotonic() - started

    sent = 0
    for closed, what in ((1, "stdout"), (2, "stderr")):
        rc, out, _ = run(closed, ["-q", "-x", f"hi {what}", "-w", "0.5", server.url("/echo")])
        sent += 1
        checks.check(rc == 0, f"{what} closed: exit 0", f"exit {rc}")
        if closed == 2:
            checks.check(out == b"hi stderr\n", "stderr closed: the echo is on stdout", repr(out))
        msgs = server.wait_event("message", sent, 5)
        checks.check([data_of(m) for m in msgs][-1:] == [f"hi {what}".encode()],
                     f"{what} closed: the server got the message, and nothing else",
                     f"{[data_of(m) for m in msgs]}")
        closes = server.wait_event("close", sent, 5)
        checks.check(len(closes) == sent and closes[-1]["code"] == 1000,
                     f"{what} closed: the server saw close 1000", f"{closes}")
    rc, out, elapsed = run(0, [server.url("/echo")])
    checks.check(rc == 0, "stdin closed: read as an empty stdin, exit 0",
                 "still running after 15 s" if rc is None else f"exit {rc}")
    checks.check(elapsed < 10, "stdin closed: done within 10 s", f"{elapsed:.1f}s")
    closes = server.wait_event("close", sent + 1, 5)
    checks.check(len(closes) == sent + 1 and closes[-1]["code"] == 1000,
                 "stdin closed: the server saw close 1000", f"{closes}")


def server_close(checks, server, exe, code, want_rc):
    client = Client(exe, [server.url(f"/close/{code}")])
    client.write(b"hello\n")
    exited = client.wait_exit(10)  # stdin stays open: the server ends it
    checks.check(exited, "chat_client exits on the server's close, stdin still open")
    checks.check(client.rc == want_rc, f"server close {code} -> exit {want_rc}", f"exit {client.rc}")
    checks.check(client.out == b"hello\n", "the echo before the close was printed",
                 repr(client.out))
    checks.check(f"server closed the connection: {code}" in client.stderr
                 and "server says bye" in client.stderr, "stderr has the code and the reason")
    closes = server.wait_event("close", 1, 5)
    checks.check(closes and closes[0]["code"] == code and closes[0]["reason"] == "server says bye",
                 f"chat_client echoed close {code} with its reason", f"{closes}")


def case_server_close_1001(checks, server, exe):
    server_close(checks, server, exe, 1001, 0)


def case_server_close_4000(checks, server, exe):
    server_close(checks, server, exe, 4000, 3)


def case_wait(checks, server, exe):
    """A real pipe: all input at once, EOF right behind it; --wait 1 keeps the
    connection until the echoes have stopped coming for a second."""
    sent = [f"piped line {i} \u00e9\u4e16".encode() for i in range(200)] + [b"z" * 100000]
    client = Client(exe, ["-q", "--wait", "1", server.url("/echo")],
                    b"".join(line + b"\n" for line in sent))
    check_round_trip(checks, server, client, sent, binary=False)
    checks.check(1.0 <= client.elapsed < 1.0 + CLOSE_BOUND + 2,
                 "it waited about a second of quiet after the echoes, then closed",
                 f"{client.elapsed:.2f}s")


def case_ipv6(checks, server, exe, kind):
    try:
        with socket.socket(socket.AF_INET6) as probe:
            probe.bind(("::1", 0))
    except OSError as exc:
        # ctest reports exit 77 as skipped (SKIP_RETURN_CODE in client.cmake).
        print(f"skip: this machine has no IPv6 loopback ({exc})", flush=True)
        h.Proc.kill_all()
        os._exit(77)
    server6 = EchoServer(kind, "::1")
    sent = [b"over IPv6", "\u4e16\u754c".encode()]
    client = round_trip(exe, [server6.url("/echo")], sent)
    check_round_trip(checks, server6, client, sent, binary=False)
    opens = server6.events("open")
    checks.check(opens and opens[0]["headers"].get("host") == f"[::1]:{server6.port}",
                 "Host header carries the IPv6 literal in brackets", f"{opens}")
    checks.check(f"([::1]:{server6.port})" in client.stderr, "status shows the IPv6 peer")


def case_tty(checks, server, exe, kind):
    """stdin is a terminal: slash commands apply without --slash."""
    import pty
    master, slave = pty.openpty()
    proc = subprocess.Popen(h.wrap_argv([exe, server.url("/echo")]), stdin=slave, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, preexec_fn=h._die_with_parent)
    os.close(slave)
    os.write(master, b"/ping tty\nhello tty\n")
    checks.check(len(server.wait_event("message", 1, 10)) == 1, "a typed line was sent")
    os.write(master, b"/close 4002 typed\n")
    try:
        out, err = proc.communicate(timeout=h.slow(10))
        h.record_exit(f"chat_client on a tty (pid {proc.pid})", proc.returncode)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        h.record_exit(f"chat_client on a tty (pid {proc.pid})", None)
    os.close(master)
    print(f"info: exit {proc.returncode}; stderr {err.decode(errors='replace')!r}", flush=True)
    checks.check(proc.returncode == 0, "/close answered -> exit 0", f"exit {proc.returncode}")
    checks.check(out == b"hello tty\n", "the echo was printed", repr(out))
    checks.check(b"/help lists commands" in err, "the interactive hint is shown on a terminal")
    checks.check([data_of(m) for m in server.events("message")] == [b"hello tty"],
                 "/ping and /close were commands, not messages")
    closes = server.wait_event("close", 1, 5)
    checks.check(closes and closes[0]["code"] == 4002 and closes[0]["reason"] == "typed",
                 "the server saw close 4002 typed", f"{closes}")
    if kind == "node":
        checks.check([data_of(p) for p in server.events("ping")] == [b"tty"],
                     "/ping tty reached the server")


def case_sigint(checks, server, exe):
    import signal
    client = Client(exe, [server.url("/echo")])
    client.write(b"before the signal\n")
    checks.check(client.wait_out(18, 10), "the echo arrived")
    t0 = time.monotonic()
    client.proc.send_signal(signal.SIGINT)
    exited = client.wait_exit(CLOSE_BOUND + 2)
    checks.check(exited and client.rc == 0, "Ctrl-C closes cleanly -> exit 0", f"exit {client.rc}")
    checks.check(time.monotonic() - t0 < CLOSE_BOUND, "promptly")
    closes = server.wait_event("close", 1, 5)
    checks.check(closes and closes[0]["code"] == 1000, "the server saw close 1000", f"{closes}")
    # The terminal going away (SIGHUP) closes as SIGTERM does, with 1001.
    client = Client(exe, [server.url("/echo")])
    client.write(b"before the hangup\n")
    checks.check(client.wait_out(18, 10), "the echo arrived")
    client.proc.send_signal(signal.SIGHUP)
    exited = client.wait_exit(CLOSE_BOUND + 2)
    checks.check(exited and client.rc == 0, "SIGHUP closes cleanly -> exit 0", f"exit {client.rc}")
    closes = server.wait_event("close", 2, 5)
    checks.check(len(closes) == 2 and closes[1]["code"] == 1001, "the server saw close 1001",
                 f"{closes}")


def case_refused(checks, server, exe):
    client = Client(exe, [f"ws://{h.HOST}:{h.free_port()}/"], b"never sent\n")
    checks.check(client.rc == 2, "connection refused -> exit 2", f"exit {client.rc}")
    checks.check("connection refused" in client.stderr, "stderr says connection refused")
    checks.check(client.out == b"", "nothing on stdout")


def case_not_found(checks, server, exe):
    client = Client(exe, [server.url("/notfound")], b"never sent\n")
    checks.check(client.rc == 2, "404 -> exit 2", f"exit {client.rc}")
    checks.check("handshake failed: server answered 404 Not Found" in client.stderr,
                 "stderr: handshake failed: server answered 404 Not Found")
    checks.check(server.events("open") == [], "no WebSocket connection was opened")


def case_unresolvable(checks, server, exe):
    # A 64-character label is not a DNS name (63 at most), so the resolver
    # refuses it without sending a query: the test stays off the network.
    client = Client(exe, [f"ws://{'a' * 64}.invalid:9/"], b"")
    checks.check(client.rc == 2, "unresolvable host -> exit 2", f"exit {client.rc}")
    checks.check("could not resolve host" in client.stderr, "stderr: could not resolve host")


def case_wss(checks, server, exe):
    client = Client(exe, [f"wss://{h.HOST}:{server.port}/echo"], b"x\n")
    checks.check(client.rc == 2, "wss:// -> exit 2", f"exit {client.rc}")
    checks.check("wss:// needs TLS, which this build does not have" in client.stderr,
                 "stderr explains that wss:// needs TLS")
    time.sleep(0.2)
    checks.check(server.events("open") == [], "no connection was made")


def case_wss_lines(checks, kind, exe, certs):
    """wss:// to a real TLS server: the lines case byte-exact both ways
    (64 KiB and 80 KB lines cross many TLS records and partial writes), then
    a 3 MB message from the server (decrypted faster than it is parsed:
    bytes wait inside TLS, not in the socket)."""
    server = EchoServer(kind, tls=certs.good)
    sent = [b"hello over TLS", b"", "emoji \U0001F600 CJK \u4f60\u597d".encode(),
            b"0123456789abcdef" * 4096, "\u00e9".encode() * 40000] + \
           [f"numbered line {i}".encode() for i in range(300)]
    client = round_trip(exe, ["--cacert", certs.ca, server.url("/echo")], sent)
    check_round_trip(checks, server, client, sent, binary=False)
    checks.check("connected to wss://" in client.stderr, "status says it connected over wss://",
                 client.stderr[:300])

    big = 3_000_000
    client = talk(exe, ["-q", "--cacert", certs.ca, server.url(f"/big/{big}")], b"",
                  b"x" * big + b"\n")
    checks.check(client.rc == 0 and client.out == b"x" * big + b"\n",
                 f"a {big}-byte message from the server arrives whole over TLS",
                 f"exit {client.rc}, {len(client.out)} bytes")

    localhost = talk(exe, ["-q", "--cacert", certs.ca,
                           f"wss://localhost:{server.port}/echo"], b"by name\n", b"by name\n")
    checks.check(localhost.rc == 0 and localhost.out == b"by name\n",
                 "wss://localhost (the certificate's DNS name, sent as SNI) works too",
                 f"exit {localhost.rc}: {localhost.stderr[:300]}")
    # RFC 6455 section 4.1: clients MUST use Server Name Indication; RFC
    # 6066 section 3 forbids it for an address, so only wss://localhost
    # names one.
    server.wait_event("tls", 1, 5)
    names = [ev["sni"] for ev in server.events("tls") if ev["sni"]]
    checks.check(names == ["localhost"], "SNI: the name for wss://localhost, none for 127.0.0.1",
                 f"{names}")


def case_wss_verify(checks, kind, exe, certs):
    """Certificates are checked, failures say why and exit 2, -k skips the
    check, and TLS to a plain server (or plain to TLS) fails cleanly."""
    good = EchoServer(kind, tls=certs.good)
    client = Client(exe, [good.url("/echo")], b"never sent\n")
    checks.check(client.rc == 2 and "certificate verify failed" in client.stderr,
                 "a CA the system does not trust: exit 2, 'certificate verify failed'",
                 f"exit {client.rc}: {client.stderr[:300]}")

    other = EchoServer(kind, tls=certs.other)
    client = Client(exe, ["--cacert", certs.ca, other.url("/echo")], b"never sent\n")
    checks.check(client.rc == 2 and "certificate verify failed" in client.stderr
                 and "mismatch" in client.stderr,
                 "a trusted certificate for another name: exit 2, says the name does not match",
                 f"exit {client.rc}: {client.stderr[:300]}")
    time.sleep(0.2)
    checks.check(good.events("open") == [] and other.events("open") == [],
                 "no WebSocket connection was opened after a failed check")

    client = talk(exe, ["-q", "-k", other.url("/echo")], b"anyway\n", b"anyway\n")
    checks.check(client.rc == 0 and client.out == b"anyway\n",
                 "-k: the same server is accepted", f"exit {client.rc}: {client.stderr[:300]}")
    client = talk(exe, ["-q", "--no-check", other.url("/echo")], b"wscat\n", b"wscat\n")
    checks.check(client.rc == 0 and client.out == b"wscat\n", "--no-check (wscat's name) too",
                 f"exit {client.rc}")

    plain = EchoServer(kind)
    client = Client(exe, ["--cacert", certs.ca, f"wss://{h.HOST}:{plain.port}/echo"], b"x\n")
    checks.check(client.rc == 2 and "TLS handshake failed" in client.stderr,
                 "wss:// to a server without TLS: exit 2, 'TLS handshake failed'",
                 f"exit {client.rc}: {client.stderr[:300]}")
    client = Client(exe, [f"ws://{h.HOST}:{good.port}/echo"], b"x\n")
    checks.check(client.rc == 2 and "handshake failed" in client.stderr,
                 "ws:// to a TLS server: exit 2, handshake failed",
                 f"exit {client.rc}: {client.stderr[:300]}")
    client = Client(exe, ["--cacert", "/nonexistent/ca.pem", good.url("/echo")], b"")
    checks.check(client.rc == 1 and "--cacert" in client.stderr,
                 "--cacert of a missing file: exit 1 naming it", f"exit {client.rc}")


def case_wss_server_close(checks, kind, exe, certs):
    """The close handshake through TLS: the server's 4000 ends with exit 3."""
    server = EchoServer(kind, tls=certs.good)
    client = Client(exe, ["--cacert", certs.ca, server.url("/close/4000")])
    client.write(b"bye\n")
    exited = client.wait_exit(h.slow(10))
    checks.check(exited and client.rc == 3, "server close 4000 over TLS -> exit 3",
                 f"exit {client.rc}")
    checks.check("4000" in client.stderr and "server says bye" in client.stderr,
                 "stderr reports the code and reason", client.stderr[:300])


class ConnectProxy(EchoServer):
    """connect_proxy.py next to this file: an HTTP CONNECT proxy that
    tunnels to 127.0.0.1 and ::1 only and reports each CONNECT as JSON."""

    def __init__(self, deny=False):
        h.Proc.__init__(self, [sys.executable, os.path.join(HERE, "connect_proxy.py"), "--port",
                               "0"] + (["--deny"] if deny else []), "CONNECT proxy")
        match = self.wait_stdout(
            lambda lines: next((m for m in map(h.LISTEN_RE.search, lines) if m), None), 15)
        if not match:
            self.kill()
            raise RuntimeError("the CONNECT proxy did not start")
        self.port = int(match.group(2))


def case_proxy(checks, server, exe):
    """--proxy: ws:// through an HTTP CONNECT proxy, byte-exact both ways,
    the CONNECT naming the server's host and port; a proxy that refuses
    (407), and one that is not there, each exit 2 with the reason."""
    proxy = ConnectProxy()
    sent = [b"through the proxy", "\u00e9\u4e2d\U0001F600".encode(), b"x" * 70000]
    client = round_trip(exe, ["--proxy", f"{h.HOST}:{proxy.port}", server.url("/echo")], sent)
    check_round_trip(checks, server, client, sent, binary=False)
    connects = proxy.events("connect")
    checks.check(len(connects) == 1 and connects[0]["target"] == f"{h.HOST}:{server.port}"
                 and connects[0]["host_header"] == f"{h.HOST}:{server.port}",
                 "one CONNECT, to the server's host:port, with the same Host", f"{connects}")

    client = talk(exe, ["-q", "--proxy", f"http://{h.HOST}:{proxy.port}/", server.url("/echo")],
                  b"scheme form\n", b"scheme form\n")
    checks.check(client.rc == 0 and client.out == b"scheme form\n",
                 "--proxy http://HOST:PORT/ works the same", f"exit {client.rc}")

    denying = ConnectProxy(deny=True)
    client = Client(exe, ["--proxy", f"{h.HOST}:{denying.port}", server.url("/echo")], b"x\n")
    checks.check(client.rc == 2 and "proxy CONNECT failed: the proxy answered 407" in client.stderr,
                 "a proxy that answers 407: exit 2 with its answer", client.stderr[:300])
    client = Client(exe, ["--proxy", f"{h.HOST}:{h.free_port()}", server.url("/echo")], b"x\n")
    checks.check(client.rc == 2 and "proxy: connection refused" in client.stderr,
                 "no proxy on that port: exit 2, 'proxy: connection refused'", client.stderr[:300])
    client = Client(exe, ["--proxy", "socks5://127.0.0.1:1080", server.url("/echo")], b"")
    checks.check(client.rc == 1 and "only http:// proxies" in client.stderr,
                 "a SOCKS proxy URL: exit 1, only http:// proxies", client.stderr[:300])


def case_wss_proxy(checks, kind, exe, certs):
    """wss:// through the CONNECT tunnel: TLS runs end to end with the
    server, and its certificate is checked for the server's name, not the
    proxy's."""
    server = EchoServer(kind, tls=certs.good)
    proxy = ConnectProxy()
    client = talk(exe, ["-q", "--cacert", certs.ca, "--proxy", f"{h.HOST}:{proxy.port}",
                        server.url("/echo")], b"tls in a tunnel\n", b"tls in a tunnel\n")
    checks.check(client.rc == 0 and client.out == b"tls in a tunnel\n",
                 "wss:// through the proxy: byte-exact, exit 0", f"exit {client.rc}: {client.stderr[:300]}")
    other = EchoServer(kind, tls=certs.other)
    client = Client(exe, ["--cacert", certs.ca, "--proxy", f"{h.HOST}:{proxy.port}",
                          other.url("/echo")], b"x\n")
    checks.check(client.rc == 2 and "mismatch" in client.stderr,
                 "through the proxy, a certificate for another name is still refused",
                 client.stderr[:300])


def case_wss_burst(checks, kind, exe, certs):
    """A burst of small lines over wss:// is packed into full TLS records,
    not one record per frame (a syscall and ~29 bytes of overhead each, and
    as much again in the server's decryption). The proxy counts the
    records the client sends; the lines must still arrive byte-exact."""
    server = EchoServer(kind, tls=certs.good)
    proxy = ConnectProxy()
    sent = [f"burst line {i}".encode() for i in range(3000)]
    client = round_trip(exe, ["--cacert", certs.ca, "--proxy", f"{h.HOST}:{proxy.port}",
                              server.url("/echo")], sent)
    check_round_trip(checks, server, client, sent, binary=False)
    closed = proxy.wait_event("tunnel_closed", 1, 5)
    records = (closed[0]["records"] or {}) if closed else {}
    data_records = records.get("23", 0)
    checks.check(closed and 0 < data_records <= len(sent) // 10,
                 f"the {len(sent)} frames went out in at most {len(sent) // 10} TLS records",
                 f"records sent by type: {records}")


def case_wss_backpressure(checks, kind, exe, certs):
    """A TLS server that reads nothing for a while: chat_client's writes
    back up (OpenSSL says WANT_WRITE with a packed record half sent), and
    every retry must offer the same bytes again, or OpenSSL fails with "bad
    write retry". Small lines (packed into records) and large ones (sent
    without the copy) interleave; all must arrive once, in order."""
    stall_ms = 1500
    server = EchoServer(kind, tls=certs.good)
    lines = []
    for i in range(120_000):
        lines.append(f"line {i} " + "\u00e9\u4e2d" * (i % 17) + "x" * (i % 41))
        if i % 3000 == 0:
            lines.append(("big %d " % i) + "y" * (100_000 + 997 * (i // 3000)))
    data = "".join(line + "\n" for line in lines).encode()
    digest = hashlib.sha256(data).hexdigest()
    client = Client(exe, ["-q", "--cacert", certs.ca, server.url(f"/sink/{stall_ms}")])
    started = time.monotonic()
    client.write(data)
    written_after = time.monotonic() - started
    client.finish(timeout=60)
    sinks = server.wait_event("sink", 1, h.slow(30))
    checks.check(client.rc == 0, "chat_client exits 0 after stdin EOF",
                 f"exit {client.rc}: {client.stderr[-300:]}")
    checks.check(written_after >= stall_ms / 1000 * 0.8,
                 f"the client was held back while the server read nothing "
                 f"({len(data) >> 20} MiB offered: stdin took {written_after:.2f} s)",
                 f"stdin was taken in {written_after:.2f} s, the stall is {stall_ms} ms")
    got = sinks[0] if sinks else {}
    checks.check(got.get("messages") == len(lines) and got.get("bytes") == len(data) - len(lines)
                 and got.get("sha256") == digest,
                 f"the server received all {len(lines)} lines once, in order, byte-exact",
                 f"{got}")
    closes = server.wait_event("close", 1, 5)
    checks.check(closes and closes[0]["code"] == 1000, "the server saw close code 1000",
                 f"{closes}")


def case_wss_renegotiate(checks, kind, exe, certs):
    """A TLS 1.2 server that renegotiates while messages flow both ways
    (Node only: Python's ssl cannot start one). The handshake must be left
    to reads: driven by a write, OpenSSL failed the connection ("unexpected
    record") in 4 runs of 10 when the server's echoes came before its
    ServerHello."""
    server = EchoServer(kind, tls=certs.good, extra=["--tls12"])
    sent = [f"line {i} ".encode() + b"z" * (i * 7919 % 300) for i in range(20000)]
    client = round_trip(exe, ["--cacert", certs.ca, server.url("/renegotiate")], sent)
    check_round_trip(checks, server, client, sent, binary=False)
    done = server.wait_event("renegotiated", 1, 5)
    checks.check(done and done[0].get("error") is None and done[0].get("protocol") == "TLSv1.2",
                 "the server renegotiated TLS 1.2 once, with messages in flight", f"{done}")


def case_usage(checks, server, exe):
    for args, what in [([], "no URL"), (["-H", "no colon", server.url("/")], "bad -H"),
                       (["--protocol", "two words", server.url("/")], "bad --protocol"),
                       (["-s", "chat", "-s", "chat", server.url("/")], "a --protocol twice"),
                       (["--ping-interval", "0", server.url("/")], "bad --ping-interval"),
                       (["--ping-timeout", "-1", server.url("/")], "bad --ping-timeout"),
                       (["-H", "Sec-WebSocket-Key: x", server.url("/")], "-H of a handshake field"),
                       (["http://127.0.0.1/"], "not a ws:// URL")]:
        client = Client(exe, args, b"")
        checks.check(client.rc == 1 and client.stderr.startswith("chat_client: "),
                     f"{what}: exit 1 with a sentence", f"exit {client.rc}")
    client = Client(exe, ["--help"], b"")
    checks.check(client.rc == 0 and b"--ping-interval" in client.out, "--help: usage on stdout")
    checks.check(server.events("open") == [], "no connection for bad arguments")


def case_server_ping(checks, server, exe):
    client = Client(exe, ["-v", server.url("/ping")])
    pongs = server.wait_event("pong_received", 1, 10)
    checks.check(len(pongs) == 1 and data_of(pongs[0]) == b"are you there?",
                 "the server's ping was answered with a pong carrying its payload", f"{pongs}")
    client.finish()
    checks.check(client.rc == 0, "exit 0", f"exit {client.rc}")
    checks.check("< ping" in client.stderr, "-v logs the ping")


def case_client_ping(checks, server, exe, kind):
    """--ping-interval, with a --ping-timeout that a live server's pongs
    always meet (raw_ping_timeout has the server that does not answer)."""
    client = Client(exe, ["-v", "--ping-interval", "0.2", "--ping-timeout", "1", server.url("/echo")])
    # The 1.3 s count from the connection, not from the start of a program
    # that may run under a slow WS_TEST_WRAPPER.
    deadline = time.monotonic() + h.slow(10)
    while b"connected to" not in client.err and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(1.3)
    client.finish()
    checks.check(client.rc == 0, "exit 0", f"exit {client.rc}")
    pongs = client.stderr.count("< pong")
    checks.check(pongs >= 3, "--ping-interval 0.2: the server's pongs arrive (>= 3 in 1.3 s)",
                 f"{pongs}")
    if kind == "node":
        pings = server.events("ping")
        checks.check(len(pings) >= 3 and all(data_of(p).startswith(b"chat_client ") for p in pings),
                     "the server saw our pings", f"{pings}")


def case_slash(checks, server, exe, kind):
    client = Client(exe, ["--slash", server.url("/echo")])
    client.write(b"/ping hello\n//slashed\n/nonsense\n")
    client.wait_out(len(b"/slashed\n"), 10)
    client.write(b"/close 4001 done\nnot sent\n")
    client.finish()
    checks.check(client.rc == 0, "our /close answered -> exit 0", f"exit {client.rc}")
    checks.check(client.out == b"/slashed\n", "//slashed is sent as /slashed; commands are not",
                 repr(client.out))
    checks.check("unknown command /nonsense" in client.stderr, "an unknown command is refused")
    closes = server.wait_event("close", 1, 5)
    checks.check(closes and closes[0]["code"] == 4001 and closes[0]["reason"] == "done",
                 "the server saw /close 4001 done", f"{closes}")
    checks.check([data_of(m) for m in server.events("message")] == [b"/slashed"],
                 "only the one line went out as a message")
    if kind == "node":
        checks.check([data_of(p) for p in server.events("ping")] == [b"hello"],
                     "/ping hello reached the server")
    # Without --slash (stdin is a pipe) the same lines are plain messages.
    client = talk(exe, ["-q", server.url("/echo")], b"/ping hello\n", b"/ping hello\n")
    checks.check(client.rc == 0 and client.out == b"/ping hello\n",
                 "in a pipe without --slash, /ping is an ordinary line", repr(client.out))


def case_max_message(checks, server, exe):
    client = Client(exe, ["--max-message", "100", server.url("/big/200")])
    exited = client.wait_exit(10)
    checks.check(exited and client.rc == 4, "a 200-byte message over --max-message 100 -> exit 4",
                 f"exit {client.rc}")
    checks.check("protocol error" in client.stderr, "stderr says protocol error")
    closes = server.wait_event("close", 1, 5)
    checks.check(closes and closes[0]["code"] == 1009, "the server got close 1009", f"{closes}")
    client = talk(exe, ["--max-message", "100", server.url("/echo")],
                  b"y" * 150 + b"\n" + b"z" * 100 + b"\n", b"z" * 100 + b"\n")
    checks.check(client.rc == 0, "exit 0", f"exit {client.rc}")
    checks.check(client.out == b"z" * 100 + b"\n", "a line of 100 bytes goes, 150 does not",
                 repr(client.out[:40]))
    checks.check("line 1 is longer than 100 bytes" in client.stderr, "stderr names the long line")


# ------------------------------------------------ a scripted raw-socket server

class RawServer:
    """One connection on a bare socket, scripted byte by byte, for what no
    well-behaved server does: frames glued to the 101, fragments with a ping
    between them, masked frames, bad UTF-8, a close never answered. The
    script runs in a thread; the test thread reads self.seen afterwards."""

    def __init__(self, script, accept_key=True, protocol=None, extensions=None):
        self.lsock = socket.socket()
        self.lsock.bind((h.HOST, 0))
        self.lsock.listen(1)
        self.port = self.lsock.getsockname()[1]
        self.script = script
        self.accept_key = accept_key
        self.protocol = protocol
        self.extensions = extensions  # a Sec-WebSocket-Extensions value to answer with
        self.seen = []  # client frames: (opcode, payload, mask key or None)
        self.error = None
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def url(self, path="/"):
        return f"ws://{h.HOST}:{self.port}{path}"

    def _run(self):
        try:
            self.lsock.settimeout(15)
            conn, _ = self.lsock.accept()
            self.sock = conn
            conn.settimeout(10)
            head = b""
            while b"\r\n\r\n" not in head:
                chunk = conn.recv(4096)
                if not chunk:
                    return
                head += chunk
            head, self.buf = head.split(b"\r\n\r\n", 1)
            self.head_bytes = head
            key = next(line.split(b":", 1)[1].strip().decode()
                       for line in head.split(b"\r\n") if line.lower().startswith(b"sec-websocket-key:"))
            accept = h.accept_for(key) if self.accept_key else h.accept_for(h.new_key())
            lines = ["HTTP/1.1 101 Switching Protocols", "Upgrade: websocket", "Connection: Upgrade",
                     f"Sec-WebSocket-Accept: {accept}"]
            if self.protocol:
                lines.append(f"Sec-WebSocket-Protocol: {self.protocol}")
            if self.extensions:
                lines.append(f"Sec-WebSocket-Extensions: {self.extensions}")
            self.handshake = ("\r\n".join(lines) + "\r\n\r\n").encode()
            self.script(self)
        except Exception as exc:  # noqa: BLE001 - reported by the test thread
            self.error = repr(exc)

    def send(self, data):
        self.sock.sendall(data)

    def frame(self, opcode, payload=b"", fin=True, mask=False):
        return h.encode_frame(opcode, payload, fin=fin, mask=mask)

    def _fill(self, n, deadline):
        while len(self.buf) < n:
            self.sock.settimeout(max(0.01, deadline - time.monotonic()))
            try:
                chunk = self.sock.recv(65536)
            except (socket.timeout, ConnectionResetError):
                return False
            if not chunk:
                return False
            self.buf += chunk
        return True

    def read(self, timeout=10):
        """The client's next frame as (opcode, payload, key), or None.
        wsharness.FrameReader reads frames too, but drops the mask key, and
        the key is what case_raw_frames checks."""
        deadline = time.monotonic() + timeout
        if not self._fill(2, deadline):
            return None
        n, pos = self.buf[1] & 0x7F, 2
        if n >= 126:
            size = 2 if n == 126 else 8
            if not self._fill(2 + size, deadline):
                return None
            n, pos = int.from_bytes(self.buf[2:2 + size], "big"), 2 + size
        key = None
        if self.buf[1] & 0x80:
            if not self._fill(pos + 4, deadline):
                return None
            key, pos = bytes(self.buf[pos:pos + 4]), pos + 4
        if not self._fill(pos + n, deadline):
            return None
        payload = bytes(self.buf[pos:pos + n])
        if key:
            payload = h.mask_bytes(payload, key)
        opcode = self.buf[0] & 0x0F
        self.buf = self.buf[pos + n:]
        self.seen.append((opcode, payload, key))
        return opcode, payload, key

    def read_until(self, opcode, timeout=10):
        deadline = time.monotonic() + timeout
        while True:
            f = self.read(max(0.0, deadline - time.monotonic()))
            if f is None or f[0] == opcode:
                return f

    def eof(self, timeout=5):
        """True when the client closes TCP within timeout."""
        deadline = time.monotonic() + timeout
        while self.read(max(0.0, deadline - time.monotonic())) is not None:
            pass
        return time.monotonic() < deadline

    def finish(self, checks):
        self.thread.join(20)
        checks.check(self.error is None, "the scripted server ran its script", f"{self.error}")


def case_raw_frames(checks, exe):
    """Frames glued to the 101, a fragmented text with a ping between the
    fragments, a binary message; then our lines must arrive masked, each
    frame with its own key, and EOF must close 1000 and wait for our TCP
    close."""
    def script(srv):
        srv.send(srv.handshake + srv.frame(h.OP_TEXT, b"early"))
        srv.send(srv.frame(h.OP_TEXT, "frag".encode(), fin=False)
                 + srv.frame(h.OP_PING, b"between")
                 + srv.frame(h.OP_CONT, "men\u00e9".encode()[:4], fin=False))
        time.sleep(0.1)  # the UTF-8 sequence of the accent is split across reads, too
        srv.send(srv.frame(h.OP_CONT, "men\u00e9".encode()[4:] + b"ted")
                 + srv.frame(h.OP_BINARY, b"\x00\x01bin\xff"))
        srv.pong = srv.read_until(h.OP_PONG)
        srv.read_until(h.OP_CLOSE)
        srv.send(srv.frame(h.OP_CLOSE, h.close_payload(1000)))
        time.sleep(0.2)
        srv.sock.close()

    srv = RawServer(script)
    want = "early\nfragmen\u00e9ted\n".encode() + b"\x00\x01bin\xff\n"
    client = talk(exe, ["-q", srv.url()], b"x\ny\n", want)
    srv.finish(checks)
    checks.check(client.out == want, "frames behind the 101, fragments and binary printed whole",
                 repr(client.out))
    checks.check(client.rc == 0, "exit 0", f"exit {client.rc}")
    checks.check(getattr(srv, "pong", None) and srv.pong[1] == b"between",
                 "the ping between fragments was answered with its payload", f"{getattr(srv, 'pong', None)}")
    texts = [p for op, p, _ in srv.seen if op == h.OP_TEXT]
    checks.check(texts == [b"x", b"y"], "both lines arrived as text frames", f"{texts}")
    keys = [k for _, _, k in srv.seen]
    checks.check(all(k is not None for k in keys), "every client frame is masked", f"{srv.seen}")
    checks.check(len(set(keys)) == len(keys) and len(keys) >= 4,
                 "every frame has its own mask key", f"{keys}")
    closes = [p for op, p, _ in srv.seen if op == h.OP_CLOSE]
    checks.check(closes == [h.close_payload(1000)], "one close 1000 from stdin EOF", f"{closes}")


def close_to_eof(srv):
    """Seconds from the client's close frame reaching the server to the
    client's TCP close, or -1 if the script did not get that far. Timed
    there, not from the client's start, which a slow start (valgrind on a
    loaded machine) would add to."""
    t_close, t_eof = getattr(srv, "t_close", None), getattr(srv, "t_eof", None)
    return -1.0 if t_close is None or t_eof is None else t_eof - t_close


def case_raw_close_unanswered(checks, exe):
    def script(srv):
        srv.send(srv.handshake)
        srv.close_frame = srv.read_until(h.OP_CLOSE)
        srv.t_close = time.monotonic()
        srv.saw_eof = srv.eof(10)  # never answer: the client must give up by itself
        srv.t_eof = time.monotonic()

    srv = RawServer(script)
    client = Client(exe, [srv.url()], b"")
    srv.finish(checks)
    checks.check(client.rc == 4, "close not answered -> exit 4", f"exit {client.rc}")
    waited = close_to_eof(srv)
    checks.check(2.5 <= waited <= CLOSE_BOUND + 1.5,
                 f"gave up after the {CLOSE_BOUND:.0f} s bound", f"{waited:.2f} s after its close frame")
    checks.check("did not answer the close within 3 s" in client.stderr, "stderr says why")
    checks.check(getattr(srv, "close_frame", None) and srv.close_frame[1] == h.close_payload(1000),
                 "the server got close 1000")
    checks.check(getattr(srv, "saw_eof", False), "the client closed TCP")


def case_raw_no_tcp_close(checks, exe):
    """The server answers the close but keeps TCP open: the client waits the
    bound for the server's TCP close (RFC 6455 7.1.1), then closes itself:
    still a clean close."""
    def script(srv):
        srv.send(srv.handshake)
        srv.read_until(h.OP_CLOSE)
        srv.t_close = time.monotonic()
        srv.send(srv.frame(h.OP_CLOSE, h.close_payload(1000)))
        srv.saw_eof = srv.eof(10)
        srv.t_eof = time.monotonic()

    srv = RawServer(script)
    client = Client(exe, ["-q", srv.url()], b"")
    srv.finish(checks)
    checks.check(client.rc == 0, "close answered -> exit 0", f"exit {client.rc}")
    waited = close_to_eof(srv)
    checks.check(2.5 <= waited <= CLOSE_BOUND + 1.5,
                 "waited for the server's TCP close, bounded", f"{waited:.2f} s after its close frame")
    checks.check(getattr(srv, "saw_eof", False), "then closed TCP itself")


def case_raw_drop(checks, exe):
    def script(srv):
        srv.send(srv.handshake + srv.frame(h.OP_TEXT, b"last words"))
        time.sleep(0.2)
        srv.sock.close()

    srv = RawServer(script)
    client = Client(exe, [srv.url()])
    exited = client.wait_exit(10)
    srv.finish(checks)
    checks.check(exited and client.rc == 4, "TCP dropped without a close -> exit 4",
                 f"exit {client.rc}")
    checks.check(client.out == b"last words\n", "what came before was printed", repr(client.out))
    checks.check("without a close frame (1006)" in client.stderr, "stderr says 1006")


def case_raw_after_close(checks, exe):
    """A server that sends more after its close frame (RFC 6455 section
    5.5.1 says it must not), in the same TCP segment and again after the
    client's answer: the extra bytes are dropped, and the exit status is
    the close's, however they were cut into reads."""
    for code, extra, want_rc in ((1000, h.OP_TEXT, 0), (1000, h.OP_PING, 0), (4000, h.OP_TEXT, 3)):
        def script(srv):
            srv.send(srv.handshake)
            time.sleep(0.2)  # a read of its own, not the handshake's leftovers
            srv.send(srv.frame(h.OP_CLOSE, h.close_payload(code)) + srv.frame(extra, b"late"))
            srv.close_frame = srv.read_until(h.OP_CLOSE)
            # More still, in a read of its own, then TCP closes.
            srv.send(srv.frame(h.OP_CLOSE, h.close_payload(code)))
            time.sleep(0.3)
            srv.sock.close()

        srv = RawServer(script)
        client = Client(exe, [srv.url()])
        exited = client.wait_exit(h.slow(10))
        srv.finish(checks)
        what = f"close {code} glued to a {'text' if extra == h.OP_TEXT else 'ping'} frame"
        cf = getattr(srv, "close_frame", None)
        checks.check(cf is not None and cf[1][:2] == code.to_bytes(2, "big"),
                     f"{what}: the close is answered with {code}", f"{cf and cf[:2]}")
        checks.check(exited and client.rc == want_rc, f"{what}: exit {want_rc}", f"exit {client.rc}")
        checks.check(b"late" not in client.out and "protocol error" not in client.stderr,
                     f"{what}: the late frame is dropped, no error reported",
                     f"{client.out!r} {client.stderr[-200:]!r}")


def case_raw_big_request(checks, exe):
    """An upgrade request bigger than 8 KiB (a long path, a big cookie) is
    sent whole: whether a head that big is welcome is the server's call."""
    cookie, path = "c=" + "x" * 12000, "/" + "p" * 9000 + "?q=1"

    def script(srv):
        srv.request = srv.head_bytes
        srv.send(srv.handshake + srv.frame(h.OP_CLOSE, h.close_payload(1000)))
        srv.read_until(h.OP_CLOSE)
        srv.sock.close()

    srv = RawServer(script)
    client = Client(exe, ["-q", "-H", f"Cookie: {cookie}", srv.url(path)])
    exited = client.wait_exit(h.slow(10))
    srv.finish(checks)
    head = getattr(srv, "request", b"").decode("latin-1")
    checks.check(head.startswith(f"GET {path} HTTP/1.1\r\n"), "the 9 KiB path is sent whole",
                 repr(head[:80]))
    checks.check(f"\r\nCookie: {cookie}\r\n" in head + "\r\n", "the 12 KiB cookie is sent whole",
                 f"{len(head)} bytes of head")
    checks.check(exited and client.rc == 0, "then the connection works (exit 0)", f"exit {client.rc}")


def raw_violation(checks, exe, frame, want_code, what):
    """The client fails the connection (RFC 6455 7.1.7): a close with
    want_code, then nothing more is processed (a text and a ping glued
    behind the bad frame are neither printed nor answered), and TCP closes
    without waiting for the server's close in reply (which it would give
    CLOSE_BOUND seconds after a close of its own)."""
    def script(srv):
        srv.send(srv.handshake + frame + srv.frame(h.OP_TEXT, b"after") + srv.frame(h.OP_PING, b"after"))
        srv.close_frame = srv.read_until(h.OP_CLOSE)
        srv.t_close = time.monotonic()
        srv.saw_eof = srv.eof(5)
        srv.t_eof = time.monotonic()

    srv = RawServer(script)
    client = Client(exe, [srv.url()])
    exited = client.wait_exit(10)
    srv.finish(checks)
    checks.check(exited and client.rc == 4, f"{what} -> exit 4", f"exit {client.rc}")
    checks.check("protocol error" in client.stderr, "stderr says protocol error")
    cf = getattr(srv, "close_frame", None)
    checks.check(cf and cf[1][:2] == want_code.to_bytes(2, "big"),
                 f"the client sent close {want_code}", f"{cf}")
    checks.check(getattr(srv, "saw_eof", False), "and closed TCP")
    waited = close_to_eof(srv)
    checks.check(0 <= waited < h.slow(1.5), "without waiting for a close in reply",
                 f"{waited:.2f} s after its close frame")
    checks.check(client.out == b"", "nothing printed")
    checks.check([f[0] for f in srv.seen] == [h.OP_CLOSE], "no frame but the close (no pong)",
                 str([f[:2] for f in srv.seen]))


def case_raw_masked(checks, exe):
    raw_violation(checks, exe, h.encode_frame(h.OP_TEXT, b"masked", mask=True), 1002,
                  "a masked frame from the server")


def case_raw_bad_utf8(checks, exe):
    raw_violation(checks, exe, h.encode_frame(h.OP_TEXT, b"ok \xed\xa0\x80", mask=False), 1007,
                  "text with a UTF-16 surrogate")


def raw_handshake_fails(checks, exe, srv_kw, args, want):
    def script(srv):
        srv.send(srv.handshake)
        srv.saw_eof = srv.eof(5)

    srv = RawServer(script, **srv_kw)
    client = Client(exe, [*args, srv.url()], b"x\n")
    srv.finish(checks)
    checks.check(client.rc == 2, "exit 2", f"exit {client.rc}")
    checks.check(want in client.stderr, f"stderr: {want}")
    checks.check(getattr(srv, "saw_eof", False) and not srv.seen,
                 "the client sent no frame and closed")


def case_raw_bad_accept(checks, exe):
    raw_handshake_fails(checks, exe, {"accept_key": False}, [],
                        "handshake failed: The server's Sec-WebSocket-Accept is missing, repeated, or "
                        "not the one for the key sent")


def case_raw_redirect(checks, exe):
    """A 301 is not followed, but its Location is printed; one with a
    control character in it is not echoed to the terminal."""
    for location, shown in ((b"ws://127.0.0.1:9/elsewhere", True),
                            (b"ws://x/\x1b[2J", False)):
        def script(srv):
            srv.send(b"HTTP/1.1 301 Moved Permanently\r\nLocation: " + location +
                     b"\r\nContent-Length: 0\r\n\r\n")
            srv.saw_eof = srv.eof(5)

        srv = RawServer(script)
        client = Client(exe, [srv.url()], b"x\n")
        srv.finish(checks)
        checks.check(client.rc == 2, "301: exit 2", f"exit {client.rc}")
        if shown:
            want = ("handshake failed: server answered 301 Moved Permanently "
                    "(Location: ws://127.0.0.1:9/elsewhere; not followed)")
            checks.check(want in client.stderr, f"stderr: {want}", client.stderr)
        else:
            # The HTTP parser refuses the head already (a control character).
            checks.check("\x1b" not in client.stderr,
                         "a Location with an escape character is not printed", repr(client.stderr))


def case_raw_unoffered_protocol(checks, exe):
    raw_handshake_fails(checks, exe, {"protocol": "evil"}, ["--protocol", "chat"],
                        "handshake failed: The server chose a subprotocol that the client did "
                        "not offer")


def case_raw_unoffered_extension(checks, exe):
    """RFC 6455 sections 4.1 and 9: chat_client offers no extension, so a
    server that accepts one anyway (and may then set RSV1) is refused
    before any frame goes out."""
    raw_handshake_fails(checks, exe, {"extensions": "permessage-deflate"}, [],
                        "handshake failed: The server accepted an extension that the client did "
                        "not offer")


def case_raw_bad_extension(checks, exe):
    """RFC 6455 section 9.1: a Sec-WebSocket-Extensions value that does not
    match the ABNF fails the connection at once."""
    raw_handshake_fails(checks, exe, {"extensions": "permessage-deflate;"}, [],
                        "handshake failed: Sec-WebSocket-Extensions is malformed")


def case_raw_mask_keys(checks, exe):
    """RFC 6455 sections 5.3 and 10.3: a new masking key for every frame,
    from a source the application cannot predict. case_raw_frames sees four
    distinct keys, which a counter passes too; here two chat_clients started
    together send 200 lines each, and their keys must look like independent
    32-bit random numbers: no zero key (that frame would go unmasked), no
    pattern from one frame to the next (a counter, a constant step), every
    bit position sometimes 0 and sometimes 1, and no run sharing its keys
    with the other (a generator seeded with a constant, or with the clock,
    repeats them). Random keys may collide by chance (about 1 in 200,000 for
    one pair of runs), so one repeat is tolerated; a pattern makes many."""
    lines = 200

    def script(srv):
        srv.send(srv.handshake)
        srv.read_until(h.OP_CLOSE, timeout=30)
        srv.send(srv.frame(h.OP_CLOSE, h.close_payload(1000)))
        time.sleep(0.2)
        srv.sock.close()

    stdin = b"".join(b"line %d\n" % i for i in range(lines))
    servers = [RawServer(script), RawServer(script)]
    clients = [Client(exe, ["-q", srv.url()]) for srv in servers]
    for client in clients:
        client.write(stdin)
    for client in clients:
        client.finish(30)
    runs = []
    for n, (srv, client) in enumerate(zip(servers, clients), 1):
        srv.finish(checks)
        checks.check(client.rc == 0, f"run {n}: exit 0", f"exit {client.rc}")
        texts = [p for op, p, _ in srv.seen if op == h.OP_TEXT]
        checks.check(len(texts) == lines, f"run {n}: {lines} text frames arrived", f"{len(texts)}")
        keys = [k for _, _, k in srv.seen]
        checks.check(keys and all(k is not None for k in keys), f"run {n}: every frame is masked")
        keys = [int.from_bytes(k, "big") for k in keys if k is not None]
        runs.append(keys)
        if len(keys) < lines:
            continue
        checks.check(0 not in keys, f"run {n}: no frame has the all-zero key")
        repeats = len(keys) - len(set(keys))
        checks.check(repeats <= 1, f"run {n}: no key is used again ({len(keys)} frames)",
                     f"{repeats} repeats")
        steps = [(b - a) % (1 << 32) for a, b in zip(keys, keys[1:])]
        flips = [a ^ b for a, b in zip(keys, keys[1:])]
        checks.check(len(set(steps)) > len(steps) // 2 and len(set(flips)) > len(flips) // 2,
                     f"run {n}: no fixed step or XOR pattern from one key to the next",
                     f"{len(set(steps))} distinct steps, {len(set(flips))} distinct XORs "
                     f"in {len(steps)}")
        # Each bit is set in about half the keys; 30%..70% is over 5 sigma
        # from 50% at 200 keys, so only a biased source fails.
        bias = [bit for bit in range(32)
                if not 0.3 <= sum(k >> bit & 1 for k in keys) / len(keys) <= 0.7]
        checks.check(not bias, f"run {n}: every bit of the key varies (set in 30%..70% of keys)",
                     f"biased bits {bias}")
    if len(runs) == 2:
        shared = set(runs[0]) & set(runs[1])
        checks.check(len(shared) <= 1, "the two runs share no keys (not seeded alike)",
                     f"{len(shared)} shared")
    nonces = [next((line for line in getattr(srv, "head_bytes", b"").split(b"\r\n")
                    if line.lower().startswith(b"sec-websocket-key:")), None) for srv in servers]
    checks.check(nonces[0] is not None and nonces[0] != nonces[1],
                 "the two runs sent different Sec-WebSocket-Key nonces", f"{nonces}")


def case_raw_ping_timeout(checks, exe):
    """--ping-timeout: a server that stays connected but never answers a
    ping (a hung peer, or a path that lost the flow) is given up on when a
    ping has waited that long, with stdin still open: a close 1001 is tried,
    then TCP is closed without waiting for an answer, exit 4. Without the
    option the client would wait on such a server for ever."""
    def script(srv):
        srv.send(srv.handshake)
        srv.got_close = srv.read_until(h.OP_CLOSE, timeout=10)
        srv.closed_tcp = srv.eof(5)

    srv = RawServer(script)
    client = Client(exe, ["--ping-interval", "0.2", "--ping-timeout", "0.6", srv.url()])
    t0 = time.monotonic()
    try:
        client.proc.wait(h.slow(10))
    except subprocess.TimeoutExpired:
        pass
    waited = time.monotonic() - t0
    client.finish()
    srv.finish(checks)
    checks.check(client.rc == 4, "exit 4 (connection dropped)", f"exit {client.rc}")
    checks.check("no pong within 0.6 s" in client.stderr, "stderr says no pong came",
                 client.stderr[-300:])
    checks.check(waited < h.slow(3), "gave up soon after the timeout, with stdin open",
                 f"{waited:.2f} s")
    pings = [p for op, p, _ in srv.seen if op == h.OP_PING]
    checks.check(len(pings) >= 2, "pings went out before it gave up", f"{len(pings)}")
    close = getattr(srv, "got_close", None)
    checks.check(close is not None and close[1][:2] == (1001).to_bytes(2, "big"),
                 "a close 1001 was tried", f"{close}")
    checks.check(getattr(srv, "closed_tcp", False), "and TCP closed without waiting for an answer")

    # Alone, --ping-timeout pings at its own period.
    srv = RawServer(script)
    client = Client(exe, ["--ping-timeout", "0.3", srv.url()])
    try:
        client.proc.wait(h.slow(10))
    except subprocess.TimeoutExpired:
        pass
    client.finish()
    srv.finish(checks)
    pings = [p for op, p, _ in srv.seen if op == h.OP_PING]
    checks.check(client.rc == 4 and len(pings) >= 1,
                 "--ping-timeout alone: pings, and exit 4 when unanswered", f"exit {client.rc}, {len(pings)} pings")

    # A server that answers, while a stalled stdout (a paused pager) keeps
    # chat_client from reading its pongs: the server is not late, so the
    # client waits for its reader instead of giving up.
    big = bytes(range(32, 127)) * (4 * 1024 * 1024 // 95)

    def answering(srv):
        srv.send(srv.handshake + srv.frame(h.OP_TEXT, big))
        while (f := srv.read(h.slow(20))) is not None:
            if f[0] == h.OP_PING:
                srv.send(srv.frame(h.OP_PONG, f[1]))
            elif f[0] == h.OP_CLOSE:
                srv.send(srv.frame(h.OP_CLOSE, f[1][:2]))
                srv.eof(h.slow(5))
                return

    srv = RawServer(answering)
    client = Client(exe, ["-q", "--ping-interval", "0.2", "--ping-timeout", "0.5", srv.url()],
                    hold_stdout=True)
    time.sleep(2.0)
    client.release_stdout()
    got = client.wait_out(len(big) + 1, h.slow(20))
    client.finish()
    srv.finish(checks)
    checks.check(got and client.rc == 0 and "no pong" not in client.stderr,
                 "stdout stalled 2 s with answered pings: no timeout, everything printed, exit 0",
                 f"exit {client.rc}, {len(client.out)} bytes, {client.stderr[-200:]!r}")


def case_raw_request_head(checks, exe):
    """RFC 6455 section 4.1 on the wire, as chat_client sends it, twice: a
    GET of the resource name over HTTP/1.1 with Host, Upgrade, Connection,
    Sec-WebSocket-Version 13 and a key of 16 base64 bytes that differs
    between the connections ("selected randomly for each connection"); and
    nothing more until the server answers ("MUST wait for a response from
    the server before sending any further data"), though a line waits on
    stdin."""
    def script(srv):
        # The head is in; whatever else the client sends before the 101 is
        # too early. Give it a second to do so.
        early = bytes(srv.buf)
        srv.sock.settimeout(1.0)
        try:
            early += srv.sock.recv(65536)
        except socket.timeout:
            pass
        srv.early = early
        srv.buf = b""
        srv.send(srv.handshake)
        srv.read_until(h.OP_CLOSE)
        srv.send(srv.frame(h.OP_CLOSE, h.close_payload(1000)))
        time.sleep(0.2)
        srv.sock.close()

    keys = []
    for n in (1, 2):
        srv = RawServer(script)
        client = Client(exe, ["-q", srv.url("/chat?room=1")], b"x\n")
        srv.finish(checks)
        checks.check(client.rc == 0, f"connection {n}: exit 0", f"exit {client.rc}: {client.stderr[:300]}")
        checks.check(getattr(srv, "early", None) == b"",
                     f"connection {n}: nothing sent before the server's answer",
                     repr(getattr(srv, "early", None)))
        texts = [p for op, p, _ in srv.seen if op == h.OP_TEXT]
        checks.check(texts == [b"x"], f"connection {n}: the waiting line went out after the 101",
                     f"{texts}")
        lines = getattr(srv, "head_bytes", b"").decode("latin-1").split("\r\n")
        fields = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            fields.setdefault(name.strip().lower(), []).append(value.strip())
        checks.check(lines[0] == "GET /chat?room=1 HTTP/1.1",
                     f"connection {n}: request line GET <resource name> HTTP/1.1", lines[0])
        checks.check(fields.get("host") == [f"{h.HOST}:{srv.port}"],
                     f"connection {n}: one Host, with the port that is not the default",
                     f"{fields.get('host')}")
        checks.check(fields.get("upgrade") == ["websocket"], f"connection {n}: Upgrade: websocket",
                     f"{fields.get('upgrade')}")
        checks.check("upgrade" in [t.strip().lower() for v in fields.get("connection", [])
                                   for t in v.split(",")],
                     f"connection {n}: Connection includes Upgrade", f"{fields.get('connection')}")
        checks.check(fields.get("sec-websocket-version") == ["13"],
                     f"connection {n}: Sec-WebSocket-Version: 13", f"{fields.get('sec-websocket-version')}")
        key = fields.get("sec-websocket-key", [""])
        try:
            nonce = base64.b64decode(key[0], validate=True) if len(key) == 1 else b""
        except ValueError:
            nonce = b""
        checks.check(len(nonce) == 16, f"connection {n}: one Sec-WebSocket-Key, 16 bytes in base64",
                     f"{key}")
        keys.append(key[0])
    checks.check(len(set(keys)) == 2, "a fresh key for each connection", f"{keys}")


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def case_raw_backpressure(checks, exe):
    """A server that stops reading: chat_client must stop reading stdin
    instead of queueing it all (memory stays flat while 96 MiB are offered),
    then deliver every byte once the server reads again."""
    line_len, count = 65535, 1536  # 96 MiB; a 65535-byte frame has an 8-byte masked header
    frame_len = 2 + 2 + 4 + line_len
    upgraded, go = threading.Event(), threading.Event()

    def script(srv):
        srv.send(srv.handshake)
        upgraded.set()
        go.wait(30)
        want, got = frame_len * count, len(srv.buf)
        srv.buf = b""
        srv.sock.settimeout(10)
        while got < want:  # count bytes only: Python could not unmask 96 MiB in time
            chunk = srv.sock.recv(min(1 << 20, want - got))
            if not chunk:
                break
            got += len(chunk)
        srv.data_bytes = got
        srv.close_frame = srv.read_until(h.OP_CLOSE)
        srv.send(srv.frame(h.OP_CLOSE, h.close_payload(1000)))
        srv.sock.close()

    srv = RawServer(script)
    client = Client(exe, ["-q", srv.url()])
    checks.check(upgraded.wait(10), "connected")
    time.sleep(0.3)
    base = rss_kib(client.proc.pid)
    written = [0]
    line = b"a" * line_len + b"\n"

    def writer():
        chunk = line * 16
        for _ in range(count // 16):
            client.write(chunk)
            written[0] += len(chunk)

    t = threading.Thread(target=writer, daemon=True)
    t.start()
    time.sleep(2.0)
    stalled = rss_kib(client.proc.pid)
    checks.info(f"RSS {base} KiB after connect, {stalled} KiB with the server not reading; "
                f"{written[0] >> 20} of {count * len(line) >> 20} MiB taken from stdin meanwhile")
    checks.check(written[0] < count * len(line), "stdin is not drained while the server stalls")
    checks.check(stalled - base < 24 * 1024 + h.MEMORY_SLACK_KIB,
                 "memory stays bounded (under 24 MiB of growth)", f"{stalled - base} KiB")
    go.set()
    t.join(60)
    client.finish(30)
    srv.finish(checks)
    checks.check(getattr(srv, "data_bytes", 0) == frame_len * count,
                 "every frame arrived once the server read again",
                 f"{getattr(srv, 'data_bytes', 0)} of {frame_len * count} bytes")
    cf = getattr(srv, "close_frame", None)
    checks.check(cf and cf[1] == h.close_payload(1000), "then close 1000", f"{cf and cf[:2]}")
    checks.check(client.rc == 0, "exit 0", f"exit {client.rc}")


def case_raw_stdout_stalled(checks, exe):
    """stdout is a pipe nobody reads (a pager whose user went away) while
    the server sends 4 MiB: chat_client must still hear its signals, and
    SIGTERM closes with 1001 within the close bound, giving up the output
    stdout did not take. Then a reader that only starts after longer than
    the close bound still gets every byte, and the close in between is not
    counted as the server's delay (exit 0, not 4)."""
    big = bytes(range(32, 127)) * (4 * 1024 * 1024 // 95)
    sent = threading.Event()

    def script(srv):
        srv.send(srv.handshake)
        srv.send(srv.frame(h.OP_TEXT, big))
        sent.set()
        srv.close_frame = srv.read_until(h.OP_CLOSE, timeout=h.slow(20))
        srv.send(srv.frame(h.OP_CLOSE, h.close_payload(1001)))
        srv.eof(h.slow(5))
        srv.sock.close()

    srv = RawServer(script)
    client = Client(exe, ["-q", srv.url()], hold_stdout=True)
    checks.check(sent.wait(h.slow(10)), "the server sent its 4 MiB")
    time.sleep(0.5)
    t0 = time.monotonic()
    client.proc.send_signal(signal.SIGTERM)
    exited = client.wait_exit(h.slow(CLOSE_BOUND + 2))
    took = time.monotonic() - t0
    srv.finish(checks)
    cf = getattr(srv, "close_frame", None)
    checks.check(cf is not None and cf[1][:2] == (1001).to_bytes(2, "big"),
                 "stdout not read: SIGTERM still sends close 1001", f"{cf and cf[:2]}")
    checks.check(exited and client.rc == 0, "... and chat_client exits 0 within the close bound",
                 f"exit {client.rc} after {took:.1f} s")

    # Twice: quits at once, however stuck stdout is.
    sent2 = threading.Event()
    srv = RawServer(lambda srv: (srv.send(srv.handshake), srv.send(srv.frame(h.OP_TEXT, big)),
                                 sent2.set(), srv.eof(h.slow(10))))
    client = Client(exe, ["-q", srv.url()], hold_stdout=True)
    checks.check(sent2.wait(h.slow(10)), "the server sent its 4 MiB again")
    time.sleep(0.5)
    client.proc.send_signal(signal.SIGINT)
    time.sleep(0.2)
    client.proc.send_signal(signal.SIGINT)
    exited = client.wait_exit(h.slow(2))
    checks.check(exited and client.rc == 130, "stdout not read: a second Ctrl-C quits at once (exit 130)",
                 f"exit {client.rc}")

    # A slow reader: everything arrives, and the server's close while the
    # reader was away is not a timeout.
    def slow_script(srv):
        srv.send(srv.handshake)
        srv.send(srv.frame(h.OP_TEXT, big))
        srv.send(srv.frame(h.OP_CLOSE, h.close_payload(1000)))
        srv.close_frame = srv.read_until(h.OP_CLOSE, timeout=h.slow(20))
        srv.eof(h.slow(5))
        srv.sock.close()

    srv = RawServer(slow_script)
    client = Client(exe, ["-q", srv.url()], hold_stdout=True)
    time.sleep(CLOSE_BOUND + 1)
    client.release_stdout()
    checks.check(client.wait_out(len(big) + 1, h.slow(20)) and client.out == big + b"\n",
                 "a reader that starts after 4 s gets the whole 4 MiB message", f"{len(client.out)} bytes")
    exited = client.wait_exit(h.slow(CLOSE_BOUND + 2))
    srv.finish(checks)
    cf = getattr(srv, "close_frame", None)
    checks.check(cf is not None and cf[1][:2] == (1000).to_bytes(2, "big"),
                 "... the server's close 1000 is answered", f"{cf and cf[:2]}")
    checks.check(exited and client.rc == 0, "... and chat_client exits 0", f"exit {client.rc}")


def sink_lines(total_bytes):
    """Lines for a /sink server, as bytes, and the digest it reports."""
    lines = [f"line {i:08d} " + "x" * (i % 53) for i in range(total_bytes // 40)]
    data = "".join(line + "\n" for line in lines).encode()
    return lines, data


def case_sink_paused_after_eof(checks, server, exe):
    """End of input while the server has not read for seconds and will:
    the close waits behind our 1 MiB, which a server that is merely paused
    takes later. The close wait must count from the last bytes the server
    took (until 8 Dec 2026 it counted from the close, and gave up 3 s after
    stdin's end: exit 4, lines lost)."""
    stall_s = 8.0  # under the 10 s the client allows a server that takes nothing
    lines, data = sink_lines(1 << 20)
    t0 = time.monotonic()
    client = Client(exe, ["-q", server.url(f"/sink/{int(stall_s * 1000)}")])
    client.write(data)
    t_eof = time.monotonic()
    client.finish(timeout=h.slow(40))
    # Honest only if stdin ended (and the close was queued) more than the
    # 3 s answer bound before the server read anything.
    happened = t_eof - t0 < stall_s - CLOSE_BOUND - 0.5
    if h.WRAPPER and not happened:
        print(f"info: under {h.WRAPPER[0]} stdin took {t_eof - t0:.1f} s: the close was not queued "
              "long before the server read; only the delivery is checked", flush=True)
    else:
        checks.check(happened, f"stdin ended more than {CLOSE_BOUND:.0f} s before the server read",
                     f"stdin took {t_eof - t0:.1f} s of the {stall_s:.0f} s stall")
    checks.check(client.rc == 0, "every line taken, close answered: exit 0",
                 f"exit {client.rc}: {client.stderr[-300:]}")
    sinks = server.wait_event("sink", 1, h.slow(20))
    got = sinks[0] if sinks else {}
    checks.check(got.get("messages") == len(lines) and got.get("sha256") == hashlib.sha256(data).hexdigest(),
                 f"the server received all {len(lines)} lines, in order", f"{got}")


def case_sink_stalled_after_eof(checks, server, exe):
    """A server that takes none of our last bytes for good: the wait after
    the close is bounded (10 s of nothing taken), and stderr says what was
    left, not that the close went unanswered."""
    lines, data = sink_lines(1 << 20)
    client = Client(exe, ["-q", server.url("/sink/60000")])
    client.write(data)
    t_eof = time.monotonic()
    client.finish(timeout=h.slow(30))
    waited = time.monotonic() - t_eof
    checks.check(client.rc == 4, "nothing taken -> exit 4", f"exit {client.rc}")
    checks.check(9.0 <= waited <= h.slow(14.0), "gave up after 10 s of nothing taken",
                 f"{waited:.1f} s after stdin's end")
    checks.check("the server took nothing for 10 s" in client.stderr, "stderr says why",
                 client.stderr[-300:])


def case_raw_crossed_close(checks, exe):
    """The server closes with 4003 for the first message, before it reads
    the close our end of input sent right behind it: the two closes cross.
    The connection's close code is the first one received (RFC 6455
    section 7.1.5), so this is the server's 4003, said even with -q, exit
    3; not "our close was answered", exit 0, as until 8 Dec 2026."""
    def script(srv):
        srv.send(srv.handshake)
        srv.first = srv.read_until(h.OP_TEXT)
        srv.send(srv.frame(h.OP_CLOSE, h.close_payload(4003, b"unauthorized")))
        srv.close_frame = srv.read_until(h.OP_CLOSE)
        time.sleep(0.1)
        srv.sock.close()

    srv = RawServer(script)
    client = Client(exe, ["-q", "-x", "bad-token", srv.url()])
    exited = client.wait_exit(h.slow(10))
    srv.finish(checks)
    cf = getattr(srv, "close_frame", None)
    checks.check(cf is not None and cf[1][:2] == (1000).to_bytes(2, "big"),
                 "our close (1000) crossed the server's", f"{cf and cf[:2]}")
    checks.check(exited and client.rc == 3, "the server's 4003 decides: exit 3", f"exit {client.rc}")
    checks.check('server closed the connection: 4003 (private use) "unauthorized"' in client.stderr,
                 "stderr says 4003 and its reason, even with -q", client.stderr[-300:])


def case_raw_oversized_glued(checks, exe):
    """A frame over --max-message glued to the 101, with more of it already
    waiting on the socket: the first error is the one reported (until 8 Dec
    2026 the rest was parsed again and "The parser already failed" replaced
    it)."""
    def script(srv):
        # More than the client's 64 KiB input buffer in one write, so that
        # some of it still waits on the socket after the first parse.
        header = bytes([0x82, 127]) + (100 << 20).to_bytes(8, "big")
        srv.send(srv.handshake + header + b"x" * 100_000)
        srv.close_frame = srv.read_until(h.OP_CLOSE)
        time.sleep(0.1)
        srv.sock.close()

    srv = RawServer(script)
    client = Client(exe, ["-q", "--max-message", "1048576", srv.url()])
    exited = client.wait_exit(h.slow(10))
    srv.finish(checks)
    cf = getattr(srv, "close_frame", None)
    checks.check(cf is not None and cf[1][:2] == (1009).to_bytes(2, "big"), "closed with 1009",
                 f"{cf and cf[:2]}")
    checks.check(exited and client.rc == 4, "exit 4", f"exit {client.rc}")
    checks.check("larger than the configured" in client.stderr and "already failed" not in client.stderr,
                 "stderr gives the limit's sentence, not a later one", client.stderr[-300:])


def case_raw_close_reason_controls(checks, exe):
    """A close reason holding C1 controls (U+009B is CSI to a terminal) and
    C0 ones: printed as \\xHH, as the docs say for everything logged; not
    passed through raw (C1) or as '?' (C0) as until 8 Dec 2026."""
    reason = "\u009b2J\u001b[31mred".encode()

    def script(srv):
        srv.send(srv.handshake + srv.frame(h.OP_CLOSE, h.close_payload(4000, reason)))
        srv.close_frame = srv.read_until(h.OP_CLOSE)
        time.sleep(0.1)
        srv.sock.close()

    srv = RawServer(script)
    client = Client(exe, [srv.url()])
    exited = client.wait_exit(h.slow(10))
    srv.finish(checks)
    checks.check(exited and client.rc == 3, "close 4000 -> exit 3", f"exit {client.rc}")
    checks.check(b"\xc2\x9b" not in client.err and b"\x1b" not in client.err,
                 "no control character of the reason reaches stderr", repr(client.err[-200:]))
    checks.check('4000 (private use) "\\xc2\\x9b2J\\x1b[31mred"' in client.stderr,
                 "the reason is printed with its controls as \\xHH", client.stderr[-300:])


def case_raw_stderr_in_stdout_pipe(checks, exe):
    """chat_client -v URL 2>&1 | slow reader: stdout's pipe is stderr's too,
    and the O_NONBLOCK chat_client sets on it belongs to the pipe. Every
    status line must still arrive, in order with the messages (until 8 Dec
    2026 stderr lines written while the reader lagged were lost, the
    server's close among them)."""
    n = 20000

    def script(srv):
        srv.send(srv.handshake)
        srv.send(b"".join(srv.frame(h.OP_TEXT, f"msg {i}".encode()) for i in range(n)))
        srv.send(srv.frame(h.OP_CLOSE, h.close_payload(4000, b"done")))
        srv.close_frame = srv.read_until(h.OP_CLOSE, timeout=h.slow(40))
        time.sleep(0.1)
        srv.sock.close()

    srv = RawServer(script)
    argv = h.wrap_argv([exe, "-v", srv.url()])
    print(f"info: run {' '.join(argv)} 2>&1 | (sleep 2; cat)", flush=True)
    proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, preexec_fn=h._die_with_parent)
    time.sleep(2)  # the reader lags: the pipe fills while the messages and their log lines come
    try:
        out, _ = proc.communicate(timeout=h.slow(40))
    except subprocess.TimeoutExpired:
        proc.kill()
        out, _ = proc.communicate()
    srv.finish(checks)
    lines = out.decode("utf-8", "replace").splitlines()
    msgs = [line for line in lines if line.startswith("msg ")]
    logged = [line for line in lines if "< text message" in line]
    checks.check(msgs == [f"msg {i}" for i in range(n)], f"all {n} messages printed, in order",
                 f"{len(msgs)} messages")
    checks.check(len(logged) == n, f"all {n} '< text message' log lines arrived", f"{len(logged)}")
    checks.check(any('server closed the connection: 4000 (private use) "done"' in line for line in lines),
                 "the server's close is said", "\n".join(lines[-5:]))
    checks.check(proc.returncode == 3, "exit 3", f"exit {proc.returncode}")


def case_raw_ping_flood(checks, exe):
    """A server that pings without reading the pongs: the queue of pongs
    must stay bounded (only the latest ping is owed an answer, RFC 6455
    5.5.3) and the last ping must still be answered.

    The baseline RSS is read after a warm-up round of pings whose last pong
    came back, not at a guessed time after start: a slow start (a loaded
    machine, a wrapper) is then not counted as growth."""
    warm_count, count = 1000, 200000
    warm = [f"w{i:0124d}".encode() for i in range(warm_count)]
    pings = [f"{i:0125d}".encode() for i in range(count)]
    warmed, go, sent = threading.Event(), threading.Event(), threading.Event()

    def script(srv):
        srv.send(srv.handshake)
        srv.send(b"".join(srv.frame(h.OP_PING, p) for p in warm))
        while True:
            f = srv.read(10)
            if f is None or (f[0] == h.OP_PONG and f[1] == warm[-1]):
                break
        srv.warm_answered = f is not None
        srv.seen = []
        warmed.set()
        go.wait(30)
        srv.send(b"".join(srv.frame(h.OP_PING, p) for p in pings))
        sent.set()
        time.sleep(0.5)  # let the client take the last pings in
        srv.pongs = []
        while True:
            f = srv.read(10)
            if f is None or f[0] == h.OP_CLOSE:
                srv.close_frame = f
                break
            if f[0] == h.OP_PONG:
                srv.pongs.append(f[1])
        srv.send(srv.frame(h.OP_CLOSE, h.close_payload(1000)))
        srv.sock.close()

    srv = RawServer(script)
    client = Client(exe, ["-q", srv.url()])
    checks.check(warmed.wait(30) and getattr(srv, "warm_answered", False),
                 f"the last of {warm_count} warm-up pings was answered")
    base = rss_kib(client.proc.pid)
    go.set()
    checks.check(sent.wait(30), f"the client took all {count} pings ({count * 127 >> 20} MiB)")
    grown = rss_kib(client.proc.pid) - base
    checks.info(f"RSS grew {grown} KiB")
    # Under valgrind its quarantine of freed blocks (--freelist-vol, 20 MB)
    # is most of the growth: MEMORY_SLACK_KIB leaves the bound to the plain run.
    checks.check(grown < 16 * 1024 + h.MEMORY_SLACK_KIB,
                 "memory stays bounded (under 16 MiB of growth)", f"{grown} KiB")
    time.sleep(1.0)
    client.finish()
    srv.finish(checks)
    pongs = getattr(srv, "pongs", [])
    checks.info(f"{len(pongs)} pongs for {count} pings")
    checks.check(0 < len(pongs) < count, "fewer pongs than pings: the backlog was coalesced")
    checks.check(pongs and pongs[-1] == pings[-1], "the last ping was answered",
                 f"{pongs[-1][-12:] if pongs else None}")
    checks.check(all(p in set(pings) for p in pongs[:50]), "pongs carry ping payloads")
    checks.check(client.rc == 0, "exit 0", f"exit {client.rc}")


CASES = {
    "lines": case_lines,
    "binary": case_binary,
    "invalid_utf8": case_invalid_utf8,
    "headers": case_headers,
    "eof_close": case_eof_close,
    "closed_stdio": case_closed_stdio,
    "server_close_1001": case_server_close_1001,
    "server_close_4000": case_server_close_4000,
    "wait": case_wait,
    "ipv6": case_ipv6,
    "tty": case_tty,
    "sigint": case_sigint,
    "refused": case_refused,
    "not_found": case_not_found,
    "unresolvable": case_unresolvable,
    "wss": case_wss,
    "proxy": case_proxy,
    "usage": case_usage,
    "raw_frames": case_raw_frames,
    "raw_backpressure": case_raw_backpressure,
    "raw_ping_flood": case_raw_ping_flood,
    "raw_stdout_stalled": case_raw_stdout_stalled,
    "raw_after_close": case_raw_after_close,
    "raw_big_request": case_raw_big_request,
    "raw_close_unanswered": case_raw_close_unanswered,
    "raw_no_tcp_close": case_raw_no_tcp_close,
    "raw_drop": case_raw_drop,
    "raw_masked": case_raw_masked,
    "raw_bad_utf8": case_raw_bad_utf8,
    "raw_bad_accept": case_raw_bad_accept,
    "raw_unoffered_protocol": case_raw_unoffered_protocol,
    "raw_redirect": case_raw_redirect,
    "raw_unoffered_extension": case_raw_unoffered_extension,
    "raw_bad_extension": case_raw_bad_extension,
    "raw_mask_keys": case_raw_mask_keys,
    "raw_request_head": case_raw_request_head,
    "raw_ping_timeout": case_raw_ping_timeout,
    "raw_crossed_close": case_raw_crossed_close,
    "raw_oversized_glued": case_raw_oversized_glued,
    "raw_close_reason_controls": case_raw_close_reason_controls,
    "raw_stderr_in_stdout_pipe": case_raw_stderr_in_stdout_pipe,
    "sink_paused_after_eof": case_sink_paused_after_eof,
    "sink_stalled_after_eof": case_sink_stalled_after_eof,
    "server_ping": case_server_ping,
    "client_ping": case_client_ping,
    "slash": case_slash,
    "max_message": case_max_message,
}
TLS = {
    "wss_lines": case_wss_lines,
    "wss_verify": case_wss_verify,
    "wss_server_close": case_wss_server_close,
    "wss_proxy": case_wss_proxy,
    "wss_burst": case_wss_burst,
    "wss_backpressure": case_wss_backpressure,
    "wss_renegotiate": case_wss_renegotiate,
}
NEEDS_KIND = {"client_ping", "slash", "ipv6", "tty"}
RAW = {name for name in CASES if name.startswith("raw_")}


def main():
    kind, exe, case = sys.argv[1], sys.argv[2], sys.argv[3]

    def body(checks):
        if case in TLS:
            certs = h.TestCerts()
            try:
                TLS[case](checks, kind, exe, certs)
            finally:
                certs.remove()
            return
        if case in RAW:
            CASES[case](checks, exe)
            return
        server = EchoServer(kind)
        fn = CASES[case]
        if case in NEEDS_KIND:
            fn(checks, server, exe, kind)
        else:
            fn(checks, server, exe)

    h.run_main(f"chat_client {case} against {kind}", body)


if __name__ == "__main__":
    main()
