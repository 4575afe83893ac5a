"""Runs one playwright-core script (Debian's /usr/bin/chromium) against a
server of ours and reports its checks (issue 5).

usage: browser_run.py SERVER SCRIPT http|ws [SCREENSHOT.png]

Starts SERVER on a free port and runs `node SCRIPT URL [SCREENSHOT]`, URL being
http://127.0.0.1:PORT/ (a page to load) or ws://127.0.0.1:PORT/ (a WebSocket
to open from a page). The script prints `ok:`/`FAIL:` lines and exits 0 only
when all its checks pass.
"""

import os
import sys

import wsharness as h


def main():
    server_bin, script, scheme = sys.argv[1:4]
    screenshot = sys.argv[4] if len(sys.argv) > 4 else None

    def body(checks):
        if not os.path.exists("/usr/bin/chromium"):
            checks.check(False, "/usr/bin/chromium is installed (Debian package chromium)")
            return
        if screenshot and os.path.exists(screenshot):
            os.unlink(screenshot)
        server = h.Server(server_bin)
        url = f"{scheme}://{h.HOST}:{server.port}/"
        h.run_node_peer(checks, "browser", [script, url] + ([screenshot] if screenshot else []), 100, min_ok=4)
        if screenshot:
            checks.check(os.path.exists(screenshot) and os.path.getsize(screenshot) > 1000,
                         f"screenshot saved at {screenshot}")
        checks.check(server.alive(), "server still running")

    h.run_main(f"{os.path.basename(script)} in headless Chromium", body)


if __name__ == "__main__":
    main()
