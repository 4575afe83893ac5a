"""chat_server's page in headless Chromium (issue 5).

usage: browser_chat.py CHAT_SERVER BROWSER_CHAT_JS SCREENSHOT.png

Starts chat_server on a free port, runs browser_chat.js (playwright-core
driving Debian's /usr/bin/chromium) against it and reports its checks. The
screenshot of the first tab is left at SCREENSHOT.png.
"""

import os
import signal
import sys

import wsharness as h


def main():
    server_bin, script, screenshot = sys.argv[1:4]

    def body(checks):
        if not os.path.exists("/usr/bin/chromium"):
            checks.check(False, "/usr/bin/chromium is installed (Debian package chromium)")
            return
        if os.path.exists(screenshot):
            os.unlink(screenshot)
        server = h.Server(server_bin)
        node = os.environ.get("WS_NODE", "node")
        driver = h.Proc([node, script, f"http://{h.HOST}:{server.port}/", screenshot], "browser",
                        env=h.node_env())
        code = driver.wait(100)
        if code is None:
            # SIGTERM first: Playwright closes Chromium on it.
            driver.signal(signal.SIGTERM)
            driver.wait(5)
        for line in driver.all_stdout:
            print(f"  [browser] {line}")
        checks.check(code == 0, "browser checks all passed (see [browser] lines)", f"exit {code}")
        checks.check(sum(line.startswith("ok: ") for line in driver.all_stdout) >= 20,
                     "the browser script reported its checks")
        checks.check(os.path.exists(screenshot) and os.path.getsize(screenshot) > 1000,
                     f"screenshot saved at {screenshot}")
        checks.check(server.alive(), "chat_server still running")
        driver.kill(dump=code != 0)

    h.run_main("chat in headless Chromium", body)


if __name__ == "__main__":
    main()
