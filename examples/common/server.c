/* The server connection module: accept, handshake, frames, send queues,
 * timers. See server.h for the design. */
#include "server.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#ifdef __linux__
#include <linux/sockios.h>
#endif

#include "buf.h"
#include "log.h"
#include "net.h"

/* Every read goes into one buffer of the server's (at least this big, and
 * at least the HTTP head limit): bigger reads are cheaper, not needed. */
#define SCRATCH_SIZE (64u * 1024u)
/* A message buffer bigger than this is freed after its message instead of
 * kept for the next, so one big message does not pin memory forever. */
#define MSG_KEEP (64u * 1024u)
/* Header fields parsed per request. */
#define MAX_HEADER_FIELDS 64u
/* Once the close is queued: how long the peer may take no byte of what is
 * still queued, and then how long to wait for its TCP close (draining its
 * input), before closing anyway. A peer that keeps reading gets all of
 * what was queued before the close, however long that takes. */
#define LINGER_MS 2000u
/* A client over max_queued_bytes that still drains its queue holds every
 * client's input (see conn_queue) as long as it takes its bytes at least
 * this often; one that takes nothing for this long is a slow consumer. */
#define CONGESTION_GRACE_MS 2000u
/* ... and one that drains, but so slowly that it holds everyone longer
 * than this in one go, is dropped too. */
#define CONGESTION_MAX_MS 10000u
/* How often held input looks for a congested client that stopped. */
#define CONGESTION_CHECK_MS 250u
/* Past max_queued_bytes times this, a client is dropped even if draining:
 * the bound on what the hold lets through while it takes effect. */
#define CONGESTION_HARD_FACTOR 16u
/* TCP connections still handshaking beyond max_clients. */
#define MAX_PENDING 256u
/* After accept() runs out of file descriptors, retry after this. */
#define ACCEPT_RETRY_MS 200u
/* Sends are written once per loop iteration, all of a client's frames in
 * one writev; a queue that reaches this much is written at once instead, so
 * a burst of big messages does not pile up towards max_queued_bytes. */
#define SEND_BATCH_BYTES (64u * 1024u)

enum conn_state {
    CS_HANDSHAKE, /* reading the HTTP request head */
    CS_OPEN,      /* speaking WebSocket (including waiting for the peer's close) */
    CS_FINISHING, /* sending the last queued bytes, then half-close */
    CS_LINGER     /* half-closed; dropping input until the peer's FIN */
};

/* Ten thousand idle clients are ten thousand of these: they hold only what
 * an idle connection needs (no read buffer, see on_readable). */
struct conn {
    server *srv;
    conn *prev, *next;
    conn *dirty_next;
    loop_io io;
    loop_timer timer;
    int fd;
    int fail_status;        /* the parser's error, for the log; 0 if none */
    uint8_t state;          /* enum conn_state */
    uint8_t msg_opcode;     /* of the message being assembled */
    bool dead : 1;          /* closed; freed by the reaper on the next iteration */
    bool client : 1;        /* handshake done: counted in nclients, on_close is due */
    bool peer_eof : 1;      /* read() returned 0 */
    bool input_failed : 1;  /* protocol error: drop whatever else arrives */
    bool ping_sent : 1;     /* a keepalive ping is out, nothing heard since */
    bool replied : 1;       /* conn_http_reply was called for this request */
    bool dirty : 1;         /* on the server's dirty list: to be driven after the events */
    bool send_blocked : 1;  /* the socket took less than offered: wait for EPOLLOUT */
    bool congested : 1;     /* over max_queued_bytes and draining: all input held */
    bool head_request : 1;  /* the request is a HEAD: answers carry no body */
    uint32_t last_heard_ms; /* loop_now_ms(), truncated: only differences are used */
    uint32_t last_drained_ms; /* when the send queue last shrank, or was empty */
    uint32_t congested_ms;    /* when it became congested */

    /* Input that is not consumed yet (an incomplete request head, frame
     * header, control frame or small message); NULL when there is none. */
    uint8_t *in;
    uint32_t in_len, in_cap;
    uint32_t head_scanned; /* bytes of the request head already scanned */
    uint32_t kernel_queued; /* the socket's unsent and unacknowledged bytes at
                               the last look (see peer_took_bytes) */

    bytebuf msg; /* a fragmented message (or one cut across reads) being assembled */
    sendq out;
    ws_parser parser;
    ws_writer writer;
    /* The close handshake, allocated at its first step: until then the
     * server's open_closing stands for it (see closing_of). */
    ws_closing *closing;
    void *user;
    struct sockaddr_in6 peer; /* or a sockaddr_in: formatted for logs only */
};

struct server {
    loop *loop;
    server_options opt;
    server_handlers h;
    int lfd[NET_MAX_LISTENERS];
    loop_io lio[NET_MAX_LISTENERS];
    size_t nlisteners;
    loop_timer accept_retry;
    char addr[NET_MAX_LISTENERS][NET_ADDR_STRLEN];
    uint16_t port;

    conn *conns; /* every connection, dead ones too until reaped */
    size_t nconns;   /* live connections */
    size_t nclients; /* live connections past the handshake */
    loop_timer reaper;
    /* Where every connection reads to, see on_readable. */
    uint8_t *scratch;
    size_t scratch_cap;
    char peer_text[NET_ADDR_STRLEN]; /* conn_peer's answer */
    ws_closing open_closing; /* a server connection's close state before any close */
    /* Connections with frames queued or state changed during this loop
     * iteration; flush_dirty drives each once after the events. */
    conn *dirty;
    loop_defer flush;
    bool shutting_down;
    bool client_limit_from_fds; /* max_clients derived, not given: see server_new */
    loop_timer shutdown_timer;
    /* Clients over max_queued_bytes that keep draining: while there are
     * any, no client's input is read, so senders wait for the slowest live
     * reader instead of it being dropped for a burst. */
    size_t congested;
    loop_timer congestion_timer;
};

static void conn_drive(conn *c);
static void conn_kill(conn *c, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
static void flush_dirty(loop_defer *d, void *arg);
static void set_congested(conn *c, bool on);

void server_options_default(server_options *o)
{
    memset(o, 0, sizeof *o);
    o->host = "localhost";
    ws_limits_default(&o->limits);
    o->handshake_timeout_ms = 10000;
    o->ping_interval_ms = 30000;
    o->close_timeout_ms = 5000;
    o->max_queued_bytes = 8u * 1024u * 1024u;
    o->read_pause_bytes = 1024u * 1024u;
}

/* ---------------------------------------------------------------- lifetime */

/* c's close handshake state, for questions. */
static const ws_closing *closing_of(const conn *c)
{
    return c->closing ? c->closing : &c->srv->open_closing;
}

/* c's close handshake state, for a step of it: 130 bytes that an open
 * connection does not need until then. NULL when c was dropped for want of
 * memory. */
static ws_closing *closing_start(conn *c)
{
    if (!c->closing) {
        c->closing = malloc(sizeof *c->closing);
        if (!c->closing) {
            conn_kill(c, "out of memory");
            return NULL;
        }
        *c->closing = c->srv->open_closing;
    }
    return c->closing;
}

/* Close the socket now; the struct lives until the reaper runs, so that
 * callers up the stack (a broadcast loop, the parse loop) can still look at
 * c->dead. fmt: why, for the log; NULL for an orderly end. */
static void conn_kill(conn *c, const char *fmt, ...)
{
    if (c->dead)
        return;
    server *s = c->srv;
    set_congested(c, false);
    c->dead = true;
    loop_io_stop(&c->io);
    loop_timer_stop(&c->timer);
    close(c->fd);
    c->fd = -1;
    s->nconns--;

    char why[256] = "";
    if (fmt) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(why, sizeof why, fmt, ap);
        va_end(ap);
    }
    if (c->client) {
        c->client = false;
        s->nclients--;
        uint16_t code = ws_closing_peer_code(closing_of(c));
        /* Our close frame counts as sent only once it left the queue. */
        bool clean = ws_closing_clean(closing_of(c)) && sendq_empty(&c->out);
        char failed[96] = "";
        if (c->fail_status)
            snprintf(failed, sizeof failed, ", after %s (we sent %u)",
                     ws_status_name(c->fail_status),
                     (unsigned)ws_status_close_code(c->fail_status));
        log_msg(conn_peer(c), "disconnected: close code %u%s%s%s%s (%zu clients)", (unsigned)code,
                clean ? ", clean" : "", failed, fmt ? ", " : "", why,
                s->nclients);
        if (s->h.on_close)
            s->h.on_close(c, code, s->h.arg);
    } else if (fmt) {
        log_msg(conn_peer(c), "connection closed: %s", why);
    }
    loop_timer_start(&s->reaper, 0);
}

static void conn_free(conn *c)
{
    sendq_free(&c->out);
    free(c->closing);
    free(c->in);
    bytebuf_free(&c->msg);
    free(c);
}

static void on_reap(loop_timer *t, void *arg)
{
    (void)t;
    server *s = arg;
    /* Nothing freed may stay on the dirty list. */
    flush_dirty(&s->flush, s);
    conn **link = &s->conns;
    while (*link) {
        conn *c = *link;
        if (c->dead) {
            *link = c->next;
            if (c->next)
                c->next->prev = c->prev;
            conn_free(c);
        } else {
            link = &c->next;
        }
    }
    if (s->shutting_down && s->nconns == 0)
        loop_stop(s->loop);
}

/* ---------------------------------------------------------------- sending */

/* Whether the peer took bytes from the socket's send buffer since the
 * last look (the last write that filled it, or the last call). Our own
 * writes do not show it in time (see net_unacked_bytes): a peer reading a
 * steady 500 KB/s gave us room every 3 s or so, and looked as if it had
 * taken nothing for 2. */
static bool peer_took_bytes(conn *c)
{
    int queued = net_unacked_bytes(c->fd);
    if (queued < 0)
        return false;
    bool took = (uint32_t)queued < c->kernel_queued;
    c->kernel_queued = (uint32_t)queued;
    return took;
}

/* Queue b on c. bounded: enforce max_queued_bytes (a control frame or an
 * HTTP answer is never refused). Returns false when c was dropped. */
static void conn_drop_slow(conn *c)
{
    server *s = c->srv;
    uint32_t now = (uint32_t)loop_now_ms(s->loop);
    log_msg(conn_peer(c), "slow consumer: %zu bytes queued, limit %zu, nothing taken for %u ms, "
            "holding input for %u ms; closing with 1008", c->out.bytes, s->opt.max_queued_bytes,
            (unsigned)(now - c->last_drained_ms), c->congested ? (unsigned)(now - c->congested_ms) : 0u);
    set_congested(c, false);
    /* Its backlog goes; the close frame goes right after the frame being
     * written, if any, so the drop is quick and bounded. */
    sendq_drop_unsent(&c->out);
    static const char reason[] = "send queue limit exceeded";
    ws_closing *cl = closing_start(c);
    if (cl)
        ws_closing_request(cl, WS_CLOSE_POLICY_VIOLATION, reason, sizeof reason - 1);
}

static bool conn_queue(conn *c, sbuf *b, bool bounded)
{
    server *s = c->srv;
    uint32_t now = (uint32_t)loop_now_ms(s->loop);
    if (sendq_empty(&c->out))
        c->last_drained_ms = now;
    size_t max = s->opt.max_queued_bytes;
    if (bounded && max && c->out.bytes + b->len > max) {
        /* A burst can outrun a reader that keeps up on average: such a
         * client holds everyone's input until it catches up. Only one that
         * stopped taking bytes (or one far past the bound) is dropped. */
        bool draining = now - c->last_drained_ms < CONGESTION_GRACE_MS;
        if (!draining && peer_took_bytes(c)) {
            c->last_drained_ms = now;
            draining = true;
        }
        if (!draining || c->out.bytes + b->len > CONGESTION_HARD_FACTOR * max) {
            conn_drop_slow(c);
            return false;
        }
        set_congested(c, true);
    }
    if (sendq_push(&c->out, b) < 0) {
        conn_kill(c, "out of memory");
        return false;
    }
    return true;
}

static bool conn_queue_copy(conn *c, const void *data, size_t len, bool bounded)
{
    sbuf *b = sbuf_copy(data, len);
    if (!b) {
        conn_kill(c, "out of memory");
        return false;
    }
    bool ok = conn_queue(c, b, bounded);
    sbuf_unref(b);
    return ok;
}

sbuf *frame_new(ws_opcode opcode, const void *prefix, size_t prefix_len, const void *data,
                size_t len)
{
    ws_frame f;
    memset(&f, 0, sizeof f);
    f.fin = true;
    f.opcode = (uint8_t)opcode;
    f.payload_len = prefix_len + len;
    size_t header = ws_frame_header_size(f.payload_len, false);
    sbuf *b = sbuf_new(header + prefix_len + len);
    if (!b)
        return NULL;
    if (ws_frame_write_header(&f, b->data, header) != (int)header) {
        sbuf_unref(b);
        return NULL;
    }
    if (prefix_len)
        memcpy(b->data + header, prefix, prefix_len);
    if (len)
        memcpy(b->data + header + prefix_len, data, len);
    return b;
}

/* Drive c once the events of this loop iteration are handled, so that what
 * they queue goes out in one writev. */
static void conn_drive_later(conn *c)
{
    if (c->out.bytes >= SEND_BATCH_BYTES) {
        conn_drive(c);
        return;
    }
    if (c->dirty)
        return;
    server *s = c->srv;
    c->dirty = true;
    c->dirty_next = s->dirty;
    s->dirty = c;
    loop_defer_arm(&s->flush);
}

static void flush_dirty(loop_defer *d, void *arg)
{
    (void)d;
    server *s = arg;
    /* A connection made dirty while this runs (an on_close that
     * broadcasts) is pushed on the head and taken here too. */
    while (s->dirty) {
        conn *c = s->dirty;
        s->dirty = c->dirty_next;
        c->dirty_next = NULL;
        c->dirty = false;
        conn_drive(c);
    }
}

static bool conn_can_send(const conn *c)
{
    return !c->dead && c->state == CS_OPEN && ws_writer_can_send(&c->writer) &&
           ws_closing_next(closing_of(c)) == WS_CLOSING_READ;
}

bool conn_send_frame(conn *c, sbuf *frame)
{
    if (!conn_can_send(c))
        return false;
    bool ok = conn_queue(c, frame, true);
    conn_drive_later(c);
    return ok && !c->dead;
}

bool conn_send(conn *c, ws_opcode opcode, const void *data, size_t len)
{
    if (!conn_can_send(c))
        return false;
    int st;
    sbuf *b = sbuf_message(&c->writer, opcode, data, len, &st);
    if (!b) {
        if (st)
            log_msg(conn_peer(c), "cannot send: %s", ws_strerror(st));
        return false;
    }
    bool ok = conn_queue(c, b, true);
    sbuf_unref(b);
    conn_drive_later(c);
    return ok && !c->dead;
}

void server_broadcast(server *s, sbuf *frame)
{
    /* Dead connections stay on the list until reaped, so a send that drops
     * one (or an on_close that broadcasts again) cannot break this walk. */
    for (conn *c = s->conns; c; c = c->next)
        if (c->client && !c->dead)
            conn_send_frame(c, frame);
}

void conn_close(conn *c, uint16_t code, const char *reason)
{
    if (c->dead || c->state != CS_OPEN)
        return;
    ws_closing *cl = closing_start(c);
    if (!cl)
        return;
    ws_status st = ws_closing_request(cl, code, reason, reason ? strlen(reason) : 0);
    if (st != WS_OK)
        log_msg(conn_peer(c), "conn_close(%u): %s", (unsigned)code, ws_strerror(st));
    conn_drive(c);
}

/* ---------------------------------------------------------------- driving */

static void enter_finishing(conn *c)
{
    c->state = CS_FINISHING;
    /* Bounds the flush and the linger together. */
    loop_timer_start(&c->timer, LINGER_MS);
}

/* Watch the directions c needs now. */
static void conn_watch(conn *c)
{
    server *s = c->srv;
    bool paused = c->state == CS_OPEN && c->out.bytes > s->opt.read_pause_bytes;
    /* Held input stops at the handshake too: a new client would only add
     * to the backlog. A closing connection is still drained. */
    bool held = s->congested > 0 && c->state != CS_LINGER;
    unsigned want = 0;
    if (!c->peer_eof && !paused && !held)
        want |= LOOP_READ;
    if (!sendq_empty(&c->out))
        want |= LOOP_WRITE;
    if (loop_io_set(&c->io, want) < 0)
        conn_kill(c, "epoll_ctl: %s", strerror(errno));
}

static void on_congestion_check(loop_timer *t, void *arg)
{
    server *s = arg;
    uint32_t now = (uint32_t)loop_now_ms(s->loop);
    for (conn *c = s->conns; c; c = c->next) {
        if (!c->congested || c->dead)
            continue;
        if (peer_took_bytes(c))
            c->last_drained_ms = now;
        if (now - c->last_drained_ms >= CONGESTION_GRACE_MS ||
            now - c->congested_ms >= CONGESTION_MAX_MS) {
            conn_drop_slow(c);
            conn_drive(c);
        }
    }
    if (s->congested)
        loop_timer_start(t, CONGESTION_CHECK_MS);
}

/* c's queue passed max_queued_bytes (on) or came back under
 * read_pause_bytes (off). The first congested client holds every
 * client's input, the last one out lets it go. */
static void set_congested(conn *c, bool on)
{
    server *s = c->srv;
    if (c->congested == on)
        return;
    c->congested = on;
    c->congested_ms = (uint32_t)loop_now_ms(s->loop);
    if (on)
        s->congested++;
    else
        s->congested--;
    if (s->congested != (on ? 1u : 0u))
        return;
    if (on) {
        log_msg(conn_peer(c), "send queue over %zu bytes but still draining: holding input "
                "until it catches up", s->opt.max_queued_bytes);
        loop_timer_start(&s->congestion_timer, CONGESTION_CHECK_MS);
    } else {
        loop_timer_stop(&s->congestion_timer);
    }
    for (conn *o = s->conns; o; o = o->next)
        if (!o->dead && o != c)
            conn_watch(o);
}

/* Do what the connection's state asks: send the close frame, flush, half
 * close, and watch the right directions. Called after every event. */
static void conn_drive(conn *c)
{
    server *s = c->srv;
    if (c->dead)
        return;
    while (c->state == CS_OPEN) {
        ws_closing_action a = ws_closing_next(closing_of(c));
        if (a == WS_CLOSING_SEND_CLOSE) {
            /* Only a step already taken asks for this: c->closing exists. */
            uint8_t frame[WS_MAX_HEADER_SIZE + WS_MAX_CONTROL_PAYLOAD];
            ptrdiff_t n = ws_closing_write(c->closing, &c->writer, frame, sizeof frame);
            if (n > 0 && !conn_queue_copy(c, frame, (size_t)n, false))
                return;
            if (n < 0 && n != WS_E_CLOSING) {
                conn_kill(c, "cannot write close frame: %s", ws_strerror((int)n));
                return;
            }
            loop_timer_start(&c->timer, s->opt.close_timeout_ms);
            continue;
        }
        if (a == WS_CLOSING_CLOSE_TCP || a == WS_CLOSING_WAIT_TCP_CLOSE)
            enter_finishing(c);
        break;
    }

    size_t before = c->out.bytes;
    /* A full socket is written to again when epoll says it has room, not
     * on every frame queued meanwhile (a syscall each, all EAGAIN). */
    const bool write_now = !c->send_blocked || sendq_empty(&c->out);
    int flushed = write_now ? sendq_flush(&c->out, c->fd) : 0;
    c->send_blocked = flushed == 0;
    if (write_now && flushed == 0)
        peer_took_bytes(c); /* where the full socket starts from */
    if (flushed < 0) {
        conn_kill(c, "send failed: %s", strerror(errno));
        return;
    }
    bool paused = c->state == CS_OPEN && c->out.bytes > s->opt.read_pause_bytes;
    /* While we do not read, a peer that drains what we send is alive. */
    if (paused && c->out.bytes < before) {
        c->last_heard_ms = (uint32_t)loop_now_ms(s->loop);
        c->ping_sent = false;
    }
    /* Behind our close frame may be megabytes (an echo, a backlog): the
     * close and linger bounds are for a peer that stopped reading, so they
     * count from the last progress, not from when the close was queued. */
    if (c->out.bytes < before || sendq_empty(&c->out))
        c->last_drained_ms = (uint32_t)loop_now_ms(s->loop);
    if (c->congested && c->out.bytes <= s->opt.read_pause_bytes)
        set_congested(c, false);
    if (c->out.bytes < before) {
        if (c->state == CS_FINISHING)
            loop_timer_start(&c->timer, LINGER_MS);
        else if (c->state == CS_OPEN && !ws_writer_can_send(&c->writer))
            loop_timer_start(&c->timer, s->opt.close_timeout_ms);
    }
    if (c->state == CS_FINISHING && flushed == 1) {
        if (c->peer_eof) {
            conn_kill(c, NULL);
            return;
        }
        /* FIN, then read until the peer's FIN: closing with unread input
         * would send a reset that can destroy our last frame in flight. */
        shutdown(c->fd, SHUT_WR);
        c->state = CS_LINGER;
    }
    conn_watch(c);
}

/* ---------------------------------------------------------------- handshake */

static void http_answer(conn *c, const char *buf, size_t len)
{
    c->replied = true;
    if (conn_queue_copy(c, buf, len, false))
        enter_finishing(c);
}

/* The length of the head of the HTTP response in resp (through its blank
 * line): what a HEAD request gets (RFC 9110 section 9.3.2). */
static size_t response_head_length(const char *resp, size_t len)
{
    for (size_t i = 0; i + 4 <= len; i++)
        if (memcmp(resp + i, "\r\n\r\n", 4) == 0)
            return i + 4;
    return len;
}

/* RFC 9110 section 6.6.1: an origin server with a clock MUST send Date in
 * its 2xx, 3xx and 4xx responses. The IMF-fixdate's names are English
 * whatever the locale, so they are spelt here rather than by strftime. */
#define DATE_FIELD_LEN (sizeof "Date: Sun, 06 Nov 1994 08:49:37 GMT\r\n" - 1)
static void date_field(char out[DATE_FIELD_LEN + 1])
{
    static const char days[7][4] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static const char months[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                       "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    /* Unsigned, so that gcc sees each number fits its field (signed, at
     * -O0 it warned that a negative one might not). */
    snprintf(out, DATE_FIELD_LEN + 1, "Date: %s, %02u %s %04u %02u:%02u:%02u GMT\r\n",
             days[(unsigned)tm.tm_wday % 7u], (unsigned)tm.tm_mday % 100u,
             months[(unsigned)tm.tm_mon % 12u], (unsigned)(tm.tm_year + 1900) % 10000u,
             (unsigned)tm.tm_hour % 100u, (unsigned)tm.tm_min % 100u, (unsigned)tm.tm_sec % 100u);
}

static void reject(conn *c, int status)
{
    char out[512 + DATE_FIELD_LEN];
    int n = ws_handshake_write_rejection(status, out, sizeof out - DATE_FIELD_LEN);
    /* ws_handshake_write_rejection answers 400 for what has no HTTP code. */
    int http = ws_status_http_code(status) ? ws_status_http_code(status) : 400;
    log_msg(conn_peer(c), "handshake rejected: HTTP %d, %s", http, ws_strerror(status));
    if (n <= 0) {
        conn_kill(c, "cannot write rejection: %s", ws_strerror(n));
        return;
    }
    /* Date goes right after the status line. */
    const char *line_end = memchr(out, '\n', (size_t)n);
    size_t at = line_end ? (size_t)(line_end - out) + 1 : (size_t)n;
    char date[DATE_FIELD_LEN + 1];
    date_field(date);
    memmove(out + at + DATE_FIELD_LEN, out + at, (size_t)n - at);
    memcpy(out + at, date, DATE_FIELD_LEN);
    size_t len = (size_t)n + DATE_FIELD_LEN;
    http_answer(c, out, c->head_request ? response_head_length(out, len) : len);
}

void conn_http_reply(conn *c, int status, const char *content_type, const char *extra_headers,
                     const void *body, size_t body_len)
{
    if (c->dead || c->state != CS_HANDSHAKE || c->replied)
        return;
    size_t extra_len = extra_headers ? strlen(extra_headers) : 0;
    char *headers = malloc(DATE_FIELD_LEN + extra_len + 1);
    size_t cap = 512 + body_len + (content_type ? strlen(content_type) : 0) + DATE_FIELD_LEN +
                 extra_len;
    sbuf *b = headers ? sbuf_new(cap) : NULL;
    if (!b) {
        free(headers);
        conn_kill(c, "out of memory");
        return;
    }
    date_field(headers);
    memcpy(headers + DATE_FIELD_LEN, extra_headers ? extra_headers : "", extra_len + 1);
    /* A NULL body writes the head alone, Content-Length still body_len. */
    int n = ws_http_write_response(status, NULL, content_type, headers,
                                   c->head_request ? NULL : body, body_len, (char *)b->data, cap);
    free(headers);
    if (n < 0) {
        sbuf_unref(b);
        conn_kill(c, "cannot write HTTP response: %s", ws_strerror(n));
        return;
    }
    b->len = (size_t)n;
    c->replied = true;
    if (conn_queue(c, b, false))
        enter_finishing(c);
    sbuf_unref(b);
}

static void start_keepalive(conn *c)
{
    if (c->srv->opt.ping_interval_ms)
        loop_timer_start(&c->timer, c->srv->opt.ping_interval_ms);
    else
        loop_timer_stop(&c->timer);
}

static size_t ws_input(conn *c, uint8_t *buf, size_t len);

/* The first subprotocol the client offered, as a C string for
 * ws_handshake_write_response, in out (freed by the caller): an offer is a
 * token as long as the head allows. NULL if there is none (or no memory).
 * ws_handshake_check_request has already checked every offer is a token. */
static const char *client_first_protocol(const ws_http_request *req, char **out)
{
    size_t field = 0;
    const ws_http_header *h;
    while ((h = ws_http_find_header(req->headers, req->num_headers, "Sec-WebSocket-Protocol",
                                    &field))) {
        size_t pos = 0;
        const char *name;
        size_t name_len;
        if (ws_http_list_next(h->value, h->value_len, &pos, &name, &name_len) != 1)
            continue; /* an empty field; the offers are in a later one */
        *out = malloc(name_len + 1);
        if (!*out)
            return NULL;
        memcpy(*out, name, name_len);
        (*out)[name_len] = '\0';
        return *out;
    }
    return NULL;
}

/* Queue the 101 that accepts hs. Returns false when c was dropped. */
static bool queue_101(conn *c, const ws_handshake_request *hs, const char *protocol)
{
    size_t cap = 512 + (protocol ? strlen(protocol) : 0);
    sbuf *b = sbuf_new(cap);
    if (!b) {
        conn_kill(c, "out of memory");
        return false;
    }
    int n = ws_handshake_write_response(hs, protocol, NULL, NULL, (char *)b->data, cap);
    bool ok = n > 0;
    if (ok) {
        b->len = (size_t)n;
        ok = conn_queue(c, b, false);
    } else {
        conn_kill(c, "cannot write 101 response: %s", ws_strerror(n));
    }
    sbuf_unref(b);
    return ok;
}

/* Parse the request head in buf and answer it. Returns the bytes consumed:
 * 0 while the head is incomplete (all of it is kept for the next read). */
static size_t handshake_input(conn *c, uint8_t *buf, size_t len)
{
    server *s = c->srv;
    ws_http_header headers[MAX_HEADER_FIELDS];
    ws_http_request req;
    int r = ws_http_parse_request((const char *)buf, len, c->head_scanned, &s->opt.limits, &req,
                                  headers, MAX_HEADER_FIELDS);
    if (r == WS_INCOMPLETE) {
        c->head_scanned = (uint32_t)len;
        return 0;
    }
    if (r < 0) {
        reject(c, r);
        return len;
    }
    size_t head_len = (size_t)r;
    c->head_request = req.method_len == 4 && memcmp(req.method, "HEAD", 4) == 0;

    ws_handshake_request hs;
    ws_status st = ws_handshake_check_request(&req, &s->opt.limits, &hs);
    /* Not GET is no upgrade, whatever its headers say: the HTTP side knows
     * which methods its resources allow (HEAD of a page, say). */
    if (st == WS_E_HS_NOT_WEBSOCKET || (st == WS_E_HS_METHOD && s->h.on_http)) {
        c->replied = false;
        if (s->h.on_http)
            s->h.on_http(c, &req, s->h.arg);
        if (!c->replied && !c->dead)
            reject(c, st);
        return len;
    }
    if (st != WS_OK) {
        reject(c, st);
        return len;
    }
    /* Browsers always send Origin; other clients send none and are not
     * what an allow-list defends against (a page on another site driving
     * the visitor's browser), so an absent Origin is admitted. */
    if (s->opt.num_origins > 0 && hs.origin &&
        ws_handshake_check_origin(hs.origin, hs.origin_len, s->opt.origins,
                                  s->opt.num_origins) != WS_OK) {
        log_msg(conn_peer(c), "origin %.*s is not on the allow-list", (int)hs.origin_len, hs.origin);
        reject(c, WS_E_HS_ORIGIN_FORBIDDEN);
        return len;
    }
    if (s->opt.max_clients && s->nclients >= s->opt.max_clients) {
        static const char body[] = "Too many clients are connected; try again later.\n";
        /* echo_server has no --max-clients: name what set the limit. */
        log_msg(conn_peer(c), "refused: %zu clients already (%s)", s->nclients,
                s->client_limit_from_fds ? "the file descriptor limit" : "--max-clients");
        conn_http_reply(c, 503, "text/plain; charset=utf-8", "Retry-After: 5\r\n", body,
                        sizeof body - 1);
        return len;
    }

    const char *protocol = NULL;
    char *first_offer = NULL;
    if (s->opt.num_protocols > 0 && hs.num_protocols > 0) {
        st = ws_handshake_select_protocol(&req, s->opt.protocols, s->opt.num_protocols,
                                          &s->opt.limits, &protocol);
        if (st != WS_OK) {
            reject(c, st);
            return len;
        }
    } else if (hs.num_protocols > 0) {
        protocol = client_first_protocol(&req, &first_offer);
    }

    bool accepted = queue_101(c, &hs, protocol);
    if (accepted)
        log_msg(conn_peer(c), "connected: WebSocket %.*s%s%s (%zu clients)", (int)hs.target_len,
                hs.target, protocol ? ", subprotocol " : "", protocol ? protocol : "",
                s->nclients + 1);
    free(first_offer);
    if (!accepted)
        return len;

    c->state = CS_OPEN;
    ws_parser_init(&c->parser, WS_ROLE_SERVER, &s->opt.limits);
    /* A message that arrives whole is handed to on_message where it lies,
     * with no copy into c->msg and a third of the parser calls. */
    ws_parser_set_options(&c->parser, WS_PARSER_WHOLE_MESSAGES);
    ws_writer_init(&c->writer, WS_ROLE_SERVER, 0, NULL, NULL);
    c->client = true;
    s->nclients++;
    start_keepalive(c);
    if (s->h.on_open)
        s->h.on_open(c, s->h.arg);
    if (c->dead)
        return len;
    /* Bytes after the head are frames the client sent without waiting. */
    return head_len + ws_input(c, buf + head_len, len - head_len);
}

/* ---------------------------------------------------------------- frames */

static void on_event(conn *c, const ws_event *ev)
{
    server *s = c->srv;
    if (ev->type == WS_EV_MESSAGE) {
        if (conn_can_send(c) && s->h.on_message)
            s->h.on_message(c, (ws_opcode)ev->opcode, ev->data, ev->len, s->h.arg);
        return;
    }
    switch (ev->type) {
    case WS_EV_MESSAGE_START:
        c->msg_opcode = ev->opcode;
        c->msg.len = 0;
        break;
    case WS_EV_DATA:
        /* The parser already refused anything above max_message_size, so
         * this cannot run away. */
        if (!bytebuf_append(&c->msg, ev->data, ev->len, s->opt.limits.max_message_size)) {
            log_msg(conn_peer(c), "out of memory for a %zu-byte message", c->msg.len + ev->len);
            ws_closing *cl = closing_start(c);
            if (cl)
                ws_closing_request(cl, WS_CLOSE_INTERNAL_ERROR, NULL, 0);
            c->input_failed = true;
        }
        break;
    case WS_EV_MESSAGE_END:
        /* After our close frame nothing can be answered: drop it. */
        if (conn_can_send(c) && s->h.on_message)
            s->h.on_message(c, (ws_opcode)c->msg_opcode, c->msg.data, c->msg.len, s->h.arg);
        if (c->msg.cap > MSG_KEEP)
            bytebuf_free(&c->msg);
        c->msg.len = 0;
        break;
    case WS_EV_PING:
        if (conn_can_send(c)) {
            uint8_t pong[WS_MAX_HEADER_SIZE + WS_MAX_CONTROL_PAYLOAD];
            ptrdiff_t n = ws_pong_write(&c->writer, ev->data, ev->len, pong, sizeof pong);
            if (n > 0)
                conn_queue_copy(c, pong, (size_t)n, true);
        }
        break;
    case WS_EV_PONG:
        break; /* any input counts as a sign of life, see on_readable */
    case WS_EV_CLOSE:
        log_msg(conn_peer(c), "close frame from peer: %u \"%.*s\"", (unsigned)ev->close_code,
                (int)ev->len, (const char *)ev->data);
        if (closing_start(c))
            ws_closing_received_reason(c->closing, ev->close_code, ev->data, ev->len);
        break;
    case WS_EV_NONE:
        break;
    }
}

/* Parse the frames in buf and hand out their events. Returns the bytes
 * consumed; the rest is part of a frame header, of a control frame or of
 * a small message (the parser holds those back whole). */
static size_t ws_input(conn *c, uint8_t *buf, size_t len)
{
    size_t off = 0;
    while (!c->dead && c->state == CS_OPEN && !c->input_failed) {
        ws_event ev;
        ptrdiff_t n = ws_parser_next(&c->parser, buf + off, len - off, &ev);
        if (n < 0) {
            /* After the peer's close frame, more bytes are just dropped. */
            if (n != WS_E_AFTER_CLOSE) {
                uint16_t code = ws_status_close_code((int)n);
                log_msg(conn_peer(c), "protocol error: %s (%s); closing with %u", ws_strerror((int)n),
                        ws_status_name((int)n), (unsigned)code);
                if (closing_start(c))
                    ws_closing_fail(c->closing, (int)n);
                c->fail_status = (int)n;
            }
            c->input_failed = true;
            break;
        }
        off += (size_t)n;
        if (ev.type == WS_EV_NONE)
            break;
        on_event(c, &ev);
    }
    if (c->dead || c->input_failed || c->state != CS_OPEN)
        return len;
    return off;
}

/* ---------------------------------------------------------------- I/O events */

/* Keep the n unconsumed bytes at p for the next read, in a buffer of c's
 * own that exists only while there are such bytes. Returns false when c was
 * dropped. */
static bool keep_input(conn *c, const uint8_t *p, size_t n)
{
    if (n == 0 || c->dead) {
        free(c->in);
        c->in = NULL;
        c->in_len = c->in_cap = 0;
        return !c->dead;
    }
    if (n > c->in_cap) {
        uint8_t *in = realloc(c->in, n);
        if (!in) {
            conn_kill(c, "out of memory");
            return false;
        }
        c->in = in;
        c->in_cap = (uint32_t)n;
    }
    memcpy(c->in, p, n);
    c->in_len = (uint32_t)n;
    return true;
}

static void on_readable(loop_io *io, void *arg)
{
    (void)io;
    conn *c = arg;
    server *s = c->srv;
    size_t hs_limit = (size_t)s->opt.limits.max_header_bytes + 1;

    if (c->state == CS_HANDSHAKE && c->in_len >= hs_limit) {
        reject(c, WS_E_HTTP_HEADER_TOO_LARGE);
        keep_input(c, NULL, 0);
        conn_drive(c);
        return;
    }
    /* Once the socket is being shut, input is only drained. */
    bool keep = c->state == CS_HANDSHAKE || (c->state == CS_OPEN && !c->input_failed);
    /* Every connection reads into the server's scratch buffer, behind what
     * it kept from before: an idle connection holds no buffer at all. */
    uint8_t *buf = s->scratch;
    size_t at = keep ? c->in_len : 0;
    size_t room = (c->state == CS_HANDSHAKE ? hs_limit : s->scratch_cap) - at;
    ssize_t n = read(c->fd, buf + at, room);
    if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
            return;
        conn_kill(c, "receive failed: %s", strerror(errno));
        return;
    }
    if (n == 0) {
        c->peer_eof = true;
        if (c->state == CS_HANDSHAKE) {
            conn_kill(c, c->in_len ? "peer closed during the handshake" : NULL);
            return;
        }
        if (c->state == CS_LINGER) {
            conn_kill(c, NULL);
            return;
        }
        if (c->state == CS_OPEN && closing_start(c))
            ws_closing_peer_closed(c->closing);
        conn_drive(c);
        return;
    }
    c->last_heard_ms = (uint32_t)loop_now_ms(s->loop);
    c->ping_sent = false;
    if (keep) {
        if (at)
            memcpy(buf, c->in, at);
        size_t len = at + (size_t)n;
        size_t used = c->state == CS_HANDSHAKE ? handshake_input(c, buf, len)
                                               : ws_input(c, buf, len);
        if (!keep_input(c, buf + used, len - used))
            return;
    }
    /* What this input queued (answers, broadcasts to c itself) goes out
     * with whatever the other connections' input adds for c. */
    conn_drive_later(c);
}

static void on_writable(loop_io *io, void *arg)
{
    (void)io;
    conn *c = arg;
    c->send_blocked = false;
    conn_drive(c);
}

static void on_conn_timer(loop_timer *t, void *arg)
{
    (void)t;
    conn *c = arg;
    server *s = c->srv;
    switch (c->state) {
    case CS_HANDSHAKE: {
        log_msg(conn_peer(c), "handshake timeout: no complete request within %u ms",
                s->opt.handshake_timeout_ms);
        static const char body[] = "The request head did not arrive in time.\n";
        conn_http_reply(c, 408, "text/plain; charset=utf-8", NULL, body, sizeof body - 1);
        break;
    }
    case CS_OPEN:
        if (!ws_writer_can_send(&c->writer)) {
            log_msg(conn_peer(c), "no close frame from peer within %u ms", s->opt.close_timeout_ms);
            if (closing_start(c))
                ws_closing_timeout(c->closing);
            break;
        }
        {
            uint32_t idle = (uint32_t)loop_now_ms(s->loop) - c->last_heard_ms;
            uint64_t interval = s->opt.ping_interval_ms;
            if (idle < interval) {
                loop_timer_start(&c->timer, interval - idle);
                return;
            }
            if (c->ping_sent) {
                conn_kill(c, "no answer to ping within %u ms", s->opt.ping_interval_ms);
                return;
            }
            uint8_t ping[WS_MAX_HEADER_SIZE + 8];
            ptrdiff_t n = ws_ping_write(&c->writer, "ka", 2, ping, sizeof ping);
            if (n > 0 && conn_queue_copy(c, ping, (size_t)n, true)) {
                c->ping_sent = true;
                loop_timer_start(&c->timer, interval);
            }
        }
        break;
    case CS_FINISHING:
    case CS_LINGER:
        /* Our last bytes are being read: from our queue, or (half-closed)
         * still from the socket's. */
        if (peer_took_bytes(c) && (c->state == CS_FINISHING || c->kernel_queued > 0)) {
            loop_timer_start(&c->timer, LINGER_MS);
            return;
        }
        conn_kill(c, c->state == CS_FINISHING ? "could not send the last bytes in time" : NULL);
        return;
    }
    conn_drive(c);
}

/* ---------------------------------------------------------------- accepting */

static void on_accept(loop_io *io, void *arg);

/* Every listener at once: an accept() that failed for want of descriptors
 * on one would fail on the others as well. */
static int set_accepting(server *s, unsigned interest)
{
    int rc = 0;
    for (size_t i = 0; i < s->nlisteners; i++)
        if (loop_io_set(&s->lio[i], interest) < 0)
            rc = -1;
    return rc;
}

static void on_accept_retry(loop_timer *t, void *arg)
{
    (void)t;
    server *s = arg;
    if (!s->shutting_down)
        set_accepting(s, LOOP_READ);
}

static void on_accept(loop_io *io, void *arg)
{
    server *s = arg;
    int lfd = s->lfd[io - s->lio];
    /* A bounded batch per wake-up: fair to connections already open. */
    for (int i = 0; i < 64; i++) {
        struct sockaddr_storage ss;
        socklen_t len = sizeof ss;
        int fd = accept4(lfd, (struct sockaddr *)&ss, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return;
            /* Out of descriptors or memory: level-triggered epoll would
             * wake us again at once, so pause accepting for a moment. */
            log_msg(NULL, "accept: %s; pausing for %u ms", strerror(errno), ACCEPT_RETRY_MS);
            /* Without the timer that resumes it, a pause would be for
             * ever: then keep accepting, at the cost of a busy loop. */
            if (loop_timer_start(&s->accept_retry, ACCEPT_RETRY_MS) == 0)
                set_accepting(s, 0);
            return;
        }
        if (s->opt.max_clients && s->nconns >= s->opt.max_clients + MAX_PENDING) {
            char peer[NET_ADDR_STRLEN];
            net_format_addr((struct sockaddr *)&ss, len, peer, sizeof peer);
            log_msg(peer, "refused: %zu connections open", s->nconns);
            close(fd);
            continue;
        }
        conn *c = calloc(1, sizeof *c);
        if (!c) {
            char peer[NET_ADDR_STRLEN];
            net_format_addr((struct sockaddr *)&ss, len, peer, sizeof peer);
            close(fd);
            log_msg(peer, "refused: out of memory");
            continue;
        }
        int one = 1;
        /* Frames are whole writes already; Nagle would only delay them. */
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        c->srv = s;
        c->fd = fd;
        c->state = CS_HANDSHAKE;
        c->last_heard_ms = (uint32_t)loop_now_ms(s->loop);
        memcpy(&c->peer, &ss, len < sizeof c->peer ? len : sizeof c->peer);
        sendq_init(&c->out);
        loop_io_init(&c->io, s->loop, fd, on_readable, on_writable, c);
        loop_timer_init(&c->timer, s->loop, on_conn_timer, c);
        c->next = s->conns;
        if (s->conns)
            s->conns->prev = c;
        s->conns = c;
        s->nconns++;
        if (loop_io_set(&c->io, LOOP_READ) < 0) {
            conn_kill(c, "epoll_ctl: %s", strerror(errno));
            continue;
        }
        /* The timer heap grows past its first slots here: a connection
         * without its handshake timeout would be held for ever by a peer
         * that sends nothing, so one that cannot have it is refused. */
        if (loop_timer_start(&c->timer, s->opt.handshake_timeout_ms) < 0)
            conn_kill(c, "out of memory");
    }
}

/* ---------------------------------------------------------------- server */

static void stop_listening(server *s)
{
    for (size_t i = 0; i < s->nlisteners; i++) {
        loop_io_stop(&s->lio[i]);
        close(s->lfd[i]);
    }
    s->nlisteners = 0;
    loop_timer_stop(&s->accept_retry);
}

server *server_new(loop *l, const server_options *o, const server_handlers *h, char *err,
                   size_t err_cap)
{
    server *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, err_cap, "out of memory");
        return NULL;
    }
    s->loop = l;
    s->opt = *o;
    ws_closing_init(&s->open_closing, WS_ROLE_SERVER);
    s->scratch_cap = SCRATCH_SIZE;
    if (s->scratch_cap < (size_t)o->limits.max_header_bytes + 1)
        s->scratch_cap = (size_t)o->limits.max_header_bytes + 1;
    s->scratch = malloc(s->scratch_cap);
    if (!s->scratch) {
        free(s);
        snprintf(err, err_cap, "out of memory");
        return NULL;
    }
    if (h)
        s->h = *h;
    /* A peer that disappears mid-write must cost us an EPIPE, not the
     * process. */
    signal(SIGPIPE, SIG_IGN);
    /* Every client and every connection still handshaking is a descriptor.
     * Short of them, accept() fails with EMFILE and clients wait in the
     * backlog with neither a 101 nor a 503; many systems start processes at
     * 1024. The 64 spare are for the listener, the loop and stdio. */
    uint64_t fds_wanted = o->max_clients ? (uint64_t)o->max_clients + MAX_PENDING + 64 : 0;
    uint64_t fds = net_raise_fd_limit(fds_wanted);
    if (fds && fds_wanted && fds < fds_wanted)
        log_msg(NULL, "file descriptor limit %llu (hard limit) is below the %llu that %zu clients need",
                (unsigned long long)fds, (unsigned long long)fds_wanted, o->max_clients);
    int n = net_listen(o->host, o->port, s->lfd, err, err_cap);
    if (n < 0) {
        free(s->scratch);
        free(s);
        return NULL;
    }
    s->nlisteners = (size_t)n;
    s->port = net_local_port(s->lfd[0]);
    for (size_t i = 0; i < s->nlisteners; i++) {
        struct sockaddr_storage ss;
        socklen_t len = sizeof ss;
        getsockname(s->lfd[i], (struct sockaddr *)&ss, &len);
        net_format_addr((struct sockaddr *)&ss, len, s->addr[i], sizeof s->addr[i]);
        loop_io_init(&s->lio[i], l, s->lfd[i], on_accept, NULL, s);
    }
    loop_timer_init(&s->accept_retry, l, on_accept_retry, s);
    loop_timer_init(&s->reaper, l, on_reap, s);
    loop_defer_init(&s->flush, l, flush_dirty, s);
    loop_timer_init(&s->congestion_timer, l, on_congestion_check, s);
    if (set_accepting(s, LOOP_READ) < 0) {
        snprintf(err, err_cap, "epoll_ctl: %s", strerror(errno));
        stop_listening(s);
        free(s->scratch);
        free(s);
        return NULL;
    }
    /* No limit given: as many clients as there are descriptors for, so the
     * one beyond them gets a 503 instead of waiting unanswered in the
     * backlog. A fixed default would turn clients away from a machine that
     * could hold them. */
    if (!o->max_clients && fds) {
        uint64_t room = fds > 2 * (MAX_PENDING + 64) ? fds - (MAX_PENDING + 64) : fds / 2;
        s->opt.max_clients = room > 0 && room < SIZE_MAX ? (size_t)room : 1;
        s->client_limit_from_fds = true;
        log_msg(NULL, "up to %zu clients at once (file descriptor limit %llu)",
                s->opt.max_clients, (unsigned long long)fds);
    }
    return s;
}

const char *server_address(const server *s, size_t i)
{
    return i < s->nlisteners ? s->addr[i] : NULL;
}
uint16_t server_port(const server *s) { return s->port; }
size_t server_client_count(const server *s) { return s->nclients; }

static void on_shutdown_timeout(loop_timer *t, void *arg)
{
    (void)t;
    server *s = arg;
    for (conn *c = s->conns; c; c = c->next)
        conn_kill(c, "server shutting down");
    loop_timer_stop(&s->reaper);
    on_reap(&s->reaper, s);
    loop_stop(s->loop);
}

void server_shutdown(server *s, uint16_t code, unsigned timeout_ms)
{
    if (s->shutting_down)
        return;
    s->shutting_down = true;
    stop_listening(s);
    log_msg(NULL, "shutting down: closing %zu clients with %u", s->nclients, (unsigned)code);
    for (conn *c = s->conns; c; c = c->next) {
        if (c->dead)
            continue;
        if (c->state == CS_HANDSHAKE)
            conn_kill(c, NULL);
        else if (c->state == CS_OPEN)
            conn_close(c, code, "server shutting down");
    }
    loop_timer_init(&s->shutdown_timer, s->loop, on_shutdown_timeout, s);
    loop_timer_start(&s->shutdown_timer, timeout_ms);
    if (s->nconns == 0)
        loop_stop(s->loop);
}

void server_free(server *s)
{
    if (!s)
        return;
    for (conn *c = s->conns; c; c = c->next)
        conn_kill(c, NULL);
    loop_timer_stop(&s->reaper);
    on_reap(&s->reaper, s);
    loop_defer_cancel(&s->flush);
    loop_timer_stop(&s->congestion_timer);
    if (s->shutting_down)
        loop_timer_stop(&s->shutdown_timer);
    stop_listening(s);
    free(s->scratch);
    free(s);
}

void *conn_user(const conn *c) { return c->user; }
void conn_set_user(conn *c, void *user) { c->user = user; }
const char *conn_peer(const conn *c)
{
    socklen_t len = c->peer.sin6_family == AF_INET6 ? sizeof(struct sockaddr_in6)
                                                    : sizeof(struct sockaddr_in);
    net_format_addr((const struct sockaddr *)&c->peer, len, c->srv->peer_text,
                    sizeof c->srv->peer_text);
    return c->srv->peer_text;
}
server *conn_server(const conn *c) { return c->srv; }
