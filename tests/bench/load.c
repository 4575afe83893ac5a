/*
 * ws_load - load for a broadcast chat server: many WebSocket clients in one
 * process on one epoll loop, speaking through libwsframe (client handshake,
 * stream parser, message writer).
 *
 * Two phases, each optional, in this order:
 *
 *  1. Idle connections (--idle N): opens N connections and completes their
 *     handshakes, waits for the server to settle and reads the server's VmRSS
 *     (/proc/PID/status, --pid) before and after, so the difference divided
 *     by N is the server's memory per idle connection. Then keeps them open
 *     for --hold seconds and reports how many the server still holds. They
 *     are closed before phase 2.
 *
 *  2. Throughput (--senders S > 0): opens --clients N connections; the first
 *     S of them send text messages of --size B bytes, at --rate messages per
 *     second each, or as fast as the window allows (--rate 0: each sender
 *     keeps at most --window of its own messages unanswered; the chat server
 *     broadcasts to every client, the sender included, so its own copy coming
 *     back is the answer). Every client counts the messages it receives. The
 *     payload carries the send time (CLOCK_MONOTONIC, same process), so each
 *     delivery is a latency sample. After a one-second warm-up, D seconds
 *     (--duration) are measured: delivered messages per second across all
 *     receivers, p50 and p99 latency.
 *
 * The last line of output is "RESULT key=value ..." for scripts
 * (tests/bench/run_server_bench.sh).
 *
 * Payload: "ld:<sender, 8 hex>:<send time ns, 16 hex>:" then 'x' padding. The
 * server may prefix it (the chat server sends "Server: <message>"), so the
 * marker is searched for in the first bytes of each message.
 */
#define _GNU_SOURCE

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "wsframe.h"

/* ------------------------------------------------------------------ options */

static struct {
    const char *url;
    unsigned clients, senders, size, window, idle;
    double rate, duration, hold;
    long pid;
    unsigned max_pending; /* connects and handshakes in flight at once */
    unsigned sources;     /* > 1: bind to 127.0.0.1 .. 127.0.0.<sources> in turn */
} opt = {"ws://127.0.0.1:8080/", 100, 10, 64, 16, 0, 0, 10, 3, 0, 256, 1};

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void die(const char *fmt, const char *arg)
{
    fprintf(stderr, "ws_load: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\n");
    exit(1);
}

/* xorshift64*, seeded from getrandom(): masking keys and handshake nonces.
 * The keys only need to differ per frame here; a load generator does not
 * defend against cache-poisoning intermediaries. */
static uint64_t rng;
static uint64_t rng_next(void)
{
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return rng * 0x2545F4914F6CDD1Du;
}

static void mask_key(void *ctx, uint8_t key[4])
{
    (void)ctx;
    uint32_t k = (uint32_t)rng_next();
    memcpy(key, &k, 4);
}

/* ------------------------------------------------------------------ latency */

/* Log-linear histogram of microseconds: exact below 1024 us, then 64 steps
 * per power of two (under 1.6% error). */
#define HIST_LINEAR 1024u
#define HIST_SUB 64u
#define HIST_BUCKETS (HIST_LINEAR + 40u * HIST_SUB)
static uint64_t hist[HIST_BUCKETS];
static uint64_t hist_count;

static void hist_add(uint64_t us)
{
    size_t b;
    if (us < HIST_LINEAR) {
        b = (size_t)us;
    } else {
        unsigned msb = 63u - (unsigned)__builtin_clzll(us); /* >= 10 */
        size_t sub = (size_t)(us >> (msb - 6)) & (HIST_SUB - 1);
        b = HIST_LINEAR + (msb - 10) * HIST_SUB + sub;
        if (b >= HIST_BUCKETS) {
            b = HIST_BUCKETS - 1;
        }
    }
    hist[b]++;
    hist_count++;
}

static double hist_value(size_t b)
{
    if (b < HIST_LINEAR) {
        return (double)b;
    }
    size_t e = (b - HIST_LINEAR) / HIST_SUB, sub = (b - HIST_LINEAR) % HIST_SUB;
    return (double)((HIST_SUB + sub) << (e + 4)) + (double)(1u << (e + 4)) / 2;
}

static double hist_percentile(double p)
{
    if (hist_count == 0) {
        return 0;
    }
    uint64_t rank = (uint64_t)(p * (double)hist_count);
    if (rank >= hist_count) {
        rank = hist_count - 1;
    }
    uint64_t seen = 0;
    for (size_t b = 0; b < HIST_BUCKETS; b++) {
        seen += hist[b];
        if (seen > rank) {
            return hist_value(b);
        }
    }
    return hist_value(HIST_BUCKETS - 1);
}

/* ------------------------------------------------------------------ connections */

enum { C_CONNECTING, C_HANDSHAKE, C_OPEN, C_CLOSED };

#define HEAD_CAP 64

typedef struct conn {
    int fd;
    uint8_t state;
    bool sender;
    bool want_out; /* EPOLLOUT registered */
    uint32_t id;
    ws_parser parser;
    ws_writer writer;
    char key[WS_KEY_LEN + 1];
    uint8_t *in;
    size_t in_cap, in_len, hs_last_len;
    uint8_t *out;
    size_t out_cap, out_len, out_off;
    uint8_t head[HEAD_CAP]; /* first bytes of the message being received */
    size_t head_len;
    uint32_t inflight;
    uint64_t next_send_ns;
} conn;

static int ep;
static ws_url url;
static char host_str[256];
static struct sockaddr_storage addr;
static socklen_t addr_len;

static struct {
    uint64_t connect_failed, handshake_failed, protocol_errors, closed_by_server;
    uint64_t sent, delivered, delivered_other; /* delivered_other: no marker found */
    uint64_t skipped;                          /* rate mode: no room in the send queue */
    bool measuring;
} st;

static void resolve(void)
{
    if (ws_url_parse(opt.url, strlen(opt.url), &url) != WS_OK || url.secure) {
        die("bad or unsupported URL (ws:// only): %s", opt.url);
    }
    if (url.host_len >= sizeof host_str) {
        die("host too long in %s", opt.url);
    }
    memcpy(host_str, url.host, url.host_len);
    host_str[url.host_len] = '\0';
    char port[8];
    snprintf(port, sizeof port, "%u", (unsigned)url.port);
    struct addrinfo hints = {0}, *res;
    hints.ai_socktype = SOCK_STREAM;
    if (getaddrinfo(host_str, port, &hints, &res) != 0) {
        die("cannot resolve %s", host_str);
    }
    memcpy(&addr, res->ai_addr, res->ai_addrlen);
    addr_len = res->ai_addrlen;
    freeaddrinfo(res);
}

static void conn_close(conn *c)
{
    if (c->state != C_CLOSED) {
        close(c->fd);
        c->state = C_CLOSED;
        c->fd = -1;
    }
}

static void set_out_interest(conn *c, bool want)
{
    if (c->want_out == want || c->state == C_CLOSED) {
        return;
    }
    struct epoll_event ev = {.events = EPOLLIN | (want ? EPOLLOUT : 0), .data.ptr = c};
    epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
    c->want_out = want;
}

static void flush(conn *c)
{
    while (c->out_off < c->out_len) {
        ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                set_out_interest(c, true);
                return;
            }
            if (errno == EINTR) {
                continue;
            }
            st.closed_by_server++;
            conn_close(c);
            return;
        }
        c->out_off += (size_t)n;
    }
    c->out_off = c->out_len = 0;
    set_out_interest(c, false);
}

/* Room at the end of the send queue, compacting it first. */
static size_t out_room(conn *c)
{
    if (c->out_off > 0) {
        memmove(c->out, c->out + c->out_off, c->out_len - c->out_off);
        c->out_len -= c->out_off;
        c->out_off = 0;
    }
    return c->out_cap - c->out_len;
}

static bool conn_start(conn *c, uint32_t id, size_t in_cap, size_t out_cap)
{
    memset(c, 0, sizeof *c);
    c->id = id;
    c->fd = socket(addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c->fd < 0) {
        c->state = C_CLOSED;
        st.connect_failed++;
        return false;
    }
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (opt.sources > 1 && addr.ss_family == AF_INET) {
        /* One source address has ~28,000 ephemeral ports towards one server
         * port; more connections than that need more source addresses. The
         * port is chosen at connect(), per destination, not at bind(). */
        struct sockaddr_in src = {.sin_family = AF_INET};
        src.sin_addr.s_addr = htonl(0x7F000001u + id % opt.sources);
        setsockopt(c->fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
        if (bind(c->fd, (struct sockaddr *)&src, sizeof src) < 0) {
            close(c->fd);
            c->state = C_CLOSED;
            st.connect_failed++;
            return false;
        }
    }
    c->in = malloc(in_cap);
    c->out = malloc(out_cap);
    if (!c->in || !c->out) {
        die("%s", "out of memory");
    }
    c->in_cap = in_cap;
    c->out_cap = out_cap;
    ws_parser_init(&c->parser, WS_ROLE_CLIENT, NULL);
    ws_writer_init(&c->writer, WS_ROLE_CLIENT, 0, mask_key, NULL);
    uint8_t nonce[16];
    uint64_t a = rng_next(), b = rng_next();
    memcpy(nonce, &a, 8);
    memcpy(nonce + 8, &b, 8);
    int n = ws_handshake_write_request(&url, NULL, nonce, c->key, (char *)c->out, out_cap);
    if (n < 0) {
        die("ws_handshake_write_request: %s", ws_strerror((ws_status)n));
    }
    c->out_len = (size_t)n;
    c->state = C_CONNECTING;
    if (connect(c->fd, (struct sockaddr *)&addr, addr_len) < 0 && errno != EINPROGRESS) {
        close(c->fd);
        c->state = C_CLOSED;
        st.connect_failed++;
        return false;
    }
    struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT, .data.ptr = c};
    c->want_out = true;
    epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev);
    return true;
}

static void on_message(conn *c)
{
    /* Find "ld:" in the first bytes, after whatever prefix the server adds. */
    const uint8_t *h = c->head;
    size_t n = c->head_len;
    for (size_t i = 0; i + 29 <= n; i++) {
        if (h[i] == 'l' && h[i + 1] == 'd' && h[i + 2] == ':' && h[i + 11] == ':' &&
            h[i + 28] == ':') {
            char num[17];
            memcpy(num, h + i + 3, 8);
            num[8] = '\0';
            uint32_t sender = (uint32_t)strtoul(num, NULL, 16);
            memcpy(num, h + i + 12, 16);
            num[16] = '\0';
            uint64_t sent_at = strtoull(num, NULL, 16);
            uint64_t now = now_ns();
            if (st.measuring) {
                st.delivered++;
                hist_add(now > sent_at ? (now - sent_at) / 1000u : 0);
            }
            if (sender == c->id && c->inflight > 0) {
                c->inflight--;
            }
            return;
        }
    }
    if (st.measuring) {
        st.delivered_other++;
    }
}

static void handle_frames(conn *c)
{
    size_t off = 0;
    for (;;) {
        ws_event ev;
        ptrdiff_t n = ws_parser_next(&c->parser, c->in + off, c->in_len - off, &ev);
        if (n < 0) {
            fprintf(stderr, "ws_load: connection %u: %s\n", c->id, ws_strerror((ws_status)n));
            st.protocol_errors++;
            conn_close(c);
            return;
        }
        off += (size_t)n;
        if (ev.type == WS_EV_NONE) {
            break;
        }
        switch (ev.type) {
        case WS_EV_MESSAGE_START:
            c->head_len = 0;
            break;
        case WS_EV_DATA:
            if (c->head_len < HEAD_CAP) {
                size_t take = HEAD_CAP - c->head_len < ev.len ? HEAD_CAP - c->head_len : ev.len;
                memcpy(c->head + c->head_len, ev.data, take);
                c->head_len += take;
            }
            break;
        case WS_EV_MESSAGE_END:
            on_message(c);
            break;
        case WS_EV_PING:
            if (out_room(c) >= WS_MAX_HEADER_SIZE + ev.len) {
                ptrdiff_t w = ws_pong_write(&c->writer, ev.data, ev.len, c->out + c->out_len,
                                            c->out_cap - c->out_len);
                if (w > 0) {
                    c->out_len += (size_t)w;
                    flush(c);
                }
            }
            break;
        case WS_EV_CLOSE:
            st.closed_by_server++;
            conn_close(c);
            return;
        default:
            break;
        }
    }
    memmove(c->in, c->in + off, c->in_len - off);
    c->in_len -= off;
}

static void handle_handshake(conn *c)
{
    ws_http_header headers[32];
    ws_http_response res;
    int n = ws_http_parse_response((const char *)c->in, c->in_len, c->hs_last_len, NULL, &res,
                                   headers, 32);
    if (n == WS_INCOMPLETE) {
        c->hs_last_len = c->in_len;
        return;
    }
    if (n < 0 || ws_handshake_check_response(&res, c->key, NULL, NULL) != WS_OK) {
        st.handshake_failed++;
        conn_close(c);
        return;
    }
    memmove(c->in, c->in + n, c->in_len - (size_t)n);
    c->in_len -= (size_t)n;
    c->state = C_OPEN;
    handle_frames(c);
}

static void on_readable(conn *c)
{
    for (;;) {
        if (c->in_len == c->in_cap) {
            /* A handshake answer larger than the buffer, or a parser that
             * keeps more than WS_PARSER_MIN_BUFFER: neither should happen. */
            st.handshake_failed++;
            conn_close(c);
            return;
        }
        ssize_t n = recv(c->fd, c->in + c->in_len, c->in_cap - c->in_len, 0);
        if (n == 0) {
            st.closed_by_server++;
            conn_close(c);
            return;
        }
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            if (errno != EAGAIN && errno != EWOULDBLOCK) {
                st.closed_by_server++;
                conn_close(c);
            }
            return;
        }
        c->in_len += (size_t)n;
        if (c->state == C_HANDSHAKE) {
            handle_handshake(c);
        } else if (c->state == C_OPEN) {
            handle_frames(c);
        }
        if (c->state == C_CLOSED) {
            return;
        }
    }
}

static void on_event(conn *c, uint32_t events)
{
    if (c->state == C_CLOSED) {
        return;
    }
    if (c->state == C_CONNECTING) {
        int err = 0;
        socklen_t len = sizeof err;
        getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
        if (err != 0 || (events & (EPOLLERR | EPOLLHUP))) {
            st.connect_failed++;
            conn_close(c);
            return;
        }
        if (!(events & EPOLLOUT)) {
            return;
        }
        c->state = C_HANDSHAKE;
        flush(c); /* the request */
        return;
    }
    if (events & EPOLLOUT) {
        flush(c);
    }
    if (c->state != C_CLOSED && (events & (EPOLLIN | EPOLLHUP | EPOLLERR))) {
        on_readable(c);
    }
}

static void poll_once(int timeout_ms)
{
    struct epoll_event evs[256];
    int n = epoll_wait(ep, evs, 256, timeout_ms);
    for (int i = 0; i < n; i++) {
        on_event(evs[i].data.ptr, evs[i].events);
    }
}

static void run_for(double seconds)
{
    uint64_t end = now_ns() + (uint64_t)(seconds * 1e9);
    while (now_ns() < end) {
        poll_once(10);
    }
}

/* Opens count connections, at most max_pending unfinished at a time; returns
 * how many completed the handshake. */
static unsigned open_conns(conn *cs, unsigned count, uint32_t first_id, size_t in_cap,
                           size_t out_cap)
{
    unsigned started = 0;
    uint64_t deadline = now_ns() + 60ull * 1000000000u;
    for (;;) {
        unsigned pending = 0, open = 0;
        for (unsigned i = 0; i < started; i++) {
            if (cs[i].state == C_CONNECTING || cs[i].state == C_HANDSHAKE) {
                pending++;
            } else if (cs[i].state == C_OPEN) {
                open++;
            }
        }
        if ((started == count && pending == 0) || now_ns() > deadline) {
            return open;
        }
        while (started < count && pending < opt.max_pending) {
            conn_start(&cs[started], first_id + started, in_cap, out_cap);
            started++;
            pending++;
        }
        poll_once(10);
    }
}

static unsigned count_open(const conn *cs, unsigned n)
{
    unsigned open = 0;
    for (unsigned i = 0; i < n; i++) {
        open += cs[i].state == C_OPEN;
    }
    return open;
}

static void close_all(conn *cs, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        if (cs[i].state != C_CLOSED) {
            epoll_ctl(ep, EPOLL_CTL_DEL, cs[i].fd, NULL);
        }
        conn_close(&cs[i]);
        free(cs[i].in);
        free(cs[i].out);
    }
}

/* ------------------------------------------------------------------ phases */

/* VmRSS of pid in KiB, or -1. */
static long read_rss_kib(long pid)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%ld/status", pid);
    FILE *f = fopen(path, "r");
    if (!f) {
        return -1;
    }
    long kib = -1;
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "VmRSS:", 6) == 0) {
            kib = strtol(line + 6, NULL, 10);
            break;
        }
    }
    fclose(f);
    return kib;
}

/* CPU seconds (user + system) that pid has used, or -1. */
static double read_cpu_s(long pid)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%ld/stat", pid);
    FILE *f = fopen(path, "r");
    if (!f) {
        return -1;
    }
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    const char *p = strrchr(buf, ')'); /* the command name may hold spaces */
    if (!p) {
        return -1;
    }
    unsigned long long utime = 0, stime = 0;
    /* After ") ": state, then fields 4..13, then utime (14) and stime (15). */
    if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &utime,
               &stime) != 2) {
        return -1;
    }
    return (double)(utime + stime) / (double)sysconf(_SC_CLK_TCK);
}

static double self_cpu_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static struct {
    unsigned opened, held_settled, held_end;
    long rss_before, rss_after;
} idle_res;

static void phase_idle(void)
{
    enum { WARM = 10 };
    unsigned total = opt.idle + WARM;
    conn *cs = calloc(total, sizeof *cs);
    if (!cs) {
        die("%s", "out of memory");
    }
    /* A few connections first, so lazily created server state (buffers,
     * code paths a JIT compiles) is in the baseline, not in the per-connection
     * share. */
    open_conns(cs, WARM, 1000000, 2048, 256);
    run_for(1.0);
    idle_res.rss_before = opt.pid ? read_rss_kib(opt.pid) : -1;
    uint64_t t0 = now_ns();
    idle_res.opened = open_conns(cs + WARM, opt.idle, 1000000 + WARM, 2048, 256);
    double secs = (double)(now_ns() - t0) / 1e9;
    printf("idle: %u of %u connections open after %.1f s\n", idle_res.opened, opt.idle, secs);
    run_for(2.0);
    idle_res.rss_after = opt.pid ? read_rss_kib(opt.pid) : -1;
    idle_res.held_settled = count_open(cs + WARM, opt.idle);
    run_for(opt.hold);
    idle_res.held_end = count_open(cs + WARM, opt.idle);
    if (opt.pid) {
        printf("idle: server VmRSS %ld KiB before, %ld KiB after: %.0f bytes per connection\n",
               idle_res.rss_before, idle_res.rss_after,
               idle_res.opened ? (double)(idle_res.rss_after - idle_res.rss_before) * 1024.0 /
                                     idle_res.opened
                               : 0.0);
    }
    printf("idle: %u still open after %.0f s more\n", idle_res.held_end, opt.hold);
    close_all(cs, total);
    free(cs);
    run_for(0.5);
}

static uint8_t *msg;

/* Queues one message from c if there is room; false otherwise. */
static bool send_one(conn *c)
{
    size_t need = ws_frame_header_size(opt.size, true) + opt.size;
    if (out_room(c) < need) {
        return false;
    }
    uint64_t t = now_ns();
    char head[32];
    snprintf(head, sizeof head, "ld:%08x:%016llx:", c->id, (unsigned long long)t);
    memcpy(msg, head, 29);
    ptrdiff_t n = ws_message_write(&c->writer, WS_OP_TEXT, msg, opt.size, c->out + c->out_len,
                                   c->out_cap - c->out_len);
    if (n < 0) {
        die("ws_message_write: %s", ws_strerror((ws_status)n));
    }
    c->out_len += (size_t)n;
    c->inflight++;
    if (st.measuring) {
        st.sent++;
    }
    return true;
}

static void drive_senders(conn *cs, unsigned senders, uint64_t now)
{
    for (unsigned i = 0; i < senders; i++) {
        conn *c = &cs[i];
        if (c->state != C_OPEN) {
            continue;
        }
        bool queued = false;
        if (opt.rate > 0) {
            uint64_t step = (uint64_t)(1e9 / opt.rate);
            if (now > c->next_send_ns + 1000000000u) { /* fell a second behind: skip ahead */
                st.skipped += (now - c->next_send_ns) / step;
                c->next_send_ns = now;
            }
            while (c->next_send_ns <= now) {
                if (!send_one(c)) {
                    st.skipped++;
                }
                queued = true;
                c->next_send_ns += step;
            }
        } else {
            while (c->inflight < opt.window && send_one(c)) {
                queued = true;
            }
        }
        if (queued && !c->want_out) {
            flush(c);
        }
    }
}

static struct {
    unsigned opened;
    double seconds;
    double server_cpu_s, load_cpu_s; /* used during the measured seconds */
} thr_res;

static void phase_throughput(void)
{
    unsigned n = opt.clients;
    conn *cs = calloc(n, sizeof *cs);
    msg = malloc(opt.size);
    if (!cs || !msg) {
        die("%s", "out of memory");
    }
    memset(msg, 'x', opt.size);
    size_t frame = ws_frame_header_size(opt.size, true) + opt.size;
    unsigned queue_frames = opt.rate > 0 ? 64 : opt.window;
    /* Everyone may queue a pong; senders also their window of messages,
     * so their send queues grow once the handshake is done. */
    thr_res.opened = open_conns(cs, n, 0, 64 * 1024, 4096);
    for (unsigned i = 0; i < opt.senders; i++) {
        size_t out_cap = frame * queue_frames + 256;
        cs[i].sender = true;
        if (cs[i].state == C_OPEN && out_cap > cs[i].out_cap) {
            uint8_t *out = realloc(cs[i].out, out_cap);
            if (!out) {
                die("%s", "out of memory");
            }
            cs[i].out = out;
            cs[i].out_cap = out_cap;
        }
    }
    printf("throughput: %u of %u clients open, %u senders, %u-byte messages, %s\n",
           thr_res.opened, n, opt.senders, opt.size,
           opt.rate > 0 ? "fixed rate" : "as fast as the window allows");
    uint64_t start = now_ns();
    uint64_t warm_end = start + 1000000000u;
    uint64_t end = warm_end + (uint64_t)(opt.duration * 1e9);
    /* Spread the senders over one period, so a fixed rate is a steady
     * stream of messages and not a burst from every sender at once. */
    uint64_t period = opt.rate > 0 ? (uint64_t)(1e9 / opt.rate) : 0;
    for (unsigned i = 0; i < opt.senders && i < n; i++) {
        cs[i].next_send_ns = start + period * i / opt.senders;
    }
    uint64_t now;
    double server_cpu0 = -1, load_cpu0 = 0;
    while ((now = now_ns()) < end) {
        if (!st.measuring && now >= warm_end) {
            st.measuring = true;
            server_cpu0 = opt.pid ? read_cpu_s(opt.pid) : -1;
            load_cpu0 = self_cpu_s();
        }
        drive_senders(cs, opt.senders < n ? opt.senders : n, now);
        poll_once(opt.rate > 0 ? 1 : 5);
    }
    st.measuring = false;
    thr_res.seconds = (double)(now - warm_end) / 1e9;
    double server_cpu1 = opt.pid ? read_cpu_s(opt.pid) : -1;
    thr_res.server_cpu_s = server_cpu0 >= 0 && server_cpu1 >= 0 ? server_cpu1 - server_cpu0 : -1;
    thr_res.load_cpu_s = self_cpu_s() - load_cpu0;
    close_all(cs, n);
    free(cs);
    free(msg);
    printf("throughput: sent %llu, delivered %llu (%.0f msg/s delivered, %.0f msg/s sent), "
           "latency p50 %.0f us, p99 %.0f us%s\n",
           (unsigned long long)st.sent, (unsigned long long)st.delivered,
           (double)st.delivered / thr_res.seconds, (double)st.sent / thr_res.seconds,
           hist_percentile(0.50), hist_percentile(0.99),
           st.skipped ? " (rate not reached: sends skipped)" : "");
    printf("throughput: CPU used in the measured %.1f s: server %.2f s, ws_load %.2f s\n",
           thr_res.seconds, thr_res.server_cpu_s, thr_res.load_cpu_s);
}

/* ------------------------------------------------------------------ main */

static void usage(void)
{
    printf(
        "usage: ws_load [--url ws://HOST:PORT/PATH] [--clients N] [--senders S] [--size B]\n"
        "               [--rate MSGS_PER_S] [--window W] [--duration SECS] [--idle N]\n"
        "               [--hold SECS] [--pid PID] [--sources K]\n"
        "  --clients N     connections of the throughput phase, all receivers (default 100)\n"
        "  --senders S     how many of them send; 0 skips the phase (default 10)\n"
        "  --size B        message size in bytes, 32 to 1048576 (default 64)\n"
        "  --rate R        messages per second per sender; 0: as fast as possible (default)\n"
        "  --window W      unanswered messages per sender when --rate is 0 (default 16)\n"
        "  --duration D    measured seconds, after 1 s of warm-up; at most 300 (default 10)\n"
        "  --idle N        first open N idle connections and report how many stay open\n"
        "  --hold SECS     how long to keep the idle connections open (default 3)\n"
        "  --pid PID       the server's process: VmRSS per idle connection, and its CPU time\n"
        "                  during the throughput phase\n"
        "  --sources K     spread connections over source addresses 127.0.0.1..127.0.0.K\n"
        "                  (IPv4 servers on this machine; beyond ~28,000 connections)\n");
}

static bool parse_args(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!v) {
            return false;
        }
        i++;
        if (strcmp(a, "--url") == 0) {
            opt.url = v;
        } else if (strcmp(a, "--clients") == 0) {
            opt.clients = (unsigned)strtoul(v, NULL, 10);
        } else if (strcmp(a, "--senders") == 0) {
            opt.senders = (unsigned)strtoul(v, NULL, 10);
        } else if (strcmp(a, "--size") == 0) {
            opt.size = (unsigned)strtoul(v, NULL, 10);
        } else if (strcmp(a, "--rate") == 0) {
            opt.rate = atof(v);
        } else if (strcmp(a, "--window") == 0) {
            opt.window = (unsigned)strtoul(v, NULL, 10);
        } else if (strcmp(a, "--duration") == 0) {
            opt.duration = atof(v);
        } else if (strcmp(a, "--idle") == 0) {
            opt.idle = (unsigned)strtoul(v, NULL, 10);
        } else if (strcmp(a, "--hold") == 0) {
            opt.hold = atof(v);
        } else if (strcmp(a, "--pid") == 0) {
            opt.pid = strtol(v, NULL, 10);
        } else if (strcmp(a, "--sources") == 0) {
            opt.sources = (unsigned)strtoul(v, NULL, 10);
        } else {
            return false;
        }
    }
    return opt.size >= 32 && opt.size <= (1u << 20) && opt.duration > 0 &&
           opt.duration <= 300 && opt.hold >= 0 && opt.hold <= 600 && opt.window >= 1 &&
           opt.rate >= 0 && opt.clients <= 100000 && opt.idle <= 100000 &&
           opt.senders <= opt.clients && opt.sources >= 1 && opt.sources <= 254;
}

static void raise_nofile(unsigned need)
{
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    if (rl.rlim_cur >= need) {
        return;
    }
    rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max >= need ? need : rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
    if (rl.rlim_cur < need) {
        fprintf(stderr,
                "ws_load: RLIMIT_NOFILE hard limit is %llu, below the %u descriptors needed; "
                "raise it (ulimit -Hn) or open fewer connections\n",
                (unsigned long long)rl.rlim_max, need);
        exit(1);
    }
}

int main(int argc, char **argv)
{
    if (!parse_args(argc, argv)) {
        usage();
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    if (getrandom(&rng, sizeof rng, 0) != sizeof rng || rng == 0) {
        rng = now_ns() | 1;
    }
    resolve();
    unsigned idle_need = opt.idle + 10;
    raise_nofile((idle_need > opt.clients ? idle_need : opt.clients) + 64);
    ep = epoll_create1(EPOLL_CLOEXEC);
    if (ep < 0) {
        die("%s", "epoll_create1 failed");
    }
    if (opt.idle > 0) {
        phase_idle();
    }
    if (opt.senders > 0) {
        phase_throughput();
    }
    double per_conn = idle_res.opened && idle_res.rss_before >= 0 && idle_res.rss_after >= 0
                          ? (double)(idle_res.rss_after - idle_res.rss_before) * 1024.0 /
                                idle_res.opened
                          : -1;
    printf("RESULT idle=%u idle_opened=%u idle_held=%u rss_before_kib=%ld rss_after_kib=%ld "
           "bytes_per_idle_conn=%.0f clients=%u senders=%u size=%u seconds=%.2f sent=%llu "
           "delivered=%llu delivered_per_s=%.0f p50_us=%.0f p99_us=%.0f connect_failed=%llu "
           "handshake_failed=%llu protocol_errors=%llu closed_by_server=%llu skipped=%llu "
           "unrecognised=%llu server_cpu_s=%.2f load_cpu_s=%.2f\n",
           opt.idle, idle_res.opened, idle_res.held_end, idle_res.rss_before,
           idle_res.rss_after, per_conn, thr_res.opened, opt.senders, opt.size, thr_res.seconds,
           (unsigned long long)st.sent, (unsigned long long)st.delivered,
           thr_res.seconds > 0 ? (double)st.delivered / thr_res.seconds : 0.0,
           hist_percentile(0.50), hist_percentile(0.99), (unsigned long long)st.connect_failed,
           (unsigned long long)st.handshake_failed, (unsigned long long)st.protocol_errors,
           (unsigned long long)st.closed_by_server, (unsigned long long)st.skipped,
           (unsigned long long)st.delivered_other, thr_res.server_cpu_s, thr_res.load_cpu_s);
    return 0;
}
