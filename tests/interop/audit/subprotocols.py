"""Subprotocol negotiation with the clients that insist on one.

usage: subprotocols.py ECHO_SERVER CHAT_SERVER

Chromium and Node's ws fail the handshake when they offered subprotocols and
the 101 names none ("Server sent no subprotocol"), so a server that never
chooses one cannot be used from `new WebSocket(url, ["chat"])`. Both example
servers take --protocol NAME (repeatable, preferred first):

- echo_server --protocol chat --protocol superchat: a Node ws client
  offering [superchat, chat] gets "chat" (the server's preference) and its
  echo; one offering only [superchat] gets "superchat"; a Python websockets
  client offering [other] gets no subprotocol and still connects; a raw
  request offering nothing gets a 101 without Sec-WebSocket-Protocol.
- chat_server --protocol chat: a Node ws client offering [chat] connects and
  hears its own message as "Server: ...".
- without --protocol, the client's first offer is named whatever its length
  (255, 256 and 4000 characters, Node ws).
- a --protocol that is not a token is refused at startup (exit 2).
"""

import asyncio
import json
import os
import subprocess
import sys

import websockets

import wsharness as h

NODE_CLIENT = r"""
const WebSocket = require('ws');
const [url, protocols, text] = [process.argv[1], JSON.parse(process.argv[2]), process.argv[3]];
const ws = new WebSocket(url, protocols);
const out = {};
ws.on('open', () => { out.protocol = ws.protocol; ws.send(text); });
ws.on('message', (d) => { out.reply = d.toString(); ws.close(1000); });
ws.on('error', (e) => { out.error = e.message; });
ws.on('close', (code) => { out.code = code; console.log(JSON.stringify(out)); });
"""


def node_client(url, protocols, text):
    node = os.environ.get("WS_NODE", "node")
    r = subprocess.run([node, "-e", NODE_CLIENT, url, json.dumps(protocols), text],
                       env=h.node_env(), capture_output=True, text=True, timeout=h.slow(20))
    try:
        return json.loads(r.stdout.strip().splitlines()[-1])
    except (IndexError, ValueError):
        return {"stdout": r.stdout, "stderr": r.stderr}


async def python_client(url, protocols):
    async with websockets.connect(url, subprotocols=protocols) as ws:
        await ws.send("py")
        return ws.subprotocol, await asyncio.wait_for(ws.recv(), 10)


def body(checks):
    echo_bin, chat_bin = sys.argv[1], sys.argv[2]

    echo = h.Server(echo_bin, "--protocol", "chat", "--protocol", "superchat")
    r = node_client(echo.url("/"), ["superchat", "chat"], "hello")
    checks.check(r.get("protocol") == "chat" and r.get("reply") == "hello" and r.get("code") == 1000,
                 "echo_server: Node ws offering [superchat, chat] gets chat (server's preference) and its echo",
                 repr(r))
    r = node_client(echo.url("/"), ["superchat"], "x")
    checks.check(r.get("protocol") == "superchat" and r.get("reply") == "x",
                 "echo_server: Node ws offering [superchat] gets superchat", repr(r))
    proto, reply = asyncio.run(python_client(echo.url("/"), ["other"]))
    checks.check(proto is None and reply == "py",
                 "echo_server: Python websockets offering [other] connects without a subprotocol",
                 f"{proto!r} {reply!r}")
    c = h.RawClient(echo.port, "/")
    checks.check(c.upgraded and "sec-websocket-protocol" not in c.response.headers,
                 "echo_server: no offer -> 101 without Sec-WebSocket-Protocol", repr(c.response))
    c.close()

    chat = h.Server(chat_bin, "--protocol", "chat")
    r = node_client(chat.url("/"), ["chat"], "hi")
    checks.check(r.get("protocol") == "chat" and r.get("reply") == "Server: hi",
                 "chat_server --protocol chat: Node ws offering [chat] connects and hears itself", repr(r))

    # Without --protocol both answer with the client's first offer, as
    # Node's ws server does: a page passing protocols still connects.
    plain_echo = h.Server(echo_bin)
    r = node_client(plain_echo.url("/"), ["superchat", "chat"], "plain")
    checks.check(r.get("protocol") == "superchat" and r.get("reply") == "plain" and r.get("code") == 1000,
                 "echo_server without --protocol: Node ws offering [superchat, chat] gets superchat (its first)",
                 repr(r))
    c = h.RawClient(plain_echo.port, "/", headers={"Sec-WebSocket-Protocol": ", , v2.chat, x"})
    checks.check(c.upgraded and c.response.headers.get("sec-websocket-protocol") == "v2.chat",
                 "echo_server without --protocol: empty list elements skipped, first offer named", repr(c.response))
    c.close()
    c = h.RawClient(plain_echo.port, "/")
    checks.check(c.upgraded and "sec-websocket-protocol" not in c.response.headers,
                 "echo_server without --protocol: no offer -> 101 without Sec-WebSocket-Protocol",
                 repr(c.response))
    c.close()
    plain_chat = h.Server(chat_bin)
    r = node_client(plain_chat.url("/"), ["chat"], "hey")
    checks.check(r.get("protocol") == "chat" and r.get("reply") == "Server: hey",
                 "chat_server without --protocol: Node ws offering [chat] connects and hears itself", repr(r))
    # A token has no length limit but the head's: a first offer of 256 and
    # more characters was once answered with no subprotocol, which Node ws
    # refuses.
    for server, name in ((plain_echo, "echo_server"), (plain_chat, "chat_server")):
        for length in (255, 256, 4000):
            long_name = ("p%d-" % length + "x" * length)[:length]
            r = node_client(server.url("/"), [long_name, "chat"], "long")
            checks.check(r.get("protocol") == long_name and r.get("reply") in ("long", "Server: long"),
                         f"{name} without --protocol: a {length}-character first offer is named in the 101",
                         repr(r)[:300])

    bad = subprocess.run([echo_bin, "--port", "0", "--protocol", "a b"], capture_output=True,
                         text=True, timeout=10)
    checks.check(bad.returncode == 2 and "--protocol" in bad.stderr,
                 "echo_server --protocol 'a b' -> exit 2 with a message", f"{bad.returncode} {bad.stderr!r}")


h.run_main("subprotocols", body)
