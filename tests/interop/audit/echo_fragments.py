"""echo_server and messages in many small fragments, as the Autobahn
testsuite's section 9.3/9.4 and streaming clients send them.

usage: echo_fragments.py ECHO_SERVER

Autobahn 9.3.1 sends a 4 MiB text message in 64-byte frames (65536
fragments), 9.3.2 in 256-byte frames, 9.3.3 in 1 KiB frames, 9.4.x the same
as binary. The message is within --max-message (16 MiB), which is what bounds
the memory a client can make the server hold, so each must come back whole,
not be refused with 1009 for its fragment count. Also: a ping between
fragments is answered before the message ends, and --max-message still
refuses a message whose fragments add up to more than it.
"""

import struct
import sys

import wsharness as h
from wsharness import OP_BINARY, OP_CLOSE, OP_CONT, OP_PING, OP_PONG, OP_TEXT, encode_frame

MIB = 1 << 20


def fragmented(opcode, data, chunk, ping_at=None):
    n = (len(data) + chunk - 1) // chunk
    out = bytearray()
    for i in range(n):
        out += encode_frame(opcode if i == 0 else OP_CONT, data[i * chunk:(i + 1) * chunk],
                            fin=i == n - 1)
        if ping_at == i:
            out += encode_frame(OP_PING, b"mid")
    return bytes(out), n


def echo_case(checks, server, name, opcode, data, chunk, ping_at=None):
    c = h.RawClient(server.port)
    if not checks.check(c.upgraded, f"{name}: 101", repr(c.response)):
        return
    wire, n = fragmented(opcode, data, chunk, ping_at)
    c.send(wire)
    frames = []
    while True:
        f = c.reader.read(h.slow(30))
        if f is None or f.opcode in (OP_TEXT, OP_BINARY, OP_CLOSE):
            frames.append(f)
            break
        frames.append(f)
    last = frames[-1]
    checks.check(last is not None and last.opcode == opcode and last.payload == data,
                 f"{name}: {len(data)} bytes in {n} fragments of {chunk} echoed whole",
                 repr(last) if last is None or last.opcode == OP_CLOSE else f"opcode {last.opcode}, {len(last.payload)} bytes")
    if ping_at is not None:
        checks.check(any(f is not None and f.opcode == OP_PONG and f.payload == b"mid" for f in frames[:-1]),
                     f"{name}: the ping between fragments is answered before the echo")
    c.send(encode_frame(OP_CLOSE, struct.pack("!H", 1000)))
    close, _ = c.reader.read_until_close(h.slow(10))
    checks.check(close is not None and close.close_code() == 1000, f"{name}: close 1000 echoed", repr(close))
    c.close()


def body(checks):
    binary = sys.argv[1]
    server = h.Server(binary)
    text = (b"0123456789abcdef" * (4 * MIB // 16))
    for case, opcode, chunk in (("9.3.1", OP_TEXT, 64), ("9.3.2", OP_TEXT, 256), ("9.3.3", OP_TEXT, 1024),
                                ("9.4.1", OP_BINARY, 64), ("9.4.3", OP_BINARY, 1024)):
        echo_case(checks, server, f"autobahn {case}", opcode, text, chunk)
    echo_case(checks, server, "2000 fragments with a ping", OP_TEXT, b"x" * 20000, 10, ping_at=1000)

    # The size limit still counts every fragment.
    small = h.Server(binary, "--max-message", "4096")
    c = h.RawClient(small.port)
    wire, _ = fragmented(OP_BINARY, b"y" * 4097, 16)
    c.send(wire)
    close, _ = c.reader.read_until_close(h.slow(10))
    checks.check(close is not None and close.close_code() == 1009,
                 "--max-message 4096: 4097 bytes in 16-byte fragments -> 1009", repr(close))
    c.close()


h.run_main("echo_fragments", body)
