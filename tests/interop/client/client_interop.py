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
import os
import socket
import subprocess
import sys
import threading
import time

import wsharness as h

HERE = os.path.dirname(os.path.abspath(__file__))
CLOSE_BOUND = 3.0  # chat_client's documented wait for the server's close


class EchoServer(h.Proc):
    def __init__(self, kind):
        if kind == "python":
            argv = [sys.executable, os.path.join(HERE, "echo_server.py")]
            env = None
        else:
            argv = [os.environ.get("WS_NODE") or "node", os.path.join(HERE, "echo_server.js")]
            env = h.node_env()
        super().__init__(argv + ["--host", h.HOST, "--port", "0"], f"{kind} echo server", env=env)
        match = self.wait_stdout(
            lambda lines: next((m for m in map(h.LISTEN_RE.search, lines) if m), None), 15)
        if not match:
            self.kill()
            raise RuntimeError(f"{self.name} did not start")
        self.port = int(match.group(2))
        print(f"info: {self.name} on port {self.port}", flush=True)

    def url(self, path):
        return f"ws://{h.HOST}:{self.port}{path}"

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

    def __init__(self, binary, args, stdin_bytes=None):
        self.argv = [binary, *args]
        print(f"info: run {' '.join(self.argv)}", flush=True)
        self.proc = subprocess.Popen(self.argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, preexec_fn=h._die_with_parent)
        self._out = bytearray()
        self._err = bytearray()
        self._cond = threading.Condition()
        self._threads = [threading.Thread(target=self._drain, args=(self.proc.stdout, self._out)),
                         threading.Thread(target=self._drain, args=(self.proc.stderr, self._err))]
        for t in self._threads:
            t.daemon = True
            t.start()
        self.rc = None
        self.elapsed = None
        if stdin_bytes is not None:
            self.write(stdin_bytes)
            self.finish()

    def _drain(self, stream, into):
        while True:
            chunk = stream.read1(65536)
            with self._cond:
                into.extend(chunk)
                self._cond.notify_all()
            if not chunk:
                return

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
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            print(f"info: still running {timeout}s after stdin EOF; killed", flush=True)
            self.proc.kill()
            self.proc.wait()
        self.elapsed = time.monotonic() - t_close
        for t in self._threads:
            t.join(5)
        self.rc = self.proc.returncode
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
        for line in self.stderr.splitlines()[-30:]:
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


def free_port():
    """A port nothing listens on: bound and released at once."""
    s = socket.socket()
    s.bind((h.HOST, 0))
    port = s.getsockname()[1]
    s.close()
    return port


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
    checks.check(closes and closes[0]["code"] == code, f"chat_client echoed close {code}",
                 f"{closes}")


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


def case_refused(checks, server, exe):
    client = Client(exe, [f"ws://{h.HOST}:{free_port()}/"], b"never sent\n")
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
    client = Client(exe, ["ws://no-such-host.invalid:9/"], b"")
    checks.check(client.rc == 2, "unresolvable host -> exit 2", f"exit {client.rc}")
    checks.check("could not resolve host" in client.stderr, "stderr: could not resolve host")


def case_wss(checks, server, exe):
    client = Client(exe, [f"wss://{h.HOST}:{server.port}/echo"], b"x\n")
    checks.check(client.rc == 2, "wss:// -> exit 2", f"exit {client.rc}")
    checks.check("wss:// needs TLS, which this build does not have" in client.stderr,
                 "stderr explains that wss:// needs TLS")
    time.sleep(0.2)
    checks.check(server.events("open") == [], "no connection was made")


def case_usage(checks, server, exe):
    for args, what in [([], "no URL"), (["-H", "no colon", server.url("/")], "bad -H"),
                       (["--protocol", "two words", server.url("/")], "bad --protocol"),
                       (["--ping-interval", "0", server.url("/")], "bad --ping-interval"),
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
    client = Client(exe, ["-v", "--ping-interval", "0.2", server.url("/echo")])
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


CASES = {
    "lines": case_lines,
    "binary": case_binary,
    "invalid_utf8": case_invalid_utf8,
    "headers": case_headers,
    "eof_close": case_eof_close,
    "server_close_1001": case_server_close_1001,
    "server_close_4000": case_server_close_4000,
    "wait": case_wait,
    "refused": case_refused,
    "not_found": case_not_found,
    "unresolvable": case_unresolvable,
    "wss": case_wss,
    "usage": case_usage,
    "server_ping": case_server_ping,
    "client_ping": case_client_ping,
    "slash": case_slash,
    "max_message": case_max_message,
}
NEEDS_KIND = {"client_ping", "slash"}


def main():
    kind, exe, case = sys.argv[1], sys.argv[2], sys.argv[3]

    def body(checks):
        server = EchoServer(kind)
        fn = CASES[case]
        if case in NEEDS_KIND:
            fn(checks, server, exe, kind)
        else:
            fn(checks, server, exe)

    h.run_main(f"chat_client {case} against {kind}", body)


if __name__ == "__main__":
    main()
