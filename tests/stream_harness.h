/* Shared by the stream parser's tests (test_stream.c, test_autobahn.c) and
 * its fuzz target: an independent frame encoder (it can also build the
 * invalid frames the library's writer refuses to), and a feeder that plays
 * a real caller: it keeps the unconsumed bytes, appends the next chunk, and
 * records the events as a text log that does not depend on how the stream
 * was cut. No cmocka here, so the fuzz target can use it too. */
#ifndef WS_STREAM_HARNESS_H
#define WS_STREAM_HARNESS_H

/* Needs mmap and sysconf: define _DEFAULT_SOURCE before the first include
 * of the test file. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "wsframe.h"

/* ---------------------------------------------------------------- bytes */

typedef struct sh_bytes {
    uint8_t *p;
    size_t len, cap;
} sh_bytes;

static inline void sh_reserve(sh_bytes *b, size_t more)
{
    if (b->len + more <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + more)
        cap *= 2;
    uint8_t *p = realloc(b->p, cap);
    if (!p)
        abort();
    b->p = p;
    b->cap = cap;
}

static inline void sh_put(sh_bytes *b, const void *data, size_t len)
{
    sh_reserve(b, len);
    if (len)
        memcpy(b->p + b->len, data, len);
    b->len += len;
}

static inline void sh_free(sh_bytes *b)
{
    free(b->p);
    *b = (sh_bytes){0};
}

/* A deterministic stand-in for a client's random mask keys: frame n of a
 * test stream gets key n, so streams (and expected offsets) are stable. */
static inline void sh_key(uint32_t n, uint8_t key[4])
{
    uint32_t x = n * 2654435761u + 0x5bd1e995u;
    key[0] = (uint8_t)(x >> 24);
    key[1] = (uint8_t)(x >> 16);
    key[2] = (uint8_t)(x >> 8);
    key[3] = (uint8_t)x;
}

enum { SH_LEN_MINIMAL = 0, SH_LEN_16 = 126, SH_LEN_64 = 127 };

/*
 * Append one frame, encoded by hand. b0 is the first header byte (FIN, RSV
 * and opcode as on the wire); masked adds a key from sh_key(keyno);
 * len_form forces a length encoding (SH_LEN_16/SH_LEN_64) to build
 * non-minimal headers; declared_len lets the header announce a length other
 * than len (the payload written is always len bytes).
 */
static inline void sh_frame_raw(sh_bytes *b, uint8_t b0, bool masked, uint32_t keyno, int len_form,
                         uint64_t declared_len, const void *payload, size_t len)
{
    uint8_t h[14];
    size_t n = 0;
    h[n++] = b0;
    uint8_t m = masked ? 0x80 : 0;
    if (len_form == SH_LEN_MINIMAL)
        len_form = declared_len < 126 ? 0 : declared_len < 65536 ? SH_LEN_16 : SH_LEN_64;
    if (len_form == 0) {
        h[n++] = (uint8_t)(m | declared_len);
    } else if (len_form == SH_LEN_16) {
        h[n++] = m | 126;
        h[n++] = (uint8_t)(declared_len >> 8);
        h[n++] = (uint8_t)declared_len;
    } else {
        h[n++] = m | 127;
        for (int i = 7; i >= 0; i--)
            h[n++] = (uint8_t)(declared_len >> (8 * i));
    }
    uint8_t key[4];
    if (masked) {
        sh_key(keyno, key);
        memcpy(h + n, key, 4);
        n += 4;
    }
    sh_put(b, h, n);
    size_t at = b->len;
    sh_put(b, payload, len);
    if (masked)
        for (size_t i = 0; i < len; i++)
            b->p[at + i] ^= key[i % 4];
}

/* The common case: a frame with the minimal length encoding. */
static inline void sh_frame(sh_bytes *b, bool fin, uint8_t opcode, bool masked, uint32_t keyno,
                     const void *payload, size_t len)
{
    sh_frame_raw(b, (uint8_t)((fin ? 0x80 : 0) | opcode), masked, keyno, SH_LEN_MINIMAL, len,
                 payload, len);
}

/* ---------------------------------------------------------------- event log */

/* FNV-1a, 64 bit: a message's bytes summarized so that logs of large
 * messages stay short and comparable. */
#define SH_FNV_INIT 0xcbf29ce484222325ull
static inline uint64_t sh_fnv(uint64_t h, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 0x100000001b3ull;
    return h;
}

/*
 * The log of one parse, as text:
 *   T(N:HASH)           a text message of N bytes, logged when it ends (B(
 *                       for binary), so a ping inside it comes first
 *   ping N:HASH  pong N:HASH  close CODE:REASONHEX
 *   T(                  a message started and did not end: the stream failed
 *                       or stopped inside it (how much of its data came out
 *                       depends on the cutting, so it is not logged)
 *   !NAME               the parser failed with WS_E_NAME
 *   rest N              N bytes were left unconsumed at the end
 * plus facts kept out of the text: where the error came and whether the
 * parser broke a rule of its contract (a pointer outside the buffer...).
 */
typedef struct sh_log {
    char text[4096];
    size_t text_len;
    bool truncated;
    int open_opcode; /* 0: no message open */
    uint64_t msg_len, msg_hash;
    int error;          /* the negative status, 0 if none */
    size_t error_at;    /* stream bytes handed to the parser when it failed */
    size_t rest;        /* bytes unconsumed at the end */
    const char *broken; /* a contract violation, NULL if none */
    size_t events;
} sh_log;

static inline void sh_logf(sh_log *log, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    size_t room = sizeof log->text - log->text_len;
    int n = vsnprintf(log->text + log->text_len, room, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= room) {
        log->truncated = true;
        log->text_len = sizeof log->text - 1;
    } else {
        log->text_len += (size_t)n;
    }
}

static inline void sh_log_hex(sh_log *log, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        sh_logf(log, "%02x", p[i]);
}

static inline void sh_log_event(sh_log *log, const ws_event *ev, const uint8_t *buf, size_t len)
{
    if (ev->type == WS_EV_MESSAGE) {
        /* WS_PARSER_WHOLE_MESSAGES: logged as the three events it stands
         * for, so logs of both modes compare equal. */
        if (ev->len > 0 && (ev->data < buf || ev->data + ev->len > buf + len))
            log->broken = "event data outside the buffer";
        ws_event part = {.type = WS_EV_MESSAGE_START, .opcode = ev->opcode};
        sh_log_event(log, &part, buf, len);
        if (ev->len > 0) {
            part = (ws_event){.type = WS_EV_DATA, .opcode = ev->opcode, .data = ev->data,
                              .len = ev->len};
            sh_log_event(log, &part, buf, len);
        }
        part = (ws_event){.type = WS_EV_MESSAGE_END, .opcode = ev->opcode};
        sh_log_event(log, &part, buf, len);
        log->events -= ev->len > 0 ? 2 : 1;
        return;
    }
    log->events++;
    bool has_data = ev->type == WS_EV_DATA || ev->type == WS_EV_PING ||
                    ev->type == WS_EV_PONG || ev->type == WS_EV_CLOSE;
    if (has_data && ev->len > 0 && (ev->data < buf || ev->data + ev->len > buf + len))
        log->broken = "event data outside the buffer";
    switch (ev->type) {
    case WS_EV_MESSAGE_START:
        if (log->open_opcode)
            log->broken = "MESSAGE_START inside a message";
        if (ev->opcode != WS_OP_TEXT && ev->opcode != WS_OP_BINARY)
            log->broken = "MESSAGE_START with a bad opcode";
        log->open_opcode = ev->opcode;
        log->msg_len = 0;
        log->msg_hash = SH_FNV_INIT;
        break;
    case WS_EV_DATA:
        if (!log->open_opcode || ev->opcode != log->open_opcode)
            log->broken = "DATA outside its message";
        if (ev->len == 0)
            log->broken = "empty DATA event";
        log->msg_len += ev->len;
        log->msg_hash = sh_fnv(log->msg_hash, ev->data, ev->len);
        break;
    case WS_EV_MESSAGE_END:
        if (!log->open_opcode || ev->opcode != log->open_opcode)
            log->broken = "MESSAGE_END outside its message";
        sh_logf(log, "%s(%" PRIu64 ":%016" PRIx64 ") ", ev->opcode == WS_OP_TEXT ? "T" : "B",
                log->msg_len, log->msg_hash);
        log->open_opcode = 0;
        break;
    case WS_EV_PING:
    case WS_EV_PONG:
        if (ev->len > 125)
            log->broken = "control payload over 125 bytes";
        sh_logf(log, "%s%zu:%016" PRIx64 " ", ev->type == WS_EV_PING ? "ping" : "pong", ev->len,
                sh_fnv(SH_FNV_INIT, ev->data, ev->len));
        break;
    case WS_EV_CLOSE:
        sh_logf(log, "close%u:", (unsigned)ev->close_code);
        sh_log_hex(log, ev->data, ev->len);
        sh_logf(log, " ");
        break;
    default:
        log->broken = "unknown event type";
    }
}

/* ---------------------------------------------------------------- feeding */

/* How the caller's reads cut the stream: the size of the next read, given
 * how many stream bytes are left (the feeder clamps it to the room left in
 * the caller's buffer). */
typedef size_t (*sh_chunker)(void *ctx, size_t left);

static inline size_t sh_chunk_all(void *ctx, size_t left)
{
    (void)ctx;
    return left;
}

static inline size_t sh_chunk_one(void *ctx, size_t left)
{
    (void)ctx;
    (void)left;
    return 1;
}

/* First read *(size_t *)ctx bytes, then everything. */
static inline size_t sh_chunk_split(void *ctx, size_t left)
{
    size_t *first = ctx;
    size_t n = *first ? *first : left;
    *first = 0;
    return n;
}

/* Reads of *(size_t *)ctx bytes each (Autobahn's chopsize). */
static inline size_t sh_chunk_fixed(void *ctx, size_t left)
{
    (void)left;
    return *(size_t *)ctx;
}

/* Reads of random sizes from 1 to ctx->max. */
typedef struct sh_random_chunks {
    uint64_t s;
    size_t max;
} sh_random_chunks;
static inline size_t sh_chunk_random(void *ctx, size_t left)
{
    sh_random_chunks *r = ctx;
    (void)left;
    r->s ^= r->s >> 12;
    r->s ^= r->s << 25;
    r->s ^= r->s >> 27;
    return 1 + (size_t)((r->s * 0x2545F4914F6CDD1Dull) >> 33) % r->max;
}

typedef struct sh_config {
    ws_role role;
    const ws_limits *limits; /* NULL: defaults */
} sh_config;

/*
 * Parse stream as a caller with a buffer of cap bytes would (cap 0: a
 * buffer as large as the stream): read a chunk into the free room, call
 * ws_parser_next until WS_EV_NONE or an error, keep the unconsumed bytes at
 * the front, repeat. Every call sees its bytes at the very end of a mapping
 * followed by a PROT_NONE page, so an over-read faults.
 */
static inline void sh_feed_with(const sh_config *cfg, unsigned options, const uint8_t *stream,
                                size_t len, size_t cap, sh_chunker next_chunk, void *chunk_ctx,
                                sh_log *log)
{
    memset(log, 0, sizeof *log);
    if (cap == 0)
        cap = len ? len : 1;
    size_t pg = (size_t)sysconf(_SC_PAGESIZE);
    size_t map_len = (cap + pg - 1) / pg * pg + pg;
    uint8_t *map = mmap(NULL, map_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (map == MAP_FAILED)
        abort();
    uint8_t *end = map + map_len - pg;
    if (mprotect(end, pg, PROT_NONE) != 0)
        abort();
    uint8_t *pending = malloc(cap);
    if (!pending)
        abort();

    ws_parser p;
    ws_parser_init(&p, cfg->role, cfg->limits);
    ws_parser_set_options(&p, options);
    size_t fed = 0, kept = 0;
    for (;;) {
        size_t want = next_chunk(chunk_ctx, len - fed);
        if (want > len - fed)
            want = len - fed;
        if (want > cap - kept)
            want = cap - kept;
        if (want == 0 && fed < len) {
            log->broken = "stuck: the buffer is full and the parser consumes nothing";
            break;
        }
        memcpy(pending + kept, stream + fed, want);
        kept += want;
        fed += want;

        uint8_t *buf = end - kept;
        memcpy(buf, pending, kept);
        size_t off = 0;
        for (int guard = 0;; guard++) {
            ws_event ev;
            ptrdiff_t n = ws_parser_next(&p, buf + off, kept - off, &ev);
            if (n < 0) {
                log->error = (int)n;
                log->error_at = fed;
                if (log->open_opcode)
                    sh_logf(log, "%s(", log->open_opcode == WS_OP_TEXT ? "T" : "B");
                sh_logf(log, "!%s", ws_status_name((int)n));
                goto done;
            }
            if ((size_t)n > kept - off) {
                log->broken = "consumed more than it was given";
                goto done;
            }
            if (ev.type != WS_EV_NONE)
                sh_log_event(log, &ev, buf + off, kept - off);
            off += (size_t)n;
            if (ev.type == WS_EV_NONE)
                break;
            if (guard > 1000000) {
                log->broken = "no end of events";
                goto done;
            }
        }
        memmove(pending, pending + off, kept - off);
        kept -= off;
        if (fed == len)
            break;
    }
    log->rest = kept;
    if (log->open_opcode)
        sh_logf(log, "%s(", log->open_opcode == WS_OP_TEXT ? "T" : "B");
    if (kept)
        sh_logf(log, "rest%zu", kept);
done:
    free(pending);
    munmap(map, map_len);
}

/* sh_feed_with the parser's default options. */
static inline void sh_feed(const sh_config *cfg, const uint8_t *stream, size_t len, size_t cap,
                           sh_chunker next_chunk, void *chunk_ctx, sh_log *log)
{
    sh_feed_with(cfg, 0, stream, len, cap, next_chunk, chunk_ctx, log);
}

/* Whole-stream log, for comparisons and expectations. */
static inline void sh_parse_whole(const sh_config *cfg, const uint8_t *stream, size_t len, sh_log *log)
{
    sh_feed(cfg, stream, len, 0, sh_chunk_all, NULL, log);
}

/*
 * Two logs tell the same story: the same events, error and leftover bytes
 * (the text ends in "restN" when N bytes were left unconsumed). Used for
 * one stream cut differently, and for the default mode against
 * WS_PARSER_WHOLE_MESSAGES (a small message cut short is held back whole
 * in both).
 */
static inline bool sh_same_log(const sh_log *a, const sh_log *b)
{
    return !a->broken && !b->broken && a->error == b->error && strcmp(a->text, b->text) == 0;
}

/*
 * The chunking invariant: the stream fed whole, cut in two at every point
 * (at most max_splits of them, spread evenly, for long streams), one byte at
 * a time through a buffer of WS_PARSER_MIN_BUFFER bytes, and in random
 * reads through small buffers, must give the same log. On a mismatch,
 * describes it in why (if not NULL) and returns false. whole receives the
 * whole-stream log.
 */
static inline bool sh_check_invariance_with(const sh_config *cfg, unsigned options,
                                            const uint8_t *stream, size_t len, size_t max_splits,
                                            uint64_t seed, sh_log *whole, char *why,
                                            size_t why_len)
{
    sh_log *log = malloc(sizeof *log);
    if (!log)
        abort();
    bool ok = true;
    sh_feed_with(cfg, options, stream, len, 0, sh_chunk_all, NULL, whole);
    if (whole->broken) {
        snprintf(why, why_len, "whole: %s", whole->broken);
        ok = false;
        goto out;
    }
#define SH_SAME(what)                                                                              \
    do {                                                                                           \
        if (!sh_same_log(log, whole)) {                                                            \
            /* Truncating a long description is fine: say so to gcc by using the result. */      \
            if (why && snprintf(why, why_len, "%s differs: %s\n  got:   %s\n  whole: %s", what,     \
                                log->broken ? log->broken : "log", log->text, whole->text) < 0)   \
                why[0] = '\0';                                                                    \
            ok = false;                                                                            \
            goto out;                                                                              \
        }                                                                                          \
    } while (0)

    size_t splits = len < 2 ? 0 : len - 1;
    size_t step = (max_splits && splits > max_splits) ? splits / max_splits : 1;
    for (size_t k = 1; k < len; k += step) {
        size_t first = k;
        sh_feed_with(cfg, options, stream, len, 0, sh_chunk_split, &first, log);
        char what[64];
        snprintf(what, sizeof what, "split at %zu", k);
        SH_SAME(what);
    }
    sh_feed_with(cfg, options, stream, len, WS_PARSER_MIN_BUFFER, sh_chunk_one, NULL, log);
    SH_SAME("one byte at a time");
    static const size_t caps[] = {WS_PARSER_MIN_BUFFER, WS_PARSER_MIN_BUFFER + 7, 1024, 65536};
    for (size_t i = 0; i < sizeof caps / sizeof caps[0]; i++) {
        sh_random_chunks rc = {seed * 31 + i + 1, caps[i]};
        sh_feed_with(cfg, options, stream, len, caps[i], sh_chunk_random, &rc, log);
        SH_SAME("random reads");
    }
#undef SH_SAME
out:
    free(log);
    return ok;
}

/* sh_check_invariance_with the parser's default options. */
static inline bool sh_check_invariance(const sh_config *cfg, const uint8_t *stream, size_t len,
                                       size_t max_splits, uint64_t seed, sh_log *whole, char *why,
                                       size_t why_len)
{
    return sh_check_invariance_with(cfg, 0, stream, len, max_splits, seed, whole, why, why_len);
}

/* Where a fail-fast error comes: the number of stream bytes handed to the
 * parser, one at a time, when it failed (0 if it did not fail). */
static inline size_t sh_fail_point(const sh_config *cfg, const uint8_t *stream, size_t len)
{
    sh_log *log = malloc(sizeof *log);
    if (!log)
        abort();
    sh_feed(cfg, stream, len, WS_PARSER_MIN_BUFFER, sh_chunk_one, NULL, log);
    size_t at = log->error ? log->error_at : 0;
    free(log);
    return at;
}

#endif
