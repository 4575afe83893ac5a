"""echo_server against independent clients (issue 4 item 6).

usage: echo_interop.py python|node|load ECHO_SERVER [NODE_SCRIPT]

python: Debian's websockets sends 1000 seeded random messages (text with
multibyte UTF-8 and binary, 0 bytes to 1 MiB) while reading concurrently; each
must come back byte-exact, with its type, in order. Then ping -> pong with the
same payload, and a close 1000 with a reason -> the server's close carries 1000.

node: the same through Node's ws (echo_client.js does the checking; this
script starts the server and reports).

load: 100 Node ws clients at once, 200 random messages each, all echoed in
order on their own connection (echo_load.js).
"""

import asyncio
import sys

import wsharness as h

COUNT = 1000
SEED = 6455


async def python_client(checks, server):
    import websockets

    plan = h.message_plan(SEED, COUNT)
    total = sum(len(m.encode() if isinstance(m, str) else m) for m in plan)
    checks.info(f"python websockets {websockets.__version__}: {COUNT} messages, "
                f"{sum(isinstance(m, str) for m in plan)} text, {total} bytes, seed {SEED}")
    mismatches = []
    received = 0
    async with websockets.connect(server.url("/echo/any/path?x=1"), max_size=None, max_queue=None,
                                  ping_interval=None, open_timeout=10, close_timeout=10) as ws:

        checks.check(ws.extensions == [],
                     "python: permessage-deflate offered, server negotiates no extension",
                     f"{ws.response_headers.get('Sec-WebSocket-Extensions')!r}")

        async def writer():
            for msg in plan:
                await ws.send(msg)

        async def reader():
            nonlocal received
            for i, sent in enumerate(plan):
                got = await ws.recv()
                received += 1
                if type(got) is not type(sent) or got != sent:
                    if len(mismatches) < 5:
                        mismatches.append(
                            f"#{i}: sent {type(sent).__name__}[{len(sent)}] got "
                            f"{type(got).__name__}[{len(got)}] {got[:32]!r}")
                    else:
                        mismatches.append(f"#{i}")

        try:
            await asyncio.wait_for(asyncio.gather(writer(), reader()), 120)
        except asyncio.TimeoutError:
            pass
        checks.check(received == COUNT, f"python: all {COUNT} messages echoed",
                     f"received {received}")
        checks.check(not mismatches, "python: every echo byte-exact, same type, in order",
                     "; ".join(mismatches[:5]) + f" ({len(mismatches)} bad)")

        # Fragmented messages: websockets sends an iterable as one message
        # in several frames; the echo must be the whole message.
        for parts in (["fr\u00e4g", "ment\u00e9d ", "\U0001f600 text", ""], [b"\x00bin", b"", b"ary\xff" * 5000]):
            await ws.send(parts)
            got = await asyncio.wait_for(ws.recv(), 10)
            whole = "".join(parts) if isinstance(parts[0], str) else b"".join(parts)
            checks.check(got == whole,
                         f"python: {type(whole).__name__} message sent in {len(parts)} fragments echoed whole",
                         f"got {got[:40]!r}")

        for payload in (b"", b"ping-payload-\x00\xff", bytes(range(125))):
            waiter = await ws.ping(payload)
            try:
                # websockets resolves the waiter only for a pong whose payload
                # equals this ping's.
                await asyncio.wait_for(waiter, 10)
                ok = True
            except asyncio.TimeoutError:
                ok = False
            checks.check(ok, f"python: ping with {len(payload)}-byte payload -> pong with the same payload")

        await ws.close(1000, "bye from python")
        checks.check(ws.close_code == 1000,
                     "python: close 1000 with a reason -> server's close frame carries 1000",
                     f"close_code={ws.close_code} reason={ws.close_reason!r}")
        checks.info(f"python: server's close reason {ws.close_reason!r}")


async def ipv6(checks, binary):
    """--host ::1: the server listens on IPv6 loopback and serves there."""
    import websockets
    with open("/proc/net/if_inet6") as f:
        if not any(line.startswith("0" * 31 + "1") for line in f):
            checks.info("no ::1 on this machine: IPv6 case skipped")
            return
    server = h.Server(binary, host="::1", name="echo_server(::1)")
    async with websockets.connect(server.url("/v6"), ping_interval=None, open_timeout=10) as ws:
        await ws.send("over IPv6 \u2713")
        got = await asyncio.wait_for(ws.recv(), 10)
    checks.check(got == "over IPv6 \u2713", f"--host ::1: echo over {server.url('/v6')}", repr(got))
    server.kill(dump=False)


def node_client(checks, server, script):
    lines = h.run_node_peer(checks, "node", [script, server.url("/echo"), str(SEED), str(COUNT)], 150,
                            min_ok=6)
    checks.check(any(line.startswith("ok: node: all") for line in lines),
                 "node: the client reported its echo checks")


def node_load(checks, server, script):
    rss0, fd0 = server.rss_kib(), server.fd_count()
    h.run_node_peer(checks, "load", [script, server.url("/load"), "100", "200"], 110, min_ok=3)
    fd1 = server.settle(server.fd_count, fd0, 10)
    checks.info(f"load: server RSS {rss0} -> {server.rss_kib()} KiB, fds {fd0} -> {fd1}")
    checks.check(fd1 <= fd0, "load: server descriptors back to the baseline", f"{fd0} -> {fd1}")


def main():
    mode, binary = sys.argv[1], sys.argv[2]

    def body(checks):
        server = h.Server(binary)
        if mode == "python":
            asyncio.run(python_client(checks, server))
            asyncio.run(ipv6(checks, binary))
        elif mode == "node":
            node_client(checks, server, sys.argv[3])
        else:
            node_load(checks, server, sys.argv[3])
        checks.check(server.alive(), "echo_server still running after the client left")

    h.run_main(f"echo interop ({mode})", body)


if __name__ == "__main__":
    main()
