"""chat_server --redis with credentials: AUTH against a real redis-server.

usage: redis_auth.py CHAT_SERVER REDIS_SERVER

One redis-server with `requirepass` and an ACL user, one without any
password, and chat_server instances with Python websockets clients:

  1. `redis://:PASSWORD@` (requirepass) and `redis://USER:PASSWORD@` (ACL
     user) instances share one room, both ways, with %-escaped '@', ':'
     and '/' in the passwords;
  2. an instance whose user does not exist yet is refused: it logs the
     refusal once per connection with Redis's words, keeps serving its own
     clients, and nothing of it crosses; once the user is created on
     Redis's side (no restart), it joins the room within the backoff bound;
  3. no log line of any instance holds a password;
  4. against a Redis without a password, an instance with one in its URL
     says so once and works;
  5. when the password changes on Redis's side while an instance runs
     (its connections dropped, the next ones refused), its log names the
     new cause in Redis's words (WRONGPASS), not only the first one
     ("Server closed the connection"), and it rejoins once the password is
     back.
"""

import asyncio
import os
import signal
import sys
import time

import scaling as sc
import wsharness as h

# Decoded passwords; the URLs carry them %-escaped.
REQUIREPASS = "s3cr@t:x/1"
ALICE_PASSWORD = "pa/ss@2"
CAROL_PASSWORD = "later:3"
CHANGED_PASSWORD = "changed-5"
SECRETS = [REQUIREPASS, ALICE_PASSWORD, CAROL_PASSWORD, "no-password-needed-4", CHANGED_PASSWORD]
JOIN_BOUND_S = h.slow(12.0)   # backoff tops out at 5 s (+25% jitter), plus slack


def escaped(password):
    return password.replace("%", "%25").replace("@", "%40").replace(":", "%3A").replace("/", "%2F")


class Client:
    def __init__(self, name, server):
        self.name = name
        self.url = server.url("/")
        self.ws = None
        self.received = []
        self.task = None

    async def open(self):
        import websockets
        self.ws = await websockets.connect(self.url, ping_interval=None, open_timeout=10)
        self.task = asyncio.ensure_future(self._read())

    async def _read(self):
        import websockets
        try:
            async for msg in self.ws:
                self.received.append(msg)
        except websockets.ConnectionClosed:
            pass

    def heard(self, text):
        return f"Server: {text}" in self.received


async def heard_within(sender, receivers, tag, timeout):
    """sender sends tag-0, tag-1, ... every 0.1 s until every receiver heard
    one of them; the seconds it took, or None."""
    start = time.monotonic()
    n = 0
    while time.monotonic() - start < timeout:
        text = f"{tag}-{n}"
        await sender.ws.send(text)
        n += 1
        await asyncio.sleep(0.1)
        if all(any(m.startswith(f"Server: {tag}-") for m in r.received) for r in receivers):
            return time.monotonic() - start
    return None


def lines_with(server, word):
    return [l for l in server.stderr_lines if word in l]


async def scenario(checks, chat_server, redis_bin, tmp):
    port = h.free_port()
    redis = sc.start_redis(
        redis_bin, port, tmp, password=REQUIREPASS,
        extra=["--requirepass", REQUIREPASS,
               "--user", "alice", "on", f">{ALICE_PASSWORD}", "~*", "&*", "+@all"])
    channel = f"auth-{os.getpid()}"
    base = f"{h.HOST}:{port}/{channel}"
    a = h.Server(chat_server, "--redis", f"redis://:{escaped(REQUIREPASS)}@{base}",
                 "--ping-interval", "0", name="chat-requirepass")
    b = h.Server(chat_server, "--redis", f"redis://alice:{escaped(ALICE_PASSWORD)}@{base}",
                 "--ping-interval", "0", name="chat-acl-user")
    c = h.Server(chat_server, "--redis", f"redis://carol:{escaped(CAROL_PASSWORD)}@{base}",
                 "--ping-interval", "0", name="chat-not-yet")
    ca, cb, cc = Client("a", a), Client("b", b), Client("c", c)
    for cl in (ca, cb, cc):
        await cl.open()

    took = await heard_within(ca, [cb], "a-to-b", JOIN_BOUND_S)
    checks.check(took is not None, "requirepass instance -> ACL-user instance through Redis",
                 "\n".join(a.stderr_lines + b.stderr_lines))
    took = await heard_within(cb, [ca], "b-to-a", JOIN_BOUND_S)
    checks.check(took is not None, "ACL-user instance -> requirepass instance through Redis")
    for s, who in ((a, "requirepass"), (b, "ACL user")):
        checks.check(len(lines_with(s, "connected to")) == 2,
                     f"{who} instance: both connections up", "\n".join(s.stderr_lines))

    # carol does not exist yet: refused, logged once per connection.
    await asyncio.sleep(h.slow(2.5))  # several retries (100, 200, 400, 800 ms...)
    refused = lines_with(c, "unavailable")
    checks.check(len(refused) == 2 and all("AUTH answered: WRONGPASS" in l for l in refused),
                 "refused instance logs WRONGPASS once for each of its two connections",
                 "\n".join(c.stderr_lines))
    await cc.ws.send("local-only")
    await sc.until(lambda: cc.heard("local-only"), h.slow(2))
    checks.check(cc.heard("local-only"), "refused instance still serves its own clients")
    await asyncio.sleep(h.slow(0.5))
    checks.check(not ca.heard("local-only") and not cb.heard("local-only"),
                 "nothing of the refused instance crosses")

    reply = sc.redis_command(port, "ACL", "SETUSER", "carol", "on", f">{CAROL_PASSWORD}",
                             "~*", "&*", "+@all", password=REQUIREPASS)
    checks.check(reply == b"+OK", "ACL SETUSER carol on the running Redis", repr(reply))
    took = await heard_within(cc, [ca, cb], "c-joins", JOIN_BOUND_S)
    checks.check(took is not None,
                 f"the refused instance joins the room within {JOIN_BOUND_S:g} s of its user "
                 "being created, without a restart"
                 + (f" ({took:.2f} s)" if took is not None else ""),
                 "\n".join(c.stderr_lines))
    await sc.until(lambda: len(lines_with(c, "back on")) >= 2, JOIN_BOUND_S)
    checks.check(len(lines_with(c, "back on")) == 2,
                 "it logs both connections coming back, once each", "\n".join(c.stderr_lines))
    took = await heard_within(ca, [cc], "a-to-c", h.slow(5))
    checks.check(took is not None, "and hears the others")

    # A Redis without a password: the URL's is not needed; say so, go on.
    open_port = h.free_port()
    open_redis = sc.start_redis(redis_bin, open_port, tmp)
    d = h.Server(chat_server, "--redis",
                 f"redis://:{SECRETS[3]}@{h.HOST}:{open_port}/{channel}",
                 "--ping-interval", "0", name="chat-unneeded")
    e = h.Server(chat_server, "--redis", f"redis://{h.HOST}:{open_port}/{channel}",
                 "--ping-interval", "0", name="chat-plain")
    cd, ce = Client("d", d), Client("e", e)
    await cd.open()
    await ce.open()
    took = await heard_within(cd, [ce], "d-to-e", JOIN_BOUND_S)
    checks.check(took is not None, "password in the URL, none on Redis: messages still cross",
                 "\n".join(d.stderr_lines))
    checks.check(len(lines_with(d, "has no password set")) == 2,
                 "it says once per connection that Redis has no password",
                 "\n".join(d.stderr_lines))

    # The password changes under a running instance.
    reply = sc.redis_command(port, "CONFIG", "SET", "requirepass", CHANGED_PASSWORD,
                             password=REQUIREPASS)
    checks.check(reply == b"+OK", "CONFIG SET requirepass on the running Redis", repr(reply))
    for kind in ("pubsub", "normal"):
        sc.redis_command(port, "CLIENT", "KILL", "TYPE", kind, password=CHANGED_PASSWORD)
    await sc.until(lambda: len(lines_with(a, "WRONGPASS")) >= 2, h.slow(6))
    checks.check(len(lines_with(a, "WRONGPASS")) == 2,
                 "password changed mid-run: the instance logs Redis's WRONGPASS for each connection",
                 "\n".join(a.stderr_lines))
    sc.redis_command(port, "CONFIG", "SET", "requirepass", REQUIREPASS, password=CHANGED_PASSWORD)
    await sc.until(lambda: len(lines_with(a, "back on")) >= 2, JOIN_BOUND_S)
    checks.check(len(lines_with(a, "back on")) == 2,
                 "password restored: it rejoins without a restart", "\n".join(a.stderr_lines))

    servers = (a, b, c, d, e)
    leaked = [l for s in servers for l in s.stderr_lines + s.stdout_lines
              for p in SECRETS + [escaped(p) for p in SECRETS] if p in l]
    checks.check(not leaked, "no log line of any instance holds a password", "\n".join(leaked))

    for cl in (ca, cb, cc, cd, ce):
        await cl.ws.close()
    for s in servers:
        s.signal(signal.SIGTERM)
        rc = s.wait(h.slow(15))
        checks.check(rc == 0, f"{s.name} exits 0 on SIGTERM", f"exit {rc}")
    redis.signal(signal.SIGTERM)
    open_redis.signal(signal.SIGTERM)


def body(checks):
    chat_server, redis_bin = sys.argv[1:3]
    sc.run_scenario(checks, "ws-redis-auth-", scenario, chat_server, redis_bin)


if __name__ == "__main__":
    h.run_main("interop_redis_auth", body)
