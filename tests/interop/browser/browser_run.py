"""Runs one playwright-core script (Debian's /usr/bin/chromium) against a
server of ours and reports its checks (issue 5).

usage: browser_run.py SERVER SCRIPT http|ws [SCREENSHOT.png]

Starts SERVER on a free port and runs `node SCRIPT URL [SCREENSHOT]`, URL being
http://127.0.0.1:PORT/ (a page to load) or ws://127.0.0.1:PORT/ (a WebSocket
to open from a page). The script prints `ok:`/`FAIL:` lines and exits 0 only
when all its checks pass.
"""

import os
import signal
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
        node = os.environ.get("WS_NODE", "node")
        argv = [node, script, f"{scheme}://{h.HOST}:{server.port}/"] + ([screenshot] if screenshot else [])
        driver = h.Proc(argv, "browser", env=h.node_env())
        code = driver.wait(100)
        if code is None:
            # SIGTERM first: Playwright closes Chromium on it.
            driver.signal(signal.SIGTERM)
            driver.wait(5)
        for line in driver.all_stdout:
            print(f"  [browser] {line[:300]}")
        checks.check(code == 0, "browser checks all passed (see [browser] lines)", f"exit {code}")
        checks.check(sum(line.startswith("ok: ") for line in driver.all_stdout) >= 4,
                     "the browser script reported its checks")
        if screenshot:
            checks.check(os.path.exists(screenshot) and os.path.getsize(screenshot) > 1000,
                         f"screenshot saved at {screenshot}")
        checks.check(server.alive(), "server still running")
        driver.kill(dump=code != 0)

    h.run_main(f"{os.path.basename(script)} in headless Chromium", body)


if __name__ == "__main__":
    main()
