#!/usr/bin/env python3
"""Allocation failure: echo_server, chat_server and chat_client with malloc
failing under them (failmalloc.so, an LD_PRELOAD shim next to this file).

The shim starts disarmed; SIGUSR2 arms it and disarms it again, so each
program starts normally and the failures hit exactly the traffic in between:
`every=K` fails every K-th allocation, `after=N` all after the first N,
`random=P,seed=S` each with probability P.

Servers: clients connected before the failures send small, 1 MiB and
fragmented messages, pings and closes, or drop mid-message, and new clients
connect meanwhile (chat: a page is fetched too). Expected: no crash, no frame
that breaks RFC 6455, "out of memory" in the log, an idle client untouched
(echo: nothing of its was allocated), a client connected once the failures
stop served in full (1 MiB echoed), and exit 0 on SIGTERM -- also while every
allocation still fails. With more than 64 timers running the timer heap has
to grow: a connection accepted when it could not must not be left without
its handshake timeout.

chat_client: connected, then lines (one of 300 KB) with allocations
failing, or a fragmented message from the server: it must end promptly, by
no signal, exit 4 saying "out of memory" (or 0 having echoed every line) --
not hang, not blame the server ("protocol error", "did not answer the
close"), not call a line too long, and not send a close code that blames it.

The shim cannot work under valgrind or ASan: both replace malloc. Under
valgrind (WS_TEST_WRAPPER) the script exits 77, ctest's "skipped". In a
WS_SANITIZE build (WS_SANITIZED=1; no shim is built, its argument is "-")
ASan's own knobs make allocations fail instead: allocator_may_return_null=1
with max_allocation_size_mb=1 fails every allocation over 1 MiB, so the
1.5 MiB messages below take the same paths with ASan and UBSan watching for
a use after free or a leak in them: the servers close with 1011 and log
"out of memory", stay healthy and exit 0; chat_client sending or receiving
such a message exits 4 saying "out of memory".

usage: oom.py failmalloc.so|- echo_server chat_server chat_client
"""

import os
import random
import signal
import socket
import sys
import threading
import time

from wsharness import (HOST, OP_BINARY, OP_CLOSE, OP_CONT, OP_PING, OP_TEXT, WRAPPER, GoodClient,
                       Proc, RawClient, Server, accept_for, close_payload, encode_frame,
                       exchange_until_close, is_closed_by_peer, read_message,
                       SANITIZED, run_main, slow)

SHIM, ECHO, CHAT, CLIENT = sys.argv[1:5]
VALID_CLOSE = set(range(1000, 1004)) | set(range(1007, 1015)) | set(range(3000, 5000))
BIG = 2 << 20  # --max-message: room for the 1 MiB messages


def frame_problem(f):
    """What makes a server frame break RFC 6455, or None."""
    if f.rsv or f.masked or f.opcode not in (0, 1, 2, 8, 9, 10):
        return f"bad header {f!r}"
    if f.opcode >= 8 and (not f.fin or len(f.payload) > 125):
        return f"bad control frame {f!r}"
    if f.opcode == OP_CLOSE and (len(f.payload) == 1 or
                                 (len(f.payload) >= 2 and f.close_code() not in VALID_CLOSE)):
        return f"bad close frame {f!r}"
    return None


class Traffic:
    """Frames seen by every client of a scenario, checked for validity."""

    def __init__(self):
        self.problems = []
        self.frames = 0
        self.lock = threading.Lock()

    def drain(self, client, timeout):
        while True:
            try:
                f = client.reader.read(timeout)
            except (OSError, RuntimeError) as exc:
                with self.lock:
                    self.problems.append(f"unreadable frame: {exc!r}")
                return
            if f is None:
                return
            with self.lock:
                self.frames += 1
                why = frame_problem(f)
                if why:
                    self.problems.append(why)
            if f.opcode == OP_CLOSE:
                return


def act(client, kind, rng, traffic):
    """One client's part while allocations fail; any error is the server's
    right, only what it sends is judged."""
    try:
        if kind == "small":
            client.send_frame(OP_TEXT, "small " * 20)
        elif kind == "big":
            client.send_frame(OP_BINARY, rng.randbytes(1 << 20))
        elif kind == "fragments":
            client.send_frame(OP_TEXT, "a" * 1000, fin=False)
            client.send_frame(OP_PING, b"between")
            client.send_frame(OP_CONT, "b" * 70000, fin=False)
            client.send_frame(OP_CONT, "c")
        elif kind == "ping":
            client.send_frame(OP_PING, b"p" * 125)
        elif kind == "abort":
            client.send_frame(OP_BINARY, b"x" * 100000, fin=False)
            client.abort()
            return
        client.send_frame(OP_CLOSE, close_payload(1000))
    except OSError:
        pass
    traffic.drain(client, slow(3))
    client.close()


def start(binary, spec, *args):
    return Server(binary, "--max-message", str(BIG), *args,
                  extra_env={"LD_PRELOAD": SHIM, "WS_FAILMALLOC": spec})


def toggle(server):
    """Arm or disarm the shim; the handler runs before the server's next
    step, so it is in effect for whatever the test sends next."""
    server.signal(signal.SIGUSR2)  # not if it died: stop() reports how
    time.sleep(0.05)


def stop(checks, server, label, within=5):
    server.signal(signal.SIGTERM)
    code = server.wait(slow(within))
    checks.check(code == 0, f"{label}: SIGTERM -> exit 0 within {within} s",
                 f"exit {code}" if code is not None else "still running")
    errors = list(server.stderr_lines)
    failed = next((line for line in errors if line.startswith("failmalloc:")), "")
    server.kill(dump=code != 0)
    return errors, failed


def fetch_page(port):
    try:
        exchange_until_close(port, f"GET / HTTP/1.1\r\nHost: {HOST}:{port}\r\n\r\n".encode(),
                             slow(3))
    except OSError:
        pass


def server_under_failures(checks, binary, chat, spec, seed):
    name = f"{os.path.basename(binary)} {spec}"
    rng = random.Random(seed)
    server = start(binary, spec)
    traffic = Traffic()
    bystander = None if chat else GoodClient(server.port, chat)
    kinds = ["small", "big", "fragments", "ping", "abort", "small"]
    early = [RawClient(server.port) for _ in kinds]
    toggle(server)
    threads = [threading.Thread(target=act, args=(c, k, random.Random(rng.random()), traffic))
               for c, k in zip(early, kinds)]
    for i in range(4):  # new clients while allocations fail
        try:
            late = RawClient(server.port, timeout=slow(3))
        except OSError:
            continue
        if late.upgraded:
            threads.append(threading.Thread(target=act, args=(late, kinds[i], random.Random(i),
                                                              traffic)))
        else:
            late.close()
    for t in threads:
        t.start()
    if chat:
        fetch_page(server.port)
    for t in threads:
        t.join(slow(20))
    checks.check(server.alive(), f"{name}: alive after the failures")
    toggle(server)

    checks.check(not traffic.problems, f"{name}: every frame sent is valid RFC 6455 "
                 f"({traffic.frames} frames)", "; ".join(traffic.problems[:3]))
    if bystander:
        ok = bystander.roundtrip("still here", slow(5))
        checks.check(ok, f"{name}: an idle client connected throughout is still served")
        bystander.close()
    served = False
    try:
        fresh = GoodClient(server.port, chat)
        big = rng.randbytes(1 << 20)
        served = fresh.upgraded and fresh.roundtrip("hello again", slow(5))
        if served:
            fresh.send_frame(OP_BINARY, big)
            _, data, _ = read_message(fresh.reader, slow(5))
            served = data == big
        fresh.close()
    except OSError as exc:
        checks.info(f"{name}: fresh client: {exc!r}")
    checks.check(served, f"{name}: once allocations succeed again, a new client is served "
                 "(small and 1 MiB messages)")
    errors, failed = stop(checks, server, name)
    checks.check(failed and not failed.startswith("failmalloc: 0 "),
                 f"{name}: allocations did fail ({failed})")
    checks.check(any("out of memory" in line for line in errors),
                 f"{name}: the log says \"out of memory\"")


def shutdown_while_failing(checks, binary, chat):
    name = f"{os.path.basename(binary)} after=0"
    server = start(binary, "after=0")
    clients = [RawClient(server.port) for _ in range(4)]
    toggle(server)
    clients[0].send_frame(OP_TEXT, "x" * 3000, fin=False)  # a message being assembled
    clients[1].send_frame(OP_PING, b"ping")
    time.sleep(0.2)
    checks.check(server.alive(), f"{name}: alive with every allocation failing")
    refused = RawClient(server.port)
    checks.check(not refused.upgraded, f"{name}: a new client is refused, not served half")
    refused.close()
    errors, _ = stop(checks, server, f"{name}, still failing")
    checks.check(any("refused: out of memory" in line for line in errors),
                 f"{name}: the log says the refused client was \"refused: out of memory\"")
    for c in clients:
        c.close()


def timer_heap_growth(checks):
    """More than 64 timers: the heap grows while allocations fail."""
    name = "chat_server every=2, 64+ timers"
    server = start(CHAT, "every=2", "--handshake-timeout", "1")
    clients = [RawClient(server.port) for _ in range(62)]
    toggle(server)
    idle = []
    for _ in range(12):
        try:
            idle.append(socket.create_connection((HOST, server.port), slow(2)))
        except OSError:
            pass
        time.sleep(0.01)
    time.sleep(0.1)
    toggle(server)
    time.sleep(slow(1.5))
    left = sum(not is_closed_by_peer(s, slow(1)) for s in idle)
    checks.check(left == 0, f"{name}: every silent connection accepted meanwhile is closed "
                 "by the 1 s handshake timeout or refused", f"{left} of {len(idle)} still open")
    for s in idle + [c.sock for c in clients]:
        s.close()
    stop(checks, server, name)


def connected(lines):
    return any("connected to" in line for line in lines)


def start_client_armed(spec, argv):
    """chat_client under the shim with WS_FAILMALLOC=spec, armed (SIGUSR2)
    once it says it is connected, so the handshake itself is not failed."""
    env = dict(os.environ, LD_PRELOAD=SHIM, WS_FAILMALLOC=spec)
    proc = Proc([CLIENT, *argv], "chat_client", env=env, stdin=True, ours=True)
    proc.wait_stderr(connected, slow(10))
    os.kill(proc.pid, signal.SIGUSR2)
    time.sleep(0.05)
    return proc


def run_client(checks, spec, lines, url, label, *args):
    proc = start_client_armed(spec, ["-b", *args, url])
    try:
        for line in lines:
            proc.write_line(line)
    except BrokenPipeError:
        pass
    proc.close_stdin()
    code = proc.wait(slow(5))
    name = f"chat_client {spec} {label}"
    checks.check(code is not None, f"{name}: ends within 5 s")
    errors = list(proc.stderr_lines)
    proc.kill(dump=code != 0)
    if code is None:
        return None, errors
    checks.check(code >= 0, f"{name}: not killed by a signal", f"exit {code}")
    return code, errors


MISLEADING = ("longer than", "output buffer is too small", "protocol error",
              "did not answer the close", "Message Too Big")


def client_sending(checks, echo):
    lines = ["hello"] * 5 + ["x" * 300000, "bye"]
    for spec in ("after=0", "after=2", "every=2", "every=3"):
        code, errors = run_client(checks, spec, lines, echo.url(), "sending lines")
        if code is None:
            continue
        failed = next((line for line in errors if line.startswith("failmalloc:")), "")
        if code == 0:
            checks.info(f"{spec}: exit 0 ({failed})")
        else:
            checks.check(code == 4 and any("out of memory" in line for line in errors),
                         f"chat_client {spec}: exit 4 saying \"out of memory\"",
                         f"exit {code}: {errors[-3:]}")
        wrong = [line for line in errors if any(m in line for m in MISLEADING)]
        checks.check(not wrong, f"chat_client {spec}: does not misreport the failure", str(wrong[:2]))


def client_waiting(checks, echo):
    """--wait starts a timer at the end of input: the first one, if the
    loop allocated its timers only when started, would fail to start and
    leave the client waiting for ever."""
    code, errors = run_client(checks, "after=0", [], echo.url(), "--wait 0.2, no input",
                              "--wait", "0.2")
    if code is not None:
        checks.check(code in (0, 4), "chat_client after=0 --wait: exit 0 or 4", f"exit {code}")


def client_receiving(checks):
    """A fragmented message from the server when the client cannot hold it."""
    listener = socket.create_server((HOST, 0))
    port = listener.getsockname()[1]
    seen = {"close_codes": [], "go": threading.Event()}

    def serve():
        conn, _ = listener.accept()
        conn.settimeout(slow(10))
        data = b""
        while b"\r\n\r\n" not in data:
            data += conn.recv(4096)
        key = next(line.split(b":", 1)[1].strip().decode() for line in data.split(b"\r\n")
                   if line.lower().startswith(b"sec-websocket-key:"))
        conn.sendall(("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                      "Connection: Upgrade\r\nSec-WebSocket-Accept: " + accept_for(key) +
                      "\r\n\r\n").encode())
        seen["go"].wait(slow(10))
        try:
            conn.sendall(encode_frame(OP_TEXT, "a" * 1000, fin=False, mask=False))
            time.sleep(0.05)
            conn.sendall(encode_frame(OP_CONT, "b" * 1000, fin=True, mask=False))
            rest = b""
            while True:
                chunk = conn.recv(65536)
                if not chunk:
                    break
                rest += chunk
        except OSError:
            rest = b""
        # Client frames are masked: the close code is the first 2 payload bytes.
        at = rest.find(bytes([0x88]))
        if at >= 0 and len(rest) >= at + 8:
            key = rest[at + 2:at + 6]
            code = bytes(b ^ key[i % 4] for i, b in enumerate(rest[at + 6:at + 8]))
            seen["close_codes"].append(int.from_bytes(code, "big"))
        conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    proc = start_client_armed("after=0", [f"ws://{HOST}:{port}/"])
    seen["go"].set()
    code = proc.wait(slow(5))
    errors = list(proc.stderr_lines)
    name = "chat_client after=0 receiving a fragmented message"
    checks.check(code == 4 and any("out of memory" in line for line in errors),
                 f"{name}: exit 4 saying \"out of memory\"", f"exit {code}: {errors[-3:]}")
    wrong = [line for line in errors if any(m in line for m in MISLEADING)]
    checks.check(not wrong, f"{name}: does not call it the server's protocol error", str(wrong[:2]))
    proc.close_stdin()
    proc.kill(dump=code != 4)
    thread.join(slow(5))
    checks.check(1009 not in seen["close_codes"],
                 f"{name}: no close 1009 blaming the server's message size",
                 str(seen["close_codes"]))
    listener.close()


def body(checks):
    started = time.monotonic()
    for i, spec in enumerate(("every=2", "every=3", "every=7", "random=0.3,seed=5", "after=0")):
        server_under_failures(checks, ECHO, False, spec, i)
        server_under_failures(checks, CHAT, True, spec, 100 + i)
    shutdown_while_failing(checks, ECHO, False)
    shutdown_while_failing(checks, CHAT, True)
    timer_heap_growth(checks)
    echo = Server(ECHO, "--max-message", str(BIG))  # a healthy peer for chat_client
    client_sending(checks, echo)
    client_waiting(checks, echo)
    echo.kill(dump=False)
    client_receiving(checks)
    checks.info(f"took {time.monotonic() - started:.1f} s")


# ------------------------------------------------------------- under ASan

ASAN_FAIL_BIG = "allocator_may_return_null=1:max_allocation_size_mb=1"


def asan_server(checks, binary, chat):
    name = f"{os.path.basename(binary)} (ASan, allocations over 1 MiB fail)"
    server = Server(binary, "--max-message", str(8 << 20), extra_env={
        "ASAN_OPTIONS": ":".join(filter(None, [os.environ.get("ASAN_OPTIONS"), ASAN_FAIL_BIG]))})
    bystander = GoodClient(server.port, chat)
    data = os.urandom(3 << 19)
    for kind in ("one frame", "two fragments"):
        client = RawClient(server.port)
        if kind == "one frame":
            client.send_frame(OP_BINARY, data)
        else:
            client.send_frame(OP_BINARY, data[:len(data) // 2], fin=False)
            client.send_frame(OP_CONT, data[len(data) // 2:])
        close, _ = client.reader.read_until_close(slow(10))
        checks.check(close is not None and close.close_code() == 1011,
                     f"{name}: a 1.5 MiB message in {kind} -> close 1011",
                     repr(close) if close else client.reader.end)
        client.close()
    checks.check(bystander.roundtrip("still here", slow(5)),
                 f"{name}: the other client is still served")
    bystander.close()
    errors, _ = stop(checks, server, name, within=10)
    checks.check(sum("out of memory for a" in line for line in errors) == 2,
                 f"{name}: the log says \"out of memory for a N-byte message\" twice")


def asan_client(checks):
    env = dict(os.environ, ASAN_OPTIONS=":".join(
        filter(None, [os.environ.get("ASAN_OPTIONS"), ASAN_FAIL_BIG])))
    # A plain peer would do; chat_server relays the 1.5 MiB message to the
    # client for the receiving case. Its own allocations stay under 1 MiB+.
    chat = Server(CHAT, "--max-message", str(8 << 20))
    for label in ("sending a 1.5 MiB line", "receiving a 1.5 MiB message"):
        proc = Proc([CLIENT, "-b", chat.url()], "chat_client", env=env, stdin=True, ours=True)
        proc.wait_stderr(connected, slow(10))
        try:
            if label.startswith("sending"):
                proc.write_line("a" * (3 << 19))
            else:
                other = RawClient(chat.port)
                other.send_frame(OP_BINARY, os.urandom(3 << 19))
                other.close()
        except (BrokenPipeError, OSError):
            pass
        code = proc.wait(slow(10))
        errors = list(proc.stderr_lines)
        checks.check(code == 4 and any("out of memory" in line for line in errors),
                     f"chat_client (ASan) {label}: exit 4 saying \"out of memory\"",
                     f"exit {code}: {errors[-3:]}")
        proc.close_stdin()
        proc.kill(dump=code != 4)
    chat.kill(dump=False)


def asan_body(checks):
    asan_server(checks, ECHO, False)
    asan_server(checks, CHAT, True)
    asan_client(checks)


if __name__ == "__main__":
    if WRAPPER:
        # valgrind replaces malloc itself: the shim would never be called,
        # and the test would pass without testing anything.
        print(f"skipped: {WRAPPER[0]} replaces malloc, which failmalloc.so must do", flush=True)
        sys.exit(77)
    if SANITIZED:
        run_main("allocation failure (ASan's max_allocation_size_mb)", asan_body)
    run_main("allocation failure (failmalloc)", body)
