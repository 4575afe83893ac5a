"""Hostile clients against echo_server and chat_server (issue 7 item 3).

usage: abuse.py echo|chat SERVER_BINARY MODE

Every mode keeps a well-behaved client connected from start to end; it sends
a message now and then and must get each one back (echo: unchanged; chat: as
`Server: <msg>`) while the attack runs, and the server must still be running
at the end.

garbage    random bytes before the handshake (HTTP error or close, quickly) and
           after it (close 1002 for a broken frame header; any of 1002, 1007,
           1009 for fully random streams), then the TCP connection closes.
hugeframe  a frame header announcing 2^63-1 bytes: a legal length (RFC 6455
           5.2: only the most significant bit must be 0), bigger than any
           limit -> 1009 at once, without waiting for the payload; 2^63 (top
           bit set) -> 1002.
slowloris  1000 connections each sending one byte of a handshake per second:
           the handshake timeout drops all of them within 25 s, while a new
           client can still connect and is served.
noread     a client that sends as fast as it can and never reads: server memory
           stays bounded; the good client loses nothing.
pingflood  a client that sends pings as fast as it can and never reads: memory
           bounded, others served. A client that floods pings and does read
           gets pongs in order, the last one for the last ping.
churn      10,000 connect/disconnect cycles of every kind (bounded to 90 s):
           the server's descriptors come back to the baseline and its memory
           grows by less than a small bound.
"""

import random
import select
import socket
import struct
import sys
import threading
import time

import wsharness as h
from wsharness import OP_BINARY, OP_CLOSE, OP_PING, OP_PONG, OP_TEXT, encode_frame

RSS_BOUND_KIB = 32 * 1024


class Bystander:
    """The well-behaved client. A thread reads everything the server sends
    (as a real client does, so it is never a slow consumer), answers pings
    and notes its own messages coming back; talk() sends one and waits for
    it. start() makes it talk on its own every period seconds."""

    def __init__(self, checks, port, chat):
        self.checks = checks
        self.chat = chat
        self.client = h.RawClient(port)
        checks.check(self.client.upgraded, "well-behaved client connected before the attack")
        self.sent = 0
        self.ok = 0
        self.lost = []
        self.slowest = 0.0
        self.flood = []  # sequence numbers of `flood-NNNNNN|` messages seen (chat)
        self._seen = set()
        self._cond = threading.Condition()
        self._send_lock = threading.Lock()
        self._stop = threading.Event()
        self._talker = None
        self.ended = None
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _send(self, opcode, payload):
        with self._send_lock:
            self.client.send_frame(opcode, payload)

    def _read(self):
        while True:
            frame = self.client.reader.read(3600)
            if frame is None or frame.opcode == OP_CLOSE:
                with self._cond:
                    self.ended = repr(frame) if frame else self.client.reader.end
                    self._cond.notify_all()
                return
            if frame.opcode == OP_PING:
                try:
                    self._send(OP_PONG, frame.payload)
                except OSError:
                    pass
            elif frame.opcode == OP_TEXT:
                payload = frame.payload
                if payload.startswith(b"Server: flood-") or payload.startswith(b"flood-"):
                    digits = payload.split(b"flood-", 1)[1][:6]
                    self.flood.append(int(digits))
                    continue
                with self._cond:
                    self._seen.add(payload)
                    self._cond.notify_all()

    def talk(self, text, timeout=10):
        expect = (f"Server: {text}" if self.chat else text).encode()
        started = time.monotonic()
        try:
            self._send(OP_TEXT, text)
        except OSError:
            pass
        self.sent += 1
        with self._cond:
            good = self._cond.wait_for(lambda: expect in self._seen or self.ended, timeout)
            good = expect in self._seen
            self._seen.discard(expect)
        self.slowest = max(self.slowest, time.monotonic() - started)
        if good:
            self.ok += 1
        else:
            self.lost.append(text)
        return good

    def start(self, period=0.25):
        def run():
            i = 0
            while not self._stop.is_set() and self.ended is None:
                self.talk(f"bystander-{i}")
                i += 1
                self._stop.wait(period)

        self._talker = threading.Thread(target=run, daemon=True)
        self._talker.start()

    def stop(self):
        self._stop.set()
        if self._talker:
            self._talker.join(15)
        self.checks.check(self.sent > 0 and not self.lost and self.ok == self.sent,
                          f"well-behaved client got every one of its {self.sent} messages back "
                          f"during the attack (slowest {self.slowest:.2f} s)",
                          f"lost {self.lost[:3]}; connection ended: {self.ended}")
        self.checks.check(self.talk("after the attack"), "well-behaved client still served after the attack",
                          f"connection ended: {self.ended}")


def closes_with(client, codes, timeout=10):
    """Reads until a close frame; returns (code or None, detail)."""
    close, skipped = client.reader.read_until_close(timeout)
    if close is None:
        return None, f"no close frame ({client.reader.end}) after {skipped} frames"
    code = close.close_code()
    return code, f"close {code} {close.payload[2:]!r} after {skipped} frames"


# ------------------------------------------------------------------ garbage

def garbage(checks, server, chat):
    bystander = Bystander(checks, server.port, chat)
    bystander.start()
    rng = random.Random(7)

    # Before the handshake: 16 KiB of noise is over any sane request head.
    for seed in range(5):
        noise = random.Random(seed).randbytes(16384)
        s = h.connect(server.port)
        started = time.monotonic()
        try:
            s.sendall(noise)
        except (BrokenPipeError, ConnectionResetError):
            pass
        response = h.read_http_response(s, timeout=5)
        closed = response is not None or h.is_closed_by_peer(s, 5)
        if response is not None:
            closed = h.is_closed_by_peer(s, 5)
        elapsed = time.monotonic() - started
        checks.check(closed and elapsed < 5.5,
                     f"16 KiB of random bytes before the handshake (seed {seed}): connection closed within 5 s",
                     f"closed={closed} after {elapsed:.1f} s")
        checks.check(response is None or 400 <= response.status < 500,
                     f"random bytes before the handshake (seed {seed}): any HTTP answer is a 4xx",
                     repr(response))
        s.close()

    # A request line, then header lines of noise.
    s = h.connect(server.port)
    s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n" + bytes(rng.randrange(1, 256) for _ in range(300)).replace(b"\r\n", b"..") + b"\r\n\r\n")
    response = h.read_http_response(s, timeout=5)
    checks.check(response is not None and response.status == 400,
                 "a request line followed by a noise header line -> HTTP 400", repr(response))
    s.close()

    # After the handshake: noise whose first byte sets RSV bits is a broken
    # frame header (no extension was negotiated): 1002.
    for seed in range(5):
        noise = bytearray(random.Random(100 + seed).randbytes(4096))
        noise[0] |= 0x70
        c = h.RawClient(server.port)
        c.send(bytes(noise))
        code, detail = closes_with(c, (1002,))
        checks.check(code == 1002, f"random bytes after the handshake, RSV bits set (seed {seed}) -> close 1002",
                     detail)
        checks.check(c.reader.wait_closed(10), f"random bytes after the handshake (seed {seed}): TCP closed")
        c.close()

    # Fully random streams: some error is found before 256 KiB; which one
    # depends on the bytes.
    for seed in range(5):
        noise = random.Random(200 + seed).randbytes(256 * 1024)
        c = h.RawClient(server.port)
        try:
            c.send(noise)
        except (BrokenPipeError, ConnectionResetError):
            pass
        code, detail = closes_with(c, (1002, 1007, 1009))
        checks.check(code in (1002, 1007, 1009),
                     f"256 KiB of random bytes after the handshake (seed {seed}) -> close 1002, 1007 or 1009",
                     detail)
        checks.info(f"seed {seed}: {detail}")
        c.close()
    bystander.stop()


# ---------------------------------------------------------------- hugeframe

def hugeframe(checks, server, chat):
    bystander = Bystander(checks, server.port, chat)
    bystander.start()
    cases = [
        ("binary frame announcing 2^63-1 bytes", encode_frame(OP_BINARY, b"", length=(1 << 63) - 1), 1009),
        ("text frame announcing 2^63-1 bytes", encode_frame(OP_TEXT, b"", length=(1 << 63) - 1), 1009),
        ("binary frame announcing 2^32 bytes", encode_frame(OP_BINARY, b"", length=1 << 32), 1009),
        ("first fragment announcing 2^63-1 bytes", encode_frame(OP_TEXT, b"", fin=False, length=(1 << 63) - 1), 1009),
        ("binary frame announcing 2^63 bytes (most significant bit set)",
         encode_frame(OP_BINARY, b"", length=1 << 63), 1002),
        ("binary frame announcing 2^64-1 bytes", encode_frame(OP_BINARY, b"", length=(1 << 64) - 1), 1002),
    ]
    for what, header, code in cases:
        c = h.RawClient(server.port)
        started = time.monotonic()
        c.send(header + b"abc")  # a few payload bytes, not the announced amount
        got, detail = closes_with(c, (code,), timeout=5)
        elapsed = time.monotonic() - started
        checks.check(got == code, f"{what} -> close {code} at once (the payload is never sent)",
                     f"{detail} after {elapsed:.2f} s")
        if got is not None:
            checks.check(c.reader.wait_closed(10), f"{what}: TCP closed")
        c.close()
    bystander.stop()


# ---------------------------------------------------------------- slowloris

def slowloris(checks, server, chat, count=1000, bound=25.0):
    h.raise_fd_limit(count + 512)
    bystander = Bystander(checks, server.port, chat)
    request, _ = h.upgrade_request(server.port)
    request = request[:-2] + b"X-Padding: " + b"p" * 64 + b"\r\n\r\n"  # longer than the test lasts
    fd0 = server.fd_count()
    socks = []
    started = time.monotonic()
    for i in range(count):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setblocking(False)
        s.connect_ex((h.HOST, server.port))
        socks.append(s)
        if i % 100 == 99:
            time.sleep(0.05)
    # Wait for the connects to complete.
    pending = set(socks)
    deadline = time.monotonic() + 10
    while pending and time.monotonic() < deadline:
        _, writable, _ = select.select([], list(pending)[:1000], [], 0.5)
        pending -= set(writable)
    connected = [s for s in socks if s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0 and s not in pending]
    checks.info(f"slowloris: {len(connected)} of {count} connections open in "
                f"{time.monotonic() - started:.1f} s; server fds {fd0} -> {server.fd_count()}")
    checks.check(len(connected) == count, f"slowloris: all {count} connections accepted by the kernel")

    alive = {s: 0 for s in connected}  # socket -> bytes sent
    closed_at = []
    sent_bytes = 0
    new_client_ok = []
    start = time.monotonic()
    next_tick = start
    while alive and time.monotonic() - start < bound:
        now = time.monotonic()
        if now >= next_tick:
            for s in list(alive):
                pos = alive[s]
                try:
                    s.send(request[pos:pos + 1])
                    alive[s] = pos + 1
                    sent_bytes += 1
                except (BlockingIOError, InterruptedError):
                    pass
                except OSError:
                    closed_at.append(now - start)
                    del alive[s]
                    s.close()
            next_tick += 1.0
        # The good client talks every tick; a new client must get in too.
        if len(new_client_ok) < int(now - start) // 4 + 1:
            try:
                c = h.GoodClient(server.port, chat=chat, timeout=5)
                new_client_ok.append(c.upgraded and c.roundtrip(f"newcomer-{len(new_client_ok)}", 5))
                c.close()
            except OSError as exc:
                checks.info(f"slowloris: newcomer failed: {exc!r}")
                new_client_ok.append(False)
            bystander.talk(f"during-slowloris-{len(new_client_ok)}")
        readable = select.select(list(alive)[:1000], [], [], 0.1)[0] if alive else []
        for s in readable:
            try:
                data = s.recv(4096)
            except OSError:
                data = b""
            if not data:
                closed_at.append(time.monotonic() - start)
                del alive[s]
                s.close()
    for s in alive:
        s.close()
    closed_at.sort()
    checks.info(f"slowloris: {sent_bytes} bytes trickled; {len(closed_at)} dropped by the server, "
                f"first at {closed_at[0] if closed_at else -1:.1f} s, median "
                f"{closed_at[len(closed_at) // 2] if closed_at else -1:.1f} s, last "
                f"{closed_at[-1] if closed_at else -1:.1f} s; {len(alive)} still open at {bound:.0f} s")
    checks.check(not alive, f"slowloris: the server dropped all {len(connected)} trickling connections within "
                 f"{bound:.0f} s (handshake timeout)", f"{len(alive)} still open")
    checks.check(new_client_ok and all(new_client_ok),
                 "slowloris: a new client connected and was served every 4 s during the attack",
                 f"{new_client_ok}")
    fd1 = server.settle(server.fd_count, fd0, 5)
    checks.check(fd1 <= fd0, "slowloris: server descriptors back to the baseline", f"{fd0} -> {fd1}")
    bystander.stop()


# ------------------------------------------------------------------- noread

def noread(checks, server, chat, seconds=8.0):
    bystander = Bystander(checks, server.port, chat)
    base = server.rss_kib()
    flooder = h.RawClient(server.port, rcvbuf=4096)
    checks.check(flooder.upgraded, "never-reading client connected")
    flooder.sock.setblocking(False)
    size = 60 * 1024
    frames_sent, partial = 0, b""
    peak = base
    bystander_good = []
    started = time.monotonic()
    stalled_since = None
    while time.monotonic() - started < seconds:
        if not partial:
            text = f"flood-{frames_sent:06d}|".ljust(size, "f")
            partial = encode_frame(OP_TEXT, text)
        try:
            n = flooder.sock.send(partial)
            partial = partial[n:]
            if not partial:
                frames_sent += 1
            stalled_since = None
        except BlockingIOError:
            stalled_since = stalled_since or time.monotonic()
            select.select([], [flooder.sock], [], 0.05)
        except OSError:
            break
        if frames_sent % 16 == 0 or stalled_since:
            peak = max(peak, server.rss_kib())
            if len(bystander_good) < (time.monotonic() - started) * 2:
                bystander_good.append(bystander.talk(f"during-noread-{len(bystander_good)}"))
    peak = max(peak, server.rss_kib())
    checks.info(f"noread: {frames_sent} frames of {size} bytes sent in {seconds:.0f} s "
                f"({frames_sent * size >> 20} MiB); server stopped taking them: "
                f"{'yes' if stalled_since else 'no'}; RSS {base} -> peak {peak} KiB")
    checks.check(peak - base < RSS_BOUND_KIB + h.MEMORY_SLACK_KIB,
                 f"noread: server RSS growth under {RSS_BOUND_KIB >> 10} MiB", f"+{(peak - base) >> 10} MiB")
    checks.check(bystander_good and all(bystander_good),
                 f"noread: the well-behaved client got all {len(bystander_good)} of its messages back "
                 f"during the flood")
    if chat:
        time.sleep(0.5)
        seqs = list(bystander.flood)
        checks.check(seqs == list(range(len(seqs))),
                     f"noread: the flood messages the other client received are complete and in order "
                     f"({len(seqs)} of them, no gaps)", f"first gap near {next((i for i, v in enumerate(seqs) if v != i), None)}")
    flooder.abort()
    checks.check(server.alive(), "noread: server still running")
    bystander.stop()


# ---------------------------------------------------------------- pingflood

def pingflood(checks, server, chat, seconds=6.0):
    bystander = Bystander(checks, server.port, chat)
    bystander.start(period=0.1)
    base = server.rss_kib()
    peak = base
    flooder = h.RawClient(server.port, rcvbuf=4096)
    flooder.sock.setblocking(False)
    ping = encode_frame(OP_PING, b"p" * 125)
    batch = ping * 64
    sent, partial = 0, b""
    started = time.monotonic()
    last_sample = 0.0
    dropped = False
    while time.monotonic() - started < seconds:
        if not partial:
            partial = batch
        try:
            n = flooder.sock.send(partial)
            partial = partial[n:]
            if not partial:
                sent += 64
        except BlockingIOError:
            select.select([], [flooder.sock], [], 0.05)
        except OSError:
            dropped = True
            break
        if time.monotonic() - last_sample > 0.05:
            peak = max(peak, server.rss_kib())
            last_sample = time.monotonic()
    peak = max(peak, server.rss_kib())
    checks.info(f"pingflood: {sent} pings sent without reading in {seconds:.0f} s; dropped by the server: "
                f"{dropped}; RSS {base} -> peak {peak} KiB")
    checks.check(peak - base < RSS_BOUND_KIB + h.MEMORY_SLACK_KIB,
                 f"pingflood: server RSS growth under {RSS_BOUND_KIB >> 10} MiB", f"+{(peak - base) >> 10} MiB")
    flooder.abort()

    # A flood from a client that reads: pongs come back in order and the
    # most recent ping is answered (RFC 6455 5.5.3 lets the server skip
    # older ones).
    c = h.RawClient(server.port)
    total = 20000
    pongs = []
    done = threading.Event()

    def read_pongs():
        while not done.is_set():
            frame = c.reader.read(10)
            if frame is None:
                return
            if frame.opcode == OP_PONG:
                pongs.append(struct.unpack("!I", frame.payload[:4])[0])
                if pongs[-1] == total - 1:
                    return

    reader = threading.Thread(target=read_pongs, daemon=True)
    reader.start()
    for i in range(0, total, 100):
        c.send(b"".join(encode_frame(OP_PING, struct.pack("!I", j) + b"q" * 20) for j in range(i, i + 100)))
    reader.join(30)
    done.set()
    checks.info(f"pingflood: {len(pongs)} pongs for {total} pings from a reading client")
    checks.check(pongs and pongs[-1] == total - 1,
                 "pingflood: the last of 20000 pings is answered with its own payload",
                 f"last pong {pongs[-1] if pongs else None}")
    checks.check(pongs == sorted(set(pongs)), "pingflood: pongs come in the order of the pings, none twice")
    c.close()
    checks.check(server.alive(), "pingflood: server still running")
    bystander.stop()


# -------------------------------------------------------------------- churn

def churn_cycle(port, i):
    kind = i % 6
    if kind == 0:
        s = h.connect(port)
        s.close()
    elif kind == 1:
        s = h.connect(port)
        h.abort(s)
    elif kind == 2:
        s = h.connect(port)  # half a request, then gone
        s.sendall(h.upgrade_request(port)[0][:40])
        h.abort(s)
    else:
        c = h.RawClient(port)
        if not c.upgraded:
            raise RuntimeError(f"cycle {i}: no 101: {c.response!r}")
        if kind == 3:
            c.send_frame(OP_CLOSE, h.close_payload(1000))
            c.reader.read_until_close(5)
            c.close()
        elif kind == 4:
            c.send_frame(OP_TEXT, b"x" * 100, fin=False)  # mid-message
            c.abort()
        else:
            c.close()


def churn(checks, server, chat, cycles=10000, bound=90.0):
    bystander = Bystander(checks, server.port, chat)
    for i in range(300):
        churn_cycle(server.port, i)
    time.sleep(0.3)
    fd0 = server.settle(server.fd_count, 0, 1)
    rss0 = server.rss_kib()
    started = time.monotonic()
    done = 0
    while done < cycles and time.monotonic() - started < bound:
        churn_cycle(server.port, done)
        done += 1
        if done % 1000 == 0:
            bystander.talk(f"churn-{done}")
    elapsed = time.monotonic() - started
    fd1 = server.settle(server.fd_count, fd0, 10)
    rss1 = server.rss_kib()
    checks.info(f"churn: {done} cycles in {elapsed:.1f} s; fds {fd0} -> {fd1}; RSS {rss0} -> {rss1} KiB")
    checks.check(done == cycles, f"churn: {cycles} cycles done within {bound:.0f} s", f"{done}")
    checks.check(fd1 <= fd0, "churn: server descriptors back to the baseline", f"{fd0} -> {fd1}")
    checks.check(rss1 - rss0 < 8192 + h.MEMORY_SLACK_KIB, "churn: server RSS grew by less than 8 MiB",
                 f"+{rss1 - rss0} KiB")
    bystander.stop()


MODES = {"garbage": garbage, "hugeframe": hugeframe, "slowloris": slowloris, "noread": noread,
         "pingflood": pingflood, "churn": churn}


def main():
    kind, binary, mode = sys.argv[1:4]
    chat = kind == "chat"

    def body(checks):
        soft = h.raise_fd_limit(4096)
        checks.info(f"open file limit of this test: {soft}")
        server = h.Server(binary)
        MODES[mode](checks, server, chat)
        checks.check(server.alive(), f"{kind}_server still running after the attack")

    h.run_main(f"abuse {kind}_server: {mode}", body)


if __name__ == "__main__":
    main()
