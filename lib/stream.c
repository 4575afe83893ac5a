/* Stream parser (RFC 6455 sections 5.2-5.6): turns the bytes of a connection,
 * cut into chunks anywhere, into message and control events.
 *
 * Frame headers and control frames are consumed only whole (they are small
 * and must be seen at once); data payload is handed out as soon as it
 * arrives, unmasked and UTF-8-checked in place, so a message of any size
 * passes through the caller's buffer without being copied or held back.
 * The one exception: a single-frame message of up to 125 bytes waits, like
 * a control frame, until it is whole (see hold_back). */
#include <string.h>

#include "mask.h"
#include "utf8.h"
#include "utf8_avx512.h"
#include "wsframe.h"

_Static_assert(sizeof(ws_parser) <= 64, "ws_parser must fit in 64 bytes");

enum parser_state {
    ST_HEADER = 0,      /* waiting for a frame header */
    ST_PAYLOAD,         /* inside a data frame's payload */
    ST_MESSAGE_END,     /* the final frame's payload is through; report the end */
    ST_CLOSED,          /* the peer's close frame was reported */
    ST_FAILED
};

enum parser_flag {
    FL_FIN = 1u,    /* the current data frame is the message's last */
    FL_MASKED = 2u  /* the current data frame's payload is masked */
};

void ws_parser_init(ws_parser *p, ws_role role, const ws_limits *limits)
{
    ws_limits defaults;
    if (!limits) {
        ws_limits_default(&defaults);
        limits = &defaults;
    }
    *p = (ws_parser){0};
    p->role_ = (uint8_t)role;
    p->max_frame_size_ = limits->max_frame_size;
    p->max_message_size_ = limits->max_message_size;
    p->max_fragments_ = limits->max_fragments;
    /* So that a small frame's header needs one compare for both limits. */
    uint64_t small_max = 125;
    if (limits->max_frame_size != 0 && limits->max_frame_size < small_max)
        small_max = limits->max_frame_size;
    if (limits->max_message_size != 0 && limits->max_message_size < small_max)
        small_max = limits->max_message_size;
    p->small_max_ = (uint8_t)small_max;
    p->state_ = ST_HEADER;
}

void ws_parser_set_options(ws_parser *p, unsigned options)
{
    p->options_ = (uint8_t)(options & WS_PARSER_WHOLE_MESSAGES);
}

static ptrdiff_t fail(ws_parser *p, int status)
{
    p->state_ = ST_FAILED;
    return status;
}

/* Limits are checked here, on the header, so that a peer announcing a huge
 * frame is refused before we read (or wait for) any of it. */
static int check_data_frame(const ws_parser *p, const ws_frame *f)
{
    bool continuation = f->opcode == WS_OP_CONTINUATION;
    if (continuation && p->message_opcode_ == 0)
        return WS_E_UNEXPECTED_CONTINUATION;
    if (!continuation && p->message_opcode_ != 0)
        return WS_E_EXPECTED_CONTINUATION;
    if (p->max_frame_size_ != 0 && f->payload_len > p->max_frame_size_)
        return WS_E_FRAME_TOO_BIG;
    uint32_t fragments = continuation ? p->fragments_ : 0;
    if (p->max_fragments_ != 0 && fragments >= p->max_fragments_)
        return WS_E_TOO_MANY_FRAGMENTS;
    uint64_t so_far = continuation ? p->message_size_ : 0;
    /* payload_len < 2^63 and so_far <= a limit, or saturates below. */
    if (p->max_message_size_ != 0 &&
        (f->payload_len > p->max_message_size_ || so_far > p->max_message_size_ - f->payload_len))
        return WS_E_MESSAGE_TOO_BIG;
    return WS_OK;
}

/* A control frame whose whole payload is in buf: unmask it and report it. */
static int control_frame(const ws_frame *f, uint8_t *payload, ws_event *ev)
{
    size_t n = (size_t)f->payload_len;
    if (f->masked)
        ws_mask(payload, n, f->mask, 0);
    ev->data = payload;
    ev->len = n;
    switch (f->opcode) {
    case WS_OP_PING:
        ev->type = WS_EV_PING;
        return WS_OK;
    case WS_OP_PONG:
        ev->type = WS_EV_PONG;
        return WS_OK;
    default: { /* WS_OP_CLOSE; ws_frame_parse refused the reserved ones */
        uint16_t code;
        const char *reason;
        size_t reason_len;
        ws_status st = ws_close_parse(payload, n, &code, &reason, &reason_len);
        if (st != WS_OK)
            return st;
        ev->type = WS_EV_CLOSE;
        ev->close_code = code;
        ev->data = (const uint8_t *)reason;
        ev->len = reason_len;
        return WS_OK;
    }
    }
}

/* Unmask (when key is not NULL) and validate a piece of text. */
static ws_status unmask_validate(ws_utf8 *v, uint8_t *data, size_t n, const uint8_t *key,
                                 size_t *key_offset)
{
    if (key == NULL)
        return ws_utf8_feed(v, data, n, NULL);
    return ws_utf8_unmask_feed(v, data, n, key, key_offset, NULL);
}

/* Hand out the payload bytes of the current data frame that are in buf.
 * Out of line so that ws_parser_next's own entry saves no registers. */
static __attribute__((noinline)) ptrdiff_t payload_piece(ws_parser *p, uint8_t *data, size_t avail, ws_event *ev)
{
    size_t n = avail;
    if ((uint64_t)n > p->frame_left_)
        n = (size_t)p->frame_left_;
#ifdef WS_HAVE_AVX512
    if (p->message_opcode_ == WS_OP_TEXT && (p->flags_ & FL_MASKED) && n >= 3 &&
        ws_cpu_has_avx512()) {
        size_t key_offset = p->mask_offset_;
        if (key_offset == 0 && n < WS_UNMASK_INLINE_MAX && n == p->frame_left_ &&
            p->utf8_.state_ == 0) {
            /* A small text frame's payload, all here, between sequences:
             * unmasked and checked in one pass (see small_whole_text);
             * only one that is not whole valid text (cut in a sequence,
             * which a fragment may be, or invalid) is stepped again. */
            if (ws_utf8_unmask_short_avx512(data, n, p->mask_) != WS_OK &&
                ws_utf8_feed(&p->utf8_, data, n, NULL) != WS_OK)
                return fail(p, WS_E_INVALID_UTF8);
            key_offset = n & 3;
        } else if (ws_utf8_unmask_feed_avx512(&p->utf8_, data, n, p->mask_, &key_offset, NULL) !=
                   WS_OK) {
            /* A piece of a frame the reads cut (or a long one): one pass
             * from whatever state the cut before left. */
            return fail(p, WS_E_INVALID_UTF8);
        }
        p->mask_offset_ = (uint8_t)key_offset;
    } else
#endif
    if ((p->flags_ & FL_MASKED) && p->mask_offset_ == 0 && n < WS_UNMASK_INLINE_MAX) {
        /* A small frame's payload, all here: unmasked inline; ASCII text
         * between sequences (a zeroed ws_utf8 is one, see utf8.c) needs
         * no validator call. */
        const uint64_t seen = ws_unmask_whole(data, n, p->mask_);
        p->mask_offset_ = (uint8_t)(n & 3);
        if (p->message_opcode_ == WS_OP_TEXT &&
            ((seen & WS_HIGH_BITS) != 0 || p->utf8_.state_ != 0) &&
            ws_utf8_feed(&p->utf8_, data, n, NULL) != WS_OK)
            return fail(p, WS_E_INVALID_UTF8);
    } else if (p->message_opcode_ != WS_OP_TEXT) {
        if (p->flags_ & FL_MASKED)
            p->mask_offset_ = (uint8_t)ws_mask(data, n, p->mask_, p->mask_offset_);
    } else {
        size_t key_offset = p->mask_offset_;
        if (unmask_validate(&p->utf8_, data, n, (p->flags_ & FL_MASKED) ? p->mask_ : NULL,
                            &key_offset) != WS_OK)
            return fail(p, WS_E_INVALID_UTF8);
        p->mask_offset_ = (uint8_t)key_offset;
    }
    p->frame_left_ -= n;
    if (p->frame_left_ == 0)
        p->state_ = (p->flags_ & FL_FIN) ? ST_MESSAGE_END : ST_HEADER;
    *ev = (ws_event){.type = WS_EV_DATA, .opcode = p->message_opcode_, .data = data, .len = n};
    return (ptrdiff_t)n;
}

/* payload_piece for a binary message, the large-payload-in-many-reads case
 * made lean: the next key offset is known before unmasking ((offset + n) mod
 * 4), so all state and the event are written first and the unmasking is the
 * last thing done, a jump to ws_unmask_piece, which returns n. */
static __attribute__((noinline)) ptrdiff_t binary_piece(ws_parser *p, uint8_t *data, size_t avail,
                                                        ws_event *ev)
{
    const size_t n = (uint64_t)avail > p->frame_left_ ? (size_t)p->frame_left_ : avail;
    const size_t key_offset = p->mask_offset_;
    const bool masked = (p->flags_ & FL_MASKED) != 0;
    p->frame_left_ -= n;
    if (p->frame_left_ == 0)
        p->state_ = (p->flags_ & FL_FIN) ? ST_MESSAGE_END : ST_HEADER;
    p->mask_offset_ = (uint8_t)((key_offset + n) & 3);
    *ev = (ws_event){.type = WS_EV_DATA, .opcode = p->message_opcode_, .data = data, .len = n};
    if (!masked)
        return (ptrdiff_t)n;
    if (key_offset == 0 && n < WS_UNMASK_INLINE_MAX) {
        (void)ws_unmask_whole(data, n, p->mask_);
        return (ptrdiff_t)n;
    }
    return (ptrdiff_t)ws_unmask_piece(data, n, p->mask_, key_offset);
}

#define FIN_TEXT (0x80u | WS_OP_TEXT)
#define FIN_BINARY (0x80u | WS_OP_BINARY)

/* A complete text frame that is not UTF-8, already unmasked in place:
 * report it the way the general path does, MESSAGE_START now and the
 * failure when the payload is handed out on the next call, so the error
 * comes from the same call in both modes. */
static ptrdiff_t invalid_whole_text(ws_parser *p, uint64_t n, size_t header_len, ws_event *ev)
{
    p->message_opcode_ = WS_OP_TEXT;
    p->message_size_ = n;
    p->fragments_ = 1;
    ws_utf8_init(&p->utf8_);
    p->frame_left_ = n;
    p->flags_ = FL_FIN; /* not FL_MASKED: the payload is unmasked already */
    p->mask_offset_ = 0;
    p->state_ = ST_PAYLOAD;
    *ev = (ws_event){.type = WS_EV_MESSAGE_START, .opcode = WS_OP_TEXT};
    return (ptrdiff_t)header_len;
}

static inline ptrdiff_t report_whole(uint8_t opcode, uint8_t *data, uint64_t n, size_t header_len,
                                     ws_event *ev)
{
    *ev = (ws_event){.type = WS_EV_MESSAGE, .opcode = opcode, .data = data, .len = (size_t)n};
    return (ptrdiff_t)(header_len + (size_t)n);
}

/* The one-event path for what needs a call: a payload too large to unmask
 * inline (key is NULL once it is unmasked), or text that is not plain
 * ASCII. */
static __attribute__((noinline)) ptrdiff_t whole_message_slow(ws_parser *p, uint8_t *buf,
                                                              size_t header_len, uint64_t n,
                                                              const uint8_t *key, ws_event *ev)
{
    uint8_t *data = buf + header_len;
    const uint8_t opcode = (uint8_t)(buf[0] & 0x0Fu);
    if (opcode != WS_OP_TEXT) {
        if (key != NULL)
            ws_mask(data, (size_t)n, key, 0);
        return report_whole(opcode, data, n, header_len, ev);
    }
    if (key == NULL) {
        if (ws_utf8_validate(data, (size_t)n) != WS_OK)
            return invalid_whole_text(p, n, header_len, ev);
        return report_whole(opcode, data, n, header_len, ev);
    }
    ws_utf8 v;
    ws_utf8_init(&v);
    size_t key_offset = 0;
    if (unmask_validate(&v, data, (size_t)n, key, &key_offset) != WS_OK ||
        ws_utf8_finish(&v) != WS_OK)
        /* Blocks after the failing one are still masked; the general path
         * never reaches them, as it fails at the same byte before them. */
        return invalid_whole_text(p, n, header_len, ev);
    return report_whole(opcode, data, n, header_len, ev);
}

/* The validator of a text message that starts; only text uses it. Out of
 * line so that a binary message's start calls nothing and saves no
 * registers. */
static __attribute__((noinline)) ptrdiff_t start_text(ws_parser *p, size_t hl)
{
    ws_utf8_init(&p->utf8_);
    return (ptrdiff_t)hl;
}

/* MESSAGE_START for a first frame whose header (hl bytes) ws_parser_next
 * decoded and checked: the state next_event would set up. */
static __attribute__((noinline)) ptrdiff_t start_message(ws_parser *p, uint8_t b0, uint64_t n,
                                                         const uint8_t *key, size_t hl,
                                                         ws_event *ev)
{
    const uint8_t opcode = (uint8_t)(b0 & 0x0Fu);
    const bool fin = (b0 & 0x80u) != 0;
    p->message_opcode_ = opcode;
    p->message_size_ = n;
    p->fragments_ = 1;
    p->frame_left_ = n;
    p->flags_ = (uint8_t)((fin ? FL_FIN : 0u) | (key != NULL ? FL_MASKED : 0u));
    if (key != NULL)
        memcpy(p->mask_, key, 4);
    p->mask_offset_ = 0;
    p->state_ = n > 0 ? ST_PAYLOAD : (fin ? ST_MESSAGE_END : ST_HEADER);
    *ev = (ws_event){.type = WS_EV_MESSAGE_START, .opcode = opcode};
    if (opcode == WS_OP_TEXT)
        return start_text(p, hl);
    return (ptrdiff_t)hl;
}

/* A single-frame message with a 7-bit length (payload <= 125 bytes) cut by
 * the end of buf is held back, as a control frame is, and comes whole when
 * the rest has arrived (the caller's buffer holds it: WS_PARSER_MIN_BUFFER
 * covers a 7-bit frame): one WS_EV_MESSAGE with WS_PARSER_WHOLE_MESSAGES,
 * START, one DATA and END without. Handed out as START and DATA now, with
 * DATA and END after the next read, it would cost four events where one or
 * three do, one read in eleven with 125-byte frames in 1460-byte reads.
 * A text whose present bytes already cannot be UTF-8 is not held back: it
 * takes the general path, which fails at once, so failing fast does not
 * wait for the rest of the frame. hl is 6 (masked) or 2. */
static ptrdiff_t hold_back(ws_event *ev)
{
    *ev = (ws_event){.type = WS_EV_NONE};
    return 0;
}

/* A cut text, judged as ws_utf8_feed would: the bytes are unmasked into a
 * copy, those in buf stay masked for the call that takes the whole frame. */
static __attribute__((noinline)) ptrdiff_t hold_cut_text(ws_parser *p, const uint8_t *buf,
                                                        size_t len, size_t n, size_t hl,
                                                        ws_event *ev)
{
    const uint8_t *key = hl == 6 ? buf + 2 : NULL;
    static const uint8_t no_key[4] = {0, 0, 0, 0};
    uint8_t text[125];
    ws_mask_copy(text, buf + hl, len - hl, key ? key : no_key, 0);
    ws_utf8 v;
    ws_utf8_init(&v);
    if (ws_utf8_feed(&v, text, len - hl, NULL) != WS_OK)
        return start_message(p, buf[0], n, key, hl, ev);
    return hold_back(ev);
}

#ifdef WS_HAVE_AVX512
/* The same judgement from registers, with no copy: 125-byte frames of
 * mixed text in 1460-byte reads, 10.2 -> 7.5 ns per frame. */
static WS_TARGET_AVX512 __attribute__((noinline)) ptrdiff_t
hold_cut_text_avx512(ws_parser *p, const uint8_t *buf, size_t len, size_t n, size_t hl,
                     ws_event *ev)
{
    uint32_t k4 = 0;
    if (hl == 6)
        memcpy(&k4, buf + 2, 4);
    if (ws_utf8_masked_prefix_valid_avx512(buf + hl, len - hl, k4) != WS_OK)
        return start_message(p, buf[0], n, hl == 6 ? buf + 2 : NULL, hl, ev);
    return hold_back(ev);
}
#endif

static __attribute__((noinline)) ptrdiff_t hold_cut_message(ws_parser *p, const uint8_t *buf,
                                                           size_t len, size_t n, size_t hl,
                                                           ws_event *ev)
{
    if ((buf[0] & 0x0Fu) != WS_OP_TEXT || len == hl)
        return hold_back(ev);
#ifdef WS_HAVE_AVX512
    if (ws_cpu_has_avx512())
        return hold_cut_text_avx512(p, buf, len, n, hl, ev);
#endif
    return hold_cut_text(p, buf, len, n, hl, ev);
}

static inline bool over_limit(uint64_t n, uint64_t limit) { return limit != 0 && n > limit; }

/* Everything but the one-event fast path. Kept out of line so that
 * ws_parser_next, which tries the fast path first, stays a leaf that saves
 * no registers. */
static __attribute__((noinline)) ptrdiff_t next_event(ws_parser *p, uint8_t *buf, size_t len,
                                                      ws_event *ev)
{
    *ev = (ws_event){.type = WS_EV_NONE};
    size_t pos = 0;

    for (;;) {
        switch (p->state_) {
        case ST_FAILED:
            return WS_E_PARSER_FAILED;
        case ST_CLOSED:
            /* Not a failure: the connection is over, and whatever else
             * arrives is dropped, as often as the caller offers it. */
            return len == 0 ? 0 : WS_E_AFTER_CLOSE;
        case ST_PAYLOAD: {
            if (pos == len)
                return (ptrdiff_t)pos;
            ptrdiff_t n = payload_piece(p, buf + pos, len - pos, ev);
            return n < 0 ? n : (ptrdiff_t)pos + n;
        }
        case ST_MESSAGE_END:
            if (p->message_opcode_ == WS_OP_TEXT && ws_utf8_finish(&p->utf8_) != WS_OK)
                return fail(p, WS_E_INVALID_UTF8);
            ev->type = WS_EV_MESSAGE_END;
            ev->opcode = p->message_opcode_;
            p->message_opcode_ = 0;
            p->state_ = ST_HEADER;
            return (ptrdiff_t)pos;
        default:
            break;
        }

        /* ST_HEADER */
        ws_frame f;
        int hl = ws_frame_parse(buf + pos, len - pos, (ws_role)p->role_, p->rsv_allowed_, &f);
        if (hl == WS_INCOMPLETE)
            return (ptrdiff_t)pos;
        if (hl < 0)
            return fail(p, hl);

        if (WS_OPCODE_IS_CONTROL(f.opcode)) {
            /* ws_frame_parse guarantees payload_len <= 125. */
            if (len - pos - (size_t)hl < f.payload_len)
                return (ptrdiff_t)pos;
            int st = control_frame(&f, buf + pos + hl, ev);
            if (st < 0)
                return fail(p, st);
            if (ev->type == WS_EV_CLOSE)
                p->state_ = ST_CLOSED;
            return (ptrdiff_t)(pos + (size_t)hl + (size_t)f.payload_len);
        }

        int st = check_data_frame(p, &f);
        if (st != WS_OK)
            return fail(p, st);
        pos += (size_t)hl;
        bool starts_message = f.opcode != WS_OP_CONTINUATION;
        if (starts_message) {
            p->message_opcode_ = f.opcode;
            p->message_size_ = 0;
            p->fragments_ = 0;
            ws_utf8_init(&p->utf8_);
        }
        p->fragments_++;
        p->message_size_ += f.payload_len;
        p->frame_left_ = f.payload_len;
        p->flags_ = (uint8_t)((f.fin ? FL_FIN : 0u) | (f.masked ? FL_MASKED : 0u));
        if (f.masked)
            for (int i = 0; i < 4; i++)
                p->mask_[i] = f.mask[i];
        p->mask_offset_ = 0;
        p->state_ = f.payload_len > 0 ? ST_PAYLOAD : (f.fin ? ST_MESSAGE_END : ST_HEADER);
        if (starts_message) {
            ev->type = WS_EV_MESSAGE_START;
            ev->opcode = f.opcode;
            return (ptrdiff_t)pos;
        }
        /* A continuation header alone is no event: go on to its payload. */
    }
}

/*
 * The WS_PARSER_WHOLE_MESSAGES fast path first: a FIN text/binary frame,
 * not inside a fragmented message, with its payload entirely in buf, is one
 * WS_EV_MESSAGE. Whatever it does not handle the cheap way (a partial frame,
 * a broken limit, any header the general path would refuse) goes to the
 * general path untouched, which then reports or fails exactly as without
 * the option. The fast path writes no parser state (unless the text is
 * invalid); a server's small binary or ASCII messages (the common case,
 * next_small_server_frame below) take one jump and save no register.
 */
/* MESSAGE_END, or the failure the general path reports for a text cut in
 * a sequence. Out of line, and the text case apart again: the call to
 * ws_utf8_finish made the frame boundary path save five registers on every
 * call (2-byte frames: about 0.5 ns of 6.8), and then every binary
 * message's end four. */
static ptrdiff_t report_end(ws_parser *p, ws_event *ev)
{
    *ev = (ws_event){.type = WS_EV_MESSAGE_END, .opcode = p->message_opcode_};
    p->message_opcode_ = 0;
    p->state_ = ST_HEADER;
    return 0;
}

/* A text's end: the validator must be between sequences. */
static __attribute__((noinline)) ptrdiff_t end_text_message(ws_parser *p, uint8_t *buf, size_t len,
                                                            ws_event *ev)
{
    if (ws_utf8_finish(&p->utf8_) != WS_OK)
        return next_event(p, buf, len, ev);
    return report_end(p, ev);
}

static __attribute__((noinline)) ptrdiff_t end_message(ws_parser *p, uint8_t *buf, size_t len,
                                                       ws_event *ev)
{
    if (p->message_opcode_ == WS_OP_TEXT)
        return end_text_message(p, buf, len, ev);
    return report_end(p, ev);
}

/* Everything at a frame boundary that is not a server's small frame (see
 * ws_parser_next): MESSAGE_END, a client's unmasked frames, extended
 * lengths, and whatever must go to the general path. */
static __attribute__((noinline)) ptrdiff_t next_at_boundary(ws_parser *p, uint8_t *buf, size_t len,
                                                            ws_event *ev)
{
    if (p->state_ == ST_MESSAGE_END)
        return end_message(p, buf, len, ev);
    /* The first frame of a text or binary message, decoded here rather than
     * by ws_frame_parse: everything unusual (control frames,
     * continuations, a header cut short, anything to refuse) goes to the
     * general path, which decides as it always did. */
    if (p->state_ != ST_HEADER || len < 2 || p->message_opcode_ != 0)
        return next_event(p, buf, len, ev);
    const unsigned b0 = buf[0], b1 = buf[1];
    if ((b0 & 0x7Fu) - 1u > 1u) /* opcode 1 or 2, no RSV bit; FIN either way */
        return next_event(p, buf, len, ev);
    const unsigned masked = b1 & 0x80u;
    if (masked != (p->role_ == WS_ROLE_SERVER ? 0x80u : 0u))
        return next_event(p, buf, len, ev);
    uint64_t n = b1 & 0x7Fu;
    size_t hl = 2;
    if (n == 126) {
        if (len < 4)
            return next_event(p, buf, len, ev);
        n = (uint64_t)buf[2] << 8 | buf[3];
        hl = 4;
        if (n < 126)
            return next_event(p, buf, len, ev);
    } else if (n == 127) {
        if (len < 10)
            return next_event(p, buf, len, ev);
        n = 0;
        for (int i = 2; i < 10; i++)
            n = n << 8 | buf[i];
        hl = 10;
        if (n < 65536 || n >> 63)
            return next_event(p, buf, len, ev);
    }
    const uint8_t *key = masked ? buf + hl : NULL;
    hl += masked ? 4 : 0;
    if (len < hl || over_limit(n, p->max_frame_size_) || over_limit(n, p->max_message_size_))
        return next_event(p, buf, len, ev);
    if ((b0 & 0x80u) == 0)
        return start_message(p, (uint8_t)b0, n, key, hl, ev);
    if (len - hl < n) {
        if (n <= 125)
            return hold_cut_message(p, buf, len, (size_t)n, hl, ev);
        return start_message(p, (uint8_t)b0, n, key, hl, ev);
    }
    if (p->options_ == 0)
        return start_message(p, (uint8_t)b0, n, key, hl, ev);

    if (n >= WS_UNMASK_INLINE_MAX || key == NULL)
        return whole_message_slow(p, buf, hl, n, key, ev);
    uint8_t *data = buf + hl;
    const uint64_t seen = ws_unmask_whole(data, (size_t)n, key);
    if (b0 == FIN_TEXT && (seen & WS_HIGH_BITS) != 0)
        return whole_message_slow(p, buf, hl, n, NULL, ev);
    return report_whole((uint8_t)(b0 & 0x0Fu), data, n, hl, ev);
}

#ifdef WS_HAVE_AVX512
/* From this length a small text is unmasked and checked in one pass
 * (small_whole_text_avx512); shorter ones are unmasked as binary data is,
 * which for ASCII costs less than the masked load and the stores placed by
 * a permute (16-byte ASCII frames 3.8 -> 4.7 ns that way), and only one
 * with a high bit is checked after, from the registers the unmasking left
 * (small_text_2_to_15_avx512, small_text_16_to_31_avx512). */
#define SMALL_TEXT_AVX512_MIN 32

/* A small text that is not UTF-8 (see small_whole_text_avx512); out of
 * line, so that the valid case saves no register. */
static __attribute__((noinline)) ptrdiff_t small_text_invalid(ws_parser *p, size_t n, ws_event *ev)
{
    return invalid_whole_text(p, n, 6, ev);
}

/* small_whole_message for a text, with AVX-512: unmasked and validated in
 * one pass from registers. Validating after the unmasking reloads bytes
 * whose stores are still in flight, and waits for them (125 bytes of mixed
 * text 20.8 -> 7.0 ns per frame, ASCII 5.4 -> 4.7). Compiled for AVX-512 as a whole, so that
 * the check is inlined, with no call and no saved register on the way of
 * a valid text. */
static WS_TARGET_AVX512 __attribute__((noinline)) ptrdiff_t small_whole_text_avx512(ws_parser *p,
                                                                                   uint8_t *buf,
                                                                                   size_t n,
                                                                                   ws_event *ev)
{
    enum { HL = 6 };
    const ptrdiff_t consumed = report_whole(WS_OP_TEXT, buf + HL, n, HL, ev);
    if (ws_utf8_unmask_short_avx512(buf + HL, n, buf + 2) != WS_OK)
        return small_text_invalid(p, n, ev);
    return consumed;
}

/* A small text of 16-31 bytes with a high bit, unmasked by small_whole_text,
 * which hands over its first and last 16 bytes in registers: checked from
 * them (see ws_utf8_valid_16_to_31_regs_avx512), never loaded back from the
 * unmasking's stores, and as one ymm rather than two 64-byte blocks. */
static WS_TARGET_AVX512 __attribute__((noinline)) ptrdiff_t
small_text_16_to_31_avx512(ws_parser *p, size_t n, ws_event *ev, __m128i first, __m128i last)
{
    enum { HL = 6 };
    if (ws_utf8_valid_16_to_31_regs_avx512(first, last, n) != WS_OK)
        return small_text_invalid(p, n, ev);
    return (ptrdiff_t)(HL + n);
}

/* The same for a text of 2-15 bytes, which small_short_text hands over as
 * the two words it unmasked, checked as one xmm: the check was otherwise
 * two calls further, in whole_message_slow (2-byte frames of mixed text:
 * 152 -> 104 instructions through ws_parser_next, 5.4-6.0 -> 4.6-4.9 ns). */
static WS_TARGET_AVX512 __attribute__((noinline)) ptrdiff_t
small_text_2_to_15_avx512(ws_parser *p, size_t n, ws_event *ev, uint64_t lo, uint64_t hi)
{
    enum { HL = 6 };
    if (ws_utf8_valid_2_to_15_words_avx512(lo, hi, n) != WS_OK)
        return small_text_invalid(p, n, ev);
    return (ptrdiff_t)(HL + n);
}

/* small_short_text's AVX2 check, tail-called with what it needs: called
 * from there, p, n, ev and the result had to live across the call, and gcc
 * saved three registers on every text, ASCII too: 2- to 15-byte ASCII
 * texts 82 -> 75 instructions through ws_parser_next, on a Zen 3 2-byte
 * texts 6.6-7.9 -> 6.3-7.3 ns in alternating runs (small_text_32_to_125
 * keeps its call: see "What else was tried" in docs/PERFORMANCE.md). */
static __attribute__((noinline)) ptrdiff_t small_text_2_to_15_avx2(ws_parser *p, size_t n,
                                                                   ws_event *ev, uint64_t lo,
                                                                   uint64_t hi)
{
    enum { HL = 6 };
    if (ws_utf8_valid_2_to_15_words_avx2(lo, hi, n) != WS_OK)
        return small_text_invalid(p, n, ev);
    return (ptrdiff_t)(HL + n);
}

#endif

/* A small text found whole and unmasked by next_small_server_frame, whose
 * bytes are not all ASCII: validated by whole_message_slow (with AVX-512 or
 * AVX2, only a 1-byte text comes here; 2-31 bytes are checked from
 * registers and longer ones in one pass). ev holds what it reported (data
 * is buf + 6, the caller's writable buffer). */
static __attribute__((noinline)) ptrdiff_t small_text_not_ascii(ws_parser *p, ws_event *ev)
{
    uint8_t *data = (uint8_t *)(uintptr_t)ev->data;
    return whole_message_slow(p, data - 6, 6, ev->len, NULL, ev);
}

#ifdef WS_HAVE_AVX512
/* small_whole_text's AVX2 check of 16-31 bytes, tail-called for the reason
 * small_text_2_to_15_avx2 is. */
static __attribute__((noinline)) ptrdiff_t small_text_16_to_31_avx2(ws_parser *p, size_t n,
                                                                    ws_event *ev, __m128i first,
                                                                    __m128i last)
{
    enum { HL = 6 };
    if (ws_utf8_valid_16_to_31_regs_avx2(first, last, n) != WS_OK)
        return small_text_invalid(p, n, ev);
    return (ptrdiff_t)(HL + n);
}

/* small_whole_text for 32-125 bytes without AVX-512: with AVX2 unmasked and
 * checked in one pass (mixed text 22.4 -> 20.6-21.2 ns on a Zen 3, ASCII
 * the same; with the pass fused for ASCII too, 17.5-18.1 and 9.3-9.6 ns: see
 * unmask_whole_32_to_127). Apart from small_whole_text because p, n and ev
 * live across the AVX2 call: there, gcc saved four registers on entry for
 * every text, and 125-byte texts on the AVX-512 path, which need none, went
 * from 7.0-7.2 to 7.6-7.7 ns on a Zen 5 (739cabd). */
static __attribute__((noinline)) ptrdiff_t small_text_32_to_125(ws_parser *p, uint8_t *buf,
                                                                size_t n, ws_event *ev)
{
    enum { HL = 6 };
    const ptrdiff_t consumed = report_whole(WS_OP_TEXT, buf + HL, n, HL, ev);
    if (ws_cpu_has_avx2())
        return ws_utf8_unmask_whole_avx2(buf + HL, n, buf + 2) == WS_OK
                   ? consumed
                   : small_text_invalid(p, n, ev);
    if ((ws_unmask_whole(buf + HL, n, buf + 2) & WS_HIGH_BITS) != 0)
        return small_text_not_ascii(p, ev);
    return consumed;
}

/* small_whole_message for a text of 16 or more bytes. Aligned, as
 * small_whole_message is. Every way out is a return or a tail call, so
 * nothing is saved on entry. */
static __attribute__((noinline, aligned(64))) ptrdiff_t small_whole_text(ws_parser *p,
                                                                         uint8_t *buf, size_t n,
                                                                         ws_event *ev)
{
    if (n >= SMALL_TEXT_AVX512_MIN) {
        if (ws_cpu_has_avx512())
            return small_whole_text_avx512(p, buf, n, ev);
        return small_text_32_to_125(p, buf, n, ev);
    }
    /* 16-31 bytes: unmasked into two registers, which a text that is not
     * ASCII is checked from (16 bytes of mixed text 8.1 -> 5.2-5.5 ns: no
     * reload of the stores in flight, no 64-byte blocks). */
    enum { HL = 6 };
    const ptrdiff_t consumed = report_whole(WS_OP_TEXT, buf + HL, n, HL, ev);
    __m128i first, last;
    ws_unmask_16_to_31(buf + HL, n, buf + 2, &first, &last);
    if (_mm_movemask_epi8(_mm_or_si128(first, last)) == 0)
        return consumed;
    if (ws_cpu_has_avx512())
        return small_text_16_to_31_avx512(p, n, ev, first, last);
    if (ws_cpu_has_avx2())
        return small_text_16_to_31_avx2(p, n, ev, first, last);
    return small_text_not_ascii(p, ev);
}

/* small_whole_message for a text of under 16 bytes: unmasked into two
 * words, which a text of 2-15 bytes that is not ASCII is checked from (see
 * small_text_2_to_15_avx512). Apart from small_whole_text, where keeping
 * both words made gcc save a register for every text. */
static __attribute__((noinline, aligned(64))) ptrdiff_t small_short_text(ws_parser *p,
                                                                         uint8_t *buf, size_t n,
                                                                         ws_event *ev)
{
    enum { HL = 6 };
    const ptrdiff_t consumed = report_whole(WS_OP_TEXT, buf + HL, n, HL, ev);
    uint32_t k4;
    memcpy(&k4, buf + 2, 4);
    /* Each size class returns on its own: merged, gcc kept more values
     * across the common part, and 2-byte ASCII texts got slower. */
    if (n <= 8) {
        if (n < 2) {
            if ((ws_unmask_after_header(buf + HL, n, buf + 2) & WS_HIGH_BITS) != 0)
                return small_text_not_ascii(p, ev);
            return consumed;
        }
        const uint64_t text = ws_unmask_2_to_8_after_header(buf + HL, n, k4);
        if ((text & WS_HIGH_BITS) == 0)
            return consumed;
        if (ws_cpu_has_avx512())
            return small_text_2_to_15_avx512(p, n, ev, text, 0);
        if (ws_cpu_has_avx2())
            return small_text_2_to_15_avx2(p, n, ev, text, 0);
        return small_text_not_ascii(p, ev);
    }
    uint64_t first, last;
    ws_unmask_9_to_15(buf + HL, n, k4, &first, &last);
    if (((first | last) & WS_HIGH_BITS) == 0)
        return consumed;
    if (ws_cpu_has_avx512())
        return small_text_2_to_15_avx512(p, n, ev, first, last);
    if (ws_cpu_has_avx2())
        return small_text_2_to_15_avx2(p, n, ev, first, last);
    return small_text_not_ascii(p, ev);
}
#endif

/* WS_EV_MESSAGE for a server's small frame whose header
 * next_small_server_frame checked, all n bytes of payload in buf. Its own
 * function: inline, the header's values and the unmasking's keys needed
 * saved registers. The event is written first and the unmasking last, so
 * that little is kept across it (a text that is not ASCII finds the rest
 * in ev). Aligned to a cache line: its 2- and 16-byte frames moved by up to
 * 2 ns (16-byte binary frames 3.9 <-> 5.9 ns) with where unrelated changes
 * made the linker put it. */
static __attribute__((noinline, aligned(64))) ptrdiff_t small_whole_message(ws_parser *p,
                                                                            uint8_t *buf, size_t n,
                                                                            ws_event *ev)
{
    enum { HL = 6 };
    const uint8_t opcode = (uint8_t)(buf[0] & 0x0Fu);
#ifdef WS_HAVE_AVX512
    /* Texts apart, so that binary frames pay one branch for them. */
    if (opcode == WS_OP_TEXT)
        return n < 16 ? small_short_text(p, buf, n, ev) : small_whole_text(p, buf, n, ev);
#endif
    const ptrdiff_t consumed = report_whole(opcode, buf + HL, n, HL, ev);
    const uint64_t seen = ws_unmask_after_header(buf + HL, n, buf + 2);
    /* One branch: on binary data the high bits alone are a coin toss. */
    if (((seen & WS_HIGH_BITS) != 0) & (opcode == WS_OP_TEXT))
        return small_text_not_ascii(p, ev);
    return consumed;
}

/* The expected case of a server between messages: a frame with a 7-bit
 * length (payload <= 125 bytes), its 6-byte header (with the key) and,
 * in the WS_PARSER_WHOLE_MESSAGES mode, all of its payload in buf. Anything
 * else goes to next_at_boundary with the arguments untouched, which decides
 * as it always did. Written so that it needs no saved register: every other
 * outcome is a tail call. */
static inline ptrdiff_t next_small_server_frame(ws_parser *p, uint8_t *buf, size_t len,
                                                ws_event *ev)
{
    enum { HL = 6 }; /* 2 header bytes and the key */
    if (len < HL)
        return next_at_boundary(p, buf, len, ev);
    const unsigned b0 = buf[0], b1 = buf[1];
    /* Opcode 1 or 2, no RSV bit, FIN either way; masked. */
    if ((b0 & 0x7Fu) - 1u > 1u || b1 < 0x80u)
        return next_at_boundary(p, buf, len, ev);
    const size_t n = b1 & 0x7Fu;
    if (n > p->small_max_) /* 126 and 127 announce longer lengths */
        return next_at_boundary(p, buf, len, ev);
    if ((b0 & 0x80u) == 0)
        return start_message(p, (uint8_t)b0, n, buf + 2, HL, ev);
    if (len - HL < n)
        return hold_cut_message(p, buf, len, n, HL, ev);
    if (p->options_ == 0)
        return start_message(p, (uint8_t)b0, n, buf + 2, HL, ev);
    return small_whole_message(p, buf, n, ev);
}

/* A payload arriving in many reads goes straight to the piece, and an
 * empty read inside it returns at once: this entry saves no registers
 * (everything else is a tail call), so the per-read cost stays small next
 * to unmasking a read's worth. Then a server between messages: state_, role_
 * and message_opcode_ all zero: three byte loads, not one wider load, which
 * would wait for the byte stores of the call before (store forwarding
 * fails on a load wider than the store: the three-event mode took 17 ns
 * per 2-byte frame instead of 11). */
_Static_assert(ST_HEADER == 0 && WS_ROLE_SERVER == 0, "a server between messages is three zeros");

ptrdiff_t ws_parser_next(ws_parser *p, uint8_t *buf, size_t len, ws_event *ev)
{
    if (p->state_ == ST_PAYLOAD) {
        if (len > 0)
            return p->message_opcode_ == WS_OP_TEXT ? payload_piece(p, buf, len, ev)
                                                    : binary_piece(p, buf, len, ev);
        *ev = (ws_event){.type = WS_EV_NONE};
        return 0;
    }
    if ((p->state_ | p->role_ | p->message_opcode_) == 0)
        return next_small_server_frame(p, buf, len, ev);
    return next_at_boundary(p, buf, len, ev);
}
