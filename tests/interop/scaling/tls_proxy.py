"""TLS ended by nginx in front of chat_server, as docs/scaling.md shows.

usage: tls_proxy.py CHAT_SERVER CHAT_CLIENT NGINX

nginx listens with `ssl` (a test CA's certificate for 127.0.0.1) and proxies
plain ws to one chat_server. Three peers chat through it, each on wss://:
headless Chromium with the chat page loaded over https:// (which must pick
wss:// by itself), a Node ws client and chat_client (both checking the
certificate against the test CA). Every one must hear the others.
"""

import os
import signal
import subprocess
import sys
import threading
import time

import scaling as sc
import wsharness as h

HERE = os.path.dirname(os.path.abspath(__file__))


async def scenario(checks, chat_server, chat_client, nginx_bin, certs, tmp):
    if not os.path.exists("/usr/bin/chromium"):
        checks.check(False, "/usr/bin/chromium is installed (Debian package chromium)")
        return
    server = h.Server(chat_server, "--ping-interval", "0")
    nginx, port = sc.start_nginx(nginx_bin, tmp, [server.port], tls=certs.good)
    url = f"https://{h.HOST}:{port}/"

    # chat_client says from-cli-N every 0.2 s while the browser script runs.
    argv = h.wrap_argv([chat_client, "-q", "--cacert", certs.ca, f"wss://{h.HOST}:{port}/"])
    cli = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, preexec_fn=h._die_with_parent)
    heard = []
    reader = threading.Thread(target=lambda: heard.extend(iter(cli.stdout.readline, b"")),
                              daemon=True)
    reader.start()
    stop = threading.Event()

    def speak():
        n = 0
        while not stop.is_set():
            try:
                cli.stdin.write(f"from-cli-{n}\n".encode())
                cli.stdin.flush()
            except (BrokenPipeError, ValueError):
                return
            n += 1
            stop.wait(0.2)

    speaker = threading.Thread(target=speak, daemon=True)
    speaker.start()
    h.run_node_peer(checks, "browser", [os.path.join(HERE, "browser_tls.js"), url, certs.ca],
                    100, min_ok=7)
    stop.set()
    speaker.join(5)
    time.sleep(h.slow(0.5))
    cli.stdin.close()
    try:
        rc = cli.wait(h.slow(10))
    except subprocess.TimeoutExpired:
        cli.kill()
        rc = cli.wait()
    reader.join(5)
    err = cli.stderr.read().decode("utf-8", "replace")
    h.record_exit(f"chat_client (pid {cli.pid})", rc)
    checks.check(rc == 0, "chat_client closes cleanly at end of input (exit 0)",
                 f"exit {rc}: {err[:300]}")
    lines = [l.decode("utf-8", "replace").rstrip("\n") for l in heard]
    checks.check(any(l.startswith("Server: from-cli-") for l in lines),
                 "chat_client hears itself through nginx's TLS")
    checks.check("Server: from-browser-to-all" in lines, "chat_client hears the page")
    checks.check("Server: from-node \u00e9\u4e2d\U0001F600" in lines,
                 "chat_client hears the Node client (UTF-8 intact)")
    checks.check(server.alive(), "chat_server still running")
    nginx.signal(signal.SIGQUIT)


def body(checks):
    chat_server, chat_client, nginx_bin = sys.argv[1:4]
    certs = h.TestCerts()
    try:
        sc.run_scenario(checks, "ws-tls-proxy-", scenario, chat_server, chat_client, nginx_bin,
                        certs)
    finally:
        certs.remove()


if __name__ == "__main__":
    h.run_main("interop_tls_proxy", body)
