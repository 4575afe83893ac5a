"""Shared pieces of the interop, chat, browser and abuse tests.

Everything here is independent of libwsframe on purpose: the raw frame codec
and the handshake are written from RFC 6455 so that a bug in the library cannot
hide itself by being on both ends of the wire.

- Checks: prints every assertion as it is made and fails the test at the end.
- Server / Peer: child processes in their own process group that also die when
  the test dies (PR_SET_PDEATHSIG), so a ctest timeout leaves nothing behind.
- raw sockets: handshake, masked client frames, a reader for server frames.
- /proc probes: resident memory and open file descriptors of the server.

Environment (tests/valgrind.sh sets both):
- WS_TEST_WRAPPER: a command line, split like a shell's, put in front of every
  program of ours a test starts (the example servers, chat_client, the
  handshake test programs, ab_replay's echo_server), e.g.
      WS_TEST_WRAPPER="valgrind --error-exitcode=99 --leak-check=full
        --errors-for-leak-kinds=definite,indirect
        --show-leak-kinds=definite,indirect -q" ctest -L echo
  While it is set the harness stops a program of ours with SIGTERM, not
  SIGKILL (a killed program cannot report), and every one's exit is a check:
  one stopped by the harness must exit 0, any other must not exit with the
  wrapper's --error-exitcode (99 when the wrapper names none) nor die of a
  signal. SIGKILL comes only after a generous wait, and fails the test.
- WS_TEST_SLOWDOWN: a factor (default 1) for the waits that depend on how
  fast our programs run: startup, shutdown, replies; valgrind needs 10-50.
"""

import base64
import collections
import ctypes
import hashlib
import os
import re
import resource
import select
import shlex
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

HOST = "127.0.0.1"
GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

OP_CONT, OP_TEXT, OP_BINARY, OP_CLOSE, OP_PING, OP_PONG = 0x0, 0x1, 0x2, 0x8, 0x9, 0xA

WRAPPER = shlex.split(os.environ.get("WS_TEST_WRAPPER", ""))
SLOWDOWN = max(1.0, float(os.environ.get("WS_TEST_SLOWDOWN") or 1))
WRAPPER_ERROR_CODE = next((int(m.group(1)) for m in map(re.compile(r"--error-exitcode=(\d+)").fullmatch,
                                                          WRAPPER) if m), 99)

# Under ASan the servers' memory includes shadow memory and a quarantine of
# freed blocks (kept small below); memory bounds get this much room on top.
# Under a wrapper such as valgrind the process's memory is mostly the
# wrapper's: the bounds are checked by the plain run, not by this one.
SANITIZED = os.environ.get("WS_SANITIZED", "") in ("1", "ON", "TRUE", "true")
MEMORY_SLACK_KIB = 1 << 20 if WRAPPER else 64 * 1024 if SANITIZED else 0


def slow(seconds):
    """A wait on one of our programs, stretched by WS_TEST_SLOWDOWN."""
    return seconds * SLOWDOWN


def wrap_argv(argv):
    """The command line for a program of ours: WS_TEST_WRAPPER in front."""
    return [*WRAPPER, *map(str, argv)]


# (name, exit status or None if it had to be SIGKILLed, whether the harness
# stopped it with SIGTERM): every wrapped program's end, judged by run_main.
_wrapped_exits = []


def record_exit(name, code, stopped=False):
    """Note how a wrapped program of ours ended; a no-op without a wrapper."""
    if WRAPPER:
        _wrapped_exits.append((name, code, stopped))


def judge_wrapped_exits(checks):
    for name, code, stopped in _wrapped_exits:
        if code is None:
            checks.check(False, f"{name}: exited under {WRAPPER[0]} (it had to be SIGKILLed)")
        elif stopped:
            checks.check(code == 0, f"{name}: SIGTERM -> exit 0 under {WRAPPER[0]} (no errors, no leaks)",
                         f"exit {code}")
        else:
            checks.check(code >= 0 and code != WRAPPER_ERROR_CODE,
                         f"{name}: ended without {WRAPPER[0]}'s error exit ({WRAPPER_ERROR_CODE}) "
                         f"or a signal", f"exit {code}")
    _wrapped_exits.clear()


# --------------------------------------------------------------------- checks

class Checks:
    """Every assertion prints one line, so a failing ctest log shows what was
    checked before it and what was not."""

    def __init__(self, name):
        self.name = name
        self.passed = 0
        self.failed = []
        print(f"== {name}", flush=True)

    def check(self, condition, what, detail=""):
        if condition:
            self.passed += 1
            print(f"ok: {what}", flush=True)
        else:
            self.failed.append(what)
            extra = f" -- {detail}" if detail else ""
            print(f"FAIL: {what}{extra}", flush=True)
        return bool(condition)

    def info(self, text):
        print(f"info: {text}", flush=True)

    def exit_code(self):
        print(f"summary: {self.name}: {self.passed} checks ok, {len(self.failed)} checks failed",
              flush=True)
        for what in self.failed:
            print(f"  failed: {what}", flush=True)
        return 0 if not self.failed and self.passed > 0 else 1


def run_main(name, body):
    """Run body(checks) and exit with its verdict; an exception is a failure,
    printed, never swallowed."""
    checks = Checks(name)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(3))
    try:
        body(checks)
    except SystemExit:
        raise
    except BaseException as exc:  # noqa: BLE001 - report anything, then fail
        import traceback
        traceback.print_exc()
        checks.check(False, f"test body ran to the end without an exception ({exc!r})")
    finally:
        Proc.kill_all()
        judge_wrapped_exits(checks)
    sys.exit(checks.exit_code())


def raise_fd_limit(wanted):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < wanted:
        new = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (new, hard))
        soft = new
    return soft


# ------------------------------------------------------------------ processes

def _die_with_parent():
    # PR_SET_PDEATHSIG = 1: the child gets SIGKILL when the test process dies,
    # whatever killed it (ctest's timeout included).
    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)


class Proc:
    """A child in its own process group, its output drained by threads so it
    never blocks on a full pipe, the last lines kept for the failure log."""

    live = []

    def __init__(self, argv, name, env=None, stdin=False, keep_lines=400, ours=False):
        """ours: a program built here, run under WS_TEST_WRAPPER when set."""
        self.name = name
        self.wrapped = ours and bool(WRAPPER)
        self.argv = wrap_argv(argv) if ours else [str(a) for a in argv]
        self.recorded = False
        self.dumped = False
        self.stdout_lines = collections.deque(maxlen=keep_lines)
        self.stderr_lines = collections.deque(maxlen=keep_lines)
        self.all_stdout = []  # every stdout line, for clients whose output is the result
        self._cond = threading.Condition()
        self.proc = subprocess.Popen(
            self.argv,
            stdin=subprocess.PIPE if stdin else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
            preexec_fn=_die_with_parent,
            env=env,
        )
        Proc.live.append(self)
        self.pid = self.proc.pid
        self._threads = [
            threading.Thread(target=self._drain, args=(self.proc.stdout, True), daemon=True),
            threading.Thread(target=self._drain, args=(self.proc.stderr, False), daemon=True),
        ]
        for t in self._threads:
            t.start()

    def _drain(self, stream, is_stdout):
        for raw in iter(stream.readline, b""):
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            with self._cond:
                if is_stdout:
                    self.stdout_lines.append(line)
                    self.all_stdout.append(line)
                else:
                    self.stderr_lines.append(line)
                self._cond.notify_all()
        with self._cond:
            self._cond.notify_all()

    def wait_stdout(self, predicate, timeout):
        """Wait until predicate(all_stdout) is true; returns its last value."""
        return self._wait_lines(self.all_stdout, predicate, timeout)

    def wait_stderr(self, predicate, timeout):
        """Wait until predicate(stderr_lines) is true (the last keep_lines
        lines); returns its last value."""
        return self._wait_lines(self.stderr_lines, predicate, timeout)

    def _wait_lines(self, lines, predicate, timeout):
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                value = predicate(lines)
                if value or time.monotonic() >= deadline:
                    return value
                if self.proc.poll() is not None and not any(t.is_alive() for t in self._threads):
                    return predicate(lines)
                self._cond.wait(min(0.2, max(0.0, deadline - time.monotonic())))

    def write_line(self, text):
        self.proc.stdin.write(text.encode("utf-8") + b"\n")
        self.proc.stdin.flush()

    def close_stdin(self):
        try:
            self.proc.stdin.close()
        except OSError:
            pass

    def alive(self):
        return self.proc.poll() is None

    def signal(self, sig):
        if self.alive():
            os.kill(self.pid, sig)

    def wait(self, timeout):
        try:
            code = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None
        # The process is gone, but its last lines may still be in the pipe:
        # callers read stdout_lines/all_stdout next (under valgrind's load a
        # peer's final "ok:" line was seen missing).
        for t in self._threads:
            t.join(5)
        self._record(code, stopped=False)
        return code

    def _record(self, code, stopped):
        if self.wrapped and not self.recorded:
            self.recorded = True
            record_exit(f"{self.name} (pid {self.pid})", code, stopped)
            if code != 0:
                self.dump(tail=400)  # the wrapper's report is on stderr
                self.dumped = True

    def kill(self, dump=True):
        """SIGKILL the whole process group, then show its last output. A
        wrapped program gets SIGTERM instead and a generous wait, so that
        the wrapper can report; its exit is then judged by run_main."""
        if self in Proc.live:
            Proc.live.remove(self)
        if self.wrapped and self.alive():
            os.kill(self.pid, signal.SIGTERM)
            try:
                self._record(self.proc.wait(max(30.0, slow(3))), stopped=True)
            except subprocess.TimeoutExpired:
                print(f"info: {self.name} still running {max(30.0, slow(3)):.0f} s after SIGTERM: "
                      f"SIGKILL", flush=True)
                self._record(None, stopped=True)
        elif self.wrapped:
            self._record(self.proc.poll(), stopped=False)
        try:
            os.killpg(self.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            pass
        for t in self._threads:
            t.join(2)
        if dump and not self.dumped:
            self.dump()

    def dump(self, tail=40):
        print(f"--- {self.name} (pid {self.pid}, exit {self.proc.poll()}) last output:")
        for line in list(self.stdout_lines)[-tail:]:
            print(f"  [{self.name} stdout] {line[:300]}")
        for line in list(self.stderr_lines)[-tail:]:
            print(f"  [{self.name} stderr] {line[:300]}")
        sys.stdout.flush()

    @classmethod
    def kill_all(cls):
        for p in list(cls.live):
            p.kill()


LISTEN_RE = re.compile(r"listening on ([0-9.]+|\[[0-9a-f:]+\]):(\d+)")


class Server(Proc):
    """An example server started on port 0; the port is read from its
    `listening on HOST:PORT` line. extra_env: variables added to ours."""

    def __init__(self, binary, *args, name=None, timeout=15, host=HOST, extra_env=None):
        argv = [binary, "--port", "0", "--host", host, *args]
        env = dict(os.environ, **(extra_env or {}))
        if SANITIZED:
            env["ASAN_OPTIONS"] = ":".join(filter(None, [env.get("ASAN_OPTIONS"), "quarantine_size_mb=16"]))
        super().__init__(argv, name or os.path.basename(str(binary)), env=env, ours=True)
        timeout = slow(timeout)
        match = self.wait_stdout(
            lambda lines: next((m for m in map(LISTEN_RE.search, lines) if m), None), timeout)
        if not match:
            self.dump()
            self.kill()
            raise RuntimeError(f"{self.name} did not print 'listening on HOST:PORT' "
                               f"within {timeout}s: {' '.join(self.argv)}")
        self.port = int(match.group(2))
        self.host = host
        print(f"info: started {' '.join(self.argv)} -> pid {self.pid} port {self.port}",
              flush=True)

    def url(self, path="/"):
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"ws://{host}:{self.port}{path}"

    def rss_kib(self):
        with open(f"/proc/{self.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        raise RuntimeError("no VmRSS")

    def fd_count(self):
        return len(os.listdir(f"/proc/{self.pid}/fd"))

    def settle(self, probe, target, timeout=5.0):
        """Poll probe() until it is <= target or timeout; returns the last
        value. Closes are processed asynchronously by the server."""
        deadline = time.monotonic() + timeout
        value = probe()
        while value > target and time.monotonic() < deadline:
            time.sleep(0.1)
            value = probe()
        return value


def node_env():
    env = dict(os.environ)
    modules = os.environ.get("WS_NODE_MODULES")
    if modules:
        env["NODE_PATH"] = modules
    return env


# ------------------------------------------------------------- raw handshake

def new_key():
    return base64.b64encode(os.urandom(16)).decode()


def accept_for(key):
    return base64.b64encode(hashlib.sha1(key.encode() + GUID).digest()).decode()


def upgrade_request(port, path="/", key=None, headers=None, host=HOST):
    key = key or new_key()
    lines = [
        f"GET {path} HTTP/1.1",
        f"Host: {f'[{host}]' if ':' in host else host}:{port}",
        "Upgrade: websocket",
        "Connection: Upgrade",
        f"Sec-WebSocket-Key: {key}",
        "Sec-WebSocket-Version: 13",
    ]
    for name, value in (headers or {}).items():
        lines.append(f"{name}: {value}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode(), key


def free_port():
    """A port nothing listens on: bound and released at once, for a peer
    (nginx, Redis) that takes its port on the command line."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def wait_port(port, timeout):
    """True once something accepts connections on port, False after timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((HOST, port), timeout=1):
                return True
        except OSError:
            time.sleep(0.05)
    return False


def connect(port, timeout=10, rcvbuf=None, host=HOST):
    """A TCP connection to host (an IPv4 or IPv6 literal):port."""
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    if rcvbuf:
        # Set before connect so the window is small from the start and
        # autotuning cannot grow it: the server sees a reader that stalls.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    sock.settimeout(timeout)
    sock.connect((host, port))
    return sock


def abort(sock):
    """Close with RST instead of FIN: an abrupt disconnect."""
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    except OSError:
        pass
    sock.close()


class HttpResponse:
    def __init__(self, status, reason, headers, body, leftover):
        self.status = status
        self.reason = reason
        self.headers = headers  # lower-case name -> value (last wins)
        self.body = body
        self.leftover = leftover  # bytes read after the head of a 101

    def __repr__(self):
        return f"HTTP {self.status} {self.reason} {self.headers}"


def read_http_response(sock, timeout=10, read_body=True):
    """Reads one response head (and its body unless it is a 101). Returns
    None when the server closed before a full head."""
    deadline = time.monotonic() + timeout
    buf = b""
    while b"\r\n\r\n" not in buf:
        if len(buf) > 65536:
            raise RuntimeError("response head over 64 KiB")
        sock.settimeout(max(0.01, deadline - time.monotonic()))
        try:
            chunk = sock.recv(65536)
        except (ConnectionResetError, socket.timeout):
            return None
        if not chunk:
            return None
        buf += chunk
    head, rest = buf.split(b"\r\n\r\n", 1)
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ", 2)
    status = int(parts[1])
    reason = parts[2] if len(parts) > 2 else ""
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    if status == 101 or not read_body:
        return HttpResponse(status, reason, headers, b"", rest)
    body = rest
    length = headers.get("content-length")
    while True:
        if length is not None and len(body) >= int(length):
            body = body[: int(length)]
            break
        sock.settimeout(max(0.01, deadline - time.monotonic()))
        try:
            chunk = sock.recv(65536)
        except (ConnectionResetError, socket.timeout):
            break
        if not chunk:
            break
        body += chunk
    return HttpResponse(status, reason, headers, body, b"")


def http_request(port, method, path, headers=None, body=b"", timeout=10):
    sock = connect(port, timeout)
    try:
        lines = [f"{method} {path} HTTP/1.1", f"Host: {HOST}:{port}", "Connection: close"]
        for name, value in (headers or {}).items():
            lines.append(f"{name}: {value}")
        if body:
            lines.append(f"Content-Length: {len(body)}")
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
        return read_http_response(sock, timeout)
    finally:
        sock.close()


def exchange_until_close(port, request, timeout=10):
    """Send raw bytes and read until the server closes. Returns (data,
    closed): closed is False when the read ended by a reset or the timeout,
    which a server that answers and closes never causes."""
    sock = connect(port, timeout)
    data, closed = b"", False
    try:
        sock.sendall(request)
        while True:
            try:
                chunk = sock.recv(65536)
            except (ConnectionResetError, socket.timeout):
                break
            if not chunk:
                closed = True
                break
            data += chunk
    finally:
        sock.close()
    return data, closed


def split_response(data):
    """(status or None, {lower-case name: value}, body) of a raw answer."""
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ")
    status = int(parts[1]) if lines[0].startswith("HTTP/") and len(parts) > 1 and parts[1].isdigit() else None
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return status, headers, body


class RawClient:
    """A WebSocket client on a bare socket: exact control over every byte."""

    def __init__(self, port, path="/", headers=None, timeout=10, rcvbuf=None, host=HOST):
        self.sock = connect(port, timeout, rcvbuf, host)
        request, key = upgrade_request(port, path, headers=headers, host=host)
        self.sock.sendall(request)
        self.response = read_http_response(self.sock, timeout)
        self.reader = FrameReader(self.sock)
        if self.response is not None:
            self.reader.buf = bytearray(self.response.leftover)
        self.upgraded = (self.response is not None and self.response.status == 101
                         and self.response.headers.get("sec-websocket-accept") == accept_for(key))

    def send(self, data):
        self.sock.sendall(data)

    def send_frame(self, opcode, payload=b"", **kw):
        self.sock.sendall(encode_frame(opcode, payload, **kw))

    def close(self):
        self.sock.close()

    def abort(self):
        abort(self.sock)


# --------------------------------------------------------------- frame codec

def encode_frame(opcode, payload=b"", fin=True, mask=True, rsv=0, length=None):
    """A client frame. length overrides the announced payload length (for
    frames that lie about their size); rsv is the 3 RSV bits as 0..7."""
    if isinstance(payload, str):
        payload = payload.encode("utf-8")
    n = len(payload) if length is None else length
    head = bytearray([(0x80 if fin else 0) | (rsv & 7) << 4 | opcode])
    mbit = 0x80 if mask else 0
    if n < 126:
        head.append(mbit | n)
    elif n < 65536:
        head.append(mbit | 126)
        head += struct.pack("!H", n)
    else:
        head.append(mbit | 127)
        head += struct.pack("!Q", n)
    if not mask:
        return bytes(head) + payload
    key = os.urandom(4)
    head += key
    return bytes(head) + mask_bytes(payload, key)


def mask_bytes(payload, key):
    if not payload:
        return b""
    # Whole-buffer XOR through big integers: fast enough for MiB payloads.
    n = len(payload)
    reps = (key * (n // 4 + 1))[:n]
    return (int.from_bytes(payload, "big") ^ int.from_bytes(reps, "big")).to_bytes(n, "big")


def close_payload(code, reason=b""):
    return struct.pack("!H", code) + reason


class Frame:
    def __init__(self, fin, rsv, opcode, masked, payload):
        self.fin, self.rsv, self.opcode, self.masked, self.payload = fin, rsv, opcode, masked, payload

    def close_code(self):
        if self.opcode != OP_CLOSE or len(self.payload) < 2:
            return None
        return struct.unpack("!H", self.payload[:2])[0]

    def __repr__(self):
        return (f"Frame(fin={self.fin}, rsv={self.rsv}, op={self.opcode}, masked={self.masked}, "
                f"len={len(self.payload)}, head={bytes(self.payload[:16])!r})")


class FrameReader:
    """Reads server frames from a socket. read() returns a Frame, or None on
    EOF/reset/timeout (see self.end: 'eof', 'reset', 'timeout')."""

    def __init__(self, sock):
        self.sock = sock
        self.buf = bytearray()
        self.end = None

    def _fill(self, need, deadline):
        while len(self.buf) < need:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self.end = "timeout"
                return False
            self.sock.settimeout(remaining)
            try:
                chunk = self.sock.recv(1 << 20)
            except socket.timeout:
                self.end = "timeout"
                return False
            except (ConnectionResetError, BrokenPipeError):
                self.end = "reset"
                return False
            if not chunk:
                self.end = "eof"
                return False
            self.buf += chunk
        return True

    def read(self, timeout=10):
        deadline = time.monotonic() + timeout
        if not self._fill(2, deadline):
            return None
        b0, b1 = self.buf[0], self.buf[1]
        n = b1 & 0x7F
        pos = 2
        if n == 126:
            if not self._fill(4, deadline):
                return None
            n = struct.unpack("!H", self.buf[2:4])[0]
            pos = 4
        elif n == 127:
            if not self._fill(10, deadline):
                return None
            n = struct.unpack("!Q", self.buf[2:10])[0]
            pos = 10
        masked = bool(b1 & 0x80)
        key = b""
        if masked:
            if not self._fill(pos + 4, deadline):
                return None
            key = bytes(self.buf[pos:pos + 4])
            pos += 4
        if n > (256 << 20):
            raise RuntimeError(f"server announced a {n}-byte frame")
        if not self._fill(pos + n, deadline):
            return None
        payload = bytes(self.buf[pos:pos + n])
        del self.buf[:pos + n]
        if masked:
            payload = mask_bytes(payload, key)
        return Frame(bool(b0 & 0x80), (b0 >> 4) & 7, b0 & 0x0F, masked, payload)

    def read_until_close(self, timeout=10):
        """Skip data and control frames until a close frame. Returns
        (close_frame_or_None, frames_skipped)."""
        deadline = time.monotonic() + timeout
        skipped = 0
        while True:
            frame = self.read(max(0.0, deadline - time.monotonic()))
            if frame is None:
                return None, skipped
            if frame.opcode == OP_CLOSE:
                return frame, skipped
            skipped += 1

    def frames_until_close(self, timeout=10):
        """Every frame up to and including the first close frame, or up to
        the end of the connection or of each read's timeout."""
        frames = []
        while True:
            frame = self.read(timeout)
            if frame is None:
                return frames
            frames.append(frame)
            if frame.opcode == OP_CLOSE:
                return frames

    def wait_closed(self, timeout=10):
        """After a close frame: True when the server closes the TCP
        connection (EOF or reset) within timeout."""
        deadline = time.monotonic() + timeout
        while True:
            frame = self.read(max(0.0, deadline - time.monotonic()))
            if frame is None:
                return self.end in ("eof", "reset")


def read_message(reader, timeout=10):
    """Reassemble one data message (the server may fragment it); control
    frames in between are returned too. Returns (opcode, payload, controls)."""
    controls = []
    opcode = None
    parts = []
    while True:
        frame = reader.read(timeout)
        if frame is None:
            return None, None, controls
        if frame.opcode >= 0x8:
            controls.append(frame)
            if frame.opcode == OP_CLOSE:
                return None, None, controls
            continue
        if opcode is None:
            opcode = frame.opcode
        parts.append(frame.payload)
        if frame.fin:
            return opcode, b"".join(parts), controls


def is_closed_by_peer(sock, timeout):
    """True when the peer closes (EOF or RST) within timeout; bytes that
    arrive meanwhile are read and dropped."""
    deadline = time.monotonic() + timeout
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return False
        sock.settimeout(remaining)
        try:
            chunk = sock.recv(1 << 20)
        except socket.timeout:
            return False
        except (ConnectionResetError, BrokenPipeError):
            return True
        if not chunk:
            return True


def wait_readable(socks, timeout):
    r, _, _ = select.select(socks, [], [], timeout)
    return r


# ------------------------------------------------------------ message content

# Code points that stress UTF-8 handling: ASCII, 2-, 3- and 4-byte sequences,
# U+0000, the edges of the BMP and of Unicode, CJK and emoji.
_TEXT_ALPHABET = (
    [chr(c) for c in range(0x20, 0x7F)] * 4
    + ["\u0000", "\u007f", "\u0080", "\u00e9", "\u00ff", "\u07ff", "\u0800", "\u20ac",
       "\ud7ff", "\ue000", "\ufffd", "\uffff", "\u4e2d", "\u6587", "\u65e5", "\u672c",
       "\U00010000", "\U0001f600", "\U0001f680", "\U0010ffff"]
)


class TextPool:
    """Random valid UTF-8 of any byte length, cut from one pre-built pool so
    MiB-sized messages cost little to make."""

    def __init__(self, rng, chars=200_000):
        self.text = "".join(rng.choice(_TEXT_ALPHABET) for _ in range(chars))
        self.rng = rng

    def make(self, nbytes):
        if nbytes == 0:
            return ""
        out = []
        have = 0
        while have < nbytes:
            start = self.rng.randrange(len(self.text) // 2)
            piece = self.text[start:start + (nbytes - have)]
            out.append(piece)
            have += len(piece.encode("utf-8"))
        raw = "".join(out).encode("utf-8")[:nbytes]
        # Cutting at nbytes may split a sequence: drop the partial tail.
        return raw.decode("utf-8", "ignore")


def skewed_size(rng):
    """Mostly small frames, some in each length encoding, a few up to 1 MiB:
    about 40 KiB on average."""
    r = rng.random()
    if r < 0.55:
        return rng.randrange(0, 126)
    if r < 0.85:
        return rng.randrange(126, 65536)
    if r < 0.98:
        return rng.randrange(65536, 262144)
    return rng.randrange(262144, (1 << 20) + 1)


EDGE_SIZES = [0, 1, 125, 126, 127, 65535, 65536, 65537, 1 << 20]


def message_plan(seed, count):
    """count messages, text (str) or binary (bytes), the edge sizes first."""
    import random
    rng = random.Random(seed)
    pool = TextPool(rng)
    plan = []
    for i in range(count):
        size = EDGE_SIZES[i // 2] if i < 2 * len(EDGE_SIZES) else skewed_size(rng)
        if i % 2 == 0 if i < 2 * len(EDGE_SIZES) else rng.random() < 0.5:
            plan.append(pool.make(size))
        else:
            plan.append(rng.randbytes(size))
    return plan


class GoodClient(RawClient):
    """A well-behaved client kept connected through an attack: it answers
    pings and checks that each message it sends comes back (echo: as is;
    chat: as `Server: <msg>`)."""

    def __init__(self, port, chat, **kw):
        super().__init__(port, **kw)
        self.chat = chat
        self.sent = 0
        self.lost = []

    def roundtrip(self, text, timeout=10):
        expect = (f"Server: {text}" if self.chat else text).encode()
        self.send_frame(OP_TEXT, text)
        self.sent += 1
        deadline = time.monotonic() + timeout
        while True:
            frame = self.reader.read(max(0.0, deadline - time.monotonic()))
            if frame is None or frame.opcode == OP_CLOSE:
                self.lost.append(text)
                return False
            if frame.opcode == OP_PING:
                self.send_frame(OP_PONG, frame.payload)
            elif frame.opcode == OP_TEXT and frame.payload == expect:
                return True


def run_peer(checks, name, argv, timeout, min_ok=1, env=None):
    """Runs another implementation's program that does its own checking
    (prints `ok:`/`FAIL:` lines, exits 0 only when all pass) and reports it
    as checks here. Returns its stdout lines."""
    peer = Proc(argv, name, env=env)
    code = peer.wait(timeout)
    if code is None:
        # SIGTERM first: Playwright closes Chromium on it.
        peer.signal(signal.SIGTERM)
        peer.wait(5)
    for line in peer.all_stdout:
        print(f"  [{name}] {line[:300]}")
    checks.check(code == 0, f"{name}: its checks all passed (see [{name}] lines)",
                 f"exit {code}" if code is not None else f"still running after {timeout} s")
    checks.check(sum(line.startswith("ok: ") for line in peer.all_stdout) >= min_ok,
                 f"{name}: reported at least {min_ok} checks")
    lines = list(peer.all_stdout)
    peer.kill(dump=code != 0)
    return lines


def run_node_peer(checks, name, argv, timeout, min_ok=1):
    """run_peer for a Node script, with tests/node_modules on NODE_PATH."""
    node = os.environ.get("WS_NODE", "node")
    return run_peer(checks, name, [node, *argv], timeout, min_ok, env=node_env())


# ------------------------------------------------- what our servers log

def peer_of(server, path, timeout, exclude=None):
    """The [address:port] the server logs for the connection to path (the
    first that is not exclude), or None. The path ends at the ", subprotocol"
    or " (N clients)" that follows it in the log."""
    regex = re.compile(r"(\[[0-9.]+:\d+\]) connected: WebSocket " + re.escape(path) + r"(?:,| \()")
    return server.wait_stderr(
        lambda lines: next((m.group(1) for m in map(regex.search, lines)
                            if m and m.group(1) != exclude), None), timeout)


def logged(server, peer, pattern, timeout):
    """The first log line of peer whose text after the address matches
    pattern, or None."""
    regex = re.compile(re.escape(peer) + " " + pattern)
    return server.wait_stderr(lambda lines: next((line for line in lines if regex.search(line)), None),
                              timeout)


def check_clean_close(checks, server, path, code, reason=None, exclude=None):
    """The server's log for the connection to path (the first that is not
    exclude): the close frame with code and reason as the client sent them
    (reason None: any), then the connection gone with that code, clean.
    Returns the connection's [address:port], or None."""
    peer = peer_of(server, path, slow(5), exclude)
    if not checks.check(peer is not None, f"{server.name}: logged the connection to {path}"):
        return None
    if reason is not None:
        line = logged(server, peer, rf'close frame from peer: {code} "{re.escape(reason)}"$', slow(5))
        checks.check(line is not None, f"{server.name}: {path}: got close {code} with the reason as sent "
                     f"({len(reason.encode())} bytes of UTF-8)")
    line = logged(server, peer, r"disconnected: ", slow(5))
    checks.check(line is not None and f"disconnected: close code {code}, clean" in line,
                 f"{server.name}: {path}: logs close code {code}, clean", repr(line))
    return peer


def check_chat_left_clean(checks, server, who, count):
    """After count clients of who (paths /WHO/chat-I) said "bye from WHO I"
    with 1000 to a chat_server run with --ping-interval: each close clean,
    nobody dropped for want of a pong, the server still up; then it is
    stopped."""
    for i in range(count):
        check_clean_close(checks, server, f"/{who}/chat-{i}", 1000, f"bye from {who} {i}")
    checks.check(not any("no answer to ping" in line for line in server.stderr_lines),
                 "chat_server dropped no client for want of a pong")
    checks.check(server.alive(), "chat_server still running after the clients left")
    server.kill(dump=False)


def run_parts(checks, parts, table):
    """Run the named parts of a test in order (table: name -> function of
    no arguments), each one's time logged; an unknown name ends the run."""
    for part in parts:
        if part not in table:
            raise SystemExit(f"unknown part {part}; known: {', '.join(table)}")
        t0 = time.monotonic()
        table[part]()
        checks.info(f"part {part}: {time.monotonic() - t0:.2f} s")


# ------------------------------------------------------------- chat_client

def exact_text(pool, nbytes):
    """Valid UTF-8 (multibyte included) of exactly nbytes bytes."""
    text = pool.make(nbytes)
    return text + "x" * (nbytes - len(text.encode("utf-8")))


def client_lines(seed):
    """Lines for chat_client's stdin: ASCII, multibyte, empty, tabs and
    spaces, ~100 KB (no newline or NUL inside), then a last one."""
    import random
    rng = random.Random(seed)
    pool = TextPool(rng, chars=50_000)
    return [
        "hello",
        "h\u00e9llo w\u00f6rld \u2014 \u4e2d\u6587 \u65e5\u672c\u8a9e \U0001f600\U0001f680 \U0010ffff",
        "",
        "  spaces\tand a tab  ",
        exact_text(pool, 100_000).replace("\n", " ").replace("\r", " ").replace("\u0000", " "),
        "last line",
    ]


def run_chat_client(exe, name, args, lines=None, wait_lines=0):
    """chat_client under the harness (WS_TEST_WRAPPER applies): lines on
    stdin, stdin closed once wait_lines lines are on stdout. Returns
    (exit code or None, stdout lines, stderr lines)."""
    proc = Proc([exe, *args], name, stdin=lines is not None, ours=True)
    if lines is not None:
        for line in lines:
            proc.write_line(line)
        proc.wait_stdout(lambda out: len(out) >= wait_lines, slow(20))
        proc.close_stdin()
    code = proc.wait(slow(15))
    proc.kill(dump=code is None)
    return code, list(proc.all_stdout), list(proc.stderr_lines)


def check_lines_echoed(checks, exe, who, url, lines):
    """chat_client piping lines to the echo server at url: it exits 0 after
    end of input, and every line comes back on stdout exactly, in order."""
    t0 = time.monotonic()
    code, out, err = run_chat_client(exe, f"chat_client -> {who}", ["-q", url], lines, len(lines))
    checks.info(f"chat_client against {who}: {time.monotonic() - t0:.2f} s")
    checks.check(code == 0, f"client/{who}: chat_client exits 0 after stdin EOF",
                 f"exit {code}; stderr {err[-5:]}")
    first_difference = next((i for i, (x, y) in enumerate(zip(out, lines)) if x != y),
                            min(len(out), len(lines)))
    checks.check(out == lines, f"client/{who}: every line back on stdout exactly, in order "
                 f"(multibyte, empty, {max(len(line.encode()) for line in lines)} bytes)",
                 f"{len(out)} lines, want {len(lines)}; first difference at {first_difference}")


class TestCerts:
    """A test CA and certificates it signed, made with the openssl command
    in a temporary directory: `good` names localhost and 127.0.0.1, `other`
    only other.test. Each is a (cert, key) pair of paths."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="ws-tls-")
        openssl = shutil.which("openssl") or "/usr/bin/openssl"
        ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        self.ca = self.path("ca.pem")
        self._run(openssl, "req", "-x509", *ec, "-days", "2", "-subj", "/CN=wsframe test CA",
                  "-addext", "basicConstraints=critical,CA:TRUE",
                  "-addext", "keyUsage=critical,keyCertSign",
                  "-keyout", self.path("ca.key"), "-out", self.ca)
        self.good = self._leaf(openssl, "good", "DNS:localhost,IP:127.0.0.1")
        self.other = self._leaf(openssl, "other", "DNS:other.test")

    def path(self, name):
        return os.path.join(self.dir, name)

    def _run(self, *argv):
        subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                       timeout=30)

    def _leaf(self, openssl, name, san):
        key, csr, cert, ext = (self.path(f"{name}.{x}") for x in ("key", "csr", "pem", "ext"))
        with open(ext, "w") as f:
            f.write(f"subjectAltName={san}\n")
        self._run(openssl, "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                  "-nodes", "-subj", f"/CN={name}", "-keyout", key, "-out", csr)
        self._run(openssl, "x509", "-req", "-in", csr, "-CA", self.ca, "-CAkey",
                  self.path("ca.key"), "-CAcreateserial", "-days", "2", "-extfile", ext,
                  "-out", cert)
        return cert, key

    def remove(self):
        shutil.rmtree(self.dir, ignore_errors=True)
