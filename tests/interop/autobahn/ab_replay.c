/*
 * ab_replay - the Autobahn table (tests/autobahn_cases.h) replayed over TCP
 * against a server, graded the way Autobahn's fuzzingclient grades it.
 *
 *   ab_replay PATH_TO_ECHO_SERVER      starts it on a free port, runs, stops it
 *   ab_replay --port N                 a server already listening on 127.0.0.1
 *
 * For each case: open a connection, do the opening handshake, write the
 * case's frames (masked, in Autobahn's chops), and read what the server
 * sends back. A case passes when the server
 *   - echoes each message and answers each ping with a pong of the same
 *     payload, in order, for everything before the close or the failure;
 *   - for a failing case, does not fail before the offending byte (we stop
 *     just before it and wait), then sends a close with the expected code
 *     (1002/1007) without waiting for the rest of the frame;
 *   - otherwise echoes the client's close code (an empty close for none);
 *   - closes TCP itself (Autobahn grades a client-side drop as a failure).
 * The 6.5-6.23 UTF-8 vectors are sent as one text message each.
 */
#define _DEFAULT_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "autobahn_wire.h"

static int port;

/* ---------------------------------------------------------------- server process */

static pid_t start_server(const char *path)
{
    int out[2];
    if (pipe(out) != 0)
        return -1;
    pid_t pid = fork();
    if (pid == 0) {
        dup2(out[1], 1);
        close(out[0]);
        close(out[1]);
        /* WS_TEST_WRAPPER (e.g. valgrind, see tests/valgrind.sh) goes in
         * front of the server's command line, split by the shell. */
        const char *wrapper = getenv("WS_TEST_WRAPPER");
        if (wrapper && *wrapper)
            execl("/bin/sh", "sh", "-c", "exec $WS_TEST_WRAPPER \"$@\"", "sh", path, "--port", "0",
                  "--max-message", "16777216", (char *)NULL);
        else
            execl(path, path, "--port", "0", "--max-message", "16777216", (char *)NULL);
        _exit(127);
    }
    close(out[1]);
    char line[256];
    size_t n = 0;
    while (n < sizeof line - 1) {
        ssize_t r = read(out[0], line + n, 1);
        if (r <= 0 || line[n] == '\n')
            break;
        n++;
    }
    line[n] = '\0';
    close(out[0]);
    const char *colon = strrchr(line, ':');
    if (!strstr(line, "listening on") || !colon) {
        fprintf(stderr, "ab_replay: unexpected server output: %s\n", line);
        return -1;
    }
    port = atoi(colon + 1);
    return pid;
}

/* ---------------------------------------------------------------- connection */

static long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

typedef struct conn {
    int fd;
    uint8_t in[1 << 16];
    size_t in_len;
    ws_parser parser;
    bool closed_by_server; /* EOF seen */
    bool reset;            /* the connection was reset */
    bool got_close;
    int open_opcode;
    uint64_t msg_len, msg_hash;
    char log[4096];
    size_t log_len;
} conn;

static void logf_(conn *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(c->log + c->log_len, sizeof c->log - c->log_len, fmt, ap);
    va_end(ap);
    if (n > 0 && (size_t)n < sizeof c->log - c->log_len)
        c->log_len += (size_t)n;
}

static bool send_all(conn *c, const uint8_t *p, size_t n)
{
    while (n) {
        ssize_t w = send(c->fd, p, n, MSG_NOSIGNAL);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return false;
        }
        p += w;
        n -= (size_t)w;
    }
    return true;
}

/* Parse what the server sent: messages, pongs, its close. */
static bool take_events(conn *c)
{
    size_t off = 0;
    for (;;) {
        ws_event ev;
        ptrdiff_t n = ws_parser_next(&c->parser, c->in + off, c->in_len - off, &ev);
        if (n < 0) {
            logf_(c, "!server-sent-%s ", ws_status_name((int)n));
            c->in_len = 0;
            return false;
        }
        off += (size_t)n;
        if (ev.type == WS_EV_NONE)
            break;
        switch (ev.type) {
        case WS_EV_MESSAGE_START:
            c->open_opcode = ev.opcode;
            c->msg_len = 0;
            c->msg_hash = SH_FNV_INIT;
            break;
        case WS_EV_DATA:
            c->msg_len += ev.len;
            c->msg_hash = sh_fnv(c->msg_hash, ev.data, ev.len);
            break;
        case WS_EV_MESSAGE_END:
            logf_(c, "%s(%" PRIu64 ":%016" PRIx64 ") ", c->open_opcode == WS_OP_TEXT ? "T" : "B",
                  c->msg_len, c->msg_hash);
            break;
        case WS_EV_PING:
            logf_(c, "ping%zu ", ev.len);
            break;
        case WS_EV_PONG:
            logf_(c, "pong%zu:%016" PRIx64 " ", ev.len, sh_fnv(SH_FNV_INIT, ev.data, ev.len));
            break;
        case WS_EV_CLOSE:
            logf_(c, "close%u ", (unsigned)ev.close_code);
            c->got_close = true;
            break;
        default:
            break;
        }
    }
    memmove(c->in, c->in + off, c->in_len - off);
    c->in_len -= off;
    return true;
}

/* Read for up to ms milliseconds, or until the server closes TCP. */
static void pump(conn *c, long ms)
{
    long end = now_ms() + ms;
    while (!c->closed_by_server && !c->reset) {
        long left = end - now_ms();
        if (left <= 0)
            return;
        struct pollfd pfd = {c->fd, POLLIN, 0};
        int r = poll(&pfd, 1, (int)left);
        if (r <= 0)
            continue;
        ssize_t n = recv(c->fd, c->in + c->in_len, sizeof c->in - c->in_len, 0);
        if (n == 0) {
            c->closed_by_server = true;
        } else if (n < 0) {
            if (errno != EINTR && errno != EAGAIN)
                c->reset = true;
        } else {
            c->in_len += (size_t)n;
            take_events(c);
        }
    }
}

static bool connect_and_upgrade(conn *c)
{
    memset(c, 0, sizeof *c);
    c->fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (c->fd < 0 || connect(c->fd, (struct sockaddr *)&a, sizeof a) != 0)
        return false;
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    char req[256];
    int n = snprintf(req, sizeof req,
                     "GET / HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\n"
                     "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                     "Sec-WebSocket-Version: 13\r\n\r\n",
                     port);
    if (!send_all(c, (const uint8_t *)req, (size_t)n))
        return false;
    /* The response head, then maybe frames already. */
    long end = now_ms() + 2000;
    char *head_end = NULL;
    while (!head_end && now_ms() < end) {
        struct pollfd pfd = {c->fd, POLLIN, 0};
        if (poll(&pfd, 1, 100) <= 0)
            continue;
        ssize_t r = recv(c->fd, c->in + c->in_len, sizeof c->in - c->in_len - 1, 0);
        if (r <= 0)
            return false;
        c->in_len += (size_t)r;
        c->in[c->in_len] = '\0';
        head_end = strstr((char *)c->in, "\r\n\r\n");
    }
    if (!head_end || strncmp((char *)c->in, "HTTP/1.1 101", 12) != 0 ||
        !strstr((char *)c->in, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="))
        return false;
    size_t head = (size_t)(head_end + 4 - (char *)c->in);
    memmove(c->in, c->in + head, c->in_len - head);
    c->in_len -= head;
    ws_parser_init(&c->parser, WS_ROLE_CLIENT, NULL);
    take_events(c);
    return true;
}

/* ---------------------------------------------------------------- frames */

/* ---------------------------------------------------------------- one case */

static bool write_chopped(conn *c, const uint8_t *p, size_t n, const ab_wire *w, size_t base,
                          uint32_t chop)
{
    if (chop) {
        for (size_t off = 0; off < n; off += chop)
            if (!send_all(c, p + off, n - off < chop ? n - off : chop))
                return false;
        return true;
    }
    /* One write per frame, as Autobahn's sendFrame does. */
    size_t off = 0;
    for (size_t i = 0; i < w->frames && off < n; i++) {
        size_t end = w->start[i] + w->len[i] - base;
        if (w->start[i] + w->len[i] <= base)
            continue;
        if (end > n)
            end = n;
        if (!send_all(c, p + off, end - off))
            return false;
        off = end;
    }
    return true;
}

static int run(const char *id, const ab_frame *frames, size_t nframes, uint32_t chop,
               const ab_event *expect, const ab_fail *fail)
{
    ab_wire w = {0};
    for (size_t i = 0; i < nframes; i++)
        ab_wire_row(&w, &frames[i]);

    /* What the server must send back. */
    char want[4096];
    size_t wl = 0;
    want[0] = '\0';
    for (const ab_event *e = expect; e->kind != AB_EV_END; e++) {
        sh_bytes p = {0};
        ab_payload_bytes(&e->payload, &p);
        uint64_t h = sh_fnv(SH_FNV_INIT, p.p, p.len);
        if (e->kind == AB_EV_TEXT || e->kind == AB_EV_BINARY)
            wl += (size_t)snprintf(want + wl, sizeof want - wl, "%s(%zu:%016" PRIx64 ") ",
                                   e->kind == AB_EV_TEXT ? "T" : "B", p.len, h);
        else if (e->kind == AB_EV_PING)
            wl += (size_t)snprintf(want + wl, sizeof want - wl, "pong%zu:%016" PRIx64 " ", p.len, h);
        else if (e->kind == AB_EV_CLOSE)
            wl += (size_t)snprintf(want + wl, sizeof want - wl, "close%u ", (unsigned)e->code);
        sh_free(&p);
    }
    bool failing = fail->status != 0 && fail->status != WS_E_AFTER_CLOSE;
    if (failing)
        snprintf(want + wl, sizeof want - wl, "close%u ", (unsigned)ws_status_close_code(fail->status));

    conn *c = malloc(sizeof *c);
    if (!c)
        abort();
    const char *problem = NULL;
    if (!connect_and_upgrade(c)) {
        problem = "the opening handshake failed";
    } else if (failing) {
        size_t at = ab_fail_point(&w, fail);
        /* Everything before the offending byte: the server must not fail yet. */
        write_chopped(c, w.bytes.p, at - 1, &w, 0, chop);
        pump(c, 60);
        if (c->got_close || c->closed_by_server)
            problem = "the server failed the connection before the offending byte";
        /* The offending byte: the server must fail now, without the rest. */
        write_chopped(c, w.bytes.p + at - 1, 1, &w, at - 1, 1);
        pump(c, 1000);
        if (!problem && !c->got_close)
            problem = "no close frame right after the offending byte (fail-fast)";
        /* The rest, as Autobahn sends it anyway (it may bounce). */
        write_chopped(c, w.bytes.p + at, w.bytes.len - at, &w, at, chop);
        pump(c, 2000);
    } else {
        write_chopped(c, w.bytes.p, w.bytes.len, &w, 0, chop);
        pump(c, 3000);
    }
    if (!problem && strcmp(c->log, want) != 0)
        problem = "the server sent something else";
    if (!problem && !c->closed_by_server && !c->reset)
        problem = "the server did not close TCP";
    if (problem)
        printf("%-8s FAILED: %s\n  got:      %s\n  expected: %s\n", id, problem, c->log, want);
    if (c->fd >= 0)
        close(c->fd);
    free(c);
    sh_free(&w.bytes);
    return problem ? 1 : 0;
}

int main(int argc, char **argv)
{
    signal(SIGPIPE, SIG_IGN);
    pid_t server = 0;
    if (argc == 3 && strcmp(argv[1], "--port") == 0) {
        port = atoi(argv[2]);
    } else if (argc == 2) {
        server = start_server(argv[1]);
        if (server < 0)
            return 2;
    } else {
        fprintf(stderr, "usage: ab_replay ECHO_SERVER | ab_replay --port N\n");
        return 2;
    }

    int failed = 0, total = 0;
    for (size_t i = 0; i < sizeof ab_cases / sizeof ab_cases[0]; i++) {
        const ab_case *k = &ab_cases[i];
        size_t n = 0;
        while (n < AB_MAX_FRAMES && k->frames[n].b0)
            n++;
        failed += run(k->id, k->frames, n, k->chop, k->expect, &k->fail);
        total++;
    }
    for (size_t i = 0; i < sizeof ab_utf8_vectors / sizeof ab_utf8_vectors[0]; i++) {
        const ab_utf8_vector *v = &ab_utf8_vectors[i];
        ab_frame frames[2] = {AB_TEXT({v->bytes, v->len, 0}), AB_CLOSE_1000};
        ab_event ok[] = {AB_E_TEXT({v->bytes, v->len, 0}), AB_E_CLOSE(1000, AB_EMPTY),
                         {AB_EV_END, AB_EMPTY, 0}};
        ab_event none[] = {{AB_EV_END, AB_EMPTY, 0}};
        /* The fail point of an invalid vector is found by the parser itself
         * here (test_autobahn checks it against a reference): the first
         * byte a client-role-free server parser refuses. */
        ab_wire w = {0};
        ab_wire_row(&w, &frames[0]);
        sh_config cfg = {WS_ROLE_SERVER, NULL};
        size_t at = sh_fail_point(&cfg, w.bytes.p, w.bytes.len);
        ab_fail f = AB_OK;
        if (!v->valid) {
            f.status = WS_E_INVALID_UTF8;
            f.frame = 0;
            f.where = at == w.bytes.len ? AB_AT_FRAME_END : AB_AT_PAYLOAD_BYTE;
            f.offset = (uint32_t)(at - w.header[0] - 1);
        }
        sh_free(&w.bytes);
        failed += run(v->id, frames, v->valid ? 2 : 1, 0, v->valid ? ok : none, &f);
        total++;
    }
    printf("ab_replay: %d of %d cases OK\n", total - failed, total);
    if (server > 0) {
        /* The server exits 0 on SIGTERM; anything else is a failure, such as
         * valgrind's error exit under WS_TEST_WRAPPER. */
        int status = 0;
        kill(server, SIGTERM);
        if (waitpid(server, &status, 0) != server || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            fprintf(stderr, "ab_replay: the server did not exit 0 on SIGTERM (wait status %#x)\n",
                    (unsigned)status);
            failed++;
        }
    }
    return failed ? 1 : 0;
}
