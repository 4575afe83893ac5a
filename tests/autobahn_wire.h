/* The Autobahn table (autobahn_cases.h) turned into bytes on the wire, for
 * both of its runners: tests/test_autobahn.c, which feeds them to the
 * parser, and tests/interop/autobahn/ab_replay.c, which writes them to a
 * server over TCP. Both must build the very same frames and agree on where a
 * failing case fails, so the code lives here once.
 *
 * No cmocka here, as in stream_harness.h: a broken table row aborts with a
 * message, unless the includer defines AB_WIRE_REQUIRE(cond) first (the
 * cmocka test makes it an assertion, so the failure names the case). */
#ifndef WS_AUTOBAHN_WIRE_H
#define WS_AUTOBAHN_WIRE_H

#include "autobahn_cases.h"
#include "stream_harness.h"

#ifndef AB_WIRE_REQUIRE
#define AB_WIRE_REQUIRE(cond)                                                                    \
    do {                                                                                         \
        if (!(cond)) {                                                                           \
            fprintf(stderr, "%s:%d: broken Autobahn table row: %s\n", __FILE__, __LINE__, #cond); \
            abort();                                                                             \
        }                                                                                        \
    } while (0)
#endif

/* A payload of the table: its bytes, or (total > 0) its bytes repeated up to
 * total bytes, appended to out. */
static inline void ab_payload_bytes(const ab_payload *p, sh_bytes *out)
{
    if (p->total == 0) {
        sh_put(out, p->bytes, p->len);
        return;
    }
    for (size_t n = 0; n < p->total;) {
        size_t k = p->total - n < p->len ? p->total - n : p->len;
        sh_put(out, p->bytes, k);
        n += k;
    }
}

/* A wire stream with the position of every frame in it. */
typedef struct ab_wire {
    sh_bytes bytes;
    size_t start[256], header[256], len[256];
    size_t frames;
} ab_wire;

/* Append one frame, masked as a client masks it (key from sh_key). */
static inline void ab_wire_frame(ab_wire *w, uint8_t b0, const uint8_t *payload, size_t len)
{
    AB_WIRE_REQUIRE(w->frames < 256);
    size_t at = w->bytes.len;
    sh_frame_raw(&w->bytes, b0, true, (uint32_t)w->frames, SH_LEN_MINIMAL, len, payload, len);
    w->start[w->frames] = at;
    w->len[w->frames] = w->bytes.len - at;
    w->header[w->frames] = w->len[w->frames] - len;
    w->frames++;
}

/* One table row, expanded: frag > 0 cuts the payload into frames of frag
 * bytes, opcode on the first, FIN (if asked for) on the last. */
static inline void ab_wire_row(ab_wire *w, const ab_frame *f)
{
    sh_bytes payload = {0};
    if (f->has_code) {
        uint8_t code[2] = {(uint8_t)(f->code >> 8), (uint8_t)f->code};
        sh_put(&payload, code, 2);
    }
    ab_payload_bytes(&f->payload, &payload);
    uint8_t b0 = (uint8_t)f->b0;
    if (f->frag == 0 || payload.len == 0) {
        ab_wire_frame(w, b0, payload.p, payload.len);
    } else {
        for (size_t off = 0; off < payload.len; off += f->frag) {
            size_t n = payload.len - off < f->frag ? payload.len - off : f->frag;
            bool last = off + n == payload.len;
            uint8_t head = (uint8_t)(off == 0 ? (b0 & 0x7F) : (b0 & 0x70));
            ab_wire_frame(w, (uint8_t)(head | (last ? (b0 & 0x80) : 0)), payload.p + off, n);
        }
    }
    sh_free(&payload);
}

/* How many bytes of w a server must have read when it reports the case's
 * error: the offending byte is the last of them. */
static inline size_t ab_fail_point(const ab_wire *w, const ab_fail *f)
{
    AB_WIRE_REQUIRE(f->frame < w->frames);
    size_t s = w->start[f->frame];
    switch (f->where) {
    case AB_AT_HEADER_BYTE:
        return s + f->offset + 1;
    case AB_AT_HEADER_END:
        return s + w->header[f->frame];
    case AB_AT_PAYLOAD_BYTE:
        AB_WIRE_REQUIRE(f->offset < w->len[f->frame] - w->header[f->frame]);
        return s + w->header[f->frame] + f->offset + 1;
    case AB_AT_FRAME_END:
        return s + w->len[f->frame];
    default:
        AB_WIRE_REQUIRE(!"a failing case needs a fail point");
        return 0;
    }
}

#endif
