"""Three chat_server instances joined by Redis pub/sub, behind nginx (issue 8).

usage: scaling.py CHAT_SERVER REDIS_SERVER NGINX

The test runs its own redis-server and nginx (as the current user, with every
path in a temporary directory), three `chat_server --redis` instances, two
Python websockets clients connected straight to each instance and three more
through nginx. Every message carries its sender and the sender's running
count, so each receiver can tell a lost, duplicated or reordered message.

  1. probes until every instance hears every other one (subscriptions up);
  2. every client sends text and binary (not UTF-8) messages: every client
     receives every message exactly once, in each sender's order, unchanged;
  3. Redis is stopped while messages flow: clients on the same instance keep
     hearing each other at once (nothing lost, low latency), nothing sent
     afterwards crosses instances, each instance logs the outage once and
     not once per message or per retry; a flood bigger than the publish
     backlog is delivered locally in full and cut at the bound for others;
  4. Redis starts again on the same port: cross-instance delivery is back
     within a bound;
  5. round 2 again: exactly once, in order, for everyone;
  and over the whole run, no receiver ever gets a sender's messages twice or
  out of order (messages published from the outage backlog included).
"""

import asyncio
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

import wsharness as h

INSTANCES = 3
ROUND_MESSAGES = 40          # per client per round
OUTAGE_MESSAGES = 30         # per direct client while Redis is down
OUTAGE_SPACING_S = 0.1
# Bounds on how fast our programs answer are stretched by WS_TEST_SLOWDOWN
# (valgrind runs, see wsharness.py); 1 otherwise.
LOCAL_LATENCY_BOUND_S = h.slow(1.0)  # a local message during the outage arrives within this
RECOVERY_BOUND_S = h.slow(12.0)      # backoff tops out at 5 s (+25% jitter), plus slack
SETTLE_S = h.slow(0.5)       # after a round, wait this long for any duplicate
# chat_server's publish backlog is 4 x its client queue bound: about 4 MiB
# with the default --max-message. The flood is bigger.
BACKLOG_BYTES = 4 * 16 * (64 * 1024 + 8 + 14)
FLOOD_MESSAGES = 90
FLOOD_BYTES = 60 * 1024


# ------------------------------------------------------------------ processes

def redis_command(port, *args, password=None):
    """One command (after AUTH when given a password); Redis's first reply
    line of the last command."""
    def encode(argv):
        out = f"*{len(argv)}\r\n".encode()
        for a in argv:
            a = a.encode() if isinstance(a, str) else a
            out += f"${len(a)}\r\n".encode() + a + b"\r\n"
        return out
    with socket.create_connection((h.HOST, port), timeout=2) as s:
        s.sendall((encode(["AUTH", password]) if password else b"") + encode(args))
        f = s.makefile("rb")
        if password:
            f.readline()
        return f.readline().rstrip(b"\r\n")


def redis_ping(port, password=None):
    try:
        return redis_command(port, "PING", password=password) == b"+PONG"
    except OSError:
        return False


def start_redis(binary, port, workdir, extra=(), password=None):
    proc = h.Proc([binary, "--port", port, "--bind", h.HOST, "--save", "", "--appendonly", "no",
                   "--dir", workdir, "--daemonize", "no", "--protected-mode", "yes", *extra],
                  name="redis-server")
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and proc.alive():
        if redis_ping(port, password):
            print(f"info: redis-server pid {proc.pid} on {h.HOST}:{port}", flush=True)
            return proc
        time.sleep(0.05)
    proc.kill()
    raise RuntimeError(f"redis-server did not answer PING on port {port} within 10 s")


# Kept in step with docs/scaling.md: the same proxy directives, with every
# path moved into the test's directory so nginx runs as any user.
NGINX_CONF = """\
daemon off;
# One process, so that the kernel's parent-death signal (wsharness.Proc)
# takes nginx down with the test even when ctest kills the test outright:
# an orphaned worker would keep the port.
master_process off;
worker_processes 1;
pid {tmp}/nginx.pid;
error_log stderr notice;

events {{
    worker_connections 256;
}}

http {{
    access_log off;
    client_body_temp_path {tmp}/client_body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;

    map $http_upgrade $connection_upgrade {{
        default upgrade;
        ''      close;
    }}

    upstream chat {{
        least_conn;
        zone chat 64k;
{servers}
    }}

    server {{
        listen {host}:{port}{ssl};{tls}

        location / {{
            proxy_pass http://chat;
            proxy_http_version 1.1;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection $connection_upgrade;
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_read_timeout 1h;
            proxy_send_timeout 1h;
            proxy_buffering off;
        }}
    }}
}}
"""


def start_nginx(binary, tmp, upstream_ports, tls=None):
    """nginx in front of the instances; with tls=(cert, key) it ends TLS
    (https:// and wss://) as docs/scaling.md shows."""
    port = h.free_port()
    servers = "\n".join(f"        server {h.HOST}:{p} max_fails=3 fail_timeout=10s;"
                        for p in upstream_ports)
    conf = os.path.join(tmp, "nginx.conf")
    with open(conf, "w") as f:
        f.write(NGINX_CONF.format(
            tmp=tmp, servers=servers, host=h.HOST, port=port, ssl=" ssl" if tls else "",
            tls=f"\n        ssl_certificate {tls[0]};\n        ssl_certificate_key {tls[1]};"
            if tls else ""))
    # -e: the error log before the configuration is read (nginx >= 1.19.5);
    # the compiled-in /var/log/nginx is not ours to write.
    proc = h.Proc([binary, "-p", tmp, "-c", conf, "-e", "stderr"], name="nginx")
    if not h.wait_port(port, 10) or not proc.alive():
        proc.kill()
        raise RuntimeError(f"nginx did not listen on {h.HOST}:{port} within 10 s")
    print(f"info: nginx pid {proc.pid} on {h.HOST}:{port} -> {upstream_ports}", flush=True)
    return proc, port


# ------------------------------------------------------------------ messages

def binary_body(sender, n, phase):
    """Deterministic bytes that are not UTF-8 (0xff never is), NULs included."""
    rng = random.Random(f"{sender}/{n}")
    size = FLOOD_BYTES if phase == "flood" else rng.randrange(0, 1500)
    return b"\xff\x00" + rng.randbytes(size)


def text_body(sender, n):
    rng = random.Random(f"{sender}/{n}")
    return "h\u00e9llo \u4e16\u754c \U0001f600 " + "x" * rng.randrange(0, 1500)


class Client:
    """One WebSocket connection; every message it sends is
    phase|sender|n|... with n counting all of this sender's messages."""

    def __init__(self, name, url, instance):
        self.name = name
        self.url = url
        self.instance = instance  # index of its chat_server, None behind nginx
        self.ws = None
        self.sent = 0
        self.received = []        # (phase, sender, n, monotonic time)
        self.bad = []             # anything that does not decode
        self.sent_at = {}         # n -> monotonic time
        self.phase_of = {}        # n -> phase
        self.task = None

    async def open(self):
        import websockets
        self.ws = await websockets.connect(self.url, max_size=None, max_queue=None,
                                           ping_interval=None, open_timeout=10)
        self.task = asyncio.ensure_future(self._read())

    async def _read(self):
        import websockets
        try:
            async for msg in self.ws:
                now = time.monotonic()
                try:
                    self.received.append((*decode(msg), now))
                except ValueError as exc:
                    self.bad.append(f"{exc}: {msg[:80]!r}")
        except websockets.ConnectionClosed:
            pass

    async def send(self, phase, binary=False):
        n = self.sent
        self.sent += 1
        head = f"{phase}|{self.name}|{n}|"
        self.sent_at[n] = time.monotonic()
        self.phase_of[n] = phase
        if binary:
            await self.ws.send(head.encode() + binary_body(self.name, n, phase))
        else:
            await self.ws.send(head + text_body(self.name, n))
        return n

    def got(self, phase, sender=None):
        return [(s, n) for p, s, n, _ in self.received if p == phase and (sender is None or s == sender)]


def decode(msg):
    """(phase, sender, n) of a received message, checking its body."""
    if isinstance(msg, str):
        if not msg.startswith("Server: "):
            raise ValueError("text without the 'Server: ' prefix")
        phase, sender, n, body = msg[len("Server: "):].split("|", 3)
        if body != text_body(sender, int(n)):
            raise ValueError("text body changed on the way")
    else:
        phase, sender, n, body = msg.split(b"|", 3)
        phase, sender = phase.decode(), sender.decode()
        if body != binary_body(sender, int(n), phase):
            raise ValueError("binary body changed on the way")
    return phase, sender, int(n)


def run_scenario(checks, prefix, scenario, *args):
    """asyncio.run(scenario(checks, *args, tmp)) with a temporary directory
    tmp, then every process the test started is stopped and tmp removed."""
    tmp = tempfile.mkdtemp(prefix=prefix)
    try:
        asyncio.run(scenario(checks, *args, tmp))
    finally:
        h.Proc.kill_all()
        shutil.rmtree(tmp, ignore_errors=True)


async def until(predicate, timeout, step=0.05):
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() >= deadline:
            return False
        await asyncio.sleep(step)
    return True


# ------------------------------------------------------------------ phases

async def probe_all(direct, everyone, phase, timeout):
    """Each instance's first client sends probes until every client on every
    other instance heard one: all subscriptions and publishers are up.
    Returns the seconds it took, or None."""
    start = time.monotonic()
    deadline = start + timeout
    senders = [direct[i][0] for i in range(INSTANCES)]
    while time.monotonic() < deadline:
        unheard = [s for s in senders if any(not c.got(phase, s.name) for c in everyone)]
        if not unheard:
            return time.monotonic() - start
        for s in unheard:
            await s.send(phase)
        await asyncio.sleep(0.1)
    return None


async def exchange(checks, clients, phase, count):
    """Every client sends count messages, text and binary mixed, interleaved
    with the others; every client must receive all of them once, in order."""
    rng = random.Random(phase)

    async def talk(c):
        for i in range(count):
            await c.send(phase, binary=(i % 3 == 2))
            if rng.random() < 0.3:
                await asyncio.sleep(rng.random() * 0.01)

    await asyncio.gather(*(talk(c) for c in clients))
    total = count * len(clients)
    await until(lambda: all(len(c.got(phase)) >= total for c in clients), h.slow(30))
    await asyncio.sleep(SETTLE_S)
    for c in clients:
        for s in clients:
            got = [n for _, n in c.got(phase, s.name)]
            sent = sorted(n for n, p in s.phase_of.items() if p == phase)
            checks.check(got == sent,
                         f"{phase}: {c.name} got {s.name}'s {count} messages once each, in order",
                         f"got {len(got)}: {got[:8]}, sent {sent[:8]}")


def check_whole_run(checks, clients):
    """Across every phase: a receiver never sees a sender's n twice or out of
    order, whatever Redis did in between."""
    for c in clients:
        last = {}
        problems = []
        for _, s, n, _ in c.received:
            if s in last and n <= last[s]:
                problems.append(f"{s} #{n} after #{last[s]}")
            last[s] = max(n, last.get(s, -1))
        checks.check(not problems, f"whole run: {c.name} never got a message twice or out of order",
                     "; ".join(problems[:5]))
        checks.check(not c.bad, f"whole run: every message {c.name} got decodes and is unchanged",
                     "; ".join(c.bad[:3]))


async def outage(checks, direct, everyone, redis, servers):
    """Redis goes away while messages flow; clients of one instance keep
    hearing each other."""
    async def talk(c):
        for _ in range(OUTAGE_MESSAGES):
            await c.send("outage", binary=(c.sent % 4 == 3))
            await asyncio.sleep(OUTAGE_SPACING_S)

    locals_ = [c for pair in direct for c in pair]
    talkers = asyncio.gather(*(talk(c) for c in locals_))
    await asyncio.sleep(OUTAGE_MESSAGES * OUTAGE_SPACING_S / 5)
    redis.signal(signal.SIGTERM)
    stopped = await asyncio.get_running_loop().run_in_executor(None, redis.wait, 10)
    checks.check(stopped is not None, "redis-server stopped on SIGTERM, messages in flight")
    redis.kill(dump=False)  # reaps it, forgets it
    down_at = time.monotonic()
    await talkers
    await until(lambda: all(len(c.got("outage", s.name)) >= OUTAGE_MESSAGES
                            for pair in direct for c in pair for s in pair), h.slow(10))
    await asyncio.sleep(SETTLE_S)
    checks.info(f"Redis down for {time.monotonic() - down_at:.1f} s while "
                f"{len(locals_)} clients sent {OUTAGE_MESSAGES} messages each")

    for i, pair in enumerate(direct):
        for c in pair:
            for s in pair:
                got = [n for _, n in c.got("outage", s.name)]
                sent = sorted(n for n, p in s.phase_of.items() if p == "outage")
                checks.check(got == sent,
                             f"outage: instance {i}: {c.name} got all {OUTAGE_MESSAGES} of "
                             f"{s.name}'s messages once, in order",
                             f"got {len(got)}")
                latency = max((t - s.sent_at[n] for p, snd, n, t in c.received
                               if p == "outage" and snd == s.name), default=99)
                checks.check(latency < LOCAL_LATENCY_BOUND_S,
                             f"outage: instance {i}: {s.name} -> {c.name} within "
                             f"{LOCAL_LATENCY_BOUND_S:g} s (slowest {latency * 1000:.0f} ms)")
    by_name = {c.name: c for c in everyone}

    def sent_while_down(sender, n):
        return by_name[sender].sent_at[n] > down_at

    crossed = [(i, snd, n) for i, pair in enumerate(direct) for c in pair
               for p, snd, n, _ in c.received if p == "outage" and not snd.startswith(f"d{i}")]
    late = [x for x in crossed if sent_while_down(x[1], x[2])]
    checks.info(f"outage: {len(crossed)} deliveries crossed instances before Redis stopped")
    checks.check(not late, "outage: nothing sent after Redis stopped crossed between instances",
                 f"{late[:5]}")

    # So the outage tells where nginx put each proxied client: it heard the
    # outage messages of its own instance only.
    proxied = [c for c in everyone if c.instance is None]
    for c in proxied:
        heard = {i for i in range(INSTANCES)
                 if any(sent_while_down(s, n) for s, n in c.got("outage", direct[i][0].name))}
        checks.check(len(heard) == 1, f"outage: {c.name} (through nginx) heard exactly one "
                     f"instance's clients", f"heard {sorted(heard)}")
        if len(heard) == 1:
            c.instance = heard.pop()
    spread = {c.instance for c in proxied}
    checks.check(len(spread) >= 2, f"nginx spread {len(proxied)} connections over more than one "
                 f"instance (instances {sorted(spread, key=str)})")

    for i, s in enumerate(servers):
        # Redis was up before the servers started: every such line is this outage's.
        down = [l for l in s.stderr_lines if "unavailable" in l]
        checks.check(1 <= len(down) <= 2,
                     f"outage: instance {i} logged the outage once per Redis connection, not per "
                     f"message or retry ({len(down)} lines)", "\n".join(down[:6]))
        checks.check(s.alive(), f"outage: instance {i} still running")


async def flood(checks, direct, everyone, servers):
    """Still without Redis, one client sends more than the publish backlog
    holds: its neighbours get all of it, the instance drops the excess for
    the others and says so once."""
    sender, neighbour = direct[0]
    for _ in range(FLOOD_MESSAGES):
        await sender.send("flood", binary=True)
        await asyncio.sleep(0.005)
    await until(lambda: all(len(c.got("flood")) >= FLOOD_MESSAGES for c in direct[0]), h.slow(20))
    for c in direct[0]:
        got = [n for _, n in c.got("flood", sender.name)]
        sent = sorted(n for n, p in sender.phase_of.items() if p == "flood")
        checks.check(got == sent, f"flood: {c.name} got all {FLOOD_MESSAGES} of "
                     f"{sender.name}'s {FLOOD_BYTES // 1024} KiB messages, in order",
                     f"got {len(got)}")
    full = [l for l in servers[0].stderr_lines if "backlog full" in l]
    checks.check(len(full) == 1, "flood: instance 0 logged the full publish backlog once, "
                 f"not per dropped message ({len(full)} lines)", "\n".join(full[:3]))
    checks.check(servers[0].alive(), "flood: instance 0 still running")


DROPPED_RE = re.compile(r"(\d+) messages were dropped while the backlog was full")


def check_flood_aftermath(checks, direct, everyone, servers):
    remote = [c for c in everyone if c.instance != 0]
    most = max(len(c.got("flood", direct[0][0].name)) for c in remote)
    checks.info(f"flood: the most any client elsewhere got from the backlog: {most} of "
                f"{FLOOD_MESSAGES}")
    checks.check(most < FLOOD_MESSAGES, "flood: the backlog was bounded (the excess was dropped, "
                 "not queued)")
    dropped = [m for m in map(DROPPED_RE.search, servers[0].stderr_lines) if m]
    # One summary when Redis is back; a second one is right too when the
    # flood is still arriving as the backlog drains (seen under valgrind).
    # What must not happen is a line per dropped message.
    total = sum(int(m.group(1)) for m in dropped)
    checks.check(1 <= len(dropped) <= 2 and len(dropped) < max(total, 2),
                 "flood: instance 0 counted the dropped messages in a summary once Redis was back, "
                 "not one line per message", f"{len(dropped)} lines for {total} messages")
    if dropped:
        kept = FLOOD_MESSAGES - int(dropped[0].group(1))
        checks.check(0.9 * BACKLOG_BYTES <= kept * FLOOD_BYTES <= BACKLOG_BYTES,
                     f"flood: the backlog kept {kept} of {FLOOD_MESSAGES} messages, what fits in "
                     f"its {BACKLOG_BYTES} bytes")


BAD_URLS = [
    ("http://127.0.0.1:6379/x", "redis://"),
    ("redis://", "host"),
    ("redis://:6379/x", "host"),
    ("redis://127.0.0.1:0/x", "port"),
    ("redis://127.0.0.1:65536/x", "port"),
    ("redis://127.0.0.1:63a9/x", "port"),
    ("redis://:p%zz@127.0.0.1/x", "%-escape"),
    ("redis://:p%0@127.0.0.1/x", "%-escape"),
    ("redis://:%00@127.0.0.1/x", "%-escape"),
    ("redis://user:@127.0.0.1/x", "empty password"),
    ("redis://:" + "p" * 300 + "@127.0.0.1/x", "password"),
    ("redis://127.0.0.1/x?db=1", "query"),
    ("redis://[::1:6379/x", "IPv6"),
    ("redis://127.0.0.1/a b", "channel"),
    ("redis://127.0.0.1/a/b", "channel"),
    ("redis://127.0.0.1/" + "c" * 300, "channel"),
]

GOOD_URLS = [
    # URL, what the instance says it uses
    ("redis://localhost", "channel wsframe-chat on localhost:6379"),
    ("redis://127.0.0.1:1/room-1", "channel room-1 on 127.0.0.1:1"),
    ("redis://[::1]:2/", "channel wsframe-chat on ::1:2"),
    ("redis://u%3Ase:p%40ss@127.0.0.1:3/room-2", "channel room-2 on 127.0.0.1:3"),
    ("redis://p@ss@127.0.0.1:4", "channel wsframe-chat on 127.0.0.1:4"),
]


def check_cli(checks, chat_server):
    """A bad --redis URL is refused before the server starts, with a
    sentence saying what is wrong; good ones are read right (and an
    unreachable Redis does not stop the server from starting)."""
    for url, word in BAD_URLS:
        r = subprocess.run(h.wrap_argv([chat_server, "--port", "0", "--host", h.HOST, "--redis", url]),
                           capture_output=True, text=True, timeout=h.slow(10))
        h.record_exit(f"chat_server --redis {url[:40]}", r.returncode)
        checks.check(r.returncode == 2 and "--redis" in r.stderr and word in r.stderr,
                     f"--redis {url[:40]} exits 2 and says why ({word})",
                     f"exit {r.returncode}, stderr {r.stderr!r}")
    for url, said in GOOD_URLS:
        s = h.Server(chat_server, "--redis", url, name="chat-url")
        seen = s.wait_stderr(lambda lines: any(said in l for l in lines), 5)
        checks.check(seen, f"--redis {url}: starts and uses {said}",
                     "\n".join(s.stderr_lines))
        s.signal(signal.SIGTERM)
        checks.check(s.wait(h.slow(10)) == 0,
                     f"--redis {url}: exits 0 on SIGTERM with Redis unreachable")
        s.kill(dump=False)


# ------------------------------------------------------------------ main

async def scenario(checks, chat_server, redis_bin, nginx_bin, tmp):
    redis_port = h.free_port()
    redis = start_redis(redis_bin, redis_port, tmp)
    channel = f"scaling-{os.getpid()}"
    url = f"redis://{h.HOST}:{redis_port}/{channel}"
    servers = [h.Server(chat_server, "--redis", url, "--ping-interval", "0", name=f"chat{i}")
               for i in range(INSTANCES)]
    nginx, nginx_port = start_nginx(nginx_bin, tmp, [s.port for s in servers])

    direct = [[Client(f"d{i}{k}", s.url("/"), i) for k in "ab"] for i, s in enumerate(servers)]
    proxied = [Client(f"n{k}", f"ws://{h.HOST}:{nginx_port}/", None) for k in range(3)]
    everyone = [c for pair in direct for c in pair] + proxied
    for c in everyone:
        await c.open()
    checks.check(True, f"{len(everyone)} clients connected, {len(proxied)} of them through nginx")

    took = await probe_all(direct, everyone, "probe1", h.slow(20))
    checks.check(took is not None, "every instance hears every other one through Redis",
                 "probes never got across")
    if took is None:
        return
    checks.info(f"cross-instance delivery up {took:.2f} s after the first probe")

    await exchange(checks, everyone, "round1", ROUND_MESSAGES)

    await outage(checks, direct, everyone, redis, servers)
    await flood(checks, direct, everyone, servers)

    restarted = start_redis(redis_bin, redis_port, tmp)
    took = await probe_all(direct, everyone, "probe2", RECOVERY_BOUND_S)
    checks.check(took is not None,
                 f"cross-instance delivery is back within {RECOVERY_BOUND_S:g} s of Redis restarting"
                 + (f" ({took:.2f} s)" if took is not None else ""))
    if took is None:
        return

    await exchange(checks, everyone, "round2", ROUND_MESSAGES)
    check_whole_run(checks, everyone)
    check_flood_aftermath(checks, direct, everyone, servers)

    for i, s in enumerate(servers):
        back = [l for l in s.stderr_lines if "back on" in l]
        checks.check(len(back) == 2, f"instance {i} logged both connections coming back",
                     "\n".join(back))
    for c in everyone:
        await c.ws.close()
    # A clean exit frees the bus with its connections up (and lets the
    # sanitizers' leak check run in a WS_SANITIZE build).
    for i, s in enumerate(servers):
        s.signal(signal.SIGTERM)
        rc = s.wait(h.slow(15))
        checks.check(rc == 0, f"instance {i} exits 0 on SIGTERM", f"exit {rc}")
    restarted.signal(signal.SIGTERM)
    nginx.signal(signal.SIGQUIT)


def body(checks):
    chat_server, redis_bin, nginx_bin = sys.argv[1:4]
    check_cli(checks, chat_server)
    run_scenario(checks, "ws-scaling-", scenario, chat_server, redis_bin, nginx_bin)


if __name__ == "__main__":
    h.run_main("interop_scaling", body)
