"""chat_server with three independent clients at once (issue 5).

usage: chat_clients.py CHAT_SERVER CHAT_CLIENT NODE_CLIENT_JS

A Python websockets client, a Node ws client and our chat_client (stdin and
stdout on pipes) join; each sends K text messages (multibyte UTF-8). Every
client must receive every message exactly once as `Server: <msg>`, in each
sender's order. Binary messages are relayed unchanged. Leaving: chat_client
exits 0 on EOF, the Node client's close 1000 is answered with 1000.
"""

import asyncio
import json
import re
import sys
import time

import wsharness as h

K = 200


def message(sender, i):
    # Multibyte text, a varying length, and a unique sortable key up front.
    return f"{sender}-{i:04d} h\u00e9llo \u4e16\u754c \U0001f600 " + "x" * (i * 7 % 300)


async def until(predicate, timeout, step=0.05):
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() >= deadline:
            return False
        await asyncio.sleep(step)
    return True


def node_events(proc):
    out = []
    for line in list(proc.all_stdout):
        try:
            out.append(json.loads(line))
        except ValueError:
            pass
    return out


def node_texts(proc):
    return [e["data"] for e in node_events(proc) if e.get("event") == "text"]


def node_command(proc, obj):
    proc.write_line(json.dumps(obj))


KEY_RE = re.compile(r"^Server: (py|node|cc)-(\d{4}) ")


def judge(checks, who, texts):
    """Every one of the 3K messages exactly once, per-sender order kept."""
    expected = {f"Server: {message(s, i)}" for s in ("py", "node", "cc") for i in range(K)}
    ours = [t for t in texts if KEY_RE.match(t)]
    missing = expected - set(ours)
    unexpected = set(ours) - expected
    dups = len(ours) - len(set(ours))
    checks.check(not missing, f"{who}: received all {3 * K} messages",
                 f"{len(missing)} missing, e.g. {sorted(missing)[:3]}")
    checks.check(not unexpected, f"{who}: every received message is exactly `Server: <msg>` of a sent one",
                 f"{len(unexpected)} unexpected, e.g. {sorted(unexpected)[:3]}")
    checks.check(dups == 0, f"{who}: no message received twice", f"{dups} duplicates")
    in_order = True
    for sender in ("py", "node", "cc"):
        seq = [int(m.group(2)) for m in map(KEY_RE.match, ours) if m.group(1) == sender]
        if seq != sorted(seq):
            in_order = False
    checks.check(in_order, f"{who}: each sender's messages arrive in the order sent")


async def scenario(checks, server, chat_client, node_js):
    import websockets
    import os

    py_texts, py_binary = [], []
    py = await websockets.connect(server.url("/"), max_size=None, max_queue=None, ping_interval=None)

    async def py_reader():
        try:
            async for msg in py:
                (py_texts if isinstance(msg, str) else py_binary).append(msg)
        except websockets.ConnectionClosed:
            pass

    reader_task = asyncio.create_task(py_reader())
    node = h.Proc([os.environ.get("WS_NODE", "node"), node_js, server.url("/")], "node-chat-client",
                  env=h.node_env(), stdin=True, keep_lines=100)
    cc = h.Proc([chat_client, server.url("/")], "chat_client", stdin=True, keep_lines=100, ours=True)

    checks.check(await until(lambda: any(e.get("event") == "open" for e in node_events(node)), 15),
                 "node client connected", str(node_events(node)[:3]))

    # chat_client says nothing when it connects: probe until both the Node
    # client and chat_client have seen a message from the Python client.
    probe = 0

    def probes_seen():
        return (any(t.startswith("Server: probe-") for t in node_texts(node))
                and any(line.startswith("Server: probe-") for line in cc.all_stdout))

    deadline = time.monotonic() + 20
    while not probes_seen() and time.monotonic() < deadline:
        await py.send(f"probe-{probe}")
        probe += 1
        await until(probes_seen, 0.3)
    checks.check(probes_seen(), "all three clients connected and receiving (probe seen by node and chat_client)",
                 f"chat_client stdout: {list(cc.all_stdout)[:5]}")

    # Everyone sends at once.
    for i in range(K):
        cc.write_line(message("cc", i))
        node_command(node, {"text": message("node", i)})

    for i in range(K):
        await py.send(message("py", i))

    def count(texts):
        return sum(1 for t in texts if KEY_RE.match(t))

    await until(lambda: count(py_texts) >= 3 * K and count(node_texts(node)) >= 3 * K
                and count(cc.all_stdout) >= 3 * K, 60)
    await asyncio.sleep(0.5)  # room for duplicates to show up
    checks.info(f"received: python {count(py_texts)}, node {count(node_texts(node))}, "
                f"chat_client {count(cc.all_stdout)} of {3 * K}")
    judge(checks, "python client", py_texts)
    judge(checks, "node client", node_texts(node))
    judge(checks, "chat_client", list(cc.all_stdout))
    checks.check(probe > 0 and all(t.startswith("Server: probe-") for t in py_texts
                                   if not KEY_RE.match(t)),
                 "python client got only `Server: ...` texts")

    # Binary relay, both directions, including a 64-bit-length frame.
    # 65536 bytes: the default --max-message, and the first size that needs
    # the 64-bit length field.
    blobs = [bytes(range(256)) * 4, bytes([0, 0xFF, 0x80, 0xC0]) * 16384]
    for blob in blobs:
        await py.send(blob)
    node_command(node, {"binary": (b"\x00node-binary\xff" * 10).hex()})

    def node_binaries():
        return [bytes.fromhex(e["hex"]) for e in node_events(node) if e.get("event") == "binary"]

    await until(lambda: len([b for b in node_binaries() if b in blobs]) >= 2
                and (b"\x00node-binary\xff" * 10) in py_binary, 15)
    got = node_binaries()
    for blob in blobs:
        checks.check(got.count(blob) == 1,
                     f"binary {len(blob)} bytes from python relayed unchanged to node exactly once",
                     f"node got {len(got)} binary messages, sizes {[len(b) for b in got]}")
    checks.check(py_binary.count(b"\x00node-binary\xff" * 10) == 1,
                 "binary from node relayed unchanged to python exactly once",
                 f"python got sizes {[len(b) for b in py_binary]}")
    node_blob = b"\x00node-binary\xff" * 10
    checks.info(f"sender gets its own binary back: python {sum(py_binary.count(b) for b in blobs)} "
                f"of {len(blobs)}, node {got.count(node_blob)}")

    # Leaving.
    cc.close_stdin()
    code = cc.wait(h.slow(10))
    checks.check(code == 0, "chat_client: EOF on stdin -> exits 0", f"exit {code}")
    node_command(node, {"close": 1000, "reason": "node leaves"})
    await until(lambda: any(e.get("event") == "close" for e in node_events(node)), 10)
    closes = [e for e in node_events(node) if e.get("event") == "close"]
    checks.check(closes and closes[0]["code"] == 1000,
                 "node client: close 1000 -> server answers 1000", str(closes))
    errors = [e for e in node_events(node) if e.get("event") == "error"]
    checks.check(not errors, "node client: no socket errors", str(errors))

    await py.send("python still here")
    checks.check(await until(lambda: "Server: python still here" in py_texts, 10),
                 "python client still served after the others left")
    await py.close(1000)
    checks.check(py.close_code == 1000, "python client: close 1000 -> server answers 1000",
                 f"close_code={py.close_code}")
    await reader_task
    node.kill(dump=False)


def main():
    server_bin, client_bin, node_js = sys.argv[1:4]

    def body(checks):
        server = h.Server(server_bin)
        asyncio.run(scenario(checks, server, client_bin, node_js))
        checks.check(server.alive(), "chat_server still running")

    h.run_main("chat with python, node and chat_client", body)


if __name__ == "__main__":
    main()
