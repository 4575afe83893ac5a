"""chat_server --redis with a HOST that is a name, on a slow DNS.

usage: redis_dns.py CHAT_SERVER REDIS_SERVER SLOW_DNS_SO

SLOW_DNS_SO (slow_dns.c), preloaded into the instances under test only,
makes every lookup of *.slow.test take 2.5 s and answer 127.0.0.1, and every
lookup of *.gone.test take 2.5 s and fail. A lookup must delay the Redis
connection, never the instance's own clients:

  1. an instance given redis.slow.test starts listening at once, and its
     clients' round trips stay under 0.5 s while its first lookups run;
  2. it then joins the room of an instance given 127.0.0.1, both ways;
  3. Redis restarts: the instance looks the name up again before it
     reconnects (a moved Redis is found), its clients' round trips stay
     under 0.5 s meanwhile, and it rejoins the room;
  4. a name that does not resolve is logged once per connection with the
     reason, and the instance serves its clients;
  5. every instance exits 0 on SIGTERM, promptly, a lookup in flight or not.

Before lookups left the loop, step 1 waited 5 s for the two connections'
lookups and each retry in step 3 froze every client for 2.5 s.
"""

import asyncio
import os
import signal
import sys
import time

import scaling as sc
import wsharness as h
from redis_auth import Client, heard_within, lines_with

DNS_MS = 2500
ROUND_TRIP_BOUND_S = h.slow(0.5)
JOIN_BOUND_S = h.slow(15.0)  # backoff up to 5 s (+25%), a 2.5 s lookup, slack


def start_with_slow_dns(chat_server, so, *args, name):
    """An instance with slow_dns.so preloaded (and only it: not Redis, not
    the other instances)."""
    saved = dict(os.environ)
    os.environ["LD_PRELOAD"] = so
    os.environ["WS_SLOW_DNS_MS"] = str(DNS_MS)
    # A sanitized build's runtime wants to be the first library; the shim
    # is not instrumented and needs nothing from it.
    os.environ["ASAN_OPTIONS"] = ":".join(filter(None, [saved.get("ASAN_OPTIONS"),
                                                        "verify_asan_link_order=0"]))
    try:
        return h.Server(chat_server, *args, "--ping-interval", "0", name=name)
    finally:
        os.environ.clear()
        os.environ.update(saved)


async def round_trips(client, seconds, tag):
    """Send and hear back messages for `seconds`; the slowest round trip
    (a message not heard within 3 s counts as 3 s and ends the probe)."""
    worst = 0.0
    n = 0
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        text = f"{tag}-{n}"
        n += 1
        start = time.monotonic()
        await client.ws.send(text)
        while not client.heard(text) and time.monotonic() - start < 3.0:
            await asyncio.sleep(0.005)
        worst = max(worst, time.monotonic() - start)
        if worst >= 3.0:
            break
        await asyncio.sleep(0.05)
    return worst


def lookups(server, name):
    return len([l for l in server.stderr_lines if l.strip() == f"slow_dns: {name}"])


async def scenario(checks, chat_server, redis_bin, so, tmp):
    port = h.free_port()
    redis = sc.start_redis(redis_bin, port, tmp)
    channel = f"dns-{os.getpid()}"

    started = time.monotonic()
    a = start_with_slow_dns(chat_server, so, "--redis", f"redis://redis.slow.test:{port}/{channel}",
                            name="chat-slow-dns")
    took = time.monotonic() - started
    checks.check(took < h.slow(1.5),
                 f"the instance listens at once, its lookups still running ({took:.2f} s)",
                 "\n".join(a.stderr_lines))
    ca = Client("a", a)
    await ca.open()
    worst = await round_trips(ca, DNS_MS / 1000 * 0.8, "first-lookup")
    checks.check(worst < ROUND_TRIP_BOUND_S,
                 f"clients are served while the first lookups run (slowest round trip "
                 f"{worst * 1000:.0f} ms)")

    b = h.Server(chat_server, "--redis", f"redis://{h.HOST}:{port}/{channel}",
                 "--ping-interval", "0", name="chat-by-address")
    cb = Client("b", b)
    await cb.open()
    took = await heard_within(ca, [cb], "a-to-b", JOIN_BOUND_S)
    checks.check(took is not None, "once looked up, the instance joins the room (a -> b)",
                 "\n".join(a.stderr_lines))
    took = await heard_within(cb, [ca], "b-to-a", h.slow(5))
    checks.check(took is not None, "and hears it (b -> a)")
    checks.check(lookups(a, "redis.slow.test") == 2, "one lookup per connection at start",
                 "\n".join(a.stderr_lines))

    # Redis goes away and comes back on the same port.
    redis.signal(signal.SIGTERM)
    redis.wait(h.slow(10))
    worst = await round_trips(ca, 6.0, "outage")
    checks.check(worst < ROUND_TRIP_BOUND_S,
                 f"clients are served while the instance looks the name up again to "
                 f"reconnect (slowest round trip {worst * 1000:.0f} ms over 6 s)",
                 "\n".join(a.stderr_lines))
    checks.check(lookups(a, "redis.slow.test") > 2,
                 "the name is looked up again after the connection dropped",
                 "\n".join(a.stderr_lines))
    redis = sc.start_redis(redis_bin, port, tmp)
    took = await heard_within(ca, [cb], "rejoin", JOIN_BOUND_S)
    checks.check(took is not None, "the instance rejoins the room after Redis restarts"
                 + (f" ({took:.2f} s)" if took is not None else ""),
                 "\n".join(a.stderr_lines))

    # A name that never resolves.
    c = start_with_slow_dns(chat_server, so, "--redis", f"redis://redis.gone.test:{port}/{channel}",
                            name="chat-no-such-name")
    cc = Client("c", c)
    await cc.open()
    worst = await round_trips(cc, DNS_MS / 1000 + 1.0, "unresolved")
    checks.check(worst < ROUND_TRIP_BOUND_S,
                 f"an instance whose Redis name does not resolve serves its clients "
                 f"(slowest round trip {worst * 1000:.0f} ms)")
    await sc.until(lambda: len(lines_with(c, "unavailable")) >= 2, h.slow(3))
    failed = lines_with(c, "unavailable")
    checks.check(len(failed) == 2 and all("name lookup failed" in l for l in failed),
                 "the failed lookup is logged once per connection, with the reason",
                 "\n".join(c.stderr_lines))
    await asyncio.sleep(h.slow(1.0))
    checks.check(not ca.heard("unresolved-0") and not cb.heard("unresolved-0"),
                 "nothing of it crosses")

    for cl in (ca, cb, cc):
        await cl.ws.close()
    # c is most likely inside a 2.5 s lookup now: exiting must not wait it out
    # (chat_server gives a lookup under way 1 s to end, for a clean exit).
    for s in (c, a, b):
        s.signal(signal.SIGTERM)
        started = time.monotonic()
        rc = s.wait(h.slow(15))
        took = time.monotonic() - started
        checks.check(rc == 0 and took < h.slow(2.0),
                     f"{s.name} exits 0 on SIGTERM within {h.slow(2.0):g} s ({took:.2f} s)",
                     f"exit {rc}\n" + "\n".join(list(s.stderr_lines)[-20:]))
    redis.signal(signal.SIGTERM)


def body(checks):
    chat_server, redis_bin, so = sys.argv[1:4]
    # Without the shim the lookups of *.slow.test would go to a real DNS
    # server, which no test may reach.
    if not os.path.isfile(so):
        raise RuntimeError(f"{so} is missing: not starting instances that would look up "
                           "names for real")
    sc.run_scenario(checks, "ws-redis-dns-", scenario, chat_server, redis_bin, so)


if __name__ == "__main__":
    h.run_main("interop_redis_dns", body)
