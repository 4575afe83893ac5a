#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* getrandom, SOCK_NONBLOCK */
#endif
#include "ws_client.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#ifdef WS_CLIENT_TLS
#include "tls.h"
#endif

/* Room for the server's handshake response head plus the frames it may send
 * right behind it; afterwards the receive buffer. It must hold at least
 * WS_PARSER_MIN_BUFFER; larger means fewer read() calls. */
#define CLIENT_IN_CAP (64u * 1024u)
#define CLIENT_MAX_RESPONSE_HEADERS 64

static void fill_random(void *buf, size_t len)
{
    uint8_t *p = buf;
    while (len > 0) {
        ssize_t n = getrandom(p, len, 0);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            /* A predictable mask or key would defeat RFC 6455 section 10.3;
             * no key is better than a guessable one. */
            perror("getrandom");
            abort();
        }
        p += n;
        len -= (size_t)n;
    }
}

/* RFC 6455 section 5.3: a fresh, unpredictable key for every frame. */
static void next_mask_key(void *ctx, uint8_t key[4])
{
    (void)ctx;
    fill_random(key, 4);
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* poll() one fd until events, the deadline, or an error. Returns poll's
 * result: 1 ready, 0 timed out, -1 error. */
static int wait_fd(int fd, short events, int64_t deadline)
{
    for (;;) {
        int64_t left = deadline - now_ms();
        if (left < 0)
            left = 0;
        struct pollfd p = {.fd = fd, .events = events, .revents = 0};
        int r = poll(&p, 1, (int)left);
        if (r < 0 && errno == EINTR)
            continue;
        return r;
    }
}

/* recv/send on the socket, or on TLS over it for wss://. */
static ssize_t conn_recv(client_conn *c, void *buf, size_t len)
{
#ifdef WS_CLIENT_TLS
    if (c->tls)
        return tls_read(c->tls, buf, len);
#endif
    return recv(c->fd, buf, len, 0);
}

static ssize_t conn_send(client_conn *c, const void *buf, size_t len)
{
#ifdef WS_CLIENT_TLS
    if (c->tls)
        return tls_write(c->tls, buf, len);
#endif
    return send(c->fd, buf, len, MSG_NOSIGNAL);
}

/* What to poll for after conn_recv (POLLIN) or conn_send (POLLOUT) said
 * EAGAIN: TLS may have to write while reading, or read while writing. */
static short conn_blocked_on(const client_conn *c, short plain)
{
#ifdef WS_CLIENT_TLS
    if (c->tls && plain == POLLIN && tls_read_needs_write(c->tls))
        return POLLOUT;
    if (c->tls && plain == POLLOUT && tls_write_needs_read(c->tls))
        return POLLIN;
#else
    (void)c;
#endif
    return plain;
}

/* errno's sentence, or TLS's for a TLS error. */
static const char *conn_error(const client_conn *c, int err)
{
#ifdef WS_CLIENT_TLS
    if (c->tls && err == EPROTO)
        return tls_error(c->tls);
#else
    (void)c;
#endif
    return strerror(err);
}

bool client_has_tls(void)
{
#ifdef WS_CLIENT_TLS
    return true;
#else
    return false;
#endif
}

/* ------------------------------------------------------------------ TCP */

/* Try every address getaddrinfo gives, in order, each bounded by the
 * deadline. Refused on every address is reported as "connection refused",
 * the sentence people grep for. */
static int tcp_connect(client_conn *c, const ws_url *url, int timeout_ms, char *err,
                       size_t err_cap)
{
    char host[256];
    if (url->host_len >= sizeof host) {
        snprintf(err, err_cap, "could not resolve host: the name is too long");
        return -1;
    }
    memcpy(host, url->host, url->host_len);
    host[url->host_len] = '\0';
    char service[8];
    snprintf(service, sizeof service, "%u", (unsigned)url->port);

    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV;
    int rc = getaddrinfo(host, service, &hints, &res);
    if (rc != 0) {
        snprintf(err, err_cap, "could not resolve host %s: %s", host,
                 rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc));
        return -1;
    }

    int64_t deadline = now_ms() + timeout_ms;
    int last_errno = 0;
    bool refused = false;
    int fd = -1;
    for (struct addrinfo *ai = res; ai && fd < 0; ai = ai->ai_next) {
        int s = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
                       ai->ai_protocol);
        if (s < 0) {
            last_errno = errno;
            continue;
        }
        int e = 0;
        if (connect(s, ai->ai_addr, ai->ai_addrlen) < 0) {
            e = errno;
            if (e == EINPROGRESS) {
                int r = wait_fd(s, POLLOUT, deadline);
                socklen_t elen = sizeof e;
                if (r == 0)
                    e = ETIMEDOUT;
                else if (r < 0)
                    e = errno;
                else if (getsockopt(s, SOL_SOCKET, SO_ERROR, &e, &elen) < 0)
                    e = errno;
            }
        }
        if (e == 0) {
            fd = s;
            net_format_addr(ai->ai_addr, ai->ai_addrlen, c->peer, sizeof c->peer);
            break;
        }
        close(s);
        last_errno = e;
        refused = refused || e == ECONNREFUSED;
        if (e == ETIMEDOUT && now_ms() >= deadline)
            break;
    }
    freeaddrinfo(res);

    if (fd < 0) {
        if (refused && last_errno == ECONNREFUSED)
            snprintf(err, err_cap, "connection refused (%s port %s)", host, service);
        else if (last_errno == ETIMEDOUT)
            snprintf(err, err_cap, "could not connect to %s port %s: timed out after %d ms",
                     host, service, timeout_ms);
        else
            snprintf(err, err_cap, "could not connect to %s port %s: %s", host, service,
                     strerror(last_errno));
        return -1;
    }
    /* Chat lines are small and interactive: do not hold them back waiting
     * for more (Nagle). */
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    c->fd = fd;
    return 0;
}

/* ------------------------------------------------------------ handshake */

static int send_all(client_conn *c, const char *buf, size_t len, int64_t deadline)
{
    while (len > 0) {
        ssize_t n = conn_send(c, buf, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno != EAGAIN && errno != EWOULDBLOCK)
                return -1;
            int r = wait_fd(c->fd, conn_blocked_on(c, POLLOUT), deadline);
            if (r <= 0) {
                if (r == 0)
                    errno = ETIMEDOUT;
                return -1;
            }
            continue;
        }
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Send an HTTP request, then read into c->in until the response head is
 * complete, and parse it into res and headers (which point into c->in);
 * both within timeout_ms. Returns the head's length, or -1 with "<what>:
 * <why>" in err; who names the peer in the sentence. */
static int http_exchange(client_conn *c, const char *request, size_t len, int timeout_ms,
                         ws_http_response *res, ws_http_header *headers, const char *what,
                         const char *who, char *err, size_t err_cap)
{
    const int64_t deadline = now_ms() + timeout_ms;
    if (send_all(c, request, len, deadline) < 0) {
        snprintf(err, err_cap, "%s: could not send the request: %s", what, conn_error(c, errno));
        return -1;
    }
    ws_limits limits;
    ws_limits_default(&limits);
    size_t last_len = 0;
    for (;;) {
        ssize_t r = conn_recv(c, c->in + c->in_len, c->in_cap - c->in_len);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            if (errno != EAGAIN && errno != EWOULDBLOCK) {
                snprintf(err, err_cap, "%s: %s", what, conn_error(c, errno));
                return -1;
            }
            int w = wait_fd(c->fd, conn_blocked_on(c, POLLIN), deadline);
            if (w == 0) {
                snprintf(err, err_cap, "%s: no answer from %s within %d ms", what, who,
                         timeout_ms);
                return -1;
            }
            if (w < 0) {
                snprintf(err, err_cap, "%s: %s", what, strerror(errno));
                return -1;
            }
            continue;
        }
        if (r == 0) {
            snprintf(err, err_cap, "%s: %s closed the connection before answering", what, who);
            return -1;
        }
        c->in_len += (size_t)r;
        int head_len = ws_http_parse_response((const char *)c->in, c->in_len, last_len, &limits,
                                              res, headers, CLIENT_MAX_RESPONSE_HEADERS);
        if (head_len == WS_INCOMPLETE) {
            last_len = c->in_len;
            continue;
        }
        if (head_len < 0) {
            snprintf(err, err_cap, "%s: %s", what, ws_strerror(head_len));
            return -1;
        }
        return head_len;
    }
}

/* --proxy: a tunnel through an HTTP proxy (CONNECT, RFC 9110 section
 * 9.3.6), on the connection tcp_connect made to the proxy. Everything
 * after it, TLS included, goes through the tunnel to the URL's host. */
static int proxy_tunnel(client_conn *c, const ws_url *url, int timeout_ms, char *err,
                        size_t err_cap)
{
    char authority[280], request[600];
    const bool v6 = url->ipv6;
    const int a = snprintf(authority, sizeof authority, "%s%.*s%s:%u", v6 ? "[" : "",
                           (int)url->host_len, url->host, v6 ? "]" : "", (unsigned)url->port);
    const int n = snprintf(request, sizeof request,
                           "CONNECT %s HTTP/1.1\r\nHost: %s\r\n\r\n", authority, authority);
    if (a < 0 || (size_t)a >= sizeof authority || n < 0 || (size_t)n >= sizeof request) {
        snprintf(err, err_cap, "proxy: the host name is too long");
        return -1;
    }
    ws_http_header headers[CLIENT_MAX_RESPONSE_HEADERS];
    ws_http_response res;
    const int head_len = http_exchange(c, request, (size_t)n, timeout_ms, &res, headers,
                                       "proxy CONNECT failed", "the proxy", err, err_cap);
    if (head_len < 0)
        return -1;
    if (res.status / 100 != 2) {
        snprintf(err, err_cap, "proxy CONNECT failed: the proxy answered %d %.*s", res.status,
                 (int)res.reason_len, res.reason);
        return -1;
    }
    /* The server says nothing before our handshake (or TLS hello), so
     * bytes behind the answer cannot be the tunnel's. */
    if ((size_t)head_len != c->in_len) {
        snprintf(err, err_cap, "proxy CONNECT failed: the proxy sent bytes after its answer");
        return -1;
    }
    c->in_len = 0;
    return 0;
}

/* "http://HOST[:PORT]" or "HOST[:PORT]" (PORT defaults to 80), read as the
 * authority of a ws:// URL so that IPv6 literals and ports are checked by
 * the library's URL parser. */
static int parse_proxy(const char *proxy, char *buf, size_t cap, ws_url *out, char *err,
                       size_t err_cap)
{
    const char *authority = proxy;
    if (strncasecmp(authority, "http://", 7) == 0)
        authority += 7;
    else if (strstr(authority, "://")) {
        snprintf(err, err_cap, "--proxy %s: only http:// proxies (CONNECT) are supported", proxy);
        return -1;
    }
    size_t len = strlen(authority);
    if (len > 0 && authority[len - 1] == '/')
        len--;
    int n = snprintf(buf, cap, "ws://%.*s", (int)len, authority);
    ws_status st = n < 0 || (size_t)n >= cap ? WS_E_INVALID_ARGUMENT
                                             : ws_url_parse(buf, (size_t)n, out);
    if (st == WS_OK && (out->target_len != 1 || out->target[0] != '/'))
        st = WS_E_INVALID_ARGUMENT;
    if (st != WS_OK) {
        snprintf(err, err_cap, "--proxy %s: not HOST:PORT or http://HOST:PORT", proxy);
        return -1;
    }
    return 0;
}

bool client_proxy_valid(const char *proxy, char *err, size_t err_cap)
{
    char buf[512];
    ws_url url;
    return parse_proxy(proxy, buf, sizeof buf, &url, err, err_cap) == 0;
}

/* Send the upgrade request, read until the response head is complete, check
 * it. Bytes after the head are frames: they stay in c->in. */
static int handshake(client_conn *c, const ws_url *url, const client_config *cfg,
                     int timeout_ms, char *err, size_t err_cap)
{
    ws_client_options opts;
    memset(&opts, 0, sizeof opts);
    opts.origin = cfg->origin;
    opts.protocols = cfg->protocols;
    opts.num_protocols = cfg->num_protocols;
    opts.extra_headers = cfg->extra_headers;

    uint8_t nonce[16];
    fill_random(nonce, sizeof nonce);
    char key[WS_KEY_LEN + 1];
    /* Room for whatever the user asked for (a long path, big cookies): the
     * server says whether it takes a head that big (431), not we. */
    size_t cap = 1024 + url->host_len + url->target_len +
                 (cfg->origin ? strlen(cfg->origin) : 0) +
                 (cfg->extra_headers ? strlen(cfg->extra_headers) : 0);
    for (size_t i = 0; i < cfg->num_protocols; i++)
        cap += strlen(cfg->protocols[i]) + 2;
    char *request = malloc(cap);
    if (!request) {
        snprintf(err, err_cap, "handshake failed: out of memory");
        return -1;
    }
    int n = ws_handshake_write_request(url, &opts, nonce, key, request, cap);
    if (n < 0) {
        free(request);
        snprintf(err, err_cap, "handshake failed: %s", ws_strerror(n));
        return -1;
    }
    ws_http_header headers[CLIENT_MAX_RESPONSE_HEADERS];
    ws_http_response res;
    const int head_len = http_exchange(c, request, (size_t)n, timeout_ms, &res, headers,
                                       "handshake failed", "the server", err, err_cap);
    free(request);
    if (head_len < 0)
        return -1;

    ws_handshake_response hr;
    ws_status st = ws_handshake_check_response(&res, key, &opts, &hr);
    if (st == WS_E_HS_STATUS) {
        /* A redirect is not followed (RFC 6455 section 4.1 allows a client
         * to; this one does not go where it was not asked to), but says
         * where it points, so the user can. Like the reason phrase, it can
         * hold no control character: the HTTP parser refused those. */
        size_t pos = 0;
        const ws_http_header *to =
            res.status / 100 == 3 ? ws_http_find_header(res.headers, res.num_headers, "Location", &pos)
                                  : NULL;
        if (to != NULL)
            snprintf(err, err_cap,
                     "handshake failed: server answered %d %.*s (Location: %.*s; not followed)",
                     res.status, (int)res.reason_len, res.reason, (int)to->value_len, to->value);
        else
            snprintf(err, err_cap, "handshake failed: server answered %d %.*s", res.status,
                     (int)res.reason_len, res.reason);
        return -1;
    }
    if (st != WS_OK) {
        snprintf(err, err_cap, "handshake failed: %s", ws_strerror(st));
        return -1;
    }
    if (hr.protocol) {
        size_t len = hr.protocol_len < sizeof c->protocol - 1 ? hr.protocol_len
                                                              : sizeof c->protocol - 1;
        memcpy(c->protocol, hr.protocol, len);
        c->protocol[len] = '\0';
    }
    /* We offer no extension, and the check above refuses any the server
     * accepts anyway, so RSV bits stay forbidden in the parser. */
    c->in_len -= (size_t)head_len;
    memmove(c->in, c->in + head_len, c->in_len);
    return 0;
}

int client_connect(client_conn *c, const client_config *cfg, char *err, size_t err_cap)
{
    memset(c, 0, sizeof *c);
    c->fd = -1;
    sendq_init(&c->out);

    ws_url url;
    ws_status st = ws_url_parse(cfg->url, strlen(cfg->url), &url);
    if (st != WS_OK) {
        snprintf(err, err_cap, "invalid URL %s: %s", cfg->url, ws_strerror(st));
        return -1;
    }
#ifndef WS_CLIENT_TLS
    if (url.secure) {
        snprintf(err, err_cap, "wss:// needs TLS, which this build does not have (built "
                 "without OpenSSL); use ws://");
        return -1;
    }
#endif

    c->in_cap = CLIENT_IN_CAP;
    c->in = malloc(c->in_cap);
    if (!c->in) {
        snprintf(err, err_cap, "out of memory");
        return -1;
    }
    int timeout_ms = cfg->timeout_ms > 0 ? cfg->timeout_ms : 10000;
    if (cfg->proxy) {
        char proxy_buf[512], why[400];
        ws_url proxy;
        if (parse_proxy(cfg->proxy, proxy_buf, sizeof proxy_buf, &proxy, err, err_cap) < 0)
            goto fail;
        if (tcp_connect(c, &proxy, timeout_ms, why, sizeof why) < 0) {
            snprintf(err, err_cap, "proxy: %s", why);
            goto fail;
        }
        if (proxy_tunnel(c, &url, timeout_ms, err, err_cap) < 0)
            goto fail;
    } else if (tcp_connect(c, &url, timeout_ms, err, err_cap) < 0) {
        goto fail;
    }
#ifdef WS_CLIENT_TLS
    if (url.secure) {
        char host[256];
        snprintf(host, sizeof host, "%.*s", (int)url.host_len, url.host);
        const tls_options to = {.ca_file = cfg->ca_file, .insecure = cfg->insecure};
        c->tls = tls_connect(c->fd, host, &to, timeout_ms, err, err_cap);
        if (!c->tls)
            goto fail;
    }
#endif
    if (handshake(c, &url, cfg, timeout_ms, err, err_cap) < 0)
        goto fail;

    ws_limits limits;
    ws_limits_default(&limits);
    if (cfg->max_message > 0) {
        limits.max_message_size = cfg->max_message;
        limits.max_frame_size = cfg->max_message;
    }
    /* The message size bounds what the server can make us hold; a fragment
     * count limit would only refuse servers that stream a message in small
     * frames (Node ws with fin: false, Python websockets from an iterator). */
    limits.max_fragments = 0;
    ws_parser_init(&c->parser, WS_ROLE_CLIENT, &limits);
    ws_writer_init(&c->writer, WS_ROLE_CLIENT, 0, next_mask_key, NULL);
    ws_closing_init(&c->closing, WS_ROLE_CLIENT);
    return 0;

fail:
    client_free(c);
    return -1;
}

void client_free(client_conn *c)
{
#ifdef WS_CLIENT_TLS
    tls_free(c->tls); /* its close_notify before our FIN */
    c->tls = NULL;
#endif
    if (c->fd >= 0) {
        /* close() with unread bytes in the receive queue sends a reset,
         * which can destroy our close frame before the server reads it.
         * Send FIN after it instead, and empty the queue first. */
        if (!c->peer_eof) {
            shutdown(c->fd, SHUT_WR);
            uint8_t sink[4096];
            for (int i = 0; i < 256 && recv(c->fd, sink, sizeof sink, MSG_DONTWAIT) > 0; i++)
                continue; /* bounded: a server that floods must not keep us here */
        }
        close(c->fd);
    }
    c->fd = -1;
    sendq_free(&c->out);
    free(c->in);
    c->in = NULL;
    bytebuf_free(&c->msg);
}

/* ---------------------------------------------------------------- send */

void client_out_of_memory(client_conn *c)
{
    c->out_of_memory = true;
    c->io_errno = ENOMEM;
    c->peer_eof = true; /* nothing more is read */
    c->pong_waiting = false;
    sendq_free(&c->out);
    sendq_init(&c->out);
    ws_closing_peer_closed(&c->closing);
}

/* Queue a copy of a small encoded frame (control frames are built on the
 * stack; messages are encoded straight into their sbuf instead). */
static int queue_bytes(client_conn *c, const uint8_t *bytes, size_t len)
{
    sbuf *b = sbuf_copy(bytes, len);
    int rc = b && sendq_push(&c->out, b) == 0 ? 0 : WS_E_BUFFER_TOO_SMALL;
    sbuf_unref(b);
    if (rc < 0)
        client_out_of_memory(c);
    return rc;
}

int client_send_message(client_conn *c, ws_opcode opcode, const void *data, size_t len)
{
    if (!ws_writer_can_send(&c->writer))
        return WS_E_CLOSING;
    int st;
    sbuf *b = sbuf_message(&c->writer, opcode, data, len, &st);
    if (!b && st)
        return st;
    int rc = b && sendq_push(&c->out, b) == 0 ? 0 : WS_E_BUFFER_TOO_SMALL;
    sbuf_unref(b);
    if (rc < 0)
        client_out_of_memory(c);
    return rc;
}

int client_send_ping(client_conn *c, const void *payload, size_t len)
{
    uint8_t frame[WS_MAX_HEADER_SIZE + WS_MAX_CONTROL_PAYLOAD];
    ptrdiff_t n = ws_ping_write(&c->writer, payload, len, frame, sizeof frame);
    return n < 0 ? (int)n : queue_bytes(c, frame, (size_t)n);
}

int client_send_pong(client_conn *c, const void *payload, size_t len)
{
    uint8_t frame[WS_MAX_HEADER_SIZE + WS_MAX_CONTROL_PAYLOAD];
    ptrdiff_t n = ws_pong_write(&c->writer, payload, len, frame, sizeof frame);
    return n < 0 ? (int)n : queue_bytes(c, frame, (size_t)n);
}

/* Answer a ping now, or remember it (replacing an older one) while the queue
 * is over its limit, so a server that pings a client it cannot write to does
 * not grow our memory. */
static void answer_ping(client_conn *c, const uint8_t *payload, size_t len)
{
    if (!ws_writer_can_send(&c->writer))
        return;
    if (client_queued(c) < CLIENT_QUEUE_LIMIT) {
        c->pong_waiting = false;
        client_send_pong(c, payload, len);
        return;
    }
    memcpy(c->pong, payload, len);
    c->pong_len = len;
    c->pong_waiting = true;
}

int client_close(client_conn *c, uint16_t code, const char *reason, size_t reason_len)
{
    ws_status st = ws_closing_request(&c->closing, code, reason, reason_len);
    if (st != WS_OK)
        return st;
    client_state(c);
    return 0;
}

size_t client_queued(const client_conn *c) { return c->out.bytes; }

bool client_wants_write(const client_conn *c)
{
#ifdef WS_CLIENT_TLS
    if (c->tls && tls_read_needs_write(c->tls))
        return true;
    /* Until TLS has read what it waits for, writability would only make
     * the loop spin; the next readable event flushes. */
    if (c->tls && tls_write_needs_read(c->tls))
        return false;
#endif
    return client_queued(c) > 0 || c->pong_waiting;
}

void client_writable(client_conn *c, client_event_fn fn, void *arg)
{
#ifdef WS_CLIENT_TLS
    if (c->tls && tls_read_needs_write(c->tls))
        client_receive(c, fn, arg);
#else
    (void)fn;
    (void)arg;
#endif
    client_flush(c);
}

#ifdef WS_CLIENT_TLS
static ssize_t write_tls(void *ctx, const struct iovec *iov, int n)
{
    return tls_writev(ctx, iov, n);
}
#endif

int client_flush(client_conn *c)
{
    if (c->fd < 0)
        return -1;
    if (c->pong_waiting && client_queued(c) < CLIENT_QUEUE_LIMIT) {
        c->pong_waiting = false;
        client_send_pong(c, c->pong, c->pong_len);
    }
    if (sendq_empty(&c->out))
        return 0;
#ifdef WS_CLIENT_TLS
    const int flushed = c->tls ? sendq_flush_with(&c->out, write_tls, c->tls)
                               : sendq_flush(&c->out, c->fd);
#else
    const int flushed = sendq_flush(&c->out, c->fd);
#endif
    if (flushed < 0) {
        /* The server reset the connection or went away: nothing we queue
         * can arrive any more. */
        c->io_errno = errno;
        c->peer_eof = true;
        sendq_free(&c->out);
        sendq_init(&c->out);
        ws_closing_peer_closed(&c->closing);
        return -1;
    }
    return 0;
}

/* ------------------------------------------------------------- receive */

static size_t tls_pending_bytes(const client_conn *c)
{
#ifdef WS_CLIENT_TLS
    if (c->tls)
        return tls_pending(c->tls);
#endif
    (void)c;
    return 0;
}

static void parse_input(client_conn *c, client_event_fn fn, void *arg)
{
    size_t off = 0;
    for (;;) {
        /* A pong (or an event handler's send) that ran out of memory
         * dropped the connection: nothing after it is delivered. */
        if (c->out_of_memory) {
            off = c->in_len;
            break;
        }
        ws_event ev;
        ptrdiff_t n = ws_parser_next(&c->parser, c->in + off, c->in_len - off, &ev);
        if (n < 0) {
            if (n == WS_E_AFTER_CLOSE) {
                /* RFC 6455 section 5.5.1: after its close the server sends
                 * nothing; anything it does send is dropped. */
                off = c->in_len;
                break;
            }
            c->protocol_error = (int)n;
            ws_closing_fail(&c->closing, (int)n);
            off = c->in_len;
            break;
        }
        off += (size_t)n;
        client_event out = {.type = CLIENT_EV_MESSAGE, .opcode = ev.opcode, .data = ev.data,
                            .len = ev.len, .close_code = ev.close_code};
        switch (ev.type) {
        case WS_EV_NONE:
            goto done;
        case WS_EV_MESSAGE_START:
            c->msg.len = 0;
            c->msg_opcode = ev.opcode;
            break;
        case WS_EV_DATA:
            /* The parser enforces the size limit: a failure here is our
             * memory, not the server breaking the protocol. */
            if (!bytebuf_append(&c->msg, ev.data, ev.len, 0)) {
                client_out_of_memory(c);
                off = c->in_len;
                goto done;
            }
            break;
        case WS_EV_MESSAGE_END:
            out.opcode = c->msg_opcode;
            out.data = c->msg.data;
            out.len = c->msg.len;
            fn(&out, arg);
            break;
        case WS_EV_PING:
            answer_ping(c, ev.data, ev.len);
            out.type = CLIENT_EV_PING;
            fn(&out, arg);
            break;
        case WS_EV_PONG:
            out.type = CLIENT_EV_PONG;
            fn(&out, arg);
            break;
        case WS_EV_CLOSE:
            ws_closing_received_reason(&c->closing, ev.close_code, ev.data, ev.len);
            out.type = CLIENT_EV_CLOSE;
            fn(&out, arg);
            break;
        }
    }
done:
    c->in_len -= off;
    memmove(c->in, c->in + off, c->in_len);
}

void client_receive(client_conn *c, client_event_fn fn, void *arg)
{
    /* After a protocol error the parser refuses everything, and the first
     * error is the one worth reporting: nothing is parsed after it, not
     * even in this call (input is still read, to notice the TCP close).
     * Frames that came with the handshake response are parsed before the
     * first read. */
    if (c->protocol_error)
        c->in_len = 0;
    if (c->in_len > 0 && fn)
        parse_input(c, fn, arg);
    /* One read per readable event, as the loop is level-triggered; but
     * TLS may hold decrypted bytes the socket no longer shows, so read
     * again while it does (each pass parses what it read, making room). */
    do {
        if (c->peer_eof || c->fd < 0)
            return;
        ssize_t n;
        do
            n = conn_recv(c, c->in + c->in_len, c->in_cap - c->in_len);
        while (n < 0 && errno == EINTR);
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return;
        if (n <= 0) {
            if (n < 0)
                c->io_errno = errno;
            c->peer_eof = true;
            ws_closing_peer_closed(&c->closing);
            return;
        }
        if (!fn || c->protocol_error)
            continue; /* read only to notice the server's TCP close */
        c->in_len += (size_t)n;
        parse_input(c, fn, arg);
    } while (tls_pending_bytes(c) > 0 && c->in_len < c->in_cap);
}

/* ---------------------------------------------------------------- close */

void client_timeout(client_conn *c) { ws_closing_timeout(&c->closing); }

client_state_kind client_state(client_conn *c)
{
    for (;;) {
        switch (ws_closing_next(&c->closing)) {
        case WS_CLOSING_READ:
            return ws_writer_can_send(&c->writer) ? CLIENT_OPEN : CLIENT_CLOSING;
        case WS_CLOSING_SEND_CLOSE: {
            uint8_t frame[WS_MAX_HEADER_SIZE + WS_MAX_CONTROL_PAYLOAD];
            ptrdiff_t n = ws_closing_write(&c->closing, &c->writer, frame, sizeof frame);
            if (n > 0)
                queue_bytes(c, frame, (size_t)n);
            else if (n != WS_E_CLOSING)
                /* The frame fits by construction; failing to build it is a
                 * bug, and an endless loop would hide it. */
                ws_closing_fail(&c->closing, WS_E_INVALID_ARGUMENT);
            continue;
        }
        case WS_CLOSING_WAIT_TCP_CLOSE:
            return c->peer_eof ? CLIENT_DONE : CLIENT_WAIT_TCP;
        case WS_CLOSING_CLOSE_TCP:
            return CLIENT_DONE;
        }
        return CLIENT_DONE;
    }
}

const char *client_io_error(const client_conn *c)
{
    return c->io_errno ? conn_error(c, c->io_errno) : "";
}

bool client_closed_cleanly(const client_conn *c) { return ws_closing_clean(&c->closing); }

uint16_t client_peer_code(const client_conn *c) { return ws_closing_peer_code(&c->closing); }
