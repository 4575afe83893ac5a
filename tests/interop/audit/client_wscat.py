"""chat_client with wscat's spellings: -c URL, -x MESSAGE, -s, -o.

usage: client_wscat.py CHAT_CLIENT

Against a Python websockets echo server:
  - `-c URL -x one -x "two\\nlines" -s chat.v1 -o ORIGIN -w 0.5` sends both
    messages in order, the second whole (a newline inside -x is not a line
    break), offers the subprotocol, sends the Origin, prints both echoes
    and exits 0, with its stdin left open and never read;
  - -x without --wait: the message goes out before the close;
  - -c with a URL argument as well, or a -x over --max-message: exit 1.
"""

import asyncio
import subprocess
import sys

import wsharness as h


async def run_client(argv, stdin=subprocess.DEVNULL, timeout=15):
    """The client as a child of the event loop (which also runs the server);
    (exit status, stdout, stderr), or None for the status when it had to be
    killed."""
    proc = await asyncio.create_subprocess_exec(*h.wrap_argv(argv), stdin=stdin,
                                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        out, err = await asyncio.wait_for(proc.communicate(), h.slow(timeout))
        return proc.returncode, out, err
    except asyncio.TimeoutError:
        proc.kill()
        out, err = await proc.communicate()
        return None, out, err


async def run(checks, client):
    import websockets

    seen = []        # (subprotocol, origin, [messages])

    async def echo(ws, *_):
        got = []
        seen.append((ws.subprotocol, ws.request_headers.get("Origin"), got))
        async for msg in ws:
            got.append(msg)
            await ws.send(msg)

    async with websockets.serve(echo, h.HOST, 0, subprotocols=["chat.v1"]) as server:
        port = server.sockets[0].getsockname()[1]
        url = f"ws://{h.HOST}:{port}/room"

        rc, out, err = await run_client(
            [client, "-q", "-c", url, "-x", "one", "-x", "two\nlines", "-s", "chat.v1",
             "-o", "http://origin.example", "-w", "0.5"], stdin=subprocess.PIPE)
        checks.check(rc is not None, "-x: exits on its own with stdin open (stdin not read)")
        checks.check(rc == 0, "-c/-x/-s/-o: exit 0", f"{rc} {err[-300:]!r}")
        checks.check(out == b"one\ntwo\nlines\n", "both echoes printed, in order", repr(out))
        checks.check(len(seen) == 1 and seen[0][2] == ["one", "two\nlines"],
                     "the server got the -x messages in order, the second whole",
                     repr(seen))
        checks.check(seen and seen[0][0] == "chat.v1", "-s offered the subprotocol", repr(seen))
        checks.check(seen and seen[0][1] == "http://origin.example", "-o sent the Origin",
                     repr(seen))

        # Without --wait the close follows at once; this server then sends
        # no more (RFC 6455 lets it), so only what it got is certain.
        rc, out, err = await run_client([client, "-q", "-x", "solo", url])
        checks.check(rc == 0 and len(seen) == 2 and seen[1][2] == ["solo"],
                     "-x without --wait: the message goes out before the close, exit 0",
                     f"{rc} {seen!r} {err[-300:]!r}")

        for args, what in ((["-c", url, url], "-c and a URL argument"),
                           (["--max-message", "3", "-x", "four", url], "-x over --max-message")):
            rc, out, err = await run_client([client, *args], timeout=10)
            checks.check(rc == 1 and err.strip(), f"{what}: exit 1 with a message",
                         f"{rc} {err[-300:]!r}")
        checks.check(len(seen) == 2, "neither bad command line connected", repr(seen))


def body(checks):
    asyncio.run(run(checks, sys.argv[1]))


h.run_main("client_wscat", body)
