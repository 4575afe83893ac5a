/*
 * The Redis fan-out: an adapter that lets hiredis's async API run on
 * loop.h, two connections (subscriber, publisher) that reconnect on their
 * own, and a bounded publish backlog.
 */
#include "redis_bus.h"

#include <errno.h>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "net.h"
#include "resolve.h"

#define BUS_MAGIC "wsc1"
#define BUS_MAGIC_LEN 4
#define BUS_ID_LEN 8
#define BUS_HEADER_LEN (BUS_MAGIC_LEN + BUS_ID_LEN + 1)

#define BACKOFF_FIRST_MS 100u
#define BACKOFF_MAX_MS 5000u
/* A connect (or a SUBSCRIBE) that takes longer than this is abandoned and
 * retried: a Redis host that vanished from the network answers nothing,
 * and the kernel would wait minutes before giving up on it. */
#define CONNECT_TIMEOUT_MS 3000u
#define DEFAULT_MAX_QUEUED (8u * 1024u * 1024u)
/* How long a stopping server waits for a lookup of the Redis host under
 * way: a local one takes milliseconds (a second under valgrind on a busy
 * machine), a DNS server that does not answer 5 s per try, which SIGTERM
 * must not wait out. */
#define RESOLVE_EXIT_WAIT_MS 1000u
/* Addresses of one lookup tried in turn before an attempt counts as failed. */
#define MAX_ADDRS 8

/* One connection to Redis and its life cycle:
 *   down (ac NULL, timer = backoff) -> [resolving (a HOST that is a name:
 *   looked up on another thread, see resolve.h; no timer)] -> connecting to
 *   each address in turn (ac set, timer = deadline)
 *   -> ready (Redis answered: PING for the publisher, SUBSCRIBE for the
 *      subscriber; a TCP connect alone may be to something else)
 *   -> down again when hiredis frees the context (error, EOF, our timeout,
 *      an error reply). */
typedef struct bus_link {
    redis_bus *bus;
    const char *role; /* "subscriber" or "publisher", for logs */
    redisAsyncContext *ac;
    loop_io io;
    loop_timer timer;
    bool ready;
    bool outage_reported; /* one log line per outage (and cause), not one per retry */
    char reported_why[160]; /* the cause last logged for this outage */
    bool why_answered;      /* the cause at hand is Redis's own answer (link_refused) */
    bool auth_unneeded_reported;
    char why[160];        /* why we dropped the connection ourselves */
    resolve_req *resolving;
    /* The numeric addresses of the last lookup; next_addr is the one to try
     * next, num_addrs when a new lookup is due. */
    char addrs[MAX_ADDRS][INET6_ADDRSTRLEN];
    size_t num_addrs, next_addr;
    uint64_t down_since_ms, ready_since_ms;
    unsigned backoff_ms;
} bus_link;

/* A message waiting to be published or waiting for Redis's reply. */
typedef struct bus_msg {
    struct bus_msg *next;
    size_t len;
    uint8_t data[]; /* BUS_HEADER_LEN + payload */
} bus_msg;

struct redis_bus {
    loop *loop;
    redis_bus_url url;
    size_t channel_len;
    uint8_t id[BUS_ID_LEN];
    char id_hex[2 * BUS_ID_LEN + 1];
    redis_bus_fn on_message;
    void *arg;
    size_t max_message;
    bool closing;
    uint64_t jitter_state;

    bus_link sub, pub;

    /* Publish backlog, oldest first: [head, unsent) are written to Redis and
     * wait for its reply (hiredis answers in order), [unsent, end) wait for
     * the publisher connection. All of it counts against max_queued. */
    bus_msg *head, *tail, *unsent;
    size_t queued_bytes, max_queued;
    uint64_t dropped_full;  /* refused since the backlog filled up */
    uint64_t lost_inflight; /* written, then the connection died unanswered */
    bool bad_input_reported;
    bool publish_error_reported;
};

static void link_connect(bus_link *k);

/* ---------------------------------------------------------------- helpers */

static uint64_t now_ms(const redis_bus *b) { return loop_now_ms(b->loop); }

/* Up to a quarter more: instances that lost Redis together should not all
 * knock at the same millisecond when it returns. */
static unsigned with_jitter(redis_bus *b, unsigned ms)
{
    uint64_t x = b->jitter_state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    b->jitter_state = x;
    return ms + (unsigned)(x % (ms / 4u + 1u));
}

static void pick_instance_id(redis_bus *b)
{
    size_t got = 0;
    while (got < sizeof b->id) {
        ssize_t n = getrandom(b->id + got, sizeof b->id - got, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    if (got < sizeof b->id) {
        /* Without the kernel's randomness, time and pid still tell
         * instances apart; only the two being equal would matter. */
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        uint64_t mix = ((uint64_t)ts.tv_nsec << 32) ^ (uint64_t)ts.tv_sec ^ ((uint64_t)getpid() << 16);
        memcpy(b->id, &mix, sizeof b->id);
    }
    for (size_t i = 0; i < sizeof b->id; i++)
        snprintf(b->id_hex + 2 * i, 3, "%02x", b->id[i]);
    memcpy(&b->jitter_state, b->id, sizeof b->jitter_state);
    b->jitter_state |= 1u; /* xorshift must not start at 0 */
}

/* ---------------------------------------------------------------- the URL */

/* Percent-decode src[0, len) into dst, cap bytes with the NUL. */
static bool decode_credential(const char *src, size_t len, char *dst, size_t cap, const char *what,
                              char *err, size_t err_cap)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned ch = (unsigned char)src[i];
        if (ch == '%') {
            int decoded = net_pct_decoded(src, len, i);
            if (decoded <= 0) {
                snprintf(err, err_cap, "the %s in the Redis URL has a bad %%-escape (a %% takes "
                                       "two hex digits; %%00 is refused)", what);
                return false;
            }
            ch = (unsigned)decoded;
            i += 2;
        }
        if (n + 1 >= cap) {
            snprintf(err, err_cap, "the %s in the Redis URL is longer than %zu bytes", what, cap - 1);
            return false;
        }
        dst[n++] = (char)ch;
    }
    dst[n] = '\0';
    return true;
}

bool redis_bus_parse_url(const char *url, redis_bus_url *out, char *err, size_t err_cap)
{
    static const char scheme[] = "redis://";
    memset(out, 0, sizeof *out);
    if (strncmp(url, scheme, sizeof scheme - 1) != 0) {
        snprintf(err, err_cap, "a Redis URL starts with redis:// (redis://HOST:PORT/CHANNEL)");
        return false;
    }
    const char *p = url + sizeof scheme - 1;
    const char *end_of_authority = p + strcspn(p, "/?#");
    /* The last '@': an unescaped one in a password still parses. */
    const char *at = NULL;
    for (const char *q = p; q < end_of_authority; q++)
        if (*q == '@')
            at = q;
    if (at) {
        const char *colon = memchr(p, ':', (size_t)(at - p));
        const char *pass = colon ? colon + 1 : p;
        if ((colon && !decode_credential(p, (size_t)(colon - p), out->user, sizeof out->user,
                                         "user name", err, err_cap)) ||
            !decode_credential(pass, (size_t)(at - pass), out->password, sizeof out->password,
                               "password", err, err_cap))
            return false;
        if (out->password[0] == '\0') {
            snprintf(err, err_cap, "the Redis URL has credentials but an empty password "
                                   "(redis://:PASSWORD@HOST or redis://USER:PASSWORD@HOST)");
            return false;
        }
        p = at + 1;
    }
    if (strpbrk(p, "?#")) {
        snprintf(err, err_cap, "a query or fragment in the Redis URL is not supported");
        return false;
    }

    const char *host_start = p, *host_end;
    if (*p == '[') {
        host_start = p + 1;
        host_end = strchr(host_start, ']');
        if (!host_end || host_end > end_of_authority) {
            snprintf(err, err_cap, "unterminated [IPv6 address] in the Redis URL");
            return false;
        }
        p = host_end + 1;
    } else {
        host_end = host_start + strcspn(host_start, ":/");
        p = host_end;
    }
    size_t host_len = (size_t)(host_end - host_start);
    if (host_len == 0 || host_len >= REDIS_BUS_HOST_MAX) {
        snprintf(err, err_cap, "the Redis URL needs a host of 1 to %d characters",
                 REDIS_BUS_HOST_MAX - 1);
        return false;
    }
    memcpy(out->host, host_start, host_len);
    out->host[host_len] = '\0';

    out->port = REDIS_BUS_DEFAULT_PORT;
    if (*p == ':') {
        p++;
        unsigned long v = 0;
        const char *digits = p;
        while (*p >= '0' && *p <= '9' && v <= 65535)
            v = v * 10 + (unsigned long)(*p++ - '0');
        if (p == digits || v == 0 || v > 65535 || (*p != '\0' && *p != '/')) {
            snprintf(err, err_cap, "the port in the Redis URL must be a number from 1 to 65535");
            return false;
        }
        out->port = (uint16_t)v;
    } else if (*p != '\0' && *p != '/') {
        snprintf(err, err_cap, "unexpected '%c' after the host in the Redis URL", *p);
        return false;
    }

    const char *name = REDIS_BUS_DEFAULT_CHANNEL;
    if (*p == '/' && p[1] != '\0')
        name = p + 1;
    size_t name_len = strlen(name);
    if (name_len >= REDIS_BUS_CHANNEL_MAX) {
        snprintf(err, err_cap, "the channel name in the Redis URL is longer than %d bytes",
                 REDIS_BUS_CHANNEL_MAX - 1);
        return false;
    }
    for (size_t i = 0; i < name_len; i++) {
        unsigned char ch = (unsigned char)name[i];
        if (ch <= ' ' || ch == 0x7f || ch == '/') {
            snprintf(err, err_cap, "the channel name in the Redis URL may not contain spaces, "
                                   "slashes or control characters");
            return false;
        }
    }
    memcpy(out->channel, name, name_len + 1);
    return true;
}

/* ---------------------------------------------------------------- adapter */

/* hiredis says which directions it wants to hear about; loop.h watches
 * exactly those. The hooks must be idempotent, and loop_io_set is. */

static void link_watch(bus_link *k, unsigned interest)
{
    if (loop_io_set(&k->io, interest) < 0)
        log_msg("redis", "%s: cannot watch the connection: %s", k->role, strerror(errno));
}

static void ev_add_read(void *privdata)
{
    bus_link *k = privdata;
    link_watch(k, loop_io_interest(&k->io) | LOOP_READ);
}

static void ev_del_read(void *privdata)
{
    bus_link *k = privdata;
    link_watch(k, loop_io_interest(&k->io) & ~LOOP_READ);
}

static void ev_add_write(void *privdata)
{
    bus_link *k = privdata;
    link_watch(k, loop_io_interest(&k->io) | LOOP_WRITE);
}

static void ev_del_write(void *privdata)
{
    bus_link *k = privdata;
    link_watch(k, loop_io_interest(&k->io) & ~LOOP_WRITE);
}

static void link_lost(bus_link *k, const char *why, bool was_ready);

/* hiredis is about to free the context (connect failure, I/O error, EOF,
 * or redisAsyncFree): the one place where a link goes down, whatever the
 * cause. hiredis closes the fd itself. May be called more than once. */
static void ev_cleanup(void *privdata)
{
    bus_link *k = privdata;
    redisAsyncContext *ac = k->ac;
    if (!ac)
        return;
    loop_io_stop(&k->io);
    loop_timer_stop(&k->timer);
    bool was_ready = k->ready;
    k->ac = NULL;
    k->ready = false;
    char why[sizeof k->why];
    snprintf(why, sizeof why, "%s",
             k->why[0] ? k->why : ac->err ? ac->errstr : "connection closed");
    k->why[0] = '\0';
    link_lost(k, why, was_ready);
}

/* Give up on this connection for a reason hiredis does not know about.
 * Safe inside a hiredis callback: hiredis frees after it returns. */
static void link_fail(bus_link *k, const char *why)
{
    snprintf(k->why, sizeof k->why, "%s", why);
    redisAsyncFree(k->ac);
}

/* Redis said no (NOAUTH, a renamed command...): drop the connection with
 * its words, and retry with backoff like any outage. */
static void link_refused(bus_link *k, const char *command, const redisReply *r)
{
    char why[sizeof k->why];
    snprintf(why, sizeof why, "%s answered: %.*s", command, (int)r->len, r->str);
    k->why_answered = true;
    link_fail(k, why);
}

static void on_readable(loop_io *io, void *arg)
{
    (void)io;
    bus_link *k = arg;
    if (k->ac)
        redisAsyncHandleRead(k->ac);
}

static void on_writable(loop_io *io, void *arg)
{
    (void)io;
    bus_link *k = arg;
    if (k->ac)
        redisAsyncHandleWrite(k->ac);
}

/* ---------------------------------------------------------------- link states */

static void link_lost(bus_link *k, const char *why, bool was_ready)
{
    redis_bus *b = k->bus;
    bool answered = k->why_answered;
    k->why_answered = false;
    if (b->closing)
        return;
    if (!was_ready && k->next_addr < k->num_addrs) {
        /* The next address of the same name, at once (from the loop, not
         * from inside hiredis, which is freeing the context). */
        loop_timer_start(&k->timer, 0);
        return;
    }
    k->num_addrs = k->next_addr = 0; /* look the name up again next time */
    /* Start over at 100 ms only after a stable connection: a Redis that
     * accepts and then drops us at once (crash loop, client limit) is
     * retried ever more slowly, like one that refuses. */
    if (was_ready && now_ms(b) - k->ready_since_ms >= BACKOFF_MAX_MS)
        k->backoff_ms = BACKOFF_FIRST_MS;
    if (!k->outage_reported) {
        k->outage_reported = true;
        k->down_since_ms = now_ms(b);
        log_msg("redis", "%s: %s:%u unavailable (%s); local delivery goes on, retrying "
                "with backoff from %u ms up to %u s",
                k->role, b->url.host, (unsigned)b->url.port, why, BACKOFF_FIRST_MS, BACKOFF_MAX_MS / 1000u);
        snprintf(k->reported_why, sizeof k->reported_why, "%s", why);
    } else if (answered && strncmp(why, k->reported_why, sizeof k->reported_why - 1) != 0) {
        /* Redis back, but saying no (another password): the operator must
         * see its words, not the first cause forever. A closed connection
         * turning into a refused one is just the outage going on. */
        log_msg("redis", "%s: %s:%u still unavailable, now: %s", k->role, b->url.host,
                (unsigned)b->url.port, why);
        snprintf(k->reported_why, sizeof k->reported_why, "%s", why);
    }
    loop_timer_start(&k->timer, with_jitter(b, k->backoff_ms));
    k->backoff_ms = k->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : k->backoff_ms * 2;
}

static void report_drops(redis_bus *b)
{
    if (b->dropped_full)
        log_msg("redis", "publisher: %llu messages were dropped while the backlog was full",
                (unsigned long long)b->dropped_full);
    if (b->lost_inflight)
        log_msg("redis", "publisher: %llu messages were in flight when the connection dropped; "
                "other instances may have missed them",
                (unsigned long long)b->lost_inflight);
    b->dropped_full = 0;
    b->lost_inflight = 0;
}

static void link_ready(bus_link *k)
{
    redis_bus *b = k->bus;
    loop_timer_stop(&k->timer);
    k->ready = true;
    k->ready_since_ms = now_ms(b);
    if (k->outage_reported) {
        uint64_t ms = now_ms(b) - k->down_since_ms;
        log_msg("redis", "%s: back on %s:%u after %llu.%03llu s", k->role, b->url.host,
                (unsigned)b->url.port, (unsigned long long)(ms / 1000u),
                (unsigned long long)(ms % 1000u));
        k->outage_reported = false;
    } else {
        log_msg("redis", "%s: connected to %s:%u, channel %s", k->role, b->url.host, (unsigned)b->url.port,
                b->url.channel);
    }
}

/* The backoff expired (reconnect) or the attempt took too long (give up on
 * it; freeing the context comes back through ev_cleanup). */
static void on_link_timer(loop_timer *t, void *arg)
{
    (void)t;
    bus_link *k = arg;
    if (k->ac) {
        link_fail(k, "no answer within 3 s");
    } else {
        link_connect(k);
    }
}

/* ---------------------------------------------------------------- publishing */

static void pump(redis_bus *b);

/* Redis answered the oldest PUBLISH written, or hiredis is failing it
 * (reply NULL) because the connection is gone. */
static void on_published(redisAsyncContext *ac, void *reply, void *privdata)
{
    (void)ac;
    redis_bus *b = privdata;
    bus_msg *m = b->head;
    if (!m || m == b->unsent)
        return; /* cannot happen: one callback per message written */
    b->head = m->next;
    if (!b->head)
        b->tail = NULL;
    b->queued_bytes -= m->len;
    free(m);

    redisReply *r = reply;
    if (!r) {
        /* The connection died with this one unanswered: Redis may or may
         * not have delivered it. Sending it again could deliver it twice. */
        b->lost_inflight++;
        b->pub.ready = false;
        return;
    }
    if (r->type == REDIS_REPLY_ERROR && !b->publish_error_reported) {
        b->publish_error_reported = true;
        log_msg("redis", "publisher: PUBLISH failed: %.*s", (int)r->len, r->str);
    }
    if (b->dropped_full && b->queued_bytes <= b->max_queued / 2)
        report_drops(b);
}

static void pump(redis_bus *b)
{
    const char *argv[3] = {"PUBLISH", b->url.channel, NULL};
    size_t lens[3] = {7, b->channel_len, 0};
    while (b->pub.ready && b->unsent) {
        bus_msg *m = b->unsent;
        argv[2] = (const char *)m->data;
        lens[2] = m->len;
        if (redisAsyncCommandArgv(b->pub.ac, on_published, b, 3, argv, lens) != REDIS_OK)
            break; /* the connection is going down; ev_cleanup follows */
        b->unsent = m->next;
    }
}

void redis_bus_publish(redis_bus *b, ws_opcode opcode, const uint8_t *data, size_t len)
{
    size_t total = BUS_HEADER_LEN + len;
    bool fits = b->queued_bytes <= b->max_queued && total <= b->max_queued - b->queued_bytes;
    bus_msg *m = fits ? malloc(sizeof *m + total) : NULL;
    if (!m) {
        if (b->dropped_full++ == 0)
            log_msg("redis", "publisher: %s (%zu bytes waiting for Redis); dropping messages "
                    "for other instances until it drains",
                    fits ? "out of memory" : "backlog full", b->queued_bytes);
        return;
    }
    m->next = NULL;
    m->len = total;
    memcpy(m->data, BUS_MAGIC, BUS_MAGIC_LEN);
    memcpy(m->data + BUS_MAGIC_LEN, b->id, BUS_ID_LEN);
    m->data[BUS_MAGIC_LEN + BUS_ID_LEN] = opcode == WS_OP_TEXT ? 'T' : 'B';
    if (len)
        memcpy(m->data + BUS_HEADER_LEN, data, len);

    if (b->tail)
        b->tail->next = m;
    else
        b->head = m;
    b->tail = m;
    if (!b->unsent)
        b->unsent = m;
    b->queued_bytes += total;
    pump(b);
}

/* ---------------------------------------------------------------- subscribing */

static void bad_input(redis_bus *b, const char *why)
{
    /* Anyone can publish to the channel; one line, not a flood. */
    if (b->bad_input_reported)
        return;
    b->bad_input_reported = true;
    log_msg("redis", "subscriber: ignoring messages on %s that %s (reported once)", b->url.channel,
            why);
}

static void deliver(redis_bus *b, const uint8_t *data, size_t len)
{
    if (len < BUS_HEADER_LEN || memcmp(data, BUS_MAGIC, BUS_MAGIC_LEN) != 0) {
        bad_input(b, "are not from a chat_server");
        return;
    }
    if (memcmp(data + BUS_MAGIC_LEN, b->id, BUS_ID_LEN) == 0)
        return; /* our own, delivered locally when it was sent */
    uint8_t kind = data[BUS_MAGIC_LEN + BUS_ID_LEN];
    const uint8_t *payload = data + BUS_HEADER_LEN;
    size_t payload_len = len - BUS_HEADER_LEN;
    if (b->max_message && payload_len > b->max_message) {
        bad_input(b, "exceed --max-message");
        return;
    }
    if (kind == 'T') {
        if (ws_utf8_validate(payload, payload_len) != WS_OK) {
            bad_input(b, "are text but not UTF-8");
            return;
        }
        b->on_message(WS_OP_TEXT, payload, payload_len, b->arg);
    } else if (kind == 'B') {
        b->on_message(WS_OP_BINARY, payload, payload_len, b->arg);
    } else {
        bad_input(b, "have an unknown message kind");
    }
}

/* Every reply on the subscriber connection: the SUBSCRIBE confirmation,
 * then one ["message", channel, payload] per publication. NULL when the
 * connection is gone. */
static void on_subscriber_reply(redisAsyncContext *ac, void *reply, void *privdata)
{
    (void)ac;
    redis_bus *b = privdata;
    redisReply *r = reply;
    if (!r)
        return;
    if (r->type == REDIS_REPLY_ERROR) {
        link_refused(&b->sub, "SUBSCRIBE", r);
        return;
    }
    if (r->type != REDIS_REPLY_ARRAY || r->elements != 3 || r->element[0]->type != REDIS_REPLY_STRING)
        return;
    const redisReply *kind = r->element[0];
    if (kind->len == 7 && memcmp(kind->str, "message", 7) == 0) {
        if (r->element[2]->type == REDIS_REPLY_STRING)
            deliver(b, (const uint8_t *)r->element[2]->str, r->element[2]->len);
    } else if (kind->len == 9 && memcmp(kind->str, "subscribe", 9) == 0) {
        link_ready(&b->sub);
    }
}

/* ---------------------------------------------------------------- connecting */

/* The publisher's first answer: this is a Redis and it lets us in. */
static void on_pong(redisAsyncContext *ac, void *reply, void *privdata)
{
    (void)ac;
    redis_bus *b = privdata;
    redisReply *r = reply;
    if (!r)
        return; /* the connection is gone: ev_cleanup */
    if (r->type == REDIS_REPLY_ERROR) {
        link_refused(&b->pub, "PING", r);
        return;
    }
    link_ready(&b->pub);
    report_drops(b);
    pump(b);
}

/* The answer to AUTH, the first command on a connection that has
 * credentials. A refusal (WRONGPASS) is an outage like any other: logged
 * once with Redis's words, retried with backoff, so fixing Redis's side
 * needs no restart. A Redis with no password at all lets everyone in, as
 * redis-cli does in that case, we say so and go on. */
static void on_auth(redisAsyncContext *ac, void *reply, void *privdata)
{
    (void)ac;
    bus_link *k = privdata;
    redisReply *r = reply;
    if (!r || r->type != REDIS_REPLY_ERROR)
        return;
    if (r->str && strstr(r->str, "without any password configured")) {
        if (!k->auth_unneeded_reported)
            log_msg("redis", "%s: %s:%u has no password set, so the URL's is not needed (%.*s)",
                    k->role, k->bus->url.host, (unsigned)k->bus->url.port, (int)r->len, r->str);
        k->auth_unneeded_reported = true;
        return;
    }
    link_refused(k, "AUTH", r);
}

static void on_connected(const redisAsyncContext *ac, int status)
{
    bus_link *k = ac->data;
    if (status != REDIS_OK)
        return; /* hiredis frees the context next: ev_cleanup */
    /* A Redis that disappears without a FIN (a host gone from the network)
     * is noticed by TCP keepalive instead of never. */
    redisEnableKeepAlive(&k->ac->c);
    if (k == &k->bus->pub) {
        const char *argv[1] = {"PING"};
        size_t lens[1] = {4};
        redisAsyncCommandArgv(k->ac, on_pong, k->bus, 1, argv, lens);
    }
    /* The subscriber is ready when Redis confirms the SUBSCRIBE. */
}

/* Connect to one numeric address (no lookup: hiredis would call
 * getaddrinfo on the loop's thread). */
static void link_connect_to(bus_link *k, const char *addr)
{
    redis_bus *b = k->bus;
    redisAsyncContext *ac = redisAsyncConnect(addr, b->url.port);
    if (!ac || ac->err) {
        char why[128];
        snprintf(why, sizeof why, "%s", ac ? ac->errstr : "out of memory");
        if (ac)
            redisAsyncFree(ac); /* no hooks attached yet: nothing comes back */
        link_lost(k, why, false);
        return;
    }
    k->ac = ac;
    ac->data = k;
    ac->ev.data = k;
    ac->ev.addRead = ev_add_read;
    ac->ev.delRead = ev_del_read;
    ac->ev.addWrite = ev_add_write;
    ac->ev.delWrite = ev_del_write;
    ac->ev.cleanup = ev_cleanup;
    loop_io_init(&k->io, b->loop, ac->c.fd, on_readable, on_writable, k);
    redisAsyncSetConnectCallback(ac, on_connected);
    /* The connect completes (or fails) when the socket turns writable;
     * hiredis only asks for that once a command is queued. */
    ev_add_write(k);
    loop_timer_start(&k->timer, CONNECT_TIMEOUT_MS);

    /* Commands queue in hiredis until the connection is up and go out in
     * order: AUTH before anything else. */
    if (b->url.password[0]) {
        const bool acl_user = b->url.user[0] != '\0';
        const char *argv[3] = {"AUTH", acl_user ? b->url.user : b->url.password, b->url.password};
        size_t lens[3] = {4, strlen(argv[1]), strlen(b->url.password)};
        redisAsyncCommandArgv(ac, on_auth, k, acl_user ? 3 : 2, argv, lens);
    }
    if (k == &b->sub) {
        const char *argv[2] = {"SUBSCRIBE", b->url.channel};
        size_t lens[2] = {9, b->channel_len};
        /* Queued in hiredis until the connection is up. */
        redisAsyncCommandArgv(ac, on_subscriber_reply, b, 2, argv, lens);
    }
}

static void on_resolved(void *arg, const struct addrinfo *res, int gai_error, int errno_value)
{
    bus_link *k = arg;
    k->resolving = NULL;
    k->num_addrs = k->next_addr = 0;
    for (const struct addrinfo *ai = res; ai && k->num_addrs < MAX_ADDRS; ai = ai->ai_next) {
        if (getnameinfo(ai->ai_addr, ai->ai_addrlen, k->addrs[k->num_addrs],
                        sizeof k->addrs[0], NULL, 0, NI_NUMERICHOST) == 0)
            k->num_addrs++;
    }
    if (k->num_addrs == 0) {
        char why[160];
        snprintf(why, sizeof why, "name lookup failed: %s",
                 res ? "no usable address"
                 : gai_error == EAI_SYSTEM ? strerror(errno_value) : gai_strerror(gai_error));
        link_lost(k, why, false);
        return;
    }
    link_connect(k);
}

/* Connect to the next address of HOST: HOST itself when it is an address,
 * else the next one a lookup gave, looking the name up (off the loop)
 * when none is left. */
static void link_connect(bus_link *k)
{
    redis_bus *b = k->bus;
    if (net_is_address(b->url.host)) {
        link_connect_to(k, b->url.host);
        return;
    }
    if (k->next_addr < k->num_addrs) {
        link_connect_to(k, k->addrs[k->next_addr++]);
        return;
    }
    if (k->resolving)
        return;
    k->resolving = resolve_start(b->loop, b->url.host, b->url.port, on_resolved, k);
    if (!k->resolving) {
        char why[160];
        snprintf(why, sizeof why, "cannot start the name lookup: %s", strerror(errno));
        link_lost(k, why, false);
    }
}

/* ---------------------------------------------------------------- the bus */

static void link_init(redis_bus *b, bus_link *k, const char *role)
{
    k->bus = b;
    k->role = role;
    k->backoff_ms = BACKOFF_FIRST_MS;
    loop_timer_init(&k->timer, b->loop, on_link_timer, k);
}

redis_bus *redis_bus_new(loop *l, const redis_bus_options *o, char *err, size_t err_cap)
{
    redis_bus *b = calloc(1, sizeof *b);
    if (!b) {
        snprintf(err, err_cap, "out of memory");
        return NULL;
    }
    if (!redis_bus_parse_url(o->url, &b->url, err, err_cap)) {
        free(b);
        return NULL;
    }
    signal(SIGPIPE, SIG_IGN);
    b->loop = l;
    b->channel_len = strlen(b->url.channel);
    b->on_message = o->on_message;
    b->arg = o->arg;
    b->max_message = o->max_message;
    b->max_queued = o->max_queued_bytes ? o->max_queued_bytes : DEFAULT_MAX_QUEUED;
    pick_instance_id(b);
    link_init(b, &b->sub, "subscriber");
    link_init(b, &b->pub, "publisher");
    log_msg("redis", "instance %s, channel %s on %s:%u, publish backlog up to %zu bytes", b->id_hex,
            b->url.channel, b->url.host, (unsigned)b->url.port, b->max_queued);
    link_connect(&b->sub);
    link_connect(&b->pub);
    return b;
}

void redis_bus_free(redis_bus *b)
{
    if (!b)
        return;
    b->closing = true;
    bus_link *links[2] = {&b->sub, &b->pub};
    for (size_t i = 0; i < 2; i++) {
        loop_timer_stop(&links[i]->timer);
        resolve_cancel(links[i]->resolving);
        if (links[i]->ac)
            redisAsyncFree(links[i]->ac); /* fails pending PUBLISHes: on_published */
    }
    /* The bus goes when the server stops: let a lookup of the Redis host
     * that is under way finish, briefly, and the threads of answered ones
     * end, so the exit is clean. */
    if (!resolve_wait_idle(RESOLVE_EXIT_WAIT_MS))
        log_msg("redis", "the lookup of %s is still running after %u ms; not waiting for it",
                b->url.host, RESOLVE_EXIT_WAIT_MS);
    for (bus_msg *m = b->head, *next; m; m = next) {
        next = m->next;
        free(m);
    }
    explicit_bzero(b->url.password, sizeof b->url.password);
    free(b);
}
