"""chat_server sends a client no data once it took in that client's close or
failed it (RFC 6455 5.5.1, 6.1 step 1: only an OPEN connection sends data;
7.1.7: a failed one processes nothing more).

usage: chat_close_guard.py CHAT_SERVER

Broadcasts bypass the library's writer (one shared frame for everyone), so
the writer's own refusal after our close does not cover them: conn_can_send's
WS_CLOSING_READ condition does. It matters between the peer's close (or
failure) being parsed and the close reply being queued at the end of the
event-loop pass; a broadcast from another client read later in that pass
would be queued in front of the reply. On the wire that is a data frame
after the client's close and before the server's, so "no data after the
server's close" alone cannot see it; what can is a marker: each closing
client sends a message and its close (or a frame that fails it) in one
write, which the server parses in one go, so the broadcast of that message
must be the last data frame the client gets.

Two flooders keep pipelined messages waiting in the server's socket buffers,
so the pass that reads a closer's close usually reads a flooder after it.
Rounds are bounded in count and time.
"""

import random
import select
import sys
import time

import wsharness as h
from wsharness import OP_CLOSE, OP_TEXT, encode_frame

ROUNDS = 12
CLOSERS = 8
FLOODERS = 2
BATCH = 20          # messages per flooder write
BATCH_EVERY = 0.005  # seconds between a flooder's writes (gentle: 1 in 5 to 10 closes still races one)
ROUND_LIMIT = 8.0    # seconds for one round's closers to see TCP close
TOTAL_LIMIT = 35.0   # seconds for all rounds


class _Eof:
    """A socket that has nothing more: lets FrameReader parse a finished
    byte stream."""

    def settimeout(self, _):
        pass

    def recv(self, _):
        return b""


def parse(data):
    reader = h.FrameReader(_Eof())
    reader.buf = bytearray(data)
    frames = []
    while (frame := reader.read(1)) is not None:
        frames.append(frame)
    return frames, len(reader.buf)


def judge(closer):
    """What is wrong with what one closer received, or None."""
    frames, partial = parse(closer["data"])
    if partial:
        return f"{partial} bytes of a cut frame at the end"
    if closer["end"] != "eof":
        return f"connection ended by {closer['end']}, not the server's TCP close"
    closes = [i for i, f in enumerate(frames) if f.opcode == OP_CLOSE]
    if len(closes) != 1:
        return f"{len(closes)} close frames"
    at = closes[0]
    if frames[at].close_code() != closer["code"]:
        return f"close code {frames[at].close_code()}, expected {closer['code']}"
    if at != len(frames) - 1:
        return f"{len(frames) - 1 - at} frames after the server's close: {frames[at + 1:at + 3]}"
    data = [f for f in frames[:at] if f.opcode < 0x8]
    marks = [i for i, f in enumerate(data) if f.payload == closer["mark"]]
    if len(marks) != 1:
        return f"its own last message came back {len(marks)} times"
    late = len(data) - 1 - marks[0]
    if late:
        return (f"{late} data frames after its own last message, i.e. queued after its "
                f"{'close' if closer['code'] != 1002 else 'failure'} was read: {data[marks[0] + 1]!r}")
    return None


def one_round(server, flooders, rnd, n):
    closers = []
    for i in range(CLOSERS):
        c = h.RawClient(server.port)
        if not c.upgraded:
            raise RuntimeError(f"round {n}: closer {i}: no 101: {c.response!r}")
        mark = f"closer {n}.{i} last words".encode()
        # Half close cleanly with their own code (echoed back), half are
        # failed by an unmasked frame (1002, 7.1.7).
        fail = i % 2 == 1
        code = 1002 if fail else 4000 + i
        tail = (encode_frame(OP_TEXT, b"x", mask=False) if fail
                else encode_frame(OP_CLOSE, h.close_payload(code, b"bye")))
        c.sock.setblocking(False)
        closers.append({"client": c, "data": bytearray(c.reader.buf), "end": None, "code": code,
                        "mark": b"Server: " + mark, "bye": encode_frame(OP_TEXT, mark) + tail,
                        "at": time.monotonic() + rnd.uniform(0.05, 0.4), "sent": False})
    by_sock = {c["client"].sock: c for c in closers}
    deadline = time.monotonic() + h.slow(ROUND_LIMIT)
    next_batch = 0.0
    while any(c["end"] is None for c in closers) and time.monotonic() < deadline:
        now = time.monotonic()
        for c in closers:
            if not c["sent"] and now >= c["at"]:
                c["client"].sock.send(c["bye"])  # a few bytes: one segment, one read
                c["sent"] = True
        # The flood stops once every closer spoke, so the backlog drains.
        flooding = not all(c["sent"] for c in closers)
        if flooding and now >= next_batch:
            next_batch = now + BATCH_EVERY
            for f in flooders:
                if not f["out"]:
                    f["out"] = b"".join(encode_frame(OP_TEXT, f"flood {f['n']} {f['i'] + k}")
                                        for k in range(BATCH))
                    f["i"] += BATCH
        socks = [c["client"].sock for c in closers if c["end"] is None] + [f["sock"] for f in flooders]
        writers = [f["sock"] for f in flooders if f["out"]]
        readable, writable, _ = select.select(socks, writers, [], 0.002)
        for f in flooders:
            if f["sock"] in writable:
                f["out"] = f["out"][f["sock"].send(f["out"]):]
        for s in readable:
            c = by_sock.get(s)
            try:
                chunk = s.recv(1 << 20)
            except BlockingIOError:
                continue
            except ConnectionResetError:
                if c is None:
                    raise RuntimeError("a flooder was reset") from None
                c["end"] = "reset"
                continue
            if c is None:
                if not chunk:
                    raise RuntimeError("a flooder was disconnected")
                continue  # flooders read only so that the server never holds input for them
            if chunk:
                c["data"] += chunk
            else:
                c["end"] = "eof"
    for c in closers:
        c["end"] = c["end"] or "timeout"
        c["client"].close()
    return closers


def main():
    binary = sys.argv[1]

    def body(checks):
        server = h.Server(binary)
        flooders = []
        for n in range(FLOODERS):
            f = h.RawClient(server.port)
            checks.check(f.upgraded, f"flooder {n} connected")
            f.sock.setblocking(False)
            flooders.append({"sock": f.sock, "client": f, "out": b"", "n": n, "i": 0})
        rnd = random.Random(6455)
        started = time.monotonic()
        bad, rounds = [], 0
        while rounds < ROUNDS and time.monotonic() - started < h.slow(TOTAL_LIMIT):
            closers = one_round(server, flooders, rnd, rounds)
            rounds += 1
            for i, c in enumerate(closers):
                problem = judge(c)
                if problem:
                    bad.append(f"round {rounds} closer {i}: {problem}")
        elapsed = time.monotonic() - started
        checks.info(f"{rounds} rounds of {CLOSERS} closers in {elapsed:.1f} s, "
                    f"{sum(f['i'] for f in flooders)} flood messages")
        checks.check(rounds >= 4, f"at least 4 rounds ran within {TOTAL_LIMIT:.0f} s", f"{rounds}")
        for line in bad[:10]:
            checks.info(line)
        checks.check(not bad,
                     f"all {rounds * CLOSERS} closers: exactly one close frame (their own code echoed, or 1002 "
                     f"after an unmasked frame), nothing after it, no data queued after their close or "
                     f"failure was read (their last message's broadcast is the last data frame), then TCP close",
                     f"{len(bad)} closers went wrong")
        g = h.GoodClient(server.port, chat=True)
        checks.check(g.roundtrip("after the closers"), "the room still works")
        g.close()
        checks.check(server.alive(), "chat_server still running at the end")

    h.run_main("chat: no data after a client's close or failure", body)


if __name__ == "__main__":
    main()
