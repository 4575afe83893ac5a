"""Section 9 of the Autobahn testsuite ("limits/performance") replayed over
TCP against echo_server, graded as Autobahn's fuzzingclient grades it, and
stricter: the echo must equal what was sent, byte for byte (Autobahn only
compares lengths).

usage: ab_section9.py ECHO_SERVER

ab_replay (tests/autobahn_cases.h) covers sections 1-7 and 10 frame by
frame; this covers what those tables cannot hold: the big messages.

  9.1 / 9.2  one text / binary frame of 64 KiB, 256 KiB, 1, 4, 8 and 16 MiB
  9.3 / 9.4  a 4 MiB text / binary message in fragments of 64 B to 4 MiB
             (9.3.1: 65,536 fragments)
  9.5 / 9.6  a 1 MiB text / binary frame written in TCP chops of 64 B to
             2 KiB (each chop one segment: TCP_NODELAY)
  9.7 / 9.8  1000 text / binary messages of 0 B to 4 KiB, each sent when the
             echo of the one before has arrived

Each case runs on a fresh connection: the echo must arrive within the
case's time bound, then the client closes with 1000, and the server must
echo 1000 and close TCP itself (Autobahn: closedByMe, requireClean). The
time each case took is printed: Autobahn reports it too, and grades none
of section 9 by it. echo_server runs with its defaults, so its default
--max-message (16 MiB) must hold Autobahn's biggest message.
"""

import socket
import sys
import time

import wsharness as h
from wsharness import OP_BINARY, OP_CLOSE, OP_CONT, OP_TEXT, encode_frame, read_message

KIB, MIB = 1 << 10, 1 << 20


def repeat(pattern, n):
    return (pattern * (n // len(pattern) + 1))[:n]


# Autobahn's own text payloads; binary uses every byte value, so a byte the
# server mangles anywhere shows.
TEXT_9_1 = b"BAsd7&jh23"
TEXT_9_3 = b"*"
BINARY = bytes(range(256))


def single_frame(opcode, payload):
    return [encode_frame(opcode, payload)]


def fragments(opcode, payload, size):
    frames = []
    for start in range(0, len(payload), size):
        piece = payload[start:start + size]
        last = start + size >= len(payload)
        frames.append(encode_frame(opcode if start == 0 else OP_CONT, piece, fin=last))
    return frames


def cases():
    """(id, description, opcode, payload, frames, chop, messages)."""
    out = []
    sizes = [64 * KIB, 256 * KIB, 1 * MIB, 4 * MIB, 8 * MIB, 16 * MIB]
    for major, opcode, pattern in ((1, OP_TEXT, TEXT_9_1), (2, OP_BINARY, BINARY)):
        for i, n in enumerate(sizes, 1):
            out.append((f"9.{major}.{i}", f"{'text' if opcode == OP_TEXT else 'binary'} frame of {n} B",
                        opcode, lambda n=n, p=pattern: repeat(p, n), "frame", None, 1))
    frag_sizes = [64, 256, 1 * KIB, 4 * KIB, 16 * KIB, 64 * KIB, 256 * KIB, 1 * MIB, 4 * MIB]
    for major, opcode, pattern in ((3, OP_TEXT, TEXT_9_3), (4, OP_BINARY, BINARY)):
        for i, size in enumerate(frag_sizes, 1):
            out.append((f"9.{major}.{i}", f"4 MiB {'text' if opcode == OP_TEXT else 'binary'} in fragments of {size} B",
                        opcode, lambda p=pattern: repeat(p, 4 * MIB), ("fragments", size), None, 1))
    chops = [64, 128, 256, 512, 1024, 2048]
    for major, opcode, pattern in ((5, OP_TEXT, TEXT_9_1), (6, OP_BINARY, BINARY)):
        for i, chop in enumerate(chops, 1):
            out.append((f"9.{major}.{i}", f"1 MiB {'text' if opcode == OP_TEXT else 'binary'} frame in {chop}-byte chops",
                        opcode, lambda p=pattern: repeat(p, 1 * MIB), "frame", chop, 1))
    rtt_sizes = [0, 16, 64, 256, 1 * KIB, 4 * KIB]
    for major, opcode, pattern in ((7, OP_TEXT, TEXT_9_1), (8, OP_BINARY, BINARY)):
        for i, n in enumerate(rtt_sizes, 1):
            out.append((f"9.{major}.{i}", f"1000 {'text' if opcode == OP_TEXT else 'binary'} messages of {n} B, one at a time",
                        opcode, lambda n=n, p=pattern: repeat(p, n), "frame", None, 1000))
    return out


def send_chopped(sock, data, chop):
    view = memoryview(data)
    for start in range(0, len(view), chop):
        sock.sendall(view[start:start + chop])


def run_case(checks, server, case):
    cid, what, opcode, make_payload, shape, chop, count = case
    payload = make_payload()
    if shape == "frame":
        frames = single_frame(opcode, payload)
    else:
        frames = fragments(opcode, payload, shape[1])
    wire = b"".join(frames)
    # Autobahn's WAITSECS for the big cases is 100 s; ours are much faster,
    # so a tenth of that still tells a stall from a slow machine.
    bound = h.slow(30)
    client = h.RawClient(server.port, timeout=bound)
    if not checks.check(client.upgraded, f"{cid}: handshake 101", repr(client.response)):
        client.close()
        return
    client.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    started = time.monotonic()
    deadline = started + bound
    echoed = 0
    for _ in range(count):
        if chop:
            send_chopped(client.sock, wire, chop)
        else:
            client.sock.sendall(wire)
        got_op, got, controls = read_message(client.reader, timeout=max(0.0, deadline - time.monotonic()))
        if got_op != opcode or got != payload:
            checks.check(False, f"{cid}: {what}: echoed unchanged",
                         f"message {echoed + 1}: op={got_op} len={None if got is None else len(got)} "
                         f"(sent {len(payload)}) controls={controls} end={client.reader.end}")
            client.close()
            return
        echoed += 1
    took = time.monotonic() - started
    checks.check(True, f"{cid}: {what}: echoed unchanged ({echoed} of {count})")
    checks.info(f"{cid}: {took * 1000:.1f} ms")
    client.send_frame(OP_CLOSE, h.close_payload(1000))
    close, skipped = client.reader.read_until_close(h.slow(5))
    checks.check(close is not None and close.close_code() == 1000 and skipped == 0,
                 f"{cid}: the close 1000 is echoed, with nothing before it",
                 f"{close!r} skipped={skipped} end={client.reader.end}")
    checks.check(client.reader.wait_closed(h.slow(5)), f"{cid}: the server closes TCP after the close handshake")
    client.close()


def main():
    binary = sys.argv[1]

    def body(checks):
        server = h.Server(binary, name="echo_server")
        for case in cases():
            run_case(checks, server, case)
        checks.check(server.alive(), "echo_server still running after section 9")
        server.kill()

    h.run_main("Autobahn section 9 against echo_server", body)


if __name__ == "__main__":
    main()
