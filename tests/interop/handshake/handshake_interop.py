"""Opening-handshake interop between libwsframe and independent peers.

usage: handshake_interop.py MODE HS_SERVER HS_CLIENT

MODE is one of
  server-python  the libwsframe test server against Python websockets clients
                 (and raw sockets for the HTTP answers: 404 page, 426, 400)
  server-node    the libwsframe test server against Node ws clients
  client-python  the libwsframe test client against a Python websockets server
  client-node    the libwsframe test client against a Node ws server
Every check is printed; any mismatch makes the exit status 1.
"""

import asyncio
import http
import os
import re
import socket
import subprocess
import sys
import threading

import websockets

import wsharness  # tests/interop/echo: the harness the interop scripts share

HERE = os.path.dirname(os.path.abspath(__file__))
failures = 0


def check(what, got, want):
    global failures
    ok = got == want
    print(f"{'ok  ' if ok else 'FAIL'} {what}: got {got!r}" + ("" if ok else f", want {want!r}"))
    if not ok:
        failures += 1


def node():
    return os.environ.get("WS_NODE") or "node"


def read_port(proc, what):
    line = proc.stdout.readline()
    m = re.match(r"listening on (\d+)", line or "")
    if not m:
        raise SystemExit(f"{what} did not start: {line!r}")
    return int(m.group(1))


def raw_exchange(port, request):
    """Send raw bytes, read until the server closes; returns (status, headers, body)."""
    data, _ = wsharness.exchange_until_close(port, request)
    return wsharness.split_response(data)


UPGRADE = ("GET /chat HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
           "Connection: Upgrade\r\n")


# ------------------------------------------------------------ our server

def start_server(path):
    proc = subprocess.Popen(wsharness.wrap_argv([path]), stdout=subprocess.PIPE, text=True)
    return proc, read_port(proc, "hs_server")


def stop_server(proc):
    """SIGTERM, so that a WS_TEST_WRAPPER such as valgrind can report: the
    exit status must be 0 (valgrind's error exit otherwise). Returns what the
    server printed."""
    proc.terminate()
    try:
        out = proc.communicate(timeout=wsharness.slow(10))[0]
        check("hs_server: SIGTERM -> exit status", proc.returncode, 0)
    except subprocess.TimeoutExpired:
        proc.kill()
        out = proc.communicate(timeout=10)[0]
        check("hs_server: exits on SIGTERM", False, True)
    return out


async def python_clients(port):
    uri = f"ws://127.0.0.1:{port}/chat?room=1"
    async with websockets.connect(uri, subprotocols=["chat.v1", "other"]) as ws:
        check("python client: negotiated subprotocol", ws.subprotocol, "chat.v1")
        await ws.send("hello from python")
        check("python client: text echo", await asyncio.wait_for(ws.recv(), 10),
              "hello from python")
    check("python client: close code", ws.close_code, 1000)

    async with websockets.connect(uri, subprotocols=["chat.v1", "chat.v2"]) as ws:
        check("python client: server's preference wins", ws.subprotocol, "chat.v2")
        await ws.send(b"\x00\x01\xffbinary")
        check("python client: binary echo", await asyncio.wait_for(ws.recv(), 10),
              b"\x00\x01\xffbinary")

    async with websockets.connect(uri) as ws:
        check("python client: no subprotocol offered", ws.subprotocol, None)
        big = "x" * 3000
        await ws.send(big)
        check("python client: 3000-byte echo intact", await asyncio.wait_for(ws.recv(), 10) == big,
              True)

    async with websockets.connect(uri, subprotocols=["mqtt"]) as ws:
        check("python client: unsupported subprotocol -> none", ws.subprotocol, None)


def server_python(server_path):
    proc, port = start_server(server_path)
    try:
        asyncio.run(asyncio.wait_for(python_clients(port), 40))

        status, headers, body = raw_exchange(
            port, b"GET /index.html HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        check("plain GET: status", status, 404)
        check("plain GET: content type", headers.get("content-type"), "text/html; charset=utf-8")
        check("plain GET: body length", int(headers.get("content-length", -1)), len(body))
        check("plain GET: page", b"no such page" in body, True)

        status, headers, body = raw_exchange(
            port, (UPGRADE + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                   "Sec-WebSocket-Version: 8\r\n\r\n").encode())
        check("version 8: status", status, 426)
        check("version 8: Sec-WebSocket-Version", headers.get("sec-websocket-version"), "13")

        status, headers, body = raw_exchange(
            port, (UPGRADE + "Sec-WebSocket-Key: c2hvcnQ=\r\n"
                   "Sec-WebSocket-Version: 13\r\n\r\n").encode())
        check("short key: status", status, 400)
        check("short key: reason in body", b"Sec-WebSocket-Key" in body, True)

        status, headers, body = raw_exchange(
            port, b"GET / HTTP/1.1\r\nHost: a\r\nX: a\r\n folded\r\n\r\n")
        check("obs-fold: status", status, 400)

        # The handshake and a frame in one packet: the frame must survive.
        key = "dGhlIHNhbXBsZSBub25jZQ=="
        frame = bytes([0x81, 0x82, 1, 2, 3, 4, ord("h") ^ 1, ord("i") ^ 2])
        with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
            s.sendall((UPGRADE + f"Sec-WebSocket-Key: {key}\r\n"
                       "Sec-WebSocket-Version: 13\r\n\r\n").encode() + frame)
            data = b""
            while b"hi" not in data.partition(b"\r\n\r\n")[2]:
                chunk = s.recv(4096)
                if not chunk:
                    break
                data += chunk
            head, _, rest = data.partition(b"\r\n\r\n")
            check("pipelined frame: 101", head.split(b"\r\n")[0], b"HTTP/1.1 101 Switching Protocols")
            check("pipelined frame: accept key",
                  b"Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=" in head, True)
            check("pipelined frame: echo", rest[:4], b"\x81\x02hi")
    finally:
        out = stop_server(proc)
    print("--- hs_server said:\n" + out)
    check("server saw the plain GET", "plain HTTP GET /index.html: 404" in out, True)
    check("server rejected version 8", "rejected: HS_BAD_VERSION (426)" in out, True)
    check("server rejected the short key", "rejected: HS_BAD_KEY (400)" in out, True)
    check("server kept the query in the target", "upgraded /chat?room=1 protocol=chat.v1" in out,
          True)


def server_node(server_path):
    proc, port = start_server(server_path)
    try:
        import json
        for protocols, want in ((["chat.v1"], "chat.v1"), (["x", "chat.v2", "chat.v1"], "chat.v2"),
                                ([], "")):
            r = subprocess.run([node(), os.path.join(HERE, "hs_node_client.js"),
                                f"ws://127.0.0.1:{port}/node"] + protocols,
                               capture_output=True, text=True, timeout=30, env=wsharness.node_env())
            print(r.stdout + r.stderr, end="")
            res = json.loads(r.stdout.strip().splitlines()[-1]) if r.stdout.strip() else {}
            check(f"node client {protocols}: error", res.get("error"), None)
            check(f"node client {protocols}: protocol", res.get("protocol"), want)
            check(f"node client {protocols}: echo", res.get("echo"), "hello from node ws")
            check(f"node client {protocols}: close code", res.get("closeCode"), 1000)
    finally:
        out = stop_server(proc)
    print("--- hs_server said:\n" + out)


# ------------------------------------------------------------ our client

def run_client(client_path, url, *protocols):
    r = subprocess.run(wsharness.wrap_argv([client_path, url, *protocols]), capture_output=True,
                       text=True, timeout=wsharness.slow(30))
    print(f"$ hs_client {url} {' '.join(protocols)}\n{r.stdout}{r.stderr}", end="")
    if wsharness.WRAPPER:
        check(f"hs_client {url}: ended without {wsharness.WRAPPER[0]}'s error exit "
              f"({wsharness.WRAPPER_ERROR_CODE})", r.returncode != wsharness.WRAPPER_ERROR_CODE, True)
    return r.returncode, r.stdout


def client_checks(client_path, port):
    base = f"ws://127.0.0.1:{port}"
    rc, out = run_client(client_path, base + "/echo", "chat.v2", "chat.v1")
    check("client: exit status", rc, 0)
    check("client: negotiated chat.v1", "accepted protocol=chat.v1" in out, True)
    check("client: echo", "echo: hello from libwsframe" in out, True)
    check("client: clean close", "closed 1000" in out, True)

    rc, out = run_client(client_path, base + "/echo")
    check("client without protocols: exit status", rc, 0)
    check("client without protocols: none chosen", "accepted protocol=(none)" in out, True)

    rc, out = run_client(client_path, base + "/echo", "chat.v3")
    check("client offering chat.v3: chosen", "accepted protocol=chat.v3" in out, True)

    rc, out = run_client(client_path, base + "/missing", "chat.v1")
    check("404: exit status", rc, 2)
    check("404: status and reason", "refused status=404 reason=Not Found error=HS_STATUS" in out,
          True)


def client_python(client_path):
    ready = threading.Event()
    state = {}

    async def echo(ws, path=None):
        async for message in ws:
            await ws.send(message)

    async def process_request(path, headers):
        if path == "/missing":
            return http.HTTPStatus.NOT_FOUND, [], b"not here\n"
        return None

    async def main():
        async with websockets.serve(echo, "127.0.0.1", 0, subprotocols=["chat.v1", "chat.v3"],
                                    process_request=process_request) as server:
            state["port"] = server.sockets[0].getsockname()[1]
            state["stop"] = asyncio.get_running_loop().create_future()
            state["loop"] = asyncio.get_running_loop()
            ready.set()
            await state["stop"]

    t = threading.Thread(target=lambda: asyncio.run(main()), daemon=True)
    t.start()
    if not ready.wait(15):
        raise SystemExit("python server did not start")
    try:
        client_checks(client_path, state["port"])
    finally:
        state["loop"].call_soon_threadsafe(state["stop"].set_result, None)
        t.join(10)


def client_node(client_path):
    proc = subprocess.Popen([node(), os.path.join(HERE, "hs_node_server.js")],
                            stdout=subprocess.PIPE, text=True, env=wsharness.node_env())
    try:
        port = read_port(proc, "node server")
        client_checks(client_path, port)
    finally:
        proc.kill()
        out = proc.communicate(timeout=10)[0]
    print("--- node server said:\n" + out)
    check("node server saw chat.v1", "connection /echo protocol=chat.v1" in out, True)


def main():
    mode, server_path, client_path = sys.argv[1:4]
    print(f"websockets {websockets.__version__}")
    {"server-python": lambda: server_python(server_path),
     "server-node": lambda: server_node(server_path),
     "client-python": lambda: client_python(client_path),
     "client-node": lambda: client_node(client_path)}[mode]()
    print("FAILED" if failures else "all checks passed", f"({failures} failures)")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
