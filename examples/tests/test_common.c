/* Unit tests of examples/common: the event loop's timers, deferred work, fd
 * watchers and signals, the shared-buffer send queue with its encoders, the growing
 * byte buffer, and the log's escaping of what peers choose. */
#include <setjmp.h> /* cmocka needs these before cmocka.h */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "buf.h"
#include "log.h"
#include "loop.h"
#include "net.h"
#include "sendq.h"

/* ---------------------------------------------------------------- timers */

struct order {
    loop *l;
    int fired[16];
    int n;
    loop_timer *cancel; /* stopped by the first callback, must never fire */
    int stop_after;     /* loop_stop after this many */
};

struct tagged {
    loop_timer t;
    int id;
    struct order *o;
};

static void tagged_fire(loop_timer *t, void *arg)
{
    (void)t;
    struct tagged *tg = arg;
    struct order *o = tg->o;
    o->fired[o->n++] = tg->id;
    if (o->cancel) {
        loop_timer_stop(o->cancel);
        o->cancel = NULL;
    }
    if (o->n == o->stop_after)
        loop_stop(o->l);
}

static void test_timers_fire_in_due_order(void **state)
{
    (void)state;
    loop *l = loop_new();
    assert_non_null(l);
    struct order o = {.l = l, .stop_after = 4};
    struct tagged tg[5];
    const unsigned delays[5] = {40, 10, 30, 20, 25};
    for (int i = 0; i < 5; i++) {
        tg[i].id = i;
        tg[i].o = &o;
        loop_timer_init(&tg[i].t, l, tagged_fire, &tg[i]);
        assert_int_equal(loop_timer_start(&tg[i].t, delays[i]), 0);
    }
    /* The first to fire (10 ms) cancels the 25 ms one. */
    o.cancel = &tg[4].t;
    uint64_t start = loop_now_ms(l);
    assert_int_equal(loop_run(l), 0);
    assert_int_equal(o.n, 4);
    assert_int_equal(o.fired[0], 1);
    assert_int_equal(o.fired[1], 3);
    assert_int_equal(o.fired[2], 2);
    assert_int_equal(o.fired[3], 0);
    assert_false(loop_timer_active(&tg[4].t));
    assert_true(loop_now_ms(l) - start >= 40);
    loop_free(l);
}

struct rearm {
    loop_timer t;
    loop_timer other;
    int count;
    int other_count;
};

static void rearm_zero(loop_timer *t, void *arg)
{
    struct rearm *r = arg;
    r->count++;
    loop_timer_start(t, 0); /* must not spin within one pass */
}

static void rearm_stop(loop_timer *t, void *arg)
{
    (void)t;
    struct rearm *r = arg;
    r->other_count++;
    loop_stop(r->t.loop_);
}

static void test_timer_restarted_from_its_callback_runs_once_per_pass(void **state)
{
    (void)state;
    loop *l = loop_new();
    struct rearm r = {0};
    loop_timer_init(&r.t, l, rearm_zero, &r);
    loop_timer_init(&r.other, l, rearm_stop, &r);
    loop_timer_start(&r.t, 0);
    loop_timer_start(&r.other, 30);
    assert_int_equal(loop_run(l), 0);
    assert_int_equal(r.other_count, 1);
    /* Roughly one run per millisecond, certainly not an unbounded spin
     * that starves the other timer. */
    assert_true(r.count >= 1);
    assert_true(r.count <= 60);
    loop_timer_stop(&r.t);
    loop_free(l);
}

/* ---------------------------------------------------------------- deferred */

struct batch {
    loop *l;
    loop_io io[2];
    int fds[2][2];
    int reads;            /* read callbacks so far */
    int reads_at_flush;   /* reads seen by the deferred callback */
    int flushes;
    loop_defer flush;
    loop_defer cancelled; /* armed, then cancelled: must never run */
    int cancelled_runs;
};

static void on_batch_read(loop_io *io, void *arg)
{
    struct batch *b = arg;
    char buf[16];
    assert_true(read(io == &b->io[0] ? b->fds[0][0] : b->fds[1][0], buf, sizeof buf) > 0);
    b->reads++;
    loop_defer_arm(&b->flush); /* twice in one iteration: runs once */
}

static void on_batch_flush(loop_defer *d, void *arg)
{
    (void)d;
    struct batch *b = arg;
    b->flushes++;
    b->reads_at_flush = b->reads;
    loop_stop(b->l);
}

static void on_cancelled(loop_defer *d, void *arg)
{
    (void)d;
    struct batch *b = arg;
    b->cancelled_runs++;
}

static void test_deferred_work_runs_once_after_the_events(void **state)
{
    (void)state;
    struct batch b = {0};
    b.l = loop_new();
    assert_non_null(b.l);
    loop_defer_init(&b.flush, b.l, on_batch_flush, &b);
    loop_defer_init(&b.cancelled, b.l, on_cancelled, &b);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, b.fds[i]), 0);
        loop_io_init(&b.io[i], b.l, b.fds[i][0], on_batch_read, NULL, &b);
        assert_int_equal(loop_io_set(&b.io[i], LOOP_READ), 0);
        assert_int_equal(write(b.fds[i][1], "x", 1), 1);
    }
    loop_defer_arm(&b.cancelled);
    loop_defer_cancel(&b.cancelled);
    loop_defer_cancel(&b.cancelled); /* twice is safe */
    assert_int_equal(loop_run(b.l), 0);
    /* Both fds were ready in the same wait, so both reads came first. */
    assert_int_equal(b.flushes, 1);
    assert_int_equal(b.reads_at_flush, 2);
    assert_int_equal(b.cancelled_runs, 0);
    for (int i = 0; i < 2; i++) {
        loop_io_stop(&b.io[i]);
        close(b.fds[i][0]);
        close(b.fds[i][1]);
    }
    loop_free(b.l);
}

struct self_arm {
    loop_defer d;
    loop_timer t;
    int runs;
    int timer_runs;
};

static void on_self_arm(loop_defer *d, void *arg)
{
    struct self_arm *a = arg;
    a->runs++;
    loop_defer_arm(d); /* must wait for the next pass, not spin here */
}

static void on_self_arm_timer(loop_timer *t, void *arg)
{
    struct self_arm *a = arg;
    a->timer_runs++;
    loop_stop(t->loop_);
}

static void test_deferred_work_rearmed_from_its_callback_does_not_starve_timers(void **state)
{
    (void)state;
    loop *l = loop_new();
    struct self_arm a = {0};
    loop_defer_init(&a.d, l, on_self_arm, &a);
    loop_timer_init(&a.t, l, on_self_arm_timer, &a);
    loop_defer_arm(&a.d);
    loop_timer_start(&a.t, 20);
    assert_int_equal(loop_run(l), 0);
    assert_int_equal(a.timer_runs, 1);
    /* Once per pass, and the passes do not block while it is armed. */
    assert_true(a.runs >= 2);
    loop_defer_cancel(&a.d);
    loop_free(l);
}

/* ---------------------------------------------------------------- fds */

struct pair_watch {
    loop_io io[2];
    int fds[2][2]; /* two socketpairs */
    int reads[2];
    bool stop_other; /* the first callback stops the other watcher */
    int spare[2];    /* a quiet socketpair the stopped watcher's memory is reused for */
    int wrong;       /* callbacks of the reused watcher */
    loop *l;
};

static void on_spare_read(loop_io *io, void *arg)
{
    (void)io;
    struct pair_watch *w = arg;
    w->wrong++;
}

static void on_pair_read(loop_io *io, void *arg)
{
    struct pair_watch *w = arg;
    int i = io == &w->io[0] ? 0 : 1;
    char buf[16];
    assert_true(read(w->fds[i][0], buf, sizeof buf) > 0);
    w->reads[i]++;
    if (w->stop_other) {
        /* Stop the other watcher and reuse its memory at once for a new one
         * on a quiet fd, as a freed-and-reallocated connection would. */
        loop_io_stop(&w->io[1 - i]);
        loop_io_init(&w->io[1 - i], w->l, w->spare[0], on_spare_read, NULL, w);
        assert_int_equal(loop_io_set(&w->io[1 - i], LOOP_READ), 0);
        w->stop_other = false;
    }
}

static void stop_loop(loop_timer *t, void *arg)
{
    (void)t;
    loop_stop(arg);
}

static void test_stopping_a_watcher_drops_its_pending_event(void **state)
{
    (void)state;
    struct pair_watch w = {.stop_other = true};
    w.l = loop_new();
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, w.spare), 0);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, w.fds[i]), 0);
        loop_io_init(&w.io[i], w.l, w.fds[i][0], on_pair_read, NULL, &w);
        assert_int_equal(loop_io_set(&w.io[i], LOOP_READ), 0);
        /* Both readable before the loop runs: one epoll batch holds both. */
        assert_int_equal(write(w.fds[i][1], "x", 1), 1);
    }
    /* Only a timer ends the run, so anything that could be called is. */
    loop_timer t;
    loop_timer_init(&t, w.l, stop_loop, w.l);
    loop_timer_start(&t, 30);
    assert_int_equal(loop_run(w.l), 0);
    /* Exactly one callback ran; the other watcher was stopped by it, and its
     * event, fetched in the same batch, was dropped rather than delivered to
     * whatever now lives at that address. */
    assert_int_equal(w.reads[0] + w.reads[1], 1);
    assert_int_equal(w.wrong, 0);
    for (int i = 0; i < 2; i++) {
        loop_io_stop(&w.io[i]);
        close(w.fds[i][0]);
        close(w.fds[i][1]);
        close(w.spare[i]);
    }
    loop_free(w.l);
}

struct writable {
    loop_io io;
    int writes;
    int reads;
};

static void on_w(loop_io *io, void *arg)
{
    struct writable *w = arg;
    w->writes++;
    /* Interest is honoured: dropping WRITE ends the callbacks. */
    loop_io_set(io, 0);
    loop_stop(io->loop_);
}

static void on_r(loop_io *io, void *arg)
{
    (void)io;
    struct writable *w = arg;
    w->reads++;
}

static void test_write_interest(void **state)
{
    (void)state;
    loop *l = loop_new();
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    struct writable w = {0};
    loop_io_init(&w.io, l, sv[0], on_r, on_w, &w);
    assert_int_equal(loop_io_set(&w.io, LOOP_READ | LOOP_WRITE), 0);
    assert_int_equal(loop_io_interest(&w.io), LOOP_READ | LOOP_WRITE);
    assert_int_equal(loop_run(l), 0);
    assert_int_equal(w.writes, 1);
    assert_int_equal(w.reads, 0); /* nothing to read */
    assert_int_equal(loop_io_interest(&w.io), 0);
    loop_io_stop(&w.io);
    close(sv[0]);
    close(sv[1]);
    loop_free(l);
}

/* ---------------------------------------------------------------- signals */

static void on_usr1(loop *l, int signo, void *arg)
{
    int *got = arg;
    *got = signo;
    loop_stop(l);
}

static void test_signal_arrives_as_an_event(void **state)
{
    (void)state;
    loop *l = loop_new();
    int got = 0;
    assert_int_equal(loop_signal(l, SIGUSR1, on_usr1, &got), 0);
    /* Blocked now, so raise() leaves it pending for the signalfd. */
    assert_int_equal(raise(SIGUSR1), 0);
    assert_int_equal(loop_run(l), 0);
    assert_int_equal(got, SIGUSR1);
    loop_free(l);
}

/* ---------------------------------------------------------------- sendq */

static void fill(sbuf *b, uint8_t seed)
{
    for (size_t i = 0; i < b->len; i++)
        b->data[i] = (uint8_t)(seed + i * 7);
}

static void drain_and_check(int fd, const sbuf *const *parts, size_t nparts)
{
    size_t total = 0;
    for (size_t i = 0; i < nparts; i++)
        total += parts[i]->len;
    uint8_t *got = test_malloc(total);
    size_t have = 0;
    while (have < total) {
        ssize_t n = read(fd, got + have, total - have);
        assert_true(n > 0);
        have += (size_t)n;
    }
    size_t at = 0;
    for (size_t i = 0; i < nparts; i++) {
        assert_memory_equal(got + at, parts[i]->data, parts[i]->len);
        at += parts[i]->len;
    }
    test_free(got);
}

static void test_shared_buffer_in_two_queues_with_partial_writes(void **state)
{
    (void)state;
    int a[2], b[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, a), 0);
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, b), 0);
    int small = 4096;
    setsockopt(a[0], SOL_SOCKET, SO_SNDBUF, &small, sizeof small);
    assert_int_equal(net_set_nonblocking(a[0]), 0);
    assert_int_equal(net_set_nonblocking(b[0]), 0);

    sbuf *big = sbuf_new(300000);
    sbuf *tail = sbuf_new(1000);
    assert_non_null(big);
    assert_non_null(tail);
    fill(big, 1);
    fill(tail, 99);

    sendq qa, qb;
    sendq_init(&qa);
    sendq_init(&qb);
    assert_int_equal(sendq_push(&qa, big), 0);
    assert_int_equal(sendq_push(&qb, big), 0);
    assert_int_equal(sendq_push(&qa, tail), 0);
    assert_int_equal(big->refs, 3); /* ours and one per queue: no copies */
    assert_int_equal(qa.bytes, 301000);

    /* The socket takes only part: the queue says "wait", keeps the rest. */
    assert_int_equal(sendq_flush(&qa, a[0]), 0);
    assert_true(qa.bytes > 0 && qa.bytes < 301000);
    assert_false(sendq_empty(&qa));

    /* A drop keeps the buffer being written (the peer needs whole frames)
     * and forgets the one not started. */
    sendq_drop_unsent(&qa);
    assert_int_equal(qa.count, 1);
    assert_int_equal(tail->refs, 1);

    /* Alternate flushes and reads on the peer side until it all arrived. */
    size_t want = 300000;
    uint8_t *got = test_malloc(want);
    size_t have = 0;
    int spins = 0;
    while (have < want) {
        int r = sendq_flush(&qa, a[0]);
        assert_true(r >= 0);
        ssize_t n = read(a[1], got + have, want - have);
        assert_true(n > 0);
        have += (size_t)n;
        assert_true(++spins < 100000);
    }
    assert_int_equal(sendq_flush(&qa, a[0]), 1);
    assert_true(sendq_empty(&qa));
    assert_int_equal(qa.bytes, 0);
    assert_memory_equal(got, big->data, want);
    test_free(got);
    assert_int_equal(big->refs, 2);

    /* The other queue is untouched by all that. */
    int r;
    size_t spins_b = 0;
    while ((r = sendq_flush(&qb, b[0])) == 0) {
        char sink[65536];
        assert_true(read(b[1], sink, sizeof sink) > 0);
        assert_true(++spins_b < 100000);
    }
    assert_int_equal(r, 1);
    sendq_free(&qa);
    sendq_free(&qb);
    assert_int_equal(big->refs, 1);
    sbuf_unref(big);
    sbuf_unref(tail);
    for (int i = 0; i < 2; i++) {
        close(a[i]);
        close(b[i]);
    }
}

/* The message and line buffers of the server, the client and chat_client. */
static void test_bytebuf_grows_and_clamps(void **state)
{
    (void)state;
    static uint8_t src[10000];
    for (size_t i = 0; i < sizeof src; i++)
        src[i] = (uint8_t)(i * 7);

    bytebuf b = {0};
    for (size_t off = 0; off < sizeof src; off += 999) {
        size_t n = sizeof src - off < 999 ? sizeof src - off : 999;
        assert_true(bytebuf_append(&b, src + off, n, 0));
    }
    assert_int_equal(b.len, sizeof src);
    assert_int_equal(b.cap, 16384); /* 4 KiB doubled */
    assert_memory_equal(b.data, src, sizeof src);
    bytebuf_free(&b);
    assert_null(b.data);
    assert_int_equal(b.len, 0);
    assert_int_equal(b.cap, 0);

    /* A limit stops the doubling at the limit, not past it. */
    assert_true(bytebuf_append(&b, src, 4096, 5000));
    assert_int_equal(b.cap, 4096);
    assert_true(bytebuf_append(&b, src + 4096, 1, 5000));
    assert_int_equal(b.cap, 5000);
    assert_true(bytebuf_append(&b, src + 4097, 903, 5000));
    assert_int_equal(b.cap, 5000);
    assert_memory_equal(b.data, src, 5000);
    bytebuf_free(&b);

    /* An empty append (an empty line, an empty DATA event) is a no-op. */
    assert_true(bytebuf_append(&b, NULL, 0, 0));
    assert_null(b.data);
    assert_int_equal(b.len, 0);
    assert_int_equal(b.cap, 0);
}

/* The server and the client encode their messages through sbuf_message:
 * the bytes must be the writer's, and the writer's errors must come back. */
static void test_sbuf_message_and_copy(void **state)
{
    (void)state;
    ws_writer w, ref;
    ws_writer_init(&w, WS_ROLE_SERVER, 0, NULL, NULL);
    ws_writer_init(&ref, WS_ROLE_SERVER, 0, NULL, NULL);
    static const char text[] = "h\xc3\xa9llo";
    int st = 1;
    sbuf *b = sbuf_message(&w, WS_OP_TEXT, text, sizeof text - 1, &st);
    assert_non_null(b);
    uint8_t want[64];
    ptrdiff_t n = ws_message_write(&ref, WS_OP_TEXT, text, sizeof text - 1, want, sizeof want);
    assert_true(n > 0);
    assert_int_equal(b->len, (size_t)n);
    assert_memory_equal(b->data, want, (size_t)n);
    assert_int_equal(b->refs, 1);
    sbuf_unref(b);

    static const uint8_t bad[] = {'a', 0xc3, 0x28};
    assert_null(sbuf_message(&w, WS_OP_TEXT, bad, sizeof bad, &st));
    assert_int_equal(st, WS_E_INVALID_UTF8);

    sbuf *c = sbuf_copy(want, (size_t)n);
    assert_non_null(c);
    assert_int_equal(c->len, (size_t)n);
    assert_memory_equal(c->data, want, (size_t)n);
    sbuf_unref(c);
    sbuf *empty = sbuf_copy(NULL, 0);
    assert_non_null(empty);
    assert_int_equal(empty->len, 0);
    sbuf_unref(empty);
}

static void test_many_small_buffers_go_out_in_order(void **state)
{
    (void)state;
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    assert_int_equal(net_set_nonblocking(sv[0]), 0);
    enum { N = 200 }; /* more than one writev's worth, and ring wrap-around */
    sbuf *parts[N];
    sendq q;
    sendq_init(&q);
    for (int i = 0; i < N; i++) {
        parts[i] = sbuf_new((size_t)(i % 13) + 1);
        fill(parts[i], (uint8_t)i);
        assert_int_equal(sendq_push(&q, parts[i]), 0);
        sbuf_unref(parts[i]); /* the queue's reference keeps it alive */
        if (i == N / 2) {
            assert_int_equal(sendq_flush(&q, sv[0]), 1);
        }
    }
    sendq_free(&q);
    close(sv[0]);
    close(sv[1]);

    /* Again, checking the bytes this time. */
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    sendq_init(&q);
    for (int i = 0; i < N; i++) {
        parts[i] = sbuf_new((size_t)(i % 13) + 1);
        fill(parts[i], (uint8_t)i);
        assert_int_equal(sendq_push(&q, parts[i]), 0);
    }
    assert_int_equal(sendq_flush(&q, sv[0]), 1);
    drain_and_check(sv[1], (const sbuf *const *)parts, N);
    sendq_free(&q);
    for (int i = 0; i < N; i++) {
        assert_int_equal(parts[i]->refs, 1);
        sbuf_unref(parts[i]);
    }
    close(sv[0]);
    close(sv[1]);
}

static void test_drained_queue_frees_its_array_unless_it_grew(void **state)
{
    (void)state;
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    sbuf *b = sbuf_copy("abc", 3);
    sendq q;
    sendq_init(&q);
    /* An idle connection's queue: one answer, then nothing. */
    assert_int_equal(sendq_push(&q, b), 0);
    assert_non_null(q.items);
    assert_int_equal(sendq_flush(&q, sv[0]), 1);
    assert_null(q.items);
    assert_true(sendq_empty(&q));
    /* Usable again after that. */
    assert_int_equal(sendq_push(&q, b), 0);
    assert_int_equal(sendq_flush(&q, sv[0]), 1);
    /* A busy one: its grown array stays for the next batch. */
    for (int i = 0; i < 40; i++)
        assert_int_equal(sendq_push(&q, b), 0);
    assert_int_equal(sendq_flush(&q, sv[0]), 1);
    assert_non_null(q.items);
    assert_true(sendq_empty(&q));
    sendq_free(&q);
    assert_int_equal(b->refs, 1);
    sbuf_unref(b);
    char buf[256];
    assert_int_equal(read(sv[1], buf, sizeof buf), 42 * 3);
    close(sv[0]);
    close(sv[1]);
}

/* ---------------------------------------------------------------- log */

/* What log_msg writes for text, without its timestamp and peer. */
static void logged(const char *text, char *out, size_t cap)
{
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    fflush(stderr);
    int saved = dup(STDERR_FILENO);
    assert_true(saved >= 0);
    assert_true(dup2(sv[0], STDERR_FILENO) >= 0);
    log_msg("peer", "%s", text);
    fflush(stderr);
    assert_true(dup2(saved, STDERR_FILENO) >= 0);
    close(saved);
    close(sv[0]);
    ssize_t n = read(sv[1], out, cap - 1);
    close(sv[1]);
    assert_true(n > 0);
    out[n] = '\0';
    const char *body = strstr(out, "[peer] ");
    assert_non_null(body);
    memmove(out, body + 7, strlen(body + 7) + 1);
}

static void test_log_escapes_what_a_terminal_would_obey(void **state)
{
    (void)state;
    static const struct {
        const char *in, *out;
    } rows[] = {
        {"plain text", "plain text\n"},
        {"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\n"},
        /* A forged line, ANSI escapes, DEL. */
        {"a\nb\x1b[2J\x7f", "a\\x0ab\\x1b[2J\\x7f\n"},
        /* C1 as UTF-8 (U+009B) and as a lone 8-bit CSI. */
        {"\xc2\x9b" "31m", "\\xc2\\x9b31m\n"},
        {"x\x9b" "31m", "x\\x9b31m\n"},
        /* Bytes that are no UTF-8: a lone continuation, a cut sequence,
         * an overlong, a surrogate; the valid text around them is kept. */
        {"\x80\xe2\x82 \xc0\xaf \xed\xa0\x80 \xc3\xa9",
         "\\x80\\xe2\\x82 \\xc0\\xaf \\xed\\xa0\\x80 \xc3\xa9\n"},
        /* A sequence cut by the end of the string. */
        {"end \xf0\x9f", "end \\xf0\\x9f\n"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        char out[512];
        logged(rows[i].in, out, sizeof out);
        assert_string_equal(out, rows[i].out);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_timers_fire_in_due_order),
        cmocka_unit_test(test_timer_restarted_from_its_callback_runs_once_per_pass),
        cmocka_unit_test(test_deferred_work_runs_once_after_the_events),
        cmocka_unit_test(test_deferred_work_rearmed_from_its_callback_does_not_starve_timers),
        cmocka_unit_test(test_stopping_a_watcher_drops_its_pending_event),
        cmocka_unit_test(test_write_interest),
        cmocka_unit_test(test_signal_arrives_as_an_event),
        cmocka_unit_test(test_shared_buffer_in_two_queues_with_partial_writes),
        cmocka_unit_test(test_many_small_buffers_go_out_in_order),
        cmocka_unit_test(test_drained_queue_frees_its_array_unless_it_grew),
        cmocka_unit_test(test_sbuf_message_and_copy),
        cmocka_unit_test(test_bytebuf_grows_and_clamps),
        cmocka_unit_test(test_log_escapes_what_a_terminal_would_obey),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
