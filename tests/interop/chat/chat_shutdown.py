"""chat_server's shutdown on SIGTERM and SIGINT (issue 5).

usage: chat_shutdown.py CHAT_SERVER NODE_CLIENT_JS

Clients of three kinds are connected (Python websockets, Node ws, a raw socket
that answers the close); on the signal every one must get a close frame with
1001 (going away) and the server must exit with status 0. A raw client that
never answers the close must not keep the server from exiting.
"""

import asyncio
import json
import os
import signal
import sys
import time

import wsharness as h


async def run(checks, binary, node_js, sig, signame):
    import websockets

    server = h.Server(binary, name=f"chat_server({signame})")
    py = await websockets.connect(server.url("/"), ping_interval=None)
    node = h.Proc([os.environ.get("WS_NODE", "node"), node_js, server.url("/")], "node-chat-client",
                  env=h.node_env(), stdin=True)
    raw = h.RawClient(server.port)
    mute = h.RawClient(server.port)  # never answers the close frame
    checks.check(raw.upgraded and mute.upgraded, f"{signame}: raw clients connected")

    def node_events():
        return [json.loads(line) for line in node.all_stdout if line.startswith("{")]

    deadline = time.monotonic() + 15
    while not any(e["event"] == "open" for e in node_events()) and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    # Make sure the server has all of them as clients: a message reaches all.
    await py.send("ready?")
    got_ready = await asyncio.wait_for(py.recv(), 10)
    checks.check(got_ready == "Server: ready?", f"{signame}: python client served before the signal")
    deadline = time.monotonic() + 10
    while not any(e.get("data") == "Server: ready?" for e in node_events()) and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    checks.check(any(e.get("data") == "Server: ready?" for e in node_events()),
                 f"{signame}: node client served before the signal")

    started = time.monotonic()
    server.signal(sig)

    close, _ = raw.reader.read_until_close(10)
    checks.check(close is not None and close.close_code() == 1001,
                 f"{signame}: raw client gets close 1001", repr(close) if close else raw.reader.end)
    if close is not None:
        raw.send_frame(h.OP_CLOSE, h.close_payload(1001))
        checks.check(raw.reader.wait_closed(2),
                     f"{signame}: raw client answered; server closes its TCP connection within 2 s")
    close, _ = mute.reader.read_until_close(10)
    checks.check(close is not None and close.close_code() == 1001,
                 f"{signame}: non-answering raw client gets close 1001", repr(close) if close else mute.reader.end)

    try:
        await asyncio.wait_for(py.wait_closed(), 10)
    except asyncio.TimeoutError:
        pass
    checks.check(py.close_code == 1001, f"{signame}: python websockets client gets close 1001",
                 f"close_code={py.close_code}")

    deadline = time.monotonic() + 10
    while not any(e["event"] == "close" for e in node_events()) and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    closes = [e for e in node_events() if e["event"] == "close"]
    checks.check(closes and closes[0]["code"] == 1001, f"{signame}: node ws client gets close 1001", str(closes))

    code = server.wait(15)
    elapsed = time.monotonic() - started
    checks.check(code == 0, f"{signame}: chat_server exits with status 0", f"exit {code}")
    checks.info(f"{signame}: exited {elapsed:.2f} s after the signal (one client never answered the close)")
    checks.check(mute.reader.wait_closed(5), f"{signame}: the non-answering client's connection is closed too")
    node.kill(dump=False)
    server.kill()


def main():
    binary, node_js = sys.argv[1:3]

    def body(checks):
        asyncio.run(run(checks, binary, node_js, signal.SIGTERM, "SIGTERM"))
        asyncio.run(run(checks, binary, node_js, signal.SIGINT, "SIGINT"))

    h.run_main("chat shutdown", body)


if __name__ == "__main__":
    main()
