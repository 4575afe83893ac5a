"""chat_server under misbehaving clients (issue 5).

usage: chat_resilience.py CHAT_SERVER slow|churn|burst|steady

slow: a client that completes the handshake and never reads (a 4 KiB receive
  window) sits in the room while a sender broadcasts 1500 messages of 64 KiB
  (about 94 MiB to every client). The server's resident memory must stay
  bounded, the slow client must be disconnected with a close frame, and the
  sender and a normal reader must get every message, in order.

burst: 10 senders send 50 messages of 1-60 KB each as fast as they can
  (about 15 MiB to each of 20 clients at once) while every client reads
  as fast as it can: a reader that keeps taking bytes must get every
  message, in each sender's order, not a 1008 because a burst outran it
  (the server holds everyone's input while such a client catches up).
steady: a reader that takes a steady 500 KB/s (25 KB every 50 ms, as a
  slow link or a busy browser tab would) while a sender sends 6 MB as fast
  as it can: the server holds everyone's input while it catches up, and it
  must get every message, in order, never a 1008. Linux reports such a
  socket writable only once a third of its send buffer (grown to 4 MB) is
  free, about every 3 s at that rate; counted by the server's writes alone,
  the reader looked as if it took nothing for 2 s and was dropped.
churn: a burst of 10,000 messages in one write reaches every member in
  order; half-open handshakes (half a request, then stall or reset) and abrupt
  disconnects (reset mid-frame, FIN without a close frame) while two clients
  talk: they lose nothing. Then 1000 connect/disconnect cycles: the server's
  open file descriptors come back to where they were and its memory grows by
  less than a small bound.
"""

import asyncio
import socket
import sys
import time

import wsharness as h
from wsharness import OP_CLOSE, OP_TEXT

SLOW_COUNT = 1500
SLOW_SIZE = 64 * 1024
SLOW_RSS_BOUND_KIB = 48 * 1024
WINDOW = 8  # the sender keeps at most this many messages ahead of the readers


async def slow_consumer(checks, server):
    import websockets

    kw = dict(max_size=None, max_queue=None, ping_interval=None)
    reader = await websockets.connect(server.url("/"), **kw)
    sender = await websockets.connect(server.url("/"), **kw)
    slow = h.RawClient(server.port, rcvbuf=4096)
    checks.check(slow.upgraded, "slow client: handshake done, it will never read again")
    await sender.send("warm-up")
    for ws in (reader, sender):
        checks.check(await asyncio.wait_for(ws.recv(), 10) == "Server: warm-up", "clients connected and served")
    await asyncio.sleep(0.2)
    base = server.rss_kib()
    peak = base
    counts = {"reader": 0, "sender": 0}
    bad = {"reader": [], "sender": []}
    body = "z" * (SLOW_SIZE - 16)

    def payload(i):
        return f"{i:08d}|{body}"

    async def consume(name, ws):
        try:
            while counts[name] < SLOW_COUNT:
                msg = await ws.recv()
                i = counts[name]
                if msg != f"Server: {payload(i)}" and len(bad[name]) < 3:
                    bad[name].append(f"#{i}: got {msg[:30]!r}")
                counts[name] += 1
        except websockets.ConnectionClosed as exc:
            bad[name].append(f"closed after {counts[name]}: {exc}")

    async def produce():
        for i in range(SLOW_COUNT):
            while i - min(counts.values()) > WINDOW:
                await asyncio.sleep(0.001)
            await sender.send(payload(i))

    async def sample():
        nonlocal peak
        while min(counts.values()) < SLOW_COUNT:
            peak = max(peak, server.rss_kib())
            await asyncio.sleep(0.05)

    started = time.monotonic()
    tasks = [consume("reader", reader), consume("sender", sender), produce(), sample()]
    try:
        await asyncio.wait_for(asyncio.gather(*tasks), 120)
    except asyncio.TimeoutError:
        pass
    elapsed = time.monotonic() - started
    mib = SLOW_COUNT * SLOW_SIZE / (1 << 20)
    checks.info(f"slow consumer: {mib:.0f} MiB broadcast in {elapsed:.1f} s; server RSS {base} KiB -> "
                f"peak {peak} KiB (+{(peak - base) // 1024} MiB)")
    for name in ("reader", "sender"):
        checks.check(counts[name] == SLOW_COUNT and not bad[name],
                     f"slow consumer: the {name} got all {SLOW_COUNT} messages, in order",
                     f"{counts[name]} received; {bad[name]}")
    checks.check(peak - base < SLOW_RSS_BOUND_KIB + h.MEMORY_SLACK_KIB,
                 f"slow consumer: server RSS growth stays under {SLOW_RSS_BOUND_KIB // 1024} MiB "
                 f"while {mib:.0f} MiB are sent to a client that never reads",
                 f"grew {(peak - base) // 1024} MiB")

    # Now read what was buffered for the slow client: a close frame must be
    # at the end of it, then the end of the connection.
    close, skipped = slow.reader.read_until_close(15)
    checks.check(close is not None, "slow consumer: disconnected with a close frame",
                 f"after {skipped} frames: {slow.reader.end}")
    if close is not None:
        checks.info(f"slow consumer: close code {close.close_code()} "
                    f"reason {close.payload[2:]!r} after {skipped} frames")
        checks.check(close.close_code() is not None and 1000 <= close.close_code() <= 4999,
                     "slow consumer: the close frame carries a close code", repr(close))
        checks.check(slow.reader.wait_closed(10), "slow consumer: TCP connection closed")
    await sender.send("after the slow one")
    checks.check(await asyncio.wait_for(reader.recv(), 10) == "Server: after the slow one",
                 "slow consumer: the room keeps working after it is gone")
    await reader.close()
    await sender.close()


async def talk(checks, server, what, disturb):
    """Two clients exchange 200 messages while disturb() runs; both must get
    all of them."""
    import websockets

    a = await websockets.connect(server.url("/"), ping_interval=None, max_queue=None)
    b = await websockets.connect(server.url("/"), ping_interval=None, max_queue=None)
    got = {"a": [], "b": []}
    others = {"a": 0, "b": 0}

    async def collect(name, ws):
        # Messages the disturbing clients manage to send are broadcast too:
        # count them apart.
        try:
            while len(got[name]) < 200:
                msg = await ws.recv()
                if msg[len("Server: "):][:1] in ("a", "b") and msg[len("Server: ") + 1:].isdigit():
                    got[name].append(msg)
                else:
                    others[name] += 1
        except websockets.ConnectionClosed:
            pass

    readers = [asyncio.create_task(collect("a", a)), asyncio.create_task(collect("b", b))]
    loop = asyncio.get_running_loop()
    disturbing = loop.run_in_executor(None, disturb)
    for i in range(100):
        await a.send(f"a{i}")
        await b.send(f"b{i}")
        await asyncio.sleep(0.005)
    result = await disturbing
    try:
        await asyncio.wait_for(asyncio.gather(*readers), 20)
    except asyncio.TimeoutError:
        pass
    want = {f"Server: {p}{i}" for p in "ab" for i in range(100)}
    for name in ("a", "b"):
        checks.check(set(got[name]) == want and len(got[name]) == 200,
                     f"{what}: client {name} got all 200 messages exactly once",
                     f"{len(got[name])} received, {len(want - set(got[name]))} missing")
    await a.close()
    await b.close()
    return result


def half_open(port):
    request, _ = h.upgrade_request(port)
    socks = []
    for i in range(60):
        s = h.connect(port)
        s.sendall(request[: len(request) // 2 + i % 7])
        socks.append(s)
        time.sleep(0.01)
    for s in socks[::2]:
        h.abort(s)  # RST in the middle of the request
    time.sleep(0.5)
    for s in socks[1::2]:
        s.close()  # FIN in the middle of the request
    return len(socks)


def abrupt(port):
    count = 0
    for i in range(60):
        c = h.RawClient(port)
        if not c.upgraded:
            continue
        count += 1
        kind = i % 3
        if kind == 0:
            # A frame header promising 1000 bytes, 10 of them, then RST.
            c.send(h.encode_frame(OP_TEXT, b"x" * 1000)[:16])
            c.abort()
        elif kind == 1:
            c.close()  # FIN with no close frame
        else:
            c.send_frame(OP_TEXT, f"abrupt-{i}")
            c.abort()
        time.sleep(0.01)
    return count


def cycle(port, i):
    kind = i % 4
    if kind == 0:
        s = h.connect(port)  # TCP only, no request
        s.close()
        return
    c = h.RawClient(port)
    if not c.upgraded:
        raise RuntimeError(f"cycle {i}: no 101: {c.response!r}")
    if kind == 1:
        c.send_frame(OP_CLOSE, h.close_payload(1000))
        c.reader.read_until_close(5)
        c.reader.wait_closed(5)
        c.close()
    elif kind == 2:
        c.abort()
    else:
        c.close()


def one_write_burst(checks, server, count=10000):
    """One client writes 10,000 small messages in a single write: every member
    of the room, the sender included, gets all of them in order."""
    members = [h.RawClient(server.port) for _ in range(3)]
    sender = members[0]
    sender.send(b"".join(h.encode_frame(OP_TEXT, f"burst-{i:05d}") for i in range(count)))
    for n, member in enumerate(members):
        got = []
        while len(got) < count:
            frame = member.reader.read(10)
            if frame is None or frame.opcode == OP_CLOSE:
                break
            if frame.opcode == OP_TEXT and frame.payload.startswith(b"Server: burst-"):
                got.append(frame.payload)
        checks.check(got == [f"Server: burst-{i:05d}".encode() for i in range(count)],
                     f"burst: {'the sender' if n == 0 else f'member {n}'} got all {count} messages in order",
                     f"{len(got)} received, ended {member.reader.end}")
    for member in members:
        member.close()


def churn(checks, server):
    one_write_burst(checks, server)
    n = asyncio.run(talk(checks, server, "half-open handshakes", lambda: half_open(server.port)))
    checks.info(f"{n} half-open handshakes, half reset, half FIN")
    n = asyncio.run(talk(checks, server, "abrupt disconnects", lambda: abrupt(server.port)))
    checks.check(n == 60, "abrupt disconnects: all 60 clients had connected first", f"{n}")
    checks.check(server.alive(), "server alive after half-open and abrupt clients")

    for i in range(100):  # warm up: buffers and pools the server keeps
        cycle(server.port, i)
    time.sleep(0.5)
    fds0 = server.settle(server.fd_count, 0, 1)
    rss0 = server.rss_kib()
    started = time.monotonic()
    for i in range(1000):
        cycle(server.port, i)
    elapsed = time.monotonic() - started
    fds1 = server.settle(server.fd_count, fds0, 10)
    rss1 = server.rss_kib()
    checks.info(f"1000 connect/disconnect cycles in {elapsed:.1f} s: fds {fds0} -> {fds1}, "
                f"RSS {rss0} -> {rss1} KiB")
    checks.check(fds1 <= fds0, "1000 cycles: the server's open descriptors return to the baseline",
                 f"{fds0} -> {fds1}")
    checks.check(rss1 - rss0 < 4096 + h.MEMORY_SLACK_KIB, "1000 cycles: server RSS grows by less than 4 MiB",
                 f"+{rss1 - rss0} KiB")
    g = h.GoodClient(server.port, chat=True)
    checks.check(g.roundtrip("after churn"), "a new client is served after the churn")
    g.close()


async def burst(checks, server):
    import random
    import websockets
    senders, readers, count = 10, 10, 50
    total = senders * count

    async def client(i, go, results):
        ws = await websockets.connect(server.url("/"), max_size=None, ping_interval=None)
        await go.wait()
        got, order_errors, expect = 0, 0, [0] * senders

        async def send():
            rnd = random.Random(i)
            for q in range(count):
                head = f"M{i:04d}:{q:06d}:"
                await ws.send(head + "x" * (rnd.randint(1000, 60000) - len(head)))

        task = asyncio.ensure_future(send()) if i < senders else None
        outcome = "all"
        try:
            while got < total:
                msg = await asyncio.wait_for(ws.recv(), h.slow(20))
                sender, q = int(msg[9:13]), int(msg[14:20])  # after "Server: M"
                order_errors += q != expect[sender]
                expect[sender] = q + 1
                got += 1
        except websockets.ConnectionClosed as exc:
            outcome = f"closed {exc.rcvd.code if exc.rcvd else None}"
        except asyncio.TimeoutError:
            outcome = "timed out"
        if task:
            task.cancel()
        results[i] = (got, order_errors, outcome)
        await ws.close()

    go, results = asyncio.Event(), {}
    tasks = [asyncio.ensure_future(client(i, go, results)) for i in range(senders + readers)]
    await asyncio.sleep(h.slow(1))
    go.set()
    await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), h.slow(90))
    short = {i: r for i, r in results.items() if r != (total, 0, "all")}
    checks.check(len(results) == senders + readers and not short,
                 f"burst: all {senders + readers} clients got all {total} messages in order "
                 f"({senders} senders at full speed, 1-60 KB each)",
                 "; ".join(f"client {i}: got {g}, {e} order errors, {o}" for i, (g, e, o) in sorted(short.items())))
    held = [l for l in server.stderr_lines if "holding input" in l]
    checks.info(f"burst: the server held input {len(held)} times")


STEADY_COUNT = 100
STEADY_SIZE = 60_000
STEADY_STEP = 25_000  # what the steady reader takes every 50 ms


async def steady(checks, server):
    """See "steady" in the module's text."""
    import threading
    import websockets

    reader = h.RawClient(server.port)
    checks.check(reader.upgraded, "steady reader: handshake done")
    sender = await websockets.connect(server.url("/"), max_size=None, max_queue=None,
                                      ping_interval=None)
    stop = threading.Event()

    def drip():
        # Bytes go to the frame reader's buffer, which is parsed at the end.
        sock = reader.sock
        sock.settimeout(0.05)
        while not stop.is_set():
            time.sleep(0.05)
            try:
                chunk = sock.recv(STEADY_STEP)
            except socket.timeout:
                continue
            except OSError:
                return
            if not chunk:
                return
            reader.reader.buf += chunk

    body = "s" * (STEADY_SIZE - 9)
    expected = STEADY_COUNT * (STEADY_SIZE + len("Server: ") + 4)
    thread = threading.Thread(target=drip, daemon=True)
    thread.start()
    started = time.monotonic()

    async def drain_own():
        # The sender gets its own messages back, and must take them.
        for _ in range(STEADY_COUNT):
            await sender.recv()

    own = asyncio.ensure_future(drain_own())
    for i in range(STEADY_COUNT):
        await sender.send(f"{i:08d}|{body}")
    deadline = started + h.slow(40)
    while len(reader.reader.buf) < expected and thread.is_alive() and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
    elapsed = time.monotonic() - started
    stop.set()
    thread.join(2)
    await asyncio.wait_for(own, 10)
    frames = reader.reader.frames_until_close(0)  # all are in its buffer by now
    texts = [f.payload for f in frames if f.opcode == OP_TEXT]
    closes = [f.close_code() for f in frames if f.opcode == OP_CLOSE]
    in_order = all(t.startswith(f"Server: {i:08d}|".encode()) for i, t in enumerate(texts))
    checks.info(f"steady reader: {len(texts)} of {STEADY_COUNT} messages in {elapsed:.1f} s")
    held = [l for l in server.stderr_lines if "holding input" in l]
    checks.check(held, "the steady reader fell behind: the server held input for it",
                 "no 'holding input' in the server's log: the test did not test anything")
    checks.check(len(texts) == STEADY_COUNT and in_order and not closes,
                 f"steady reader: all {STEADY_COUNT} messages, in order, no close",
                 f"{len(texts)} received, in order: {in_order}, closes {closes}")
    await sender.close()
    reader.close()


def main():
    binary, mode = sys.argv[1:3]
    h.raise_fd_limit(4096)

    def body(checks):
        server = h.Server(binary)
        if mode == "slow":
            asyncio.run(slow_consumer(checks, server))
        elif mode == "burst":
            asyncio.run(burst(checks, server))
        elif mode == "steady":
            asyncio.run(steady(checks, server))
        else:
            churn(checks, server)
        checks.check(server.alive(), "chat_server still running at the end")

    h.run_main(f"chat resilience ({mode})", body)


if __name__ == "__main__":
    main()
