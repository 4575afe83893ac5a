/*
 * chat_server - a chat room: every text message goes to everyone connected,
 * the sender included, as "Server: <message>"; binary messages are relayed
 * unchanged. GET / serves the chat page (chat.html with chat.js and
 * chat.css, compiled into the binary).
 *
 *   chat_server [--port 8080] [--host ADDR] [--origin ORIGIN]...
 *               [--max-message BYTES] [--max-clients N] [--ping-interval SECONDS]
 *               [--handshake-timeout SECONDS] [--redis redis://[[USER]:PASSWORD@]HOST:PORT[/CHANNEL]]
 *               [--protocol NAME]...
 *
 * What to read here: the HTTP handler (the page, HEAD, 404, 405) and the message
 * handler, which encodes each frame ONCE (frame_new) and queues the same
 * buffer to every client (server_broadcast): N clients cost N references,
 * not N copies. The protections (handshake timeout, header and message
 * limits, client limit, Origin allow-list, keepalive pings, slow consumer
 * drop) are options of examples/common/server.c, set in main().
 */
#include <ctype.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "log.h"
#include "loop.h"
#include "net.h"
#include "server.h"
#include "wsframe.h"
#if CHAT_WITH_REDIS
#include "redis_bus.h"
#endif

/* Generated from chat.html, chat.js and chat.css by cmake/embed.cmake. */
extern const unsigned char chat_html[], chat_js[], chat_css[];
extern const size_t chat_html_len, chat_js_len, chat_css_len;

/* The page with --max-message written in (page_with_limit), made once in
 * main before the first request. */
static char *page;
static size_t page_len;

/* The page's own headers. The Content-Security-Policy lets it run only
 * chat.js and chat.css from this server and connect only to WebSockets (and
 * back here): even a message that got past textContent could run nothing.
 * It may not be framed (clickjacking) and sends no Referer. */
static const char page_headers[] =
    "Cache-Control: no-cache\r\n"
    "X-Content-Type-Options: nosniff\r\n"
    "Content-Security-Policy: default-src 'none'; script-src 'self'; style-src 'self'; "
    "connect-src 'self' ws: wss:; img-src 'self' data:; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'none'\r\n"
    "Referrer-Policy: no-referrer\r\n"
    "X-Frame-Options: DENY\r\n";
static const char asset_headers[] = "Cache-Control: no-cache\r\nX-Content-Type-Options: nosniff\r\n";

#define DEFAULT_PORT 8080
#define DEFAULT_MAX_MESSAGE (64u * 1024u)
#define DEFAULT_PING_INTERVAL_S 30u
#define DEFAULT_HANDSHAKE_TIMEOUT_S 10u
#define MAX_ORIGINS 32
#define SHUTDOWN_WAIT_MS 2000u
#ifndef CHAT_WITH_REDIS
#define CHAT_WITH_REDIS 0
#endif

static const char prefix[] = "Server: ";

static void usage(FILE *out, const char *prog)
{
    fprintf(out,
            "usage: %s [--port 8080] [--host ADDR] [--origin ORIGIN]...\n"
            "          [--max-message BYTES] [--max-clients N] [--ping-interval SECONDS]\n"
            "          [--handshake-timeout SECONDS]\n"
            "          [--redis redis://[[USER]:PASSWORD@]HOST[:PORT][/CHANNEL]]\n"
            "          [--protocol NAME]...\n"
            "       %s PORT\n"
            "\n"
            "A WebSocket chat room. Open http://HOST:PORT/ in a browser for the chat page.\n"
            "Every text message is sent to every connected client (the sender too) as\n"
            "\"Server: <message>\"; binary messages are relayed unchanged.\n"
            "\n"
            "  -p, --port N       TCP port (default %u; also a lone number after the\n"
            "                     options); 0 picks a free port\n"
            "  --host ADDR        where to listen: an address or a name, every address it\n"
            "                     resolves to (default: every interface, IPv4 and IPv6;\n"
            "                     localhost for this machine only, 0.0.0.0 for IPv4 only)\n"
            "  --origin ORIGIN    allow WebSocket connections from pages of this origin,\n"
            "                     e.g. --origin http://localhost:8080 (scheme://host[:port]\n"
            "                     as browsers send it: no path, no trailing slash, or\n"
            "                     null); repeat for more\n"
            "                     (up to %d). Others get HTTP 403. Without --origin every\n"
            "                     origin is allowed. Requests without an Origin header\n"
            "                     (non-browser clients) are always allowed: the check\n"
            "                     protects browser users from other sites' pages\n"
            "  --max-message N    largest message in bytes (default %u); a bigger one\n"
            "                     closes the connection with 1009\n"
            "  --max-clients N    WebSocket clients at once; more get HTTP 503 instead of\n"
            "                     the upgrade (default: as many as the file descriptor\n"
            "                     hard limit leaves room for: that limit less 320,\n"
            "                     or half of it when it is 640 or less)\n"
            "  --ping-interval S  ping a client after S seconds without a word from it,\n"
            "                     drop it when another S seconds pass in silence\n"
            "                     (default %u; 0 disables)\n"
            "  --handshake-timeout S  drop a connection whose HTTP request head is not\n"
            "                     complete after S seconds (default %u)\n"
            "  --redis URL        share the room with every chat_server on the same Redis\n"
            "                     channel (redis://HOST[:PORT][/CHANNEL], default port\n"
            "                     6379, channel wsframe-chat; redis://:PASSWORD@HOST or\n"
            "                     redis://USER:PASSWORD@HOST sends AUTH), e.g. several instances\n"
            "                     behind nginx (docs/scaling.md). If Redis goes away,\n"
            "                     local clients still hear each other; the server\n"
            "                     reconnects on its own%s\n"
            "  --protocol NAME    a subprotocol to accept (repeatable, preferred first): the\n"
            "                     101 names the first one the client offered. Without it\n"
            "                     the 101 names the client's first offer, as Node's ws\n"
            "                     server does\n"
            "  -h, --help         this text\n"
            "\n"
            "Other limits: HTTP request heads over %u bytes get 431; while a client is\n"
            "more than 16 messages or 1 MiB (whichever is more) behind, everyone's input\n"
            "waits for it to catch up, and if it takes nothing for 2 s it is dropped with\n"
            "close code 1008. Once listening, prints \"listening on HOST:PORT\" for each\n"
            "address, IPv4 first (the real port when --port is 0), then the address to\n"
            "open, on stdout; logs go to stderr. SIGINT or SIGTERM closes every client\n"
            "with 1001, waits up to 2 s for their answers, and exits 0.\n",
            prog, prog, DEFAULT_PORT, MAX_ORIGINS, DEFAULT_MAX_MESSAGE,
            DEFAULT_PING_INTERVAL_S, DEFAULT_HANDSHAKE_TIMEOUT_S,
            CHAT_WITH_REDIS ? "" : " (not in this build: it has no hiredis)",
            WS_DEFAULT_MAX_HEADER_BYTES);
}

/* The path of the request target without its query string. An
 * absolute-form target ("http://host/x", RFC 9112 section 3.2.2, which a
 * server MUST accept) is reduced to its path. */
static void target_path(const ws_http_request *req, const char **path, size_t *len)
{
    const char *t = req->target;
    size_t n = req->target_len;
    const char *scheme = memchr(t, ':', n);
    if (n > 0 && t[0] != '/' && scheme && (size_t)(t + n - scheme) >= 3 && memcmp(scheme, "://", 3) == 0) {
        const char *authority = scheme + 3;
        const char *slash = memchr(authority, '/', (size_t)(t + n - authority));
        if (slash) {
            n = (size_t)(t + n - slash);
            t = slash;
        } else {
            t = "/"; /* "http://host" or "http://host?q" names the root */
            n = 1;
        }
    }
    size_t end = 0;
    while (end < n && t[end] != '?')
        end++;
    *path = t;
    *len = end;
}

static bool unreserved(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '.' || c == '_' || c == '~';
}

static bool path_is(const ws_http_request *req, const char *path)
{
    /* The query string does not select a different page. */
    const char *p;
    size_t len;
    target_path(req, &p, &len);
    /* RFC 3986 section 6.2.2.2: an unreserved character and its %XX are the
     * same URI ("/%69ndex.html" is "/index.html"); any other %XX stays
     * itself, and none of our paths holds a '%'. */
    size_t i = 0;
    for (; *path; path++) {
        if (i == len)
            return false;
        int c = (unsigned char)p[i];
        int decoded = net_pct_decoded(p, len, i);
        if (decoded >= 0 && unreserved(decoded)) {
            c = decoded;
            i += 2;
        }
        i++;
        if (c != (unsigned char)*path)
            return false;
    }
    return i == len;
}

static size_t count_headers(const ws_http_request *req, const char *name)
{
    size_t n = 0, pos = 0;
    while (ws_http_find_header(req->headers, req->num_headers, name, &pos))
        n++;
    return n;
}

static bool method_is(const ws_http_request *req, const char *method)
{
    return req->method_len == strlen(method) && memcmp(req->method, method, req->method_len) == 0;
}

static void on_http(conn *c, const ws_http_request *req, void *arg)
{
    (void)arg;
    int status;
    /* RFC 9110 section 9.1: a general-purpose server MUST support HEAD. It
     * gets GET's status and head, Content-Length included, without the body
     * (ws_http_write_response writes only the head for a NULL body). */
    bool head = method_is(req, "HEAD");
    if (!head && !method_is(req, "GET")) {
        static const char body[] = "Only GET and HEAD are supported here.\n";
        conn_http_reply(c, 405, "text/plain; charset=utf-8", "Allow: GET, HEAD\r\n", body,
                        sizeof body - 1);
        status = 405;
    } else if (count_headers(req, "Host") > 1 ||
               (req->minor_version >= 1 && count_headers(req, "Host") == 0)) {
        /* RFC 9112 section 3.2: an HTTP/1.1 request without Host, or any
         * request with more than one, MUST get 400. */
        static const char body[] = "An HTTP/1.1 request needs exactly one Host header.\n";
        conn_http_reply(c, 400, "text/plain; charset=utf-8", NULL, head ? NULL : body,
                        sizeof body - 1);
        status = 400;
    } else if (path_is(req, "/") || path_is(req, "/index.html")) {
        conn_http_reply(c, 200, "text/html; charset=utf-8", page_headers, head ? NULL : page, page_len);
        status = 200;
    } else if (path_is(req, "/chat.js")) {
        /* The page names these relative to itself, so they are found under
         * whatever path a proxy mounts it. */
        conn_http_reply(c, 200, "text/javascript; charset=utf-8", asset_headers,
                        head ? NULL : chat_js, chat_js_len);
        status = 200;
    } else if (path_is(req, "/chat.css")) {
        conn_http_reply(c, 200, "text/css; charset=utf-8", asset_headers, head ? NULL : chat_css,
                        chat_css_len);
        status = 200;
    } else {
        static const char body[] = "Not found. The chat is at /.\n";
        conn_http_reply(c, 404, "text/plain; charset=utf-8", NULL, head ? NULL : body,
                        sizeof body - 1);
        status = 404;
    }
    log_msg(conn_peer(c), "HTTP %.*s %.*s -> %d", (int)req->method_len, req->method,
            (int)req->target_len, req->target, status);
}

/* chat.html with its "@MAX_MESSAGE@" replaced by max_message, so the page
 * refuses a longer message itself instead of losing it to a 1009 close.
 * NULL when out of memory. */
static char *page_with_limit(uint64_t max_message, size_t *len)
{
    static const char mark[] = "@MAX_MESSAGE@";
    char num[24];
    size_t num_len = (size_t)snprintf(num, sizeof num, "%llu", (unsigned long long)max_message);
    const unsigned char *at = memmem(chat_html, chat_html_len, mark, sizeof mark - 1);
    size_t before = at ? (size_t)(at - chat_html) : chat_html_len;
    size_t after = at ? chat_html_len - before - (sizeof mark - 1) : 0;
    char *out = malloc(before + (at ? num_len : 0) + after);
    if (!out)
        return NULL;
    memcpy(out, chat_html, before);
    *len = before;
    if (at) {
        memcpy(out + *len, num, num_len);
        *len += num_len;
        memcpy(out + *len, at + sizeof mark - 1, after);
        *len += after;
    }
    return out;
}

/* from: the sender, NULL for a message from the Redis bus. */
static void broadcast(server *s, const conn *from, ws_opcode opcode, const uint8_t *data,
                      size_t len)
{
    /* One encoding for everyone: the text frame is "Server: " + message. */
    sbuf *frame = opcode == WS_OP_TEXT ? frame_new(WS_OP_TEXT, prefix, sizeof prefix - 1, data, len)
                                       : frame_new(WS_OP_BINARY, NULL, 0, data, len);
    if (!frame) {
        /* Formatted here only: conn_peer costs a getnameinfo. */
        log_msg(from ? conn_peer(from) : "redis", "out of memory relaying a %zu-byte message", len);
        return;
    }
    server_broadcast(s, frame);
    sbuf_unref(frame);
}

static void on_message(conn *c, ws_opcode opcode, const uint8_t *data, size_t len, void *arg)
{
    /* Our own clients hear it at once, Redis or not; the bus (arg, NULL
     * without --redis) carries it to the other instances. */
    broadcast(conn_server(c), c, opcode, data, len);
#if CHAT_WITH_REDIS
    if (arg)
        redis_bus_publish(arg, opcode, data, len);
#else
    (void)arg;
#endif
}

#if CHAT_WITH_REDIS
/* A message a client of another instance sent. */
static void on_bus_message(ws_opcode opcode, const uint8_t *data, size_t len, void *arg)
{
    server *const *srv = arg; /* main's srv: see there */
    broadcast(*srv, NULL, opcode, data, len);
}
#endif

static void on_signal(loop *l, int signo, void *arg)
{
    (void)l;
    log_msg(NULL, "%s received", signo == SIGINT ? "SIGINT" : "SIGTERM");
    server_shutdown(arg, WS_CLOSE_GOING_AWAY, SHUTDOWN_WAIT_MS);
}

/* What is wrong with an --origin value, or NULL when it is one a browser
 * can send (RFC 6454 section 6.2): "null", or scheme "://" host [":" port]
 * and nothing more; the host may be an IPv6 address in brackets. Anything
 * else would never match an Origin header and lock every browser out, so it
 * is refused rather than silently accepted. */
static const char *origin_problem(const char *s)
{
    if (strcmp(s, "null") == 0)
        return NULL;
    const char *p = s;
    if (!isalpha((unsigned char)*p))
        return "it has no scheme";
    while (isalnum((unsigned char)*p) || *p == '+' || *p == '-' || *p == '.')
        p++;
    if (strncmp(p, "://", 3) != 0)
        return "it has no scheme";
    p += 3;
    const char *authority_end = p + strcspn(p, "/?#");
    if (memchr(p, '@', (size_t)(authority_end - p)))
        return "it has a user name";
    const char *host = p;
    if (*p == '[') {
        while (isxdigit((unsigned char)*++p) || *p == ':' || *p == '.')
            ;
        if (*p != ']' || p == host + 1)
            return "its IPv6 address is malformed";
        p++;
    } else {
        while (isalnum((unsigned char)*p) || *p == '-' || *p == '.' || *p == '_')
            p++;
        if (p == host)
            return "it has no host";
    }
    if (*p == ':') {
        unsigned long port = 0;
        const char *digits = ++p;
        while (isdigit((unsigned char)*p) && port <= 65535)
            port = port * 10 + (unsigned long)(*p++ - '0');
        if (p == digits || port == 0 || port > 65535)
            return "its port is not 1-65535";
    }
    switch (*p) {
    case '\0':
        return NULL;
    case '/':
        return p[1] ? "it has a path" : "it has a trailing slash";
    case '?':
        return "it has a query";
    case '#':
        return "it has a fragment";
    default:
        return "its host has a character no host name has";
    }
}

/* The address a browser on this machine can open: a wildcard bind is
 * reachable as localhost, a name as itself (it may stand for several
 * listeners). */
static void browser_url(const server *s, const char *host, char *out, size_t cap)
{
    unsigned port = server_port(s);
    if (!host || strcmp(host, "0.0.0.0") == 0 || strcmp(host, "::") == 0)
        snprintf(out, cap, "http://localhost:%u/", port);
    else if (!net_is_address(host))
        snprintf(out, cap, "http://%s:%u/", host, port);
    else
        snprintf(out, cap, "http://%s/", server_address(s, 0));
}

int main(int argc, char **argv)
{
    if (!cli_standard_fds_open())
        return 1;
    const char *prog = argv[0];
    server_options opt;
    server_options_default(&opt);
    opt.host = NULL; /* every interface, IPv4 and IPv6 */
    opt.port = DEFAULT_PORT;
    opt.limits.max_message_size = DEFAULT_MAX_MESSAGE;
    opt.limits.max_frame_size = DEFAULT_MAX_MESSAGE;
    /* Chat messages are small: a message of more than 1024 frames is
     * someone filling the room with empty fragments. */
    opt.limits.max_fragments = 1024;
    opt.ping_interval_ms = DEFAULT_PING_INTERVAL_S * 1000u;
    opt.handshake_timeout_ms = DEFAULT_HANDSHAKE_TIMEOUT_S * 1000u;
    const char *origins[MAX_ORIGINS];
    size_t num_origins = 0;
    const char *redis_url = NULL;
    uint64_t v;
    bool port_given = false;

    static const struct option longopts[] = {
        CLI_SERVER_LONGOPTS,
        {"origin", required_argument, NULL, 'o'},
        {"max-clients", required_argument, NULL, 'c'},
        {"ping-interval", required_argument, NULL, 'i'},
        {"handshake-timeout", required_argument, NULL, 't'},
        {"redis", required_argument, NULL, 'r'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int ch;
    while ((ch = getopt_long(argc, argv, CLI_SERVER_SHORTOPTS, longopts, NULL)) != -1) {
        switch (ch) {
        case 'p':
        case 'H':
        case 'm':
        case 'P':
            if (!cli_server_flag(prog, ch, optarg, (uint64_t)1 << 32, &opt))
                return 2;
            port_given |= ch == 'p';
            break;
        case 'o': {
            if (num_origins == MAX_ORIGINS) {
                fprintf(stderr, "%s: at most %d --origin flags\n", prog, MAX_ORIGINS);
                return 2;
            }
            const char *problem = origin_problem(optarg);
            if (problem) {
                fprintf(stderr,
                        "%s: --origin '%s': %s. An origin is what browsers send in their Origin "
                        "header: scheme://host[:port], with no path, not even a trailing slash "
                        "(e.g. http://localhost:8080), or null%s\n",
                        prog, optarg, problem,
                        strcmp(optarg, "*") == 0 ? ". Without --origin every origin is allowed" : "");
                return 2;
            }
            origins[num_origins++] = optarg;
            break;
        }
        case 'c':
            if (!cli_number(prog, "--max-clients", optarg, 1, 1000000, &v))
                return 2;
            opt.max_clients = (size_t)v;
            break;
        case 'i':
            if (!cli_number(prog, "--ping-interval", optarg, 0, 86400, &v))
                return 2;
            opt.ping_interval_ms = (unsigned)v * 1000u;
            break;
        case 't':
            if (!cli_number(prog, "--handshake-timeout", optarg, 1, 3600, &v))
                return 2;
            opt.handshake_timeout_ms = (unsigned)v * 1000u;
            break;
        case 'r':
            redis_url = optarg;
            break;
        case 'h':
            usage(stdout, prog);
            return 0;
        default:
            usage(stderr, prog);
            return 2;
        }
    }
    if (!cli_server_operands(prog, argc, argv, optind, port_given, &opt)) {
        usage(stderr, prog);
        return 2;
    }
    if (redis_url && !CHAT_WITH_REDIS) {
        fprintf(stderr,
                "%s: --redis: this chat_server was built without hiredis; rebuild with "
                "libhiredis-dev installed (cmake -DWS_WITH_HIREDIS=ON)\n",
                prog);
        return 2;
    }
    opt.origins = origins;
    opt.num_origins = num_origins;
    /* A client may fall 16 of the biggest messages (or 1 MiB) behind before
     * it counts as a slow consumer; we stop reading from it at half that. */
    size_t frame_max = (size_t)opt.limits.max_message_size + sizeof prefix + WS_MAX_HEADER_SIZE;
    opt.max_queued_bytes = 16 * frame_max > 1024u * 1024u ? 16 * frame_max : 1024u * 1024u;
    opt.read_pause_bytes = opt.max_queued_bytes / 2;
    page = page_with_limit(opt.limits.max_message_size, &page_len);
    if (!page) {
        perror("chat page");
        return 1;
    }

    loop *l = loop_new();
    if (!l) {
        perror("epoll");
        return 1;
    }
    server_handlers handlers = {.on_http = on_http, .on_message = on_message};
    char err[256];
#if CHAT_WITH_REDIS
    /* The server's handlers carry the bus, so the bus comes first and gets
     * the address of srv, filled in below before any message can arrive. */
    redis_bus *bus = NULL;
    server *srv = NULL;
    if (redis_url) {
        redis_bus_options bo = {
            .url = redis_url,
            .max_message = opt.limits.max_message_size,
            /* Room for a burst of big messages while Redis restarts. */
            .max_queued_bytes = 4 * opt.max_queued_bytes,
            .on_message = on_bus_message,
            .arg = &srv,
        };
        bus = redis_bus_new(l, &bo, err, sizeof err);
        if (!bus) {
            fprintf(stderr, "%s: --redis: %s\n", prog, err);
            loop_free(l);
            return 2;
        }
        handlers.arg = bus;
    }
    srv = server_new(l, &opt, &handlers, err, sizeof err);
#else
    server *srv = server_new(l, &opt, &handlers, err, sizeof err);
#endif
    if (!srv) {
        fprintf(stderr, "%s: %s\n", prog, err);
#if CHAT_WITH_REDIS
        redis_bus_free(bus);
#endif
        loop_free(l);
        return 1;
    }
    if (loop_signal(l, SIGINT, on_signal, srv) < 0 || loop_signal(l, SIGTERM, on_signal, srv) < 0) {
        perror("signalfd");
        return 1;
    }
    char url[128];
    browser_url(srv, opt.host, url, sizeof url);
    for (size_t i = 0; server_address(srv, i); i++)
        printf("listening on %s\n", server_address(srv, i));
    printf("open %s in a browser\n", url);
    fflush(stdout);
    for (size_t i = 0; i < num_origins; i++)
        log_msg(NULL, "allowed origin: %s", origins[i]);

    int rc = loop_run(l);
    log_msg(NULL, "stopped");
#if CHAT_WITH_REDIS
    redis_bus_free(bus);
#endif
    server_free(srv);
    loop_free(l);
    free(page);
    return rc == 0 ? 0 : 1;
}
