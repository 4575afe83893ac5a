"""chat_client: bad arguments exit 1 with a message, before any connection
(docs/examples.md, exit status table), whatever part of the handshake they
would end up in: header values with control characters, a --cacert file
with no certificate, an -x message that is not UTF-8 (it would be sent as
a text message) among them.

usage: client_args.py CHAT_CLIENT
"""

import os
import subprocess
import sys

import wsharness as h


def body(checks):
    client = sys.argv[1]
    # Port 1 on 127.0.0.1 refuses connections: reaching it would exit 2.
    url = "ws://127.0.0.1:1/"
    for args, what in ((["--origin", "http://a\r\nX-Injected: 1"], "--origin with a line break"),
                       (["--origin", "http://a\tb"], "--origin with a control character"),
                       (["-H", "X-A: a\r\nX-B: b"], "-H with a line break"),
                       (["-H", "X-A: a\x1b[2Jb"], "-H with an escape character"),
                       (["-H", "X-A: a\x7fb"], "-H with DEL"),
                       (["--cacert", "/etc/passwd", "wss://127.0.0.1:1/"], "--cacert with no certificate in it"),
                       # fsdecode: subprocess passes the byte E9 itself.
                       (["-x", os.fsdecode(b"caf\xe9")], "-x that is not UTF-8"),
                       (["--protocol", "a b"], "--protocol that is not a token")):
        argv = [client, *args] if args[-1].startswith("wss://") else [client, *args, url]
        r = subprocess.run(h.wrap_argv(argv), stdin=subprocess.DEVNULL,
                           capture_output=True, text=True, timeout=h.slow(10))
        checks.check(r.returncode == 1 and r.stderr.strip() and "refused" not in r.stderr,
                     f"{what}: exit 1 with a message, no connection attempt",
                     f"{r.returncode} {r.stderr.strip()[:200]!r}")


h.run_main("client_args", body)
