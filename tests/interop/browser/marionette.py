"""Headless Firefox (Debian's firefox-esr) driven over Marionette, for
interop_firefox. Debian 12 packages no geckodriver, and playwright-core cannot
drive a stock Firefox, so this speaks Marionette's own protocol: each packet is
`<byte length>:<JSON>`; Firefox greets with {"marionetteProtocol": 3, ...},
commands are [0, id, "WebDriver:Name", {params}] and replies
[1, id, error or null, result].

    fx = Firefox(checks)            # starts it; fx.quit() always, in a finally
    fx.command("WebDriver:Navigate", {"url": "http://127.0.0.1:8080/"})
    fx.execute_async("arguments[0](document.title)")

Firefox runs with a profile and HOME of its own in a temporary directory,
no display, and preferences that stop every connection it would make by
itself (updates, telemetry, safe browsing, remote settings, captive portal
and connectivity checks, DNS prefetch...). As a last guard every proxied
request goes to a trap: an HTTP proxy on 127.0.0.1 that answers nothing and
counts what asked, so a request for anything but 127.0.0.1 never leaves the
machine and shows up in `fx.trap.requests`.
"""

import json
import os
import shutil
import socket
import tempfile
import threading
import time

import wsharness as h

FIREFOX = "/usr/bin/firefox-esr"

# Set before Firefox starts (user.js), not by Marionette once it runs: some
# services start before Marionette does.
PREFS = {
    "marionette.port": 0,  # 0: any free port, written to MarionetteActivePort in the profile
    "browser.shell.checkDefaultBrowser": False,
    "browser.startup.page": 0,
    "browser.startup.homepage": "about:blank",
    "browser.startup.homepage_override.mstone": "ignore",
    "startup.homepage_welcome_url": "about:blank",
    "startup.homepage_welcome_url.additional": "",
    "browser.aboutwelcome.enabled": False,
    "browser.newtabpage.enabled": False,
    "browser.newtabpage.activity-stream.feeds.system.topstories": False,
    "browser.newtabpage.activity-stream.feeds.topsites": False,
    "browser.topsites.contile.enabled": False,
    "browser.tabs.warnOnClose": False,
    "browser.sessionstore.resume_from_crash": False,
    "toolkit.startup.max_resumed_crashes": -1,
    "app.update.disabledForTesting": True,
    "app.update.auto": False,
    "app.normandy.enabled": False,
    "app.normandy.api_url": "",
    "app.shield.optoutstudies.enabled": False,
    "messaging-system.rsexperimentloader.enabled": False,
    "datareporting.policy.dataSubmissionEnabled": False,
    "datareporting.healthreport.uploadEnabled": False,
    "toolkit.telemetry.enabled": False,
    "toolkit.telemetry.server": "",
    "browser.ping-centre.telemetry": False,
    "services.settings.server": "data:,#remote-settings-disabled/v1",
    "extensions.update.enabled": False,
    "extensions.getAddons.cache.enabled": False,
    "extensions.blocklist.enabled": False,
    "extensions.systemAddon.update.enabled": False,
    "browser.safebrowsing.malware.enabled": False,
    "browser.safebrowsing.phishing.enabled": False,
    "browser.safebrowsing.downloads.enabled": False,
    "browser.safebrowsing.blockedURIs.enabled": False,
    "browser.safebrowsing.provider.mozilla.updateURL": "",
    "browser.safebrowsing.provider.google4.updateURL": "",
    "browser.search.update": False,
    "browser.region.network.url": "",
    "browser.region.update.enabled": False,
    "geo.provider.network.url": "",
    "media.gmp-manager.url": "",
    "media.gmp-gmpopenh264.enabled": False,
    # Widevine comes from Google's component updater, asked some 20 s in.
    "media.gmp-provider.enabled": False,
    "media.gmp-manager.updateEnabled": False,
    "media.gmp-widevinecdm.enabled": False,
    "media.gmp-widevinecdm.visible": False,
    "media.eme.enabled": False,
    "dom.push.connection.enabled": False,
    "dom.push.serverURL": "",
    "identity.fxaccounts.enabled": False,
    "network.captive-portal-service.enabled": False,
    "network.connectivity-service.enabled": False,
    "network.dns.disablePrefetch": True,
    "network.prefetch-next": False,
    "network.http.speculative-parallel-limit": 0,
    "network.trr.mode": 5,  # no DNS over HTTPS
    # The trap: every request goes through an HTTP proxy on 127.0.0.1 except
    # those for 127.0.0.1 itself (never proxied unless hijacking is allowed).
    "network.proxy.type": 1,
    "network.proxy.share_proxy_settings": True,
    "network.proxy.no_proxies_on": "",
    "network.proxy.allow_hijacking_localhost": False,
}


class MarionetteError(RuntimeError):
    pass


class ProxyTrap:
    """An HTTP proxy that records each request's first line and closes."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind((h.HOST, 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.requests = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return  # closed
            with conn:
                conn.settimeout(2)
                try:
                    line = conn.recv(4096).split(b"\r\n", 1)[0]
                except OSError:
                    line = b"(nothing read)"
                self.requests.append(line.decode("latin-1"))

    def close(self):
        self.sock.close()


class Firefox:
    """firefox-esr --headless --marionette in its own process group, and a
    Marionette session to it. Every wait is bounded; quit() kills the whole
    process group and removes the profile."""

    def __init__(self, binary=FIREFOX, start_timeout=60, command_timeout=120):
        self.binary = binary
        self.command_timeout = command_timeout
        self.dir = tempfile.mkdtemp(prefix="ws-firefox-")
        self.proc = None
        self.sock = None
        self.msgid = 0
        self.buf = b""
        self.trap = ProxyTrap()
        try:
            self._start(start_timeout)
        except BaseException:
            self.quit()
            raise

    def _start(self, timeout):
        profile = os.path.join(self.dir, "profile")
        home = os.path.join(self.dir, "home")
        os.makedirs(profile)
        os.makedirs(home)
        prefs = dict(PREFS, **{"network.proxy.http": h.HOST, "network.proxy.http_port": self.trap.port,
                               "network.proxy.ssl": h.HOST, "network.proxy.ssl_port": self.trap.port})
        with open(os.path.join(profile, "user.js"), "w") as f:
            for name, value in prefs.items():
                f.write(f"user_pref({json.dumps(name)}, {json.dumps(value)});\n")
        # Nothing of the user's: no display, no config, no caches outside
        # the temporary directory.
        env = {k: v for k, v in os.environ.items()
               if k not in ("DISPLAY", "WAYLAND_DISPLAY", "XAUTHORITY", "DBUS_SESSION_BUS_ADDRESS")
               and not k.startswith("MOZ_")}
        # Release builds take services.settings.server only with
        # MOZ_REMOTE_SETTINGS_DEVTOOLS set, and otherwise poll Mozilla's
        # remote settings many times a second from the start.
        env.update(HOME=home, MOZ_HEADLESS="1", MOZ_CRASHREPORTER_DISABLE="1", MOZ_REMOTE_SETTINGS_DEVTOOLS="1",
                   XDG_CONFIG_HOME=os.path.join(home, ".config"),
                   XDG_CACHE_HOME=os.path.join(home, ".cache"),
                   XDG_DATA_HOME=os.path.join(home, ".local", "share"),
                   TMPDIR=self.dir)
        self.proc = h.Proc([self.binary, "--headless", "--marionette", "--no-remote", "--profile", profile],
                           "firefox", env=env)
        port_file = os.path.join(profile, "MarionetteActivePort")
        deadline = time.monotonic() + timeout
        port = None
        while port is None and time.monotonic() < deadline and self.proc.alive():
            try:
                with open(port_file) as f:
                    port = int(f.read().strip())
            except (OSError, ValueError):
                time.sleep(0.1)
        if port is None:
            raise MarionetteError(f"Firefox wrote no Marionette port within {timeout} s "
                                  f"(running: {self.proc.alive()})")
        self.sock = socket.create_connection((h.HOST, port), timeout=max(1.0, deadline - time.monotonic()))
        hello = self._read(max(1.0, deadline - time.monotonic()))
        if hello.get("marionetteProtocol") != 3:
            raise MarionetteError(f"unexpected Marionette greeting {hello!r}")
        caps = self.command("WebDriver:NewSession", {})
        self.capabilities = caps.get("capabilities", caps)

    @property
    def version(self):
        return f"{self.capabilities.get('browserName')} {self.capabilities.get('browserVersion')}"

    def _read(self, timeout):
        deadline = time.monotonic() + timeout
        while True:
            head, sep, rest = self.buf.partition(b":")
            if sep:
                n = int(head)
                if len(rest) >= n:
                    self.buf = rest[n:]
                    return json.loads(rest[:n])
            elif len(self.buf) > 20:
                raise MarionetteError(f"not a Marionette packet: {self.buf[:40]!r}")
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise MarionetteError(f"no reply from Marionette within {timeout} s")
            self.sock.settimeout(remaining)
            try:
                chunk = self.sock.recv(1 << 20)
            except socket.timeout:
                continue
            if not chunk:
                raise MarionetteError("Marionette closed the connection")
            self.buf += chunk

    def command(self, name, params=None, timeout=None):
        """Send one command and return its result; a Marionette error raises."""
        self.msgid += 1
        # ASCII-only JSON (non-ASCII as \\u escapes): the length is then
        # the same in characters and bytes.
        data = json.dumps([0, self.msgid, name, params or {}]).encode("ascii")
        self.sock.sendall(b"%d:%s" % (len(data), data))
        deadline = time.monotonic() + (timeout or self.command_timeout)
        while True:
            reply = self._read(max(0.0, deadline - time.monotonic()))
            if reply[0] == 1 and reply[1] == self.msgid:
                break
        if reply[2]:
            err = reply[2]
            raise MarionetteError(f"{name}: {err.get('error')}: {err.get('message')}")
        return reply[3]

    def execute(self, script, *args):
        """Run script (a function body) in the current page; its return value."""
        return self.command("WebDriver:ExecuteScript", {"script": script, "args": list(args)})["value"]

    def execute_async(self, script, *args, timeout=60):
        """Run script in the page; it returns by calling its last argument.
        timeout in seconds bounds both Firefox's wait and ours."""
        self.command("WebDriver:SetTimeouts", {"script": int(timeout * 1000)})
        return self.command("WebDriver:ExecuteAsyncScript", {"script": script, "args": list(args)},
                            timeout=timeout + 10)["value"]

    def navigate(self, url, timeout=30):
        self.command("WebDriver:SetTimeouts", {"pageLoad": int(timeout * 1000)})
        self.command("WebDriver:Navigate", {"url": url}, timeout=timeout + 10)

    def find(self, css):
        """The element for a CSS selector (its WebDriver id)."""
        found = self.command("WebDriver:FindElement", {"using": "css selector", "value": css})
        ref = found.get("value", found)
        return next(iter(ref.values()))

    def send_keys(self, element, text):
        """Type text into element, key by key, as a user would (Firefox's
        own key events: WebDriver's \\ue007 is Enter, \\ue008 Shift)."""
        self.command("WebDriver:ElementSendKeys", {"id": element, "text": text})

    def click(self, element):
        self.command("WebDriver:ElementClick", {"id": element})

    def quit(self):
        """Always safe to call: kills Firefox's process group, removes the
        profile and stops the proxy trap."""
        if self.sock is not None:
            self.sock.close()
            self.sock = None
        if self.proc is not None:
            self.proc.kill(dump=False)
        self.trap.close()
        shutil.rmtree(self.dir, ignore_errors=True)
