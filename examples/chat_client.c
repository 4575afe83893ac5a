/*
 * chat_client - a command-line WebSocket client in the spirit of wscat and
 * websocat: each line of stdin goes out as a message, each message received
 * is printed on its own line. See docs/examples.md ("chat_client") for the
 * whole manual, and --help for the short one.
 *
 * Everything runs in one event loop over two descriptors, stdin and the
 * socket. Reading stdin stops while the socket's send queue is over
 * CLIENT_QUEUE_LIMIT, so a fast producer piping into a slow server cannot
 * grow our memory; the server's pings are answered meanwhile.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* getopt_long, strncasecmp */
#endif
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "buf.h"
#include "cli.h"
#include "log.h"
#include "loop.h"
#include "net.h"
#include "sendq.h"
#include "ws_client.h"

/* Exit statuses, documented in --help and docs/examples.md. */
enum {
    EXIT_CLEAN = 0,        /* closed with 1000/1001, or our close was answered */
    EXIT_USAGE = 1,        /* bad arguments or URL */
    EXIT_CONNECT = 2,      /* could not connect, or the handshake failed */
    EXIT_SERVER_CODE = 3,  /* the server closed with a code other than 1000/1001 */
    EXIT_BROKEN = 4,       /* protocol error, connection dropped, close not answered */
    EXIT_INTERRUPTED = 130 /* a second Ctrl-C */
};

/* After our close: at most CLOSE_WAIT_MS for the server's answer once it
 * has taken all we sent, and before that, for as long as it keeps taking
 * our bytes; CLOSE_STALL_MS of taking none ends the wait (a pause, not a
 * slow reader: Python websockets' close_timeout is 10 s too). */
#define CLOSE_WAIT_MS 3000
#define CLOSE_STALL_MS 10000
#define CLOSE_POLL_MS 1000
#define CONNECT_TIMEOUT_MS 10000
#define STDIN_CHUNK (64u * 1024u)
#define MAX_PROTOCOLS 32
#define MAX_EXECUTE 64
/* Received messages waiting for a slow stdout (a pipe into a pager): past
 * this much, the socket is not read until stdout takes some. */
#define STDOUT_PAUSE_BYTES (1024u * 1024u)

typedef struct options {
    const char *url;
    const char *protocols[MAX_PROTOCOLS];
    size_t num_protocols;
    const char *origin;
    bool binary;
    double ping_interval; /* seconds; 0: never */
    double ping_timeout;  /* seconds a ping may wait for a pong; 0: forever */
    double wait;          /* seconds of quiet to wait for after stdin EOF; 0: close at once */
    uint64_t max_message;
    bool quiet;
    bool verbose;
    bool slash; /* slash commands apply */
    /* -x: sent as they are once connected, in place of stdin (as wscat -x) */
    const char *execute[MAX_EXECUTE];
    size_t num_execute;
    const char *ca_file; /* wss://: --cacert */
    const char *proxy;   /* --proxy */
    bool insecure;       /* wss://: -k */
} options;

typedef struct app {
    options opt;
    loop *loop;
    client_conn conn;
    loop_io sock_io;
    loop_io stdin_io;
    /* stdin that epoll cannot watch (a regular file, /dev/null) is always
     * readable: a zero-delay timer stands in for its readiness events. */
    bool stdin_epoll;
    loop_timer stdin_timer;
    loop_timer ping_timer;
    loop_timer pong_timer; /* --ping-timeout: runs while a ping waits for its pong */
    loop_timer close_timer;
    loop_timer wait_timer; /* --wait: runs while messages keep coming after stdin EOF */

    bool stdin_eof;
    bytebuf line; /* the stdin line being collected */
    bool line_skipping; /* the current line is over --max-message: drop it to its end */
    uint64_t line_no;

    /* A pipe or socket on stdout is written without blocking, from a queue,
     * so that a reader that stops (a pager) cannot stall the loop: signals,
     * timers and the close handshake go on. A terminal or file is written
     * directly; its O_NONBLOCK would be shared with the shell. */
    bool stdout_async;
    int stdout_flags; /* fcntl flags to restore at exit */
    sendq out;
    loop_io stdout_io;

    bool we_closed;  /* we started the close handshake */
    uint16_t close_code_sent; /* the code of our close, when we_closed */
    bool timed_out;  /* the close wait ran out */
    /* Bytes of ours the server had not taken (our queue and the kernel's
     * unacknowledged bytes) when the close wait last started, and when
     * that was: it starts again while this falls, so only a server that
     * stops reading is cut off, not one that reads slowly. */
    size_t close_wait_untaken;
    uint64_t close_wait_since;
    bool stdout_dead;
    bool output_dropped; /* interrupted while stdout was not taking output */
    bool done; /* the outcome is known; the loop stops */
    uint64_t pings_sent;
    int exit_code; /* set when the outcome is decided early; -1 until then */
} app;

/* ------------------------------------------------------------- messages */

static void vcomplain(const char *fmt, va_list ap)
{
    char line[1024];
    int n = snprintf(line, sizeof line, "chat_client: ");
    vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
    log_line(line);
}

/* An error: always printed. */
static void complain(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void complain(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vcomplain(fmt, ap);
    va_end(ap);
}

/* Status: silenced by -q. */
static void say(const app *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(const app *a, const char *fmt, ...)
{
    if (a->opt.quiet)
        return;
    va_list ap;
    va_start(ap, fmt);
    vcomplain(fmt, ap);
    va_end(ap);
}

/* A peer's bytes (close reason, pong payload) made safe for a terminal:
 * control characters would let a server move the cursor or rewrite what
 * the user sees on stderr. */
static const char *printable(const uint8_t *data, size_t len, char *out, size_t cap)
{
    log_escape(data, len, out, cap);
    return out;
}

static const char *close_code_name(unsigned code)
{
    switch (code) {
    case 1000: return "Normal Closure";
    case 1001: return "Going Away";
    case 1002: return "Protocol Error";
    case 1003: return "Unsupported Data";
    case 1005: return "No Status Received";
    case 1006: return "Abnormal Closure";
    case 1007: return "Invalid Payload Data";
    case 1008: return "Policy Violation";
    case 1009: return "Message Too Big";
    case 1010: return "Mandatory Extension";
    case 1011: return "Internal Error";
    case 1012: return "Service Restart";
    case 1013: return "Try Again Later";
    case 1014: return "Bad Gateway";
    default: return code >= 4000 ? "private use" : code >= 3000 ? "registered" : "unknown";
    }
}

/* ---------------------------------------------------------------- output */

static void stdout_failed(app *a)
{
    complain("cannot write to stdout: %s; closing", strerror(errno));
    a->stdout_dead = true;
    sendq_free(&a->out);
    a->we_closed = true;
    a->close_code_sent = WS_CLOSE_GOING_AWAY;
    client_close(&a->conn, WS_CLOSE_GOING_AWAY, NULL, 0);
}

/* Write iov's bytes to stdout as far as it takes them without blocking
 * when stdout is async (all of them otherwise). Returns the bytes written,
 * or -1 with errno. */
static ssize_t write_stdout(app *a, struct iovec *iov, int n)
{
    size_t total = 0;
    int idx = 0;
    while (idx < n) {
        ssize_t w = writev(STDOUT_FILENO, iov + idx, n - idx);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            if (a->stdout_async && (errno == EAGAIN || errno == EWOULDBLOCK))
                break;
            return -1;
        }
        total += (size_t)w;
        while (idx < n && (size_t)w >= iov[idx].iov_len) {
            w -= (ssize_t)iov[idx].iov_len;
            idx++;
        }
        if (idx < n) {
            iov[idx].iov_base = (char *)iov[idx].iov_base + w;
            iov[idx].iov_len -= (size_t)w;
        }
    }
    return (ssize_t)total;
}

static void print_message(app *a, const uint8_t *data, size_t len)
{
    if (a->stdout_dead || a->output_dropped)
        return;
    /* Text and binary alike: the bytes as they came, then a newline. One
     * writev keeps a message and its newline together. */
    struct iovec iov[2] = {{(void *)data, len}, {"\n", 1}};
    size_t written = 0;
    if (sendq_empty(&a->out)) {
        ssize_t w = write_stdout(a, iov, 2);
        if (w < 0) {
            stdout_failed(a);
            return;
        }
        written = (size_t)w;
    }
    if (written == len + 1)
        return;
    /* The rest waits for stdout in order, behind what already waits. */
    sbuf *b = sbuf_new(len + 1 - written);
    if (b) {
        size_t from_data = written < len ? len - written : 0;
        memcpy(b->data, data + (len - from_data), from_data);
        b->data[from_data] = '\n';
    }
    if (!b || sendq_push(&a->out, b) < 0) {
        errno = ENOMEM;
        stdout_failed(a);
    }
    sbuf_unref(b);
}

static void on_stdout_writable(loop_io *io, void *arg);

/* A line for stderr when stderr is stdout's pipe: queued behind the
 * messages, in order. Once the queue is given up, written as stderr takes
 * it (it may not). */
static void stderr_line_via_stdout(const char *line, size_t len, void *arg)
{
    app *a = arg;
    if (a->stdout_dead || a->output_dropped)
        fprintf(stderr, "%s\n", line);
    else
        print_message(a, (const uint8_t *)line, len);
}

/* Make a pipe or socket on stdout non-blocking (see app.stdout_async). */
static void stdout_setup(app *a)
{
    struct stat st;
    if (fstat(STDOUT_FILENO, &st) < 0 || !(S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode)))
        return;
    int flags = fcntl(STDOUT_FILENO, F_GETFL);
    int stderr_flags = fcntl(STDERR_FILENO, F_GETFL);
    if (flags < 0 || fcntl(STDOUT_FILENO, F_SETFL, flags | O_NONBLOCK) < 0)
        return;
    a->stdout_flags = flags;
    a->stdout_async = true;
    loop_io_init(&a->stdout_io, a->loop, STDOUT_FILENO, NULL, on_stdout_writable, a);
    /* O_NONBLOCK belongs to the open pipe, not to the descriptor: under
     * 2>&1 or |& stderr has just become non-blocking too, and its lines
     * were lost whenever the reader lagged (the reason for a close among
     * them). They go through stdout's queue instead. */
    int stderr_now = fcntl(STDERR_FILENO, F_GETFL);
    if (stderr_flags >= 0 && !(stderr_flags & O_NONBLOCK) && stderr_now >= 0 &&
        (stderr_now & O_NONBLOCK))
        log_set_sink(stderr_line_via_stdout, a);
}

/* What is still queued is given up (the reader is gone, or a second signal
 * said quit), and stdout is left as it was found. */
static void stdout_restore(app *a)
{
    if (!a->stdout_async)
        return;
    log_set_sink(NULL, NULL);
    loop_io_stop(&a->stdout_io);
    sendq_free(&a->out);
    fcntl(STDOUT_FILENO, F_SETFL, a->stdout_flags);
}

/* Whether the server's close answers ours: our code echoed, or one that
 * says no more than that (1000, 1001, none). Any other code is the
 * server's own, sent before it read ours (the two closes crossed), and
 * the first close received is the connection's (RFC 6455 section
 * 7.1.5): it is reported as if the server had closed first. */
static bool answers_our_close(const app *a, uint16_t code)
{
    return a->we_closed && (code == a->close_code_sent || code == WS_CLOSE_NORMAL ||
                            code == WS_CLOSE_GOING_AWAY || code == WS_CLOSE_NO_STATUS);
}

static void on_event(const client_event *ev, void *arg)
{
    app *a = arg;
    const char *peer = a->conn.peer;
    char text[4 * WS_MAX_CONTROL_PAYLOAD + 16]; /* a control payload, each byte as \xHH */
    switch (ev->type) {
    case CLIENT_EV_MESSAGE:
        if (loop_timer_active(&a->wait_timer))
            loop_timer_start(&a->wait_timer, (uint64_t)(a->opt.wait * 1000.0));
        if (a->opt.verbose)
            log_msg(peer, "< %s message, %zu bytes", ev->opcode == WS_OP_TEXT ? "text" : "binary",
                    ev->len);
        print_message(a, ev->data, ev->len);
        break;
    case CLIENT_EV_PING:
        if (a->opt.verbose)
            log_msg(peer, "< ping, %zu bytes; > pong", ev->len);
        break;
    case CLIENT_EV_PONG:
        /* Any pong shows the server and the path to it are alive. */
        loop_timer_stop(&a->pong_timer);
        if (a->opt.verbose)
            log_msg(peer, "< pong \"%s\"", printable(ev->data, ev->len, text, sizeof text));
        break;
    case CLIENT_EV_CLOSE:
        if (a->opt.verbose)
            log_msg(peer, "< close %u%s", (unsigned)ev->close_code,
                    a->we_closed ? "" : "; > close with the same code and reason");
        if (answers_our_close(a, ev->close_code)) {
            say(a, "closed: the server answered %u (%s)", (unsigned)ev->close_code,
                close_code_name(ev->close_code));
        } else {
            /* An error exit is worth a sentence even with -q. */
            bool normal = ev->close_code == WS_CLOSE_NORMAL || ev->close_code == WS_CLOSE_GOING_AWAY;
            if (!normal || !a->opt.quiet)
                complain("server closed the connection: %u (%s)%s%s%s", (unsigned)ev->close_code,
                         close_code_name(ev->close_code), ev->len ? " \"" : "",
                         printable(ev->data, ev->len, text, sizeof text), ev->len ? "\"" : "");
        }
        break;
    }
}

/* ----------------------------------------------------------------- input */

static void send_data(app *a, const uint8_t *data, size_t len)
{
    ws_opcode op = a->opt.binary ? WS_OP_BINARY : WS_OP_TEXT;
    int rc = client_send_message(&a->conn, op, data, len);
    if (rc == WS_E_INVALID_UTF8) {
        complain("line %" PRIu64 " is not valid UTF-8, not sent (--binary sends any bytes)",
                 a->line_no);
        return;
    }
    if (a->conn.out_of_memory)
        return; /* the connection is dropped; outcome() says why */
    if (rc < 0) {
        complain("line %" PRIu64 " not sent: %s", a->line_no, ws_strerror(rc));
        return;
    }
    if (a->opt.verbose)
        log_msg(a->conn.peer, "> %s message, %zu bytes", a->opt.binary ? "binary" : "text", len);
}

static void start_close(app *a, uint16_t code, const char *reason, size_t reason_len)
{
    int rc = client_close(&a->conn, code, reason, reason_len);
    if (rc < 0) {
        complain("cannot close with %u: %s", (unsigned)code, ws_strerror(rc));
        return;
    }
    if (!a->we_closed) {
        if (a->opt.verbose)
            log_msg(a->conn.peer, "> close %u", (unsigned)code);
        a->close_code_sent = code;
    }
    a->we_closed = true;
}

static void slash_help(void)
{
    complain("commands: /ping [payload], /pong [payload], /close [code [reason]], "
             "//text sends \"/text\"");
}

/* A line that starts with '/' while slash commands apply. */
static void run_command(app *a, const char *line, size_t len)
{
    size_t word = 0;
    while (word < len && line[word] != ' ')
        word++;
    const char *rest = line + word;
    size_t rest_len = len - word;
    if (rest_len > 0) { /* the single space after the command */
        rest++;
        rest_len--;
    }

    if (word == 5 && memcmp(line, "/ping", 5) == 0) {
        int rc = client_send_ping(&a->conn, rest, rest_len);
        if (rc < 0)
            complain("/ping: %s", ws_strerror(rc));
        else if (a->opt.verbose)
            log_msg(a->conn.peer, "> ping \"%.*s\"", (int)rest_len, rest);
    } else if (word == 5 && memcmp(line, "/pong", 5) == 0) {
        int rc = client_send_pong(&a->conn, rest, rest_len);
        if (rc < 0)
            complain("/pong: %s", ws_strerror(rc));
        else if (a->opt.verbose)
            log_msg(a->conn.peer, "> pong \"%.*s\"", (int)rest_len, rest);
    } else if (word == 6 && memcmp(line, "/close", 6) == 0) {
        unsigned code = WS_CLOSE_NORMAL;
        const char *reason = "";
        size_t reason_len = 0;
        if (rest_len > 0) {
            size_t digits = 0;
            code = 0;
            while (digits < rest_len && digits < 5 && rest[digits] >= '0' && rest[digits] <= '9')
                code = code * 10 + (unsigned)(rest[digits++] - '0');
            if (digits == 0 || (digits < rest_len && rest[digits] != ' ')) {
                complain("/close: the code must be a number, as in /close 1000 bye");
                return;
            }
            if (digits < rest_len) {
                reason = rest + digits + 1;
                reason_len = rest_len - digits - 1;
            }
        }
        if (!ws_close_code_valid(code)) {
            complain("/close: %u is not a code that may be sent (1000-1003, 1007-1014, 3000-4999)",
                     code);
            return;
        }
        start_close(a, (uint16_t)code, reason, reason_len);
    } else if (word == 5 && memcmp(line, "/help", 5) == 0) {
        slash_help();
    } else {
        complain("unknown command %.*s, not sent", (int)(word > 40 ? 40 : word), line);
        slash_help();
    }
}

static void handle_line(app *a, const uint8_t *line, size_t len)
{
    a->line_no++;
    if (a->opt.slash && len > 0 && line[0] == '/') {
        if (len > 1 && line[1] == '/') {
            send_data(a, line + 1, len - 1);
            return;
        }
        run_command(a, (const char *)line, len);
        return;
    }
    send_data(a, line, len);
}

/* false when the line is too long; out of memory drops the connection. */
static bool line_append(app *a, const uint8_t *data, size_t len)
{
    if (a->line.len + len > a->opt.max_message)
        return false;
    if (!bytebuf_append(&a->line, data, len, 0))
        client_out_of_memory(&a->conn);
    return true;
}

/* Split a chunk of stdin into lines (without their '\n') and send each. */
static void consume_stdin(app *a, const uint8_t *buf, size_t len)
{
    while (len > 0 && client_state(&a->conn) == CLIENT_OPEN) {
        const uint8_t *nl = memchr(buf, '\n', len);
        size_t piece = nl ? (size_t)(nl - buf) : len;
        if (!a->line_skipping && !line_append(a, buf, piece)) {
            complain("line %" PRIu64 " is longer than %" PRIu64 " bytes (--max-message), not sent",
                     a->line_no + 1, a->opt.max_message);
            a->line_skipping = true;
            a->line.len = 0;
        }
        if (a->conn.out_of_memory)
            return; /* the line is incomplete: none of it is sent */
        if (nl) {
            if (a->line_skipping)
                a->line_no++;
            else
                handle_line(a, a->line.data, a->line.len);
            a->line.len = 0;
            a->line_skipping = false;
            piece++;
        }
        buf += piece;
        len -= piece;
    }
}

static void on_stdin_eof(app *a)
{
    a->stdin_eof = true;
    /* A last line without a newline is still a line. */
    if (a->line.len > 0 && !a->line_skipping && client_state(&a->conn) == CLIENT_OPEN)
        handle_line(a, a->line.data, a->line.len);
    a->line.len = 0;
    if (client_state(&a->conn) != CLIENT_OPEN)
        return;
    /* Replies to the last lines may still be on their way, and a server
     * that sees our close stops sending them: --wait gives them time. */
    if (a->opt.wait > 0)
        loop_timer_start(&a->wait_timer, (uint64_t)(a->opt.wait * 1000.0));
    else
        start_close(a, WS_CLOSE_NORMAL, NULL, 0);
}

static void update(app *a);

static void read_stdin(app *a)
{
    uint8_t buf[STDIN_CHUNK];
    ssize_t n;
    do
        n = read(STDIN_FILENO, buf, sizeof buf);
    while (n < 0 && errno == EINTR);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
        return;
    if (n < 0)
        complain("cannot read stdin: %s; closing", strerror(errno));
    if (n <= 0)
        on_stdin_eof(a);
    else
        consume_stdin(a, buf, (size_t)n);
}

/* ------------------------------------------------------------ event loop */

static void finish(app *a)
{
    a->done = true;
    loop_stop(a->loop);
}

/* What the server has not taken of ours yet: our queue, and what the
 * kernel sent but has no acknowledgement for. */
static size_t untaken_by_server(const app *a)
{
    int unacked = net_unacked_bytes(a->conn.fd);
    return client_queued(&a->conn) + (unacked > 0 ? (size_t)unacked : 0);
}

/* The close wait counts from now, the last time the server took bytes. */
static void start_close_wait(app *a)
{
    a->close_wait_untaken = untaken_by_server(a);
    a->close_wait_since = loop_now_ms(a->loop);
    loop_timer_start(&a->close_timer, a->close_wait_untaken > 0 ? CLOSE_POLL_MS : CLOSE_WAIT_MS);
}

/* After every event: let the close handshake advance, then decide what to
 * watch. */
static void update(app *a)
{
    client_state_kind st = client_state(&a->conn);
    bool stdout_behind = a->out.bytes >= STDOUT_PAUSE_BYTES;
    /* The close wait bounds the server: while stdout holds us from reading
     * its answer, it is not late, and the wait starts again after. */
    if (st != CLIENT_OPEN && !a->timed_out) {
        if (stdout_behind) {
            loop_timer_stop(&a->close_timer);
        } else if (!loop_timer_active(&a->close_timer)) {
            start_close_wait(a);
        }
    }
    /* Likewise a pong may wait unread: the ping timeout gives the server a
     * whole period from when we read again. */
    if (stdout_behind && loop_timer_active(&a->pong_timer))
        loop_timer_start(&a->pong_timer, (uint64_t)(a->opt.ping_timeout * 1000.0));
    /* Done once the connection is, and what it brought is printed. */
    if (st == CLIENT_DONE && (client_queued(&a->conn) == 0 || a->conn.peer_eof || a->timed_out) &&
        sendq_empty(&a->out)) {
        finish(a);
        return;
    }

    if (st == CLIENT_OPEN && a->opt.num_execute > 0 && !a->stdin_eof) {
        /* -x: the messages stand in for stdin, which is never read. */
        for (size_t i = 0; i < a->opt.num_execute && client_state(&a->conn) == CLIENT_OPEN; i++) {
            a->line_no++;
            send_data(a, (const uint8_t *)a->opt.execute[i], strlen(a->opt.execute[i]));
        }
        on_stdin_eof(a);
        client_flush(&a->conn);
        st = client_state(&a->conn);
    }

    bool want_stdin = st == CLIENT_OPEN && !a->stdin_eof &&
                      client_queued(&a->conn) < CLIENT_QUEUE_LIMIT;
    if (a->stdin_epoll) {
        loop_io_set(&a->stdin_io, want_stdin ? LOOP_READ : 0);
    } else if (want_stdin != loop_timer_active(&a->stdin_timer)) {
        if (want_stdin)
            loop_timer_start(&a->stdin_timer, 0);
        else
            loop_timer_stop(&a->stdin_timer);
    }

    unsigned sock = 0;
    if (!a->conn.peer_eof && !stdout_behind)
        sock |= LOOP_READ;
    if (client_wants_write(&a->conn))
        sock |= LOOP_WRITE;
    loop_io_set(&a->sock_io, sock);
    if (a->stdout_async)
        loop_io_set(&a->stdout_io, sendq_empty(&a->out) ? 0 : LOOP_WRITE);
}

static void on_sock_read(loop_io *io, void *arg)
{
    (void)io;
    app *a = arg;
    client_receive(&a->conn, on_event, a);
    /* Answer right away (pongs, the close echo) rather than waiting for
     * the next round of the loop. */
    client_state(&a->conn);
    client_flush(&a->conn);
    update(a);
}

static void on_stdout_writable(loop_io *io, void *arg)
{
    (void)io;
    app *a = arg;
    if (sendq_flush(&a->out, STDOUT_FILENO) < 0)
        stdout_failed(a);
    client_flush(&a->conn);
    update(a);
}

static void on_sock_write(loop_io *io, void *arg)
{
    (void)io;
    app *a = arg;
    client_writable(&a->conn, on_event, a);
    update(a);
}

static void on_stdin_ready(loop_io *io, void *arg)
{
    (void)io;
    app *a = arg;
    read_stdin(a);
    client_flush(&a->conn);
    update(a);
}

static void on_stdin_timer(loop_timer *t, void *arg)
{
    app *a = arg;
    read_stdin(a);
    client_flush(&a->conn);
    if (!a->stdin_eof)
        loop_timer_start(t, 0);
    update(a);
}

static void on_close_timer(loop_timer *t, void *arg)
{
    app *a = arg;
    /* The wait counts from the last bytes the server took, not from when
     * our close was queued: behind megabytes of our messages, a server
     * reading them slowly cannot have answered yet. */
    size_t untaken = untaken_by_server(a);
    if (untaken < a->close_wait_untaken) {
        start_close_wait(a);
        return;
    }
    if (untaken > 0 && loop_now_ms(a->loop) - a->close_wait_since < CLOSE_STALL_MS) {
        loop_timer_start(t, CLOSE_POLL_MS);
        return;
    }
    a->timed_out = true;
    client_timeout(&a->conn);
    update(a);
}

static void on_wait_timer(loop_timer *t, void *arg)
{
    (void)t;
    app *a = arg;
    if (client_state(&a->conn) == CLIENT_OPEN)
        start_close(a, WS_CLOSE_NORMAL, NULL, 0);
    client_flush(&a->conn);
    update(a);
}

static void on_ping_timer(loop_timer *t, void *arg)
{
    app *a = arg;
    if (client_state(&a->conn) == CLIENT_OPEN) {
        char payload[32];
        int len = snprintf(payload, sizeof payload, "chat_client %" PRIu64, ++a->pings_sent);
        if (client_send_ping(&a->conn, payload, (size_t)len) == 0 && a->opt.verbose)
            log_msg(a->conn.peer, "> ping \"%s\"", payload);
        client_flush(&a->conn);
        loop_timer_start(t, (uint64_t)(a->opt.ping_interval * 1000.0));
        /* Timed from the oldest ping not yet answered. */
        if (a->opt.ping_timeout > 0 && !loop_timer_active(&a->pong_timer))
            loop_timer_start(&a->pong_timer, (uint64_t)(a->opt.ping_timeout * 1000.0));
    }
    update(a);
}

/* --ping-timeout: a silent server or a path that lost the flow (a NAT, a
 * suspended laptop) would otherwise keep the client waiting for ever, as
 * TCP only notices when it has data to send. Try a close (1001), but do
 * not wait for its answer: nothing suggests one will come. */
static void on_pong_timer(loop_timer *t, void *arg)
{
    app *a = arg;
    /* While a slow stdout holds us from reading the socket, a pong may be
     * waiting unread: the server is not late, so give it another period
     * (update() also does, each time it runs while stdout is behind). */
    if (a->out.bytes >= STDOUT_PAUSE_BYTES) {
        loop_timer_start(t, (uint64_t)(a->opt.ping_timeout * 1000.0));
        return;
    }
    if (client_state(&a->conn) == CLIENT_OPEN) {
        complain("no pong within %g s of a ping: the connection is dead", a->opt.ping_timeout);
        a->exit_code = EXIT_BROKEN;
        start_close(a, WS_CLOSE_GOING_AWAY, "no pong", 7);
        client_flush(&a->conn);
        a->timed_out = true; /* done now, whatever of the close is still queued */
        client_timeout(&a->conn);
    }
    update(a);
}

static void on_signal(loop *l, int signo, void *arg)
{
    (void)l;
    app *a = arg;
    if (client_state(&a->conn) == CLIENT_OPEN) {
        say(a, "%s: closing (again to quit at once)",
            signo == SIGINT ? "interrupted" : signo == SIGHUP ? "hung up" : "terminated");
        /* A reader that stopped taking output must not hold up the close:
         * what it has not taken is given up. */
        if (!sendq_empty(&a->out)) {
            say(a, "dropping %zu bytes of output that stdout has not taken", a->out.bytes);
            sendq_free(&a->out);
            a->output_dropped = true;
        }
        start_close(a, signo == SIGINT ? WS_CLOSE_NORMAL : WS_CLOSE_GOING_AWAY, NULL, 0);
        client_flush(&a->conn);
        update(a);
        return;
    }
    a->exit_code = EXIT_INTERRUPTED;
    finish(a);
}

/* --------------------------------------------------------------- options */

static void usage(FILE *to)
{
    fputs("usage: chat_client [options] ws[s]://host[:port][/path][?query]\n"
          "       chat_client [options] -c URL\n"
          "\n"
          "Sends each line of stdin as a WebSocket message and prints each message\n"
          "received on its own line. End of input closes the connection (code 1000).\n"
          "\n"
          "  -c, --connect URL           the URL, as an option (as wscat takes it)\n"
          "  -x, --execute MESSAGE       send MESSAGE once connected, instead of reading\n"
          "                              stdin (repeatable, in order); then as end of input\n"
          "  -H, --header \"Name: value\"  add a header to the upgrade request (repeatable)\n"
          "  -s, --protocol NAME         offer a subprotocol (repeatable, preferred first;\n"
          "                              also --subprotocol)\n"
          "  -o, --origin URL            send this Origin\n"
          "      --cacert FILE           wss://: trust the CAs in this PEM file instead of\n"
          "                              the system's (also --ca)\n"
          "  -k, --insecure              wss://: accept any certificate, for any name (also\n"
          "                              -n, --no-check)\n"
          "      --proxy HOST:PORT       tunnel through this HTTP proxy (CONNECT; also\n"
          "                              http://HOST:PORT)\n"
          "  -b, --binary                send lines as binary messages instead of text\n"
          "      --ping-interval SECS    ping the server every SECS seconds\n"
          "      --ping-timeout SECS     give up (exit 4) when a ping has no pong within SECS\n"
          "                              seconds; pings every SECS without --ping-interval\n"
          "      --max-message BYTES     largest message sent or accepted (default 16 MiB)\n"
          "  -w, --wait SECS             after end of input, keep printing what arrives until\n"
          "                              nothing has for SECS seconds, then close\n"
          "      --slash                 slash commands even when stdin is not a terminal\n"
          "  -q, --quiet                 no status messages, only errors\n"
          "  -v, --verbose               log frames and pings to stderr\n"
          "  -h, --help                  this text\n"
          "\n"
          "Received text and binary messages are written to stdout as they are,\n"
          "each followed by a newline. Status and errors go to stderr.\n"
          "\n"
          "Slash commands (on when stdin is a terminal, or with --slash):\n"
          "  /ping [payload]   /pong [payload]   /close [code [reason]]   /help\n"
          "  //text            sends \"/text\"\n"
          "\n"
          "Exit status: 0 closed with 1000 or 1001, or our close was answered;\n"
          "1 bad arguments; 2 could not connect or the handshake failed; 3 the server\n"
          "closed with another code; 4 protocol error, connection dropped, no pong within\n"
          "--ping-timeout, or the server did not answer our close within 3 s of taking\n"
          "all of ours (or took none of ours for 10 s); 130\n"
          "interrupted twice (or once while connecting, which the signal ends at once);\n"
          "SIGHUP closes as SIGTERM does.\n",
          to);
}

/* "Name: value" -> "Name: value\r\n" appended to headers; false when the
 * argument is not a header line. */
static bool add_header(char **headers, size_t *len, const char *arg, char *why, size_t why_cap)
{
    const char *colon = strchr(arg, ':');
    if (!colon || !ws_http_is_token(arg, (size_t)(colon - arg))) {
        snprintf(why, why_cap, "-H wants \"Name: value\", got \"%s\"", arg);
        return false;
    }
    size_t name_len = (size_t)(colon - arg);
    /* The handshake writes these itself; a second copy would make the
     * request invalid (RFC 6455 section 4.1). */
    static const char *const owned[] = {"Host", "Upgrade", "Connection", "Sec-WebSocket-Key",
                                        "Sec-WebSocket-Version", "Sec-WebSocket-Protocol",
                                        "Sec-WebSocket-Extensions", "Origin"};
    for (size_t i = 0; i < sizeof owned / sizeof owned[0]; i++) {
        if (strlen(owned[i]) == name_len && strncasecmp(owned[i], arg, name_len) == 0) {
            snprintf(why, why_cap, "-H cannot set %s: the handshake sets it%s", owned[i],
                     i == 5 ? " (use --protocol)" : i == 7 ? " (use --origin)" : "");
            return false;
        }
    }
    const char *value = colon + 1;
    while (*value == ' ' || *value == '\t')
        value++;
    if (strpbrk(value, "\r\n")) {
        snprintf(why, why_cap, "-H %.*s: a header value cannot contain a line break",
                 (int)name_len, arg);
        return false;
    }
    /* RFC 9110 section 5.5: visible characters, spaces and tabs only. */
    for (const unsigned char *v = (const unsigned char *)value; *v; v++) {
        if ((*v < 0x20 && *v != '\t') || *v == 0x7F) {
            snprintf(why, why_cap, "-H %.*s: a header value cannot contain control characters",
                     (int)name_len, arg);
            return false;
        }
    }
    size_t add = name_len + 2 + strlen(value) + 2;
    char *p = realloc(*headers, *len + add + 1);
    if (!p) {
        snprintf(why, why_cap, "out of memory");
        return false;
    }
    *len += (size_t)sprintf(p + *len, "%.*s: %s\r\n", (int)name_len, arg, value);
    *headers = p;
    return true;
}

/* Whether path is a readable file with a PEM certificate in it, so that a
 * wrong --cacert (a key, /etc/passwd) is a usage error before connecting
 * rather than a TLS failure after. why: the reason when it is not. */
static bool has_pem_certificate(const char *path, char *why, size_t why_cap)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(why, why_cap, "%s", strerror(errno));
        return false;
    }
    /* "-----BEGIN CERTIFICATE-----" or "-----BEGIN TRUSTED CERTIFICATE-----",
     * at the start of a line. */
    char line[256];
    bool found = false;
    for (int lines = 0; !found && lines < 1000000 && fgets(line, sizeof line, f); lines++)
        found = strncmp(line, "-----BEGIN CERTIFICATE-----", 27) == 0 ||
                strncmp(line, "-----BEGIN TRUSTED CERTIFICATE-----", 35) == 0;
    fclose(f);
    if (!found)
        snprintf(why, why_cap, "no PEM certificate (\"-----BEGIN CERTIFICATE-----\") in it");
    return found;
}

/* Returns -1 to go on, else an exit status. */
static int parse_options(int argc, char **argv, options *o, char **extra_headers)
{
    enum { OPT_PING = 256, OPT_PING_TIMEOUT, OPT_MAX, OPT_SLASH, OPT_CACERT, OPT_PROXY };
    static const struct option longopts[] = {
        {"header", required_argument, NULL, 'H'},
        {"protocol", required_argument, NULL, 's'},
        {"subprotocol", required_argument, NULL, 's'},
        {"origin", required_argument, NULL, 'o'},
        {"connect", required_argument, NULL, 'c'},
        {"execute", required_argument, NULL, 'x'},
        {"binary", no_argument, NULL, 'b'},
        {"ping-interval", required_argument, NULL, OPT_PING},
        {"ping-timeout", required_argument, NULL, OPT_PING_TIMEOUT},
        {"max-message", required_argument, NULL, OPT_MAX},
        {"wait", required_argument, NULL, 'w'},
        {"slash", no_argument, NULL, OPT_SLASH},
        {"cacert", required_argument, NULL, OPT_CACERT},
        {"ca", required_argument, NULL, OPT_CACERT},
        {"insecure", no_argument, NULL, 'k'},
        {"proxy", required_argument, NULL, OPT_PROXY},
        {"no-check", no_argument, NULL, 'k'},
        {"quiet", no_argument, NULL, 'q'},
        {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    size_t headers_len = 0;
    bool force_slash = false;
    char why[512];
    o->max_message = WS_DEFAULT_MAX_MESSAGE_SIZE;
    int ch;
    const char *connect_url = NULL;
    while ((ch = getopt_long(argc, argv, "H:bqvhw:s:o:c:x:kn", longopts, NULL)) != -1) {
        switch (ch) {
        case OPT_CACERT:
            if (!has_pem_certificate(optarg, why, sizeof why)) {
                complain("--cacert %s: %s", optarg, why);
                return EXIT_USAGE;
            }
            o->ca_file = optarg;
            break;
        case 'k':
        case 'n':
            o->insecure = true;
            break;
        case OPT_PROXY:
            if (!client_proxy_valid(optarg, why, sizeof why)) {
                complain("%s", why);
                return EXIT_USAGE;
            }
            o->proxy = optarg;
            break;
        case 'c':
            if (connect_url) {
                complain("more than one URL given");
                return EXIT_USAGE;
            }
            connect_url = optarg;
            break;
        case 'x':
            if (o->num_execute == MAX_EXECUTE) {
                complain("at most %d -x options", MAX_EXECUTE);
                return EXIT_USAGE;
            }
            o->execute[o->num_execute++] = optarg;
            break;
        case 'H':
            if (!add_header(extra_headers, &headers_len, optarg, why, sizeof why)) {
                complain("%s", why);
                return EXIT_USAGE;
            }
            break;
        case 's':
            if (!ws_http_is_token(optarg, strlen(optarg))) {
                complain("--protocol %s: a subprotocol name is a token (letters, digits, "
                         "and !#$%%&'*+-.^_`|~)",
                         optarg);
                return EXIT_USAGE;
            }
            if (o->num_protocols == MAX_PROTOCOLS) {
                complain("at most %d --protocol options", MAX_PROTOCOLS);
                return EXIT_USAGE;
            }
            /* Offered twice, the header would make the library refuse the
             * request; said here, before connecting. */
            for (size_t i = 0; i < o->num_protocols; i++)
                if (strcmp(o->protocols[i], optarg) == 0) {
                    complain("--protocol %s is given twice", optarg);
                    return EXIT_USAGE;
                }
            o->protocols[o->num_protocols++] = optarg;
            break;
        case 'o':
            /* Refused here as a bad argument (exit 1), not later by the
             * library as a failed handshake (exit 2). */
            for (const char *p = optarg; *p; p++) {
                if ((unsigned char)*p < 0x20 || *p == 0x7f) {
                    complain("--origin: an Origin cannot contain control characters or line "
                             "breaks");
                    return EXIT_USAGE;
                }
            }
            o->origin = optarg;
            break;
        case 'b':
            o->binary = true;
            break;
        case OPT_PING:
        case OPT_PING_TIMEOUT:
        case 'w': {
            const char *name = ch == 'w'        ? "--wait"
                               : ch == OPT_PING ? "--ping-interval"
                                                : "--ping-timeout";
            char *end;
            errno = 0;
            double v = strtod(optarg, &end);
            /* All are timer periods: at least a millisecond, at most a day. */
            if (errno || *end || !(v >= 0.001) || v > 86400.0) {
                complain("%s wants a number of seconds from 0.001 to 86400, got \"%s\"", name,
                         optarg);
                return EXIT_USAGE;
            }
            *(ch == 'w' ? &o->wait : ch == OPT_PING ? &o->ping_interval : &o->ping_timeout) = v;
            break;
        }
        case OPT_MAX:
            if (!cli_number("chat_client", "--max-message", optarg, 1, (uint64_t)1 << 40,
                            &o->max_message))
                return EXIT_USAGE;
            break;
        case OPT_SLASH:
            force_slash = true;
            break;
        case 'q':
            o->quiet = true;
            o->verbose = false;
            break;
        case 'v':
            o->verbose = true;
            o->quiet = false;
            break;
        case 'h':
            usage(stdout);
            return EXIT_CLEAN;
        default:
            usage(stderr);
            return EXIT_USAGE;
        }
    }
    const int urls = argc - optind + (connect_url != NULL);
    if (urls != 1) {
        complain(urls == 0 ? "no URL given" : "more than one URL given");
        usage(stderr);
        return EXIT_USAGE;
    }
    o->url = connect_url ? connect_url : argv[optind];
    for (size_t i = 0; i < o->num_execute; i++) {
        size_t len = strlen(o->execute[i]);
        if (len > o->max_message) {
            complain("-x message %zu is longer than %" PRIu64 " bytes (--max-message)", i + 1,
                     o->max_message);
            return EXIT_USAGE;
        }
        /* A text message must be UTF-8 (RFC 6455 section 5.6); refused
         * here, not after connecting with nothing sent and exit 0. */
        if (!o->binary && ws_utf8_validate((const uint8_t *)o->execute[i], len) != WS_OK) {
            complain("-x message %zu is not valid UTF-8 (--binary sends any bytes)", i + 1);
            return EXIT_USAGE;
        }
    }
    ws_url url;
    ws_status st = ws_url_parse(o->url, strlen(o->url), &url);
    if (st != WS_OK) {
        complain("invalid URL %s: %s", o->url, ws_strerror(st));
        return EXIT_USAGE;
    }
    o->slash = force_slash || isatty(STDIN_FILENO);
    return -1;
}

/* ------------------------------------------------------------------ main */

static int outcome(app *a)
{
    client_conn *c = &a->conn;
    if (a->exit_code >= 0)
        return a->exit_code;
    if (c->out_of_memory) {
        complain("out of memory: connection dropped without a close");
        return EXIT_BROKEN;
    }
    if (c->protocol_error) {
        complain("protocol error: %s", ws_strerror(c->protocol_error));
        return EXIT_BROKEN;
    }
    if (a->we_closed) {
        if (client_closed_cleanly(c) && !answers_our_close(a, client_peer_code(c)))
            return EXIT_SERVER_CODE; /* said when its close came */
        if (client_closed_cleanly(c))
            return a->stdout_dead ? EXIT_BROKEN : EXIT_CLEAN;
        if (a->timed_out && a->close_wait_untaken > 0)
            complain("the server took nothing for %d s, with %zu bytes of ours (the close "
                     "among them) still to take", CLOSE_STALL_MS / 1000, a->close_wait_untaken);
        else if (a->timed_out)
            complain("the server did not answer the close within %d s", CLOSE_WAIT_MS / 1000);
        else
            complain("the connection dropped before the server answered the close%s%s",
                     c->io_errno ? ": " : "", client_io_error(c));
        return EXIT_BROKEN;
    }
    uint16_t code = client_peer_code(c);
    if (code == WS_CLOSE_NORMAL || code == WS_CLOSE_GOING_AWAY)
        return EXIT_CLEAN;
    if (code == WS_CLOSE_ABNORMAL) {
        complain("the connection dropped without a close frame (1006)%s%s",
                 c->io_errno ? ": " : "", client_io_error(c));
        return EXIT_BROKEN;
    }
    return EXIT_SERVER_CODE;
}

int main(int argc, char **argv)
{
    if (!cli_standard_fds_open())
        return 1;
    static app a; /* large; and zeroed */
    a.exit_code = -1;
    char *extra_headers = NULL;
    int rc = parse_options(argc, argv, &a.opt, &extra_headers);
    if (rc >= 0) {
        free(extra_headers);
        return rc;
    }
    /* A server that resets the connection must give us EPIPE to report,
     * not kill us. */
    signal(SIGPIPE, SIG_IGN);

    client_config cfg = {
        .url = a.opt.url,
        .protocols = a.opt.protocols,
        .num_protocols = a.opt.num_protocols,
        .origin = a.opt.origin,
        .extra_headers = extra_headers,
        .max_message = a.opt.max_message,
        .timeout_ms = CONNECT_TIMEOUT_MS,
        .ca_file = a.opt.ca_file,
        .insecure = a.opt.insecure,
        .proxy = a.opt.proxy,
    };
    /* The loop first: a client that cannot have one must not open a
     * connection it would then drop without a close. Nothing main does
     * after "connected to" allocates, so from that line on (the point at
     * which interop_audit_oom starts failing allocations) only the
     * connection's own traffic can run out of memory. */
    a.loop = loop_new();
    if (!a.loop) {
        complain("cannot create the event loop: %s", strerror(errno));
        free(extra_headers);
        return EXIT_BROKEN;
    }
    char err[512];
    if (client_connect(&a.conn, &cfg, err, sizeof err) < 0) {
        complain("%s", err);
        free(extra_headers);
        loop_free(a.loop);
        return EXIT_CONNECT;
    }
    free(extra_headers);
    if (a.opt.num_protocols > 0 && a.conn.protocol[0] == '\0')
        say(&a, "connected to %s (%s); the server chose no subprotocol", a.opt.url, a.conn.peer);
    else if (a.conn.protocol[0])
        say(&a, "connected to %s (%s), subprotocol %s", a.opt.url, a.conn.peer, a.conn.protocol);
    else
        say(&a, "connected to %s (%s)", a.opt.url, a.conn.peer);
    if (a.opt.slash && isatty(STDIN_FILENO))
        say(&a, "type lines to send; /help lists commands; Ctrl-D closes");

    loop_io_init(&a.sock_io, a.loop, a.conn.fd, on_sock_read, on_sock_write, &a);
    loop_io_init(&a.stdin_io, a.loop, STDIN_FILENO, on_stdin_ready, NULL, &a);
    sendq_init(&a.out);
    stdout_setup(&a);
    loop_timer_init(&a.stdin_timer, a.loop, on_stdin_timer, &a);
    loop_timer_init(&a.close_timer, a.loop, on_close_timer, &a);
    loop_timer_init(&a.ping_timer, a.loop, on_ping_timer, &a);
    loop_timer_init(&a.pong_timer, a.loop, on_pong_timer, &a);
    loop_timer_init(&a.wait_timer, a.loop, on_wait_timer, &a);
    a.stdin_epoll = loop_io_set(&a.stdin_io, LOOP_READ) == 0;
    loop_signal(a.loop, SIGINT, on_signal, &a);
    loop_signal(a.loop, SIGTERM, on_signal, &a);
    /* The terminal went away: leave as for SIGTERM, with a close. */
    loop_signal(a.loop, SIGHUP, on_signal, &a);
    /* A timeout alone pings at its own period: each ping must be answered
     * before the next goes out. */
    if (a.opt.ping_timeout > 0 && a.opt.ping_interval == 0)
        a.opt.ping_interval = a.opt.ping_timeout;
    if (a.opt.ping_interval > 0)
        loop_timer_start(&a.ping_timer, (uint64_t)(a.opt.ping_interval * 1000.0));

    /* Frames the server sent together with its handshake answer are already
     * buffered: handle them before waiting for more. */
    if (a.conn.in_len > 0)
        client_receive(&a.conn, on_event, &a);
    update(&a);
    if (!a.done && loop_run(a.loop) < 0)
        complain("event loop failed: %s", strerror(errno));

    /* stdout as it was found first: outcome()'s sentences then go straight
     * to stderr, blocking as it was. */
    stdout_restore(&a);
    int code = outcome(&a);
    loop_io_stop(&a.sock_io);
    loop_io_stop(&a.stdin_io);
    loop_free(a.loop);
    client_free(&a.conn);
    bytebuf_free(&a.line);
    return code;
}
