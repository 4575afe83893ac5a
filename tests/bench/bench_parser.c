/*
 * bench_parser - libwsframe's receive and send paths against wslay, on the
 * same in-memory byte streams, in the same run.
 *
 * Every case builds a stream of masked client-to-server frames once, then
 * times complete passes over it:
 *   ws_parser_next    the stream parser: headers, unmasking, UTF-8 of text,
 *                     by default and with WS_PARSER_WHOLE_MESSAGES;
 *   frame+mask        ws_frame_parse + ws_mask (+ ws_utf8_validate on text),
 *                     the low-level path a caller can assemble itself;
 *   wslay_frame_recv  wslay's frame API: it copies from an in-memory recv
 *                     callback into its own 4 KiB buffer and unmasks there
 *                     byte by byte; it does not validate UTF-8;
 *   wslay_event_recv  wslay's event API with no_buffering (like our parser it
 *                     hands out chunks); it validates UTF-8 byte by byte.
 *
 * libwsframe unmasks in place, so each pass first restores the masked bytes
 * from a pristine copy; that copy stands for recv(2) and is not timed.
 * wslay's recv callback copy is timed, because its API cannot avoid it; it
 * stands for the same recv(2) and costs what the memcpy rows show.
 *
 * A sample is the time of one or more passes (at least --min-ms); a result is
 * the median of --reps samples after one warm-up sample. Results are checked
 * (frame and byte counts, unmasked bytes against the plaintext) so a broken
 * parser cannot look fast, and folded into a volatile sink so the compiler
 * cannot drop the work.
 */
#define _POSIX_C_SOURCE 200809L

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "wsframe.h"

/* Internal: the SIMD and portable variants behind the dispatchers. */
#include "mask.h"
#include "utf8.h"

#ifdef WS_BENCH_HAVE_WSLAY
#include <sys/types.h>
#include <wslay/wslay.h>
#endif

/* ------------------------------------------------------------------ setup */

typedef struct options {
    bool quick;
    bool best; /* report the fastest sample instead of the median */
    int reps;
    double min_ms;
    size_t chunk;        /* split mode read size */
    const char *only;    /* comma-separated groups, NULL: all */
    const char *filter;  /* substring of case names, NULL: all */
} options;

static options opt = {false, false, 7, 40.0, 1460, NULL, NULL};

static volatile uint64_t g_sink;

static void die(const char *what)
{
    fprintf(stderr, "bench_parser: %s\n", what);
    exit(1);
}

static void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p) {
        die("out of memory");
    }
    return p;
}

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* xorshift64*: mask keys and binary payloads, reproducible run to run. */
static uint64_t rng_state = 0x9E3779B97F4A7C15u;
static uint64_t rng_next(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545F4914F6CDD1Du;
}

static bool group_enabled(const char *group)
{
    if (!opt.only) {
        return true;
    }
    size_t n = strlen(group);
    for (const char *p = opt.only; *p;) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len == n && memcmp(p, group, n) == 0) {
            return true;
        }
        p += len + (end ? 1 : 0);
    }
    return false;
}

static bool case_enabled(const char *name)
{
    return !opt.filter || strstr(name, opt.filter) != NULL;
}

/* ------------------------------------------------------------------ timing */

/* One timed pass over a prepared input; returns the nanoseconds of its timed
 * part (an untimed preparation, like restoring masked bytes, may precede it). */
typedef uint64_t (*pass_fn)(void *state);

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Samples several passes in turn, one sample of each per round, and gives
 * the median (or, with --best, least) nanoseconds per pass of each. Passes
 * compared with each other are timed this way so that their samples fall
 * in the same spells of the machine: the VM runs the same loop up to 2x
 * slower in some spells than in others, for seconds at a time (see
 * docs/PERFORMANCE.md, "Noise"), and a ratio of two passes timed one after
 * the other took whatever spell each fell in. */
enum { MAX_INTERLEAVED = 4, MAX_REPS = 64 };
static void measure_interleaved(const pass_fn *passes, void *const *states, size_t n,
                                double *out)
{
    static double samples[MAX_INTERLEAVED][MAX_REPS];
    int reps = opt.reps < 1 ? 1 : (opt.reps > MAX_REPS ? MAX_REPS : opt.reps);
    uint64_t min_ns = (uint64_t)(opt.min_ms * 1e6);
    if (n > MAX_INTERLEAVED) {
        die("measure_interleaved: too many passes");
    }
    for (int r = -1; r < reps; r++) { /* r == -1: warm-up */
        for (size_t p = 0; p < n; p++) {
            uint64_t total = 0, count = 0;
            do {
                total += passes[p](states[p]);
                count++;
            } while (total < min_ns && count < 1000000);
            if (r >= 0) {
                samples[p][r] = (double)total / (double)count;
            }
        }
    }
    for (size_t p = 0; p < n; p++) {
        qsort(samples[p], (size_t)reps, sizeof samples[p][0], cmp_double);
        out[p] = opt.best ? samples[p][0] : samples[p][reps / 2];
    }
}

/* One pass on its own, as above. */
static double measure(pass_fn pass, void *state)
{
    double t;
    measure_interleaved(&pass, &state, 1, &t);
    return t;
}

/* ------------------------------------------------------------------ content */

typedef enum content {
    C_BINARY,
    C_ASCII,
    C_LATIN,
    C_CJK,
    C_EMOJI,
    C_MIXED
} content;

static const char *const content_names[] = {"bin", "ascii", "latin", "cjk", "emoji", "mixed"};

/* Text corpora, UTF-8. Payloads are cut from them at code point boundaries. */
static const char *const corpora[] = {
    NULL,
    "The quick brown fox jumps over the lazy dog. {\"user\":\"alice\",\"n\":42} 0123456789\n",
    "Gr\xC3\xBC\xC3\x9F" "e aus K\xC3\xB6ln, \xC3\xA7" "a va tr\xC3\xA8s bien, se\xC3\xB1or? "
    "\xC3\x85ngstr\xC3\xB6m \xC3\x86\xC3\x98\xC3\x85 na\xC3\xAFve caf\xC3\xA9 \xC3\xBF\xC3\xB0 ",
    "\xE4\xBD\xA0\xE5\xA5\xBD\xE4\xB8\x96\xE7\x95\x8C\xEF\xBC\x8C\xE8\xBF\x99\xE6\x98\xAF"
    "\xE6\xB5\x8B\xE8\xAF\x95\xE3\x80\x82\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E\xE3\x81\xAE"
    "\xED\x95\x9C\xEA\xB5\xAD\xEC\x96\xB4",
    "\xF0\x9F\x98\x80\xF0\x9F\x98\x83\xF0\x9F\x8E\x89\xF0\x9F\x9A\x80\xF0\x9F\x8C\x8D"
    "\xF0\x9F\x91\x8D\xF0\x9F\x94\xA5\xF0\x9F\x8D\x95",
    "Hello, \xE4\xB8\x96\xE7\x95\x8C! Gr\xC3\xBC\xC3\x9F" "e \xF0\x9F\x98\x80 caf\xC3\xA9 "
    "\xE4\xB8\xAD\xE6\x96\x87 \xF0\x9F\x8E\x89 na\xC3\xAFve \xE6\x97\xA5\xE6\x9C\xAC "
    "ok \xF0\x9F\x9A\x80 \xD0\x9F\xD1\x80\xD0\xB8\xD0\xB2\xD0\xB5\xD1\x82 ",
};

static size_t utf8_seq_len(uint8_t b)
{
    return b < 0x80 ? 1 : b < 0xE0 ? 2 : b < 0xF0 ? 3 : 4;
}

/* Fill n bytes with valid text of the given kind, starting *pos bytes into
 * the corpus (advanced). A code point that does not fit is skipped for a
 * shorter one, so even a 2-byte payload of CJK-heavy text holds a multibyte
 * character where one fits; leftover bytes become spaces. */
static void fill_payload(uint8_t *dst, size_t n, content kind, size_t *pos)
{
    if (kind == C_BINARY) {
        for (size_t i = 0; i < n; i++) {
            dst[i] = (uint8_t)(rng_next() >> 56);
        }
        return;
    }
    const uint8_t *corpus = (const uint8_t *)corpora[kind];
    size_t clen = strlen(corpora[kind]);
    size_t i = 0;
    while (i < n) {
        size_t tries = 0;
        for (; tries < clen; tries++) {
            if (*pos >= clen) {
                *pos = 0;
            }
            size_t sl = utf8_seq_len(corpus[*pos]);
            size_t at = *pos;
            *pos += sl;
            if (sl <= n - i) {
                memcpy(dst + i, corpus + at, sl);
                i += sl;
                break;
            }
        }
        if (tries == clen) {
            dst[i++] = ' ';
        }
    }
}

/* ------------------------------------------------------------------ streams */

typedef struct stream {
    char name[48];
    content kind;
    size_t payload;       /* bytes per frame */
    size_t frames;
    size_t len;           /* stream bytes */
    uint8_t *pristine;    /* masked frames as the client sent them */
    uint8_t *work;        /* parsed in place */
    uint8_t *plain;       /* the payloads unmasked, concatenated */
    uint64_t plain_sum;   /* checksum of plain, for verification */
} stream;

static uint64_t checksum(uint64_t h, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        h = (h ^ p[i]) * 0x100000001B3u;
    }
    return h;
}

static void stream_name(char *out, size_t cap, content kind, size_t payload)
{
    snprintf(out, cap, "%s %zu B", content_names[kind], payload);
}

static void stream_build(stream *s, content kind, size_t payload, size_t target_bytes)
{
    memset(s, 0, sizeof *s);
    s->kind = kind;
    s->payload = payload;
    size_t frame_len = ws_frame_header_size(payload, true) + payload;
    s->frames = target_bytes / frame_len;
    if (s->frames < 2) {
        s->frames = 2;
    }
    s->len = s->frames * frame_len;
    s->pristine = xmalloc(s->len);
    s->work = xmalloc(s->len);
    s->plain = xmalloc(s->frames * payload);
    size_t pos = 0, off = 0;
    for (size_t f = 0; f < s->frames; f++) {
        uint8_t *pl = s->plain + f * payload;
        fill_payload(pl, payload, kind, &pos);
        uint64_t key = rng_next();
        ws_frame fr = {.fin = true,
                       .opcode = kind == C_BINARY ? WS_OP_BINARY : WS_OP_TEXT,
                       .masked = true,
                       .payload_len = payload};
        memcpy(fr.mask, &key, 4);
        ptrdiff_t n = ws_frame_write(&fr, pl, payload, s->pristine + off, s->len - off);
        if (n != (ptrdiff_t)frame_len) {
            die("ws_frame_write failed while building a stream");
        }
        off += (size_t)n;
    }
    s->plain_sum = checksum(0, s->plain, s->frames * payload);
    if (kind != C_BINARY && ws_utf8_validate(s->plain, s->frames * payload) != WS_OK) {
        die("generated text is not valid UTF-8");
    }
    stream_name(s->name, sizeof s->name, kind, payload);
}

static void stream_free(stream *s)
{
    free(s->pristine);
    free(s->work);
    free(s->plain);
}

/* What a pass saw; checked against the stream after the passes. */
typedef struct tally {
    uint64_t frames;
    uint64_t bytes;
    uint64_t sum; /* checksum of payload bytes, verification passes only */
} tally;

static void check_tally(const stream *s, const tally *t, const char *who, bool with_sum)
{
    if (t->frames != s->frames || t->bytes != (uint64_t)s->frames * s->payload ||
        (with_sum && t->sum != s->plain_sum)) {
        fprintf(stderr,
                "bench_parser: %s on %s: got %llu frames / %llu bytes%s, expected %zu / %zu\n",
                who, s->name, (unsigned long long)t->frames, (unsigned long long)t->bytes,
                with_sum && t->sum != s->plain_sum ? " with wrong content" : "", s->frames,
                s->frames * s->payload);
        exit(1);
    }
}

/* ------------------------------------------------------------------ libwsframe receive */

/* Where a DATA event's bytes lie in the stream, as the cuts group records
 * them. */
typedef struct piece {
    size_t off, len;
} piece;

typedef struct lib_state {
    stream *s;
    ws_parser parser;
    size_t chunk; /* 0: whole buffer; else bytes per simulated read */
    bool verify;
    tally t;
    piece *pieces; /* when not NULL, verification passes record DATA events */
    size_t npieces, pieces_cap;
} lib_state;

static void fail_status(const char *who, const stream *s, ptrdiff_t st)
{
    fprintf(stderr, "bench_parser: %s on %s failed: %s (%s)\n", who, s->name,
            ws_status_name((ws_status)st), ws_strerror((ws_status)st));
    exit(1);
}

/* Handles one event; returns false on WS_EV_NONE. */
static inline bool lib_event(lib_state *st, const ws_event *ev, uint64_t *sink)
{
    if (ev->type == WS_EV_MESSAGE) { /* WS_PARSER_WHOLE_MESSAGES: the frame in one event */
        st->t.frames++;
        st->t.bytes += ev->len;
        if (ev->len) {
            *sink += ev->data[ev->len - 1];
            if (st->verify) {
                st->t.sum = checksum(st->t.sum, ev->data, ev->len);
            }
        }
        return true;
    }
    switch (ev->type) {
    case WS_EV_NONE:
        return false;
    case WS_EV_DATA:
        st->t.bytes += ev->len;
        *sink += ev->data[ev->len - 1];
        if (st->verify) {
            st->t.sum = checksum(st->t.sum, ev->data, ev->len);
            if (st->pieces && st->npieces < st->pieces_cap) {
                st->pieces[st->npieces++] =
                    (piece){(size_t)(ev->data - st->s->work), ev->len};
            }
        }
        break;
    case WS_EV_MESSAGE_END:
        st->t.frames++;
        break;
    default:
        break;
    }
    return true;
}

static uint64_t pass_parser(void *arg)
{
    lib_state *st = arg;
    stream *s = st->s;
    memcpy(s->work, s->pristine, s->len);
    uint64_t sink = 0;
    st->t = (tally){0, 0, 0};
    uint8_t *buf = s->work;
    size_t len = s->len, off = 0;
    ws_event ev;
    uint64_t t0 = now_ns();
    if (st->chunk == 0) {
        for (;;) {
            ptrdiff_t n = ws_parser_next(&st->parser, buf + off, len - off, &ev);
            if (n < 0) {
                fail_status("ws_parser_next", s, n);
            }
            off += (size_t)n;
            if (!lib_event(st, &ev, &sink)) {
                break;
            }
        }
    } else {
        /* The stream arrives chunk bytes at a time: each read makes chunk
         * more bytes visible; unconsumed bytes (a partial header) are
         * presented again with the next read. The bytes stay where they are,
         * so this measures the parser's cost of being cut, not a copy. */
        size_t end = 0;
        while (end < len) {
            end = end + st->chunk < len ? end + st->chunk : len;
            for (;;) {
                ptrdiff_t n = ws_parser_next(&st->parser, buf + off, end - off, &ev);
                if (n < 0) {
                    fail_status("ws_parser_next (split)", s, n);
                }
                off += (size_t)n;
                if (!lib_event(st, &ev, &sink)) {
                    break;
                }
            }
        }
    }
    uint64_t t1 = now_ns();
    if (off != len) {
        die("ws_parser_next left bytes of a complete stream unconsumed");
    }
    g_sink += sink;
    return t1 - t0;
}

typedef struct raw_state {
    stream *s;
    bool verify;
    tally t;
} raw_state;

static uint64_t pass_frame_mask(void *arg)
{
    raw_state *st = arg;
    stream *s = st->s;
    memcpy(s->work, s->pristine, s->len);
    uint64_t sink = 0;
    st->t = (tally){0, 0, 0};
    uint8_t *buf = s->work;
    size_t len = s->len, off = 0;
    bool text = s->kind != C_BINARY;
    ws_frame f;
    uint64_t t0 = now_ns();
    while (off < len) {
        int h = ws_frame_parse(buf + off, len - off, WS_ROLE_SERVER, 0, &f);
        if (h < 0) {
            fail_status("ws_frame_parse", s, h);
        }
        uint8_t *pl = buf + off + h;
        size_t pl_len = (size_t)f.payload_len;
        if (pl_len > len - off - (size_t)h) {
            die("ws_frame_parse: payload runs past the stream");
        }
        ws_mask(pl, pl_len, f.mask, 0);
        if (text && ws_utf8_validate(pl, pl_len) != WS_OK) {
            fail_status("ws_utf8_validate", s, WS_E_INVALID_UTF8);
        }
        if (pl_len) {
            sink += pl[pl_len - 1];
        }
        if (st->verify) {
            st->t.sum = checksum(st->t.sum, pl, pl_len);
        }
        st->t.frames++;
        st->t.bytes += pl_len;
        off += (size_t)h + pl_len;
    }
    uint64_t t1 = now_ns();
    g_sink += sink;
    return t1 - t0;
}

/* ------------------------------------------------------------------ wslay receive */

#ifdef WS_BENCH_HAVE_WSLAY
typedef struct wslay_state {
    stream *s;
    size_t off; /* read position of the in-memory "socket" */
    bool verify;
    uint64_t frame_got; /* payload bytes of the current frame so far */
    uint64_t sink;
    tally t;
    wslay_frame_context_ptr fctx;
    wslay_event_context_ptr ectx;     /* no_buffering: chunks, like ws_parser_next */
    wslay_event_context_ptr ectx_buf; /* the default: whole messages, malloc'd */
} wslay_state;

static ssize_t mem_read(wslay_state *st, uint8_t *buf, size_t len)
{
    size_t left = st->s->len - st->off;
    size_t n = len < left ? len : left;
    memcpy(buf, st->s->pristine + st->off, n);
    st->off += n;
    return (ssize_t)n;
}

static ssize_t wslay_frame_recv_cb(uint8_t *buf, size_t len, int flags, void *user)
{
    (void)flags;
    return mem_read(user, buf, len); /* 0 at the end: wslay returns WANT_READ */
}

static uint64_t pass_wslay_frame(void *arg)
{
    wslay_state *st = arg;
    st->off = 0;
    st->t = (tally){0, 0, 0};
    uint64_t sink = 0, got = 0;
    struct wslay_frame_iocb iocb;
    uint64_t t0 = now_ns();
    for (;;) {
        ssize_t r = wslay_frame_recv(st->fctx, &iocb);
        if (r == WSLAY_ERR_WANT_READ) {
            break;
        }
        if (r < 0) {
            die("wslay_frame_recv failed");
        }
        if (iocb.data_length) {
            sink += iocb.data[iocb.data_length - 1];
            if (st->verify) {
                st->t.sum = checksum(st->t.sum, iocb.data, iocb.data_length);
            }
        }
        st->t.bytes += iocb.data_length;
        got += iocb.data_length;
        if (got == iocb.payload_length) {
            st->t.frames++;
            got = 0;
        }
    }
    uint64_t t1 = now_ns();
    g_sink += sink;
    return t1 - t0;
}

static ssize_t wslay_event_recv_cb(wslay_event_context_ptr ctx, uint8_t *buf, size_t len,
                                   int flags, void *user)
{
    (void)flags;
    ssize_t n = mem_read(user, buf, len);
    if (n == 0) {
        wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK);
        return -1;
    }
    return n;
}

static void wslay_on_chunk(wslay_event_context_ptr ctx,
                           const struct wslay_event_on_frame_recv_chunk_arg *arg, void *user)
{
    (void)ctx;
    wslay_state *st = user;
    if (arg->data_length) {
        st->sink += arg->data[arg->data_length - 1];
        if (st->verify) {
            st->t.sum = checksum(st->t.sum, arg->data, arg->data_length);
        }
    }
    st->t.bytes += arg->data_length;
}

static void wslay_on_frame_end(wslay_event_context_ptr ctx, void *user)
{
    (void)ctx;
    ((wslay_state *)user)->t.frames++;
}

static void wslay_on_msg(wslay_event_context_ptr ctx, const struct wslay_event_on_msg_recv_arg *arg,
                         void *user)
{
    (void)ctx;
    wslay_state *st = user;
    if (arg->msg_length) {
        st->sink += arg->msg[arg->msg_length - 1];
        if (st->verify) {
            st->t.sum = checksum(st->t.sum, arg->msg, arg->msg_length);
        }
    }
    st->t.bytes += arg->msg_length;
    st->t.frames++;
}

static uint64_t wslay_event_pass(wslay_state *st, wslay_event_context_ptr ctx)
{
    st->off = 0;
    st->t = (tally){0, 0, 0};
    st->sink = 0;
    uint64_t t0 = now_ns();
    if (wslay_event_recv(ctx) != 0) {
        die("wslay_event_recv failed");
    }
    uint64_t t1 = now_ns();
    g_sink += st->sink;
    return t1 - t0;
}

static uint64_t pass_wslay_event(void *arg)
{
    wslay_state *st = arg;
    return wslay_event_pass(st, st->ectx);
}

static uint64_t pass_wslay_event_buffered(void *arg)
{
    wslay_state *st = arg;
    return wslay_event_pass(st, st->ectx_buf);
}

static void wslay_state_init(wslay_state *st, stream *s)
{
    memset(st, 0, sizeof *st);
    st->s = s;
    struct wslay_frame_callbacks fcb = {NULL, wslay_frame_recv_cb, NULL};
    if (wslay_frame_context_init(&st->fctx, &fcb, st) != 0) {
        die("wslay_frame_context_init failed");
    }
    struct wslay_event_callbacks ecb = {0};
    ecb.recv_callback = wslay_event_recv_cb;
    ecb.on_frame_recv_chunk_callback = wslay_on_chunk;
    ecb.on_frame_recv_end_callback = wslay_on_frame_end;
    if (wslay_event_context_server_init(&st->ectx, &ecb, st) != 0) {
        die("wslay_event_context_server_init failed");
    }
    wslay_event_config_set_no_buffering(st->ectx, 1);
    struct wslay_event_callbacks bcb = {0};
    bcb.recv_callback = wslay_event_recv_cb;
    bcb.on_msg_recv_callback = wslay_on_msg;
    if (wslay_event_context_server_init(&st->ectx_buf, &bcb, st) != 0) {
        die("wslay_event_context_server_init failed");
    }
}

static void wslay_state_free(wslay_state *st)
{
    wslay_frame_context_free(st->fctx);
    wslay_event_context_free(st->ectx);
    wslay_event_context_free(st->ectx_buf);
}
#endif

/* ------------------------------------------------------------------ printing */

static void print_rule(int width)
{
    for (int i = 0; i < width; i++) {
        putchar('-');
    }
    putchar('\n');
}

/* "ns/frame GB/s" for one implementation; GB/s counts payload bytes. */
static void print_cell(double ns_per_pass, const stream *s)
{
    if (ns_per_pass <= 0) {
        printf(" %10s %7s", "n/a", "");
        return;
    }
    double per_frame = ns_per_pass / (double)s->frames;
    double gbs = (double)s->frames * (double)s->payload / ns_per_pass;
    printf(" %10.2f %7.2f", per_frame, gbs);
}

static void print_ratio(double ours, double theirs)
{
    if (ours <= 0 || theirs <= 0) {
        printf(" %7s", "n/a");
    } else {
        printf(" %6.1fx", theirs / ours);
    }
}

/* ------------------------------------------------------------------ groups */

static const size_t recv_sizes[] = {2, 16, 125, 4096, 65536, 1u << 20, 16u << 20};
static const content recv_kinds[] = {C_BINARY, C_ASCII, C_MIXED};

static size_t stream_target(size_t payload)
{
    /* Small frames: a stream that stays in L2, as freshly received bytes
     * would. Large frames: a few frames each. */
    if (opt.quick) {
        return payload < 16384 ? 16384 : 2 * payload;
    }
    if (payload <= 4096) {
        return 256u << 10;
    }
    if (payload <= 65536) {
        return 1u << 20;
    }
    return payload <= (1u << 20) ? 4u << 20 : 2 * payload;
}

static bool size_in_run(size_t payload)
{
    return !opt.quick || payload <= 65536;
}

/* The receive-side tables (recv, split) share their case setup: skip sizes
 * outside a quick run and cases the filter excludes, else build the stream
 * and limits that let every frame of it through. Returns false to skip. */
static bool open_recv_case(content kind, size_t payload, stream *s, ws_limits *lim)
{
    if (!size_in_run(payload))
        return false;
    char name[48];
    stream_name(name, sizeof name, kind, payload);
    if (!case_enabled(name))
        return false;
    stream_build(s, kind, payload, stream_target(payload));
    ws_limits_default(lim);
    lim->max_frame_size = 0;
    lim->max_message_size = 0;
    return true;
}

static void verify_parser(lib_state *ls)
{
    ls->verify = true;
    pass_parser(ls);
    check_tally(ls->s, &ls->t, ls->chunk ? "ws_parser_next (split)" : "ws_parser_next", true);
    ls->verify = false;
}

static void run_recv(void)
{
    printf("\n== Receive: masked client frames, whole stream in memory (ns per frame; GB/s of "
           "payload) ==\n");
    printf("%-16s %6s | %18s | %18s | %18s | %18s | %18s | %18s | %s\n", "case", "frames",
           "ws_parser_next", "..WHOLE_MESSAGES", "frame_parse+mask", "wslay_frame_recv",
           "wslay_event nobuf", "wslay_event buf", "wslay time / WHOLE_MESSAGES time");
    printf("%-16s %6s | %10s %7s | %10s %7s | %10s %7s | %10s %7s | %10s %7s | %10s %7s | %7s %7s "
           "%7s\n",
           "", "", "ns", "GB/s", "ns", "GB/s", "ns", "GB/s", "ns", "GB/s", "ns", "GB/s", "ns",
           "GB/s", "frame", "nobuf", "buf");
    print_rule(181);
    for (size_t k = 0; k < sizeof recv_kinds / sizeof recv_kinds[0]; k++) {
        for (size_t z = 0; z < sizeof recv_sizes / sizeof recv_sizes[0]; z++) {
            stream s;
            ws_limits lim;
            if (!open_recv_case(recv_kinds[k], recv_sizes[z], &s, &lim)) {
                continue;
            }

            lib_state ls = {.s = &s};
            ws_parser_init(&ls.parser, WS_ROLE_SERVER, &lim);
            verify_parser(&ls);
            double t_parser = measure(pass_parser, &ls);

            lib_state lw = {.s = &s};
            ws_parser_init(&lw.parser, WS_ROLE_SERVER, &lim);
            ws_parser_set_options(&lw.parser, WS_PARSER_WHOLE_MESSAGES);
            verify_parser(&lw);
            double t_whole = measure(pass_parser, &lw);

            raw_state rs = {.s = &s, .verify = true};
            pass_frame_mask(&rs);
            check_tally(&s, &rs.t, "ws_frame_parse+ws_mask", true);
            rs.verify = false;
            double t_raw = measure(pass_frame_mask, &rs);

            double t_wf = -1, t_we = -1, t_wb = -1;
#ifdef WS_BENCH_HAVE_WSLAY
            wslay_state ws;
            wslay_state_init(&ws, &s);
            ws.verify = true;
            pass_wslay_frame(&ws);
            check_tally(&s, &ws.t, "wslay_frame_recv", true);
            pass_wslay_event(&ws);
            check_tally(&s, &ws.t, "wslay_event_recv", true);
            pass_wslay_event_buffered(&ws);
            check_tally(&s, &ws.t, "wslay_event_recv (buffered)", true);
            ws.verify = false;
            t_wf = measure(pass_wslay_frame, &ws);
            t_we = measure(pass_wslay_event, &ws);
            t_wb = measure(pass_wslay_event_buffered, &ws);
            wslay_state_free(&ws);
#endif
            printf("%-16s %6zu |", s.name, s.frames);
            print_cell(t_parser, &s);
            printf(" |");
            print_cell(t_whole, &s);
            printf(" |");
            print_cell(t_raw, &s);
            printf(" |");
            print_cell(t_wf, &s);
            printf(" |");
            print_cell(t_we, &s);
            printf(" |");
            print_cell(t_wb, &s);
            printf(" |");
            print_ratio(t_whole, t_wf);
            print_ratio(t_whole, t_we);
            print_ratio(t_whole, t_wb);
            printf("\n");
            fflush(stdout);
            stream_free(&s);
        }
    }
    printf("ws_parser_next: the default, three events per message; ..WHOLE_MESSAGES: with that\n"
           "option (ws_parser_set_options), one event for a single-frame message found whole.\n"
           "frame / nobuf / buf: wslay's time divided by ws_parser_next's with WHOLE_MESSAGES, for\n"
           "wslay's frame API and its event API without and with message buffering (higher is\n"
           "better for libwsframe).\n");
}

static void run_split(void)
{
    static const size_t sizes[] = {2, 16, 125, 4096, 65536, 1u << 20, 16u << 20};
    static const content kinds[] = {C_BINARY, C_MIXED};
    printf("\n== Split payload: the stream arriving in %zu-byte reads, through ws_parser_next "
           "==\n",
           opt.chunk);
    printf("%-16s %7s | %18s | %18s | %8s | %18s | %18s | %8s\n", "case", "frames",
           "whole buffer", "split reads", "split/", "WHOLE_MSG whole", "WHOLE_MSG split",
           "split/");
    printf("%-16s %7s | %10s %7s | %10s %7s | %8s | %10s %7s | %10s %7s | %8s\n", "", "", "ns",
           "GB/s", "ns", "GB/s", "whole", "ns", "GB/s", "ns", "GB/s", "whole");
    print_rule(132);
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
        for (size_t z = 0; z < sizeof sizes / sizeof sizes[0]; z++) {
            stream s;
            ws_limits lim;
            if (!open_recv_case(kinds[k], sizes[z], &s, &lim)) {
                continue;
            }
            printf("%-16s %7zu |", s.name, s.frames);
            /* The default three-event mode, then WS_PARSER_WHOLE_MESSAGES,
             * the mode a receiver of small messages sets (chat_server
             * does): there a frame cut by a read still arrives as
             * MESSAGE_START, DATA..., MESSAGE_END. */
            for (int mode = 0; mode < 2; mode++) {
                lib_state whole = {.s = &s}, split = {.s = &s, .chunk = opt.chunk};
                ws_parser_init(&whole.parser, WS_ROLE_SERVER, &lim);
                ws_parser_init(&split.parser, WS_ROLE_SERVER, &lim);
                if (mode == 1) {
                    ws_parser_set_options(&whole.parser, WS_PARSER_WHOLE_MESSAGES);
                    ws_parser_set_options(&split.parser, WS_PARSER_WHOLE_MESSAGES);
                }
                verify_parser(&whole);
                verify_parser(&split);
                const pass_fn passes[2] = {pass_parser, pass_parser};
                void *const states[2] = {&whole, &split};
                double t[2];
                measure_interleaved(passes, states, 2, t);
                const double t_whole = t[0], t_split = t[1];
                print_cell(t_whole, &s);
                printf(" |");
                print_cell(t_split, &s);
                printf(" | %7.1f%% |", 100.0 * t_whole / t_split);
                fflush(stdout);
            }
            printf("\n");
            stream_free(&s);
        }
    }
    printf("split/whole: the split rate as a share of the whole-buffer rate (target >= 90%%);\n"
           "the two are sampled in turn. WHOLE_MSG: the same with\n"
           "ws_parser_set_options(p, WS_PARSER_WHOLE_MESSAGES).\n");
}

/* ---- where split reads lose */

/* The library's unmasking (binary) or fused unmasking and UTF-8 check
 * (text) alone, with no parser around it, over a list of pieces of the
 * stream's payloads: one per frame, or the ones the parser handed out. */
typedef struct unmask_state {
    stream *s;
    const piece *pieces;
    size_t npieces;
    size_t header_len, frame_len; /* every frame of a stream is alike */
    bool verify;
    uint64_t sum;
} unmask_state;

static uint64_t pass_unmask_pieces(void *arg)
{
    unmask_state *st = arg;
    stream *s = st->s;
    memcpy(s->work, s->pristine, s->len);
    uint64_t sink = 0;
    ws_utf8 v;
    ws_utf8_init(&v);
    uint64_t t0 = now_ns();
    for (size_t i = 0; i < st->npieces; i++) {
        const piece pc = st->pieces[i];
        /* The key and phase the parser had for this piece. */
        const size_t payload_off = pc.off - pc.off % st->frame_len + st->header_len;
        const uint8_t *key = s->pristine + payload_off - 4;
        size_t key_offset = (pc.off - payload_off) & 3;
        uint8_t *data = s->work + pc.off;
        if (s->kind == C_BINARY) {
            ws_mask(data, pc.len, key, key_offset);
        } else {
            if (pc.off == payload_off) {
                ws_utf8_init(&v);
            }
            if (ws_utf8_unmask_feed(&v, data, pc.len, key, &key_offset, NULL) != WS_OK) {
                die("ws_utf8_unmask_feed refused a piece of valid text");
            }
        }
        sink += data[pc.len - 1];
    }
    uint64_t t1 = now_ns();
    if (st->verify) {
        st->sum = 0;
        for (size_t i = 0; i < st->npieces; i++) {
            st->sum = checksum(st->sum, s->work + st->pieces[i].off, st->pieces[i].len);
        }
    }
    g_sink += sink;
    return t1 - t0;
}

static void verify_unmask(unmask_state *st, const char *who)
{
    st->verify = true;
    pass_unmask_pieces(st);
    st->verify = false;
    if (st->sum != st->s->plain_sum) {
        fprintf(stderr, "bench_parser: %s on %s: wrong content\n", who, st->s->name);
        exit(1);
    }
}

/*
 * Splits the cost of split reads in two, all four passes sampled in turn:
 * what cutting the payload into the parser's pieces costs the unmasking
 * (and UTF-8 check) itself, next to running it once per frame; and what
 * the parser adds per read beyond that (its calls, its state, its events).
 */
static void run_cuts(void)
{
    static const size_t sizes[] = {4096, 65536, 1u << 20};
    static const content kinds[] = {C_BINARY, C_MIXED};
    printf("\n== Where split reads lose: %zu-byte reads, ns per frame, all four sampled in turn "
           "==\n",
           opt.chunk);
    printf("%-16s %6s %6s | %10s %10s | %10s %10s %7s | %16s\n", "case", "frames", "pieces",
           "unmask", "unmask", "parser", "parser", "split/", "extra ns / piece");
    printf("%-16s %6s %6s | %10s %10s | %10s %10s %7s | %8s %7s\n", "", "", "/frame", "per frame",
           "per piece", "whole", "split", "whole", "cutting", "parser");
    print_rule(109);
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
        for (size_t z = 0; z < sizeof sizes / sizeof sizes[0]; z++) {
            stream s;
            ws_limits lim;
            if (!open_recv_case(kinds[k], sizes[z], &s, &lim)) {
                continue;
            }
            const size_t header_len = ws_frame_header_size(s.payload, true);
            const size_t frame_len = header_len + s.payload;

            lib_state whole = {.s = &s}, split = {.s = &s, .chunk = opt.chunk};
            ws_parser_init(&whole.parser, WS_ROLE_SERVER, &lim);
            ws_parser_init(&split.parser, WS_ROLE_SERVER, &lim);
            /* A DATA event per read at most, one more per frame a read ends in. */
            split.pieces_cap = s.len / opt.chunk + 2 * s.frames + 2;
            split.pieces = xmalloc(split.pieces_cap * sizeof *split.pieces);
            verify_parser(&whole);
            verify_parser(&split);
            if (split.npieces == split.pieces_cap) {
                die("cuts: more pieces than expected");
            }

            piece *frames = xmalloc(s.frames * sizeof *frames);
            for (size_t f = 0; f < s.frames; f++) {
                frames[f] = (piece){f * frame_len + header_len, s.payload};
            }
            unmask_state per_frame = {&s, frames, s.frames, header_len, frame_len, false, 0};
            unmask_state per_read = {&s, split.pieces, split.npieces, header_len, frame_len,
                                     false, 0};
            verify_unmask(&per_frame, "unmasking per frame");
            verify_unmask(&per_read, "unmasking per read");

            const pass_fn passes[4] = {pass_unmask_pieces, pass_unmask_pieces, pass_parser,
                                       pass_parser};
            void *const states[4] = {&per_frame, &per_read, &whole, &split};
            double t[4];
            measure_interleaved(passes, states, 4, t);
            const double n = (double)s.frames;
            const double pieces = (double)split.npieces;
            const double cutting = (t[1] - t[0]) / pieces;
            const double parser = ((t[3] - t[2]) - (t[1] - t[0])) / pieces;
            printf("%-16s %6zu %6.1f | %10.1f %10.1f | %10.1f %10.1f %6.1f%% | %8.2f %7.2f\n",
                   s.name, s.frames, pieces / n, t[0] / n, t[1] / n, t[2] / n, t[3] / n,
                   100.0 * t[2] / t[3], cutting, parser);
            fflush(stdout);
            free(frames);
            free(split.pieces);
            stream_free(&s);
        }
    }
    printf("pieces: DATA events per frame in split reads (a read that ends a frame makes two).\n"
           "unmask: ws_mask (bin) or the parser's fused unmask-and-check (text) alone, once per\n"
           "frame and once per piece the parser handed out in split reads. parser: ws_parser_next,\n"
           "whole buffer and split reads (the default three-event mode). extra ns per piece:\n"
           "cutting = (unmask per piece - per frame) / pieces; parser = what split reads cost\n"
           "the parser beyond that, per piece.\n");
}

/* ---- serialisation */

typedef struct write_state {
    const uint8_t *payload;
    size_t payload_len;
    bool masked;
    size_t frames; /* per pass */
    uint8_t *out;
    size_t cap, off;
    uint64_t frames_done;
#ifdef WS_BENCH_HAVE_WSLAY
    wslay_frame_context_ptr fctx;
#endif
} write_state;

/* A new key per frame, for the ws_frame_write loop and as ws_writer's key
 * callback in the ws_message_write loop, so both write the same bytes. */
static void bench_next_key(void *ctx, uint8_t key[4])
{
    (void)ctx;
    uint32_t k = (uint32_t)rng_next();
    memcpy(key, &k, 4);
}

static inline __attribute__((always_inline)) uint64_t ws_write_loop(void *arg)
{
    write_state *st = arg;
    /* Locals, as wslay's loop has them: the writes through out could alias
     * *st, so the compiler would reload every field per frame. */
    uint8_t *const out = st->out;
    const uint8_t *const payload = st->payload;
    const size_t cap = st->cap, frames = st->frames, len = st->payload_len;
    const bool masked = st->masked;
    size_t off = 0;
    uint64_t t0 = now_ns();
    for (size_t i = 0; i < frames; i++) {
        /* Filled per frame, as a real sender does (and as ws_message_write
         * does): a writer that read the struct in wider loads than it was
         * stored in would pay for it here. */
        ws_frame f = {.fin = true, .opcode = WS_OP_BINARY, .masked = masked, .payload_len = len};
        if (masked) {
            /* A new key per frame, as RFC 6455 5.3 requires (wslay asks its
             * genmask callback for one per frame too). */
            bench_next_key(NULL, f.mask);
        }
        ptrdiff_t n = ws_frame_write(&f, payload, len, out + off, cap - off);
        if (n < 0) {
            die("ws_frame_write failed");
        }
        off += (size_t)n;
    }
    uint64_t t1 = now_ns();
    g_sink += out[off - 1];
    st->off = off;
    return t1 - t0;
}

/* The same frames through the message API, as a server (unmasked) or a
 * client (masked) sends a whole binary message. */
static inline __attribute__((always_inline)) uint64_t ws_message_loop(void *arg)
{
    write_state *st = arg;
    uint8_t *const out = st->out;
    const uint8_t *const payload = st->payload;
    const size_t cap = st->cap, frames = st->frames, len = st->payload_len;
    ws_writer w;
    ws_writer_init(&w, st->masked ? WS_ROLE_CLIENT : WS_ROLE_SERVER, 0, bench_next_key, NULL);
    size_t off = 0;
    uint64_t t0 = now_ns();
    for (size_t i = 0; i < frames; i++) {
        ptrdiff_t n = ws_message_write(&w, WS_OP_BINARY, payload, len, out + off, cap - off);
        if (n < 0) {
            die("ws_message_write failed");
        }
        off += (size_t)n;
    }
    uint64_t t1 = now_ns();
    g_sink += out[off - 1];
    st->off = off;
    return t1 - t0;
}

#ifdef WS_BENCH_HAVE_WSLAY
static ssize_t wslay_send_cb(const uint8_t *data, size_t len, int flags, void *user)
{
    (void)flags;
    write_state *st = user;
    if (len > st->cap - st->off) {
        return 0;
    }
    memcpy(st->out + st->off, data, len);
    st->off += len;
    return (ssize_t)len;
}

static int wslay_genmask_cb(uint8_t *buf, size_t len, void *user)
{
    (void)user;
    uint32_t key = (uint32_t)rng_next();
    memcpy(buf, &key, len < 4 ? len : 4);
    return 0;
}

static inline __attribute__((always_inline)) uint64_t wslay_send_loop(void *arg)
{
    write_state *st = arg;
    struct wslay_frame_iocb iocb = {.fin = 1, .opcode = WSLAY_BINARY_FRAME,
                                    .mask = st->masked, .payload_length = st->payload_len,
                                    .data = st->payload, .data_length = st->payload_len};
    st->off = 0;
    uint64_t t0 = now_ns();
    for (size_t i = 0; i < st->frames; i++) {
        if (wslay_frame_send(st->fctx, &iocb) != (ssize_t)st->payload_len) {
            die("wslay_frame_send failed");
        }
    }
    uint64_t t1 = now_ns();
    g_sink += st->out[st->off - 1];
    return t1 - t0;
}
#endif

/*
 * Each timed loop runs from four copies that differ only in where the loop
 * sits relative to a 64-byte boundary (0, 16, 32 or 48 bytes of padding in
 * front of it), and the result is the median of the four. On the Zen 5
 * machine the same ws_frame_write loop took 2.0 to 2.9 ns per 2-byte frame
 * depending on that placement alone, and any change elsewhere in the
 * binary moved it: one copy reported whatever the linker produced, as a
 * real sender's code gets whatever its linker produces.
 */
#define PLACED_COPY(loop, k)                                                                       \
    static __attribute__((noinline, aligned(64))) uint64_t loop##_at_##k(void *arg)                \
    {                                                                                              \
        __asm__ volatile(".fill " #k " * 16, 1, 0x90");                                           \
        return loop(arg);                                                                          \
    }
#define PLACED_COPIES(loop)                                                                        \
    PLACED_COPY(loop, 0)                                                                           \
    PLACED_COPY(loop, 1)                                                                           \
    PLACED_COPY(loop, 2)                                                                           \
    PLACED_COPY(loop, 3)                                                                           \
    static const pass_fn loop##_copies[4] = {loop##_at_0, loop##_at_1, loop##_at_2, loop##_at_3};

PLACED_COPIES(ws_write_loop)
PLACED_COPIES(ws_message_loop)
#ifdef WS_BENCH_HAVE_WSLAY
PLACED_COPIES(wslay_send_loop)
#endif

/* Another writer must put out exactly what ws_frame_write does for the
 * same first frames and keys (the random state is rewound between them). */
static void same_bytes_as_frame_write(write_state *st, pass_fn other, const char *name)
{
    const uint64_t saved = rng_state;
    const size_t saved_frames = st->frames;
    st->frames = saved_frames < 4 ? saved_frames : 4;
    ws_write_loop(st);
    const size_t ws_len = st->off;
    uint8_t *ws_copy = xmalloc(ws_len);
    memcpy(ws_copy, st->out, ws_len);
    rng_state = saved;
    other(st);
    if (st->off != ws_len || memcmp(ws_copy, st->out, ws_len) != 0) {
        char why[128];
        snprintf(why, sizeof why, "%s and ws_frame_write disagree on the same frames", name);
        die(why);
    }
    free(ws_copy);
    st->frames = saved_frames;
}

static double measure_placed(const pass_fn copies[4], void *state)
{
    double t[4];
    for (int i = 0; i < 4; i++) {
        t[i] = measure(copies[i], state);
    }
    qsort(t, 4, sizeof t[0], cmp_double);
    return (t[1] + t[2]) / 2;
}

static void run_write(void)
{
    static const size_t sizes[] = {2, 16, 125, 4096};
    printf("\n== Serialise: one frame per call into a memory buffer (ns per frame) ==\n");
    printf("%-16s | %10s %10s %10s | %10s %10s\n", "case", "ws_frame_", "ws_message", "wslay_",
           "ratio", "");
    printf("%-16s | %10s %10s %10s | %10s\n", "", "write", "_write", "frame_send", "wslay/ws");
    print_rule(67);
    for (int masked = 1; masked >= 0; masked--) {
        for (size_t z = 0; z < sizeof sizes / sizeof sizes[0]; z++) {
            char name[48];
            snprintf(name, sizeof name, "%s %zu B", masked ? "masked" : "unmasked", sizes[z]);
            if (!case_enabled(name)) {
                continue;
            }
            write_state st = {0};
            uint8_t *payload = xmalloc(sizes[z]);
            size_t pos = 0;
            fill_payload(payload, sizes[z], C_BINARY, &pos);
            st.payload = payload;
            st.payload_len = sizes[z];
            st.masked = masked != 0;
            st.frames = (opt.quick ? 16384 : 256u << 10) / (sizes[z] + 14);
            st.cap = st.frames * (sizes[z] + 14);
            st.out = xmalloc(st.cap);
            double t_ws = measure_placed(ws_write_loop_copies, &st);
            same_bytes_as_frame_write(&st, ws_message_loop_copies[0], "ws_message_write");
            double t_msg = measure_placed(ws_message_loop_copies, &st);
            double t_wslay = -1;
#ifdef WS_BENCH_HAVE_WSLAY
            struct wslay_frame_callbacks cb = {wslay_send_cb, NULL, wslay_genmask_cb};
            if (wslay_frame_context_init(&st.fctx, &cb, &st) != 0) {
                die("wslay_frame_context_init failed");
            }
            same_bytes_as_frame_write(&st, wslay_send_loop_copies[0], "wslay_frame_send");
            t_wslay = measure_placed(wslay_send_loop_copies, &st);
            wslay_frame_context_free(st.fctx);
#endif
            printf("%-16s | %10.2f %10.2f", name, t_ws / (double)st.frames,
                   t_msg / (double)st.frames);
            if (t_wslay > 0) {
                printf(" %10.2f | %9.1fx\n", t_wslay / (double)st.frames, t_wslay / t_ws);
            } else {
                printf(" %10s | %10s\n", "n/a", "n/a");
            }
            fflush(stdout);
            free(st.out);
            free(payload);
        }
    }
    printf("ws_message_write: the same frames sent as whole binary messages, by a server\n"
           "(unmasked) or a client (masked). ratio: wslay_frame_send / ws_frame_write.\n"
           "Each column is the median over four placements of its timed loop.\n");
}

/* ---- unmasking and UTF-8 alone */

/* Small buffers are processed iters times per timed pass, so that the clock
 * is read around microseconds of work, not nanoseconds. */
typedef struct buf_state {
    uint8_t *src, *dst;
    size_t len;
    uint8_t key[4];
    size_t iters;
} buf_state;

static size_t iters_for(size_t len)
{
    return len >= 65536 ? 1 : 65536 / len;
}

static uint64_t pass_memcpy(void *arg)
{
    buf_state *st = arg;
    uint64_t t0 = now_ns();
    for (size_t i = 0; i < st->iters; i++) {
        memcpy(st->dst, st->src, st->len);
        __asm__ volatile("" : : "r"(st->dst) : "memory");
    }
    uint64_t t1 = now_ns();
    g_sink += st->dst[st->len - 1];
    return t1 - t0;
}

static uint64_t pass_mask(void *arg)
{
    buf_state *st = arg;
    size_t k = 0;
    uint64_t t0 = now_ns();
    for (size_t i = 0; i < st->iters; i++) {
        k += ws_mask(st->src, st->len, st->key, 1);
    }
    uint64_t t1 = now_ns();
    g_sink += st->src[st->len - 1] + k;
    return t1 - t0;
}

static uint64_t pass_mask_copy(void *arg)
{
    buf_state *st = arg;
    size_t k = 0;
    uint64_t t0 = now_ns();
    for (size_t i = 0; i < st->iters; i++) {
        k += ws_mask_copy(st->dst, st->src, st->len, st->key, 1);
        __asm__ volatile("" : : "r"(st->dst) : "memory");
    }
    uint64_t t1 = now_ns();
    g_sink += st->dst[st->len - 1] + k;
    return t1 - t0;
}

/* The variants behind the dispatchers (lib/mask.h, lib/utf8.h), so the
 * portable rate is known on a machine that has SIMD. */
typedef size_t (*mask_impl)(uint8_t *dst, const uint8_t *src, size_t len, const uint8_t key[4],
                            size_t key_offset);
typedef ws_status (*utf8_impl)(ws_utf8 *v, const uint8_t *data, size_t len, size_t *error_at);

typedef struct variant_state {
    buf_state b;
    mask_impl mask;
    utf8_impl utf8;
} variant_state;

static uint64_t pass_mask_variant(void *arg)
{
    variant_state *st = arg;
    size_t k = 0;
    uint64_t t0 = now_ns();
    for (size_t i = 0; i < st->b.iters; i++) {
        k += st->mask(st->b.src, st->b.src, st->b.len, st->b.key, 1);
    }
    uint64_t t1 = now_ns();
    g_sink += st->b.src[st->b.len - 1] + k;
    return t1 - t0;
}

static uint64_t pass_utf8_variant(void *arg)
{
    variant_state *st = arg;
    ws_status r = WS_OK;
    uint64_t t0 = now_ns();
    for (size_t i = 0; i < st->b.iters && r == WS_OK; i++) {
        ws_utf8 v;
        ws_utf8_init(&v);
        r = st->utf8(&v, st->b.src, st->b.len, NULL);
        if (r == WS_OK) {
            r = ws_utf8_finish(&v);
        }
    }
    uint64_t t1 = now_ns();
    if (r != WS_OK) {
        die("a UTF-8 validator rejected valid text");
    }
    g_sink += (uint64_t)r + 1;
    return t1 - t0;
}

static uint64_t pass_utf8(void *arg)
{
    buf_state *st = arg;
    ws_status r = WS_OK;
    uint64_t t0 = now_ns();
    for (size_t i = 0; i < st->iters && r == WS_OK; i++) {
        r = ws_utf8_validate(st->src, st->len);
    }
    uint64_t t1 = now_ns();
    if (r != WS_OK) {
        die("ws_utf8_validate rejected valid text");
    }
    g_sink += (uint64_t)r + 1;
    return t1 - t0;
}

typedef struct named_mask {
    const char *name;
    mask_impl fn;
} named_mask;

typedef struct named_utf8 {
    const char *name;
    utf8_impl fn;
} named_utf8;

static size_t mask_variants(named_mask *out)
{
    size_t n = 0;
    out[n++] = (named_mask){"portable", ws_mask_portable};
#ifdef WS_HAVE_SSE2
    out[n++] = (named_mask){"sse2", ws_mask_sse2};
#endif
#ifdef WS_HAVE_AVX2
    if (ws_cpu_has_avx2()) {
        out[n++] = (named_mask){"avx2", ws_mask_avx2};
    }
#endif
#ifdef WS_HAVE_AVX512
    if (ws_cpu_has_avx512()) {
        out[n++] = (named_mask){"avx512", ws_mask_avx512};
    }
#endif
#ifdef WS_HAVE_NEON
    out[n++] = (named_mask){"neon", ws_mask_neon};
#endif
    return n;
}

static size_t utf8_variants(named_utf8 *out)
{
    size_t n = 0;
    out[n++] = (named_utf8){"portable", ws_utf8_feed_portable};
#ifdef WS_HAVE_SSE2
    out[n++] = (named_utf8){"sse2", ws_utf8_feed_sse2};
#endif
#ifdef WS_HAVE_AVX2
    if (ws_cpu_has_avx2()) {
        out[n++] = (named_utf8){"avx2", ws_utf8_feed_avx2};
    }
#endif
#ifdef WS_HAVE_AVX512
    if (ws_cpu_has_avx512()) {
        out[n++] = (named_utf8){"avx512", ws_utf8_feed_avx512};
    }
#endif
#ifdef WS_HAVE_NEON
    out[n++] = (named_utf8){"neon", ws_utf8_feed_neon};
#endif
    return n;
}

static const size_t buf_sizes[] = {125, 4096, 65536, 1u << 20, 16u << 20};

/* ns: one timed pass of iters calls on len bytes each. */
static void print_gbs(double ns, size_t len, size_t iters)
{
    printf(" %9.2f", (double)len * (double)iters / ns);
}

static void run_mask(void)
{
    named_mask vars[5];
    size_t nv = mask_variants(vars);
    printf("\n== Unmasking alone (GB/s; in place unless noted) ==\n");
    printf("%-10s | %9s | %9s %9s", "size", "memcpy", "ws_mask", "mask_copy");
    for (size_t v = 0; v < nv; v++) {
        printf(" %9s", vars[v].name);
    }
    printf(" | ws_mask/memcpy\n");
    print_rule(110);
    for (size_t z = 0; z < sizeof buf_sizes / sizeof buf_sizes[0]; z++) {
        size_t len = buf_sizes[z];
        if (opt.quick && len > 65536) {
            continue;
        }
        char name[32];
        snprintf(name, sizeof name, "%zu B", len);
        if (!case_enabled(name)) {
            continue;
        }
        variant_state st = {
            {xmalloc(len), xmalloc(len), len, {0x37, 0xfa, 0x21, 0x3d}, iters_for(len)}, NULL,
            NULL};
        size_t pos = 0;
        fill_payload(st.b.src, len, C_BINARY, &pos);
        memset(st.b.dst, 0, len);
        double t_cpy = measure(pass_memcpy, &st.b);
        double t_mask = measure(pass_mask, &st.b);
        printf("%-10s |", name);
        print_gbs(t_cpy, len, st.b.iters);
        printf(" |");
        print_gbs(t_mask, len, st.b.iters);
        print_gbs(measure(pass_mask_copy, &st.b), len, st.b.iters);
        for (size_t v = 0; v < nv; v++) {
            st.mask = vars[v].fn;
            print_gbs(measure(pass_mask_variant, &st), len, st.b.iters);
        }
        printf(" | %6.2f\n", t_cpy / t_mask);
        fflush(stdout);
        free(st.b.src);
        free(st.b.dst);
    }
}

static void run_utf8(void)
{
    static const content kinds[] = {C_ASCII, C_LATIN, C_CJK, C_EMOJI, C_MIXED};
    named_utf8 vars[5];
    size_t nv = utf8_variants(vars);
    printf("\n== UTF-8 validation alone (GB/s; memcpy of the same bytes for scale) ==\n");
    printf("%-16s | %9s | %9s", "case", "memcpy", "validate");
    for (size_t v = 0; v < nv; v++) {
        printf(" %9s", vars[v].name);
    }
    printf("\n");
    print_rule(80);
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
        for (size_t z = 0; z < sizeof buf_sizes / sizeof buf_sizes[0]; z++) {
            size_t len = buf_sizes[z];
            if (len < 4096 || (opt.quick && len > 65536)) {
                continue;
            }
            char name[32];
            snprintf(name, sizeof name, "%s %zu B", content_names[kinds[k]], len);
            if (!case_enabled(name)) {
                continue;
            }
            variant_state st = {{xmalloc(len), xmalloc(len), len, {0}, iters_for(len)}, NULL,
                                NULL};
            size_t pos = 0;
            fill_payload(st.b.src, len, kinds[k], &pos);
            printf("%-16s |", name);
            print_gbs(measure(pass_memcpy, &st.b), len, st.b.iters);
            printf(" |");
            print_gbs(measure(pass_utf8, &st.b), len, st.b.iters);
            for (size_t v = 0; v < nv; v++) {
                st.utf8 = vars[v].fn;
                print_gbs(measure(pass_utf8_variant, &st), len, st.b.iters);
            }
            printf("\n");
            fflush(stdout);
            free(st.b.src);
            free(st.b.dst);
        }
    }
    printf("validate: ws_utf8_validate, the dispatcher; the other columns call each variant.\n");
}

/* ------------------------------------------------------------------ main */

/* Other work on the machine moves every number here; say how much there was. */
static void print_loadavg(const char *when)
{
    FILE *f = fopen("/proc/loadavg", "r");
    char line[128];
    if (f && fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = '\0';
        printf("load average %s: %s\n", when, line);
    }
    if (f) {
        fclose(f);
    }
}

static void usage(FILE *to)
{
    fprintf(to, "usage: bench_parser [--help] [--quick] [--reps N] [--best] [--min-ms MS] [--chunk BYTES]\n"
           "                    [--only GROUPS] [--filter TEXT]\n"
           "  --quick         a smoke run: small streams, one sample each (numbers "
           "meaningless)\n"
           "  --reps N        samples per result, the median is reported (default 7)\n"
           "  --best          report the fastest sample instead: on a machine shared with\n"
           "                  other work, the one least disturbed by it\n"
           "  --min-ms MS     least time per sample; passes repeat until reached (default 40)\n"
           "  --chunk BYTES   read size of the split-payload mode (default 1460)\n"
           "  --only GROUPS   comma-separated: recv,split,cuts,write,mask,utf8 (default all)\n"
           "  --filter TEXT   only cases whose name contains TEXT, e.g. \"mixed\" or \" 125 B\"\n");
}

/* Whether every comma-separated name in list is a group. */
static bool groups_known(const char *list)
{
    static const char *const groups[] = {"recv", "split", "cuts", "write", "mask", "utf8"};
    for (const char *p = list;;) {
        size_t n = strcspn(p, ",");
        bool known = false;
        for (size_t g = 0; g < sizeof groups / sizeof groups[0]; g++)
            known |= strlen(groups[g]) == n && strncmp(groups[g], p, n) == 0;
        if (!known)
            return false;
        if (p[n] == '\0')
            return true;
        p += n + 1;
    }
}

/* Returns 0 to run, 1 for --help, -1 after saying what is wrong. */
static int parse_args(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        char *end = NULL;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            return 1;
        } else if (strcmp(a, "--quick") == 0) {
            opt.quick = true;
        } else if (strcmp(a, "--best") == 0) {
            opt.best = true;
        } else if (strcmp(a, "--reps") == 0 && v) {
            long reps = strtol(v, &end, 10);
            if (*end || reps < 1 || reps > 100000) {
                fprintf(stderr, "bench_parser: --reps wants a whole number from 1, got \"%s\"\n", v);
                return -1;
            }
            opt.reps = (int)reps;
            i++;
        } else if (strcmp(a, "--min-ms") == 0 && v) {
            opt.min_ms = strtod(v, &end);
            if (*end || !(opt.min_ms >= 0)) {
                fprintf(stderr, "bench_parser: --min-ms wants a number of milliseconds, got \"%s\"\n", v);
                return -1;
            }
            i++;
        } else if (strcmp(a, "--chunk") == 0 && v) {
            long c = strtol(v, &end, 10);
            if (*end || c < 1) {
                fprintf(stderr, "bench_parser: --chunk wants a size in bytes from 1, got \"%s\"\n", v);
                return -1;
            }
            opt.chunk = (size_t)c;
            i++;
        } else if (strcmp(a, "--only") == 0 && v) {
            if (!groups_known(v)) {
                fprintf(stderr, "bench_parser: --only %s: the groups are recv, split, cuts, write, mask, utf8\n", v);
                return -1;
            }
            opt.only = v;
            i++;
        } else if (strcmp(a, "--filter") == 0 && v) {
            opt.filter = v;
            i++;
        } else {
            fprintf(stderr, "bench_parser: %s%s\n", v || a[0] != '-' ? "unknown argument " : "missing value after ", a);
            return -1;
        }
    }
    return 0;
}

int main(int argc, char **argv)
{
    int parsed = parse_args(argc, argv);
    if (parsed != 0) {
        usage(parsed > 0 ? stdout : stderr);
        return parsed > 0 ? 0 : 2;
    }
    if (opt.quick) {
        opt.reps = 1;
        opt.min_ms = 0;
    }
    printf("bench_parser: libwsframe %s", ws_version());
#ifdef WS_BENCH_HAVE_WSLAY
    printf(" vs wslay %s\n", WSLAY_VERSION);
#else
    printf(" (built without wslay: its columns read n/a)\n");
#endif
    printf("sizeof(ws_parser) = %zu bytes (stream parser state per connection)\n",
           sizeof(ws_parser));
    printf("%s of %d samples of >= %.0f ms each, after one warm-up sample%s\n",
           opt.best ? "fastest" : "median", opt.reps, opt.min_ms,
           opt.quick ? "; QUICK MODE, numbers are not meaningful" : "");
    print_loadavg("at start");

    if (group_enabled("recv")) {
        run_recv();
    }
    if (group_enabled("split")) {
        run_split();
    }
    if (group_enabled("cuts")) {
        run_cuts();
    }
    if (group_enabled("write")) {
        run_write();
    }
    if (group_enabled("mask")) {
        run_mask();
    }
    if (group_enabled("utf8")) {
        run_utf8();
    }
    printf("\n");
    print_loadavg("at end");
    printf("sink %llu\n", (unsigned long long)(g_sink & 0xff));
    return 0;
}
